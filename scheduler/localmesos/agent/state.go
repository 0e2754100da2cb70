package agent

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	mesos "github.com/mesos/mesos-go/api/v1/lib"

	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/localmesos/resources"
	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/localmesos/sandbox"
)

// The agent's checkpoints live in <WorkDir>/meta: agent.json (the agent ID),
// resources.json (dynamic reservations and persistent volumes) and
// state.json (frameworks that asked for checkpointing, their executors,
// tasks and unacknowledged status updates). Every file is replaced
// atomically.

type savedAgent struct {
	ID string `json:"agent_id"`
}

type savedState struct {
	Frameworks []savedFramework `json:"frameworks"`
}

type savedFramework struct {
	Info      mesos.FrameworkInfo `json:"info"`
	Executors []savedExecutor     `json:"executors"`
	Completed []savedTask         `json:"completed"`
}

type savedExecutor struct {
	Info        mesos.ExecutorInfo `json:"info"`
	Kind        string             `json:"kind"`
	ContainerID string             `json:"container_id"`
	Dir         string             `json:"dir"`
	Tasks       []savedTask        `json:"tasks"`
}

type savedTask struct {
	Info        mesos.TaskInfo     `json:"info"`
	State       mesos.TaskState    `json:"state"`
	ContainerID mesos.ContainerID  `json:"container_id"`
	Dir         string             `json:"dir"`
	Group       []mesos.TaskID     `json:"group,omitempty"`
	Pending     []mesos.TaskStatus `json:"pending,omitempty"`
}

func (a *Agent) metaDir() string { return filepath.Join(a.cfg.WorkDir, "meta") }

func writeJSON(path string, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("encoding %s: %w", filepath.Base(path), err)
	}
	tmp := path + ".tmp"
	f, err := os.OpenFile(tmp, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o644)
	if err != nil {
		return err
	}
	if _, err := f.Write(b); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

func readJSON(path string, v any) (bool, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	if err := json.Unmarshal(b, v); err != nil {
		return false, fmt.Errorf("decoding %s: %w", path, err)
	}
	return true, nil
}

// ReadID returns the agent ID checkpointed in an agent's work folder, or ""
// when the agent never registered.
func ReadID(workDir string) (string, error) {
	var saved savedAgent
	if _, err := readJSON(filepath.Join(workDir, "meta", "agent.json"), &saved); err != nil {
		return "", err
	}
	return saved.ID, nil
}

func (a *Agent) saveAgentID() error {
	return writeJSON(filepath.Join(a.metaDir(), "agent.json"), savedAgent{ID: a.id.Value})
}

func (a *Agent) saveResources() error {
	list := []mesos.Resource(a.checkpointed)
	if list == nil {
		list = []mesos.Resource{}
	}
	return writeJSON(filepath.Join(a.metaDir(), "resources.json"), list)
}

// saveState checkpoints the frameworks that asked for checkpointing.
func (a *Agent) saveState() {
	if a.alive.Load() {
		a.writeState()
	}
}

func (a *Agent) writeState() {
	var st savedState
	for _, fw := range a.frameworks {
		if !fw.checkpoint() || fw.terminating {
			continue
		}
		sf := savedFramework{Info: fw.info}
		for _, e := range fw.executors {
			info := e.info
			info.Command = sandbox.CommandWithoutSecretData(info.Command) // the command executor's holds the task's
			se := savedExecutor{Info: info, Kind: e.kind.String(), ContainerID: e.containerID, Dir: e.dir}
			for _, t := range e.tasks {
				se.Tasks = append(se.Tasks, a.savedTask(t))
			}
			sf.Executors = append(sf.Executors, se)
		}
		for _, t := range fw.completed {
			sf.Completed = append(sf.Completed, a.savedTask(t))
		}
		st.Frameworks = append(st.Frameworks, sf)
	}
	if err := writeJSON(filepath.Join(a.metaDir(), "state.json"), &st); err != nil {
		a.log.Error("checkpointing agent state", "error", err)
	}
}

func (a *Agent) savedTask(t *task) savedTask {
	return savedTask{
		// The checkpoint never holds a secret's data: tasks do not survive
		// an agent restart, so nothing needs it back.
		Info: sandbox.WithoutSecretData(t.info), State: t.state, ContainerID: t.containerID, Dir: t.dir, Group: t.group,
		Pending: a.pendingUpdates(t.exec.fw.id().Value, t.info.TaskID.Value),
	}
}

// recover loads the checkpoints. Executors never survive: the local agent
// only restarts after a crash that killed its processes, so every task that
// was not terminal fails with REASON_EXECUTOR_TERMINATED, as a Mesos agent
// reports tasks whose executor died while it was down.
func (a *Agent) recover() error {
	var saved savedAgent
	if _, err := readJSON(filepath.Join(a.metaDir(), "agent.json"), &saved); err != nil {
		return err
	}
	a.id = mesos.AgentID{Value: saved.ID}

	var checkpointed []mesos.Resource
	if _, err := readJSON(filepath.Join(a.metaDir(), "resources.json"), &checkpointed); err != nil {
		return err
	}
	a.checkpointed = resources.New(checkpointed...)
	total, err := resources.ApplyCheckpointed(resources.New(a.cfg.Resources...), a.checkpointed)
	if err != nil {
		return fmt.Errorf("incompatible agent resources: %w", err)
	}
	a.total = total

	var st savedState
	if _, err := readJSON(filepath.Join(a.metaDir(), "state.json"), &st); err != nil {
		return err
	}
	for _, sf := range st.Frameworks {
		fw := &framework{info: sf.Info, executors: map[string]*executor{}, completed: map[string]*task{}}
		a.frameworks[fw.id().Value] = fw
		for _, stask := range sf.Completed {
			t := a.restoreTask(fw, nil, stask)
			fw.completed[t.info.TaskID.Value] = t
		}
		for _, se := range sf.Executors {
			kind := commandExecutor
			if se.Kind == defaultExecutor.String() {
				kind = defaultExecutor
			}
			e := &executor{fw: fw, info: se.Info, kind: kind, containerID: se.ContainerID, dir: se.Dir, tasks: map[string]*task{}, terminated: true}
			for _, stask := range se.Tasks {
				t := a.restoreTask(fw, e, stask)
				t.terminal = true
				fw.completed[t.info.TaskID.Value] = t
				st := mesos.TaskStatus{
					TaskID: t.info.TaskID, State: mesos.TASK_FAILED.Enum(), Source: mesos.SOURCE_AGENT.Enum(),
					Reason: mesos.REASON_EXECUTOR_TERMINATED.Enum(), Message: strPtr("Executor terminated"),
					AgentID: &mesos.AgentID{Value: a.id.Value}, ExecutorID: &mesos.ExecutorID{Value: e.id()},
					Timestamp: now(), UUID: newUUID(),
				}
				t.state = mesos.TASK_FAILED
				t.last = &st
				a.enqueueUpdate(fw.id(), st, true)
			}
		}
	}
	a.writeState()
	return nil
}

func strPtr(s string) *string { return &s }

func (a *Agent) restoreTask(fw *framework, e *executor, s savedTask) *task {
	if e == nil {
		e = &executor{fw: fw, info: mesos.ExecutorInfo{ExecutorID: mesos.ExecutorID{Value: s.Info.TaskID.Value}}, terminated: true, tasks: map[string]*task{}}
	}
	t := &task{info: s.Info, exec: e, state: s.State, containerID: s.ContainerID, dir: s.Dir, group: s.Group, terminal: isTerminal(s.State)}
	if n := len(s.Pending); n > 0 {
		last := s.Pending[n-1]
		t.last = &last
		for _, st := range s.Pending {
			a.enqueueUpdate(fw.id(), st, true)
		}
	}
	return t
}

// applyOperation applies a RESERVE, UNRESERVE, CREATE or DESTROY operation:
// it checkpoints the new reservations and volumes and creates or deletes
// volume folders.
func (a *Agent) applyOperation(op mesos.Offer_Operation) {
	convs, err := resources.Conversions(op)
	if err != nil {
		a.log.Error("applying operation", "type", op.Type.String(), "error", err)
		return
	}
	total, err := a.total.Apply(convs)
	if err != nil {
		a.log.Error("applying operation", "type", op.Type.String(), "error", err)
		return
	}
	switch op.Type {
	case mesos.Offer_Operation_CREATE:
		for _, v := range op.GetCreate().GetVolumes() {
			path := VolumePath(a.cfg.WorkDir, v)
			if err := os.MkdirAll(path, 0o755); err != nil {
				a.log.Error("creating persistent volume", "path", path, "error", err)
				return
			}
		}
	case mesos.Offer_Operation_DESTROY:
		for _, v := range op.GetDestroy().GetVolumes() {
			if err := removeVolume(v, VolumePath(a.cfg.WorkDir, v)); err != nil {
				a.log.Error("deleting persistent volume", "error", err)
			}
		}
	}
	a.total = total
	a.checkpointed = total.Checkpointed()
	if err := a.saveResources(); err != nil {
		a.log.Error("checkpointing resources", "error", err)
	}
	a.log.Info("applied operation", "type", op.Type.String())
}

// removeVolume deletes a volume's data; a MOUNT disk keeps its mount point.
func removeVolume(v mesos.Resource, path string) error {
	if !resources.IsMountDisk(v) {
		return os.RemoveAll(path)
	}
	entries, err := os.ReadDir(path)
	if err != nil {
		return err
	}
	for _, e := range entries {
		if err := os.RemoveAll(filepath.Join(path, e.Name())); err != nil {
			return err
		}
	}
	return nil
}
