package plan

import (
	"encoding/json"
	"errors"
	"fmt"
	"testing"
)

var fuzzStrategies = []string{"serial", "parallel", "serial-canary", "parallel-canary"}

// FuzzPlanCommands drives a deploy plan through an arbitrary sequence of
// operator commands (with valid, unknown, UUID and missing phases and
// steps) and step events. Whatever the sequence: nothing panics; a command
// naming a phase or step that does not exist fails with the typed error
// Target predicts and changes nothing; the live and snapshot checks agree;
// every status is a known one; and the overrides always restore onto a
// fresh plan, as after a scheduler restart.
func FuzzPlanCommands(f *testing.F) {
	f.Add(uint8(0), []byte{0, 1, 0, 1, 3, 0, 4, 1, 3, 5, 1, 3})
	f.Add(uint8(2), []byte{6, 1, 1, 7, 0, 0, 0, 1, 0, 8, 1, 2})
	f.Fuzz(func(t *testing.T, strategy uint8, ops []byte) {
		body := fmt.Sprintf(`{"service":{"deploy_strategy":%q}}`, fuzzStrategies[int(strategy)%len(fuzzStrategies)])
		s := testSpec(t, body)
		p, err := NewDeploy(s, nil, WithIDs(seqIDs()))
		if err != nil {
			t.Fatal(err)
		}
		for len(ops) >= 3 {
			op, phaseSel, stepSel := ops[0], ops[1], ops[2]
			ops = ops[3:]
			info := p.Info()
			phase, step := pickPhase(info, phaseSel), pickStep(info, stepSel)
			if errString(p.Target(phase, step)) != errString(info.Target(phase, step)) {
				t.Fatalf("Plan.Target and Info.Target disagree on %q/%q", phase, step)
			}
			before := p.Version()
			err, checked := runFuzzOp(p, op%10, phase, step)
			if checked != nil {
				if want := info.Target(checked[0], checked[1]); want != nil {
					if errString(err) != errString(want) {
						t.Fatalf("op %d on %q/%q: err %v, Target said %v", op%10, checked[0], checked[1], err, want)
					}
					if p.Version() != before {
						t.Fatalf("op %d on an unknown target changed the plan", op%10)
					}
				} else if err != nil && !errors.Is(err, ErrAlreadyReported) {
					t.Fatalf("op %d on %q/%q (which exist): %v", op%10, checked[0], checked[1], err)
				}
			}
			checkStatuses(t, p.Info())
			raw, err := json.Marshal(p.Overrides())
			if err != nil {
				t.Fatal(err)
			}
			var o Overrides
			if err := json.Unmarshal(raw, &o); err != nil {
				t.Fatal(err)
			}
			fresh, err := NewDeploy(s, nil, WithIDs(seqIDs()))
			if err != nil {
				t.Fatal(err)
			}
			if err := fresh.Apply(o); err != nil {
				t.Fatalf("the overrides %s do not restore: %v", raw, err)
			}
		}
	})
}

// pickPhase chooses a phase argument: none, the phase by name or id, or
// unknown ones.
func pickPhase(info Info, sel byte) string {
	switch sel % 5 {
	case 0:
		return ""
	case 1:
		return info.Phases[0].Name
	case 2:
		return info.Phases[0].ID
	case 3:
		return "bogus"
	default:
		return "00000000-0000-4000-8000-999999999999"
	}
}

// pickStep chooses a step argument: none, a step by name or id, or unknown
// ones.
func pickStep(info Info, sel byte) string {
	steps := info.Phases[0].Steps
	switch sel % 5 {
	case 0:
		return ""
	case 1:
		return steps[int(sel/5)%len(steps)].Name
	case 2:
		return steps[int(sel/5)%len(steps)].ID
	case 3:
		return "kafka-9:[broker]"
	default:
		return info.Phases[0].ID // a phase id is not a step
	}
}

// runFuzzOp runs one operation and returns its error and, for commands
// that take a phase and step, the (phase, step) they were given.
func runFuzzOp(p *Plan, op byte, phase, step string) (error, *[2]string) {
	pod := fmt.Sprintf("kafka-%d", len(step)%3)
	switch op {
	case 0:
		return p.Continue(phase), &[2]string{phase, ""}
	case 1:
		return p.Interrupt(phase), &[2]string{phase, ""}
	case 2:
		return p.ForceComplete(phase, step), &[2]string{phase, step}
	case 3:
		return p.Restart(phase, step), &[2]string{phase, step}
	case 4:
		return p.Start(map[string]string{"A": phase}), nil
	case 5:
		p.Stop()
		return nil, nil
	case 6:
		p.Prepared(pod)
		p.Launched(pod, pod+"-task")
		return nil, nil
	case 7:
		p.TaskUpdate(TaskUpdate{TaskID: pod + "-task", State: TaskRunning, Ready: true})
		return nil, nil
	case 8:
		p.TaskUpdate(TaskUpdate{TaskID: pod + "-task", State: TaskFailed})
		return nil, nil
	default:
		for _, c := range p.Candidates(nil) {
			p.Prepared(c.Pod)
		}
		return nil, nil
	}
}

func checkStatuses(t *testing.T, info Info) {
	t.Helper()
	known := map[Status]bool{}
	for _, s := range []Status{Pending, Prepared, Starting, Started, Complete, Delayed, Error, Waiting, InProgress} {
		known[s] = true
	}
	if !known[info.Status] {
		t.Fatalf("unknown plan status %q", info.Status)
	}
	for _, ph := range info.Phases {
		if !known[ph.Status] {
			t.Fatalf("unknown phase status %q", ph.Status)
		}
		for _, st := range ph.Steps {
			if !known[st.Status] {
				t.Fatalf("unknown step status %q", st.Status)
			}
		}
	}
}
