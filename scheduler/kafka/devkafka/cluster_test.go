package devkafka

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// testCluster runs stand-in brokers in this process, sharing one registry.
type testCluster struct {
	t        testing.TB
	zk       string
	registry string
	props    []map[string]string
	brokers  []*Broker
}

func newTestCluster(t testing.TB, n int, extra map[string]string) *testCluster {
	t.Helper()
	c := &testCluster{t: t, zk: fmt.Sprintf("127.0.0.1:2181/dcos-service-%s", t.Name()), registry: filepath.Join(t.TempDir(), "registry")}
	for i := range n {
		props := map[string]string{
			"broker.id":                        strconv.Itoa(i),
			"listeners":                        fmt.Sprintf("PLAINTEXT://127.0.0.%d:0", i+2),
			"log.dirs":                         filepath.Join(t.TempDir(), "data"),
			"zookeeper.connect":                c.zk,
			"delete.topic.enable":              "true",
			"offsets.topic.replication.factor": "1",
			"offsets.topic.num.partitions":     "4",
			RegistryDirProperty:                c.registry,
		}
		for k, v := range extra {
			props[k] = v
		}
		c.props = append(c.props, props)
		c.brokers = append(c.brokers, nil)
		c.start(i)
	}
	t.Cleanup(func() {
		for _, b := range c.brokers {
			if b != nil {
				b.Close()
			}
		}
	})
	return c
}

func testLogger(t testing.TB) *slog.Logger {
	if testing.Verbose() {
		return slog.New(NewLogHandler(testWriter{t}, slog.LevelInfo))
	}
	return slog.New(slog.NewTextHandler(io.Discard, nil))
}

type testWriter struct{ t testing.TB }

func (w testWriter) Write(p []byte) (int, error) { w.t.Log(string(p)); return len(p), nil }

// start starts broker i; a restarted broker keeps its address and log dir.
func (c *testCluster) start(i int) {
	c.t.Helper()
	cfg, err := ConfigFromProperties(c.props[i])
	if err != nil {
		c.t.Fatal(err)
	}
	b, err := Start(context.Background(), cfg, testLogger(c.t).With("broker", i))
	if err != nil {
		c.t.Fatalf("starting broker %d: %v", i, err)
	}
	c.brokers[i] = b
	c.props[i]["listeners"] = "PLAINTEXT://" + b.AdvertisedAddr()
}

func (c *testCluster) stop(i int) {
	c.t.Helper()
	if err := c.brokers[i].Close(); err != nil {
		c.t.Fatal(err)
	}
	c.brokers[i] = nil
}

func (c *testCluster) addr(i int) string { return c.props[i]["listeners"][len("PLAINTEXT://"):] }

// client returns a client of the whole cluster, bootstrapped through broker i.
func (c *testCluster) client(i int, opts ...kgo.Opt) *kgo.Client {
	c.t.Helper()
	cl, err := kgo.NewClient(append([]kgo.Opt{kgo.SeedBrokers(c.addr(i)), kgo.MetadataMinAge(10 * time.Millisecond)}, opts...)...)
	if err != nil {
		c.t.Fatal(err)
	}
	c.t.Cleanup(cl.Close)
	return cl
}

// ask sends req to broker i itself.
func (c *testCluster) ask(i int, req kmsg.Request) (kmsg.Response, error) {
	c.t.Helper()
	cl, err := kgo.NewClient(kgo.SeedBrokers(c.addr(i)))
	if err != nil {
		c.t.Fatal(err)
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	return cl.SeedBrokers()[0].Request(ctx, req)
}

func (c *testCluster) metadata(i int, topics ...string) *kmsg.MetadataResponse {
	c.t.Helper()
	req := kmsg.NewPtrMetadataRequest()
	if len(topics) > 0 {
		for _, name := range topics {
			rt := kmsg.NewMetadataRequestTopic()
			rt.Topic = kmsg.StringPtr(name)
			req.Topics = append(req.Topics, rt)
		}
	}
	resp, err := c.ask(i, req)
	if err != nil {
		c.t.Fatalf("metadata from broker %d: %v", i, err)
	}
	return resp.(*kmsg.MetadataResponse)
}

func brokerIDs(md *kmsg.MetadataResponse) []int32 {
	var ids []int32
	for _, b := range md.Brokers {
		ids = append(ids, b.NodeID)
	}
	slices.Sort(ids)
	return ids
}

func createTopic(t *testing.T, adm *kadm.Client, name string, partitions int32, rf int16, cfg map[string]*string) {
	t.Helper()
	resp, err := adm.CreateTopic(context.Background(), partitions, rf, cfg, name)
	if err == nil {
		err = resp.Err
	}
	if err != nil {
		t.Fatalf("creating %s: %v", name, err)
	}
}

func TestTopicCreatedThroughOneBrokerIsSeenIdenticallyThroughAll(t *testing.T) {
	c := newTestCluster(t, 3, nil)
	createTopic(t, kadm.NewClient(c.client(1)), "orders", 6, 2, nil)

	first := c.metadata(0, "orders")
	if got := brokerIDs(first); !reflect.DeepEqual(got, []int32{0, 1, 2}) {
		t.Fatalf("brokers = %v, want [0 1 2]", got)
	}
	if first.ClusterID == nil || *first.ClusterID != c.brokers[0].ClusterID() {
		t.Errorf("cluster id = %v, want %s", first.ClusterID, c.brokers[0].ClusterID())
	}
	topic := first.Topics[0]
	if topic.ErrorCode != 0 || len(topic.Partitions) != 6 {
		t.Fatalf("orders: error %d, %d partitions", topic.ErrorCode, len(topic.Partitions))
	}
	homes := map[int32]int{}
	for _, p := range topic.Partitions {
		if len(p.Replicas) != 2 || p.Leader != p.Replicas[0] || !reflect.DeepEqual(p.ISR, p.Replicas) {
			t.Errorf("partition %d: leader %d replicas %v isr %v", p.Partition, p.Leader, p.Replicas, p.ISR)
		}
		homes[p.Leader]++
	}
	if len(homes) != 3 {
		t.Errorf("leaders should be spread over the 3 live brokers, got %v", homes)
	}
	for i := 1; i < 3; i++ {
		other := c.metadata(i, "orders")
		if !reflect.DeepEqual(other.Topics, first.Topics) || other.ControllerID != first.ControllerID {
			t.Errorf("broker %d reports different metadata than broker 0", i)
		}
	}
}

func TestProduceAndConsumeAcrossBrokersWithAGroup(t *testing.T) {
	c := newTestCluster(t, 3, nil)
	ctx := context.Background()
	createTopic(t, kadm.NewClient(c.client(0)), "events", 6, 1, nil)

	producer := c.client(2)
	for i := range 60 {
		if err := producer.ProduceSync(ctx, &kgo.Record{Topic: "events", Key: []byte(strconv.Itoa(i)), Value: []byte("v" + strconv.Itoa(i))}).FirstErr(); err != nil {
			t.Fatalf("produce %d: %v", i, err)
		}
	}
	consumer := c.client(1, kgo.ConsumeTopics("events"), kgo.ConsumerGroup("readers"), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	seen := map[string]bool{}
	deadline, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	for len(seen) < 60 {
		fs := consumer.PollFetches(deadline)
		if err := fs.Err0(); err != nil {
			t.Fatalf("consuming after %d records: %v", len(seen), err)
		}
		fs.EachRecord(func(r *kgo.Record) { seen[string(r.Value)] = true })
	}
	if err := consumer.CommitUncommittedOffsets(ctx); err != nil {
		t.Fatalf("committing offsets: %v", err)
	}
	offsets, err := kadm.NewClient(c.client(0)).FetchOffsets(ctx, "readers")
	if err != nil {
		t.Fatal(err)
	}
	var total int64
	offsets.Each(func(o kadm.OffsetResponse) { total += o.At })
	if total != 60 {
		t.Errorf("committed offsets sum to %d, want 60", total)
	}
}

func TestStoppedBrokerLeavesMetadataAndComesBackWithItsData(t *testing.T) {
	c := newTestCluster(t, 3, nil)
	ctx := context.Background()
	adm := kadm.NewClient(c.client(0))
	createTopic(t, adm, "ledger", 3, 2, nil)
	producer := c.client(0, kgo.RecordPartitioner(kgo.ManualPartitioner()))
	for p := range int32(3) {
		for i := range 5 {
			if err := producer.ProduceSync(ctx, &kgo.Record{Topic: "ledger", Partition: p, Value: []byte(fmt.Sprint(i))}).FirstErr(); err != nil {
				t.Fatal(err)
			}
		}
	}
	homeOf := map[int32]int32{}
	for _, p := range c.metadata(0, "ledger").Topics[0].Partitions {
		homeOf[p.Partition] = p.Replicas[0]
	}

	c.stop(2)
	md := c.metadata(0, "ledger")
	if got := brokerIDs(md); !reflect.DeepEqual(got, []int32{0, 1}) {
		t.Fatalf("after stopping broker 2, brokers = %v", got)
	}
	for _, p := range md.Topics[0].Partitions {
		switch {
		case p.Replicas[0] == 2:
			if p.Leader != -1 || p.ErrorCode != kerr.LeaderNotAvailable.Code || !reflect.DeepEqual(p.OfflineReplicas, []int32{2}) {
				t.Errorf("partition %d led by the stopped broker: leader %d err %d offline %v", p.Partition, p.Leader, p.ErrorCode, p.OfflineReplicas)
			}
		case slices.Contains(p.Replicas, 2):
			if p.Leader != p.Replicas[0] || slices.Contains(p.ISR, 2) || !reflect.DeepEqual(p.OfflineReplicas, []int32{2}) {
				t.Errorf("partition %d followed by the stopped broker: leader %d isr %v offline %v", p.Partition, p.Leader, p.ISR, p.OfflineReplicas)
			}
		default:
			if len(p.OfflineReplicas) != 0 || len(p.ISR) != 2 {
				t.Errorf("partition %d untouched by the stop: isr %v offline %v", p.Partition, p.ISR, p.OfflineReplicas)
			}
		}
	}

	c.start(2)
	if got := brokerIDs(c.metadata(1)); !reflect.DeepEqual(got, []int32{0, 1, 2}) {
		t.Fatalf("after restarting broker 2, brokers = %v", got)
	}
	ends, err := kadm.NewClient(c.client(1)).ListEndOffsets(ctx, "ledger")
	if err != nil {
		t.Fatal(err)
	}
	for p := range int32(3) {
		o, _ := ends.Lookup("ledger", p)
		if o.Err != nil || o.Offset != 5 {
			t.Errorf("partition %d (home %d): end offset %d err %v, want 5", p, homeOf[p], o.Offset, o.Err)
		}
	}
}

func TestABrokerRefusesPartitionsItDoesNotLead(t *testing.T) {
	c := newTestCluster(t, 2, nil)
	createTopic(t, kadm.NewClient(c.client(0)), "t", 2, 1, nil)
	md := c.metadata(0, "t")
	var notMine int32 = -1
	for _, p := range md.Topics[0].Partitions {
		if p.Leader != 0 {
			notMine = p.Partition
		}
	}
	if notMine < 0 {
		t.Fatal("expected a partition led by broker 1")
	}
	req := kmsg.NewPtrListOffsetsRequest()
	rt := kmsg.NewListOffsetsRequestTopic()
	rt.Topic = "t"
	rp := kmsg.NewListOffsetsRequestTopicPartition()
	rp.Partition, rp.Timestamp = notMine, -1
	rt.Partitions = append(rt.Partitions, rp)
	unknown := kmsg.NewListOffsetsRequestTopic()
	unknown.Topic = "nope"
	unknown.Partitions = append(unknown.Partitions, rp)
	req.Topics = append(req.Topics, rt, unknown)
	resp, err := c.ask(0, req)
	if err != nil {
		t.Fatal(err)
	}
	got := resp.(*kmsg.ListOffsetsResponse)
	if code := got.Topics[0].Partitions[0].ErrorCode; code != kerr.NotLeaderForPartition.Code {
		t.Errorf("partition led elsewhere: error %v, want NOT_LEADER_OR_FOLLOWER", kerr.ErrorForCode(code))
	}
	if code := got.Topics[1].Partitions[0].ErrorCode; code != kerr.UnknownTopicOrPartition.Code {
		t.Errorf("unknown topic: error %v, want UNKNOWN_TOPIC_OR_PARTITION", kerr.ErrorForCode(code))
	}
}

func TestDeletedAndRecreatedTopicStartsEmptyEverywhere(t *testing.T) {
	c := newTestCluster(t, 2, nil)
	ctx := context.Background()
	adm := kadm.NewClient(c.client(0))
	createTopic(t, adm, "tmp", 4, 1, nil)
	producer := c.client(1)
	for i := range 20 {
		if err := producer.ProduceSync(ctx, &kgo.Record{Topic: "tmp", Value: []byte{byte(i)}}).FirstErr(); err != nil {
			t.Fatal(err)
		}
	}
	if resp, err := kadm.NewClient(c.client(1)).DeleteTopic(ctx, "tmp"); err != nil || resp.Err != nil {
		t.Fatalf("delete through broker 1: %v %v", err, resp.Err)
	}
	if md := c.metadata(0, "tmp"); md.Topics[0].ErrorCode != kerr.UnknownTopicOrPartition.Code {
		t.Fatalf("deleted topic still described by broker 0: %+v", md.Topics[0])
	}
	createTopic(t, adm, "tmp", 4, 1, nil)
	ends, err := adm.ListEndOffsets(ctx, "tmp")
	if err != nil {
		t.Fatal(err)
	}
	ends.Each(func(o kadm.ListedOffset) {
		if o.Err != nil || o.Offset != 0 {
			t.Errorf("recreated topic partition %d: end offset %d err %v, want 0", o.Partition, o.Offset, o.Err)
		}
	})
}

func TestTopicDeletionHonoursDeleteTopicEnable(t *testing.T) {
	c := newTestCluster(t, 1, map[string]string{"delete.topic.enable": "false"})
	adm := kadm.NewClient(c.client(0))
	createTopic(t, adm, "keep", 1, 1, nil)
	resp, err := adm.DeleteTopic(context.Background(), "keep")
	if err == nil {
		err = resp.Err
	}
	if !errors.Is(err, kerr.TopicDeletionDisabled) {
		t.Fatalf("delete with delete.topic.enable=false: %v, want TOPIC_DELETION_DISABLED", err)
	}
	if md := c.metadata(0, "keep"); md.Topics[0].ErrorCode != 0 {
		t.Fatal("the topic must still exist")
	}
}

func TestCreateTopicsValidatesLikeABroker(t *testing.T) {
	c := newTestCluster(t, 2, nil)
	adm := kadm.NewClient(c.client(0))
	ctx := context.Background()
	cases := []struct {
		name  string
		parts int32
		rf    int16
		cfg   map[string]*string
		want  *kerr.Error
	}{
		{"too-many-replicas", 1, 3, nil, kerr.InvalidReplicationFactor},
		{"zero-partitions", 0, 1, nil, kerr.InvalidPartitions},
		{"bad name!", 1, 1, nil, kerr.InvalidTopicException},
		{"bad-config", 1, 1, map[string]*string{"retention.hours": kadm.StringPtr("1")}, kerr.InvalidConfig},
		{"bad-value", 1, 1, map[string]*string{"cleanup.policy": kadm.StringPtr("archive")}, kerr.InvalidConfig},
		{"__consumer_offsets", 1, 1, nil, kerr.InvalidRequest},
	}
	for _, tc := range cases {
		resp, err := adm.CreateTopic(ctx, tc.parts, tc.rf, tc.cfg, tc.name)
		if err == nil {
			err = resp.Err
		}
		if !errors.Is(err, tc.want) {
			t.Errorf("%s: %v, want %v", tc.name, err, tc.want)
		}
	}
	createTopic(t, adm, "a.b", 1, 1, nil)
	if resp, _ := adm.CreateTopic(ctx, 1, 1, nil, "a_b"); !errors.Is(resp.Err, kerr.InvalidTopicException) {
		t.Errorf("colliding name: %v, want INVALID_TOPIC_EXCEPTION", resp.Err)
	}
	if resp, _ := adm.CreateTopic(ctx, 1, 1, nil, "a.b"); !errors.Is(resp.Err, kerr.TopicAlreadyExists) {
		t.Errorf("duplicate: %v, want TOPIC_ALREADY_EXISTS", resp.Err)
	}
	topics, err := adm.ListTopics(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if names := topics.Names(); !reflect.DeepEqual(names, []string{"a.b"}) {
		t.Errorf("only a.b may exist, got %v", names)
	}
}

func TestPartitionIncreaseAddsServablePartitions(t *testing.T) {
	c := newTestCluster(t, 2, nil)
	ctx := context.Background()
	adm := kadm.NewClient(c.client(0))
	createTopic(t, adm, "grow", 2, 1, nil)
	same, err := adm.UpdatePartitions(ctx, 2, "grow")
	if err != nil {
		t.Fatal(err)
	}
	if !errors.Is(same.Error(), kerr.InvalidPartitions) {
		t.Errorf("same count: %v, want INVALID_PARTITIONS", same.Error())
	}
	if resps, err := adm.UpdatePartitions(ctx, 5, "grow"); err != nil || resps.Error() != nil {
		t.Fatalf("increase: %v %v", err, resps.Error())
	}
	producer := c.client(1, kgo.RecordPartitioner(kgo.ManualPartitioner()))
	for p := range int32(5) {
		if err := producer.ProduceSync(ctx, &kgo.Record{Topic: "grow", Partition: p, Value: []byte("x")}).FirstErr(); err != nil {
			t.Fatalf("produce to partition %d: %v", p, err)
		}
	}
}

func TestTopicConfigsAreDescribedWithTheirSource(t *testing.T) {
	c := newTestCluster(t, 2, map[string]string{"log.retention.hours": "24", "min.insync.replicas": "1"})
	ctx := context.Background()
	adm := kadm.NewClient(c.client(0))
	createTopic(t, adm, "cfg", 1, 1, map[string]*string{"cleanup.policy": kadm.StringPtr("compact")})
	alter := []kadm.AlterConfig{
		{Op: kadm.AppendConfig, Name: "cleanup.policy", Value: kadm.StringPtr("delete")},
		{Op: kadm.SetConfig, Name: "min.insync.replicas", Value: kadm.StringPtr("2")},
	}
	resps, err := kadm.NewClient(c.client(1)).AlterTopicConfigs(ctx, alter, "cfg")
	if err != nil || resps[0].Err != nil {
		t.Fatalf("altering through broker 1: %v %v", err, resps[0].Err)
	}
	rcs, err := adm.DescribeTopicConfigs(ctx, "cfg")
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	sources := map[string]kmsg.ConfigSource{}
	for _, cfg := range rcs[0].Configs {
		got[cfg.Key], sources[cfg.Key] = cfg.MaybeValue(), cfg.Source
	}
	want := map[string]struct {
		v   string
		src kmsg.ConfigSource
	}{
		"cleanup.policy":      {"compact,delete", kmsg.ConfigSourceDynamicTopicConfig},
		"min.insync.replicas": {"2", kmsg.ConfigSourceDynamicTopicConfig},
		"retention.ms":        {"86400000", kmsg.ConfigSourceStaticBrokerConfig},
		"segment.bytes":       {"1073741824", kmsg.ConfigSourceDefaultConfig},
	}
	for k, w := range want {
		if got[k] != w.v || sources[k] != w.src {
			t.Errorf("%s = %q (%v), want %q (%v)", k, got[k], sources[k], w.v, w.src)
		}
	}
	bad, err := adm.AlterTopicConfigs(ctx, []kadm.AlterConfig{{Op: kadm.AppendConfig, Name: "retention.ms", Value: kadm.StringPtr("1")}}, "cfg")
	if err != nil || !errors.Is(bad[0].Err, kerr.InvalidConfig) {
		t.Errorf("append to a non-list config: %v %v, want INVALID_CONFIG", err, bad[0].Err)
	}
}

func TestBrokerConfigIsServerProperties(t *testing.T) {
	c := newTestCluster(t, 2, map[string]string{"ssl.keystore.password": "hunter2", "num.io.threads": "8"})
	rcs, err := kadm.NewClient(c.client(0)).DescribeBrokerConfigs(context.Background(), 1)
	if err != nil || rcs[0].Err != nil {
		t.Fatalf("describe broker 1: %v %v", err, rcs[0].Err)
	}
	got := map[string]*kadm.Config{}
	for i := range rcs[0].Configs {
		got[rcs[0].Configs[i].Key] = &rcs[0].Configs[i]
	}
	if got["broker.id"].MaybeValue() != "1" || got["num.io.threads"].MaybeValue() != "8" {
		t.Errorf("broker.id=%q num.io.threads=%q", got["broker.id"].MaybeValue(), got["num.io.threads"].MaybeValue())
	}
	if pw := got["ssl.keystore.password"]; pw == nil || !pw.Sensitive || pw.Value != nil {
		t.Errorf("a password must be reported sensitive without its value, got %+v", pw)
	}
	alter, err := kadm.NewClient(c.client(0)).AlterBrokerConfigs(context.Background(), []kadm.AlterConfig{{Name: "num.io.threads", Value: kadm.StringPtr("4")}}, 0)
	if err != nil || !errors.Is(alter[0].Err, kerr.InvalidRequest) {
		t.Errorf("dynamic broker config must be refused with INVALID_REQUEST, got %v %v", err, alter[0].Err)
	}
}

func TestAutoCreateFollowsAutoCreateTopicsEnable(t *testing.T) {
	for _, enabled := range []bool{true, false} {
		t.Run(strconv.FormatBool(enabled), func(t *testing.T) {
			c := newTestCluster(t, 1, map[string]string{"auto.create.topics.enable": strconv.FormatBool(enabled), "num.partitions": "3"})
			cl := c.client(0, kgo.AllowAutoTopicCreation(), kgo.UnknownTopicRetries(0))
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			err := cl.ProduceSync(ctx, &kgo.Record{Topic: "auto", Value: []byte("x")}).FirstErr()
			md := c.metadata(0, "auto")
			exists := md.Topics[0].ErrorCode == 0
			if enabled && (err != nil || !exists || len(md.Topics[0].Partitions) != 3) {
				t.Fatalf("auto-create enabled: produce %v, exists %v, partitions %d", err, exists, len(md.Topics[0].Partitions))
			}
			if !enabled && (err == nil || exists) {
				t.Fatalf("auto-create disabled: produce %v, exists %v", err, exists)
			}
		})
	}
}

func TestApiVersionsAdvertiseOnlyWhatTheStandInServes(t *testing.T) {
	c := newTestCluster(t, 1, nil)
	req := kmsg.NewPtrApiVersionsRequest()
	req.ClientSoftwareName, req.ClientSoftwareVersion = "devkafka-test", "1.0"
	resp, err := c.ask(0, req)
	if err != nil {
		t.Fatal(err)
	}
	keys := map[int16]int16{}
	for _, k := range resp.(*kmsg.ApiVersionsResponse).ApiKeys {
		keys[k.ApiKey] = k.MaxVersion
	}
	if keys[int16(kmsg.Fetch)] != 12 {
		t.Errorf("Fetch max version = %d, want 12 (topic ids differ per broker)", keys[int16(kmsg.Fetch)])
	}
	for _, k := range []kmsg.Key{kmsg.DescribeACLs, kmsg.EndTxn, kmsg.AlterReplicaLogDirs, kmsg.DescribeLogDirs} {
		if _, ok := keys[int16(k)]; ok {
			t.Errorf("%s is advertised but not served cluster-wide", kmsg.NameForKey(int16(k)))
		}
	}
	for k := range supportedKeys {
		if _, ok := keys[int16(k)]; !ok {
			t.Errorf("%s is served but not advertised", kmsg.NameForKey(int16(k)))
		}
	}
}

func TestClustersWithDifferentZookeeperConnectNeverMix(t *testing.T) {
	a := newTestCluster(t, 1, nil)
	createTopic(t, kadm.NewClient(a.client(0)), "only-in-a", 1, 1, nil)

	props := map[string]string{
		"broker.id": "0", "listeners": "PLAINTEXT://127.0.0.3:0", "log.dirs": t.TempDir(),
		"zookeeper.connect": "127.0.0.1:2181/another-service", RegistryDirProperty: a.registry,
	}
	cfg, err := ConfigFromProperties(props)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Start(context.Background(), cfg, testLogger(t)); err == nil {
		t.Fatal("a broker of another cluster must not join this cluster's registry")
	}
	delete(props, RegistryDirProperty)
	props["zookeeper.connect"] = fmt.Sprintf("127.0.0.1:2181/%s-%d", t.Name(), time.Now().UnixNano())
	cfg, err = ConfigFromProperties(props)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.RegistryDir != DefaultRegistryDir(props["zookeeper.connect"]) || cfg.RegistryDir == a.registry {
		t.Fatalf("default registry dir = %s", cfg.RegistryDir)
	}
	t.Cleanup(func() { removeAll(t, cfg.RegistryDir) })
	other, err := Start(context.Background(), cfg, testLogger(t))
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	resp, err := kgo.NewClient(kgo.SeedBrokers(other.AdvertisedAddr()))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Close()
	topics, err := kadm.NewClient(resp).ListTopics(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(topics) != 0 || other.ClusterID() == a.brokers[0].ClusterID() {
		t.Fatalf("the second cluster sees %v (cluster ids %s, %s)", topics.Names(), other.ClusterID(), a.brokers[0].ClusterID())
	}
}

func TestABrokerIDCanRunOnlyOnce(t *testing.T) {
	c := newTestCluster(t, 1, nil)
	props := map[string]string{}
	for k, v := range c.props[0] {
		props[k] = v
	}
	props["listeners"] = "PLAINTEXT://127.0.0.9:0"
	props["log.dirs"] = t.TempDir()
	cfg, err := ConfigFromProperties(props)
	if err != nil {
		t.Fatal(err)
	}
	_, err = Start(context.Background(), cfg, testLogger(t))
	if err == nil || !contains(err.Error(), "already in use") {
		t.Fatalf("a second broker 0 must be refused, got %v", err)
	}
}

func TestLogDirOfAnotherClusterIsRefused(t *testing.T) {
	c := newTestCluster(t, 1, nil)
	logDir := c.props[0]["log.dirs"]
	c.stop(0)
	props := map[string]string{}
	for k, v := range c.props[0] {
		props[k] = v
	}
	props[RegistryDirProperty] = filepath.Join(t.TempDir(), "fresh-registry")
	cfg, err := ConfigFromProperties(props)
	if err != nil {
		t.Fatal(err)
	}
	_, err = Start(context.Background(), cfg, testLogger(t))
	if err == nil || !contains(err.Error(), logDir) {
		t.Fatalf("a log dir of another cluster must be refused naming the dir, got %v", err)
	}
}

func TestConfigFromPropertiesReportsEveryProblem(t *testing.T) {
	_, err := ConfigFromProperties(map[string]string{
		"broker.id":      "minus one",
		"listeners":      "SSL://127.0.0.1:9093",
		"num.partitions": "0",
	})
	if err == nil {
		t.Fatal("want an error")
	}
	for _, want := range []string{"broker.id", "SSL", "zookeeper.connect is required", "log.dirs is required", "num.partitions"} {
		if !contains(err.Error(), want) {
			t.Errorf("error does not mention %q:\n%v", want, err)
		}
	}
	cfg, err := ConfigFromProperties(map[string]string{
		"broker.id": "3", "listeners": "INTERNAL://:9092", "listener.security.protocol.map": "INTERNAL:PLAINTEXT",
		"advertised.listeners": "INTERNAL://kafka-3.example:9092", "log.dirs": "/a,/b", "zookeeper.connect": "zk:2181",
	})
	if err != nil {
		t.Fatal(err)
	}
	if cfg.ListenHost != "" || cfg.AdvertisedHost != "kafka-3.example" || cfg.LogDir != "/a" || cfg.BrokerID != 3 {
		t.Errorf("parsed %+v", cfg)
	}
}

func contains(s, sub string) bool { return strings.Contains(s, sub) }

func removeAll(t *testing.T, dir string) {
	t.Helper()
	if err := os.RemoveAll(dir); err != nil {
		t.Errorf("removing %s: %v", dir, err)
	}
}
