package provider

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/hashicorp/terraform-plugin-framework-timeouts/resource/timeouts"
	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/api"
)

// clusterModel is kafka_cluster's state, plan and configuration.
type clusterModel struct {
	ID                  types.String   `tfsdk:"id"`
	Name                types.String   `tfsdk:"name"`
	PlacementConstraint types.String   `tfsdk:"placement_constraint"`
	PlacementStrategy   types.String   `tfsdk:"placement_strategy"`
	DeployStrategy      types.String   `tfsdk:"deploy_strategy"`
	UpdateStrategy      types.String   `tfsdk:"update_strategy"`
	User                types.String   `tfsdk:"user"`
	Region              types.String   `tfsdk:"region"`
	Brokers             types.Object   `tfsdk:"brokers"`
	ReadinessCheck      types.Object   `tfsdk:"readiness_check"`
	HealthCheck         types.Object   `tfsdk:"health_check"`
	ServerProperties    types.Map      `tfsdk:"server_properties"`
	Timeouts            timeouts.Value `tfsdk:"timeouts"`
	ConfigID            types.String   `tfsdk:"config_id"`
	FrameworkID         types.String   `tfsdk:"framework_id"`
	BootstrapServers    types.String   `tfsdk:"bootstrap_servers"`
	BrokerAddresses     types.List     `tfsdk:"broker_addresses"`
	BrokerDNS           types.List     `tfsdk:"broker_dns"`
	VIP                 types.String   `tfsdk:"vip"`
	ZookeeperConnect    types.String   `tfsdk:"zookeeper_connect"`
}

// clusterDataModel is the kafka_cluster data source.
type clusterDataModel struct {
	ID                  types.String `tfsdk:"id"`
	Name                types.String `tfsdk:"name"`
	PlacementConstraint types.String `tfsdk:"placement_constraint"`
	PlacementStrategy   types.String `tfsdk:"placement_strategy"`
	DeployStrategy      types.String `tfsdk:"deploy_strategy"`
	UpdateStrategy      types.String `tfsdk:"update_strategy"`
	User                types.String `tfsdk:"user"`
	Region              types.String `tfsdk:"region"`
	Brokers             types.Object `tfsdk:"brokers"`
	ReadinessCheck      types.Object `tfsdk:"readiness_check"`
	HealthCheck         types.Object `tfsdk:"health_check"`
	ServerProperties    types.Map    `tfsdk:"server_properties"`
	ConfigID            types.String `tfsdk:"config_id"`
	FrameworkID         types.String `tfsdk:"framework_id"`
	BootstrapServers    types.String `tfsdk:"bootstrap_servers"`
	BrokerAddresses     types.List   `tfsdk:"broker_addresses"`
	BrokerDNS           types.List   `tfsdk:"broker_dns"`
	VIP                 types.String `tfsdk:"vip"`
	ZookeeperConnect    types.String `tfsdk:"zookeeper_connect"`
	Status              types.String `tfsdk:"status"`
}

// settings is the settable part of a cluster: every leaf's value by its
// attribute address ("brokers.mem"), plus server_properties.
type settings struct {
	values           map[string]attr.Value
	serverProperties types.Map
}

// topLevel returns the model's field for a top-level leaf.
func (m *clusterModel) topLevel(name string) *types.String {
	switch name {
	case "placement_constraint":
		return &m.PlacementConstraint
	case "placement_strategy":
		return &m.PlacementStrategy
	case "deploy_strategy":
		return &m.DeployStrategy
	case "update_strategy":
		return &m.UpdateStrategy
	case "user":
		return &m.User
	case "region":
		return &m.Region
	}
	panic("no top-level setting " + name)
}

// group returns the model's field for a nested group.
func (m *clusterModel) group(name string) *types.Object {
	switch name {
	case groupBrokers:
		return &m.Brokers
	case groupReadiness:
		return &m.ReadinessCheck
	case groupHealth:
		return &m.HealthCheck
	}
	panic("no group " + name)
}

// settings flattens the model's settings. A leaf of a null group is null;
// of an unknown group, unknown.
func (m *clusterModel) settings() settings {
	s := settings{values: map[string]attr.Value{}, serverProperties: m.ServerProperties}
	for _, l := range leaves {
		if l.group == "" {
			s.values[l.attr()] = *m.topLevel(l.name)
			continue
		}
		obj := *m.group(l.group)
		switch {
		case obj.IsUnknown():
			s.values[l.attr()] = unknownOf(l.typ)
		case obj.IsNull():
			s.values[l.attr()] = nullOf(l.typ)
		default:
			s.values[l.attr()] = obj.Attributes()[l.name]
		}
	}
	return s
}

// setSettings writes s into the model.
func (m *clusterModel) setSettings(s settings) diag.Diagnostics {
	var diags diag.Diagnostics
	for _, l := range leaves {
		if l.group == "" {
			*m.topLevel(l.name) = s.values[l.attr()].(types.String)
		}
	}
	for _, g := range groups {
		vals := map[string]attr.Value{}
		for _, l := range leaves {
			if l.group == g {
				vals[l.name] = s.values[l.attr()]
			}
		}
		obj, d := types.ObjectValue(groupAttrTypes(g), vals)
		diags.Append(d...)
		*m.group(g) = obj
	}
	m.ServerProperties = s.serverProperties
	return diags
}

func nullOf(t attr.Type) attr.Value {
	switch t {
	case types.StringType:
		return types.StringNull()
	case types.Int64Type:
		return types.Int64Null()
	case types.Float64Type:
		return types.Float64Null()
	case types.BoolType:
		return types.BoolNull()
	}
	panic("unsupported type " + t.String())
}

func unknownOf(t attr.Type) attr.Value {
	switch t {
	case types.StringType:
		return types.StringUnknown()
	case types.Int64Type:
		return types.Int64Unknown()
	case types.Float64Type:
		return types.Float64Unknown()
	case types.BoolType:
		return types.BoolUnknown()
	}
	panic("unsupported type " + t.String())
}

// optionsJSON renders the options to send to the scheduler (the DC/OS
// service/brokers/kafka shape) from the configuration and the plan: a
// configured value as configured; a setting the configuration leaves out
// as the plan has it (the value kept from state), or not at all when the
// plan leaves it to the scheduler (unknown: its default at install).
// unknown lists the configured settings whose value is not known yet
// (they depend on other resources), which only happens at plan time.
func optionsJSON(config, plan settings) (options json.RawMessage, unknown []string) {
	root := map[string]any{}
	for _, l := range leaves {
		c, p := config.values[l.attr()], plan.values[l.attr()]
		switch {
		case c.IsUnknown():
			unknown = append(unknown, l.attr())
		case !c.IsNull():
			setPath(root, l.option, jsonValue(c))
		case p != nil && !p.IsNull() && !p.IsUnknown():
			setPath(root, l.option, jsonValue(p))
		}
	}
	props := config.serverProperties
	if props.IsNull() {
		props = plan.serverProperties
		if props.IsUnknown() {
			props = types.MapNull(types.StringType)
		}
	}
	switch {
	case props.IsUnknown():
		unknown = append(unknown, "server_properties")
	case !props.IsNull():
		m := map[string]any{}
		for k, v := range props.Elements() {
			if v.IsUnknown() {
				unknown = append(unknown, fmt.Sprintf("server_properties[%q]", k))
				continue
			}
			m[k] = v.(types.String).ValueString()
		}
		setPath(root, serverPropertiesOption, m)
	}
	data, err := json.Marshal(root)
	if err != nil {
		panic(err) // only maps, strings, numbers and bools
	}
	return data, unknown
}

func setPath(root map[string]any, p []string, v any) {
	m := root
	for _, k := range p[:len(p)-1] {
		next, ok := m[k].(map[string]any)
		if !ok {
			next = map[string]any{}
			m[k] = next
		}
		m = next
	}
	m[p[len(p)-1]] = v
}

func jsonValue(v attr.Value) any {
	switch v := v.(type) {
	case types.String:
		return v.ValueString()
	case types.Int64:
		return v.ValueInt64()
	case types.Float64:
		return v.ValueFloat64()
	case types.Bool:
		return v.ValueBool()
	}
	panic(fmt.Sprintf("unsupported value %T", v))
}

// settingsFromOptions reads the scheduler's options (every default filled
// in) into settings. prior is the state or plan the read refreshes (empty
// for an import or a data source): an option the scheduler reports as ""
// stays "" only where prior had "", and is null otherwise, so that unset
// optional strings (region, java_uri) read back as unset.
func settingsFromOptions(options json.RawMessage, prior settings) (settings, error) {
	var root map[string]any
	dec := json.NewDecoder(bytes.NewReader(options))
	dec.UseNumber()
	if err := dec.Decode(&root); err != nil {
		return settings{}, fmt.Errorf("decoding the service's options: %w", err)
	}
	out := settings{values: map[string]attr.Value{}}
	for _, l := range leaves {
		raw, ok := lookupPath(root, l.option)
		if !ok || raw == nil {
			out.values[l.attr()] = nullOf(l.typ)
			continue
		}
		v, err := leafValue(l, raw)
		if err != nil {
			return settings{}, err
		}
		if s, isString := v.(types.String); isString && s.ValueString() == "" {
			if p, ok := prior.values[l.attr()].(types.String); !ok || p.IsNull() || p.IsUnknown() || p.ValueString() != "" {
				v = types.StringNull()
			}
		}
		out.values[l.attr()] = v
	}
	props := map[string]attr.Value{}
	if raw, ok := lookupPath(root, serverPropertiesOption); ok && raw != nil {
		m, ok := raw.(map[string]any)
		if !ok {
			return settings{}, fmt.Errorf("the service's kafka.server_properties is %T, want an object", raw)
		}
		for k, v := range m {
			str, ok := v.(string)
			if !ok {
				return settings{}, fmt.Errorf("the service's kafka.server_properties[%q] is %T, want a string", k, v)
			}
			props[k] = types.StringValue(str)
		}
	}
	if len(props) == 0 && (prior.serverProperties.IsNull() || prior.serverProperties.IsUnknown()) {
		out.serverProperties = types.MapNull(types.StringType)
	} else {
		out.serverProperties = types.MapValueMust(types.StringType, props)
	}
	return out, nil
}

func lookupPath(root map[string]any, p []string) (any, bool) {
	var cur any = root
	for _, k := range p {
		m, ok := cur.(map[string]any)
		if !ok {
			return nil, false
		}
		if cur, ok = m[k]; !ok {
			return nil, false
		}
	}
	return cur, true
}

func leafValue(l leaf, raw any) (attr.Value, error) {
	bad := func() (attr.Value, error) {
		return nil, fmt.Errorf("the service's option %s is %v, not a %s", strings.Join(l.option, "."), raw, l.typ)
	}
	switch l.typ {
	case types.StringType:
		s, ok := raw.(string)
		if !ok {
			return bad()
		}
		return types.StringValue(s), nil
	case types.BoolType:
		b, ok := raw.(bool)
		if !ok {
			return bad()
		}
		return types.BoolValue(b), nil
	case types.Int64Type:
		n, ok := raw.(json.Number)
		if !ok {
			return bad()
		}
		i, err := n.Int64()
		if err != nil {
			f, ferr := n.Float64()
			if ferr != nil || f != float64(int64(f)) {
				return bad()
			}
			i = int64(f)
		}
		return types.Int64Value(i), nil
	case types.Float64Type:
		n, ok := raw.(json.Number)
		if !ok {
			return bad()
		}
		f, err := n.Float64()
		if err != nil {
			return bad()
		}
		return types.Float64Value(f), nil
	}
	return bad()
}

// endpoints are the computed addresses of a cluster.
type endpoints struct {
	addresses, dns []string
	vip            string
	zookeeper      string
}

// readEndpoints reads the broker and zookeeper endpoints. Before the first
// broker runs a service may have none yet: that reads as empty.
func readEndpoints(ctx context.Context, c *api.Client, name string) (endpoints, error) {
	var out endpoints
	broker, err := c.Endpoint(ctx, name, "broker")
	switch {
	case api.IsNotFound(err):
	case err != nil:
		return out, fmt.Errorf("reading the broker endpoint of %s: %w", name, err)
	default:
		out.addresses, out.dns, out.vip = broker.Address, broker.DNS, broker.VIP
	}
	zk, err := c.EndpointText(ctx, name, "zookeeper")
	switch {
	case api.IsNotFound(err):
	case err != nil:
		return out, fmt.Errorf("reading the zookeeper endpoint of %s: %w", name, err)
	default:
		out.zookeeper = zk
	}
	return out, nil
}

func stringList(items []string) types.List {
	vals := make([]attr.Value, len(items))
	for i, s := range items {
		vals[i] = types.StringValue(s)
	}
	return types.ListValueMust(types.StringType, vals)
}

// fill writes what the scheduler reports into the model: settings (with
// prior's "" rule) and computed values.
func (m *clusterModel) fill(detail api.ServiceDetail, eps endpoints) diag.Diagnostics {
	var diags diag.Diagnostics
	s, err := settingsFromOptions(detail.Options, m.settings())
	if err != nil {
		diags.AddError("Unreadable service options", fmt.Sprintf("Reading service %s: %v", detail.Name, err))
		return diags
	}
	diags.Append(m.setSettings(s)...)
	m.ID = types.StringValue(detail.Name)
	m.Name = types.StringValue(detail.Name)
	m.ConfigID = types.StringValue(detail.ConfigID)
	m.FrameworkID = types.StringValue(detail.FrameworkID)
	m.BootstrapServers = types.StringValue(strings.Join(eps.addresses, ","))
	m.BrokerAddresses = stringList(eps.addresses)
	m.BrokerDNS = stringList(eps.dns)
	m.VIP = types.StringValue(eps.vip)
	m.ZookeeperConnect = types.StringValue(eps.zookeeper)
	return diags
}

// describeChanges lists the settings that differ between state and plan,
// as "brokers.mem: 2048 → 3072", in schema order. Values of
// server_properties keys that look secret are not shown.
func describeChanges(state, plan settings) []string {
	var out []string
	for _, l := range leaves {
		a, b := state.values[l.attr()], plan.values[l.attr()]
		if b.IsUnknown() || a.Equal(b) {
			continue
		}
		out = append(out, fmt.Sprintf("%s: %s → %s", l.attr(), showValue(a), showValue(b)))
	}
	if plan.serverProperties.IsUnknown() || plan.serverProperties.IsNull() {
		return out
	}
	before, after := map[string]attr.Value{}, plan.serverProperties.Elements()
	if !state.serverProperties.IsNull() && !state.serverProperties.IsUnknown() {
		before = state.serverProperties.Elements()
	}
	keys := map[string]bool{}
	for k := range before {
		keys[k] = true
	}
	for k := range after {
		keys[k] = true
	}
	sorted := make([]string, 0, len(keys))
	for k := range keys {
		sorted = append(sorted, k)
	}
	sort.Strings(sorted)
	for _, k := range sorted {
		a, hadA := before[k]
		b, hasB := after[k]
		if hadA && hasB && a.Equal(b) {
			continue
		}
		show := func(v attr.Value, ok bool) string {
			switch {
			case !ok:
				return "(unset)"
			case looksSecret(k):
				return "(sensitive)"
			}
			return showValue(v)
		}
		out = append(out, fmt.Sprintf("server_properties[%q]: %s → %s", k, show(a, hadA), show(b, hasB)))
	}
	return out
}

func showValue(v attr.Value) string {
	switch {
	case v == nil || v.IsNull():
		return "(unset)"
	case v.IsUnknown():
		return "(known after apply)"
	}
	switch v := v.(type) {
	case types.String:
		return strconv.Quote(v.ValueString())
	case types.Float64:
		return strconv.FormatFloat(v.ValueFloat64(), 'f', -1, 64)
	}
	return v.String()
}

// looksSecret is true for Kafka properties whose values must not be shown.
func looksSecret(key string) bool {
	k := strings.ToLower(key)
	for _, w := range []string{"password", "secret", "jaas", "credential", "token", "key"} {
		if strings.Contains(k, w) {
			return true
		}
	}
	return false
}
