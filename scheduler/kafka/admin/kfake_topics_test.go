package admin

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kmsg"
	"github.com/twmb/franz-go/pkg/kversion"
)

func TestBadTopicRequestsSendNothing(t *testing.T) {
	_, cl, log := newFakeCluster(t)
	ctx := context.Background()
	if _, err := cl.CreateTopic(ctx, TopicSpec{Name: "three", Partitions: 3, ReplicationFactor: 1}); err != nil {
		t.Fatal(err)
	}
	metadataOnly := []kmsg.Key{kmsg.Metadata, kmsg.ApiVersions}
	cases := []struct {
		name    string
		call    func() error
		allowed []kmsg.Key
		want    string
	}{
		{"ensure: invalid name", func() error {
			_, err := cl.EnsureTopic(ctx, TopicSpec{Name: "a b", Partitions: 1, ReplicationFactor: 1})
			return err
		}, nil, "topic"},
		{"ensure: unknown config", func() error {
			_, err := cl.EnsureTopic(ctx, TopicSpec{Name: "t", Partitions: 1, ReplicationFactor: 1, Configs: map[string]string{"retention.hours": "1"}})
			return err
		}, nil, "retention.hours"},
		{"ensure: read-only config", func() error {
			_, err := cl.EnsureTopic(ctx, TopicSpec{Name: "t", Partitions: 1, ReplicationFactor: 1, Configs: map[string]string{"message.format.version": "2.8"}})
			return err
		}, nil, "message.format.version"},
		{"ensure: more replicas than live brokers", func() error {
			_, err := cl.EnsureTopic(ctx, TopicSpec{Name: "wide", Partitions: 1, ReplicationFactor: 4})
			return err
		}, metadataOnly, "live brokers (3: [0 1 2])"},
		{"read: invalid name", func() error { _, err := cl.ReadTopic(ctx, "a/b"); return err }, nil, "topic"},
		{"bulk read: invalid name", func() error { _, err := cl.ReadTopics(ctx, "ok", ".."); return err }, nil, "topic"},
		{"config: nothing to change", func() error { return cl.UpdateTopicConfig(ctx, "three", nil, nil) }, nil, "at least one config"},
		{"config: set and reset at once", func() error {
			return cl.UpdateTopicConfig(ctx, "three", map[string]string{"retention.ms": "1"}, []string{"retention.ms"})
		}, nil, "both set and reset"},
		{"config: reset of an unknown key", func() error { return cl.UpdateTopicConfig(ctx, "three", nil, []string{"bogus"}) }, nil, "bogus"},
		{"config: bad value", func() error {
			return cl.UpdateTopicConfig(ctx, "three", map[string]string{"cleanup.policy": "forever"}, nil)
		}, nil, "cleanup.policy"},
		{"replication: zero", func() error { return cl.SetReplicationFactor(ctx, "three", 0) }, nil, "replication_factor"},
		{"replication: more than live brokers", func() error { return cl.SetReplicationFactor(ctx, "three", 5) }, metadataOnly, "live brokers"},
		{"partitions: zero", func() error { return cl.SetPartitions(ctx, "three", 0) }, nil, "partitions"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			log.reset()
			err := tc.call()
			if !isProblem(err) || KindOf(err) != KindInvalid {
				t.Fatalf("want validation problems, got %v", err)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q does not mention %q", err, tc.want)
			}
			if sent := log.others(tc.allowed...); len(sent) > 0 {
				t.Errorf("bad input must send nothing beyond %v, sent %v", tc.allowed, sent)
			}
		})
	}
}

func TestReplicationChangeOnAClusterWithoutReassignment(t *testing.T) {
	vs := kversion.V2_3_0() // AlterPartitionAssignments came with Kafka 2.4
	c, err := kfake.NewCluster(kfake.NumBrokers(3), kfake.MaxVersions(vs))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	cl, err := New(Config{Brokers: c.ListenAddrs()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cl.Close)
	ctx := context.Background()
	if _, err := cl.CreateTopic(ctx, TopicSpec{Name: "old", Partitions: 2, ReplicationFactor: 1}); err != nil {
		t.Fatal(err)
	}
	err = cl.SetReplicationFactor(ctx, "old", 2)
	if !errors.Is(err, ErrCannotReassign) || KindOf(err) != KindConflict || !strings.Contains(err.Error(), "Kafka 2.4") || !strings.Contains(err.Error(), `"old"`) {
		t.Fatalf("want ErrCannotReassign naming the topic and Kafka 2.4, got %v", err)
	}
	if topic, err := cl.DescribeTopic(ctx, "old"); err != nil || topic.ReplicationFactor != 1 {
		t.Errorf("nothing may change: %+v %v", topic, err)
	}
}
