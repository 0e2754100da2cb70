package placement

import (
	"fmt"
	"strings"
)

// Agent is what placement needs to know about one Mesos agent. Attribute
// values are the agent's attributes rendered as text (Mesos TEXT values as
// they are, SCALAR as the number, RANGES and SET in their Mesos text form).
type Agent struct {
	Hostname   string
	Zone       string // fault domain zone, "" when the agent has none
	Region     string // fault domain region, "" when the agent has none
	Attributes map[string]string
}

// value returns the agent's value for field and whether it has one.
func (a Agent) value(field string) (string, bool) {
	switch field {
	case FieldHostname:
		return a.Hostname, a.Hostname != ""
	case FieldZone:
		return a.Zone, a.Zone != ""
	case FieldRegion:
		return a.Region, a.Region != ""
	default:
		v, ok := a.Attributes[field]
		return v, ok
	}
}

// Decision is the outcome of checking one candidate agent.
type Decision struct {
	// Pass is true when every rule allows the candidate.
	Pass bool
	// Failures says, one line per broken rule, why the candidate was
	// refused; it is meant for diagnostics shown to an operator.
	Failures []string
}

// String is "pass" or the failures joined with "; ".
func (d Decision) String() string {
	if d.Pass {
		return "pass"
	}
	return strings.Join(d.Failures, "; ")
}

// Evaluate checks whether a new pod may run on candidate, given placed: the
// agents where the service's other pods already run, one entry per pod (an
// agent running two pods appears twice). The pod being placed must not be in
// placed.
func (cs Constraints) Evaluate(candidate Agent, placed []Agent) Decision {
	d := Decision{Pass: true}
	for _, c := range cs {
		if reason := c.check(candidate, placed); reason != "" {
			d.Pass = false
			d.Failures = append(d.Failures, fmt.Sprintf("%s failed: %s", c, reason))
		}
	}
	return d
}

// check returns why candidate breaks the rule, or "" when it passes.
func (c Constraint) check(candidate Agent, placed []Agent) string {
	label := fieldLabel(c.Field)
	v, ok := candidate.value(c.Field)
	if !ok {
		if c.Operator == Unlike {
			return "" // an agent without the field cannot match the excluded pattern
		}
		return fmt.Sprintf("agent %q has no %s", candidate.Hostname, label)
	}
	counts, order := countValues(c.Field, placed)
	switch c.Operator {
	case Unique:
		if n := counts[v]; n > 0 {
			return fmt.Sprintf("%s %q already runs %s of this service", label, v, pods(n))
		}
	case MaxPer:
		if n := counts[v]; n >= c.limit() {
			return fmt.Sprintf("%s %q already runs %s of this service (at most %d allowed)", label, v, pods(n), c.limit())
		}
	case Cluster:
		want := c.Value
		if want == "" && len(order) > 0 {
			want = order[0]
		}
		if want != "" && v != want {
			return fmt.Sprintf("%s is %q, every pod must be on %q", label, v, want)
		}
	case Is:
		if v != c.Value {
			return fmt.Sprintf("%s is %q, must be %q", label, v, c.Value)
		}
	case Like:
		if !c.matches(v) {
			return fmt.Sprintf("%s is %q, which does not match %s", label, v, c.Value)
		}
	case Unlike:
		if c.matches(v) {
			return fmt.Sprintf("%s is %q, which matches the excluded pattern %s", label, v, c.Value)
		}
	case GroupBy:
		return c.checkGroupBy(label, v, counts)
	}
	return ""
}

// checkGroupBy spreads pods evenly: the candidate's group may not hold more
// pods than the emptiest group. With GROUP_BY:n and fewer than n groups seen,
// the unseen groups count as empty, so the candidate must open a new group.
func (c Constraint) checkGroupBy(label, v string, counts map[string]int) string {
	emptiest, emptiestValue := -1, ""
	for val, n := range counts {
		if emptiest < 0 || n < emptiest || (n == emptiest && val < emptiestValue) {
			emptiest, emptiestValue = n, val
		}
	}
	if c.n > len(counts) {
		emptiest, emptiestValue = 0, ""
	}
	if emptiest < 0 || counts[v] <= emptiest {
		return ""
	}
	if emptiestValue == "" {
		return fmt.Sprintf("%s %q already runs %s while fewer than %d groups are in use; place on another %s", label, v, pods(counts[v]), c.n, label)
	}
	return fmt.Sprintf("%s %q already runs %s while %s %q runs %s; pods must spread evenly", label, v, pods(counts[v]), label, emptiestValue, pods(emptiest))
}

func (c Constraint) limit() int {
	if c.n > 0 {
		return c.n
	}
	var n int
	fmt.Sscanf(strings.TrimSpace(c.Value), "%d", &n)
	if n < 1 {
		n = 1
	}
	return n
}

func (c Constraint) matches(v string) bool {
	re := c.re
	if re == nil { // built by hand rather than parsed
		cc := c
		if errs := cc.compile(true); len(errs) > 0 {
			return false
		}
		re = cc.re
	}
	return re.MatchString(v)
}

// countValues counts placed pods per value of field, and lists the values in
// the order they first appear.
func countValues(field string, placed []Agent) (map[string]int, []string) {
	counts := make(map[string]int)
	var order []string
	for _, a := range placed {
		v, ok := a.value(field)
		if !ok {
			continue
		}
		if counts[v] == 0 {
			order = append(order, v)
		}
		counts[v]++
	}
	return counts, order
}

func fieldLabel(field string) string {
	switch field {
	case FieldHostname:
		return "hostname"
	case FieldZone:
		return "zone"
	case FieldRegion:
		return "region"
	default:
		return "attribute " + field
	}
}

func pods(n int) string {
	if n == 1 {
		return "1 pod"
	}
	return fmt.Sprintf("%d pods", n)
}
