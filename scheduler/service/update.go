package service

import (
	"context"
	"errors"
	"fmt"

	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/plan"
	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/spec"
	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/state"
)

// Update makes next the service's target configuration and rebuilds the
// deploy plan from it: brokers launched with another configuration are
// rolled by the plan's strategy. It returns the target configuration's id
// and whether anything changed. A change the running service cannot take
// is refused with the validation.Problems, and nothing is stored.
func (s *Service) Update(ctx context.Context, next spec.ServiceSpec) (configID string, changed bool, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.checkUpdate(next); err != nil {
		return "", false, err
	}
	if next.Hash() == s.spec.Hash() {
		return s.configID, false, nil
	}
	id := newID()
	err = s.store.Commit(ctx,
		state.SetOp(configKey(id), mustJSON(next)),
		state.SetOp(keyConfigTarget, []byte(id)),
		state.DeleteOp(propertyKey(propertyDeployOverride)),
	)
	if err != nil {
		return "", false, fmt.Errorf("storing the new configuration of %s: %w", s.name, err)
	}
	s.spec, s.configID = next, id
	if err := s.buildDeployPlan(plan.Overrides{}); err != nil {
		return "", false, err
	}
	s.pruneConfigurations(ctx)
	s.log.Info("target configuration updated", "config_id", id)
	return id, true, nil
}

// PreviewUpdate returns the deploy plan next would run, changing nothing.
func (s *Service) PreviewUpdate(next spec.ServiceSpec) (plan.Info, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.checkUpdate(next); err != nil {
		return plan.Info{}, err
	}
	states := make(map[int]plan.PodState, len(s.pods))
	for i, p := range s.pods {
		states[i] = p.podState()
	}
	preview, err := plan.NewDeploy(next, states)
	if err != nil {
		return plan.Info{}, fmt.Errorf("building the deploy plan: %w", err)
	}
	return preview.Info(), nil
}

// checkUpdate refuses updates of an uninstalling service and changes the
// running service cannot take. Callers hold s.mu.
func (s *Service) checkUpdate(next spec.ServiceSpec) error {
	if s.uninstall != nil {
		return fmt.Errorf("%w: service %s is being uninstalled; wait until it is gone, then install it again", ErrConflict, s.name)
	}
	return spec.ValidateUpdate(s.spec, next).Err()
}

// pruneConfigurations deletes stored configurations that are neither the
// target nor the one a task was launched with. Callers hold s.mu.
func (s *Service) pruneConfigurations(ctx context.Context) {
	used := map[string]bool{s.configID: true}
	for _, p := range s.pods {
		used[p.record.ConfigID] = true
	}
	ids, err := s.store.Children(ctx, keyConfigurations)
	if err != nil && !errors.Is(err, state.ErrNotFound) {
		s.log.Warn("listing configurations", "error", err)
		return
	}
	for _, id := range ids {
		if used[id] {
			continue
		}
		if err := s.store.Delete(ctx, configKey(id)); err != nil {
			s.log.Warn("deleting an unused configuration", "config_id", id, "error", err)
		}
	}
}

// Spec returns the target spec and its configuration id.
func (s *Service) Spec() (spec.ServiceSpec, string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.spec, s.configID
}

// Detail describes the service for GET /v1/services/{name}.
func (s *Service) Detail() ServiceDetail {
	s.mu.Lock()
	defer s.mu.Unlock()
	info := s.activePlan().Info()
	return ServiceDetail{
		Name:         s.name,
		ConfigID:     s.configID,
		FrameworkID:  s.frameworkID,
		Uninstalling: s.uninstall != nil,
		Status:       info.Status,
		Options:      mustJSON(s.spec.Options),
		Plan:         info,
	}
}
