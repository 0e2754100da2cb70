package httpapi

import (
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/api"
)

func TestRestartPodAndBroker(t *testing.T) {
	b := newFakeBackend()
	c := newTestClient(t, b)
	ctx := testContext(t)
	fs := b.svcs["kafka"]

	got, err := c.RestartPod(ctx, "kafka", "kafka-0", api.RestartOptions{})
	if err != nil || got.Pod != "kafka-0" || !slices.Equal(got.Tasks, []string{"kafka-0-broker"}) || got.Forced || got.Warning != "" {
		t.Fatalf("RestartPod = %+v, %v", got, err)
	}
	ids, err := c.RestartBroker(ctx, "kafka", 1, api.RestartOptions{})
	if err != nil || !slices.Equal(ids, []string{"kafka__kafka-1-broker__2"}) {
		t.Fatalf("RestartBroker = %v, %v", ids, err)
	}
	want := []fakeRestart{{Pod: "kafka-0"}, {Pod: "kafka-1"}}
	if !slices.Equal(fs.restarts, want) {
		t.Fatalf("restarts = %+v, want %+v", fs.restarts, want)
	}

	if _, err := c.RestartPod(ctx, "kafka", "kafka-9", api.RestartOptions{}); !api.IsNotFound(err) {
		t.Errorf("unknown pod: %v", err)
	}
	if _, err := c.RestartBroker(ctx, "kafka", 9, api.RestartOptions{}); !api.IsNotFound(err) {
		t.Errorf("unknown broker: %v", err)
	}
	h := NewHandler(Config{Backend: b})
	wantStatus(t, do(t, h, "PUT", "/service/kafka/v1/brokers/0?replace=maybe", "", ""), http.StatusBadRequest)
	wantStatus(t, do(t, h, "PUT", "/service/kafka/v1/brokers/x", "", ""), http.StatusBadRequest)
	rec := do(t, h, "POST", "/service/kafka/v1/pod/kafka-0/restart?force=yes", "", "")
	wantStatus(t, rec, http.StatusBadRequest)
	if !strings.Contains(rec.Body.String(), "force=true") {
		t.Errorf("a bad force value's error does not say what to use: %s", rec.Body)
	}
	if len(fs.restarts) != 2 {
		t.Errorf("a refused request restarted a pod: %+v", fs.restarts)
	}
}

// TestForcedRestartSaysTheGateWasSkipped: ?force=true reaches the service
// as a forced restart, and both answers say the gate was skipped (the
// broker answer in a Warning header, keeping DC/OS's body).
func TestForcedRestartSaysTheGateWasSkipped(t *testing.T) {
	b := newFakeBackend()
	c := newTestClient(t, b)
	ctx := testContext(t)
	fs := b.svcs["kafka"]

	got, err := c.RestartPod(ctx, "kafka", "kafka-0", api.RestartOptions{Force: true})
	if err != nil || !got.Forced || !strings.Contains(got.Warning, "restart gate was skipped") {
		t.Fatalf("forced RestartPod = %+v, %v", got, err)
	}
	rec := do(t, NewHandler(Config{Backend: b}), "PUT", "/service/kafka/v1/brokers/1?force=true", "", "")
	wantStatus(t, rec, http.StatusOK)
	if w := rec.Header().Get("Warning"); !strings.HasPrefix(w, `299 - "`) || !strings.Contains(w, "restart gate was skipped") {
		t.Errorf("forced broker restart Warning header = %q", w)
	}
	if !strings.HasPrefix(strings.TrimSpace(rec.Body.String()), "[") {
		t.Errorf("forced broker restart body %s is not DC/OS's list of task ids", rec.Body)
	}
	want := []fakeRestart{{Pod: "kafka-0", Force: true}, {Pod: "kafka-1", Force: true}}
	if !slices.Equal(fs.restarts, want) {
		t.Fatalf("restarts = %+v, want %+v", fs.restarts, want)
	}
}
