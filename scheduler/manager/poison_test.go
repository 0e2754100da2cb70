package manager_test

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/configstore"
	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/plan"
	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/service"
	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/spec"
	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/state"
)

// poisonTarget rewrites the stored target configuration of a service in
// place, as a bad write or a hand edit of the state store would, setting
// its broker count to one that no plan may allocate for.
func poisonTarget(t *testing.T, store state.Store, name string) {
	t.Helper()
	ctx := context.Background()
	sub := state.Sub(store, spec.ServiceKey(name))
	id, err := sub.Get(ctx, configstore.KeyTarget)
	if err != nil {
		t.Fatal(err)
	}
	node, err := sub.Get(ctx, configstore.Key(string(id.Value)))
	if err != nil {
		t.Fatal(err)
	}
	var target map[string]any
	if err := json.Unmarshal(node.Value, &target); err != nil {
		t.Fatal(err)
	}
	options := target["options"].(map[string]any)
	options["brokers"].(map[string]any)["count"] = 2147483647
	options["kafka"].(map[string]any)["reserved_broker_max_id"] = 2147483646
	poisoned, _ := json.Marshal(target)
	if err := sub.Set(ctx, configstore.Key(string(id.Value)), poisoned); err != nil {
		t.Fatal(err)
	}
}

// TestPoisonedConfigurationDoesNotTakeTheSchedulerDown is issue 15's check:
// a deployed service's target configuration is poisoned in the state store
// and the scheduler restarted on that state. The scheduler starts; the
// poisoned service is listed with its deploy plan in ERROR and its health
// in ERROR, saying why; another service deploys beside it and serves Kafka;
// the poisoned one uninstalls (its broker killed, its reservations released,
// its state deleted).
func TestPoisonedConfigurationDoesNotTakeTheSchedulerDown(t *testing.T) {
	h := newHarness(t, harnessOptions{agents: 4})
	ctx := context.Background()
	h.install("poisoned", `{"brokers": {"count": 1}}`)
	h.waitDeployed("poisoned", 60*time.Second)

	h.stopMgr()
	poisonTarget(t, h.store, "poisoned")
	h.startManager()

	list, err := h.mgr.Services(ctx)
	if err != nil || len(list) != 1 || list[0].Name != "poisoned" {
		t.Fatalf("services after the restart: %v %v, want the poisoned one listed", list, err)
	}
	detail, err := h.mgr.GetService(ctx, "poisoned")
	if err != nil {
		t.Fatal(err)
	}
	reason := strings.Join(detail.Plan.Errors, " ")
	if detail.Status != plan.Error || !strings.Contains(reason, "brokers.count") {
		t.Fatalf("poisoned service: status %s, errors %q; want ERROR naming brokers.count", detail.Status, reason)
	}
	svc, _ := h.mgr.Service("poisoned")
	if info, _ := svc.PlanInfo(plan.DeployPlanName); info.HTTPStatus() != 417 {
		t.Fatalf("deploy plan answers %d, want 417: %s", info.HTTPStatus(), planSummary(info))
	}
	if hl := svc.Health(); hl.Code != 500 || !strings.Contains(strings.Join(hl.Reasons, " "), "brokers.count") {
		t.Fatalf("health %+v, want 500 naming brokers.count", hl)
	}
	if _, err := h.mgr.PutService(ctx, "poisoned", []byte(`{"brokers": {"count": 1}}`), ""); !errors.Is(err, service.ErrConflict) {
		t.Fatalf("update of the failed service: %v, want a conflict", err)
	}
	// Its broker is left alone: the failed service changes nothing.
	if tasks := h.runningTasks("poisoned"); len(tasks) != 1 {
		t.Fatalf("the poisoned service's tasks: %v, want its one broker still running", tasks)
	}

	h.install("healthy", `{"brokers": {"count": 3}}`)
	h.waitDeployed("healthy", 90*time.Second)
	healthy, _ := h.mgr.Service("healthy")
	broker, err := healthy.Endpoint("broker")
	if err != nil {
		t.Fatal(err)
	}
	produceAndConsume(t, broker.Address)

	if err := h.mgr.DeleteService(ctx, "poisoned", ""); err != nil {
		t.Fatal(err)
	}
	h.waitGone("poisoned", 60*time.Second)
	h.waitFor("the poisoned service's broker killed and reservations released", 30*time.Second, func() (bool, string) {
		tasks, left := h.runningTasks("poisoned"), h.reservations("poisoned-role")
		return len(tasks) == 0 && len(left) == 0, strings.Join(append(tasks, left...), "; ")
	})
	if keys, _ := h.store.Children(ctx, state.RootKey); contains(keys, spec.ServiceKey("poisoned")) {
		t.Fatalf("the poisoned service's state is left: %v", keys)
	}
	if d, err := h.mgr.GetService(ctx, "healthy"); err != nil || d.Status != plan.Complete {
		t.Fatalf("the healthy service after the uninstall: %+v %v", d.Status, err)
	}
}
