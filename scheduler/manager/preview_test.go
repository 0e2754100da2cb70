package manager

import (
	"strings"
	"testing"

	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/plan"
	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/rollout"
	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/service"
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

// rolloutOf builds the plan of an update as the service does.
func rolloutOf(t *testing.T, current, next spec.ServiceSpec, controller int) service.UpdatePlan {
	t.Helper()
	u, err := rollout.Classify(current, next)
	if err != nil {
		t.Fatal(err)
	}
	p, err := plan.NewDeploy(next, running(current), plan.WithRollout(u, rollout.StepOrder(u, controller, nil), plan.Strategy(next.UpdateStrategy)))
	if err != nil {
		t.Fatal(err)
	}
	return service.UpdatePlan{Plan: p.Info(), Update: u, Controller: controller, Rolling: true}
}

// TestPreviewBrokersEqualThePlan: for every step of the plan, the preview
// of its broker shows the step's action and order; brokers reconfigured in
// place show the reconfigure step's order; the others none.
func TestPreviewBrokersEqualThePlan(t *testing.T) {
	current := previewSpec(t, `{"brokers":{"count":3,"mem":2048}}`)
	cases := []struct {
		name    string
		next    string
		actions []string
		orders  []int
		field   string
	}{
		{"no-op", `{"brokers":{"count":3,"mem":2048}}`, []string{"none", "none", "none"}, []int{0, 0, 0}, ""},
		{"count grows", `{"brokers":{"count":4,"mem":2048}}`, []string{"none", "none", "none", "launch"}, []int{0, 0, 0, 1}, ""},
		{"mem, controller 1 last", `{"brokers":{"count":3,"mem":3000}}`, []string{"restart", "restart", "restart"}, []int{1, 3, 2}, "brokers.mem"},
		{"dynamic property", `{"brokers":{"count":3,"mem":2048},"kafka":{"server_properties":{"max.connections":"1000"}}}`, []string{"reconfigure", "reconfigure", "reconfigure"}, []int{1, 1, 1}, "kafka.max.connections"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			next := previewSpec(t, c.next)
			up := rolloutOf(t, current, next, 1)
			brokers, _ := previewBrokers(next, up, next.UpdateStrategy)
			for _, st := range plan.PlannedSteps(up.Plan) {
				if st.Broker < 0 {
					continue
				}
				if b := brokers[st.Broker]; b.Action != st.Action || b.Order != st.Order {
					t.Errorf("broker %d previews %s #%d, the plan runs %s #%d", st.Broker, b.Action, b.Order, st.Action, st.Order)
				}
			}
			for i, b := range brokers {
				if b.Action != c.actions[i] || b.Order != c.orders[i] {
					t.Errorf("broker %d: %s #%d, want %s #%d", i, b.Action, b.Order, c.actions[i], c.orders[i])
				}
				if c.field != "" && b.Action != "none" && (len(b.Changes) == 0 || b.Changes[0].Field != c.field) {
					t.Errorf("broker %d changes = %+v, want %s", i, b.Changes, c.field)
				}
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
	brokers, _ := previewBrokers(next, service.UpdatePlan{Plan: p.Info(), Controller: -1}, next.DeployStrategy)
	if len(brokers) != 2 || brokers[0].Action != "launch" || brokers[1].Action != "launch" || brokers[1].Order != 2 {
		t.Fatalf("brokers = %+v", brokers)
	}
}

// TestPreviewNotesNameTheStrategyThatRuns: a rolling update's notes name
// the update strategy; an update that falls back to a plain deploy plan
// (a deploy still under way) says so and names the deploy strategy.
func TestPreviewNotesNameTheStrategyThatRuns(t *testing.T) {
	current := previewSpec(t, `{"brokers":{"count":3,"mem":2048},"service":{"update_strategy":"serial-canary","deploy_strategy":"parallel"}}`)
	next := previewSpec(t, `{"brokers":{"count":3,"mem":3000},"service":{"update_strategy":"serial-canary","deploy_strategy":"parallel"}}`)
	up := rolloutOf(t, current, next, 1)
	_, notes := previewBrokers(next, up, "serial-canary")
	if text := strings.Join(notes, "\n"); !strings.Contains(text, "serial-canary update strategy") || strings.Contains(text, "deploy plan") {
		t.Errorf("rolling notes:\n%s", text)
	}
	up.Rolling = false
	_, notes = previewBrokers(next, up, "parallel")
	if text := strings.Join(notes, "\n"); !strings.Contains(text, "still under way") || !strings.Contains(text, "parallel deploy strategy") {
		t.Errorf("fallback notes:\n%s", text)
	}
}
