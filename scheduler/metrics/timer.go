package metrics

import (
	"math"
	"slices"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// summaryQuantiles are the quantiles the Prometheus summary exposes.
var summaryQuantiles = []float64{0.5, 0.75, 0.95, 0.99, 0.999}

// timer is a codahale-style timer: a cumulative count and sum plus a sliding
// window reservoir of the last reservoirSize durations. It is also the
// Prometheus collector of the summary built from that window, so every view of
// the timer is computed from the same samples.
type timer struct {
	desc *prometheus.Desc

	mu      sync.Mutex
	count   uint64
	sum     time.Duration // cumulative, for the Prometheus _sum
	samples [reservoirSize]time.Duration
	next    int // ring index of the next write
	filled  int // number of valid samples, <= reservoirSize
}

func newTimer(desc *prometheus.Desc) *timer { return &timer{desc: desc} }

func (t *timer) observe(d time.Duration) {
	if d < 0 {
		d = 0
	}
	t.mu.Lock()
	t.count++
	t.sum += d
	t.samples[t.next] = d
	t.next = (t.next + 1) % reservoirSize
	if t.filled < reservoirSize {
		t.filled++
	}
	t.mu.Unlock()
}

// timerSnapshot is a consistent copy of a timer: cumulative count and sum, and
// the window's samples sorted ascending.
type timerSnapshot struct {
	count  uint64
	sum    time.Duration
	sorted []time.Duration
}

func (t *timer) snapshot() timerSnapshot {
	t.mu.Lock()
	s := timerSnapshot{
		count:  t.count,
		sum:    t.sum,
		sorted: slices.Clone(t.samples[:t.filled]),
	}
	t.mu.Unlock()
	slices.Sort(s.sorted)
	return s
}

// quantile returns the q-quantile of the window in nanoseconds, interpolated
// as codahale's UniformSnapshot.getValue does; 0 for an empty window.
func (s timerSnapshot) quantile(q float64) float64 {
	n := len(s.sorted)
	if n == 0 {
		return 0
	}
	pos := q * float64(n+1)
	i := int(pos)
	if i < 1 {
		return float64(s.sorted[0])
	}
	if i >= n {
		return float64(s.sorted[n-1])
	}
	lower, upper := float64(s.sorted[i-1]), float64(s.sorted[i])
	return lower + (pos-math.Floor(pos))*(upper-lower)
}

func (s timerSnapshot) quantileDuration(q float64) time.Duration {
	return time.Duration(math.Round(s.quantile(q)))
}

// meanStddev returns the window's mean and sample standard deviation in
// nanoseconds (codahale: stddev 0 for fewer than two samples).
func (s timerSnapshot) meanStddev() (mean, stddev float64) {
	n := len(s.sorted)
	if n == 0 {
		return 0, 0
	}
	var total float64
	for _, v := range s.sorted {
		total += float64(v)
	}
	mean = total / float64(n)
	if n == 1 {
		return mean, 0
	}
	var sq float64
	for _, v := range s.sorted {
		d := float64(v) - mean
		sq += d * d
	}
	return mean, math.Sqrt(sq / float64(n-1))
}

// Describe implements prometheus.Collector.
func (t *timer) Describe(ch chan<- *prometheus.Desc) { ch <- t.desc }

// Collect implements prometheus.Collector: a summary in seconds whose
// quantiles come from the window (NaN while it is empty, as client_golang's
// own summaries report) and whose count and sum are cumulative.
func (t *timer) Collect(ch chan<- prometheus.Metric) {
	s := t.snapshot()
	q := make(map[float64]float64, len(summaryQuantiles))
	for _, quant := range summaryQuantiles {
		if len(s.sorted) == 0 {
			q[quant] = math.NaN()
		} else {
			q[quant] = s.quantile(quant) / float64(time.Second)
		}
	}
	ch <- prometheus.MustNewConstSummary(t.desc, s.count, s.sum.Seconds(), q)
}
