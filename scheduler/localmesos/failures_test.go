package localmesos_test

import (
	"strings"
	"testing"
	"time"

	mesos "github.com/mesos/mesos-go/api/v1/lib"
	"github.com/mesos/mesos-go/api/v1/lib/scheduler"
	"github.com/mesos/mesos-go/api/v1/lib/scheduler/calls"

	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/localmesos"
	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/localmesos/resources"
)

// launchCommandTask launches a LAUNCH (command executor) task on unreserved
// resources of any offer and waits for TASK_RUNNING.
func launchCommandTask(t *testing.T, fw *testFramework, id, cmd string) (mesos.Offer, mesos.TaskStatus) {
	t.Helper()
	offer := fw.takeOffer("cpus", func(o mesos.Offer) bool { return resources.New(o.Resources...).Scalar("cpus") >= 0.5 })
	task := taskInfo(id, offer, cmd, []mesos.Resource{scalar("cpus", 0.1), scalar("mem", 32)})
	mark := fw.mark()
	fw.call(calls.Accept(calls.OfferOperations{calls.OpLaunch(task)}.WithOffers(offer.ID)).With(calls.RefuseSeconds(0)))
	return offer, fw.waitStatus(mark, id, mesos.TASK_RUNNING)
}

func taskPID(t *testing.T, c *localmesos.Cluster, agentID, taskID string) int {
	t.Helper()
	var pid int
	eventually(t, "the task's process", func() bool {
		for _, ts := range snapshotAgent(t, c, agentID).Local.Tasks {
			if ts.TaskID == taskID && ts.PID > 0 {
				pid = ts.PID
				return true
			}
		}
		return false
	})
	return pid
}

func agentName(t *testing.T, c *localmesos.Cluster, id string) string {
	return snapshotAgent(t, c, id).Name
}

func reconcile(fw *testFramework, taskID, agentID string) {
	fw.call(calls.Reconcile(calls.ReconcileTasks(map[string]string{taskID: agentID})))
}

func noUUID(t *testing.T, st mesos.TaskStatus) {
	t.Helper()
	if len(st.UUID) != 0 || st.GetSource() != mesos.SOURCE_MASTER {
		t.Fatalf("a master-generated update has no uuid and source SOURCE_MASTER: %+v", st)
	}
}

func TestAgentCrashThenRestartKeepsReservationsAndVolumes(t *testing.T) {
	c := startCluster(t, testConfig(t))
	fw := startFramework(t, c, fwOptions{failover: time.Minute, checkpoint: true})

	taskRes := []mesos.Resource{reserved(scalar("cpus", 0.5), "b0"), reserved(scalar("mem", 128), "b0")}
	disk := reserved(scalar("disk", 100), "b0-vol")
	vol := volume(disk, "b0-volume", "data")
	execRes := executorResources("b0-exec")
	offer := fw.takeOffer("cpus", func(o mesos.Offer) bool { return resources.New(o.Resources...).Scalar("cpus") >= 1 })
	task := taskInfo("b0__1", offer, `echo kept > data/f; sleep 60`, append(append([]mesos.Resource(nil), taskRes...), vol))
	mark := fw.mark()
	fw.call(calls.Accept(calls.OfferOperations{
		calls.OpReserve(append(append(append([]mesos.Resource(nil), taskRes...), disk), execRes...)...),
		calls.OpCreate(vol),
		calls.OpLaunchGroup(executorInfo(fw, "b0__exec1", execRes), task),
	}.WithOffers(offer.ID)).With(calls.RefuseSeconds(0)))
	fw.waitStatus(mark, "b0__1", mesos.TASK_RUNNING)
	agentID := offer.AgentID.Value
	pid := taskPID(t, c, agentID, "b0__1")
	name := agentName(t, c, agentID)
	volumePath := snapshotAgent(t, c, agentID).Local.Volumes[0].HostPath
	eventually(t, "the task to write into its volume", func() bool { return exists(volumePath + "/f") })

	// The framework holds an offer from the agent when it crashes.
	held := fw.waitEvent(mark, "an offer of the leftover resources", func(e *scheduler.Event) bool {
		return e.GetType() == scheduler.Event_OFFERS && len(e.GetOffers().GetOffers()) > 0 && e.GetOffers().Offers[0].AgentID.Value == agentID
	}).GetOffers().Offers[0]
	mark = fw.mark()
	if err := c.CrashAgent(name); err != nil {
		t.Fatal(err)
	}
	if alive(pid) {
		t.Fatal("a crashed agent's task processes die with it")
	}
	fw.waitEvent(mark, "the held offer to be rescinded", func(e *scheduler.Event) bool {
		return e.GetType() == scheduler.Event_RESCIND && e.GetRescind().OfferID.Value == held.ID.Value
	})
	snap := snapshotAgent(t, c, agentID)
	if snap.Running || snap.Master == nil || snap.Master.Connected {
		t.Fatalf("a crashed agent is down and disconnected: %+v", snap)
	}
	for _, st := range fw.statuses("b0__1") {
		if st.GetState() != mesos.TASK_STARTING && st.GetState() != mesos.TASK_RUNNING {
			t.Fatalf("a checkpointing framework's task is not reported before the agent comes back: %v", st.GetState())
		}
	}

	if err := c.RestartAgent(name); err != nil {
		t.Fatal(err)
	}
	failed := fw.waitStatus(mark, "b0__1", mesos.TASK_FAILED)
	if failed.GetReason() != mesos.REASON_EXECUTOR_TERMINATED || failed.GetSource() != mesos.SOURCE_AGENT ||
		failed.GetMessage() != "Executor terminated" || len(failed.UUID) != 16 {
		t.Fatalf("after the restart the task is reported as its executor died: %+v", failed)
	}
	if snapshotAgent(t, c, agentID).Name != name {
		t.Fatal("the agent keeps its ID across the restart")
	}
	fw.takeOffers("the reservations and volume after the restart", append(append(append([]mesos.Resource(nil), taskRes...), vol), execRes...)...)
	if got := readFile(t, volumePath, "f"); got != "kept" {
		t.Fatalf("the volume's data survives the crash: %q", got)
	}
}

func TestAgentCrashLosesTasksOfNonCheckpointingFrameworks(t *testing.T) {
	c := startCluster(t, testConfig(t))
	fw := startFramework(t, c, fwOptions{failover: time.Minute, checkpoint: false})
	offer, _ := launchCommandTask(t, fw, "t1", "sleep 60")
	mark := fw.mark()
	if err := c.CrashAgent(agentName(t, c, offer.AgentID.Value)); err != nil {
		t.Fatal(err)
	}
	lost := fw.waitStatus(mark, "t1", mesos.TASK_LOST)
	noUUID(t, lost)
	if lost.GetReason() != mesos.REASON_AGENT_DISCONNECTED || lost.GetMessage() != "Agent "+offer.Hostname+" disconnected" {
		t.Fatalf("TASK_LOST: %+v", lost)
	}
}

func TestPartitionedAgentBecomesUnreachableAndRecovers(t *testing.T) {
	c := startCluster(t, testConfig(t))
	fw := startFramework(t, c, fwOptions{failover: time.Minute, checkpoint: true})
	legacy := startFramework(t, c, fwOptions{name: "legacy", failover: time.Minute, checkpoint: true,
		caps: []mesos.FrameworkInfo_Capability_Type{mesos.FrameworkInfo_Capability_MULTI_ROLE, mesos.FrameworkInfo_Capability_RESERVATION_REFINEMENT}})
	offer, _ := launchCommandTask(t, fw, "t1", "sleep 60")
	launchCommandTask(t, legacy, "legacy-t1", "sleep 60")
	agentID := offer.AgentID.Value
	pid := taskPID(t, c, agentID, "t1")

	mark, legacyMark := fw.mark(), legacy.mark()
	if err := c.PartitionAgent(agentName(t, c, agentID)); err != nil {
		t.Fatal(err)
	}
	unreachable := fw.waitStatus(mark, "t1", mesos.TASK_UNREACHABLE)
	noUUID(t, unreachable)
	if unreachable.GetReason() != mesos.REASON_AGENT_REMOVED || unreachable.UnreachableTime == nil ||
		unreachable.GetMessage() != "health check timed out" {
		t.Fatalf("TASK_UNREACHABLE: %+v", unreachable)
	}
	lost := legacy.waitStatus(legacyMark, "legacy-t1", mesos.TASK_LOST)
	if lost.GetReason() != mesos.REASON_AGENT_REMOVED {
		t.Fatalf("a framework without PARTITION_AWARE gets TASK_LOST: %+v", lost)
	}
	if !alive(pid) {
		t.Fatal("a partitioned agent's tasks keep running")
	}
	fw.waitEvent(mark, "a FAILURE event for the lost agent", func(e *scheduler.Event) bool {
		return e.GetType() == scheduler.Event_FAILURE && e.GetFailure().GetAgentID().GetValue() == agentID && e.GetFailure().ExecutorID == nil
	})

	mark = fw.mark()
	reconcile(fw, "t1", agentID)
	answer := fw.waitStatus(mark, "t1", mesos.TASK_UNREACHABLE)
	if answer.GetMessage() != "Reconciliation: Task is unreachable" || answer.UnreachableTime == nil || answer.GetReason() != mesos.REASON_RECONCILIATION {
		t.Fatalf("reconciliation of an unreachable task: %+v", answer)
	}

	mark = fw.mark()
	if err := c.HealAgent(agentName(t, c, agentID)); err != nil {
		t.Fatal(err)
	}
	back := fw.waitStatus(mark, "t1", mesos.TASK_RUNNING)
	noUUID(t, back)
	if back.GetReason() != mesos.REASON_AGENT_REREGISTERED || back.GetMessage() != "Unreachable agent re-reregistered" {
		t.Fatalf("when the agent comes back its tasks are reported again: %+v", back)
	}
	mark = fw.mark()
	reconcile(fw, "t1", agentID)
	if st := fw.waitStatus(mark, "t1", mesos.TASK_RUNNING); st.GetReason() != mesos.REASON_RECONCILIATION {
		t.Fatalf("reconciliation after recovery: %+v", st)
	}
}

func TestPartitionedAgentMarkedGoneNeverComesBack(t *testing.T) {
	c := startCluster(t, testConfig(t))
	fw := startFramework(t, c, fwOptions{failover: time.Minute, checkpoint: true})
	offer, _ := launchCommandTask(t, fw, "t1", "sleep 60")
	agentID := offer.AgentID.Value
	name := agentName(t, c, agentID)
	pid := taskPID(t, c, agentID, "t1")
	mark := fw.mark()
	if err := c.PartitionAgent(name); err != nil {
		t.Fatal(err)
	}
	fw.waitStatus(mark, "t1", mesos.TASK_UNREACHABLE)

	mark = fw.mark()
	if err := c.RemoveAgent(name); err != nil {
		t.Fatal(err)
	}
	gone := fw.waitStatus(mark, "t1", mesos.TASK_GONE_BY_OPERATOR)
	noUUID(t, gone)
	if gone.GetReason() != mesos.REASON_AGENT_REMOVED_BY_OPERATOR || gone.GetMessage() != "Agent has been marked gone" {
		t.Fatalf("TASK_GONE_BY_OPERATOR: %+v", gone)
	}
	mark = fw.mark()
	reconcile(fw, "t1", agentID)
	if st := fw.waitStatus(mark, "t1", mesos.TASK_GONE_BY_OPERATOR); st.GetMessage() != "Reconciliation: Task is gone" {
		t.Fatalf("reconciliation on a gone agent: %+v", st)
	}
	// When its network comes back the agent is refused and shuts down.
	if err := c.HealAgent(name); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the refused agent to kill its task", func() bool { return !alive(pid) })
	if err := c.RestartAgent(name); err == nil {
		t.Fatal("an agent marked gone cannot be restarted")
	}
}

func TestRemovedAgentTasksAreGoneByOperator(t *testing.T) {
	c := startCluster(t, testConfig(t))
	fw := startFramework(t, c, fwOptions{failover: time.Minute, checkpoint: true})
	offer, _ := launchCommandTask(t, fw, "t1", "sleep 60")
	pid := taskPID(t, c, offer.AgentID.Value, "t1")
	mark := fw.mark()
	if err := c.RemoveAgent(agentName(t, c, offer.AgentID.Value)); err != nil {
		t.Fatal(err)
	}
	gone := fw.waitStatus(mark, "t1", mesos.TASK_GONE_BY_OPERATOR)
	if gone.GetReason() != mesos.REASON_AGENT_REMOVED_BY_OPERATOR {
		t.Fatalf("TASK_GONE_BY_OPERATOR: %+v", gone)
	}
	eventually(t, "the removed agent to kill its task", func() bool { return !alive(pid) })
	if snap := c.Snapshot(); len(snap.Gone) != 1 || snap.Gone[0] != offer.AgentID.Value {
		t.Fatalf("the agent is listed as gone: %v", snap.Gone)
	}
}

func TestMasterFailoverClosesStreamsAndFrameworksResubscribe(t *testing.T) {
	c := startCluster(t, testConfig(t))
	fw := startFramework(t, c, fwOptions{failover: time.Minute, checkpoint: true})
	offer, _ := launchCommandTask(t, fw, "t1", "sleep 60")
	pid := taskPID(t, c, offer.AgentID.Value, "t1")
	stale := fw.takeOffer("any", func(mesos.Offer) bool { return true })
	id := fw.id()

	mark := fw.mark()
	if err := c.FailoverMaster(); err != nil {
		t.Fatal(err)
	}
	sub := fw.waitEvent(mark, "a new SUBSCRIBED", func(e *scheduler.Event) bool { return e.GetType() == scheduler.Event_SUBSCRIBED })
	if sub.GetSubscribed().FrameworkID.Value != id {
		t.Fatalf("the framework resubscribes with its ID: %s != %s", sub.GetSubscribed().FrameworkID.Value, id)
	}
	fw.mu.Lock()
	terminated := len(fw.terminations)
	fw.mu.Unlock()
	if terminated == 0 {
		t.Fatal("the framework's subscription must have terminated")
	}
	if !alive(pid) {
		t.Fatal("tasks survive a master failover")
	}
	// Offers of the old master are invalid.
	mark = fw.mark()
	task := taskInfo("t2", stale, "true", []mesos.Resource{scalar("cpus", 0.1), scalar("mem", 32)})
	fw.call(calls.Accept(calls.OfferOperations{calls.OpLaunch(task)}.WithOffers(stale.ID)))
	dropped := fw.waitStatus(mark, "t2", mesos.TASK_DROPPED)
	if dropped.GetReason() != mesos.REASON_INVALID_OFFERS {
		t.Fatalf("an offer of the old master is invalid: %+v", dropped)
	}
	mark = fw.mark()
	reconcile(fw, "t1", offer.AgentID.Value)
	fw.waitStatus(mark, "t1", mesos.TASK_RUNNING)
	fw.takeOffer("a new offer", func(o mesos.Offer) bool { return o.ID.Value != stale.ID.Value })
}

func TestCutEventStreamsMakesFrameworksReconnect(t *testing.T) {
	c := startCluster(t, testConfig(t))
	fw := startFramework(t, c, fwOptions{failover: time.Minute, checkpoint: true})
	offer, _ := launchCommandTask(t, fw, "t1", "sleep 60")
	mark := fw.mark()
	c.CutEventStreams()
	fw.waitEvent(mark, "a new SUBSCRIBED", func(e *scheduler.Event) bool { return e.GetType() == scheduler.Event_SUBSCRIBED })
	mark = fw.mark()
	reconcile(fw, "t1", offer.AgentID.Value)
	fw.waitStatus(mark, "t1", mesos.TASK_RUNNING)
}

func TestFailoverTimeoutRemovesFrameworkAndKillsTasks(t *testing.T) {
	c := startCluster(t, testConfig(t))
	fw := startFramework(t, c, fwOptions{failover: 300 * time.Millisecond, checkpoint: true})
	offer, _ := launchCommandTask(t, fw, "t1", "sleep 60")
	pid := taskPID(t, c, offer.AgentID.Value, "t1")
	id := fw.id()
	fw.stop() // the scheduler dies: its connection closes and it never comes back
	eventually(t, "the framework to be disconnected", func() bool {
		for _, f := range c.Snapshot().Frameworks {
			if f.ID == id {
				return !f.Connected
			}
		}
		return true
	})
	if !alive(pid) {
		t.Fatal("tasks run on until the failover timeout expires")
	}
	eventually(t, "the failover timeout to remove the framework", func() bool { return len(c.Snapshot().Frameworks) == 0 })
	eventually(t, "the task to be killed", func() bool { return !alive(pid) })

	// The framework can never come back.
	events := rawSubscribe(t, c.SchedulerURL(), `{"type":"SUBSCRIBE","framework_id":{"value":"`+id+`"},"subscribe":{"framework_info":{"user":"u","name":"n","id":{"value":"`+id+`"},"failover_timeout":60}}}`)
	if len(events) == 0 || !strings.Contains(events[0], `"ERROR"`) || !strings.Contains(events[0], "Framework has been removed") {
		t.Fatalf("resubscribing a removed framework: %v", events)
	}
}

func TestHeartbeatsCanStopAndResume(t *testing.T) {
	c := startCluster(t, testConfig(t))
	fw := startFramework(t, c, fwOptions{failover: time.Minute})
	isHeartbeat := func(e *scheduler.Event) bool { return e.GetType() == scheduler.Event_HEARTBEAT }
	fw.waitEvent(fw.mark(), "a heartbeat", isHeartbeat)

	c.StopHeartbeats()
	stopped := time.Now()
	// Five heartbeat intervals (200ms) pass in silence: a watchdog fires.
	eventually(t, "a second to pass", func() bool { return time.Since(stopped) > time.Second })
	fw.mu.Lock()
	for i, e := range fw.events {
		// A heartbeat already on the wire when they stopped may still land.
		if isHeartbeat(e) && fw.arrived[i].After(stopped.Add(100*time.Millisecond)) {
			fw.mu.Unlock()
			t.Fatalf("a heartbeat arrived %v after StopHeartbeats", fw.arrived[i].Sub(stopped))
		}
	}
	fw.mu.Unlock()
	c.ResumeHeartbeats()
	fw.waitEvent(fw.mark(), "heartbeats to resume", isHeartbeat)
}
