package brokerconfig

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/validation"
)

func problemFields(ps validation.Problems) []string {
	var out []string
	for _, p := range ps {
		out = append(out, p.Field)
	}
	return out
}

func TestServerPropertiesAreBounded(t *testing.T) {
	many := DefaultSettings()
	many.ServerProperties = map[string]string{}
	for i := range MaxServerProperties + 1 {
		many.ServerProperties[fmt.Sprintf("custom.p%04d", i)] = "v"
	}
	ps := many.Validate()
	if len(ps) != 1 || ps[0].Field != "server_properties" || !strings.Contains(ps[0].Rule, "at most 1000 keys") {
		t.Errorf("1001 keys: %v", ps)
	}

	longKey := DefaultSettings()
	longKey.ServerProperties = map[string]string{"custom." + strings.Repeat("k", MaxPropertyKeyLength): "v"}
	ps = longKey.Validate()
	if len(ps) != 1 || !strings.Contains(ps[0].Rule, "at most 255 characters") || len(ps[0].Value) > validation.MaxValueLength {
		t.Errorf("a 262-character key: %v", ps)
	}

	longString := DefaultSettings()
	longString.MaxConnectionsPerIPOverrides = strings.Repeat("h", MaxStringLength) + ":1"
	longString.LogRetentionBytes = strings.Repeat("1", MaxStringLength+1)
	longString.KafkaZookeeperURI = strings.Repeat("z", MaxStringLength+1)
	ps = longString.Validate()
	if got := strings.Join(problemFields(ps), ","); got != "log_retention_bytes,max_connections_per_ip_overrides,kafka_zookeeper_uri" {
		t.Errorf("long strings: %v", ps)
	}
	for _, p := range ps {
		if !strings.Contains(p.Rule, "at most 4096 bytes") {
			t.Errorf("%s: rule %q does not name the limit", p.Field, p.Rule)
		}
	}
}

// TestA200000ByteValueRendersWithinTheLimit is issue 15's fault 3: a
// 200,000-byte server_properties value is accepted and rendered (the
// delivery to the broker is spec's concern, and its test).
func TestA200000ByteValueRendersWithinTheLimit(t *testing.T) {
	s := DefaultSettings()
	s.ServerProperties = map[string]string{"ssl.truststore.certificates": strings.Repeat("A", 200_000)}
	if ps := s.Validate(); len(ps) > 0 {
		t.Fatalf("a 200,000-byte value must be accepted: %v", ps)
	}
	out, err := Render(s, validBroker())
	if err != nil {
		t.Fatal(err)
	}
	if len(out) > MaxServerPropertiesBytes {
		t.Fatalf("rendered %d bytes", len(out))
	}
	parsed, err := Parse(out)
	if err != nil || len(parsed["ssl.truststore.certificates"]) != 200_000 {
		t.Fatalf("the value did not survive rendering: %d bytes, %v", len(parsed["ssl.truststore.certificates"]), err)
	}
}

func TestRenderedSizeOverTheLimitIsRefused(t *testing.T) {
	s := DefaultSettings()
	// Non-ASCII is written as \uXXXX: 6 bytes per character in the file,
	// so a value that looks small can render large; the bound counts the
	// file as written.
	s.ServerProperties = map[string]string{"custom.greeting": strings.Repeat("☃", 50_000)}
	ps := s.Validate()
	if len(ps) != 1 || ps[0].Field != "server_properties" {
		t.Fatalf("problems = %v", ps)
	}
	for _, want := range []string{fmt.Sprint(s.renderedSettingsSize()), "245760", "262144", "16384"} {
		if !strings.Contains(ps[0].Rule, want) {
			t.Errorf("rule %q does not name %s", ps[0].Rule, want)
		}
	}
	if _, err := Render(s, validBroker()); !errors.As(err, new(validation.Problems)) {
		t.Errorf("Render must refuse it too: %v", err)
	}
}

// TestReservedBytesCoverTheLargestBroker shows that settings just under
// their budget and a broker whose own values are as long as Validate lets
// them be still render within MaxServerPropertiesBytes.
func TestReservedBytesCoverTheLargestBroker(t *testing.T) {
	s := DefaultSettings()
	s.ReservedBrokerMaxID = maxInt32 - 1
	s.ServerProperties = map[string]string{"custom.filler": "x"}
	pad := settingsBudget - s.renderedSettingsSize()
	s.ServerProperties["custom.filler"] = strings.Repeat("x", pad+1)
	if ps := s.Validate(); len(ps) > 0 {
		t.Fatalf("settings of exactly the budget must be valid: %v", ps)
	}
	host := strings.Repeat("h", 63) + "." + strings.Repeat("h", 63) + "." + strings.Repeat("h", 63) + "." + strings.Repeat("h", 61)
	b := Broker{
		ID: maxInt32 - 1, ListenHost: host, AdvertisedHost: host, Port: 65535,
		LogDir:           "/" + strings.Repeat("d", MaxLogDirLength-1),
		ZookeeperConnect: strings.Repeat("z", MaxZookeeperConnectLength-len(":2181/x")) + ":2181/x",
	}
	out, err := Render(s, b)
	if err != nil {
		t.Fatal(err)
	}
	if len(out) > MaxServerPropertiesBytes {
		t.Fatalf("rendered %d bytes, over %d", len(out), MaxServerPropertiesBytes)
	}
	s.ServerProperties["custom.filler"] += "x"
	if ps := s.Validate(); len(ps) != 1 {
		t.Fatalf("one byte over the budget: %v", ps)
	}
}

func TestBrokerValuesAreBounded(t *testing.T) {
	b := validBroker()
	b.AdvertisedHost = strings.Repeat("a", MaxHostLength+1)
	b.ListenHost = strings.Repeat("a", MaxHostLength+1)
	b.LogDir = strings.Repeat("d", MaxLogDirLength+1)
	b.ZookeeperConnect = strings.Repeat("z", MaxZookeeperConnectLength+1)
	ps := b.Validate(DefaultSettings())
	if got := strings.Join(problemFields(ps), ","); got != "broker.listen_host,broker.advertised_host,broker.log_dir,broker.zookeeper_connect" {
		t.Errorf("problems = %v", ps)
	}
}

func BenchmarkValidateLargeServerProperties(b *testing.B) {
	s := DefaultSettings()
	s.ServerProperties = map[string]string{}
	for i := range MaxServerProperties {
		s.ServerProperties[fmt.Sprintf("custom.p%04d", i)] = strings.Repeat("v", 200)
	}
	b.ReportAllocs()
	for b.Loop() {
		if ps := s.Validate(); len(ps) > 0 {
			b.Fatal(ps)
		}
	}
	b.ReportMetric(float64(s.renderedSettingsSize()), "rendered-bytes")
}
