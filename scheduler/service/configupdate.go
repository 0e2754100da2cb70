package service

import (
	"context"
	"fmt"
	"sort"

	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/plan"
	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/rollout"
	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/spec"
	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/state"
)

// Update makes next the service's target configuration and rebuilds the
// deploy plan from it as a rolling update (rolling.go): each broker does
// what rollout.Classify decides (nothing, launch, restart or reconfigure in
// place), restarts ordered with the active controller last. It returns the
// target configuration's id and whether anything changed; an update equal
// to the target changes and starts nothing. A change the running service
// cannot take is refused with the validation.Problems, and nothing is
// stored.
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
		u, err := rollout.Classify(s.spec, next)
		if err != nil {
			return failed(fmt.Errorf("working out what each broker must do: %w", err))
		}
		current := s.spec
		store := func(controller int) effects {
			if s.spec.Hash() != current.Hash() {
				return failed(fmt.Errorf("%w: the configuration changed while this update waited for Kafka; try again", ErrConflict))
			}
			return s.storeUpdate(next, u, controller, func(newID string) { id, updated = newID, true })
		}
		if !restarts(u) || !rollable(current, s.podStates()) {
			return store(-1)
		}
		return effects{kafka: []kafkaCall{{what: "finding the active controller", do: func(ctx context.Context, k Kafka) func() effects {
			controller := controllerOf(ctx, k)
			return func() effects { return store(controller) }
		}}}}
	})
	if err != nil {
		return "", false, err
	}
	return id, updated, nil
}

// storeUpdate decides the commit of a new target and, once stored, the
// deploy plan of the update.
func (s *Service) storeUpdate(next spec.ServiceSpec, u rollout.Update, controller int, done func(configID string)) effects {
	newConfigID := newID()
	value := mustJSON(next)
	accepted := s.now()
	ops := append(s.configs.SetTargetOps(newConfigID, value, accepted), state.DeleteOp(propertyKey(propertyDeployOverride)))
	rolling := rollable(s.spec, s.podStates())
	var records map[int]TaskRecord
	if rolling {
		// Brokers the update leaves alone run the target from now on.
		var podOps []state.Op
		podOps, records = s.unchangedPodOps(next, u, rollout.None)
		ops = append(ops, podOps...)
	}
	return effects{writes: []write{commitWrite("storing the new configuration of "+s.name, ops, func(err error) effects {
		if err != nil {
			return failed(err)
		}
		s.spec = next
		s.configs.TargetSet(newConfigID, value, accepted)
		delete(s.properties, propertyDeployOverride)
		for i, rec := range records {
			s.pods[i].record = rec
		}
		s.rollout = nil
		if rolling {
			s.rollout = &rolloutState{update: u, controller: controller}
		}
		if err := s.buildDeployPlan(plan.Overrides{}); err != nil {
			return failed(err)
		}
		done(newConfigID)
		s.log.Info("target configuration updated", "config_id", newConfigID, "rolling", rolling, "controller", controller, "actions", u.Actions())
		return s.pruneConfigurations().join(s.noteDeployCompletion())
	})}}
}

// rollable reports whether an update of a service running current can be
// rolled broker by broker: every broker of current was launched with
// current's pod configuration. Otherwise (a deploy or an earlier update
// still under way) the update is a plain deploy plan, which relaunches
// every broker not running the target.
func rollable(current spec.ServiceSpec, pods map[int]plan.PodState) bool {
	target := current.PodConfigHash()
	for i := range current.BrokerCount() {
		if p, ok := pods[i]; !ok || p.TaskID == "" || p.ConfigHash != target {
			return false
		}
	}
	return true
}

// podStates is what the plan needs to know of every pod.
func (s *Service) podStates() map[int]plan.PodState {
	states := make(map[int]plan.PodState, len(s.pods))
	for i, p := range s.pods {
		states[i] = s.withRecovery(i, p.podState())
	}
	return states
}

// PreviewUpdate returns the deploy plan next would run, built as Update
// builds it, changing nothing. It reads the published view, so it never
// waits for the service; when brokers would restart it asks Kafka for the
// active controller (off any lock, within Timing.KafkaTimeout).
func (s *Service) PreviewUpdate(ctx context.Context, next spec.ServiceSpec) (UpdatePlan, error) {
	v := s.current()
	if err := checkUpdate(s.name, v.spec, v.detail.Uninstalling, next); err != nil {
		return UpdatePlan{}, err
	}
	u, err := rollout.Classify(v.spec, next)
	if err != nil {
		return UpdatePlan{}, fmt.Errorf("working out what each broker must do: %w", err)
	}
	if next.Hash() == v.spec.Hash() {
		// A no-op update starts nothing: the plan stays as it is.
		return UpdatePlan{Plan: v.detail.Plan, Update: u, Controller: -1}, nil
	}
	controller := -1
	if restarts(u) && rollable(v.spec, v.podStates) {
		controller = s.previewController(ctx)
	}
	p, err := s.updatePlan(v.spec, next, v.podStates, u, controller)
	if err != nil {
		return UpdatePlan{}, err
	}
	return UpdatePlan{Plan: p.Info(), Update: u, Controller: controller, Rolling: rollable(v.spec, v.podStates)}, nil
}

// previewController asks Kafka for the active controller, -1 when it does
// not answer.
func (s *Service) previewController(ctx context.Context) int {
	ctx, cancel := context.WithTimeout(ctx, s.cfg.Timing.KafkaTimeout)
	defer cancel()
	if s.cfg.Kafka == nil {
		return -1
	}
	k, err := s.cfg.Kafka(ctx)
	if err != nil {
		return -1
	}
	return controllerOf(ctx, k)
}

// updatePlan builds the plan Update would start: the same code path as
// storeUpdate and buildDeployPlan.
func (s *Service) updatePlan(current, next spec.ServiceSpec, pods map[int]plan.PodState, u rollout.Update, controller int) (*plan.Plan, error) {
	var r *rolloutState
	if rollable(current, pods) {
		r = &rolloutState{update: u, controller: controller}
		pods = withTargetHash(pods, u, next.PodConfigHash())
	}
	return deployPlan(next, pods, r)
}

// withTargetHash is pods as storeUpdate leaves them: the brokers an update
// leaves alone run the target.
func withTargetHash(pods map[int]plan.PodState, u rollout.Update, target string) map[int]plan.PodState {
	out := make(map[int]plan.PodState, len(pods))
	for i, p := range pods {
		out[i] = p
	}
	for _, b := range u.Brokers {
		if p, ok := out[b.ID]; ok && b.Action == rollout.None && p.TaskID != "" {
			p.ConfigHash = target
			out[b.ID] = p
		}
	}
	return out
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
