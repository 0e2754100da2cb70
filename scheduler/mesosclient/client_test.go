package mesosclient

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	mesos "github.com/mesos/mesos-go/api/v1/lib"
	"github.com/mesos/mesos-go/api/v1/lib/scheduler"
	"github.com/mesos/mesos-go/api/v1/lib/scheduler/calls"
)

func call(t *testing.T, c *Client, call *scheduler.Call) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), waitLimit)
	defer cancel()
	if err := c.Call(ctx, call); err != nil {
		t.Fatalf("%s: %v", call.GetType(), err)
	}
}

func TestSubscribeThenFailOverWithTheSameFrameworkID(t *testing.T) {
	t.Parallel()
	c := startCluster(t, clusterConfig(t))
	tr := newTracker(t)
	cl := tr.newClient(t, c.SchedulerURL())

	if err := cl.Call(context.Background(), calls.Revive()); !errors.Is(err, ErrNotSubscribed) {
		t.Fatalf("a call before Run: %v, want ErrNotSubscribed", err)
	}
	if cl.Connected() || cl.FrameworkID() != "" {
		t.Fatal("a new client is neither connected nor has a framework ID")
	}

	r := start(t, cl)
	id := tr.waitSubscribed(t, cl, 0, 1)[0]
	if id == "" || cl.FrameworkID() != id {
		t.Fatalf("framework ID %q, client reports %q", id, cl.FrameworkID())
	}
	if sub := tr.sent(0, scheduler.Call_SUBSCRIBE); len(sub) != 1 || sub[0].call.GetFrameworkID() != nil ||
		sub[0].call.GetSubscribe().GetFrameworkInfo().GetID() != nil {
		t.Fatalf("a new framework subscribes without an ID: %v", sub)
	}
	offer := tr.takeOffer(t)
	if offer.FrameworkID.Value != id || offer.GetAllocationInfo().GetRole() != role {
		t.Fatalf("offer for framework %s role %s", offer.FrameworkID.Value, offer.GetAllocationInfo().GetRole())
	}
	if connected, _ := frameworkView(c, id); !connected {
		t.Fatal("the master sees the framework connected")
	}

	// The scheduler stops; the master keeps the framework for its failover
	// timeout.
	if err := r.stop(t); !errors.Is(err, context.Canceled) {
		t.Fatalf("Run after cancel: %v", err)
	}
	if cl.Connected() {
		t.Fatal("connected after Run returned")
	}
	if len(tr.disconnects(0)) != 1 {
		t.Fatalf("Disconnected calls: %v", tr.disconnects(0))
	}
	waitUntil(t, "the master to see the framework disconnected", func() bool {
		connected, known := frameworkView(c, id)
		return known && !connected
	})

	// A new scheduler instance fails over with the stored ID.
	mark := tr.mark()
	cl2 := tr.newClient(t, c.SchedulerURL())
	start(t, cl2)
	if again := tr.waitSubscribed(t, cl2, mark, 1)[0]; again != id {
		t.Fatalf("failover subscribed as %s, want %s", again, id)
	}
	sub := tr.sent(mark, scheduler.Call_SUBSCRIBE)
	if len(sub) != 1 || sub[0].call.GetFrameworkID().GetValue() != id || sub[0].call.GetSubscribe().GetFrameworkInfo().GetID().GetValue() != id {
		t.Fatalf("failover SUBSCRIBE must carry the ID at both places: %v", sub)
	}
	if snap := c.Snapshot(); len(snap.Frameworks) != 1 || !snap.Frameworks[0].Connected {
		t.Fatalf("the master has one connected framework: %+v", snap.Frameworks)
	}
	if o := tr.takeOffer(t); o.FrameworkID.Value != id {
		t.Fatalf("offer after failover for %s", o.FrameworkID.Value)
	}
}

func TestCallsAndTheirAnswers(t *testing.T) {
	t.Parallel()
	c := startCluster(t, clusterConfig(t))
	tr := newTracker(t)
	cl := tr.newClient(t, c.SchedulerURL())
	start(t, cl)
	id := tr.waitSubscribed(t, cl, 0, 1)[0]

	// DECLINE: 202.
	offer := tr.takeOffer(t)
	mark := tr.mark()
	call(t, cl, calls.Decline(offer.ID).With(calls.RefuseSeconds(0)))
	if d := tr.sent(mark, scheduler.Call_DECLINE); len(d) != 1 || d[0].status != http.StatusAccepted ||
		d[0].call.GetFrameworkID().GetValue() != id {
		t.Fatalf("DECLINE: %v", d)
	}

	// ACCEPT with a RESERVE: 202, and the reservation exists.
	offer = tr.takeOffer(t)
	res := reserved(scalar("cpus", 1), "r1")
	call(t, cl, calls.Accept(calls.OfferOperations{calls.OpReserve(res)}.WithOffers(offer.ID)).With(calls.RefuseSeconds(0)))
	waitUntil(t, "the reservation", func() bool {
		for _, a := range c.Snapshot().Agents {
			for _, r := range a.Master.Reserved {
				if r.Name == "cpus" && r.Role == role && r.Labels["resource_id"] == "r1" {
					return true
				}
			}
		}
		return false
	})

	// ACCEPT of an offer that no longer exists: 202, and the task launched
	// with it is dropped by the master (an update without uuid).
	mark = tr.mark()
	call(t, cl, calls.Accept(calls.OfferOperations{calls.OpLaunch(commandTask("t-stale", offer.AgentID, "sleep 60"))}.WithOffers(offer.ID)))
	dropped := tr.waitUpdate(t, mark, "t-stale", mesos.TASK_DROPPED, nil)
	if st := dropped.event.GetUpdate().Status; st.GetReason() != mesos.REASON_INVALID_OFFERS || len(st.UUID) != 0 || st.GetSource() != mesos.SOURCE_MASTER {
		t.Fatalf("dropped task update: %+v", st)
	}

	// A call the master rejects: *CallError with status and message; the
	// subscription stays up and the next call works.
	mark = tr.mark()
	bad := calls.Acknowledge(offer.AgentID.Value, "t-stale", []byte("not a uuid"))
	err := cl.Call(context.Background(), bad)
	var ce *CallError
	if !errors.As(err, &ce) || ce.Status != http.StatusBadRequest || !strings.Contains(ce.Message, "Not a valid UUID") {
		t.Fatalf("rejected call: %v", err)
	}
	if !strings.Contains(err.Error(), "ACKNOWLEDGE") || !strings.Contains(err.Error(), "400") {
		t.Fatalf("the error names the call and the status: %v", err)
	}
	if !cl.Connected() {
		t.Fatal("a 400 must not end the subscription")
	}
	call(t, cl, calls.Revive())
	if r := tr.sent(mark, scheduler.Call_REVIVE); len(r) != 1 || r[0].status != http.StatusAccepted {
		t.Fatalf("REVIVE after a 400: %v", r)
	}
	if s, d := tr.subscriptions(mark), tr.disconnects(mark); len(s) != 0 || len(d) != 0 {
		t.Fatalf("a rejected call must not resubscribe: subscribed %v, disconnected %v", s, d)
	}

	// Updates without uuid were never acknowledged.
	for _, a := range tr.sent(0, scheduler.Call_ACKNOWLEDGE) {
		if a.call != nil && !bytes.Equal(a.call.GetAcknowledge().UUID, bad.GetAcknowledge().UUID) {
			t.Errorf("unexpected acknowledgement: %s", a)
		}
	}
}

func TestStatusUpdatesAreAcknowledgedAfterTheHandlerSucceeds(t *testing.T) {
	t.Parallel()
	c := startCluster(t, clusterConfig(t))
	tr := newTracker(t)
	// The handler fails the first delivery of every update with a uuid.
	failed := map[string]bool{}
	tr.failHandle = func(e *scheduler.Event) error {
		st := e.GetUpdate().GetStatus()
		if len(st.UUID) == 0 || failed[string(st.UUID)] {
			return nil
		}
		failed[string(st.UUID)] = true
		return errors.New("cannot persist the update yet")
	}
	cl := tr.newClient(t, c.SchedulerURL())
	start(t, cl)
	tr.waitSubscribed(t, cl, 0, 1)

	offer := tr.takeOffer(t)
	call(t, cl, calls.Accept(calls.OfferOperations{calls.OpLaunch(commandTask("t1", offer.AgentID, "sleep 60"))}.WithOffers(offer.ID)).With(calls.RefuseSeconds(0)))
	running := tr.waitUpdate(t, 0, "t1", mesos.TASK_RUNNING, func(st mesos.TaskStatus) bool { return len(st.UUID) > 0 })
	waitUntil(t, "TASK_RUNNING's acknowledgement", func() bool {
		for _, a := range tr.sent(0, scheduler.Call_ACKNOWLEDGE) {
			if bytes.Equal(a.call.GetAcknowledge().UUID, running.event.GetUpdate().Status.UUID) {
				return true
			}
		}
		return false
	})
	waitUntil(t, "every update to be acknowledged on the agent", func() bool {
		for _, a := range c.Snapshot().Agents {
			if a.Local.PendingUpdates != 0 {
				return false
			}
		}
		return true
	})

	// Per uuid: a failed delivery, no acknowledgement, the master's resend,
	// a successful delivery, then exactly one acknowledgement.
	type history struct{ failed, handled, acked int }
	byUUID := map[string]*history{}
	var order []string
	for _, e := range tr.entries(0) {
		var uuid string
		switch {
		case e.event.GetUpdate() != nil && len(e.event.GetUpdate().Status.UUID) > 0:
			uuid = string(e.event.GetUpdate().Status.UUID)
		case e.call.GetType() == scheduler.Call_ACKNOWLEDGE:
			uuid = string(e.call.GetAcknowledge().UUID)
		default:
			continue
		}
		h := byUUID[uuid]
		if h == nil {
			h = &history{}
			byUUID[uuid] = h
			order = append(order, uuid)
		}
		switch {
		case e.call != nil:
			if h.handled == 0 {
				tr.dump(t)
				t.Fatal("an update was acknowledged before the handler processed it without error")
			}
			if e.status != http.StatusAccepted {
				t.Errorf("ACKNOWLEDGE answered %d", e.status)
			}
			h.acked++
		case e.handleErr != nil:
			h.failed++
		default:
			if h.failed == 0 {
				tr.dump(t)
				t.Fatal("the first delivery of each update fails in this test")
			}
			h.handled++
		}
	}
	if len(order) < 2 { // TASK_STARTING and TASK_RUNNING at least
		tr.dump(t)
		t.Fatalf("updates with uuid: %d", len(order))
	}
	for _, u := range order {
		if h := byUUID[u]; h.failed != 1 || h.handled < 1 || h.acked != 1 {
			tr.dump(t)
			t.Fatalf("update %x: failed %d, handled %d, acknowledged %d times", u, h.failed, h.handled, h.acked)
		}
	}

	// Reconciliation answers carry no uuid and are not acknowledged.
	mark := tr.mark()
	call(t, cl, calls.Reconcile(calls.ReconcileTasks(map[string]string{"t1": offer.AgentID.Value})))
	call(t, cl, calls.Reconcile())
	call(t, cl, calls.Reconcile(calls.ReconcileTasks(map[string]string{"unknown": offer.AgentID.Value})))
	// The answers come in order; once the last one is handled, the client
	// has finished with the others.
	tr.waitUpdate(t, mark, "unknown", mesos.TASK_GONE, nil)
	var answers int
	for _, e := range tr.entries(mark) {
		if u := e.event.GetUpdate(); u != nil {
			answers++
			if len(u.Status.UUID) != 0 || u.Status.GetReason() != mesos.REASON_RECONCILIATION {
				t.Fatalf("reconciliation answer: %+v", u.Status)
			}
		}
	}
	if answers != 3 {
		t.Fatalf("%d reconciliation answers, want 3", answers)
	}
	if a := tr.sent(mark, scheduler.Call_ACKNOWLEDGE); len(a) != 0 {
		t.Fatalf("reconciliation answers were acknowledged: %v", a)
	}
	for _, e := range tr.entries(0) {
		if e.call != nil && e.status != http.StatusAccepted && e.call.GetType() != scheduler.Call_SUBSCRIBE {
			t.Errorf("call answered %d: %s", e.status, e)
		}
	}
	for _, w := range tr.warnings() {
		if !strings.Contains(w, "handling Mesos event") { // the handler's injected failures
			t.Errorf("unexpected log: %s", w)
		}
	}
	if n := c.Snapshot().Agents[0].Local.PendingUpdates; n != 0 {
		t.Fatalf("%d updates pending on the agent", n)
	}
}

func TestRedirectsToTheLeaderAndMasterFailover(t *testing.T) {
	t.Parallel()
	cfg := clusterConfig(t)
	cfg.Masters = 2
	c := startCluster(t, cfg)
	masters := c.MasterAddresses()
	leader, standby := masters[0], masters[1]
	tr := newTracker(t)
	cl := tr.newClient(t, "http://"+standby) // the path is added
	start(t, cl)
	id := tr.waitSubscribed(t, cl, 0, 1)[0]

	sub := tr.sent(0, scheduler.Call_SUBSCRIBE)
	if len(sub) != 2 || sub[0].host != standby || sub[0].status != http.StatusTemporaryRedirect ||
		sub[1].host != leader || sub[1].status != http.StatusOK {
		t.Fatalf("SUBSCRIBE through the standby: %v", sub)
	}
	if got := cl.currentEndpointString(); got != "http://"+leader+schedulerPath {
		t.Fatalf("remembered endpoint %s", got)
	}

	// A call that reaches a standby follows the redirect too, and the leader
	// is remembered.
	offer := tr.takeOffer(t)
	cl.setEndpoint("http://" + standby + schedulerPath)
	mark := tr.mark()
	call(t, cl, calls.Decline(offer.ID).With(calls.RefuseSeconds(0)))
	d := tr.sent(mark, scheduler.Call_DECLINE)
	if len(d) != 2 || d[0].host != standby || d[0].status != http.StatusTemporaryRedirect ||
		d[1].host != leader || d[1].status != http.StatusAccepted {
		t.Fatalf("DECLINE through the standby: %v", d)
	}
	if got := cl.currentEndpointString(); got != "http://"+leader+schedulerPath {
		t.Fatalf("remembered endpoint after the call: %s", got)
	}

	// The leader dies; the standby takes over and the client follows.
	mark = tr.mark()
	if err := c.FailoverMaster(); err != nil {
		t.Fatal(err)
	}
	newLeader := c.LeaderAddress()
	if newLeader != standby {
		t.Fatalf("new leader %s, want %s", newLeader, standby)
	}
	if again := tr.waitSubscribed(t, cl, mark, 1)[0]; again != id {
		t.Fatalf("resubscribed as %s, want %s", again, id)
	}
	if len(tr.disconnects(mark)) == 0 {
		t.Fatal("Disconnected was not called on master failover")
	}
	sub = tr.sent(mark, scheduler.Call_SUBSCRIBE)
	if last := sub[len(sub)-1]; last.host != newLeader || last.status != http.StatusOK || last.call.GetFrameworkID().GetValue() != id {
		t.Fatalf("resubscription: %v", sub)
	}
	offer = tr.takeOffer(t)
	mark = tr.mark()
	call(t, cl, calls.Decline(offer.ID).With(calls.RefuseSeconds(0)))
	if d := tr.sent(mark, scheduler.Call_DECLINE); len(d) != 1 || d[0].host != newLeader || d[0].status != http.StatusAccepted {
		t.Fatalf("DECLINE after failover: %v", d)
	}
}

func TestHeartbeatWatchdogDropsASilentStream(t *testing.T) {
	t.Parallel()
	c := startCluster(t, clusterConfig(t))
	tr := newTracker(t)
	cl := tr.newClient(t, c.SchedulerURL())
	start(t, cl)
	id := tr.waitSubscribed(t, cl, 0, 1)[0]
	tr.takeOffer(t) // the offers are out: nothing but heartbeats comes now

	mark := tr.mark()
	stopped := time.Now()
	c.StopHeartbeats()
	err := tr.waitDisconnected(t, mark)
	elapsed := time.Since(stopped)
	if err == nil || !strings.Contains(err.Error(), "no event or heartbeat") {
		t.Fatalf("Disconnected(%v)", err)
	}
	// The last heartbeat may have come up to one interval before the stop.
	if elapsed < watchdogTimeout-heartbeat {
		t.Fatalf("the stream was dropped after %s, before %d missed heartbeats", elapsed, missedHeartbeats)
	}
	if again := tr.waitSubscribed(t, cl, mark, 1)[0]; again != id {
		t.Fatalf("resubscribed as %s", again)
	}

	// With heartbeats back (the next one comes within an interval, well
	// before this subscription's watchdog fires), the subscription stays.
	c.ResumeHeartbeats()
	mark = tr.mark()
	window := time.After(2 * watchdogTimeout)
	for {
		select {
		case <-window:
			if d := tr.disconnects(mark); len(d) > 0 {
				t.Fatalf("disconnected with heartbeats on: %v", d)
			}
			call(t, cl, calls.Revive())
			return
		default:
		}
		if d := tr.disconnects(mark); len(d) > 0 {
			t.Fatalf("disconnected with heartbeats on: %v", d)
		}
		time.Sleep(5 * time.Millisecond) // polling interval
	}
}

func TestASlowHandlerIsNotAMissedHeartbeat(t *testing.T) {
	t.Parallel()
	c := startCluster(t, clusterConfig(t))
	tr := newTracker(t)
	slow := false
	// The handler takes longer than the watchdog timeout with the first
	// offers (a slow store, say) while the master keeps sending heartbeats.
	tr.blockHandle = func(e *scheduler.Event) {
		if e.GetType() == scheduler.Event_OFFERS && !slow {
			slow = true
			time.Sleep(2 * watchdogTimeout) // the handler's work, not synchronisation
		}
	}
	cl := tr.newClient(t, c.SchedulerURL())
	start(t, cl)
	tr.waitSubscribed(t, cl, 0, 1)
	offer := tr.takeOffer(t)
	// Events still flow on the same stream.
	mark := tr.mark()
	call(t, cl, calls.Reconcile(calls.ReconcileTasks(map[string]string{"unknown": offer.AgentID.Value})))
	tr.waitUpdate(t, mark, "unknown", mesos.TASK_GONE, nil)
	if d := tr.disconnects(0); len(d) > 0 {
		t.Fatalf("a slow handler dropped the stream: %v", d)
	}
	if s := tr.sent(0, scheduler.Call_SUBSCRIBE); len(s) != 1 {
		t.Fatalf("%d SUBSCRIBE calls", len(s))
	}
}

func TestCutEventStreamsResubscribes(t *testing.T) {
	t.Parallel()
	c := startCluster(t, clusterConfig(t))
	tr := newTracker(t)
	cl := tr.newClient(t, c.SchedulerURL())
	start(t, cl)
	id := tr.waitSubscribed(t, cl, 0, 1)[0]

	mark := tr.mark()
	c.CutEventStreams()
	if err := tr.waitDisconnected(t, mark); err == nil || !strings.Contains(err.Error(), "closed the stream") {
		t.Fatalf("Disconnected(%v)", err)
	}
	if again := tr.waitSubscribed(t, cl, mark, 1)[0]; again != id {
		t.Fatalf("resubscribed as %s", again)
	}
	if connected, _ := frameworkView(c, id); !connected {
		t.Fatal("the master sees the framework connected again")
	}
	tr.takeOffer(t)
	call(t, cl, calls.Revive())
}

func TestTeardownEndsRun(t *testing.T) {
	t.Parallel()
	c := startCluster(t, clusterConfig(t))
	tr := newTracker(t)
	cl := tr.newClient(t, c.SchedulerURL())
	r := start(t, cl)
	id := tr.waitSubscribed(t, cl, 0, 1)[0]

	mark := tr.mark()
	call(t, cl, &scheduler.Call{Type: scheduler.Call_TEARDOWN})
	if err := r.wait(t, 5*time.Second); !errors.Is(err, ErrFrameworkRemoved) {
		t.Fatalf("Run after TEARDOWN: %v", err)
	}
	if cl.Connected() {
		t.Fatal("connected after TEARDOWN")
	}
	if s := tr.subscriptions(mark); len(s) != 0 {
		t.Fatalf("subscribed after TEARDOWN: %v", s)
	}
	if _, known := frameworkView(c, id); known {
		t.Fatal("the master still knows the framework")
	}

	// An instance that still has the removed ID stops at once.
	mark = tr.mark()
	cl2 := tr.newClient(t, c.SchedulerURL())
	r2 := start(t, cl2)
	err := r2.wait(t, 5*time.Second)
	if !errors.Is(err, ErrFrameworkRemoved) || !strings.Contains(err.Error(), "Framework has been removed") {
		t.Fatalf("Run with a removed framework ID: %v", err)
	}
	if s := tr.sent(mark, scheduler.Call_SUBSCRIBE); len(s) != 1 {
		t.Fatalf("SUBSCRIBE attempts with a removed ID: %d", len(s))
	}
	if s := tr.subscriptions(mark); len(s) != 0 {
		t.Fatalf("Subscribed with a removed ID: %v", s)
	}
	if d := tr.disconnects(mark); len(d) != 1 || !errors.Is(d[0], ErrFrameworkRemoved) {
		t.Fatalf("Disconnected: %v", d)
	}
}
