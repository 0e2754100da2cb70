package manager

import (
	"fmt"

	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/plan"
	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/rollout"
	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/service"
	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/spec"
)

// previewBrokers says, broker by broker, what the plan info does: the
// actions are read off the plan itself (a broker whose step the plan will
// run is launched when it is new and restarted otherwise), so that the
// preview cannot promise anything the plan does not do; the changed
// settings behind each action come from rollout.Classify. current is the
// running service's spec, nil for an install.
func previewBrokers(current *spec.ServiceSpec, next spec.ServiceSpec, info plan.Info) ([]service.BrokerPreview, []string, error) {
	var classified map[int]rollout.Broker
	if current != nil {
		u, err := rollout.Classify(*current, next)
		if err != nil {
			return nil, nil, fmt.Errorf("working out what each broker must do: %w", err)
		}
		classified = make(map[int]rollout.Broker, len(u.Brokers))
		for _, b := range u.Brokers {
			classified[b.ID] = b
		}
	}
	order := map[int]int{} // broker → its place among the steps the plan runs
	for _, ph := range info.Phases {
		for _, st := range ph.Steps {
			if st.Pod != "" && st.Status != plan.Complete {
				order[st.PodIndex] = len(order) + 1
			}
		}
	}
	out := make([]service.BrokerPreview, next.BrokerCount())
	for i := range out {
		b := service.BrokerPreview{Broker: i, Pod: spec.PodInstanceName(i), Action: string(rollout.None), Changes: []service.FieldChange{}, Order: order[i]}
		switch {
		case b.Order == 0:
		case current == nil || i >= current.BrokerCount():
			b.Action = string(rollout.Launch)
		default:
			// Until updates reconfigure in place, every broker the plan
			// touches is restarted, whatever Classify allows.
			b.Action = string(rollout.Restart)
		}
		for _, c := range classified[i].Changes {
			b.Changes = append(b.Changes, service.FieldChange{Field: c.Field, Old: c.Old, New: c.New})
		}
		out[i] = b
	}
	var notes []string
	if len(order) > 1 && current != nil {
		notes = append(notes, fmt.Sprintf("brokers are rolled with the %s strategy in the order shown", next.DeployStrategy))
	}
	return out, notes, nil
}
