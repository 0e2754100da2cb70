package brokerconfig

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/validation"
)

// decodeSection decodes a kafka section over the defaults the way the spec
// package does: strict about unknown keys.
func decodeSection(t *testing.T, raw string) (Settings, error) {
	t.Helper()
	s := DefaultSettings()
	dec := json.NewDecoder(strings.NewReader(raw))
	dec.DisallowUnknownFields()
	err := dec.Decode(&s)
	return s, err
}

// dcosDefaults reads the kafka section defaults of DC/OS Kafka's
// universe/config.json (mesosphere/dcos-commons, frameworks/kafka).
func dcosDefaults(t *testing.T) map[string]json.RawMessage {
	t.Helper()
	data, err := os.ReadFile("testdata/dcos-kafka-defaults.json")
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Kafka map[string]json.RawMessage `json:"kafka"`
	}
	if err := json.Unmarshal(data, &doc); err != nil {
		t.Fatal(err)
	}
	return doc.Kafka
}

// The options DC/OS documents without a default (rendered only when set).
var dcosOptionalOptions = []string{"log_flush_interval_ms", "log_retention_ms", "log_retention_minutes", "log_roll_ms", "log_roll_jitter_ms"}

func TestSettingsAcceptEveryDCOSOptionName(t *testing.T) {
	defaults := dcosDefaults(t)
	section := map[string]any{}
	for name, raw := range defaults {
		section[name] = raw
	}
	for i, name := range dcosOptionalOptions {
		section[name] = 1000 + i
	}
	raw, err := json.Marshal(section)
	if err != nil {
		t.Fatal(err)
	}
	s, err := decodeSection(t, string(raw))
	if err != nil {
		t.Fatalf("a DC/OS options file with every kafka option must decode: %v", err)
	}
	if s.LogRetentionMs == nil || *s.LogRetentionMs != 1001 {
		t.Errorf("log_retention_ms = %v, want 1001", s.LogRetentionMs)
	}
}

func TestDefaultSettingsAreDCOSDefaultsExceptDocumentedDepartures(t *testing.T) {
	departures := map[string]string{
		// A stock Kafka distribution has no StatsD reporter jars.
		"kafka_metrics_reporters": `""`,
		"metric_reporters":        `""`,
		// Empty means the broker's own version.
		"inter_broker_protocol_version": `""`,
		"log_message_format_version":    `""`,
		// Kafka's own default since 1.0; DC/OS's false predates it.
		"delete_topic_enable": `true`,
	}
	got, err := json.Marshal(DefaultSettings())
	if err != nil {
		t.Fatal(err)
	}
	var ours map[string]json.RawMessage
	if err := json.Unmarshal(got, &ours); err != nil {
		t.Fatal(err)
	}
	for name, theirs := range dcosDefaults(t) {
		want := string(theirs)
		if d, ok := departures[name]; ok {
			want = d
		}
		if normalizeJSON(t, ours[name]) != normalizeJSON(t, json.RawMessage(want)) {
			t.Errorf("%s: default %s, DC/OS default %s", name, ours[name], want)
		}
	}
	for _, name := range dcosOptionalOptions {
		if _, ok := ours[name]; ok {
			t.Errorf("%s has no DC/OS default and must be unset by default", name)
		}
	}
	if ps := DefaultSettings().Validate(); len(ps) != 0 {
		t.Fatalf("defaults must be valid: %v", ps)
	}
}

func normalizeJSON(t *testing.T, raw json.RawMessage) string {
	t.Helper()
	var v any
	if err := json.Unmarshal(raw, &v); err != nil {
		t.Fatalf("%s: %v", raw, err)
	}
	out, _ := json.Marshal(v)
	return string(out)
}

func TestUnknownKeyInSectionIsAnError(t *testing.T) {
	_, err := decodeSection(t, `{"num_partitions": 3, "num_partition": 4}`)
	if err == nil || !strings.Contains(err.Error(), "num_partition") {
		t.Fatalf("unknown key must be rejected by name, got %v", err)
	}
}

func TestEveryOptionIsAStructFieldWithTheSameJSONName(t *testing.T) {
	tags := map[string]bool{}
	st := reflect.TypeOf(Settings{})
	for i := 0; i < st.NumField(); i++ {
		name, _, _ := strings.Cut(st.Field(i).Tag.Get("json"), ",")
		tags[name] = true
	}
	s := DefaultSettings()
	seenKeys := map[string]bool{}
	for _, o := range s.options() {
		if !tags[o.json] {
			t.Errorf("option %q has no struct field with that JSON name", o.json)
		}
		if seenKeys[o.key] {
			t.Errorf("Kafka key %q is rendered by two options", o.key)
		}
		seenKeys[o.key] = true
		delete(tags, o.json)
	}
	for _, notRendered := range []string{"kafka_zookeeper_uri", "kafka_advertise_host_ip", "server_properties"} {
		delete(tags, notRendered)
	}
	if len(tags) != 0 {
		t.Errorf("struct fields that are never rendered or validated: %v", tags)
	}
}

func TestValidateReportsEveryProblemWithFieldValueAndRule(t *testing.T) {
	s := DefaultSettings()
	s.NumPartitions = 0
	s.CompressionType = "brotli"
	s.LogRetentionBytes = "lots"
	s.LogCleanupPolicy = "delete,archive"
	s.LogCleanerMinCleanableRatio = 1.5
	s.OffsetsTopicReplicationFactor = 40000
	s.InterBrokerProtocolVersion = "latest"
	s.KafkaZookeeperURI = "zk-1:notaport"
	zero := 0
	s.LogRetentionMinutes = &zero

	ps := s.Validate()
	want := map[string]string{
		"num_partitions":                   "must be at least 1",
		"compression_type":                 "must be one of producer, uncompressed, gzip, snappy, lz4, zstd",
		"log_retention_bytes":              "must be a whole number",
		"log_cleanup_policy":               `"delete" and "compact"`,
		"log_cleaner_min_cleanable_ratio":  "between 0 and 1",
		"offsets_topic_replication_factor": "between 1 and 32767",
		"inter_broker_protocol_version":    "Kafka version",
		"kafka_zookeeper_uri":              "host:port",
		"log_retention_minutes":            "-1 (unlimited) or at least 1",
	}
	got := map[string]validation.Problem{}
	for _, p := range ps {
		got[p.Field] = p
	}
	for field, rule := range want {
		p, ok := got[field]
		if !ok {
			t.Errorf("no problem reported for %s; got %v", field, ps)
			continue
		}
		if !strings.Contains(p.Rule, rule) {
			t.Errorf("%s rule = %q, want it to contain %q", field, p.Rule, rule)
		}
		if p.Value == "" {
			t.Errorf("%s: the problem must echo the value given", field)
		}
	}
	if len(ps) != len(want) {
		t.Errorf("got %d problems, want %d: %v", len(ps), len(want), ps)
	}
}

func TestValidateCrossFieldRulesKafkaEnforcesAtStartup(t *testing.T) {
	s := DefaultSettings()
	s.ReplicaFetchWaitMaxMs = 40000 // above socket timeout 30000 and lag time 10000
	s.OffsetsCommitRequiredAcks = 5 // above offsets topic RF 3
	s.LogCleanerDedupeBufferSize = 1024
	s.QueuedMaxRequestBytes = 10
	s.GroupMinSessionTimeoutMs = 400000
	fields := map[string]int{}
	for _, p := range s.Validate() {
		fields[p.Field]++
	}
	want := map[string]int{
		"replica_fetch_wait_max_ms":      2,
		"offsets_commit_required_acks":   1,
		"log_cleaner_dedupe_buffer_size": 1,
		"queued_max_request_bytes":       1,
		"group_min_session_timeout_ms":   1,
	}
	if !reflect.DeepEqual(fields, want) {
		t.Errorf("problems by field = %v, want %v", fields, want)
	}
}

func TestServerPropertiesCannotOverrideSchedulerOwnedKeys(t *testing.T) {
	for _, key := range OwnedKeys() {
		t.Run(key, func(t *testing.T) {
			s := DefaultSettings()
			s.ServerProperties = map[string]string{key: "x", "num.replica.alter.log.dirs.threads": "2"}
			out, err := Render(s, validBroker())
			if err == nil {
				t.Fatalf("overriding %s must fail, rendered:\n%s", key, out)
			}
			var ps validation.Problems
			if !errors.As(err, &ps) || len(ps) != 1 || ps[0].Field != "kafka.server_properties."+key {
				t.Fatalf("want one problem naming kafka.server_properties.%s, got %v", key, err)
			}
			if out != nil {
				t.Fatal("nothing may be rendered when validation fails")
			}
		})
	}
}

func TestServerPropertiesWithANamedOptionSetTheOption(t *testing.T) {
	s := DefaultSettings()
	s.ServerProperties = map[string]string{
		"num.partitions":                     "6",
		"auto.create.topics.enable":          "FALSE",
		"log.retention.ms":                   "3600000", // an optional (pointer) option
		"log.cleaner.min.cleanable.ratio":    "0.25",
		"compression.type":                   "lz4",
		"num.replica.alter.log.dirs.threads": "2", // no named option: stays extra
	}
	if ps := s.Validate(); len(ps) > 0 {
		t.Fatalf("raw keys of named options must be accepted: %v", ps)
	}
	out, err := Render(s, validBroker())
	if err != nil {
		t.Fatal(err)
	}
	props, err := Parse(out)
	if err != nil {
		t.Fatal(err)
	}
	for k, want := range map[string]string{
		"num.partitions": "6", "auto.create.topics.enable": "false", "log.retention.ms": "3600000",
		"log.cleaner.min.cleanable.ratio": "0.25", "compression.type": "lz4", "num.replica.alter.log.dirs.threads": "2",
	} {
		if props[k] != want {
			t.Errorf("%s = %q, want %q", k, props[k], want)
		}
		if n := strings.Count(string(out), "\n"+k+"="); n != 1 {
			t.Errorf("%s is rendered %d times, want once:\n%s", k, n, out)
		}
	}
	if s.ServerProperties["num.partitions"] != "6" {
		t.Error("Validate and Render must not change the caller's server_properties")
	}
}

func TestServerPropertiesWithANamedOptionFollowItsRules(t *testing.T) {
	s := DefaultSettings()
	s.ServerProperties = map[string]string{
		"num.partitions":            "many",
		"auto.create.topics.enable": "yes",
		"min.insync.replicas":       "0",
		"compression.type":          "brotli",
	}
	ps := s.Validate()
	fields := map[string]string{}
	for _, p := range ps {
		fields[p.Field] = p.Rule
	}
	for _, k := range []string{"num.partitions", "auto.create.topics.enable", "min.insync.replicas", "compression.type"} {
		if fields["server_properties."+k] == "" {
			t.Errorf("no problem names server_properties.%s: %v", k, ps)
		}
	}
	if !strings.Contains(fields["server_properties.num.partitions"], "whole number") || !strings.Contains(fields["server_properties.num.partitions"], `"num_partitions"`) {
		t.Errorf("the parse problem must say what the value must be and which option it sets: %q", fields["server_properties.num.partitions"])
	}
	if len(ps) != 4 {
		t.Errorf("want exactly 4 problems, got %v", ps)
	}
}

func TestServerPropertiesProblemsNeverEchoSecrets(t *testing.T) {
	s := DefaultSettings()
	s.ServerProperties = map[string]string{
		"ssl.keystore.password": "hunter2\nx",
		"sasl.jaas.config":      "org.apache.kafka.common.security.plain.PlainLoginModule required password=\"hunter2\";\x00",
		"bad key":               "v",
	}
	ps := s.Validate()
	if len(ps) != 3 {
		t.Fatalf("want 3 problems, got %v", ps)
	}
	if strings.Contains(ps.Error(), "hunter2") {
		t.Fatalf("a secret leaked into a validation error: %v", ps)
	}
}

func TestZookeeperConnectRule(t *testing.T) {
	valid := []string{"zk:2181", "zk-1:2181,zk-2:2181,10.0.0.3:2181/dcos-service-kafka", "[::1]:2181/a/b", "master.mesos:2181/dcos-service-kafka"}
	invalid := []string{"", "zk", "zk:0", "zk:2181/", "zk:2181//a", ":2181", "zk:2181,", "zk 1:2181", "/chroot"}
	for _, v := range valid {
		if r := zookeeperConnectRule(v); r != "" {
			t.Errorf("%q must be valid, got %q", v, r)
		}
	}
	for _, v := range invalid {
		if zookeeperConnectRule(v) == "" {
			t.Errorf("%q must be invalid", v)
		}
	}
}

func TestOwnedKeysAreTheBriefsList(t *testing.T) {
	want := []string{"advertised.listeners", "broker.id", "listeners", "log.dirs", "node.id", "process.roles", "zookeeper.connect"}
	got := OwnedKeys()
	sort.Strings(want)
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("owned keys = %v, want %v", got, want)
	}
}

func TestSettingsRoundTripThroughJSON(t *testing.T) {
	s := DefaultSettings()
	s.ServerProperties = map[string]string{"log.message.timestamp.type": "LogAppendTime"}
	ms := int64(3600000)
	s.LogRetentionMs = &ms
	raw, err := json.Marshal(s)
	if err != nil {
		t.Fatal(err)
	}
	var back Settings
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&back); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(s, back) {
		t.Fatalf("round trip changed the settings:\n%+v\n%+v", s, back)
	}
}
