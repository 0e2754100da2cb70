package service_test

import (
	"slices"
	"strings"
	"testing"
	"time"

	mesos "github.com/mesos/mesos-go/api/v1/lib"
	"github.com/mesos/mesos-go/api/v1/lib/scheduler"

	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/plan"
	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/service/servicetest"
	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/spec"
)

// deployOne deploys a one-broker service and returns its launch.
func deployOne(t *testing.T, options string) (*fixture, servicetest.Launch) {
	t.Helper()
	f := newFixture(t, options)
	f.offers(servicetest.NewAgent(1))
	l := f.launches(1)[0]
	f.running(l)
	f.waitSteps(plan.Complete)
	return f, l
}

// TestReconciliationAfterSubscription: after a restart the service asks
// Mesos about every task it knows, retries with a growing delay until it
// hears back, declines offers for short until then, and only then
// considers the deploy settled (suppressing offers).
func TestReconciliationAfterSubscription(t *testing.T) {
	f, l := deployOne(t, `{"brokers": {"count": 1}}`)
	f.restart()

	first := f.waitCalls(scheduler.Call_RECONCILE, 1)[0]
	if got := reconciledTasks(first); !slices.Equal(got, []string{l.TaskID()}) {
		t.Fatalf("explicit reconciliation of %v, want %s", got, l.TaskID())
	}
	f.offers(servicetest.NewAgent(2))
	decline := f.waitCalls(scheduler.Call_DECLINE, 1)[0]
	if refuseSeconds(decline) != 5 {
		t.Errorf("an offer before reconciliation was declined for %gs, want the short 5s", refuseSeconds(decline))
	}
	if o := f.svc.OfferOutcomes(); len(o) == 0 || !strings.Contains(o[0].Reason, "reconciliation") {
		t.Errorf("offer outcomes %+v do not say the service waits for reconciliation", o)
	}
	if n := len(f.master.Calls(scheduler.Call_SUPPRESS)); n != 0 {
		t.Fatalf("suppressed offers before the tasks were reconciled")
	}

	// No answer: the retry comes after ExplicitReconciliationRetry (4s),
	// the next after twice that.
	f.clock.Advance(4 * time.Second)
	f.waitCalls(scheduler.Call_RECONCILE, 2)
	f.clock.Advance(4 * time.Second)
	f.clock.Advance(4 * time.Second)
	f.waitCalls(scheduler.Call_RECONCILE, 3)

	f.update(servicetest.MasterStatus(l.TaskID(), l.AgentID(), mesos.TASK_RUNNING, mesos.REASON_RECONCILIATION))
	f.waitCalls(scheduler.Call_SUPPRESS, 1)
	reconciles := len(f.master.Calls(scheduler.Call_RECONCILE))
	f.clock.Advance(time.Minute)
	f.offers(servicetest.NewAgent(2))
	if n := len(f.master.Calls(scheduler.Call_RECONCILE)); n != reconciles {
		t.Errorf("%d more explicit reconciliations after every task answered", n-reconciles)
	}
	if got := f.stepStatuses(); !slices.Equal(got, []plan.Status{plan.Complete}) {
		t.Errorf("steps %v after the restart, want COMPLETE", got)
	}
}

// TestOutdatedBrokerIsKilledRetriedAndRelaunchedInPlace: a configuration
// change kills the broker, kills it again only after KillRetry, and
// relaunches it on its own reservations once it ended.
func TestOutdatedBrokerIsKilledRetriedAndRelaunchedInPlace(t *testing.T) {
	f, l := deployOne(t, `{"brokers": {"count": 1}}`)
	next, _ := f.svc.Spec()
	opts := next.Options
	opts.Brokers.Heap.Size += 64
	updated, err := spec.Parse(mustJSON(t, opts), opts, spec.Environment{ZookeeperConnect: "zk-1:2181"})
	if err != nil {
		t.Fatal(err)
	}
	if _, changed, err := f.svc.Update(f.ctx, updated); err != nil || !changed {
		t.Fatalf("Update: changed %v, %v", changed, err)
	}
	kills := f.waitCalls(scheduler.Call_KILL, 1)
	if got := kills[0].GetKill().TaskID.Value; got != l.TaskID() {
		t.Fatalf("killed %s, want the outdated %s", got, l.TaskID())
	}
	if msg := f.deployPlan().Phases[0].Steps[0].Message; !strings.Contains(msg, "waiting for task") {
		t.Errorf("step message %q does not say it waits for the task to stop", msg)
	}

	// The task does not stop: no second KILL within KillRetry (30s) over
	// many ticks, one once it passed.
	f.clock.Advance(29 * time.Second)
	f.runTimers()
	if n := len(f.master.Calls(scheduler.Call_KILL)); n != 1 {
		t.Fatalf("%d KILL calls within KillRetry, want 1", n)
	}
	f.clock.Advance(2 * time.Second)
	f.waitCalls(scheduler.Call_KILL, 2)

	f.update(servicetest.Status(l.TaskID(), l.AgentID(), mesos.TASK_KILLED, false))
	f.waitSteps(plan.Pending)
	f.send(f.master.ReservedOffer(l))
	relaunch := f.launches(2)[1]
	if relaunch.Reserved || relaunch.AgentID() != l.AgentID() || relaunch.TaskID() == l.TaskID() {
		t.Fatalf("relaunch %s on %s (reserved anew: %v), want a new task on %s's own reservations", relaunch.TaskID(), relaunch.AgentID(), relaunch.Reserved, l.AgentID())
	}
	f.running(relaunch)
	f.waitSteps(plan.Complete)
}

// TestFailedAcceptIsReconciled: an ACCEPT that fails may or may not have
// been applied, so the service asks Mesos about the task it launched; when
// Mesos does not know it (TASK_UNKNOWN, or TASK_GONE from a registered
// agent), the pod starts afresh with new reservations.
func TestFailedAcceptIsReconciled(t *testing.T) {
	for _, answer := range []mesos.TaskState{mesos.TASK_UNKNOWN, mesos.TASK_GONE} {
		t.Run(answer.String(), func(t *testing.T) { testFailedAcceptIsReconciled(t, answer) })
	}
}

func testFailedAcceptIsReconciled(t *testing.T, answer mesos.TaskState) {
	f := newFixture(t, `{"brokers": {"count": 1}}`)
	f.master.FailNext(scheduler.Call_ACCEPT, errInjected)
	f.offers(servicetest.NewAgent(1))
	failed := f.master.Calls(scheduler.Call_ACCEPT)
	if len(failed) != 1 || failed[0].Err == nil {
		t.Fatalf("ACCEPT calls %v, want one failed", failed)
	}
	var taskID string
	for _, op := range failed[0].GetAccept().GetOperations() {
		if lg := op.GetLaunchGroup(); lg != nil {
			taskID = lg.TaskGroup.Tasks[0].TaskID.Value
		}
	}
	rec := f.waitCalls(scheduler.Call_RECONCILE, 1)
	if got := reconciledTasks(rec[len(rec)-1]); !slices.Contains(got, taskID) {
		t.Fatalf("reconciliation of %v after the failed ACCEPT, want %s", got, taskID)
	}

	f.update(servicetest.MasterStatus(taskID, "agent-1", answer, mesos.REASON_RECONCILIATION))
	f.waitSteps(plan.Pending)
	f.offers(servicetest.NewAgent(1))
	l := f.launches(1)[0]
	if !l.Reserved || l.TaskID() == taskID {
		t.Fatalf("relaunch %s (reserved anew: %v), want a new task on fresh reservations", l.TaskID(), l.Reserved)
	}
	f.running(l)
	f.waitSteps(plan.Complete)
}

// TestUninstallProgress: the uninstall kills the broker, forgets and
// releases its reservations (forgotten in the state before the UNRESERVE
// is sent), tears the framework down and deletes the state, and Run ends.
func TestUninstallProgress(t *testing.T) {
	f, l := deployOne(t, `{"brokers": {"count": 1}}`)
	if err := f.svc.Uninstall(f.ctx); err != nil {
		t.Fatal(err)
	}
	if !f.svc.Uninstalling() {
		t.Fatal("Uninstalling is false after Uninstall")
	}
	kills := f.waitCalls(scheduler.Call_KILL, 1)
	if got := kills[0].GetKill().TaskID.Value; got != l.TaskID() {
		t.Fatalf("killed %s, want %s", got, l.TaskID())
	}
	f.update(servicetest.Status(l.TaskID(), l.AgentID(), mesos.TASK_KILLED, false))
	f.waitFor("the kill phase to complete", func() (bool, string) {
		info := f.deployPlan()
		return info.Phases[0].Status == plan.Complete, planText(info)
	})
	f.clock.Advance(5 * time.Second)
	f.waitCalls(scheduler.Call_REVIVE, 1) // reservations are left to release

	mark := len(f.journal.Entries())
	other := f.master.Offer(servicetest.NewAgent(2))
	f.send(f.master.ReservedOffer(l), other)
	accepts := f.master.Calls(scheduler.Call_ACCEPT)
	release := accepts[len(accepts)-1]
	if got := operationTypes(release); !slices.Equal(got, []string{"DESTROY", "UNRESERVE"}) {
		t.Fatalf("uninstall ACCEPT operations %v, want DESTROY, UNRESERVE", got)
	}
	forgotten := f.journalIndex(mark, "delete-recursive Tasks/kafka-0-broker")
	sent := f.journalIndex(mark, "call ACCEPT")
	if forgotten > sent {
		t.Errorf("the UNRESERVE went out (journal %d) before the state forgot the reservations (%d)", sent, forgotten)
	}
	declines := f.master.Calls(scheduler.Call_DECLINE)
	if last := declines[len(declines)-1]; !slices.Equal(offerIDs(last), []string{other.ID.Value}) {
		t.Errorf("the last DECLINE names %v, want the other agent's offer", offerIDs(last))
	}

	f.waitCalls(scheduler.Call_TEARDOWN, 1)
	if err := f.waitStopped(); err != nil {
		t.Fatalf("Run ended with %v after the uninstall, want nil", err)
	}
	if !f.svc.Removed() {
		t.Fatal("Removed is false after the uninstall")
	}
	if keys, _ := f.inner.Children(f.ctx, ""); len(keys) != 0 {
		t.Fatalf("state left after the uninstall: %v", keys)
	}
}

// TestUnknownTaskAfterConfirmationIsTransient: a master that failed over
// may answer TASK_UNKNOWN for a task it has not relearned yet; once Mesos
// had confirmed the launch that moves nothing, and the task's next status
// completes the step.
func TestUnknownTaskAfterConfirmationIsTransient(t *testing.T) {
	f := newFixture(t, `{"brokers": {"count": 1}}`)
	f.offers(servicetest.NewAgent(1))
	l := f.launches(1)[0]
	f.update(servicetest.Status(l.TaskID(), l.AgentID(), mesos.TASK_STARTING, false))
	f.update(servicetest.MasterStatus(l.TaskID(), l.AgentID(), mesos.TASK_UNKNOWN, mesos.REASON_RECONCILIATION))
	if got := f.stepStatuses(); !slices.Equal(got, []plan.Status{plan.Starting}) {
		t.Fatalf("steps %v after a transient TASK_UNKNOWN, want STARTING", got)
	}
	f.running(l)
	f.waitSteps(plan.Complete)
	if n := len(f.master.Launches()); n != 1 {
		t.Errorf("%d launches, want the one", n)
	}
}
