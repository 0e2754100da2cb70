package rollout

import (
	"slices"
	"testing"

	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/spec"
)

var testEnv = spec.Environment{ZookeeperConnect: "zk-1:2181"}

func parse(t *testing.T, options string) spec.ServiceSpec {
	t.Helper()
	s, err := spec.Parse([]byte(options), spec.DefaultOptions(), testEnv)
	if err != nil {
		t.Fatalf("parsing %s: %v", options, err)
	}
	return s
}

func TestClassify(t *testing.T) {
	const base = `{"service":{"name":"kafka"},"brokers":{"count":3,"cpus":1,"mem":2048}`
	cases := []struct {
		name    string
		next    string
		actions []Action // per broker of next
		fields  []string // the changes of broker 0 (or the first non-none broker)
		dynamic []string // keys applied in place
	}{
		{"no change", base + `}`, []Action{None, None, None}, nil, nil},
		{"count grows: launch only the new broker", `{"service":{"name":"kafka"},"brokers":{"count":4,"cpus":1,"mem":2048}}`,
			[]Action{None, None, None, Launch}, nil, nil},
		{"mem restarts every broker", `{"service":{"name":"kafka"},"brokers":{"count":3,"cpus":1,"mem":3000}}`,
			[]Action{Restart, Restart, Restart}, []string{"brokers.mem"}, nil},
		{"cpus and heap", `{"service":{"name":"kafka"},"brokers":{"count":3,"cpus":2,"mem":2048,"heap":{"size":1024}}}`,
			[]Action{Restart, Restart, Restart}, []string{"brokers.cpus", "brokers.heap.size"}, nil},
		{"a new placement constraint restarts nothing", base + `,"service":{"name":"kafka","placement_constraint":"hostname:UNIQUE"}}`,
			[]Action{None, None, None}, nil, nil},
		{"a new deploy strategy restarts nothing", base + `,"service":{"name":"kafka","deploy_strategy":"parallel"}}`,
			[]Action{None, None, None}, nil, nil},
		{"a new update strategy restarts nothing", base + `,"service":{"name":"kafka","update_strategy":"parallel-canary"}}`,
			[]Action{None, None, None}, nil, nil},
		{"turning the restart safety check off restarts nothing", base + `,"service":{"name":"kafka","rolling_restart_safety_check":false}}`,
			[]Action{None, None, None}, nil, nil},
		{"a new ISR wait restarts nothing", base + `,"service":{"name":"kafka","isr_wait_timeout_secs":60}}`,
			[]Action{None, None, None}, nil, nil},
		{"a cluster-wide property reconfigures in place", base + `,"kafka":{"log_retention_bytes":"1073741824"}}`,
			[]Action{Reconfigure, Reconfigure, Reconfigure}, []string{"kafka.log.retention.bytes"}, []string{"log.retention.bytes"}},
		{"a cluster-wide raw property reconfigures in place", base + `,"kafka":{"server_properties":{"max.connections":"1000"}}}`,
			[]Action{Reconfigure, Reconfigure, Reconfigure}, []string{"kafka.max.connections"}, []string{"max.connections"}},
		{"a read-only property restarts", base + `,"kafka":{"log_retention_hours":100}}`,
			[]Action{Restart, Restart, Restart}, []string{"kafka.log.retention.hours"}, nil},
		{"read-only and cluster-wide together: restart, both listed, the dynamic one still applied", base + `,"kafka":{"log_retention_hours":100,"min_insync_replicas":2}}`,
			[]Action{Restart, Restart, Restart}, []string{"kafka.log.retention.hours", "kafka.min.insync.replicas"}, []string{"min.insync.replicas"}},
		{"count grows and mem changes: old brokers restart, the new one launches", `{"service":{"name":"kafka"},"brokers":{"count":4,"cpus":1,"mem":3000}}`,
			[]Action{Restart, Restart, Restart, Launch}, []string{"brokers.mem"}, nil},
		{"a health check change restarts", base + `,"service":{"name":"kafka","health_check":{"enabled":true}}}`,
			[]Action{Restart, Restart, Restart}, []string{"service.health_check.enabled"}, nil},
		{"a new distribution restarts", `{"service":{"name":"kafka"},"brokers":{"count":3,"cpus":1,"mem":2048,"kafka_uri":"https://example.com/kafka_2.13-3.8.0.tgz","kafka_version_path":"kafka_2.13-3.8.0"}}`,
			[]Action{Restart, Restart, Restart}, []string{"brokers.kafka_uri", "brokers.kafka_version_path"}, nil},
	}
	old := parse(t, base+`}`)
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			u, err := Classify(old, parse(t, c.next))
			if err != nil {
				t.Fatal(err)
			}
			var actions []Action
			var fields []string
			for _, b := range u.Brokers {
				actions = append(actions, b.Action)
				if b.ID != len(actions)-1 || b.Pod != spec.PodInstanceName(b.ID) {
					t.Errorf("broker %d is %+v", len(actions)-1, b)
				}
				if fields == nil && b.Action != None && b.Action != Launch {
					for _, ch := range b.Changes {
						fields = append(fields, ch.Field)
					}
				}
			}
			if !slices.Equal(actions, c.actions) {
				t.Errorf("actions = %v, want %v", actions, c.actions)
			}
			if !slices.Equal(fields, c.fields) {
				t.Errorf("changed fields = %v, want %v", fields, c.fields)
			}
			var dynamic []string
			for _, p := range u.Dynamic {
				dynamic = append(dynamic, p.Key)
			}
			if !slices.Equal(dynamic, c.dynamic) {
				t.Errorf("dynamic = %v, want %v", dynamic, c.dynamic)
			}
		})
	}
}

func TestClassifyChangeValues(t *testing.T) {
	old := parse(t, `{"service":{"name":"kafka"},"brokers":{"count":1,"mem":2048}}`)
	next := parse(t, `{"service":{"name":"kafka"},"brokers":{"count":1,"mem":3000}}`)
	u, err := Classify(old, next)
	if err != nil {
		t.Fatal(err)
	}
	if got := u.Brokers[0].Changes; !slices.Equal(got, []Change{{Field: "brokers.mem", Old: "2048", New: "3000"}}) {
		t.Errorf("changes = %+v", got)
	}
}

func TestDynamicReset(t *testing.T) {
	// Removing a cluster-wide property resets it: Value nil.
	old := parse(t, `{"service":{"name":"kafka"},"brokers":{"count":1},"kafka":{"server_properties":{"max.connections":"1000"}}}`)
	next := parse(t, `{"service":{"name":"kafka"},"brokers":{"count":1}}`)
	u, err := Classify(old, next)
	if err != nil {
		t.Fatal(err)
	}
	if len(u.Dynamic) != 1 || u.Dynamic[0].Key != "max.connections" || u.Dynamic[0].Value != nil {
		t.Fatalf("dynamic = %+v, want a reset of max.connections", u.Dynamic)
	}
	if u.Brokers[0].Action != Reconfigure {
		t.Errorf("action = %s, want reconfigure", u.Brokers[0].Action)
	}
}

func TestRestartOrderPutsTheControllerLast(t *testing.T) {
	u := Update{Brokers: []Broker{{ID: 0, Action: Restart}, {ID: 1, Action: Restart}, {ID: 2, Action: Restart}, {ID: 3, Action: Launch}}}
	cases := []struct {
		controller int
		want       []int
	}{
		{1, []int{0, 2, 1}},
		{0, []int{1, 2, 0}},
		{2, []int{0, 1, 2}},
		{3, []int{0, 1, 2}},  // the controller does not restart
		{-1, []int{0, 1, 2}}, // unknown controller
	}
	for _, c := range cases {
		if got := RestartOrder(u, c.controller); !slices.Equal(got, c.want) {
			t.Errorf("controller %d: order = %v, want %v", c.controller, got, c.want)
		}
	}
}

func TestStepOrderRestartsThenLaunches(t *testing.T) {
	u := Update{Brokers: []Broker{{ID: 0, Action: Restart}, {ID: 1, Action: Reconfigure}, {ID: 2, Action: Restart}, {ID: 3, Action: Launch}, {ID: 4, Action: Launch}}}
	if got := StepOrder(u, 0, nil); !slices.Equal(got, []int{2, 0, 3, 4}) {
		t.Errorf("order = %v, want [2 0 3 4]: restarts with the controller last, then launches", got)
	}
	if got := StepOrder(Update{Brokers: []Broker{{ID: 0, Action: None}, {ID: 1, Action: Launch}}}, 0, nil); !slices.Equal(got, []int{1}) {
		t.Errorf("order = %v, want [1]", got)
	}
}

// TestStepOrderRestartsDownBrokersFirst: a broker that is down when the
// update starts restarts first; the others keep their order, the
// controller last.
func TestStepOrderRestartsDownBrokersFirst(t *testing.T) {
	u := Update{Brokers: []Broker{{ID: 0, Action: Restart}, {ID: 1, Action: Restart}, {ID: 2, Action: Restart}, {ID: 3, Action: Launch}}}
	if got := StepOrder(u, 0, []int{2}); !slices.Equal(got, []int{2, 1, 0, 3}) {
		t.Errorf("order = %v, want [2 1 0 3]: the down broker 2 first, the controller 0 last of the restarts", got)
	}
	if got := StepOrder(u, 1, []int{3}); !slices.Equal(got, []int{0, 2, 1, 3}) {
		t.Errorf("order = %v, want [0 2 1 3]: a down broker that does not restart changes nothing", got)
	}
}
