package localmesos_test

import (
	"bufio"
	"context"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// goTool returns the go command running the tests.
func goTool(t *testing.T) string {
	t.Helper()
	if p, err := exec.LookPath("go"); err == nil {
		return p
	}
	if root := os.Getenv("GOROOT"); root != "" {
		return filepath.Join(root, "bin", "go")
	}
	t.Fatal("the go command is not on PATH and GOROOT is unset; the black-box test builds kafka-scheduler with it")
	return ""
}

// The real binary's `local-mesos` command, driven by an independent mesos-go
// program from another module (testdata/blackbox), through the whole
// reserve/create/launch/kill/relaunch/destroy/unreserve cycle.
func TestBlackBoxLocalMesosCommandWithAnIndependentFramework(t *testing.T) {
	gocmd := goTool(t)
	bin := filepath.Join(t.TempDir(), "kafka-scheduler")
	build := exec.Command(gocmd, "build", "-o", bin, "../cmd/kafka-scheduler")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("building kafka-scheduler: %v\n%s", err, out)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	server := exec.CommandContext(ctx, bin, "local-mesos", "--listen", "127.0.0.1:0", "--agents", "1",
		"--cpus", "2", "--mem", "2048", "--disk", "2048", "--heartbeat-interval", "1s", "--status-update-retry", "1s")
	stdout, err := server.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr strings.Builder
	server.Stderr = &stderr
	if err := server.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	urls := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if url, ok := strings.CutPrefix(sc.Text(), "scheduler API:"); ok {
				urls <- strings.TrimSpace(url)
			}
		}
		_, _ = io.Copy(io.Discard, stdout)
		exited <- server.Wait()
	}()
	var url string
	select {
	case url = <-urls:
	case err := <-exited:
		t.Fatalf("local-mesos exited early: %v\n%s", err, stderr.String())
	case <-ctx.Done():
		t.Fatalf("local-mesos printed no URL\n%s", stderr.String())
	}

	client := exec.CommandContext(ctx, gocmd, "run", ".", "-master", url, "-timeout", "90s")
	client.Dir = filepath.Join("testdata", "blackbox")
	client.Env = append(os.Environ(), "GOWORK=off", "GOFLAGS=-mod=readonly")
	out, err := client.CombinedOutput()
	if err != nil || !strings.Contains(string(out), "OK") {
		t.Fatalf("the independent framework failed: %v\n%s\nlocal-mesos stderr:\n%s", err, out, stderr.String())
	}

	if err := server.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-exited:
		if err != nil {
			t.Fatalf("local-mesos did not stop cleanly: %v\n%s", err, stderr.String())
		}
	case <-time.After(30 * time.Second):
		t.Fatal("local-mesos did not stop after SIGINT")
	}
}
