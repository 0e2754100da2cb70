package manager

import (
	"fmt"

	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/plan"
	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/rollout"
	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/service"
	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/spec"
)

// previewBrokers says, broker by broker, what the plan of up does. The
// action and the order are read off the plan itself (plan.PlannedSteps of
// the plan the update builds, by the same code), so that the preview cannot
// promise anything the plan does not do: a broker with a step has that
// step's action (launch in a plain deploy plan: an install) and position; a
// broker the update reconfigures in place has no step of its own and takes
// the reconfigure step's position; every other broker is left alone (none,
// order 0). The changed settings behind each action come from the update's
// classification (rollout.Classify).
func previewBrokers(next spec.ServiceSpec, up service.UpdatePlan, strategy string) ([]service.BrokerPreview, []string) {
	steps := plan.PlannedSteps(up.Plan)
	byBroker := map[int]plan.PlannedStep{}
	reconfigureOrder := 0
	for _, st := range steps {
		switch {
		case st.Action == plan.ActionReconfigure:
			if st.Status != plan.Complete {
				reconfigureOrder = st.Order
			}
		case st.Pod != "" && st.Status != plan.Complete:
			if st.Action == "" {
				st.Action = string(rollout.Launch)
			}
			byBroker[st.Broker] = st
		}
	}
	classified := map[int]rollout.Broker{}
	for _, b := range up.Update.Brokers {
		classified[b.ID] = b
	}
	out := make([]service.BrokerPreview, next.BrokerCount())
	for i := range out {
		b := service.BrokerPreview{Broker: i, Pod: spec.PodInstanceName(i), Action: string(rollout.None), Changes: []service.FieldChange{}}
		if st, ok := byBroker[i]; ok {
			b.Action, b.Order = st.Action, st.Order
		} else if classified[i].Action == rollout.Reconfigure && reconfigureOrder > 0 {
			b.Action, b.Order = string(rollout.Reconfigure), reconfigureOrder
		}
		for _, c := range classified[i].Changes {
			b.Changes = append(b.Changes, service.FieldChange{Field: c.Field, Old: c.Old, New: c.New})
		}
		out[i] = b
	}
	var notes []string
	if len(steps) > 0 && len(up.Update.Brokers) > 0 {
		notes = append(notes, "will run: "+plan.DescribeOrder(steps, up.Controller))
		switch {
		case up.Update.Actions()[rollout.Restart] == 0:
		case up.Controller < 0:
			notes = append(notes, "Kafka did not name its active controller, so restarts are ordered by broker id; each restart still waits until it is safe")
		default:
			notes = append(notes, fmt.Sprintf("broker %d is the active controller: it restarts last", up.Controller))
		}
		if !up.Rolling {
			notes = append(notes, fmt.Sprintf("a deploy or an earlier update is still under way, so this update runs as a deploy plan with the %s deploy strategy: every broker not running the new configuration relaunches, each stop through the restart gate", strategy))
		} else {
			notes = append(notes, fmt.Sprintf("brokers restart with the %s update strategy, one broker stopped at a time, each stop waiting until no partition would fall below min.insync.replicas and every other broker is back, and each relaunch until it is back in the ISR", strategy))
		}
	}
	return out, notes
}
