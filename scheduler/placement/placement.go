// Package placement owns Marathon-style placement constraints for Kafka
// brokers: parsing the forms DC/OS accepts for `service.placement_constraint`
// and deciding whether a candidate agent may host a new broker given the
// agents where the service's other brokers already run.
//
// Accepted forms (all equivalent):
//
//	[["hostname","MAX_PER","1"],["@zone","GROUP_BY","3"]]   JSON list of lists
//	["hostname","UNIQUE"]                                    one JSON list
//	hostname:MAX_PER:1,@zone:GROUP_BY:3                      colon form, comma separated
//
// In the colon form a comma inside a regular expression is written `\,`;
// everything after the second colon is the value, so a value may contain
// colons. The JSON forms need no escaping.
//
// Fields are `hostname` (or `@hostname`), `@zone`, `@region`, or the name of
// an agent attribute. Operators (case-insensitive on input, upper case once
// parsed): UNIQUE, CLUSTER[:value], GROUP_BY[:groups], LIKE:regex,
// UNLIKE:regex, MAX_PER:n, IS:value. Regular expressions are fully anchored,
// as in Marathon: `LIKE:r1` matches "r1" and not "r10".
//
// The package does no I/O and holds no state; every value is safe to share
// between goroutines once built.
package placement

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

// Operator is a Marathon constraint operator.
type Operator string

// The operators DC/OS accepts.
const (
	Unique  Operator = "UNIQUE"
	Cluster Operator = "CLUSTER"
	GroupBy Operator = "GROUP_BY"
	Like    Operator = "LIKE"
	Unlike  Operator = "UNLIKE"
	MaxPer  Operator = "MAX_PER"
	Is      Operator = "IS"
)

// Well-known fields. Any other field names an agent attribute.
const (
	FieldHostname = "hostname"
	FieldZone     = "@zone"
	FieldRegion   = "@region"
)

var operators = []Operator{Unique, Cluster, GroupBy, Like, Unlike, MaxPer, Is}

// Constraint is one parsed rule such as hostname:MAX_PER:1. Create
// constraints with Parse, which checks them; the fields are for reading.
type Constraint struct {
	// Field is "hostname", "@zone", "@region" or an attribute name.
	Field string
	// Operator is the rule applied to the field's value.
	Operator Operator
	// Value is the operator's parameter as written ("" when it has none).
	Value string

	re *regexp.Regexp // LIKE and UNLIKE
	n  int            // MAX_PER, and GROUP_BY when given
}

// Constraints is every rule of one placement; an agent must pass all of them.
// The zero value places anywhere.
type Constraints []Constraint

// ParseError reports every mistake found in a constraint string.
type ParseError struct {
	Input    string
	Problems []string
}

func (e *ParseError) Error() string {
	return fmt.Sprintf("invalid placement constraint %q: %s", e.Input, strings.Join(e.Problems, "; "))
}

// Parse reads a constraint string in any of the accepted forms. An empty
// string (or "[]") means no constraints. Every mistake is reported at once
// in a *ParseError.
func Parse(s string) (Constraints, error) {
	trimmed := strings.TrimSpace(s)
	if trimmed == "" {
		return nil, nil
	}
	var raw [][]string
	var problems []string
	if strings.HasPrefix(trimmed, "[") {
		var err error
		raw, err = splitJSON(trimmed)
		if err != nil {
			return nil, &ParseError{Input: s, Problems: []string{err.Error()}}
		}
	} else {
		raw = splitColonForm(trimmed)
	}
	out := make(Constraints, 0, len(raw))
	for i, parts := range raw {
		c, errs := build(parts)
		for _, e := range errs {
			problems = append(problems, fmt.Sprintf("constraint %d (%s): %s", i+1, strings.Join(parts, ":"), e))
		}
		if len(errs) == 0 {
			out = append(out, c)
		}
	}
	if len(problems) > 0 {
		return nil, &ParseError{Input: s, Problems: problems}
	}
	return out, nil
}

// MustParse is Parse for constants known to be valid; it panics otherwise.
func MustParse(s string) Constraints {
	cs, err := Parse(s)
	if err != nil {
		panic(err)
	}
	return cs
}

// splitJSON accepts [["f","OP","v"],...] and ["f","OP","v"]. Values may be
// JSON strings or numbers (["hostname","MAX_PER",1] is common in the wild).
func splitJSON(s string) ([][]string, error) {
	var outer []json.RawMessage
	if err := json.Unmarshal([]byte(s), &outer); err != nil {
		return nil, fmt.Errorf("not valid JSON: %v; write it as [[\"hostname\",\"UNIQUE\"]] or hostname:UNIQUE", err)
	}
	if len(outer) == 0 {
		return nil, nil
	}
	if first := strings.TrimSpace(string(outer[0])); !strings.HasPrefix(first, "[") {
		one, err := jsonStrings(outer)
		if err != nil {
			return nil, err
		}
		return [][]string{one}, nil
	}
	out := make([][]string, 0, len(outer))
	for i, item := range outer {
		var inner []json.RawMessage
		if err := json.Unmarshal(item, &inner); err != nil {
			return nil, fmt.Errorf("constraint %d is %s, want a list such as [\"hostname\",\"UNIQUE\"]", i+1, item)
		}
		parts, err := jsonStrings(inner)
		if err != nil {
			return nil, fmt.Errorf("constraint %d: %v", i+1, err)
		}
		out = append(out, parts)
	}
	return out, nil
}

func jsonStrings(items []json.RawMessage) ([]string, error) {
	out := make([]string, 0, len(items))
	for _, item := range items {
		var s string
		if err := json.Unmarshal(item, &s); err == nil {
			out = append(out, s)
			continue
		}
		var n json.Number
		if err := json.Unmarshal(item, &n); err == nil {
			out = append(out, n.String())
			continue
		}
		return nil, fmt.Errorf("%s is not a string; write each constraint as a list of strings such as [\"hostname\",\"MAX_PER\",\"1\"]", item)
	}
	return out, nil
}

// splitColonForm splits "a:B,c:D:e" on unescaped commas, then each rule on its
// first two colons.
func splitColonForm(s string) [][]string {
	var rules []string
	var cur strings.Builder
	for i := 0; i < len(s); i++ {
		switch {
		case s[i] == '\\' && i+1 < len(s) && s[i+1] == ',':
			cur.WriteByte(',')
			i++
		case s[i] == ',':
			rules = append(rules, cur.String())
			cur.Reset()
		default:
			cur.WriteByte(s[i])
		}
	}
	rules = append(rules, cur.String())
	out := make([][]string, 0, len(rules))
	for _, r := range rules {
		parts := strings.SplitN(strings.TrimSpace(r), ":", 3)
		out = append(out, parts)
	}
	return out
}

// build turns one rule's parts into a Constraint, or says what is wrong.
func build(parts []string) (Constraint, []string) {
	if len(parts) < 2 || len(parts) > 3 {
		return Constraint{}, []string{"want field:OPERATOR or field:OPERATOR:value"}
	}
	var errs []string
	c := Constraint{Field: strings.TrimSpace(parts[0])}
	if c.Field == "@hostname" {
		c.Field = FieldHostname
	}
	if c.Field == "" || strings.ContainsAny(c.Field, " \t\n") {
		errs = append(errs, fmt.Sprintf("field %q must be hostname, @zone, @region or an agent attribute name without spaces", c.Field))
	}
	op := Operator(strings.ToUpper(strings.TrimSpace(parts[1])))
	known := false
	for _, o := range operators {
		known = known || o == op
	}
	if !known {
		errs = append(errs, fmt.Sprintf("unknown operator %q; use one of UNIQUE, CLUSTER, GROUP_BY, LIKE, UNLIKE, MAX_PER, IS", parts[1]))
		return c, errs
	}
	c.Operator = op
	hasValue := len(parts) == 3
	if hasValue {
		c.Value = parts[2]
	}
	errs = append(errs, c.compile(hasValue)...)
	return c, errs
}

// compile checks the operator's parameter and prepares regexes and counts.
func (c *Constraint) compile(hasValue bool) []string {
	switch c.Operator {
	case Unique:
		if hasValue {
			return []string{"UNIQUE takes no value"}
		}
	case Cluster:
		// Optional value: without one, every pod joins the first pod's value.
	case GroupBy:
		if hasValue {
			n, err := strconv.Atoi(strings.TrimSpace(c.Value))
			if err != nil || n < 1 {
				return []string{fmt.Sprintf("GROUP_BY takes a whole number of groups of at least 1, got %q", c.Value)}
			}
			c.n = n
		}
	case MaxPer:
		n, err := strconv.Atoi(strings.TrimSpace(c.Value))
		if !hasValue || err != nil || n < 1 {
			return []string{fmt.Sprintf("MAX_PER takes a whole number of at least 1, got %q", c.Value)}
		}
		c.n = n
	case Like, Unlike:
		if !hasValue || c.Value == "" {
			return []string{fmt.Sprintf("%s needs a regular expression, for example %s:%s:rack-[12]", c.Operator, c.Field, c.Operator)}
		}
		re, err := regexp.Compile("^(?:" + c.Value + ")$")
		if err != nil {
			return []string{fmt.Sprintf("%s regular expression %q does not compile: %v", c.Operator, c.Value, err)}
		}
		c.re = re
	case Is:
		if !hasValue || c.Value == "" {
			return []string{"IS needs a value to compare with"}
		}
	}
	return nil
}

// String renders the rule in colon form, e.g. "hostname:MAX_PER:1".
func (c Constraint) String() string {
	if c.Value == "" {
		return c.Field + ":" + string(c.Operator)
	}
	return c.Field + ":" + string(c.Operator) + ":" + c.Value
}

func (c Constraint) parts() []string {
	if c.Value == "" {
		return []string{c.Field, string(c.Operator)}
	}
	return []string{c.Field, string(c.Operator), c.Value}
}

// String renders the constraints in the canonical JSON form,
// e.g. [["hostname","MAX_PER","1"]]; "" when there are none.
func (cs Constraints) String() string {
	if len(cs) == 0 {
		return ""
	}
	b, _ := cs.MarshalJSON()
	return string(b)
}

// MarshalJSON writes the canonical list-of-lists form.
func (cs Constraints) MarshalJSON() ([]byte, error) {
	lists := make([][]string, 0, len(cs))
	for _, c := range cs {
		lists = append(lists, c.parts())
	}
	return json.Marshal(lists)
}

// UnmarshalJSON reads a JSON list of lists or a JSON string in any accepted
// form, so a stored spec round-trips.
func (cs *Constraints) UnmarshalJSON(b []byte) error {
	text := string(b)
	var s string
	if err := json.Unmarshal(b, &s); err == nil {
		text = s
	}
	if strings.TrimSpace(text) == "null" {
		*cs = nil
		return nil
	}
	parsed, err := Parse(text)
	if err != nil {
		return err
	}
	*cs = parsed
	return nil
}

// References reports whether any rule uses field (for example FieldZone:
// Kafka sets broker.rack from the zone only when placement references it).
func (cs Constraints) References(field string) bool {
	for _, c := range cs {
		if c.Field == field {
			return true
		}
	}
	return false
}

// AtMostOnePerHost reports whether the rules guarantee that no two pods share
// an agent (hostname:UNIQUE or hostname:MAX_PER:1). A fixed broker port needs
// this, because two brokers on one agent cannot bind the same port.
func (cs Constraints) AtMostOnePerHost() bool {
	for _, c := range cs {
		if c.Field != FieldHostname {
			continue
		}
		if c.Operator == Unique || (c.Operator == MaxPer && c.limit() == 1) {
			return true
		}
	}
	return false
}

// Equal reports whether both hold the same rules in the same order.
func (cs Constraints) Equal(other Constraints) bool {
	if len(cs) != len(other) {
		return false
	}
	for i := range cs {
		if cs[i].Field != other[i].Field || cs[i].Operator != other[i].Operator || cs[i].Value != other[i].Value {
			return false
		}
	}
	return true
}
