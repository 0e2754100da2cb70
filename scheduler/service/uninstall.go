package service

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"time"

	mesos "github.com/mesos/mesos-go/api/v1/lib"
	"github.com/mesos/mesos-go/api/v1/lib/scheduler"

	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/offers"
	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/plan"
	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/state"
)

// Phases of the uninstall plan, named as DC/OS names them. Like DC/OS, the
// uninstall plan replaces the deploy plan under the name "deploy", so that
// clients polling the deploy plan see the uninstall's progress.
const (
	phaseKillTasks       = "kill-tasks"
	phaseUnreservePrefix = "unreserve-resources-" // + the agent's hostname
	phaseDeregister      = "deregister-service"
	stepDeregister       = "deregister"
)

// uninstallPhase is what a phase of the uninstall plan does.
type uninstallPhase int

const (
	killPhase       uninstallPhase = iota + 1 // kill every task
	unreservePhase                            // release one agent's reservations
	deregisterPhase                           // tear the framework down
)

func killStep(taskID string) string          { return "kill-task-" + taskID }
func unreserveStep(resourceID string) string { return "unreserve-" + resourceID }
func unreservePhaseName(host string) string  { return phaseUnreservePrefix + host }

// uninstallPlan is the uninstall plan with what the service needs to know
// about its phases and steps, so that nothing is read back out of names.
type uninstallPlan struct {
	*plan.Plan
	phases map[string]uninstallPhase
	// resources maps each unreserve step to the resource id it releases.
	resources map[string]string
}

// Uninstall starts the uninstall: the bit is stored first (it cannot be
// taken back), then the uninstall plan runs from the next tick on. Calling
// it again changes nothing.
func (s *Service) Uninstall(ctx context.Context) error {
	return s.UninstallIfMatch(ctx, "")
}

// UninstallIfMatch is Uninstall that first checks, in the same decision,
// that the target configuration is still expected ("" and AnyConfig match
// any): otherwise it refuses with a *PreconditionFailedError.
func (s *Service) UninstallIfMatch(ctx context.Context, expected string) error {
	return s.submit(ctx, "starting the uninstall", func() effects {
		if err := checkExpected(s.name, expected, s.configID()); err != nil {
			return failed(err)
		}
		if s.uninstall != nil {
			return effects{}
		}
		value := []byte("true")
		return effects{writes: []write{setWrite("storing the uninstall of "+s.name, propertyKey(propertyUninstalling), value, func(err error) effects {
			if err != nil {
				return failed(err)
			}
			s.setProperty(propertyUninstalling, value)
			if err := s.buildUninstallPlan(); err != nil {
				return failed(err)
			}
			s.log.Info("uninstall started")
			return effects{}
		})}}
	})
}

// buildUninstallPlan builds the plan from what the state still holds: the
// tasks to kill and, per agent, the reservations to release.
func (s *Service) buildUninstallPlan() error {
	u := &uninstallPlan{phases: map[string]uninstallPhase{}, resources: map[string]string{}}
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
		u.phases[kill.Name] = killPhase
	}
	hosts := make([]string, 0, len(byHost))
	for host := range byHost {
		hosts = append(hosts, host)
	}
	sort.Strings(hosts)
	for _, host := range hosts {
		ph := plan.PhaseSpec{Name: unreservePhaseName(host), Strategy: plan.Parallel}
		for _, id := range byHost[host] {
			step := unreserveStep(id)
			ph.Steps = append(ph.Steps, plan.StepSpec{Name: step, Pod: step})
			u.resources[step] = id
		}
		phases = append(phases, ph)
		u.phases[ph.Name] = unreservePhase
	}
	phases = append(phases, plan.PhaseSpec{Name: phaseDeregister, Strategy: plan.Serial,
		Steps: []plan.StepSpec{{Name: stepDeregister, Pod: stepDeregister}}})
	u.phases[phaseDeregister] = deregisterPhase
	p, err := plan.New(plan.DeployPlanName, plan.Serial, phases)
	if err != nil {
		return fmt.Errorf("building the uninstall plan: %w", err)
	}
	u.Plan = p
	s.uninstall = u
	return nil
}

// progressUninstall decides the uninstall's next effects.
func (s *Service) progressUninstall() effects {
	if s.frameworkID == "" {
		// Never subscribed: Mesos holds nothing of this service.
		return s.finishUninstall()
	}
	fx := s.killForUninstall().join(s.forgetReleasedResources())
	switch {
	case s.uninstallNeedsOffers():
		return fx.join(s.reviveOrSuppress())
	case s.onlyDeregisterLeft():
		return fx.join(s.finishUninstall())
	}
	return fx
}

// killForUninstall kills every task still running and completes the kill
// steps of the tasks that ended.
func (s *Service) killForUninstall() effects {
	var fx effects
	for _, i := range s.sortedPods() {
		p := s.pods[i]
		if p.record.TaskID == "" {
			continue
		}
		if p.alive() {
			fx = fx.join(s.kill(p.record.TaskID, p.record.AgentID))
			continue
		}
		completeStep(s.uninstall.Plan, phaseKillTasks, killStep(p.record.TaskID))
	}
	return fx
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
// carry, and declines the rest. The released resources are forgotten in
// the state before the release is sent: a scheduler that stops in between
// would otherwise wait forever for resources that are gone. Should the
// release not happen, they are offered again and released then, as
// anything of the role is.
func (s *Service) cleanupForUninstall(groups []*agentOffers) effects {
	keepNothing := func(string) bool { return false }
	var writes []write
	for _, g := range groups {
		ops := offers.Cleanup(g.merged, s.reservation(), keepNothing)
		if len(ops) == 0 {
			continue
		}
		g.ops = ops
		forget := s.forgetResources(releasedIDs(ops))
		for _, w := range forget {
			then := w.then
			w.then = func(err error) effects {
				if err != nil {
					s.log.Error("storing the release of reservations", "agent", g.merged.Hostname, "error", err)
					g.failed = true
				}
				return then(err)
			}
			writes = append(writes, w)
		}
	}
	return effects{writes: writes, after: func() effects {
		defer s.decided(time.Now())
		return s.releaseForUninstall(groups)
	}}
}

// releaseForUninstall decides, once the releases are forgotten in the
// state, the ACCEPT that releases each agent's reservations and one
// DECLINE of everything else.
func (s *Service) releaseForUninstall(groups []*agentOffers) effects {
	var fx effects
	var rest []*agentOffers
	for _, g := range groups {
		if len(g.ops) == 0 || g.failed {
			rest = append(rest, g)
			continue
		}
		released := releasedIDs(g.ops)
		if s.cycle != nil {
			s.cycle.Accepted++
		}
		fx.calls = append(fx.calls, s.accept(g, func(err error) effects {
			if err != nil {
				s.log.Error("releasing reservations", "agent", g.merged.Hostname, "error", err)
				return effects{}
			}
			s.recordOutcome("", g, true, "cleaned up", "uninstall")
			for _, id := range released {
				completeStep(s.uninstall.Plan, unreservePhaseName(g.merged.Hostname), unreserveStep(id))
			}
			return effects{}
		}))
	}
	return fx.join(s.decline(rest, s.cfg.Timing.ShortDecline, "declined short", "uninstalling"))
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
func (s *Service) uninstallNeedsOffers() bool {
	for _, ph := range s.uninstall.Info().Phases {
		if s.uninstall.phases[ph.Name] == unreservePhase && ph.Status != plan.Complete {
			return true
		}
	}
	return false
}

// onlyDeregisterLeft reports whether every phase but the last is complete.
func (s *Service) onlyDeregisterLeft() bool {
	for _, ph := range s.uninstall.Info().Phases {
		if s.uninstall.phases[ph.Name] != deregisterPhase && ph.Status != plan.Complete {
			return false
		}
	}
	return true
}

// forgetReleasedResources decides dropping the resource ids of
// force-completed unreserve steps from the task records, so that a
// restarted scheduler does not wait for them again.
func (s *Service) forgetReleasedResources() effects {
	var done []string
	for _, ph := range s.uninstall.Info().Phases {
		for _, st := range ph.Steps {
			if id, ok := s.uninstall.resources[st.Name]; ok && st.Status == plan.Complete {
				done = append(done, id)
			}
		}
	}
	return effects{writes: s.forgetResources(done)}
}

// forgetResources returns the writes that drop resource ids from the task
// records, and the records of ended tasks that hold nothing any more; each
// pod changes in memory once its write succeeded.
func (s *Service) forgetResources(ids []string) []write {
	drop := map[string]bool{}
	for _, id := range ids {
		drop[id] = true
	}
	var writes []write
	for _, i := range s.sortedPods() {
		p := s.pods[i]
		kept := make(map[string]string, len(p.record.Footprint.ResourceIDs))
		for key, id := range p.record.Footprint.ResourceIDs {
			if !drop[id] {
				kept[key] = id
			}
		}
		changed := len(kept) != len(p.record.Footprint.ResourceIDs)
		empty := len(kept) == 0 && !p.alive()
		if !changed && !empty {
			continue
		}
		what := fmt.Sprintf("storing the uninstall progress of pod %d", i)
		then := func(err error) effects {
			if err != nil {
				s.log.Warn("storing uninstall progress", "pod", i, "error", err)
				return effects{}
			}
			p.record.Footprint.ResourceIDs = kept
			if empty {
				// The task has ended: its kill step is done too.
				completeStep(s.uninstall.Plan, phaseKillTasks, killStep(p.record.TaskID))
				delete(s.pods, i)
			}
			return effects{}
		}
		if empty {
			writes = append(writes, deleteTreeWrite(what, state.JoinKey(keyTasks, p.record.Name), then))
			continue
		}
		record := p.record
		record.Footprint.ResourceIDs = kept
		writes = append(writes, setWrite(what, taskInfoKey(record.Name), mustJSON(record), then))
	}
	return writes
}

// finishUninstall tears the framework down, then deletes the service's
// state: in this order, so that a scheduler stopped in between finds the
// uninstall bit, is refused by the master, and only deletes the state.
func (s *Service) finishUninstall() effects {
	if s.frameworkID == "" {
		completeStep(s.uninstall.Plan, phaseDeregister, stepDeregister)
		return s.deleteState()
	}
	teardown := &scheduler.Call{Type: scheduler.Call_TEARDOWN}
	return effects{calls: []call{{what: "tearing the framework down", call: teardown, then: func(err error) effects {
		if err != nil {
			// Tried again on the next tick.
			s.log.Warn("tearing the framework down", "error", err)
			return effects{}
		}
		completeStep(s.uninstall.Plan, phaseDeregister, stepDeregister)
		return s.deleteState()
	}}}}
}

// deleteState decides deleting everything the service stored; once done,
// the service is gone.
func (s *Service) deleteState() effects {
	return effects{writes: []write{deleteTreeWrite("deleting the state of "+s.name, state.RootKey, func(err error) effects {
		if err != nil {
			s.log.Warn("deleting the service's state", "error", err)
			return effects{}
		}
		s.removed = true
		s.log.Info("uninstalled")
		return effects{}
	})}}
}
