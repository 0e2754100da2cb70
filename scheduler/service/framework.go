package service

import (
	"context"
	"fmt"
	"time"

	mesos "github.com/mesos/mesos-go/api/v1/lib"
	"github.com/mesos/mesos-go/api/v1/lib/scheduler"
	"github.com/mesos/mesos-go/api/v1/lib/scheduler/calls"
)

// failoverTimeout is how long Mesos keeps the framework's tasks running
// while no scheduler is subscribed: two weeks, as DC/OS.
const failoverTimeout = 14 * 24 * time.Hour

// frameworkInfo describes the service's framework: its name is the service
// name, its role and principal derive from it, and it is partition aware
// and uses reservation refinement (reference/mesos.md).
func (s *Service) frameworkInfo() mesos.FrameworkInfo {
	s.mu.Lock()
	defer s.mu.Unlock()
	return mesos.FrameworkInfo{
		User:            s.spec.User,
		Name:            s.spec.Name,
		Roles:           []string{s.spec.Role},
		Principal:       &s.spec.Principal,
		FailoverTimeout: ptr(failoverTimeout.Seconds()),
		Checkpoint:      ptr(true),
		Hostname:        optional(s.cfg.Hostname),
		Capabilities: []mesos.FrameworkInfo_Capability{
			{Type: mesos.FrameworkInfo_Capability_MULTI_ROLE},
			{Type: mesos.FrameworkInfo_Capability_PARTITION_AWARE},
			{Type: mesos.FrameworkInfo_Capability_RESERVATION_REFINEMENT},
		},
	}
}

// handler adapts a Service to mesosclient.Handler: every event becomes a
// job of the service goroutine, and the handler returns once its effects
// were carried out (so an update is acknowledged only after it was
// stored).
type handler struct{ s *Service }

func (h handler) Subscribed(ctx context.Context, frameworkID string) error {
	return h.s.submit(ctx, "handling the subscription", func() effects { return h.s.subscribed(frameworkID) })
}

func (h handler) HandleEvent(ctx context.Context, e *scheduler.Event) error {
	return h.s.handleEvent(ctx, e)
}

func (h handler) Disconnected(err error) {
	h.s.log.Info("disconnected from the Mesos master", "error", err)
}

// subscribed stores the framework ID, then starts explicit reconciliation
// of every task the service knows.
func (s *Service) subscribed(frameworkID string) effects {
	if frameworkID == s.frameworkID {
		s.startReconciliation()
		return effects{}
	}
	return effects{writes: []write{setWrite("storing framework ID "+frameworkID, keyFrameworkID, []byte(frameworkID), func(err error) effects {
		if err != nil {
			// The subscription ends and mesosclient subscribes again.
			return failed(err)
		}
		s.frameworkID = frameworkID
		s.startReconciliation()
		return effects{}
	})}}
}

// startReconciliation begins explicit reconciliation of every known task
// after a subscription.
func (s *Service) startReconciliation() {
	s.log.Info("subscribed to the Mesos master", "framework_id", s.frameworkID)
	s.reconcile.waiting = map[string]bool{}
	for _, p := range s.pods {
		if p.record.TaskID != "" {
			s.reconcile.waiting[p.record.TaskID] = true
		}
	}
	s.reconcile.delay = s.cfg.Timing.ExplicitReconciliationRetry
	s.reconcile.nextTry = time.Time{}
	s.reconcile.implicit = s.now().Add(s.cfg.Timing.ImplicitReconciliation)
	// Offer filters and suppression may survive from an earlier
	// subscription: the next tick revives if there is work, and
	// suppresses if there is none.
	s.suppressed, s.filtered = false, true
}

// retryReconciliation sends explicit reconciliation for the tasks whose
// state is still unknown, with a doubling delay, and implicit
// reconciliation on its period.
func (s *Service) retryReconciliation() effects {
	var fx effects
	now := s.now()
	if len(s.reconcile.waiting) > 0 && !now.Before(s.reconcile.nextTry) {
		tasks := make(map[string]string, len(s.reconcile.waiting))
		for _, p := range s.pods {
			if s.reconcile.waiting[p.record.TaskID] {
				tasks[p.record.TaskID] = p.record.AgentID
			}
		}
		fx.calls = append(fx.calls, call{what: "explicit reconciliation", call: calls.Reconcile(calls.ReconcileTasks(tasks))})
		s.reconcile.nextTry = now.Add(s.reconcile.delay)
		s.reconcile.delay = min(2*s.reconcile.delay, 30*time.Second)
	}
	if !s.reconcile.implicit.IsZero() && now.After(s.reconcile.implicit) {
		fx.calls = append(fx.calls, call{what: "implicit reconciliation", call: calls.Reconcile()})
		s.reconcile.implicit = now.Add(s.cfg.Timing.ImplicitReconciliation)
	}
	return fx
}

// reconciled reports whether every task's state is known since the last
// subscription.
func (s *Service) reconciled() bool { return len(s.reconcile.waiting) == 0 }

// handleEvent turns one Mesos event into a job and waits for it.
func (s *Service) handleEvent(ctx context.Context, e *scheduler.Event) error {
	switch e.GetType() {
	case scheduler.Event_OFFERS:
		return s.handleOffers(ctx, e.GetOffers().GetOffers())
	case scheduler.Event_UPDATE:
		st := e.GetUpdate().GetStatus()
		return s.submit(ctx, "handling a task status", func() effects { return s.handleUpdate(st) })
	case scheduler.Event_INVERSE_OFFERS:
		ids := make([]mesos.OfferID, 0, len(e.GetInverseOffers().GetInverseOffers()))
		for _, o := range e.GetInverseOffers().GetInverseOffers() {
			ids = append(ids, o.OfferID)
		}
		return s.submit(ctx, "declining inverse offers", func() effects {
			return effects{calls: []call{{what: "declining inverse offers", call: calls.DeclineInverseOffers(ids...)}}}
		})
	case scheduler.Event_FAILURE:
		f := e.GetFailure()
		s.log.Warn("Mesos reports a failure", "agent_id", f.GetAgentID().GetValue(), "executor_id", f.GetExecutorID().GetValue(), "status", f.GetStatus())
	case scheduler.Event_ERROR:
		s.log.Error("Mesos reports an error", "message", e.GetError().GetMessage())
	}
	return nil
}

// kill decides a KILL for a task, at most once per KillRetry.
func (s *Service) kill(taskID, agentID string) effects {
	if at, ok := s.killedAt[taskID]; ok && s.now().Sub(at) < s.cfg.Timing.KillRetry {
		return effects{}
	}
	s.killedAt[taskID] = s.now()
	return effects{calls: []call{{what: "killing task " + taskID, call: calls.Kill(taskID, agentID), then: func(err error) effects {
		if err != nil {
			s.log.Warn("killing a task", "task_id", taskID, "error", err)
			delete(s.killedAt, taskID) // try again on the next tick
			return effects{}
		}
		s.log.Info("killing task", "task_id", taskID)
		return effects{}
	}}}}
}

// reviveOrSuppress suppresses offers when there is nothing to do and
// revives them, at most once per MinReviveInterval, when there is work and
// offers are suppressed or some agents' offers are filtered by a long
// decline.
func (s *Service) reviveOrSuppress() effects {
	work := s.needsOffers()
	switch {
	case work && (s.suppressed || s.filtered):
		if s.now().Sub(s.lastRevive) < s.cfg.Timing.MinReviveInterval {
			s.metrics.ReviveThrottled()
			return effects{}
		}
		return effects{calls: []call{{what: "reviving offers", call: calls.ReviveWith([]string{s.spec.Role}), then: func(err error) effects {
			if err != nil {
				s.log.Warn("reviving offers", "error", err)
				return effects{}
			}
			s.log.Debug("revived offers")
			s.lastRevive = s.now()
			s.filtered = false
			s.metrics.Revived()
			return s.setSuppressed(false)
		}}}}
	case !work && !s.suppressed && s.reconciled():
		return effects{calls: []call{{what: "suppressing offers", call: calls.SuppressWith([]string{s.spec.Role}), then: func(err error) effects {
			if err != nil {
				s.log.Warn("suppressing offers", "error", err)
				return effects{}
			}
			s.metrics.Suppressed()
			return s.setSuppressed(true)
		}}}}
	}
	return effects{}
}

// setSuppressed records the suppression in memory and in the metrics, and
// decides the write of the suppressed property.
func (s *Service) setSuppressed(suppressed bool) effects {
	s.suppressed = suppressed
	s.metrics.SetSuppressed(suppressed)
	value := fmt.Appendf(nil, "%t", suppressed)
	return effects{writes: []write{setWrite("storing the suppressed property", propertyKey(propertySuppressed), value, func(err error) effects {
		if err != nil {
			s.log.Warn("storing the suppressed property", "error", err)
			return effects{}
		}
		s.setProperty(propertySuppressed, value)
		return effects{}
	})}}
}

func ptr[T any](v T) *T { return &v }

func optional(v string) *string {
	if v == "" {
		return nil
	}
	return &v
}
