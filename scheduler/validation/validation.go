// Package validation holds the error type every configuration check in the
// scheduler reports with: a list of problems, each naming the field, the value
// that was given and the rule it broke, so that a caller can show all of them
// at once instead of making an operator fix one mistake per round trip.
package validation

import (
	"fmt"
	"strings"
)

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

// Add records a problem.
func (ps *Problems) Add(field, value, rule string) {
	*ps = append(*ps, Problem{Field: field, Value: value, Rule: rule})
}

// Addf records a problem whose rule is built from a format string.
func (ps *Problems) Addf(field, value, format string, args ...any) {
	ps.Add(field, value, fmt.Sprintf(format, args...))
}

// Merge appends every problem of other, with prefix (if any) put in front of
// each field name.
func (ps *Problems) Merge(prefix string, other Problems) {
	for _, p := range other {
		if prefix != "" {
			p.Field = prefix + "." + p.Field
		}
		*ps = append(*ps, p)
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
