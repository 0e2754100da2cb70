package service

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	mesos "github.com/mesos/mesos-go/api/v1/lib"
	"github.com/mesos/mesos-go/api/v1/lib/scheduler/calls"

	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/offers"
	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/placement"
	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/plan"
)

// agentOffers are the offers of one agent in one OFFERS event, merged: Mesos
// may offer an agent's reserved and unreserved resources separately, and a
// relaunch needs all of a pod's reservations at once.
type agentOffers struct {
	ids []mesos.OfferID
	// merged is the agent's only offer, or a merge of its offers.
	merged *mesos.Offer
	ops    []mesos.Offer_Operation
	// launched is set once a pod was matched on the agent in this cycle:
	// one launch per agent per cycle keeps the evaluation of the next pod
	// honest about what is left.
	launched bool
	// failed is set when a write the agent's ACCEPT depends on failed: its
	// offers are declined instead.
	failed bool
}

func groupByAgent(in []mesos.Offer) []*agentOffers {
	// One allocation for the groups and one for their offer ids: a cycle
	// of a thousand agents allocates per cycle, not per agent.
	groups := make([]agentOffers, 0, len(in))
	ids := make([]mesos.OfferID, len(in))
	byAgent := make(map[string]int, len(in))
	for i := range in {
		o := &in[i]
		ids[i] = o.ID
		j, seen := byAgent[o.AgentID.Value]
		if !seen {
			// A lone offer is only read: no copy.
			byAgent[o.AgentID.Value] = len(groups)
			groups = append(groups, agentOffers{merged: o, ids: ids[i : i+1 : i+1]})
			continue
		}
		g := &groups[j]
		if len(g.ids) == 1 {
			merged := *g.merged
			merged.Resources = append([]mesos.Resource(nil), g.merged.Resources...)
			g.merged = &merged
		}
		g.merged.Resources = append(g.merged.Resources, o.Resources...)
		g.ids = append(g.ids, o.ID)
	}
	out := make([]*agentOffers, len(groups))
	for i := range groups {
		out[i] = &groups[i]
	}
	return out
}

// handleOffers runs one offer cycle as a job: launch the steps that need
// resources, release reservations nobody owns, decline the rest in one
// call. offers.process times the cycle from the event's arrival to the
// end of its calls.
func (s *Service) handleOffers(ctx context.Context, in []mesos.Offer) error {
	start := time.Now()
	err := s.submit(ctx, "an offer cycle", func() effects { return s.decideOffers(in) })
	took := time.Since(start)
	s.metrics.OffersProcessed(len(in))
	s.metrics.ObserveOfferProcessing(took)
	s.finishCycle(took)
	return err
}

// decideOffers decides one offer cycle.
func (s *Service) decideOffers(in []mesos.Offer) effects {
	start := time.Now()
	defer s.decided(start)
	s.metrics.OffersReceived(len(in))
	groups := groupByAgent(in)
	s.startCycle(len(in), len(groups))
	s.log.Debug("offers", "count", len(in), "agents", len(groups))
	switch {
	case s.uninstall != nil:
		return s.cleanupForUninstall(groups)
	case s.failure != "":
		// A failed service changes nothing on its agents: not even the
		// release of reservations it cannot tell are its brokers'.
		return s.decline(groups, s.cfg.Timing.LongDecline, "declined long", "the service failed")
	case !s.reconciled():
		// Until every task's state is known, a pod may look free to
		// launch while it still runs.
		return s.decline(groups, s.cfg.Timing.ShortDecline, "declined short", "waiting for task reconciliation")
	}
	writes := s.launchSteps(groups)
	s.cleanupUnexpected(groups)
	writes = append(writes, s.noteLeftovers(groups)...)
	return effects{writes: writes, after: func() effects {
		defer s.decided(time.Now())
		return s.acceptOrDecline(groups)
	}}
}

// launchStep is a step waiting for an offer, with the plan it belongs to
// (the deploy plan, or the recovery plan: recovery.go).
type launchStep struct {
	plan.Candidate
	plan *plan.Plan
}

// launchable are the steps of every plan waiting for an offer, the deploy
// plan's first.
func (s *Service) launchable() []launchStep {
	var out []launchStep
	for _, c := range s.stepsNeedingOffers() {
		out = append(out, launchStep{Candidate: c, plan: s.deploy})
	}
	return append(out, s.recoveryLaunches()...)
}

// stepsNeedingOffers are the deploy steps waiting for an offer whose pod
// has no task left running.
func (s *Service) stepsNeedingOffers() []plan.Candidate {
	var steps []plan.Candidate
	for _, c := range s.deploy.Candidates(nil) {
		if c.Status != plan.Pending {
			continue
		}
		if p := s.pods[c.PodIndex]; p != nil && p.alive() {
			continue // killOutdatedTasks stops it first
		}
		steps = append(steps, c)
	}
	return steps
}

// needsOffers reports whether the service has work that takes offers.
func (s *Service) needsOffers() bool {
	if s.uninstall != nil {
		return s.uninstallNeedsOffers()
	}
	return len(s.launchable()) > 0 || len(s.rec.leftovers) > 0
}

// killOutdatedTasks kills the running task of every pending step: the pod
// must be relaunched (new configuration, restart command). Every kill goes
// through the restart gate (gateKill).
func (s *Service) killOutdatedTasks() effects {
	var fx effects
	for _, c := range s.deploy.Candidates(nil) {
		p := s.pods[c.PodIndex]
		if c.Status != plan.Pending || p == nil || !p.alive() {
			continue
		}
		fx = fx.join(s.gateKill(c, p))
	}
	return fx
}

// launchSteps matches each step needing resources with an agent's offers,
// in plan order, and stages the operations that launch it; it returns the
// writes that store the launched tasks' records.
func (s *Service) launchSteps(groups []*agentOffers) []write {
	var writes []write
	for _, step := range s.launchable() {
		need, err := s.need(step.PodIndex)
		if err != nil {
			step.plan.Explain(step.Pod, err.Error())
			continue
		}
		refusals := offers.NewTally(maxExamples)
		launched := false
		for _, g := range s.placementOrder(step.PodIndex, groups) {
			if g.launched {
				continue
			}
			match, err := offers.Evaluate(need, g.merged, s.reservation(), newID)
			s.recordOutcome(step.Step, g, err == nil, "", errText(err))
			if err != nil {
				refusals.Add(g.merged.Hostname, offers.ReasonsOf(err, "does not fit"))
				continue
			}
			writes = append(writes, s.stageLaunch(step, g, match))
			launched = true
			break
		}
		s.countRefusals(refusals)
		if !launched && !refusals.Empty() {
			// Counted per reason, so that a thousand agents make a few
			// clauses, not a thousand.
			step.plan.Explain(step.Pod, "no offer fits: "+refusals.String())
		}
	}
	return writes
}

// need is what pod i needs from an offer: fresh resources placed by the
// service's placement rules, or, for a pod that ran before, its own
// reservations.
func (s *Service) need(i int) (offers.Need, error) {
	need, err := s.resourceNeed(i)
	if err != nil {
		return offers.Need{}, err
	}
	if p := s.pods[i]; p != nil && p.holdsReservations() && !p.record.PermanentlyFailed {
		fp := p.record.Footprint
		need.Footprint = &fp
		return need, nil
	}
	placed := s.placedAgents(i)
	rules := s.spec.Placement
	need.Placement = func(o *mesos.Offer) error { return placementMismatch(rules, agentOf(o), placed) }
	return need, nil
}

// placementMismatch checks each placement rule on its own, so that a
// refusal is counted under the rule that refused ("placement
// hostname:UNIQUE").
func placementMismatch(rules placement.Constraints, agent placement.Agent, placed []placement.Agent) error {
	var reasons []offers.Reason
	for _, rule := range rules {
		name := rule.String()
		for _, f := range (placement.Constraints{rule}).Evaluate(agent, placed).Failures {
			reasons = append(reasons, offers.Reason{Class: offers.ClassPlacement + " " + name, Detail: strings.TrimPrefix(f, name+" failed: ")})
		}
	}
	if len(reasons) == 0 {
		return nil
	}
	return &offers.Mismatch{Reasons: reasons}
}

// resourceNeed is what pod i of the target configuration needs, remembered
// per configuration: it only changes with the spec.
func (s *Service) resourceNeed(i int) (offers.Need, error) {
	id := s.configID()
	if s.needs.configID != id {
		s.needs.configID, s.needs.byPod = id, map[int]offers.Need{}
	}
	if need, ok := s.needs.byPod[i]; ok {
		return need, nil
	}
	t, err := s.spec.Broker(i)
	if err != nil {
		return offers.Need{}, err
	}
	need := offers.Need{
		Pod:      t.PodInstance,
		CPUs:     t.CPUs,
		Mem:      t.MemMB,
		Disk:     offers.DiskNeed{SizeMB: t.Volume.SizeMB, Mount: t.Volume.Type == "MOUNT", ContainerPath: t.Volume.ContainerPath},
		Executor: defaultExecutor,
	}
	for _, p := range t.Ports {
		need.Ports = append(need.Ports, offers.PortNeed{Name: p.Name, Port: uint64(p.Port)})
	}
	s.needs.byPod[i] = need
	return need, nil
}

// defaultExecutor is the default executor's share of every pod (DC/OS's
// EXECUTOR_* defaults).
var defaultExecutor = offers.ExecutorNeed{CPUs: 0.1, Mem: 32, Disk: 256}

// placedAgents lists the agents of the service's other pods that hold
// reservations, one entry per pod.
func (s *Service) placedAgents(except int) []placement.Agent {
	var placed []placement.Agent
	for i, p := range s.pods {
		if i == except || !p.holdsReservations() {
			continue
		}
		placed = append(placed, placement.Agent{
			Hostname: p.record.Hostname, Zone: p.record.Zone, Region: p.record.Region, Attributes: p.record.Attributes,
		})
	}
	return placed
}

// agentOf is what placement knows about an offer's agent.
func agentOf(o *mesos.Offer) placement.Agent {
	a := placement.Agent{Hostname: o.Hostname, Attributes: map[string]string{}}
	if fd := o.GetDomain().GetFaultDomain(); fd != nil {
		a.Zone = fd.Zone.Name
		a.Region = fd.Region.Name
	}
	for _, attr := range o.Attributes {
		a.Attributes[attr.Name] = attributeText(attr)
	}
	return a
}

func attributeText(a mesos.Attribute) string {
	switch a.GetType() {
	case mesos.SCALAR:
		return fmt.Sprintf("%g", a.GetScalar().GetValue())
	case mesos.RANGES:
		var parts []string
		for _, r := range a.GetRanges().GetRange() {
			parts = append(parts, fmt.Sprintf("%d-%d", r.Begin, r.End))
		}
		return "[" + strings.Join(parts, ",") + "]"
	case mesos.SET:
		return "{" + strings.Join(a.GetSet().GetItem(), ",") + "}"
	}
	return a.GetText().GetValue()
}

// reservation says whose reservations the service makes and recognises.
func (s *Service) reservation() offers.Reservation {
	return offers.Reservation{Role: s.spec.Role, Principal: s.spec.Principal, FrameworkID: s.frameworkID}
}

// keepResource reports whether a reserved resource belongs to a pod.
func (s *Service) keepResource(id string) bool {
	for _, p := range s.pods {
		if !p.holdsReservations() {
			continue
		}
		for _, own := range p.record.Footprint.ResourceIDs {
			if own == id {
				return true
			}
		}
	}
	return false
}

// cleanupUnexpected stages DESTROY and UNRESERVE of every reserved
// resource no pod owns (a replaced pod's, a launch that never reached
// Mesos, leftovers of a lost state).
func (s *Service) cleanupUnexpected(groups []*agentOffers) {
	for _, g := range groups {
		ops := offers.Cleanup(g.merged, s.reservation(), s.keepResource)
		if len(ops) > 0 {
			s.log.Info("releasing reservations no broker owns", "agent", g.merged.Hostname, "operations", len(ops))
			s.recordOutcome("", g, true, "cleaned up", "reserved resources no broker of this service owns")
			// Release first: the launch staged for this agent uses
			// other resources.
			g.ops = append(ops, g.ops...)
		}
	}
}

// acceptOrDecline decides, once the launches are stored, one ACCEPT per
// agent with staged operations and one DECLINE of every other offer: for
// long when there is nothing to do, for short when there is.
func (s *Service) acceptOrDecline(groups []*agentOffers) effects {
	var fx effects
	var idle []*agentOffers
	for _, g := range groups {
		if len(g.ops) == 0 || g.failed {
			idle = append(idle, g)
			continue
		}
		fx.calls = append(fx.calls, s.accept(g, func(err error) effects {
			if err != nil {
				s.log.Error("accepting offers", "agent", g.merged.Hostname, "error", err)
				s.reconcileLaunchesOn(g.merged.AgentID.Value)
			}
			return effects{}
		}))
		if s.cycle != nil {
			s.cycle.Accepted++
			if g.launched {
				s.cycle.Launched++
			}
		}
	}
	if s.needsOffers() {
		return fx.join(s.decline(idle, s.cfg.Timing.ShortDecline, "declined short", ""))
	}
	return fx.join(s.decline(idle, s.cfg.Timing.LongDecline, "declined long", "nothing to do"))
}

// accept is the ACCEPT of an agent's offers with its staged operations.
func (s *Service) accept(g *agentOffers, then func(error) effects) call {
	c := calls.Accept(calls.OfferOperations(g.ops).WithOffers(g.ids...)).With(calls.RefuseSeconds(s.cfg.Timing.AcceptRefuse))
	return call{what: "accepting the offers of " + g.merged.Hostname, call: c, then: then}
}

// reconcileLaunchesOn asks Mesos about the tasks just launched on an agent
// whose ACCEPT failed: it may or may not have been applied.
func (s *Service) reconcileLaunchesOn(agentID string) {
	for _, p := range s.pods {
		if p.record.AgentID == agentID && p.status.State == "" {
			s.reconcile.waiting[p.record.TaskID] = true
		}
	}
	s.reconcile.nextTry = time.Time{}
}

// decline decides one DECLINE of every offer of groups.
func (s *Service) decline(groups []*agentOffers, filter time.Duration, outcome, reason string) effects {
	n := 0
	for _, g := range groups {
		n += len(g.ids)
	}
	if n == 0 {
		return effects{}
	}
	ids := make([]mesos.OfferID, 0, n)
	for _, g := range groups {
		ids = append(ids, g.ids...)
	}
	s.recordOutcomes(groups, ids, outcome, reason)
	if s.cycle != nil {
		s.cycle.Declined += len(ids)
		s.cycle.Filter = filter
	}
	c := calls.Decline(ids...).With(calls.RefuseSeconds(filter))
	return effects{calls: []call{{what: "declining offers", call: c, then: func(err error) effects {
		if err != nil {
			s.log.Warn("declining offers", "error", err)
			return effects{}
		}
		if filter >= s.cfg.Timing.LongDecline {
			s.filtered = true
			s.metrics.DeclinedLong(len(ids))
		} else {
			s.metrics.DeclinedShort(len(ids))
		}
		return effects{}
	}}}}
}

func errText(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

// sortedPods returns the pod indexes in order.
func (s *Service) sortedPods() []int {
	idx := make([]int, 0, len(s.pods))
	for i := range s.pods {
		idx = append(idx, i)
	}
	sort.Ints(idx)
	return idx
}
