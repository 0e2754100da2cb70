package service

import (
	"fmt"
	"time"

	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/plan"
	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/spec"
)

// launchBackoff spaces out the relaunches of a broker whose launches keep
// failing (TASK_FAILED or TASK_ERROR before the broker ever became
// ready), so that a broken configuration or agent does not have Mesos
// launch it many times a second. The first failure is relaunched at once;
// from the second failure in a row the step is DELAYED for the recovery
// package's backoff (DC/OS's: 60 s growing by 1.15 up to 300 s), and its
// message gives the next attempt time. A launch that becomes ready clears
// the count. The counts live in memory: a scheduler restart starts afresh.
type launchFailures struct {
	count int
	last  time.Time
	// until is when the DELAYED step may launch again.
	until time.Time
}

// noteLaunchOutcome updates the pod's failure count from a stored status
// and delays its step when the backoff applies. Callers hold s.mu.
func (s *Service) noteLaunchOutcome(p *pod, next TaskStatus) {
	if s.failures == nil {
		s.failures = map[int]*launchFailures{}
	}
	switch {
	case next.Ready:
		delete(s.failures, p.record.Pod)
		return
	case next.State != "TASK_FAILED" && next.State != "TASK_ERROR":
		return
	}
	f := s.failures[p.record.Pod]
	if f == nil {
		f = &launchFailures{}
		s.failures[p.record.Pod] = f
	}
	f.count++
	f.last = s.now()
	wait := s.cfg.Timing.LaunchBackoff.Delay(f.count - 1)
	if wait <= 0 {
		return
	}
	f.until = f.last.Add(wait)
	podName := spec.PodInstanceName(p.record.Pod)
	if s.deploy.Delayed(podName) {
		s.deploy.Explain(podName, fmt.Sprintf("the broker's launch failed %d times in a row (last: %s); next attempt at %s (launch backoff %s)",
			f.count, next.Message, f.until.UTC().Format(time.RFC3339), wait.Round(time.Second)))
		s.log.Warn("launch backoff", "pod", podName, "failures", f.count, "next_attempt", f.until)
	}
}

// releaseDelayedSteps puts DELAYED steps whose backoff is over back to
// PENDING, so the next offers relaunch them. Callers hold s.mu.
func (s *Service) releaseDelayedSteps() {
	now := s.now()
	for _, c := range s.deploy.Candidates(nil) {
		if c.Status != plan.Delayed {
			continue
		}
		if f := s.failures[c.PodIndex]; f == nil || !now.Before(f.until) {
			s.deploy.Pending(c.Pod)
			s.deploy.Explain(c.Pod, "")
		}
	}
}
