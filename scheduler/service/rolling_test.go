package service_test

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	mesos "github.com/mesos/mesos-go/api/v1/lib"
	"github.com/mesos/mesos-go/api/v1/lib/scheduler"

	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/kafka/admin"
	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/plan"
	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/service"
	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/service/servicetest"
	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/spec"
)

// fakeKafka answers the rolling update's Kafka calls as a test sets it.
type fakeKafka struct {
	mu          sync.Mutex
	controller  int32
	unreachable error
	unsafe      map[int32]string // broker → blocking reason
	unknown     map[int32]bool   // brokers the cluster does not know
	outOfSync   map[int32]bool
	applyErr    error
	applied     [][]admin.ClusterConfig
	gateChecks  []int32
	// health is what PartitionHealth answers (recoveryplan_test.go).
	health       admin.HealthReport
	healthChecks int
	// inSyncChecks lists the brokers BackInSync was asked about.
	inSyncChecks []int32
}

// backInSyncCalls counts the BackInSync calls about broker id.
func (k *fakeKafka) backInSyncCalls(id int32) int {
	k.mu.Lock()
	defer k.mu.Unlock()
	n := 0
	for _, c := range k.inSyncChecks {
		if c == id {
			n++
		}
	}
	return n
}

func newFakeKafka() *fakeKafka {
	return &fakeKafka{controller: -1, unsafe: map[int32]string{}, unknown: map[int32]bool{}, outOfSync: map[int32]bool{}}
}

func (k *fakeKafka) provide(context.Context) (service.Kafka, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.unreachable != nil {
		return nil, k.unreachable
	}
	return k, nil
}

func (k *fakeKafka) set(fn func(k *fakeKafka)) { k.mu.Lock(); fn(k); k.mu.Unlock() }

func (k *fakeKafka) Controller(context.Context) (int32, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.controller < 0 {
		return -1, admin.ErrNoController
	}
	return k.controller, nil
}

func (k *fakeKafka) CanRestartBroker(_ context.Context, id int32) (admin.RestartCheck, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.gateChecks = append(k.gateChecks, id)
	if k.unknown[id] {
		return admin.RestartCheck{}, fmt.Errorf("checking whether broker %d can restart: %w", id, admin.ErrUnknownBroker)
	}
	if why := k.unsafe[id]; why != "" {
		return admin.RestartCheck{Broker: id, Live: true, Blocking: []admin.RestartBlocker{{Reason: why}}}, nil
	}
	return admin.RestartCheck{Broker: id, Live: true, Safe: true}, nil
}

func (k *fakeKafka) BackInSync(_ context.Context, id int32) (admin.InSyncCheck, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.inSyncChecks = append(k.inSyncChecks, id)
	if k.outOfSync[id] {
		return admin.InSyncCheck{Broker: id, Live: true, Partitions: 1, Missing: []admin.PartitionStatus{{Topic: "orders", Partition: 0, ISR: []int32{1, 2}}}}, nil
	}
	return admin.InSyncCheck{Broker: id, Live: true, InSync: true, Partitions: 1}, nil
}

func (k *fakeKafka) ApplyClusterConfigs(_ context.Context, configs []admin.ClusterConfig) error {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.applied = append(k.applied, configs)
	return k.applyErr
}

func (k *fakeKafka) appliedCount() int { k.mu.Lock(); defer k.mu.Unlock(); return len(k.applied) }

// deployThree deploys three brokers, one per agent.
func deployThree(t *testing.T, options string) (*fixture, []servicetest.Launch) {
	t.Helper()
	f := newFixture(t, options)
	for i := range 3 {
		f.offers(servicetest.NewAgent(i + 1))
		f.running(f.launches(i + 1)[i])
	}
	f.waitSteps(plan.Complete, plan.Complete, plan.Complete)
	return f, f.master.Launches()
}

// changed returns the service's spec with edit applied to its options.
func changed(t *testing.T, f *fixture, edit func(o *spec.Options)) spec.ServiceSpec {
	t.Helper()
	cur, _ := f.svc.Spec()
	opts := cur.Options
	edit(&opts)
	next, err := spec.Parse(mustJSON(t, opts), opts, spec.Environment{ZookeeperConnect: "zk-1:2181"})
	if err != nil {
		t.Fatal(err)
	}
	return next
}

func brokerPhase(info plan.Info) plan.PhaseInfo {
	for _, ph := range info.Phases {
		if ph.Name == plan.BrokerPhaseName {
			return ph
		}
	}
	return plan.PhaseInfo{}
}

// TestPreviewEqualsThePlanTheUpdateRuns: the preview of a mem change is the
// plan the update then starts, step for step (action, order, status), the
// active controller last; a no-op update changes and starts nothing.
func TestPreviewEqualsThePlanTheUpdateRuns(t *testing.T) {
	f, _ := deployThree(t, `{"brokers": {"count": 3}}`)
	f.kafka.set(func(k *fakeKafka) { k.controller = 1; k.unsafe[0] = "orders-0 is at min ISR" })
	next := changed(t, f, func(o *spec.Options) { o.Brokers.Mem += 256 })

	preview, err := f.svc.PreviewUpdate(f.ctx, next)
	if err != nil {
		t.Fatal(err)
	}
	if preview.Controller != 1 {
		t.Errorf("preview controller %d, want 1", preview.Controller)
	}
	if _, changed, err := f.svc.Update(f.ctx, next); err != nil || !changed {
		t.Fatalf("Update: changed %v, %v", changed, err)
	}
	got, want := plan.PlannedSteps(f.deployPlan()), plan.PlannedSteps(preview.Plan)
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("the update runs\n%+v\nthe preview showed\n%+v", got, want)
	}
	var order []string
	for _, st := range got {
		if st.Action != plan.ActionRestart {
			t.Errorf("step %s action %q, want restart", st.Step, st.Action)
		}
		order = append(order, st.Pod)
	}
	if !slices.Equal(order, []string{"kafka-0", "kafka-2", "kafka-1"}) {
		t.Errorf("restart order %v, want the controller kafka-1 last", order)
	}

	// No-op: same config id, nothing changed.
	_, before := f.svc.Spec()
	if id, changed, err := f.svc.Update(f.ctx, next); err != nil || changed || id != before {
		t.Fatalf("no-op update: id %s changed %v err %v, want %s unchanged", id, changed, err, before)
	}
}

// TestRestartGateWaitsThenKillsAndAwaitsTheISR: an unsafe verdict keeps the
// broker running with the blocking reason as the step message, Kafka
// unreachable says so; once safe the broker is killed, relaunched, and its
// step completes only once it is back in sync.
func TestRestartGateWaitsThenKillsAndAwaitsTheISR(t *testing.T) {
	f, launches := deployThree(t, `{"brokers": {"count": 3}}`)
	f.kafka.set(func(k *fakeKafka) { k.unsafe[0] = "orders-0 is at min ISR (in sync [0 1])" })
	next := changed(t, f, func(o *spec.Options) { o.Brokers.Heap.Size += 64 })
	if _, _, err := f.svc.Update(f.ctx, next); err != nil {
		t.Fatal(err)
	}
	stepMsg := func() string { return brokerPhase(f.deployPlan()).Steps[0].Message }
	f.waitFor("the gate's reason", func() (bool, string) {
		return strings.Contains(stepMsg(), "orders-0 is at min ISR"), stepMsg()
	})
	f.kafka.set(func(k *fakeKafka) { k.unreachable = errors.New("dial tcp: connection refused") })
	f.waitFor("the unreachable message", func() (bool, string) {
		return strings.Contains(stepMsg(), "Kafka is unreachable"), stepMsg()
	})
	if n := len(f.master.Calls(scheduler.Call_KILL)); n != 0 {
		t.Fatalf("%d KILLs while the restart was not safe", n)
	}
	f.kafka.set(func(k *fakeKafka) { k.unreachable = nil; delete(k.unsafe, 0); k.outOfSync[0] = true })
	kill := f.waitCalls(scheduler.Call_KILL, 1)[0]
	if got := kill.GetKill().TaskID.Value; got != launches[0].TaskID() {
		t.Fatalf("killed %s, want broker 0's %s", got, launches[0].TaskID())
	}
	f.update(servicetest.Status(launches[0].TaskID(), launches[0].AgentID(), mesos.TASK_KILLED, false))
	f.send(f.master.ReservedOffer(launches[0]))
	relaunch := f.launches(4)[3]
	f.running(relaunch)
	f.waitFor("the ISR wait", func() (bool, string) {
		return strings.Contains(stepMsg(), "waiting for the ISR") && strings.Contains(stepMsg(), "orders-0"), stepMsg()
	})
	if st := brokerPhase(f.deployPlan()).Steps[0].Status; st != plan.Started {
		t.Fatalf("step 0 is %s while its broker is out of the ISR, want STARTED", st)
	}
	if n := len(f.master.Calls(scheduler.Call_KILL)); n != 1 {
		t.Fatalf("%d KILLs: the next broker was stopped before the first rejoined", n)
	}
	f.kafka.set(func(k *fakeKafka) { k.outOfSync[0] = false })
	f.waitFor("step 0 complete", func() (bool, string) {
		st := brokerPhase(f.deployPlan()).Steps[0].Status
		return st == plan.Complete, string(st)
	})
	f.waitCalls(scheduler.Call_KILL, 2) // the roll moves on to broker 1
}

// TestISRWaitRunsOutIntoError: past service.isr_wait_timeout_secs the step
// is in ERROR with a message, never a silent pass.
func TestISRWaitRunsOutIntoError(t *testing.T) {
	f, launches := deployThree(t, `{"brokers": {"count": 3}}`)
	f.kafka.set(func(k *fakeKafka) { k.outOfSync[0] = true })
	next := changed(t, f, func(o *spec.Options) { o.Brokers.Heap.Size += 64 })
	if _, _, err := f.svc.Update(f.ctx, next); err != nil {
		t.Fatal(err)
	}
	f.waitCalls(scheduler.Call_KILL, 1)
	f.update(servicetest.Status(launches[0].TaskID(), launches[0].AgentID(), mesos.TASK_KILLED, false))
	f.send(f.master.ReservedOffer(launches[0]))
	f.running(f.launches(4)[3])
	stepOf := func() plan.StepInfo { return brokerPhase(f.deployPlan()).Steps[0] }
	f.waitFor("the ISR wait", func() (bool, string) {
		return strings.Contains(stepOf().Message, "waiting for the ISR"), stepOf().Message
	})
	f.clock.Advance(next.RestartGate().ISRWait + time.Second)
	f.waitFor("ERROR", func() (bool, string) {
		return stepOf().Status == plan.Error, string(stepOf().Status) + " " + stepOf().Message
	})
	if !strings.Contains(stepOf().Message, "isr_wait_timeout_secs") {
		t.Errorf("error message %q does not name the timeout", stepOf().Message)
	}
}

// TestDynamicPropertyReconfiguresInPlace: a cluster-wide dynamic property
// is applied through Kafka, retried after a failure, and restarts nothing;
// a later rebuild from the stored state does not restart the brokers.
func TestDynamicPropertyReconfiguresInPlace(t *testing.T) {
	f, _ := deployThree(t, `{"brokers": {"count": 3}}`)
	f.kafka.set(func(k *fakeKafka) { k.applyErr = errors.New("broker 0: timed out") })
	next := changed(t, f, func(o *spec.Options) {
		if o.Kafka.ServerProperties == nil {
			o.Kafka.ServerProperties = map[string]string{}
		}
		o.Kafka.ServerProperties["max.connections"] = "1000"
	})
	if _, _, err := f.svc.Update(f.ctx, next); err != nil {
		t.Fatal(err)
	}
	msg := func() string { return f.deployPlan().Phases[0].Steps[0].Message }
	f.waitFor("the failure explained", func() (bool, string) { return strings.Contains(msg(), "timed out"), msg() })
	f.kafka.set(func(k *fakeKafka) { k.applyErr = nil })
	f.clock.Advance(6 * time.Second)
	f.waitFor("plan complete", func() (bool, string) { return f.deployPlan().Status == plan.Complete, planText(f.deployPlan()) })
	f.kafka.mu.Lock()
	last := f.kafka.applied[len(f.kafka.applied)-1]
	f.kafka.mu.Unlock()
	if len(last) != 1 || last[0].Key != "max.connections" || last[0].Value == nil || *last[0].Value != "1000" {
		t.Errorf("applied %+v, want max.connections=1000", last)
	}
	if n := len(f.master.Calls(scheduler.Call_KILL)); n != 0 {
		t.Fatalf("%d KILLs for a property Kafka changes in place", n)
	}
	f.restart()
	f.waitFor("rebuilt plan complete", func() (bool, string) {
		return f.deployPlan().Status == plan.Complete, planText(f.deployPlan())
	})
}

// TestRolloutSurvivesASchedulerRestart: after a restart mid-roll the plan
// is the rollout again (restart steps through the gate), not a plain
// relaunch of every outdated broker.
func TestRolloutSurvivesASchedulerRestart(t *testing.T) {
	f, _ := deployThree(t, `{"brokers": {"count": 3}}`)
	f.kafka.set(func(k *fakeKafka) { k.unsafe[0] = "orders-0 is at min ISR" })
	next := changed(t, f, func(o *spec.Options) { o.Brokers.Heap.Size += 64 })
	if _, _, err := f.svc.Update(f.ctx, next); err != nil {
		t.Fatal(err)
	}
	f.restart()
	steps := brokerPhase(f.deployPlan()).Steps
	if len(steps) != 3 {
		t.Fatalf("after the restart the broker phase has %d steps, want 3", len(steps))
	}
	for _, st := range plan.PlannedSteps(f.deployPlan()) {
		if st.Action != plan.ActionRestart {
			t.Errorf("step %s action %q after the restart, want restart", st.Step, st.Action)
		}
	}
	f.waitFor("the gate's reason after the restart", func() (bool, string) {
		msg := brokerPhase(f.deployPlan()).Steps[0].Message
		return strings.Contains(msg, "orders-0 is at min ISR"), msg
	})
	if n := len(f.master.Calls(scheduler.Call_KILL)); n != 0 {
		t.Fatalf("%d KILLs while the restart was not safe", n)
	}
}

// TestGateLetsABrokerKafkaDoesNotKnowStop: a broker that is not in the
// cluster and holds no replicas cannot lower availability: it is
// restarted, not waited for.
func TestGateLetsABrokerKafkaDoesNotKnowStop(t *testing.T) {
	f, launches := deployThree(t, `{"brokers": {"count": 3}}`)
	f.kafka.set(func(k *fakeKafka) { k.unknown[0] = true })
	next := changed(t, f, func(o *spec.Options) { o.Brokers.Heap.Size += 64 })
	if _, _, err := f.svc.Update(f.ctx, next); err != nil {
		t.Fatal(err)
	}
	kill := f.waitCalls(scheduler.Call_KILL, 1)[0]
	if got := kill.GetKill().TaskID.Value; got != launches[0].TaskID() {
		t.Fatalf("killed %s, want broker 0's %s", got, launches[0].TaskID())
	}
}

// TestRestartPodGoesThroughTheGateUnlessForced: an operator's restart of
// a broker whose stop is unsafe waits with the gate's reason and kills
// nothing; the same restart forced kills the broker at once, without
// asking Kafka, and the relaunch still waits for the ISR.
func TestRestartPodGoesThroughTheGateUnlessForced(t *testing.T) {
	f, launches := deployThree(t, `{"brokers": {"count": 3}}`)
	f.kafka.set(func(k *fakeKafka) { k.unsafe[1] = "orders-0 is at min ISR (in sync [1 2])" })
	if err := f.svc.RestartPod(f.ctx, "kafka-1", false); err != nil {
		t.Fatal(err)
	}
	stepMsg := func() string { return brokerPhase(f.deployPlan()).Steps[1].Message }
	f.waitFor("the gate's reason", func() (bool, string) {
		return strings.Contains(stepMsg(), "orders-0 is at min ISR"), stepMsg()
	})
	if n := len(f.master.Calls(scheduler.Call_KILL)); n != 0 {
		t.Fatalf("%d KILLs while the restart was not safe", n)
	}

	checks := func() int { f.kafka.mu.Lock(); defer f.kafka.mu.Unlock(); return len(f.kafka.gateChecks) }
	if err := f.svc.RestartPod(f.ctx, "kafka-1", true); err != nil {
		t.Fatal(err)
	}
	before := checks()
	kill := f.waitCalls(scheduler.Call_KILL, 1)[0]
	if got := kill.GetKill().TaskID.Value; got != launches[1].TaskID() {
		t.Fatalf("killed %s, want broker 1's %s", got, launches[1].TaskID())
	}
	if after := checks(); after > before+1 {
		t.Errorf("the forced restart asked the gate %d more times", after-before)
	}
	f.kafka.set(func(k *fakeKafka) { k.outOfSync[1] = true })
	f.update(servicetest.Status(launches[1].TaskID(), launches[1].AgentID(), mesos.TASK_KILLED, false))
	f.send(f.master.ReservedOffer(launches[1]))
	f.running(f.launches(4)[3])
	f.waitFor("the ISR wait after a forced restart", func() (bool, string) {
		return strings.Contains(stepMsg(), "waiting for the ISR"), stepMsg()
	})
	if err := f.svc.RestartPod(f.ctx, "kafka-7", false); err == nil {
		t.Error("restarting a pod the service does not have succeeded")
	}
}

// TestParallelUpdateStopsOneBrokerAtATime: with a parallel update strategy
// and a Kafka that finds every stop safe (its metadata lagging the
// scheduler's own kills), the gate still stops one broker at a time: the
// others wait, saying which broker is not back, until it is in the ISR.
func TestParallelUpdateStopsOneBrokerAtATime(t *testing.T) {
	f, launches := deployThree(t, `{"brokers": {"count": 3}, "service": {"update_strategy": "parallel"}}`)
	next := changed(t, f, func(o *spec.Options) { o.Brokers.Heap.Size += 64 })
	if _, _, err := f.svc.Update(f.ctx, next); err != nil {
		t.Fatal(err)
	}
	first := f.waitCalls(scheduler.Call_KILL, 1)[0].GetKill().TaskID.Value
	waiting := func() string {
		for _, st := range brokerPhase(f.deployPlan()).Steps {
			if strings.Contains(st.Message, "is being stopped") || strings.Contains(st.Message, "is down") {
				return st.Message
			}
		}
		return ""
	}
	f.waitFor("the other steps to wait for the stopped broker", func() (bool, string) { return waiting() != "", planText(f.deployPlan()) })
	if n := len(f.master.Calls(scheduler.Call_KILL)); n != 1 {
		t.Fatalf("%d KILLs: a parallel update stopped a second broker while %s was stopping", n, first)
	}
	var stopped servicetest.Launch
	for _, l := range launches {
		if l.TaskID() == first {
			stopped = l
		}
	}
	f.update(servicetest.Status(stopped.TaskID(), stopped.AgentID(), mesos.TASK_KILLED, false))
	f.send(f.master.ReservedOffer(stopped))
	f.running(f.launches(4)[3])
	f.waitCalls(scheduler.Call_KILL, 2)
}
