package metrics

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// TestRecoveryCounters: recoveries are counted by kind, as
// recovery.<kind> in the JSON document and recovery_total{kind} in the
// Prometheus exposition.
func TestRecoveryCounters(t *testing.T) {
	m := New("kafka")
	m.Recovery("relaunch")
	m.Recovery("relaunch")
	m.Recovery("Replace")
	m.Recovery(" ")
	if got := m.RecoveryCount("relaunch"); got != 2 {
		t.Errorf("relaunch count %d, want 2", got)
	}
	if got := m.RecoveryCount("replace"); got != 1 {
		t.Errorf("replace count %d, want 1", got)
	}
	doc := getJSON(t, m)
	if c, ok := doc["counters"]["recovery.relaunch"].(map[string]any); !ok || c["count"] != float64(2) {
		t.Errorf("JSON counter recovery.relaunch = %v", doc["counters"]["recovery.relaunch"])
	}
	rec := httptest.NewRecorder()
	m.PrometheusHandler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/v1/metrics/prometheus", nil))
	if !strings.Contains(rec.Body.String(), `recovery_total{kind="replace",service="kafka"} 1`) {
		t.Errorf("Prometheus exposition lacks recovery_total for replace:\n%s", rec.Body)
	}
}
