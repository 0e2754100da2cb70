package master

import (
	"sort"
	"time"

	mesos "github.com/mesos/mesos-go/api/v1/lib"
	"github.com/mesos/mesos-go/api/v1/lib/scheduler"

	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/localmesos/resources"
)

// The allocator runs whenever something changes (resources come back, a
// framework subscribes or revives, a filter expires) instead of on a fixed
// interval. Each pass offers every agent's available resources to the
// active frameworks, least-allocated first (a simple DRF), per role:
// unreserved resources plus those reserved to the role or its ancestors.

// refuseFilter is a declined offer's filter: the framework gets no offer of
// a subset of these resources on this agent for this role until it expires.
type refuseFilter struct {
	agentID   string
	role      string
	resources resources.Resources
	expires   time.Time
}

// maxRefuseSeconds caps refuse_seconds, like Mesos (one year).
const maxRefuseSeconds = 365 * 24 * 3600

// triggerAllocation asks for a pass over every agent (frameworks or filters
// changed). The caller holds m.mu.
func (m *Master) triggerAllocation() {
	m.allDirty = true
	m.signalAllocation()
}

// reallocate asks for a pass over one agent whose available resources
// changed. The caller holds m.mu.
func (m *Master) reallocate(a *agent) {
	m.dirty[a.id] = true
	m.signalAllocation()
}

func (m *Master) signalAllocation() {
	select {
	case m.allocTrigger <- struct{}{}:
	default:
	}
}

func (m *Master) allocationLoop() {
	defer m.wg.Done()
	for {
		select {
		case <-m.done:
			return
		case <-m.allocTrigger:
			m.allocate()
		}
	}
}

// allocatable mirrors the default --min_allocatable_resources
// ("cpus:0.01|mem:32"): an offer must carry at least one of them.
func allocatable(rs resources.Resources) bool {
	return rs.Scalar("cpus") >= 0.01 || rs.Scalar("mem") >= 32
}

// share is a framework's dominant share of the cluster's cpus and mem.
func (m *Master) shares() map[*framework]float64 {
	var totalCPU, totalMem float64
	for _, a := range m.agents {
		totalCPU += a.total.Scalar("cpus")
		totalMem += a.total.Scalar("mem")
	}
	out := map[*framework]float64{}
	for _, fw := range m.frameworks {
		var cpu, mem float64
		for _, t := range fw.tasks {
			cpu += t.resources.Scalar("cpus")
			mem += t.resources.Scalar("mem")
		}
		for _, o := range fw.offers {
			cpu += o.resources.Scalar("cpus")
			mem += o.resources.Scalar("mem")
		}
		s := 0.0
		if totalCPU > 0 {
			s = cpu / totalCPU
		}
		if totalMem > 0 && mem/totalMem > s {
			s = mem / totalMem
		}
		out[fw] = s
	}
	return out
}

func (m *Master) allocate() {
	m.mu.Lock()
	defer m.mu.Unlock()
	if !m.elected || m.stopped {
		return
	}
	now := time.Now()
	var fws []*framework
	for _, fw := range m.frameworks {
		if fw.active && fw.connected {
			fws = append(fws, fw)
		}
	}
	all, dirty := m.allDirty, m.dirty
	m.allDirty, m.dirty = false, map[string]bool{}
	if len(fws) == 0 {
		return
	}
	if len(fws) > 1 {
		shares := m.shares()
		sort.Slice(fws, func(i, j int) bool {
			if shares[fws[i]] != shares[fws[j]] {
				return shares[fws[i]] < shares[fws[j]]
			}
			return fws[i].id < fws[j].id
		})
	}
	agents := make([]*agent, 0, len(m.agents))
	for _, a := range m.agents {
		if a.connected && (all || dirty[a.id]) {
			agents = append(agents, a)
		}
	}
	sort.Slice(agents, func(i, j int) bool { return agents[i].id < agents[j].id })

	var nextExpiry time.Time
	batches := map[*framework][]*offer{}
	for _, a := range agents {
		avail := a.available()
		if len(avail) == 0 {
			continue
		}
		for _, fw := range fws {
			for _, role := range fw.roles {
				if fw.suppressed[role] {
					continue
				}
				offerable := m.offerable(avail, fw, role)
				if !allocatable(offerable) {
					continue
				}
				if until, filtered := fw.filtered(a.id, role, offerable, now); filtered {
					if nextExpiry.IsZero() || until.Before(nextExpiry) {
						nextExpiry = until
					}
					continue
				}
				o := m.addOffer(fw, a, role, offerable)
				avail = avail.Minus(offerable)
				batches[fw] = append(batches[fw], o)
			}
		}
	}
	for fw, offers := range batches {
		m.sendOffers(fw, offers)
	}
	m.scheduleFilterExpiry(now)
}

func (m *Master) offerable(avail resources.Resources, fw *framework, role string) resources.Resources {
	refinement := fw.capable(mesos.FrameworkInfo_Capability_RESERVATION_REFINEMENT)
	return avail.Filter(func(r mesos.Resource) bool {
		if !resources.AllocatableTo(r, role) || resources.IsRevocable(r) {
			return false
		}
		return refinement || !resources.HasRefinedReservations(r)
	})
}

// filtered reports whether a refuse filter hides these resources, pruning
// expired filters.
func (fw *framework) filtered(agentID, role string, rs resources.Resources, now time.Time) (time.Time, bool) {
	kept := fw.filters[:0]
	var until time.Time
	hit := false
	for _, f := range fw.filters {
		if !f.expires.After(now) {
			continue
		}
		kept = append(kept, f)
		if f.agentID == agentID && f.role == role && f.resources.Contains(rs) {
			hit = true
			if f.expires.After(until) {
				until = f.expires
			}
		}
	}
	fw.filters = kept
	return until, hit
}

func (m *Master) scheduleFilterExpiry(now time.Time) {
	var next time.Time
	for _, fw := range m.frameworks {
		for _, f := range fw.filters {
			if f.expires.After(now) && (next.IsZero() || f.expires.Before(next)) {
				next = f.expires
			}
		}
	}
	if m.filterTimer != nil {
		m.filterTimer.Stop()
		m.filterTimer = nil
	}
	if !next.IsZero() {
		m.filterTimer = time.AfterFunc(time.Until(next)+time.Millisecond, func() {
			m.mu.Lock()
			defer m.mu.Unlock()
			m.triggerAllocation()
		})
	}
}

func (m *Master) addOffer(fw *framework, a *agent, role string, rs resources.Resources) *offer {
	o := &offer{id: m.nextID("O"), fw: fw, agent: a, role: role, resources: rs.Allocated(role)}
	m.offers[o.id] = o
	fw.offers[o.id] = o
	a.offers[o.id] = o
	a.offered = a.offered.Plus(rs)
	if m.cfg.OfferTimeout > 0 {
		o.timer = time.AfterFunc(m.cfg.OfferTimeout, func() {
			m.mu.Lock()
			defer m.mu.Unlock()
			if m.offers[o.id] == o {
				m.rescindOffer(o)
			}
		})
	}
	return o
}

// sendOffers sends an OFFERS event in the framework's resource format.
func (m *Master) sendOffers(fw *framework, offers []*offer) {
	multiRole := fw.capable(mesos.FrameworkInfo_Capability_MULTI_ROLE)
	refinement := fw.capable(mesos.FrameworkInfo_Capability_RESERVATION_REFINEMENT)
	out := make([]mesos.Offer, 0, len(offers))
	for _, o := range offers {
		out = append(out, m.wireOffer(o, multiRole, refinement))
	}
	fw.send(&scheduler.Event{Type: scheduler.Event_OFFERS, Offers: &scheduler.Event_Offers{Offers: out}})
}

func (m *Master) wireOffer(o *offer, multiRole, refinement bool) mesos.Offer {
	a := o.agent
	role := o.role
	ip := a.info.Hostname
	path := "/slave(1)"
	wire := mesos.Offer{
		ID:          mesos.OfferID{Value: o.id},
		FrameworkID: mesos.FrameworkID{Value: o.fw.id},
		AgentID:     mesos.AgentID{Value: a.id},
		Hostname:    a.info.Hostname,
		URL: &mesos.URL{Scheme: "http", Path: &path, Address: mesos.Address{
			Hostname: &a.info.Hostname, IP: &ip, Port: a.info.GetPort(),
		}},
		Domain:         a.info.Domain,
		Attributes:     a.info.Attributes,
		AllocationInfo: &mesos.Resource_AllocationInfo{Role: &role},
	}
	for id := range a.executors[o.fw.id] {
		wire.ExecutorIDs = append(wire.ExecutorIDs, mesos.ExecutorID{Value: id})
	}
	sort.Slice(wire.ExecutorIDs, func(i, j int) bool { return wire.ExecutorIDs[i].Value < wire.ExecutorIDs[j].Value })
	for _, r := range o.resources {
		r = resources.Clone(r)
		if !multiRole {
			r.AllocationInfo = nil
		}
		if !refinement {
			down, err := resources.Downgrade(r)
			if err != nil {
				continue
			}
			r = down
		}
		wire.Resources = append(wire.Resources, r)
	}
	if !multiRole {
		wire.AllocationInfo = nil
	}
	return wire
}

// removeOffer drops an offer and returns its resources to the agent's pool
// without a filter.
func (m *Master) removeOffer(o *offer) {
	if m.offers[o.id] != o {
		return
	}
	if o.timer != nil {
		o.timer.Stop()
	}
	delete(m.offers, o.id)
	delete(o.fw.offers, o.id)
	delete(o.agent.offers, o.id)
	o.agent.offered = o.agent.offered.Minus(o.resources.Unallocated())
	m.reallocate(o.agent)
}

// rescindOffer removes an offer and tells the framework (RESCIND).
func (m *Master) rescindOffer(o *offer) {
	if m.offers[o.id] != o {
		return
	}
	m.removeOffer(o)
	o.fw.send(&scheduler.Event{Type: scheduler.Event_RESCIND, Rescind: &scheduler.Event_Rescind{OfferID: mesos.OfferID{Value: o.id}}})
}

// refuse adds a refuse filter for declined resources (recoverResources with
// filters in the Mesos allocator).
func (m *Master) refuse(fw *framework, a *agent, role string, rs resources.Resources, filters *mesos.Filters) {
	if len(rs) == 0 {
		return
	}
	secs := m.cfg.DefaultRefuseSeconds
	if filters != nil && filters.RefuseSeconds != nil {
		secs = *filters.RefuseSeconds
		if secs < 0 {
			secs = m.cfg.DefaultRefuseSeconds
		}
	}
	if secs > maxRefuseSeconds {
		secs = maxRefuseSeconds
	}
	if secs == 0 {
		return
	}
	fw.filters = append(fw.filters, &refuseFilter{
		agentID: a.id, role: role, resources: rs.Unallocated(),
		expires: time.Now().Add(time.Duration(secs * float64(time.Second))),
	})
}

// decline handles DECLINE: valid offers are returned with a filter,
// unknown ones are ignored.
func (m *Master) decline(fw *framework, call scheduler.Call_Decline) {
	for _, id := range call.OfferIDs {
		o := m.offers[id.Value]
		if o == nil || o.fw != fw {
			m.log.Warn("ignoring decline of an offer that is no longer valid", "framework", fw.id, "offer", id.Value)
			continue
		}
		m.removeOffer(o)
		m.refuse(fw, o.agent, o.role, o.resources, call.Filters)
	}
}
