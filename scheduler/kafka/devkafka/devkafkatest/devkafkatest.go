// Package devkafkatest starts clusters of dev stand-in Kafka brokers (see
// package devkafka) for tests, the way a Mesos agent runs them: each broker
// gets a sandbox, the distribution tarball is extracted into it, its
// server.properties is rendered with brokerconfig.Render, and
// kafka-dev/bin/kafka-server-start.sh runs as a separate OS process. Every
// process is killed when the test ends.
package devkafkatest

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/kafka/brokerconfig"
	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/kafka/devkafka"
)

// BuildDistribution builds the distribution tarball into dir and returns
// its path. Call it once per test binary (from TestMain).
func BuildDistribution(ctx context.Context, dir string) (string, error) {
	path := filepath.Join(dir, "kafka-dev.tgz")
	if err := devkafka.BuildDistribution(ctx, path); err != nil {
		return "", err
	}
	return path, nil
}

// Cluster is a set of stand-in brokers that form one Kafka cluster.
type Cluster struct {
	Tarball          string
	ZookeeperConnect string
	RegistryDir      string
	Settings         brokerconfig.Settings
	Brokers          []*Broker
}

// Broker is one broker process and its sandbox.
type Broker struct {
	ID         int
	Host       string
	Port       int
	Sandbox    string
	Properties string // path of the rendered server.properties
	ServerLog  string

	cluster *Cluster
	mu      sync.Mutex
	cmd     *exec.Cmd // the running process, nil when stopped
	last    *exec.Cmd // the last process that exited
	exited  chan struct{}
}

// StartCluster starts n brokers, each bound to its own loopback address
// (127.0.0.2, 127.0.0.3, ...) on one shared free port, and waits until every
// one logged its readiness line. settings is the service's kafka section;
// the cluster gets its own zookeeper.connect and registry directory.
func StartCluster(t testing.TB, tarball string, n int, settings brokerconfig.Settings) *Cluster {
	t.Helper()
	root := t.TempDir()
	c := &Cluster{
		Tarball:          tarball,
		ZookeeperConnect: fmt.Sprintf("127.0.0.1:2181/dcos-service-test-%x", rand.Uint64()),
		RegistryDir:      filepath.Join(root, "registry"),
		Settings:         settings,
	}
	hosts := make([]string, n)
	for i := range hosts {
		hosts[i] = fmt.Sprintf("127.0.0.%d", i+2)
	}
	port := freePort(t, hosts)
	for i := range n {
		b := &Broker{ID: i, Host: hosts[i], Port: port, Sandbox: filepath.Join(root, fmt.Sprintf("kafka-%d", i)), cluster: c}
		b.prepare(t)
		c.Brokers = append(c.Brokers, b)
	}
	t.Cleanup(func() {
		for _, b := range c.Brokers {
			b.kill()
		}
	})
	for _, b := range c.Brokers {
		b.Start(t)
	}
	return c
}

// Bootstrap returns every broker's address.
func (c *Cluster) Bootstrap() []string {
	out := make([]string, len(c.Brokers))
	for i, b := range c.Brokers {
		out[i] = b.Addr()
	}
	return out
}

// Addr is the broker's host:port.
func (b *Broker) Addr() string { return net.JoinHostPort(b.Host, strconv.Itoa(b.Port)) }

// prepare extracts the distribution into the sandbox and renders
// server.properties, as the scheduler's launch path does.
func (b *Broker) prepare(t testing.TB) {
	t.Helper()
	if err := extract(b.cluster.Tarball, b.Sandbox); err != nil {
		t.Fatalf("extracting the distribution for broker %d: %v", b.ID, err)
	}
	settings := b.cluster.Settings
	extra := map[string]string{devkafka.RegistryDirProperty: b.cluster.RegistryDir}
	for k, v := range settings.ServerProperties {
		extra[k] = v
	}
	settings.ServerProperties = extra
	props, err := brokerconfig.Render(settings, brokerconfig.Broker{
		ID:               b.ID,
		ListenHost:       b.Host,
		AdvertisedHost:   b.Host,
		Port:             b.Port,
		LogDir:           filepath.Join(b.Sandbox, "kafka-broker-data", fmt.Sprintf("broker-%d", b.ID)),
		ZookeeperConnect: b.cluster.ZookeeperConnect,
	})
	if err != nil {
		t.Fatalf("rendering server.properties for broker %d: %v", b.ID, err)
	}
	b.Properties = filepath.Join(b.Sandbox, "server.properties")
	if err := os.WriteFile(b.Properties, props, 0o644); err != nil {
		t.Fatal(err)
	}
	b.ServerLog = filepath.Join(b.Sandbox, devkafka.DistDir, devkafka.ServerLog)
}

// Start runs the start script and waits for the readiness line.
func (b *Broker) Start(t testing.TB) {
	t.Helper()
	b.mu.Lock()
	if b.cmd != nil {
		b.mu.Unlock()
		t.Fatalf("broker %d is already running", b.ID)
	}
	logStart := fileSize(b.ServerLog)
	out, err := os.OpenFile(filepath.Join(b.Sandbox, "stdout"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		b.mu.Unlock()
		t.Fatal(err)
	}
	cmd := exec.Command(filepath.Join(b.Sandbox, devkafka.DistDir, devkafka.StartScript), b.Properties)
	cmd.Dir = b.Sandbox
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		out.Close()
		b.mu.Unlock()
		t.Fatalf("starting broker %d: %v", b.ID, err)
	}
	exited := make(chan struct{})
	go func() {
		cmd.Wait()
		out.Close()
		close(exited)
	}()
	b.cmd, b.exited = cmd, exited
	b.mu.Unlock()
	b.waitReady(t, logStart, exited)
}

// waitReady polls server.log (from offset) for the readiness line the
// scheduler's readiness check greps, failing early if the process exits.
func (b *Broker) waitReady(t testing.TB, offset int64, exited <-chan struct{}) {
	t.Helper()
	line := []byte(fmt.Sprintf("INFO [KafkaServer id=%d] started (kafka.server.KafkaServer)", b.ID))
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		if bytes.Contains(readFrom(b.ServerLog, offset), line) {
			return
		}
		select {
		case <-exited:
			t.Fatalf("broker %d exited before it was ready; server.log:\n%s", b.ID, readFrom(b.ServerLog, offset))
		case <-time.After(20 * time.Millisecond):
		}
	}
	t.Fatalf("broker %d did not log its readiness line within 30s; server.log:\n%s", b.ID, readFrom(b.ServerLog, offset))
}

// Stop sends SIGTERM and waits for the process to exit.
func (b *Broker) Stop(t testing.TB) {
	t.Helper()
	b.signal(t, syscall.SIGTERM)
}

// Kill sends SIGKILL and waits for the process to exit.
func (b *Broker) Kill(t testing.TB) {
	t.Helper()
	b.signal(t, syscall.SIGKILL)
}

// ExitCode is the exit code of the last stopped run, -1 if it died of a
// signal or has not stopped.
func (b *Broker) ExitCode() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.last == nil || b.last.ProcessState == nil {
		return -1
	}
	return b.last.ProcessState.ExitCode()
}

func (b *Broker) signal(t testing.TB, sig syscall.Signal) {
	t.Helper()
	b.mu.Lock()
	cmd, exited := b.cmd, b.exited
	b.mu.Unlock()
	if cmd == nil {
		t.Fatalf("broker %d is not running", b.ID)
	}
	if err := cmd.Process.Signal(sig); err != nil && !errors.Is(err, os.ErrProcessDone) {
		t.Fatalf("signalling broker %d: %v", b.ID, err)
	}
	select {
	case <-exited:
	case <-time.After(30 * time.Second):
		t.Fatalf("broker %d did not exit within 30s of %v", b.ID, sig)
	}
	b.mu.Lock()
	b.cmd, b.last = nil, cmd
	b.mu.Unlock()
}

func (b *Broker) kill() {
	b.mu.Lock()
	cmd, exited := b.cmd, b.exited
	b.cmd = nil
	b.mu.Unlock()
	if cmd == nil {
		return
	}
	cmd.Process.Kill()
	<-exited
}

// Log returns the broker's server.log.
func (b *Broker) Log() string { return string(readFrom(b.ServerLog, 0)) }

func readFrom(path string, offset int64) []byte {
	f, err := os.Open(path)
	if err != nil {
		return nil
	}
	defer f.Close()
	if _, err := f.Seek(offset, io.SeekStart); err != nil {
		return nil
	}
	data, _ := io.ReadAll(f)
	return data
}

func fileSize(path string) int64 {
	fi, err := os.Stat(path)
	if err != nil {
		return 0
	}
	return fi.Size()
}

// freePort finds a port that is free on every host.
func freePort(t testing.TB, hosts []string) int {
	t.Helper()
	for range 20 {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		port := ln.Addr().(*net.TCPAddr).Port
		ln.Close()
		if freeOnAll(hosts, port) {
			return port
		}
	}
	t.Fatal("no port is free on every loopback address")
	return 0
}

func freeOnAll(hosts []string, port int) bool {
	for _, h := range hosts {
		ln, err := net.Listen("tcp", net.JoinHostPort(h, strconv.Itoa(port)))
		if err != nil {
			return false
		}
		ln.Close()
	}
	return true
}

// extract unpacks a .tgz into dir, refusing paths that leave dir.
func extract(tarball, dir string) error {
	f, err := os.Open(tarball)
	if err != nil {
		return err
	}
	defer f.Close()
	gz, err := gzip.NewReader(f)
	if err != nil {
		return err
	}
	tr := tar.NewReader(gz)
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		target := filepath.Join(dir, h.Name)
		if !strings.HasPrefix(target, filepath.Clean(dir)+string(os.PathSeparator)) {
			return fmt.Errorf("tarball entry %q leaves the sandbox", h.Name)
		}
		switch h.Typeflag {
		case tar.TypeDir:
			if err := os.MkdirAll(target, 0o755); err != nil {
				return err
			}
		case tar.TypeReg:
			if err := os.MkdirAll(filepath.Dir(target), 0o755); err != nil {
				return err
			}
			out, err := os.OpenFile(target, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, os.FileMode(h.Mode)&0o777)
			if err != nil {
				return err
			}
			if _, err := io.Copy(out, tr); err != nil {
				out.Close()
				return err
			}
			if err := out.Close(); err != nil {
				return err
			}
		}
	}
}

// RunWithDistribution builds the dev distribution once into a temporary
// folder, stores its path in *tarball, runs the package's tests and removes
// the folder; it returns the exit code for TestMain to pass to os.Exit.
func RunWithDistribution(m *testing.M, tarball *string) int {
	dir, err := os.MkdirTemp("", "kafka-dev-dist-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	*tarball, err = BuildDistribution(ctx, dir)
	cancel()
	if err != nil {
		fmt.Fprintln(os.Stderr, "building the dev Kafka distribution:", err)
		return 1
	}
	return m.Run()
}
