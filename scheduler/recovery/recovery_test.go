package recovery

import (
	"strings"
	"testing"
	"time"
)

var t0 = time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)

func policy(auto bool) Policy {
	return Policy{EnableReplacement: auto, GracePeriod: 20 * time.Minute, MinDelayBetweenReplacements: 10 * time.Minute, Backoff: DefaultBackoff()}
}

func TestBackoffGrowsAndCaps(t *testing.T) {
	b := DefaultBackoff()
	var prev time.Duration
	for n := 1; n <= 30; n++ {
		d := b.Delay(n)
		if d < prev || d > b.Max {
			t.Fatalf("Delay(%d) = %s after %s (max %s)", n, d, prev, b.Max)
		}
		prev = d
	}
	if b.Delay(0) != 0 || b.Delay(1) != time.Minute || b.Delay(2) != 69*time.Second || b.Delay(1000) != b.Max {
		t.Errorf("Delay(0,1,2,1000) = %s %s %s %s", b.Delay(0), b.Delay(1), b.Delay(2), b.Delay(1000))
	}
}

func TestDecide(t *testing.T) {
	cases := []struct {
		name   string
		policy Policy
		broker Broker
		now    time.Time
		safety map[int]Safety
		last   time.Time
		want   Kind
		reason string // a part of the reason
	}{
		{"running", policy(false), Broker{State: Running}, t0, nil, time.Time{}, Healthy, ""},
		{"failed once: relaunch at once", policy(false), Broker{State: Failed}, t0, nil, time.Time{}, Relaunch, "in place"},
		{"killed out of band, backoff over", policy(false), Broker{State: Killed, Failures: 1, LastFailure: t0.Add(-2 * time.Minute)}, t0, nil, time.Time{}, Relaunch, "data kept"},
		{"crash loop backs off", policy(false), Broker{State: Failed, Failures: 3, LastFailure: t0.Add(-10 * time.Second)}, t0, nil, time.Time{}, BackingOff, "3 failed launch(es)"},
		{"stayed up: reset", policy(false), Broker{State: Running, Failures: 4, RunningSince: t0.Add(-11 * time.Minute)}, t0, nil, time.Time{}, ResetFailures, ""},
		{"up briefly: keep the count", policy(false), Broker{State: Running, Failures: 4, RunningSince: t0.Add(-time.Minute)}, t0, nil, time.Time{}, Healthy, ""},
		{"unreachable waits", policy(false), Broker{State: Unreachable, Since: t0.Add(-time.Hour)}, t0, nil, time.Time{}, WaitUnreachable, "come back"},
		{"gone, auto off: operator", policy(false), Broker{State: Gone, AgentGone: true, Since: t0}, t0, nil, time.Time{}, WaitOperator, "pod/kafka-0/replace"},
		{"gone by operator, auto off", policy(false), Broker{State: GoneByOperator, Since: t0}, t0, nil, time.Time{}, WaitOperator, "marked its agent gone"},
		{"operator replace", policy(false), Broker{State: Running, ReplaceRequested: true}, t0, nil, time.Time{}, Replace, "empty volume"},
		{"busy: deploy owns it", policy(true), Broker{State: Failed, Busy: true}, t0, nil, time.Time{}, Skip, ""},
		{"auto, unreachable within grace", policy(true), Broker{State: Unreachable, Since: t0.Add(-5 * time.Minute)}, t0, nil, time.Time{}, WaitReplacement, "after the grace period"},
		{"auto, unreachable past grace, unknown safety", policy(true), Broker{State: Unreachable, Since: t0.Add(-21 * time.Minute)}, t0, nil, time.Time{}, WaitReplacement, "asking Kafka"},
		{"auto, past grace, unsafe", policy(true), Broker{State: Gone, AgentGone: true, Since: t0.Add(-21 * time.Minute)}, t0,
			map[int]Safety{0: {Safe: false, Reason: "partition t-0 has no in-sync replica elsewhere"}}, time.Time{}, WaitReplacement, "t-0 has no in-sync"},
		{"auto, past grace, safe", policy(true), Broker{State: Gone, AgentGone: true, Since: t0.Add(-21 * time.Minute)}, t0,
			map[int]Safety{0: {Safe: true}}, time.Time{}, Replace, "automatically"},
		{"auto, too soon after the last one", policy(true), Broker{State: Gone, AgentGone: true, Since: t0.Add(-21 * time.Minute)}, t0,
			map[int]Safety{0: {Safe: true}}, t0.Add(-time.Minute), WaitReplacement, "min_delay_between_recovers_secs"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ds := Decide(Input{Now: c.now, Policy: c.policy, Brokers: []Broker{c.broker}, Safety: c.safety, LastReplacement: c.last})
			if len(ds) != 1 || ds[0].Kind != c.want || !strings.Contains(ds[0].Reason, c.reason) {
				t.Fatalf("decision = %+v, want %s with %q", ds, c.want, c.reason)
			}
		})
	}
}

func TestOneAutomaticReplacementAtATime(t *testing.T) {
	lost := func(id int) Broker {
		return Broker{ID: id, State: Gone, AgentGone: true, Since: t0.Add(-time.Hour)}
	}
	in := Input{Now: t0, Policy: policy(true), Brokers: []Broker{lost(2), lost(1), {ID: 0, State: Running}},
		Safety: map[int]Safety{1: {Safe: true}, 2: {Safe: true}}}
	if got := NeedsSafety(in); len(got) != 2 {
		t.Fatalf("NeedsSafety = %v, want brokers 2 and 1", got)
	}
	ds := Decide(in)
	kinds := []Kind{ds[0].Kind, ds[1].Kind, ds[2].Kind}
	if kinds[0] != Healthy || kinds[1] != Replace || kinds[2] != WaitReplacement {
		t.Fatalf("kinds = %v, want healthy, replace, wait", kinds)
	}
	if !strings.Contains(ds[2].Reason, "one replacement at a time") {
		t.Errorf("reason = %q", ds[2].Reason)
	}
	// One delay later, with the first replaced, the second goes.
	in2 := Input{Now: t0.Add(10 * time.Minute), Policy: policy(true), Brokers: []Broker{lost(2)}, LastReplacement: t0, Safety: map[int]Safety{2: {Safe: true}}}
	if ds := Decide(in2); ds[0].Kind != Replace {
		t.Fatalf("after the delay: %+v", ds)
	}
	in2.Now = t0.Add(9 * time.Minute)
	if ds := Decide(in2); ds[0].Kind != WaitReplacement || !ds[0].NotBefore.Equal(t0.Add(10*time.Minute)) {
		t.Fatalf("before the delay: %+v", ds)
	}
}
