package master

import (
	"errors"
	"sort"
	"time"

	mesos "github.com/mesos/mesos-go/api/v1/lib"
	"github.com/mesos/mesos-go/api/v1/lib/scheduler"

	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/localmesos/resources"
	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/localmesos/wire"
)

// RegisterAgent registers a new agent or reregisters a known one
// (Master::registerSlave, reregisterSlave and reconcileKnownSlave).
func (m *Master) RegisterAgent(reg wire.Registration) (mesos.AgentID, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if !m.elected || m.stopped {
		return mesos.AgentID{}, wire.ErrUnreachable
	}
	info := reg.Info
	if info.GetID().GetValue() == "" {
		id := m.nextID("S")
		info.ID = &mesos.AgentID{Value: id}
		a, err := m.newAgent(info, reg)
		if err != nil {
			return mesos.AgentID{}, err
		}
		m.cfg.Registry.admit(info)
		m.agents[id] = a
		m.log.Info("registered agent", "agent", a.String(), "resources", a.total.String())
		m.reallocate(a)
		return *info.ID, nil
	}
	id := info.ID.Value
	if m.cfg.Registry.isGone(id) {
		m.log.Warn("refusing reregistration of an agent marked gone", "agent", id)
		return mesos.AgentID{}, errors.New("Agent has been marked gone")
	}
	if a := m.agents[id]; a != nil {
		if a.info.Hostname != info.Hostname {
			return mesos.AgentID{}, errors.New("Agent attempted to reregister with different IP / hostname")
		}
		m.reconcileKnownAgent(a, reg)
		m.reallocate(a)
		return *info.ID, nil
	}
	_, wasRecovered := m.recovered[id]
	unreachableTime, wasUnreachable := m.cfg.Registry.unreachableTime(id)
	a, err := m.newAgent(info, reg)
	if err != nil {
		return mesos.AgentID{}, err
	}
	delete(m.recovered, id)
	m.cfg.Registry.admit(info)
	m.agents[id] = a
	m.readmit(a, reg, !wasRecovered, wasUnreachable)
	m.log.Info("reregistered agent", "agent", a.String(), "was_unreachable", wasUnreachable,
		"unreachable_since", time.Unix(0, unreachableTime.Nanoseconds))
	m.reallocate(a)
	return *info.ID, nil
}

func (m *Master) newAgent(info mesos.AgentInfo, reg wire.Registration) (*agent, error) {
	checkpointed := resources.New(reg.Checkpointed...)
	total, err := resources.ApplyCheckpointed(resources.New(info.Resources...), checkpointed)
	if err != nil {
		return nil, err
	}
	return &agent{
		info:         info,
		id:           info.ID.Value,
		port:         reg.Agent,
		connected:    true,
		total:        total,
		checkpointed: checkpointed,
		offers:       map[string]*offer{},
		tasks:        map[string]map[string]*task{},
		executors:    map[string]map[string]mesos.ExecutorInfo{},
		killedTasks:  map[string]map[string]bool{},
		lastPong:     time.Now(),
	}, nil
}

// readmit adds the tasks and executors of an agent that reregisters after
// a master failover (recovered) or after being unreachable.
func (m *Master) readmit(a *agent, reg wire.Registration, notifyFrameworks, wasUnreachable bool) {
	infos := map[string]mesos.FrameworkInfo{}
	for _, fi := range reg.Frameworks {
		infos[fi.GetID().GetValue()] = fi
	}
	for id, fi := range infos {
		if m.completed[id] {
			a.port.ShutdownFramework(mesos.FrameworkID{Value: id})
			continue
		}
		if m.frameworks[id] == nil {
			// Learnt from the agent: the framework has not resubscribed to
			// this master yet.
			fw := newFramework(fi)
			fw.recovered = true
			m.frameworks[id] = fw
		}
	}
	for _, e := range reg.Executors {
		fwID := e.GetFrameworkID().GetValue()
		if fw := m.frameworks[fwID]; fw != nil && !m.completed[fwID] {
			m.addExecutor(fw, a, e)
		}
	}
	message := "Unknown agent reregistered"
	if wasUnreachable {
		message = "Unreachable agent re-reregistered"
	}
	for _, rt := range reg.Tasks {
		fw := m.frameworks[rt.FrameworkID.Value]
		if fw == nil || m.completed[fw.id] {
			continue
		}
		delete(fw.unreachableTasks, rt.TaskID.Value)
		t := m.addRecoveredTask(fw, a, rt)
		if notifyFrameworks {
			st := masterStatus(t, t.state, message, mesos.REASON_AGENT_REREGISTERED, nil)
			if t.last != nil {
				st.Healthy = t.last.Healthy
				st.CheckStatus = t.last.CheckStatus
				st.ContainerStatus = t.last.ContainerStatus
			}
			if fw.connected {
				m.forward(fw, st)
			}
		}
	}
	// Tasks the master kept as unreachable but the agent did not report are
	// gone; they stay unknown to reconciliation.
	for _, fw := range m.frameworks {
		for id, t := range fw.unreachableTasks {
			if t.agentID == a.id {
				delete(fw.unreachableTasks, id)
			}
		}
	}
}

func (m *Master) addRecoveredTask(fw *framework, a *agent, rt mesos.Task) *task {
	t := &task{
		id:        rt.TaskID.Value,
		name:      rt.Name,
		fwID:      fw.id,
		agentID:   a.id,
		resources: resources.New(rt.Resources...).Unallocated(),
		state:     rt.GetState(),
		info:      mesos.TaskInfo{Name: rt.Name, TaskID: rt.TaskID, AgentID: rt.AgentID, Resources: rt.Resources, Labels: rt.Labels, HealthCheck: rt.HealthCheck, KillPolicy: rt.KillPolicy},
	}
	if rt.ExecutorID != nil {
		t.executorID = rt.ExecutorID.Value
	}
	if n := len(rt.Statuses); n > 0 {
		last := rt.Statuses[n-1]
		t.last = &last
	}
	fw.tasks[t.id] = t
	if a.tasks[fw.id] == nil {
		a.tasks[fw.id] = map[string]*task{}
	}
	a.tasks[fw.id][t.id] = t
	if !isTerminal(t.state) && t.state != mesos.TASK_UNREACHABLE {
		a.used = a.used.Plus(t.resources)
	}
	return t
}

// reconcileKnownAgent handles the reregistration of a registered agent.
func (m *Master) reconcileKnownAgent(a *agent, reg wire.Registration) {
	a.port = reg.Agent
	a.connected = true
	a.lastPong = time.Now()
	if a.reregisterTimer != nil {
		a.reregisterTimer.Stop()
		a.reregisterTimer = nil
	}
	checkpointed := resources.New(reg.Checkpointed...)
	if !checkpointed.Equal(a.checkpointed) {
		if total, err := resources.ApplyCheckpointed(resources.New(a.info.Resources...), checkpointed); err == nil {
			for _, o := range agentOffers(a) {
				m.rescindOffer(o)
			}
			a.total = total
			a.checkpointed = checkpointed
		}
	}
	reported := map[string]map[string]mesos.Task{}
	for _, t := range reg.Tasks {
		if reported[t.FrameworkID.Value] == nil {
			reported[t.FrameworkID.Value] = map[string]mesos.Task{}
		}
		reported[t.FrameworkID.Value][t.TaskID.Value] = t
	}
	for fwID, tasks := range a.tasks {
		var unknown []mesos.TaskID
		for id := range tasks {
			if _, ok := reported[fwID][id]; !ok {
				unknown = append(unknown, mesos.TaskID{Value: id})
			}
		}
		if fw := m.frameworks[fwID]; fw != nil && len(unknown) > 0 {
			sort.Slice(unknown, func(i, j int) bool { return unknown[i].Value < unknown[j].Value })
			a.port.ReconcileTasks(fw.info, unknown)
		}
	}
	executors := map[string]bool{}
	for _, e := range reg.Executors {
		executors[e.GetFrameworkID().GetValue()+"/"+e.ExecutorID.Value] = true
	}
	for fwID, execs := range a.executors {
		for id := range execs {
			if !executors[fwID+"/"+id] {
				m.removeExecutor(a, fwID, id)
			}
		}
	}
	for _, t := range reg.Tasks {
		if !isTerminal(t.GetState()) && a.killedTasks[t.FrameworkID.Value][t.TaskID.Value] {
			a.port.KillTask(t.FrameworkID, t.TaskID, nil)
		}
	}
	for _, fi := range reg.Frameworks {
		if m.completed[fi.GetID().GetValue()] {
			a.port.ShutdownFramework(*fi.ID)
		}
	}
	m.log.Info("agent reregistered", "agent", a.String())
}

// AgentExited tells the master that an agent's connection broke (its process
// died). Offers are rescinded; tasks of frameworks that do not checkpoint are
// lost; the agent has AgentReregisterTimeout to come back.
func (m *Master) AgentExited(agentID string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	a := m.agents[agentID]
	if a == nil || !a.connected || m.stopped {
		return
	}
	m.log.Info("agent disconnected", "agent", a.String())
	a.connected = false
	for _, o := range agentOffers(a) {
		m.rescindOffer(o)
	}
	fwIDs := map[string]bool{}
	for id := range a.tasks {
		fwIDs[id] = true
	}
	for id := range a.executors {
		fwIDs[id] = true
	}
	for id := range fwIDs {
		if fw := m.frameworks[id]; fw != nil && !fw.info.GetCheckpoint() {
			m.removeFrameworkFromAgent(a, fw)
		}
	}
	a.reregisterTimer = time.AfterFunc(m.cfg.AgentReregisterTimeout, func() {
		m.mu.Lock()
		defer m.mu.Unlock()
		if m.agents[agentID] == a && !a.connected {
			m.markUnreachable(a, "agent did not reregister within "+m.cfg.AgentReregisterTimeout.String()+" after disconnecting")
		}
	})
}

// removeFrameworkFromAgent loses the tasks of a non-checkpointing framework
// on a disconnected agent.
func (m *Master) removeFrameworkFromAgent(a *agent, fw *framework) {
	for _, t := range tasksOf(a, fw.id) {
		st := masterStatus(t, mesos.TASK_LOST, "Agent "+a.info.Hostname+" disconnected", mesos.REASON_AGENT_DISCONNECTED, nil)
		m.updateTask(t, st, nil)
		m.removeTask(t, false)
		if fw.connected {
			m.forward(fw, st)
		}
	}
	for id := range a.executors[fw.id] {
		m.removeExecutor(a, fw.id, id)
	}
}

func tasksOf(a *agent, fwID string) []*task {
	out := make([]*task, 0, len(a.tasks[fwID]))
	for _, t := range a.tasks[fwID] {
		out = append(out, t)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].id < out[j].id })
	return out
}

// markUnreachable removes an agent that failed health checks: its tasks
// become TASK_UNREACHABLE (TASK_LOST without PARTITION_AWARE).
func (m *Master) markUnreachable(a *agent, message string) {
	now := time.Now()
	ut := mesos.TimeInfo{Nanoseconds: now.UnixNano()}
	m.log.Warn("marking agent unreachable", "agent", a.String(), "reason", message)
	m.cfg.Registry.markUnreachable(a.id, ut)
	m.removeAgent(a, message, &ut)
}

// removeAgent is Master::__removeSlave: unreachableTime is set for an
// unreachable agent and nil for an agent marked gone.
func (m *Master) removeAgent(a *agent, message string, unreachableTime *mesos.TimeInfo) {
	fwIDs := make([]string, 0, len(a.tasks))
	for id := range a.tasks {
		fwIDs = append(fwIDs, id)
	}
	sort.Strings(fwIDs)
	for _, fwID := range fwIDs {
		fw := m.frameworks[fwID]
		if fw == nil {
			continue
		}
		state, reason, unreachable := mesos.TASK_UNREACHABLE, mesos.REASON_AGENT_REMOVED, true
		if !fw.partitionAware() {
			state = mesos.TASK_LOST
		} else if unreachableTime == nil {
			state, reason, unreachable = mesos.TASK_GONE_BY_OPERATOR, mesos.REASON_AGENT_REMOVED_BY_OPERATOR, false
		}
		for _, t := range tasksOf(a, fwID) {
			st := masterStatus(t, state, message, reason, unreachableTime)
			m.updateTask(t, st, nil)
			t.unreachableTime = unreachableTime
			m.removeTask(t, unreachable)
			if fw.connected {
				m.forward(fw, st)
			}
		}
	}
	for fwID, execs := range a.executors {
		for id := range execs {
			m.removeExecutor(a, fwID, id)
		}
	}
	for _, o := range agentOffers(a) {
		m.rescindOffer(o)
	}
	if a.reregisterTimer != nil {
		a.reregisterTimer.Stop()
	}
	delete(m.agents, a.id)
	agentID := mesos.AgentID{Value: a.id}
	for _, fw := range m.frameworks {
		fw.send(&scheduler.Event{Type: scheduler.Event_FAILURE, Failure: &scheduler.Event_Failure{AgentID: &agentID}})
	}
	m.triggerAllocation()
}

// MarkGone marks an agent gone for good (the operator's MARK_AGENT_GONE):
// its tasks become TASK_GONE_BY_OPERATOR and the agent is shut down.
func (m *Master) MarkGone(agentID string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	now := mesos.TimeInfo{Nanoseconds: time.Now().UnixNano()}
	_, wasUnreachable := m.cfg.Registry.unreachableTime(agentID)
	m.cfg.Registry.markGone(agentID, now)
	const message = "Agent has been marked gone"
	if a := m.agents[agentID]; a != nil {
		if a.connected {
			a.port.Shutdown(message)
		}
		m.removeAgent(a, message, nil)
		return
	}
	delete(m.recovered, agentID)
	if !wasUnreachable {
		return
	}
	for _, fw := range m.frameworks {
		for id, t := range fw.unreachableTasks {
			if t.agentID != agentID {
				continue
			}
			state, reason := mesos.TASK_GONE_BY_OPERATOR, mesos.REASON_AGENT_REMOVED_BY_OPERATOR
			if !fw.partitionAware() {
				state, reason = mesos.TASK_LOST, mesos.REASON_AGENT_REMOVED
			}
			st := masterStatus(t, state, message, reason, nil)
			t.state = state
			t.apply(st, nil)
			if fw.connected {
				fw.send(updateEvent(st))
			}
			fw.addCompleted(t)
			delete(fw.unreachableTasks, id)
		}
	}
}

// recoveredAgentsTimeout marks agents that did not reregister after a
// master failover unreachable.
func (m *Master) recoveredAgentsTimeout() {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.stopped {
		return
	}
	now := mesos.TimeInfo{Nanoseconds: time.Now().UnixNano()}
	for id, info := range m.recovered {
		m.log.Warn("agent did not reregister after master failover; marking it unreachable", "agent", id, "hostname", info.Hostname)
		m.cfg.Registry.markUnreachable(id, now)
		delete(m.recovered, id)
		for _, fw := range m.frameworks {
			fw.send(&scheduler.Event{Type: scheduler.Event_FAILURE, Failure: &scheduler.Event_Failure{AgentID: &mesos.AgentID{Value: id}}})
		}
	}
}

// ExitedExecutor handles an executor's exit: its resources return to the
// pool and the framework gets a FAILURE event.
func (m *Master) ExitedExecutor(agentID mesos.AgentID, fwID mesos.FrameworkID, executorID mesos.ExecutorID, status int32) {
	m.mu.Lock()
	defer m.mu.Unlock()
	a := m.agents[agentID.Value]
	if a == nil || !a.hasExecutor(fwID.Value, executorID.Value) {
		return
	}
	m.removeExecutor(a, fwID.Value, executorID.Value)
	if fw := m.frameworks[fwID.Value]; fw != nil {
		aid, eid := agentID, executorID
		fw.send(&scheduler.Event{Type: scheduler.Event_FAILURE, Failure: &scheduler.Event_Failure{AgentID: &aid, ExecutorID: &eid, Status: &status}})
	}
}
