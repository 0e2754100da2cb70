package manager_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/api"
	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/httpapi"
	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/kafka/admin"
)

// TestTopicsOfADeployedService drives the topic API of a real service (the
// local Mesos, stand-in broker processes launched by the scheduler) through
// the HTTP server and api.Client: 503 while the service deploys, topics
// once it runs, one admin connection kept across requests and closed when
// the service is uninstalled.
func TestTopicsOfADeployedService(t *testing.T) {
	h := newHarness(t, harnessOptions{agents: 3})
	srv := httptest.NewServer(httpapi.NewHandler(httpapi.Config{Backend: httpapi.ForManager(h.mgr)}))
	t.Cleanup(srv.Close)
	c, err := api.NewClient(api.ClientConfig{Endpoint: srv.URL, MaxRetries: -1})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()

	h.install("kafka", `{"brokers": {"count": 2}}`)
	_, err = c.Topics(ctx, "kafka")
	if api.StatusOf(err) != http.StatusServiceUnavailable || !strings.Contains(err.Error(), "service kafka") || !strings.Contains(err.Error(), "deploy plan") {
		t.Errorf("topics of a service that is deploying: %v, want a 503 saying so", err)
	}
	h.waitDeployed("kafka", 90*time.Second)

	if _, created, err := c.CreateTopic(ctx, "kafka", api.TopicSpec{Name: "orders", Partitions: 4, ReplicationFactor: 2, Configs: map[string]string{"retention.ms": "60000"}}); err != nil || !created {
		t.Fatalf("create: %v %v", err, created)
	}
	topics, err := c.Topics(ctx, "kafka")
	if err != nil || len(topics) != 1 || topics[0].Partitions != 4 || topics[0].Configs["retention.ms"] != "60000" || len(topics[0].Configs) != 1 {
		t.Fatalf("bulk read: %v %+v", err, topics)
	}
	ids, err := c.BrokerIDs(ctx, "kafka")
	if err != nil || strings.Join(ids, ",") != "0,1" {
		t.Errorf("brokers: %v %v", ids, err)
	}
	b0, err := c.Broker(ctx, "kafka", 0)
	if err != nil || b0.TaskName != "kafka-0-broker" || b0.TaskState != "RUNNING" || b0.AgentID == "" || !b0.Controller {
		t.Errorf("broker 0: %+v %v", b0, err)
	}

	if kcat, err := exec.LookPath("kcat"); err == nil {
		out, err := exec.CommandContext(ctx, kcat, "-b", b0.Endpoints[0][len("PLAINTEXT://"):], "-L", "-t", "orders").CombinedOutput()
		if err != nil || !strings.Contains(string(out), `topic "orders" with 4 partitions`) {
			t.Errorf("kcat -L: %v\n%s", err, out)
		}
	}

	first, err := h.mgr.Kafka(ctx, "kafka")
	if err != nil {
		t.Fatal(err)
	}
	if again, _ := h.mgr.Kafka(ctx, "kafka"); again != first {
		t.Error("every request must reuse the service's admin connection")
	}
	if err := h.mgr.DeleteService(ctx, "kafka", ""); err != nil {
		t.Fatal(err)
	}
	if _, err := first.ListTopics(ctx); admin.KindOf(err) != admin.KindUnavailable {
		t.Errorf("the connection must be closed on uninstall; a call on it answered %v", err)
	}
	_, err = c.Topics(ctx, "kafka")
	if !api.IsConflict(err) && !api.IsNotFound(err) {
		t.Errorf("topics of an uninstalling service: %v", err)
	}
	if _, err := h.mgr.Kafka(ctx, "kafka"); err == nil {
		t.Error("no admin connection for an uninstalling service")
	} else if !strings.Contains(err.Error(), "uninstalled") && !strings.Contains(err.Error(), "not found") {
		t.Errorf("Kafka while uninstalling: %v", err)
	}
	h.waitGone("kafka", 60*time.Second)
}
