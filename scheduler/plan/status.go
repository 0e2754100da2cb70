package plan

// Status is the state of a plan, phase or step, spelled as DC/OS spells it.
type Status string

// Statuses, as in dcos-commons (scheduler/plan/Status.java).
const (
	// Error: the element cannot proceed; for a plan, its errors list says
	// why (typically an invalid configuration change).
	Error Status = "ERROR"
	// Waiting is display only: the element, or what it waits for, is
	// interrupted (operator interrupt or a canary waiting for continue).
	Waiting Status = "WAITING"
	// Pending: waiting for a suitable offer.
	Pending Status = "PENDING"
	// Prepared: an offer was evaluated and old tasks were killed if needed;
	// the launch is about to be sent.
	Prepared Status = "PREPARED"
	// Starting: the launch was sent; waiting for TASK_RUNNING.
	Starting Status = "STARTING"
	// Started: TASK_RUNNING arrived but the readiness check has not passed.
	Started Status = "STARTED"
	// Complete: done.
	Complete Status = "COMPLETE"
	// InProgress is display only (plans and phases): some children are
	// complete or active and others are still to do.
	InProgress Status = "IN_PROGRESS"
	// Delayed: a launch backoff is active after a failed launch.
	Delayed Status = "DELAYED"
)

// IsRunning is true for the statuses DC/OS calls running: work is in flight.
func (s Status) IsRunning() bool {
	switch s {
	case Prepared, Starting, Started, InProgress:
		return true
	}
	return false
}

// inFlight is true for a step whose launch is under way: the service layer
// must keep driving it even when its phase or plan is interrupted.
func (s Status) inFlight() bool {
	return s == Prepared || s == Starting || s == Started
}

// aggregate computes the status a parent (plan or phase) shows for its
// children, following dcos-commons PlanUtils.getAggregateStatus rule by rule
// (the order matters). candidates are the statuses of the children the
// parent's strategy would work on now. One deliberate difference: when every
// candidate is DELAYED but other children are not, DC/OS falls through to
// ERROR (and so HTTP 417); here the parent shows DELAYED, because a launch
// backoff is not an error a client should give up on.
func aggregate(children, candidates []Status, hasErrors, interrupted bool) Status {
	switch {
	case hasErrors || anyIs(Error, children):
		return Error
	case allAre(Complete, children):
		return Complete
	case allAre(Delayed, candidates) && allAre(Delayed, children):
		return Delayed
	case interrupted:
		return Waiting
	case anyIs(Prepared, children):
		return InProgress
	case anyIs(Waiting, candidates):
		return Waiting
	case anyIs(InProgress, candidates):
		return InProgress
	case anyIs(Complete, children) && (anyIs(Pending, candidates) || anyIs(Starting, candidates) || anyIs(Started, candidates)):
		return InProgress
	case anyIs(Pending, candidates):
		return Pending
	case anyIs(Waiting, children):
		return Waiting
	case anyIs(Starting, candidates):
		return Starting
	case anyIs(Started, candidates):
		return Started
	case anyIs(Delayed, candidates):
		return Delayed
	default:
		return Error
	}
}

// allAre is true when every status is s; like Java's allMatch it is true for
// an empty list.
func allAre(s Status, statuses []Status) bool {
	for _, x := range statuses {
		if x != s {
			return false
		}
	}
	return true
}

func anyIs(s Status, statuses []Status) bool {
	for _, x := range statuses {
		if x == s {
			return true
		}
	}
	return false
}
