package topicconfig

import (
	"strings"
	"testing"
)

func TestValidateChecksTypesAndRules(t *testing.T) {
	valid := map[string]string{
		"cleanup.policy": "compact,delete", "compression.type": "zstd", "compression.gzip.level": "-1",
		"retention.ms": "-1", "retention.bytes": "-1", "min.insync.replicas": "2", "preallocate": "true",
		"min.cleanable.dirty.ratio": "0.25", "leader.replication.throttled.replicas": "0:1,1:2", "segment.bytes": "14",
		"message.timestamp.type": "LogAppendTime",
	}
	if ps := Validate(valid); len(ps) != 0 {
		t.Fatalf("valid configs reported: %v", ps)
	}
	invalid := map[string]string{
		"cleanup.policy":                          "archive",
		"compression.type":                        "brotli",
		"compression.gzip.level":                  "0",
		"retention.ms":                            "-2",
		"min.insync.replicas":                     "0",
		"preallocate":                             "yes",
		"segment.bytes":                           "2147483648",
		"follower.replication.throttled.replicas": "all",
		"message.timestamp.type":                  "Now",
		"min.cleanable.dirty.ratio":               "1.5",
		"not.a.config":                            "1",
	}
	ps := Validate(invalid)
	if len(ps) != len(invalid) {
		t.Fatalf("got %d problems for %d invalid entries: %v", len(ps), len(invalid), ps)
	}
	for i := 1; i < len(ps); i++ {
		if ps[i-1].Key > ps[i].Key {
			t.Fatal("problems must be sorted by key")
		}
	}
}

func TestBrokerKeysPointAtTheirTopicConfig(t *testing.T) {
	ps := Validate(map[string]string{"log.retention.ms": "1", "message.max.bytes": "100"})
	for _, p := range ps {
		if !strings.Contains(p.Rule, "broker property") {
			t.Errorf("%s: %q should explain it is a broker property", p.Key, p.Rule)
		}
	}
	if len(ps) != 2 {
		t.Fatalf("want 2 problems, got %v", ps)
	}
}

func TestNameRule(t *testing.T) {
	for _, ok := range []string{"a", "orders.v1", "A_b-C", strings.Repeat("x", MaxNameLength)} {
		if r := NameRule(ok); r != "" {
			t.Errorf("%q: %s", ok, r)
		}
	}
	for _, bad := range []string{"", ".", "..", "a b", "ä", "a/b", strings.Repeat("x", MaxNameLength+1)} {
		if NameRule(bad) == "" {
			t.Errorf("%q must be invalid", bad)
		}
	}
	if !Collides("a.b", "a_b") || Collides("a.b", "a.b") || Collides("ab", "a_b") {
		t.Error("Collides must match Kafka's '.'/'_' rule")
	}
}

func TestKeysAreSortedAndTyped(t *testing.T) {
	ks := Keys()
	for i, k := range ks {
		if i > 0 && ks[i-1].Name >= k.Name {
			t.Fatal("Keys must be sorted and unique")
		}
		if r := k.Check(k.Default); r != "" && k.Default != "" {
			t.Errorf("%s: Kafka's default %q fails its own rule: %s", k.Name, k.Default, r)
		}
	}
}
