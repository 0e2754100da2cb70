package service

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"

	mesos "github.com/mesos/mesos-go/api/v1/lib"
	"github.com/mesos/mesos-go/api/v1/lib/scheduler"
	"github.com/mesos/mesos-go/api/v1/lib/scheduler/calls"

	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/offers"
	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/plan"
	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/state"
)

// Phases of the uninstall plan, named as DC/OS names them. Like DC/OS, the
// uninstall plan replaces the deploy plan under the name "deploy", so that
// clients polling the deploy plan see the uninstall's progress.
const (
	phaseKillTasks  = "kill-tasks"
	phaseUnreserve  = "unreserve-resources-"
	phaseDeregister = "deregister-service"
	stepDeregister  = "deregister"
)

func killStep(taskID string) string          { return "kill-task-" + taskID }
func unreserveStep(resourceID string) string { return "unreserve-" + resourceID }

// Uninstall starts the uninstall: the bit is stored first (it cannot be
// taken back), then the uninstall plan runs from the next tick on. Calling
// it again changes nothing.
func (s *Service) Uninstall(ctx context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.uninstall != nil {
		return nil
	}
	if err := s.store.Set(ctx, propertyKey(propertyUninstalling), []byte("true")); err != nil {
		return fmt.Errorf("storing the uninstall of %s: %w", s.name, err)
	}
	if err := s.buildUninstallPlan(); err != nil {
		return err
	}
	s.log.Info("uninstall started")
	return nil
}

// Uninstalling reports whether the service is being uninstalled.
func (s *Service) Uninstalling() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.uninstall != nil
}

// buildUninstallPlan builds the plan from what the state still holds: the
// tasks to kill and, per agent, the reservations to release.
// Callers hold s.mu (or own s exclusively).
func (s *Service) buildUninstallPlan() error {
	var phases []plan.PhaseSpec
	kill := plan.PhaseSpec{Name: phaseKillTasks, Strategy: plan.Parallel}
	byHost := map[string][]string{}
	for _, i := range s.sortedPods() {
		p := s.pods[i]
		if p.record.TaskID != "" {
			name := killStep(p.record.TaskID)
			kill.Steps = append(kill.Steps, plan.StepSpec{Name: name, Pod: name, PodIndex: i})
		}
		if p.holdsReservations() {
			byHost[p.record.Hostname] = append(byHost[p.record.Hostname], p.record.Footprint.IDs()...)
		}
	}
	if len(kill.Steps) > 0 {
		phases = append(phases, kill)
	}
	hosts := make([]string, 0, len(byHost))
	for host := range byHost {
		hosts = append(hosts, host)
	}
	sort.Strings(hosts)
	for _, host := range hosts {
		ph := plan.PhaseSpec{Name: phaseUnreserve + host, Strategy: plan.Parallel}
		for _, id := range byHost[host] {
			ph.Steps = append(ph.Steps, plan.StepSpec{Name: unreserveStep(id), Pod: unreserveStep(id)})
		}
		phases = append(phases, ph)
	}
	phases = append(phases, plan.PhaseSpec{Name: phaseDeregister, Strategy: plan.Serial,
		Steps: []plan.StepSpec{{Name: stepDeregister, Pod: stepDeregister}}})
	p, err := plan.New("deploy", plan.Serial, phases)
	if err != nil {
		return fmt.Errorf("building the uninstall plan: %w", err)
	}
	s.uninstall = p
	return nil
}

// progressUninstall drives the uninstall plan. Callers hold s.mu.
func (s *Service) progressUninstall(ctx context.Context) {
	if s.frameworkID == "" {
		// Never subscribed: Mesos holds nothing of this service.
		s.finishUninstall(ctx)
		return
	}
	if !s.conn.Connected() {
		return
	}
	s.killForUninstall(ctx)
	s.forgetReleasedResources(ctx)
	if s.uninstallNeedsOffers() {
		s.reviveOrSuppress(ctx)
		return
	}
	if s.onlyDeregisterLeft() {
		s.finishUninstall(ctx)
	}
}

// killForUninstall kills every task still running and completes the kill
// steps of the tasks that ended. Callers hold s.mu.
func (s *Service) killForUninstall(ctx context.Context) {
	for _, p := range s.pods {
		if p.record.TaskID == "" {
			continue
		}
		if p.alive() {
			s.kill(ctx, p.record.TaskID, p.record.AgentID)
			continue
		}
		completeStep(s.uninstall, phaseKillTasks, killStep(p.record.TaskID))
	}
}

// completeStep marks a step of a plan run by the service COMPLETE.
func completeStep(p *plan.Plan, phase, step string) {
	if err := p.ForceComplete(phase, step); err != nil && !errors.Is(err, plan.ErrAlreadyReported) {
		var notFound *plan.NotFoundError
		if !errors.As(err, &notFound) {
			panic(fmt.Sprintf("completing %s/%s: %v", phase, step, err)) // both names come from the plan itself
		}
	}
}

// cleanupForUninstall releases every reservation of the service the offers
// carry, and declines the rest. Callers hold s.mu.
func (s *Service) cleanupForUninstall(ctx context.Context, groups []*agentOffers) {
	keepNothing := func(string) bool { return false }
	for _, g := range groups {
		ops := offers.Cleanup(&g.merged, s.reservation(), keepNothing)
		if len(ops) == 0 {
			continue
		}
		// Forget the resources before releasing them: a scheduler that
		// stops in between would otherwise wait forever for resources
		// that are gone. Should the release not happen, they are offered
		// again and released then, as anything of the role is.
		released := releasedIDs(ops)
		if err := s.forgetResources(ctx, released); err != nil {
			s.log.Error("storing the release of reservations", "agent", g.merged.Hostname, "error", err)
			continue
		}
		accept := calls.Accept(calls.OfferOperations(ops).WithOffers(g.ids...)).With(calls.RefuseSeconds(s.cfg.Timing.AcceptRefuse))
		if err := s.call(ctx, accept); err != nil {
			s.log.Error("releasing reservations", "agent", g.merged.Hostname, "error", err)
			continue
		}
		s.recordOutcome("", g, true, "cleaned up", "uninstall")
		g.ids = nil // accepted: nothing left to decline
		for _, id := range released {
			completeStep(s.uninstall, phaseUnreserve+g.merged.Hostname, unreserveStep(id))
		}
	}
	var rest []*agentOffers
	for _, g := range groups {
		if len(g.ids) > 0 {
			rest = append(rest, g)
		}
	}
	s.decline(ctx, rest, s.cfg.Timing.ShortDecline, "declined short", "uninstalling")
}

// releasedIDs lists the resource ids an UNRESERVE releases.
func releasedIDs(ops []mesos.Offer_Operation) []string {
	var ids []string
	for _, op := range ops {
		for i := range op.GetUnreserve().GetResources() {
			ids = append(ids, offers.ResourceID(&op.Unreserve.Resources[i]))
		}
	}
	return ids
}

// uninstallNeedsOffers reports whether reservations remain to be released.
// Callers hold s.mu.
func (s *Service) uninstallNeedsOffers() bool {
	for _, ph := range s.uninstall.Info().Phases {
		if len(ph.Name) > len(phaseUnreserve) && ph.Name[:len(phaseUnreserve)] == phaseUnreserve && ph.Status != plan.Complete {
			return true
		}
	}
	return false
}

// onlyDeregisterLeft reports whether every phase but the last is complete.
// Callers hold s.mu.
func (s *Service) onlyDeregisterLeft() bool {
	for _, ph := range s.uninstall.Info().Phases {
		if ph.Name != phaseDeregister && ph.Status != plan.Complete {
			return false
		}
	}
	return true
}

// forgetReleasedResources drops the resource ids of force-completed
// unreserve steps from the task records, so that a restarted scheduler
// does not wait for them again. Callers hold s.mu.
func (s *Service) forgetReleasedResources(ctx context.Context) {
	var done []string
	for _, ph := range s.uninstall.Info().Phases {
		for _, st := range ph.Steps {
			if id, ok := strings.CutPrefix(st.Name, unreserveStep("")); ok && st.Status == plan.Complete {
				done = append(done, id)
			}
		}
	}
	if err := s.forgetResources(ctx, done); err != nil {
		s.log.Warn("storing uninstall progress", "error", err)
	}
}

// forgetResources drops resource ids from the task records, and the
// records of ended tasks that hold nothing any more. Callers hold s.mu.
func (s *Service) forgetResources(ctx context.Context, ids []string) error {
	drop := map[string]bool{}
	for _, id := range ids {
		drop[id] = true
	}
	for i, p := range s.pods {
		changed := false
		for key, id := range p.record.Footprint.ResourceIDs {
			if drop[id] {
				delete(p.record.Footprint.ResourceIDs, key)
				changed = true
			}
		}
		empty := len(p.record.Footprint.ResourceIDs) == 0 && !p.alive()
		if !changed && !empty {
			continue
		}
		if err := s.storeUninstallProgress(ctx, p); err != nil {
			return fmt.Errorf("pod %d: %w", i, err)
		}
		if empty {
			// The task has ended: its kill step is done too.
			completeStep(s.uninstall, phaseKillTasks, killStep(p.record.TaskID))
			delete(s.pods, i)
		}
	}
	return nil
}

func (s *Service) storeUninstallProgress(ctx context.Context, p *pod) error {
	if len(p.record.Footprint.ResourceIDs) == 0 && !p.alive() {
		return s.store.DeleteRecursive(ctx, state.JoinKey(keyTasks, p.record.Name))
	}
	return s.store.Set(ctx, taskInfoKey(p.record.Name), mustJSON(p.record))
}

// finishUninstall tears the framework down, then deletes the service's
// state: in this order, so that a scheduler stopped in between finds the
// uninstall bit, is refused by the master, and only deletes the state.
// Callers hold s.mu.
func (s *Service) finishUninstall(ctx context.Context) {
	if s.frameworkID != "" {
		// A failed TEARDOWN is tried again on the next tick.
		if err := s.call(ctx, &scheduler.Call{Type: scheduler.Call_TEARDOWN}); err != nil {
			s.log.Warn("tearing the framework down", "error", err)
			return
		}
	}
	completeStep(s.uninstall, phaseDeregister, stepDeregister)
	if err := s.deleteState(ctx); err != nil {
		s.log.Warn("deleting the service's state", "error", err)
	}
}

// deleteState removes everything the service stored and reports the
// service gone. Callers hold s.mu.
func (s *Service) deleteState(ctx context.Context) error {
	if err := s.store.DeleteRecursive(ctx, state.RootKey); err != nil {
		return fmt.Errorf("deleting the state of %s: %w", s.name, err)
	}
	s.removed = true
	s.log.Info("uninstalled")
	if s.cfg.Removed != nil {
		s.cfg.Removed(s.name)
	}
	return nil
}
