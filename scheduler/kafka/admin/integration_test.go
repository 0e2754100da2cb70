package admin_test

import (
	"context"
	"errors"
	"os"
	"reflect"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/kafka/admin"
	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/kafka/brokerconfig"
	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/kafka/devkafka/devkafkatest"
	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/validation"
)

// tarball is the dev distribution, built once for the test binary.
var tarball string

func TestMain(m *testing.M) {
	os.Exit(devkafkatest.RunWithDistribution(m, &tarball))
}

func serviceSettings() brokerconfig.Settings {
	s := brokerconfig.DefaultSettings()
	s.DeleteTopicEnable = true
	s.NumPartitions = 3
	s.DefaultReplicationFactor = 2
	return s
}

func newAdmin(t testing.TB, brokers []string) *admin.Client {
	t.Helper()
	cl, err := admin.New(admin.Config{Brokers: brokers, Timeout: 20 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cl.Close)
	return cl
}

func TestAdminAgainstThreeStandInBrokerProcesses(t *testing.T) {
	cluster := devkafkatest.StartCluster(t, tarball, 3, serviceSettings())
	adm := newAdmin(t, cluster.Bootstrap())
	ctx := context.Background()

	// Brokers.
	brokers, err := adm.ListBrokers(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(brokers) != 3 || brokers[0].Host != "127.0.0.2" || brokers[2].Port != int32(cluster.Brokers[2].Port) {
		t.Fatalf("brokers = %+v", brokers)
	}
	desc, err := adm.DescribeBroker(ctx, 1)
	if err != nil {
		t.Fatal(err)
	}
	if desc.ID != 1 || !hasConfig(desc.Configs, "zookeeper.connect", cluster.ZookeeperConnect) {
		t.Errorf("broker 1 description: %+v", desc.Broker)
	}

	// Topics: create (with the brokers' defaults and explicitly), list, describe.
	created, err := adm.CreateTopic(ctx, admin.TopicSpec{Name: "orders", Partitions: 6, ReplicationFactor: 3, Configs: map[string]string{"min.insync.replicas": "2"}})
	if err != nil {
		t.Fatal(err)
	}
	if created.Partitions != 6 || created.ReplicationFactor != 3 || created.ID == "" {
		t.Errorf("created = %+v", created)
	}
	if _, err := adm.CreateTopic(ctx, admin.TopicSpec{Name: "defaults", Partitions: -1, ReplicationFactor: -1}); err != nil {
		t.Fatal(err)
	}
	names, err := adm.ListTopics(ctx)
	if err != nil || !reflect.DeepEqual(names, []string{"defaults", "orders"}) {
		t.Fatalf("topics = %v %v", names, err)
	}
	defaults, err := adm.DescribeTopic(ctx, "defaults")
	if err != nil || len(defaults.Partitions) != 3 || defaults.ReplicationFactor != 2 {
		t.Fatalf("a topic with the brokers' defaults (3 partitions, 2 replicas): %+v %v", defaults, err)
	}

	// Produce and consume through the topic with an ordinary client.
	produced := produceEach(t, cluster.Bootstrap(), "orders", 6, 10)
	if got := consumeAll(t, cluster.Bootstrap(), "orders", produced); got != produced {
		t.Fatalf("consumed %d of %d records", got, produced)
	}

	// Offsets: first, last, at a time.
	last, err := adm.Offsets(ctx, "orders", admin.LastOffsets())
	if err != nil {
		t.Fatal(err)
	}
	first, err := adm.Offsets(ctx, "orders", admin.FirstOffsets())
	if err != nil {
		t.Fatal(err)
	}
	future, err := adm.Offsets(ctx, "orders", admin.OffsetsAt(time.Now().Add(time.Hour)))
	if err != nil {
		t.Fatal(err)
	}
	past, err := adm.Offsets(ctx, "orders", admin.OffsetsAt(time.Now().Add(-time.Hour)))
	if err != nil {
		t.Fatal(err)
	}
	for p := range 6 {
		if last[p].Offset != 10 || first[p].Offset != 0 || future[p].Offset != 10 || future[p].Timestamp != -1 || past[p].Offset != 0 || past[p].Timestamp < 0 {
			t.Errorf("partition %d: first %+v last %+v an hour ahead %+v an hour ago %+v", p, first[p], last[p], future[p], past[p])
		}
	}

	// Partitions: increase, and decrease refused.
	if err := adm.SetPartitions(ctx, "defaults", 5); err != nil {
		t.Fatal(err)
	}
	if d, _ := adm.DescribeTopic(ctx, "defaults"); len(d.Partitions) != 5 {
		t.Errorf("after the increase: %d partitions", len(d.Partitions))
	}
	var ps validation.Problems
	if err := adm.SetPartitions(ctx, "defaults", 4); !errors.As(err, &ps) {
		t.Errorf("a decrease must be refused as bad input, got %v", err)
	}

	// Topic configs: only what is set on the topic.
	if err := adm.SetTopicConfig(ctx, "defaults", map[string]string{"retention.ms": "3600000", "cleanup.policy": "compact"}); err != nil {
		t.Fatal(err)
	}
	cfg, err := adm.TopicConfig(ctx, "defaults")
	if err != nil || !reflect.DeepEqual(cfg, map[string]string{"retention.ms": "3600000", "cleanup.policy": "compact"}) {
		t.Fatalf("topic configs = %v %v", cfg, err)
	}
	if err := adm.DeleteTopicConfig(ctx, "defaults", "cleanup.policy"); err != nil {
		t.Fatal(err)
	}
	if cfg, _ := adm.TopicConfig(ctx, "defaults"); !reflect.DeepEqual(cfg, map[string]string{"retention.ms": "3600000"}) {
		t.Errorf("after deleting cleanup.policy: %v", cfg)
	}

	// Health, restart check and the producer test on a healthy cluster.
	health, err := adm.PartitionHealth(ctx)
	if err != nil || !health.Healthy() || !reflect.DeepEqual(health.LiveBrokers, []int32{0, 1, 2}) {
		t.Fatalf("healthy cluster: %+v %v", health, err)
	}
	if check, err := adm.CanRestartBroker(ctx, 1); err != nil || !check.Safe {
		t.Fatalf("broker 1 on a healthy cluster: %+v %v", check, err)
	}
	perf, err := adm.ProducerPerfTest(ctx, admin.PerfTest{Topic: "orders", Records: 2000, RecordSize: 512, Throughput: -1})
	if err != nil || perf.Records != 2000 || perf.Errors != 0 || perf.RecordsPerSec <= 0 || perf.P99 < perf.P50 {
		t.Fatalf("producer test: %s errors=%d %v", perf, perf.Errors, err)
	}
	t.Log(perf)

	// Stop a broker: it leaves the metadata; what it led is unavailable.
	ordersBefore, err := adm.DescribeTopic(ctx, "orders")
	if err != nil {
		t.Fatal(err)
	}
	cluster.Brokers[1].Kill(t)
	brokers, err = adm.ListBrokers(ctx)
	if err != nil || len(brokers) != 2 || brokers[0].ID != 0 || brokers[1].ID != 2 {
		t.Fatalf("after killing broker 1: %+v %v", brokers, err)
	}
	if _, err := adm.DescribeBroker(ctx, 1); !errors.Is(err, admin.ErrUnknownBroker) {
		t.Errorf("describing the stopped broker: %v", err)
	}
	orders, err := adm.DescribeTopic(ctx, "orders")
	if err != nil {
		t.Fatal(err)
	}
	var ledByOne []int32
	for i, p := range orders.Partitions {
		before := ordersBefore.Partitions[i]
		if before.Leader == 1 {
			ledByOne = append(ledByOne, p.Partition)
			if p.Leader != -1 || !errors.Is(p.Err, kerr.LeaderNotAvailable) {
				t.Errorf("partition %d, led by the stopped broker: leader %d err %v", p.Partition, p.Leader, p.Err)
			}
		} else if p.Leader != before.Leader || slices.Contains(p.ISR, 1) || !slices.Equal(p.OfflineReplicas, []int32{1}) {
			t.Errorf("partition %d: leader %d isr %v offline %v", p.Partition, p.Leader, p.ISR, p.OfflineReplicas)
		}
	}
	health, err = adm.PartitionHealth(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if got := partitionsOf(health.Unavailable, "orders"); !reflect.DeepEqual(got, ledByOne) {
		t.Errorf("unavailable orders partitions = %v, want those broker 1 led %v", got, ledByOne)
	}
	if got := partitionsOf(health.UnderReplicated, "orders"); len(got) != 6 {
		t.Errorf("every orders partition has a replica on broker 1 and is under-replicated, got %v", got)
	}
	stopped, err := adm.CanRestartBroker(ctx, 1)
	if err != nil || stopped.Live || !stopped.Safe {
		t.Errorf("the stopped broker: %+v %v", stopped, err)
	}
	other, err := adm.CanRestartBroker(ctx, 0)
	if err != nil || other.Safe {
		t.Errorf("with broker 1 down, orders partitions are at min ISR on broker 0: %+v %v", other, err)
	}

	// Restart it: it comes back, with its data.
	cluster.Brokers[1].Start(t)
	health, err = adm.PartitionHealth(ctx)
	if err != nil || !health.Healthy() || len(health.LiveBrokers) != 3 {
		t.Fatalf("once the restarted broker is ready, the cluster is healthy again: %+v %v", health, err)
	}
	last, err = adm.Offsets(ctx, "orders", admin.LastOffsets())
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range last {
		want := int64(10)
		if o.Offset < want || o.Err != nil {
			t.Errorf("partition %d after the restart: end offset %d err %v, want at least %d", o.Partition, o.Offset, o.Err, want)
		}
	}

	// Delete.
	if err := adm.DeleteTopic(ctx, "defaults"); err != nil {
		t.Fatal(err)
	}
	if _, err := adm.DescribeTopic(ctx, "defaults"); !errors.Is(err, kerr.UnknownTopicOrPartition) {
		t.Errorf("after deletion: %v", err)
	}
}

func hasConfig(cfgs []admin.BrokerConfig, key, value string) bool {
	for _, c := range cfgs {
		if c.Key == key && c.Value != nil && *c.Value == value {
			return true
		}
	}
	return false
}

func partitionsOf(ps []admin.PartitionStatus, topic string) []int32 {
	var out []int32
	for _, p := range ps {
		if p.Topic == topic {
			out = append(out, p.Partition)
		}
	}
	return out
}

// produceEach writes perPartition records to each partition.
func produceEach(t *testing.T, bootstrap []string, topic string, partitions, perPartition int) int {
	t.Helper()
	cl, err := kgo.NewClient(kgo.SeedBrokers(bootstrap...), kgo.RecordPartitioner(kgo.ManualPartitioner()))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	var records []*kgo.Record
	for p := range partitions {
		for i := range perPartition {
			records = append(records, &kgo.Record{Topic: topic, Partition: int32(p), Value: []byte(strconv.Itoa(p*perPartition + i))})
		}
	}
	if err := cl.ProduceSync(context.Background(), records...).FirstErr(); err != nil {
		t.Fatalf("producing to %s: %v", topic, err)
	}
	return len(records)
}

// consumeAll reads want records with a consumer group.
func consumeAll(t *testing.T, bootstrap []string, topic string, want int) int {
	t.Helper()
	cl, err := kgo.NewClient(kgo.SeedBrokers(bootstrap...), kgo.ConsumeTopics(topic), kgo.ConsumerGroup("admin-test"),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	seen := map[string]bool{}
	for len(seen) < want {
		fs := cl.PollFetches(ctx)
		if err := fs.Err0(); err != nil {
			t.Fatalf("consuming %s after %d records: %v", topic, len(seen), err)
		}
		fs.EachRecord(func(r *kgo.Record) { seen[string(r.Value)] = true })
	}
	return len(seen)
}
