package httpapi

import (
	"net/http"
	"slices"
	"strings"
	"testing"
)

// TestReplacePodAndBroker: pod replace answers the replaced task names and
// the data-loss warning; DC/OS's PUT /v1/brokers/{id}?replace=true answers
// the task ids; both reach the service as a replace, and bad requests
// change nothing.
func TestReplacePodAndBroker(t *testing.T) {
	b := newFakeBackend()
	c := newTestClient(t, b)
	ctx := testContext(t)
	fs := b.svcs["kafka"]

	got, err := c.ReplacePod(ctx, "kafka", "kafka-0")
	if err != nil || got.Pod != "kafka-0" || !slices.Equal(got.Tasks, []string{"kafka-0-broker"}) || !strings.Contains(got.Warning, "local data is lost") {
		t.Fatalf("ReplacePod = %+v, %v", got, err)
	}
	ids, err := c.ReplaceBroker(ctx, "kafka", 1)
	if err != nil || !slices.Equal(ids, []string{"kafka__kafka-1-broker__2"}) {
		t.Fatalf("ReplaceBroker = %v, %v", ids, err)
	}
	h := NewHandler(Config{Backend: b})
	rec := do(t, h, "PUT", "/service/kafka/v1/brokers/0?replace=true", "", "")
	wantStatus(t, rec, http.StatusOK)
	if !strings.Contains(rec.Header().Get("Warning"), "rebuilds its partitions from the other replicas") {
		t.Errorf("broker replace Warning header %q", rec.Header().Get("Warning"))
	}
	if want := []string{"replace kafka-0", "replace kafka-1", "replace kafka-0"}; !slices.Equal(fs.goals, want) {
		t.Fatalf("service calls %v, want %v", fs.goals, want)
	}
	if _, err := c.ReplacePod(ctx, "kafka", "kafka-9"); err == nil || !strings.Contains(err.Error(), "kafka-9") {
		t.Errorf("unknown pod: %v", err)
	}
	wantStatus(t, do(t, h, "PUT", "/service/kafka/v1/brokers/0?replace=yes", "", ""), http.StatusBadRequest)
	if len(fs.goals) != 3 {
		t.Errorf("a refused request reached the service: %v", fs.goals)
	}
}

// TestPauseAndResume: pause and resume take an optional JSON list of task
// names; a bad body is a 400 and an unknown task a 404, both changing
// nothing.
func TestPauseAndResume(t *testing.T) {
	b := newFakeBackend()
	c := newTestClient(t, b)
	ctx := testContext(t)
	fs := b.svcs["kafka"]

	if got, err := c.PausePod(ctx, "kafka", "kafka-0"); err != nil || got.Pod != "kafka-0" || !slices.Equal(got.Tasks, []string{"kafka-0-broker"}) {
		t.Fatalf("PausePod = %+v, %v", got, err)
	}
	if _, err := c.ResumePod(ctx, "kafka", "kafka-0", "broker"); err != nil {
		t.Fatalf("ResumePod: %v", err)
	}
	if _, err := c.PausePod(ctx, "kafka", "kafka-1", "kafka-1-broker"); err != nil {
		t.Fatalf("PausePod by full task name: %v", err)
	}
	h := NewHandler(Config{Backend: b})
	rec := do(t, h, "POST", "/service/kafka/v1/pod/kafka-0/pause", "", "{")
	wantStatus(t, rec, http.StatusBadRequest)
	if !strings.Contains(rec.Body.String(), "JSON array of task names") {
		t.Errorf("bad body error: %s", rec.Body)
	}
	rec = do(t, h, "POST", "/service/kafka/v1/pod/kafka-0/resume", "", `["zookeeper"]`)
	wantStatus(t, rec, http.StatusNotFound)
	if !strings.Contains(rec.Body.String(), "kafka-0-broker") {
		t.Errorf("unknown task error does not list the pod's tasks: %s", rec.Body)
	}
	wantStatus(t, do(t, h, "POST", "/service/kafka/v1/pod/kafka-9/pause", "", ""), http.StatusNotFound)
	if want := []string{"pause kafka-0", "resume kafka-0", "pause kafka-1"}; !slices.Equal(fs.goals, want) {
		t.Fatalf("service calls %v, want %v", fs.goals, want)
	}
}
