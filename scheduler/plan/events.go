package plan

import "strings"

// TaskState is a Mesos task state name, e.g. "TASK_RUNNING" (the String()
// of mesos.TaskState). The "TASK_" prefix may be left out.
type TaskState string

// The Mesos task states a step reacts to.
const (
	TaskStaging        TaskState = "TASK_STAGING"
	TaskStarting       TaskState = "TASK_STARTING"
	TaskRunning        TaskState = "TASK_RUNNING"
	TaskKilling        TaskState = "TASK_KILLING"
	TaskFinished       TaskState = "TASK_FINISHED"
	TaskFailed         TaskState = "TASK_FAILED"
	TaskKilled         TaskState = "TASK_KILLED"
	TaskError          TaskState = "TASK_ERROR"
	TaskLost           TaskState = "TASK_LOST"
	TaskDropped        TaskState = "TASK_DROPPED"
	TaskUnreachable    TaskState = "TASK_UNREACHABLE"
	TaskGone           TaskState = "TASK_GONE"
	TaskGoneByOperator TaskState = "TASK_GONE_BY_OPERATOR"
	TaskUnknown        TaskState = "TASK_UNKNOWN"
)

func (s TaskState) normal() TaskState {
	u := strings.ToUpper(string(s))
	if !strings.HasPrefix(u, "TASK_") {
		u = "TASK_" + u
	}
	return TaskState(u)
}

// TaskUpdate is one task status as the service layer understood it.
type TaskUpdate struct {
	TaskID string
	State  TaskState
	// Ready is true once the task's readiness check passed (for Kafka: the
	// broker logged that it started). Only meaningful with TASK_RUNNING.
	Ready bool
}

// The step event API. The service layer reports, per pod instance, what it
// did or saw; each call returns whether the step changed. Events for a pod
// whose step is COMPLETE are ignored (once deployed, a failing broker is the
// recovery plan's business), as are events that make no sense in the step's
// current status.

// Prepared records that an offer was evaluated for the pod's step and that
// its old tasks, if any, were killed: PENDING or DELAYED → PREPARED.
func (p *Plan) Prepared(pod string) bool {
	return p.onStep(pod, func(st *step) bool {
		if st.status != Pending && st.status != Delayed {
			return false
		}
		st.status = Prepared
		return true
	})
}

// Launched records that the launch of the pod's tasks was sent:
// PENDING, PREPARED or DELAYED → STARTING. Only status updates for these
// task ids move the step on from now.
func (p *Plan) Launched(pod string, taskIDs ...string) bool {
	if len(taskIDs) == 0 {
		return false
	}
	return p.onStep(pod, func(st *step) bool {
		if st.status != Pending && st.status != Prepared && st.status != Delayed {
			return false
		}
		st.status = Starting
		st.tasks = make(map[string]bool, len(taskIDs))
		for _, id := range taskIDs {
			st.tasks[id] = false
		}
		return true
	})
}

// Delayed records that a launch backoff is active for the pod's step: a
// not yet complete step becomes DELAYED and forgets its tasks. Call Pending
// when the backoff ends.
func (p *Plan) Delayed(pod string) bool {
	return p.onStep(pod, func(st *step) bool {
		if st.status == Delayed || st.status == Error {
			return false
		}
		st.status = Delayed
		st.tasks = map[string]bool{}
		return true
	})
}

// Pending sends the pod's step back to PENDING (for example: the offer was
// rescinded before the launch, the launch was refused, a backoff ended).
func (p *Plan) Pending(pod string) bool {
	return p.onStep(pod, func(st *step) bool {
		if st.status == Pending {
			return false
		}
		st.status = Pending
		st.tasks = map[string]bool{}
		return true
	})
}

// Explain sets a sentence appended to the step's message, typically why it
// is waiting ("no offer fits: agent a1 has 512 MB mem free, 2048 MB
// needed"). It is cleared when the step changes status. Secrets must never
// be passed here.
func (p *Plan) Explain(pod, detail string) bool {
	return p.onStep(pod, func(st *step) bool {
		if st.detail == detail {
			return false
		}
		st.detail = detail
		return true
	})
}

// TaskUpdate applies a task status to the step that launched the task, as
// DC/OS DeploymentStep.update does:
//
//	TASK_STAGING, TASK_STARTING              → STARTING
//	TASK_RUNNING, readiness passed           → COMPLETE once every task of the step is
//	TASK_RUNNING otherwise                   → STARTED
//	TASK_FAILED, TASK_ERROR, TASK_FINISHED,
//	TASK_KILLED, TASK_KILLING, TASK_LOST,
//	TASK_DROPPED, TASK_UNREACHABLE, TASK_GONE,
//	TASK_GONE_BY_OPERATOR                    → PENDING (relaunch; call Delayed to back off)
//
// Updates for tasks the step did not launch are ignored, so a status from a
// broker still running the old configuration never completes an update step.
func (p *Plan) TaskUpdate(u TaskUpdate) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	st := p.stepForTask(u.TaskID)
	if st == nil {
		return false
	}
	before, beforeDetail, beforeAwait := st.status, st.detail, st.awaitISR
	switch u.State.normal() {
	case TaskStaging, TaskStarting:
		st.status = Starting
	case TaskRunning:
		st.tasks[u.TaskID] = u.Ready
		st.status = Started
		switch {
		case !allReady(st.tasks):
			st.awaitISR = false
		case st.action == ActionRestart:
			// A restarted broker is done only once it is back in
			// the ISR of its partitions: the service reports that
			// with Rejoined.
			st.awaitISR = true
		default:
			st.status = Complete
		}
	case TaskFailed, TaskError, TaskFinished, TaskKilled, TaskKilling, TaskLost,
		TaskDropped, TaskUnreachable, TaskGone, TaskGoneByOperator:
		st.status = Pending
		st.awaitISR = false
		st.tasks = map[string]bool{}
	default:
		return false
	}
	if st.status != before {
		st.detail = ""
	}
	if st.status == before && st.detail == beforeDetail && st.awaitISR == beforeAwait {
		return false
	}
	p.changed()
	return true
}

func allReady(tasks map[string]bool) bool {
	for _, ready := range tasks {
		if !ready {
			return false
		}
	}
	return len(tasks) > 0
}

func (p *Plan) stepForTask(taskID string) *step {
	for _, ph := range p.phases {
		for _, st := range ph.steps {
			if _, ok := st.tasks[taskID]; ok && st.status != Complete {
				return st
			}
		}
	}
	return nil
}

// onStep applies fn to the first incomplete step of pod, under the lock.
// A status change clears the step's detail.
func (p *Plan) onStep(pod string, fn func(*step) bool) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, ph := range p.phases {
		for _, st := range ph.steps {
			if st.pod != pod || st.status == Complete {
				continue
			}
			before := st.status
			if !fn(st) {
				return false
			}
			if st.status != before {
				st.detail = ""
			}
			p.changed()
			return true
		}
	}
	return false
}

// AwaitingISR reports whether the pod's restart step has its relaunched
// tasks running and ready and now waits for the broker to rejoin the ISR
// of every partition it replicates (admin.BackInSync); the service then
// calls Rejoined, or Failed when service.isr_wait_timeout_secs runs out.
func (p *Plan) AwaitingISR(pod string) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, ph := range p.phases {
		for _, st := range ph.steps {
			if st.pod == pod && st.status == Started && st.awaitISR {
				return true
			}
		}
	}
	return false
}

// Rejoined completes the pod's restart step once its broker is back in
// the ISR: STARTED (tasks ready) → COMPLETE. It does nothing to a step
// that is not waiting for the ISR.
func (p *Plan) Rejoined(pod string) bool {
	return p.onStep(pod, func(st *step) bool {
		if st.status != Started || !st.awaitISR {
			return false
		}
		st.status, st.awaitISR = Complete, false
		return true
	})
}

// Failed puts the pod's step in ERROR with detail as its message (for
// example: the ISR wait ran out, naming the partitions still missing the
// broker). The plan then shows ERROR; the plan restart command retries the
// step. detail must never carry a secret.
func (p *Plan) Failed(pod, detail string) bool {
	changed := p.onStep(pod, func(st *step) bool {
		if st.status == Error {
			return false
		}
		st.status, st.awaitISR = Error, false
		return true
	})
	if changed {
		p.Explain(pod, detail)
	}
	return changed
}

// Reconfigured completes the reconfigure step of a rollout (the step with
// no pod, ReconfigureStepName) once the service applied and verified the
// cluster-wide properties.
func (p *Plan) Reconfigured() bool {
	return p.onStep("", func(st *step) bool {
		if st.action != ActionReconfigure {
			return false
		}
		st.status = Complete
		return true
	})
}
