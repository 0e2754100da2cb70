// Package recovery is the policy that keeps a service's brokers running
// once they are deployed: for every broker it decides, from what the
// scheduler knows of its task and agent, whether to leave it alone, wait,
// relaunch it in place (its reservations and volume, so its data, are
// kept), or replace it (fresh reservations and an empty volume, on any
// agent the placement allows; the broker id stays, and Kafka rebuilds the
// broker's data from the other replicas).
//
// The rules, in DC/OS terms (dcos-commons recovery, the DC/OS Kafka
// "Recovery and Health Checks" docs), with what we add:
//
//   - A task that ended (FAILED, KILLED, ERROR, FINISHED, DROPPED, LOST)
//     is relaunched in place. The first failure in a row is relaunched at
//     once; from the second the launch backoff applies and grows with
//     every failure (initial × factor^(n-2), capped; Backoff.NextAttempt),
//     so that a crash loop does not hammer Mesos. The count resets once
//     the broker has stayed up (running and ready) for Backoff.ResetAfter.
//     The deploy plan's launches back off by the same rule.
//   - UNREACHABLE waits: the agent may come back, and with it the broker.
//   - GONE, GONE_BY_OPERATOR or a removed agent mark the broker for
//     replacement: the volume is gone with the agent.
//   - An operator's replace (pod replace, brokers/{id}?replace=true) marks
//     it too.
//   - A broker marked for replacement is replaced when the operator asked
//     for it; otherwise only with automatic replacement enabled
//     (enable_replacement), after its agent has been unreachable or gone
//     for the grace period (recover_in_place_grace_period_secs), never
//     sooner than the minimum delay after the previous replacement
//     (min_delay_between_recovers_secs), one at a time, and never when the
//     caller's Kafka check says the replacement would leave a partition
//     with no in-sync replica elsewhere. Without automatic replacement the
//     broker waits for an operator, and the decision says so.
//
// Decide is pure: the caller takes a snapshot under its lock, runs the
// Kafka checks off the lock, and acts on the decisions at its edges.
package recovery

import (
	"fmt"
	"math"
	"sort"
	"time"
)

// TaskState is a Mesos task state without the "TASK_" prefix.
type TaskState string

// The task states recovery tells apart.
const (
	Running        TaskState = "RUNNING"
	Staging        TaskState = "STAGING"
	Starting       TaskState = "STARTING"
	Killing        TaskState = "KILLING"
	Failed         TaskState = "FAILED"
	Killed         TaskState = "KILLED"
	Error          TaskState = "ERROR"
	Finished       TaskState = "FINISHED"
	Dropped        TaskState = "DROPPED"
	Lost           TaskState = "LOST"
	Unreachable    TaskState = "UNREACHABLE"
	Gone           TaskState = "GONE"
	GoneByOperator TaskState = "GONE_BY_OPERATOR"
	Unknown        TaskState = "UNKNOWN"
)

// ended is true for states after which the task will never run again.
func (s TaskState) ended() bool {
	switch s {
	case Failed, Killed, Error, Finished, Dropped, Lost, Gone, GoneByOperator:
		return true
	}
	return false
}

// Backoff is the launch backoff of in-place relaunches (DC/OS defaults:
// 60 s initial, factor 1.15, 300 s max).
type Backoff struct {
	Initial time.Duration
	Factor  float64
	Max     time.Duration
	// ResetAfter is how long a broker must stay up before its failure
	// count starts again from zero.
	ResetAfter time.Duration
}

// DefaultBackoff is DC/OS's launch backoff; a broker that stays up for
// 10 minutes is considered recovered.
func DefaultBackoff() Backoff {
	return Backoff{Initial: 60 * time.Second, Factor: 1.15, Max: 300 * time.Second, ResetAfter: 10 * time.Minute}
}

// Delay is the wait before the next launch after failures failures in a
// row (0 for none).
func (b Backoff) Delay(failures int) time.Duration {
	if failures <= 0 || b.Initial <= 0 {
		return 0
	}
	factor := b.Factor
	if factor < 1 {
		factor = 1
	}
	d := float64(b.Initial) * math.Pow(factor, float64(min(failures-1, 200)))
	if b.Max > 0 && d > float64(b.Max) {
		return b.Max
	}
	return time.Duration(d)
}

// NextAttempt is when a pod whose latest of failures failed launches in a
// row ended at last may launch again: at once after the first failure,
// then Delay(failures-1) after the latest.
func (b Backoff) NextAttempt(failures int, last time.Time) time.Time {
	wait := b.Delay(failures - 1)
	if wait <= 0 || last.IsZero() {
		return last
	}
	return last.Add(wait)
}

// Policy is a service's recovery options.
type Policy struct {
	// EnableReplacement turns on automatic replacement of brokers whose
	// agent has been unreachable or gone for GracePeriod.
	EnableReplacement bool
	GracePeriod       time.Duration
	// MinDelayBetweenReplacements spaces automatic replacements.
	MinDelayBetweenReplacements time.Duration
	Backoff                     Backoff
}

// Broker is what the scheduler knows of one deployed broker.
type Broker struct {
	ID    int
	State TaskState
	// Since is when the task entered State (for UNREACHABLE: when the
	// agent became unreachable).
	Since time.Time
	// AgentGone is true once Mesos reported the agent removed or gone.
	AgentGone bool
	// ReplaceRequested is true when an operator asked to replace the
	// broker (or an earlier decision escalated it).
	ReplaceRequested bool
	// Failures counts failed launches in a row; LastFailure is when the
	// latest ended. RunningSince is when the current task became RUNNING.
	Failures     int
	LastFailure  time.Time
	RunningSince time.Time
	// Busy is true while another plan (deploy, update) owns the broker:
	// recovery leaves it to that plan.
	Busy bool
}

// Kind is what recovery does with a broker.
type Kind string

// Decisions.
const (
	// Healthy: nothing to do.
	Healthy Kind = "healthy"
	// ResetFailures: the broker stayed up long enough; forget its
	// failure count.
	ResetFailures Kind = "reset-failures"
	// Relaunch in place now (on the broker's own reservations and volume).
	Relaunch Kind = "relaunch"
	// Backoff: relaunch in place, but not before NotBefore.
	BackingOff Kind = "backoff"
	// WaitUnreachable: the agent may come back.
	WaitUnreachable Kind = "wait-unreachable"
	// WaitOperator: the broker cannot come back in place and automatic
	// replacement is off; replace it by hand.
	WaitOperator Kind = "wait-operator"
	// WaitReplacement: a replacement is due but must wait (grace period,
	// delay after the previous one, one at a time, or Kafka safety).
	WaitReplacement Kind = "wait-replacement"
	// Replace now: fresh reservations and volume, same broker id.
	Replace Kind = "replace"
	// Skip: another plan owns the broker.
	Skip Kind = "skip"
)

// Decision is what to do with one broker, and why, in words an operator
// reads in the recovery plan.
type Decision struct {
	Broker    int
	Kind      Kind
	NotBefore time.Time
	Reason    string
}

// Safety is the caller's Kafka verdict on replacing a broker: Safe is
// false when losing the broker's data would leave a partition with no
// in-sync replica elsewhere (or when Kafka could not be asked), and
// Reason says which.
type Safety struct {
	Safe   bool
	Reason string
}

// Input is a snapshot for Decide.
type Input struct {
	Now     time.Time
	Policy  Policy
	Brokers []Broker
	// LastReplacement is when the previous automatic replacement started.
	LastReplacement time.Time
	// Safety holds the Kafka verdict per broker id for brokers that may be
	// replaced automatically; a missing verdict is "not known yet".
	Safety map[int]Safety
}

// NeedsSafety lists the brokers Decide would replace automatically if
// Kafka said it was safe: the caller asks Kafka about these, off its lock,
// and passes the verdicts in Input.Safety.
func NeedsSafety(in Input) []int {
	var ids []int
	for _, b := range in.Brokers {
		if !b.Busy && !b.ReplaceRequested && in.Policy.EnableReplacement && replaceable(b, in.Policy) && in.Now.Sub(b.Since) >= in.Policy.GracePeriod {
			ids = append(ids, b.ID)
		}
	}
	return ids
}

// Decide returns one decision per broker, sorted by broker id. It starts
// at most one automatic replacement.
func Decide(in Input) []Decision {
	brokers := append([]Broker(nil), in.Brokers...)
	sort.Slice(brokers, func(i, j int) bool { return brokers[i].ID < brokers[j].ID })
	out := make([]Decision, 0, len(brokers))
	replacing := false
	for _, b := range brokers {
		d := decideOne(in, b, replacing)
		if d.Kind == Replace && !b.ReplaceRequested {
			replacing = true
		}
		out = append(out, d)
	}
	return out
}

func decideOne(in Input, b Broker, replacing bool) Decision {
	d := Decision{Broker: b.ID}
	switch {
	case b.Busy:
		d.Kind, d.Reason = Skip, "another plan is working on this broker"
	case b.ReplaceRequested:
		d.Kind, d.Reason = Replace, "the broker is marked for replacement: it gets fresh reservations and an empty volume, and Kafka copies its data from the other replicas"
	case replaceable(b, in.Policy):
		return decideLost(in, b, replacing)
	case b.State == Unreachable:
		d.Kind = WaitUnreachable
		d.Reason = fmt.Sprintf("the agent has been unreachable since %s; waiting for it to come back", b.Since.UTC().Format(time.RFC3339))
	case b.State.ended():
		return decideRelaunch(in, b)
	case b.State == Running && b.Failures > 0 && !b.RunningSince.IsZero() && in.Now.Sub(b.RunningSince) >= in.Policy.Backoff.ResetAfter:
		d.Kind, d.Reason = ResetFailures, "the broker has stayed up; its launch backoff starts again from zero"
	default:
		d.Kind = Healthy
	}
	return d
}

// replaceable is true when the broker can only come back by replacement:
// its volume is gone with its agent, or (with automatic replacement on)
// its agent is unreachable, for which the grace period then decides.
func replaceable(b Broker, p Policy) bool {
	return b.AgentGone || b.State == Gone || b.State == GoneByOperator || (b.State == Unreachable && p.EnableReplacement)
}

func decideRelaunch(in Input, b Broker) Decision {
	d := Decision{Broker: b.ID}
	wait := in.Policy.Backoff.Delay(b.Failures - 1)
	next := in.Policy.Backoff.NextAttempt(b.Failures, b.LastFailure)
	if b.LastFailure.IsZero() || !in.Now.Before(next) {
		d.Kind = Relaunch
		d.Reason = fmt.Sprintf("the broker's task is %s; relaunching it in place (same agent, same volume, data kept)", b.State)
		return d
	}
	d.Kind, d.NotBefore = BackingOff, next
	d.Reason = fmt.Sprintf("the broker's task is %s after %d failed launch(es) in a row; next attempt in place at %s (backoff %s)",
		b.State, b.Failures, next.UTC().Format(time.RFC3339), wait.Round(time.Second))
	return d
}

func decideLost(in Input, b Broker, replacing bool) Decision {
	d := Decision{Broker: b.ID}
	why := "its agent is gone"
	switch {
	case b.State == GoneByOperator:
		why = "an operator marked its agent gone"
	case b.State == Unreachable && !b.AgentGone:
		why = "its agent has been unreachable since " + b.Since.UTC().Format(time.RFC3339)
	}
	p := in.Policy
	switch {
	case !p.EnableReplacement:
		d.Kind = WaitOperator
		d.Reason = fmt.Sprintf("the broker cannot come back in place: %s; automatic replacement is off (service.enable_replacement), so replace it: POST /service/<name>/v1/pod/kafka-%d/replace", why, b.ID)
	case in.Now.Sub(b.Since) < p.GracePeriod:
		d.Kind, d.NotBefore = WaitReplacement, b.Since.Add(p.GracePeriod)
		d.Reason = fmt.Sprintf("%s; it will be replaced at %s, after the grace period (service.recover_in_place_grace_period_secs)", why, d.NotBefore.UTC().Format(time.RFC3339))
	case replacing:
		d.Kind = WaitReplacement
		d.Reason = why + "; another broker is being replaced first (one replacement at a time)"
	case !in.LastReplacement.IsZero() && in.Now.Sub(in.LastReplacement) < p.MinDelayBetweenReplacements:
		d.Kind, d.NotBefore = WaitReplacement, in.LastReplacement.Add(p.MinDelayBetweenReplacements)
		d.Reason = fmt.Sprintf("%s; the previous replacement was at %s, the next may start at %s (service.min_delay_between_recovers_secs)",
			why, in.LastReplacement.UTC().Format(time.RFC3339), d.NotBefore.UTC().Format(time.RFC3339))
	default:
		s, known := in.Safety[b.ID]
		switch {
		case !known:
			d.Kind, d.Reason = WaitReplacement, why+"; asking Kafka whether its partitions have in-sync replicas elsewhere"
		case !s.Safe:
			d.Kind, d.Reason = WaitReplacement, why+"; not replaced: "+s.Reason
		default:
			d.Kind = Replace
			d.Reason = why + "; replacing it automatically (service.enable_replacement): fresh reservations and an empty volume, data copied from the other replicas"
		}
	}
	return d
}
