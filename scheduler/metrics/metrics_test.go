package metrics

import (
	"encoding/json"
	"math"
	"math/rand"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

var fixedCounterNames = []string{
	"offers.received", "offers.processed", "revives", "revives.throttles",
	"declines.short", "declines.long", "suppresses",
}

// getJSON fetches the JSON document through the handler and decodes it
// generically, so the test checks the wire shape rather than the Go types.
func getJSON(t *testing.T, m *Metrics) map[string]map[string]any {
	t.Helper()
	rec := httptest.NewRecorder()
	m.JSONHandler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/v1/metrics", nil))
	if rec.Code != http.StatusOK {
		t.Fatalf("GET /v1/metrics: status %d: %s", rec.Code, rec.Body)
	}
	if ct := rec.Header().Get("Content-Type"); ct != "application/json" {
		t.Fatalf("Content-Type = %q", ct)
	}
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(rec.Body.Bytes(), &raw); err != nil {
		t.Fatalf("decode: %v\n%s", err, rec.Body)
	}
	var version string
	if err := json.Unmarshal(raw["version"], &version); err != nil || version != "4.0.0" {
		t.Fatalf("version = %q (%v)", version, err)
	}
	out := map[string]map[string]any{}
	for _, section := range []string{"gauges", "counters", "histograms", "meters", "timers"} {
		msg, ok := raw[section]
		if !ok {
			t.Fatalf("section %q missing in %s", section, rec.Body)
		}
		var sec map[string]any
		if err := json.Unmarshal(msg, &sec); err != nil || sec == nil {
			t.Fatalf("section %q is not an object: %s (%v)", section, msg, err)
		}
		out[section] = sec
	}
	if len(raw) != 6 {
		t.Fatalf("unexpected top-level keys: %s", rec.Body)
	}
	return out
}

func field(t *testing.T, doc map[string]map[string]any, section, name, key string) any {
	t.Helper()
	entry, ok := doc[section][name].(map[string]any)
	if !ok {
		t.Fatalf("%s[%q] missing or not an object: %v", section, name, doc[section])
	}
	v, ok := entry[key]
	if !ok {
		t.Fatalf("%s[%q] has no %q: %v", section, name, key, entry)
	}
	return v
}

func count(t *testing.T, doc map[string]map[string]any, name string) float64 {
	t.Helper()
	return field(t, doc, "counters", name, "count").(float64)
}

func near(a, b float64) bool { return math.Abs(a-b) <= 1e-9*math.Max(1, math.Abs(b)) }

func TestJSONFreshShape(t *testing.T) {
	doc := getJSON(t, New("kafka"))

	if len(doc["counters"]) != len(fixedCounterNames) {
		t.Errorf("counters = %v, want exactly the fixed ones", doc["counters"])
	}
	for _, name := range fixedCounterNames {
		if c := count(t, doc, name); c != 0 {
			t.Errorf("%s = %v, want 0", name, c)
		}
	}
	if v := field(t, doc, "gauges", "is_suppressed", "value"); v != false {
		t.Errorf("is_suppressed = %v, want false", v)
	}
	if len(doc["gauges"]) != 1 {
		t.Errorf("gauges = %v, want only is_suppressed", doc["gauges"])
	}
	if len(doc["histograms"]) != 0 || len(doc["meters"]) != 0 {
		t.Errorf("histograms/meters not empty: %v %v", doc["histograms"], doc["meters"])
	}
	timer, ok := doc["timers"]["offers.process"].(map[string]any)
	if !ok || len(doc["timers"]) != 1 {
		t.Fatalf("timers = %v", doc["timers"])
	}
	for _, k := range []string{"count", "max", "mean", "min", "p50", "p75", "p95", "p98", "p99", "p999", "stddev"} {
		if v, ok := timer[k].(float64); !ok || v != 0 {
			t.Errorf("offers.process %s = %v, want 0", k, timer[k])
		}
	}
	if timer["duration_units"] != "seconds" || timer["rate_units"] != "calls/second" {
		t.Errorf("units: %v", timer)
	}
}

func TestJSONValues(t *testing.T) {
	m := New("kafka")
	m.OffersReceived(12)
	m.OffersReceived(3)
	m.OffersReceived(0)
	m.OffersReceived(-4) // ignored
	m.OffersProcessed(10)
	m.DeclinedLong(7)
	m.DeclinedShort(2)
	m.Revived()
	m.Revived()
	m.ReviveThrottled()
	m.Suppressed()
	m.SetSuppressed(true)
	m.Operation("reserve")
	m.Operation("reserve")
	m.Operation("LAUNCH_GROUP")
	m.Operation("") // ignored
	m.TaskStatus("TASK_RUNNING")
	m.TaskStatus("TASK_RUNNING")
	m.TaskStatus("TASK_FAILED")
	m.SetPlanStatus("deploy", "IN_PROGRESS")
	m.SetPlanStatus("deploy", "COMPLETE")
	m.SetPlanStatus("recovery", "PENDING")
	m.SetPlanStatus("update", "ERROR")
	m.SetPlanStatus("decommission", "DELAYED")
	m.SetPlanStatus("bogus", "NOT_A_STATUS") // ignored
	for _, ms := range []int{100, 200, 300, 400} {
		m.ObserveOfferProcessing(time.Duration(ms) * time.Millisecond)
	}

	doc := getJSON(t, m)
	wantCounts := map[string]float64{
		"offers.received": 15, "offers.processed": 10, "declines.long": 7, "declines.short": 2,
		"revives": 2, "revives.throttles": 1, "suppresses": 1,
		"operation.reserve": 2, "operation.launch_group": 1,
		"task_status.task_running": 2, "task_status.task_failed": 1,
	}
	for name, want := range wantCounts {
		if got := count(t, doc, name); got != want {
			t.Errorf("%s = %v, want %v", name, got, want)
		}
	}
	if len(doc["counters"]) != len(wantCounts) {
		t.Errorf("counters = %v, want %d entries", doc["counters"], len(wantCounts))
	}

	wantGauges := map[string]any{
		"is_suppressed": true, "plan_status.deploy": 0.0, "plan_status.recovery": 1.0,
		"plan_status.update": -1.0, "plan_status.decommission": 2.0,
	}
	for name, want := range wantGauges {
		if got := field(t, doc, "gauges", name, "value"); got != want {
			t.Errorf("%s = %v, want %v", name, got, want)
		}
	}
	if len(doc["gauges"]) != len(wantGauges) {
		t.Errorf("gauges = %v, want %d entries", doc["gauges"], len(wantGauges))
	}

	timer := doc["timers"]["offers.process"].(map[string]any)
	stddev := math.Sqrt((0.15*0.15 + 0.05*0.05 + 0.05*0.05 + 0.15*0.15) / 3)
	want := map[string]float64{
		"count": 4, "min": 0.1, "max": 0.4, "mean": 0.25, "stddev": stddev,
		// codahale interpolation: pos = q*(n+1); p50 → 2.5 → 0.2 + 0.5*0.1.
		"p50": 0.25, "p75": 0.375, "p95": 0.4, "p98": 0.4, "p99": 0.4, "p999": 0.4,
	}
	for k, w := range want {
		if got := timer[k].(float64); !near(got, w) {
			t.Errorf("offers.process %s = %v, want %v", k, got, w)
		}
	}

	m.SetSuppressed(false)
	if v := field(t, getJSON(t, m), "gauges", "is_suppressed", "value"); v != false {
		t.Errorf("is_suppressed after SetSuppressed(false) = %v", v)
	}
}

func TestJSONHandlerMethods(t *testing.T) {
	h := New("kafka").JSONHandler()

	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/v1/metrics", nil))
	if rec.Code != http.StatusMethodNotAllowed || rec.Header().Get("Allow") == "" {
		t.Errorf("POST: status %d, Allow %q", rec.Code, rec.Header().Get("Allow"))
	}

	rec = httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodHead, "/v1/metrics", nil))
	if rec.Code != http.StatusOK || rec.Body.Len() != 0 {
		t.Errorf("HEAD: status %d, body %q", rec.Code, rec.Body)
	}

	rec = httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/v1/metrics?pretty=true", nil))
	if rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), "\n  \"counters\"") || !json.Valid(rec.Body.Bytes()) {
		t.Errorf("pretty: status %d, body %s", rec.Code, rec.Body)
	}
}

// scrape fetches the Prometheus text exposition through the handler and
// parses it.
func scrape(t *testing.T, m *Metrics) map[string]*dto.MetricFamily {
	t.Helper()
	rec := httptest.NewRecorder()
	m.PrometheusHandler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/v1/metrics/prometheus", nil))
	if rec.Code != http.StatusOK {
		t.Fatalf("GET /v1/metrics/prometheus: status %d: %s", rec.Code, rec.Body)
	}
	if ct := rec.Header().Get("Content-Type"); !strings.HasPrefix(ct, "text/plain") {
		t.Fatalf("Content-Type = %q", ct)
	}
	parser := expfmt.NewTextParser(model.UTF8Validation)
	families, err := parser.TextToMetricFamilies(strings.NewReader(rec.Body.String()))
	if err != nil {
		t.Fatalf("parse exposition: %v\n%s", err, rec.Body)
	}
	return families
}

// sample finds the sample of family name whose labels include want, and
// checks that every sample carries service=<service>.
func sample(t *testing.T, families map[string]*dto.MetricFamily, name string, typ dto.MetricType, service string, want map[string]string) *dto.Metric {
	t.Helper()
	mf, ok := families[name]
	if !ok {
		t.Fatalf("family %s missing", name)
	}
	if mf.GetType() != typ {
		t.Fatalf("%s type = %v, want %v", name, mf.GetType(), typ)
	}
	var found *dto.Metric
	for _, m := range mf.GetMetric() {
		labels := map[string]string{}
		for _, lp := range m.GetLabel() {
			labels[lp.GetName()] = lp.GetValue()
		}
		if labels["service"] != service {
			t.Errorf("%s sample %v: service label %q, want %q", name, labels, labels["service"], service)
		}
		match := true
		for k, v := range want {
			if labels[k] != v {
				match = false
			}
		}
		if match {
			found = m
		}
	}
	if found == nil {
		t.Fatalf("%s: no sample with labels %v", name, want)
	}
	return found
}

func TestPrometheusExposition(t *testing.T) {
	m := New("kafka-a")

	// Fresh: fixed counters present at 0, the summary present with no samples.
	fams := scrape(t, m)
	for _, name := range []string{
		"offers_received_total", "offers_processed_total", "revives_total", "revives_throttles_total",
		"declines_short_total", "declines_long_total", "suppresses_total",
	} {
		if v := sample(t, fams, name, dto.MetricType_COUNTER, "kafka-a", nil).GetCounter().GetValue(); v != 0 {
			t.Errorf("fresh %s = %v", name, v)
		}
	}
	if s := sample(t, fams, "offers_process_seconds", dto.MetricType_SUMMARY, "kafka-a", nil).GetSummary(); s.GetSampleCount() != 0 {
		t.Errorf("fresh summary count = %d", s.GetSampleCount())
	}
	for _, name := range []string{"operation_total", "task_status_total", "plan_status"} {
		if _, ok := fams[name]; ok {
			t.Errorf("fresh exposition has unused vector %s", name)
		}
	}

	m.OffersReceived(5)
	m.OffersProcessed(4)
	m.DeclinedLong(3)
	m.DeclinedShort(1)
	m.Revived()
	m.ReviveThrottled()
	m.ReviveThrottled()
	m.Suppressed()
	m.SetSuppressed(true)
	m.Operation("reserve")
	m.Operation("launch_group")
	m.Operation("launch_group")
	m.TaskStatus("TASK_RUNNING")
	m.SetPlanStatus("deploy", "STARTING")
	m.SetPlanStatus("recovery", "ERROR")
	m.ObserveOfferProcessing(time.Second)
	m.ObserveOfferProcessing(3 * time.Second)

	fams = scrape(t, m)
	counters := map[string]float64{
		"offers_received_total": 5, "offers_processed_total": 4, "declines_long_total": 3,
		"declines_short_total": 1, "revives_total": 1, "revives_throttles_total": 2, "suppresses_total": 1,
	}
	for name, want := range counters {
		if got := sample(t, fams, name, dto.MetricType_COUNTER, "kafka-a", nil).GetCounter().GetValue(); got != want {
			t.Errorf("%s = %v, want %v", name, got, want)
		}
	}
	labelled := []struct {
		family string
		typ    dto.MetricType
		labels map[string]string
		want   float64
	}{
		{"operation_total", dto.MetricType_COUNTER, map[string]string{"type": "reserve"}, 1},
		{"operation_total", dto.MetricType_COUNTER, map[string]string{"type": "launch_group"}, 2},
		{"task_status_total", dto.MetricType_COUNTER, map[string]string{"state": "task_running"}, 1},
		{"plan_status", dto.MetricType_GAUGE, map[string]string{"plan": "deploy"}, 2},
		{"plan_status", dto.MetricType_GAUGE, map[string]string{"plan": "recovery"}, -1},
		{"is_suppressed", dto.MetricType_GAUGE, nil, 1},
	}
	for _, c := range labelled {
		s := sample(t, fams, c.family, c.typ, "kafka-a", c.labels)
		got := s.GetCounter().GetValue()
		if c.typ == dto.MetricType_GAUGE {
			got = s.GetGauge().GetValue()
		}
		if got != c.want {
			t.Errorf("%s%v = %v, want %v", c.family, c.labels, got, c.want)
		}
	}

	sum := sample(t, fams, "offers_process_seconds", dto.MetricType_SUMMARY, "kafka-a", nil).GetSummary()
	if sum.GetSampleCount() != 2 || !near(sum.GetSampleSum(), 4) {
		t.Errorf("summary count/sum = %d/%v, want 2/4", sum.GetSampleCount(), sum.GetSampleSum())
	}
	quantiles := map[float64]float64{}
	for _, q := range sum.GetQuantile() {
		quantiles[q.GetQuantile()] = q.GetValue()
	}
	// codahale interpolation over [1s, 3s]: pos(0.5) = 1.5 → 2s; higher → 3s.
	wantQ := map[float64]float64{0.5: 2, 0.75: 3, 0.95: 3, 0.99: 3, 0.999: 3}
	if len(quantiles) != len(wantQ) {
		t.Errorf("quantiles = %v", quantiles)
	}
	for q, w := range wantQ {
		if got, ok := quantiles[q]; !ok || !near(got, w) {
			t.Errorf("quantile %v = %v, want %v", q, got, w)
		}
	}
}

func TestInstancesIndependent(t *testing.T) {
	// The same service name twice would panic on a shared registry.
	a, b, c := New("kafka-a"), New("kafka-b"), New("kafka-a")
	a.OffersReceived(7)
	a.Operation("reserve")
	a.SetPlanStatus("deploy", "COMPLETE")
	a.ObserveOfferProcessing(time.Millisecond)

	for _, other := range []*Metrics{b, c} {
		doc := getJSON(t, other)
		if got := count(t, doc, "offers.received"); got != 0 {
			t.Errorf("other instance offers.received = %v", got)
		}
		if _, ok := doc["counters"]["operation.reserve"]; ok {
			t.Error("other instance has operation.reserve")
		}
		if _, ok := doc["gauges"]["plan_status.deploy"]; ok {
			t.Error("other instance has plan_status.deploy")
		}
		if _, _, n := other.OfferProcessingQuantiles(); n != 0 {
			t.Errorf("other instance timer count = %d", n)
		}
	}
	fams := scrape(t, b)
	if v := sample(t, fams, "offers_received_total", dto.MetricType_COUNTER, "kafka-b", nil).GetCounter().GetValue(); v != 0 {
		t.Errorf("b offers_received_total = %v", v)
	}
	if _, ok := fams["operation_total"]; ok {
		t.Error("b exposes a's operation_total")
	}
	if got := count(t, getJSON(t, a), "offers.received"); got != 7 {
		t.Errorf("a offers.received = %v", got)
	}

	// Nothing leaked into the global default registry.
	global, err := prometheus.DefaultGatherer.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range global {
		if strings.HasPrefix(mf.GetName(), "offers_") || mf.GetName() == "operation_total" {
			t.Errorf("default registry has %s", mf.GetName())
		}
	}
}

func TestQuantiles(t *testing.T) {
	m := New("kafka")
	if p50, p99, n := m.OfferProcessingQuantiles(); p50 != 0 || p99 != 0 || n != 0 {
		t.Fatalf("empty: %v %v %d", p50, p99, n)
	}
	fams := scrape(t, m)
	for _, q := range sample(t, fams, "offers_process_seconds", dto.MetricType_SUMMARY, "kafka", nil).GetSummary().GetQuantile() {
		if !math.IsNaN(q.GetValue()) {
			t.Errorf("empty summary quantile %v = %v, want NaN", q.GetQuantile(), q.GetValue())
		}
	}

	// 1..1000 ms in random order.
	r := rand.New(rand.NewSource(1))
	for _, i := range r.Perm(1000) {
		m.ObserveOfferProcessing(time.Duration(i+1) * time.Millisecond)
	}
	p50, p99, n := m.OfferProcessingQuantiles()
	if n != 1000 {
		t.Errorf("count = %d, want 1000", n)
	}
	// pos = q*(n+1): p50 → 500.5, p99 → 990.99 (ms).
	if p50 != 500500*time.Microsecond {
		t.Errorf("p50 = %v, want 500.5ms", p50)
	}
	if p99 != 990990*time.Microsecond {
		t.Errorf("p99 = %v, want 990.99ms", p99)
	}
	if p50 > p99 {
		t.Errorf("p50 %v > p99 %v", p50, p99)
	}
	timer := getJSON(t, m)["timers"]["offers.process"].(map[string]any)
	prev := 0.0
	for _, k := range []string{"min", "p50", "p75", "p95", "p98", "p99", "p999", "max"} {
		v := timer[k].(float64)
		if v < prev {
			t.Errorf("%s = %v below previous %v", k, v, prev)
		}
		prev = v
	}
	if timer["min"].(float64) != 0.001 || timer["max"].(float64) != 1 || !near(timer["mean"].(float64), 0.5005) {
		t.Errorf("min/max/mean = %v/%v/%v", timer["min"], timer["max"], timer["mean"])
	}
	if !near(timer["p50"].(float64), p50.Seconds()) || !near(timer["p99"].(float64), p99.Seconds()) {
		t.Errorf("JSON p50/p99 %v/%v differ from OfferProcessingQuantiles %v/%v", timer["p50"], timer["p99"], p50, p99)
	}

	// The window slides: after a full reservoir of 5ms samples the old ones
	// are gone, while the count stays cumulative.
	for range reservoirSize {
		m.ObserveOfferProcessing(5 * time.Millisecond)
	}
	p50, p99, n = m.OfferProcessingQuantiles()
	if p50 != 5*time.Millisecond || p99 != 5*time.Millisecond || n != 1000+reservoirSize {
		t.Errorf("after sliding: p50 %v p99 %v count %d", p50, p99, n)
	}
	sum := sample(t, scrape(t, m), "offers_process_seconds", dto.MetricType_SUMMARY, "kafka", nil).GetSummary()
	if sum.GetSampleCount() != uint64(1000+reservoirSize) || !near(sum.GetSampleSum(), 500.5+float64(reservoirSize)*0.005) {
		t.Errorf("summary count/sum = %d/%v", sum.GetSampleCount(), sum.GetSampleSum())
	}
	for _, q := range sum.GetQuantile() {
		if !near(q.GetValue(), 0.005) {
			t.Errorf("quantile %v = %v, want 0.005", q.GetQuantile(), q.GetValue())
		}
	}

	// Negative durations are clamped to zero.
	m2 := New("kafka")
	m2.ObserveOfferProcessing(-time.Second)
	if p50, _, _ := m2.OfferProcessingQuantiles(); p50 != 0 {
		t.Errorf("negative sample p50 = %v", p50)
	}
}

func TestPlanStatusValue(t *testing.T) {
	cases := map[string]int{
		"ERROR": -1, "COMPLETE": 0, "WAITING": 1, "PENDING": 1,
		"IN_PROGRESS": 2, "PREPARED": 2, "STARTING": 2, "STARTED": 2, "DELAYED": 2, "in_progress": 2,
	}
	for status, want := range cases {
		if got, ok := planStatusValue(status); !ok || got != want {
			t.Errorf("planStatusValue(%q) = %d, %v; want %d", status, got, ok, want)
		}
	}
	if _, ok := planStatusValue("SOMETHING"); ok {
		t.Error("unknown status accepted")
	}
}

// TestConcurrentUse exercises every method and both handlers in parallel; run
// with -race.
func TestConcurrentUse(t *testing.T) {
	m := New("kafka")
	const workers, iterations = 8, 200
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range iterations {
				m.OffersReceived(1)
				m.OffersProcessed(1)
				m.ObserveOfferProcessing(time.Duration(i) * time.Microsecond)
				m.DeclinedLong(1)
				m.DeclinedShort(1)
				m.Revived()
				m.ReviveThrottled()
				m.Suppressed()
				m.SetSuppressed(i%2 == 0)
				m.Operation("reserve")
				m.TaskStatus("TASK_RUNNING")
				m.SetPlanStatus("deploy", "IN_PROGRESS")
				if i%50 == 0 {
					rec := httptest.NewRecorder()
					m.JSONHandler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/v1/metrics", nil))
					rec = httptest.NewRecorder()
					m.PrometheusHandler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/v1/metrics/prometheus", nil))
					_, _, _ = m.OfferProcessingQuantiles()
				}
			}
		}()
	}
	wg.Wait()
	doc := getJSON(t, m)
	const total = workers * iterations
	for _, name := range []string{"offers.received", "offers.processed", "revives", "operation.reserve", "task_status.task_running"} {
		if got := count(t, doc, name); got != total {
			t.Errorf("%s = %v, want %d", name, got, total)
		}
	}
	if _, _, n := m.OfferProcessingQuantiles(); n != total {
		t.Errorf("timer count = %d, want %d", n, total)
	}
}
