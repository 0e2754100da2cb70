package service

import (
	"context"
	"errors"
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

// handler adapts a Service to mesosclient.Handler.
type handler struct{ s *Service }

func (h handler) Subscribed(ctx context.Context, frameworkID string) error {
	return h.s.subscribed(ctx, frameworkID)
}

func (h handler) HandleEvent(ctx context.Context, e *scheduler.Event) error {
	return h.s.handleEvent(ctx, e)
}

func (h handler) Disconnected(err error) {
	h.s.log.Info("disconnected from the Mesos master", "error", err)
}

// subscribed persists the framework ID, then starts explicit reconciliation
// of every task the service knows.
func (s *Service) subscribed(ctx context.Context, frameworkID string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.persistFrameworkID(ctx, frameworkID); err != nil {
		return err
	}
	s.log.Info("subscribed to the Mesos master", "framework_id", frameworkID)
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
	return nil
}

// retryReconciliation sends explicit reconciliation for the tasks whose
// state is still unknown, with a doubling delay, and implicit
// reconciliation on its period. Callers hold s.mu.
func (s *Service) retryReconciliation(ctx context.Context) {
	now := s.now()
	if len(s.reconcile.waiting) > 0 && !now.Before(s.reconcile.nextTry) {
		tasks := make(map[string]string, len(s.reconcile.waiting))
		for _, p := range s.pods {
			if s.reconcile.waiting[p.record.TaskID] {
				tasks[p.record.TaskID] = p.record.AgentID
			}
		}
		if err := s.call(ctx, calls.Reconcile(calls.ReconcileTasks(tasks))); err != nil {
			s.log.Warn("explicit reconciliation", "error", err)
		}
		s.reconcile.nextTry = now.Add(s.reconcile.delay)
		s.reconcile.delay = min(2*s.reconcile.delay, 30*time.Second)
	}
	if !s.reconcile.implicit.IsZero() && now.After(s.reconcile.implicit) {
		if err := s.call(ctx, calls.Reconcile()); err != nil {
			s.log.Warn("implicit reconciliation", "error", err)
		}
		s.reconcile.implicit = now.Add(s.cfg.Timing.ImplicitReconciliation)
	}
}

// reconciled reports whether every task's state is known since the last
// subscription. Callers hold s.mu.
func (s *Service) reconciled() bool { return len(s.reconcile.waiting) == 0 }

func (s *Service) handleEvent(ctx context.Context, e *scheduler.Event) error {
	switch e.GetType() {
	case scheduler.Event_OFFERS:
		s.handleOffers(ctx, e.GetOffers().GetOffers())
	case scheduler.Event_UPDATE:
		return s.handleUpdate(ctx, e.GetUpdate().GetStatus())
	case scheduler.Event_INVERSE_OFFERS:
		ids := make([]mesos.OfferID, 0, len(e.GetInverseOffers().GetInverseOffers()))
		for _, o := range e.GetInverseOffers().GetInverseOffers() {
			ids = append(ids, o.OfferID)
		}
		s.mu.Lock()
		defer s.mu.Unlock()
		if err := s.call(ctx, calls.DeclineInverseOffers(ids...)); err != nil {
			s.log.Warn("declining inverse offers", "error", err)
		}
	case scheduler.Event_FAILURE:
		f := e.GetFailure()
		s.log.Warn("Mesos reports a failure", "agent_id", f.GetAgentID().GetValue(), "executor_id", f.GetExecutorID().GetValue(), "status", f.GetStatus())
	case scheduler.Event_ERROR:
		s.log.Error("Mesos reports an error", "message", e.GetError().GetMessage())
	}
	return nil
}

// call sends a call to the master and counts accepted operations.
// Callers hold s.mu.
func (s *Service) call(ctx context.Context, c *scheduler.Call) error {
	if s.conn == nil {
		return errors.New("not connected to Mesos")
	}
	if err := s.conn.Call(ctx, c); err != nil {
		return err
	}
	for _, op := range c.GetAccept().GetOperations() {
		s.metrics.Operation(lower(op.GetType().String()))
	}
	return nil
}

// kill sends KILL for a task, at most once per KillRetry. Callers hold s.mu.
func (s *Service) kill(ctx context.Context, taskID, agentID string) {
	if at, ok := s.killedAt[taskID]; ok && s.now().Sub(at) < s.cfg.Timing.KillRetry {
		return
	}
	if err := s.call(ctx, calls.Kill(taskID, agentID)); err != nil {
		s.log.Warn("killing a task", "task_id", taskID, "error", err)
		return
	}
	s.log.Info("killing task", "task_id", taskID)
	s.killedAt[taskID] = s.now()
}

// reviveOrSuppress suppresses offers when there is nothing to do and
// revives them, at most once per MinReviveInterval, when there is work and
// offers are suppressed or some agents' offers are filtered by a long
// decline.
// Callers hold s.mu.
func (s *Service) reviveOrSuppress(ctx context.Context) {
	work := s.needsOffers()
	switch {
	case work && (s.suppressed || s.filtered):
		if s.now().Sub(s.lastRevive) < s.cfg.Timing.MinReviveInterval {
			s.metrics.ReviveThrottled()
			return
		}
		if err := s.call(ctx, calls.ReviveWith([]string{s.spec.Role})); err != nil {
			s.log.Warn("reviving offers", "error", err)
			return
		}
		s.log.Debug("revived offers")
		s.lastRevive = s.now()
		s.filtered = false
		s.metrics.Revived()
		s.setSuppressed(ctx, false)
	case !work && !s.suppressed && s.reconciled():
		if err := s.call(ctx, calls.SuppressWith([]string{s.spec.Role})); err != nil {
			s.log.Warn("suppressing offers", "error", err)
			return
		}
		s.metrics.Suppressed()
		s.setSuppressed(ctx, true)
	}
}

// setSuppressed records the suppression in memory, in the metrics and in
// the suppressed property. Callers hold s.mu.
func (s *Service) setSuppressed(ctx context.Context, suppressed bool) {
	s.suppressed = suppressed
	s.metrics.SetSuppressed(suppressed)
	if err := s.store.Set(ctx, propertyKey(propertySuppressed), fmt.Appendf(nil, "%t", suppressed)); err != nil {
		s.log.Warn("storing the suppressed property", "error", err)
	}
}

func ptr[T any](v T) *T { return &v }

func optional(v string) *string {
	if v == "" {
		return nil
	}
	return &v
}
