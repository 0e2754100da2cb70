// Package metrics owns one Kafka service's scheduler metrics, named as DC/OS
// names them (dcos-commons metrics/Metrics.java: offers.received,
// offers.process, declines.long, operation.<type>, task_status.<state>,
// plan_status.<plan>, ...), and their JSON and Prometheus exposition.
//
// Every Metrics value has its own prometheus.Registry; nothing is registered
// with the global default registry, so several services can live in one
// process without colliding. All methods are safe for concurrent use.
//
// The JSON document (GET /v1/metrics) has the shape of the codahale/Dropwizard
// MetricsServlet that the DC/OS scheduler served, with dotted names. The
// Prometheus exposition (GET /v1/metrics/prometheus) uses the same metrics with
// dots turned into underscores, counters suffixed with _total, the offer
// processing timer as the summary offers_process_seconds, the dynamic metrics
// as labelled vectors (operation_total{type}, task_status_total{state},
// plan_status{plan}, recovery_total{kind} for the recoveries started:
// recovery.relaunch, recovery.replace), and a constant label
// service="<name>" on everything.
//
// The offers.process timer keeps a sliding window of the last
// 1028 samples (codahale's default reservoir size); the JSON
// percentiles, the Prometheus summary quantiles and OfferProcessingQuantiles
// are all computed from that one window, while counts and sums are cumulative.
package metrics

import (
	"math"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
)

// reservoirSize is the number of most recent offers.process samples the timer
// keeps for its percentiles (codahale's default reservoir size).
const reservoirSize = 1028

// JSON (dotted) names of the fixed metrics.
const (
	nameOffersReceived  = "offers.received"
	nameOffersProcessed = "offers.processed"
	nameOffersProcess   = "offers.process"
	nameRevives         = "revives"
	nameReviveThrottles = "revives.throttles"
	nameDeclinesShort   = "declines.short"
	nameDeclinesLong    = "declines.long"
	nameSuppresses      = "suppresses"
	nameIsSuppressed    = "is_suppressed"
	prefixOperation     = "operation."
	prefixTaskStatus    = "task_status."
	prefixPlanStatus    = "plan_status."
	prefixRecovery      = "recovery."
)

// Metrics holds one service's scheduler metrics. Create it with New.
type Metrics struct {
	service  string
	registry *prometheus.Registry

	offersReceived  prometheus.Counter
	offersProcessed prometheus.Counter
	revives         prometheus.Counter
	reviveThrottles prometheus.Counter
	declinesShort   prometheus.Counter
	declinesLong    prometheus.Counter
	suppresses      prometheus.Counter
	isSuppressed    prometheus.Gauge
	operations      *prometheus.CounterVec // label "type"
	taskStatus      *prometheus.CounterVec // label "state"
	planStatus      *prometheus.GaugeVec   // label "plan"
	recoveries      *prometheus.CounterVec // label "kind"

	offersProcess *timer
}

// fixedCounter pairs a fixed counter's JSON name with its collector, in the
// order the JSON document lists them (encoding/json sorts map keys anyway).
type fixedCounter struct {
	name string
	c    prometheus.Counter
}

// New returns the metrics of the named service, registered with a fresh
// registry of their own.
func New(service string) *Metrics {
	labels := prometheus.Labels{"service": service}
	counter := func(name, help string) prometheus.Counter {
		return prometheus.NewCounter(prometheus.CounterOpts{Name: name, Help: help, ConstLabels: labels})
	}
	m := &Metrics{
		service:  service,
		registry: prometheus.NewRegistry(),

		offersReceived:  counter("offers_received_total", "Resource offers received from Mesos (offers.received)."),
		offersProcessed: counter("offers_processed_total", "Resource offers processed by the scheduler (offers.processed)."),
		revives:         counter("revives_total", "Offer revive calls sent to Mesos (revives)."),
		reviveThrottles: counter("revives_throttles_total", "Revive requests dropped by the revive throttle (revives.throttles)."),
		declinesShort:   counter("declines_short_total", "Offers declined with a short refuse duration (declines.short)."),
		declinesLong:    counter("declines_long_total", "Offers declined with a long refuse duration (declines.long)."),
		suppresses:      counter("suppresses_total", "Offer suppress calls sent to Mesos (suppresses)."),
		isSuppressed: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "is_suppressed", Help: "1 while offers are suppressed, else 0 (is_suppressed).", ConstLabels: labels,
		}),
		operations: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "operation_total", Help: "Accepted Mesos offer operations by type (operation.<type>).", ConstLabels: labels,
		}, []string{"type"}),
		taskStatus: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "task_status_total", Help: "Task status updates received by state (task_status.<state>).", ConstLabels: labels,
		}, []string{"state"}),
		planStatus: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "plan_status", Help: "Plan status: -1 ERROR, 0 COMPLETE, 1 WAITING/PENDING, 2 in progress (plan_status.<plan>).", ConstLabels: labels,
		}, []string{"plan"}),

		recoveries: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "recovery_total", Help: "Broker recoveries started by kind: relaunch (in place) or replace (recovery.<kind>).", ConstLabels: labels,
		}, []string{"kind"}),

		offersProcess: newTimer(prometheus.NewDesc("offers_process_seconds",
			"Time spent processing a batch of offers, quantiles over the last 1028 samples (offers.process).",
			nil, labels)),
	}
	m.registry.MustRegister(
		m.offersReceived, m.offersProcessed, m.revives, m.reviveThrottles,
		m.declinesShort, m.declinesLong, m.suppresses, m.isSuppressed,
		m.operations, m.taskStatus, m.planStatus, m.recoveries, m.offersProcess,
	)
	return m
}

func (m *Metrics) fixedCounters() []fixedCounter {
	return []fixedCounter{
		{nameOffersReceived, m.offersReceived},
		{nameOffersProcessed, m.offersProcessed},
		{nameRevives, m.revives},
		{nameReviveThrottles, m.reviveThrottles},
		{nameDeclinesShort, m.declinesShort},
		{nameDeclinesLong, m.declinesLong},
		{nameSuppresses, m.suppresses},
	}
}

func add(c prometheus.Counter, n int) {
	if n > 0 {
		c.Add(float64(n))
	}
}

// OffersReceived counts n offers received (offers.received). n <= 0 is ignored.
func (m *Metrics) OffersReceived(n int) { add(m.offersReceived, n) }

// OffersProcessed counts n offers processed (offers.processed). n <= 0 is ignored.
func (m *Metrics) OffersProcessed(n int) { add(m.offersProcessed, n) }

// ObserveOfferProcessing records one offer processing duration in the
// offers.process timer. Negative durations are recorded as 0.
func (m *Metrics) ObserveOfferProcessing(d time.Duration) { m.offersProcess.observe(d) }

// DeclinedLong counts n offers declined for a long period (declines.long).
func (m *Metrics) DeclinedLong(n int) { add(m.declinesLong, n) }

// DeclinedShort counts n offers declined for a short period (declines.short).
func (m *Metrics) DeclinedShort(n int) { add(m.declinesShort, n) }

// Revived counts one revive call (revives).
func (m *Metrics) Revived() { m.revives.Inc() }

// ReviveThrottled counts one revive request dropped by throttling
// (revives.throttles).
func (m *Metrics) ReviveThrottled() { m.reviveThrottles.Inc() }

// Suppressed counts one suppress call (suppresses). It does not change the
// is_suppressed gauge; use SetSuppressed for that.
func (m *Metrics) Suppressed() { m.suppresses.Inc() }

// SetSuppressed sets the is_suppressed gauge.
func (m *Metrics) SetSuppressed(suppressed bool) {
	if suppressed {
		m.isSuppressed.Set(1)
	} else {
		m.isSuppressed.Set(0)
	}
}

// Operation counts one accepted offer operation of the given Mesos type
// ("reserve", "unreserve", "create", "destroy", "launch_group", ...) as
// operation.<kind>. The kind is lowercased; an empty kind is ignored.
func (m *Metrics) Operation(kind string) {
	kind = strings.ToLower(strings.TrimSpace(kind))
	if kind == "" {
		return
	}
	m.operations.WithLabelValues(kind).Inc()
}

// Recovery counts one broker recovery started, by kind ("relaunch": in
// place; "replace": fresh reservations and volume).
func (m *Metrics) Recovery(kind string) {
	kind = strings.ToLower(strings.TrimSpace(kind))
	if kind == "" {
		return
	}
	m.recoveries.WithLabelValues(kind).Inc()
}

// RecoveryCount is how many recoveries of kind were started.
func (m *Metrics) RecoveryCount(kind string) int64 {
	c, err := m.recoveries.GetMetricWithLabelValues(kind)
	if err != nil {
		return 0
	}
	return counterValue(c)
}

// TaskStatus counts one task status update in the given Mesos state
// ("TASK_RUNNING" → task_status.task_running). The state is lowercased; an
// empty state is ignored.
func (m *Metrics) TaskStatus(state string) {
	state = strings.ToLower(strings.TrimSpace(state))
	if state == "" {
		return
	}
	m.taskStatus.WithLabelValues(state).Inc()
}

// planStatusValue maps a plan status to the plan_status gauge value used by
// dcos-commons: ERROR -1, COMPLETE 0, WAITING/PENDING 1,
// IN_PROGRESS/PREPARED/STARTING/STARTED/DELAYED 2. Matching ignores case and
// surrounding space; ok is false for any other status.
func planStatusValue(status string) (value int, ok bool) {
	switch strings.ToUpper(strings.TrimSpace(status)) {
	case "ERROR":
		return -1, true
	case "COMPLETE":
		return 0, true
	case "WAITING", "PENDING":
		return 1, true
	case "IN_PROGRESS", "PREPARED", "STARTING", "STARTED", "DELAYED":
		return 2, true
	}
	return 0, false
}

// SetPlanStatus sets the plan_status.<plan> gauge from the plan's status (see
// planStatusValue). An empty plan name or an unknown status leaves the gauge
// unchanged.
func (m *Metrics) SetPlanStatus(plan string, status string) {
	v, ok := planStatusValue(status)
	if plan == "" || !ok {
		return
	}
	m.planStatus.WithLabelValues(plan).Set(float64(v))
}

// OfferProcessingQuantiles returns the median and 99th percentile of the
// offers.process samples in the sliding window, and the total number of
// samples ever observed. With no samples it returns zeros.
func (m *Metrics) OfferProcessingQuantiles() (p50, p99 time.Duration, count uint64) {
	s := m.offersProcess.snapshot()
	return s.quantileDuration(0.5), s.quantileDuration(0.99), s.count
}

// counterValue reads a counter's current value as an integer count.
func counterValue(c prometheus.Metric) int64 {
	var d dto.Metric
	if err := c.Write(&d); err != nil {
		return 0
	}
	return dtoCount(&d)
}

// dtoCount returns a written counter's value as an integer count.
func dtoCount(d *dto.Metric) int64 { return int64(math.Round(d.GetCounter().GetValue())) }

// gaugeValue reads a gauge's current value.
func gaugeValue(g prometheus.Metric) float64 {
	var d dto.Metric
	if err := g.Write(&d); err != nil || d.GetGauge() == nil {
		return 0
	}
	return d.GetGauge().GetValue()
}

// eachLabelled calls fn for every child of a metric vector with the value of
// its only variable label (label) and its dto form.
func eachLabelled(c prometheus.Collector, label string, fn func(value string, d *dto.Metric)) {
	ch := make(chan prometheus.Metric)
	go func() {
		c.Collect(ch)
		close(ch)
	}()
	for metric := range ch {
		var d dto.Metric
		if err := metric.Write(&d); err != nil {
			continue
		}
		for _, lp := range d.GetLabel() {
			if lp.GetName() == label {
				fn(lp.GetValue(), &d)
				break
			}
		}
	}
}
