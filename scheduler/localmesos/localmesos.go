// Package localmesos is a local Mesos: a master that speaks the real v1
// scheduler HTTP API on a real socket and agents that run tasks as real OS
// processes, with reservations, persistent volumes, checks and failure
// injection. It is a STAND-IN FOR TESTS AND `dev` MODE ONLY: no Mesos can be
// installed where this project is developed, so the scheduler is tested
// against this instead. It is never used in production mode.
//
// It follows shared/reference/mesos.md and the Apache Mesos sources
// (scheduler.proto/mesos.proto, src/master, src/slave, the command and
// default executors). Known differences from a real cluster: tasks share the
// host (no containers, cgroups or resource enforcement), custom executors are
// not supported, agents advertise no operation feedback capability, and
// checks probe the agent's loopback address instead of 127.0.0.1.
//
// Every agent stands for a host: it gets its own loopback address from a
// 127.X.Y.0/24 block held by the cluster (a free one among 127.16.*.0/24 by
// default, locked so that concurrently running clusters never share one), so
// two agents can run tasks on the same port and hostname:UNIQUE placement
// behaves as on real machines.
//
//	c, err := localmesos.Start(ctx, localmesos.Config{WorkDir: dir, Agents: []localmesos.AgentConfig{{}, {}}})
//	...
//	defer c.Close()
//	url := c.SchedulerURL() // http://127.0.0.1:PORT/api/v1/scheduler
package localmesos

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	mesos "github.com/mesos/mesos-go/api/v1/lib"

	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/localmesos/agent"
	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/localmesos/master"
	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/localmesos/resources"
	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/localmesos/wire"
)

// Config configures a local Mesos cluster. Durations left at zero take the
// real Mesos defaults; tests shorten them.
type Config struct {
	// Listen is the leading master's address; "127.0.0.1:0" picks a free
	// port. Default "127.0.0.1:0".
	Listen string
	// Masters is the number of masters (default 1). The others are
	// standbys that redirect to the leader (307) and take over on
	// FailoverMaster.
	Masters int
	// WorkDir holds the agents' sandboxes, checkpoints and volumes
	// (required). Reusing it keeps agents' IDs, reservations and volumes.
	WorkDir string
	// Agents describes the agents; at least one.
	Agents []AgentConfig
	// AddressBlock is the 127.X.Y.0/24 block agents take addresses from
	// (agent N gets 127.X.Y.N+1); empty picks a free block among
	// 127.16.0.0/24-127.16.255.0/24.
	AddressBlock string
	// Region is the fault domain region of agents that have a Zone
	// (default "local").
	Region string

	// HeartbeatInterval between HEARTBEAT events (Mesos: 15s).
	HeartbeatInterval time.Duration
	// AgentPingTimeout before an agent that stopped answering is marked
	// unreachable (Mesos: 75s).
	AgentPingTimeout time.Duration
	// AgentReregisterTimeout before a disconnected agent is marked
	// unreachable (Mesos: 10min).
	AgentReregisterTimeout time.Duration
	// StatusUpdateRetry is the first retry interval of unacknowledged
	// status updates (Mesos: 10s, doubling up to 10min).
	StatusUpdateRetry time.Duration
	// DefaultRefuseSeconds applies when a DECLINE carries no filter
	// (Mesos: 5).
	DefaultRefuseSeconds float64
	// OfferTimeout rescinds offers held longer (0: never, the Mesos
	// default).
	OfferTimeout time.Duration
	// ShutdownGrace is how long task processes get to exit on SIGTERM when
	// the cluster closes (default 5s).
	ShutdownGrace time.Duration

	// Logger receives the cluster's logs (default: discarded).
	Logger *slog.Logger
}

// AgentConfig describes one agent. Zero values take defaults.
type AgentConfig struct {
	// Name identifies the agent (default "agent-N").
	Name string
	// CPUs (default 4), MemMB (default 8192) and DiskMB, the ROOT disk
	// (default 20480).
	CPUs   float64
	MemMB  float64
	DiskMB float64
	// Ports are the port ranges offered (default 31000-32000).
	Ports []PortRange
	// MountDisks are MOUNT disks, used whole by persistent volumes.
	MountDisks []MountDisk
	// Attributes are offered as TEXT attributes (SCALAR when numeric).
	Attributes map[string]string
	// Zone puts the agent in a fault domain zone (region Config.Region).
	Zone string
	// Address overrides the agent's loopback address (must be 127.0.0.0/8).
	Address string
}

// PortRange is an inclusive port range.
type PortRange struct{ Begin, End uint64 }

// MountDisk is a MOUNT disk of SizeMB rooted at Root (default: a folder in
// the agent's work folder).
type MountDisk struct {
	SizeMB float64
	Root   string
}

func (c *Config) defaults() error {
	if c.WorkDir == "" {
		return errors.New("Config.WorkDir is required: the local Mesos keeps sandboxes and volumes there")
	}
	if len(c.Agents) == 0 {
		return errors.New("Config.Agents is empty: the local Mesos needs at least one agent")
	}
	if c.Listen == "" {
		c.Listen = "127.0.0.1:0"
	}
	if c.Masters <= 0 {
		c.Masters = 1
	}
	if c.Region == "" {
		c.Region = "local"
	}
	if c.ShutdownGrace <= 0 {
		c.ShutdownGrace = 5 * time.Second
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	seen := map[string]bool{}
	for i := range c.Agents {
		a := &c.Agents[i]
		if a.Name == "" {
			a.Name = "agent-" + strconv.Itoa(i+1)
		}
		if seen[a.Name] {
			return fmt.Errorf("agent name %q is used twice; agent names must be unique", a.Name)
		}
		seen[a.Name] = true
		if a.CPUs == 0 {
			a.CPUs = 4
		}
		if a.MemMB == 0 {
			a.MemMB = 8192
		}
		if a.DiskMB == 0 {
			a.DiskMB = 20480
		}
		if len(a.Ports) == 0 {
			a.Ports = []PortRange{{31000, 32000}}
		}
		if a.CPUs < 0 || a.MemMB < 0 || a.DiskMB < 0 {
			return fmt.Errorf("agent %q: cpus, mem and disk must not be negative", a.Name)
		}
		for _, p := range a.Ports {
			if p.Begin == 0 || p.Begin > p.End || p.End > 65535 {
				return fmt.Errorf("agent %q: port range %d-%d is invalid; use 1-65535 with begin <= end", a.Name, p.Begin, p.End)
			}
		}
		if a.Address != "" {
			ip := net.ParseIP(a.Address).To4()
			if ip == nil || ip[0] != 127 {
				return fmt.Errorf("agent %q: address %q is not in 127.0.0.0/8; the local Mesos only uses loopback addresses", a.Name, a.Address)
			}
		}
	}
	return nil
}

// Cluster is a running local Mesos.
type Cluster struct {
	cfg      Config
	log      *slog.Logger
	block    *addressBlock
	registry *master.Registry
	domain   *mesos.DomainInfo

	mu            sync.Mutex
	masters       []*masterNode
	leader        int
	heartbeatsOff bool
	agents        map[string]*agentNode
	order         []string
	closed        bool
}

// masterNode is one master's socket; a failover replaces its master.
type masterNode struct {
	addr    string
	ln      net.Listener
	srv     *http.Server
	current atomic.Pointer[master.Master]
}

// agentNode is one agent slot: its config, its running agent (nil while
// crashed) and its link to the masters.
type agentNode struct {
	name    string
	cfg     agent.Config
	agent   *agent.Agent
	link    *link
	removed bool
}

// Start starts the masters and agents and waits until every agent has
// registered (ctx bounds the wait). Call Close to stop everything.
func Start(ctx context.Context, cfg Config) (*Cluster, error) {
	if err := cfg.defaults(); err != nil {
		return nil, fmt.Errorf("starting local Mesos: %w", err)
	}
	if err := os.MkdirAll(cfg.WorkDir, 0o755); err != nil {
		return nil, fmt.Errorf("starting local Mesos: creating work folder: %w", err)
	}
	block, err := lockAddressBlock(cfg.AddressBlock)
	if err != nil {
		return nil, fmt.Errorf("starting local Mesos: %w", err)
	}
	c := &Cluster{cfg: cfg, log: cfg.Logger, block: block, registry: master.NewRegistry(), agents: map[string]*agentNode{}}
	for _, a := range cfg.Agents {
		if a.Zone != "" {
			c.domain = domain(cfg.Region, "local")
		}
	}
	if err := c.startMasters(); err != nil {
		c.Close()
		return nil, err
	}
	for i, ac := range cfg.Agents {
		if err := c.addAgent(i, ac); err != nil {
			c.Close()
			return nil, err
		}
	}
	if err := c.waitRegistered(ctx); err != nil {
		c.Close()
		return nil, err
	}
	c.log.Info("local Mesos started", "scheduler_api", c.SchedulerURL(), "agents", len(cfg.Agents), "address_block", block.String())
	return c, nil
}

func domain(region, zone string) *mesos.DomainInfo {
	return &mesos.DomainInfo{FaultDomain: &mesos.DomainInfo_FaultDomain{
		Region: mesos.DomainInfo_FaultDomain_RegionInfo{Name: region},
		Zone:   mesos.DomainInfo_FaultDomain_ZoneInfo{Name: zone},
	}}
}

func (c *Cluster) startMasters() error {
	for i := 0; i < c.cfg.Masters; i++ {
		listen := "127.0.0.1:0"
		if i == 0 {
			listen = c.cfg.Listen
		}
		ln, err := net.Listen("tcp", listen)
		if err != nil {
			return fmt.Errorf("starting local Mesos master on %s: %w", listen, err)
		}
		n := &masterNode{addr: ln.Addr().String(), ln: ln}
		n.current.Store(c.newMaster(n))
		mux := http.NewServeMux()
		mux.HandleFunc("/api/v1/scheduler", func(w http.ResponseWriter, r *http.Request) {
			n.current.Load().ServeScheduler(w, r)
		})
		mux.HandleFunc("/localmesos/state", c.serveState)
		mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(http.StatusNotFound)
		})
		n.srv = &http.Server{Handler: mux, ReadHeaderTimeout: 30 * time.Second}
		go func() {
			if err := n.srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
				c.log.Error("local Mesos master stopped serving", "address", n.addr, "error", err)
			}
		}()
		c.masters = append(c.masters, n)
	}
	c.masters[0].current.Load().Elect()
	return nil
}

func (c *Cluster) newMaster(n *masterNode) *master.Master {
	host, portStr, _ := net.SplitHostPort(n.addr)
	port, _ := strconv.Atoi(portStr)
	return master.New(master.Config{
		Hostname:               host,
		Port:                   port,
		HeartbeatInterval:      c.cfg.HeartbeatInterval,
		AgentPingTimeout:       c.cfg.AgentPingTimeout,
		AgentReregisterTimeout: c.cfg.AgentReregisterTimeout,
		DefaultRefuseSeconds:   c.cfg.DefaultRefuseSeconds,
		OfferTimeout:           c.cfg.OfferTimeout,
		Registry:               c.registry,
		Domain:                 c.domain,
		Leader:                 c.leaderInfo,
		Logger:                 c.log,
	})
}

func (c *Cluster) leaderInfo() (mesos.MasterInfo, bool) {
	m := c.leaderMaster()
	if m == nil || !m.Elected() {
		return mesos.MasterInfo{}, false
	}
	return m.Info(), true
}

// leaderMaster returns the leading master.
func (c *Cluster) leaderMaster() *master.Master {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return nil
	}
	return c.masters[c.leader].current.Load()
}

func (c *Cluster) agentConfig(i int, ac AgentConfig) (agent.Config, error) {
	address := ac.Address
	if address == "" {
		address = c.block.host(i + 2)
	}
	dir := filepath.Join(c.cfg.WorkDir, "agents", ac.Name)
	rs := []mesos.Resource{
		resources.Scalar("cpus", ac.CPUs),
		resources.Scalar("mem", ac.MemMB),
		resources.Scalar("disk", ac.DiskMB),
	}
	var ranges []mesos.Value_Range
	for _, p := range ac.Ports {
		ranges = append(ranges, mesos.Value_Range{Begin: p.Begin, End: p.End})
	}
	rs = append(rs, resources.Ranges("ports", ranges...))
	for j, d := range ac.MountDisks {
		root := d.Root
		if root == "" {
			root = filepath.Join(dir, "mounts", "disk-"+strconv.Itoa(j+1))
		}
		if d.SizeMB <= 0 {
			return agent.Config{}, fmt.Errorf("agent %q: MOUNT disk %d needs a positive size", ac.Name, j+1)
		}
		rs = append(rs, resources.MountDisk(d.SizeMB, root))
	}
	cfg := agent.Config{
		Name:              ac.Name,
		Hostname:          address,
		Resources:         rs,
		Attributes:        attributes(ac.Attributes),
		WorkDir:           dir,
		StatusUpdateRetry: c.cfg.StatusUpdateRetry,
		ShutdownGrace:     c.cfg.ShutdownGrace,
		Logger:            c.log,
	}
	if ac.Zone != "" {
		cfg.Domain = domain(c.cfg.Region, ac.Zone)
	}
	return cfg, nil
}

func attributes(m map[string]string) []mesos.Attribute {
	var out []mesos.Attribute
	for _, k := range sortedKeys(m) {
		v := m[k]
		if f, err := strconv.ParseFloat(v, 64); err == nil {
			out = append(out, mesos.Attribute{Name: k, Type: mesos.SCALAR, Scalar: &mesos.Value_Scalar{Value: f}})
			continue
		}
		out = append(out, mesos.Attribute{Name: k, Type: mesos.TEXT, Text: &mesos.Value_Text{Value: v}})
	}
	return out
}

func (c *Cluster) addAgent(i int, ac AgentConfig) error {
	cfg, err := c.agentConfig(i, ac)
	if err != nil {
		return fmt.Errorf("starting local Mesos: %w", err)
	}
	n := &agentNode{name: ac.Name, link: &link{}}
	cfg.Master = func() wire.Master { return masterSide{c: c, link: n.link} }
	n.cfg = cfg
	a, err := agent.Start(cfg)
	if err != nil {
		return fmt.Errorf("starting local Mesos agent %s: %w", ac.Name, err)
	}
	n.agent = a
	c.mu.Lock()
	c.agents[ac.Name] = n
	c.order = append(c.order, ac.Name)
	c.mu.Unlock()
	return nil
}

func (c *Cluster) waitRegistered(ctx context.Context) error {
	ticker := time.NewTicker(5 * time.Millisecond)
	defer ticker.Stop()
	for {
		m := c.leaderMaster()
		if m != nil && len(m.Snapshot().Agents) == len(c.cfg.Agents) {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("starting local Mesos: waiting for %d agents to register: %w", len(c.cfg.Agents), ctx.Err())
		case <-ticker.C:
		}
	}
}

// SchedulerURL is the leading master's scheduler API endpoint.
func (c *Cluster) SchedulerURL() string {
	return "http://" + c.LeaderAddress() + "/api/v1/scheduler"
}

// StateURL is the read-only JSON introspection endpoint.
func (c *Cluster) StateURL() string {
	return "http://" + c.LeaderAddress() + "/localmesos/state"
}

// LeaderAddress is the leading master's host:port.
func (c *Cluster) LeaderAddress() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.masters[c.leader].addr
}

// MasterAddresses lists every master's host:port, leader first.
func (c *Cluster) MasterAddresses() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := []string{c.masters[c.leader].addr}
	for i, n := range c.masters {
		if i != c.leader {
			out = append(out, n.addr)
		}
	}
	return out
}

// AgentNames lists the agents' names in configuration order.
func (c *Cluster) AgentNames() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]string(nil), c.order...)
}

// AgentAddress returns an agent's loopback address (its hostname).
func (c *Cluster) AgentAddress(name string) (string, error) {
	n, err := c.node(name)
	if err != nil {
		return "", err
	}
	return n.cfg.Hostname, nil
}

func (c *Cluster) node(name string) (*agentNode, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return nil, errors.New("the local Mesos is closed")
	}
	if n, ok := c.agents[name]; ok {
		return n, nil
	}
	for _, n := range c.agents {
		if id, _ := agent.ReadID(n.cfg.WorkDir); id == name {
			return n, nil
		}
	}
	return nil, fmt.Errorf("no agent named %q (agents: %v)", name, c.order)
}

// Close kills every task process, stops the agents and masters and releases
// the address block. Nothing keeps running afterwards.
func (c *Cluster) Close() error {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return nil
	}
	c.closed = true
	nodes := make([]*agentNode, 0, len(c.agents))
	for _, n := range c.agents {
		nodes = append(nodes, n)
	}
	masters := c.masters
	c.mu.Unlock()

	ctx, cancel := context.WithTimeout(context.Background(), c.cfg.ShutdownGrace+30*time.Second)
	defer cancel()
	var wg sync.WaitGroup
	errs := make(chan error, len(nodes))
	for _, n := range nodes {
		if n.agent == nil {
			continue
		}
		wg.Add(1)
		go func(a *agent.Agent) {
			defer wg.Done()
			if err := a.Stop(ctx); err != nil {
				errs <- fmt.Errorf("stopping agent %s: %w", a.Name(), err)
			}
		}(n.agent)
	}
	wg.Wait()
	close(errs)
	for _, n := range masters {
		n.current.Load().Stop()
		_ = n.srv.Close()
	}
	if c.block != nil {
		c.block.release()
	}
	var err error
	for e := range errs {
		err = errors.Join(err, e)
	}
	return err
}

// link is the network between one agent and the masters; failure injection
// cuts it.
type link struct{ cut atomic.Bool }

// masterSide is the leading master as an agent reaches it through its link.
type masterSide struct {
	c    *Cluster
	link *link
}

func (s masterSide) target() wire.Master {
	if s.link.cut.Load() {
		return nil
	}
	m := s.c.leaderMaster()
	if m == nil || !m.Elected() {
		return nil
	}
	return m
}

func (s masterSide) RegisterAgent(reg wire.Registration) (mesos.AgentID, error) {
	m := s.target()
	if m == nil {
		return mesos.AgentID{}, wire.ErrUnreachable
	}
	reg.Agent = linkedAgent{port: reg.Agent, link: s.link}
	return m.RegisterAgent(reg)
}

func (s masterSide) StatusUpdate(u wire.StatusUpdate) {
	if m := s.target(); m != nil {
		m.StatusUpdate(u)
	}
}

func (s masterSide) ExitedExecutor(a mesos.AgentID, f mesos.FrameworkID, e mesos.ExecutorID, status int32) {
	if m := s.target(); m != nil {
		m.ExitedExecutor(a, f, e, status)
	}
}

// linkedAgent is an agent as the master reaches it: messages are dropped
// while the link is cut.
type linkedAgent struct {
	port wire.Agent
	link *link
}

func (l linkedAgent) up() bool { return !l.link.cut.Load() }

func (l linkedAgent) Ping() bool { return l.up() && l.port.Ping() }
func (l linkedAgent) RunTask(f mesos.FrameworkInfo, t mesos.TaskInfo) {
	if l.up() {
		l.port.RunTask(f, t)
	}
}
func (l linkedAgent) RunTaskGroup(f mesos.FrameworkInfo, e mesos.ExecutorInfo, g mesos.TaskGroupInfo) {
	if l.up() {
		l.port.RunTaskGroup(f, e, g)
	}
}
func (l linkedAgent) KillTask(f mesos.FrameworkID, t mesos.TaskID, p *mesos.KillPolicy) {
	if l.up() {
		l.port.KillTask(f, t, p)
	}
}
func (l linkedAgent) Acknowledge(f mesos.FrameworkID, t mesos.TaskID, uuid []byte) {
	if l.up() {
		l.port.Acknowledge(f, t, uuid)
	}
}
func (l linkedAgent) ApplyOperation(op mesos.Offer_Operation) {
	if l.up() {
		l.port.ApplyOperation(op)
	}
}
func (l linkedAgent) ShutdownFramework(f mesos.FrameworkID) {
	if l.up() {
		l.port.ShutdownFramework(f)
	}
}
func (l linkedAgent) ShutdownExecutor(f mesos.FrameworkID, e mesos.ExecutorID) {
	if l.up() {
		l.port.ShutdownExecutor(f, e)
	}
}
func (l linkedAgent) ReconcileTasks(f mesos.FrameworkInfo, ids []mesos.TaskID) {
	if l.up() {
		l.port.ReconcileTasks(f, ids)
	}
}
func (l linkedAgent) UpdateFramework(f mesos.FrameworkInfo) {
	if l.up() {
		l.port.UpdateFramework(f)
	}
}
func (l linkedAgent) Shutdown(msg string) {
	if l.up() {
		l.port.Shutdown(msg)
	}
}
