package mesosclient

import (
	"bytes"
	"context"
	"encoding/hex"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	mesos "github.com/mesos/mesos-go/api/v1/lib"
	"github.com/mesos/mesos-go/api/v1/lib/scheduler"

	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/localmesos"
)

// The tests drive a real Client against a local Mesos (package localmesos):
// real sockets, a real RecordIO stream, agents that run real processes.
// Nothing waits by sleeping: tests wait on conditions with a deadline.

const (
	role      = "kafka-role"
	principal = "kafka-principal"
	waitLimit = 20 * time.Second

	heartbeat        = 100 * time.Millisecond
	missedHeartbeats = 3
	watchdogTimeout  = missedHeartbeats * heartbeat
)

// clusterConfig is a one-agent local Mesos with short timeouts.
func clusterConfig(t *testing.T) localmesos.Config {
	return localmesos.Config{
		WorkDir:                t.TempDir(),
		Agents:                 []localmesos.AgentConfig{{CPUs: 2, MemMB: 1024, DiskMB: 1024}},
		HeartbeatInterval:      heartbeat,
		AgentPingTimeout:       time.Second,
		AgentReregisterTimeout: 30 * time.Second,
		StatusUpdateRetry:      100 * time.Millisecond,
		ShutdownGrace:          2 * time.Second,
	}
}

func startCluster(t *testing.T, cfg localmesos.Config) *localmesos.Cluster {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), waitLimit)
	defer cancel()
	c, err := localmesos.Start(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := c.Close(); err != nil {
			t.Errorf("closing the local Mesos: %v", err)
		}
	})
	return c
}

// waitUntil polls cond until it holds or waitLimit passes.
func waitUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(waitLimit)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", waitLimit, what)
		}
		time.Sleep(5 * time.Millisecond) // polling interval, not synchronisation
	}
}

// entry is one thing that happened, in the order it happened: a Handler
// method call, or a request the client sent (seen by its transport).
type entry struct {
	at time.Time

	subscribed   string // Subscribed(frameworkID)
	disconnected error  // Disconnected(err); isDisconnect tells it apart from nil
	isDisconnect bool

	event     *scheduler.Event // HandleEvent(event) ...
	handleErr error            // ... and what it returned

	call   *scheduler.Call // a request ...
	host   string          // ... to this master ...
	status int             // ... and its answer (0: no answer)
}

// tracker is a Handler, the framework ID store, the client's transport and
// log sink of a test, and records all of them in one ordered trace.
type tracker struct {
	t *testing.T

	mu       sync.Mutex
	storedID string
	trace    []entry
	offers   map[string]mesos.Offer
	logs     []string
	// failHandle, when set, decides what HandleEvent returns.
	failHandle func(*scheduler.Event) error
	// blockHandle, when set, is called by HandleEvent before it records the
	// event (outside the lock).
	blockHandle func(*scheduler.Event)
}

func newTracker(t *testing.T) *tracker {
	tr := &tracker{t: t, offers: map[string]mesos.Offer{}}
	t.Cleanup(func() {
		if t.Failed() {
			tr.mu.Lock()
			defer tr.mu.Unlock()
			for _, l := range tr.logs {
				t.Log(l)
			}
		}
	})
	return tr
}

func (tr *tracker) add(e entry) {
	e.at = time.Now()
	tr.trace = append(tr.trace, e)
}

// Handler.

func (tr *tracker) Subscribed(_ context.Context, frameworkID string) error {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	tr.storedID = frameworkID
	tr.offers = map[string]mesos.Offer{} // a subscription invalidates earlier offers
	tr.add(entry{subscribed: frameworkID})
	return nil
}

func (tr *tracker) HandleEvent(_ context.Context, e *scheduler.Event) error {
	tr.mu.Lock()
	block := tr.blockHandle
	tr.mu.Unlock()
	if block != nil {
		block(e)
	}
	tr.mu.Lock()
	defer tr.mu.Unlock()
	var err error
	if tr.failHandle != nil {
		err = tr.failHandle(e)
	}
	switch e.GetType() {
	case scheduler.Event_OFFERS:
		for _, o := range e.GetOffers().GetOffers() {
			tr.offers[o.ID.Value] = o
		}
	case scheduler.Event_RESCIND:
		delete(tr.offers, e.GetRescind().OfferID.Value)
	}
	tr.add(entry{event: e, handleErr: err})
	return err
}

func (tr *tracker) Disconnected(err error) {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	tr.add(entry{disconnected: err, isDisconnect: true})
}

func (tr *tracker) frameworkID() string {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	return tr.storedID
}

// Transport.

func (tr *tracker) RoundTrip(req *http.Request) (*http.Response, error) {
	body, err := io.ReadAll(req.Body)
	if err != nil {
		return nil, err
	}
	_ = req.Body.Close()
	req.Body = io.NopCloser(bytes.NewReader(body))
	call := new(scheduler.Call)
	if err := call.Unmarshal(body); err != nil {
		tr.t.Errorf("the client sent a body that is not a protobuf Call: %v", err)
	}
	resp, err := http.DefaultTransport.RoundTrip(req)
	status := 0
	if err == nil {
		status = resp.StatusCode
	}
	tr.mu.Lock()
	tr.add(entry{call: call, host: req.URL.Host, status: status})
	tr.mu.Unlock()
	return resp, err
}

// Logger.

type logSink struct {
	tr    *tracker
	attrs []slog.Attr
}

func (s logSink) Enabled(context.Context, slog.Level) bool { return true }

func (s logSink) Handle(_ context.Context, r slog.Record) error {
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s %s", r.Time.Format("15:04:05.000"), r.Level, r.Message)
	for _, a := range s.attrs {
		fmt.Fprintf(&b, " %s", a)
	}
	r.Attrs(func(a slog.Attr) bool {
		fmt.Fprintf(&b, " %s", a)
		return true
	})
	s.tr.mu.Lock()
	s.tr.logs = append(s.tr.logs, b.String())
	s.tr.mu.Unlock()
	return nil
}

func (s logSink) WithAttrs(attrs []slog.Attr) slog.Handler {
	return logSink{tr: s.tr, attrs: append(append([]slog.Attr(nil), s.attrs...), attrs...)}
}

func (s logSink) WithGroup(string) slog.Handler { return s }

// warnings returns the client's log lines at WARN and above.
func (tr *tracker) warnings() []string {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	var out []string
	for _, l := range tr.logs {
		if strings.Contains(l, " WARN ") || strings.Contains(l, " ERROR ") {
			out = append(out, l)
		}
	}
	return out
}

// frameworkInfo is the test framework: MULTI_ROLE, partition aware,
// reservation refinement, with a failover timeout so that it survives
// disconnections.
func frameworkInfo() mesos.FrameworkInfo {
	failover := 60.0
	checkpoint := true
	pr := principal
	info := mesos.FrameworkInfo{
		User: "nobody", Name: "mesosclient-test", FailoverTimeout: &failover, Checkpoint: &checkpoint,
		Principal: &pr, Roles: []string{role},
	}
	for _, c := range []mesos.FrameworkInfo_Capability_Type{
		mesos.FrameworkInfo_Capability_MULTI_ROLE,
		mesos.FrameworkInfo_Capability_RESERVATION_REFINEMENT,
		mesos.FrameworkInfo_Capability_PARTITION_AWARE,
		mesos.FrameworkInfo_Capability_TASK_KILLING_STATE,
	} {
		info.Capabilities = append(info.Capabilities, mesos.FrameworkInfo_Capability{Type: c})
	}
	return info
}

// newClient returns a client of master that reports to tr.
func (tr *tracker) newClient(t *testing.T, master string, tune ...func(*Config)) *Client {
	t.Helper()
	resolver, err := NewMasterResolver(master)
	if err != nil {
		t.Fatal(err)
	}
	return tr.newClientResolver(t, resolver, tune...)
}

func (tr *tracker) newClientResolver(t *testing.T, resolver MasterResolver, tune ...func(*Config)) *Client {
	t.Helper()
	cfg := Config{
		Master:           resolver,
		Framework:        frameworkInfo(),
		FrameworkID:      tr.frameworkID,
		Handler:          tr,
		Logger:           slog.New(logSink{tr: tr}),
		MissedHeartbeats: missedHeartbeats,
		MinBackoff:       50 * time.Millisecond,
		MaxBackoff:       500 * time.Millisecond,
		CallTimeout:      5 * time.Second,
		Transport:        tr,
	}
	for _, f := range tune {
		f(&cfg)
	}
	c, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// runner is one Run of a client in the background.
type runner struct {
	cancel context.CancelFunc
	done   chan struct{}
	err    error
}

// start runs c until the test ends (or stop).
func start(t *testing.T, c *Client) *runner {
	ctx, cancel := context.WithCancel(context.Background())
	r := &runner{cancel: cancel, done: make(chan struct{})}
	go func() {
		defer close(r.done)
		r.err = c.Run(ctx)
	}()
	t.Cleanup(func() { r.stop(t) })
	return r
}

// wait waits for Run to return and returns its error.
func (r *runner) wait(t *testing.T, limit time.Duration) error {
	t.Helper()
	select {
	case <-r.done:
		return r.err
	case <-time.After(limit):
		t.Fatalf("Run did not return within %s", limit)
		return nil
	}
}

// stop cancels Run and waits for it to return.
func (r *runner) stop(t *testing.T) error {
	t.Helper()
	r.cancel()
	return r.wait(t, waitLimit)
}

// Queries on the trace.

func (tr *tracker) mark() int {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	return len(tr.trace)
}

func (tr *tracker) entries(since int) []entry {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	return append([]entry(nil), tr.trace[since:]...)
}

// subscriptions lists the framework IDs Subscribed was called with.
func (tr *tracker) subscriptions(since int) []string {
	var out []string
	for _, e := range tr.entries(since) {
		if e.subscribed != "" {
			out = append(out, e.subscribed)
		}
	}
	return out
}

func (tr *tracker) disconnects(since int) []error {
	var out []error
	for _, e := range tr.entries(since) {
		if e.isDisconnect {
			out = append(out, e.disconnected)
		}
	}
	return out
}

// sent lists the requests of a call type sent since a mark.
func (tr *tracker) sent(since int, typ scheduler.Call_Type) []entry {
	var out []entry
	for _, e := range tr.entries(since) {
		if e.call != nil && e.call.GetType() == typ {
			out = append(out, e)
		}
	}
	return out
}

// waitSubscribed waits until Subscribed has been called n times since a
// mark and the client reports itself connected, and returns the IDs.
func (tr *tracker) waitSubscribed(t *testing.T, c *Client, since, n int) []string {
	t.Helper()
	waitUntil(t, fmt.Sprintf("%d subscription(s)", n), func() bool { return len(tr.subscriptions(since)) >= n && c.Connected() })
	return tr.subscriptions(since)
}

func (tr *tracker) waitDisconnected(t *testing.T, since int) error {
	t.Helper()
	waitUntil(t, "Disconnected", func() bool { return len(tr.disconnects(since)) > 0 })
	return tr.disconnects(since)[0]
}

// takeOffer waits for an outstanding offer and takes it.
func (tr *tracker) takeOffer(t *testing.T) mesos.Offer {
	t.Helper()
	var found mesos.Offer
	waitUntil(t, "an offer", func() bool {
		tr.mu.Lock()
		defer tr.mu.Unlock()
		for id, o := range tr.offers {
			found = o
			delete(tr.offers, id)
			return true
		}
		return false
	})
	return found
}

// waitUpdate waits until HandleEvent has returned nil for an update of a
// task in a state since a mark, and returns that entry.
func (tr *tracker) waitUpdate(t *testing.T, since int, taskID string, state mesos.TaskState, match func(mesos.TaskStatus) bool) entry {
	t.Helper()
	var found entry
	waitUntil(t, fmt.Sprintf("%s of task %s", state, taskID), func() bool {
		for _, e := range tr.entries(since) {
			if e.event.GetType() != scheduler.Event_UPDATE || e.handleErr != nil {
				continue
			}
			st := e.event.GetUpdate().Status
			if st.TaskID.Value == taskID && st.GetState() == state && (match == nil || match(st)) {
				found = e
				return true
			}
		}
		return false
	})
	return found
}

func (e entry) String() string {
	switch {
	case e.subscribed != "":
		return "Subscribed(" + e.subscribed + ")"
	case e.isDisconnect:
		return fmt.Sprintf("Disconnected(%v)", e.disconnected)
	case e.event != nil:
		s := "HandleEvent(" + e.event.GetType().String()
		if u := e.event.GetUpdate(); u != nil {
			s += fmt.Sprintf(" %s %s uuid=%s", u.Status.TaskID.Value, u.Status.GetState(), hex.EncodeToString(u.Status.UUID))
		}
		return s + fmt.Sprintf(") -> %v", e.handleErr)
	case e.call != nil:
		s := e.call.GetType().String()
		if a := e.call.GetAcknowledge(); a != nil {
			s += fmt.Sprintf(" %s uuid=%s", a.TaskID.Value, hex.EncodeToString(a.UUID))
		}
		return fmt.Sprintf("%s to %s -> %d", s, e.host, e.status)
	}
	return "?"
}

func (tr *tracker) dump(t *testing.T) {
	t.Helper()
	for i, e := range tr.entries(0) {
		t.Logf("%3d %s %s", i, e.at.Format("15:04:05.000"), e)
	}
}

// frameworkView returns the leading master's view of a framework.
func frameworkView(c *localmesos.Cluster, id string) (connected, known bool) {
	for _, f := range c.Snapshot().Frameworks {
		if f.ID == id {
			return f.Connected, true
		}
	}
	return false, false
}

// Resources.

func scalar(name string, v float64) mesos.Resource {
	return mesos.Resource{Name: name, Type: mesos.SCALAR.Enum(), Scalar: &mesos.Value_Scalar{Value: v}}
}

func reserved(r mesos.Resource, label string) mesos.Resource {
	t := mesos.Resource_ReservationInfo_DYNAMIC
	ro, pr, key := role, principal, "resource_id"
	r.Reservations = append(r.Reservations, mesos.Resource_ReservationInfo{
		Type: &t, Role: &ro, Principal: &pr,
		Labels: &mesos.Labels{Labels: []mesos.Label{{Key: key, Value: &label}}},
	})
	return r
}

func commandTask(id string, agent mesos.AgentID, cmd string) mesos.TaskInfo {
	return mesos.TaskInfo{
		Name: id, TaskID: mesos.TaskID{Value: id}, AgentID: agent,
		Resources: []mesos.Resource{scalar("cpus", 0.1), scalar("mem", 32)},
		Command:   &mesos.CommandInfo{Value: &cmd},
	}
}
