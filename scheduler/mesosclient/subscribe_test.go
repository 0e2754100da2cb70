package mesosclient

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	mesos "github.com/mesos/mesos-go/api/v1/lib"
	"github.com/mesos/mesos-go/api/v1/lib/scheduler"
	"github.com/mesos/mesos-go/api/v1/lib/scheduler/calls"
)

// Masters that misbehave in ways the local Mesos does not: an httptest
// server stands in for them.

// stallingMaster answers every request with answer; when hold is set it
// then holds the connection until the client goes away or the test ends.
func stallingMaster(t *testing.T, hold bool, answer func(w http.ResponseWriter)) string {
	t.Helper()
	quit := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if answer != nil {
			answer(w)
		}
		if !hold {
			return
		}
		select {
		case <-r.Context().Done():
		case <-quit:
		}
	}))
	t.Cleanup(srv.Close)
	t.Cleanup(func() { close(quit) }) // runs first
	return srv.URL
}

func TestUnansweredSubscribeIsRetried(t *testing.T) {
	t.Parallel()
	url := stallingMaster(t, true, nil)
	tr := newTracker(t)
	cl := tr.newClient(t, url, func(c *Config) { c.CallTimeout = 200 * time.Millisecond })
	r := start(t, cl)
	waitUntil(t, "two attempts", func() bool { return len(tr.disconnects(0)) >= 2 })
	for _, err := range tr.disconnects(0)[:2] {
		if err == nil || !strings.Contains(err.Error(), "no answer to SUBSCRIBE within 200ms") {
			t.Fatalf("Disconnected(%v)", err)
		}
	}
	if err := r.stop(t); !errors.Is(err, context.Canceled) {
		t.Fatalf("Run: %v", err)
	}
}

func TestStreamWithoutSubscribedIsDropped(t *testing.T) {
	t.Parallel()
	url := stallingMaster(t, true, func(w http.ResponseWriter) {
		w.Header().Set("Mesos-Stream-Id", "s1")
		w.WriteHeader(http.StatusOK)
		w.(http.Flusher).Flush()
	})
	tr := newTracker(t)
	cl := tr.newClient(t, url, func(c *Config) { c.CallTimeout = 200 * time.Millisecond })
	start(t, cl)
	waitUntil(t, "two attempts", func() bool { return len(tr.disconnects(0)) >= 2 })
	for _, err := range tr.disconnects(0)[:2] {
		if err == nil || !strings.Contains(err.Error(), "no SUBSCRIBED event within 200ms") {
			t.Fatalf("Disconnected(%v)", err)
		}
	}
	if len(tr.subscriptions(0)) != 0 || cl.Connected() {
		t.Fatal("never subscribed")
	}
}

func TestRefusedSubscribeIsRetriedWithBackoff(t *testing.T) {
	t.Parallel()
	url := stallingMaster(t, false, func(w http.ResponseWriter) {
		w.WriteHeader(http.StatusServiceUnavailable)
		_, _ = w.Write([]byte("No leader elected"))
	})
	tr := newTracker(t)
	cl := tr.newClient(t, url)
	start(t, cl)
	waitUntil(t, "six attempts", func() bool { return len(tr.sent(0, scheduler.Call_SUBSCRIBE)) >= 6 })
	var ce *CallError
	if err := tr.disconnects(0)[0]; !errors.As(err, &ce) || ce.Status != http.StatusServiceUnavailable || ce.Message != "No leader elected" {
		t.Fatalf("Disconnected(%v)", err)
	}
	// Backoff 50ms doubling to 500ms, each delay jittered into [b/2, b].
	sub := tr.sent(0, scheduler.Call_SUBSCRIBE)
	for i := 1; i < 6; i++ {
		gap := sub[i].at.Sub(sub[i-1].at)
		if gap < 25*time.Millisecond || gap > 500*time.Millisecond+time.Second {
			t.Fatalf("gap %d between attempts: %s", i, gap)
		}
	}
	if gap := sub[5].at.Sub(sub[4].at); gap < 250*time.Millisecond {
		t.Fatalf("the fifth delay is at least half the 500ms cap: %s", gap)
	}
}

func TestAnErrorOnSubscribeIsRetriedUnlessTheFrameworkIsRemoved(t *testing.T) {
	t.Parallel()
	c := startCluster(t, clusterConfig(t))
	tr := newTracker(t)
	cl := tr.newClient(t, c.SchedulerURL())
	r := start(t, cl)
	tr.waitSubscribed(t, cl, 0, 1)
	if err := r.stop(t); !errors.Is(err, context.Canceled) {
		t.Fatal(err)
	}

	// The principal cannot change: the master opens the stream with an
	// ERROR. That is not fatal; Run tries again.
	mark := tr.mark()
	cl2 := tr.newClient(t, c.SchedulerURL(), func(cfg *Config) {
		other := "someone-else"
		cfg.Framework.Principal = &other
	})
	r2 := start(t, cl2)
	waitUntil(t, "three attempts", func() bool { return len(tr.disconnects(mark)) >= 3 })
	for _, err := range tr.disconnects(mark) {
		if err == nil || !strings.Contains(err.Error(), "Changing framework's principal is not allowed.") || errors.Is(err, ErrFrameworkRemoved) {
			t.Fatalf("Disconnected(%v)", err)
		}
	}
	select {
	case <-r2.done:
		t.Fatalf("Run returned: %v", r2.err)
	default:
	}
	if len(tr.subscriptions(mark)) != 0 {
		t.Fatal("Subscribed after an ERROR")
	}
}

func TestConfiguredFrameworkIDDoesNotOverrideTheStoredOne(t *testing.T) {
	t.Parallel()
	c := startCluster(t, clusterConfig(t))
	tr := newTracker(t)
	// A framework ID left in the configuration, with none stored: the client
	// subscribes as a new framework rather than sending an invalid call.
	cl := tr.newClient(t, c.SchedulerURL(), func(cfg *Config) { cfg.Framework.ID = &mesos.FrameworkID{Value: "stale"} })
	start(t, cl)
	if id := tr.waitSubscribed(t, cl, 0, 1)[0]; id == "stale" {
		t.Fatalf("subscribed as %s", id)
	}
}

func TestZooKeeperResolveEndsWithItsContext(t *testing.T) {
	t.Parallel()
	// A "ZooKeeper" that accepts connections and never answers.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = ln.Close() })
	go func() {
		var conns []net.Conn
		defer func() {
			for _, c := range conns {
				_ = c.Close()
			}
		}()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			conns = append(conns, c)
		}
	}()
	r, err := NewMasterResolver("zk://" + ln.Addr().String() + "/mesos")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	began := time.Now()
	_, err = r.Resolve(ctx)
	if !errors.Is(err, context.DeadlineExceeded) || time.Since(began) > 5*time.Second {
		t.Fatalf("Resolve from a silent ZooKeeper: %v after %s", err, time.Since(began))
	}
}

func TestForbiddenCallResubscribes(t *testing.T) {
	t.Parallel()
	// A master whose view differs from ours: it accepts the subscription,
	// then answers every call 403 as for a framework it sees disconnected.
	quit := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		var call scheduler.Call
		if err := call.Unmarshal(body); err != nil || call.GetType() != scheduler.Call_SUBSCRIBE {
			w.WriteHeader(http.StatusForbidden)
			_, _ = w.Write([]byte("Framework is not subscribed"))
			return
		}
		interval := 1.0
		ev := scheduler.Event{Type: scheduler.Event_SUBSCRIBED, Subscribed: &scheduler.Event_Subscribed{
			FrameworkID: &mesos.FrameworkID{Value: "F1"}, HeartbeatIntervalSeconds: &interval,
		}}
		frame, _ := ev.Marshal()
		w.Header().Set("Mesos-Stream-Id", "s1")
		w.WriteHeader(http.StatusOK)
		_, _ = w.Write([]byte(strconv.Itoa(len(frame)) + "\n"))
		_, _ = w.Write(frame)
		w.(http.Flusher).Flush()
		select {
		case <-r.Context().Done():
		case <-quit:
		}
	}))
	t.Cleanup(srv.Close)
	t.Cleanup(func() { close(quit) })

	tr := newTracker(t)
	cl := tr.newClient(t, srv.URL)
	start(t, cl)
	tr.waitSubscribed(t, cl, 0, 1)
	mark := tr.mark()
	err := cl.Call(context.Background(), calls.Revive())
	var ce *CallError
	if !errors.As(err, &ce) || ce.Status != http.StatusForbidden || ce.Message != "Framework is not subscribed" {
		t.Fatalf("Call: %v", err)
	}
	if d := tr.waitDisconnected(t, mark); d == nil || !strings.Contains(d.Error(), "403") {
		t.Fatalf("Disconnected(%v)", d)
	}
	if id := tr.waitSubscribed(t, cl, mark, 1)[0]; id != "F1" {
		t.Fatalf("resubscribed as %s", id)
	}
	if sub := tr.sent(mark, scheduler.Call_SUBSCRIBE); sub[0].call.GetFrameworkID().GetValue() != "F1" {
		t.Fatalf("resubscription: %v", sub)
	}
}
