package service

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/kafka/admin"
	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/plan"
)

// Partition health: DC/OS Kafka lists a service as unhealthy when it
// detects under-replicated partitions (seed 001, "Recovery and Health
// Checks"). The health endpoint must answer without waiting, so the
// service asks Kafka on its own timer (Timing.PartitionHealthPoll, while
// its brokers are deployed) and its health reads the latest answer:
//
//   - every plan complete, but partitions under-replicated, unavailable or
//     under their min ISR: DEGRADED (206), the partitions as reasons;
//   - recovering (203/205/208): the recovery code stays (it says what is
//     being done about it), the partitions are added to its reasons;
//   - Kafka unreachable: the health does not change, and says the
//     partitions could not be checked.

// partitionHealth is the latest answer of Kafka about the partitions.
type partitionHealth struct {
	checked time.Time
	report  admin.HealthReport
	err     error
	// next is when the next check is due.
	next time.Time
}

// checkPartitionHealth decides the periodic partition health check.
// Callers hold s.mu.
func (s *Service) checkPartitionHealth() effects {
	now := s.now()
	if s.failure != "" || s.deploy.Status() != plan.Complete || now.Before(s.partitions.next) {
		return effects{}
	}
	s.partitions.next = now.Add(s.cfg.Timing.PartitionHealthPoll)
	return effects{kafka: []kafkaCall{{what: "checking the partitions' health", do: func(ctx context.Context, k Kafka) func() effects {
		report, err := k.PartitionHealth(ctx)
		return func() effects {
			s.partitions.checked, s.partitions.report, s.partitions.err = s.now(), report, err
			if err == nil && !report.Healthy() {
				s.log.Warn("partitions need attention", "under_replicated", len(report.UnderReplicated), "unavailable", len(report.Unavailable), "under_min_isr", len(report.UnderMinISR))
			}
			return effects{}
		}
	}}}}
}

// withPartitionHealth refines a health computed from the plans with the
// latest partition check (see the file comment).
func withPartitionHealth(h Health, p partitionHealth) Health {
	recovering := h.Code == 203 || h.Code == 205 || h.Code == 208
	if h.Code != 200 && !recovering {
		return h
	}
	if p.checked.IsZero() {
		return h
	}
	if p.err != nil {
		h.Reasons = append(append([]string{}, h.Reasons...), "the partitions could not be checked: "+p.err.Error())
		return h
	}
	if p.report.Healthy() {
		return h
	}
	reasons := append(append([]string{}, h.Reasons...), partitionReasons(p.report)...)
	if recovering {
		h.Reasons = reasons
		return h
	}
	return Health{Code: 206, Name: "DEGRADED", Reasons: reasons}
}

// partitionReasons names the partitions that need attention, a few of
// each kind.
func partitionReasons(r admin.HealthReport) []string {
	var out []string
	add := func(what string, ps []admin.PartitionStatus) {
		if len(ps) == 0 {
			return
		}
		const shown = 5
		names := make([]string, 0, shown)
		for _, p := range ps[:min(shown, len(ps))] {
			names = append(names, fmt.Sprintf("%s-%d (in sync %v of %v)", p.Topic, p.Partition, p.ISR, p.Replicas))
		}
		more := ""
		if len(ps) > shown {
			more = fmt.Sprintf(" and %d more", len(ps)-shown)
		}
		out = append(out, fmt.Sprintf("%d partition(s) %s: %s%s", len(ps), what, strings.Join(names, ", "), more))
	}
	add("unavailable (no leader)", r.Unavailable)
	add("under min.insync.replicas", r.UnderMinISR)
	add("under-replicated", r.UnderReplicated)
	return out
}
