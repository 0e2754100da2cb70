// Package topicconfig is the table of Kafka topic-level configuration keys:
// their types, Kafka's defaults, the broker property each one falls back to,
// and the rules a value must follow. The admin package validates requests
// with it before sending anything; the dev stand-in broker uses it to answer
// DescribeConfigs and to refuse bad configs the way a real broker does.
//
// The table follows Apache Kafka 3.9's TopicConfig/LogConfig.
package topicconfig

import (
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
)

// Type is a config value type, numbered as kmsg.ConfigType.
type Type int8

// Config types, with the numbers Kafka's DescribeConfigs v3+ reports.
const (
	Boolean Type = 1
	String  Type = 2
	Int     Type = 3
	Short   Type = 4
	Long    Type = 5
	Double  Type = 6
	List    Type = 7
)

func (t Type) String() string {
	switch t {
	case Boolean:
		return "boolean"
	case String:
		return "string"
	case Int:
		return "int"
	case Short:
		return "short"
	case Long:
		return "long"
	case Double:
		return "double"
	case List:
		return "list"
	}
	return "unknown"
}

// Key describes one topic config.
type Key struct {
	Name string
	Type Type
	// Default is Kafka's default when neither the topic nor the broker sets
	// it.
	Default string
	// BrokerKey is the broker property that supplies the default for every
	// topic ("" when there is none).
	BrokerKey string
	// ReadOnly, when not empty, says why a client must not set the key:
	// brokers still accept it but it has no effect. Brokers do not refuse
	// it, so Validate does not either; CheckSettable does.
	ReadOnly string
	// rule checks a value already known to parse as Type; "" means valid.
	rule func(string) string
}

// Check returns "" when value is valid for the key, or the rule it breaks.
func (k Key) Check(value string) string {
	if r := checkType(k.Type, value); r != "" {
		return r
	}
	if k.rule != nil {
		return k.rule(value)
	}
	return ""
}

// IsList reports whether APPEND and SUBTRACT operations apply to the key.
func (k Key) IsList() bool { return k.Type == List }

const maxLong = "9223372036854775807"

var keys = []Key{
	{Name: "cleanup.policy", Type: List, Default: "delete", BrokerKey: "log.cleanup.policy", rule: listOf("compact", "delete")},
	{Name: "compression.type", Type: String, Default: "producer", BrokerKey: "compression.type", rule: oneOf("uncompressed", "zstd", "lz4", "snappy", "gzip", "producer")},
	{Name: "compression.gzip.level", Type: Int, Default: "-1", BrokerKey: "compression.gzip.level", rule: gzipLevel},
	{Name: "compression.lz4.level", Type: Int, Default: "9", BrokerKey: "compression.lz4.level", rule: intIn(1, 17)},
	{Name: "compression.zstd.level", Type: Int, Default: "3", BrokerKey: "compression.zstd.level", rule: intIn(-131072, 22)},
	{Name: "delete.retention.ms", Type: Long, Default: "86400000", BrokerKey: "log.cleaner.delete.retention.ms", rule: atLeast(0)},
	{Name: "file.delete.delay.ms", Type: Long, Default: "60000", BrokerKey: "log.segment.delete.delay.ms", rule: atLeast(0)},
	{Name: "flush.messages", Type: Long, Default: maxLong, BrokerKey: "log.flush.interval.messages", rule: atLeast(1)},
	{Name: "flush.ms", Type: Long, Default: maxLong, BrokerKey: "log.flush.interval.ms", rule: atLeast(0)},
	{Name: "follower.replication.throttled.replicas", Type: List, Default: "", rule: throttledReplicas},
	{Name: "index.interval.bytes", Type: Int, Default: "4096", BrokerKey: "log.index.interval.bytes", rule: atLeast(0)},
	{Name: "leader.replication.throttled.replicas", Type: List, Default: "", rule: throttledReplicas},
	{Name: "local.retention.bytes", Type: Long, Default: "-2", BrokerKey: "log.local.retention.bytes", rule: atLeast(-2)},
	{Name: "local.retention.ms", Type: Long, Default: "-2", BrokerKey: "log.local.retention.ms", rule: atLeast(-2)},
	{Name: "max.compaction.lag.ms", Type: Long, Default: maxLong, BrokerKey: "log.cleaner.max.compaction.lag.ms", rule: atLeast(1)},
	{Name: "max.message.bytes", Type: Int, Default: "1048588", BrokerKey: "message.max.bytes", rule: atLeast(0)},
	{Name: "message.downconversion.enable", Type: Boolean, Default: "true", BrokerKey: "log.message.downconversion.enable"},
	{Name: "message.format.version", Type: String, Default: "3.0-IV1", BrokerKey: "log.message.format.version",
		ReadOnly: "has no effect since Kafka 3.0 (the message format follows inter.broker.protocol.version) and is refused by Kafka 4.0; leave it out"},
	{Name: "message.timestamp.after.max.ms", Type: Long, Default: maxLong, BrokerKey: "log.message.timestamp.after.max.ms", rule: atLeast(0)},
	{Name: "message.timestamp.before.max.ms", Type: Long, Default: maxLong, BrokerKey: "log.message.timestamp.before.max.ms", rule: atLeast(0)},
	{Name: "message.timestamp.difference.max.ms", Type: Long, Default: maxLong, BrokerKey: "log.message.timestamp.difference.max.ms", rule: atLeast(0)},
	{Name: "message.timestamp.type", Type: String, Default: "CreateTime", BrokerKey: "log.message.timestamp.type", rule: oneOf("CreateTime", "LogAppendTime")},
	{Name: "min.cleanable.dirty.ratio", Type: Double, Default: "0.5", BrokerKey: "log.cleaner.min.cleanable.ratio", rule: doubleIn(0, 1)},
	{Name: "min.compaction.lag.ms", Type: Long, Default: "0", BrokerKey: "log.cleaner.min.compaction.lag.ms", rule: atLeast(0)},
	{Name: "min.insync.replicas", Type: Int, Default: "1", BrokerKey: "min.insync.replicas", rule: atLeast(1)},
	{Name: "preallocate", Type: Boolean, Default: "false", BrokerKey: "log.preallocate"},
	{Name: "remote.log.copy.disable", Type: Boolean, Default: "false"},
	{Name: "remote.log.delete.on.disable", Type: Boolean, Default: "false"},
	{Name: "remote.storage.enable", Type: Boolean, Default: "false"},
	{Name: "retention.bytes", Type: Long, Default: "-1", BrokerKey: "log.retention.bytes"},
	{Name: "retention.ms", Type: Long, Default: "604800000", BrokerKey: "log.retention.ms", rule: atLeast(-1)},
	{Name: "segment.bytes", Type: Int, Default: "1073741824", BrokerKey: "log.segment.bytes", rule: atLeast(14)},
	{Name: "segment.index.bytes", Type: Int, Default: "10485760", BrokerKey: "log.index.size.max.bytes", rule: atLeast(4)},
	{Name: "segment.jitter.ms", Type: Long, Default: "0", BrokerKey: "log.roll.jitter.ms", rule: atLeast(0)},
	{Name: "segment.ms", Type: Long, Default: "604800000", BrokerKey: "log.roll.ms", rule: atLeast(1)},
	{Name: "unclean.leader.election.enable", Type: Boolean, Default: "false", BrokerKey: "unclean.leader.election.enable"},
}

var byName = func() map[string]Key {
	m := make(map[string]Key, len(keys))
	for _, k := range keys {
		m[k.Name] = k
	}
	return m
}()

// Lookup returns the key with the given name.
func Lookup(name string) (Key, bool) {
	k, ok := byName[name]
	return k, ok
}

// sortedKeys is keys sorted by name, made once.
var sortedKeys = func() []Key {
	out := append([]Key(nil), keys...)
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}()

// Keys returns every topic config key, sorted by name. The slice is shared:
// do not modify it.
func Keys() []Key { return sortedKeys }

// Problem is one invalid entry of a topic config map.
type Problem struct {
	Key   string
	Value string
	Rule  string
}

// Validate checks every entry of a topic config map and returns every
// problem, sorted by key.
func Validate(cfg map[string]string) []Problem {
	var ps []Problem
	for name, value := range cfg {
		k, ok := Lookup(name)
		if !ok {
			ps = append(ps, Problem{Key: name, Value: value, Rule: unknownKeyRule(name)})
			continue
		}
		if r := k.Check(value); r != "" {
			ps = append(ps, Problem{Key: name, Value: value, Rule: r})
		}
	}
	sort.Slice(ps, func(i, j int) bool { return ps[i].Key < ps[j].Key })
	return ps
}

// CheckSettable returns a problem for every key of cfg that a client must
// not set (see Key.ReadOnly), sorted by key. Unknown keys are Validate's.
func CheckSettable(cfg map[string]string) []Problem {
	var ps []Problem
	for name, value := range cfg {
		if k, ok := Lookup(name); ok && k.ReadOnly != "" {
			ps = append(ps, Problem{Key: name, Value: value, Rule: k.ReadOnly})
		}
	}
	sort.Slice(ps, func(i, j int) bool { return ps[i].Key < ps[j].Key })
	return ps
}

func unknownKeyRule(name string) string {
	if _, isBroker := brokerOnly[name]; isBroker {
		return fmt.Sprintf("is a broker property, not a topic config; the topic config is %q", brokerOnly[name])
	}
	return "is not a Kafka topic config; see https://kafka.apache.org/documentation/#topicconfigs"
}

// brokerOnly maps broker properties people commonly put in topic configs to
// the topic config they meant.
var brokerOnly = func() map[string]string {
	m := map[string]string{"log.retention.hours": "retention.ms", "log.retention.minutes": "retention.ms", "log.roll.hours": "segment.ms"}
	for _, k := range keys {
		if k.BrokerKey != "" && k.BrokerKey != k.Name {
			m[k.BrokerKey] = k.Name
		}
	}
	return m
}()

func checkType(t Type, v string) string {
	switch t {
	case Boolean:
		if v != "true" && v != "false" {
			return `must be "true" or "false"`
		}
	case Int:
		if _, err := strconv.ParseInt(strings.TrimSpace(v), 10, 32); err != nil {
			return "must be a whole number that fits in 32 bits"
		}
	case Short:
		if _, err := strconv.ParseInt(strings.TrimSpace(v), 10, 16); err != nil {
			return "must be a whole number that fits in 16 bits"
		}
	case Long:
		if _, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64); err != nil {
			return "must be a whole number that fits in 64 bits"
		}
	case Double:
		if f, err := strconv.ParseFloat(strings.TrimSpace(v), 64); err != nil || math.IsNaN(f) {
			return "must be a number"
		}
	}
	return ""
}

func atLeast(lo int64) func(string) string {
	return func(v string) string {
		n, _ := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
		if n < lo {
			return fmt.Sprintf("must be at least %d", lo)
		}
		return ""
	}
}

func gzipLevel(v string) string {
	n, _ := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
	if n == -1 || (n >= 1 && n <= 9) {
		return ""
	}
	return "must be -1 (the codec's default) or between 1 and 9"
}

func intIn(lo, hi int64) func(string) string {
	return func(v string) string {
		n, _ := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
		if n < lo || n > hi {
			return fmt.Sprintf("must be between %d and %d", lo, hi)
		}
		return ""
	}
}

func doubleIn(lo, hi float64) func(string) string {
	return func(v string) string {
		f, _ := strconv.ParseFloat(strings.TrimSpace(v), 64)
		if f < lo || f > hi {
			return fmt.Sprintf("must be between %g and %g", lo, hi)
		}
		return ""
	}
}

func oneOf(allowed ...string) func(string) string {
	return func(v string) string {
		for _, a := range allowed {
			if v == a {
				return ""
			}
		}
		return "must be one of " + strings.Join(allowed, ", ")
	}
}

func listOf(allowed ...string) func(string) string {
	return func(v string) string {
		for _, item := range strings.Split(v, ",") {
			if oneOf(allowed...)(strings.TrimSpace(item)) != "" {
				return "must be a comma-separated list of " + strings.Join(allowed, ", ")
			}
		}
		return ""
	}
}

// throttledReplicas is "*" or a list of partition:broker pairs.
func throttledReplicas(v string) string {
	v = strings.TrimSpace(v)
	if v == "" || v == "*" {
		return ""
	}
	for _, pair := range strings.Split(v, ",") {
		p, b, ok := strings.Cut(strings.TrimSpace(pair), ":")
		if !ok {
			return `must be "*" or a comma-separated list of partition:broker pairs`
		}
		if _, err := strconv.ParseUint(p, 10, 31); err != nil {
			return `must be "*" or a comma-separated list of partition:broker pairs`
		}
		if _, err := strconv.ParseUint(b, 10, 31); err != nil {
			return `must be "*" or a comma-separated list of partition:broker pairs`
		}
	}
	return ""
}

// MaxNameLength is Kafka's limit on topic name length.
const MaxNameLength = 249

// NameRule returns "" when name is a valid Kafka topic name, or the rule it
// breaks (Kafka's org.apache.kafka.common.internals.Topic.validate).
func NameRule(name string) string {
	switch {
	case name == "":
		return "must not be empty"
	case name == "." || name == "..":
		return `must not be "." or ".."`
	case len(name) > MaxNameLength:
		return fmt.Sprintf("must be at most %d characters long (it is %d)", MaxNameLength, len(name))
	}
	for _, c := range name {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '_' || c == '-') {
			return fmt.Sprintf("may contain only ASCII letters, digits, '.', '_' and '-' (found %q)", c)
		}
	}
	return ""
}

// Collides reports whether two different topic names collide in Kafka's
// metrics names, where '.' and '_' are the same; Kafka refuses to create the
// second one.
func Collides(a, b string) bool {
	return a != b && strings.ReplaceAll(a, ".", "_") == strings.ReplaceAll(b, ".", "_")
}
