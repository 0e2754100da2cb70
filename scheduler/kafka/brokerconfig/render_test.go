package brokerconfig

import (
	"bytes"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/validation"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

func validBroker() Broker {
	return Broker{
		ID:               0,
		ListenHost:       "10.0.1.7",
		AdvertisedHost:   "kafka-0-broker.kafka.autoip.dcos.thisdcos.directory",
		Port:             1025,
		LogDir:           "kafka-broker-data/broker-0",
		ZookeeperConnect: "master.mesos:2181/dcos-service-kafka",
	}
}

func customisedSettings() Settings {
	s := DefaultSettings()
	s.KafkaZookeeperURI = "zk-1.example.com:2181,zk-2.example.com:2181/kafka/prod"
	s.DeleteTopicEnable = true
	s.NumPartitions = 6
	s.DefaultReplicationFactor = 3
	s.MinInsyncReplicas = 2
	s.CompressionType = "zstd"
	s.LogCleanupPolicy = "compact,delete"
	s.InterBrokerProtocolVersion = "3.9"
	s.LogMessageFormatVersion = "3.0-IV1"
	s.MaxConnectionsPerIPOverrides = "10.0.0.1:200,monitor:50"
	retention, roll := int64(86400000), int64(3600000)
	minutes := 720
	s.LogRetentionMs = &retention
	s.LogRetentionMinutes = &minutes
	s.LogRollMs = &roll
	s.ServerProperties = map[string]string{
		"log.message.timestamp.type":      "LogAppendTime",
		"zookeeper.connection.timeout.ms": "18000",
		"ssl.principal.mapping.rules":     `RULE:^CN=(.*?),OU=Kafka$/$1/L,DEFAULT`,
		"custom.unicode.greeting":         "grüß dich ☃",
		"custom.leading.space":            ` kept\as is`,
	}
	return s
}

func TestRenderGolden(t *testing.T) {
	cases := []struct {
		name     string
		settings Settings
		broker   Broker
	}{
		{"defaults", DefaultSettings(), validBroker()},
		{"customised", customisedSettings(), Broker{
			ID: 2, ListenHost: "", AdvertisedHost: "fd00::12", Port: 9092,
			LogDir: "/var/lib/mesos/volumes/kafka-broker-data/broker-2", ZookeeperConnect: "ignored:2181",
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Render(tc.settings, tc.broker)
			if err != nil {
				t.Fatal(err)
			}
			golden := filepath.Join("testdata", tc.name+".properties")
			if *update {
				if err := os.WriteFile(golden, got, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run go test -update to create it)", err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("rendered output differs from %s (run go test -update after checking the change):\n%s", golden, got)
			}
			again, _ := Render(tc.settings, tc.broker)
			if !bytes.Equal(got, again) {
				t.Error("rendering is not deterministic")
			}
		})
	}
}

func TestRenderedFileParsesBackToTheIntendedProperties(t *testing.T) {
	s := customisedSettings()
	b := Broker{ID: 2, ListenHost: "", AdvertisedHost: "fd00::12", Port: 9092, LogDir: "/data/broker-2", ZookeeperConnect: "ignored:2181"}
	out, err := Render(s, b)
	if err != nil {
		t.Fatal(err)
	}
	props, err := Parse(out)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"broker.id":                           "2",
		"listeners":                           "PLAINTEXT://:9092",
		"advertised.listeners":                "PLAINTEXT://[fd00::12]:9092",
		"log.dirs":                            "/data/broker-2",
		"zookeeper.connect":                   "zk-1.example.com:2181,zk-2.example.com:2181/kafka/prod",
		"zookeeper.connection.timeout.ms":     "18000",
		"num.partitions":                      "6",
		"log.retention.ms":                    "86400000",
		"log.retention.minutes":               "720",
		"log.roll.ms":                         "3600000",
		"log.cleaner.io.max.bytes.per.second": "1.7976931348623157e+308",
		"custom.unicode.greeting":             "grüß dich ☃",
		"custom.leading.space":                `kept\as is`,
		"ssl.principal.mapping.rules":         `RULE:^CN=(.*?),OU=Kafka$/$1/L,DEFAULT`,
	}
	for k, v := range want {
		if props[k] != v {
			t.Errorf("%s = %q, want %q", k, props[k], v)
		}
	}
	for _, unset := range []string{"log.flush.interval.ms", "log.roll.jitter.ms", "metric.reporters", "kafka.metrics.reporters"} {
		if _, ok := props[unset]; ok {
			t.Errorf("%s is unset and must not be rendered", unset)
		}
	}
	if strings.Count(string(out), "zookeeper.connection.timeout.ms=") != 1 {
		t.Error("an overridden fixed property must be rendered exactly once")
	}
	for _, c := range out {
		if c > 0x7e {
			t.Fatalf("Kafka reads server.properties as ISO-8859-1: output must be ASCII, found %q", c)
		}
	}
}

func TestRenderUsesTheServiceZnodeUnlessAnAlternateZookeeperIsSet(t *testing.T) {
	out, err := Render(DefaultSettings(), validBroker())
	if err != nil {
		t.Fatal(err)
	}
	props, _ := Parse(out)
	if props["zookeeper.connect"] != "master.mesos:2181/dcos-service-kafka" {
		t.Errorf("zookeeper.connect = %q", props["zookeeper.connect"])
	}
}

func TestRenderRejectsInvalidBrokerValuesAllAtOnce(t *testing.T) {
	s := DefaultSettings()
	b := Broker{ID: 1001, ListenHost: "bad host", AdvertisedHost: "0.0.0.0", Port: 70000, LogDir: "a,b", ZookeeperConnect: ""}
	out, err := Render(s, b)
	if out != nil || err == nil {
		t.Fatal("invalid broker values must not render")
	}
	var ps validation.Problems
	if !errors.As(err, &ps) {
		t.Fatalf("want validation.Problems, got %T", err)
	}
	fields := map[string]bool{}
	for _, p := range ps {
		fields[p.Field] = true
	}
	for _, f := range []string{"broker.id", "broker.listen_host", "broker.advertised_host", "broker.port", "broker.log_dir", "broker.zookeeper_connect"} {
		if !fields[f] {
			t.Errorf("no problem for %s in %v", f, ps)
		}
	}
}

func TestRenderPrefixesSettingsProblemsWithTheSectionName(t *testing.T) {
	s := DefaultSettings()
	s.NumPartitions = -3
	_, err := Render(s, validBroker())
	var ps validation.Problems
	if !errors.As(err, &ps) || len(ps) != 1 || ps[0].Field != "kafka.num_partitions" {
		t.Fatalf("want kafka.num_partitions, got %v", err)
	}
}

func TestParseJavaPropertiesSyntax(t *testing.T) {
	input := "# comment\n" +
		"! another comment\n" +
		"   \n" +
		"plain=value\n" +
		"  indented : colon separated  \n" +
		"spaced value with spaces\n" +
		"continued = first \\\n" +
		"     second\n" +
		"escaped\\=key=a\\tb\\u00e9\\\\\n" +
		"empty=\n" +
		"plain=later wins\r\n" +
		"surrogate=\\uD83D\\uDE00\n" +
		"latin1=caf\xe9\n"
	props, err := Parse([]byte(input))
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"plain":       "later wins",
		"indented":    "colon separated  ",
		"spaced":      "value with spaces",
		"continued":   "first second",
		"escaped=key": "a\tbé\\",
		"empty":       "",
		"surrogate":   "😀",
		"latin1":      "café",
	}
	if len(props) != len(want) {
		t.Errorf("got %d properties, want %d: %q", len(props), len(want), props)
	}
	for k, v := range want {
		if props[k] != v {
			t.Errorf("%q = %q, want %q", k, props[k], v)
		}
	}
}

func TestParseReportsTheLineOfAMalformedEscape(t *testing.T) {
	_, err := Parse([]byte("a=1\nb=\\u12\n"))
	if err == nil || !strings.Contains(err.Error(), "line 2") {
		t.Fatalf("want an error naming line 2, got %v", err)
	}
}
