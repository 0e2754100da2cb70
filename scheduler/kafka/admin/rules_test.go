package admin

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"

	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/validation"
)

func problemFields(err error) map[string]string {
	var ps validation.Problems
	if !errors.As(err, &ps) {
		return nil
	}
	out := map[string]string{}
	for _, p := range ps {
		out[p.Field] = p.Rule
	}
	return out
}

func TestTopicSpecValidate(t *testing.T) {
	long := strings.Repeat("x", 250)
	cases := []struct {
		name string
		spec TopicSpec
		want []string // problem fields; none means valid
	}{
		{"valid", TopicSpec{Name: "orders.v1_eu-west", Partitions: 3, ReplicationFactor: 3, Configs: map[string]string{"retention.ms": "-1", "cleanup.policy": "compact,delete"}}, nil},
		{"broker defaults", TopicSpec{Name: "t", Partitions: -1, ReplicationFactor: -1}, nil},
		{"empty name", TopicSpec{Name: "", Partitions: 1, ReplicationFactor: 1}, []string{"topic"}},
		{"dot", TopicSpec{Name: ".", Partitions: 1, ReplicationFactor: 1}, []string{"topic"}},
		{"too long", TopicSpec{Name: long, Partitions: 1, ReplicationFactor: 1}, []string{"topic"}},
		{"bad char", TopicSpec{Name: "a/b", Partitions: 1, ReplicationFactor: 1}, []string{"topic"}},
		{"zero partitions", TopicSpec{Name: "t", Partitions: 0, ReplicationFactor: 1}, []string{"partitions"}},
		{"zero replicas", TopicSpec{Name: "t", Partitions: 1, ReplicationFactor: 0}, []string{"replication_factor"}},
		{"unknown config", TopicSpec{Name: "t", Partitions: 1, ReplicationFactor: 1, Configs: map[string]string{"retention.hours": "1"}}, []string{"configs.retention.hours"}},
		{"bad config type", TopicSpec{Name: "t", Partitions: 1, ReplicationFactor: 1, Configs: map[string]string{"min.insync.replicas": "two", "preallocate": "yes", "min.cleanable.dirty.ratio": "2"}},
			[]string{"configs.min.insync.replicas", "configs.preallocate", "configs.min.cleanable.dirty.ratio"}},
		{"everything at once", TopicSpec{Name: "", Partitions: -5, ReplicationFactor: -2}, []string{"topic", "partitions", "replication_factor"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := problemFields(tc.spec.Validate().Err())
			if len(got) != len(tc.want) {
				t.Fatalf("problems %v, want fields %v", got, tc.want)
			}
			for _, f := range tc.want {
				if got[f] == "" {
					t.Errorf("no problem for %s in %v", f, got)
				}
			}
		})
	}
}

func TestBrokerPropertyAsTopicConfigPointsAtTheTopicKey(t *testing.T) {
	got := problemFields(TopicSpec{Name: "t", Partitions: 1, ReplicationFactor: 1, Configs: map[string]string{"log.retention.hours": "1"}}.Validate().Err())
	if !strings.Contains(got["configs.log.retention.hours"], `"retention.ms"`) {
		t.Errorf("rule = %q, want it to name retention.ms", got["configs.log.retention.hours"])
	}
}

func TestParseOffsetQuery(t *testing.T) {
	for in, want := range map[string]OffsetQuery{
		"first": FirstOffsets(), "-2": FirstOffsets(), "last": LastOffsets(), "-1": LastOffsets(), "": LastOffsets(),
		"1700000000000": OffsetsAt(time.UnixMilli(1700000000000)),
	} {
		got, err := ParseOffsetQuery(in)
		if err != nil || got != want {
			t.Errorf("%q: %v %v, want %v", in, got, err, want)
		}
	}
	for _, bad := range []string{"yesterday", "-3", "1.5"} {
		if _, err := ParseOffsetQuery(bad); problemFields(err)["time"] == "" {
			t.Errorf("%q must be a validation problem on time, got %v", bad, err)
		}
	}
}

func TestClassifyFollowsTopicCommand(t *testing.T) {
	live := map[int32]bool{0: true, 1: true, 2: true}
	cases := []struct {
		name string
		s    PartitionStatus
		want partitionHealth
	}{
		{"healthy", PartitionStatus{Leader: 0, Replicas: []int32{0, 1, 2}, ISR: []int32{0, 1, 2}, MinISR: 2}, partitionHealth{}},
		{"under-replicated, at min", PartitionStatus{Leader: 0, Replicas: []int32{0, 1, 2}, ISR: []int32{0, 1}, MinISR: 2}, partitionHealth{underReplicated: true, atMinISR: true}},
		{"under min", PartitionStatus{Leader: 0, Replicas: []int32{0, 1, 2}, ISR: []int32{0}, MinISR: 2}, partitionHealth{underReplicated: true, underMinISR: true}},
		{"no leader", PartitionStatus{Leader: -1, Replicas: []int32{3}, ISR: []int32{3}, MinISR: 1, Err: kerr.LeaderNotAvailable}, partitionHealth{unavailable: true, underMinISR: true}},
		{"leader not live", PartitionStatus{Leader: 7, Replicas: []int32{7, 0}, ISR: []int32{7, 0}, MinISR: 1}, partitionHealth{unavailable: true, underMinISR: true}},
		{"rf 1 at min", PartitionStatus{Leader: 1, Replicas: []int32{1}, ISR: []int32{1}, MinISR: 1}, partitionHealth{atMinISR: true}},
		{"min isr unknown", PartitionStatus{Leader: 1, Replicas: []int32{1, 2}, ISR: []int32{1}}, partitionHealth{underReplicated: true}},
	}
	for _, tc := range cases {
		if got := classify(tc.s, live); got != tc.want {
			t.Errorf("%s: %+v, want %+v", tc.name, got, tc.want)
		}
	}
}

func TestRestartRule(t *testing.T) {
	cases := []struct {
		name           string
		s              PartitionStatus
		block, warning bool
	}{
		{"full isr", PartitionStatus{Replicas: []int32{0, 1, 2}, ISR: []int32{0, 1, 2}, MinISR: 2}, false, false},
		{"at min, broker in isr", PartitionStatus{Replicas: []int32{0, 1, 2}, ISR: []int32{0, 1}, MinISR: 2}, true, false},
		{"at min, broker out of isr", PartitionStatus{Replicas: []int32{2, 1, 0}, ISR: []int32{2, 1}, MinISR: 2, Partition: 1}, false, false},
		{"under min", PartitionStatus{Replicas: []int32{0, 1, 2}, ISR: []int32{1}, MinISR: 2}, true, false},
		{"under min, broker not in isr still blocks", PartitionStatus{Replicas: []int32{1, 2, 0}, ISR: []int32{1}, MinISR: 2}, true, false},
		{"rf equals min isr", PartitionStatus{Replicas: []int32{0, 1}, ISR: []int32{0}, MinISR: 2}, false, true},
		{"leader-only rf 1", PartitionStatus{Replicas: []int32{0}, ISR: []int32{0}, MinISR: 1}, false, true},
		{"unknown min isr", PartitionStatus{Replicas: []int32{0, 1}, ISR: []int32{0}}, false, false},
	}
	for _, tc := range cases {
		blocker, warning := restartRule(tc.s, 0)
		if (blocker != "") != tc.block || (warning != "") != tc.warning {
			t.Errorf("%s: blocker %q warning %q", tc.name, blocker, warning)
		}
	}
}

func TestPerfResultLineMatchesKafkaProducerPerfTest(t *testing.T) {
	r := PerfResult{Records: 1000, RecordsPerSec: 2500.04, MBPerSec: 2.44, AvgLatency: 3500 * time.Microsecond, MaxLatency: 12 * time.Millisecond,
		P50: 3 * time.Millisecond, P95: 7 * time.Millisecond, P99: 10 * time.Millisecond, P999: 12 * time.Millisecond}
	want := "1000 records sent, 2500.0 records/sec (2.44 MB/sec), 3.50 ms avg latency, 12.00 ms max latency, 3 ms 50th, 7 ms 95th, 10 ms 99th, 12 ms 99.9th."
	if r.String() != want {
		t.Errorf("got  %s\nwant %s", r, want)
	}
}

func TestPerfRunPercentilesAndSampling(t *testing.T) {
	run := newPerfRun(1000)
	for i := range 1000 {
		run.done(i, time.Duration(i+1)*time.Millisecond, nil)
	}
	run.done(1000, 0, kerr.NotEnoughReplicas)
	res := run.result(2*time.Second, 100)
	if res.Records != 1000 || res.Errors != 1 || !errors.Is(res.FirstError, kerr.NotEnoughReplicas) {
		t.Fatalf("counts: %+v", res)
	}
	if res.P50 != 501*time.Millisecond || res.P99 != 991*time.Millisecond || res.MaxLatency != 1000*time.Millisecond {
		t.Errorf("p50 %v p99 %v max %v", res.P50, res.P99, res.MaxLatency)
	}
	if res.RecordsPerSec != 500 || res.Bytes != 100_000 {
		t.Errorf("rate %v bytes %d", res.RecordsPerSec, res.Bytes)
	}
	big := newPerfRun(2_000_000)
	if big.every != 4 {
		t.Errorf("2M records must keep every 4th latency, keeps every %d", big.every)
	}
}

func TestPerfTestValidate(t *testing.T) {
	got := problemFields(PerfTest{Topic: "bad topic", Records: 0, RecordSize: -1, Throughput: -7, Acks: 2}.Validate().Err())
	for _, f := range []string{"topic", "records", "record_size", "throughput", "acks"} {
		if got[f] == "" {
			t.Errorf("no problem for %s: %v", f, got)
		}
	}
}
