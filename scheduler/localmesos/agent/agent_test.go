package agent

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	mesos "github.com/mesos/mesos-go/api/v1/lib"

	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/localmesos/resources"
	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/localmesos/wire"
)

// fakeMaster records what an agent sends and can refuse registration.
type fakeMaster struct {
	mu      sync.Mutex
	regs    []wire.Registration
	updates []wire.StatusUpdate
	exited  []string
	refuse  error
	down    bool
}

func (m *fakeMaster) RegisterAgent(reg wire.Registration) (mesos.AgentID, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.down {
		return mesos.AgentID{}, wire.ErrUnreachable
	}
	if m.refuse != nil {
		return mesos.AgentID{}, m.refuse
	}
	m.regs = append(m.regs, reg)
	if reg.Info.ID != nil {
		return *reg.Info.ID, nil
	}
	return mesos.AgentID{Value: "S1"}, nil
}

func (m *fakeMaster) StatusUpdate(u wire.StatusUpdate) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if !m.down {
		m.updates = append(m.updates, u)
	}
}

func (m *fakeMaster) ExitedExecutor(_ mesos.AgentID, _ mesos.FrameworkID, e mesos.ExecutorID, _ int32) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.exited = append(m.exited, e.Value)
}

func (m *fakeMaster) snapshot() ([]wire.Registration, []wire.StatusUpdate) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]wire.Registration(nil), m.regs...), append([]wire.StatusUpdate(nil), m.updates...)
}

func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func startAgent(t *testing.T, m *fakeMaster, dir string) *Agent {
	t.Helper()
	a, err := Start(Config{
		Name: "a1", Hostname: "127.0.0.1", WorkDir: dir,
		Resources:         []mesos.Resource{resources.Scalar("cpus", 4), resources.Scalar("mem", 4096), resources.Scalar("disk", 10000)},
		StatusUpdateRetry: 50 * time.Millisecond, RegistrationRetry: 20 * time.Millisecond, ShutdownGrace: time.Second,
		Master: func() wire.Master { return m },
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Crash() })
	eventually(t, "registration", func() bool { regs, _ := m.snapshot(); return len(regs) > 0 })
	return a
}

var fwInfo = func() mesos.FrameworkInfo {
	yes := true
	return mesos.FrameworkInfo{User: "u", Name: "f", ID: &mesos.FrameworkID{Value: "F1"}, Checkpoint: &yes,
		Capabilities: []mesos.FrameworkInfo_Capability{{Type: mesos.FrameworkInfo_Capability_PARTITION_AWARE}, {Type: mesos.FrameworkInfo_Capability_TASK_KILLING_STATE}}}
}()

func commandTask(id, cmd string) mesos.TaskInfo {
	role := "r"
	cpus := resources.Scalar("cpus", 0.1)
	cpus.AllocationInfo = &mesos.Resource_AllocationInfo{Role: &role}
	grace := int64(200 * time.Millisecond)
	return mesos.TaskInfo{Name: id, TaskID: mesos.TaskID{Value: id}, AgentID: mesos.AgentID{Value: "S1"},
		Resources: []mesos.Resource{cpus}, Command: &mesos.CommandInfo{Value: &cmd},
		KillPolicy: &mesos.KillPolicy{GracePeriod: &mesos.DurationInfo{Nanoseconds: grace}}}
}

// statesOf returns the distinct states of a task in update order (retries
// of the same update collapse).
func statesOf(updates []wire.StatusUpdate, task string) []string {
	var out []string
	seen := map[string]bool{}
	for _, u := range updates {
		if u.Status.TaskID.Value != task || seen[string(u.Status.UUID)] {
			continue
		}
		seen[string(u.Status.UUID)] = true
		out = append(out, u.Status.GetState().String())
	}
	return out
}

func lastUpdate(m *fakeMaster, task string, state mesos.TaskState) (wire.StatusUpdate, bool) {
	_, ups := m.snapshot()
	for i := len(ups) - 1; i >= 0; i-- {
		if ups[i].Status.TaskID.Value == task && ups[i].Status.GetState() == state {
			return ups[i], true
		}
	}
	return wire.StatusUpdate{}, false
}

// ackAll acknowledges every update seen so far, in order.
func ackAll(a *Agent, m *fakeMaster) {
	_, ups := m.snapshot()
	done := map[string]bool{}
	for _, u := range ups {
		if done[string(u.Status.UUID)] {
			continue
		}
		done[string(u.Status.UUID)] = true
		a.Port().Acknowledge(u.FrameworkID, u.Status.TaskID, u.Status.UUID)
	}
}

func TestCommandTaskLifecycleAndRetriesUntilAcknowledged(t *testing.T) {
	m := &fakeMaster{}
	a := startAgent(t, m, t.TempDir())
	a.Port().RunTask(fwInfo, commandTask("t1", `echo "$MESOS_TASK_ID in $MESOS_SANDBOX"; exit 0`))

	// Without acknowledgements only TASK_STARTING goes out, again and again.
	eventually(t, "TASK_STARTING retried", func() bool {
		_, ups := m.snapshot()
		n := 0
		for _, u := range ups {
			if u.Status.GetState() == mesos.TASK_STARTING {
				n++
			}
		}
		return n >= 3
	})
	if got := statesOf(func() []wire.StatusUpdate { _, u := m.snapshot(); return u }(), "t1"); len(got) != 1 {
		t.Fatalf("only the first update may be in flight, got %v", got)
	}
	var sandboxDir string
	eventually(t, "task finished", func() bool {
		if snap := a.Snapshot(); len(snap.Tasks) == 1 {
			sandboxDir = snap.Tasks[0].Sandbox
		}
		ackAll(a, m)
		_, ok := lastUpdate(m, "t1", mesos.TASK_FINISHED)
		return ok
	})
	_, ups := m.snapshot()
	if got := strings.Join(statesOf(ups, "t1"), ","); got != "TASK_STARTING,TASK_RUNNING,TASK_FINISHED" {
		t.Fatalf("states = %s", got)
	}
	fin, _ := lastUpdate(m, "t1", mesos.TASK_FINISHED)
	if fin.Status.GetMessage() != "Command exited with status 0" || fin.Status.GetSource() != mesos.SOURCE_EXECUTOR ||
		fin.LatestState != mesos.TASK_FINISHED {
		t.Fatalf("terminal update: %+v", fin.Status)
	}
	out, err := os.ReadFile(filepath.Join(sandboxDir, "stdout"))
	if err != nil || !strings.HasPrefix(string(out), "t1 in "+sandboxDir) {
		t.Fatalf("stdout = %q, %v", out, err)
	}
	ackAll(a, m)
	eventually(t, "terminal acknowledgement clears the task", func() bool { return len(a.Snapshot().Tasks) == 0 })
}

func TestKillSendsKillingThenKilledAfterGrace(t *testing.T) {
	m := &fakeMaster{}
	a := startAgent(t, m, t.TempDir())
	a.Port().RunTask(fwInfo, commandTask("t1", `trap '' TERM; sleep 60`))
	eventually(t, "running", func() bool { ackAll(a, m); _, ok := lastUpdate(m, "t1", mesos.TASK_RUNNING); return ok })
	start := time.Now()
	a.Port().KillTask(*fwInfo.ID, mesos.TaskID{Value: "t1"}, nil)
	eventually(t, "killed", func() bool { ackAll(a, m); _, ok := lastUpdate(m, "t1", mesos.TASK_KILLED); return ok })
	if time.Since(start) < 200*time.Millisecond {
		t.Fatal("the task ignores SIGTERM: it can only die after the grace period")
	}
	_, ups := m.snapshot()
	if got := strings.Join(statesOf(ups, "t1"), ","); got != "TASK_STARTING,TASK_RUNNING,TASK_KILLING,TASK_KILLED" {
		t.Fatalf("states = %s", got)
	}
	killed, _ := lastUpdate(m, "t1", mesos.TASK_KILLED)
	if killed.Status.GetMessage() != "Command terminated with signal Killed" {
		t.Fatalf("message = %q", killed.Status.GetMessage())
	}
}

func TestTaskGroupFailureKillsTheRestOfTheGroup(t *testing.T) {
	m := &fakeMaster{}
	a := startAgent(t, m, t.TempDir())
	ok := commandTask("good", `sleep 60`)
	bad := commandTask("bad", `sleep 0.2; exit 7`)
	exec := mesos.ExecutorInfo{Type: mesos.ExecutorInfo_DEFAULT, ExecutorID: mesos.ExecutorID{Value: "e1"}}
	a.Port().RunTaskGroup(fwInfo, exec, mesos.TaskGroupInfo{Tasks: []mesos.TaskInfo{ok, bad}})
	eventually(t, "group terminated", func() bool {
		ackAll(a, m)
		_, k := lastUpdate(m, "good", mesos.TASK_KILLED)
		_, f := lastUpdate(m, "bad", mesos.TASK_FAILED)
		return k && f
	})
	failed, _ := lastUpdate(m, "bad", mesos.TASK_FAILED)
	if failed.Status.GetMessage() != "Command exited with status 7" {
		t.Fatalf("message = %q", failed.Status.GetMessage())
	}
	eventually(t, "executor exited", func() bool {
		m.mu.Lock()
		defer m.mu.Unlock()
		return len(m.exited) == 1 && m.exited[0] == "e1"
	})
}

func TestCrashKillsProcessesAndRestartReportsExecutorTerminated(t *testing.T) {
	m := &fakeMaster{}
	dir := t.TempDir()
	a := startAgent(t, m, dir)
	a.Port().RunTask(fwInfo, commandTask("t1", `sleep 60`))
	eventually(t, "running", func() bool { ackAll(a, m); _, ok := lastUpdate(m, "t1", mesos.TASK_RUNNING); return ok })
	pid := a.Snapshot().Tasks[0].PID
	if pid == 0 {
		t.Fatal("no pid")
	}
	a.Crash()
	if syscall.Kill(pid, 0) == nil {
		t.Fatalf("task process %d survived the crash", pid)
	}
	m2 := &fakeMaster{}
	startAgent(t, m2, dir)
	regs, _ := m2.snapshot()
	if regs[0].Info.GetID().GetValue() != "S1" {
		t.Fatalf("the agent must reregister with its checkpointed ID, got %v", regs[0].Info.ID)
	}
	eventually(t, "TASK_FAILED after restart", func() bool { _, ok := lastUpdate(m2, "t1", mesos.TASK_FAILED); return ok })
	failed, _ := lastUpdate(m2, "t1", mesos.TASK_FAILED)
	if failed.Status.GetReason() != mesos.REASON_EXECUTOR_TERMINATED || failed.Status.GetSource() != mesos.SOURCE_AGENT ||
		failed.Status.GetMessage() != "Executor terminated" {
		t.Fatalf("update after restart: %+v", failed.Status)
	}
}

func TestReservationsAndVolumesSurviveRestart(t *testing.T) {
	m := &fakeMaster{}
	dir := t.TempDir()
	a := startAgent(t, m, dir)
	role, principal := "r", "p"
	dyn := mesos.Resource_ReservationInfo_DYNAMIC
	disk := resources.Scalar("disk", 100)
	disk.Reservations = []mesos.Resource_ReservationInfo{{Type: &dyn, Role: &role, Principal: &principal}}
	mode := mesos.RW
	vol := resources.Clone(disk)
	vol.Disk = &mesos.Resource_DiskInfo{Persistence: &mesos.Resource_DiskInfo_Persistence{ID: "v1"}, Volume: &mesos.Volume{Mode: &mode, ContainerPath: "data"}}
	a.Port().ApplyOperation(mesos.Offer_Operation{Type: mesos.Offer_Operation_RESERVE, Reserve: &mesos.Offer_Operation_Reserve{Resources: []mesos.Resource{disk}}})
	a.Port().ApplyOperation(mesos.Offer_Operation{Type: mesos.Offer_Operation_CREATE, Create: &mesos.Offer_Operation_Create{Volumes: []mesos.Resource{vol}}})
	eventually(t, "volume created", func() bool { return len(a.Snapshot().Volumes) == 1 })
	path := a.Snapshot().Volumes[0].HostPath
	if err := os.WriteFile(filepath.Join(path, "data.txt"), []byte("kept"), 0o644); err != nil {
		t.Fatal(err)
	}
	a.Crash()
	m2 := &fakeMaster{}
	b := startAgent(t, m2, dir)
	regs, _ := m2.snapshot()
	if len(regs[0].Checkpointed) != 1 || !resources.Equal(regs[0].Checkpointed[0], vol) {
		t.Fatalf("checkpointed resources after restart: %v", regs[0].Checkpointed)
	}
	if b, _ := os.ReadFile(filepath.Join(path, "data.txt")); string(b) != "kept" {
		t.Fatal("the volume's data must survive")
	}
	b.Port().ApplyOperation(mesos.Offer_Operation{Type: mesos.Offer_Operation_DESTROY, Destroy: &mesos.Offer_Operation_Destroy{Volumes: []mesos.Resource{vol}}})
	eventually(t, "volume destroyed", func() bool { return len(b.Snapshot().Volumes) == 0 })
	if _, err := os.Stat(path); !os.IsNotExist(err) {
		t.Fatalf("DESTROY must delete the volume folder: %v", err)
	}
}

func TestRefusedRegistrationShutsTheAgentDown(t *testing.T) {
	m := &fakeMaster{}
	a := startAgent(t, m, t.TempDir())
	a.Port().RunTask(fwInfo, commandTask("t1", `sleep 60`))
	eventually(t, "running", func() bool { ackAll(a, m); _, ok := lastUpdate(m, "t1", mesos.TASK_RUNNING); return ok })
	pid := a.Snapshot().Tasks[0].PID
	m.mu.Lock()
	m.refuse = context.Canceled
	m.mu.Unlock()
	a.Reregister()
	eventually(t, "agent shut down", func() bool { return a.Snapshot().ShutDown && syscall.Kill(pid, 0) != nil })
}

func TestStopGivesTasksSIGTERMAndKeepsTheCheckpoints(t *testing.T) {
	m := &fakeMaster{}
	dir := t.TempDir()
	a := startAgent(t, m, dir)
	a.Port().RunTask(fwInfo, commandTask("t1", `trap 'echo bye > bye; exit 0' TERM; while true; do sleep 0.05; done`))
	eventually(t, "running", func() bool { ackAll(a, m); _, ok := lastUpdate(m, "t1", mesos.TASK_RUNNING); return ok })
	snap := a.Snapshot()
	sandboxDir, pid := snap.Tasks[0].Sandbox, snap.Tasks[0].PID
	if err := a.Stop(context.Background()); err != nil {
		t.Fatal(err)
	}
	if syscall.Kill(pid, 0) == nil {
		t.Fatal("Stop returns once every task process has exited")
	}
	if b, err := os.ReadFile(filepath.Join(sandboxDir, "bye")); err != nil || strings.TrimSpace(string(b)) != "bye" {
		t.Fatalf("the task got SIGTERM and could clean up: %q %v", b, err)
	}
	m2 := &fakeMaster{}
	startAgent(t, m2, dir)
	eventually(t, "the task reported failed after the restart", func() bool { _, ok := lastUpdate(m2, "t1", mesos.TASK_FAILED); return ok })
}

func TestTasksDoNotInheritSchedulerCredentials(t *testing.T) {
	got := agentEnvironment([]string{"PATH=/bin", "KAFKA_SCHEDULER_TOKEN=s3cret", "KAFKA_SCHEDULER_ZK_PASSWORD=pw", "HOME=/root"})
	if strings.Join(got, " ") != "PATH=/bin HOME=/root" {
		t.Fatalf("environment = %v, want the scheduler's credentials left out", got)
	}
}
