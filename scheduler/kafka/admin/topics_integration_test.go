package admin_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"

	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/kafka/admin"
	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/kafka/brokerconfig"
	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/kafka/devkafka/devkafkatest"
	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/validation"
)

// customisedSettings are brokers whose defaults differ from Kafka's, so
// that a broker default showing up as a topic config would be noticed.
func customisedSettings() brokerconfig.Settings {
	s := serviceSettings()
	s.LogRetentionHours = 48
	s.MinInsyncReplicas = 2
	s.MessageMaxBytes = 2000000
	s.LogSegmentBytes = 536870912
	return s
}

func mustRead(t *testing.T, adm *admin.Client, name string) admin.TopicState {
	t.Helper()
	ts, err := adm.ReadTopic(context.Background(), name)
	if err != nil {
		t.Fatal(err)
	}
	return ts
}

func firstReplicas(ts admin.TopicState) []int32 {
	out := make([]int32, len(ts.Partitions))
	for i, p := range ts.Partitions {
		out[i] = p.Replicas[0]
	}
	return out
}

func TestTopicOperationsAgainstStandInBrokers(t *testing.T) {
	cluster := devkafkatest.StartCluster(t, tarball, 3, customisedSettings())
	adm, counter := countingAdmin(t, cluster.Bootstrap())
	ctx := context.Background()
	spec := admin.TopicSpec{Name: "payments", Partitions: 6, ReplicationFactor: 2, Configs: map[string]string{"retention.ms": "3600000"}}

	t.Run("create shows exactly the topic's own config", func(t *testing.T) {
		res, err := adm.EnsureTopic(ctx, spec)
		if err != nil || !res.Created {
			t.Fatalf("create: %+v %v", res, err)
		}
		want := map[string]string{"retention.ms": "3600000"}
		if !reflect.DeepEqual(res.Topic.Configs, want) || len(res.Topic.Partitions) != 6 || res.Topic.ReplicationFactor != 2 {
			t.Errorf("created %+v", res.Topic)
		}
		got := mustRead(t, adm, "payments")
		if !reflect.DeepEqual(got.Configs, want) {
			t.Errorf("read configs %v, want only %v although the brokers set log.retention.hours, min.insync.replicas, message.max.bytes and log.segment.bytes", got.Configs, want)
		}
		for _, p := range got.Partitions {
			if p.Leader != p.Replicas[0] || len(p.Replicas) != 2 || !slices.Equal(p.ISR, p.Replicas) || p.Err != nil {
				t.Errorf("partition %+v", p)
			}
		}
	})

	t.Run("the same create again changes nothing", func(t *testing.T) {
		counter.reset()
		res, err := adm.EnsureTopic(ctx, spec)
		if err != nil || res.Created || !reflect.DeepEqual(res.Topic.Configs, spec.Configs) || len(res.Topic.Partitions) != 6 {
			t.Fatalf("repeat: %+v %v", res, err)
		}
		if _, detail := counter.total(); strings.Contains(detail, "CreateTopics") {
			t.Errorf("a repeated create must not send CreateTopics: %s", detail)
		}
	})

	t.Run("a create with other settings is a conflict naming them", func(t *testing.T) {
		other := admin.TopicSpec{Name: "payments", Partitions: 3, ReplicationFactor: 2, Configs: map[string]string{"retention.ms": "60000", "cleanup.policy": "compact"}}
		_, err := adm.EnsureTopic(ctx, other)
		var conflict *admin.ConflictError
		if !errors.As(err, &conflict) || admin.KindOf(err) != admin.KindConflict {
			t.Fatalf("want a conflict, got %v", err)
		}
		fields := []string{}
		for _, d := range conflict.Differences {
			fields = append(fields, d.Field)
		}
		if !slices.Equal(fields, []string{"partitions", "configs.cleanup.policy", "configs.retention.ms"}) {
			t.Errorf("differences %+v", conflict.Differences)
		}
		if got := mustRead(t, adm, "payments"); len(got.Partitions) != 6 || got.Configs["retention.ms"] != "3600000" {
			t.Errorf("a conflicting create changed the topic: %+v", got)
		}
	})

	t.Run("a bulk read is one Metadata and one DescribeConfigs", func(t *testing.T) {
		for i := range 20 {
			if _, err := adm.EnsureTopic(ctx, admin.TopicSpec{Name: fmt.Sprintf("bulk-%02d", i), Partitions: 2, ReplicationFactor: 1}); err != nil {
				t.Fatal(err)
			}
		}
		counter.reset()
		all, err := adm.ReadTopics(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if n, detail := counter.total(); n != 2 || detail != "DescribeConfigs=1 Metadata=1" {
			t.Errorf("bulk read of %d topics sent %s", len(all), detail)
		}
		if len(all) != 21 || all[0].Name != "bulk-00" || all[20].Name != "payments" || !reflect.DeepEqual(all[20].Configs, spec.Configs) {
			t.Errorf("bulk read: %d topics, first %q, last %+v", len(all), all[0].Name, all[20])
		}
		for _, ts := range all[:20] {
			if len(ts.Configs) != 0 || ts.Configs == nil || len(ts.Partitions) != 2 {
				t.Errorf("%s: configs %v (want empty, not nil), %d partitions", ts.Name, ts.Configs, len(ts.Partitions))
			}
		}
		some, err := adm.ReadTopics(ctx, "payments", "missing", "bulk-03")
		if err != nil || len(some) != 2 || some[0].Name != "bulk-03" || some[1].Name != "payments" {
			t.Errorf("reading some topics, one missing: %v %v", some, err)
		}
	})

	t.Run("configs are set and reset in one request", func(t *testing.T) {
		counter.reset()
		if err := adm.UpdateTopicConfig(ctx, "payments", map[string]string{"cleanup.policy": "compact", "min.insync.replicas": "1"}, []string{"retention.ms"}); err != nil {
			t.Fatal(err)
		}
		if _, detail := counter.total(); detail != "IncrementalAlterConfigs=1" {
			t.Errorf("sent %s", detail)
		}
		if got := mustRead(t, adm, "payments").Configs; !reflect.DeepEqual(got, map[string]string{"cleanup.policy": "compact", "min.insync.replicas": "1"}) {
			t.Errorf("after set and reset: %v (retention.ms must be back to the brokers' default, so not shown)", got)
		}
		err := adm.UpdateTopicConfig(ctx, "payments", map[string]string{"log.retention.hours": "1"}, nil)
		if !strings.Contains(err.Error(), `the topic config is "retention.ms"`) || admin.KindOf(err) != admin.KindInvalid {
			t.Errorf("a broker key as a topic config: %v", err)
		}
		err = adm.UpdateTopicConfig(ctx, "missing", map[string]string{"retention.ms": "1"}, nil)
		if !errors.Is(err, kerr.UnknownTopicOrPartition) || admin.KindOf(err) != admin.KindNotFound || !strings.Contains(err.Error(), `"missing"`) {
			t.Errorf("configs of a missing topic: %v", err)
		}
	})

	t.Run("partitions increase and never decrease", func(t *testing.T) {
		if err := adm.SetPartitions(ctx, "payments", 8); err != nil {
			t.Fatal(err)
		}
		if got := mustRead(t, adm, "payments"); len(got.Partitions) != 8 {
			t.Errorf("after the increase: %d partitions", len(got.Partitions))
		}
		err := adm.SetPartitions(ctx, "payments", 4)
		var ps validation.Problems
		if !errors.As(err, &ps) || !strings.Contains(err.Error(), "Kafka cannot remove partitions") {
			t.Errorf("a decrease: %v", err)
		}
	})

	t.Run("replication factor changes by reassignment", func(t *testing.T) {
		before := mustRead(t, adm, "payments")
		if err := adm.SetReplicationFactor(ctx, "payments", 3); err != nil {
			t.Fatal(err)
		}
		after := mustRead(t, adm, "payments")
		if after.ReplicationFactor != 3 || !slices.Equal(firstReplicas(after), firstReplicas(before)) {
			t.Errorf("after raising to 3: rf %d, first replicas %v, before %v", after.ReplicationFactor, firstReplicas(after), firstReplicas(before))
		}
		for _, p := range after.Partitions {
			if len(p.Replicas) != 3 || len(p.ISR) != 3 || p.Leader != before.Partitions[p.Partition].Leader {
				t.Errorf("partition %+v", p)
			}
		}
		produced := produceEach(t, cluster.Bootstrap(), "payments", 8, 3)
		if got := consumeAll(t, cluster.Bootstrap(), "payments", produced); got != produced {
			t.Errorf("consumed %d of %d after the reassignment", got, produced)
		}
		if err := adm.SetReplicationFactor(ctx, "payments", 1); err != nil {
			t.Fatal(err)
		}
		if got := mustRead(t, adm, "payments"); got.ReplicationFactor != 1 || !slices.Equal(firstReplicas(got), firstReplicas(before)) {
			t.Errorf("after lowering to 1: %+v", got)
		}
		if err := adm.SetReplicationFactor(ctx, "payments", 4); admin.KindOf(err) != admin.KindInvalid || !strings.Contains(err.Error(), "live brokers (3") {
			t.Errorf("more replicas than brokers: %v", err)
		}
		if err := adm.SetReplicationFactor(ctx, "missing", 2); admin.KindOf(err) != admin.KindNotFound {
			t.Errorf("a missing topic: %v", err)
		}
	})

	t.Run("delete returns once the topic is gone", func(t *testing.T) {
		if err := adm.DeleteTopic(ctx, "payments"); err != nil {
			t.Fatal(err)
		}
		_, err := adm.ReadTopic(ctx, "payments")
		if !errors.Is(err, kerr.UnknownTopicOrPartition) || admin.KindOf(err) != admin.KindNotFound {
			t.Errorf("read right after the delete: %v", err)
		}
		err = adm.DeleteTopic(ctx, "payments")
		if admin.KindOf(err) != admin.KindNotFound || !strings.Contains(err.Error(), `deleting topic "payments": Kafka error UNKNOWN_TOPIC_OR_PARTITION (code 3)`) {
			t.Errorf("deleting it again: %v", err)
		}
	})
}

func TestTopicReadsWithABrokerDown(t *testing.T) {
	cluster := devkafkatest.StartCluster(t, tarball, 3, serviceSettings())
	adm := newAdmin(t, cluster.Bootstrap())
	ctx := context.Background()
	if _, err := adm.EnsureTopic(ctx, admin.TopicSpec{Name: "spread", Partitions: 6, ReplicationFactor: 2, Configs: map[string]string{"retention.ms": "1000"}}); err != nil {
		t.Fatal(err)
	}
	before := mustRead(t, adm, "spread")
	cluster.Brokers[2].Kill(t)

	got := mustRead(t, adm, "spread")
	if !reflect.DeepEqual(got.Configs, map[string]string{"retention.ms": "1000"}) {
		t.Errorf("configs with a broker down: %v", got.Configs)
	}
	for i, p := range got.Partitions {
		home := before.Partitions[i].Replicas[0]
		switch {
		case home == 2 && (p.Leader != -1 || !errors.Is(p.Err, kerr.LeaderNotAvailable)):
			t.Errorf("partition %d lives on the killed broker: leader %d err %v", i, p.Leader, p.Err)
		case home != 2 && p.Leader != home:
			t.Errorf("partition %d: leader %d, want %d", i, p.Leader, home)
		case slices.Contains(p.Replicas, 2) && !slices.Equal(p.OfflineReplicas, []int32{2}):
			t.Errorf("partition %d: offline replicas %v", i, p.OfflineReplicas)
		}
	}
	all, err := adm.ReadTopics(ctx)
	if err != nil || len(all) != 1 || len(all[0].Partitions) != 6 {
		t.Fatalf("bulk read with a broker down: %+v %v", all, err)
	}
	_, err = adm.EnsureTopic(ctx, admin.TopicSpec{Name: "wide", Partitions: 1, ReplicationFactor: 3})
	if admin.KindOf(err) != admin.KindInvalid || !strings.Contains(err.Error(), "live brokers (2: [0 1])") {
		t.Errorf("three replicas on two live brokers: %v", err)
	}
	brokers, err := adm.ListBrokers(ctx)
	if err != nil || len(brokers) != 2 || !brokers[0].Controller || brokers[1].Controller {
		t.Errorf("brokers with one down: %+v %v", brokers, err)
	}
	cluster.Brokers[0].Kill(t)
	brokers, err = adm.ListBrokers(ctx)
	if err != nil || len(brokers) != 1 || brokers[0].ID != 1 || !brokers[0].Controller {
		t.Errorf("with the controller down, broker 1 takes over: %+v %v", brokers, err)
	}
}

func TestTopicCallsWithNoBrokerAnswering(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close() // nothing listens there now, as before a service's brokers start
	adm, err := admin.New(admin.Config{Brokers: []string{addr}, Timeout: 2 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer adm.Close()
	start := time.Now()
	_, err = adm.ReadTopics(context.Background())
	if err == nil {
		t.Fatal("a bulk read with no broker answering must fail")
	}
	if kind := admin.KindOf(err); kind != admin.KindUnavailable && kind != admin.KindTimeout {
		t.Errorf("kind %v for %v, want unavailable or timeout", kind, err)
	}
	if waited := time.Since(start); waited > 10*time.Second {
		t.Errorf("the call took %v; the 2 s timeout must bound it", waited)
	}
	t.Logf("no broker: %v (%v)", err, admin.KindOf(err))
}
