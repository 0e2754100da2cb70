package service

import (
	"context"
	"fmt"
	"sort"

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
	return s.UpdateIfMatch(ctx, next, "")
}

// UpdateIfMatch is Update that first checks, in the same decision, that
// the target configuration is still expected ("" and AnyConfig match any):
// otherwise it refuses with a *PreconditionFailedError and changes nothing.
func (s *Service) UpdateIfMatch(ctx context.Context, next spec.ServiceSpec, expected string) (configID string, changed bool, err error) {
	var id string
	var updated bool
	err = s.submit(ctx, "updating the configuration", func() effects {
		if err := checkExpected(s.name, expected, s.configID()); err != nil {
			return failed(err)
		}
		if err := checkUpdate(s.name, s.spec, s.uninstall != nil, next); err != nil {
			return failed(err)
		}
		if next.Hash() == s.spec.Hash() {
			id = s.configID()
			return effects{}
		}
		newConfigID := newID()
		value := mustJSON(next)
		accepted := s.now()
		ops := append(s.configs.SetTargetOps(newConfigID, value, accepted), state.DeleteOp(propertyKey(propertyDeployOverride)))
		return effects{writes: []write{commitWrite("storing the new configuration of "+s.name, ops, func(err error) effects {
			if err != nil {
				return failed(err)
			}
			s.spec = next
			s.configs.TargetSet(newConfigID, value, accepted)
			delete(s.properties, propertyDeployOverride)
			if err := s.buildDeployPlan(plan.Overrides{}); err != nil {
				return failed(err)
			}
			id, updated = newConfigID, true
			s.log.Info("target configuration updated", "config_id", newConfigID)
			return s.pruneConfigurations()
		})}}
	})
	if err != nil {
		return "", false, err
	}
	return id, updated, nil
}

// PreviewUpdate returns the deploy plan next would run, changing nothing.
// It reads the published view, so it never waits for the service.
func (s *Service) PreviewUpdate(next spec.ServiceSpec) (plan.Info, error) {
	v := s.current()
	if err := checkUpdate(s.name, v.spec, v.detail.Uninstalling, next); err != nil {
		return plan.Info{}, err
	}
	preview, err := plan.NewDeploy(next, v.podStates)
	if err != nil {
		return plan.Info{}, fmt.Errorf("building the deploy plan: %w", err)
	}
	return preview.Info(), nil
}

// checkUpdate refuses updates of an uninstalling service and changes the
// running service cannot take.
func checkUpdate(name string, current spec.ServiceSpec, uninstalling bool, next spec.ServiceSpec) error {
	if uninstalling {
		return fmt.Errorf("%w: service %s is being uninstalled; wait until it is gone, then install it again", ErrConflict, name)
	}
	return spec.ValidateUpdate(current, next).Err()
}

// pruneConfigurations decides the deletion of the stored configurations
// package configstore's rule lets go: those that are neither the target,
// nor one a task was launched with, nor among the configstore.History
// newest of the rest; they go in one commit with the history key.
func (s *Service) pruneConfigurations() effects {
	used := map[string]bool{}
	for _, p := range s.pods {
		used[p.record.ConfigID] = true
	}
	ids := s.configs.Prune(func(id string) bool { return used[id] })
	if len(ids) == 0 {
		return effects{}
	}
	return effects{writes: []write{commitWrite(fmt.Sprintf("deleting %d unused configurations", len(ids)), s.configs.DeleteOps(ids), func(err error) effects {
		if err != nil {
			s.log.Warn("deleting unused configurations", "config_ids", ids, "error", err)
			return effects{}
		}
		s.configs.Deleted(ids...)
		return effects{}
	})}}
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
