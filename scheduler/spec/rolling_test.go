package spec

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/validation"
)

func TestRollingOptionsDefaults(t *testing.T) {
	s := mustParse(t, `{}`)
	if s.UpdateStrategy != "serial" || s.Options.Service.UpdateStrategy != "serial" {
		t.Errorf("update strategy = %q (option %q), want serial", s.UpdateStrategy, s.Options.Service.UpdateStrategy)
	}
	if got := s.RestartGate(); got != (RestartGate{SafetyCheck: true, ISRWait: 600 * time.Second}) {
		t.Errorf("restart gate = %+v, want the safety check on and a 600 s ISR wait", got)
	}
}

func TestRollingOptionsAreRead(t *testing.T) {
	s := mustParse(t, `{"service":{"update_strategy":"canary","deploy_strategy":"parallel","rolling_restart_safety_check":false,"isr_wait_timeout_secs":30}}`)
	if s.UpdateStrategy != "serial-canary" || s.DeployStrategy != "parallel" {
		t.Errorf("update strategy %q, deploy strategy %q: want serial-canary and parallel, each on its own", s.UpdateStrategy, s.DeployStrategy)
	}
	if got := s.RestartGate(); got != (RestartGate{SafetyCheck: false, ISRWait: 30 * time.Second}) {
		t.Errorf("restart gate = %+v", got)
	}
	for _, name := range DeployStrategies() {
		if s := mustParse(t, `{"service":{"update_strategy":"`+name+`"}}`); s.UpdateStrategy != name {
			t.Errorf("update_strategy %q reads as %q", name, s.UpdateStrategy)
		}
	}
}

func TestRollingOptionsAreValidated(t *testing.T) {
	cases := []struct {
		name, body string
		want       validation.Problems
	}{
		{"unknown update strategy", `{"service":{"update_strategy":"rolling"}}`, validation.Problems{
			p("service.update_strategy", "rolling", "must be one of serial, parallel, serial-canary or parallel-canary")}},
		{"ISR wait too short", `{"service":{"isr_wait_timeout_secs":9}}`, validation.Problems{
			p("service.isr_wait_timeout_secs", "9", "must be at least 10 seconds")}},
		{"ISR wait too long", `{"service":{"isr_wait_timeout_secs":86401}}`, validation.Problems{
			p("service.isr_wait_timeout_secs", "86401", "must be at most 86400 seconds")}},
		{"safety check not a bool", `{"service":{"rolling_restart_safety_check":"yes"}}`, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := Parse([]byte(c.body), DefaultOptions(), testEnv)
			ps, ok := err.(validation.Problems)
			if !ok {
				t.Fatalf("err = %v (%T), want problems", err, err)
			}
			if c.want == nil {
				if len(ps) != 1 || ps[0].Field != "service.rolling_restart_safety_check" {
					t.Fatalf("problems = %v, want one on service.rolling_restart_safety_check", ps)
				}
				return
			}
			if !slices.Equal(ps, c.want) {
				t.Errorf("problems = %v\nwant %v", ps, c.want)
			}
		})
	}
}

// A spec stored before the rolling options existed must read back with
// the safety check on, not with Go's zero value (off).
func TestStoredSpecWithoutRollingOptionsGetsDefaults(t *testing.T) {
	s := mustParse(t, `{"service":{"rolling_restart_safety_check":false,"isr_wait_timeout_secs":20,"update_strategy":"parallel"}}`)
	data, err := json.Marshal(s)
	if err != nil {
		t.Fatal(err)
	}
	var back ServiceSpec
	if err := json.Unmarshal(data, &back); err != nil {
		t.Fatal(err)
	}
	if back.Hash() != s.Hash() || back.RestartGate().SafetyCheck || back.UpdateStrategy != "parallel" {
		t.Fatalf("round trip changed the spec: %+v", back.RestartGate())
	}

	old := string(data)
	for _, key := range []string{`"rolling_restart_safety_check":false,`, `"isr_wait_timeout_secs":20,`, `"update_strategy":"parallel",`} {
		if !strings.Contains(old, key) {
			t.Fatalf("stored spec %s lacks %s", old, key)
		}
		old = strings.Replace(old, key, "", -1)
	}
	if err := json.Unmarshal([]byte(old), &back); err != nil {
		t.Fatal(err)
	}
	if got := back.RestartGate(); got != (RestartGate{SafetyCheck: true, ISRWait: 600 * time.Second}) {
		t.Errorf("an old record reads with gate %+v, want the defaults", got)
	}
	if back.UpdateStrategy != "serial" || back.Options.Service.UpdateStrategy != "serial" {
		t.Errorf("an old record reads with update strategy %q/%q, want serial", back.UpdateStrategy, back.Options.Service.UpdateStrategy)
	}
}
