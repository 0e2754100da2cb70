package brokerconfig

import (
	"fmt"
	"net"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/validation"
)

// ownedKeys are the properties the scheduler sets for each broker. They can
// never come from server_properties.
var ownedKeys = map[string]string{
	"broker.id":            "is the pod index, set by the scheduler",
	"node.id":              "is the pod index, set by the scheduler (KRaft brokers are not managed by this service)",
	"process.roles":        "is not used: brokers of this service run in ZooKeeper mode",
	"listeners":            "is set by the scheduler from the address and port it reserved for the broker",
	"advertised.listeners": "is set by the scheduler from the address and port it reserved for the broker",
	"log.dirs":             "is set by the scheduler to the broker's persistent volume",
	"zookeeper.connect":    "is set by the scheduler; to use an alternate ZooKeeper set kafka_zookeeper_uri instead",
}

// OwnedKeys returns the scheduler-owned property names, sorted.
func OwnedKeys() []string {
	keys := make([]string, 0, len(ownedKeys))
	for k := range ownedKeys {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// Validate returns every problem in the settings at once. Field names are
// relative to the kafka section ("num_partitions",
// "server_properties.broker.id").
func (s Settings) Validate() validation.Problems {
	var ps validation.Problems
	if n := len(s.ServerProperties); n > MaxServerProperties {
		ps.Addf("server_properties", fmt.Sprintf("%d keys", n), "must have at most %d keys", MaxServerProperties)
	}
	s, moved, parsed := s.effective()
	ps = append(ps, parsed...)
	var checks validation.Problems
	for _, o := range s.options() {
		o.check(&checks)
	}
	s.checkCrossField(&checks)
	renameMoved(checks, moved)
	ps = append(ps, checks...)
	if s.KafkaZookeeperURI != "" {
		if len(s.KafkaZookeeperURI) > MaxStringLength {
			ps.Addf("kafka_zookeeper_uri", s.KafkaZookeeperURI, "must be at most %d bytes long; it is %d", MaxStringLength, len(s.KafkaZookeeperURI))
		} else if rule := zookeeperConnectRule(s.KafkaZookeeperURI); rule != "" {
			ps.Add("kafka_zookeeper_uri", s.KafkaZookeeperURI, rule)
		}
	}
	s.checkServerProperties(&ps)
	s.checkRenderedSize(&ps)
	return ps
}

// checkCrossField applies the rules Kafka's KafkaConfig.validateValues
// enforces between settings, so that a broker never fails at start-up on a
// combination the scheduler accepted.
func (s Settings) checkCrossField(ps *validation.Problems) {
	if s.ReplicaFetchWaitMaxMs > s.ReplicaSocketTimeoutMs {
		ps.Addf("replica_fetch_wait_max_ms", strconv.Itoa(s.ReplicaFetchWaitMaxMs),
			"must not exceed replica_socket_timeout_ms (%d), or followers time out while waiting for data", s.ReplicaSocketTimeoutMs)
	}
	if int64(s.ReplicaFetchWaitMaxMs) > s.ReplicaLagTimeMaxMs {
		ps.Addf("replica_fetch_wait_max_ms", strconv.Itoa(s.ReplicaFetchWaitMaxMs),
			"must not exceed replica_lag_time_max_ms (%d), or followers keep dropping out of the ISR", s.ReplicaLagTimeMaxMs)
	}
	if s.OffsetsCommitRequiredAcks > s.OffsetsTopicReplicationFactor {
		ps.Addf("offsets_commit_required_acks", strconv.Itoa(s.OffsetsCommitRequiredAcks),
			"must be -1 or at most offsets_topic_replication_factor (%d)", s.OffsetsTopicReplicationFactor)
	}
	const oneMiB = 1024 * 1024
	if s.LogCleanerThreads > 0 && s.LogCleanerDedupeBufferSize/int64(s.LogCleanerThreads) <= oneMiB {
		ps.Addf("log_cleaner_dedupe_buffer_size", strconv.FormatInt(s.LogCleanerDedupeBufferSize, 10),
			"must be more than 1 MiB per cleaner thread (log_cleaner_threads is %d)", s.LogCleanerThreads)
	}
	if s.QueuedMaxRequestBytes > 0 && s.QueuedMaxRequestBytes < int64(s.SocketRequestMaxBytes) {
		ps.Addf("queued_max_request_bytes", strconv.FormatInt(s.QueuedMaxRequestBytes, 10),
			"must be -1 (no limit) or at least socket_request_max_bytes (%d)", s.SocketRequestMaxBytes)
	}
	if s.GroupMinSessionTimeoutMs > s.GroupMaxSessionTimeoutMs {
		ps.Addf("group_min_session_timeout_ms", strconv.Itoa(s.GroupMinSessionTimeoutMs),
			"must not exceed group_max_session_timeout_ms (%d), or no consumer group can be joined", s.GroupMaxSessionTimeoutMs)
	}
}

var propertyKeyPattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]*$`)

// checkServerProperties validates the free-form extra properties (those
// without a named option: effective has moved the others).
func (s Settings) checkServerProperties(ps *validation.Problems) {
	keys := make([]string, 0, len(s.ServerProperties))
	for k := range s.ServerProperties {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if ps.Full() {
			ps.LeftOut()
			return
		}
		field := "server_properties." + k
		v := s.ServerProperties[k]
		switch {
		case len(k) > MaxPropertyKeyLength:
			ps.Addf("server_properties", k, "keys must be at most %d characters long; this one has %d", MaxPropertyKeyLength, len(k))
		case !propertyKeyPattern.MatchString(k):
			ps.Add("server_properties", k, "keys must be Kafka property names: letters, digits, '.', '_' and '-', starting with a letter or digit")
		case ownedKeys[k] != "":
			ps.Add(field, redact(k, v), ownedKeys[k]+"; remove it from server_properties")
		case strings.TrimSpace(v) == "":
			ps.Add(field, "", "must not be empty; remove the key to use Kafka's default")
		case hasControlCharacter(v):
			ps.Add(field, redact(k, v), "must be a single line without control characters")
		}
	}
}

// namedKeys maps each Kafka property that has a named option to the
// option's JSON name.
func (s Settings) namedKeys() map[string]string {
	opts := s.options()
	m := make(map[string]string, len(opts))
	for _, o := range opts {
		m[o.key] = o.json
	}
	return m
}

func hasControlCharacter(v string) bool {
	for _, r := range v {
		if r < 0x20 && r != '\t' || r == 0x7f {
			return true
		}
	}
	return false
}

// sensitiveKeyParts mark properties whose values are secrets; their values
// are never echoed in a validation problem.
var sensitiveKeyParts = []string{"password", "secret", "jaas", "credential", "token", "key"}

func redact(key, value string) string {
	lower := strings.ToLower(key)
	for _, part := range sensitiveKeyParts {
		if strings.Contains(lower, part) {
			return "(redacted)"
		}
	}
	return value
}

var zkHostPattern = regexp.MustCompile(`^[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?$`)

// zookeeperConnectRule checks a ZooKeeper connect string
// (host:port[,host:port...][/chroot]) and returns the broken rule, or "".
func zookeeperConnectRule(s string) string {
	const rule = `must be host:port[,host:port...][/chroot], for example "zk-1:2181,zk-2:2181/kafka"`
	hosts, chroot := s, ""
	if i := strings.Index(s, "/"); i >= 0 {
		hosts, chroot = s[:i], s[i:]
	}
	if hosts == "" {
		return rule
	}
	for _, hp := range strings.Split(hosts, ",") {
		host, port, err := net.SplitHostPort(hp)
		if err != nil {
			return rule
		}
		if net.ParseIP(host) == nil && !zkHostPattern.MatchString(host) {
			return rule
		}
		if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
			return rule
		}
	}
	if chroot != "" {
		if chroot == "/" || strings.HasSuffix(chroot, "/") || strings.Contains(chroot, "//") || strings.ContainsAny(chroot, " \t\r\n") {
			return fmt.Sprintf("has an invalid chroot %q: it must be /name[/name...] without a trailing slash", chroot)
		}
	}
	return ""
}
