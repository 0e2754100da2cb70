package devkafka

import (
	"context"
	"maps"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/kafka/admin/topicconfig"
	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/rollout"
)

// configEntry is one config as DescribeConfigs reports it.
type configEntry = kmsg.DescribeConfigsResponseResourceConfig

// topicConfigEntries lists a topic's configs the way Kafka does: the
// topic's own value (DYNAMIC_TOPIC_CONFIG), else the broker's
// server.properties value (STATIC_BROKER_CONFIG), else Kafka's default
// (DEFAULT_CONFIG). names limits the list; nil means every config. The
// entries a topic does not set are the broker's, made once (see
// topicDefaults), so describing thousands of topics costs little more than
// copying them.
func (b *Broker) topicConfigEntries(t *Topic, names []string, withSynonyms bool) []configEntry {
	return b.topicConfigEntriesWith(t, names, withSynonyms, nil)
}

// topicConfigEntriesWith is topicConfigEntries with the cluster-wide
// dynamic broker configs: a topic that does not set a config inherits the
// cluster-wide value (DYNAMIC_DEFAULT_BROKER_CONFIG) before the static one.
func (b *Broker) topicConfigEntriesWith(t *Topic, names []string, withSynonyms bool, clusterWide map[string]string) []configEntry {
	out := b.topicOwnEntries(t, names, withSynonyms)
	if len(clusterWide) == 0 {
		return out
	}
	for i := range out {
		e := &out[i]
		if e.Source == kmsg.ConfigSourceDynamicTopicConfig {
			continue
		}
		k, ok := topicconfig.Lookup(e.Name)
		if !ok || k.BrokerKey == "" {
			continue
		}
		v, ok := clusterWide[k.BrokerKey]
		if !ok {
			continue
		}
		dyn := synonym(k.BrokerKey, v, kmsg.ConfigSourceDynamicDefaultBrokerConfig)
		e.Value, e.Source, e.IsDefault = dyn.Value, dyn.Source, false
		if withSynonyms {
			e.ConfigSynonyms = append([]kmsg.DescribeConfigsResponseResourceConfigConfigSynonym{dyn}, e.ConfigSynonyms...)
		}
	}
	return out
}

func (b *Broker) topicOwnEntries(t *Topic, names []string, withSynonyms bool) []configEntry {
	d := b.topicDefaults()
	base := d.plain
	if withSynonyms {
		base = d.withSynonyms
	}
	var out []configEntry
	if names == nil {
		out = slices.Clone(base)
	} else {
		wanted := make(map[string]bool, len(names))
		for _, n := range names {
			wanted[n] = true
		}
		for _, e := range base {
			if wanted[e.Name] {
				out = append(out, e)
			}
		}
	}
	for k, v := range t.Configs {
		i, ok := d.index[k]
		if !ok {
			continue
		}
		if names != nil {
			if i = slices.IndexFunc(out, func(e configEntry) bool { return e.Name == k }); i < 0 {
				continue
			}
		}
		own := synonym(k, v, kmsg.ConfigSourceDynamicTopicConfig)
		e := &out[i]
		e.Value, e.Source, e.IsDefault = own.Value, own.Source, false
		if withSynonyms {
			e.ConfigSynonyms = append([]kmsg.DescribeConfigsResponseResourceConfigConfigSynonym{own}, e.ConfigSynonyms...)
		}
	}
	return out
}

// topicConfigDefaults are the config entries of a topic that sets nothing
// itself, in topicconfig order: from server.properties or Kafka's defaults.
// They never change while the broker runs, and are shared by every
// response: entries copied from them must not be modified in place.
type topicConfigDefaults struct {
	plain        []configEntry
	withSynonyms []configEntry
	index        map[string]int
}

func (b *Broker) topicDefaults() *topicConfigDefaults {
	b.topicDefaultsOnce.Do(func() {
		d := &topicConfigDefaults{index: map[string]int{}}
		for i, k := range topicconfig.Keys() {
			e := kmsg.NewDescribeConfigsResponseResourceConfig()
			e.Name = k.Name
			e.ConfigType = kmsg.ConfigType(k.Type)
			var synonyms []kmsg.DescribeConfigsResponseResourceConfigConfigSynonym
			if brokerKey, v, ok := brokerTopicDefault(b.cfg.Properties, k); ok {
				synonyms = append(synonyms, synonym(brokerKey, v, kmsg.ConfigSourceStaticBrokerConfig))
			}
			defaultKey := k.BrokerKey
			if defaultKey == "" {
				defaultKey = k.Name
			}
			synonyms = append(synonyms, synonym(defaultKey, k.Default, kmsg.ConfigSourceDefaultConfig))
			e.Value, e.Source = synonyms[0].Value, synonyms[0].Source
			e.IsDefault = e.Source == kmsg.ConfigSourceDefaultConfig
			d.plain = append(d.plain, e)
			e.ConfigSynonyms = synonyms
			d.withSynonyms = append(d.withSynonyms, e)
			d.index[k.Name] = i
		}
		b.topicDefaultsCache = d
	})
	return b.topicDefaultsCache
}

func synonym(name, value string, src kmsg.ConfigSource) kmsg.DescribeConfigsResponseResourceConfigConfigSynonym {
	s := kmsg.NewDescribeConfigsResponseResourceConfigConfigSynonym()
	v := value
	s.Name, s.Value, s.Source = name, &v, src
	return s
}

// brokerTopicDefault returns the server.properties value that is the
// default for topic config k, resolving the hour and minute forms Kafka
// accepts for the time-based ones.
func brokerTopicDefault(props map[string]string, k topicconfig.Key) (string, string, bool) {
	switch k.Name {
	case "retention.ms":
		if v, ok := retentionMs(props); ok {
			return "log.retention.ms", v, true
		}
		return "", "", false
	case "segment.ms":
		if v, ok := timeProperty(props, "log.roll.ms", "", 0, "log.roll.hours", 3_600_000); ok {
			return "log.roll.ms", v, true
		}
		return "", "", false
	case "segment.jitter.ms":
		if v, ok := timeProperty(props, "log.roll.jitter.ms", "", 0, "log.roll.jitter.hours", 3_600_000); ok {
			return "log.roll.jitter.ms", v, true
		}
		return "", "", false
	}
	if k.BrokerKey == "" {
		return "", "", false
	}
	v, ok := props[k.BrokerKey]
	if !ok || strings.TrimSpace(v) == "" {
		return "", "", false
	}
	return k.BrokerKey, strings.TrimSpace(v), true
}

func (b *Broker) handleDescribeConfigs(v *view, r *kmsg.DescribeConfigsRequest) kmsg.Response {
	resp := r.ResponseKind().(*kmsg.DescribeConfigsResponse)
	for _, res := range r.Resources {
		rr := kmsg.NewDescribeConfigsResponseResource()
		rr.ResourceType, rr.ResourceName = res.ResourceType, res.ResourceName
		var e *kafkaError
		switch res.ResourceType {
		case kmsg.ConfigResourceTypeTopic:
			t := v.state.Topics[res.ResourceName]
			if t == nil {
				e = failf(kerr.UnknownTopicOrPartition, "Topic %s does not exist.", res.ResourceName)
				break
			}
			rr.Configs = b.topicConfigEntriesWith(t, res.ConfigNames, r.IncludeSynonyms, v.state.BrokerDefaults)
		case kmsg.ConfigResourceTypeBroker:
			if e = b.checkBrokerResource(res.ResourceName); e == nil {
				if res.ResourceName == "" {
					rr.Configs = clusterWideEntries(v.state.BrokerDefaults, res.ConfigNames)
				} else {
					rr.Configs = b.brokerConfigEntries(res.ConfigNames, r.IncludeSynonyms, v.state.BrokerDefaults)
				}
			}
		default:
			e = failf(kerr.InvalidRequest, "The dev stand-in describes TOPIC and BROKER configs only, not %v.", res.ResourceType)
		}
		rr.ErrorCode, rr.ErrorMessage = e.code(), e.message()
		resp.Resources = append(resp.Resources, rr)
	}
	return resp
}

// checkBrokerResource accepts this broker's id, or "" for the cluster-wide
// dynamic defaults.
func (b *Broker) checkBrokerResource(name string) *kafkaError {
	if name == "" || name == strconv.Itoa(int(b.cfg.BrokerID)) {
		return nil
	}
	return failf(kerr.InvalidRequest, "Unexpected broker id, expected %d or empty string, but received %s.", b.cfg.BrokerID, name)
}

// brokerConfigEntries lists server.properties as static broker config;
// values of sensitive keys are withheld, as Kafka does.
//
// A cluster-wide dynamic config (BROKER "") overrides the static value, as
// in Kafka: it is listed with source DYNAMIC_DEFAULT_BROKER_CONFIG, the
// static value (if any) as its synonym.
func (b *Broker) brokerConfigEntries(names []string, withSynonyms bool, clusterWide map[string]string) []configEntry {
	keys := make([]string, 0, len(b.cfg.Properties)+len(clusterWide))
	for k := range b.cfg.Properties {
		keys = append(keys, k)
	}
	for k := range clusterWide {
		if _, static := b.cfg.Properties[k]; !static {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	wanted := map[string]bool{}
	for _, n := range names {
		wanted[n] = true
	}
	var out []configEntry
	for _, k := range keys {
		if names != nil && !wanted[k] {
			continue
		}
		e := kmsg.NewDescribeConfigsResponseResourceConfig()
		e.Name, e.Source, e.ReadOnly = k, kmsg.ConfigSourceStaticBrokerConfig, true
		e.ConfigType = kmsg.ConfigTypeString
		if sensitiveKey(k) {
			e.IsSensitive = true
		} else {
			v := b.cfg.Properties[k]
			e.Value = &v
		}
		if withSynonyms {
			if _, static := b.cfg.Properties[k]; static {
				s := kmsg.NewDescribeConfigsResponseResourceConfigConfigSynonym()
				s.Name, s.Value, s.Source = k, e.Value, e.Source
				e.ConfigSynonyms = append(e.ConfigSynonyms, s)
			}
		}
		if v, ok := clusterWide[k]; ok {
			dyn := synonym(k, v, kmsg.ConfigSourceDynamicDefaultBrokerConfig)
			e.Source, e.ReadOnly, e.IsSensitive = dyn.Source, false, sensitiveKey(k)
			if !e.IsSensitive {
				e.Value = dyn.Value
			} else {
				e.Value = nil
			}
			if withSynonyms {
				e.ConfigSynonyms = append([]kmsg.DescribeConfigsResponseResourceConfigConfigSynonym{dyn}, e.ConfigSynonyms...)
			}
		}
		out = append(out, e)
	}
	return out
}

// clusterWideEntries lists the cluster-wide dynamic broker configs, as
// Kafka answers DescribeConfigs on BROKER "".
func clusterWideEntries(clusterWide map[string]string, names []string) []configEntry {
	keys := make([]string, 0, len(clusterWide))
	for k := range clusterWide {
		if names == nil || slices.Contains(names, k) {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	out := make([]configEntry, 0, len(keys))
	for _, k := range keys {
		e := kmsg.NewDescribeConfigsResponseResourceConfig()
		e.Name, e.Source, e.ConfigType = k, kmsg.ConfigSourceDynamicDefaultBrokerConfig, kmsg.ConfigTypeString
		if sensitiveKey(k) {
			e.IsSensitive = true
		} else {
			v := clusterWide[k]
			e.Value = &v
		}
		out = append(out, e)
	}
	return out
}

func sensitiveKey(k string) bool {
	k = strings.ToLower(k)
	for _, part := range []string{"password", "secret", "jaas", "credential", "token"} {
		if strings.Contains(k, part) {
			return true
		}
	}
	return false
}

var errPerBrokerConfig = failf(kerr.InvalidRequest,
	"The dev stand-in has no per-broker dynamic configs: change the property cluster-wide (BROKER \"\") or in server.properties (kafka.server_properties) and restart the broker.")

// handleAlterConfigs replaces topic configs wholesale (the legacy
// AlterConfigs semantics).
func (b *Broker) handleAlterConfigs(ctx context.Context, v *view, r *kmsg.AlterConfigsRequest) kmsg.Response {
	resp := r.ResponseKind().(*kmsg.AlterConfigsResponse)
	changes := make([]func(*Topic), len(r.Resources))
	results := make([]*kafkaError, len(r.Resources))
	for i, res := range r.Resources {
		next := map[string]string{}
		for _, c := range res.Configs {
			if c.Value != nil {
				next[c.Name] = *c.Value
			}
		}
		changes[i], results[i] = b.planConfigChange(v, res.ResourceType, res.ResourceName, uniqueNames(res.Configs, func(c kmsg.AlterConfigsRequestResourceConfig) string { return c.Name }),
			func(map[string]string) (map[string]string, *kafkaError) { return next, nil })
	}
	b.applyConfigChanges(ctx, r.ValidateOnly, func(i int) string { return r.Resources[i].ResourceName }, changes, results)
	for i, res := range r.Resources {
		rr := kmsg.NewAlterConfigsResponseResource()
		rr.ResourceType, rr.ResourceName = res.ResourceType, res.ResourceName
		rr.ErrorCode, rr.ErrorMessage = results[i].code(), results[i].message()
		resp.Resources = append(resp.Resources, rr)
	}
	return resp
}

// handleIncrementalAlterConfigs applies SET, DELETE, APPEND and SUBTRACT to
// topic configs.
func (b *Broker) handleIncrementalAlterConfigs(ctx context.Context, v *view, r *kmsg.IncrementalAlterConfigsRequest) kmsg.Response {
	resp := r.ResponseKind().(*kmsg.IncrementalAlterConfigsResponse)
	changes := make([]func(*Topic), len(r.Resources))
	results := make([]*kafkaError, len(r.Resources))
	for i, res := range r.Resources {
		ops := res.Configs
		if res.ResourceType == kmsg.ConfigResourceTypeBroker && res.ResourceName == "" {
			results[i] = b.alterClusterWide(ctx, ops, r.ValidateOnly)
			continue
		}
		changes[i], results[i] = b.planConfigChange(v, res.ResourceType, res.ResourceName, uniqueNames(ops, func(c kmsg.IncrementalAlterConfigsRequestResourceConfig) string { return c.Name }),
			func(cur map[string]string) (map[string]string, *kafkaError) { return applyIncremental(cur, ops) })
	}
	b.applyConfigChanges(ctx, r.ValidateOnly, func(i int) string { return r.Resources[i].ResourceName }, changes, results)
	for i, res := range r.Resources {
		rr := kmsg.NewIncrementalAlterConfigsResponseResource()
		rr.ResourceType, rr.ResourceName = res.ResourceType, res.ResourceName
		rr.ErrorCode, rr.ErrorMessage = results[i].code(), results[i].message()
		resp.Resources = append(resp.Resources, rr)
	}
	return resp
}

func uniqueNames[T any](items []T, name func(T) string) bool {
	seen := map[string]bool{}
	for _, it := range items {
		if seen[name(it)] {
			return false
		}
		seen[name(it)] = true
	}
	return true
}

// planConfigChange validates one resource's change and returns the change
// to apply to the topic in the registry.
func (b *Broker) planConfigChange(v *view, typ kmsg.ConfigResourceType, name string, unique bool,
	next func(map[string]string) (map[string]string, *kafkaError)) (func(*Topic), *kafkaError) {
	switch typ {
	case kmsg.ConfigResourceTypeTopic:
	case kmsg.ConfigResourceTypeBroker:
		if e := b.checkBrokerResource(name); e != nil {
			return nil, e
		}
		return nil, errPerBrokerConfig
	default:
		return nil, failf(kerr.InvalidRequest, "The dev stand-in alters TOPIC configs only, not %v.", typ)
	}
	if !unique {
		return nil, failf(kerr.InvalidRequest, "Error due to duplicate config keys.")
	}
	t := v.state.Topics[name]
	if t == nil {
		return nil, failf(kerr.UnknownTopicOrPartition, "Topic %s does not exist.", name)
	}
	cfg, e := next(copyMap(t.Configs))
	if e != nil {
		return nil, e
	}
	if e := validateTopicConfigs(cfg); e != nil {
		return nil, e
	}
	return func(t *Topic) { t.Configs = cfg }, nil
}

func applyIncremental(cur map[string]string, ops []kmsg.IncrementalAlterConfigsRequestResourceConfig) (map[string]string, *kafkaError) {
	for _, op := range ops {
		k, known := topicconfig.Lookup(op.Name)
		if !known {
			return nil, failf(kerr.InvalidConfig, "Unknown topic config name: %s.", op.Name)
		}
		switch op.Op {
		case kmsg.IncrementalAlterConfigOpSet:
			if op.Value == nil {
				return nil, failf(kerr.InvalidRequest, "Null value not supported for SET of %s.", op.Name)
			}
			cur[op.Name] = *op.Value
		case kmsg.IncrementalAlterConfigOpDelete:
			delete(cur, op.Name)
		case kmsg.IncrementalAlterConfigOpAppend, kmsg.IncrementalAlterConfigOpSubtract:
			if !k.IsList() {
				return nil, failf(kerr.InvalidConfig, "Config value append/subtract is not allowed for config key %s: it is not a list.", op.Name)
			}
			if op.Value == nil {
				return nil, failf(kerr.InvalidRequest, "Null value not supported for %v of %s.", op.Op, op.Name)
			}
			cur[op.Name] = editList(cur[op.Name], k.Default, *op.Value, op.Op == kmsg.IncrementalAlterConfigOpAppend)
		default:
			return nil, failf(kerr.InvalidRequest, "Unknown config operation %d for %s.", op.Op, op.Name)
		}
	}
	return cur, nil
}

// editList appends or removes the items of value in a comma list (Kafka
// starts from the current value, or the default when unset).
func editList(current, def, value string, appendItems bool) string {
	if current == "" {
		current = def
	}
	var items []string
	for _, s := range strings.Split(current, ",") {
		if s = strings.TrimSpace(s); s != "" {
			items = append(items, s)
		}
	}
	for _, s := range strings.Split(value, ",") {
		s = strings.TrimSpace(s)
		if s == "" {
			continue
		}
		idx := -1
		for i, it := range items {
			if it == s {
				idx = i
			}
		}
		switch {
		case appendItems && idx < 0:
			items = append(items, s)
		case !appendItems && idx >= 0:
			items = append(items[:idx], items[idx+1:]...)
		}
	}
	return strings.Join(items, ",")
}

// applyConfigChanges writes every valid change in one registry update,
// unless validateOnly.
func (b *Broker) applyConfigChanges(ctx context.Context, validateOnly bool, name func(int) string, changes []func(*Topic), results []*kafkaError) {
	if validateOnly {
		return
	}
	pending := 0
	for i := range changes {
		if results[i] == nil && changes[i] != nil {
			pending++
		}
	}
	if pending == 0 {
		return
	}
	gone := map[int]bool{}
	_, err := b.reg.Update(ctx, func(x *Txn) error {
		for i, change := range changes {
			if results[i] != nil || change == nil {
				continue
			}
			t := x.Topic(name(i))
			if t == nil {
				gone[i] = true
				continue
			}
			nt := t.clone()
			change(nt)
			x.Put(name(i), nt)
		}
		return nil
	})
	for i := range changes {
		if results[i] != nil || changes[i] == nil {
			continue
		}
		switch {
		case err != nil:
			results[i] = failf(kerr.UnknownServerError, "Recording the configs in the cluster registry failed: %v", err)
		case gone[i]:
			results[i] = failf(kerr.UnknownTopicOrPartition, "Topic %s was deleted meanwhile.", name(i))
		default:
			b.log.Info("changed topic configs", "topic", name(i))
		}
	}
}

func copyMap(m map[string]string) map[string]string {
	out := make(map[string]string, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

// alterClusterWide applies SET and DELETE to the cluster-wide dynamic
// broker configs (BROKER ""), recorded in the registry so that every
// broker reports them and they outlive broker restarts. Only properties
// whose Kafka dynamic update mode is cluster-wide are accepted
// (rollout.IsClusterWide, the list the scheduler decides by), as Kafka
// refuses the others. The stand-in records and reports them; kfake does
// not act on them (see the package documentation).
func (b *Broker) alterClusterWide(ctx context.Context, ops []kmsg.IncrementalAlterConfigsRequestResourceConfig, validateOnly bool) *kafkaError {
	if !uniqueNames(ops, func(c kmsg.IncrementalAlterConfigsRequestResourceConfig) string { return c.Name }) {
		return failf(kerr.InvalidRequest, "Error due to duplicate config keys.")
	}
	var notDynamic []string
	for _, op := range ops {
		if !rollout.IsClusterWide(op.Name) {
			notDynamic = append(notDynamic, op.Name)
			continue
		}
		switch op.Op {
		case kmsg.IncrementalAlterConfigOpSet:
			if op.Value == nil {
				return failf(kerr.InvalidRequest, "Null value not supported for SET of %s.", op.Name)
			}
		case kmsg.IncrementalAlterConfigOpDelete:
		default:
			return failf(kerr.InvalidRequest, "The dev stand-in supports SET and DELETE of cluster-wide broker configs, not operation %d for %s.", op.Op, op.Name)
		}
	}
	if len(notDynamic) > 0 {
		return failf(kerr.InvalidRequest, "Cannot update these configs dynamically cluster-wide: %v", notDynamic)
	}
	if validateOnly {
		return nil
	}
	_, err := b.reg.Update(ctx, func(x *Txn) error {
		next := maps.Clone(x.BrokerDefaults())
		if next == nil {
			next = map[string]string{}
		}
		for _, op := range ops {
			if op.Op == kmsg.IncrementalAlterConfigOpSet {
				next[op.Name] = *op.Value
			} else {
				delete(next, op.Name)
			}
		}
		x.SetBrokerDefaults(next)
		return nil
	})
	if err != nil {
		return failf(kerr.UnknownServerError, "Recording the cluster-wide broker configs in the cluster registry failed: %v", err)
	}
	b.log.Info("changed cluster-wide broker configs", "keys", len(ops))
	return nil
}
