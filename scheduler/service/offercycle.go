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
	ids    []mesos.OfferID
	merged mesos.Offer
	ops    []mesos.Offer_Operation
	// launched is set once a pod was matched on the agent in this cycle:
	// one launch per agent per cycle keeps the evaluation of the next pod
	// honest about what is left.
	launched bool
}

func groupByAgent(in []mesos.Offer) []*agentOffers {
	byAgent := map[string]*agentOffers{}
	var order []*agentOffers
	for _, o := range in {
		g := byAgent[o.AgentID.Value]
		if g == nil {
			g = &agentOffers{merged: o}
			g.merged.Resources = append([]mesos.Resource(nil), o.Resources...)
			byAgent[o.AgentID.Value] = g
			order = append(order, g)
		} else {
			g.merged.Resources = append(g.merged.Resources, o.Resources...)
		}
		g.ids = append(g.ids, o.ID)
	}
	return order
}

// handleOffers runs one offer cycle: launch the steps that need resources,
// release reservations nobody owns, decline the rest.
func (s *Service) handleOffers(ctx context.Context, in []mesos.Offer) {
	start := time.Now()
	s.mu.Lock()
	defer s.mu.Unlock()
	s.metrics.OffersReceived(len(in))
	groups := groupByAgent(in)
	s.log.Debug("offers", "count", len(in), "agents", len(groups))

	switch {
	case s.uninstall != nil:
		s.cleanupForUninstall(ctx, groups)
	case !s.reconciled():
		// Until every task's state is known, a pod may look free to
		// launch while it still runs.
		s.decline(ctx, groups, s.cfg.Timing.ShortDecline, "declined short", "waiting for task reconciliation")
		s.finishCycle(start, len(in))
		return
	default:
		s.launchSteps(ctx, groups)
		s.cleanupUnexpected(groups)
	}
	s.acceptOrDecline(ctx, groups)
	s.finishCycle(start, len(in))
}

func (s *Service) finishCycle(start time.Time, n int) {
	s.metrics.OffersProcessed(n)
	s.metrics.ObserveOfferProcessing(time.Since(start))
}

// stepsNeedingOffers are the deploy steps waiting for an offer whose pod
// has no task left running. Callers hold s.mu.
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
// Callers hold s.mu.
func (s *Service) needsOffers() bool {
	if s.uninstall != nil {
		return s.uninstallNeedsOffers()
	}
	return len(s.stepsNeedingOffers()) > 0
}

// killOutdatedTasks kills the running task of every pending step: the pod
// must be relaunched (new configuration, restart command). Callers hold
// s.mu.
func (s *Service) killOutdatedTasks(ctx context.Context) {
	for _, c := range s.deploy.Candidates(nil) {
		p := s.pods[c.PodIndex]
		if c.Status != plan.Pending || p == nil || !p.alive() {
			continue
		}
		s.deploy.Explain(c.Pod, fmt.Sprintf("waiting for task %s to stop before relaunching", p.record.TaskID))
		s.kill(ctx, p.record.TaskID, p.record.AgentID)
	}
}

// launchSteps matches each step needing resources with an agent's offers,
// in plan order, and stages the operations that launch it.
// Callers hold s.mu.
func (s *Service) launchSteps(ctx context.Context, groups []*agentOffers) {
	for _, step := range s.stepsNeedingOffers() {
		need, err := s.need(step.PodIndex)
		if err != nil {
			s.deploy.Explain(step.Pod, err.Error())
			continue
		}
		var reasons []string
		for _, g := range groups {
			if g.launched {
				continue
			}
			match, err := offers.Evaluate(need, &g.merged, s.reservation(), newID)
			s.recordOutcome(step.Step, g, err == nil, "", errText(err))
			if err != nil {
				reasons = append(reasons, fmt.Sprintf("%s: %v", g.merged.Hostname, err))
				continue
			}
			if err := s.stageLaunch(ctx, step, g, match); err != nil {
				s.log.Error("staging a launch", "pod", step.Pod, "error", err)
				reasons = append(reasons, fmt.Sprintf("%s: %v", g.merged.Hostname, err))
				continue
			}
			reasons = nil
			break
		}
		if len(reasons) > 0 {
			s.deploy.Explain(step.Pod, "no offer fits: "+strings.Join(reasons, "; "))
		}
	}
}

// need is what pod i needs from an offer: fresh resources placed by the
// service's placement rules, or, for a pod that ran before, its own
// reservations. Callers hold s.mu.
func (s *Service) need(i int) (offers.Need, error) {
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
	if p := s.pods[i]; p != nil && p.holdsReservations() {
		fp := p.record.Footprint
		need.Footprint = &fp
		return need, nil
	}
	placed := s.placedAgents(i)
	need.Placement = func(o *mesos.Offer) error {
		d := s.spec.Placement.Evaluate(agentOf(o), placed)
		if d.Pass {
			return nil
		}
		return fmt.Errorf("%s", strings.Join(d.Failures, "; "))
	}
	return need, nil
}

// defaultExecutor is the default executor's share of every pod (DC/OS's
// EXECUTOR_* defaults).
var defaultExecutor = offers.ExecutorNeed{CPUs: 0.1, Mem: 32, Disk: 256}

// placedAgents lists the agents of the service's other pods that hold
// reservations, one entry per pod. Callers hold s.mu.
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
// Callers hold s.mu.
func (s *Service) reservation() offers.Reservation {
	return offers.Reservation{Role: s.spec.Role, Principal: s.spec.Principal, FrameworkID: s.frameworkID}
}

// keepResource reports whether a reserved resource belongs to a pod.
// Callers hold s.mu.
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
// Mesos, leftovers of a lost state). Callers hold s.mu.
func (s *Service) cleanupUnexpected(groups []*agentOffers) {
	for _, g := range groups {
		ops := offers.Cleanup(&g.merged, s.reservation(), s.keepResource)
		if len(ops) > 0 {
			s.log.Info("releasing reservations no broker owns", "agent", g.merged.Hostname, "operations", len(ops))
			s.recordOutcome("", g, true, "cleaned up", "reserved resources no broker of this service owns")
			// Release first: the launch staged for this agent uses
			// other resources.
			g.ops = append(ops, g.ops...)
		}
	}
}

// acceptOrDecline sends the staged operations and declines the offers of
// agents with none: for long when there is nothing to do, for short when
// there is. Callers hold s.mu.
func (s *Service) acceptOrDecline(ctx context.Context, groups []*agentOffers) {
	var idle []*agentOffers
	for _, g := range groups {
		if len(g.ops) == 0 {
			idle = append(idle, g)
			continue
		}
		accept := calls.Accept(calls.OfferOperations(g.ops).WithOffers(g.ids...)).With(calls.RefuseSeconds(s.cfg.Timing.AcceptRefuse))
		if err := s.call(ctx, accept); err != nil {
			s.log.Error("accepting offers", "agent", g.merged.Hostname, "error", err)
			s.reconcileLaunchesOn(g.merged.AgentID.Value)
		}
	}
	if s.needsOffers() {
		s.decline(ctx, idle, s.cfg.Timing.ShortDecline, "declined short", "")
	} else {
		s.decline(ctx, idle, s.cfg.Timing.LongDecline, "declined long", "nothing to do")
	}
}

// reconcileLaunchesOn asks Mesos about the tasks just launched on an agent
// whose ACCEPT failed: it may or may not have been applied. Callers hold
// s.mu.
func (s *Service) reconcileLaunchesOn(agentID string) {
	for _, p := range s.pods {
		if p.record.AgentID == agentID && p.status.State == "" {
			s.reconcile.waiting[p.record.TaskID] = true
		}
	}
	s.reconcile.nextTry = time.Time{}
}

func (s *Service) decline(ctx context.Context, groups []*agentOffers, filter time.Duration, outcome, reason string) {
	if len(groups) == 0 {
		return
	}
	var ids []mesos.OfferID
	for _, g := range groups {
		ids = append(ids, g.ids...)
		s.recordOutcome("", g, false, outcome, reason)
	}
	if err := s.call(ctx, calls.Decline(ids...).With(calls.RefuseSeconds(filter))); err != nil {
		s.log.Warn("declining offers", "error", err)
		return
	}
	if filter >= s.cfg.Timing.LongDecline {
		s.filtered = true
		s.metrics.DeclinedLong(len(ids))
	} else {
		s.metrics.DeclinedShort(len(ids))
	}
}

// recordOutcome keeps an evaluation for the diagnostics endpoint.
// Callers hold s.mu.
func (s *Service) recordOutcome(step string, g *agentOffers, passed bool, outcome, reason string) {
	ids := make([]string, len(g.ids))
	for i, id := range g.ids {
		ids[i] = id.Value
	}
	if outcome == "" && passed {
		outcome = "launched"
	}
	if outcome == "" {
		outcome = "did not fit"
	}
	if len(s.outcomes) >= maxOutcomes {
		s.outcomes = append(s.outcomes[:0], s.outcomes[len(s.outcomes)-maxOutcomes+1:]...)
	}
	s.outcomes = append(s.outcomes, OfferOutcome{
		Time: time.Now().UTC(), Plan: s.activePlan().Name(), Step: step, OfferIDs: ids,
		AgentID: g.merged.AgentID.Value, Hostname: g.merged.Hostname, Passed: passed, Outcome: outcome, Reason: reason,
	})
}

// OfferOutcomes lists the latest offer evaluations, newest first.
func (s *Service) OfferOutcomes() []OfferOutcome {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]OfferOutcome, len(s.outcomes))
	for i, o := range s.outcomes {
		out[len(out)-1-i] = o
	}
	return out
}

func errText(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

// sortedPods returns the pod indexes in order. Callers hold s.mu.
func (s *Service) sortedPods() []int {
	idx := make([]int, 0, len(s.pods))
	for i := range s.pods {
		idx = append(idx, i)
	}
	sort.Ints(idx)
	return idx
}
