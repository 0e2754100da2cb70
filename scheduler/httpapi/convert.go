package httpapi

import (
	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/api"
	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/plan"
	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/service"
	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/validation"
)

// This file converts the domain values the backend returns into the REST
// contract's wire types (package api). Every answer body is an api type,
// so that api.Client decodes exactly what the server encodes.

func toPlan(info plan.Info) api.Plan {
	p := api.Plan{
		Phases:   make([]api.Phase, 0, len(info.Phases)),
		Errors:   nonNil(info.Errors),
		Strategy: string(info.Strategy),
		Status:   api.Status(info.Status),
	}
	for _, ph := range info.Phases {
		phase := api.Phase{ID: ph.ID, Name: ph.Name, Steps: make([]api.Step, 0, len(ph.Steps)), Strategy: string(ph.Strategy), Status: api.Status(ph.Status)}
		for _, st := range ph.Steps {
			step := api.Step{ID: st.ID, Status: api.Status(st.Status), Name: st.Name, Message: st.Message}
			if st.Pod != "" {
				broker := st.PodIndex
				step.Pod, step.Broker = st.Pod, &broker
			}
			phase.Steps = append(phase.Steps, step)
		}
		p.Phases = append(p.Phases, phase)
	}
	return p
}

func toServiceSummaries(in []service.ServiceSummary) []api.ServiceSummary {
	out := make([]api.ServiceSummary, len(in))
	for i, s := range in {
		out[i] = api.ServiceSummary{Name: s.Name}
	}
	return out
}

func toPutResult(r service.PutResult) api.PutResult {
	return api.PutResult{Name: r.Name, ConfigID: r.ConfigID, Created: r.Created, Changed: r.Changed}
}

func toServiceDetail(d service.ServiceDetail) api.ServiceDetail {
	return api.ServiceDetail{
		Name: d.Name, ConfigID: d.ConfigID, FrameworkID: d.FrameworkID, Uninstalling: d.Uninstalling,
		Status: api.Status(d.Status), Options: d.Options, Plan: toPlan(d.Plan),
	}
}

func toPreview(p service.Preview) api.Preview {
	out := api.Preview{
		Name: p.Name, Install: p.Install, ConfigID: p.ConfigID, Plan: toPlan(p.Plan),
		Brokers: make([]api.BrokerPreview, len(p.Brokers)), Strategy: p.Strategy, Notes: nonNil(p.Notes),
	}
	for i, b := range p.Brokers {
		changes := make([]api.FieldChange, len(b.Changes))
		for j, c := range b.Changes {
			changes[j] = api.FieldChange{Field: c.Field, Old: c.Old, New: c.New}
		}
		out.Brokers[i] = api.BrokerPreview{Broker: b.Broker, Pod: b.Pod, Action: b.Action, Changes: changes, Order: b.Order}
	}
	return out
}

func toPodInstance(p service.PodInstance) api.PodInstance {
	out := api.PodInstance{Name: p.Name, Tasks: make([]api.PodTask, len(p.Tasks))}
	for i, t := range p.Tasks {
		out.Tasks[i] = api.PodTask{ID: t.ID, Name: t.Name, State: t.State}
	}
	return out
}

func toEndpoint(e service.Endpoint) api.Endpoint {
	return api.Endpoint{Address: nonNil(e.Address), DNS: nonNil(e.DNS), VIP: e.VIP}
}

func toHealth(h service.Health) api.Health {
	return api.Health{Code: h.Code, Name: h.Name, Reasons: nonNil(h.Reasons)}
}

func toOfferOutcomes(in []service.OfferOutcome) []api.OfferOutcome {
	out := make([]api.OfferOutcome, len(in))
	for i, o := range in {
		out[i] = api.OfferOutcome{
			Time: o.Time, Plan: o.Plan, Step: o.Step, OfferIDs: nonNil(o.OfferIDs), AgentID: o.AgentID,
			Hostname: o.Hostname, Passed: o.Passed, Outcome: o.Outcome, Reason: o.Reason,
		}
	}
	return out
}

func toProblems(ps validation.Problems) []api.Problem {
	out := make([]api.Problem, len(ps))
	for i, p := range ps {
		out[i] = api.Problem{Field: p.Field, Value: p.Value, Rule: p.Rule}
	}
	return out
}
