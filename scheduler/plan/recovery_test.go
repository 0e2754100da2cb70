package plan

import "testing"

// TestRecoveryPlanPhases: an empty recovery plan is COMPLETE; a failed
// broker gets a phase, its relaunch completes it; forceComplete then
// restart runs it again; a broker that fails again reuses its phase.
func TestRecoveryPlanPhases(t *testing.T) {
	p := NewRecovery()
	if p.Status() != Complete || p.Name() != RecoveryPlanName {
		t.Fatalf("empty recovery plan %s %s", p.Name(), p.Status())
	}
	if !p.AddRecovery("kafka-0:[broker]", "kafka-0", 0) || p.AddRecovery("kafka-0:[broker]", "kafka-0", 0) {
		t.Fatal("AddRecovery should add once")
	}
	if st, _ := p.PodStatus("kafka-0"); st != Pending {
		t.Fatalf("new phase %s", st)
	}
	run := func(task string) {
		t.Helper()
		p.Prepared("kafka-0")
		p.Launched("kafka-0", task)
		p.TaskUpdate(TaskUpdate{TaskID: task, State: TaskRunning, Ready: true})
		if st, _ := p.PodStatus("kafka-0"); st != Complete {
			t.Fatalf("after %s ran: %s %+v", task, st, p.Info())
		}
	}
	run("t1")
	if err := p.ForceComplete("", ""); err != ErrAlreadyReported {
		t.Fatalf("forceComplete of a complete plan: %v", err)
	}
	if !p.AddRecovery("kafka-0:[broker]", "kafka-0", 0) || len(p.Info().Phases) != 1 {
		t.Fatalf("a second failure should reuse the phase: %+v", p.Info())
	}
	if err := p.ForceComplete("kafka-0:[broker]", "kafka-0:[broker]"); err != nil {
		t.Fatal(err)
	}
	if err := p.Restart("kafka-0:[broker]", "kafka-0:[broker]"); err != nil {
		t.Fatal(err)
	}
	run("t2")
	if p.Completed("kafka-0", "x") {
		t.Error("Completed changed a complete step")
	}
	o := p.Overrides()
	if o.Key != RecoveryKey {
		t.Fatalf("overrides key %q", o.Key)
	}
}
