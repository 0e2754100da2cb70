package plan

import (
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"
)

// restartScheduler simulates a scheduler restart: the overrides go through
// JSON (as they would through the state store) and a fresh plan is built
// from the same spec and the pods' current state.
func restartScheduler(t *testing.T, p *Plan, body string, pods map[int]PodState) *Plan {
	t.Helper()
	raw, err := json.Marshal(p.Overrides())
	if err != nil {
		t.Fatal(err)
	}
	var o Overrides
	if err := json.Unmarshal(raw, &o); err != nil {
		t.Fatal(err)
	}
	fresh := deploy(t, body, pods)
	if err := fresh.Apply(o); err != nil {
		t.Fatalf("Apply(%s): %v", raw, err)
	}
	return fresh
}

func TestInterruptSurvivesARestart(t *testing.T) {
	body := `{}`
	p := deploy(t, body, nil)
	_ = p.Interrupt("")
	fresh := restartScheduler(t, p, body, nil)
	if got := statuses(fresh); got != "WAITING broker=PENDING [PENDING PENDING PENDING]" {
		t.Fatalf("after restart: %s", got)
	}
	if c := candidatePods(fresh); len(c) != 0 {
		t.Fatalf("an interrupted plan must stay interrupted, candidates %v", c)
	}
	_ = fresh.Continue("")
	again := restartScheduler(t, fresh, body, nil)
	if got := candidatePods(again); !reflect.DeepEqual(got, []string{"kafka-0"}) {
		t.Fatalf("continue must survive a restart too: %v", got)
	}
}

func TestPhaseInterruptSurvivesARestart(t *testing.T) {
	body := `{}`
	p := deploy(t, body, nil)
	_ = p.Interrupt(BrokerPhaseName)
	fresh := restartScheduler(t, p, body, nil)
	if got := statuses(fresh); got != "WAITING broker=WAITING [PENDING PENDING PENDING]" {
		t.Fatalf("after restart: %s", got)
	}
}

func TestCanaryProgressSurvivesARestart(t *testing.T) {
	body := `{"service":{"deploy_strategy":"serial-canary"},"brokers":{"count":4}}`
	s := testSpec(t, body)
	p := deploy(t, body, nil)
	_ = p.Continue("")
	complete(t, p, "kafka-0")
	// kafka-0 runs the target now; kafka-1 is still held by the canary.
	pods := map[int]PodState{0: {TaskID: "t0", ConfigHash: s.PodConfigHash(), State: TaskRunning, Ready: true}}

	// Without the overrides, a rebuilt plan would hold kafka-1 and kafka-2.
	naive := deploy(t, body, pods)
	if got := statuses(naive); got != "WAITING broker=WAITING [COMPLETE WAITING WAITING PENDING]" {
		t.Fatalf("rebuilt plan without overrides: %s", got)
	}

	fresh := restartScheduler(t, p, body, pods)
	if got := statuses(fresh); got != "WAITING broker=WAITING [COMPLETE WAITING PENDING PENDING]" {
		t.Fatalf("after restart: %s", got)
	}
	_ = fresh.Continue("")
	if got := candidatePods(fresh); !reflect.DeepEqual(got, []string{"kafka-1"}) {
		t.Fatalf("one continue must release the rest of the canary: %v", got)
	}
	complete(t, fresh, "kafka-1")
	if got := candidatePods(fresh); !reflect.DeepEqual(got, []string{"kafka-2"}) {
		t.Fatalf("after the canary the phase goes on serially: %v", got)
	}
}

func TestForceCompleteSurvivesARestart(t *testing.T) {
	body := `{}`
	p := deploy(t, body, nil)
	_ = p.ForceComplete(BrokerPhaseName, "kafka-1:[broker]")
	o := p.Overrides()
	if len(o.Phases) != 1 || !reflect.DeepEqual(o.Phases[0].ForceCompleted, []string{"kafka-1:[broker]"}) {
		t.Fatalf("overrides = %+v", o)
	}
	fresh := restartScheduler(t, p, body, nil)
	if got := statuses(fresh); got != "IN_PROGRESS broker=IN_PROGRESS [PENDING COMPLETE PENDING]" {
		t.Fatalf("after restart: %s", got)
	}
}

func TestOverridesOfAnotherTargetAreRefused(t *testing.T) {
	p := deploy(t, `{}`, nil)
	_ = p.Interrupt("")
	o := p.Overrides()
	other := deploy(t, `{"brokers":{"mem":4096}}`, nil)
	if err := other.Apply(o); !errors.Is(err, ErrOverridesKey) {
		t.Fatalf("Apply across targets = %v", err)
	}
	if other.Status() == Waiting {
		t.Fatal("refused overrides changed the plan")
	}
}

func TestApplyReportsMissingNames(t *testing.T) {
	p := deploy(t, `{}`, nil)
	o := Overrides{Key: p.Key(), Phases: []PhaseOverrides{
		{Name: "broker", ForceCompleted: []string{"kafka-0:[broker]", "kafka-9:[broker]"}},
		{Name: "gone", Interrupted: true},
	}}
	err := p.Apply(o)
	if err == nil || !strings.Contains(err.Error(), "not found: [phase gone step broker/kafka-9:[broker]]") {
		t.Fatalf("Apply = %v", err)
	}
	if got := statuses(p); got != "IN_PROGRESS broker=IN_PROGRESS [COMPLETE PENDING PENDING]" {
		t.Fatalf("the rest must still be applied: %s", got)
	}
}

func TestOverridesJSONShape(t *testing.T) {
	p := deploy(t, `{"service":{"deploy_strategy":"serial-canary"}}`, nil)
	_ = p.Continue("")
	_ = p.Start(map[string]string{"A": "1"})
	_ = p.ForceComplete(BrokerPhaseName, "kafka-2:[broker]")
	_ = p.Interrupt("")
	b, err := json.Marshal(p.Overrides())
	if err != nil {
		t.Fatal(err)
	}
	want := `{"key":"` + p.Key() + `","interrupted":true,"parameters":{"A":"1"},"phases":[{"name":"broker",` +
		`"canary":["kafka-0:[broker]","kafka-1:[broker]"],"canary_held":["kafka-1:[broker]"],"force_completed":["kafka-2:[broker]"]}]}`
	if string(b) != want {
		t.Fatalf("overrides JSON =\n%s\nwant\n%s", b, want)
	}
	if deploy(t, `{}`, nil).Overrides().IsZero() != true {
		t.Fatal("a fresh serial plan has no overrides")
	}
}
