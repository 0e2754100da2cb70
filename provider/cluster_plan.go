package provider

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/api"
)

// ModifyPlan makes the plan say what the apply will do. For an install or
// an update it asks the scheduler's preview (which changes nothing): what
// the scheduler would refuse becomes a plan-time error quoting its rule,
// and an update shows, in order, each broker the apply restarts or
// launches, with the changed settings and the strategy. Computed values
// stay known unless the change can move them. A plan with nothing to
// change is left as it is.
func (r *clusterResource) ModifyPlan(ctx context.Context, req resource.ModifyPlanRequest, resp *resource.ModifyPlanResponse) {
	if req.Plan.Raw.IsNull() {
		if !req.State.Raw.IsNull() {
			var state clusterModel
			resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
			resp.Diagnostics.AddWarning(fmt.Sprintf("Destroying Kafka cluster %s", state.Name.ValueString()),
				fmt.Sprintf("The apply uninstalls service %s: every broker is killed, its persistent volume and all its data are deleted, and its reservations are released.",
					state.Name.ValueString()))
		}
		return
	}
	var plan, config clusterModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	resp.Diagnostics.Append(req.Config.Get(ctx, &config)...)
	if resp.Diagnostics.HasError() {
		return
	}
	var state *clusterModel
	if !req.State.Raw.IsNull() {
		state = &clusterModel{}
		resp.Diagnostics.Append(req.State.Get(ctx, state)...)
		if resp.Diagnostics.HasError() {
			return
		}
	}
	if plan.Name.IsUnknown() {
		return
	}
	name := plan.Name.ValueString()
	replacing := state != nil && state.Name.ValueString() != name
	if replacing {
		resp.Diagnostics.AddAttributeWarning(path.Root("name"), "Renaming replaces the Kafka cluster: all data is lost",
			fmt.Sprintf("A service cannot be renamed: the apply uninstalls %s (every broker and all its data are deleted) and installs a new, empty %s.",
				state.Name.ValueString(), name))
	}

	if state != nil && !replacing {
		changes := describeChanges(state.settings(), plan.settings())
		if len(changes) == 0 {
			// Nothing the scheduler sees changes (at most timeouts): keep
			// every computed value, so the plan is empty or timeouts-only.
			plan.ConfigID = state.ConfigID
			plan.BootstrapServers, plan.BrokerAddresses, plan.BrokerDNS = state.BootstrapServers, state.BrokerAddresses, state.BrokerDNS
			resp.Diagnostics.Append(resp.Plan.Set(ctx, &plan)...)
			return
		}
		plan.ConfigID = types.StringUnknown()
		if leafChanged(state.settings(), plan.settings(), "brokers.count", "brokers.port") {
			plan.BootstrapServers = types.StringUnknown()
			plan.BrokerAddresses = types.ListUnknown(types.StringType)
			plan.BrokerDNS = types.ListUnknown(types.StringType)
		}
		resp.Diagnostics.Append(resp.Plan.Set(ctx, &plan)...)
		if resp.Diagnostics.HasError() {
			return
		}
		r.previewUpdate(ctx, *state, config, plan, changes, &resp.Diagnostics)
		return
	}
	r.previewInstall(ctx, config, plan, &resp.Diagnostics)
}

// previewInstall checks a new cluster with the scheduler: its options are
// valid, and no service of that name exists yet.
func (r *clusterResource) previewInstall(ctx context.Context, config, plan clusterModel, diags *diag.Diagnostics) {
	c, options, ok := r.previewable(config, plan, diags)
	if !ok {
		return
	}
	name := plan.Name.ValueString()
	preview, err := c.PreviewService(ctx, name, options)
	if err != nil && len(api.ProblemsOf(err)) > 0 {
		if _, gerr := c.GetService(ctx, name); gerr == nil {
			// The service exists, so the scheduler checked the options as
			// an update of it. This plan creates the cluster anew (it
			// replaces a tainted cluster, or clashes with one): what only
			// an update must respect does not apply.
			warnExists(diags, name)
			addRefusal(diags, name, withoutUpdateRules(err))
			return
		}
	}
	if err != nil {
		addRefusal(diags, name, err)
		return
	}
	if !preview.Install {
		warnExists(diags, name)
	}
}

// warnExists says that the cluster a plan creates already exists. It is a
// warning, not an error: a replacement (a tainted cluster, or -replace)
// plans its create while the old service still exists, and the apply
// uninstalls that first. A true name clash fails the apply's create, which
// checks again.
func warnExists(diags *diag.Diagnostics, name string) {
	diags.AddAttributeWarning(path.Root("name"), "A cluster of this name already exists",
		fmt.Sprintf("The scheduler already runs a service named %q. If this plan replaces that cluster, the apply uninstalls it first "+
			"(all its data is lost) and installs it anew. Otherwise the apply fails: to manage the existing cluster, import it with "+
			"terraform import <address of this kafka_cluster> %s", name, name))
}

// withoutUpdateRules drops the problems that only an update of a running
// cluster has (a fewer brokers, another disk, ...), or returns nil when
// no problem is left.
func withoutUpdateRules(err error) error {
	var e *api.Error
	if !errors.As(err, &e) {
		return err
	}
	kept := *e
	kept.Problems = nil
	for _, p := range e.Problems {
		if adviceFor(p.Field) == "" {
			kept.Problems = append(kept.Problems, p)
		}
	}
	if len(kept.Problems) == 0 {
		return nil
	}
	return &kept
}

// previewUpdate shows what the update will do, broker by broker.
func (r *clusterResource) previewUpdate(ctx context.Context, state, config, plan clusterModel, changes []string, diags *diag.Diagnostics) {
	c, options, ok := r.previewable(config, plan, diags)
	if !ok {
		return
	}
	name := plan.Name.ValueString()
	// The apply keeps the secrets bindings deliver (putKeepingSecrets), so
	// the preview does too: it must not show them going away.
	if detail, err := c.GetService(ctx, name); err == nil {
		if kept, err := withSecretsOf(options, detail.Options); err == nil {
			options = kept
		}
	}
	preview, err := c.PreviewService(ctx, name, options)
	if err != nil {
		addRefusal(diags, name, err)
		return
	}
	steps := previewSteps(preview, currentCount(state))
	summary, detail := renderPreview(name, previewStrategy(preview), preview.Notes, steps, changes)
	diags.AddWarning(summary, detail)
}

// previewable returns the client and the options to preview, or false
// (with a warning saying why) when the plan cannot be previewed.
func (r *clusterResource) previewable(config, plan clusterModel, diags *diag.Diagnostics) (*api.Client, []byte, bool) {
	if r.sched == nil || r.sched.Client == nil {
		diags.AddWarning("No preview from the scheduler", unknownEndpoint)
		return nil, nil, false
	}
	options, unknown := optionsJSON(config.settings(), plan.settings())
	if len(unknown) > 0 {
		diags.AddWarning("No preview from the scheduler",
			fmt.Sprintf("These settings are known only after apply, so the scheduler cannot preview or check the change yet: %s.", strings.Join(unknown, ", ")))
		return nil, nil, false
	}
	return r.sched.Client, options, true
}

// leafChanged is true when any of the named settings differs.
func leafChanged(state, plan settings, attrs ...string) bool {
	for _, a := range attrs {
		if p := plan.values[a]; p.IsUnknown() || !p.Equal(state.values[a]) {
			return true
		}
	}
	return false
}

// currentCount is the number of brokers the running cluster has, as far as
// the state knows (-1 when it does not).
func currentCount(state clusterModel) int {
	v, ok := state.settings().values["brokers.count"].(types.Int64)
	if !ok || v.IsNull() || v.IsUnknown() {
		return -1
	}
	return int(v.ValueInt64())
}

// brokerStep is one broker the apply will touch, in the order the
// scheduler's plan runs them.
type brokerStep struct {
	pod    string
	broker int
	// action is launch, restart or reconfigure.
	action string
	// changes are the broker's changed settings ("brokers.mem: 1024 → 1536").
	changes []string
	status  api.Status
}

// previewSteps lists the brokers the previewed change touches, in the
// plan's order (brokers reconfigured in place, which have no step, last).
// A scheduler whose preview has no per-broker list gets them read off the
// plan's steps.
func previewSteps(p api.Preview, count int) []brokerStep {
	if len(p.Brokers) == 0 {
		return brokerSteps(p.Plan, count)
	}
	bs := append([]api.BrokerPreview(nil), p.Brokers...)
	sort.SliceStable(bs, func(i, j int) bool {
		oi, oj := bs[i].Order, bs[j].Order
		if (oi == 0) != (oj == 0) {
			return oj == 0
		}
		if oi != oj {
			return oi < oj
		}
		return bs[i].Broker < bs[j].Broker
	})
	var out []brokerStep
	for _, b := range bs {
		if b.Action == api.ActionNone || b.Action == "" {
			continue
		}
		st := brokerStep{pod: b.Pod, broker: b.Broker, action: b.Action}
		for _, c := range b.Changes {
			st.changes = append(st.changes, fmt.Sprintf("%s: %s → %s", c.Field, orUnset(c.Old), orUnset(c.New)))
		}
		out = append(out, st)
	}
	return out
}

func orUnset(v string) string {
	if v == "" {
		return "(unset)"
	}
	return v
}

// previewStrategy is the strategy the brokers' phase runs with.
func previewStrategy(p api.Preview) string {
	if p.Strategy != "" {
		return p.Strategy
	}
	for _, ph := range p.Plan.Phases {
		if ph.Strategy != "" {
			return ph.Strategy
		}
	}
	return p.Plan.Strategy
}

// brokerSteps reads the brokers an older scheduler's preview touches off
// its plan: the steps that still have work, in plan order.
func brokerSteps(p api.Plan, count int) []brokerStep {
	var out []brokerStep
	for _, ph := range p.Phases {
		for _, st := range ph.Steps {
			if st.Status == api.StatusComplete || st.Broker == nil {
				continue
			}
			action := api.ActionRestart
			if count >= 0 && *st.Broker >= count {
				action = api.ActionLaunch
			}
			pod := st.Pod
			if pod == "" {
				pod = st.Name
			}
			out = append(out, brokerStep{pod: pod, broker: *st.Broker, action: action, status: st.Status})
		}
	}
	return out
}

// renderPreview is the plan's warning for an update.
func renderPreview(name, strategy string, notes []string, steps []brokerStep, changes []string) (summary, detail string) {
	var b strings.Builder
	b.WriteString("Changed settings:\n")
	for _, c := range changes {
		b.WriteString("  " + c + "\n")
	}
	counts := map[string]int{}
	for _, s := range steps {
		counts[s.action]++
	}
	if len(steps) == 0 {
		b.WriteString("\nThe scheduler's preview: no broker restarts or launches; the change applies to the configuration " +
			"(and to brokers launched or replaced later).")
		return fmt.Sprintf("Kafka cluster %s: the apply restarts no broker", name), b.String()
	}
	fmt.Fprintf(&b, "\nThe scheduler's preview of the update plan (strategy %s: %s), in order:\n", strategy, describeStrategy(strategy))
	for i, s := range steps {
		fmt.Fprintf(&b, "  %d. %s (broker %d): %s", i+1, s.pod, s.broker, s.action)
		if s.action == api.ActionReconfigure {
			b.WriteString(" in place, no restart")
		}
		if s.status != api.StatusPending && s.status != "" {
			fmt.Fprintf(&b, " [%s]", s.status)
		}
		if len(s.changes) > 0 {
			shown := s.changes
			if len(shown) > 3 {
				shown = append(shown[:3:3], fmt.Sprintf("and %d more", len(s.changes)-3))
			}
			b.WriteString(" (" + strings.Join(shown, "; ") + ")")
		}
		b.WriteString("\n")
	}
	b.WriteString("Brokers not listed keep running untouched. The apply waits for the whole plan within the update timeout.")
	for _, n := range notes {
		b.WriteString("\nNote: " + n + ".")
	}
	var parts []string
	for _, a := range []struct{ action, verb, adj string }{
		{api.ActionRestart, "restarts", ""},
		{api.ActionLaunch, "launches", "new "},
		{api.ActionReconfigure, "reconfigures in place", ""},
	} {
		if n := counts[a.action]; n > 0 {
			parts = append(parts, fmt.Sprintf("%s %d %s%s", a.verb, n, a.adj, plural(n, "broker", "brokers")))
		}
	}
	order := make([]string, len(steps))
	for i, s := range steps {
		order[i] = s.pod
	}
	return fmt.Sprintf("Kafka cluster %s: the apply %s (%s, %s)", name, strings.Join(parts, " and "), strategy, strings.Join(order, " → ")), b.String()
}

func describeStrategy(s string) string {
	switch s {
	case "serial":
		return "one broker at a time, each running and ready before the next"
	case "parallel":
		return "all at once"
	case "serial-canary":
		return "the first broker, then a wait for the plan's continue command, then the rest one at a time"
	case "parallel-canary":
		return "the first broker, then a wait for the plan's continue command, then the rest at once"
	}
	return "as the scheduler orders them"
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// addRefusal turns a refused preview into plan-time errors: one per
// problem, on the attribute it names when there is one, quoting the
// scheduler's rule and saying what to do. A nil err adds nothing.
func addRefusal(diags *diag.Diagnostics, name string, err error) {
	if err == nil {
		return
	}
	problems := api.ProblemsOf(err)
	if len(problems) == 0 {
		if api.IsConflict(err) {
			diags.AddError("The scheduler refuses the change", fmt.Sprintf("Service %s cannot take the change now: %v", name, err))
			return
		}
		diags.AddError("Cannot preview the change", fmt.Sprintf("Asking the scheduler to preview service %s: %v", name, err))
		return
	}
	for _, p := range problems {
		summary := "The scheduler refuses this configuration"
		detail := fmt.Sprintf("Service %s: %s.", name, problemText(p))
		if advice := adviceFor(p.Field); advice != "" {
			summary = "The running cluster cannot take this change"
			detail += " " + advice
		}
		if at, ok := attributePath(p.Field); ok {
			diags.AddAttributeError(at, summary, detail)
		} else {
			diags.AddError(summary, detail)
		}
	}
}

// problemText renders a problem as "brokers.count = 2: cannot decrease
// (from 3 to 2): brokers can only be added".
func problemText(p api.Problem) string {
	rule := strings.TrimSuffix(p.Rule, ".")
	if p.Value == "" {
		return p.Field + ": " + rule
	}
	return fmt.Sprintf("%s = %s: %s", p.Field, p.Value, rule)
}

// adviceFor says what to do about a change a running cluster refuses.
func adviceFor(field string) string {
	replace := "To get it, replace the cluster, which deletes every broker and ALL ITS DATA: terraform taint <address of this kafka_cluster>, then terraform apply. " +
		"(terraform apply -replace=<address> replaces the cluster too, but only with the settings it runs with now: " +
		"the plan checks a changed setting against the running cluster first.)"
	switch field {
	case "brokers.count":
		return "Keep the count, or create a new cluster with fewer brokers and move the data to it."
	case "brokers.disk", "brokers.disk_type", "brokers.disk_path":
		return "A broker's persistent volume cannot be resized, retyped or moved. " + replace
	case "service.placement_strategy", "service.user", "service.region", "kafka.kafka_zookeeper_uri":
		return "This setting is fixed at install. " + replace
	case "service.placement_constraint":
		return "Keep the constraint's use of @zone as it was at install, or replace the cluster. " + replace
	}
	return ""
}

// attributePath maps an options field of a problem ("brokers.heap.size",
// "kafka.server_properties.broker.id") to the attribute that sets it.
func attributePath(field string) (path.Path, bool) {
	if field == "service.name" {
		return path.Root("name"), true
	}
	if key, ok := strings.CutPrefix(field, strings.Join(serverPropertiesOption, ".")+"."); ok {
		return path.Root("server_properties").AtMapKey(key), true
	}
	if field == strings.Join(serverPropertiesOption, ".") {
		return path.Root("server_properties"), true
	}
	for _, l := range leaves {
		if strings.Join(l.option, ".") != field {
			continue
		}
		if l.group == "" {
			return path.Root(l.name), true
		}
		return path.Root(l.group).AtName(l.name), true
	}
	return path.Empty(), false
}
