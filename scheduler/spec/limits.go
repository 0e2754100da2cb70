package spec

import (
	"encoding/json"
	"fmt"
	"math"
	"strconv"

	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/validation"
)

// Upper bounds of the options. Every option has one, and a value over it is
// refused with a problem that names the bound, so that no configuration can
// make the scheduler allocate, sleep or compute in proportion to an
// unchecked number, and none can be stored that a broker could not be
// launched with. The README's "Limits" section lists them.
const (
	// MaxBrokers bounds brokers.count (and so the broker ids, which are
	// the pod indexes 0 to count-1). A thousand is Kafka's own default for
	// reserved.broker.max.id, an order of magnitude above the largest
	// ZooKeeper-mode clusters run in practice, and far above what one
	// Mesos framework's offers can place.
	MaxBrokers = 1000
	// MaxCPUs bounds brokers.cpus: the largest Mesos agents have a few
	// hundred cores.
	MaxCPUs = 1024
	// MaxMemMB bounds brokers.mem and brokers.heap.size: 1 TiB.
	MaxMemMB = 1 << 20
	// MaxDiskMB bounds brokers.disk: 1 PiB.
	MaxDiskMB = 1 << 30
	// MaxSeconds bounds every duration option given in seconds (readiness
	// and health check intervals, delays, timeouts and grace periods,
	// kill_grace_period): one day. Larger values would overflow Go and
	// Mesos durations long before they make sense.
	MaxSeconds = 24 * 60 * 60
	// MinISRWaitTimeoutSeconds and MaxISRWaitTimeoutSeconds bound
	// service.isr_wait_timeout_secs: below ten seconds a healthy broker
	// could not even finish starting, and past a day an operator should
	// be told rather than kept waiting (MaxSeconds, as for every duration).
	MinISRWaitTimeoutSeconds = 10
	MaxISRWaitTimeoutSeconds = MaxSeconds
	// MaxConsecutiveFailures bounds health_check.max-consecutive-failures.
	MaxConsecutiveFailures = 1000
	// MaxURILength bounds brokers.kafka_uri, brokers.java_uri,
	// service.placement_constraint and kafka.kafka_zookeeper_uri.
	MaxURILength = 4096
	// MaxUserLength bounds service.user (Linux user names are at most 32
	// bytes).
	MaxUserLength = 32
	// MaxPathLength bounds brokers.disk_path, brokers.kafka_version_path
	// and service.region (a file name's limit).
	MaxPathLength = 255
	// MaxTopicPrefixLength bounds health_check.health-check-topic-prefix,
	// leaving room in Kafka's 249-character topic names.
	MaxTopicPrefixLength = 200
	// MaxStoredSpecBytes bounds the size of a service's configuration
	// once its defaults are filled in and it is encoded as the
	// configuration history stores it. It is the state store's value
	// limit (state.MaxValueSize, which a test keeps equal): a larger
	// configuration could never be stored.
	MaxStoredSpecBytes = 1_000_000
)

// TooLargeError refuses a configuration larger than the state store can
// hold. The REST API answers it with 413 Request Entity Too Large.
type TooLargeError struct {
	// Size is the configuration's size in bytes once encoded with its
	// defaults; Limit is MaxStoredSpecBytes.
	Size, Limit int
}

func (e *TooLargeError) Error() string {
	return fmt.Sprintf("the configuration is %d bytes once its defaults are filled in and it is encoded for storage, "+
		"over the %d-byte limit of one stored configuration (the state store's value limit); "+
		"store less, for example fewer or shorter kafka.server_properties", e.Size, e.Limit)
}

// checkStoredSize refuses v (Options or a ServiceSpec) when its stored
// encoding would be over MaxStoredSpecBytes.
func checkStoredSize(v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("encoding the configuration: %w", err)
	}
	if len(b) > MaxStoredSpecBytes {
		return &TooLargeError{Size: len(b), Limit: MaxStoredSpecBytes}
	}
	return nil
}

// between records a problem when v is outside [lo, hi]; unit ("seconds",
// "MB") is named in the rule.
func between(ps *validation.Problems, field string, v, lo, hi int, unit string) {
	if v >= lo && v <= hi {
		return
	}
	suffix := ""
	if unit != "" {
		suffix = " " + unit
	}
	if v < lo {
		atLeast(ps, field, v, lo, unit)
		return
	}
	ps.Addf(field, strconv.Itoa(v), "must be at most %d%s", hi, suffix)
}

// betweenFloat records a problem when v is not a finite number in
// (lo, hi] (lo exclusive when exclusive is set, inclusive otherwise).
func betweenFloat(ps *validation.Problems, field string, v, lo, hi float64, exclusive bool, unit string) {
	low := v >= lo
	if exclusive {
		low = v > lo
	}
	if low && v <= hi && !math.IsNaN(v) && !math.IsInf(v, 0) {
		return
	}
	suffix := ""
	if unit != "" {
		suffix = " " + unit
	}
	if exclusive {
		ps.Addf(field, formatFloat(v), "must be greater than %s and at most %s%s", formatFloat(lo), formatFloat(hi), suffix)
		return
	}
	ps.Addf(field, formatFloat(v), "must be between %s and %s%s", formatFloat(lo), formatFloat(hi), suffix)
}

// tooLong records a problem and reports true when s is longer than limit
// bytes; callers skip their other checks of s then (a pattern or parse
// over a huge string is wasted work, and its message would be huge).
func tooLong(ps *validation.Problems, field, s string, limit int) bool {
	if len(s) <= limit {
		return false
	}
	ps.Addf(field, s, "must be at most %d bytes long; it is %d", limit, len(s))
	return true
}
