package devkafka

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"sort"
	"strings"
	"time"
)

// Layout of the dev distribution tarball. It mirrors Apache Kafka's
// (kafka_2.13-3.x/bin, config, libs) so that the scheduler's launch path is
// the same for both: the Mesos fetcher extracts it into the task sandbox,
// and the task runs "<DistDir>/bin/kafka-server-start.sh <server.properties>".
const (
	// DistDir is the tarball's top folder.
	DistDir = "kafka-dev"
	// StartScript is the start script, relative to DistDir.
	StartScript = "bin/kafka-server-start.sh"
	// BrokerBinary is the broker executable, relative to DistDir.
	BrokerBinary = "libs/kafka-dev-broker"
	// ServerLog is where the broker writes its log (and the readiness
	// line), relative to DistDir, unless LOG_DIR says otherwise.
	ServerLog = "logs/server.log"
	// brokerPackage is the Go package of the broker executable.
	brokerPackage = "github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/cmd/kafka-dev-broker"
)

// Target is the platform the broker binary is built for.
type Target struct {
	GOOS   string
	GOARCH string
}

// HostTarget is the platform this program runs on, which is where the local
// Mesos agents of dev mode run their tasks.
func HostTarget() Target { return Target{GOOS: runtime.GOOS, GOARCH: runtime.GOARCH} }

// BuildDistribution builds the broker binary for this host with `go build`
// and packs the dev distribution into outPath (a .tgz). It must run inside
// this module's source tree.
func BuildDistribution(ctx context.Context, outPath string) error {
	return BuildDistributionFor(ctx, outPath, HostTarget())
}

// BuildDistributionFor is BuildDistribution for another platform.
func BuildDistributionFor(ctx context.Context, outPath string, target Target) error {
	work, err := os.MkdirTemp("", "kafka-dev-dist-")
	if err != nil {
		return fmt.Errorf("building the dev Kafka distribution: %w", err)
	}
	defer os.RemoveAll(work)
	bin := filepath.Join(work, "kafka-dev-broker")
	cmd := exec.CommandContext(ctx, "go", "build", "-trimpath", "-o", bin, brokerPackage)
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS="+target.GOOS, "GOARCH="+target.GOARCH)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("building the dev Kafka broker (go build %s): %w\n%s", brokerPackage, err, out.Bytes())
	}
	return writeDistribution(outPath, bin)
}

// Launcher is the broker of a launcher distribution: a program on this
// machine that serves the broker command (RunBroker).
type Launcher struct {
	// Program is the absolute path of the executable.
	Program string
	// Args come before the broker's own arguments.
	Args []string
	// Env is set for the program, in addition to what the task has.
	Env map[string]string
}

// WriteLauncherDistribution writes the distribution into outPath (a .tgz)
// without building anything: its libs/kafka-dev-broker is a small shell
// launcher that execs l.Program with l.Args followed by the broker's own
// arguments. kafka-scheduler uses it to write a distribution whose broker
// is kafka-scheduler itself (exec <kafka-scheduler> dev-broker ...), so
// that dev mode needs neither a Go toolchain nor a tarball shipped next to
// the binary. The tarball only works on the machine that wrote it, which is
// where dev mode's local Mesos agents run their tasks.
func WriteLauncherDistribution(outPath string, l Launcher) error {
	if !filepath.IsAbs(l.Program) {
		return fmt.Errorf("writing %s: the broker program %q must be an absolute path", outPath, l.Program)
	}
	for k := range l.Env {
		if !envNamePattern.MatchString(k) {
			return fmt.Errorf("writing %s: %q is not an environment variable name", outPath, k)
		}
	}
	return writeDistributionData(outPath, []byte(launcherScript(l)))
}

var envNamePattern = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// launcherScript is the /bin/sh script that stands in for the broker
// binary in a launcher distribution.
func launcherScript(l Launcher) string {
	var b strings.Builder
	b.WriteString("#!/bin/sh\n")
	b.WriteString("# libs/kafka-dev-broker of a kafka-dev launcher distribution (a DEV STAND-IN for\n")
	b.WriteString("# Apache Kafka): the broker is served by the program below, on this machine only.\n")
	keys := make([]string, 0, len(l.Env))
	for k := range l.Env {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		b.WriteString(k + "=" + shellQuote(l.Env[k]) + "\nexport " + k + "\n")
	}
	b.WriteString("exec " + shellQuote(l.Program))
	for _, a := range l.Args {
		b.WriteString(" " + shellQuote(a))
	}
	b.WriteString(" \"$@\"\n")
	return b.String()
}

// shellQuote quotes s for /bin/sh: single quotes, with embedded single
// quotes closed, escaped and reopened.
func shellQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// writeDistribution packs the tarball next to outPath and renames it into
// place, so a reader never sees half a tarball.
func writeDistribution(outPath, brokerBinary string) error {
	bin, err := os.ReadFile(brokerBinary)
	if err != nil {
		return fmt.Errorf("writing %s: reading the broker binary: %w", outPath, err)
	}
	return writeDistributionData(outPath, bin)
}

func writeDistributionData(outPath string, broker []byte) error {
	if err := os.MkdirAll(filepath.Dir(outPath), 0o755); err != nil {
		return fmt.Errorf("writing %s: %w", outPath, err)
	}
	tmp, err := os.CreateTemp(filepath.Dir(outPath), "."+filepath.Base(outPath)+".*")
	if err != nil {
		return fmt.Errorf("writing %s: %w", outPath, err)
	}
	defer os.Remove(tmp.Name())
	if err := packDistribution(tmp, broker); err != nil {
		tmp.Close()
		return fmt.Errorf("writing %s: %w", outPath, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("writing %s: %w", outPath, err)
	}
	if err := os.Rename(tmp.Name(), outPath); err != nil {
		return fmt.Errorf("writing %s: %w", outPath, err)
	}
	return nil
}

// PackDistribution writes the distribution tarball around an already built
// broker binary. The output is reproducible: fixed order, fixed times.
func PackDistribution(w io.Writer, brokerBinary string) error {
	bin, err := os.ReadFile(brokerBinary)
	if err != nil {
		return fmt.Errorf("reading the broker binary: %w", err)
	}
	return packDistribution(w, bin)
}

func packDistribution(w io.Writer, bin []byte) error {
	gz := gzip.NewWriter(w)
	tw := tar.NewWriter(gz)
	entries := []struct {
		name string
		mode int64
		data []byte
	}{
		{DistDir + "/", 0o755, nil},
		{DistDir + "/README.md", 0o644, []byte(readme)},
		{DistDir + "/bin/", 0o755, nil},
		{DistDir + "/" + StartScript, 0o755, []byte(startScript)},
		{DistDir + "/config/", 0o755, nil},
		{DistDir + "/config/server.properties", 0o644, []byte(sampleServerProperties)},
		{DistDir + "/libs/", 0o755, nil},
		{DistDir + "/" + BrokerBinary, 0o755, bin},
	}
	mtime := time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)
	for _, e := range entries {
		h := &tar.Header{Name: e.name, Mode: e.mode, ModTime: mtime, Format: tar.FormatPAX}
		if e.data == nil {
			h.Typeflag = tar.TypeDir
		} else {
			h.Typeflag, h.Size = tar.TypeReg, int64(len(e.data))
		}
		if err := tw.WriteHeader(h); err != nil {
			return err
		}
		if _, err := tw.Write(e.data); err != nil {
			return err
		}
	}
	if err := tw.Close(); err != nil {
		return err
	}
	return gz.Close()
}

// startScript takes Apache Kafka's arguments: [-daemon] server.properties
// [--override property=value]*.
const startScript = `#!/bin/sh
# kafka-server-start.sh of the kafka-dev distribution: a DEV STAND-IN for
# Apache Kafka, serving the Kafka protocol from franz-go's kfake. It takes the
# same arguments as Apache Kafka's script and writes logs/server.log the same
# way, so that a scheduler launches both identically.
if [ $# -lt 1 ]; then
  echo "USAGE: $0 [-daemon] server.properties [--override property=value]*" >&2
  exit 1
fi
base_dir=$(cd "$(dirname "$0")/.." && pwd)
if [ -z "$LOG_DIR" ]; then
  LOG_DIR="$base_dir/logs"
fi
export LOG_DIR
mkdir -p "$LOG_DIR"
if [ "$1" = "-daemon" ]; then
  shift
  nohup "$base_dir/libs/kafka-dev-broker" --log-dir "$LOG_DIR" "$@" > "$LOG_DIR/kafkaServer.out" 2>&1 < /dev/null &
  exit 0
fi
exec "$base_dir/libs/kafka-dev-broker" --log-dir "$LOG_DIR" "$@"
`

const sampleServerProperties = `# Sample server.properties for the kafka-dev stand-in distribution.
# The scheduler renders its own file for every broker; this one runs a
# single local broker: bin/kafka-server-start.sh config/server.properties
broker.id=0
listeners=PLAINTEXT://127.0.0.1:9092
log.dirs=/tmp/kafka-dev-logs
zookeeper.connect=127.0.0.1:2181/kafka-dev-sample
num.partitions=1
default.replication.factor=1
offsets.topic.replication.factor=1
delete.topic.enable=true
`

const readme = `kafka-dev: a DEV STAND-IN for the Apache Kafka distribution
==========================================================

This is not Apache Kafka. It is a development stand-in built by
kafka-scheduler's "make build": bin/kafka-server-start.sh runs a broker that
serves the Kafka wire protocol from franz-go's kfake, configured only from the
server.properties it is given, so that kafka-scheduler's dev mode and tests
launch brokers exactly as they launch Apache Kafka.

Layout: bin/kafka-server-start.sh, config/server.properties (a sample),
libs/kafka-dev-broker (the broker), logs/ (created at start: server.log).

What differs from Apache Kafka (see the devkafka Go package documentation):
- brokers with the same zookeeper.connect form one cluster through a registry
  on the local filesystem (devkafka.registry.dir, default under the OS temp
  dir), not through ZooKeeper: all brokers of a cluster run on one machine;
- partition data is not replicated: a partition is served only by its first
  replica, and is unavailable while that broker is down;
- PLAINTEXT only; no ACLs, quotas, transactions or dynamic broker configs.
`
