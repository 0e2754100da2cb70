package service_test

import (
	"context"
	"strings"
	"sync/atomic"
	"testing"

	mesos "github.com/mesos/mesos-go/api/v1/lib"
	"github.com/mesos/mesos-go/api/v1/lib/scheduler"

	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/configstore"
	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/plan"
	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/service"
	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/service/servicetest"
	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/state"
)

// assertFailed checks that the service reports itself failed: its deploy
// plan in ERROR with an error containing want, its health in ERROR.
func assertFailed(t *testing.T, svc *service.Service, want string) {
	t.Helper()
	if svc.Failure() == "" {
		t.Fatal("the service does not report a failure")
	}
	info, err := svc.PlanInfo(plan.DeployPlanName)
	if err != nil {
		t.Fatal(err)
	}
	if info.Status != plan.Error || len(info.Errors) == 0 || !strings.Contains(strings.Join(info.Errors, " "), want) {
		t.Fatalf("deploy plan %s, want ERROR with an error naming %q", planText(info), want)
	}
	if info.HTTPStatus() != 417 {
		t.Fatalf("plan HTTP status %d, want 417", info.HTTPStatus())
	}
	if h := svc.Health(); h.Code != 500 || !strings.Contains(strings.Join(h.Reasons, " "), want) {
		t.Fatalf("health %+v, want 500 naming %q", h, want)
	}
	if d := svc.Detail(); d.Status != plan.Error {
		t.Fatalf("detail status %s, want ERROR", d.Status)
	}
}

// TestUndecodableTargetOpensFailedAndUninstalls: a target configuration
// that is not JSON opens the service failed instead of failing Open; the
// failed service subscribes, launches nothing, and uninstalls.
func TestUndecodableTargetOpensFailedAndUninstalls(t *testing.T) {
	f := newFixture(t, `{"brokers": {"count": 1}}`)
	f.stop()
	f.waitStopped()
	id, err := f.inner.Get(f.ctx, configstore.KeyTarget)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.inner.Set(f.ctx, configstore.Key(string(id.Value)), []byte(`{"name": "kafka", "options": {"brokers": {"count": "many"`)); err != nil {
		t.Fatal(err)
	}
	f.master = servicetest.NewMaster(f.journal)
	svc, err := service.Open(f.ctx, f.config())
	if err != nil {
		t.Fatalf("Open of a service with a broken target: %v, want a failed service", err)
	}
	f.svc = svc
	f.run()
	assertFailed(t, svc, "decoding the target configuration")

	f.offers(servicetest.NewAgent(1))
	f.waitCalls(scheduler.Call_DECLINE, 1)
	if got := f.master.Launches(); len(got) != 0 {
		t.Fatalf("a failed service launched %d tasks", len(got))
	}

	if err := svc.Uninstall(f.ctx); err != nil {
		t.Fatal(err)
	}
	f.waitCalls(scheduler.Call_TEARDOWN, 1)
	f.waitFor("the state deleted", func() (bool, string) { return svc.Removed(), "" })
	if keys, err := f.inner.Children(f.ctx, state.RootKey); err != nil || len(keys) != 0 {
		t.Fatalf("state left after the uninstall: %v %v", keys, err)
	}
}

// panicStore panics once on the first write of a task status after it is
// armed.
type panicStore struct {
	state.Store
	armed atomic.Bool
}

func (p *panicStore) Set(ctx context.Context, key string, value []byte) error {
	if strings.HasSuffix(key, "TaskStatus") && p.armed.CompareAndSwap(true, false) {
		panic("injected fault in a status write")
	}
	return p.Store.Set(ctx, key, value)
}

// TestPanicInAJobIsContained: a panic in one of the service goroutine's
// jobs fails the service (plan ERROR and health name it) instead of the
// process; the goroutine goes on, so the uninstall still kills the broker.
func TestPanicInAJobIsContained(t *testing.T) {
	f := newFixture(t, `{"brokers": {"count": 1}}`)
	f.stop()
	f.waitStopped()
	faulty := &panicStore{Store: f.store}
	f.master = servicetest.NewMaster(f.journal)
	cfg := f.config()
	cfg.Store = faulty
	svc, err := service.Open(f.ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	f.svc = svc
	f.run()
	f.offers(servicetest.NewAgent(1))
	launch := f.launches(1)[0]

	faulty.armed.Store(true)
	err = f.master.Update(f.ctx, servicetest.Status(launch.TaskID(), launch.AgentID(), mesos.TASK_RUNNING, true))
	if err == nil || !strings.Contains(err.Error(), "internal error") {
		t.Fatalf("the panicking status job answered %v, want an internal error", err)
	}
	assertFailed(t, svc, "injected fault")
	select {
	case <-f.current.done:
		t.Fatalf("the service stopped after the panic: %v", f.current.err)
	default:
	}

	// The status is delivered again and stored; the uninstall kills the
	// broker.
	f.update(servicetest.Status(launch.TaskID(), launch.AgentID(), mesos.TASK_RUNNING, true))
	if err := svc.Uninstall(f.ctx); err != nil {
		t.Fatal(err)
	}
	kills := f.waitCalls(scheduler.Call_KILL, 1)
	if got := kills[0].Call.GetKill().GetTaskID().Value; got != launch.TaskID() {
		t.Fatalf("killed %s, want %s", got, launch.TaskID())
	}
}
