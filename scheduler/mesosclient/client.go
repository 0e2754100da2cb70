package mesosclient

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	mesos "github.com/mesos/mesos-go/api/v1/lib"
	"github.com/mesos/mesos-go/api/v1/lib/recordio"
	"github.com/mesos/mesos-go/api/v1/lib/scheduler"
	"github.com/mesos/mesos-go/api/v1/lib/scheduler/calls"
)

const (
	protobufType = "application/x-protobuf"
	streamHeader = "Mesos-Stream-Id"
	maxRedirects = 5

	defaultMissedHeartbeats = 5
	defaultMinBackoff       = 500 * time.Millisecond
	defaultMaxBackoff       = 15 * time.Second
	defaultCallTimeout      = 30 * time.Second
)

// ErrFrameworkRemoved means the master has removed this framework (torn
// down, or its failover timeout expired). Its ID can never subscribe again.
var ErrFrameworkRemoved = errors.New("the Mesos master has removed this framework; it cannot resubscribe with the same framework ID")

// ErrNotSubscribed is returned by Call while there is no subscription.
var ErrNotSubscribed = errors.New("not subscribed to a Mesos master")

// errTornDown ends the subscription after a successful TEARDOWN call.
var errTornDown = fmt.Errorf("%w (TEARDOWN)", ErrFrameworkRemoved)

// Handler receives what the master sends. Its methods are called from Run's
// goroutine, one at a time, in stream order.
type Handler interface {
	// Subscribed is called first on every new subscription, with the
	// framework ID the master assigned or confirmed. Persist it before
	// returning: an error ends the subscription and Run subscribes again.
	Subscribed(ctx context.Context, frameworkID string) error
	// HandleEvent is called for every event after SUBSCRIBED except
	// heartbeats. An UPDATE that carries a uuid is acknowledged when
	// HandleEvent returns nil; an error leaves it unacknowledged so the
	// master sends it again.
	HandleEvent(ctx context.Context, e *scheduler.Event) error
	// Disconnected is called when a subscription ends, or an attempt to
	// subscribe fails, with the reason.
	Disconnected(err error)
}

// Config configures a Client.
type Config struct {
	Master    MasterResolver
	Framework mesos.FrameworkInfo
	// FrameworkID returns the stored framework ID, or "" for a framework
	// that has never subscribed. It is asked before every subscription.
	FrameworkID func() string
	Handler     Handler
	Logger      *slog.Logger

	// Optional tuning; zero values take the defaults.
	MissedHeartbeats int           // heartbeats missed before the stream is dropped (5)
	MinBackoff       time.Duration // first resubscription delay (0.5s)
	MaxBackoff       time.Duration // cap of the resubscription delay (15s)
	CallTimeout      time.Duration // timeout of one call, and of SUBSCRIBE's answer and first event (30s)
	Transport        http.RoundTripper
}

// Client is one framework's connection to the Mesos master.
type Client struct {
	cfg    Config
	log    *slog.Logger
	calls  *http.Client
	stream *http.Client

	mu          sync.Mutex
	endpoint    string // scheduler API URL of the master we talk to
	streamID    string // set while subscribed
	frameworkID string
	cancel      context.CancelCauseFunc // ends the current subscription
	removed     bool                    // a TEARDOWN call succeeded
}

// New returns a client; Run connects it.
func New(cfg Config) (*Client, error) {
	if cfg.Master == nil || cfg.Handler == nil || cfg.FrameworkID == nil {
		return nil, errors.New("mesosclient: Master, Handler and FrameworkID are required")
	}
	if cfg.Framework.Name == "" || cfg.Framework.User == "" {
		return nil, errors.New("mesosclient: the framework needs a name and a user")
	}
	if cfg.MissedHeartbeats <= 0 {
		cfg.MissedHeartbeats = defaultMissedHeartbeats
	}
	if cfg.MinBackoff <= 0 {
		cfg.MinBackoff = defaultMinBackoff
	}
	if cfg.MaxBackoff <= 0 {
		cfg.MaxBackoff = defaultMaxBackoff
	}
	if cfg.CallTimeout <= 0 {
		cfg.CallTimeout = defaultCallTimeout
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	transport := cfg.Transport
	if transport == nil {
		transport = http.DefaultTransport
	}
	noRedirect := func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return &Client{
		cfg:    cfg,
		log:    cfg.Logger.With("framework", cfg.Framework.Name),
		calls:  &http.Client{Transport: transport, Timeout: cfg.CallTimeout, CheckRedirect: noRedirect},
		stream: &http.Client{Transport: transport, CheckRedirect: noRedirect},
	}, nil
}

// FrameworkID is the ID of the current or last subscription ("" before the
// first one).
func (c *Client) FrameworkID() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.frameworkID
}

// Connected reports whether a subscription is established.
func (c *Client) Connected() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.streamID != ""
}

// Run subscribes and processes events until ctx is cancelled or the master
// removes the framework (ErrFrameworkRemoved), which a successful TEARDOWN
// call does too. A broken subscription is re-established with capped
// exponential backoff.
func (c *Client) Run(ctx context.Context) error {
	c.mu.Lock()
	c.removed = false
	c.mu.Unlock()
	backoff := c.cfg.MinBackoff
	for {
		subscribed, err := c.subscribeOnce(ctx)
		if c.tornDown() && !errors.Is(err, ErrFrameworkRemoved) {
			err = fmt.Errorf("%w: %v", errTornDown, err)
		}
		c.cfg.Handler.Disconnected(err)
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if errors.Is(err, ErrFrameworkRemoved) {
			return err
		}
		if subscribed {
			backoff = c.cfg.MinBackoff
		}
		delay := backoff/2 + rand.N(backoff/2+1)
		c.log.Warn("Mesos subscription ended; subscribing again", "error", err, "after", delay)
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(delay):
		}
		if c.tornDown() {
			// The TEARDOWN call's answer came after its stream ended.
			return errTornDown
		}
		backoff = min(backoff*2, c.cfg.MaxBackoff)
	}
}

func (c *Client) tornDown() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.removed
}

// Call sends a call on the current subscription, stamped with the framework
// ID and stream ID, following redirects to the leading master.
func (c *Client) Call(ctx context.Context, call *scheduler.Call) error {
	c.mu.Lock()
	endpoint, streamID, fid := c.endpoint, c.streamID, c.frameworkID
	c.mu.Unlock()
	if streamID == "" {
		return fmt.Errorf("sending %s: %w", call.GetType(), ErrNotSubscribed)
	}
	call.FrameworkID = &mesos.FrameworkID{Value: fid}
	resp, err := c.post(ctx, c.calls, endpoint, call, streamID)
	if err != nil {
		return fmt.Errorf("sending %s: %w", call.GetType(), err)
	}
	defer drain(resp)
	switch resp.StatusCode {
	case http.StatusAccepted, http.StatusOK:
		if call.GetType() == scheduler.Call_TEARDOWN {
			// The master removed the framework and closes its stream;
			// Run must end rather than subscribe again.
			c.mu.Lock()
			c.removed = true
			c.mu.Unlock()
			c.endSubscription(errTornDown)
		}
		return nil
	}
	err = fmt.Errorf("sending %s: %w", call.GetType(), responseError(resp))
	if resp.StatusCode == http.StatusForbidden {
		// The master no longer considers us subscribed: drop the stream
		// so that Run subscribes again.
		c.endSubscription(err)
	}
	return err
}

// endSubscription cancels the current subscription, if any.
func (c *Client) endSubscription(cause error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.cancel != nil {
		c.cancel(cause)
	}
}

// subscribeOnce runs one subscription to its end. It reports whether the
// master accepted the subscription (SUBSCRIBED arrived).
func (c *Client) subscribeOnce(ctx context.Context) (subscribed bool, err error) {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	defer func() {
		c.mu.Lock()
		c.streamID, c.cancel = "", nil
		if !subscribed {
			c.endpoint = "" // resolve the master again next time
		}
		c.mu.Unlock()
	}()

	endpoint, err := c.currentEndpoint(ctx)
	if err != nil {
		return false, err
	}
	// The master answers SUBSCRIBE at once; one that accepted the
	// connection but never answers must not hold Run forever.
	noAnswer := time.AfterFunc(c.cfg.CallTimeout, func() {
		cancel(fmt.Errorf("no answer to SUBSCRIBE within %s", c.cfg.CallTimeout))
	})
	resp, err := c.post(ctx, c.stream, endpoint, c.subscribeCall(), "")
	switch {
	case err != nil:
		err = fmt.Errorf("subscribing: %w", err)
	case resp.StatusCode != http.StatusOK:
		err = fmt.Errorf("subscribing: %w", responseError(resp)) // reading the body is bounded too
		drain(resp)
	case resp.Header.Get(streamHeader) == "":
		err = errors.New("subscribing: the master's answer has no Mesos-Stream-Id header")
		drain(resp)
	}
	if !noAnswer.Stop() {
		if err == nil {
			drain(resp)
		}
		return false, fmt.Errorf("subscribing: %w", context.Cause(ctx))
	}
	if err != nil {
		return false, err
	}
	streamID := resp.Header.Get(streamHeader)

	events := make(chan *scheduler.Event)
	readErr := make(chan error, 1)
	readerDone := make(chan struct{})
	go func() {
		defer close(readerDone)
		readErr <- readEvents(ctx, resp.Body, events)
	}()
	// The stream is endless: it is not drained but abandoned. Cancelling the
	// request's context aborts a read in progress; the reader is waited for
	// before the body is closed.
	defer func() {
		cancel(nil)
		<-readerDone
		_ = resp.Body.Close()
	}()

	// Until SUBSCRIBED tells the heartbeat interval, the first event must
	// come within the call timeout.
	timeout := c.cfg.CallTimeout
	watchdog := time.NewTimer(timeout)
	defer watchdog.Stop()
	for {
		select {
		case <-ctx.Done():
			return subscribed, fmt.Errorf("subscription ended: %w", context.Cause(ctx))
		case err := <-readErr:
			return subscribed, fmt.Errorf("reading the event stream: %w", err)
		case <-watchdog.C:
			if !subscribed {
				return false, fmt.Errorf("subscribing: no SUBSCRIBED event within %s", timeout)
			}
			return true, fmt.Errorf("no event or heartbeat from the master for %s; dropping the stream", timeout)
		case e := <-events:
			if !subscribed {
				interval, err := c.onFirstEvent(ctx, e, streamID, cancel)
				if err != nil {
					return false, err
				}
				subscribed = true
				timeout = time.Duration(c.cfg.MissedHeartbeats) * interval
			} else if err := c.dispatch(ctx, e); err != nil {
				return true, err
			}
			// Restarted after handling: time spent in the handler (and
			// acknowledging) is not silence of the master.
			watchdog.Reset(timeout)
		}
	}
}

// onFirstEvent handles the event that opens a stream, which must be
// SUBSCRIBED (or an ERROR saying why not), and returns the heartbeat interval.
func (c *Client) onFirstEvent(ctx context.Context, e *scheduler.Event, streamID string, cancel context.CancelCauseFunc) (time.Duration, error) {
	switch e.GetType() {
	case scheduler.Event_SUBSCRIBED:
	case scheduler.Event_ERROR:
		return 0, masterError(e.GetError().GetMessage())
	default:
		return 0, fmt.Errorf("the master opened the stream with %s instead of SUBSCRIBED", e.GetType())
	}
	sub := e.GetSubscribed()
	fid := sub.GetFrameworkID().GetValue()
	interval := time.Duration(sub.GetHeartbeatIntervalSeconds() * float64(time.Second))
	if interval <= 0 {
		interval = 15 * time.Second
	}
	if err := c.cfg.Handler.Subscribed(ctx, fid); err != nil {
		return 0, fmt.Errorf("handling SUBSCRIBED: %w", err)
	}
	c.mu.Lock()
	c.frameworkID, c.streamID, c.cancel = fid, streamID, cancel
	c.mu.Unlock()
	c.log.Info("subscribed to Mesos master", "framework_id", fid, "master", c.currentEndpointString(), "heartbeat", interval)
	return interval, nil
}

// dispatch handles one event of an established subscription.
func (c *Client) dispatch(ctx context.Context, e *scheduler.Event) error {
	switch e.GetType() {
	case scheduler.Event_HEARTBEAT:
		return nil
	case scheduler.Event_ERROR:
		return masterError(e.GetError().GetMessage())
	case scheduler.Event_SUBSCRIBED:
		return errors.New("the master sent a second SUBSCRIBED on one stream")
	}
	if err := c.cfg.Handler.HandleEvent(ctx, e); err != nil {
		c.log.Error("handling Mesos event", "type", e.GetType().String(), "error", err)
		return nil
	}
	if e.GetType() != scheduler.Event_UPDATE {
		return nil
	}
	status := e.GetUpdate().GetStatus()
	if len(status.GetUUID()) == 0 {
		return nil
	}
	ack := calls.Acknowledge(status.GetAgentID().GetValue(), status.TaskID.GetValue(), status.GetUUID())
	if err := c.Call(ctx, ack); err != nil {
		// Not fatal: an unacknowledged update is sent again by the agent.
		c.log.Warn("acknowledging status update", "task", status.TaskID.GetValue(), "error", err)
	}
	return nil
}

// readEvents decodes RecordIO frames into events until the stream ends.
func readEvents(ctx context.Context, body io.Reader, out chan<- *scheduler.Event) error {
	frames := recordio.NewReader(body)
	for {
		frame, err := frames.ReadFrame()
		if err != nil {
			if errors.Is(err, io.EOF) {
				return errors.New("the master closed the stream")
			}
			return err
		}
		e := new(scheduler.Event)
		if err := e.Unmarshal(frame); err != nil {
			return fmt.Errorf("decoding event: %w", err)
		}
		select {
		case out <- e:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

func (c *Client) subscribeCall() *scheduler.Call {
	fi := c.cfg.Framework
	// The stored ID decides, not Config.Framework.ID: the master refuses a
	// SUBSCRIBE whose framework_info.id differs from its framework_id.
	fi.ID = nil
	call := calls.Subscribe(&fi)
	if fid := c.cfg.FrameworkID(); fid != "" {
		fi.ID = &mesos.FrameworkID{Value: fid}
		call.FrameworkID = &mesos.FrameworkID{Value: fid}
	}
	return call
}

// post sends a call to endpoint, following 307 redirects to the leading
// master; the endpoint the call finally reached is remembered.
func (c *Client) post(ctx context.Context, client *http.Client, endpoint string, call *scheduler.Call, streamID string) (*http.Response, error) {
	body, err := call.Marshal()
	if err != nil {
		return nil, fmt.Errorf("encoding call: %w", err)
	}
	for range maxRedirects {
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, endpoint, bytes.NewReader(body))
		if err != nil {
			return nil, err
		}
		req.Header.Set("Content-Type", protobufType)
		req.Header.Set("Accept", protobufType)
		if streamID != "" {
			req.Header.Set(streamHeader, streamID)
		}
		resp, err := client.Do(req)
		if err != nil {
			return nil, fmt.Errorf("POST %s: %w", endpoint, err)
		}
		if resp.StatusCode != http.StatusTemporaryRedirect {
			c.setEndpoint(endpoint)
			return resp, nil
		}
		next, err := redirectTarget(endpoint, resp.Header.Get("Location"))
		drain(resp)
		if err != nil {
			return nil, err
		}
		c.log.Info("following Mesos master redirect", "from", endpoint, "to", next)
		endpoint = next
	}
	return nil, fmt.Errorf("more than %d redirects between Mesos masters; is a leader elected?", maxRedirects)
}

// redirectTarget resolves a master's Location header, which is
// protocol-relative (//host:port/api/v1/scheduler).
func redirectTarget(from, location string) (string, error) {
	if location == "" {
		return "", errors.New("the master answered 307 without a Location")
	}
	base, err := url.Parse(from)
	if err != nil {
		return "", err
	}
	loc, err := url.Parse(location)
	if err != nil {
		return "", fmt.Errorf("the master redirected to %q, which is not a URL: %w", location, err)
	}
	target := base.ResolveReference(loc)
	if target.Path == "" {
		target.Path = schedulerPath
	}
	return target.String(), nil
}

func (c *Client) currentEndpoint(ctx context.Context) (string, error) {
	c.mu.Lock()
	endpoint := c.endpoint
	c.mu.Unlock()
	if endpoint != "" {
		return endpoint, nil
	}
	// Bounded, so that an unreachable ZooKeeper shows as failed attempts.
	ctx, cancel := context.WithTimeout(ctx, c.cfg.CallTimeout)
	defer cancel()
	endpoint, err := c.cfg.Master.Resolve(ctx)
	if err != nil {
		return "", fmt.Errorf("finding the Mesos master: %w", err)
	}
	return endpoint, nil
}

func (c *Client) currentEndpointString() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.endpoint
}

func (c *Client) setEndpoint(endpoint string) {
	c.mu.Lock()
	c.endpoint = endpoint
	c.mu.Unlock()
}

// masterError turns an ERROR event into an error, recognising the message
// the master sends for a removed framework.
func masterError(message string) error {
	if strings.Contains(message, "Framework has been removed") || strings.Contains(message, "framework has been removed") {
		return fmt.Errorf("%w (master said: %s)", ErrFrameworkRemoved, message)
	}
	return fmt.Errorf("the master sent an error: %s", message)
}

// CallError is a non-2xx answer from the master.
type CallError struct {
	Status  int
	Message string
}

func (e *CallError) Error() string {
	return fmt.Sprintf("the Mesos master answered %d %s: %s", e.Status, http.StatusText(e.Status), e.Message)
}

func responseError(resp *http.Response) error {
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
	message := strings.TrimSpace(string(body))
	if strings.Contains(message, "Framework has been removed") {
		return fmt.Errorf("%w (master said: %s)", ErrFrameworkRemoved, message)
	}
	return &CallError{Status: resp.StatusCode, Message: message}
}

func drain(resp *http.Response) {
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	_ = resp.Body.Close()
}
