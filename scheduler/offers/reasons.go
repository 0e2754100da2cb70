package offers

import (
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
)

// Reason classes that are not "insufficient <resource>".
const (
	// ClassPlacement is a placement rule's refusal; the service names the
	// rule in the class ("placement hostname:UNIQUE") when it can.
	ClassPlacement = "placement"
	// ClassFixedPort is a fixed port the offer does not have.
	ClassFixedPort = "fixed port not offered"
	// ClassOtherAgent is an offer from another agent than the one holding
	// the pod's reservations.
	ClassOtherAgent = "reserved on another agent"
	// ClassReservationsNotOffered is an offer from the pod's agent that
	// lacks some of its reservations.
	ClassReservationsNotOffered = "reservations not offered"
)

// Reason is one reason why an offer does not fit a need. Class groups the
// same reason across agents ("insufficient mem", "placement
// hostname:UNIQUE"); Detail gives this offer's particulars ("need 2080,
// offer has 400 unreserved").
type Reason struct {
	Class  string
	Detail string
}

func (r Reason) String() string { return r.Class + ": " + r.Detail }

// Mismatch is the error of an offer that does not fit: every reason at once.
type Mismatch struct {
	Reasons []Reason
}

func mismatch(reasons ...Reason) *Mismatch { return &Mismatch{Reasons: reasons} }

func (m *Mismatch) Error() string {
	parts := make([]string, len(m.Reasons))
	for i, r := range m.Reasons {
		parts[i] = r.String()
	}
	return strings.Join(parts, "; ")
}

// ReasonsOf returns err's reasons: a *Mismatch's, or err itself as one
// reason of class other.
func ReasonsOf(err error, other string) []Reason {
	var m *Mismatch
	if errors.As(err, &m) {
		return m.Reasons
	}
	return []Reason{{Class: other, Detail: err.Error()}}
}

// Tally counts, per reason class, the agents whose offers did not fit, and
// keeps the first few examples of each: a cycle over 1,000 agents is
// summed up in a few clauses instead of 1,000.
type Tally struct {
	examples int
	classes  map[string]*ClassCount
}

// ClassCount is one reason class of a Tally.
type ClassCount struct {
	Class string
	// Agents counts the agents refused for this reason.
	Agents int
	// Examples are the first agents refused, as "<host>: <detail>".
	Examples []string
}

// NewTally keeps up to examples examples per class.
func NewTally(examples int) *Tally {
	return &Tally{examples: examples, classes: map[string]*ClassCount{}}
}

// Add counts one agent's reasons; an agent counts once per class.
func (t *Tally) Add(host string, reasons []Reason) {
	var seen []string
	for _, r := range reasons {
		if slices.Contains(seen, r.Class) {
			continue
		}
		seen = append(seen, r.Class)
		c := t.classes[r.Class]
		if c == nil {
			c = &ClassCount{Class: r.Class}
			t.classes[r.Class] = c
		}
		c.Agents++
		if len(c.Examples) < t.examples {
			c.Examples = append(c.Examples, host+": "+r.Detail)
		}
	}
}

// Empty reports whether nothing was counted.
func (t *Tally) Empty() bool { return len(t.classes) == 0 }

// Counts lists the classes, the most frequent first (then by name).
func (t *Tally) Counts() []ClassCount {
	out := make([]ClassCount, 0, len(t.classes))
	for _, c := range t.classes {
		out = append(out, *c)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Agents != out[j].Agents {
			return out[i].Agents > out[j].Agents
		}
		return out[i].Class < out[j].Class
	})
	return out
}

// String sums the tally up: "insufficient mem: 997 agents (e.g. 10.0.4.2:
// need 2080, offer has 400 unreserved; ...); placement hostname:UNIQUE: 3
// agents (e.g. ...)".
func (t *Tally) String() string {
	counts := t.Counts()
	parts := make([]string, len(counts))
	for i, c := range counts {
		parts[i] = c.String()
	}
	return strings.Join(parts, "; ")
}

func (c ClassCount) String() string {
	agents := "agents"
	if c.Agents == 1 {
		agents = "agent"
	}
	s := fmt.Sprintf("%s: %d %s", c.Class, c.Agents, agents)
	if len(c.Examples) > 0 {
		s += " (e.g. " + strings.Join(c.Examples, "; ") + ")"
	}
	return s
}
