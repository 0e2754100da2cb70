package plan

import (
	"fmt"
	"slices"
	"strings"

	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/rollout"
	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/spec"
)

// ReconfigurePhaseName is the phase of a rolling update that applies the
// cluster-wide Kafka properties in place, before any broker restarts.
const ReconfigurePhaseName = "reconfigure"

// ReconfigureStepName is the one step of the reconfigure phase. It has no
// pod: the service applies rollout.Update.Dynamic with
// admin.ApplyClusterConfigs when it is a candidate, then reports it
// complete.
const ReconfigureStepName = "kafka:[reconfigure]"

// The actions of rollout steps (StepSpec.Action).
const (
	ActionRestart     = string(rollout.Restart)
	ActionLaunch      = string(rollout.Launch)
	ActionReconfigure = string(rollout.Reconfigure)
)

type rolloutConfig struct {
	update   rollout.Update
	order    []int
	strategy Strategy
}

// WithRollout makes NewDeploy build the plan of an update of a running
// service, as DC/OS Kafka does with its deploy plan (there is no separate
// update plan; the plan keeps the name "deploy"):
//
//   - when u.Dynamic is not empty, a first phase "reconfigure" (serial)
//     with one step "kafka:[reconfigure]" (Action "reconfigure", no pod)
//     applies the cluster-wide properties in place. It is a phase of its
//     own, before the brokers, so that a canary or parallel update strategy
//     never holds it or runs it beside a restart: restarted brokers then
//     find the cluster default already set;
//   - the phase "broker", ordered by strategy (service.update_strategy),
//     has one step per broker whose action is Restart or Launch, in the
//     order given (rollout.StepOrder: restarts by id with the active
//     controller last, then launches); brokers with None or Reconfigure
//     get no step. Brokers that must restart or launch but are missing
//     from order are appended by id, so no broker is ever left out.
//
// Each step starts as in a plain deploy, so that a rebuilt plan resumes,
// except that a restart step whose pod already runs the target
// configuration and is ready starts STARTED and waiting for the ISR
// (AwaitingISR): a restart step completes only on Rejoined, never on
// readiness alone. Failed puts a step in ERROR (the ISR wait ran out);
// Reconfigured completes the reconfigure step.
// Without this option NewDeploy builds today's deploy plan.
func WithRollout(u rollout.Update, order []int, strategy Strategy) Option {
	return func(c *config) {
		c.rollout = &rolloutConfig{update: u, order: slices.Clone(order), strategy: strategy}
	}
}

// rolloutPhases builds the phases of WithRollout.
func rolloutPhases(s spec.ServiceSpec, pods map[int]PodState, r *rolloutConfig) ([]PhaseSpec, error) {
	strategy, err := ParseStrategy(string(r.strategy))
	if err != nil {
		return nil, fmt.Errorf("the update strategy: %w", err)
	}
	byID := map[int]rollout.Broker{}
	for _, b := range r.update.Brokers {
		if b.ID < 0 || b.ID >= s.BrokerCount() {
			return nil, fmt.Errorf("the update names broker %d, but the service has brokers 0 to %d", b.ID, s.BrokerCount()-1)
		}
		byID[b.ID] = b
	}
	order, err := stepOrder(byID, r.order)
	if err != nil {
		return nil, err
	}
	var phases []PhaseSpec
	if len(r.update.Dynamic) > 0 {
		phases = append(phases, PhaseSpec{Name: ReconfigurePhaseName, Strategy: Serial, Steps: []StepSpec{
			{Name: ReconfigureStepName, PodIndex: -1, Action: ActionReconfigure},
		}})
	}
	target := s.PodConfigHash()
	steps := make([]StepSpec, 0, len(order))
	for _, id := range order {
		st := StepSpec{Name: spec.StepName(id), Pod: spec.PodInstanceName(id), PodIndex: id, Action: string(byID[id].Action)}
		st.Status, st.TaskIDs = initialStatus(pods[id], target)
		if st.Action == ActionRestart && st.Status == Complete && !pods[id].PermanentlyFailed && !pods[id].Recovering {
			// Relaunched and ready, perhaps just before the scheduler
			// restarted: the ISR was not seen yet, so look again.
			st.Status, st.TaskIDs, st.AwaitISR = Started, []string{pods[id].TaskID}, true
		}
		steps = append(steps, st)
	}
	return append(phases, PhaseSpec{Name: BrokerPhaseName, Strategy: strategy, Steps: steps}), nil
}

// stepOrder checks order against the update and completes it: every
// broker in it must restart or launch, once; the restarting and launching
// brokers it leaves out follow, restarts first, each by id.
func stepOrder(byID map[int]rollout.Broker, order []int) ([]int, error) {
	seen := map[int]bool{}
	out := make([]int, 0, len(byID))
	for _, id := range order {
		b, ok := byID[id]
		switch {
		case !ok:
			return nil, fmt.Errorf("the restart order names broker %d, which the update does not have", id)
		case b.Action != rollout.Restart && b.Action != rollout.Launch:
			return nil, fmt.Errorf("the restart order names broker %d, whose action is %s: only brokers that restart or launch get a step", id, b.Action)
		case seen[id]:
			return nil, fmt.Errorf("the restart order names broker %d twice", id)
		}
		seen[id] = true
		out = append(out, id)
	}
	for _, action := range []rollout.Action{rollout.Restart, rollout.Launch} {
		var rest []int
		for id, b := range byID {
			if b.Action == action && !seen[id] {
				rest = append(rest, id)
			}
		}
		slices.Sort(rest)
		out = append(out, rest...)
	}
	return out, nil
}

// PlannedStep is one step of a rollout plan as a preview shows it.
type PlannedStep struct {
	// Broker is the broker id, -1 for the reconfigure step.
	Broker int    `json:"broker"`
	Pod    string `json:"pod,omitempty"`
	// Action is restart, launch or reconfigure ("" for a step of a plain
	// deploy plan).
	Action string `json:"action"`
	// Order is the step's 1-based position in the plan: phases in order,
	// steps in order within each.
	Order  int    `json:"order"`
	Phase  string `json:"phase"`
	Step   string `json:"step"`
	Status Status `json:"status"`
}

// PlannedSteps lists the steps of a plan in the order the plan runs them.
// The preview of an update builds the plan with NewDeploy and WithRollout,
// exactly as the update does, and shows PlannedSteps of its Info; a test of
// the caller can then assert that the preview equals the plan the update
// runs, step for step.
func PlannedSteps(info Info) []PlannedStep {
	var out []PlannedStep
	for _, ph := range info.Phases {
		for _, st := range ph.Steps {
			out = append(out, PlannedStep{
				Broker: st.PodIndex, Pod: st.Pod, Action: st.Action, Order: len(out) + 1,
				Phase: ph.Name, Step: st.Name, Status: st.Status,
			})
		}
	}
	return out
}

// DescribeOrder sums the step order up for a person, e.g.
// "reconfigure, then kafka-0, kafka-2, kafka-1 (the controller, last)".
func DescribeOrder(steps []PlannedStep, controller int) string {
	var parts []string
	for _, st := range steps {
		switch {
		case st.Action == ActionReconfigure:
			parts = append(parts, "reconfigure in place")
		case st.Broker == controller && st.Action == ActionRestart:
			parts = append(parts, st.Pod+" (the active controller, last)")
		default:
			parts = append(parts, st.Pod)
		}
	}
	if len(parts) == 0 {
		return "nothing to do"
	}
	return strings.Join(parts, ", then ")
}
