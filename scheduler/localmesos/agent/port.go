package agent

import (
	mesos "github.com/mesos/mesos-go/api/v1/lib"

	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/localmesos/resources"
)

// port is the agent's endpoint for the master: every message is queued on
// the agent's mailbox.
type port struct{ a *Agent }

func (p port) Ping() bool { return p.a.alive.Load() }

func (p port) RunTask(fw mesos.FrameworkInfo, t mesos.TaskInfo) {
	p.a.post(func() { p.a.runTask(fw, t) })
}

func (p port) RunTaskGroup(fw mesos.FrameworkInfo, e mesos.ExecutorInfo, g mesos.TaskGroupInfo) {
	p.a.post(func() { p.a.runTaskGroup(fw, e, g) })
}

func (p port) KillTask(fw mesos.FrameworkID, t mesos.TaskID, policy *mesos.KillPolicy) {
	p.a.post(func() { p.a.killTask(fw, t, policy) })
}

func (p port) Acknowledge(fw mesos.FrameworkID, t mesos.TaskID, uuid []byte) {
	p.a.post(func() { p.a.acknowledge(fw, t, uuid) })
}

func (p port) ApplyOperation(op mesos.Offer_Operation) {
	p.a.post(func() { p.a.applyOperation(op) })
}

func (p port) ShutdownFramework(fw mesos.FrameworkID) {
	p.a.post(func() { p.a.shutdownFramework(fw) })
}

func (p port) ShutdownExecutor(fw mesos.FrameworkID, e mesos.ExecutorID) {
	p.a.post(func() {
		if f := p.a.frameworks[fw.Value]; f != nil && !f.terminating {
			if ex := f.executors[e.Value]; ex != nil {
				p.a.shutdownExecutor(ex, defaultKillGrace)
			}
		}
	})
}

func (p port) ReconcileTasks(fw mesos.FrameworkInfo, ids []mesos.TaskID) {
	p.a.post(func() { p.a.reconcileTasks(fw, ids) })
}

func (p port) UpdateFramework(fw mesos.FrameworkInfo) {
	p.a.post(func() {
		if f := p.a.frameworks[fw.GetID().GetValue()]; f != nil {
			f.info = fw
			p.a.saveState()
		}
	})
}

func (p port) Shutdown(message string) {
	p.a.post(func() {
		p.a.log.Warn("master asked the agent to shut down", "message", message)
		p.a.shutdownAgent()
	})
}

// Snapshot is what an agent reports about itself for introspection.
type Snapshot struct {
	Name       string           `json:"name"`
	Hostname   string           `json:"hostname"`
	ID         string           `json:"id"`
	Alive      bool             `json:"alive"`
	Registered bool             `json:"registered"`
	ShutDown   bool             `json:"shut_down"`
	WorkDir    string           `json:"work_dir"`
	Volumes    []VolumeSnapshot `json:"volumes"`
	Tasks      []TaskSnapshot   `json:"tasks"`
	// PendingUpdates counts status updates waiting for acknowledgement.
	PendingUpdates int `json:"pending_updates"`
}

// VolumeSnapshot describes a persistent volume on the agent.
type VolumeSnapshot struct {
	PersistenceID string  `json:"persistence_id"`
	Role          string  `json:"role"`
	ContainerPath string  `json:"container_path"`
	HostPath      string  `json:"host_path"`
	SizeMB        float64 `json:"size_mb"`
	Source        string  `json:"source"`
}

// TaskSnapshot describes a task known to the agent.
type TaskSnapshot struct {
	FrameworkID string `json:"framework_id"`
	TaskID      string `json:"task_id"`
	Name        string `json:"name"`
	ExecutorID  string `json:"executor_id"`
	Executor    string `json:"executor"`
	State       string `json:"state"`
	Sandbox     string `json:"sandbox"`
	PID         int    `json:"pid,omitempty"`
	Healthy     *bool  `json:"healthy,omitempty"`
}

// Snapshot returns the agent's view of itself; a crashed agent reports only
// its name and address.
func (a *Agent) Snapshot() Snapshot {
	snap := Snapshot{Name: a.cfg.Name, Hostname: a.cfg.Hostname, WorkDir: a.cfg.WorkDir}
	if !a.call(func() { snap = a.snapshot() }) {
		snap.Alive = false
	}
	return snap
}

func (a *Agent) snapshot() Snapshot {
	snap := Snapshot{
		Name: a.cfg.Name, Hostname: a.cfg.Hostname, ID: a.id.Value, Alive: true,
		Registered: a.registered, ShutDown: a.shutdown, WorkDir: a.cfg.WorkDir,
	}
	for _, r := range a.checkpointed {
		if !resources.IsPersistentVolume(r) {
			continue
		}
		source := "ROOT"
		if src := r.GetDisk().GetSource(); src != nil {
			source = src.Type.String()
		}
		snap.Volumes = append(snap.Volumes, VolumeSnapshot{
			PersistenceID: r.Disk.Persistence.ID,
			Role:          resources.ReservationRole(r),
			ContainerPath: r.GetDisk().GetVolume().GetContainerPath(),
			HostPath:      VolumePath(a.cfg.WorkDir, r),
			SizeMB:        r.GetScalar().GetValue(),
			Source:        source,
		})
	}
	for _, fw := range a.frameworks {
		for _, t := range fw.allTasks() {
			ts := TaskSnapshot{
				FrameworkID: fw.id().Value, TaskID: t.info.TaskID.Value, Name: t.info.Name,
				ExecutorID: t.exec.id(), Executor: t.exec.kind.String(), State: t.state.String(), Sandbox: t.dir,
			}
			if t.proc != nil && !t.terminal {
				ts.PID = t.proc.Pid()
			}
			if t.last != nil && t.last.Healthy != nil {
				h := *t.last.Healthy
				ts.Healthy = &h
			}
			snap.Tasks = append(snap.Tasks, ts)
		}
	}
	for _, s := range a.streams {
		snap.PendingUpdates += len(s.pending)
	}
	return snap
}
