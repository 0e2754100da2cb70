package service

import (
	"fmt"
	"time"

	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/plan"
	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/spec"
)

// The launch backoff spaces out the relaunches of a broker whose task
// keeps ending, so that a broken configuration, agent or broker does not
// have Mesos launch it many times a second. It is one mechanism for the
// deploy plan and the recovery plan (recovery.go): every task of a pod that
// ends without the scheduler having killed it (FAILED, ERROR, KILLED out of
// band, LOST, ...; a launch Mesos never accepted does not count) adds one
// to the pod's failures in a row. The first failure is relaunched at once;
// from the second the pod's step is DELAYED until
// recovery.Backoff.NextAttempt (DC/OS's backoff by default: 60 s growing
// by 1.15 up to 300 s, Timing.LaunchBackoff), and its message gives the
// next attempt time. The count resets once the broker has stayed running
// and ready for Backoff.ResetAfter (10 minutes by default): a broker that
// crashes a while after it became ready still backs off. A replace clears
// it (as in DC/OS). The counts live in memory: a scheduler restart starts
// afresh.
type launchFailures struct {
	count int
	last  time.Time
	// readySince is when the pod's current task became running and
	// ready; zero while it is not.
	readySince time.Time
}

// noteLaunchOutcome updates the pod's failure count from a stored status
// and delays its deploy step when the backoff applies (the recovery plan
// decides its own steps from the same count). Callers hold s.mu.
func (s *Service) noteLaunchOutcome(p *pod, next TaskStatus, killedByUs bool) {
	if s.failures == nil {
		s.failures = map[int]*launchFailures{}
	}
	f := s.failures[p.record.Pod]
	switch {
	case next.Ready && next.State == "TASK_RUNNING":
		if f != nil && f.readySince.IsZero() {
			f.readySince = s.now()
		}
		return
	case !next.terminal() || killedByUs || next.launchNeverReachedMesos() || next.State == "TASK_UNKNOWN":
		return
	}
	if f == nil {
		f = &launchFailures{}
		s.failures[p.record.Pod] = f
	}
	f.count++
	f.last = s.now()
	f.readySince = time.Time{}
	backoff := s.cfg.Timing.LaunchBackoff
	until := backoff.NextAttempt(f.count, f.last)
	if !until.After(f.last) {
		return
	}
	podName := spec.PodInstanceName(p.record.Pod)
	if s.deploy.Delayed(podName) {
		s.deploy.Explain(podName, fmt.Sprintf("the broker's launch failed %d times in a row (last: %s); next attempt at %s (launch backoff %s)",
			f.count, next.Message, until.UTC().Format(time.RFC3339), until.Sub(f.last).Round(time.Second)))
	}
	s.log.Warn("launch backoff", "pod", podName, "failures", f.count, "next_attempt", until)
}

// releaseDelayedSteps puts DELAYED deploy steps whose backoff is over back
// to PENDING, so the next offers relaunch them, and forgets the failures
// of brokers that stayed up for Backoff.ResetAfter. Callers hold s.mu.
func (s *Service) releaseDelayedSteps() {
	now := s.now()
	backoff := s.cfg.Timing.LaunchBackoff
	for i, f := range s.failures {
		if !f.readySince.IsZero() && now.Sub(f.readySince) >= backoff.ResetAfter {
			s.log.Info("launch backoff reset: the broker stayed up", "pod", spec.PodInstanceName(i), "failures", f.count, "up_for", now.Sub(f.readySince).Round(time.Second))
			delete(s.failures, i)
		}
	}
	for _, c := range s.deploy.Candidates(nil) {
		if c.Status != plan.Delayed {
			continue
		}
		if f := s.failures[c.PodIndex]; f == nil || !now.Before(backoff.NextAttempt(f.count, f.last)) {
			s.deploy.Pending(c.Pod)
			s.deploy.Explain(c.Pod, "")
		}
	}
}
