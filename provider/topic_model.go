package provider

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/hashicorp/terraform-plugin-framework-timeouts/resource/timeouts"
	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/api"
	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/kafka/admin/topicconfig"
)

// topicModel is a kafka_topic in a configuration, plan or state.
type topicModel struct {
	ID                types.String   `tfsdk:"id"`
	Cluster           types.String   `tfsdk:"cluster"`
	Name              types.String   `tfsdk:"name"`
	Partitions        types.Int64    `tfsdk:"partitions"`
	ReplicationFactor types.Int64    `tfsdk:"replication_factor"`
	Config            types.Map      `tfsdk:"config"`
	TopicID           types.String   `tfsdk:"topic_id"`
	Timeouts          timeouts.Value `tfsdk:"timeouts"`
}

// topicID is the resource id and import id: "<cluster>/<topic>". Cluster
// names may hold '/' (folders), topic names never do.
func topicID(cluster, name string) string { return cluster + "/" + name }

// splitTopicID splits an import id at its last '/'.
func splitTopicID(id string) (cluster, name string, err error) {
	i := strings.LastIndex(id, "/")
	if i <= 0 || i == len(id)-1 {
		return "", "", fmt.Errorf("the import id %q is not <cluster>/<topic>: import a kafka_topic as, for example, "+
			"terraform import kafka_topic.events prod/kafka/events (cluster prod/kafka, topic events)", id)
	}
	return id[:i], id[i+1:], nil
}

// attrs pairs each attribute but timeouts with its field.
func (m *topicModel) attrs() []struct {
	name string
	ptr  any
} {
	return []struct {
		name string
		ptr  any
	}{
		{"id", &m.ID}, {"cluster", &m.Cluster}, {"name", &m.Name}, {"partitions", &m.Partitions},
		{"replication_factor", &m.ReplicationFactor}, {"config", &m.Config}, {"topic_id", &m.TopicID},
	}
}

// readAttrs reads every attribute but timeouts with get (a State's or
// Plan's GetAttribute), which costs far less than decoding the whole
// model through reflection.
func (m *topicModel) readAttrs(ctx context.Context, get func(context.Context, path.Path, any) diag.Diagnostics) diag.Diagnostics {
	var diags diag.Diagnostics
	for _, a := range m.attrs() {
		diags.Append(get(ctx, path.Root(a.name), a.ptr)...)
	}
	return diags
}

// writeChanged writes with set (a State's SetAttribute) each attribute but
// timeouts whose value differs from old's.
func (m *topicModel) writeChanged(ctx context.Context, old topicModel, set func(context.Context, path.Path, any) diag.Diagnostics) diag.Diagnostics {
	var diags diag.Diagnostics
	for _, a := range []struct {
		name     string
		now, was attr.Value
	}{
		{"id", m.ID, old.ID}, {"cluster", m.Cluster, old.Cluster}, {"name", m.Name, old.Name},
		{"partitions", m.Partitions, old.Partitions}, {"replication_factor", m.ReplicationFactor, old.ReplicationFactor},
		{"config", m.Config, old.Config}, {"topic_id", m.TopicID, old.TopicID},
	} {
		if !a.now.Equal(a.was) {
			diags.Append(set(ctx, path.Root(a.name), a.now)...)
		}
	}
	return diags
}

// fill sets everything the scheduler reports. Config keeps the keys the
// topic has set on itself (never broker defaults: the API reports only
// DYNAMIC_TOPIC_CONFIG entries), so that a key set outside Terraform shows
// as drift; a value that differs from the state's only by surrounding
// white space keeps the state's spelling.
func (m *topicModel) fill(ctx context.Context, cluster string, t api.Topic) diag.Diagnostics {
	m.ID = types.StringValue(topicID(cluster, t.Name))
	m.Cluster = types.StringValue(cluster)
	m.Name = types.StringValue(t.Name)
	m.Partitions = types.Int64Value(int64(t.Partitions))
	m.ReplicationFactor = types.Int64Value(int64(t.ReplicationFactor))
	m.TopicID = types.StringValue(t.ID)
	prior := stringMap(ctx, m.Config)
	if len(t.Configs) == 0 && m.Config.IsNull() {
		return nil // no config set, none in the configuration
	}
	values := make(map[string]attr.Value, len(t.Configs))
	for k, v := range t.Configs {
		if p, ok := prior[k]; ok && strings.TrimSpace(p) == strings.TrimSpace(v) {
			v = p
		}
		values[k] = types.StringValue(v)
	}
	var diags diag.Diagnostics
	m.Config, diags = types.MapValue(types.StringType, values)
	return diags
}

// stringMap is a known map(string)'s entries (nil for null or unknown;
// unknown values are left out).
func stringMap(_ context.Context, m types.Map) map[string]string {
	if m.IsNull() || m.IsUnknown() {
		return nil
	}
	out := make(map[string]string, len(m.Elements()))
	for k, v := range m.Elements() {
		if s, ok := v.(types.String); ok && !s.IsUnknown() && !s.IsNull() {
			out[k] = s.ValueString()
		}
	}
	return out
}

// configChange is what turns the state's configs into the plan's: keys to
// set and keys to reset to the cluster default.
func configChange(state, plan map[string]string) api.TopicConfigUpdate {
	var u api.TopicConfigUpdate
	for k, v := range plan {
		if old, ok := state[k]; !ok || old != v {
			if u.Set == nil {
				u.Set = map[string]string{}
			}
			u.Set[k] = v
		}
	}
	for k := range state {
		if _, ok := plan[k]; !ok {
			u.Reset = append(u.Reset, k)
		}
	}
	sort.Strings(u.Reset)
	return u
}

// validateTopicConfig reports every problem with a configuration's config
// map, with the scheduler's own rules (package topicconfig): unknown keys,
// broker properties given as topic configs, read-only keys and bad values.
// Unknown values are checked at apply.
func validateTopicConfig(ctx context.Context, m types.Map) diag.Diagnostics {
	var diags diag.Diagnostics
	cfg := stringMap(ctx, m)
	problems := append(topicconfig.Validate(cfg), topicconfig.CheckSettable(cfg)...)
	for _, p := range problems {
		diags.AddAttributeError(path.Root("config").AtMapKey(p.Key), "Invalid topic config",
			fmt.Sprintf("config %q = %q %s.", p.Key, p.Value, p.Rule))
	}
	return diags
}

// validateTopicName reports a name Kafka would refuse.
func validateTopicName(name types.String) diag.Diagnostics {
	var diags diag.Diagnostics
	if name.IsNull() || name.IsUnknown() {
		return diags
	}
	if rule := topicconfig.NameRule(name.ValueString()); rule != "" {
		diags.AddAttributeError(path.Root("name"), "Invalid topic name",
			fmt.Sprintf("The topic name %q is not valid: a topic name %s.", name.ValueString(), rule))
	}
	return diags
}
