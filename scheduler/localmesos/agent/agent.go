// Package agent is a local Mesos agent: it owns a share of resources (cpus,
// mem, disks, ports), checkpoints dynamic reservations and persistent volumes
// in its work folder, runs tasks as real OS processes through the command
// executor (LAUNCH) and the default executor (LAUNCH_GROUP), runs their checks
// and health checks, and sends status updates that it re-sends until they are
// acknowledged, as the Mesos agent and executors do.
//
// An agent handles every message on one goroutine (its mailbox), like a
// libprocess actor; blocking work (fetching, waiting for processes, checks)
// runs on helper goroutines that post their results back.
//
// It is part of the local Mesos, a stand-in for tests and development.
package agent

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	mesos "github.com/mesos/mesos-go/api/v1/lib"

	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/localmesos/resources"
	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/localmesos/wire"
)

// Config configures an agent.
type Config struct {
	// Name identifies the agent in logs and snapshots; it is stable across
	// restarts (the agent ID is too, once checkpointed).
	Name string
	// Hostname is the loopback address this agent stands for, such as
	// 127.18.3.2. Tasks' HTTP and TCP checks probe it.
	Hostname string
	// Port is the nominal agent port advertised in AgentInfo and offers.
	Port int32
	// Resources are the agent's resources as configured: unreserved (or
	// statically reserved) cpus, mem, disk (ROOT and MOUNT) and ports.
	Resources []mesos.Resource
	// Attributes and Domain are advertised in offers.
	Attributes []mesos.Attribute
	Domain     *mesos.DomainInfo
	// WorkDir holds the agent's checkpoints (meta/), sandboxes (slaves/) and
	// ROOT persistent volumes (volumes/). Reusing it across a restart keeps
	// the agent ID, reservations and volumes.
	WorkDir string
	// StatusUpdateRetry is the first retry interval of unacknowledged status
	// updates (Mesos: 10s); it doubles up to StatusUpdateRetryMax (10min).
	StatusUpdateRetry    time.Duration
	StatusUpdateRetryMax time.Duration
	// RegistrationRetry is how often an unregistered agent retries.
	RegistrationRetry time.Duration
	// ShutdownGrace bounds how long tasks get to exit on SIGTERM when the
	// agent stops or a framework is shut down (Mesos: 5s).
	ShutdownGrace time.Duration
	// Master returns the leading master, or nil when none is reachable.
	Master func() wire.Master
	// Logger receives the agent's logs.
	Logger *slog.Logger
}

func (c *Config) defaults() {
	if c.Port == 0 {
		c.Port = 5051
	}
	if c.StatusUpdateRetry <= 0 {
		c.StatusUpdateRetry = 10 * time.Second
	}
	if c.StatusUpdateRetryMax <= 0 {
		c.StatusUpdateRetryMax = 10 * time.Minute
	}
	if c.RegistrationRetry <= 0 {
		c.RegistrationRetry = time.Second
	}
	if c.ShutdownGrace <= 0 {
		c.ShutdownGrace = 5 * time.Second
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
}

// defaultKillGrace is the Mesos executors' default kill grace period.
const defaultKillGrace = 3 * time.Second

// Agent is one local Mesos agent.
type Agent struct {
	cfg Config
	log *slog.Logger
	box *mailbox

	// ctx is cancelled when the agent crashes or stops; every helper
	// goroutine watches it.
	ctx    context.Context
	cancel context.CancelFunc
	alive  atomic.Bool
	wg     sync.WaitGroup

	// procs tracks live task processes (it has its own lock).
	procs procSet

	// Everything below is owned by the mailbox goroutine.
	id           mesos.AgentID
	registered   bool
	shutdown     bool
	checkpointed resources.Resources
	total        resources.Resources
	frameworks   map[string]*framework
	streams      map[streamKey]*updateStream
	regTimer     *time.Timer
}

// Start recovers an agent from its work folder and starts it: it registers
// with the master (or reregisters with its checkpointed ID) in the
// background. It fails when the checkpointed reservations no longer fit the
// configured resources, as a Mesos agent refuses to start with an
// incompatible configuration.
func Start(cfg Config) (*Agent, error) {
	cfg.defaults()
	if cfg.WorkDir == "" || cfg.Hostname == "" || cfg.Master == nil {
		return nil, errors.New("starting agent: WorkDir, Hostname and Master are required")
	}
	a := &Agent{
		cfg:        cfg,
		log:        cfg.Logger.With("agent", cfg.Name),
		box:        newMailbox(),
		frameworks: map[string]*framework{},
		streams:    map[streamKey]*updateStream{},
	}
	a.ctx, a.cancel = context.WithCancel(context.Background())
	if err := a.prepareDirs(); err != nil {
		return nil, err
	}
	if err := a.recover(); err != nil {
		return nil, fmt.Errorf("recovering agent %s from %s: %w", cfg.Name, cfg.WorkDir, err)
	}
	a.alive.Store(true)
	a.wg.Add(1)
	go func() {
		defer a.wg.Done()
		a.box.run(a.ctx)
	}()
	a.post(a.register)
	return a, nil
}

func (a *Agent) prepareDirs() error {
	for _, dir := range []string{a.metaDir(), filepath.Join(a.cfg.WorkDir, "slaves"), filepath.Join(a.cfg.WorkDir, "volumes")} {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return fmt.Errorf("creating agent folder %s: %w", dir, err)
		}
	}
	for _, r := range a.cfg.Resources {
		if resources.IsMountDisk(r) {
			root := r.Disk.Source.Mount.GetRoot()
			if err := os.MkdirAll(root, 0o755); err != nil {
				return fmt.Errorf("creating MOUNT disk root %s: %w", root, err)
			}
		}
	}
	return nil
}

// post queues fn on the agent's mailbox; it is dropped once the agent died.
func (a *Agent) post(fn func()) {
	if a.alive.Load() {
		a.box.post(fn)
	}
}

// call runs fn on the mailbox and waits for it (for snapshots and tests).
func (a *Agent) call(fn func()) bool {
	done := make(chan struct{})
	if !a.alive.Load() || !a.box.post(func() { fn(); close(done) }) {
		return false
	}
	select {
	case <-done:
		return true
	case <-a.ctx.Done():
		return false
	}
}

// Name returns the agent's name.
func (a *Agent) Name() string { return a.cfg.Name }

// Hostname returns the agent's address.
func (a *Agent) Hostname() string { return a.cfg.Hostname }

// Alive reports whether the agent runs (it has not crashed or stopped).
func (a *Agent) Alive() bool { return a.alive.Load() }

// Port returns the agent's endpoint for the master.
func (a *Agent) Port() wire.Agent { return port{a} }

// Reregister makes the agent register again with the current leading master,
// as it does when it detects a new leader or a healed connection.
func (a *Agent) Reregister() {
	a.post(func() {
		a.registered = false
		a.register()
	})
}

// Crash kills the agent and every task process at once, like a host losing
// power: nothing is sent and nothing is checkpointed. The work folder keeps
// what was checkpointed before; Start on the same folder recovers it.
func (a *Agent) Crash() {
	if !a.alive.Swap(false) {
		return
	}
	a.log.Info("agent crashed")
	a.box.close()
	a.cancel()
	_ = a.killAll(context.Background(), 0)
	a.wg.Wait()
}

// Stop stops the agent like a host shutting down: every task process gets
// SIGTERM and ShutdownGrace to exit before SIGKILL, nothing more is reported
// or checkpointed, and Start on the same work folder recovers the agent (its
// tasks are then reported failed, as after a reboot). It returns when every
// task process has exited.
func (a *Agent) Stop(ctx context.Context) error {
	if !a.alive.Swap(false) {
		return nil
	}
	a.log.Info("agent stopping")
	a.box.close()
	err := a.killAll(ctx, a.cfg.ShutdownGrace)
	a.cancel()
	a.wg.Wait()
	return err
}

// mailbox is an unbounded FIFO of functions run on one goroutine.
type mailbox struct {
	mu     sync.Mutex
	queue  []func()
	signal chan struct{}
	closed bool
}

func newMailbox() *mailbox { return &mailbox{signal: make(chan struct{}, 1)} }

func (m *mailbox) post(fn func()) bool {
	m.mu.Lock()
	if m.closed {
		m.mu.Unlock()
		return false
	}
	m.queue = append(m.queue, fn)
	m.mu.Unlock()
	select {
	case m.signal <- struct{}{}:
	default:
	}
	return true
}

func (m *mailbox) close() {
	m.mu.Lock()
	m.closed = true
	m.queue = nil
	m.mu.Unlock()
}

func (m *mailbox) run(ctx context.Context) {
	for {
		m.mu.Lock()
		if m.closed {
			m.mu.Unlock()
			return
		}
		batch := m.queue
		m.queue = nil
		m.mu.Unlock()
		for _, fn := range batch {
			if ctx.Err() != nil {
				return
			}
			fn()
		}
		if len(batch) > 0 {
			continue
		}
		select {
		case <-m.signal:
		case <-ctx.Done():
			return
		}
	}
}

// register (re)registers with the leading master, retrying while there is
// none. Runs on the mailbox.
func (a *Agent) register() {
	if a.shutdown || a.registered {
		return
	}
	if a.regTimer != nil {
		a.regTimer.Stop()
		a.regTimer = nil
	}
	master := a.cfg.Master()
	if master == nil {
		a.retryRegistration()
		return
	}
	reg := a.registration()
	id, err := master.RegisterAgent(reg)
	if err != nil {
		if errors.Is(err, wire.ErrUnreachable) {
			a.retryRegistration()
			return
		}
		a.log.Warn("master refused the agent; shutting down", "error", err)
		a.shutdownAgent()
		return
	}
	if a.id.Value != id.Value {
		a.id = id
		if err := a.saveAgentID(); err != nil {
			a.log.Error("checkpointing agent ID", "error", err)
		}
	}
	a.registered = true
	a.log.Info("registered with master", "agent_id", id.Value)
	a.flushUpdates()
}

func (a *Agent) retryRegistration() {
	a.regTimer = time.AfterFunc(a.cfg.RegistrationRetry, func() { a.post(a.register) })
}

func (a *Agent) agentInfo() mesos.AgentInfo {
	port := a.cfg.Port
	info := mesos.AgentInfo{
		Hostname:   a.cfg.Hostname,
		Port:       &port,
		Resources:  append([]mesos.Resource(nil), a.cfg.Resources...),
		Attributes: a.cfg.Attributes,
		Domain:     a.cfg.Domain,
	}
	if a.id.Value != "" {
		id := a.id
		info.ID = &id
	}
	return info
}

func (a *Agent) registration() wire.Registration {
	reg := wire.Registration{
		Info:         a.agentInfo(),
		Checkpointed: append([]mesos.Resource(nil), a.checkpointed...),
		Agent:        a.Port(),
	}
	for _, fw := range a.frameworks {
		if fw.terminating {
			continue
		}
		reg.Frameworks = append(reg.Frameworks, fw.info)
		for _, e := range fw.executors {
			if e.kind == defaultExecutor && !e.terminated {
				reg.Executors = append(reg.Executors, e.info)
			}
		}
		for _, t := range fw.allTasks() {
			reg.Tasks = append(reg.Tasks, a.taskRecord(t))
		}
	}
	return reg
}

// shutdownAgent kills everything without sending updates and stops
// accepting work: the master marked this agent gone.
func (a *Agent) shutdownAgent() {
	a.shutdown = true
	a.registered = false
	for _, s := range a.streams {
		s.stop()
	}
	a.streams = map[streamKey]*updateStream{}
	a.killEverything(a.cfg.ShutdownGrace)
}
