package service_test

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	mesos "github.com/mesos/mesos-go/api/v1/lib"
	"github.com/mesos/mesos-go/api/v1/lib/scheduler"

	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/plan"
	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/service"
	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/service/servicetest"
)

// TestLaunchIsNotSentWhenItsRecordCannotBeStored: the ACCEPT of a launch
// waits for its task record; when storing it fails, nothing is launched,
// the agent's offers are declined with the others in one call, and the
// next offers launch the step.
func TestLaunchIsNotSentWhenItsRecordCannotBeStored(t *testing.T) {
	f := newFixture(t, `{"brokers": {"count": 1}}`)
	f.store.FailWrites("Tasks/kafka-0-broker/TaskInfo", errInjected)
	f.offers(servicetest.NewAgent(1), servicetest.NewAgent(2))

	if accepts := f.master.Calls(scheduler.Call_ACCEPT); len(accepts) != 0 {
		t.Fatalf("ACCEPT sent although the task record was not stored: %v", accepts)
	}
	declines := f.master.Calls(scheduler.Call_DECLINE)
	if len(declines) != 1 || len(offerIDs(declines[0])) != 2 || refuseSeconds(declines[0]) != 5 {
		t.Fatalf("declines %v, want both offers in one short DECLINE", declines)
	}
	f.waitSteps(plan.Pending)
	if msg := f.deployPlan().Phases[0].Steps[0].Message; !strings.Contains(msg, "storing its task failed") {
		t.Errorf("step message %q does not say the launch was not stored", msg)
	}
	if pods, _ := f.svc.Pods(f.ctx); len(pods) != 0 {
		t.Errorf("pods %+v after a launch that was never stored", pods)
	}

	f.offers(servicetest.NewAgent(1))
	l := f.launches(1)[0]
	f.running(l)
	f.waitSteps(plan.Complete)
}

// TestEveryMesosCallHasADeadline: a master that never answers does not
// hold the service: the offer cycle's ACCEPT gives up at CallTimeout, the
// launch is reconciled, and the service goes on once the master answers.
func TestEveryMesosCallHasADeadline(t *testing.T) {
	f := newFixture(t, `{"brokers": {"count": 1}}`, service.Timing{Tick: tick, CallTimeout: 20 * time.Millisecond})
	f.master.SetDelay(time.Hour)
	f.offers(servicetest.NewAgent(1)) // returns: the calls gave up
	if pods, _ := f.svc.Pods(f.ctx); len(pods) != 1 {
		t.Fatalf("pods %+v, want the launch that may or may not have reached Mesos", pods)
	}
	f.master.SetDelay(0)
	f.clock.Advance(30 * time.Second) // past the retry of a reconciliation that timed out too
	rec := f.waitCalls(scheduler.Call_RECONCILE, 1)
	if got := reconciledTasks(rec[len(rec)-1]); len(got) != 1 || !strings.HasPrefix(got[0], "kafka__kafka-0-broker__") {
		t.Fatalf("reconciliation of %v after the ACCEPT timed out, want the launched task", got)
	}
}

// TestEveryStoreCallHasADeadline: a state store that never answers makes a
// status update fail at StoreTimeout (unacknowledged, so Mesos sends it
// again) instead of holding the service.
func TestEveryStoreCallHasADeadline(t *testing.T) {
	f := newFixture(t, `{"brokers": {"count": 1}}`, service.Timing{Tick: tick, StoreTimeout: 20 * time.Millisecond})
	f.offers(servicetest.NewAgent(1))
	l := f.launches(1)[0]
	f.store.SetDelay(time.Hour)
	err := f.master.Update(f.ctx, servicetest.Status(l.TaskID(), l.AgentID(), mesos.TASK_RUNNING, true))
	if err == nil || !strings.Contains(err.Error(), context.DeadlineExceeded.Error()) {
		t.Fatalf("update with a silent store: %v, want a deadline error", err)
	}
	if acks := f.master.Calls(scheduler.Call_ACKNOWLEDGE); len(acks) != 0 {
		t.Fatalf("acknowledged an update that was not stored: %v", acks)
	}
	f.store.SetDelay(0)
	f.running(l)
	f.waitSteps(plan.Complete)
}

// TestReadsAnswerDuringSlowCalls: while the service waits for a slow
// master, every read answers, before the call ends.
func TestReadsAnswerDuringSlowCalls(t *testing.T) {
	f := newFixture(t, `{"brokers": {"count": 1}}`, service.Timing{Tick: tick, CallTimeout: 2 * time.Second})
	f.waitCalls(scheduler.Call_REVIVE, 1) // the tick has nothing left to call
	f.master.SetDelay(time.Hour)          // the ACCEPT ends at CallTimeout
	cycleDone := make(chan struct{})
	go func() {
		defer close(cycleDone)
		f.master.Offers(f.ctx, f.master.Offer(servicetest.NewAgent(1)))
	}()
	f.waitSteps(plan.Starting) // the launch is stored; its ACCEPT is outstanding
	f.svc.Detail()
	f.svc.Health()
	f.svc.PlanInfo(plan.DeployPlanName)
	f.svc.Pods(f.ctx)
	f.svc.Endpoint("broker")
	f.svc.PropertyNames(f.ctx)
	f.svc.ConfigurationIDs(f.ctx)
	f.svc.OfferOutcomes()
	f.svc.FrameworkID()
	select {
	case <-cycleDone:
		t.Fatal("the reads returned only after the Mesos call ended")
	default:
	}
	<-cycleDone
}

// TestViewShowsOnlyStoredState: while a launch's task record is being
// stored, readers still see the step PENDING and no pod; when the write
// fails, they never see the launch at all.
func TestViewShowsOnlyStoredState(t *testing.T) {
	f := newFixture(t, `{"brokers": {"count": 1}}`, service.Timing{Tick: tick, StoreTimeout: time.Second})
	f.waitCalls(scheduler.Call_REVIVE, 1)
	f.store.SetDelay(time.Hour) // the write ends at StoreTimeout
	cycleDone := make(chan error, 1)
	go func() { cycleDone <- f.master.Offers(f.ctx, f.master.Offer(servicetest.NewAgent(1))) }()
	f.waitFor("the task record's write", func() (bool, string) { return f.store.Delayed() > 0, "" })
	if got := f.stepStatuses(); !slices.Equal(got, []plan.Status{plan.Pending}) {
		t.Errorf("steps %v while the launch is being stored, want PENDING", got)
	}
	if pods, _ := f.svc.Pods(f.ctx); len(pods) != 0 {
		t.Errorf("pods %+v while the launch is being stored, want none", pods)
	}
	if err := <-cycleDone; err != nil {
		t.Fatal(err)
	}
	f.store.SetDelay(0)
	if accepts := f.master.Calls(scheduler.Call_ACCEPT); len(accepts) != 0 {
		t.Fatalf("ACCEPT sent for a launch that was never stored: %v", accepts)
	}
	if pods, _ := f.svc.Pods(f.ctx); len(pods) != 0 {
		t.Errorf("pods %+v after the launch's write failed, want none", pods)
	}
}

// TestLaunchWithSecretsWithoutASecretStore: a service whose options bind
// secrets, on a scheduler without a secret store, does not launch: the
// step says why, and nothing panics.
func TestLaunchWithSecretsWithoutASecretStore(t *testing.T) {
	f := newFixture(t, `{"brokers": {"count": 1}, "service": {"secrets": [{"secret": "kafka/pw", "env_key": "PW"}]}}`)
	f.offers(servicetest.NewAgent(1))
	if accepts := f.master.Calls(scheduler.Call_ACCEPT); len(accepts) != 0 {
		t.Fatalf("ACCEPT sent for a launch whose secrets could not be resolved: %v", accepts)
	}
	f.waitSteps(plan.Pending)
	if msg := f.deployPlan().Phases[0].Steps[0].Message; !strings.Contains(msg, "this scheduler has no secret store") || !strings.Contains(msg, "delivering the secrets of kafka-0") {
		t.Errorf("step message %q does not say the secrets cannot be delivered", msg)
	}
}
