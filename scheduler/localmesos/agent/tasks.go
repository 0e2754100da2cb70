package agent

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	mesos "github.com/mesos/mesos-go/api/v1/lib"

	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/localmesos/checks"
	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/localmesos/resources"
	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/localmesos/sandbox"
)

type executorKind int

const (
	commandExecutor executorKind = iota
	defaultExecutor
)

func (k executorKind) String() string {
	if k == defaultExecutor {
		return "default"
	}
	return "command"
}

// framework is what an agent knows about one framework.
type framework struct {
	info      mesos.FrameworkInfo
	executors map[string]*executor
	// completed holds terminal tasks until their terminal update is
	// acknowledged.
	completed   map[string]*task
	terminating bool
}

func (f *framework) id() mesos.FrameworkID {
	if f.info.ID == nil {
		return mesos.FrameworkID{}
	}
	return *f.info.ID
}

func (f *framework) checkpoint() bool { return f.info.GetCheckpoint() }

func (f *framework) capable(c mesos.FrameworkInfo_Capability_Type) bool {
	for _, cap := range f.info.Capabilities {
		if cap.Type == c {
			return true
		}
	}
	return false
}

func (f *framework) partitionAware() bool {
	return f.capable(mesos.FrameworkInfo_Capability_PARTITION_AWARE)
}

// liveTask returns a non-terminal task.
func (f *framework) liveTask(id string) *task {
	for _, e := range f.executors {
		if t, ok := e.tasks[id]; ok {
			return t
		}
	}
	return nil
}

func (f *framework) allTasks() []*task {
	var out []*task
	for _, e := range f.executors {
		for _, t := range e.tasks {
			out = append(out, t)
		}
	}
	for _, t := range f.completed {
		out = append(out, t)
	}
	return out
}

func (f *framework) idle() bool { return len(f.executors) == 0 && len(f.completed) == 0 }

// executor is a command executor (one task) or a default executor (task
// groups).
type executor struct {
	fw           *framework
	info         mesos.ExecutorInfo
	kind         executorKind
	containerID  string
	dir          string
	tasks        map[string]*task // non-terminal tasks
	shuttingDown bool
	unhealthy    bool
	terminated   bool
}

func (e *executor) id() string { return e.info.ExecutorID.Value }

// task is one task and its process.
type task struct {
	info        mesos.TaskInfo
	exec        *executor
	group       []mesos.TaskID
	state       mesos.TaskState
	containerID mesos.ContainerID
	dir         string
	env         []string
	proc        *sandbox.Process
	launched    bool
	launchErr   string

	killing            bool
	pendingKill        *time.Duration
	killingGroup       bool
	killedByHealth     bool
	killedByCompletion bool
	terminal           bool

	checkStatus     *mesos.CheckStatusInfo
	last            *mesos.TaskStatus
	stopChecks      context.CancelFunc
	completionTimer *time.Timer
}

func newID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:])
}

func newUUID() []byte {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	b[6] = (b[6] & 0x0f) | 0x40
	b[8] = (b[8] & 0x3f) | 0x80
	return b
}

// procSet tracks every live task process so that a crash can kill them all,
// including ones started concurrently with the crash.
type procSet struct {
	mu     sync.Mutex
	procs  map[*sandbox.Process]struct{}
	closed bool
}

func (s *procSet) add(p *sandbox.Process) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return false
	}
	if s.procs == nil {
		s.procs = map[*sandbox.Process]struct{}{}
	}
	s.procs[p] = struct{}{}
	return true
}

func (s *procSet) remove(p *sandbox.Process) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.procs, p)
}

func (s *procSet) list(closeSet bool) []*sandbox.Process {
	s.mu.Lock()
	defer s.mu.Unlock()
	if closeSet {
		s.closed = true
	}
	out := make([]*sandbox.Process, 0, len(s.procs))
	for p := range s.procs {
		out = append(out, p)
	}
	return out
}

// killAll stops every task process (SIGTERM, SIGKILL after grace; at once
// when grace is 0) and waits until they have exited. No process can start
// afterwards.
func (a *Agent) killAll(ctx context.Context, grace time.Duration) error {
	procs := a.procs.list(true)
	errs := make(chan error, len(procs))
	var wg sync.WaitGroup
	for _, p := range procs {
		wg.Add(1)
		go func(p *sandbox.Process) {
			defer wg.Done()
			var err error
			if grace > 0 {
				err = p.Kill(ctx, grace)
			} else if err = p.Signal(9); err == nil {
				select {
				case <-p.Done():
				case <-time.After(10 * time.Second):
					err = fmt.Errorf("task process %d did not exit after SIGKILL", p.Pid())
				}
			}
			if err != nil {
				errs <- err
			}
		}(p)
	}
	wg.Wait()
	close(errs)
	var all error
	for err := range errs {
		all = errors.Join(all, err)
	}
	return all
}

func (a *Agent) frameworkFor(info mesos.FrameworkInfo) *framework {
	id := info.GetID().GetValue()
	fw, ok := a.frameworks[id]
	if !ok {
		fw = &framework{executors: map[string]*executor{}, completed: map[string]*task{}}
		a.frameworks[id] = fw
	}
	fw.info = info
	return fw
}

func (a *Agent) sandboxDir(fw *framework, executorID, containerID string) string {
	return filepath.Join(a.cfg.WorkDir, "slaves", a.id.Value, "frameworks", fw.id().Value,
		"executors", executorID, "runs", containerID)
}

// resourcesKnown checks that the checkpointed parts (reservations, volumes)
// of rs are known to the agent.
func (a *Agent) resourcesKnown(rs []mesos.Resource) bool {
	for _, r := range resources.New(rs...).Unallocated() {
		if resources.NeedsCheckpoint(r) && !a.total.ContainsOne(r) {
			return false
		}
	}
	return true
}

func (a *Agent) lostOrDropped(fw *framework) mesos.TaskState {
	if fw.partitionAware() {
		return mesos.TASK_DROPPED
	}
	return mesos.TASK_LOST
}

// agentUpdate sends an update generated by the agent itself for a task it
// may not know.
func (a *Agent) agentUpdate(fw *framework, taskID mesos.TaskID, executorID string, state mesos.TaskState, reason mesos.TaskStatus_Reason, message string) {
	st := mesos.TaskStatus{
		TaskID:    taskID,
		State:     state.Enum(),
		Source:    mesos.SOURCE_AGENT.Enum(),
		Reason:    reason.Enum(),
		Message:   &message,
		AgentID:   &mesos.AgentID{Value: a.id.Value},
		Timestamp: now(),
		UUID:      newUUID(),
	}
	if executorID != "" {
		st.ExecutorID = &mesos.ExecutorID{Value: executorID}
	}
	if fw != nil && fw.terminating {
		return
	}
	a.enqueueUpdate(fw.id(), st, fw.checkpoint())
}

func now() *float64 {
	t := float64(time.Now().UnixNano()) / 1e9
	return &t
}

// runTask launches a task with the command executor (LAUNCH).
func (a *Agent) runTask(fwInfo mesos.FrameworkInfo, info mesos.TaskInfo) {
	if a.shutdown {
		return
	}
	fw := a.frameworkFor(fwInfo)
	if fw.terminating {
		a.log.Warn("ignoring task of a terminating framework", "task", info.TaskID.Value)
		return
	}
	if !a.resourcesKnown(info.Resources) {
		a.agentUpdate(fw, info.TaskID, info.TaskID.Value, a.lostOrDropped(fw), mesos.REASON_RESOURCES_UNKNOWN,
			"The checkpointed resources being used by the task or task group are unknown to the agent")
		return
	}
	if info.Executor != nil {
		// A custom executor would need the executor HTTP API, which the
		// local agent does not serve: fail the task plainly and release the
		// executor's resources.
		a.agentUpdate(fw, info.TaskID, info.Executor.ExecutorID.Value, mesos.TASK_FAILED, mesos.REASON_CONTAINER_LAUNCH_FAILED,
			"Failed to launch container: custom executors are not supported by the local Mesos agent; "+
				"use the command executor (TaskInfo.command) or LAUNCH_GROUP with the default executor")
		if m := a.cfg.Master(); m != nil && a.registered {
			m.ExitedExecutor(a.id, fw.id(), info.Executor.ExecutorID, 1)
		}
		return
	}
	fwID := fw.id()
	e := &executor{
		fw:          fw,
		info:        mesos.ExecutorInfo{ExecutorID: mesos.ExecutorID{Value: info.TaskID.Value}, FrameworkID: &fwID, Command: info.Command},
		kind:        commandExecutor,
		containerID: newID(),
		tasks:       map[string]*task{},
	}
	e.dir = a.sandboxDir(fw, e.id(), e.containerID)
	fw.executors[e.id()] = e
	t := &task{info: info, exec: e, state: mesos.TASK_STAGING, containerID: mesos.ContainerID{Value: e.containerID}, dir: e.dir}
	e.tasks[info.TaskID.Value] = t
	a.saveState()
	a.log.Info("launching task with the command executor", "framework", fwID.Value, "task", info.TaskID.Value, "sandbox", e.dir)
	a.prepare(t)
}

// runTaskGroup launches a task group with the default executor
// (LAUNCH_GROUP).
func (a *Agent) runTaskGroup(fwInfo mesos.FrameworkInfo, execInfo mesos.ExecutorInfo, group mesos.TaskGroupInfo) {
	if a.shutdown {
		return
	}
	fw := a.frameworkFor(fwInfo)
	if fw.terminating {
		a.log.Warn("ignoring task group of a terminating framework", "executor", execInfo.ExecutorID.Value)
		return
	}
	e := fw.executors[execInfo.ExecutorID.Value]
	all := []mesos.Resource{}
	for _, t := range group.Tasks {
		all = append(all, t.Resources...)
	}
	if e == nil {
		all = append(all, execInfo.Resources...)
	}
	if !a.resourcesKnown(all) {
		for _, t := range group.Tasks {
			a.agentUpdate(fw, t.TaskID, execInfo.ExecutorID.Value, a.lostOrDropped(fw), mesos.REASON_RESOURCES_UNKNOWN,
				"The checkpointed resources being used by the task or task group are unknown to the agent")
		}
		return
	}
	if e != nil && e.shuttingDown {
		for _, t := range group.Tasks {
			a.agentUpdate(fw, t.TaskID, execInfo.ExecutorID.Value, a.lostOrDropped(fw), mesos.REASON_EXECUTOR_TERMINATED,
				"Executor is shutting down")
		}
		return
	}
	if e == nil {
		e = &executor{fw: fw, info: execInfo, kind: defaultExecutor, containerID: newID(), tasks: map[string]*task{}}
		e.dir = a.sandboxDir(fw, e.id(), e.containerID)
		if err := a.prepareExecutorDir(e); err != nil {
			a.log.Error("preparing executor sandbox", "executor", e.id(), "error", err)
			for _, t := range group.Tasks {
				a.agentUpdate(fw, t.TaskID, e.id(), mesos.TASK_FAILED, mesos.REASON_CONTAINER_LAUNCH_FAILED,
					"Failed to launch container: "+err.Error())
			}
			return
		}
		fw.executors[e.id()] = e
	}
	ids := make([]mesos.TaskID, 0, len(group.Tasks))
	for _, t := range group.Tasks {
		ids = append(ids, t.TaskID)
	}
	var launched []*task
	for _, info := range group.Tasks {
		cid := newID()
		t := &task{
			info:        info,
			exec:        e,
			group:       ids,
			state:       mesos.TASK_STAGING,
			containerID: mesos.ContainerID{Value: cid, Parent: &mesos.ContainerID{Value: e.containerID}},
			dir:         filepath.Join(e.dir, "containers", cid),
		}
		e.tasks[info.TaskID.Value] = t
		launched = append(launched, t)
	}
	a.saveState()
	a.log.Info("launching task group with the default executor", "framework", fw.id().Value, "executor", e.id(), "tasks", len(launched), "sandbox", e.dir)
	for _, t := range launched {
		a.sendExecutorStatus(t, mesos.TASK_STARTING, nil, "")
	}
	for _, t := range launched {
		a.prepare(t)
	}
}

func (a *Agent) prepareExecutorDir(e *executor) error {
	if err := os.MkdirAll(e.dir, 0o755); err != nil {
		return err
	}
	for _, r := range e.info.Resources {
		if host, path, ok := a.volumeOf(r); ok {
			if err := sandbox.LinkVolume(e.dir, path, host); err != nil {
				return err
			}
		}
	}
	return nil
}

// volumeOf returns the host folder and container path of a persistent
// volume resource.
func (a *Agent) volumeOf(r mesos.Resource) (host, containerPath string, ok bool) {
	if !resources.IsPersistentVolume(r) || r.Disk.Volume == nil {
		return "", "", false
	}
	return VolumePath(a.cfg.WorkDir, r), r.Disk.Volume.ContainerPath, true
}

// VolumePath is where a persistent volume lives on the agent: the mount
// root for MOUNT disks, <root>/volumes/roles/<role>/<id> otherwise.
func VolumePath(workDir string, r mesos.Resource) string {
	id := r.GetDisk().GetPersistence().GetID()
	role := resources.ReservationRole(r)
	if src := r.GetDisk().GetSource(); src != nil {
		switch src.Type {
		case mesos.Resource_DiskInfo_Source_MOUNT:
			return src.GetMount().GetRoot()
		case mesos.Resource_DiskInfo_Source_PATH:
			return filepath.Join(src.GetPath().GetRoot(), "volumes", "roles", role, id)
		}
	}
	return filepath.Join(workDir, "volumes", "roles", role, id)
}

func (a *Agent) taskEnv(t *task) map[string]string {
	role := ""
	for _, r := range t.info.Resources {
		if r.AllocationInfo != nil {
			role = r.AllocationInfo.GetRole()
			break
		}
	}
	checkpoint := "0"
	if t.exec.fw.checkpoint() {
		checkpoint = "1"
	}
	return map[string]string{
		"MESOS_SANDBOX":         t.dir,
		"MESOS_DIRECTORY":       t.exec.dir,
		"MESOS_FRAMEWORK_ID":    t.exec.fw.id().Value,
		"MESOS_EXECUTOR_ID":     t.exec.id(),
		"MESOS_TASK_ID":         t.info.TaskID.Value,
		"MESOS_SLAVE_ID":        a.id.Value,
		"MESOS_CONTAINER_IP":    a.cfg.Hostname,
		"LIBPROCESS_IP":         a.cfg.Hostname,
		"MESOS_ALLOCATION_ROLE": role,
		"MESOS_CHECKPOINT":      checkpoint,
	}
}

// prepare creates the task's sandbox, links its volumes, fetches its URIs
// and builds its environment on a helper goroutine, then continues on the
// mailbox with prepared.
func (a *Agent) prepare(t *task) {
	dir := t.dir
	var links [][2]string
	for _, r := range t.info.Resources {
		if host, path, ok := a.volumeOf(r); ok {
			links = append(links, [2]string{path, host})
		}
	}
	var cmd mesos.CommandInfo
	if t.info.Command != nil {
		cmd = *t.info.Command
	}
	vars := a.taskEnv(t)
	execDir := t.exec.dir
	taskLink := ""
	if t.exec.kind == defaultExecutor {
		taskLink = filepath.Join(execDir, "tasks", t.info.TaskID.Value)
	}
	ctx := a.ctx
	container := t.info.Container
	a.wg.Add(1)
	go func() {
		defer a.wg.Done()
		env, err := prepareSandbox(ctx, dir, taskLink, links, container, cmd, vars)
		a.post(func() { a.prepared(t, env, err) })
	}()
}

// prepareSandbox creates the task's sandbox: its folder, the volume links,
// the secret files (as Mesos's volume/secret isolator, before anything
// runs), the fetched URIs, and the environment with the secret variables
// resolved.
func prepareSandbox(ctx context.Context, dir, taskLink string, links [][2]string, container *mesos.ContainerInfo, cmd mesos.CommandInfo, vars map[string]string) ([]string, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("creating sandbox %s: %w", dir, err)
	}
	if taskLink != "" {
		if err := os.MkdirAll(filepath.Dir(taskLink), 0o755); err != nil {
			return nil, err
		}
		_ = os.Remove(taskLink)
		if err := os.Symlink(dir, taskLink); err != nil {
			return nil, err
		}
	}
	for _, l := range links {
		if err := sandbox.LinkVolume(dir, l[0], l[1]); err != nil {
			return nil, err
		}
	}
	files, err := sandbox.SecretFiles(container)
	if err != nil {
		return nil, fmt.Errorf("Failed to prepare secret volumes: %w", err)
	}
	if err := sandbox.WriteSecretFiles(dir, files); err != nil {
		return nil, fmt.Errorf("Failed to prepare secret volumes: %w", err)
	}
	if err := sandbox.Fetch(ctx, cmd.URIs, dir); err != nil {
		return nil, fmt.Errorf("Failed to fetch all URIs for container: %w", err)
	}
	return sandbox.Env(agentEnvironment(os.Environ()), vars, &cmd)
}

// agentEnvironment is what tasks inherit from the agent's own environment,
// as a real agent passes its environment to executors; the scheduler's
// credentials (KAFKA_SCHEDULER_*: the API token, the ZooKeeper password,
// secret keys) are left out, because in dev mode the agent runs inside the
// scheduler's process and brokers must never see them.
func agentEnvironment(environ []string) []string {
	out := make([]string, 0, len(environ))
	for _, kv := range environ {
		if !strings.HasPrefix(kv, "KAFKA_SCHEDULER_") {
			out = append(out, kv)
		}
	}
	return out
}

// prepared continues a launch once the sandbox is ready.
func (a *Agent) prepared(t *task, env []string, err error) {
	if t.terminal {
		return
	}
	t.env = env
	if t.exec.kind == commandExecutor {
		if err != nil {
			a.finishTask(t, mesos.TASK_FAILED, mesos.SOURCE_AGENT, mesos.REASON_CONTAINER_LAUNCH_FAILED.Enum(),
				"Failed to launch container: "+err.Error())
			return
		}
		a.sendExecutorStatus(t, mesos.TASK_STARTING, nil, "")
	} else if err != nil {
		t.launchErr = err.Error()
		a.finishTask(t, a.terminalStateAfterFailure(t), mesos.SOURCE_EXECUTOR, nil, t.launchErr)
		return
	}
	proc, err := sandbox.Start(sandbox.Spec{Command: commandOf(t.info), Dir: t.dir, Env: env})
	if err != nil {
		a.finishTask(t, a.terminalStateAfterFailure(t), mesos.SOURCE_EXECUTOR, nil, "Failed to launch task: "+err.Error())
		return
	}
	if !a.procs.add(proc) {
		_ = proc.Signal(9)
		return
	}
	t.proc = proc
	t.launched = true
	a.wg.Add(1)
	go func() {
		defer a.wg.Done()
		<-proc.Done()
		a.procs.remove(proc)
		a.post(func() { a.processExited(t) })
	}()
	a.sendExecutorStatus(t, mesos.TASK_RUNNING, nil, "")
	if t.pendingKill != nil {
		grace := *t.pendingKill
		t.pendingKill = nil
		a.signalKill(t, grace)
		return
	}
	a.startChecks(t)
	if mct := t.info.GetMaxCompletionTime(); mct != nil && mct.Nanoseconds > 0 {
		t.completionTimer = time.AfterFunc(time.Duration(mct.Nanoseconds), func() {
			a.post(func() {
				if !t.terminal && !t.killing {
					t.killedByCompletion = true
					a.kill(t, 0)
				}
			})
		})
	}
}

func commandOf(info mesos.TaskInfo) mesos.CommandInfo {
	if info.Command != nil {
		return *info.Command
	}
	return mesos.CommandInfo{}
}

func (a *Agent) terminalStateAfterFailure(t *task) mesos.TaskState {
	if t.killing {
		return mesos.TASK_KILLED
	}
	return mesos.TASK_FAILED
}

func (a *Agent) startChecks(t *task) {
	if t.info.Check == nil && t.info.HealthCheck == nil {
		return
	}
	ctx, cancel := context.WithCancel(a.ctx)
	t.stopChecks = cancel
	target := checks.Target{Host: a.cfg.Hostname, Dir: t.dir, Env: t.env}
	if t.info.Check != nil {
		check := *t.info.Check
		a.wg.Add(1)
		go func() {
			defer a.wg.Done()
			checks.RunCheck(ctx, check, target, func(cs mesos.CheckStatusInfo) {
				a.post(func() { a.checkUpdated(t, cs) })
			})
		}()
	}
	if t.info.HealthCheck != nil {
		hc := *t.info.HealthCheck
		a.wg.Add(1)
		go func() {
			defer a.wg.Done()
			checks.RunHealthCheck(ctx, hc, target, func(hs checks.HealthStatus) {
				a.post(func() { a.healthUpdated(t, hs) })
			})
		}()
	}
}

func (a *Agent) stopTaskChecks(t *task) {
	if t.stopChecks != nil {
		t.stopChecks()
		t.stopChecks = nil
	}
	if t.completionTimer != nil {
		t.completionTimer.Stop()
		t.completionTimer = nil
	}
}

// checkUpdated sends a TASK_RUNNING update carrying the new check status.
func (a *Agent) checkUpdated(t *task, cs mesos.CheckStatusInfo) {
	if t.terminal || t.killing || t.stopChecks == nil || t.last == nil {
		return
	}
	t.checkStatus = &cs
	st := a.derivedStatus(t)
	st.Reason = mesos.REASON_TASK_CHECK_STATUS_UPDATED.Enum()
	st.CheckStatus = &cs
	a.sendStatus(t, st)
}

// healthUpdated sends a TASK_RUNNING update with the health result and kills
// the task after too many consecutive failures.
func (a *Agent) healthUpdated(t *task, hs checks.HealthStatus) {
	if t.terminal || t.killing || t.stopChecks == nil || t.last == nil {
		return
	}
	st := a.derivedStatus(t)
	st.Reason = mesos.REASON_TASK_HEALTH_CHECK_STATUS_UPDATED.Enum()
	healthy := hs.Healthy
	st.Healthy = &healthy
	a.sendStatus(t, st)
	if hs.KillTask {
		t.killedByHealth = true
		t.exec.unhealthy = true
		a.kill(t, killGrace(t, nil))
	}
}

// derivedStatus copies the task's last status with a fresh uuid and time,
// as the executors do for check and health updates.
func (a *Agent) derivedStatus(t *task) mesos.TaskStatus {
	st := *t.last
	st.UUID = newUUID()
	st.Timestamp = now()
	st.Message = nil
	st.Reason = nil
	return st
}

func killGrace(t *task, policy *mesos.KillPolicy) time.Duration {
	if policy != nil && policy.GracePeriod != nil {
		return time.Duration(policy.GracePeriod.Nanoseconds)
	}
	if kp := t.info.KillPolicy; kp != nil && kp.GracePeriod != nil {
		return time.Duration(kp.GracePeriod.Nanoseconds)
	}
	return defaultKillGrace
}

// killTask handles a KillTask message from the master.
func (a *Agent) killTask(fwID mesos.FrameworkID, taskID mesos.TaskID, policy *mesos.KillPolicy) {
	fw := a.frameworks[fwID.Value]
	if fw == nil {
		a.log.Warn("ignoring kill of a task of an unknown framework", "framework", fwID.Value, "task", taskID.Value)
		return
	}
	if fw.terminating {
		return
	}
	t := fw.liveTask(taskID.Value)
	if t == nil {
		if _, done := fw.completed[taskID.Value]; done {
			return
		}
		a.agentUpdate(fw, taskID, "", a.lostOrDropped(fw), mesos.REASON_EXECUTOR_TERMINATED, "Cannot find executor")
		return
	}
	a.kill(t, killGrace(t, policy))
}

// kill kills a task: TASK_KILLING when the framework understands it,
// SIGTERM, then SIGKILL after the grace period.
func (a *Agent) kill(t *task, grace time.Duration) {
	if t.terminal || t.killing {
		return
	}
	if t.exec.kind == commandExecutor && t.proc == nil {
		// The executor has not started yet: the agent kills the task itself.
		a.finishTask(t, mesos.TASK_KILLED, mesos.SOURCE_AGENT, mesos.REASON_TASK_KILLED_DURING_LAUNCH.Enum(),
			"Killed before delivery to the executor")
		return
	}
	t.killing = true
	a.stopTaskChecks(t)
	if !t.killedByCompletion && t.exec.fw.capable(mesos.FrameworkInfo_Capability_TASK_KILLING_STATE) {
		a.sendExecutorStatus(t, mesos.TASK_KILLING, nil, "")
	}
	if t.proc == nil {
		t.pendingKill = &grace
		return
	}
	a.signalKill(t, grace)
}

func (a *Agent) signalKill(t *task, grace time.Duration) {
	proc := t.proc
	ctx := a.ctx
	a.wg.Add(1)
	go func() {
		defer a.wg.Done()
		if err := proc.Kill(ctx, grace); err != nil && ctx.Err() == nil {
			a.log.Warn("killing task", "task", t.info.TaskID.Value, "error", err)
		}
	}()
}

// processExited turns a process exit into the task's terminal update.
func (a *Agent) processExited(t *task) {
	if t.terminal {
		return
	}
	ws := t.proc.Status()
	var state mesos.TaskState
	var reason *mesos.TaskStatus_Reason
	switch {
	case t.killedByCompletion:
		state = mesos.TASK_FAILED
		reason = mesos.REASON_MAX_COMPLETION_TIME_REACHED.Enum()
	case t.killing:
		state = mesos.TASK_KILLED
	case sandbox.Succeeded(ws):
		state = mesos.TASK_FINISHED
	default:
		state = mesos.TASK_FAILED
	}
	a.finishTask(t, state, mesos.SOURCE_EXECUTOR, reason, "Command "+sandbox.Describe(ws))
}

// finishTask sends a task's terminal update and applies the executor's
// rules: the default executor kills the rest of a task group when one task
// fails or is killed, and an executor with no task left terminates.
func (a *Agent) finishTask(t *task, state mesos.TaskState, source mesos.TaskStatus_Source, reason *mesos.TaskStatus_Reason, message string) {
	a.stopTaskChecks(t)
	var st mesos.TaskStatus
	if source == mesos.SOURCE_EXECUTOR {
		st = a.executorStatus(t, state, reason, message)
		if t.killedByHealth || (t.exec.kind == defaultExecutor && t.exec.unhealthy) {
			unhealthy := false
			st.Healthy = &unhealthy
		}
	} else {
		st = mesos.TaskStatus{
			TaskID: t.info.TaskID, State: state.Enum(), Source: source.Enum(), Reason: reason, Message: &message,
			AgentID: &mesos.AgentID{Value: a.id.Value}, ExecutorID: &mesos.ExecutorID{Value: t.exec.id()},
			Timestamp: now(), UUID: newUUID(),
		}
	}
	t.terminal = true
	e := t.exec
	delete(e.tasks, t.info.TaskID.Value)
	e.fw.completed[t.info.TaskID.Value] = t
	a.sendStatus(t, st)

	if e.kind == defaultExecutor && !e.shuttingDown && !t.killingGroup &&
		(state == mesos.TASK_FAILED || state == mesos.TASK_KILLED) {
		for _, id := range t.group {
			sibling := e.tasks[id.Value]
			if sibling == nil || id.Value == t.info.TaskID.Value {
				continue
			}
			sibling.killingGroup = true
			if !sibling.killing {
				a.kill(sibling, defaultKillGrace)
			}
		}
	}
	if len(e.tasks) == 0 && !e.terminated {
		a.executorTerminated(e)
	}
	a.saveState()
}

// executorTerminated records that an executor exited and tells the master.
func (a *Agent) executorTerminated(e *executor) {
	e.terminated = true
	for _, t := range e.tasks {
		a.finishTask(t, mesos.TASK_FAILED, mesos.SOURCE_AGENT, mesos.REASON_EXECUTOR_TERMINATED.Enum(), "Executor terminated")
	}
	delete(e.fw.executors, e.id())
	if a.registered && !e.fw.terminating {
		if m := a.cfg.Master(); m != nil {
			m.ExitedExecutor(a.id, e.fw.id(), e.info.ExecutorID, 0)
		}
	}
	a.forgetFrameworkIfDone(e.fw)
}

func (a *Agent) forgetFrameworkIfDone(fw *framework) {
	if !fw.idle() {
		return
	}
	for k := range a.streams {
		if k.framework == fw.id().Value {
			return
		}
	}
	delete(a.frameworks, fw.id().Value)
	a.saveState()
}

// executorStatus builds a status as an executor sends it.
func (a *Agent) executorStatus(t *task, state mesos.TaskState, reason *mesos.TaskStatus_Reason, message string) mesos.TaskStatus {
	st := mesos.TaskStatus{
		TaskID:     t.info.TaskID,
		State:      state.Enum(),
		Source:     mesos.SOURCE_EXECUTOR.Enum(),
		Reason:     reason,
		AgentID:    &mesos.AgentID{Value: a.id.Value},
		ExecutorID: &mesos.ExecutorID{Value: t.exec.id()},
		Timestamp:  now(),
		UUID:       newUUID(),
	}
	if message != "" {
		st.Message = &message
	}
	cid := t.containerID
	ip := a.cfg.Hostname
	st.ContainerStatus = &mesos.ContainerStatus{
		ContainerID:  &cid,
		NetworkInfos: []mesos.NetworkInfo{{IPAddresses: []mesos.NetworkInfo_IPAddress{{IPAddress: &ip}}}},
	}
	if t.proc != nil && t.exec.kind == commandExecutor {
		pid := uint32(t.proc.Pid())
		st.ContainerStatus.ExecutorPID = &pid
	}
	if t.info.Check != nil {
		cs := checks.EmptyStatus(t.info.Check.Type)
		if t.checkStatus != nil {
			cs = *t.checkStatus
		}
		st.CheckStatus = &cs
	}
	return st
}

func (a *Agent) sendExecutorStatus(t *task, state mesos.TaskState, reason *mesos.TaskStatus_Reason, message string) {
	a.sendStatus(t, a.executorStatus(t, state, reason, message))
}

// sendStatus records the task's new state and hands the update to the
// status update manager; updates of terminating frameworks are dropped.
func (a *Agent) sendStatus(t *task, st mesos.TaskStatus) {
	t.state = st.GetState()
	t.last = &st
	fw := t.exec.fw
	if fw.terminating {
		return
	}
	a.enqueueUpdate(fw.id(), st, fw.checkpoint())
	a.saveState()
}

// shutdownExecutor kills every task of an executor.
func (a *Agent) shutdownExecutor(e *executor, grace time.Duration) {
	if e.terminated {
		return
	}
	e.shuttingDown = true
	for _, t := range e.tasks {
		a.kill(t, grace)
	}
	if len(e.tasks) == 0 {
		a.executorTerminated(e)
	}
}

// shutdownFramework kills every task of a framework; no update is sent.
func (a *Agent) shutdownFramework(fwID mesos.FrameworkID) {
	fw := a.frameworks[fwID.Value]
	if fw == nil || fw.terminating {
		return
	}
	a.log.Info("shutting down framework", "framework", fwID.Value)
	fw.terminating = true
	for k, s := range a.streams {
		if k.framework == fwID.Value {
			s.stop()
			delete(a.streams, k)
		}
	}
	fw.completed = map[string]*task{}
	for _, e := range fw.executors {
		a.shutdownExecutor(e, minDuration(defaultKillGrace, a.cfg.ShutdownGrace))
	}
	a.forgetFrameworkIfDone(fw)
	a.saveState()
}

func minDuration(a, b time.Duration) time.Duration {
	if a < b {
		return a
	}
	return b
}

// killEverything kills every task of every framework with the given grace.
func (a *Agent) killEverything(grace time.Duration) {
	for _, fw := range a.frameworks {
		fw.terminating = true
		for _, e := range fw.executors {
			a.shutdownExecutor(e, grace)
		}
	}
}

// reconcileTasks answers the master's reconciliation of tasks the agent did
// not report: unknown ones are TASK_DROPPED (TASK_LOST for frameworks that
// are not partition aware).
func (a *Agent) reconcileTasks(fwInfo mesos.FrameworkInfo, taskIDs []mesos.TaskID) {
	fw := a.frameworks[fwInfo.GetID().GetValue()]
	known := func(id string) bool {
		if fw == nil {
			return false
		}
		if fw.liveTask(id) != nil {
			return true
		}
		_, ok := fw.completed[id]
		return ok
	}
	tmp := &framework{info: fwInfo}
	for _, id := range taskIDs {
		if known(id.Value) {
			continue
		}
		state := mesos.TASK_LOST
		if tmp.partitionAware() {
			state = mesos.TASK_DROPPED
		}
		a.agentUpdate(tmp, id, "", state, mesos.REASON_RECONCILIATION, "Reconciliation: task unknown to the agent")
	}
}

// taskRecord describes a task for registration and snapshots.
func (a *Agent) taskRecord(t *task) mesos.Task {
	state := t.state
	fwID := t.exec.fw.id()
	rec := mesos.Task{
		Name:        t.info.Name,
		TaskID:      t.info.TaskID,
		FrameworkID: fwID,
		AgentID:     mesos.AgentID{Value: a.id.Value},
		State:       &state,
		Resources:   t.info.Resources,
		Labels:      t.info.Labels,
		HealthCheck: t.info.HealthCheck,
		KillPolicy:  t.info.KillPolicy,
	}
	if t.exec.kind == defaultExecutor {
		rec.ExecutorID = &mesos.ExecutorID{Value: t.exec.id()}
	}
	if t.last != nil {
		rec.Statuses = []mesos.TaskStatus{*t.last}
	}
	return rec
}
