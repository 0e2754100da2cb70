package metrics

import (
	"encoding/json"
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus/promhttp"
	dto "github.com/prometheus/client_model/go"
)

// jsonVersion is the "version" field of the JSON document.
const jsonVersion = "4.0.0"

// jsonDocument is the codahale/Dropwizard MetricsServlet JSON document.
type jsonDocument struct {
	Version    string               `json:"version"`
	Gauges     map[string]jsonGauge `json:"gauges"`
	Counters   map[string]jsonCount `json:"counters"`
	Histograms map[string]struct{}  `json:"histograms"`
	Meters     map[string]struct{}  `json:"meters"`
	Timers     map[string]jsonTimer `json:"timers"`
}

type jsonGauge struct {
	Value any `json:"value"`
}

type jsonCount struct {
	Count int64 `json:"count"`
}

// jsonTimer is a codahale timer; durations are in seconds.
type jsonTimer struct {
	Count         uint64  `json:"count"`
	Max           float64 `json:"max"`
	Mean          float64 `json:"mean"`
	Min           float64 `json:"min"`
	P50           float64 `json:"p50"`
	P75           float64 `json:"p75"`
	P95           float64 `json:"p95"`
	P98           float64 `json:"p98"`
	P99           float64 `json:"p99"`
	P999          float64 `json:"p999"`
	Stddev        float64 `json:"stddev"`
	DurationUnits string  `json:"duration_units"`
	RateUnits     string  `json:"rate_units"`
}

// document builds the current JSON document. The fixed counters, the
// is_suppressed gauge and the offers.process timer are always present;
// operation.*, task_status.* and plan_status.* appear once used.
func (m *Metrics) document() jsonDocument {
	doc := jsonDocument{
		Version:    jsonVersion,
		Gauges:     map[string]jsonGauge{},
		Counters:   map[string]jsonCount{},
		Histograms: map[string]struct{}{},
		Meters:     map[string]struct{}{},
		Timers:     map[string]jsonTimer{},
	}
	for _, fc := range m.fixedCounters() {
		doc.Counters[fc.name] = jsonCount{Count: counterValue(fc.c)}
	}
	eachLabelled(m.operations, "type", func(v string, d *dto.Metric) {
		doc.Counters[prefixOperation+v] = jsonCount{Count: dtoCount(d)}
	})
	eachLabelled(m.taskStatus, "state", func(v string, d *dto.Metric) {
		doc.Counters[prefixTaskStatus+v] = jsonCount{Count: dtoCount(d)}
	})
	eachLabelled(m.recoveries, "kind", func(v string, d *dto.Metric) {
		doc.Counters[prefixRecovery+v] = jsonCount{Count: dtoCount(d)}
	})

	doc.Gauges[nameIsSuppressed] = jsonGauge{Value: gaugeValue(m.isSuppressed) != 0}
	eachLabelled(m.planStatus, "plan", func(v string, d *dto.Metric) {
		doc.Gauges[prefixPlanStatus+v] = jsonGauge{Value: int(d.GetGauge().GetValue())}
	})

	doc.Timers[nameOffersProcess] = m.offersProcess.snapshot().json()
	return doc
}

func (s timerSnapshot) json() jsonTimer {
	sec := func(ns float64) float64 { return ns / float64(time.Second) }
	t := jsonTimer{
		Count:         s.count,
		P50:           sec(s.quantile(0.5)),
		P75:           sec(s.quantile(0.75)),
		P95:           sec(s.quantile(0.95)),
		P98:           sec(s.quantile(0.98)),
		P99:           sec(s.quantile(0.99)),
		P999:          sec(s.quantile(0.999)),
		DurationUnits: "seconds",
		RateUnits:     "calls/second",
	}
	if n := len(s.sorted); n > 0 {
		t.Min = s.sorted[0].Seconds()
		t.Max = s.sorted[n-1].Seconds()
	}
	mean, stddev := s.meanStddev()
	t.Mean, t.Stddev = sec(mean), sec(stddev)
	return t
}

// JSONHandler serves the metrics as a codahale MetricsServlet JSON document
// (GET /v1/metrics). GET and HEAD only; ?pretty=true indents the output.
func (m *Metrics) JSONHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
			return
		}
		var (
			body []byte
			err  error
		)
		doc := m.document()
		if pretty, _ := strconv.ParseBool(r.URL.Query().Get("pretty")); pretty {
			body, err = json.MarshalIndent(doc, "", "  ")
		} else {
			body, err = json.Marshal(doc)
		}
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Cache-Control", "must-revalidate,no-cache,no-store")
		w.WriteHeader(http.StatusOK)
		if r.Method == http.MethodGet {
			_, _ = w.Write(append(body, '\n'))
		}
	})
}

// PrometheusHandler serves the metrics in the Prometheus exposition formats
// (GET /v1/metrics/prometheus) from the service's own registry.
func (m *Metrics) PrometheusHandler() http.Handler {
	return promhttp.HandlerFor(m.registry, promhttp.HandlerOpts{
		ErrorHandling: promhttp.ContinueOnError,
	})
}
