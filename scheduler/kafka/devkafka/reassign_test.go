package devkafka

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
)

func replicasOf(t *testing.T, c *testCluster, broker int, topic string) [][]int32 {
	t.Helper()
	md := c.metadata(broker, topic)
	out := make([][]int32, len(md.Topics[0].Partitions))
	for _, p := range md.Topics[0].Partitions {
		out[p.Partition] = p.Replicas
	}
	return out
}

func TestReassignmentChangesFollowersAndKeepsEachPartitionHome(t *testing.T) {
	c := newTestCluster(t, 3, nil)
	ctx := context.Background()
	adm := kadm.NewClient(c.client(0))
	createTopic(t, adm, "grow", 3, 1, nil)
	before := replicasOf(t, c, 0, "grow")

	// Add two followers to every partition, home first.
	req := kadm.AlterPartitionAssignmentsReq{}
	want := make([][]int32, 3)
	for p, rs := range before {
		home := rs[0]
		want[p] = []int32{home, (home + 1) % 3, (home + 2) % 3}
		req.Assign("grow", int32(p), want[p])
	}
	resps, err := adm.AlterPartitionAssignments(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range resps["grow"] {
		if r.Err != nil {
			t.Fatalf("partition %d: %v %s", r.Partition, r.Err, r.ErrMessage)
		}
	}
	for broker := range 3 {
		if got := replicasOf(t, c, broker, "grow"); !slices.EqualFunc(got, want, slices.Equal) {
			t.Errorf("broker %d reports replicas %v, want %v", broker, got, want)
		}
	}
	listed, err := adm.ListPartitionReassignments(ctx, kadm.TopicsSet{"grow": nil})
	if err != nil || len(listed["grow"]) != 0 {
		t.Errorf("a follower reassignment is complete at once; listed %v %v", listed, err)
	}

	// The data did not move: produce and fetch still go to the home.
	producer := c.client(2, kgo.RecordPartitioner(kgo.ManualPartitioner()))
	for p := range int32(3) {
		if err := producer.ProduceSync(ctx, &kgo.Record{Topic: "grow", Partition: p, Value: []byte("x")}).FirstErr(); err != nil {
			t.Fatalf("produce to partition %d after the reassignment: %v", p, err)
		}
	}
	ends, err := adm.ListEndOffsets(ctx, "grow")
	if err != nil || ends.Error() != nil {
		t.Fatal(err, ends.Error())
	}
	ends.Each(func(o kadm.ListedOffset) {
		if o.Offset != 1 {
			t.Errorf("partition %d end offset %d, want 1", o.Partition, o.Offset)
		}
	})

	// Dropping followers again.
	shrink := kadm.AlterPartitionAssignmentsReq{}
	shrink.Assign("grow", 0, []int32{before[0][0]})
	if resps, err := adm.AlterPartitionAssignments(ctx, shrink); err != nil || resps["grow"][0].Err != nil {
		t.Fatalf("dropping followers: %v %v", err, resps["grow"][0].Err)
	}
	if got := replicasOf(t, c, 1, "grow")[0]; !slices.Equal(got, before[0]) {
		t.Errorf("partition 0 after dropping its followers: %v, want %v", got, before[0])
	}
}

func TestReassignmentThatWouldMoveDataIsRefused(t *testing.T) {
	c := newTestCluster(t, 3, nil)
	ctx := context.Background()
	adm := kadm.NewClient(c.client(0))
	createTopic(t, adm, "stay", 1, 1, nil)
	home := replicasOf(t, c, 0, "stay")[0][0]
	other := (home + 1) % 3

	cases := []struct {
		name     string
		topic    string
		p        int32
		replicas []int32
		code     *kerr.Error
		says     string
	}{
		{"new home", "stay", 0, []int32{other, home}, kerr.InvalidReplicaAssignment, "data lives only on broker"},
		{"home dropped", "stay", 0, []int32{other}, kerr.InvalidReplicaAssignment, "must stay first"},
		{"duplicate broker", "stay", 0, []int32{home, home}, kerr.InvalidReplicaAssignment, "Duplicate broker"},
		{"unknown broker", "stay", 0, []int32{home, 7}, kerr.InvalidReplicaAssignment, "broker 7"},
		{"unknown partition", "stay", 4, []int32{home}, kerr.UnknownTopicOrPartition, "no partition 4"},
		{"unknown topic", "nope", 0, []int32{home}, kerr.UnknownTopicOrPartition, "nope"},
		{"cancel", "stay", 0, nil, kerr.NoReassignmentInProgress, "completes reassignments at once"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			req := kadm.AlterPartitionAssignmentsReq{}
			if tc.replicas == nil {
				req.CancelAssign(tc.topic, tc.p)
			} else {
				req.Assign(tc.topic, tc.p, tc.replicas)
			}
			resps, err := adm.AlterPartitionAssignments(ctx, req)
			if err != nil {
				t.Fatal(err)
			}
			r := resps[tc.topic][tc.p]
			if !errors.Is(r.Err, tc.code) || !strings.Contains(r.ErrMessage, tc.says) {
				t.Errorf("got %v %q, want %v saying %q", r.Err, r.ErrMessage, tc.code, tc.says)
			}
		})
	}
	if got := replicasOf(t, c, 2, "stay")[0]; !slices.Equal(got, []int32{home}) {
		t.Errorf("refused reassignments changed the replicas to %v", got)
	}
}
