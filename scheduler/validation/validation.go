// Package validation holds the error type every configuration check in the
// scheduler reports with: a list of problems, each naming the field, the value
// that was given and the rule it broke, so that a caller can show all of them
// at once instead of making an operator fix one mistake per round trip.
//
// A list of problems is bounded whatever the input: at most MaxProblems are
// kept (then one more says that the rest were left out), and fields, values
// and rules are cut to a bounded length, so that a hostile configuration
// cannot make its own error message huge.
package validation

import (
	"fmt"
	"strings"
)

// Bounds on what one validation pass reports.
const (
	// MaxProblems is how many problems a Problems keeps; one more problem
	// (Field "options") then says that further problems were left out.
	MaxProblems = 100
	// MaxFieldLength, MaxValueLength and MaxRuleLength bound the length in
	// bytes of a problem's field, value and rule; longer ones are cut and
	// marked with how long they were.
	MaxFieldLength = 200
	MaxValueLength = 200
	MaxRuleLength  = 2000
)

// TruncatedRule is the rule of the problem that ends a list cut at
// MaxProblems.
var TruncatedRule = fmt.Sprintf("more problems were found and left out (at most %d are reported at once); fix these and send the options again", MaxProblems)

// Problem is one broken rule in a piece of configuration.
type Problem struct {
	// Field is the dotted path of the offending field, for example
	// "brokers.heap.size" or "kafka.server_properties.broker.id".
	Field string `json:"field"`
	// Value is the value that was given, rendered for a person. Secret
	// values must never be placed here.
	Value string `json:"value"`
	// Rule says what the value must be, phrased so that it tells the
	// operator what to do.
	Rule string `json:"rule"`
}

func (p Problem) String() string {
	if p.Value == "" {
		return fmt.Sprintf("%s: %s", p.Field, p.Rule)
	}
	return fmt.Sprintf("%s=%q: %s", p.Field, p.Value, p.Rule)
}

// Problems is every problem found in one validation pass. A nil or empty
// Problems means the configuration is valid.
type Problems []Problem

// Add records a problem. Past MaxProblems it only makes sure the list ends
// with the problem that says more were left out.
func (ps *Problems) Add(field, value, rule string) {
	ps.add(Problem{Field: field, Value: value, Rule: rule})
}

func (ps *Problems) add(p Problem) {
	switch n := len(*ps); {
	case n < MaxProblems:
		*ps = append(*ps, Problem{
			Field: Shorten(p.Field, MaxFieldLength),
			Value: Shorten(p.Value, MaxValueLength),
			Rule:  Shorten(p.Rule, MaxRuleLength),
		})
	default:
		ps.LeftOut()
	}
}

// Full reports whether the list holds MaxProblems problems already, so that
// a caller walking a large input can stop looking for more.
func (ps Problems) Full() bool { return len(ps) >= MaxProblems }

// LeftOut records that further problems were found but not added because
// the list is full: it ends the list with the truncation marker (once).
func (ps *Problems) LeftOut() {
	if len(*ps) == MaxProblems {
		*ps = append(*ps, Problem{Field: "options", Rule: TruncatedRule})
	}
}

// Shorten cuts s to at most limit bytes (on a UTF-8 boundary), saying how
// long it was: "aaaa… (1048576 bytes)".
func Shorten(s string, limit int) string {
	if len(s) <= limit {
		return s
	}
	suffix := fmt.Sprintf("… (%d bytes)", len(s))
	cut := max(limit-len(suffix), 0)
	for cut > 0 && !utf8RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + suffix
}

func utf8RuneStart(b byte) bool { return b&0xC0 != 0x80 }

// Addf records a problem whose rule is built from a format string.
func (ps *Problems) Addf(field, value, format string, args ...any) {
	ps.Add(field, value, fmt.Sprintf(format, args...))
}

// Merge appends every problem of other, with prefix (if any) put in front of
// each field name.
func (ps *Problems) Merge(prefix string, other Problems) {
	for _, p := range other {
		if p.Rule == TruncatedRule {
			// other was cut: so is ps by now (other held MaxProblems
			// problems before its marker), and add appends the marker.
			ps.add(p)
			continue
		}
		if prefix != "" {
			p.Field = prefix + "." + p.Field
		}
		ps.add(p)
	}
}

// Err returns the problems as an error, or nil when there are none.
func (ps Problems) Err() error {
	if len(ps) == 0 {
		return nil
	}
	return ps
}

// Error lists every problem, one per line after a count.
func (ps Problems) Error() string {
	var b strings.Builder
	if len(ps) == 1 {
		b.WriteString("invalid configuration: ")
		b.WriteString(ps[0].String())
		return b.String()
	}
	fmt.Fprintf(&b, "invalid configuration (%d problems):", len(ps))
	for _, p := range ps {
		b.WriteString("\n  - ")
		b.WriteString(p.String())
	}
	return b.String()
}
