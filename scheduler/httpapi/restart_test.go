package httpapi

import (
	"net/http"
	"slices"
	"testing"

	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/api"
	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/service"
)

func TestRestartPodAndBroker(t *testing.T) {
	b := newFakeBackend()
	c := newTestClient(t, b)
	ctx := testContext(t)
	fs := b.svcs["kafka"]

	got, err := c.RestartPod(ctx, "kafka", "kafka-0")
	if err != nil || got.Pod != "kafka-0" || !slices.Equal(got.Tasks, []string{"kafka-0-broker"}) {
		t.Fatalf("RestartPod = %+v, %v", got, err)
	}
	want := service.PlanCommand{Plan: "deploy", Command: service.CommandRestart, Phase: "broker", Step: "kafka-0:[broker]"}
	if len(fs.cmds) != 1 || fs.cmds[0].Plan != want.Plan || fs.cmds[0].Command != want.Command || fs.cmds[0].Phase != want.Phase || fs.cmds[0].Step != want.Step {
		t.Fatalf("commands = %+v, want %+v", fs.cmds, want)
	}

	ids, err := c.RestartBroker(ctx, "kafka", 1)
	if err != nil || !slices.Equal(ids, []string{"kafka__kafka-1-broker__2"}) {
		t.Fatalf("RestartBroker = %v, %v", ids, err)
	}
	if len(fs.cmds) != 2 || fs.cmds[1].Step != "kafka-1:[broker]" {
		t.Fatalf("commands = %+v", fs.cmds)
	}

	if _, err := c.RestartPod(ctx, "kafka", "kafka-9"); !api.IsNotFound(err) {
		t.Errorf("unknown pod: %v", err)
	}
	if _, err := c.RestartBroker(ctx, "kafka", 9); !api.IsNotFound(err) {
		t.Errorf("unknown broker: %v", err)
	}
	rec := do(t, NewHandler(Config{Backend: b}), "PUT", "/service/kafka/v1/brokers/0?replace=true", "", "")
	wantStatus(t, rec, http.StatusNotImplemented)
	rec = do(t, NewHandler(Config{Backend: b}), "PUT", "/service/kafka/v1/brokers/x", "", "")
	wantStatus(t, rec, http.StatusBadRequest)
	if len(fs.cmds) != 2 {
		t.Errorf("a refused request ran a command: %+v", fs.cmds)
	}
}
