package manager

import (
	"slices"
	"testing"

	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/plan"
	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/spec"
)

func previewSpec(t *testing.T, options string) spec.ServiceSpec {
	t.Helper()
	s, err := spec.Parse([]byte(options), spec.DefaultOptions(), spec.Environment{ZookeeperConnect: "zk:2181"})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// running is every broker of s running its configuration and ready.
func running(s spec.ServiceSpec) map[int]plan.PodState {
	pods := map[int]plan.PodState{}
	for i := range s.BrokerCount() {
		pods[i] = plan.PodState{TaskID: spec.TaskInstanceName(i) + "__1", ConfigHash: s.PodConfigHash(), State: plan.TaskRunning, Ready: true}
	}
	return pods
}

func TestPreviewBrokersFollowThePlan(t *testing.T) {
	current := previewSpec(t, `{"brokers":{"count":3,"mem":2048}}`)
	cases := []struct {
		name    string
		next    string
		actions []string
		orders  []int
		field   string // a change every touched existing broker lists
	}{
		{"no-op", `{"brokers":{"count":3,"mem":2048}}`, []string{"none", "none", "none"}, []int{0, 0, 0}, ""},
		{"count grows", `{"brokers":{"count":4,"mem":2048}}`, []string{"none", "none", "none", "launch"}, []int{0, 0, 0, 1}, ""},
		{"mem", `{"brokers":{"count":3,"mem":3000}}`, []string{"restart", "restart", "restart"}, []int{1, 2, 3}, "brokers.mem"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			next := previewSpec(t, c.next)
			p, err := plan.NewDeploy(next, running(current))
			if err != nil {
				t.Fatal(err)
			}
			brokers, _, err := previewBrokers(&current, next, p.Info())
			if err != nil {
				t.Fatal(err)
			}
			var actions []string
			var orders []int
			for _, b := range brokers {
				actions, orders = append(actions, b.Action), append(orders, b.Order)
				if c.field != "" && b.Action == "restart" && (len(b.Changes) == 0 || b.Changes[0].Field != c.field) {
					t.Errorf("broker %d changes = %+v, want %s", b.Broker, b.Changes, c.field)
				}
			}
			if !slices.Equal(actions, c.actions) || !slices.Equal(orders, c.orders) {
				t.Errorf("actions %v orders %v, want %v %v", actions, orders, c.actions, c.orders)
			}
		})
	}
}

func TestPreviewBrokersOfAnInstall(t *testing.T) {
	next := previewSpec(t, `{"brokers":{"count":2}}`)
	p, err := plan.NewDeploy(next, nil)
	if err != nil {
		t.Fatal(err)
	}
	brokers, _, err := previewBrokers(nil, next, p.Info())
	if err != nil {
		t.Fatal(err)
	}
	if len(brokers) != 2 || brokers[0].Action != "launch" || brokers[1].Action != "launch" || brokers[1].Order != 2 {
		t.Fatalf("brokers = %+v", brokers)
	}
}
