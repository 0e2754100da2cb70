package rollout

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"sort"
	"strconv"

	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/kafka/brokerconfig"
	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/spec"
)

// Action is what one broker must do in an update.
type Action string

// The four actions (see the package doc).
const (
	None        Action = "none"
	Launch      Action = "launch"
	Restart     Action = "restart"
	Reconfigure Action = "reconfigure"
)

// Change is one changed setting: Field is the option's dotted name
// ("brokers.mem") or, for a Kafka property, "kafka.<property>" with the
// raw Kafka key ("kafka.log.retention.ms"). Old or New is "" when the
// setting was or becomes unset.
type Change struct {
	Field string `json:"field"`
	Old   string `json:"old"`
	New   string `json:"new"`
}

// Broker is the decision for one broker.
type Broker struct {
	ID     int    `json:"broker"`
	Pod    string `json:"pod"`
	Action Action `json:"action"`
	// Changes are the changed settings that decide the action (for a
	// launch: none).
	Changes []Change `json:"changes"`
}

// Property is one cluster-wide Kafka property to set on a running
// cluster; Value nil means "reset to the broker's static or default value".
type Property struct {
	Key   string
	Value *string
}

// Update is the decision for every broker of the next spec.
type Update struct {
	Brokers []Broker
	// Dynamic lists the cluster-wide properties to apply in place, sorted
	// by key; it is set whenever some broker's action is Reconfigure, and
	// also when brokers restart for other reasons (the roll renders the
	// new values, and the running brokers still need them).
	Dynamic []Property
}

// Actions counts the brokers per action.
func (u Update) Actions() map[Action]int {
	out := map[Action]int{}
	for _, b := range u.Brokers {
		out[b.Action]++
	}
	return out
}

// Classify decides what each broker of next must do when the service runs
// old. Brokers 0 to old's count-1 exist; the others are launched. Classify
// assumes spec.ValidateUpdate(old, next) passed.
func Classify(old, next spec.ServiceSpec) (Update, error) {
	restartChanges, err := podChanges(old, next)
	if err != nil {
		return Update{}, err
	}
	propChanges, dynamic, err := propertyChanges(old, next)
	if err != nil {
		return Update{}, err
	}
	for _, c := range propChanges {
		if !IsClusterWide(c.Field[len("kafka."):]) {
			restartChanges = append(restartChanges, c)
		}
	}
	sortChanges(restartChanges)

	u := Update{Dynamic: dynamic}
	for i := 0; i < next.BrokerCount(); i++ {
		b := Broker{ID: i, Pod: spec.PodInstanceName(i), Action: None, Changes: []Change{}}
		switch {
		case i >= old.BrokerCount():
			b.Action = Launch
		case len(restartChanges) > 0:
			b.Action, b.Changes = Restart, allChanges(restartChanges, propChanges)
		case len(propChanges) > 0:
			b.Action, b.Changes = Reconfigure, slices.Clone(propChanges)
		}
		u.Brokers = append(u.Brokers, b)
	}
	return u, nil
}

// allChanges lists every change a restarting broker picks up: the ones
// that force the restart and the cluster-wide ones it renders anew.
func allChanges(restart, props []Change) []Change {
	out := slices.Clone(restart)
	for _, p := range props {
		if !slices.Contains(out, p) {
			out = append(out, p)
		}
	}
	sortChanges(out)
	return out
}

func sortChanges(cs []Change) {
	sort.Slice(cs, func(i, j int) bool { return cs[i].Field < cs[j].Field })
}

// podChanges lists the changed options, other than the kafka section, that
// shape a broker task: every one of them needs a restart. It compares the
// same options PodConfigHash covers, leaf by leaf.
func podChanges(old, next spec.ServiceSpec) ([]Change, error) {
	flat := func(s spec.ServiceSpec) (map[string]string, error) {
		b := s.Options.Brokers
		b.Count = 0 // a count change launches brokers, it restarts none
		out := map[string]string{}
		sections := map[string]any{
			"brokers":                   b,
			"service.user":              s.User,
			"service.readiness_check":   s.Options.Service.ReadinessCheck,
			"service.health_check":      s.Options.Service.HealthCheck,
			"kafka.kafka_zookeeper_uri": s.KafkaZookeeperURI,
		}
		if len(s.Options.Service.Secrets) > 0 {
			sections["service.secrets"] = s.Options.Service.Secrets.Sorted()
		}
		if jmx := s.Options.Service.JMX; jmx.Enabled {
			sections["service.jmx"] = jmx
		}
		for prefix, v := range sections {
			if err := flatten(prefix, v, out); err != nil {
				return nil, err
			}
		}
		delete(out, "brokers.count")
		return out, nil
	}
	o, err := flat(old)
	if err != nil {
		return nil, err
	}
	n, err := flat(next)
	if err != nil {
		return nil, err
	}
	changes := append(diff(o, n, ""), secretChanges(old, next)...)
	if len(changes) == 0 && old.PodConfigHash() != next.PodConfigHash() && !kafkaSectionChanged(old, next) {
		// The broker template changed in a way no option names (a new
		// scheduler version's template): the brokers must still roll.
		changes = append(changes, Change{Field: "pod template", Old: "previous revision", New: "current revision"})
	}
	return changes, nil
}

func kafkaSectionChanged(old, next spec.ServiceSpec) bool {
	o, _ := json.Marshal(old.Options.Kafka)
	n, _ := json.Marshal(next.Options.Kafka)
	return string(o) != string(n)
}

// propertyChanges renders both specs' Kafka properties for the same
// broker at the same site, so that only what the options decide differs,
// and lists the changed keys; dynamic holds the cluster-wide ones as
// properties to set.
func propertyChanges(old, next spec.ServiceSpec) (changes []Change, dynamic []Property, err error) {
	o, err := renderedProperties(old)
	if err != nil {
		return nil, nil, err
	}
	n, err := renderedProperties(next)
	if err != nil {
		return nil, nil, err
	}
	changes = diff(o, n, "kafka.")
	for _, c := range changes {
		key := c.Field[len("kafka."):]
		if !IsClusterWide(key) {
			continue
		}
		p := Property{Key: key}
		if v, ok := n[key]; ok {
			p.Value = &v
		}
		dynamic = append(dynamic, p)
	}
	return changes, dynamic, nil
}

// probeSite is the site both renderings use: only what the options decide
// may differ between them.
var probeSite = spec.Site{Hostname: "broker.invalid", Port: 9092, VolumePath: "/volume", Zone: "zone"}

func renderedProperties(s spec.ServiceSpec) (map[string]string, error) {
	if s.BrokerCount() == 0 {
		return map[string]string{}, nil
	}
	data, err := s.ServerProperties(0, probeSite)
	if err != nil {
		return nil, fmt.Errorf("rendering the Kafka properties of %s: %w", s.Name, err)
	}
	props, err := brokerconfig.Parse(data)
	if err != nil {
		return nil, fmt.Errorf("reading back the Kafka properties of %s: %w", s.Name, err)
	}
	return props, nil
}

// diff lists the keys whose values differ, with prefix put before each.
func diff(old, next map[string]string, prefix string) []Change {
	keys := map[string]bool{}
	for k := range old {
		keys[k] = true
	}
	for k := range next {
		keys[k] = true
	}
	var out []Change
	for _, k := range slices.Sorted(maps.Keys(keys)) {
		if old[k] != next[k] || hasKey(old, k) != hasKey(next, k) {
			out = append(out, Change{Field: prefix + k, Old: old[k], New: next[k]})
		}
	}
	return out
}

func hasKey(m map[string]string, k string) bool { _, ok := m[k]; return ok }

// flatten writes v's JSON leaves into out under dotted names.
func flatten(prefix string, v any, out map[string]string) error {
	data, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("reading option %s: %w", prefix, err)
	}
	var tree any
	if err := json.Unmarshal(data, &tree); err != nil {
		return fmt.Errorf("reading option %s: %w", prefix, err)
	}
	flattenTree(prefix, tree, out)
	return nil
}

func flattenTree(prefix string, v any, out map[string]string) {
	switch t := v.(type) {
	case map[string]any:
		for k, child := range t {
			flattenTree(prefix+"."+k, child, out)
		}
	case nil:
		out[prefix] = ""
	case string:
		out[prefix] = t
	case float64:
		out[prefix] = strconv.FormatFloat(t, 'f', -1, 64)
	case bool:
		out[prefix] = strconv.FormatBool(t)
	default:
		data, _ := json.Marshal(t)
		out[prefix] = string(data)
	}
}

// SecretField is the field of a change of a used secret's version:
// "secret:<path>", with the old and new versions (never a value).
func SecretField(path string) string { return "secret:" + path }

// secretChanges lists the secrets whose delivered version changes: a new
// version of a secret the brokers use, or a secret they start or stop
// using. Each restarts the brokers that use it.
func secretChanges(old, next spec.ServiceSpec) []Change {
	versions := func(s spec.ServiceSpec) map[string]string {
		out := map[string]string{}
		for _, p := range s.SecretPaths() {
			out[p] = s.SecretVersions[p]
		}
		return out
	}
	o, n := versions(old), versions(next)
	var out []Change
	for _, c := range diff(o, n, "") {
		c.Field = SecretField(c.Field)
		out = append(out, c)
	}
	return out
}
