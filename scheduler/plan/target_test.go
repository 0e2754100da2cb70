package plan

import (
	"errors"
	"strings"
	"testing"
)

// TestTargetChecksPhaseAndStepBeforeActing is issue 15's fault 7 at the
// plan level: a command's phase and step are checked first, unknown ones
// name what exists, and the snapshot check (Info.Target, used by the REST
// API for every command) agrees with the live one.
func TestTargetChecksPhaseAndStepBeforeActing(t *testing.T) {
	p := deploy(t, `{}`, nil)
	info := p.Info()
	version := p.Version()
	phaseID, stepID := info.Phases[0].ID, info.Phases[0].Steps[1].ID
	tests := []struct {
		phase, step string
		want        string // "" for nil
	}{
		{"", "", ""},
		{"broker", "", ""},
		{phaseID, "", ""},
		{strings.ToUpper(phaseID), "", ""},
		{"broker", "kafka-1:[broker]", ""},
		{phaseID, stepID, ""},
		{"", "kafka-1:[broker]", "missing phase"},
		{"bogus", "", "Phase bogus not found; the plan's phases are: broker (names or ids)"},
		{"bogus", "bogus", "Phase bogus not found; the plan's phases are: broker (names or ids)"},
		{"00000000-0000-4000-8000-999999999999", "", "Phase 00000000-0000-4000-8000-999999999999 not found; the plan's phases are: broker (names or ids)"},
		{"broker", "bogus", "Step bogus not found in phase broker; its steps are: kafka-0:[broker], kafka-1:[broker], kafka-2:[broker] (names or ids)"},
		{"broker", phaseID, "Step " + phaseID + " not found in phase broker; its steps are: kafka-0:[broker], kafka-1:[broker], kafka-2:[broker] (names or ids)"},
	}
	for _, tt := range tests {
		t.Run(tt.phase+"/"+tt.step, func(t *testing.T) {
			live, snap := p.Target(tt.phase, tt.step), info.Target(tt.phase, tt.step)
			if errString(live) != tt.want || errString(snap) != tt.want {
				t.Fatalf("Plan.Target = %v, Info.Target = %v, want %q", live, snap, tt.want)
			}
			if tt.want != "" && !errors.Is(live, ErrMissingPhase) && !errors.As(live, new(*NotFoundError)) {
				t.Fatalf("%T is not a typed error", live)
			}
		})
	}
	if p.Version() != version || statuses(p) != "PENDING broker=PENDING [PENDING PENDING PENDING]" {
		t.Fatalf("Target changed the plan: %s", statuses(p))
	}
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

func TestNotFoundListsABoundedNumberOfNames(t *testing.T) {
	p := deploy(t, `{"brokers":{"count":1000},"kafka":{"reserved_broker_max_id":1000}}`, nil)
	err := p.Restart("broker", "kafka-1000:[broker]")
	var nf *NotFoundError
	if !errors.As(err, &nf) || len(nf.Known) != 1000 {
		t.Fatalf("err = %v", err)
	}
	msg := err.Error()
	if !strings.Contains(msg, "kafka-19:[broker] and 980 more") || strings.Contains(msg, "kafka-20:[broker]") || len(msg) > 1000 {
		t.Fatalf("message of %d bytes: %s", len(msg), msg)
	}
	long := strings.Repeat("x", 100_000)
	if msg := (&NotFoundError{Kind: "Phase", Name: long}).Error(); len(msg) > 200 {
		t.Fatalf("a 100,000-byte name is repeated whole: %d bytes", len(msg))
	}
}

func BenchmarkRestartUnknownStepOf1000(b *testing.B) {
	p := deploy(b, `{"brokers":{"count":1000},"kafka":{"reserved_broker_max_id":1000}}`, nil)
	b.ReportAllocs()
	for b.Loop() {
		if err := p.Restart("broker", "bogus"); err == nil {
			b.Fatal("accepted")
		}
	}
}

// TestDeployRefusesAnUncheckedBrokerCount is issue 15's fault 1 at the
// plan level: a spec that skipped validation (as a poisoned stored
// configuration does) must not make NewDeploy allocate 2^31 steps.
func TestDeployRefusesAnUncheckedBrokerCount(t *testing.T) {
	s := testSpec(t, `{}`)
	for _, n := range []int{2147483647, 1001, 0, -1} {
		s.Options.Brokers.Count = n
		if _, err := NewDeploy(s, nil); err == nil || !strings.Contains(err.Error(), "outside 1 to 1000") {
			t.Errorf("count %d: err = %v", n, err)
		}
	}
}
