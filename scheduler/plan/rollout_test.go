package plan

import (
	"encoding/json"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/rollout"
	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/spec"
)

const rollBase = `{"service":{"name":"kafka"},"brokers":{"count":3,"mem":2048}`

// running returns the pods of a service that runs s, every broker ready.
func running(s spec.ServiceSpec) map[int]PodState {
	pods := map[int]PodState{}
	for i := range s.BrokerCount() {
		pods[i] = PodState{TaskID: spec.TaskInstanceName(i) + "__old", ConfigHash: s.PodConfigHash(), State: TaskRunning, Ready: true}
	}
	return pods
}

func rolloutPlan(t *testing.T, oldBody, nextBody string, controller int, strategy Strategy) (*Plan, rollout.Update) {
	t.Helper()
	old, next := testSpec(t, oldBody), testSpec(t, nextBody)
	u, err := rollout.Classify(old, next)
	if err != nil {
		t.Fatal(err)
	}
	p, err := NewDeploy(next, running(old), WithRollout(u, rollout.StepOrder(u, controller, nil), strategy), WithIDs(seqIDs()))
	if err != nil {
		t.Fatal(err)
	}
	return p, u
}

func TestRolloutPlanSteps(t *testing.T) {
	cases := []struct {
		name       string
		next       string
		controller int
		want       []string // phase/step/action in plan order
	}{
		{"mem: every broker restarts, the controller last", `{"service":{"name":"kafka"},"brokers":{"count":3,"mem":3000}}`, 1,
			[]string{"broker/kafka-0:[broker]/restart", "broker/kafka-2:[broker]/restart", "broker/kafka-1:[broker]/restart"}},
		{"count grows: only the new broker launches", `{"service":{"name":"kafka"},"brokers":{"count":4,"mem":2048}}`, 0,
			[]string{"broker/kafka-3:[broker]/launch"}},
		{"mem and count: restarts, controller last, then the launch", `{"service":{"name":"kafka"},"brokers":{"count":4,"mem":3000}}`, 0,
			[]string{"broker/kafka-1:[broker]/restart", "broker/kafka-2:[broker]/restart", "broker/kafka-0:[broker]/restart", "broker/kafka-3:[broker]/launch"}},
		{"a cluster-wide property: one reconfigure step, no broker step", rollBase + `,"kafka":{"log_retention_bytes":"1073741824"}}`, 0,
			[]string{"reconfigure/kafka:[reconfigure]/reconfigure"}},
		{"read-only and cluster-wide: reconfigure first, then the roll", rollBase + `,"kafka":{"log_retention_hours":100,"min_insync_replicas":2}}`, 2,
			[]string{"reconfigure/kafka:[reconfigure]/reconfigure", "broker/kafka-0:[broker]/restart", "broker/kafka-1:[broker]/restart", "broker/kafka-2:[broker]/restart"}},
		{"no change: no step", rollBase + `}`, 0, nil},
		{"a new update strategy: no step", rollBase + `,"service":{"name":"kafka","update_strategy":"parallel"}}`, 0, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p, _ := rolloutPlan(t, rollBase+`}`, c.next, c.controller, Serial)
			if p.Name() != DeployPlanName {
				t.Errorf("plan name %q, want deploy (DC/OS Kafka updates through its deploy plan)", p.Name())
			}
			var got []string
			for _, st := range PlannedSteps(p.Info()) {
				got = append(got, st.Phase+"/"+st.Step+"/"+st.Action)
				if st.Action != ActionReconfigure && (st.Pod != spec.PodInstanceName(st.Broker) || st.Status != Pending) {
					t.Errorf("step %+v: want pod kafka-<broker>, PENDING", st)
				}
			}
			if !slices.Equal(got, c.want) {
				t.Errorf("steps = %v\nwant    %v", got, c.want)
			}
			if len(c.want) == 0 && p.Status() != Complete {
				t.Errorf("a plan with nothing to do is %s, want COMPLETE", p.Status())
			}
		})
	}
}

func TestRolloutWithoutTheOptionIsTodaysDeploy(t *testing.T) {
	s := testSpec(t, rollBase+`}`)
	a, err := NewDeploy(s, nil, WithIDs(seqIDs()))
	if err != nil {
		t.Fatal(err)
	}
	for _, st := range PlannedSteps(a.Info()) {
		if st.Action != "" || st.Phase != BrokerPhaseName {
			t.Errorf("plain deploy step %+v", st)
		}
	}
	if n := len(PlannedSteps(a.Info())); n != 3 {
		t.Errorf("%d steps, want 3", n)
	}
}

func TestRolloutRestartStepWaitsForTheISR(t *testing.T) {
	p, _ := rolloutPlan(t, rollBase+`}`, `{"service":{"name":"kafka"},"brokers":{"count":3,"mem":3000}}`, 0, Serial)
	if got := candidatePods(p); !slices.Equal(got, []string{"kafka-1"}) {
		t.Fatalf("candidates = %v, want kafka-1 (the controller 0 is last)", got)
	}
	task := "kafka-1-broker__new"
	if !p.Prepared("kafka-1") || !p.Launched("kafka-1", task) {
		t.Fatal("could not launch kafka-1")
	}
	p.TaskUpdate(TaskUpdate{TaskID: task, State: TaskRunning, Ready: true})
	if st := p.Info().Phases[0].Steps[0].Status; st != Started || !p.AwaitingISR("kafka-1") {
		t.Fatalf("a ready restarted broker is %s (awaiting ISR %v), want STARTED waiting for the ISR", st, p.AwaitingISR("kafka-1"))
	}
	if got := candidatePods(p); !slices.Equal(got, []string{"kafka-1"}) {
		t.Fatalf("while kafka-1 waits for the ISR the candidates are %v; no other broker may stop", got)
	}
	if p.Rejoined("kafka-2") {
		t.Error("Rejoined completed a step that was not waiting")
	}
	if !p.Rejoined("kafka-1") || p.Info().Phases[0].Steps[0].Status != Complete {
		t.Fatalf("Rejoined did not complete the step: %s", statuses(p))
	}
	if got := candidatePods(p); !slices.Equal(got, []string{"kafka-2"}) {
		t.Fatalf("next candidates = %v, want kafka-2", got)
	}

	// The ISR wait runs out: ERROR with the message; restart retries.
	task2 := "kafka-2-broker__new"
	p.Prepared("kafka-2")
	p.Launched("kafka-2", task2)
	p.TaskUpdate(TaskUpdate{TaskID: task2, State: TaskRunning, Ready: true})
	if !p.Failed("kafka-2", "broker 2 did not rejoin the ISR of t-0 within 600s") {
		t.Fatal("Failed changed nothing")
	}
	info := p.Info()
	if info.Status != Error || info.Phases[0].Steps[1].Status != Error || !strings.Contains(info.Phases[0].Steps[1].Message, "did not rejoin the ISR of t-0") {
		t.Fatalf("after Failed: %s, message %q", statuses(p), info.Phases[0].Steps[1].Message)
	}
	if err := p.Restart(BrokerPhaseName, "kafka-2:[broker]"); err != nil {
		t.Fatal(err)
	}
	if st := p.Info().Phases[0].Steps[1].Status; st != Pending {
		t.Errorf("a restarted step is %s, want PENDING", st)
	}
}

func TestRolloutResumesARestartAwaitingTheISR(t *testing.T) {
	old, next := testSpec(t, rollBase+`}`), testSpec(t, `{"service":{"name":"kafka"},"brokers":{"count":3,"mem":3000}}`)
	u, _ := rollout.Classify(old, next)
	pods := running(old)
	// Broker 0 was relaunched with the new configuration and is ready.
	pods[0] = PodState{TaskID: "kafka-0-broker__new", ConfigHash: next.PodConfigHash(), State: TaskRunning, Ready: true}
	p, err := NewDeploy(next, pods, WithRollout(u, rollout.StepOrder(u, 2, nil), Serial), WithIDs(seqIDs()))
	if err != nil {
		t.Fatal(err)
	}
	if !p.AwaitingISR("kafka-0") {
		t.Fatalf("a rebuilt plan took kafka-0's restart as done without looking at the ISR: %s", statuses(p))
	}
	if !p.Rejoined("kafka-0") {
		t.Fatal("Rejoined did not complete the resumed step")
	}
}

func TestRolloutReconfigureStep(t *testing.T) {
	p, u := rolloutPlan(t, rollBase+`}`, rollBase+`,"kafka":{"log_retention_hours":100,"min_insync_replicas":2}}`, 0, Parallel)
	if len(u.Dynamic) != 1 {
		t.Fatalf("dynamic = %+v", u.Dynamic)
	}
	cands := p.Candidates(nil)
	if len(cands) != 1 || cands[0].Step != ReconfigureStepName || cands[0].Action != ActionReconfigure || cands[0].Pod != "" {
		t.Fatalf("candidates = %+v, want the reconfigure step alone before any restart", cands)
	}
	if !p.Reconfigured() || p.Reconfigured() {
		t.Fatal("Reconfigured must complete the step once")
	}
	if got := candidatePods(p); !slices.Equal(got, []string{"kafka-1", "kafka-2", "kafka-0"}) {
		t.Fatalf("after the reconfigure, parallel candidates = %v", got)
	}
}

func TestRolloutCanaryWaitsForContinue(t *testing.T) {
	for _, strategy := range []Strategy{SerialCanary, ParallelCanary} {
		t.Run(string(strategy), func(t *testing.T) {
			p, _ := rolloutPlan(t, rollBase+`}`, `{"service":{"name":"kafka"},"brokers":{"count":3,"mem":3000}}`, 0, strategy)
			if got := candidatePods(p); len(got) != 0 {
				t.Fatalf("a canary update offers %v before any continue", got)
			}
			if got := statuses(p); got != "WAITING broker=WAITING [WAITING WAITING PENDING]" {
				t.Fatalf("statuses = %s", got)
			}
			if err := p.Continue(BrokerPhaseName); err != nil {
				t.Fatal(err)
			}
			if got := candidatePods(p); !slices.Equal(got, []string{"kafka-1"}) {
				t.Fatalf("after one continue: %v, want the first canary kafka-1", got)
			}
			// Overrides (canary progress) survive a rebuild of the same update.
			o := p.Overrides()
			again, _ := rolloutPlan(t, rollBase+`}`, `{"service":{"name":"kafka"},"brokers":{"count":3,"mem":3000}}`, 0, strategy)
			if err := again.Apply(o); err != nil {
				t.Fatal(err)
			}
			if got := candidatePods(again); !slices.Equal(got, []string{"kafka-1"}) {
				t.Fatalf("after restoring overrides: %v", got)
			}
		})
	}
}

func TestRolloutRefusesABadOrder(t *testing.T) {
	old, next := testSpec(t, rollBase+`}`), testSpec(t, `{"service":{"name":"kafka"},"brokers":{"count":4,"mem":2048}}`)
	u, _ := rollout.Classify(old, next)
	cases := map[string][]int{
		"a broker with nothing to do": {0},
		"a broker twice":              {3, 3},
		"an unknown broker":           {7},
	}
	for name, order := range cases {
		if _, err := NewDeploy(next, nil, WithRollout(u, order, Serial)); err == nil || !strings.Contains(err.Error(), "restart order") {
			t.Errorf("%s: err = %v", name, err)
		}
	}
	if _, err := NewDeploy(next, nil, WithRollout(u, nil, "rolling")); err == nil || !strings.Contains(err.Error(), "update strategy") {
		t.Errorf("bad strategy: err = %v", err)
	}
	// An order that leaves brokers out still gets them, by id.
	p, err := NewDeploy(next, nil, WithRollout(u, nil, Serial))
	if err != nil {
		t.Fatal(err)
	}
	if got := PlannedSteps(p.Info()); len(got) != 1 || got[0].Broker != 3 {
		t.Errorf("steps = %+v", got)
	}
}

// The preview of an update and the plan the update runs come from the
// same builder: two builds give equal PlannedSteps, and the DC/OS JSON of
// the plan does not carry the fields added for the preview.
func TestPreviewEqualsPlan(t *testing.T) {
	next := `{"service":{"name":"kafka"},"brokers":{"count":4,"mem":3000},"kafka":{"min_insync_replicas":2}}`
	preview, _ := rolloutPlan(t, rollBase+`}`, next, 1, Serial)
	run, _ := rolloutPlan(t, rollBase+`}`, next, 1, Serial)
	a, b := PlannedSteps(preview.Info()), PlannedSteps(run.Info())
	if !reflect.DeepEqual(a, b) {
		t.Fatalf("preview %+v\n!= plan %+v", a, b)
	}
	want := "reconfigure in place, then kafka-0, then kafka-2, then kafka-1 (the active controller, last), then kafka-3"
	if got := DescribeOrder(a, 1); got != want {
		t.Errorf("order = %q\nwant    %q", got, want)
	}
	data, _ := json.Marshal(run.Info())
	if strings.Contains(string(data), `"action"`) || strings.Contains(string(data), `"pod"`) {
		t.Errorf("the DC/OS plan body carries preview fields: %s", data)
	}
}
