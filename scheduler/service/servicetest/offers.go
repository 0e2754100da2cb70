package servicetest

import (
	"fmt"

	mesos "github.com/mesos/mesos-go/api/v1/lib"
	"github.com/mesos/mesos-go/api/v1/lib/scheduler"
)

// Agent is one fake agent's unreserved resources.
type Agent struct {
	ID, Hostname    string
	CPUs, Mem, Disk float64
	// Ports is the offered port range, [begin, end]; zero offers none.
	Ports [2]uint64
}

// NewAgent returns agent i with room for one default broker (1 CPU,
// 2 GB, 5 GB disk) and more: 4 CPUs, 8 GB mem, 20 GB disk, ports
// 31000-31099.
func NewAgent(i int) Agent {
	return Agent{
		ID: fmt.Sprintf("agent-%d", i), Hostname: fmt.Sprintf("10.0.0.%d", i),
		CPUs: 4, Mem: 8192, Disk: 20000, Ports: [2]uint64{31000, 31099},
	}
}

// Offer is an offer of the agent's unreserved resources.
func (m *Master) Offer(a Agent) mesos.Offer {
	res := []mesos.Resource{scalar("cpus", a.CPUs), scalar("mem", a.Mem), scalar("disk", a.Disk)}
	if a.Ports[1] > 0 {
		res = append(res, mesos.Resource{Name: "ports", Type: mesos.RANGES.Enum(),
			Ranges: &mesos.Value_Ranges{Range: []mesos.Value_Range{{Begin: a.Ports[0], End: a.Ports[1]}}}})
	}
	return m.offer(a.ID, a.Hostname, res)
}

func (m *Master) offer(agentID, hostname string, res []mesos.Resource) mesos.Offer {
	return mesos.Offer{
		ID:          mesos.OfferID{Value: m.nextOfferID()},
		FrameworkID: mesos.FrameworkID{Value: m.FrameworkID()},
		AgentID:     mesos.AgentID{Value: agentID},
		Hostname:    hostname,
		Resources:   res,
	}
}

func scalar(name string, v float64) mesos.Resource {
	return mesos.Resource{Name: name, Type: mesos.SCALAR.Enum(), Scalar: &mesos.Value_Scalar{Value: v}}
}

// Launch is one task a successful ACCEPT launched.
type Launch struct {
	Task     mesos.TaskInfo
	Executor mesos.ExecutorInfo
	Hostname string
	// Reserved tells whether the ACCEPT reserved fresh resources.
	Reserved bool
}

// TaskID and AgentID are the launched task's.
func (l Launch) TaskID() string  { return l.Task.TaskID.Value }
func (l Launch) AgentID() string { return l.Task.AgentID.Value }

// Launches lists the tasks launched by successful ACCEPT calls, in order.
func (m *Master) Launches() []Launch {
	var out []Launch
	for _, c := range m.Calls(scheduler.Call_ACCEPT) {
		if c.Err != nil {
			continue
		}
		reserved := false
		for _, op := range c.GetAccept().GetOperations() {
			if op.GetType() == mesos.Offer_Operation_RESERVE {
				reserved = true
			}
			lg := op.GetLaunchGroup()
			if lg == nil {
				continue
			}
			for _, t := range lg.TaskGroup.Tasks {
				out = append(out, Launch{Task: t, Executor: lg.GetExecutor(), Hostname: hostnameLabel(t), Reserved: reserved})
			}
		}
	}
	return out
}

func hostnameLabel(t mesos.TaskInfo) string {
	for _, l := range t.GetLabels().GetLabels() {
		if l.Key == "offer_hostname" {
			return l.GetValue()
		}
	}
	return ""
}

// ReservedOffer is what the master offers back once a launch's task has
// ended: the reserved resources of the task and its executor, its volume
// included, on the same agent, plus extra.
func (m *Master) ReservedOffer(l Launch, extra ...mesos.Resource) mesos.Offer {
	var res []mesos.Resource
	for _, r := range append(append([]mesos.Resource(nil), l.Task.Resources...), l.Executor.Resources...) {
		r.AllocationInfo = nil
		res = append(res, r)
	}
	return m.offer(l.AgentID(), l.Hostname, append(res, extra...))
}

// Status is a task status as an executor sends it: with a uuid (so it is
// acknowledged) and, for a TASK_RUNNING with ready set, a passed readiness
// check.
func Status(taskID, agentID string, state mesos.TaskState, ready bool) mesos.TaskStatus {
	st := mesos.TaskStatus{
		TaskID:  mesos.TaskID{Value: taskID},
		AgentID: &mesos.AgentID{Value: agentID},
		State:   state.Enum(),
		Source:  mesos.SOURCE_EXECUTOR.Enum(),
		UUID:    []byte(fmt.Sprintf("uuid-%s-%s", taskID, state)),
	}
	if ready && state == mesos.TASK_RUNNING {
		code := int32(0)
		st.CheckStatus = &mesos.CheckStatusInfo{Type: mesos.CheckInfo_COMMAND.Enum(), Command: &mesos.CheckStatusInfo_Command{ExitCode: &code}}
	}
	return st
}

// MasterStatus is a status the master itself answers with (to
// reconciliation, or for a task it does not know): no uuid, so it is never
// acknowledged.
func MasterStatus(taskID, agentID string, state mesos.TaskState, reason mesos.TaskStatus_Reason) mesos.TaskStatus {
	return mesos.TaskStatus{
		TaskID:  mesos.TaskID{Value: taskID},
		AgentID: &mesos.AgentID{Value: agentID},
		State:   state.Enum(),
		Source:  mesos.SOURCE_MASTER.Enum(),
		Reason:  reason.Enum(),
	}
}
