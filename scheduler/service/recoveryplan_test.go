package service_test

import (
	"slices"
	"strings"
	"testing"
	"time"

	mesos "github.com/mesos/mesos-go/api/v1/lib"
	"github.com/mesos/mesos-go/api/v1/lib/scheduler"

	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/kafka/admin"
	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/plan"
	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/service"
	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/service/servicetest"
)

// recoveryPlan returns the recovery plan.
func (f *fixture) recoveryPlan() plan.Info {
	f.t.Helper()
	info, err := f.svc.PlanInfo(plan.RecoveryPlanName)
	if err != nil {
		f.t.Fatal(err)
	}
	return info
}

// recoveryStep returns the recovery step of a pod ("" status when none).
func (f *fixture) recoveryStep(pod string) plan.StepInfo {
	for _, ph := range f.recoveryPlan().Phases {
		for _, st := range ph.Steps {
			if st.Pod == pod {
				return st
			}
		}
	}
	return plan.StepInfo{}
}

// waitRecovery waits until the pod's recovery step has the status and
// its message contains want.
func (f *fixture) waitRecovery(pod string, status plan.Status, want string) plan.StepInfo {
	f.t.Helper()
	f.waitFor("recovery step of "+pod+" "+string(status)+" saying "+want, func() (bool, string) {
		st := f.recoveryStep(pod)
		return st.Status == status && strings.Contains(st.Message, want), planText(f.recoveryPlan())
	})
	return f.recoveryStep(pod)
}

func (f *fixture) fail(l servicetest.Launch, state mesos.TaskState) {
	f.t.Helper()
	f.update(servicetest.Status(l.TaskID(), l.AgentID(), state, false))
}

// TestFailedBrokerIsRecoveredInPlace: after the deploy completed, a broker
// whose process dies is relaunched by the recovery plan (not the deploy
// plan, which stays COMPLETE) on its own reservations; meanwhile the
// health is not RUNNING; once the broker is ready the phase is COMPLETE
// and the health RUNNING again.
func TestFailedBrokerIsRecoveredInPlace(t *testing.T) {
	f, l := deployOne(t, `{"brokers": {"count": 1}}`)
	if names := f.svc.PlanNames(); !slices.Equal(names, []string{"deploy", "recovery"}) {
		t.Fatalf("plans %v, want deploy and recovery", names)
	}
	if info := f.recoveryPlan(); info.Status != plan.Complete || len(info.Phases) != 0 {
		t.Fatalf("recovery plan before any failure: %s", planText(info))
	}

	f.fail(l, mesos.TASK_FAILED)
	f.waitRecovery("kafka-0", plan.Pending, "relaunching it in place")
	if h := f.svc.Health(); h.Name == "RUNNING" {
		t.Fatalf("health %+v while the broker is down", h)
	}
	if !f.svc.RecoveryInProgress() {
		t.Error("RecoveryInProgress is false while the broker is down")
	}
	if got := f.stepStatuses(); !slices.Equal(got, []plan.Status{plan.Complete}) {
		t.Errorf("deploy steps %v, want COMPLETE (recovery owns the broker)", got)
	}
	ph := f.recoveryPlan().Phases[0]
	if ph.Name != "kafka-0:[broker]" || ph.Steps[0].Name != "kafka-0:[broker]" {
		t.Errorf("recovery phase %q step %q, want kafka-0:[broker]", ph.Name, ph.Steps[0].Name)
	}

	f.send(f.master.ReservedOffer(l))
	relaunch := f.launches(2)[1]
	if relaunch.Reserved || relaunch.AgentID() != l.AgentID() {
		t.Fatalf("relaunch on %s reserving anew (%v), want on %s's own reservations", relaunch.AgentID(), relaunch.Reserved, l.AgentID())
	}
	if vol, old := volumeID(relaunch), volumeID(l); vol == "" || vol != old {
		t.Fatalf("relaunch uses volume %q, want the broker's own %q", vol, old)
	}
	f.running(relaunch)
	f.waitRecovery("kafka-0", plan.Complete, "")
	f.waitFor("health RUNNING", func() (bool, string) { h := f.svc.Health(); return h.Name == "RUNNING", h.Name })
}

// volumeID is the persistence id of a launch's volume.
func volumeID(l servicetest.Launch) string {
	for _, r := range l.Task.Resources {
		if p := r.GetDisk().GetPersistence(); p != nil {
			return p.ID
		}
	}
	return ""
}

// TestRecoveryBacksOffThenResets: a broker that keeps dying is relaunched
// at once after its first failure, then after growing delays (60 s, then
// 69 s: the step is DELAYED with the next attempt in its message, and an
// offer meanwhile launches nothing); once it stayed up for ResetAfter its
// next failure is relaunched at once again.
func TestRecoveryBacksOffThenResets(t *testing.T) {
	f, l := deployOne(t, `{"brokers": {"count": 1}}`)
	launches := 1
	relaunch := func() servicetest.Launch {
		t.Helper()
		f.send(f.master.ReservedOffer(l))
		launches++
		return f.launches(launches)[launches-1]
	}

	// Up a while, then dies: relaunched at once.
	f.clock.Advance(time.Minute)
	f.fail(l, mesos.TASK_FAILED)
	f.waitRecovery("kafka-0", plan.Pending, "in place")
	second := relaunch()
	f.running(second)
	f.fail(second, mesos.TASK_KILLED) // killed out of band

	for _, gap := range []time.Duration{60 * time.Second, 69 * time.Second} {
		st := f.waitRecovery("kafka-0", plan.Delayed, "next attempt in place at")
		if want := "backoff " + gap.String(); !strings.Contains(st.Message, want) {
			t.Fatalf("step message %q does not give the %s backoff", st.Message, gap)
		}
		declines := len(f.master.Calls(scheduler.Call_DECLINE))
		f.send(f.master.ReservedOffer(l))
		f.waitCalls(scheduler.Call_DECLINE, declines+1)
		if n := len(f.master.Launches()); n != launches {
			t.Fatalf("%d launches during the backoff, want %d", n, launches)
		}
		f.clock.Advance(gap - time.Second)
		f.runTimers() // a timer round that must not release the step
		if st := f.recoveryStep("kafka-0"); st.Status != plan.Delayed {
			t.Fatalf("released %s before the backoff of %s ended", st.Status, gap)
		}
		f.clock.Advance(time.Second)
		f.waitRecovery("kafka-0", plan.Pending, "in place")
		next := relaunch()
		f.fail(next, mesos.TASK_FAILED)
	}

	// Stays up past ResetAfter: the count starts again.
	f.waitRecovery("kafka-0", plan.Delayed, "")
	f.clock.Advance(5 * time.Minute)
	f.waitRecovery("kafka-0", plan.Pending, "")
	up := relaunch()
	f.running(up)
	f.waitRecovery("kafka-0", plan.Complete, "")
	f.clock.Advance(10*time.Minute + time.Second)
	f.runTimers()
	f.fail(up, mesos.TASK_FAILED)
	f.waitRecovery("kafka-0", plan.Pending, "relaunching it in place")
	relaunch()
}

// TestUnreachableWaitsAndComesBack: an unreachable agent's broker waits
// (nothing is launched for it) and completes its recovery, relaunching
// nothing, when the same task runs again.
func TestUnreachableWaitsAndComesBack(t *testing.T) {
	f, l := deployOne(t, `{"brokers": {"count": 1}}`)
	f.update(servicetest.MasterStatus(l.TaskID(), l.AgentID(), mesos.TASK_UNREACHABLE, mesos.REASON_AGENT_DISCONNECTED))
	f.waitRecovery("kafka-0", plan.Pending, "unreachable since")
	f.clock.Advance(time.Hour)
	f.offers(servicetest.NewAgent(2))
	f.waitCalls(scheduler.Call_DECLINE, 1)
	if n := len(f.master.Launches()); n != 1 {
		t.Fatalf("%d launches while the agent is unreachable, want 1", n)
	}
	f.running(l)
	f.waitRecovery("kafka-0", plan.Complete, "came back by itself")
	if n := len(f.master.Launches()); n != 1 {
		t.Fatalf("%d launches, want still 1", n)
	}
}

// TestGoneWaitsForOperatorThenReplace: a broker whose agent is marked gone
// waits for an operator (automatic replacement is off by default) and the
// step says how to replace it; a replace launches it on fresh reservations
// on another agent with the same broker id, releases the old reservations
// when they are offered, and kills the old task when it reappears.
func TestGoneWaitsForOperatorThenReplace(t *testing.T) {
	f, l := deployOne(t, `{"brokers": {"count": 1}}`)
	f.update(servicetest.MasterStatus(l.TaskID(), l.AgentID(), mesos.TASK_GONE_BY_OPERATOR, mesos.REASON_AGENT_REMOVED))
	st := f.waitRecovery("kafka-0", plan.Pending, "automatic replacement is off")
	if !strings.Contains(st.Message, "pod/kafka-0/replace") {
		t.Errorf("step message %q does not say how to replace the broker", st.Message)
	}
	f.clock.Advance(time.Hour)
	f.offers(servicetest.NewAgent(2))
	if n := len(f.master.Launches()); n != 1 {
		t.Fatalf("%d launches before the operator's replace, want 1", n)
	}

	before, err := f.svc.ReplacePod(f.ctx, "kafka-0")
	if err != nil {
		t.Fatal(err)
	}
	if len(before.Tasks) != 1 || before.Tasks[0].ID != l.TaskID() {
		t.Fatalf("replace answered %+v, want the replaced task %s", before, l.TaskID())
	}
	f.waitRecovery("kafka-0", plan.Pending, "marked for replacement")
	f.offers(servicetest.NewAgent(1), servicetest.NewAgent(2))
	repl := f.launches(2)[1]
	if !repl.Reserved || repl.AgentID() != "agent-2" {
		t.Fatalf("replacement on %s (reserved anew: %v), want fresh reservations on agent-2", repl.AgentID(), repl.Reserved)
	}
	if volumeID(repl) == volumeID(l) {
		t.Fatalf("the replacement reuses the old volume %s", volumeID(l))
	}
	if got := labelValue(repl.Task, "index"); got != "0" {
		t.Errorf("replacement index label %q, want broker id 0", got)
	}
	f.running(repl)
	f.waitRecovery("kafka-0", plan.Complete, "")

	// The old agent's reservations, offered, are destroyed and released.
	accepts := len(f.master.Calls(scheduler.Call_ACCEPT))
	f.send(f.master.ReservedOffer(l))
	calls := f.waitCalls(scheduler.Call_ACCEPT, accepts+1)
	if got := operationTypes(calls[len(calls)-1]); !slices.Equal(got, []string{"DESTROY", "UNRESERVE"}) {
		t.Fatalf("operations on the old agent's offer %v, want DESTROY, UNRESERVE", got)
	}

	// The old task reappears: killed.
	f.running(l)
	kills := f.waitCalls(scheduler.Call_KILL, 1)
	if got := kills[0].GetKill().TaskID.Value; got != l.TaskID() {
		t.Fatalf("killed %s, want the reappeared %s", got, l.TaskID())
	}
}

func labelValue(t mesos.TaskInfo, key string) string {
	for _, l := range t.GetLabels().GetLabels() {
		if l.Key == key {
			return l.GetValue()
		}
	}
	return ""
}

// TestReplaceRunningBroker: replacing a running broker kills it, then
// relaunches it on fresh reservations; a SIGKILLed scheduler between the
// mark and the relaunch still replaces it (the mark is stored).
func TestReplaceRunningBroker(t *testing.T) {
	f, l := deployOne(t, `{"brokers": {"count": 1}}`)
	if _, err := f.svc.ReplacePod(f.ctx, "kafka-0"); err != nil {
		t.Fatal(err)
	}
	kills := f.waitCalls(scheduler.Call_KILL, 1)
	if got := kills[0].GetKill().TaskID.Value; got != l.TaskID() {
		t.Fatalf("killed %s, want %s", got, l.TaskID())
	}
	f.restart()
	f.update(servicetest.MasterStatus(l.TaskID(), l.AgentID(), mesos.TASK_KILLED, mesos.REASON_RECONCILIATION))
	f.waitRecovery("kafka-0", plan.Pending, "marked for replacement")
	f.send(f.master.ReservedOffer(l, f.master.Offer(servicetest.NewAgent(1)).Resources...))
	repl := f.launches(1)[0]
	if !repl.Reserved || volumeID(repl) == volumeID(l) {
		t.Fatalf("relaunch after the restart reserved anew: %v, volume %s (old %s): want a fresh volume", repl.Reserved, volumeID(repl), volumeID(l))
	}
	if _, err := f.svc.ReplacePod(f.ctx, "kafka-9"); err == nil {
		t.Error("replacing an unknown pod succeeded")
	}
}

// TestAutomaticReplacementAfterGrace: with service.enable_replacement, two
// brokers whose agents became unreachable at once are replaced after the
// grace period and not before, one min_delay_between_recovers_secs apart,
// each only once Kafka said its partitions have in-sync replicas elsewhere.
func TestAutomaticReplacementAfterGrace(t *testing.T) {
	f, launches := deployThree(t, `{"brokers": {"count": 3}, "service": {"enable_replacement": true, "recover_in_place_grace_period_secs": 60, "min_delay_between_recovers_secs": 120}}`)
	for _, l := range launches[1:] {
		f.update(servicetest.MasterStatus(l.TaskID(), l.AgentID(), mesos.TASK_UNREACHABLE, mesos.REASON_AGENT_DISCONNECTED))
	}
	f.waitRecovery("kafka-1", plan.Pending, "after the grace period")
	f.waitRecovery("kafka-2", plan.Pending, "after the grace period")

	spare := servicetest.NewAgent(4)
	spare2 := servicetest.NewAgent(5)
	f.clock.Advance(59 * time.Second)
	f.runTimers()
	f.offers(spare, spare2)
	if n := len(f.master.Launches()); n != 3 {
		t.Fatalf("%d launches within the grace period, want 3", n)
	}

	f.clock.Advance(2 * time.Second)
	f.waitRecovery("kafka-1", plan.Pending, "replacing it automatically")
	st2 := f.waitRecovery("kafka-2", plan.Pending, "")
	if strings.Contains(st2.Message, "automatically") {
		t.Fatalf("both brokers replaced at once: %s", planText(f.recoveryPlan()))
	}
	f.offers(spare)
	first := f.launches(4)[3]
	if !first.Reserved || first.AgentID() != spare.ID || labelValue(first.Task, "index") != "1" {
		t.Fatalf("first replacement %s on %s (reserved %v), want broker 1 on %s", labelValue(first.Task, "index"), first.AgentID(), first.Reserved, spare.ID)
	}
	f.running(first)
	f.waitRecovery("kafka-1", plan.Complete, "")
	f.waitRecovery("kafka-2", plan.Pending, "min_delay_between_recovers_secs")

	f.clock.Advance(119 * time.Second)
	f.runTimers()
	f.offers(spare2)
	if n := len(f.master.Launches()); n != 4 {
		t.Fatalf("%d launches within the delay after the first replacement, want 4", n)
	}
	f.clock.Advance(2 * time.Second)
	f.waitRecovery("kafka-2", plan.Pending, "replacing it automatically")
	f.offers(spare2)
	second := f.launches(5)[4]
	if labelValue(second.Task, "index") != "2" || second.AgentID() != spare2.ID {
		t.Fatalf("second replacement broker %s on %s", labelValue(second.Task, "index"), second.AgentID())
	}
}

// TestAutomaticReplacementWaitsForKafka: a replacement that would leave a
// partition with no in-sync replica on another broker waits, saying which.
func TestAutomaticReplacementWaitsForKafka(t *testing.T) {
	f, l := deployOne(t, `{"brokers": {"count": 1}, "service": {"enable_replacement": true, "recover_in_place_grace_period_secs": 10}}`)
	f.kafka.set(func(k *fakeKafka) {
		k.health = admin.HealthReport{Unavailable: []admin.PartitionStatus{{Topic: "orders", Partition: 3, Leader: -1, Replicas: []int32{0}, ISR: []int32{0}}}}
	})
	f.update(servicetest.MasterStatus(l.TaskID(), l.AgentID(), mesos.TASK_GONE_BY_OPERATOR, mesos.REASON_AGENT_REMOVED))
	f.clock.Advance(11 * time.Second)
	f.waitRecovery("kafka-0", plan.Pending, "orders-3 have no in-sync replica on another broker")
	f.offers(servicetest.NewAgent(2))
	if n := len(f.master.Launches()); n != 1 {
		t.Fatalf("%d launches while Kafka says the replacement is unsafe", n)
	}
}

// TestRecoveryOverridesSurviveRestart: an interrupt of the recovery plan
// is stored and holds after a scheduler restart: the failed broker is not
// relaunched until continue.
func TestRecoveryOverridesSurviveRestart(t *testing.T) {
	f, l := deployOne(t, `{"brokers": {"count": 1}}`)
	f.fail(l, mesos.TASK_FAILED)
	f.waitRecovery("kafka-0", plan.Pending, "in place")
	if err := f.svc.PlanCommand(f.ctx, service.PlanCommand{Plan: plan.RecoveryPlanName, Command: service.CommandInterrupt}); err != nil {
		t.Fatal(err)
	}
	f.restart()
	f.update(servicetest.MasterStatus(l.TaskID(), l.AgentID(), mesos.TASK_FAILED, mesos.REASON_RECONCILIATION))
	f.waitFor("the interrupted recovery plan after the restart", func() (bool, string) {
		info := f.recoveryPlan()
		return info.Status == plan.Waiting && len(info.Phases) == 1, planText(info)
	})
	f.send(f.master.ReservedOffer(l))
	if n := len(f.master.Launches()); n != 0 {
		t.Fatalf("%d launches while the recovery plan is interrupted", n)
	}
	if got := f.stepStatuses(); !slices.Equal(got, []plan.Status{plan.Complete}) {
		t.Fatalf("deploy steps after the restart %v, want COMPLETE (recovery owns the broker)", got)
	}
	if err := f.svc.PlanCommand(f.ctx, service.PlanCommand{Plan: plan.RecoveryPlanName, Command: service.CommandContinue}); err != nil {
		t.Fatal(err)
	}
	f.waitRecovery("kafka-0", plan.Pending, "in place")
	f.send(f.master.ReservedOffer(l))
	relaunch := f.launches(1)[0]
	if relaunch.Reserved {
		t.Fatal("relaunched on fresh reservations, want in place")
	}
}

// TestPauseAndResume: pause relaunches the broker in place with the pause
// command (no Kafka), the pod shows PAUSED; resume relaunches Kafka.
func TestPauseAndResume(t *testing.T) {
	f, l := deployOne(t, `{"brokers": {"count": 1}}`)
	if _, err := f.svc.PausePod(f.ctx, "kafka-0"); err != nil {
		t.Fatal(err)
	}
	f.waitCalls(scheduler.Call_KILL, 1)
	f.update(servicetest.Status(l.TaskID(), l.AgentID(), mesos.TASK_KILLED, false))
	f.waitRecovery("kafka-0", plan.Pending, "relaunching it in place")
	f.send(f.master.ReservedOffer(l))
	paused := f.launches(2)[1]
	if cmd := paused.Task.GetCommand().GetValue(); !strings.Contains(cmd, "PAUSED") || paused.Reserved {
		t.Fatalf("paused launch runs %q (reserved anew %v), want the pause command in place", cmd, paused.Reserved)
	}
	f.update(servicetest.Status(paused.TaskID(), paused.AgentID(), mesos.TASK_RUNNING, false))
	f.waitRecovery("kafka-0", plan.Complete, "paused")
	f.waitFor("pod status PAUSED", func() (bool, string) {
		pods, _ := f.svc.Pods(f.ctx)
		return len(pods) == 1 && pods[0].Tasks[0].State == "PAUSED", planText(f.recoveryPlan())
	})

	if _, err := f.svc.ResumePod(f.ctx, "kafka-0"); err != nil {
		t.Fatal(err)
	}
	f.waitCalls(scheduler.Call_KILL, 2)
	f.update(servicetest.Status(paused.TaskID(), paused.AgentID(), mesos.TASK_KILLED, false))
	f.waitRecovery("kafka-0", plan.Pending, "relaunching it in place")
	f.send(f.master.ReservedOffer(l))
	resumed := f.launches(3)[2]
	if cmd := resumed.Task.GetCommand().GetValue(); strings.Contains(cmd, "PAUSED") {
		t.Fatalf("resumed launch still runs the pause command")
	}
	f.running(resumed)
	f.waitRecovery("kafka-0", plan.Complete, "")
	pods, _ := f.svc.Pods(f.ctx)
	if pods[0].Tasks[0].State != "RUNNING" {
		t.Fatalf("pod state %s after resume, want RUNNING", pods[0].Tasks[0].State)
	}
}

// TestRecoveryCommands: forceComplete on a recovery step stops recovering
// the broker (offers launch nothing, the message says an operator
// completed it); restart makes it recover again.
func TestRecoveryCommands(t *testing.T) {
	f, l := deployOne(t, `{"brokers": {"count": 1}}`)
	f.fail(l, mesos.TASK_FAILED)
	f.waitRecovery("kafka-0", plan.Pending, "in place")
	cmd := service.PlanCommand{Plan: plan.RecoveryPlanName, Command: service.CommandForceComplete, Phase: "kafka-0:[broker]", Step: "kafka-0:[broker]"}
	if err := f.svc.PlanCommand(f.ctx, cmd); err != nil {
		t.Fatal(err)
	}
	f.waitRecovery("kafka-0", plan.Complete, "forceComplete")
	f.send(f.master.ReservedOffer(l))
	f.waitCalls(scheduler.Call_DECLINE, 1)
	if n := len(f.master.Launches()); n != 1 {
		t.Fatalf("%d launches after forceComplete, want 1", n)
	}
	cmd.Command = service.CommandRestart
	if err := f.svc.PlanCommand(f.ctx, cmd); err != nil {
		t.Fatal(err)
	}
	f.waitRecovery("kafka-0", plan.Pending, "in place")
	f.send(f.master.ReservedOffer(l))
	f.running(f.launches(2)[1])
	f.waitRecovery("kafka-0", plan.Complete, "")
	if err := f.svc.PlanCommand(f.ctx, service.PlanCommand{Plan: "recovery", Command: service.CommandContinue, Phase: "kafka-7:[broker]"}); err == nil {
		t.Error("a command on an unknown recovery phase succeeded")
	}
}

// TestRelaunchUnderWayAcrossRestart: a scheduler stopped right after the
// recovery plan sent a relaunch finds it again: the recovery step follows
// the relaunched task (no second launch), and the deploy plan stays
// COMPLETE.
func TestRelaunchUnderWayAcrossRestart(t *testing.T) {
	f, l := deployOne(t, `{"brokers": {"count": 1}}`)
	f.fail(l, mesos.TASK_FAILED)
	f.waitRecovery("kafka-0", plan.Pending, "in place")
	f.send(f.master.ReservedOffer(l))
	relaunch := f.launches(2)[1]
	f.restart()
	f.update(servicetest.Status(relaunch.TaskID(), relaunch.AgentID(), mesos.TASK_STARTING, false))
	f.waitRecovery("kafka-0", plan.Starting, "")
	if got := f.stepStatuses(); !slices.Equal(got, []plan.Status{plan.Complete}) {
		t.Fatalf("deploy steps after the restart %v, want COMPLETE", got)
	}
	f.running(relaunch)
	f.waitRecovery("kafka-0", plan.Complete, "")
	if n := len(f.master.Launches()); n != 0 {
		t.Fatalf("%d launches after the restart, want none", n)
	}
}

// TestGivenUpTaskThatReappearsIsKilled: a broker whose agent is
// unreachable is replaced by an operator; when its old task reports
// running again before the replacement launched, it is killed and the
// step says so.
func TestGivenUpTaskThatReappearsIsKilled(t *testing.T) {
	f, l := deployOne(t, `{"brokers": {"count": 1}}`)
	f.update(servicetest.MasterStatus(l.TaskID(), l.AgentID(), mesos.TASK_UNREACHABLE, mesos.REASON_AGENT_DISCONNECTED))
	f.waitRecovery("kafka-0", plan.Pending, "unreachable")
	if h := f.svc.Health(); h.Code != 203 || h.Name != "RECOVERING_PENDING" || len(h.Reasons) == 0 {
		t.Errorf("health %+v while the broker waits, want 203 RECOVERING_PENDING with reasons", h)
	}
	if _, err := f.svc.ReplacePod(f.ctx, "kafka-0"); err != nil {
		t.Fatal(err)
	}
	f.waitRecovery("kafka-0", plan.Pending, "marked for replacement")
	f.running(l)
	kills := f.waitCalls(scheduler.Call_KILL, 1)
	if got := kills[0].GetKill().TaskID.Value; got != l.TaskID() {
		t.Fatalf("killed %s, want the reappeared %s", got, l.TaskID())
	}
	f.waitRecovery("kafka-0", plan.Pending, "reappeared")
	f.update(servicetest.Status(l.TaskID(), l.AgentID(), mesos.TASK_KILLED, false))
	f.offers(servicetest.NewAgent(2))
	repl := f.launches(2)[1]
	if !repl.Reserved || repl.AgentID() != "agent-2" {
		t.Fatalf("replacement on %s (fresh %v), want fresh reservations on agent-2", repl.AgentID(), repl.Reserved)
	}
}

// TestReplacedReservationsAreReleased: after a running broker is replaced
// on another agent, the service keeps asking for offers until its old
// agent offers the old reservations, which are destroyed and unreserved;
// once an offer of that agent no longer holds them, it suppresses offers.
func TestReplacedReservationsAreReleased(t *testing.T) {
	f, l := deployOne(t, `{"brokers": {"count": 1}}`)
	if _, err := f.svc.ReplacePod(f.ctx, "kafka-0"); err != nil {
		t.Fatal(err)
	}
	f.waitCalls(scheduler.Call_KILL, 1)
	f.update(servicetest.Status(l.TaskID(), l.AgentID(), mesos.TASK_KILLED, false))
	f.waitRecovery("kafka-0", plan.Pending, "marked for replacement")
	f.offers(servicetest.NewAgent(2))
	repl := f.launches(2)[1]
	f.running(repl)
	f.waitRecovery("kafka-0", plan.Complete, "")

	suppressed := len(f.master.Calls(scheduler.Call_SUPPRESS))
	f.clock.Advance(10 * time.Second)
	f.runTimers()
	if n := len(f.master.Calls(scheduler.Call_SUPPRESS)); n != suppressed {
		t.Fatalf("offers suppressed while the old reservations are not released")
	}
	accepts := len(f.master.Calls(scheduler.Call_ACCEPT))
	f.send(f.master.ReservedOffer(l))
	calls := f.waitCalls(scheduler.Call_ACCEPT, accepts+1)
	if got := operationTypes(calls[len(calls)-1]); !slices.Equal(got, []string{"DESTROY", "UNRESERVE"}) {
		t.Fatalf("operations on the old agent's offer %v, want DESTROY, UNRESERVE", got)
	}
	f.offers(servicetest.NewAgent(1))
	f.clock.Advance(10 * time.Second)
	f.waitCalls(scheduler.Call_SUPPRESS, suppressed+1)
}
