package admin

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"

	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/validation"
)

// SetReplicationFactor changes a topic's replication factor by partition
// reassignment (AlterPartitionAssignments, Kafka 2.4+) and returns once the
// reassignment is done: no partition of the topic is still being
// reassigned and metadata shows every partition with the new replicas.
//
// Every partition keeps its first (preferred) replica and its leader, so no
// leadership moves: an increase adds the least loaded live brokers at the
// end of each replica list, a decrease drops replicas from the end,
// offline ones first. A replication factor above the number of live
// brokers is refused before anything is sent; the current replication
// factor is a no-op. A cluster that does not support reassignment, that
// refuses this one, or that is already reassigning the topic gives an error
// wrapping ErrCannotReassign, and nothing is changed.
//
// The wait is bounded by Config.ReassignTimeout (and ctx), not
// Config.Timeout: moving data takes as long as it takes.
func (c *Client) SetReplicationFactor(ctx context.Context, name string, rf int16) error {
	var ps validation.Problems
	checkTopicName(&ps, name)
	if rf < 1 {
		ps.Add("replication_factor", strconv.Itoa(int(rf)), "must be at least 1")
	}
	if err := ps.Err(); err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, c.cfg.ReassignTimeout)
	defer cancel()
	// Twice at most: the second round changes what a reassignment that
	// was already running (and waited for) left to change.
	for range 2 {
		reqCtx, reqCancel := c.deadline(ctx)
		target, running, err := c.planReplicationChange(reqCtx, name, rf)
		if err == nil && len(target) > 0 && !running {
			err = c.reassign(reqCtx, name, target)
		}
		reqCancel()
		if err != nil || len(target) == 0 {
			return err
		}
		if err := c.waitReassigned(ctx, name, target); err != nil {
			return err
		}
		if !running {
			break
		}
	}
	c.log.Debug("changed replication factor", "topic", name, "replication_factor", rf)
	return nil
}

// planReplicationChange reads the topic and the live brokers and returns
// the new replicas of each partition that must change, or (running) the
// targets of a reassignment to rf already under way.
func (c *Client) planReplicationChange(ctx context.Context, name string, rf int16) (target map[int32][]int32, running bool, err error) {
	md, err := c.freshMetadata(ctx, name)
	if err != nil {
		return nil, false, fmt.Errorf("changing the replication factor of topic %q: %w", name, err)
	}
	t, err := md.topic(name)
	if err != nil {
		return nil, false, kafkaErr("changing the replication factor of topic", name, err, "")
	}
	if err := checkReplicationFits(rf, md); err != nil {
		return nil, false, err
	}
	target = PlanReplicas(t.Partitions, md.liveIDs(), int(rf))
	if len(target) == 0 {
		return nil, false, nil
	}
	ongoing, err := c.reassigning(ctx, name)
	if err != nil {
		return nil, false, err
	}
	if len(ongoing) == 0 {
		return target, false, nil
	}
	// A reassignment to this replication factor already runs (an earlier
	// call that timed out, say): wait for it instead of refusing.
	for p, replicas := range ongoing {
		if len(replicas) != int(rf) {
			return nil, false, fmt.Errorf("changing the replication factor of topic %q: %w: partition %d is already being reassigned to %v; wait until that is done",
				name, ErrCannotReassign, p, replicas)
		}
	}
	return ongoing, true, nil
}

// reassign sends the new replicas.
func (c *Client) reassign(ctx context.Context, name string, target map[int32][]int32) error {
	req := kadm.AlterPartitionAssignmentsReq{}
	for p, replicas := range target {
		req.Assign(name, p, replicas)
	}
	resps, err := c.adm.AlterPartitionAssignments(ctx, req)
	if err != nil {
		if unsupported(err) {
			return fmt.Errorf("changing the replication factor of topic %q: %w: the brokers do not support partition reassignment (AlterPartitionAssignments, Kafka 2.4 and later)",
				name, ErrCannotReassign)
		}
		var em *kadm.ErrAndMessage
		if errors.As(err, &em) {
			return kafkaErr("changing the replication factor of topic", name, em.Err, em.ErrMessage)
		}
		return fmt.Errorf("changing the replication factor of topic %q: %w", name, err)
	}
	var refused []string
	var firstErr error
	for _, r := range sortedReassignResponses(resps[name]) {
		if r.Err == nil {
			continue
		}
		if r.Err == kerr.InvalidReplicaAssignment || r.Err == kerr.ReassignmentInProgress {
			refused = append(refused, fmt.Sprintf("partition %d: %s", r.Partition, firstNonEmpty(r.ErrMessage, r.Err.Error())))
			continue
		}
		if firstErr == nil {
			firstErr = kafkaErr(fmt.Sprintf("reassigning partition %d of topic", r.Partition), name, r.Err, r.ErrMessage)
		}
	}
	switch {
	case len(refused) > 0:
		return fmt.Errorf("changing the replication factor of topic %q: %w: the brokers refused the reassignment: %s",
			name, ErrCannotReassign, strings.Join(refused, "; "))
	case firstErr != nil:
		return firstErr
	}
	return nil
}

func sortedReassignResponses(m map[int32]kadm.AlterPartitionAssignmentsResponse) []kadm.AlterPartitionAssignmentsResponse {
	out := make([]kadm.AlterPartitionAssignmentsResponse, 0, len(m))
	for _, r := range m {
		out = append(out, r)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Partition < out[j].Partition })
	return out
}

// reassigning returns the target replicas of each partition of the topic
// being reassigned now.
func (c *Client) reassigning(ctx context.Context, name string) (map[int32][]int32, error) {
	resps, err := c.adm.ListPartitionReassignments(ctx, kadm.TopicsSet{name: nil})
	if err != nil {
		if unsupported(err) {
			return nil, fmt.Errorf("changing the replication factor of topic %q: %w: the brokers do not support partition reassignment (ListPartitionReassignments, Kafka 2.4 and later)",
				name, ErrCannotReassign)
		}
		var em *kadm.ErrAndMessage
		if errors.As(err, &em) {
			return nil, kafkaErr("listing the reassignments of topic", name, em.Err, em.ErrMessage)
		}
		return nil, fmt.Errorf("listing the reassignments of topic %q: %w", name, err)
	}
	out := map[int32][]int32{}
	for p, r := range resps[name] {
		var target []int32
		for _, id := range r.Replicas {
			if !slices.Contains(r.RemovingReplicas, id) {
				target = append(target, id)
			}
		}
		out[p] = target
	}
	return out, nil
}

// waitReassigned waits until no partition of the topic is being
// reassigned and metadata shows the target replicas.
func (c *Client) waitReassigned(ctx context.Context, name string, target map[int32][]int32) error {
	return poll(ctx, fmt.Sprintf("the reassignment of topic %q to finish", name), func(ctx context.Context) (bool, string, error) {
		reqCtx, cancel := c.deadline(ctx)
		defer cancel()
		ongoing, err := c.reassigning(reqCtx, name)
		if err != nil {
			return false, "", err
		}
		if len(ongoing) > 0 {
			return false, fmt.Sprintf("%d of %d partitions still reassigning", len(ongoing), len(target)), nil
		}
		md, err := c.freshMetadata(reqCtx, name)
		if err != nil {
			return false, "", fmt.Errorf("reading topic %q: %w", name, err)
		}
		t, err := md.topic(name)
		if err != nil {
			return false, "", kafkaErr("reading topic", name, err, "")
		}
		pending := 0
		for _, p := range t.Partitions {
			if want, ok := target[p.Partition]; ok && !sameSet(want, p.Replicas) {
				pending++
			}
		}
		if pending > 0 {
			return false, fmt.Sprintf("metadata shows %d of %d partitions with their old replicas", pending, len(target)), nil
		}
		return true, "", nil
	})
}

// PlanReplicas returns the new replica list of every partition whose
// replica count differs from rf, choosing from the live brokers. It keeps
// each partition's first replica (its preferred leader, and the broker that
// holds its data on the dev stand-in) and its current leader first in
// place:
//   - to add replicas it appends the live brokers holding the fewest
//     replicas of the topic (ties go round-robin from the partition
//     number, so partitions spread evenly);
//   - to remove replicas it drops them from the end, offline (not live)
//     replicas first.
//
// rf must not exceed len(live).
func PlanReplicas(parts []Partition, live []int32, rf int) map[int32][]int32 {
	isLive := map[int32]bool{}
	for _, id := range live {
		isLive[id] = true
	}
	ids := slices.Clone(live)
	slices.Sort(ids)
	load := map[int32]int{}
	for _, p := range parts {
		for _, r := range p.Replicas {
			load[r]++
		}
	}
	sorted := slices.Clone(parts)
	sort.Slice(sorted, func(i, j int) bool { return sorted[i].Partition < sorted[j].Partition })
	out := map[int32][]int32{}
	for _, p := range sorted {
		var next []int32
		switch {
		case len(p.Replicas) < rf:
			next = growReplicas(p, ids, rf, load)
		case len(p.Replicas) > rf:
			next = shrinkReplicas(p, rf, isLive)
		default:
			continue
		}
		for _, r := range p.Replicas {
			load[r]--
		}
		for _, r := range next {
			load[r]++
		}
		out[p.Partition] = next
	}
	return out
}

func growReplicas(p Partition, ids []int32, rf int, load map[int32]int) []int32 {
	next := slices.Clone(p.Replicas)
	var candidates []int32
	for _, id := range ids {
		if !slices.Contains(next, id) {
			candidates = append(candidates, id)
		}
	}
	n := len(ids)
	rank := func(id int32) int { // round-robin tie-break from the partition number
		i := slices.Index(ids, id)
		return ((i-int(p.Partition))%n + n) % n
	}
	sort.SliceStable(candidates, func(i, j int) bool {
		a, b := candidates[i], candidates[j]
		if load[a] != load[b] {
			return load[a] < load[b]
		}
		return rank(a) < rank(b)
	})
	return append(next, candidates[:rf-len(next)]...)
}

func shrinkReplicas(p Partition, rf int, isLive map[int32]bool) []int32 {
	keep := map[int32]bool{p.Replicas[0]: true}
	if p.Leader >= 0 && slices.Contains(p.Replicas, p.Leader) {
		keep[p.Leader] = true
	}
	// Fill up with live replicas in order, then offline ones.
	for _, wantLive := range []bool{true, false} {
		for _, r := range p.Replicas {
			if len(keep) >= rf {
				break
			}
			if isLive[r] == wantLive {
				keep[r] = true
			}
		}
	}
	var next []int32
	for _, r := range p.Replicas {
		if keep[r] && len(next) < rf {
			next = append(next, r)
		}
	}
	return next
}

func sameSet(a, b []int32) bool {
	if len(a) != len(b) {
		return false
	}
	for _, x := range a {
		if !slices.Contains(b, x) {
			return false
		}
	}
	return true
}

// unsupported reports whether kgo refused to send a request because the
// brokers do not advertise it in ApiVersions.
func unsupported(err error) bool {
	return err != nil && strings.Contains(err.Error(), "broker is too old")
}

func firstNonEmpty(s ...string) string {
	for _, x := range s {
		if x != "" {
			return x
		}
	}
	return ""
}
