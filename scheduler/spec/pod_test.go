package spec

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/kafka/brokerconfig"
	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/state"
	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/validation"
)

func TestBrokerTemplate(t *testing.T) {
	s := mustParse(t, `{"service":{"name":"prod/kafka","readiness_check":{"interval":5,"delay":1,"timeout":10},
		"health_check":{"enabled":true}},
		"brokers":{"count":3,"cpus":0.5,"mem":1024,"heap":{"size":256},"disk":2000,"disk_type":"MOUNT","port":9092,
		"kill_grace_period":45,"java_uri":"https://example.org/jre.tgz"}}`)
	got, err := s.Broker(1)
	if err != nil {
		t.Fatal(err)
	}
	want := BrokerTask{
		PodType: "kafka", PodInstance: "kafka-1", Index: 1, TaskName: "broker", FullTaskName: "kafka-1-broker",
		Goal: "RUNNING", User: "nobody",
		CPUs: 0.5, MemMB: 1024,
		Volume: Volume{Type: "MOUNT", SizeMB: 2000, ContainerPath: "kafka-broker-data"},
		Ports:  []Port{{Name: "broker", EnvKey: "KAFKA_BROKER_PORT", Port: 9092, Advertise: true, VIP: "broker:9092"}},
		Env: map[string]string{
			"FRAMEWORK_NAME":      "prod/kafka",
			"POD_INSTANCE_INDEX":  "1",
			"TASK_NAME":           "kafka-1-broker",
			"KAFKA_DISK_PATH":     "kafka-broker-data",
			"KAFKA_HEAP_OPTS":     "-Xms256M -Xmx256M",
			"KAFKA_ZOOKEEPER_URI": "zk-1:2181,zk-2:2181/dcos-service-prod__kafka",
			"KAFKA_VERSION_PATH":  "kafka_2.13-3.9.1",
		},
		URIs: []URI{
			{Value: DefaultKafkaURI, Extract: true},
			{Value: "https://example.org/jre.tgz", Extract: true},
		},
		Command: strings.Join([]string{
			"set -e",
			`cd "${MESOS_SANDBOX:-.}"`,
			"umask 077",
			`printf '%s' "${KAFKA_SERVER_PROPERTIES_B64_0-}" "${KAFKA_SERVER_PROPERTIES_B64_1-}" "${KAFKA_SERVER_PROPERTIES_B64_2-}" "${KAFKA_SERVER_PROPERTIES_B64_3-}" | base64 -d > server.properties`,
			"unset KAFKA_SERVER_PROPERTIES_B64_0 KAFKA_SERVER_PROPERTIES_B64_1 KAFKA_SERVER_PROPERTIES_B64_2 KAFKA_SERVER_PROPERTIES_B64_3",
			`JAVA_HOME="$(ls -d "$PWD"/jdk*/ "$PWD"/jre*/ 2>/dev/null | head -n 1)"`,
			`export JAVA_HOME="${JAVA_HOME%/}"`,
			`export PATH="$JAVA_HOME/bin:$PATH"`,
			`exec "$PWD/kafka_2.13-3.9.1/bin/kafka-server-start.sh" "$PWD/server.properties"`,
		}, "\n"),
		ReadinessCheck: Check{
			Command:  `grep -q -F '[KafkaServer id=1] started' "${MESOS_SANDBOX:-.}/kafka_2.13-3.9.1/logs/"server.log*`,
			Interval: 5 * time.Second, Delay: time.Second, Timeout: 10 * time.Second,
		},
		HealthCheck: &HealthCheck{
			Check:       Check{Interval: 60 * time.Second, Delay: 20 * time.Second, Timeout: 60 * time.Second},
			GracePeriod: 30 * time.Second, MaxConsecutiveFailures: 3,
		},
		KillGracePeriod: 45 * time.Second,
		ConfigHash:      s.PodConfigHash(),
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Broker(1) =\n%+v\nwant\n%+v", got, want)
	}
	if _, err := s.Broker(3); err == nil || !strings.Contains(err.Error(), "brokers 0 to 2") {
		t.Errorf("Broker(3) error = %v", err)
	}
	if _, err := s.Broker(-1); err == nil {
		t.Error("Broker(-1) must fail")
	}
}

func TestBrokerTemplateWithoutJavaOrHealthCheck(t *testing.T) {
	s := mustParse(t, `{}`)
	b, err := s.Broker(0)
	if err != nil {
		t.Fatal(err)
	}
	if b.HealthCheck != nil || len(b.URIs) != 1 || strings.Contains(b.Command, "JAVA_HOME") {
		t.Errorf("unexpected health check, java uri or JAVA_HOME: %+v", b)
	}
	if b.Ports[0].Port != 0 {
		t.Errorf("default port must be dynamic (0), got %d", b.Ports[0].Port)
	}
}

func TestLaunchRendersServerProperties(t *testing.T) {
	s := mustParse(t, `{"service":{"health_check":{"enabled":true}},"kafka":{"log_retention_hours":24}}`)
	site := Site{Hostname: "agent-2.example", Port: 31005, VolumePath: "/var/lib/mesos/volumes/roles/kafka-role/vol-1"}
	task, props, err := s.Launch(2, site)
	if err != nil {
		t.Fatal(err)
	}
	want, err := brokerconfig.Render(s.Options.Kafka, brokerconfig.Broker{
		ID: 2, ListenHost: "agent-2.example", AdvertisedHost: "agent-2.example", Port: 31005,
		LogDir:           "/var/lib/mesos/volumes/roles/kafka-role/vol-1/broker-2",
		ZookeeperConnect: "zk-1:2181,zk-2:2181/dcos-service-kafka",
	})
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(props, want) {
		t.Errorf("rendered properties differ from brokerconfig.Render with the launch values:\n%s", props)
	}
	parsed, err := brokerconfig.Parse(props)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range map[string]string{
		"broker.id":            "2",
		"listeners":            "PLAINTEXT://agent-2.example:31005",
		"advertised.listeners": "PLAINTEXT://agent-2.example:31005",
		"log.dirs":             "/var/lib/mesos/volumes/roles/kafka-role/vol-1/broker-2",
		"zookeeper.connect":    "zk-1:2181,zk-2:2181/dcos-service-kafka",
		"log.retention.hours":  "24",
	} {
		if parsed[k] != v {
			t.Errorf("%s = %q, want %q", k, parsed[k], v)
		}
	}
	if _, ok := parsed["broker.rack"]; ok {
		t.Error("broker.rack must only be set when the placement refers to @zone")
	}
	if decoded := decodeChunks(t, task.Env); decoded != string(props) || task.Env["KAFKA_BROKER_PORT"] != "31005" || task.Ports[0].Port != 31005 {
		t.Errorf("launch env/port not filled in: %v %v", task.Env["KAFKA_BROKER_PORT"], task.Ports)
	}
	if task.HealthCheck == nil || task.HealthCheck.Command != `exec bash -c 'exec 3<>"/dev/tcp/$0/$1"' agent-2.example 31005` {
		t.Errorf("health check command = %+v", task.HealthCheck)
	}
	// The template itself is not modified by a launch.
	tmpl, _ := s.Broker(2)
	if _, ok := tmpl.Env["KAFKA_SERVER_PROPERTIES_B64_0"]; ok || tmpl.HealthCheck.Command != "" {
		t.Error("Launch leaked into the template")
	}
}

func TestLaunchDefaultsAndRack(t *testing.T) {
	s := mustParse(t, `{"service":{"placement_constraint":"@zone:GROUP_BY:3"}}`)
	_, props, err := s.Launch(0, Site{Hostname: "127.0.0.1", ListenAddress: "0.0.0.0", Port: 9092, Zone: "zone-b"})
	if err != nil {
		t.Fatal(err)
	}
	parsed, _ := brokerconfig.Parse(props)
	if parsed["log.dirs"] != "kafka-broker-data/broker-0" || parsed["broker.rack"] != "zone-b" ||
		parsed["listeners"] != "PLAINTEXT://0.0.0.0:9092" || parsed["advertised.listeners"] != "PLAINTEXT://127.0.0.1:9092" {
		t.Errorf("unexpected properties: log.dirs=%q broker.rack=%q listeners=%q advertised=%q",
			parsed["log.dirs"], parsed["broker.rack"], parsed["listeners"], parsed["advertised.listeners"])
	}
	if s.Options.Kafka.ServerProperties != nil {
		t.Error("rendering with a rack modified the spec's settings")
	}

	own := mustParse(t, `{"service":{"placement_constraint":"@zone:GROUP_BY:3"},"kafka":{"server_properties":{"broker.rack":"mine"}}}`)
	_, props, err = own.Launch(0, Site{Hostname: "127.0.0.1", Port: 9092, Zone: "zone-b"})
	if err != nil {
		t.Fatal(err)
	}
	if parsed, _ := brokerconfig.Parse(props); parsed["broker.rack"] != "mine" {
		t.Errorf("an operator's broker.rack must win, got %q", parsed["broker.rack"])
	}
}

func TestLaunchRefusesBadSites(t *testing.T) {
	fixed := mustParse(t, `{"brokers":{"port":9092}}`)
	_, _, err := fixed.Launch(0, Site{Hostname: "a", Port: 31000})
	var ps validation.Problems
	if !errors.As(err, &ps) || ps[0].String() != `site.port="31000": must be the fixed brokers.port 9092` {
		t.Errorf("fixed port mismatch: %v", err)
	}
	dynamic := mustParse(t, `{}`)
	_, _, err = dynamic.Launch(0, Site{Hostname: "", Port: 0})
	if !errors.As(err, &ps) {
		t.Fatalf("empty site: %v", err)
	}
	for _, want := range []string{"broker.advertised_host", "broker.port"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not name %s", err, want)
		}
	}
	if _, _, err := dynamic.Launch(7, Site{Hostname: "a", Port: 1}); err == nil {
		t.Error("an out-of-range broker index must fail")
	}
}

// TestCommandsRunUnderPOSIXShell runs the task command, the readiness check
// and the health check for real, against a fake distribution whose start
// script records what it was given and logs the "started" line.
func TestCommandsRunUnderPOSIXShell(t *testing.T) {
	sandbox := t.TempDir()
	s := mustParse(t, `{"service":{"health_check":{"enabled":true}},"brokers":{"kafka_version_path":"kafka_dev"}}`)

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	task, props, err := s.Launch(1, Site{Hostname: "127.0.0.1", Port: port})
	if err != nil {
		t.Fatal(err)
	}

	bin := filepath.Join(sandbox, "kafka_dev", "bin")
	if err := os.MkdirAll(bin, 0o755); err != nil {
		t.Fatal(err)
	}
	script := `#!/bin/sh
set -e
dist="$(cd "$(dirname "$0")/.." && pwd)"
cp "$1" "$dist/got.properties"
printf '%s\n' "$@" > "$dist/got.args"
env | grep -c '^KAFKA_SERVER_PROPERTIES' > "$dist/got.env" || true
printf '%s' "$KAFKA_HEAP_OPTS" > "$dist/got.heap"
mkdir -p "$dist/logs"
echo "[2024-01-01 00:00:00,000] INFO [KafkaServer id=$POD_INSTANCE_INDEX] started (kafka.server.KafkaServer)" >> "$dist/logs/server.log"
`
	if err := os.WriteFile(filepath.Join(bin, "kafka-server-start.sh"), []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}

	env := []string{"PATH=" + os.Getenv("PATH"), "MESOS_SANDBOX=" + sandbox}
	for k, v := range task.Env {
		env = append(env, k+"="+v)
	}
	run := func(command string) error {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		cmd := exec.CommandContext(ctx, "/bin/sh", "-c", command)
		cmd.Env = env
		cmd.Dir = t.TempDir() // the command must find the sandbox through MESOS_SANDBOX
		out, err := cmd.CombinedOutput()
		if err != nil {
			return errors.New(err.Error() + ": " + string(out))
		}
		return nil
	}

	if err := run(task.ReadinessCheck.Command); err == nil {
		t.Fatal("readiness passed before the broker started")
	}
	if err := run(task.Command); err != nil {
		t.Fatalf("task command: %v", err)
	}
	dist := filepath.Join(sandbox, "kafka_dev")
	gotProps, _ := os.ReadFile(filepath.Join(dist, "got.properties"))
	if !bytes.Equal(gotProps, props) {
		t.Errorf("the start script got other properties:\n%s", gotProps)
	}
	args, _ := os.ReadFile(filepath.Join(dist, "got.args"))
	if strings.TrimSpace(string(args)) != filepath.Join(sandbox, "server.properties") {
		t.Errorf("start script args = %q", args)
	}
	if e, _ := os.ReadFile(filepath.Join(dist, "got.env")); strings.TrimSpace(string(e)) != "0" {
		t.Errorf("the rendered properties must not stay in the broker's environment (%s variables left)", e)
	}
	if h, _ := os.ReadFile(filepath.Join(dist, "got.heap")); string(h) != "-Xms512M -Xmx512M" {
		t.Errorf("KAFKA_HEAP_OPTS = %q", h)
	}
	if fi, err := os.Stat(filepath.Join(sandbox, "server.properties")); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("server.properties mode = %v (%v), want 0600", fi.Mode().Perm(), err)
	}
	if err := run(task.ReadinessCheck.Command); err != nil {
		t.Errorf("readiness after start: %v", err)
	}
	other, _ := s.Broker(0)
	if err := run(other.ReadinessCheck.Command); err == nil {
		t.Error("broker 0's readiness must not pass on broker 1's log line")
	}

	if _, err := exec.LookPath("bash"); err != nil {
		t.Fatalf("the PORT health check needs bash: %v", err)
	}
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			c.Close()
		}
	}()
	if err := run(task.HealthCheck.Command); err != nil {
		t.Errorf("health check against a listening port: %v", err)
	}
	ln.Close()
	if err := run(task.HealthCheck.Command); err == nil {
		t.Error("health check passed against a closed port")
	}
}

func BenchmarkLaunch(b *testing.B) {
	s, err := Parse([]byte(`{"kafka":{"server_properties":{"num.replica.alter.log.dirs.threads":"2"}}}`), DefaultOptions(), testEnv)
	if err != nil {
		b.Fatal(err)
	}
	site := Site{Hostname: "agent-1", Port: 31000, VolumePath: "/vol"}
	var size int
	b.ReportAllocs()
	for b.Loop() {
		_, props, err := s.Launch(1, site)
		if err != nil {
			b.Fatal(err)
		}
		size = len(props)
	}
	b.ReportMetric(float64(size), "properties-bytes")
}

// decodeChunks joins and decodes the server.properties pieces of a
// launch's environment, checking that they are numbered without gaps and
// each within the bound.
func decodeChunks(t *testing.T, env map[string]string) string {
	t.Helper()
	var encoded strings.Builder
	n := 0
	for ; ; n++ {
		c, ok := env[EnvServerPropertiesChunk+strconv.Itoa(n)]
		if !ok {
			break
		}
		if len(c) > ServerPropertiesChunkBytes {
			t.Errorf("piece %d is %d bytes, over %d", n, len(c), ServerPropertiesChunkBytes)
		}
		encoded.WriteString(c)
	}
	for k := range env {
		if strings.HasPrefix(k, EnvServerPropertiesChunk) {
			if i, err := strconv.Atoi(strings.TrimPrefix(k, EnvServerPropertiesChunk)); err != nil || i >= n {
				t.Errorf("unexpected piece %s (pieces 0 to %d)", k, n-1)
			}
		}
	}
	if n > ServerPropertiesChunks {
		t.Errorf("%d pieces, the command reads %d", n, ServerPropertiesChunks)
	}
	b, err := base64.StdEncoding.DecodeString(encoded.String())
	if err != nil {
		t.Fatalf("decoding the pieces: %v", err)
	}
	return string(b)
}

// TestDeliveryLimitsAgree checks the arithmetic the delivery relies on: the
// largest server.properties fits the pieces, a piece with its name fits
// one Linux environment string, and the stored configuration limit is the
// state store's.
func TestDeliveryLimitsAgree(t *testing.T) {
	if need := base64.StdEncoding.EncodedLen(brokerconfig.MaxServerPropertiesBytes); need > ServerPropertiesChunks*ServerPropertiesChunkBytes {
		t.Errorf("the largest server.properties needs %d base64 bytes, the pieces hold %d", need, ServerPropertiesChunks*ServerPropertiesChunkBytes)
	}
	const maxArgStrlen = 128 << 10 // MAX_ARG_STRLEN: 32 pages, NAME=value and its NUL
	if l := len(EnvServerPropertiesChunk+"9=") + ServerPropertiesChunkBytes + 1; l > maxArgStrlen {
		t.Errorf("a piece takes %d bytes of one environment string, over %d", l, maxArgStrlen)
	}
	if MaxStoredSpecBytes != state.MaxValueSize {
		t.Errorf("MaxStoredSpecBytes %d != state.MaxValueSize %d", MaxStoredSpecBytes, state.MaxValueSize)
	}
}

// TestLargeServerPropertiesReachTheBroker is issue 15's fault 3: a
// 200,000-byte server_properties value (and a file at the very limit) used
// to travel in one environment variable and fail every launch with
// "argument list too long". The real start command runs through a real
// exec with the launch's environment and the broker's start script gets
// the whole file.
func TestLargeServerPropertiesReachTheBroker(t *testing.T) {
	for _, size := range []int{200_000, 0} { // 0: as large as the limits allow
		t.Run(fmt.Sprintf("value of %d bytes", size), func(t *testing.T) {
			s := mustParse(t, `{"brokers":{"kafka_version_path":"kafka_dev"}}`)
			value := strings.Repeat("A", size)
			if size == 0 {
				// Fill the operator's whole budget: the largest file a broker can get.
				s.Options.Kafka.ServerProperties = map[string]string{"custom.filler": "x"}
				probe, err := s.ServerProperties(0, Site{Hostname: "127.0.0.1", Port: 9092})
				if err != nil {
					t.Fatal(err)
				}
				// probe holds the broker's own lines too, so this stays a
				// few hundred bytes under the operator's budget.
				value = strings.Repeat("A", brokerconfig.MaxServerPropertiesBytes-brokerconfig.ReservedBrokerBytes-len(probe)+1)
			}
			opts := s.Options
			opts.Kafka.ServerProperties = map[string]string{"ssl.truststore.certificates": value}
			s, err := Build(opts, testEnv)
			if err != nil {
				t.Fatal(err)
			}
			task, props, err := s.Launch(0, Site{Hostname: "127.0.0.1", Port: 9092})
			if err != nil {
				t.Fatal(err)
			}
			if len(props) < len(value) {
				t.Fatalf("rendered %d bytes", len(props))
			}
			sandbox := t.TempDir()
			bin := filepath.Join(sandbox, "kafka_dev", "bin")
			if err := os.MkdirAll(bin, 0o755); err != nil {
				t.Fatal(err)
			}
			script := "#!/bin/sh\ncp \"$1\" \"$(dirname \"$0\")/../got.properties\"\n"
			if err := os.WriteFile(filepath.Join(bin, "kafka-server-start.sh"), []byte(script), 0o755); err != nil {
				t.Fatal(err)
			}
			env := []string{"PATH=" + os.Getenv("PATH"), "MESOS_SANDBOX=" + sandbox}
			for k, v := range task.Env {
				env = append(env, k+"="+v)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			cmd := exec.CommandContext(ctx, "/bin/sh", "-c", task.Command)
			cmd.Env = env
			if out, err := cmd.CombinedOutput(); err != nil {
				t.Fatalf("task command: %v: %s", err, out)
			}
			got, err := os.ReadFile(filepath.Join(sandbox, "kafka_dev", "got.properties"))
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, props) {
				t.Fatalf("the broker got %d bytes, want the %d rendered", len(got), len(props))
			}
			parsed, err := brokerconfig.Parse(got)
			if err != nil || parsed["ssl.truststore.certificates"] != value {
				t.Fatalf("the large value did not arrive whole (%d bytes, %v)", len(parsed["ssl.truststore.certificates"]), err)
			}
		})
	}
}
