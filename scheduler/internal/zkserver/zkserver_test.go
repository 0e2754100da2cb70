package zkserver

import (
	"errors"
	"fmt"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/go-zookeeper/zk"
)

const sessionTimeout = 2 * time.Second

// connect opens a go-zookeeper client and waits until it has a session.
func connect(t *testing.T, addr string) (*zk.Conn, <-chan zk.Event) {
	t.Helper()
	events := make(chan zk.Event, 100)
	conn, _, err := zk.Connect([]string{addr}, sessionTimeout,
		zk.WithLogger(quietLogger{}), zk.WithLogInfo(false),
		zk.WithEventCallback(func(ev zk.Event) {
			if ev.Type == zk.EventSession {
				select {
				case events <- ev:
				default:
				}
			}
		}))
	if err != nil {
		t.Fatalf("connecting to %s: %v", addr, err)
	}
	t.Cleanup(conn.Close)
	waitFor(t, 20*time.Second, "a session", func() bool { return conn.State() == zk.StateHasSession })
	return conn, events
}

type quietLogger struct{}

func (quietLogger) Printf(string, ...interface{}) {}

// waitFor polls cond until it holds or the deadline passes.
func waitFor(t *testing.T, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", timeout, what)
		}
		time.Sleep(10 * time.Millisecond) // polling interval, not synchronisation
	}
}

func waitForEvent(t *testing.T, events <-chan zk.Event, state zk.State, timeout time.Duration) {
	t.Helper()
	deadline := time.After(timeout)
	for {
		select {
		case ev := <-events:
			if ev.State == state {
				return
			}
		case <-deadline:
			t.Fatalf("no %v session event within %s", state, timeout)
		}
	}
}

func TestServerServesAndKeepsDataAcrossRestart(t *testing.T) {
	srv := Start(t)
	conn, _ := connect(t, srv.Addr())
	if _, err := conn.Create("/kept", []byte("v1"), 0, zk.WorldACL(zk.PermAll)); err != nil {
		t.Fatalf("create: %v", err)
	}
	pid := srv.Pid()

	srv.Stop()
	if srv.Pid() != 0 {
		t.Fatalf("Pid after Stop = %d, want 0", srv.Pid())
	}
	if processExists(pid) {
		t.Fatalf("java pid %d still runs after Stop", pid)
	}
	waitFor(t, 10*time.Second, "the client to notice the server is gone", func() bool {
		return conn.State() != zk.StateHasSession
	})
	if _, _, err := conn.Get("/kept"); err == nil {
		t.Fatalf("Get succeeded while the server was stopped")
	}

	srv.Restart()
	if srv.Pid() == 0 || srv.Pid() == pid {
		t.Fatalf("Pid after Restart = %d (before: %d), want a new process", srv.Pid(), pid)
	}
	waitFor(t, 20*time.Second, "the client to reconnect", func() bool { return conn.State() == zk.StateHasSession })
	data, _, err := conn.Get("/kept")
	if err != nil {
		t.Fatalf("Get after restart: %v", err)
	}
	if string(data) != "v1" {
		t.Fatalf("data after restart = %q, want v1", data)
	}
}

func TestExpireSessionExpiresTheClientsSession(t *testing.T) {
	srv := Start(t)
	victim, events := connect(t, srv.Addr())
	observer, _ := connect(t, srv.DirectAddr())
	if _, err := victim.Create("/eph", nil, zk.FlagEphemeral, zk.WorldACL(zk.PermAll)); err != nil {
		t.Fatalf("create ephemeral: %v", err)
	}
	oldSession := victim.SessionID()

	srv.ExpireSession(oldSession)

	if ok, _, err := observer.Exists("/eph"); err != nil || ok {
		t.Fatalf("ephemeral node after ExpireSession: exists=%v err=%v, want gone", ok, err)
	}
	waitForEvent(t, events, zk.StateExpired, 20*time.Second)
	waitFor(t, 20*time.Second, "a new session", func() bool {
		return victim.State() == zk.StateHasSession && victim.SessionID() != oldSession
	})
}

func TestExpireAllSessions(t *testing.T) {
	srv := Start(t)
	a, aEvents := connect(t, srv.Addr())
	b, bEvents := connect(t, srv.Addr())
	if a.SessionID() == b.SessionID() {
		t.Fatalf("two clients share session 0x%x", a.SessionID())
	}
	if n := srv.ExpireAllSessions(); n != 2 {
		t.Fatalf("ExpireAllSessions expired %d sessions, want 2", n)
	}
	waitForEvent(t, aEvents, zk.StateExpired, 20*time.Second)
	waitForEvent(t, bEvents, zk.StateExpired, 20*time.Second)
}

func TestCutExpiresSessionsAfterTheirTimeout(t *testing.T) {
	srv := Start(t)
	victim, events := connect(t, srv.Addr())
	observer, _ := connect(t, srv.DirectAddr())
	if _, err := victim.Create("/eph", nil, zk.FlagEphemeral, zk.WorldACL(zk.PermAll)); err != nil {
		t.Fatalf("create ephemeral: %v", err)
	}

	srv.Cut()
	waitFor(t, 5*time.Second, "the client to be disconnected", func() bool {
		return victim.State() != zk.StateHasSession
	})
	if _, _, err := victim.Get("/eph"); err == nil {
		t.Fatalf("Get succeeded through a cut proxy")
	}
	// The server expires the silent session: its ephemeral node goes away.
	waitFor(t, 4*sessionTimeout+5*time.Second, "the server to expire the session", func() bool {
		ok, _, err := observer.Exists("/eph")
		return err == nil && !ok
	})

	srv.Heal()
	waitForEvent(t, events, zk.StateExpired, 20*time.Second)
	waitFor(t, 20*time.Second, "a new session", func() bool { return victim.State() == zk.StateHasSession })
}

func TestCleanupKillsJava(t *testing.T) {
	var pids []int
	t.Run("server", func(t *testing.T) {
		srv := Start(t)
		pids = append(pids, srv.Pid())
		srv.Restart()
		pids = append(pids, srv.Pid())
	})
	for _, pid := range pids {
		if pid == 0 || processExists(pid) {
			t.Errorf("java pid %d still runs after the test ended", pid)
		}
	}
}

func processExists(pid int) bool {
	err := syscall.Kill(pid, 0)
	return err == nil || errors.Is(err, syscall.EPERM)
}

// fatalRecorder is a testing.TB whose Fatalf records the message and stops
// the goroutine, like the real one.
type fatalRecorder struct {
	testing.TB
	mu      sync.Mutex
	message string
}

func (r *fatalRecorder) Helper() {}

func (r *fatalRecorder) Fatalf(format string, args ...any) {
	r.mu.Lock()
	r.message = fmt.Sprintf(format, args...)
	r.mu.Unlock()
	runtime.Goexit()
}

func startExpectingFailure(t *testing.T) string {
	rec := &fatalRecorder{TB: t}
	done := make(chan struct{})
	go func() {
		defer close(done)
		Start(rec)
		rec.mu.Lock()
		rec.message = "<Start returned>"
		rec.mu.Unlock()
	}()
	<-done
	rec.mu.Lock()
	defer rec.mu.Unlock()
	return rec.message
}

func TestStartFailsNamingMakeDeps(t *testing.T) {
	t.Run("jar missing", func(t *testing.T) {
		t.Setenv("ZOOKEEPER_JAR", "/nonexistent/zookeeper.jar")
		msg := startExpectingFailure(t)
		for _, want := range []string{"/nonexistent/zookeeper.jar", "make deps"} {
			if !strings.Contains(msg, want) {
				t.Errorf("failure message %q does not mention %q", msg, want)
			}
		}
	})
	t.Run("java missing", func(t *testing.T) {
		t.Setenv("JAVA_HOME", "")
		t.Setenv("PATH", t.TempDir())
		msg := startExpectingFailure(t)
		for _, want := range []string{"java", "make deps"} {
			if !strings.Contains(msg, want) {
				t.Errorf("failure message %q does not mention %q", msg, want)
			}
		}
	})
}
