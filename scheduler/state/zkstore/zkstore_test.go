package zkstore

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-zookeeper/zk"

	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/internal/zkserver"
	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/state"
	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/state/statetest"
)

// openStore opens a store on the server with test-friendly timeouts.
func openStore(t testing.TB, addr, root string, adjust ...func(*Config)) *Store {
	t.Helper()
	cfg := Config{
		Servers:          []string{addr},
		Root:             root,
		SessionTimeout:   4 * time.Second,
		OperationTimeout: 5 * time.Second,
		Logger:           testLogger(t),
	}
	for _, f := range adjust {
		f(&cfg)
	}
	s, err := Open(statetest.Ctx(t), cfg)
	if err != nil {
		t.Fatalf("Open(%s%s): %v", addr, root, err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// testLogger writes the store's logs into the test output.
func testLogger(t testing.TB) *slog.Logger {
	return slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelInfo}))
}

type testWriter struct{ t testing.TB }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Logf("%s", bytes.TrimRight(p, "\n"))
	return len(p), nil
}

// waitFor polls cond until it holds or the deadline passes.
func waitFor(t *testing.T, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", timeout, what)
		}
		time.Sleep(20 * time.Millisecond) // polling interval, not synchronisation
	}
}

func waitClosed(t *testing.T, ch <-chan struct{}, timeout time.Duration, what string) {
	t.Helper()
	select {
	case <-ch:
	case <-time.After(timeout):
		t.Fatalf("timed out after %s waiting for %s", timeout, what)
	}
}

func isClosed(ch <-chan struct{}) bool {
	select {
	case <-ch:
		return true
	default:
		return false
	}
}

func TestContract(t *testing.T) {
	srv := zkserver.Start(t)
	var n atomic.Int64
	statetest.Run(t, func(t *testing.T) state.Store {
		return openStore(t, srv.Addr(), fmt.Sprintf("/contract/store-%d", n.Add(1)))
	})
}

func TestContractWithDigestACL(t *testing.T) {
	srv := zkserver.Start(t)
	var n atomic.Int64
	statetest.Run(t, func(t *testing.T) state.Store {
		return openStore(t, srv.Addr(), fmt.Sprintf("/secure-contract/store-%d", n.Add(1)), func(c *Config) {
			c.Auth = &DigestAuth{Username: "scheduler", Password: "s3cret"}
		})
	})
}

func TestRestartMidUse(t *testing.T) {
	srv := zkserver.Start(t)
	s := openStore(t, srv.Addr(), ServiceRoot("kafka"), func(c *Config) {
		c.SessionTimeout = 30 * time.Second // the session outlives the restart
		c.OperationTimeout = time.Second
	})
	statetest.MustSet(t, s, "FrameworkID", []byte("fw-1"))
	lock, err := s.Lock(statetest.Ctx(t), "lock")
	if err != nil {
		t.Fatalf("Lock: %v", err)
	}

	srv.Stop()
	start := time.Now()
	_, err = s.Get(statetest.Ctx(t), "FrameworkID")
	statetest.WantErr(t, "Get while ZooKeeper is stopped", err, state.ErrUnavailable)
	if took := time.Since(start); took > 5*time.Second {
		t.Fatalf("Get while ZooKeeper is stopped took %s; the operation timeout is 1s", took)
	}
	statetest.WantErr(t, "Set while ZooKeeper is stopped", s.Set(statetest.Ctx(t), "FrameworkID", []byte("x")), state.ErrUnavailable)
	statetest.WantErr(t, "fenced Set while ZooKeeper is stopped", lock.Store().Set(statetest.Ctx(t), "FrameworkID", []byte("x")), state.ErrUnavailable)

	srv.Restart()
	waitFor(t, 30*time.Second, "calls to work again after the restart", func() bool {
		_, err := s.Get(statetest.Ctx(t), "FrameworkID")
		return err == nil
	})
	statetest.WantValue(t, s, "FrameworkID", "fw-1")
	// The session survived the restart, and so did the lock.
	if isClosed(lock.Lost()) {
		t.Fatalf("the lock was lost although its session survived the restart")
	}
	if err := lock.Store().Set(statetest.Ctx(t), "FrameworkID", []byte("fw-2")); err != nil {
		t.Fatalf("fenced Set after the restart: %v", err)
	}
	statetest.WantValue(t, s, "FrameworkID", "fw-2")
}

func TestExpiredLockHolderCannotWrite(t *testing.T) {
	srv := zkserver.Start(t)
	root := ServiceRoot("kafka")
	holder := openStore(t, srv.Addr(), root)
	contender := openStore(t, srv.Addr(), root)

	lock, err := holder.Lock(statetest.Ctx(t), "lock")
	if err != nil {
		t.Fatalf("holder Lock: %v", err)
	}
	if err := lock.Store().Set(statetest.Ctx(t), "ConfigTarget", []byte("from holder")); err != nil {
		t.Fatalf("holder's fenced Set: %v", err)
	}
	acquired := make(chan state.Lock, 1)
	go func() {
		l, err := contender.Lock(statetest.Ctx(t), "lock")
		if err != nil {
			t.Errorf("contender Lock: %v", err)
			close(acquired)
			return
		}
		acquired <- l
	}()

	oldSession := holder.SessionID()
	srv.ExpireSession(oldSession)

	waitClosed(t, lock.Lost(), 20*time.Second, "the holder's Lost channel")
	var newLock state.Lock
	select {
	case newLock = <-acquired:
	case <-time.After(20 * time.Second):
		t.Fatalf("the contender did not get the lock after the holder's session expired")
	}
	if newLock == nil {
		t.FailNow()
	}
	if err := newLock.Store().Set(statetest.Ctx(t), "ConfigTarget", []byte("from new leader")); err != nil {
		t.Fatalf("new leader's fenced Set: %v", err)
	}
	// The old holder reconnects with a new session and works again, but its
	// fenced view can never write.
	waitFor(t, 20*time.Second, "the holder's new session", func() bool {
		id := holder.SessionID()
		return id != 0 && id != oldSession
	})
	statetest.WantValue(t, holder, "ConfigTarget", "from new leader")
	old := lock.Store()
	statetest.WantErr(t, "old holder's fenced Set", old.Set(statetest.Ctx(t), "ConfigTarget", []byte("stale leader")), state.ErrLockLost)
	statetest.WantErr(t, "old holder's fenced Commit", old.Commit(statetest.Ctx(t), state.SetOp("ConfigTarget", []byte("stale leader"))), state.ErrLockLost)
	statetest.WantErr(t, "old holder's fenced DeleteRecursive", old.DeleteRecursive(statetest.Ctx(t), "ConfigTarget"), state.ErrLockLost)
	statetest.WantValue(t, contender, "ConfigTarget", "from new leader")
}

// TestFenceIsCheckedByTheServer shows the multi's version check alone stops
// a write when the lock znode is gone, even if this client has not noticed.
func TestFenceIsCheckedByTheServer(t *testing.T) {
	srv := zkserver.Start(t)
	s := openStore(t, srv.Addr(), ServiceRoot("kafka"))
	statetest.MustSet(t, s, "ConfigTarget", []byte("before"))
	// A lock the client believes it holds, whose znode does not exist (as
	// after an expiry this client has not heard about yet).
	l := &zkLock{store: s, name: "lock", path: s.path("lock/lock-0123456789abcdef-0000000007"), session: s.SessionID(), lost: make(chan struct{})}
	s.mu.Lock()
	s.locks[l] = struct{}{}
	s.mu.Unlock()
	fenced := l.Store()
	statetest.WantErr(t, "fenced Set without the lock znode", fenced.Set(statetest.Ctx(t), "ConfigTarget", []byte("after")), state.ErrLockLost)
	statetest.WantValue(t, s, "ConfigTarget", "before")
	if !isClosed(l.Lost()) {
		t.Fatalf("Lost not closed after the server refused the fence")
	}
}

func TestPartitionLosesLockAfterSessionTimeout(t *testing.T) {
	srv := zkserver.Start(t)
	root := ServiceRoot("kafka")
	holder := openStore(t, srv.Addr(), root, func(c *Config) {
		c.SessionTimeout = 2 * time.Second
		c.OperationTimeout = time.Second
	})
	other := openStore(t, srv.DirectAddr(), root) // not behind the cut
	lock, err := holder.Lock(statetest.Ctx(t), "lock")
	if err != nil {
		t.Fatalf("Lock: %v", err)
	}

	srv.Cut()
	statetest.WantErr(t, "fenced Set during a partition", lock.Store().Set(statetest.Ctx(t), "ConfigTarget", []byte("x")), state.ErrUnavailable)
	// The holder gives the lock up on its own once the session may have expired.
	waitClosed(t, lock.Lost(), 15*time.Second, "Lost during the partition")
	// The server expires the silent session and someone else leads.
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	newLock, err := other.Lock(ctx, "lock")
	if err != nil {
		t.Fatalf("other Lock during the partition: %v", err)
	}
	if err := newLock.Store().Set(statetest.Ctx(t), "ConfigTarget", []byte("new leader")); err != nil {
		t.Fatalf("new leader's fenced Set: %v", err)
	}

	srv.Heal()
	waitFor(t, 20*time.Second, "the holder to reconnect", func() bool {
		_, err := holder.Get(statetest.Ctx(t), "ConfigTarget")
		return err == nil
	})
	statetest.WantErr(t, "old holder's fenced Set after the partition", lock.Store().Set(statetest.Ctx(t), "ConfigTarget", []byte("stale")), state.ErrLockLost)
	statetest.WantValue(t, holder, "ConfigTarget", "new leader")
}

func TestLockPassesWhenHolderCloses(t *testing.T) {
	srv := zkserver.Start(t)
	root := ServiceRoot("kafka")
	first := openStore(t, srv.Addr(), root)
	second := openStore(t, srv.Addr(), root)
	if _, err := first.Lock(statetest.Ctx(t), "lock"); err != nil {
		t.Fatalf("Lock: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	_, err := second.Lock(ctx, "lock")
	statetest.WantErr(t, "second Lock while the first store holds it", err, context.DeadlineExceeded)

	first.Close() // ends the session: ZooKeeper deletes the lock znode
	l, err := second.Lock(statetest.Ctx(t), "lock")
	if err != nil {
		t.Fatalf("second Lock after the holder closed: %v", err)
	}
	if err := l.Store().Set(statetest.Ctx(t), "FrameworkID", []byte("fw")); err != nil {
		t.Fatalf("fenced Set: %v", err)
	}
}

func TestCompareAndSetRaceAcrossClients(t *testing.T) {
	srv := zkserver.Start(t)
	root := ServiceRoot("kafka")
	stores := make([]*Store, 4)
	for i := range stores {
		stores[i] = openStore(t, srv.Addr(), root)
	}
	for round := range 5 {
		statetest.MustSet(t, stores[0], "ConfigTarget", []byte("start"))
		base := statetest.MustGet(t, stores[0], "ConfigTarget").Version
		var wg sync.WaitGroup
		start := make(chan struct{})
		var wins atomic.Int32
		for i, s := range stores {
			for j := range 3 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					<-start
					_, err := s.CompareAndSet(statetest.Ctx(t), "ConfigTarget", []byte(fmt.Sprintf("%d-%d", i, j)), base)
					switch {
					case err == nil:
						wins.Add(1)
					case !errors.Is(err, state.ErrVersionConflict):
						t.Errorf("CompareAndSet: %v", err)
					}
				}()
			}
		}
		close(start)
		wg.Wait()
		if got := wins.Load(); got != 1 {
			t.Fatalf("round %d: %d writers won the compare-and-set, want exactly 1", round, got)
		}
	}
}

func TestDigestACLKeepsOthersOut(t *testing.T) {
	srv := zkserver.Start(t)
	root := "/secure"
	auth := &DigestAuth{Username: "scheduler", Password: "correct-horse"}
	owner := openStore(t, srv.Addr(), root, func(c *Config) { c.Auth = auth })
	statetest.MustSet(t, owner, "Properties/secret", []byte("value"))

	// The znodes carry only the digest ACL.
	raw, _, err := zk.Connect([]string{srv.DirectAddr()}, 4*time.Second, zk.WithLogInfo(false))
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	if err := raw.AddAuth("digest", []byte("scheduler:correct-horse")); err != nil {
		t.Fatal(err)
	}
	acl, _, err := raw.GetACL(root + "/Properties/secret")
	if err != nil {
		t.Fatalf("GetACL: %v", err)
	}
	if len(acl) != 1 || acl[0].Scheme != "digest" || !strings.HasPrefix(acl[0].ID, "scheduler:") {
		t.Fatalf("ACL of a stored key = %+v, want only the scheduler's digest", acl)
	}

	for name, cred := range map[string]*DigestAuth{
		"no credentials": nil,
		"wrong password": {Username: "scheduler", Password: "wrong"},
		"other user":     {Username: "intruder", Password: "correct-horse"},
	} {
		t.Run(name, func(t *testing.T) {
			other := openStore(t, srv.Addr(), root, func(c *Config) { c.Auth = cred })
			ctx := statetest.Ctx(t)
			_, err := other.Get(ctx, "Properties/secret")
			statetest.WantErr(t, "Get", err, state.ErrAccessDenied)
			_, err = other.Children(ctx, "Properties")
			statetest.WantErr(t, "Children", err, state.ErrAccessDenied)
			statetest.WantErr(t, "Set", other.Set(ctx, "Properties/secret", []byte("overwritten")), state.ErrAccessDenied)
			statetest.WantErr(t, "Set of a new key", other.Set(ctx, "Properties/new", []byte("x")), state.ErrAccessDenied)
			statetest.WantErr(t, "DeleteRecursive", other.DeleteRecursive(ctx, "Properties"), state.ErrAccessDenied)
		})
	}
	statetest.WantValue(t, owner, "Properties/secret", "value")
	statetest.WantChildren(t, owner, "Properties", "secret")
}

func TestSecretsStayOutOfLogsAndErrors(t *testing.T) {
	const password = "do-not-print-me"
	auth := &DigestAuth{Username: "scheduler", Password: password}
	cfg := Config{Servers: []string{"127.0.0.1:1"}, Root: "/x", Auth: auth}
	var logs bytes.Buffer
	cfg.Logger = slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	cfg.Logger.Info("config", "auth", auth, "auth_value", *auth)
	ctx, cancel := context.WithTimeout(context.Background(), 1500*time.Millisecond)
	defer cancel()
	_, err := Open(ctx, cfg)
	statetest.WantErr(t, "Open against a closed port", err, state.ErrUnavailable)
	for what, text := range map[string]string{
		"error": err.Error(), "logs": logs.String(),
		"%v": fmt.Sprintf("%v", auth), "%+v": fmt.Sprintf("%+v", *auth), "%s": fmt.Sprintf("%s", auth),
		"config %+v": fmt.Sprintf("%+v", cfg),
	} {
		if strings.Contains(text, password) {
			t.Errorf("the password appears in the %s: %q", what, text)
		}
	}
}

func TestUnavailableWhenNoServer(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	start := time.Now()
	_, err := Open(ctx, Config{Servers: []string{"127.0.0.1:1"}, Root: "/x"})
	statetest.WantErr(t, "Open with no server", err, state.ErrUnavailable)
	if took := time.Since(start); took > 5*time.Second {
		t.Fatalf("Open with no server took %s; its context allowed 1s", took)
	}
}

func TestConfigValidation(t *testing.T) {
	for name, cfg := range map[string]Config{
		"no servers":      {Root: "/x"},
		"bad server":      {Servers: []string{"localhost"}, Root: "/x"},
		"relative root":   {Servers: []string{"127.0.0.1:2181"}, Root: "x"},
		"slash root":      {Servers: []string{"127.0.0.1:2181"}, Root: "/"},
		"trailing slash":  {Servers: []string{"127.0.0.1:2181"}, Root: "/x/"},
		"reserved root":   {Servers: []string{"127.0.0.1:2181"}, Root: "/zookeeper/x"},
		"empty password":  {Servers: []string{"127.0.0.1:2181"}, Root: "/x", Auth: &DigestAuth{Username: "u"}},
		"colon user name": {Servers: []string{"127.0.0.1:2181"}, Root: "/x", Auth: &DigestAuth{Username: "u:v", Password: "p"}},
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := Open(context.Background(), cfg); err == nil {
				t.Fatalf("Open accepted %+v", cfg)
			}
		})
	}
	if got := ServiceRoot("/path/to/kafka"); got != "/dcos-service-path__to__kafka" {
		t.Fatalf("ServiceRoot(/path/to/kafka) = %q", got)
	}
}

// TestFencedDeleteRecursiveOfTheRoot wipes a root bigger than one multi
// batch through a lock's view: every batch is fenced, the lock znode goes
// last, and the lock is lost afterwards.
func TestFencedDeleteRecursiveOfTheRoot(t *testing.T) {
	srv := zkserver.Start(t)
	s := openStore(t, srv.Addr(), ServiceRoot("kafka"))
	for batch := range 6 {
		var ops []state.Op
		for i := range 200 {
			ops = append(ops, state.SetOp(fmt.Sprintf("Tasks/t%d/n%d", batch, i), []byte("x")))
		}
		if err := s.Commit(statetest.Ctx(t), ops...); err != nil {
			t.Fatalf("Commit: %v", err)
		}
	}
	lock, err := s.Lock(statetest.Ctx(t), "lock")
	if err != nil {
		t.Fatalf("Lock: %v", err)
	}
	if err := lock.Store().DeleteRecursive(statetest.Ctx(t), state.RootKey); err != nil {
		t.Fatalf("fenced DeleteRecursive(RootKey): %v", err)
	}
	statetest.WantChildren(t, s, state.RootKey)
	waitClosed(t, lock.Lost(), 10*time.Second, "Lost after the lock znode was deleted with the root")
}

// BenchmarkRoundTrip measures round trips against a real ZooKeeper on
// loopback, bypassing the harness's proxy.
func BenchmarkRoundTrip(b *testing.B) {
	srv := zkserver.Start(b)
	s := openStore(b, srv.DirectAddr(), ServiceRoot("bench"))
	statetest.Benchmark(b, s)
}
