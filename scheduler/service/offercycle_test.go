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
)

const twoBrokersOnDistinctAgents = `{"brokers": {"count": 2}, "service": {"placement_strategy": "NODE"}}`

// TestOfferCycleLaunchesStepAndDeclinesTheRestInOneCall: one cycle of three
// agents' offers launches the serial deploy's first step on one agent (its
// task record stored before the ACCEPT) and declines the other agents'
// offers in a single DECLINE, for long since nothing else can start.
func TestOfferCycleLaunchesStepAndDeclinesTheRestInOneCall(t *testing.T) {
	f := newFixture(t, twoBrokersOnDistinctAgents)
	a1, a2, a3 := servicetest.NewAgent(1), servicetest.NewAgent(2), servicetest.NewAgent(3)
	// Offer filters may survive from an earlier subscription: there is
	// work, so the service revives first.
	f.waitCalls(scheduler.Call_REVIVE, 1)
	mark := len(f.journal.Entries())
	f.offers(a1, a2, a3)

	accepts := f.master.Calls(scheduler.Call_ACCEPT)
	if len(accepts) != 1 {
		t.Fatalf("%d ACCEPT calls, want 1: %v", len(accepts), callTypes(f.master.Calls()))
	}
	if got, want := operationTypes(accepts[0]), []string{"RESERVE", "CREATE", "LAUNCH_GROUP"}; !slices.Equal(got, want) {
		t.Errorf("ACCEPT operations %v, want %v", got, want)
	}
	if got := refuseSeconds(accepts[0]); got != 1 {
		t.Errorf("ACCEPT filter %gs, want the AcceptRefuse default 1s", got)
	}
	declines := f.master.Calls(scheduler.Call_DECLINE)
	if len(declines) != 1 {
		t.Fatalf("%d DECLINE calls, want the unused offers in one: %v", len(declines), callTypes(f.master.Calls()))
	}
	if got := offerIDs(declines[0]); len(got) != 2 || slices.Contains(got, offerIDs(accepts[0])[0]) {
		t.Errorf("DECLINE names %v, want the two offers not accepted", got)
	}
	if got := refuseSeconds(declines[0]); got != time.Hour.Seconds() {
		t.Errorf("DECLINE filter %gs, want the long filter (nothing else can start)", got)
	}
	stored := f.journalIndex(mark, "write Tasks/kafka-0-broker/TaskInfo")
	sent := f.journalIndex(mark, "call ACCEPT")
	if stored > sent {
		t.Errorf("the ACCEPT (journal %d) went out before the task record was stored (%d)", sent, stored)
	}
	f.waitSteps(plan.Starting, plan.Pending)

	l0 := f.launches(1)[0]
	if l0.AgentID() != a1.ID || !strings.HasPrefix(l0.TaskID(), "kafka__kafka-0-broker__") {
		t.Errorf("launched %s on %s, want kafka__kafka-0-broker__<uuid> on %s", l0.TaskID(), l0.AgentID(), a1.ID)
	}
	f.running(l0)
	f.waitSteps(plan.Complete, plan.Pending)

	// New work after a long decline: a revive, at most one per
	// MinReviveInterval (the first came at subscription).
	f.clock.Advance(5 * time.Second)
	f.waitCalls(scheduler.Call_REVIVE, 2)

	// NODE placement keeps the second broker off agent 1.
	f.offers(a1, a2)
	l1 := f.launches(2)[1]
	if l1.AgentID() != a2.ID {
		t.Fatalf("second broker launched on %s, want %s", l1.AgentID(), a2.ID)
	}
	f.running(l1)
	f.waitSteps(plan.Complete, plan.Complete)
	if h := f.svc.Health(); h.Name != "RUNNING" {
		t.Errorf("health %+v after the deploy, want RUNNING", h)
	}
	f.waitCalls(scheduler.Call_SUPPRESS, 1)
}

// TestOfferCycleExplainsWhyNothingFits: no offer fits the step; every offer
// is declined for short (there is work) and the step says why per agent.
func TestOfferCycleExplainsWhyNothingFits(t *testing.T) {
	f := newFixture(t, `{"brokers": {"count": 1}}`)
	small := servicetest.NewAgent(1)
	small.Mem = 400
	f.offers(small)
	declines := f.master.Calls(scheduler.Call_DECLINE)
	if len(declines) != 1 || refuseSeconds(declines[0]) != 5 {
		t.Fatalf("declines %v, want one with the short filter (5s)", declines)
	}
	msg := f.deployPlan().Phases[0].Steps[0].Message
	if !strings.Contains(msg, "insufficient mem") || !strings.Contains(msg, small.Hostname) {
		t.Errorf("step message %q does not say that %s lacks memory", msg, small.Hostname)
	}
	outcomes := f.svc.OfferOutcomes()
	if len(outcomes) == 0 || outcomes[0].Passed {
		t.Fatalf("offer outcomes %+v, want the refusal recorded", outcomes)
	}
}

// TestStatusIsStoredBeforeItIsAcknowledged: a status update is stored
// before its acknowledgement; when storing fails it is not acknowledged
// (Mesos sends it again) and the plan does not move.
func TestStatusIsStoredBeforeItIsAcknowledged(t *testing.T) {
	f := newFixture(t, `{"brokers": {"count": 1}}`)
	f.offers(servicetest.NewAgent(1))
	l := f.launches(1)[0]

	f.store.FailWrites("Tasks/kafka-0-broker/TaskStatus", errInjected)
	st := servicetest.Status(l.TaskID(), l.AgentID(), mesos.TASK_RUNNING, true)
	if err := f.master.Update(f.ctx, st); err == nil {
		t.Fatal("the update was handled although storing it failed")
	}
	if acks := f.master.Calls(scheduler.Call_ACKNOWLEDGE); len(acks) != 0 {
		t.Fatalf("an update that was not stored was acknowledged: %v", acks)
	}
	if got := f.stepStatuses(); !slices.Equal(got, []plan.Status{plan.Starting}) {
		t.Fatalf("steps %v after an update that was not stored, want STARTING", got)
	}

	mark := len(f.journal.Entries())
	f.update(st) // Mesos sends it again
	stored := f.journalIndex(mark, "write Tasks/kafka-0-broker/TaskStatus")
	acked := f.journalIndex(mark, "call ACKNOWLEDGE")
	if stored > acked {
		t.Errorf("acknowledged (journal %d) before storing (%d)", acked, stored)
	}
	f.waitSteps(plan.Complete)
}

// TestUnknownRunningTaskIsKilled: a running task of the framework that no
// pod owns is a stray broker and is killed.
func TestUnknownRunningTaskIsKilled(t *testing.T) {
	f := newFixture(t, `{"brokers": {"count": 1}}`)
	f.update(servicetest.Status("kafka__kafka-7-broker__stray", "agent-9", mesos.TASK_RUNNING, false))
	kills := f.waitCalls(scheduler.Call_KILL, 1)
	if got := kills[0].GetKill().TaskID.Value; got != "kafka__kafka-7-broker__stray" {
		t.Errorf("killed %s, want the stray task", got)
	}
}
