package provider

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/api"
)

// explainWait says why a wait for a plan failed: for a plan in ERROR its
// errors; for a wait that ran out, every step still waiting with its
// message, and the offers the scheduler evaluated for those steps, counted
// by reason ("kafka-2: no offer fits: insufficient mem on 4 agents").
func explainWait(ctx context.Context, c *api.Client, name string, err error) string {
	var planErr *api.PlanError
	if errors.As(err, &planErr) {
		return "The plan is in ERROR: " + planErr.Error() + "."
	}
	var waitErr *api.WaitError
	if !errors.As(err, &waitErr) {
		return err.Error()
	}
	var b strings.Builder
	b.WriteString(describePending(waitErr.Plan))
	outcomes, oerr := c.OfferOutcomes(ctx, name)
	if oerr != nil {
		fmt.Fprintf(&b, " (The offer diagnostics could not be read: %v.)", oerr)
		return b.String()
	}
	if lines := summarizeOutcomes(waitErr.Plan, outcomes); len(lines) > 0 {
		b.WriteString("\nOffers the scheduler evaluated for the waiting steps:\n")
		for _, l := range lines {
			b.WriteString("  " + l + "\n")
		}
	}
	return strings.TrimRight(b.String(), "\n")
}

// describePending lists the steps of a plan that are not complete, with
// their status and message.
func describePending(p api.Plan) string {
	var pending []string
	for _, st := range p.Steps() {
		if st.Status == api.StatusComplete {
			continue
		}
		line := fmt.Sprintf("%s (%s)", st.Name, st.Status)
		if st.Message != "" {
			line += ": " + st.Message
		}
		pending = append(pending, line)
	}
	if len(pending) == 0 {
		return fmt.Sprintf("The plan's status is %s with no step left.", p.Status)
	}
	return fmt.Sprintf("The plan is %s; steps not complete:\n  %s", p.Status, strings.Join(pending, "\n  "))
}

// summarizeOutcomes counts the declined offer evaluations of each waiting
// step by the kind of reason ("insufficient mem"), with the number of
// distinct agents and one full reason as an example.
func summarizeOutcomes(p api.Plan, outcomes []api.OfferOutcome) []string {
	waiting := map[string]string{} // step name → pod
	var order []string
	for _, st := range p.Steps() {
		if st.Status != api.StatusComplete {
			waiting[st.Name] = st.Pod
			order = append(order, st.Name)
		}
	}
	type tally struct {
		agents  map[string]bool
		example string
	}
	byStep := map[string]map[string]*tally{}
	for _, o := range outcomes {
		if o.Passed || o.Reason == "" {
			continue
		}
		if _, ok := waiting[o.Step]; !ok {
			continue
		}
		kind, _, _ := strings.Cut(o.Reason, ":")
		if byStep[o.Step] == nil {
			byStep[o.Step] = map[string]*tally{}
		}
		t := byStep[o.Step][kind]
		if t == nil {
			t = &tally{agents: map[string]bool{}, example: o.Reason}
			byStep[o.Step][kind] = t
		}
		agent := o.AgentID
		if agent == "" {
			agent = o.Hostname
		}
		t.agents[agent] = true
	}
	var lines []string
	for _, step := range order {
		kinds := byStep[step]
		if len(kinds) == 0 {
			continue
		}
		names := make([]string, 0, len(kinds))
		for k := range kinds {
			names = append(names, k)
		}
		sort.Slice(names, func(i, j int) bool {
			if a, b := len(kinds[names[i]].agents), len(kinds[names[j]].agents); a != b {
				return a > b
			}
			return names[i] < names[j]
		})
		var parts []string
		for _, k := range names {
			t := kinds[k]
			parts = append(parts, fmt.Sprintf("%s on %d %s (%s)", k, len(t.agents), plural(len(t.agents), "agent", "agents"), t.example))
		}
		label := step
		if pod := waiting[step]; pod != "" {
			label = pod
		}
		lines = append(lines, fmt.Sprintf("%s: no offer fits: %s", label, strings.Join(parts, "; ")))
	}
	return lines
}
