package placement

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
)

func TestParseAcceptsEveryForm(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want string // canonical JSON form
	}{
		{"empty", "", ""},
		{"blank", "  ", ""},
		{"empty list", "[]", ""},
		{"dcos default", `[["hostname", "MAX_PER", "1"]]`, `[["hostname","MAX_PER","1"]]`},
		{"single list", `["hostname","UNIQUE"]`, `[["hostname","UNIQUE"]]`},
		{"numeric value", `[["hostname","MAX_PER",2]]`, `[["hostname","MAX_PER","2"]]`},
		{"colon form", "hostname:UNIQUE", `[["hostname","UNIQUE"]]`},
		{"colon form, several", "hostname:MAX_PER:2,@zone:GROUP_BY:3", `[["hostname","MAX_PER","2"],["@zone","GROUP_BY","3"]]`},
		{"lower-case operator", "hostname:unique", `[["hostname","UNIQUE"]]`},
		{"@hostname alias", "@hostname:UNIQUE", `[["hostname","UNIQUE"]]`},
		{"region and attribute", `[["@region","IS","us-east"],["rack","LIKE","r[12]"]]`, `[["@region","IS","us-east"],["rack","LIKE","r[12]"]]`},
		{"escaped comma in regex", `rack:LIKE:r{1\,2},hostname:UNIQUE`, `[["rack","LIKE","r{1,2}"],["hostname","UNIQUE"]]`},
		{"colon inside value", "rack:IS:a:b", `[["rack","IS","a:b"]]`},
		{"group by without count", "@zone:GROUP_BY", `[["@zone","GROUP_BY"]]`},
		{"cluster without value", "rack:CLUSTER", `[["rack","CLUSTER"]]`},
		{"unlike", "hostname:UNLIKE:bad-.*", `[["hostname","UNLIKE","bad-.*"]]`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cs, err := Parse(tt.in)
			if err != nil {
				t.Fatalf("Parse(%q): %v", tt.in, err)
			}
			if got := cs.String(); got != tt.want {
				t.Errorf("Parse(%q) = %s, want %s", tt.in, got, tt.want)
			}
		})
	}
}

func TestParseReportsEveryMistake(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want []string
	}{
		{"unknown operator", "hostname:SOMETIMES", []string{`constraint 1 (hostname:SOMETIMES): unknown operator "SOMETIMES"; use one of UNIQUE, CLUSTER, GROUP_BY, LIKE, UNLIKE, MAX_PER, IS`}},
		{"missing operator", "hostname", []string{"constraint 1 (hostname): want field:OPERATOR or field:OPERATOR:value"}},
		{"max per without number", "hostname:MAX_PER", []string{`constraint 1 (hostname:MAX_PER): MAX_PER takes a whole number of at least 1, got ""`}},
		{"max per zero", `[["hostname","MAX_PER","0"]]`, []string{`MAX_PER takes a whole number of at least 1, got "0"`}},
		{"group by not a number", "@zone:GROUP_BY:three", []string{`GROUP_BY takes a whole number of groups of at least 1, got "three"`}},
		{"bad regex", "rack:LIKE:r[", []string{`LIKE regular expression "r[" does not compile`}},
		{"like without regex", "rack:LIKE", []string{"LIKE needs a regular expression, for example rack:LIKE:rack-[12]"}},
		{"unique with value", "hostname:UNIQUE:x", []string{"UNIQUE takes no value"}},
		{"is without value", "rack:IS", []string{"IS needs a value to compare with"}},
		{"empty field", ":UNIQUE", []string{`field "" must be hostname, @zone, @region or an agent attribute name`}},
		{"bad json", `[["hostname","UNIQUE"]`, []string{"not valid JSON", `write it as [["hostname","UNIQUE"]] or hostname:UNIQUE`}},
		{"json object", `[{"field":"hostname"}]`, []string{`{"field":"hostname"} is not a string; write each constraint as a list of strings`}},
		{"json bool", `[["hostname",true]]`, []string{"constraint 1: true is not a string"}},
		{"two mistakes at once", "hostname:NOPE,rack:LIKE:(", []string{"constraint 1 (hostname:NOPE): unknown operator", "constraint 2 (rack:LIKE:(): LIKE regular expression"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cs, err := Parse(tt.in)
			if err == nil {
				t.Fatalf("Parse(%q) = %v, want an error", tt.in, cs)
			}
			var pe *ParseError
			if !errors.As(err, &pe) {
				t.Fatalf("error %T is not a *ParseError", err)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err.Error(), w)
				}
			}
		})
	}
}

func TestConstraintsJSONRoundTrip(t *testing.T) {
	cs := MustParse("hostname:MAX_PER:2,rack:LIKE:r[12],@zone:GROUP_BY:3")
	b, err := json.Marshal(struct {
		P Constraints `json:"p"`
	}{cs})
	if err != nil {
		t.Fatal(err)
	}
	if want := `{"p":[["hostname","MAX_PER","2"],["rack","LIKE","r[12]"],["@zone","GROUP_BY","3"]]}`; string(b) != want {
		t.Fatalf("marshal = %s, want %s", b, want)
	}
	var back struct {
		P Constraints `json:"p"`
	}
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if !back.P.Equal(cs) {
		t.Fatalf("round trip = %v, want %v", back.P, cs)
	}
	// The regex must work after a round trip, not only compare equal.
	if d := back.P.Evaluate(Agent{Hostname: "a", Attributes: map[string]string{"rack": "r3"}, Zone: "z"}, nil); d.Pass {
		t.Fatal("round-tripped LIKE rule let rack r3 through")
	}
	// A JSON string in the colon form is accepted too.
	if err := json.Unmarshal([]byte(`{"p":"hostname:UNIQUE"}`), &back); err != nil || back.P.String() != `[["hostname","UNIQUE"]]` {
		t.Fatalf("string form: %v %v", back.P, err)
	}
	if err := json.Unmarshal([]byte(`{"p":"hostname:NOPE"}`), &back); err == nil {
		t.Fatal("an invalid stored constraint must fail to decode")
	}
}

func TestReferencesAndOnePerHost(t *testing.T) {
	tests := []struct {
		in         string
		zone       bool
		onePerHost bool
	}{
		{"", false, false},
		{"hostname:UNIQUE", false, true},
		{"hostname:MAX_PER:1", false, true},
		{"hostname:MAX_PER:2", false, false},
		{"@zone:GROUP_BY:3,hostname:MAX_PER:1", true, true},
		{"rack:UNIQUE", false, false},
		{"hostname:LIKE:a.*", false, false},
	}
	for _, tt := range tests {
		cs := MustParse(tt.in)
		if got := cs.References(FieldZone); got != tt.zone {
			t.Errorf("%q References(@zone) = %v, want %v", tt.in, got, tt.zone)
		}
		if got := cs.AtMostOnePerHost(); got != tt.onePerHost {
			t.Errorf("%q AtMostOnePerHost() = %v, want %v", tt.in, got, tt.onePerHost)
		}
	}
}

func agent(host, zone string, attrs ...string) Agent {
	a := Agent{Hostname: host, Zone: zone, Region: "r1", Attributes: map[string]string{}}
	for i := 0; i+1 < len(attrs); i += 2 {
		a.Attributes[attrs[i]] = attrs[i+1]
	}
	return a
}

func TestEvaluate(t *testing.T) {
	tests := []struct {
		name      string
		rules     string
		candidate Agent
		placed    []Agent
		want      string // "pass" or the exact failure text
	}{
		{"no rules", "", agent("a", ""), []Agent{agent("a", "")}, "pass"},
		{"unique free host", "hostname:UNIQUE", agent("b", ""), []Agent{agent("a", "")}, "pass"},
		{"unique taken host", "hostname:UNIQUE", agent("a", ""), []Agent{agent("a", "")},
			`hostname:UNIQUE failed: hostname "a" already runs 1 pod of this service`},
		{"max per under limit", "hostname:MAX_PER:2", agent("a", ""), []Agent{agent("a", "")}, "pass"},
		{"max per at limit", "hostname:MAX_PER:2", agent("a", ""), []Agent{agent("a", ""), agent("a", ""), agent("b", "")},
			`hostname:MAX_PER:2 failed: hostname "a" already runs 2 pods of this service (at most 2 allowed)`},
		{"max per on zone", "@zone:MAX_PER:1", agent("c", "z1"), []Agent{agent("a", "z1")},
			`@zone:MAX_PER:1 failed: zone "z1" already runs 1 pod of this service (at most 1 allowed)`},
		{"cluster with value, match", "rack:CLUSTER:r1", agent("a", "", "rack", "r1"), nil, "pass"},
		{"cluster with value, mismatch", "rack:CLUSTER:r1", agent("a", "", "rack", "r2"), nil,
			`rack:CLUSTER:r1 failed: attribute rack is "r2", every pod must be on "r1"`},
		{"cluster without value, first pod", "rack:CLUSTER", agent("a", "", "rack", "r2"), nil, "pass"},
		{"cluster without value, follows first pod", "rack:CLUSTER", agent("b", "", "rack", "r2"), []Agent{agent("a", "", "rack", "r1")},
			`rack:CLUSTER failed: attribute rack is "r2", every pod must be on "r1"`},
		{"like anchored match", "rack:LIKE:r[12]", agent("a", "", "rack", "r2"), nil, "pass"},
		{"like is fully anchored", "rack:LIKE:r1", agent("a", "", "rack", "r10"), nil,
			`rack:LIKE:r1 failed: attribute rack is "r10", which does not match r1`},
		{"like on missing attribute", "rack:LIKE:r1", agent("a", ""), nil,
			`rack:LIKE:r1 failed: agent "a" has no attribute rack`},
		{"unlike excluded", "hostname:UNLIKE:bad-.*", agent("bad-1", ""), nil,
			`hostname:UNLIKE:bad-.* failed: hostname is "bad-1", which matches the excluded pattern bad-.*`},
		{"unlike allowed", "hostname:UNLIKE:bad-.*", agent("good-1", ""), nil, "pass"},
		{"unlike on missing attribute passes", "rack:UNLIKE:r1", agent("a", ""), nil, "pass"},
		{"is match", "@region:IS:r1", agent("a", ""), nil, "pass"},
		{"is mismatch", "@region:IS:r2", agent("a", ""), nil, `@region:IS:r2 failed: region is "r1", must be "r2"`},
		{"zone missing", "@zone:GROUP_BY", agent("a", ""), nil, `@zone:GROUP_BY failed: agent "a" has no zone`},
		{"group by, new group", "@zone:GROUP_BY", agent("c", "z2"), []Agent{agent("a", "z1")}, "pass"},
		{"group by, even groups", "@zone:GROUP_BY", agent("c", "z1"), []Agent{agent("a", "z1"), agent("b", "z2")}, "pass"},
		{"group by, fuller group refused", "@zone:GROUP_BY", agent("c", "z1"), []Agent{agent("a", "z1"), agent("b", "z1"), agent("d", "z2")},
			`@zone:GROUP_BY failed: zone "z1" already runs 2 pods while zone "z2" runs 1 pod; pods must spread evenly`},
		{"group by n, unseen groups first", "@zone:GROUP_BY:3", agent("c", "z1"), []Agent{agent("a", "z1"), agent("b", "z2")},
			`@zone:GROUP_BY:3 failed: zone "z1" already runs 1 pod while fewer than 3 groups are in use; place on another zone`},
		{"group by n, third group", "@zone:GROUP_BY:3", agent("c", "z3"), []Agent{agent("a", "z1"), agent("b", "z2")}, "pass"},
		{"group by n, all groups used", "@zone:GROUP_BY:2", agent("c", "z1"), []Agent{agent("a", "z1"), agent("b", "z2")}, "pass"},
		{"every failure listed", "hostname:UNIQUE,@region:IS:r9", agent("a", ""), []Agent{agent("a", "")},
			`hostname:UNIQUE failed: hostname "a" already runs 1 pod of this service; @region:IS:r9 failed: region is "r1", must be "r9"`},
		{"placed agents without the field are ignored", "rack:UNIQUE", agent("c", "", "rack", "r1"), []Agent{agent("a", "")}, "pass"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := MustParse(tt.rules).Evaluate(tt.candidate, tt.placed)
			if got := d.String(); got != tt.want {
				t.Errorf("Evaluate = %q, want %q", got, tt.want)
			}
			if d.Pass != (tt.want == "pass") {
				t.Errorf("Pass = %v but failures = %v", d.Pass, d.Failures)
			}
		})
	}
}

func BenchmarkEvaluate(b *testing.B) {
	cs := MustParse(`[["hostname","MAX_PER","1"],["@zone","GROUP_BY","3"],["rack","LIKE","rack-[0-9]+"]]`)
	placed := make([]Agent, 0, 100)
	for i := range 100 {
		placed = append(placed, agent("host-"+string(rune('a'+i%26))+"-"+string(rune('a'+i/26)), "z"+string(rune('1'+i%3)), "rack", "rack-1"))
	}
	candidate := agent("fresh", "z1", "rack", "rack-7")
	b.ReportAllocs()
	for b.Loop() {
		cs.Evaluate(candidate, placed)
	}
	b.ReportMetric(float64(len(placed)), "placed-pods")
}
