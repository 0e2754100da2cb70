package devkafka

import (
	"context"
	"slices"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// Partition reassignment, within the stand-in's honesty rule: a
// partition's data lives on its home broker (its first replica) and never
// moves. Followers hold no data here (see the package documentation), so
// adding, removing or reordering followers changes only the replica list,
// and such a reassignment is complete as soon as it is recorded: there is
// nothing to copy, which is also why ListPartitionReassignments never lists
// one in progress. A reassignment that would change a partition's home
// broker is refused with INVALID_REPLICA_ASSIGNMENT saying why, since it
// would claim data moved that did not.

// handleAlterPartitionAssignments validates every partition and records
// the valid ones in one registry update.
func (b *Broker) handleAlterPartitionAssignments(ctx context.Context, v *view, r *kmsg.AlterPartitionAssignmentsRequest) kmsg.Response {
	resp := r.ResponseKind().(*kmsg.AlterPartitionAssignmentsResponse)
	type change struct {
		topic     string
		partition int32
		replicas  []int32
	}
	results := make([][]*kafkaError, len(r.Topics))
	var changes []change
	seen := map[string]bool{}
	for i, t := range r.Topics {
		results[i] = make([]*kafkaError, len(t.Partitions))
		dupTopic := seen[t.Topic]
		seen[t.Topic] = true
		for j, p := range t.Partitions {
			if dupTopic {
				results[i][j] = failf(kerr.InvalidRequest, "Topic %s appears twice in the request.", t.Topic)
				continue
			}
			if e := b.checkReassignment(v, t.Topic, p); e != nil {
				results[i][j] = e
				continue
			}
			changes = append(changes, change{t.Topic, p.Partition, slices.Clone(p.Replicas)})
		}
	}
	if len(changes) > 0 {
		_, err := b.reg.Update(ctx, func(x *Txn) error {
			edited := map[string]*Topic{}
			for _, c := range changes {
				t := edited[c.topic]
				if t == nil {
					cur := x.Topic(c.topic)
					if cur == nil {
						continue // deleted meanwhile: answered below
					}
					t = cur.clone()
					edited[c.topic] = t
				}
				if int(c.partition) < len(t.Replicas) && t.Replicas[c.partition][0] == c.replicas[0] {
					t.Replicas[c.partition] = c.replicas
				}
			}
			for name, t := range edited {
				x.Put(name, t)
			}
			return nil
		})
		if err != nil {
			msg := "Recording the reassignment in the cluster registry failed: " + err.Error()
			resp.ErrorCode, resp.ErrorMessage = kerr.UnknownServerError.Code, &msg
		} else {
			b.log.Info("reassigned partitions (followers only; data stays on each partition's home broker)", "partitions", len(changes))
		}
	}
	for i, t := range r.Topics {
		rt := kmsg.NewAlterPartitionAssignmentsResponseTopic()
		rt.Topic = t.Topic
		for j, p := range t.Partitions {
			rp := kmsg.NewAlterPartitionAssignmentsResponseTopicPartition()
			rp.Partition = p.Partition
			rp.ErrorCode, rp.ErrorMessage = results[i][j].code(), results[i][j].message()
			rt.Partitions = append(rt.Partitions, rp)
		}
		resp.Topics = append(resp.Topics, rt)
	}
	return resp
}

// checkReassignment applies Kafka's checks and the stand-in's home rule to
// one partition's new replicas.
func (b *Broker) checkReassignment(v *view, topic string, p kmsg.AlterPartitionAssignmentsRequestTopicPartition) *kafkaError {
	t := v.state.Topics[topic]
	if t == nil || p.Partition < 0 || int(p.Partition) >= len(t.Replicas) {
		return failf(kerr.UnknownTopicOrPartition, "Topic %s has no partition %d.", topic, p.Partition)
	}
	if t.Internal {
		return failf(kerr.InvalidRequest, "The dev stand-in does not reassign the internal topic %s.", topic)
	}
	if p.Replicas == nil {
		return failf(kerr.NoReassignmentInProgress, "No reassignment of partition %d of %s is in progress: the dev stand-in completes reassignments at once.", p.Partition, topic)
	}
	if e := checkReplicaList(v, p.Replicas, len(p.Replicas)); e != nil {
		return e
	}
	if home := t.Replicas[p.Partition][0]; p.Replicas[0] != home {
		return failf(kerr.InvalidReplicaAssignment,
			"The dev stand-in cannot move partition %d of %s: its data lives only on broker %d, which must stay first in the replica list (followers may be added, removed or reordered; replicas asked for: %v).",
			p.Partition, topic, home, p.Replicas)
	}
	return nil
}

// handleListPartitionReassignments answers that nothing is being
// reassigned: every reassignment the stand-in accepts is complete at once.
func (b *Broker) handleListPartitionReassignments(r *kmsg.ListPartitionReassignmentsRequest) kmsg.Response {
	return r.ResponseKind().(*kmsg.ListPartitionReassignmentsResponse)
}
