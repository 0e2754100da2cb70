package master

import (
	"errors"
	"fmt"

	mesos "github.com/mesos/mesos-go/api/v1/lib"
	"github.com/mesos/mesos-go/api/v1/lib/scheduler"

	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/localmesos/resources"
)

// accept handles ACCEPT (Master::accept and Master::_accept): operations are
// validated and applied in order on the offered resources; invalid ones are
// refused the way the real master refuses them.
func (m *Master) accept(fw *framework, acc scheduler.Call_Accept) {
	var err error
	if len(acc.OfferIDs) == 0 {
		err = errors.New("No offers specified")
	} else {
		err = m.validateOffers(acc.OfferIDs, fw)
	}
	if err != nil {
		m.acceptInvalidOffers(fw, acc, err)
		return
	}
	first := m.offers[acc.OfferIDs[0].Value]
	a, role := first.agent, first.role

	var ops []mesos.Offer_Operation
	for _, op := range acc.Operations {
		op, err := upgradeOperation(op)
		if err == nil && op.Type == mesos.Offer_Operation_RESERVE && len(op.GetReserve().GetSource()) > 0 {
			err = errors.New("Reservation updates are not yet implemented for the scheduler API.")
		}
		if err != nil {
			m.refuseOperation(fw, op, err.Error())
			continue
		}
		if op.ID != nil {
			switch op.Type {
			case mesos.Offer_Operation_LAUNCH:
				m.taskErrors(fw, op.GetLaunch().GetTaskInfos(), mesos.REASON_TASK_INVALID, "The `id` field cannot be set on LAUNCH operations")
			case mesos.Offer_Operation_LAUNCH_GROUP:
				m.taskErrors(fw, op.GetLaunchGroup().TaskGroup.Tasks, mesos.REASON_TASK_GROUP_INVALID, "The `id` field cannot be set on LAUNCH_GROUP operations")
			default:
				m.dropOperation(fw, op, "Operation requested feedback, but agent "+a.id+" does not have the required RESOURCE_PROVIDER capability")
			}
			continue
		}
		ops = append(ops, normalise(op, role, fw))
	}

	offered := resources.Resources{}
	for _, id := range acc.OfferIDs {
		o := m.offers[id.Value]
		offered = offered.Plus(o.resources)
		m.removeOffer(o)
	}
	if !a.connected {
		for _, op := range ops {
			for _, t := range launchedTasks(op) {
				m.forward(fw, newMasterStatus(t.TaskID, t.AgentID.Value, fw.lostOrDropped(), "Agent disconnected", mesos.REASON_AGENT_DISCONNECTED))
			}
		}
		return
	}
	remaining := offered
	for _, op := range ops {
		remaining = m.applyOperation(fw, a, op, remaining)
	}
	converted := remaining.Minus(offered)
	declined := remaining.Minus(converted)
	m.refuse(fw, a, role, declined, acc.Filters)
	m.reallocate(a)
}

func (m *Master) acceptInvalidOffers(fw *framework, acc scheduler.Call_Accept, err error) {
	for _, id := range acc.OfferIDs {
		if o := m.offers[id.Value]; o != nil && o.fw == fw {
			m.removeOffer(o)
		}
	}
	m.log.Warn("ACCEPT call used invalid offers", "framework", fw.id, "error", err)
	for _, op := range acc.Operations {
		switch op.Type {
		case mesos.Offer_Operation_LAUNCH, mesos.Offer_Operation_LAUNCH_GROUP:
			for _, t := range launchedTasks(op) {
				m.forward(fw, newMasterStatus(t.TaskID, t.AgentID.Value, fw.lostOrDropped(),
					"Task launched with invalid offers: "+err.Error(), mesos.REASON_INVALID_OFFERS))
			}
		default:
			m.dropOperation(fw, op, "Operation attempted with invalid offers: "+err.Error())
		}
	}
}

func launchedTasks(op mesos.Offer_Operation) []mesos.TaskInfo {
	switch op.Type {
	case mesos.Offer_Operation_LAUNCH:
		return op.GetLaunch().GetTaskInfos()
	case mesos.Offer_Operation_LAUNCH_GROUP:
		if op.LaunchGroup != nil {
			return op.LaunchGroup.TaskGroup.Tasks
		}
	}
	return nil
}

// refuseOperation refuses an operation whose resources are invalid: tasks
// get TASK_ERROR, other operations are dropped.
func (m *Master) refuseOperation(fw *framework, op mesos.Offer_Operation, msg string) {
	switch op.Type {
	case mesos.Offer_Operation_LAUNCH:
		m.taskErrors(fw, op.GetLaunch().GetTaskInfos(), mesos.REASON_TASK_INVALID, msg)
	case mesos.Offer_Operation_LAUNCH_GROUP:
		m.taskErrors(fw, launchedTasks(op), mesos.REASON_TASK_GROUP_INVALID, msg)
	case mesos.Offer_Operation_UNKNOWN:
		m.log.Warn("ignoring unknown operation", "framework", fw.id)
	default:
		m.dropOperation(fw, op, "Operation attempted with invalid resources: "+msg)
	}
}

func (m *Master) taskErrors(fw *framework, tasks []mesos.TaskInfo, reason mesos.TaskStatus_Reason, msg string) {
	for _, t := range tasks {
		m.forward(fw, newMasterStatus(t.TaskID, t.AgentID.Value, mesos.TASK_ERROR, msg, reason))
	}
}

// dropOperation drops an operation; with an operation ID the framework gets
// OPERATION_ERROR (Master::drop).
func (m *Master) dropOperation(fw *framework, op mesos.Offer_Operation, msg string) {
	m.log.Warn("dropping operation", "framework", fw.id, "type", op.Type.String(), "reason", msg)
	if op.ID == nil {
		return
	}
	id := *op.ID
	fw.send(&scheduler.Event{Type: scheduler.Event_UPDATE_OPERATION_STATUS, UpdateOperationStatus: &scheduler.Event_UpdateOperationStatus{
		Status: mesos.OperationStatus{OperationID: &id, State: mesos.OPERATION_ERROR, Message: &msg},
	}})
}

// upgradeOperation validates the resources of an operation and converts them
// to the post-refinement format (validateAndUpgradeResources).
func upgradeOperation(op mesos.Offer_Operation) (mesos.Offer_Operation, error) {
	check := func(rs []mesos.Resource) error { return resources.ValidateAll(rs) }
	switch op.Type {
	case mesos.Offer_Operation_RESERVE:
		if op.Reserve == nil {
			return op, errors.New("A RESERVE offer operation must have the Offer.Operation.reserve field set.")
		}
		if err := check(op.Reserve.Resources); err != nil {
			return op, err
		}
		if err := check(op.Reserve.Source); err != nil {
			return op, err
		}
		r := *op.Reserve
		r.Resources = resources.UpgradeAll(r.Resources)
		r.Source = resources.UpgradeAll(r.Source)
		op.Reserve = &r
	case mesos.Offer_Operation_UNRESERVE:
		if op.Unreserve == nil {
			return op, errors.New("An UNRESERVE offer operation must have the Offer.Operation.unreserve field set.")
		}
		if err := check(op.Unreserve.Resources); err != nil {
			return op, err
		}
		op.Unreserve = &mesos.Offer_Operation_Unreserve{Resources: resources.UpgradeAll(op.Unreserve.Resources)}
	case mesos.Offer_Operation_CREATE:
		if op.Create == nil {
			return op, errors.New("A CREATE offer operation must have the Offer.Operation.create field set.")
		}
		if err := check(op.Create.Volumes); err != nil {
			return op, err
		}
		op.Create = &mesos.Offer_Operation_Create{Volumes: resources.UpgradeAll(op.Create.Volumes)}
	case mesos.Offer_Operation_DESTROY:
		if op.Destroy == nil {
			return op, errors.New("A DESTROY offer operation must have the Offer.Operation.destroy field set.")
		}
		if err := check(op.Destroy.Volumes); err != nil {
			return op, err
		}
		op.Destroy = &mesos.Offer_Operation_Destroy{Volumes: resources.UpgradeAll(op.Destroy.Volumes)}
	case mesos.Offer_Operation_LAUNCH:
		if op.Launch == nil {
			return op, errors.New("A LAUNCH offer operation must have the Offer.Operation.launch field set.")
		}
		tasks := make([]mesos.TaskInfo, len(op.Launch.TaskInfos))
		for i, t := range op.Launch.TaskInfos {
			if err := check(t.Resources); err != nil {
				return op, err
			}
			t.Resources = resources.UpgradeAll(t.Resources)
			if t.Executor != nil {
				if err := check(t.Executor.Resources); err != nil {
					return op, err
				}
				e := *t.Executor
				e.Resources = resources.UpgradeAll(e.Resources)
				t.Executor = &e
			}
			tasks[i] = t
		}
		op.Launch = &mesos.Offer_Operation_Launch{TaskInfos: tasks}
	case mesos.Offer_Operation_LAUNCH_GROUP:
		if op.LaunchGroup == nil {
			return op, errors.New("A LAUNCH_GROUP offer operation must have the Offer.Operation.launch_group field set.")
		}
		lg := *op.LaunchGroup
		if err := check(lg.Executor.Resources); err != nil {
			return op, err
		}
		lg.Executor.Resources = resources.UpgradeAll(lg.Executor.Resources)
		tasks := make([]mesos.TaskInfo, len(lg.TaskGroup.Tasks))
		for i, t := range lg.TaskGroup.Tasks {
			if err := check(t.Resources); err != nil {
				return op, err
			}
			t.Resources = resources.UpgradeAll(t.Resources)
			if t.Executor != nil {
				if err := check(t.Executor.Resources); err != nil {
					return op, err
				}
				e := *t.Executor
				e.Resources = resources.UpgradeAll(e.Resources)
				t.Executor = &e
			}
			tasks[i] = t
		}
		lg.TaskGroup = mesos.TaskGroupInfo{Tasks: tasks}
		op.LaunchGroup = &lg
	case mesos.Offer_Operation_UNKNOWN:
		return op, errors.New("Unknown offer operation")
	}
	return op, nil
}

// normalise injects the offer's allocation role into the operation's
// resources, fills executors' framework IDs and copies the group executor
// into group tasks, as the master does before applying operations.
func normalise(op mesos.Offer_Operation, role string, fw *framework) mesos.Offer_Operation {
	inject := func(rs []mesos.Resource) []mesos.Resource {
		out := make([]mesos.Resource, len(rs))
		for i, r := range rs {
			r = resources.Clone(r)
			if r.AllocationInfo == nil {
				role := role
				r.AllocationInfo = &mesos.Resource_AllocationInfo{Role: &role}
			}
			out[i] = r
		}
		return out
	}
	fwID := mesos.FrameworkID{Value: fw.id}
	switch op.Type {
	case mesos.Offer_Operation_RESERVE:
		op.Reserve = &mesos.Offer_Operation_Reserve{Resources: inject(op.Reserve.Resources), Source: inject(op.Reserve.Source)}
	case mesos.Offer_Operation_UNRESERVE:
		op.Unreserve = &mesos.Offer_Operation_Unreserve{Resources: inject(op.Unreserve.Resources)}
	case mesos.Offer_Operation_CREATE:
		op.Create = &mesos.Offer_Operation_Create{Volumes: inject(op.Create.Volumes)}
	case mesos.Offer_Operation_DESTROY:
		op.Destroy = &mesos.Offer_Operation_Destroy{Volumes: inject(op.Destroy.Volumes)}
	case mesos.Offer_Operation_LAUNCH:
		tasks := make([]mesos.TaskInfo, len(op.Launch.TaskInfos))
		for i, t := range op.Launch.TaskInfos {
			t.Resources = inject(t.Resources)
			if t.Executor != nil {
				e := *t.Executor
				e.Resources = inject(e.Resources)
				if e.FrameworkID == nil {
					e.FrameworkID = &fwID
				}
				t.Executor = &e
			}
			if hc := t.HealthCheck; hc != nil && hc.Type == mesos.HealthCheck_UNKNOWN {
				h := *hc
				if h.Command != nil && h.HTTP == nil {
					h.Type = mesos.HealthCheck_COMMAND
				} else if h.HTTP != nil && h.Command == nil {
					h.Type = mesos.HealthCheck_HTTP
				}
				t.HealthCheck = &h
			}
			tasks[i] = t
		}
		op.Launch = &mesos.Offer_Operation_Launch{TaskInfos: tasks}
	case mesos.Offer_Operation_LAUNCH_GROUP:
		lg := *op.LaunchGroup
		lg.Executor.Resources = inject(lg.Executor.Resources)
		tasks := make([]mesos.TaskInfo, len(lg.TaskGroup.Tasks))
		for i, t := range lg.TaskGroup.Tasks {
			t.Resources = inject(t.Resources)
			if t.Executor == nil {
				e := lg.Executor
				t.Executor = &e
			} else {
				e := *t.Executor
				e.Resources = inject(e.Resources)
				t.Executor = &e
			}
			tasks[i] = t
		}
		lg.TaskGroup = mesos.TaskGroupInfo{Tasks: tasks}
		op.LaunchGroup = &lg
	}
	return op
}

// applyOperation validates one operation against the remaining offered
// resources and applies it; it returns the new remaining resources.
func (m *Master) applyOperation(fw *framework, a *agent, op mesos.Offer_Operation, remaining resources.Resources) resources.Resources {
	onAgent := func(err error) error { return fmt.Errorf("%v; on agent %s", err, a) }
	switch op.Type {
	case mesos.Offer_Operation_RESERVE:
		if err := validateReserve(op.Reserve.Resources, fw); err != nil {
			m.dropOperation(fw, op, onAgent(err).Error())
			return remaining
		}
		return m.speculate(fw, a, op, remaining)
	case mesos.Offer_Operation_UNRESERVE:
		if err := validateUnreserve(op.Unreserve.Resources); err != nil {
			m.dropOperation(fw, op, onAgent(err).Error())
			return remaining
		}
		return m.speculate(fw, a, op, remaining)
	case mesos.Offer_Operation_CREATE:
		if err := validateCreate(op.Create.Volumes, a.checkpointed, fw); err != nil {
			m.dropOperation(fw, op, onAgent(err).Error())
			return remaining
		}
		return m.speculate(fw, a, op, remaining)
	case mesos.Offer_Operation_DESTROY:
		if err := validateDestroy(op.Destroy.Volumes, a.checkpointed, a.used); err != nil {
			m.dropOperation(fw, op, onAgent(err).Error())
			return remaining
		}
		// Other offers holding a volume being destroyed are rescinded.
		for _, o := range agentOffers(a) {
			for _, v := range resources.New(op.Destroy.Volumes...).Unallocated() {
				if o.resources.Unallocated().ContainsOne(v) {
					m.rescindOffer(o)
					break
				}
			}
		}
		return m.speculate(fw, a, op, remaining)
	case mesos.Offer_Operation_LAUNCH:
		for _, t := range op.Launch.TaskInfos {
			if err := m.validateLaunch(t, fw, a, remaining); err != nil {
				m.forward(fw, newMasterStatus(t.TaskID, t.AgentID.Value, mesos.TASK_ERROR, err.Error(), mesos.REASON_TASK_INVALID))
				continue
			}
			consumed := resources.New(t.Resources...)
			if t.Executor != nil && !a.hasExecutor(fw.id, t.Executor.ExecutorID.Value) {
				m.addExecutor(fw, a, *t.Executor)
				consumed = consumed.Plus(resources.New(t.Executor.Resources...))
			}
			m.addTask(fw, a, t)
			remaining = remaining.Minus(consumed)
			m.log.Info("launching task", "framework", fw.id, "task", t.TaskID.Value, "agent", a.id)
			a.port.RunTask(fw.info, t)
		}
		return remaining
	case mesos.Offer_Operation_LAUNCH_GROUP:
		lg := op.LaunchGroup
		if err := m.validateTaskGroup(lg.TaskGroup, lg.Executor, fw, a, remaining); err != nil {
			m.taskErrors(fw, lg.TaskGroup.Tasks, mesos.REASON_TASK_GROUP_INVALID, err.Error())
			return remaining
		}
		var total resources.Resources
		if !a.hasExecutor(fw.id, lg.Executor.ExecutorID.Value) {
			m.addExecutor(fw, a, lg.Executor)
			total = total.Plus(resources.New(lg.Executor.Resources...))
		}
		for _, t := range lg.TaskGroup.Tasks {
			m.addTask(fw, a, t)
			total = total.Plus(resources.New(t.Resources...))
		}
		remaining = remaining.Minus(total)
		m.log.Info("launching task group", "framework", fw.id, "executor", lg.Executor.ExecutorID.Value, "tasks", len(lg.TaskGroup.Tasks), "agent", a.id)
		a.port.RunTaskGroup(fw.info, lg.Executor, lg.TaskGroup)
		return remaining
	case mesos.Offer_Operation_GROW_VOLUME, mesos.Offer_Operation_SHRINK_VOLUME:
		m.dropOperation(fw, op, fmt.Sprintf("Volume cannot be resized on an agent without RESIZE_VOLUME capability; on agent %s", a))
		return remaining
	case mesos.Offer_Operation_CREATE_DISK, mesos.Offer_Operation_DESTROY_DISK:
		m.dropOperation(fw, op, fmt.Sprintf("Not supported on agent %s because it does not have RESOURCE_PROVIDER capability", a))
		return remaining
	}
	m.log.Warn("ignoring unknown operation", "framework", fw.id)
	return remaining
}

func agentOffers(a *agent) []*offer {
	out := make([]*offer, 0, len(a.offers))
	for _, o := range a.offers {
		out = append(out, o)
	}
	return out
}

// speculate applies a RESERVE, UNRESERVE, CREATE or DESTROY to the remaining
// offered resources and to the agent, and sends it to the agent.
func (m *Master) speculate(fw *framework, a *agent, op mesos.Offer_Operation, remaining resources.Resources) resources.Resources {
	convs, err := resources.Conversions(op)
	if err != nil {
		m.dropOperation(fw, op, err.Error())
		return remaining
	}
	next, err := remaining.Apply(convs)
	if err != nil {
		m.dropOperation(fw, op, err.Error())
		return remaining
	}
	unallocated := unallocatedOperation(op)
	agentConvs, _ := resources.Conversions(unallocated)
	total, err := a.total.Apply(agentConvs)
	if err != nil {
		m.dropOperation(fw, op, err.Error())
		return remaining
	}
	a.total = total
	a.checkpointed = total.Checkpointed()
	m.log.Info("applying operation", "type", op.Type.String(), "framework", fw.id, "agent", a.id)
	a.port.ApplyOperation(unallocated)
	return next
}

func unallocatedOperation(op mesos.Offer_Operation) mesos.Offer_Operation {
	strip := func(rs []mesos.Resource) []mesos.Resource {
		out := make([]mesos.Resource, len(rs))
		for i, r := range rs {
			r = resources.Clone(r)
			r.AllocationInfo = nil
			out[i] = r
		}
		return out
	}
	out := mesos.Offer_Operation{Type: op.Type}
	switch op.Type {
	case mesos.Offer_Operation_RESERVE:
		out.Reserve = &mesos.Offer_Operation_Reserve{Resources: strip(op.Reserve.Resources), Source: strip(op.Reserve.Source)}
	case mesos.Offer_Operation_UNRESERVE:
		out.Unreserve = &mesos.Offer_Operation_Unreserve{Resources: strip(op.Unreserve.Resources)}
	case mesos.Offer_Operation_CREATE:
		out.Create = &mesos.Offer_Operation_Create{Volumes: strip(op.Create.Volumes)}
	case mesos.Offer_Operation_DESTROY:
		out.Destroy = &mesos.Offer_Operation_Destroy{Volumes: strip(op.Destroy.Volumes)}
	}
	return out
}

func (m *Master) addExecutor(fw *framework, a *agent, e mesos.ExecutorInfo) {
	if a.executors[fw.id] == nil {
		a.executors[fw.id] = map[string]mesos.ExecutorInfo{}
	}
	a.executors[fw.id][e.ExecutorID.Value] = e
	if fw.executors[a.id] == nil {
		fw.executors[a.id] = map[string]mesos.ExecutorInfo{}
	}
	fw.executors[a.id][e.ExecutorID.Value] = e
	a.used = a.used.Plus(resources.New(e.Resources...).Unallocated())
}

func (m *Master) removeExecutor(a *agent, fwID, id string) {
	e, ok := a.executors[fwID][id]
	if !ok {
		return
	}
	a.used = a.used.Minus(resources.New(e.Resources...).Unallocated())
	delete(a.executors[fwID], id)
	if len(a.executors[fwID]) == 0 {
		delete(a.executors, fwID)
	}
	if fw := m.frameworks[fwID]; fw != nil {
		delete(fw.executors[a.id], id)
		if len(fw.executors[a.id]) == 0 {
			delete(fw.executors, a.id)
		}
	}
	m.reallocate(a)
}

func (m *Master) addTask(fw *framework, a *agent, info mesos.TaskInfo) *task {
	t := &task{
		id:        info.TaskID.Value,
		name:      info.Name,
		fwID:      fw.id,
		agentID:   a.id,
		resources: resources.New(info.Resources...).Unallocated(),
		state:     mesos.TASK_STAGING,
	}
	if info.Executor != nil {
		t.executorID = info.Executor.ExecutorID.Value
	}
	info.Data = nil
	t.info = info
	fw.tasks[t.id] = t
	if a.tasks[fw.id] == nil {
		a.tasks[fw.id] = map[string]*task{}
	}
	a.tasks[fw.id][t.id] = t
	a.used = a.used.Plus(t.resources)
	return t
}
