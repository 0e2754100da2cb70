package service

import (
	"strings"

	"github.com/gogo/protobuf/jsonpb"
	mesos "github.com/mesos/mesos-go/api/v1/lib"

	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/plan"
	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/spec"
)

// handleUpdate decides what a task status does: it is stored first (a
// failed write leaves the update unacknowledged, so Mesos sends it again),
// then it moves the plan. A status for a task the service does not know
// that is still running is a stray broker: it is killed.
func (s *Service) handleUpdate(st mesos.TaskStatus) effects {
	taskID := st.TaskID.Value
	state := st.GetState().String()
	s.metrics.TaskStatus(state)
	delete(s.reconcile.waiting, taskID)
	fx := s.noteAgentGone(st) // recovery.go

	p := s.podOfTask(taskID)
	if p == nil {
		return fx.join(s.handleUnknownTask(st))
	}
	return fx.join(s.storeStatus(p, st))
}

// storeStatus stores a status of pod p's task, then moves the plans.
func (s *Service) storeStatus(p *pod, st mesos.TaskStatus) effects {
	taskID := st.TaskID.Value
	state := st.GetState().String()
	next := s.nextStatus(p.status, st)
	return effects{writes: []write{setWrite("storing the status of task "+taskID, taskStatusKey(p.record.Name), mustJSON(next), func(err error) effects {
		if err != nil {
			return failed(err)
		}
		prev := p.status
		_, killedByUs := s.killedAt[taskID]
		p.status = next
		if next.terminal() {
			delete(s.killedAt, taskID)
			if !next.Confirmed {
				s.log.Info("the launch never reached Mesos; the pod starts afresh", "task_id", taskID, "pod", p.record.Pod)
			}
		}
		s.log.Debug("task status", "task_id", taskID, "state", state, "ready", next.Ready, "message", st.GetMessage())
		if s.uninstall != nil {
			return effects{}
		}
		s.deploy.TaskUpdate(plan.TaskUpdate{TaskID: taskID, State: plan.TaskState(state), Ready: next.Ready})
		fx := s.noteRecovery(p, prev, next)
		s.noteLaunchOutcome(p, next, killedByUs)
		if next.launchNeverReachedMesos() {
			// The master does not know the task (TASK_UNKNOWN, after a
			// failed ACCEPT): the step starts afresh. A TASK_UNKNOWN for a
			// task Mesos had confirmed is transient (a master that fails
			// over learns of it again) and moves nothing.
			s.deploy.Pending(spec.PodInstanceName(p.record.Pod))
		}
		return fx.join(s.noteDeployCompletion()).join(s.advanceRoll())
	})}}
}

// nextStatus folds a Mesos status into the stored one.
func (s *Service) nextStatus(prev TaskStatus, st mesos.TaskStatus) TaskStatus {
	next := TaskStatus{
		TaskID:  st.TaskID.Value,
		State:   st.GetState().String(),
		Message: st.GetMessage(),
		Reason:  st.GetReason().String(),
		Source:  st.GetSource().String(),
		Time:    s.now().UTC(),
		// Readiness passes once per task; later check results do not
		// take it back (as DC/OS).
		Ready:     prev.Ready || readinessPassed(st),
		Confirmed: prev.Confirmed || confirmsLaunch(st),
	}
	if js, err := (&jsonpb.Marshaler{}).MarshalToString(&st); err == nil {
		next.Status = []byte(js)
	}
	return next
}

// readinessPassed reports whether a TASK_RUNNING status carries a passed
// readiness check (the task's COMMAND check exited 0).
func readinessPassed(st mesos.TaskStatus) bool {
	if st.GetState() != mesos.TASK_RUNNING {
		return false
	}
	cmd := st.GetCheckStatus().GetCommand()
	return cmd != nil && cmd.ExitCode != nil && cmd.GetExitCode() == 0
}

// confirmsLaunch reports whether a status shows that Mesos accepted the
// launch, so the pod's reservations exist. Only the master's answers that
// the task is unknown (TASK_UNKNOWN; TASK_GONE, "unknown to the agent", on
// a registered agent) or was dropped before reaching an agent do not.
func confirmsLaunch(st mesos.TaskStatus) bool {
	if st.GetSource() != mesos.SOURCE_MASTER {
		return true
	}
	switch st.GetState() {
	case mesos.TASK_UNKNOWN, mesos.TASK_GONE, mesos.TASK_DROPPED, mesos.TASK_LOST, mesos.TASK_ERROR:
		return false
	}
	return true
}

// handleUnknownTask kills a task of this framework that no pod owns and
// that still runs.
func (s *Service) handleUnknownTask(st mesos.TaskStatus) effects {
	if (TaskStatus{State: st.GetState().String()}).terminal() || st.GetState() == mesos.TASK_UNREACHABLE {
		return effects{}
	}
	s.log.Warn("killing a task no pod of this service owns", "task_id", st.TaskID.Value, "state", st.GetState())
	return s.kill(st.TaskID.Value, st.GetAgentID().GetValue())
}

// podOfTask returns the pod whose latest task has the ID.
func (s *Service) podOfTask(taskID string) *pod {
	for _, p := range s.pods {
		if p.record.TaskID == taskID {
			return p
		}
	}
	return nil
}

// noteDeployCompletion decides the write of the DC/OS property that says
// the deploy plan completed, once it has.
func (s *Service) noteDeployCompletion() effects {
	const deploy = "DEPLOY"
	if !s.deploy.IsComplete() || string(s.properties[propertyLastCompleted]) == deploy {
		return effects{}
	}
	return effects{writes: []write{setWrite("storing the last completed update", propertyKey(propertyLastCompleted), []byte(deploy), func(err error) effects {
		if err != nil {
			s.log.Warn("storing the last completed update", "error", err)
			return effects{}
		}
		s.setProperty(propertyLastCompleted, []byte(deploy))
		return effects{}
	})}}
}

func lower(s string) string { return strings.ToLower(s) }
