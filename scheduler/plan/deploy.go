package plan

import (
	"fmt"
	"slices"

	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/spec"
)

// DeployPlanName is the name of the deploy plan (also used for updates).
const DeployPlanName = "deploy"

// BrokerPhaseName is the one phase of the deploy plan.
const BrokerPhaseName = "broker"

// PodState is what the service layer knows about one broker pod when it
// builds a plan (from its stored task and latest status).
type PodState struct {
	// TaskID of the task last launched for the pod; "" if never launched.
	TaskID string
	// ConfigHash the task was launched with (spec.PodConfigHash).
	ConfigHash string
	// State is the task's latest Mesos state; "" when unknown.
	State TaskState
	// Ready is true once the task's readiness check passed.
	Ready bool
	// PermanentlyFailed is set for a pod being replaced: the recovery plan
	// owns it, so the deploy step counts it complete (as DC/OS does).
	PermanentlyFailed bool
	// Recovering is set for a pod the recovery plan owns (a deployed
	// broker that failed, or one being paused or resumed): the deploy
	// step counts it complete.
	Recovering bool
}

// DownBrokers lists, by id, the pods that were launched but whose task is
// not running now (it ended, or Mesos lost sight of it): the brokers an
// update restarts first (rollout.StepOrder).
func DownBrokers(pods map[int]PodState) []int {
	var ids []int
	for id, p := range pods {
		if p.TaskID != "" && p.State.normal() != TaskRunning && !p.PermanentlyFailed {
			ids = append(ids, id)
		}
	}
	slices.Sort(ids)
	return ids
}

// NewDeploy builds the deploy plan of a spec: one phase "broker" with the
// spec's deploy strategy and one step "kafka-<i>:[broker]" per broker. A
// step starts COMPLETE when its broker runs the target configuration and
// passed its readiness check; STARTING or STARTED when the target
// configuration is being launched; PENDING otherwise (never launched,
// failed, or running an older configuration: an update relaunches it).
// pods is indexed by broker index; missing entries are never-launched pods.
// The plan's key (for Overrides) is the spec's hash unless WithKey says
// otherwise. With WithRollout it builds the plan of an update instead (see
// there); the plan is still named "deploy", as in DC/OS Kafka.
func NewDeploy(s spec.ServiceSpec, pods map[int]PodState, opts ...Option) (*Plan, error) {
	strategy, err := ParseStrategy(s.DeployStrategy)
	if err != nil {
		return nil, fmt.Errorf("building the deploy plan of %q: %w", s.Name, err)
	}
	// The spec may come from storage rather than from validation: never
	// allocate for a broker count validation would have refused (an
	// out-of-memory is fatal, not a recoverable panic).
	if n := s.BrokerCount(); n < 1 || n > spec.MaxBrokers {
		return nil, fmt.Errorf("building the deploy plan of %q: brokers.count %d is outside 1 to %d", s.Name, n, spec.MaxBrokers)
	}
	var cfg config
	for _, o := range opts {
		o(&cfg)
	}
	opts = append([]Option{WithKey(s.Hash())}, opts...)
	if cfg.rollout != nil {
		phases, err := rolloutPhases(s, pods, cfg.rollout)
		if err != nil {
			return nil, fmt.Errorf("building the update of %q: %w", s.Name, err)
		}
		return New(DeployPlanName, Serial, phases, opts...)
	}
	target := s.PodConfigHash()
	steps := make([]StepSpec, 0, s.BrokerCount())
	for i := range s.BrokerCount() {
		st := StepSpec{Name: spec.StepName(i), Pod: spec.PodInstanceName(i), PodIndex: i}
		st.Status, st.TaskIDs = initialStatus(pods[i], target)
		steps = append(steps, st)
	}
	return New(DeployPlanName, Serial, []PhaseSpec{{Name: BrokerPhaseName, Strategy: strategy, Steps: steps}}, opts...)
}

// initialStatus follows DC/OS DefaultStepFactory, extended so that a launch
// of the target configuration that was under way when the scheduler
// restarted is resumed instead of relaunched.
func initialStatus(pod PodState, target string) (Status, []string) {
	switch {
	case pod.PermanentlyFailed, pod.Recovering:
		return Complete, nil
	case pod.TaskID == "" || pod.ConfigHash != target:
		return Pending, nil
	}
	switch pod.State.normal() {
	case TaskRunning:
		if pod.Ready {
			return Complete, nil
		}
		return Started, []string{pod.TaskID}
	case TaskStaging, TaskStarting:
		return Starting, []string{pod.TaskID}
	default:
		return Pending, nil
	}
}
