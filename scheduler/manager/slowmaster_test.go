package manager_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/api"
	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/httpapi"
)

// slowTransport delays every request by delay before sending it: a master
// that takes that long to answer each call (SUBSCRIBE included).
type slowTransport struct {
	next  http.RoundTripper
	delay time.Duration
}

func (t slowTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	timer := time.NewTimer(t.delay)
	defer timer.Stop()
	select {
	case <-r.Context().Done():
		return nil, r.Context().Err()
	case <-timer.C:
	}
	return t.next.RoundTrip(r)
}

// readEndpoints calls every read endpoint of the REST API for one service
// once and returns each call's latency. Answers that say something does
// not exist yet (a 404 before the first launch) count: the endpoint
// answered; any other failure fails the test.
func readEndpoints(t *testing.T, c *api.Client, name string) []time.Duration {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	reads := []struct {
		what string
		call func() error
	}{
		{"GET /v1/services", func() error { _, err := c.Services(ctx); return err }},
		{"GET /v1/services/{name}", func() error { _, err := c.GetService(ctx, name); return err }},
		{"plans", func() error { _, err := c.PlanNames(ctx, name); return err }},
		{"plans/deploy", func() error { _, err := c.Plan(ctx, name, "deploy"); return err }},
		{"pod", func() error { _, err := c.PodNames(ctx, name); return err }},
		{"pod/status", func() error { _, err := c.PodsStatus(ctx, name); return err }},
		{"pod/kafka-0/status", func() error { _, err := c.PodStatus(ctx, name, "kafka-0"); return err }},
		{"pod/kafka-0/info", func() error { _, err := c.PodInfo(ctx, name, "kafka-0"); return err }},
		{"endpoints", func() error { _, err := c.EndpointNames(ctx, name); return err }},
		{"endpoints/broker", func() error { _, err := c.Endpoint(ctx, name, "broker"); return err }},
		{"endpoints/zookeeper", func() error { _, err := c.EndpointText(ctx, name, "zookeeper"); return err }},
		{"configurations", func() error { _, err := c.ConfigurationIDs(ctx, name); return err }},
		{"configurations/targetId", func() error { _, err := c.TargetConfigurationID(ctx, name); return err }},
		{"configurations/target", func() error {
			id, err := c.TargetConfigurationID(ctx, name)
			if err == nil {
				_, err = c.Configuration(ctx, name, id)
			}
			return err
		}},
		{"state/frameworkId", func() error { _, err := c.FrameworkID(ctx, name); return err }},
		{"state/properties", func() error { _, err := c.PropertyNames(ctx, name); return err }},
		{"state/properties/suppressed", func() error { _, err := c.Property(ctx, name, "suppressed"); return err }},
		{"health", func() error { _, err := c.Health(ctx, name); return err }},
		{"debug/offers", func() error { _, err := c.OfferOutcomes(ctx, name); return err }},
	}
	out := make([]time.Duration, 0, len(reads))
	for _, r := range reads {
		start := time.Now()
		err := r.call()
		out = append(out, time.Since(start))
		if err != nil && api.StatusOf(err) != http.StatusNotFound {
			t.Errorf("%s: %v", r.what, err)
		}
	}
	return out
}

// TestReadsAnswerPromptlyWhileTheMasterIsSlow: every Mesos call the
// scheduler makes takes 2s; while a 2-broker service deploys through them,
// every read endpoint of the REST API keeps answering at once (from the
// service's published view), and the deploy still completes.
func TestReadsAnswerPromptlyWhileTheMasterIsSlow(t *testing.T) {
	const delay = 2 * time.Second
	h := newHarness(t, harnessOptions{agents: 3, transport: slowTransport{next: http.DefaultTransport, delay: delay}})
	srv := httptest.NewServer(httpapi.NewHandler(httpapi.Config{Backend: httpapi.ForManager(h.mgr)}))
	t.Cleanup(srv.Close)
	client, err := api.NewClient(api.ClientConfig{Endpoint: srv.URL, MaxRetries: -1})
	if err != nil {
		t.Fatal(err)
	}
	h.install("kafka", `{"brokers": {"count": 2}, "service": {"placement_strategy": "NODE"}}`)

	var mu sync.Mutex
	var latencies []time.Duration
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for range 2 { // two readers, as a CLI and the provider might poll
		wg.Go(func() {
			// A round every 20ms: readers that never pause would take
			// the two CPUs the brokers start on.
			pace := time.NewTicker(20 * time.Millisecond)
			defer pace.Stop()
			for {
				select {
				case <-stop:
					return
				case <-pace.C:
				}
				got := readEndpoints(t, client, "kafka")
				mu.Lock()
				latencies = append(latencies, got...)
				mu.Unlock()
			}
		})
	}
	h.waitDeployed("kafka", 5*time.Minute)
	close(stop)
	wg.Wait()

	slices.Sort(latencies)
	if len(latencies) == 0 {
		t.Fatal("no reads were made")
	}
	p := func(q float64) time.Duration { return latencies[int(q*float64(len(latencies)-1))] }
	t.Logf("%d reads during the deploy with every Mesos call delayed %s: p50 %s, p99 %s, max %s",
		len(latencies), delay, p(0.5), p(0.99), latencies[len(latencies)-1])
	if p99 := p(0.99); p99 >= 500*time.Millisecond {
		t.Errorf("read p99 %s while the master is slow; reads must not wait for Mesos calls (%s each)", p99, delay)
	}
	if tasks := h.runningTasks("kafka"); len(tasks) != 2 {
		t.Fatalf("running tasks after the slow deploy: %v, want 2", tasks)
	}
}
