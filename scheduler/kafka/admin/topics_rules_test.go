package admin

import (
	"context"
	"errors"
	"fmt"
	"net"
	"reflect"
	"strings"
	"syscall"
	"testing"

	"github.com/twmb/franz-go/pkg/kerr"

	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/validation"
)

func partitionsOfReplicas(replicas ...[]int32) []Partition {
	out := make([]Partition, len(replicas))
	for i, r := range replicas {
		out[i] = Partition{Partition: int32(i), Leader: r[0], Replicas: r, ISR: r}
	}
	return out
}

func TestCompareListsEveryDifference(t *testing.T) {
	existing := TopicState{
		Topic:   Topic{Name: "orders", ReplicationFactor: 3, Partitions: partitionsOfReplicas([]int32{0, 1, 2}, []int32{1, 2, 0}, []int32{2, 0, 1})},
		Configs: map[string]string{"retention.ms": "1000", "cleanup.policy": "compact"},
	}
	cases := []struct {
		name string
		spec TopicSpec
		want []Difference
	}{
		{"same", TopicSpec{Name: "orders", Partitions: 3, ReplicationFactor: 3, Configs: map[string]string{"retention.ms": "1000", "cleanup.policy": "compact"}}, nil},
		{"same, values with spaces", TopicSpec{Name: "orders", Partitions: 3, ReplicationFactor: 3, Configs: map[string]string{"retention.ms": " 1000", "cleanup.policy": "compact "}}, nil},
		{"broker defaults match anything", TopicSpec{Name: "orders", Partitions: -1, ReplicationFactor: -1, Configs: map[string]string{"retention.ms": "1000", "cleanup.policy": "compact"}}, nil},
		{"everything differs", TopicSpec{Name: "orders", Partitions: 6, ReplicationFactor: 2, Configs: map[string]string{"retention.ms": "2000", "min.insync.replicas": "2"}}, []Difference{
			{Field: "partitions", Current: "3", Requested: "6"},
			{Field: "replication_factor", Current: "3", Requested: "2"},
			{Field: "configs.cleanup.policy", Current: "compact"},
			{Field: "configs.min.insync.replicas", Requested: "2"},
			{Field: "configs.retention.ms", Current: "1000", Requested: "2000"},
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := Compare(tc.spec, existing); !reflect.DeepEqual(got, tc.want) {
				t.Errorf("Compare = %+v\nwant      %+v", got, tc.want)
			}
		})
	}
	err := &ConflictError{Topic: "orders", Differences: Compare(cases[3].spec, existing)}
	for _, want := range []string{`topic "orders" already exists`, "partitions is 3 on the topic, the request asks for 6",
		`configs.cleanup.policy is "compact" on the topic, the request does not set it`,
		`configs.min.insync.replicas is not set on the topic, the request sets "2"`} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("conflict message %q lacks %q", err, want)
		}
	}
}

func TestPlanReplicasKeepsTheHomeAndTheLeader(t *testing.T) {
	live := []int32{0, 1, 2, 3}
	cases := []struct {
		name  string
		parts []Partition
		live  []int32
		rf    int
		want  map[int32][]int32
	}{
		{"same factor: nothing to do", partitionsOfReplicas([]int32{0, 1}, []int32{1, 2}), live, 2, map[int32][]int32{}},
		{"increase appends the least loaded, spread over partitions",
			partitionsOfReplicas([]int32{0}, []int32{1}, []int32{2}, []int32{3}), live, 2,
			map[int32][]int32{0: {0, 1}, 1: {1, 2}, 2: {2, 3}, 3: {3, 0}}},
		{"increase prefers brokers holding fewer replicas of the topic",
			partitionsOfReplicas([]int32{0, 1}, []int32{0, 1}), []int32{0, 1, 2}, 3,
			map[int32][]int32{0: {0, 1, 2}, 1: {0, 1, 2}}},
		{"decrease drops from the end",
			partitionsOfReplicas([]int32{2, 0, 1}, []int32{0, 1, 2}), []int32{0, 1, 2}, 1,
			map[int32][]int32{0: {2}, 1: {0}}},
		{"decrease drops offline replicas first", []Partition{{Partition: 0, Leader: 0, Replicas: []int32{0, 1, 2}}}, []int32{0, 2}, 2,
			map[int32][]int32{0: {0, 2}}},
		{"decrease keeps a leader that is not the first replica", []Partition{{Partition: 0, Leader: 2, Replicas: []int32{0, 1, 2}}}, []int32{0, 1, 2}, 2,
			map[int32][]int32{0: {0, 2}}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := PlanReplicas(tc.parts, tc.live, tc.rf)
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("PlanReplicas = %v, want %v", got, tc.want)
			}
			for p, rs := range got {
				if rs[0] != tc.parts[p].Replicas[0] {
					t.Errorf("partition %d's first replica moved from %d to %d", p, tc.parts[p].Replicas[0], rs[0])
				}
			}
		})
	}
}

func TestKafkaErrorNamesTheTopicTheCodeAndTheBrokerMessage(t *testing.T) {
	err := kafkaErr("creating topic", "orders", kerr.TopicAlreadyExists, "Topic 'orders' already exists.")
	want := `creating topic "orders": Kafka error TOPIC_ALREADY_EXISTS (code 36): Topic 'orders' already exists.`
	if err.Error() != want {
		t.Errorf("got  %s\nwant %s", err, want)
	}
	if !errors.Is(err, kerr.TopicAlreadyExists) || KindOf(err) != KindConflict {
		t.Errorf("errors.Is / kind: %v %v", errors.Is(err, kerr.TopicAlreadyExists), KindOf(err))
	}
	noMsg := kafkaErr("deleting topic", "gone", kerr.UnknownTopicOrPartition, "")
	if !strings.Contains(noMsg.Error(), `deleting topic "gone": Kafka error UNKNOWN_TOPIC_OR_PARTITION (code 3): `) {
		t.Errorf("without a broker message the code's description is used: %s", noMsg)
	}
	other := kafkaErr("reading topic", "x", context.DeadlineExceeded, "")
	if other.Error() != `reading topic "x": context deadline exceeded` || KindOf(other) != KindTimeout {
		t.Errorf("a non-Kafka error is wrapped: %v (%v)", other, KindOf(other))
	}
}

func TestKindOf(t *testing.T) {
	var ps validation.Problems
	ps.Add("partitions", "0", "must be at least 1")
	cases := []struct {
		err  error
		want ErrorKind
	}{
		{ps, KindInvalid},
		{fmt.Errorf("creating: %w", ps), KindInvalid},
		{&ConflictError{Topic: "t"}, KindConflict},
		{fmt.Errorf("x: %w", ErrCannotReassign), KindConflict},
		{fmt.Errorf("x: %w", ErrUnknownBroker), KindNotFound},
		{kafkaErr("op", "t", kerr.UnknownTopicOrPartition, ""), KindNotFound},
		{kafkaErr("op", "t", kerr.InvalidReplicationFactor, ""), KindInvalid},
		{kafkaErr("op", "t", kerr.PolicyViolation, ""), KindInvalid},
		{kafkaErr("op", "t", kerr.TopicDeletionDisabled, ""), KindConflict},
		{kafkaErr("op", "t", kerr.NotController, ""), KindUnavailable},
		{kafkaErr("op", "t", kerr.LeaderNotAvailable, ""), KindUnavailable},
		{kafkaErr("op", "t", kerr.RequestTimedOut, ""), KindTimeout},
		{kafkaErr("op", "t", kerr.ClusterAuthorizationFailed, ""), KindInternal},
		{fmt.Errorf("dialing: %w", &net.OpError{Op: "dial", Err: syscall.ECONNREFUSED}), KindUnavailable},
		{fmt.Errorf("x: %w", context.DeadlineExceeded), KindTimeout},
		{errors.New("something else"), KindInternal},
	}
	for _, tc := range cases {
		if got := KindOf(tc.err); got != tc.want {
			t.Errorf("KindOf(%v) = %v, want %v", tc.err, got, tc.want)
		}
	}
}

func TestReadOnlyTopicConfigsAreRefused(t *testing.T) {
	got := problemFields(TopicSpec{Name: "t", Partitions: 1, ReplicationFactor: 1, Configs: map[string]string{"message.format.version": "2.8"}}.Validate().Err())
	if !strings.Contains(got["configs.message.format.version"], "no effect") {
		t.Errorf("problems %v, want message.format.version refused as having no effect", got)
	}
}

func TestSameSet(t *testing.T) {
	if !sameSet([]int32{2, 0, 1}, []int32{0, 1, 2}) || sameSet([]int32{0, 1}, []int32{0, 1, 2}) || sameSet([]int32{0, 3}, []int32{0, 1}) {
		t.Error("sameSet compares membership")
	}
}
