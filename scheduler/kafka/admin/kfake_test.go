package admin

import (
	"context"
	"errors"
	"net"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/validation"
)

// requestLog counts the requests a kfake cluster receives, by key.
type requestLog struct {
	mu     sync.Mutex
	counts map[kmsg.Key]int
}

func (l *requestLog) reset() {
	l.mu.Lock()
	l.counts = map[kmsg.Key]int{}
	l.mu.Unlock()
}

func (l *requestLog) others(allowed ...kmsg.Key) map[string]int {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := map[string]int{}
	for k, n := range l.counts {
		ok := false
		for _, a := range allowed {
			ok = ok || a == k
		}
		if !ok {
			out[kmsg.NameForKey(int16(k))] = n
		}
	}
	return out
}

// newFakeCluster starts a 3-broker kfake cluster and an admin client for it.
func newFakeCluster(t *testing.T) (*kfake.Cluster, *Client, *requestLog) {
	t.Helper()
	c, err := kfake.NewCluster(kfake.NumBrokers(3))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	log := &requestLog{counts: map[kmsg.Key]int{}}
	c.Control(func(req kmsg.Request) (kmsg.Response, error, bool) {
		log.mu.Lock()
		log.counts[kmsg.Key(req.Key())]++
		log.mu.Unlock()
		return nil, nil, false
	})
	cl, err := New(Config{Brokers: c.ListenAddrs()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cl.Close)
	return c, cl, log
}

func isProblem(err error) bool {
	var ps validation.Problems
	return errors.As(err, &ps)
}

func TestBadInputReturnsAClearErrorAndSendsNothing(t *testing.T) {
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
		want    string // in the error text
	}{
		{"invalid topic name", func() error {
			_, err := cl.CreateTopic(ctx, TopicSpec{Name: "no spaces allowed", Partitions: 1, ReplicationFactor: 1})
			return err
		}, nil, "topic"},
		{"zero partitions", func() error {
			_, err := cl.CreateTopic(ctx, TopicSpec{Name: "t", Partitions: 0, ReplicationFactor: 1})
			return err
		}, nil, "partitions"},
		{"unknown topic config", func() error {
			_, err := cl.CreateTopic(ctx, TopicSpec{Name: "t", Partitions: 1, ReplicationFactor: 1, Configs: map[string]string{"bogus.config": "1"}})
			return err
		}, nil, "bogus.config"},
		{"config value of the wrong type", func() error { return cl.SetTopicConfig(ctx, "three", map[string]string{"retention.ms": "a week"}) }, nil, "retention.ms"},
		{"deleting an unknown config", func() error { return cl.DeleteTopicConfig(ctx, "three", "not.a.config") }, nil, "not.a.config"},
		{"describe invalid name", func() error { _, err := cl.DescribeTopic(ctx, ".."); return err }, nil, "topic"},
		{"delete invalid name", func() error { return cl.DeleteTopic(ctx, "") }, nil, "topic"},
		{"offsets invalid name", func() error { _, err := cl.Offsets(ctx, "a*b", LastOffsets()); return err }, nil, "topic"},
		{"negative broker id", func() error { _, err := cl.DescribeBroker(ctx, -1); return err }, nil, "broker"},
		{"restart check of a negative broker id", func() error { _, err := cl.CanRestartBroker(ctx, -2); return err }, nil, "broker"},
		{"perf test of no records", func() error { _, err := cl.ProducerPerfTest(ctx, PerfTest{Topic: "three"}); return err }, nil, "records"},
		{"decreasing partitions", func() error { return cl.SetPartitions(ctx, "three", 2) }, metadataOnly, "cannot be lower than topic \"three\"'s current 3"},
		{"more replicas than brokers", func() error {
			_, err := cl.CreateTopic(ctx, TopicSpec{Name: "wide", Partitions: 1, ReplicationFactor: 5})
			return err
		}, metadataOnly, "live brokers"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			log.reset()
			err := tc.call()
			if !isProblem(err) {
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

	t.Run("unknown broker", func(t *testing.T) {
		log.reset()
		_, err := cl.DescribeBroker(ctx, 9)
		if !errors.Is(err, ErrUnknownBroker) || !strings.Contains(err.Error(), "broker 9") {
			t.Fatalf("want ErrUnknownBroker naming broker 9, got %v", err)
		}
		if sent := log.others(metadataOnly...); len(sent) > 0 {
			t.Errorf("an unknown broker must not be asked for configs, sent %v", sent)
		}
	})
}

func TestKafkaErrorsNameTheTopicAndCode(t *testing.T) {
	_, cl, _ := newFakeCluster(t)
	ctx := context.Background()
	if _, err := cl.CreateTopic(ctx, TopicSpec{Name: "orders", Partitions: 1, ReplicationFactor: 1}); err != nil {
		t.Fatal(err)
	}
	_, err := cl.CreateTopic(ctx, TopicSpec{Name: "orders", Partitions: 1, ReplicationFactor: 1})
	if !errors.Is(err, kerr.TopicAlreadyExists) || !strings.Contains(err.Error(), `"orders"`) || !strings.Contains(err.Error(), "TOPIC_ALREADY_EXISTS") {
		t.Errorf("duplicate create: %v", err)
	}
	_, err = cl.DescribeTopic(ctx, "missing")
	if !errors.Is(err, kerr.UnknownTopicOrPartition) || !strings.Contains(err.Error(), `"missing"`) {
		t.Errorf("describe missing: %v", err)
	}
	err = cl.SetPartitions(ctx, "missing", 4)
	if !errors.Is(err, kerr.UnknownTopicOrPartition) || !strings.Contains(err.Error(), `"missing"`) {
		t.Errorf("partitions of missing: %v", err)
	}
}

// scenario is what a controlled Metadata response says about one topic:
// each partition's replicas and ISR (the leader is the first ISR member,
// -1 with an empty ISR).
type scenario struct {
	controller int32
	brokers    []int32
	topics     map[string][][2][]int32
}

// controlMetadata makes the cluster answer every Metadata request with the
// scenario, the way kafka-ops.md §4 builds under-replicated states.
func controlMetadata(t *testing.T, c *kfake.Cluster, sc scenario) {
	t.Helper()
	addrs := c.ListenAddrs()
	c.ControlKey(int16(kmsg.Metadata), func(req kmsg.Request) (kmsg.Response, error, bool) {
		c.KeepControl()
		resp := req.ResponseKind().(*kmsg.MetadataResponse)
		resp.ControllerID = sc.controller
		for _, id := range sc.brokers {
			host, port, _ := net.SplitHostPort(addrs[id])
			p, _ := strconv.Atoi(port)
			b := kmsg.NewMetadataResponseBroker()
			b.NodeID, b.Host, b.Port = id, host, int32(p)
			resp.Brokers = append(resp.Brokers, b)
		}
		for name, parts := range sc.topics {
			mt := kmsg.NewMetadataResponseTopic()
			mt.Topic = kmsg.StringPtr(name)
			for i, ri := range parts {
				mp := kmsg.NewMetadataResponseTopicPartition()
				mp.Partition = int32(i)
				mp.Replicas, mp.ISR = ri[0], ri[1]
				mp.Leader = -1
				if len(ri[1]) > 0 {
					mp.Leader = ri[1][0]
				}
				mt.Partitions = append(mt.Partitions, mp)
			}
			resp.Topics = append(resp.Topics, mt)
		}
		return resp, nil, true
	})
}

func replicasISR(replicas, isr []int32) [2][]int32 { return [2][]int32{replicas, isr} }

// newRestartCluster creates topic "orders" (3 replicas, min.insync.replicas
// 2) and "solo" (1 replica) on a kfake cluster, then takes over Metadata.
func newRestartCluster(t *testing.T, sc scenario) *Client {
	t.Helper()
	c, cl, _ := newFakeCluster(t)
	ctx := context.Background()
	if _, err := cl.CreateTopic(ctx, TopicSpec{Name: "orders", Partitions: 2, ReplicationFactor: 3, Configs: map[string]string{"min.insync.replicas": "2"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := cl.CreateTopic(ctx, TopicSpec{Name: "solo", Partitions: 1, ReplicationFactor: 1}); err != nil {
		t.Fatal(err)
	}
	controlMetadata(t, c, sc)
	return cl
}

func TestCanRestartBrokerBlocksBelowAndAtMinISR(t *testing.T) {
	cl := newRestartCluster(t, scenario{controller: 2, brokers: []int32{0, 1, 2}, topics: map[string][][2][]int32{
		"orders": {
			replicasISR([]int32{0, 1, 2}, []int32{0, 1}), // at min ISR: 0 and 1 in sync
			replicasISR([]int32{1, 2, 0}, []int32{1, 2, 0}),
		},
		"solo": {replicasISR([]int32{2}, []int32{2})},
	}})
	ctx := context.Background()
	for _, tc := range []struct {
		broker int32
		safe   bool
	}{{0, false}, {1, false}, {2, true}} {
		check, err := cl.CanRestartBroker(ctx, tc.broker)
		if err != nil {
			t.Fatal(err)
		}
		if check.Safe != tc.safe || !check.Live {
			t.Errorf("broker %d: safe %v live %v, want safe %v: %s", tc.broker, check.Safe, check.Live, tc.safe, check.Reason())
		}
		if !tc.safe && (len(check.Blocking) != 1 || check.Blocking[0].Topic != "orders" || check.Blocking[0].Partition != 0 ||
			!strings.Contains(check.Reason(), "orders-0 is at min ISR")) {
			t.Errorf("broker %d: blocking %+v, reason %q", tc.broker, check.Blocking, check.Reason())
		}
	}
	controller, err := cl.CanRestartBroker(ctx, 2)
	if err != nil {
		t.Fatal(err)
	}
	if !controller.Controller || !hasWarning(controller, "controller") || !hasWarning(controller, "topic solo has replication factor 1") {
		t.Errorf("broker 2 (controller, leader-only replica of solo): %+v", controller)
	}
}

func TestCanRestartBrokerBlocksEveryReplicaOfAnUnderMinISRPartition(t *testing.T) {
	cl := newRestartCluster(t, scenario{controller: 0, brokers: []int32{0, 1, 2}, topics: map[string][][2][]int32{
		"orders": {
			replicasISR([]int32{0, 1, 2}, []int32{0}), // under-replicated below min ISR
			replicasISR([]int32{1, 2, 0}, []int32{1, 2, 0}),
		},
		"solo": {replicasISR([]int32{2}, []int32{2})},
	}})
	for _, id := range []int32{0, 1, 2} {
		check, err := cl.CanRestartBroker(context.Background(), id)
		if err != nil {
			t.Fatal(err)
		}
		if check.Safe || !strings.Contains(check.Reason(), "already under min ISR") {
			t.Errorf("broker %d: %s", id, check.Reason())
		}
	}
	health, err := cl.PartitionHealth(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(health.UnderReplicated) != 1 || len(health.UnderMinISR) != 1 || len(health.Unavailable) != 0 || health.Partitions != 3 {
		t.Errorf("health: %+v", health)
	}
}

func TestCanRestartBrokerLeaderOnlyReplicasDoNotBlock(t *testing.T) {
	cl := newRestartCluster(t, scenario{controller: 0, brokers: []int32{0, 1, 2}, topics: map[string][][2][]int32{
		"orders": {
			replicasISR([]int32{0, 1, 2}, []int32{0, 1, 2}),
			replicasISR([]int32{1, 2, 0}, []int32{1, 2, 0}),
		},
		"solo": {replicasISR([]int32{2}, []int32{2})},
	}})
	check, err := cl.CanRestartBroker(context.Background(), 2)
	if err != nil {
		t.Fatal(err)
	}
	if !check.Safe || check.Controller || !hasWarning(check, "solo") {
		t.Errorf("a leader-only replica must warn, not block: %+v", check)
	}
}

func TestCanRestartBrokerOfflineAndUnknownBrokers(t *testing.T) {
	cl := newRestartCluster(t, scenario{controller: 0, brokers: []int32{0, 1, 2}, topics: map[string][][2][]int32{
		"orders": {
			replicasISR([]int32{3, 0, 1}, []int32{0, 1}),
			replicasISR([]int32{1, 2, 0}, []int32{1, 2, 0}),
		},
		"solo": {replicasISR([]int32{2}, []int32{2})},
	}})
	offline, err := cl.CanRestartBroker(context.Background(), 3)
	if err != nil {
		t.Fatal(err)
	}
	if offline.Live || !offline.Safe || !strings.Contains(offline.Reason(), "not running") {
		t.Errorf("broker 3 holds replicas but is down: %+v", offline)
	}
	if _, err := cl.CanRestartBroker(context.Background(), 9); !errors.Is(err, ErrUnknownBroker) {
		t.Errorf("broker 9: %v, want ErrUnknownBroker", err)
	}
}

func TestPartitionHealthSeesLeaderlessPartitions(t *testing.T) {
	c, cl, _ := newFakeCluster(t)
	ctx := context.Background()
	if _, err := cl.CreateTopic(ctx, TopicSpec{Name: "t", Partitions: 3, ReplicationFactor: 3}); err != nil {
		t.Fatal(err)
	}
	c.Fault(kfake.Fault{Keys: []kmsg.Key{kmsg.Metadata}, Topic: "t", Partitions: []int32{1}, Err: kerr.LeaderNotAvailable, Count: -1})
	health, err := cl.PartitionHealth(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(health.Unavailable) != 1 || health.Unavailable[0].Partition != 1 || health.Healthy() {
		t.Errorf("unavailable = %+v", health.Unavailable)
	}
}

func hasWarning(c RestartCheck, sub string) bool {
	for _, w := range c.Warnings {
		if strings.Contains(w, sub) {
			return true
		}
	}
	return false
}
