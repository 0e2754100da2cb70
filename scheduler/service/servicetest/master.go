package servicetest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	mesos "github.com/mesos/mesos-go/api/v1/lib"
	"github.com/mesos/mesos-go/api/v1/lib/scheduler"
	"github.com/mesos/mesos-go/api/v1/lib/scheduler/calls"

	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/mesosclient"
	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/service"
)

// Master is a fake Mesos master for one service. Its Dial is the service's
// Config.Dial. It behaves as package mesosclient does towards the service:
// Subscribed first on every subscription, then one event at a time; an
// UPDATE with a uuid is acknowledged (recorded as an ACKNOWLEDGE call) only
// when the service handled it without error; a successful TEARDOWN, or
// RemoveFramework, ends Run with mesosclient.ErrFrameworkRemoved.
//
// It keeps no cluster: offers and status updates are what the test feeds
// (Offers, Update), and calls are only recorded (Calls, WaitCalls).
type Master struct {
	journal *Journal

	mu          sync.Mutex
	calls       []Call
	failures    map[scheduler.Call_Type][]error
	delay       time.Duration
	frameworkID string
	connected   bool
	offerSeq    int
	subscribed  int // subscriptions so far

	events chan delivery
	drop   chan struct{}
	remove chan struct{}
}

// Call is one call the service made, with the error it was answered with.
type Call struct {
	*scheduler.Call
	Err error
}

type delivery struct {
	event *scheduler.Event
	done  chan error
}

// NewMaster returns a master that journals its calls in journal (may be
// nil).
func NewMaster(journal *Journal) *Master {
	return &Master{
		journal:  journal,
		failures: map[scheduler.Call_Type][]error{},
		events:   make(chan delivery),
		drop:     make(chan struct{}, 1),
		remove:   make(chan struct{}, 1),
	}
}

// Dial is a service.Dialer connecting to this master.
func (m *Master) Dial(cfg service.ConnectionConfig) (service.Connection, error) {
	if cfg.Handler == nil || cfg.FrameworkID == nil {
		return nil, errors.New("servicetest: the connection needs a handler and a framework ID source")
	}
	return &conn{m: m, cfg: cfg}, nil
}

// FrameworkID is the framework ID the master assigned or confirmed.
func (m *Master) FrameworkID() string {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.frameworkID
}

// Subscriptions counts the subscriptions so far.
func (m *Master) Subscriptions() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.subscribed
}

// FailNext makes the next calls of type t fail with errs, in order; the
// failed calls are recorded with their error.
func (m *Master) FailNext(t scheduler.Call_Type, errs ...error) {
	m.mu.Lock()
	m.failures[t] = append(m.failures[t], errs...)
	m.mu.Unlock()
}

// SetDelay delays every call by d before it is answered (0: none),
// honouring the call's context: a call whose deadline passes first fails
// with the context's error, as an HTTP call would.
func (m *Master) SetDelay(d time.Duration) {
	m.mu.Lock()
	m.delay = d
	m.mu.Unlock()
}

// Drop ends the current subscription; the connection subscribes again.
func (m *Master) Drop() { m.drop <- struct{}{} }

// RemoveFramework removes the framework: Run ends with
// mesosclient.ErrFrameworkRemoved.
func (m *Master) RemoveFramework() { m.remove <- struct{}{} }

// Calls returns the calls made so far of the given types (all calls when
// none is given), failed ones included.
func (m *Master) Calls(types ...scheduler.Call_Type) []Call {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []Call
	for _, c := range m.calls {
		if len(types) == 0 || slices.Contains(types, c.Type) {
			out = append(out, c)
		}
	}
	return out
}

// WaitCalls waits until at least n calls of type t were made (failed ones
// included) and returns them; it fails when ctx ends first.
func (m *Master) WaitCalls(ctx context.Context, t scheduler.Call_Type, n int) ([]Call, error) {
	for {
		got := m.Calls(t)
		if len(got) >= n {
			return got, nil
		}
		select {
		case <-ctx.Done():
			return got, fmt.Errorf("waiting for %d %s calls, saw %d (all calls: %v): %w", n, t, len(got), m.callTypes(), ctx.Err())
		case <-time.After(2 * time.Millisecond):
		}
	}
}

func (m *Master) callTypes() []string {
	var out []string
	for _, c := range m.Calls() {
		s := c.Type.String()
		if c.Err != nil {
			s += "(failed)"
		}
		out = append(out, s)
	}
	return out
}

// WaitSubscribed waits until the master has seen n subscriptions.
func (m *Master) WaitSubscribed(ctx context.Context, n int) error {
	for m.Subscriptions() < n || !m.isConnected() {
		select {
		case <-ctx.Done():
			return fmt.Errorf("waiting for subscription %d: %w", n, ctx.Err())
		case <-time.After(2 * time.Millisecond):
		}
	}
	return nil
}

func (m *Master) isConnected() bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.connected
}

// Offers sends one OFFERS event and waits until the service handled it.
func (m *Master) Offers(ctx context.Context, offers ...mesos.Offer) error {
	return m.send(ctx, &scheduler.Event{Type: scheduler.Event_OFFERS, Offers: &scheduler.Event_Offers{Offers: offers}})
}

// Update sends one UPDATE event and waits until the service handled it;
// it returns the service's error (an unacknowledged update).
func (m *Master) Update(ctx context.Context, status mesos.TaskStatus) error {
	return m.send(ctx, &scheduler.Event{Type: scheduler.Event_UPDATE, Update: &scheduler.Event_Update{Status: status}})
}

func (m *Master) send(ctx context.Context, e *scheduler.Event) error {
	d := delivery{event: e, done: make(chan error, 1)}
	select {
	case m.events <- d:
	case <-ctx.Done():
		return fmt.Errorf("delivering %s: no subscription took it: %w", e.Type, ctx.Err())
	}
	select {
	case err := <-d.done:
		return err
	case <-ctx.Done():
		return fmt.Errorf("waiting for the service to handle %s: %w", e.Type, ctx.Err())
	}
}

// nextOfferID numbers offers.
func (m *Master) nextOfferID() string {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.offerSeq++
	return fmt.Sprintf("offer-%d", m.offerSeq)
}

// record answers one call.
func (m *Master) record(ctx context.Context, c *scheduler.Call) error {
	m.mu.Lock()
	delay := m.delay
	m.mu.Unlock()
	if delay > 0 {
		t := time.NewTimer(delay)
		defer t.Stop()
		select {
		case <-ctx.Done():
			return fmt.Errorf("sending %s: %w", c.Type, ctx.Err())
		case <-t.C:
		}
	}
	clone := &scheduler.Call{}
	raw, err := c.Marshal()
	if err != nil {
		return fmt.Errorf("encoding %s: %w", c.Type, err)
	}
	if err := clone.Unmarshal(raw); err != nil {
		return fmt.Errorf("decoding %s: %w", c.Type, err)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if !m.connected {
		return fmt.Errorf("sending %s: %w", c.Type, mesosclient.ErrNotSubscribed)
	}
	var fail error
	if q := m.failures[c.Type]; len(q) > 0 {
		fail, m.failures[c.Type] = q[0], q[1:]
	}
	m.calls = append(m.calls, Call{Call: clone, Err: fail})
	if fail != nil {
		return fail
	}
	m.journal.add("call " + c.Type.String())
	if c.Type == scheduler.Call_TEARDOWN {
		select {
		case m.remove <- struct{}{}:
		default:
		}
	}
	return nil
}

// conn is one service's connection to the master.
type conn struct {
	m   *Master
	cfg service.ConnectionConfig
}

func (c *conn) Connected() bool { return c.m.isConnected() }

func (c *conn) Call(ctx context.Context, call *scheduler.Call) error { return c.m.record(ctx, call) }

func (c *conn) setConnected(v bool) {
	c.m.mu.Lock()
	c.m.connected = v
	c.m.mu.Unlock()
}

// Run subscribes and delivers events until ctx ends or the framework is
// removed, subscribing again after Drop.
func (c *conn) Run(ctx context.Context) error {
	m := c.m
	for {
		fid := c.cfg.FrameworkID()
		m.mu.Lock()
		if fid == "" {
			fid = "framework-1"
		}
		m.frameworkID = fid
		m.mu.Unlock()
		if err := c.cfg.Handler.Subscribed(ctx, fid); err != nil {
			c.cfg.Handler.Disconnected(err)
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-time.After(5 * time.Millisecond):
				continue
			}
		}
		c.setConnected(true)
		m.mu.Lock()
		m.subscribed++
		m.mu.Unlock()
		if err := c.serve(ctx); err != nil {
			c.setConnected(false)
			c.cfg.Handler.Disconnected(err)
			if errors.Is(err, mesosclient.ErrFrameworkRemoved) || ctx.Err() != nil {
				return err
			}
		}
	}
}

// serve delivers events of one subscription until it ends.
func (c *conn) serve(ctx context.Context) error {
	m := c.m
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-m.drop:
			return errors.New("servicetest: the master dropped the subscription")
		case <-m.remove:
			return fmt.Errorf("servicetest: %w", mesosclient.ErrFrameworkRemoved)
		case d := <-m.events:
			err := c.cfg.Handler.HandleEvent(ctx, d.event)
			if err == nil && d.event.Type == scheduler.Event_UPDATE {
				st := d.event.GetUpdate().GetStatus()
				if len(st.GetUUID()) > 0 {
					ack := calls.Acknowledge(st.GetAgentID().GetValue(), st.TaskID.Value, st.GetUUID())
					if ackErr := m.record(ctx, ack); ackErr != nil {
						err = fmt.Errorf("acknowledging: %w", ackErr)
					}
				}
			}
			d.done <- err
		}
	}
}
