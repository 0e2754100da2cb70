// Package master is the local Mesos master: the v1 scheduler HTTP API
// (POST /api/v1/scheduler, JSON and protobuf, RecordIO event streams with
// Mesos-Stream-Id and heartbeats, the real master's status codes and
// messages), framework subscription and failover, the offer cycle with refuse
// filters, suppression and rescinds, offer operations with the real master's
// validation, task state, status update forwarding and acknowledgement,
// reconciliation, and agent health (disconnected, unreachable, gone).
//
// Its behaviour follows src/master of Apache Mesos 1.10/1.11 and the contract
// in shared/reference/mesos.md. All state is guarded by one mutex; messages to
// agents and events to frameworks are queued, never sent while blocking.
//
// It is part of the local Mesos, a stand-in for tests and development.
package master

import (
	"crypto/rand"
	"fmt"
	"log/slog"
	"net"
	"strconv"
	"sync"
	"time"

	mesos "github.com/mesos/mesos-go/api/v1/lib"

	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/localmesos/resources"
	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/localmesos/wire"
)

// Version is the Mesos version the local master reports.
const Version = "1.10.0"

// Config configures one master instance.
type Config struct {
	// Hostname and Port are the master's advertised address.
	Hostname string
	Port     int
	// HeartbeatInterval is the interval of HEARTBEAT events (Mesos: 15s).
	HeartbeatInterval time.Duration
	// AgentPingTimeout is how long an agent may fail health checks before it
	// is marked unreachable (Mesos: 15s x 5 = 75s).
	AgentPingTimeout time.Duration
	// AgentReregisterTimeout is how long a disconnected or recovered agent
	// has to reregister before it is marked unreachable (Mesos: 10min).
	AgentReregisterTimeout time.Duration
	// DefaultRefuseSeconds is used when a DECLINE or ACCEPT carries no
	// refuse_seconds (the Filters proto default: 5).
	DefaultRefuseSeconds float64
	// OfferTimeout rescinds offers held longer than this; 0 disables it,
	// like the Mesos default.
	OfferTimeout time.Duration
	// Registry persists admitted, unreachable and gone agents across master
	// failovers.
	Registry *Registry
	// Domain is the master's fault domain (required when agents have one).
	Domain *mesos.DomainInfo
	// Leader returns the leading master for redirects; ok is false when no
	// leader is known.
	Leader func() (info mesos.MasterInfo, ok bool)
	// Logger receives the master's logs.
	Logger *slog.Logger
}

func (c *Config) defaults() {
	if c.HeartbeatInterval <= 0 {
		c.HeartbeatInterval = 15 * time.Second
	}
	if c.AgentPingTimeout <= 0 {
		c.AgentPingTimeout = 75 * time.Second
	}
	if c.AgentReregisterTimeout <= 0 {
		c.AgentReregisterTimeout = 10 * time.Minute
	}
	if c.DefaultRefuseSeconds <= 0 {
		c.DefaultRefuseSeconds = 5
	}
	if c.Registry == nil {
		c.Registry = NewRegistry()
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
}

// Master is one local master instance. A failover replaces the instance.
type Master struct {
	cfg  Config
	log  *slog.Logger
	info mesos.MasterInfo

	mu            sync.Mutex
	elected       bool
	stopped       bool
	heartbeatsOff bool
	frameworks    map[string]*framework
	completed     map[string]bool
	agents        map[string]*agent
	recovered     map[string]mesos.AgentInfo
	offers        map[string]*offer
	counters      map[string]uint64
	allDirty      bool
	dirty         map[string]bool
	filterTimer   *time.Timer
	recoverTimer  *time.Timer

	allocTrigger chan struct{}
	done         chan struct{}
	wg           sync.WaitGroup
}

// New creates a master. It serves scheduler calls once elected.
func New(cfg Config) *Master {
	cfg.defaults()
	id := newUUIDString()
	m := &Master{
		cfg:          cfg,
		log:          cfg.Logger.With("master", id[:8]),
		frameworks:   map[string]*framework{},
		completed:    map[string]bool{},
		agents:       map[string]*agent{},
		recovered:    map[string]mesos.AgentInfo{},
		offers:       map[string]*offer{},
		counters:     map[string]uint64{},
		dirty:        map[string]bool{},
		allocTrigger: make(chan struct{}, 1),
		done:         make(chan struct{}),
	}
	port := uint32(cfg.Port)
	host := cfg.Hostname
	version := Version
	pid := "master@" + net.JoinHostPort(host, strconv.Itoa(cfg.Port))
	ip := host
	m.info = mesos.MasterInfo{
		ID:       id,
		IP:       ipv4NetworkOrder(host),
		Port:     &port,
		PID:      &pid,
		Hostname: &host,
		Version:  &version,
		Address:  &mesos.Address{Hostname: &host, IP: &ip, Port: int32(cfg.Port)},
		Domain:   cfg.Domain,
		Capabilities: []mesos.MasterInfo_Capability{
			{Type: mesos.MasterInfo_Capability_AGENT_UPDATE},
			{Type: mesos.MasterInfo_Capability_AGENT_DRAINING},
		},
	}
	m.wg.Add(2)
	go m.allocationLoop()
	go m.healthLoop()
	return m
}

// ipv4NetworkOrder encodes an IPv4 address the way MasterInfo.ip carries it
// (network byte order read as a little-endian uint32, MESOS-1201).
func ipv4NetworkOrder(host string) uint32 {
	ip := net.ParseIP(host).To4()
	if ip == nil {
		return 0
	}
	return uint32(ip[0]) | uint32(ip[1])<<8 | uint32(ip[2])<<16 | uint32(ip[3])<<24
}

// Info returns the master's MasterInfo.
func (m *Master) Info() mesos.MasterInfo { return m.info }

// Elect makes this master the leader. Agents known to the registry are
// "recovered" until they reregister; those that do not within
// AgentReregisterTimeout are marked unreachable.
func (m *Master) Elect() {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.elected || m.stopped {
		return
	}
	m.elected = true
	for id, info := range m.cfg.Registry.Admitted() {
		m.recovered[id] = info
	}
	if len(m.recovered) > 0 {
		m.recoverTimer = time.AfterFunc(m.cfg.AgentReregisterTimeout, m.recoveredAgentsTimeout)
	}
	m.log.Info("elected leading master", "id", m.info.ID, "recovered_agents", len(m.recovered))
}

// Elected reports whether this master leads.
func (m *Master) Elected() bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.elected && !m.stopped
}

// Stop stops the master as if its process died: every event stream closes,
// offers vanish, timers stop. Agents and tasks are not touched.
func (m *Master) Stop() {
	m.mu.Lock()
	if m.stopped {
		m.mu.Unlock()
		return
	}
	m.stopped = true
	for _, fw := range m.frameworks {
		if fw.stream != nil {
			fw.stream.close()
			fw.stream = nil
		}
		if fw.failoverTimer != nil {
			fw.failoverTimer.Stop()
		}
	}
	for _, o := range m.offers {
		if o.timer != nil {
			o.timer.Stop()
		}
	}
	for _, a := range m.agents {
		if a.reregisterTimer != nil {
			a.reregisterTimer.Stop()
		}
	}
	if m.filterTimer != nil {
		m.filterTimer.Stop()
	}
	if m.recoverTimer != nil {
		m.recoverTimer.Stop()
	}
	close(m.done)
	m.mu.Unlock()
	m.wg.Wait()
	m.log.Info("master stopped")
}

// SetHeartbeats turns HEARTBEAT events on or off (failure injection).
func (m *Master) SetHeartbeats(on bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.heartbeatsOff = !on
}

func (m *Master) heartbeatsEnabled() bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	return !m.heartbeatsOff
}

// CutEventStreams closes every framework's event stream as if the
// connections broke: the master marks the frameworks disconnected and starts
// their failover timeouts.
func (m *Master) CutEventStreams() {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, fw := range m.frameworks {
		if fw.stream != nil {
			s := fw.stream
			s.close()
			m.exited(fw)
		}
	}
}

// nextID returns the next framework (""), agent ("S") or offer ("O") ID,
// numbered per kind after the master's ID as Mesos does.
func (m *Master) nextID(prefix string) string {
	id := fmt.Sprintf("%s-%s%04d", m.info.ID, prefix, m.counters[prefix])
	m.counters[prefix]++
	return id
}

func newUUIDString() string {
	b := newUUIDBytes()
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:])
}

func newUUIDBytes() []byte {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	b[6] = (b[6] & 0x0f) | 0x40
	b[8] = (b[8] & 0x3f) | 0x80
	return b
}

// healthLoop pings agents; an agent that fails pings for AgentPingTimeout
// is marked unreachable ("health check timed out").
func (m *Master) healthLoop() {
	defer m.wg.Done()
	interval := m.cfg.AgentPingTimeout / 5
	if interval < 10*time.Millisecond {
		interval = 10 * time.Millisecond
	}
	ticker := time.NewTicker(interval)
	defer ticker.Stop()
	for {
		select {
		case <-m.done:
			return
		case <-ticker.C:
			m.pingAgents()
		}
	}
}

func (m *Master) pingAgents() {
	m.mu.Lock()
	defer m.mu.Unlock()
	if !m.elected || m.stopped {
		return
	}
	now := time.Now()
	for _, a := range m.agents {
		if a.port != nil && a.port.Ping() {
			a.lastPong = now
			continue
		}
		if now.Sub(a.lastPong) > m.cfg.AgentPingTimeout {
			m.markUnreachable(a, "health check timed out")
		}
	}
}

// Registry is the state that survives a master failover, like the Mesos
// replicated registry: admitted, unreachable and gone agents.
type Registry struct {
	mu          sync.Mutex
	admitted    map[string]mesos.AgentInfo
	unreachable map[string]mesos.TimeInfo
	gone        map[string]mesos.TimeInfo
}

// NewRegistry returns an empty registry.
func NewRegistry() *Registry {
	return &Registry{admitted: map[string]mesos.AgentInfo{}, unreachable: map[string]mesos.TimeInfo{}, gone: map[string]mesos.TimeInfo{}}
}

// Admitted returns the admitted agents.
func (r *Registry) Admitted() map[string]mesos.AgentInfo {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make(map[string]mesos.AgentInfo, len(r.admitted))
	for k, v := range r.admitted {
		out[k] = v
	}
	return out
}

func (r *Registry) admit(info mesos.AgentInfo) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.admitted[info.GetID().GetValue()] = info
	delete(r.unreachable, info.GetID().GetValue())
}

func (r *Registry) markUnreachable(id string, t mesos.TimeInfo) {
	r.mu.Lock()
	defer r.mu.Unlock()
	delete(r.admitted, id)
	r.unreachable[id] = t
}

func (r *Registry) markGone(id string, t mesos.TimeInfo) {
	r.mu.Lock()
	defer r.mu.Unlock()
	delete(r.admitted, id)
	delete(r.unreachable, id)
	r.gone[id] = t
}

func (r *Registry) unreachableTime(id string) (mesos.TimeInfo, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	t, ok := r.unreachable[id]
	return t, ok
}

func (r *Registry) isGone(id string) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	_, ok := r.gone[id]
	return ok
}

// Unreachable returns the IDs of unreachable agents.
func (r *Registry) Unreachable() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]string, 0, len(r.unreachable))
	for id := range r.unreachable {
		out = append(out, id)
	}
	return out
}

// Gone returns the IDs of agents marked gone.
func (r *Registry) Gone() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]string, 0, len(r.gone))
	for id := range r.gone {
		out = append(out, id)
	}
	return out
}

// agent is the master's view of a registered agent.
type agent struct {
	info         mesos.AgentInfo
	id           string
	port         wire.Agent
	connected    bool
	total        resources.Resources
	checkpointed resources.Resources
	offered      resources.Resources
	used         resources.Resources
	offers       map[string]*offer
	tasks        map[string]map[string]*task
	executors    map[string]map[string]mesos.ExecutorInfo
	killedTasks  map[string]map[string]bool

	lastPong        time.Time
	reregisterTimer *time.Timer
}

func (a *agent) available() resources.Resources {
	return a.total.Minus(a.used).Minus(a.offered)
}

func (a *agent) hasExecutor(fw, id string) bool {
	_, ok := a.executors[fw][id]
	return ok
}

func (a *agent) String() string { return a.id + " at " + a.info.Hostname }

// offer is an outstanding offer.
type offer struct {
	id        string
	fw        *framework
	agent     *agent
	role      string
	resources resources.Resources // allocated to role
	timer     *time.Timer
}
