package admin

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strconv"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// PartitionStatus is one partition in a health report.
type PartitionStatus struct {
	Topic           string  `json:"topic"`
	Partition       int32   `json:"partition"`
	Leader          int32   `json:"leader"`
	Replicas        []int32 `json:"replicas"`
	ISR             []int32 `json:"isr"`
	OfflineReplicas []int32 `json:"offline_replicas"`
	// MinISR is the topic's effective min.insync.replicas; 0 if unknown.
	MinISR int   `json:"min_isr"`
	Err    error `json:"-"`
}

// HealthReport sorts partitions by the checks of kafka-topics.sh
// --describe (TopicCommand.PartitionDescription):
//   - under-replicated: fewer in-sync replicas than replicas;
//   - unavailable: no leader, or a leader that is not a live broker;
//   - under min ISR: unavailable, or fewer in-sync replicas than the
//     topic's min.insync.replicas (acks=all producers are refused);
//   - at min ISR: exactly min.insync.replicas in sync (one more failure
//     and acks=all producers are refused).
//
// It is built from fresh metadata, not the client's metadata cache.
type HealthReport struct {
	LiveBrokers     []int32           `json:"live_brokers"`
	Partitions      int               `json:"partitions"`
	UnderReplicated []PartitionStatus `json:"under_replicated"`
	Unavailable     []PartitionStatus `json:"unavailable"`
	UnderMinISR     []PartitionStatus `json:"under_min_isr"`
	AtMinISR        []PartitionStatus `json:"at_min_isr"`
}

// Healthy reports whether no partition is under-replicated, unavailable or
// under its min ISR.
func (r HealthReport) Healthy() bool {
	return len(r.UnderReplicated) == 0 && len(r.Unavailable) == 0 && len(r.UnderMinISR) == 0
}

// PartitionHealth checks every partition of every topic, internal ones
// included.
func (c *Client) PartitionHealth(ctx context.Context) (HealthReport, error) {
	ctx, cancel := c.deadline(ctx)
	defer cancel()
	statuses, md, err := c.partitionStatuses(ctx)
	if err != nil {
		return HealthReport{}, fmt.Errorf("checking partition health: %w", err)
	}
	report := HealthReport{LiveBrokers: md.liveIDs(), Partitions: len(statuses)}
	for _, s := range statuses {
		h := classify(s, md.live)
		if h.underReplicated {
			report.UnderReplicated = append(report.UnderReplicated, s)
		}
		if h.unavailable {
			report.Unavailable = append(report.Unavailable, s)
		}
		if h.underMinISR {
			report.UnderMinISR = append(report.UnderMinISR, s)
		}
		if h.atMinISR {
			report.AtMinISR = append(report.AtMinISR, s)
		}
	}
	return report, nil
}

// UnderReplicatedPartitions lists partitions with fewer in-sync replicas
// than replicas.
func (c *Client) UnderReplicatedPartitions(ctx context.Context) ([]PartitionStatus, error) {
	r, err := c.PartitionHealth(ctx)
	return r.UnderReplicated, err
}

// UnavailablePartitions lists partitions without a live leader.
func (c *Client) UnavailablePartitions(ctx context.Context) ([]PartitionStatus, error) {
	r, err := c.PartitionHealth(ctx)
	return r.Unavailable, err
}

// UnderMinISRPartitions lists partitions that refuse acks=all producers.
func (c *Client) UnderMinISRPartitions(ctx context.Context) ([]PartitionStatus, error) {
	r, err := c.PartitionHealth(ctx)
	return r.UnderMinISR, err
}

// partitionStatuses reads fresh metadata for every topic and each topic's
// effective min.insync.replicas, sorted by topic and partition.
func (c *Client) partitionStatuses(ctx context.Context) ([]PartitionStatus, *clusterMetadata, error) {
	md, err := c.freshMetadata(ctx)
	if err != nil {
		return nil, nil, err
	}
	names := make([]string, 0, len(md.topics))
	for name, t := range md.topics {
		if t.ErrorCode == 0 {
			names = append(names, name)
		}
	}
	sort.Strings(names)
	minISR, err := c.effectiveConfig(ctx, "min.insync.replicas", names)
	if err != nil {
		return nil, nil, err
	}
	var out []PartitionStatus
	for _, name := range names {
		isr, _ := strconv.Atoi(minISR[name])
		for _, p := range sortedPartitions(md.topics[name]) {
			out = append(out, PartitionStatus{
				Topic: name, Partition: p.Partition, Leader: p.Leader,
				Replicas: p.Replicas, ISR: p.ISR, OfflineReplicas: p.OfflineReplicas,
				MinISR: isr, Err: kerr.ErrorForCode(p.ErrorCode),
			})
		}
	}
	return out, md, nil
}

func sortedPartitions(t kmsg.MetadataResponseTopic) []kmsg.MetadataResponseTopicPartition {
	ps := slices.Clone(t.Partitions)
	sort.Slice(ps, func(i, j int) bool { return ps[i].Partition < ps[j].Partition })
	return ps
}

type partitionHealth struct {
	underReplicated, unavailable, underMinISR, atMinISR bool
}

// classify applies TopicCommand's definitions to one partition.
func classify(s PartitionStatus, live map[int32]bool) partitionHealth {
	var h partitionHealth
	h.underReplicated = len(s.Replicas)-len(s.ISR) > 0
	h.unavailable = s.Leader < 0 || !live[s.Leader] || errors.Is(s.Err, kerr.LeaderNotAvailable)
	if s.MinISR > 0 {
		h.underMinISR = h.unavailable || len(s.ISR) < s.MinISR
		h.atMinISR = !h.unavailable && len(s.ISR) == s.MinISR
	} else {
		h.underMinISR = h.unavailable
	}
	return h
}
