package checks

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"

	mesos "github.com/mesos/mesos-go/api/v1/lib"
)

func f(v float64) *float64 { return &v }

type recorder[T any] struct {
	mu  sync.Mutex
	got []T
}

func (r *recorder[T]) add(v T) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.got = append(r.got, v)
}

func (r *recorder[T]) waitFor(t *testing.T, n int) []T {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		r.mu.Lock()
		if len(r.got) >= n {
			out := append([]T(nil), r.got...)
			r.mu.Unlock()
			return out
		}
		r.mu.Unlock()
		time.Sleep(5 * time.Millisecond)
	}
	t.Fatalf("wanted %d reports, got %d", n, len(r.got))
	return nil
}

func TestCommandCheckReportsOnlyChanges(t *testing.T) {
	dir := t.TempDir()
	flag := filepath.Join(dir, "ready")
	cmd := `echo x >> attempts; test -f ready`
	check := mesos.CheckInfo{Type: mesos.CheckInfo_COMMAND, Command: &mesos.CheckInfo_Command{Command: mesos.CommandInfo{Value: &cmd}},
		DelaySeconds: f(0), IntervalSeconds: f(0.02), TimeoutSeconds: f(5)}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var rec recorder[mesos.CheckStatusInfo]
	go RunCheck(ctx, check, Target{Dir: dir, Env: os.Environ()}, rec.add)
	first := rec.waitFor(t, 1)
	if first[0].GetCommand().GetExitCode() != 1 {
		t.Fatalf("first result: %v", first[0])
	}
	if err := os.WriteFile(flag, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	got := rec.waitFor(t, 2)
	if got[1].GetCommand().GetExitCode() != 0 || got[1].GetType() != mesos.CheckInfo_COMMAND {
		t.Fatalf("second result: %v", got[1])
	}
	// Several more checks run without a change: no new report.
	attempts := func() int { b, _ := os.ReadFile(filepath.Join(dir, "attempts")); return len(b) / 2 }
	seen := attempts()
	deadline := time.Now().Add(10 * time.Second)
	for attempts() < seen+3 {
		if time.Now().After(deadline) {
			t.Fatal("the check stopped running")
		}
		time.Sleep(5 * time.Millisecond)
	}
	rec.mu.Lock()
	n := len(rec.got)
	rec.mu.Unlock()
	if n != 2 {
		t.Fatalf("unchanged results must not be reported, got %d reports", n)
	}
}

func TestTCPAndHTTPChecks(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/ready" {
			w.WriteHeader(http.StatusTeapot)
		}
	}))
	defer srv.Close()
	host, portStr, _ := net.SplitHostPort(srv.Listener.Addr().String())
	port, _ := strconv.Atoi(portStr)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()

	var httpRec recorder[mesos.CheckStatusInfo]
	path := "/ready"
	go RunCheck(ctx, mesos.CheckInfo{Type: mesos.CheckInfo_HTTP, HTTP: &mesos.CheckInfo_Http{Port: uint32(port), Path: &path},
		DelaySeconds: f(0), IntervalSeconds: f(1)}, Target{Host: host}, httpRec.add)
	if got := httpRec.waitFor(t, 1); got[0].GetHTTP().GetStatusCode() != http.StatusTeapot {
		t.Fatalf("http check: %v", got[0])
	}

	var tcpRec recorder[mesos.CheckStatusInfo]
	go RunCheck(ctx, mesos.CheckInfo{Type: mesos.CheckInfo_TCP, TCP: &mesos.CheckInfo_Tcp{Port: uint32(port)},
		DelaySeconds: f(0), IntervalSeconds: f(1)}, Target{Host: host}, tcpRec.add)
	if got := tcpRec.waitFor(t, 1); !got[0].GetTCP().GetSucceeded() {
		t.Fatalf("tcp check: %v", got[0])
	}
}

func TestHealthCheckGraceFailuresAndKill(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close() // nothing listens: every check fails
	failures := uint32(2)
	hc := mesos.HealthCheck{Type: mesos.HealthCheck_TCP, TCP: &mesos.HealthCheck_TCPCheckInfo{Port: uint32(port)},
		DelaySeconds: f(0), IntervalSeconds: f(0.02), TimeoutSeconds: f(1), GracePeriodSeconds: f(0), ConsecutiveFailures: &failures}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var rec recorder[HealthStatus]
	go RunHealthCheck(ctx, hc, Target{Host: "127.0.0.1"}, rec.add)
	got := rec.waitFor(t, 2)
	if got[0].Healthy || got[0].KillTask || got[0].ConsecutiveFailures != 1 {
		t.Fatalf("first failure: %+v", got[0])
	}
	if got[1].Healthy || !got[1].KillTask || got[1].ConsecutiveFailures != 2 {
		t.Fatalf("second failure must ask to kill: %+v", got[1])
	}
}

func TestHealthCheckIgnoresFailuresInGraceThenReportsHealthy(t *testing.T) {
	dir := t.TempDir()
	cmd := `echo x >> attempts; test -f ok`
	hc := mesos.HealthCheck{Type: mesos.HealthCheck_COMMAND, Command: &mesos.CommandInfo{Value: &cmd},
		DelaySeconds: f(0), IntervalSeconds: f(0.02), TimeoutSeconds: f(5), GracePeriodSeconds: f(30)}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var rec recorder[HealthStatus]
	go RunHealthCheck(ctx, hc, Target{Dir: dir, Env: os.Environ()}, rec.add)
	deadline := time.Now().Add(10 * time.Second)
	for {
		b, _ := os.ReadFile(filepath.Join(dir, "attempts"))
		if len(b) >= 6 { // three failed attempts inside the grace period
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the health check did not run")
		}
		time.Sleep(5 * time.Millisecond)
	}
	if err := os.WriteFile(filepath.Join(dir, "ok"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	got := rec.waitFor(t, 1)
	if !got[0].Healthy {
		t.Fatalf("failures inside the grace period must not be reported: %+v", got)
	}
}
