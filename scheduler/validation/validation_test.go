package validation

import (
	"errors"
	"strings"
	"testing"
)

func TestProblemsErrListsEveryProblem(t *testing.T) {
	var ps Problems
	if ps.Err() != nil {
		t.Fatal("empty problems must be a nil error")
	}
	ps.Add("brokers.count", "0", "must be at least 1")
	var inner Problems
	inner.Addf("size", "1024", "must not exceed brokers.mem (%d)", 512)
	ps.Merge("brokers.heap", inner)

	err := ps.Err()
	var got Problems
	if !errors.As(err, &got) || len(got) != 2 {
		t.Fatalf("errors.As did not recover both problems: %v", err)
	}
	if got[1].Field != "brokers.heap.size" {
		t.Errorf("merged field = %q, want brokers.heap.size", got[1].Field)
	}
	for _, want := range []string{"2 problems", `brokers.count="0": must be at least 1`, "must not exceed brokers.mem (512)"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not contain %q", err.Error(), want)
		}
	}
}
