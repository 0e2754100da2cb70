package spec

import (
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/validation"
)

var testEnv = Environment{ZookeeperConnect: "zk-1:2181,zk-2:2181"}

func mustParse(t *testing.T, body string) ServiceSpec {
	t.Helper()
	s, err := Parse([]byte(body), DefaultOptions(), testEnv)
	if err != nil {
		t.Fatalf("Parse(%s): %v", body, err)
	}
	return s
}

func problemsOf(t *testing.T, err error) validation.Problems {
	t.Helper()
	if err == nil {
		return nil
	}
	var ps validation.Problems
	if !errors.As(err, &ps) {
		t.Fatalf("error %T (%v) is not validation.Problems", err, err)
	}
	return ps
}

func TestDefaultsAreDCOSDefaults(t *testing.T) {
	o := DefaultOptions()
	s := o.Service
	if s.Name != "kafka" || s.User != "nobody" || s.DeployStrategy != "serial" || s.Region != "" || s.PlacementStrategy != "" {
		t.Errorf("service defaults = %+v", s)
	}
	if s.PlacementConstraint != `[["hostname", "MAX_PER", "1"]]` {
		t.Errorf("placement_constraint default = %s", s.PlacementConstraint)
	}
	if s.ReadinessCheck != (ReadinessCheckOptions{IntervalSeconds: 60, DelaySeconds: 0, TimeoutSeconds: 120}) {
		t.Errorf("readiness_check defaults = %+v", s.ReadinessCheck)
	}
	wantHealth := HealthCheckOptions{Enabled: false, Method: "PORT", IntervalSeconds: 60, DelaySeconds: 20, TimeoutSeconds: 60,
		GracePeriodSeconds: 30, MaxConsecutiveFailures: 3, TopicPrefix: "KafkaHealthCheck"}
	if s.HealthCheck != wantHealth {
		t.Errorf("health_check defaults = %+v", s.HealthCheck)
	}
	b := o.Brokers
	wantBrokers := BrokerOptions{Count: 3, CPUs: 1, Mem: 2048, Heap: HeapOptions{Size: 512}, Disk: 5000, DiskType: "ROOT",
		DiskPath: "kafka-broker-data", Port: 0, KillGracePeriod: 30,
		KafkaURI: DefaultKafkaURI, KafkaVersionPath: DefaultKafkaVersionPath}
	if b != wantBrokers {
		t.Errorf("brokers defaults = %+v, want %+v", b, wantBrokers)
	}
	if ps := o.Validate(); len(ps) > 0 {
		t.Errorf("the defaults must be valid: %v", ps)
	}
}

func TestParseDerivesIdentity(t *testing.T) {
	tests := []struct {
		body                         string
		name, role, principal, znode string
		zk                           string
		placement                    string
	}{
		{`{}`, "kafka", "kafka-role", "kafka-principal", "/dcos-service-kafka", "zk-1:2181,zk-2:2181/dcos-service-kafka", `[["hostname","MAX_PER","1"]]`},
		{``, "kafka", "kafka-role", "kafka-principal", "/dcos-service-kafka", "zk-1:2181,zk-2:2181/dcos-service-kafka", `[["hostname","MAX_PER","1"]]`},
		{`{"service":{"name":"prod/kafka-a"}}`, "prod/kafka-a", "prod__kafka-a-role", "prod__kafka-a-principal", "/dcos-service-prod__kafka-a",
			"zk-1:2181,zk-2:2181/dcos-service-prod__kafka-a", `[["hostname","MAX_PER","1"]]`},
		{`{"kafka":{"kafka_zookeeper_uri":"other:2181/kafka"}}`, "kafka", "kafka-role", "kafka-principal", "/dcos-service-kafka", "other:2181/kafka", `[["hostname","MAX_PER","1"]]`},
		{`{"service":{"placement_strategy":"NODE"}}`, "kafka", "kafka-role", "kafka-principal", "/dcos-service-kafka", "zk-1:2181,zk-2:2181/dcos-service-kafka", `[["hostname","UNIQUE"]]`},
		{`{"service":{"placement_strategy":"ANY"}}`, "kafka", "kafka-role", "kafka-principal", "/dcos-service-kafka", "zk-1:2181,zk-2:2181/dcos-service-kafka", ``},
		{`{"service":{"placement_constraint":"","region":"us-east-1"}}`, "kafka", "kafka-role", "kafka-principal", "/dcos-service-kafka", "zk-1:2181,zk-2:2181/dcos-service-kafka", `[["@region","IS","us-east-1"]]`},
		{`{"service":{"placement_constraint":"@zone:GROUP_BY:3"}}`, "kafka", "kafka-role", "kafka-principal", "/dcos-service-kafka", "zk-1:2181,zk-2:2181/dcos-service-kafka", `[["@zone","GROUP_BY","3"]]`},
	}
	for _, tt := range tests {
		t.Run(tt.body, func(t *testing.T) {
			s := mustParse(t, tt.body)
			if s.Name != tt.name || s.Role != tt.role || s.Principal != tt.principal || s.ZNode != tt.znode {
				t.Errorf("identity = %q %q %q %q", s.Name, s.Role, s.Principal, s.ZNode)
			}
			if s.KafkaZookeeperURI != tt.zk {
				t.Errorf("KafkaZookeeperURI = %q, want %q", s.KafkaZookeeperURI, tt.zk)
			}
			if got := s.Placement.String(); got != tt.placement {
				t.Errorf("placement = %s, want %s", got, tt.placement)
			}
		})
	}
}

func TestCanaryAliasBecomesSerialCanary(t *testing.T) {
	s := mustParse(t, `{"service":{"deploy_strategy":"canary"}}`)
	if s.DeployStrategy != "serial-canary" {
		t.Fatalf("DeployStrategy = %q", s.DeployStrategy)
	}
	if s.Options.Service.DeployStrategy != "canary" {
		t.Fatalf("the options keep what the operator wrote, got %q", s.Options.Service.DeployStrategy)
	}
}

// p is a compact problem literal for the tables below.
func p(field, value, rule string) validation.Problem {
	return validation.Problem{Field: field, Value: value, Rule: rule}
}

func TestValidationRules(t *testing.T) {
	long := strings.Repeat("a", 64)
	tests := []struct {
		name string
		body string
		want validation.Problems
	}{
		{"name required", `{"service":{"name":""}}`, validation.Problems{
			p("service.name", "", `is required: lowercase letters, digits and hyphens, optionally in folders such as "prod/kafka"`)}},
		{"name with __", `{"service":{"name":"my__kafka"}}`, validation.Problems{
			p("service.name", "my__kafka", `must not contain "__" (in ZooKeeper, folders are stored with "/" replaced by "__")`)}},
		{"name over 63", `{"service":{"name":"` + long + `"}}`, validation.Problems{
			p("service.name", long, `must be at most 63 characters not counting "/" (it becomes part of DNS names); it has 64`)}},
		{"63 without slashes is fine", `{"service":{"name":"` + strings.Repeat("a", 30) + "/" + strings.Repeat("b", 33) + `"}}`, nil},
		{"name upper case", `{"service":{"name":"Kafka"}}`, validation.Problems{
			p("service.name", "Kafka", `"Kafka" must be lowercase letters, digits and hyphens, starting and ending with a letter or digit`)}},
		{"name leading slash", `{"service":{"name":"/prod/kafka"}}`, validation.Problems{
			p("service.name", "/prod/kafka", `must not start or end with "/" or contain an empty folder: write folders as "prod/kafka"`)}},
		{"name trailing hyphen in folder", `{"service":{"name":"prod-/kafka"}}`, validation.Problems{
			p("service.name", "prod-/kafka", `"prod-" must be lowercase letters, digits and hyphens, starting and ending with a letter or digit`)}},
		{"user", `{"service":{"user":"no body"}}`, validation.Problems{
			p("service.user", "no body", "must be a Unix user name such as nobody or root")}},
		{"unknown deploy strategy", `{"service":{"deploy_strategy":"rolling"}}`, validation.Problems{
			p("service.deploy_strategy", "rolling", "must be one of serial, parallel, serial-canary or parallel-canary")}},
		{"bad placement", `{"service":{"placement_constraint":"hostname:MAX_PER:zero"}}`, validation.Problems{
			p("service.placement_constraint", "hostname:MAX_PER:zero", `constraint 1 (hostname:MAX_PER:zero): MAX_PER takes a whole number of at least 1, got "zero"`)}},
		{"bad placement strategy", `{"service":{"placement_strategy":"RACK"}}`, validation.Problems{
			p("service.placement_strategy", "RACK", "must be ANY or NODE")}},
		{"placement strategy and constraint", `{"service":{"placement_strategy":"NODE","placement_constraint":"@zone:GROUP_BY"}}`, validation.Problems{
			p("service.placement_strategy", "NODE", "set either service.placement_strategy (legacy) or service.placement_constraint, not both")}},
		{"readiness minimums", `{"service":{"readiness_check":{"interval":1,"delay":-1,"timeout":5}}}`, validation.Problems{
			p("service.readiness_check.interval", "1", "must be at least 5 seconds"),
			p("service.readiness_check.delay", "-1", "must not be negative"),
			p("service.readiness_check.timeout", "5", "must be at least 10 seconds")}},
		{"health check", `{"service":{"health_check":{"enabled":true,"method":"FUNCTIONAL","interval":10,"delay":-1,"timeout":0,"grace-period":-5,"max-consecutive-failures":0}}}`, validation.Problems{
			p("service.health_check.method", "FUNCTIONAL", "FUNCTIONAL health checks are not supported by this scheduler; use PORT"),
			p("service.health_check.interval", "10", "must be at least 60 seconds"),
			p("service.health_check.delay", "-1", "must not be negative"),
			p("service.health_check.timeout", "0", "must be at least 1 second"),
			p("service.health_check.grace-period", "-5", "must not be negative"),
			p("service.health_check.max-consecutive-failures", "0", "must be at least 1")}},
		{"health method unknown", `{"service":{"health_check":{"method":"HTTP"}}}`, validation.Problems{
			p("service.health_check.method", "HTTP", "must be PORT or FUNCTIONAL")}},
		{"disabled FUNCTIONAL is accepted", `{"service":{"health_check":{"method":"FUNCTIONAL"}}}`, nil},
		{"count zero", `{"brokers":{"count":0}}`, validation.Problems{p("brokers.count", "0", "must be at least 1")}},
		{"count above reserved ids", `{"brokers":{"count":11},"kafka":{"reserved_broker_max_id":9}}`, validation.Problems{
			p("brokers.count", "11", "must be at most 10: broker ids run from 0 to count-1 and must not exceed kafka.reserved_broker_max_id (9)")}},
		{"cpus", `{"brokers":{"cpus":0.05}}`, validation.Problems{p("brokers.cpus", "0.05", "must be between 0.1 and 1024")}},
		{"mem and heap", `{"brokers":{"mem":0,"heap":{"size":0}}}`, validation.Problems{
			p("brokers.mem", "0", "must be greater than 0 and at most 1048576 MB"),
			p("brokers.heap.size", "0", "must be at least 1 MB")}},
		{"heap above mem", `{"brokers":{"mem":1024,"heap":{"size":2048}}}`, validation.Problems{
			p("brokers.heap.size", "2048", "must not exceed brokers.mem (1024 MB): the JVM heap lives inside the task's memory and the rest serves as page cache")}},
		{"heap equal to mem is allowed", `{"brokers":{"mem":1024,"heap":{"size":1024}}}`, nil},
		{"disk", `{"brokers":{"disk":-1,"disk_type":"SSD","disk_path":"../data"}}`, validation.Problems{
			p("brokers.disk", "-1", "must be greater than 0 and at most 1073741824 MB"),
			p("brokers.disk_type", "SSD", "must be ROOT or MOUNT"),
			p("brokers.disk_path", "../data", `must be a relative path inside the sandbox made of letters, digits, ".", "_", "-" and "/", without ".."`)}},
		{"absolute disk path", `{"brokers":{"disk_path":"/var/lib/kafka"}}`, validation.Problems{
			p("brokers.disk_path", "/var/lib/kafka", `must be a relative path inside the sandbox made of letters, digits, ".", "_", "-" and "/", without ".."`)}},
		{"port out of range", `{"brokers":{"port":70000}}`, validation.Problems{
			p("brokers.port", "70000", "must be 0 (take a port from the offer) or a port number from 1 to 65535")}},
		{"fixed port with default MAX_PER 1", `{"brokers":{"port":9092}}`, nil},
		{"fixed port with NODE", `{"service":{"placement_strategy":"NODE"},"brokers":{"port":9092}}`, nil},
		{"fixed port needs one broker per agent", `{"service":{"placement_strategy":"ANY"},"brokers":{"port":9092}}`, validation.Problems{
			p("brokers.port", "9092", `a fixed broker port needs at most one broker per agent: set service.placement_constraint to [["hostname","UNIQUE"]] (or service.placement_strategy to NODE), or set brokers.port to 0 to take ports from offers`)}},
		{"fixed port with MAX_PER 2", `{"service":{"placement_constraint":"hostname:MAX_PER:2"},"brokers":{"port":9092}}`, validation.Problems{
			p("brokers.port", "9092", `a fixed broker port needs at most one broker per agent: set service.placement_constraint to [["hostname","UNIQUE"]] (or service.placement_strategy to NODE), or set brokers.port to 0 to take ports from offers`)}},
		{"kill grace", `{"brokers":{"kill_grace_period":-1}}`, validation.Problems{p("brokers.kill_grace_period", "-1", "must not be negative")}},
		// Upper bounds (issue 15): every number has one, named in its rule.
		{"count 2147483647 with reserved ids up to it", `{"brokers":{"count":2147483647},"kafka":{"reserved_broker_max_id":2147483646}}`, validation.Problems{
			p("brokers.count", "2147483647", "must be at most 1000")}},
		{"count 1000 is the most", `{"brokers":{"count":1000}}`, nil},
		{"count 1001", `{"brokers":{"count":1001},"kafka":{"reserved_broker_max_id":5000}}`, validation.Problems{
			p("brokers.count", "1001", "must be at most 1000")}},
		{"absurd resources", `{"brokers":{"cpus":1e308,"mem":1e308,"disk":1e308,"heap":{"size":2147483647}}}`, validation.Problems{
			p("brokers.cpus", "1e+308", "must be between 0.1 and 1024"),
			p("brokers.mem", "1e+308", "must be greater than 0 and at most 1048576 MB"),
			p("brokers.heap.size", "2147483647", "must be at most 1048576 MB"),
			p("brokers.disk", "1e+308", "must be greater than 0 and at most 1073741824 MB")}},
		{"largest resources", `{"brokers":{"cpus":1024,"mem":1048576,"disk":1073741824,"heap":{"size":1048576}}}`, nil},
		{"durations of 10^10 s", `{"service":{"readiness_check":{"interval":10000000000,"delay":10000000000,"timeout":10000000000},
			"health_check":{"interval":10000000000,"delay":10000000000,"timeout":10000000000,"grace-period":10000000000,"max-consecutive-failures":10000000000}},
			"brokers":{"kill_grace_period":10000000000}}`, validation.Problems{
			p("service.readiness_check.interval", "10000000000", "must be at most 86400 seconds"),
			p("service.readiness_check.delay", "10000000000", "must be at most 86400 seconds"),
			p("service.readiness_check.timeout", "10000000000", "must be at most 86400 seconds"),
			p("service.health_check.interval", "10000000000", "must be at most 86400 seconds"),
			p("service.health_check.delay", "10000000000", "must be at most 86400 seconds"),
			p("service.health_check.timeout", "10000000000", "must be at most 86400 seconds"),
			p("service.health_check.grace-period", "10000000000", "must be at most 86400 seconds"),
			p("service.health_check.max-consecutive-failures", "10000000000", "must be at most 1000"),
			p("brokers.kill_grace_period", "10000000000", "must be at most 86400 seconds")}},
		{"a day is the longest duration", `{"service":{"readiness_check":{"timeout":86400}},"brokers":{"kill_grace_period":86400}}`, nil},
		{"long strings", `{"service":{"user":"` + strings.Repeat("u", 33) + `","region":"` + strings.Repeat("r", 256) + `",
			"health_check":{"health-check-topic-prefix":"` + strings.Repeat("t", 201) + `"}},
			"brokers":{"disk_path":"` + strings.Repeat("d", 256) + `","kafka_version_path":"` + strings.Repeat("k", 256) + `",
			"kafka_uri":"https://example.org/` + strings.Repeat("x", 4096) + `"}}`, validation.Problems{
			p("service.user", strings.Repeat("u", 33), "must be at most 32 bytes long; it is 33"),
			p("service.region", validation.Shorten(strings.Repeat("r", 256), validation.MaxValueLength), "must be at most 255 bytes long; it is 256"),
			p("service.health_check.health-check-topic-prefix", validation.Shorten(strings.Repeat("t", 201), validation.MaxValueLength), "must be at most 200 bytes long; it is 201"),
			p("brokers.disk_path", validation.Shorten(strings.Repeat("d", 256), validation.MaxValueLength), "must be at most 255 bytes long; it is 256"),
			p("brokers.kafka_uri", validation.Shorten("https://example.org/"+strings.Repeat("x", 4096), validation.MaxValueLength), "must be at most 4096 bytes long; it is 4116"),
			p("brokers.kafka_version_path", validation.Shorten(strings.Repeat("k", 256), validation.MaxValueLength), "must be at most 255 bytes long; it is 256")}},
		{"topic prefix characters", `{"service":{"health_check":{"health-check-topic-prefix":"a b"}}}`, validation.Problems{
			p("service.health_check.health-check-topic-prefix", "a b", `must be letters, digits, ".", "_" and "-" (it starts Kafka topic names)`)}},
		{"uris", `{"brokers":{"kafka_uri":"","kafka_version_path":"a/b","java_uri":"jre.tgz"}}`, validation.Problems{
			p("brokers.kafka_uri", "", "is required: the URI the Mesos fetcher downloads (http, https, file, hdfs or s3 URL, or an absolute path)"),
			p("brokers.kafka_version_path", "a/b", `must be the top folder of the Kafka tarball, such as kafka_2.13-3.9.1 (letters, digits, ".", "_" and "-")`),
			p("brokers.java_uri", "jre.tgz", "must be a URI the Mesos fetcher can download: an http, https, file, hdfs or s3 URL, or an absolute path")}},
		{"file URI and absolute path are fine", `{"brokers":{"kafka_uri":"/opt/dist/kafka.tgz","java_uri":"file:///opt/jre.tgz"}}`, nil},
		{"kafka section problems are prefixed", `{"kafka":{"server_properties":{"log.dirs":"/x"}}}`, validation.Problems{
			p("kafka.server_properties.log.dirs", "/x", "is set by the scheduler to the broker's persistent volume; remove it from server_properties")}},
		{"alternate zookeeper format", `{"kafka":{"kafka_zookeeper_uri":"not a uri"}}`, validation.Problems{
			p("kafka.kafka_zookeeper_uri", "not a uri", `must be host:port[,host:port...][/chroot], for example "zk-1:2181,zk-2:2181/kafka"`)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse([]byte(tt.body), DefaultOptions(), testEnv)
			got := problemsOf(t, err)
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("problems:\n got  %v\n want %v", fmtProblems(got), fmtProblems(tt.want))
			}
		})
	}
}

func fmtProblems(ps validation.Problems) string {
	var b strings.Builder
	for _, p := range ps {
		b.WriteString("\n   ")
		b.WriteString(p.String())
	}
	return b.String()
}

func TestEveryProblemIsReportedAtOnce(t *testing.T) {
	body := `{"service":{"name":"a__b","nmae":"x","deploy_strategy":"fast"},
		"brokers":{"count":"three","mem":512,"heap":{"size":1024},"disk_type":"SSD"},
		"kafka":{"num_partitions":"x","server_properties":{"ssl.keystore.password":5}},
		"extra":1}`
	_, err := Parse([]byte(body), DefaultOptions(), testEnv)
	got := problemsOf(t, err)
	want := validation.Problems{
		p("brokers.count", "three", "must be a whole number (int)"),
		p("extra", "", "unknown option in the top level; it takes: brokers, kafka, service"),
		p("kafka.num_partitions", "x", "must be a whole number (int)"),
		p("kafka.server_properties.ssl.keystore.password", "(hidden)", "must be a string"),
		p("service.nmae", "", `unknown option in service; did you mean "name"?`),
		p("service.name", "a__b", `must not contain "__" (in ZooKeeper, folders are stored with "/" replaced by "__")`),
		p("service.deploy_strategy", "fast", "must be one of serial, parallel, serial-canary or parallel-canary"),
		p("brokers.heap.size", "1024", "must not exceed brokers.mem (512 MB): the JVM heap lives inside the task's memory and the rest serves as page cache"),
		p("brokers.disk_type", "SSD", "must be ROOT or MOUNT"),
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("problems:\n got  %v\n want %v", fmtProblems(got), fmtProblems(want))
	}
	if strings.Contains(err.Error(), `password="5"`) {
		t.Fatal("a secret-looking value was echoed")
	}
}

func TestDecodeProblems(t *testing.T) {
	tests := []struct {
		name string
		body string
		want validation.Problems
	}{
		{"not JSON", `{"service":`, validation.Problems{p("options", "",
			`not valid JSON (unexpected end of JSON input); send an object such as {"service":{"name":"kafka"},"brokers":{"count":3}}`)}},
		{"not an object", `[1,2]`, validation.Problems{p("options", "[1,2]", "must be a JSON object")}},
		{"section not an object", `{"brokers":5}`, validation.Problems{p("brokers", "5", "must be a JSON object")}},
		{"unknown nested option with suggestion", `{"brokers":{"heap":{"sise":1}}}`, validation.Problems{
			p("brokers.heap.sise", "", `unknown option in brokers.heap; did you mean "size"?`)}},
		{"hyphen for underscore", `{"brokers":{"disk-type":"ROOT"}}`, validation.Problems{
			p("brokers.disk-type", "", `unknown option in brokers; did you mean "disk_type"?`)}},
		{"unknown option far from any", `{"service":{"security":{}}}`, validation.Problems{
			p("service.security", "", "unknown option in service; it takes: deploy_strategy, enable_replacement, health_check, isr_wait_timeout_secs, jmx, min_delay_between_recovers_secs, name, placement_constraint, placement_strategy, readiness_check, recover_in_place_grace_period_secs, region, rolling_restart_safety_check, secrets, update_strategy, user")}},
		{"unknown kafka option", `{"kafka":{"log_retention_hour":1}}`, validation.Problems{
			p("kafka.log_retention_hour", "", `unknown option in kafka; did you mean "log_retention_hours"?`)}},
		{"case matters", `{"Service":{}}`, validation.Problems{
			p("Service", "", `unknown option in the top level; did you mean "service"?`)}},
		{"bool", `{"service":{"health_check":{"enabled":"yes"}}}`, validation.Problems{
			p("service.health_check.enabled", "yes", "must be true or false")}},
		{"number for string", `{"service":{"name":7}}`, validation.Problems{
			p("service.name", "7", "must be a string")}},
		{"fraction for int", `{"brokers":{"count":1.5}}`, validation.Problems{
			p("brokers.count", "1.5", "must be a whole number (int)")}},
		{"null keeps the default", `{"brokers":null,"service":{"name":null}}`, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, got := DecodeOptions([]byte(tt.body), DefaultOptions())
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("problems:\n got  %v\n want %v", fmtProblems(got), fmtProblems(tt.want))
			}
		})
	}
}

func TestDecodeKeepsDefaultsForOmittedOptions(t *testing.T) {
	defaults := DefaultOptions()
	defaults.Brokers.KafkaURI = "file:///srv/dev-kafka.tgz" // a scheduler's own default
	o, ps := DecodeOptions([]byte(`{"brokers":{"count":5,"heap":{"size":256}},"kafka":{"delete_topic_enable":true}}`), defaults)
	if len(ps) > 0 {
		t.Fatal(ps)
	}
	if o.Brokers.Count != 5 || o.Brokers.Heap.Size != 256 || !o.Kafka.DeleteTopicEnable {
		t.Errorf("given options not applied: %+v", o.Brokers)
	}
	if o.Brokers.Mem != 2048 || o.Brokers.KafkaURI != "file:///srv/dev-kafka.tgz" || o.Service.Name != "kafka" || o.Kafka.LogRetentionHours != 168 {
		t.Errorf("defaults lost: %+v", o)
	}
}

func TestSchedulerWithoutZookeeperNeedsAlternateZookeeper(t *testing.T) {
	_, err := Parse([]byte(`{}`), DefaultOptions(), Environment{})
	want := validation.Problems{p("kafka.kafka_zookeeper_uri", "",
		"is required here: this scheduler runs without a ZooKeeper to keep the brokers' metadata under; set it to host:port[,host:port...][/chroot]")}
	if got := problemsOf(t, err); !reflect.DeepEqual(got, want) {
		t.Fatalf("problems:\n got  %v\n want %v", fmtProblems(got), fmtProblems(want))
	}
	s, err := Parse([]byte(`{"kafka":{"kafka_zookeeper_uri":"127.0.0.1:2181/k"}}`), DefaultOptions(), Environment{})
	if err != nil || s.KafkaZookeeperURI != "127.0.0.1:2181/k" {
		t.Fatalf("alternate zookeeper: %q %v", s.KafkaZookeeperURI, err)
	}
}

func TestBuildValidates(t *testing.T) {
	o := DefaultOptions()
	o.Brokers.Count = 0
	o.Brokers.CPUs = 0
	_, err := Build(o, testEnv)
	if got := problemsOf(t, err); len(got) != 2 {
		t.Fatalf("Build problems = %v", got)
	}
}

func TestSpecJSONRoundTrip(t *testing.T) {
	s := mustParse(t, `{"service":{"name":"prod/kafka","placement_constraint":"@zone:GROUP_BY:3,hostname:UNIQUE","region":"eu"},
		"brokers":{"count":4,"port":9092},"kafka":{"server_properties":{"num.replica.alter.log.dirs.threads":"2"}}}`)
	b, err := json.Marshal(s)
	if err != nil {
		t.Fatal(err)
	}
	var back ServiceSpec
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(back.Options, s.Options) || back.Hash() != s.Hash() || back.PodConfigHash() != s.PodConfigHash() {
		t.Fatalf("round trip changed the spec:\n%s", b)
	}
	if !back.Placement.Equal(s.Placement) {
		t.Fatalf("placement %v != %v", back.Placement, s.Placement)
	}
}

func TestPodConfigHashTracksWhatRestartsBrokers(t *testing.T) {
	base := mustParse(t, `{}`)
	same := []string{
		`{"brokers":{"count":5}}`,
		`{"service":{"placement_constraint":"hostname:UNIQUE"}}`,
		`{"service":{"deploy_strategy":"parallel"}}`,
		`{"service":{"region":"eu"}}`,
	}
	for _, body := range same {
		if got := mustParse(t, body).PodConfigHash(); got != base.PodConfigHash() {
			t.Errorf("%s changed the pod config hash; it must not restart brokers", body)
		}
	}
	different := []string{
		`{"brokers":{"mem":4096}}`,
		`{"brokers":{"cpus":2}}`,
		`{"brokers":{"heap":{"size":1024}}}`,
		`{"brokers":{"port":9092}}`,
		`{"brokers":{"kafka_uri":"https://example.org/kafka_2.13-3.9.2.tgz"}}`,
		`{"kafka":{"log_retention_hours":24}}`,
		`{"kafka":{"server_properties":{"num.replica.alter.log.dirs.threads":"2"}}}`,
		`{"service":{"readiness_check":{"interval":10}}}`,
		`{"service":{"health_check":{"enabled":true}}}`,
		`{"service":{"placement_constraint":"@zone:GROUP_BY:3"}}`, // broker.rack appears
	}
	seen := map[string]string{base.PodConfigHash(): "{}"}
	for _, body := range different {
		h := mustParse(t, body).PodConfigHash()
		if prev, dup := seen[h]; dup {
			t.Errorf("%s has the same pod config hash as %s", body, prev)
		}
		seen[h] = body
	}
	if mustParse(t, `{}`).PodConfigHash() != base.PodConfigHash() {
		t.Error("the hash is not deterministic")
	}
}

func TestValidateUpdate(t *testing.T) {
	old := mustParse(t, `{"service":{"name":"kafka","region":"eu"},"brokers":{"count":3,"disk":5000}}`)
	tests := []struct {
		name string
		body string
		want validation.Problems
	}{
		{"unchanged", `{"service":{"name":"kafka","region":"eu"},"brokers":{"count":3}}`, nil},
		{"allowed changes roll", `{"service":{"name":"kafka","region":"eu","deploy_strategy":"parallel","placement_constraint":"hostname:UNIQUE"},
			"brokers":{"count":5,"cpus":2,"mem":4096,"heap":{"size":1024},"port":9092},"kafka":{"log_retention_hours":24}}`, nil},
		{"rename", `{"service":{"name":"kafka2","region":"eu"}}`, validation.Problems{
			p("service.name", "kafka2", `cannot change after install (was "kafka")`)}},
		{"shrink", `{"service":{"region":"eu"},"brokers":{"count":2}}`, validation.Problems{
			p("brokers.count", "2", "cannot decrease (from 3 to 2): brokers can only be added")}},
		{"volumes", `{"service":{"region":"eu"},"brokers":{"disk":6000,"disk_type":"MOUNT","disk_path":"data"}}`, validation.Problems{
			p("brokers.disk", "6000", "cannot change after install (was 5000): persistent volumes cannot be resized"),
			p("brokers.disk_type", "MOUNT", "cannot change after install (was ROOT): persistent volumes cannot change type"),
			p("brokers.disk_path", "data", `cannot change after install (was "kafka-broker-data"): persistent volumes cannot move`)}},
		{"user and region", `{"service":{"user":"root","region":"us"}}`, validation.Problems{
			p("service.user", "root", `cannot change after install (was "nobody")`),
			p("service.region", "us", `cannot change after install (was "eu")`)}},
		{"placement strategy", `{"service":{"region":"eu","placement_strategy":"NODE"}}`, validation.Problems{
			p("service.placement_strategy", "NODE", `cannot change after install (was "")`)}},
		{"zone reference appears", `{"service":{"region":"eu","placement_constraint":"@zone:GROUP_BY:3"}}`, validation.Problems{
			p("service.placement_constraint", "@zone:GROUP_BY:3", "cannot start referring to @zone after install: brokers were placed without zones and have no broker.rack")}},
		{"alternate zookeeper", `{"service":{"region":"eu"},"kafka":{"kafka_zookeeper_uri":"other:2181"}}`, validation.Problems{
			p("kafka.kafka_zookeeper_uri", "other:2181", `cannot change after install (was "")`)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := ValidateUpdate(old, mustParse(t, tt.body))
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("problems:\n got  %v\n want %v", fmtProblems(got), fmtProblems(tt.want))
			}
		})
	}
	zoned := mustParse(t, `{"service":{"placement_constraint":"@zone:GROUP_BY:3"}}`)
	got := ValidateUpdate(zoned, mustParse(t, `{}`))
	want := validation.Problems{p("service.placement_constraint", `[["hostname", "MAX_PER", "1"]]`,
		"cannot stop referring to @zone after install: brokers' broker.rack comes from their zone")}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("zone removal:\n got  %v\n want %v", fmtProblems(got), fmtProblems(want))
	}
}

func BenchmarkParse(b *testing.B) {
	body := []byte(`{"service":{"name":"prod/kafka","placement_constraint":"@zone:GROUP_BY:3,hostname:UNIQUE"},
		"brokers":{"count":5,"mem":4096,"heap":{"size":2048}},"kafka":{"log_retention_hours":24,"delete_topic_enable":true}}`)
	defaults := DefaultOptions()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Parse(body, defaults, testEnv); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(len(body)), "body-bytes")
}

func BenchmarkPodConfigHash(b *testing.B) {
	s, err := Parse(nil, DefaultOptions(), testEnv)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		s.PodConfigHash()
	}
}

// TestParseUpdateReportsEveryProblemAtOnce: a bad option, a value that
// does not decode, a disk change and a count decrease in one request give
// one list naming all of them; an option that did not decode is not judged
// for the update a second time.
func TestParseUpdateReportsEveryProblemAtOnce(t *testing.T) {
	current := mustParse(t, `{"service":{"name":"kafka"},"brokers":{"count":3,"disk":5000}}`)
	defaults := DefaultOptions()
	defaults.Service.Name = "kafka"
	body := `{"brokers":{"count":2,"disk":6000,"mem":"lots"},"service":{"deploy_strategy":"sideways"}}`
	_, err := ParseUpdate([]byte(body), defaults, Environment{ZookeeperConnect: "zk-1:2181"}, current)
	var problems validation.Problems
	if !errors.As(err, &problems) {
		t.Fatalf("error %v is not a list of problems", err)
	}
	fields := map[string]int{}
	for _, p := range problems {
		fields[p.Field]++
	}
	for _, want := range []string{"brokers.count", "brokers.disk", "brokers.mem", "service.deploy_strategy"} {
		if fields[want] != 1 {
			t.Errorf("problems name %s %d times, want once: %v", want, fields[want], fmtProblems(problems))
		}
	}
	if _, err := ParseUpdate([]byte(`{"brokers":{"count":4,"disk":5000}}`), defaults, Environment{ZookeeperConnect: "zk-1:2181"}, current); err != nil {
		t.Errorf("a valid update was refused: %v", err)
	}
}
