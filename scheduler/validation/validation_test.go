package validation

import (
	"errors"
	"strings"
	"testing"
	"unicode/utf8"
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

func TestProblemsAreBounded(t *testing.T) {
	var ps Problems
	for i := range 10 * MaxProblems {
		ps.Addf("kafka.k", "", "problem %d", i)
	}
	if len(ps) != MaxProblems+1 {
		t.Fatalf("len = %d, want %d problems and the marker", len(ps), MaxProblems)
	}
	if last := ps[len(ps)-1]; last.Field != "options" || last.Rule != TruncatedRule {
		t.Fatalf("last problem = %v, want the truncation marker", last)
	}
	if !strings.Contains(TruncatedRule, "100") {
		t.Errorf("the marker must name the limit: %q", TruncatedRule)
	}

	// Merging a cut list into a non-empty one keeps the bound and one marker.
	var outer Problems
	outer.Add("brokers.count", "0", "must be at least 1")
	outer.Merge("kafka", ps)
	markers := 0
	for _, p := range outer {
		if p.Rule == TruncatedRule {
			markers++
		}
	}
	if len(outer) != MaxProblems+1 || markers != 1 || outer[len(outer)-1].Rule != TruncatedRule {
		t.Fatalf("merged: len %d, %d markers", len(outer), markers)
	}
	// Merging exactly a full list into an empty one keeps its marker.
	var empty Problems
	empty.Merge("", ps)
	if len(empty) != MaxProblems+1 || empty[MaxProblems].Rule != TruncatedRule {
		t.Fatalf("merge into empty: len %d", len(empty))
	}
}

func TestProblemTextIsBounded(t *testing.T) {
	huge := strings.Repeat("é", 1<<20) // 2 MiB of two-byte runes
	var ps Problems
	ps.Add("kafka."+huge, huge, huge)
	p := ps[0]
	if len(p.Field) > MaxFieldLength || len(p.Value) > MaxValueLength || len(p.Rule) > MaxRuleLength {
		t.Fatalf("lengths %d %d %d", len(p.Field), len(p.Value), len(p.Rule))
	}
	if !strings.HasSuffix(p.Value, "(2097152 bytes)") || !strings.HasPrefix(p.Field, "kafka.é") {
		t.Errorf("shortened value %q does not say how long it was", p.Value)
	}
	if !utf8.ValidString(p.Field) || !utf8.ValidString(p.Value) {
		t.Error("shortening split a rune")
	}
	if Shorten("short", 10) != "short" {
		t.Error("a short string must stay as it is")
	}
}
