package localmesos_test

import (
	"os"
	"testing"
	"time"

	mesos "github.com/mesos/mesos-go/api/v1/lib"
	"github.com/mesos/mesos-go/api/v1/lib/scheduler"
	"github.com/mesos/mesos-go/api/v1/lib/scheduler/calls"

	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/localmesos/resources"
)

// The whole life of a stateful task, as the Kafka scheduler will drive it:
// reserve, create a volume, launch a task group that writes into the volume,
// kill it, relaunch on the same reservation and find the data, then destroy,
// unreserve and tear down without leaving a reservation behind.
func TestReserveCreateLaunchKillRelaunchDestroyUnreserve(t *testing.T) {
	c := startCluster(t, testConfig(t))
	fw := startFramework(t, c, fwOptions{failover: time.Minute, checkpoint: true})

	taskRes := []mesos.Resource{reserved(scalar("cpus", 0.5), "broker-0"), reserved(scalar("mem", 256), "broker-0")}
	disk := reserved(scalar("disk", 512), "broker-0-vol")
	vol := volume(disk, "broker-0-volume", "kafka-volume")
	execRes := executorResources("broker-0-exec")

	offer := fw.takeOffer("cpus", func(o mesos.Offer) bool { return resources.New(o.Resources...).Scalar("cpus") >= 1 })
	if offer.GetAllocationInfo().GetRole() != role {
		t.Fatalf("a MULTI_ROLE framework's offer carries its allocation role, got %v", offer.AllocationInfo)
	}
	toReserve := append(append(append([]mesos.Resource(nil), taskRes...), disk), execRes...)
	task1 := taskInfo("broker-0__1", offer, `echo hello > kafka-volume/data.txt; echo "$MESOS_TASK_ID" > kafka-volume/task; sleep 60`,
		append(append([]mesos.Resource(nil), taskRes...), vol))
	checkCmd := "test -f kafka-volume/data.txt"
	task1.Check = &mesos.CheckInfo{Type: mesos.CheckInfo_COMMAND, Command: &mesos.CheckInfo_Command{Command: mesos.CommandInfo{Value: &checkCmd}},
		DelaySeconds: seconds(0), IntervalSeconds: seconds(0.05), TimeoutSeconds: seconds(5)}
	mark := fw.mark()
	fw.call(calls.Accept(calls.OfferOperations{
		calls.OpReserve(toReserve...),
		calls.OpCreate(vol),
		calls.OpLaunchGroup(executorInfo(fw, "broker-0__exec1", execRes), task1),
	}.WithOffers(offer.ID)))

	starting := fw.waitStatus(mark, "broker-0__1", mesos.TASK_STARTING)
	if starting.GetSource() != mesos.SOURCE_EXECUTOR || len(starting.UUID) != 16 {
		t.Fatalf("TASK_STARTING: %+v", starting)
	}
	running := fw.waitStatus(mark, "broker-0__1", mesos.TASK_RUNNING)
	if running.GetCheckStatus().GetType() != mesos.CheckInfo_COMMAND || running.GetCheckStatus().GetCommand().ExitCode != nil {
		t.Fatalf("the first TASK_RUNNING carries an empty check status: %+v", running.CheckStatus)
	}
	ready := fw.waitEvent(mark, "check passed", func(e *scheduler.Event) bool {
		s := e.GetUpdate().GetStatus()
		return e.GetType() == scheduler.Event_UPDATE && s.TaskID.Value == "broker-0__1" &&
			s.GetReason() == mesos.REASON_TASK_CHECK_STATUS_UPDATED && s.GetCheckStatus().GetCommand().ExitCode != nil &&
			s.GetCheckStatus().GetCommand().GetExitCode() == 0
	}).GetUpdate().Status
	if ready.GetState() != mesos.TASK_RUNNING {
		t.Fatalf("check updates are TASK_RUNNING updates: %v", ready.GetState())
	}

	agent := snapshotAgent(t, c, offer.AgentID.Value)
	if len(agent.Local.Volumes) != 1 {
		t.Fatalf("want one volume, got %+v", agent.Local.Volumes)
	}
	volumePath := agent.Local.Volumes[0].HostPath
	if got := readFile(t, volumePath, "data.txt"); got != "hello" {
		t.Fatalf("volume content = %q", got)
	}
	if len(agent.Master.Reserved) == 0 || len(agent.Master.Volumes) != 1 {
		t.Fatalf("the master shows the reservations and the volume: %+v", agent.Master)
	}
	if agent.Master.Volumes[0].Labels["resource_id"] != "broker-0-vol" {
		t.Fatalf("volume labels: %+v", agent.Master.Volumes[0])
	}

	mark = fw.mark()
	fw.call(calls.Kill("broker-0__1", offer.AgentID.Value))
	fw.waitStatus(mark, "broker-0__1", mesos.TASK_KILLING)
	killed := fw.waitStatus(mark, "broker-0__1", mesos.TASK_KILLED)
	if killed.GetMessage() != "Command terminated with signal Terminated" {
		t.Fatalf("TASK_KILLED message = %q", killed.GetMessage())
	}
	fw.waitEvent(mark, "the executor's exit", func(e *scheduler.Event) bool {
		return e.GetType() == scheduler.Event_FAILURE && e.GetFailure().GetExecutorID().GetValue() == "broker-0__exec1"
	})

	// The reserved resources and the volume come back, matched by labels
	// (possibly in several offers of the same agent).
	all := append(append(append([]mesos.Resource(nil), taskRes...), vol), execRes...)
	offers := fw.takeOffers("the reservation and the volume", all...)
	task2 := taskInfo("broker-0__2", offers[0], `test "$(cat kafka-volume/data.txt)" = hello`, append(append([]mesos.Resource(nil), taskRes...), vol))
	mark = fw.mark()
	fw.call(calls.Accept(calls.OfferOperations{
		calls.OpLaunchGroup(executorInfo(fw, "broker-0__exec2", execRes), task2),
	}.WithOffers(offerIDs(offers)...)))
	finished := fw.waitStatus(mark, "broker-0__2", mesos.TASK_FINISHED)
	if finished.GetMessage() != "Command exited with status 0" {
		t.Fatalf("the relaunched task must find the file: %+v", finished)
	}

	// Destroy and unreserve everything.
	offers = fw.takeOffers("the reservation again", all...)
	fw.call(calls.Accept(calls.OfferOperations{
		calls.OpDestroy(vol),
		calls.OpUnreserve(append(append(append([]mesos.Resource(nil), taskRes...), disk), execRes...)...),
	}.WithOffers(offerIDs(offers)...)).With(calls.RefuseSeconds(0)))
	eventually(t, "the volume folder to be deleted", func() bool { return !exists(volumePath) })
	eventually(t, "no reservation left", func() bool {
		a := snapshotAgent(t, c, offer.AgentID.Value)
		return len(a.Master.Reserved) == 0 && len(a.Master.Volumes) == 0 && len(a.Local.Volumes) == 0
	})
	fw.takeOffers("the whole agent unreserved again", scalar("cpus", 4), scalar("mem", 4096), scalar("disk", 4096))

	fw.call(&scheduler.Call{Type: scheduler.Call_TEARDOWN})
	eventually(t, "the framework to be removed", func() bool { return len(c.Snapshot().Frameworks) == 0 })
	for _, a := range c.Snapshot().Agents {
		if len(a.Master.Reserved) != 0 || len(a.Master.Volumes) != 0 {
			t.Fatalf("teardown left reservations behind on %s: %+v", a.Name, a.Master)
		}
	}
}

func exists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}
