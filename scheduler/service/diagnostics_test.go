package service_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/mesos/mesos-go/api/v1/lib/scheduler"

	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/plan"
	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/service/servicetest"
)

// TestStepMessageCountsReasonsPerClass: a step no offer fits says, per
// reason class, how many agents were refused for it with a few examples,
// not one clause per agent; the cycle's summary has the same counts.
func TestStepMessageCountsReasonsPerClass(t *testing.T) {
	f := newFixture(t, `{"brokers": {"count": 1}}`)
	var agents []servicetest.Agent
	for i := 1; i <= 20; i++ {
		a := servicetest.NewAgent(i)
		a.Mem = 400
		if i > 17 {
			a.Mem, a.CPUs = 8192, 0.5
		}
		agents = append(agents, a)
	}
	f.offers(agents...)
	msg := f.deployPlan().Phases[0].Steps[0].Message
	for _, want := range []string{
		"no offer fits: insufficient mem: 17 agents (e.g. 10.0.0.1: need 2080, offer has 400 unreserved; 10.0.0.2: need 2080, offer has 400 unreserved; 10.0.0.3: ",
		"; insufficient cpus: 3 agents (e.g. 10.0.0.18: need 1.1, offer has 0.5 unreserved; 10.0.0.19",
	} {
		if !strings.Contains(msg, want) {
			t.Errorf("step message %q does not contain %q", msg, want)
		}
	}
	if strings.Contains(msg, "10.0.0.4:") {
		t.Errorf("step message names more than 3 examples of a class: %q", msg)
	}

	cycles := f.svc.OfferCycles()
	if len(cycles) == 0 {
		t.Fatal("no offer cycle summary")
	}
	c := cycles[0]
	if c.Offers != 20 || c.Agents != 20 || c.Declined != 20 || c.Accepted != 0 || c.Filter != 5*time.Second {
		t.Errorf("cycle summary %+v, want 20 offers of 20 agents declined for 5s", c)
	}
	if len(c.Refusals) != 2 || c.Refusals[0].Class != "insufficient mem" || c.Refusals[0].Agents != 17 || c.Refusals[1].Agents != 3 || len(c.Refusals[0].Examples) != 3 {
		t.Errorf("cycle refusals %+v, want insufficient mem 17 (3 examples), insufficient cpus 3", c.Refusals)
	}
	if c.Total < c.Decide || c.Decide <= 0 {
		t.Errorf("cycle took %s deciding of %s in all", c.Decide, c.Total)
	}
}

// TestPlacementRefusalsAreCountedPerRule: a placement refusal is counted
// under the rule that refused.
func TestPlacementRefusalsAreCountedPerRule(t *testing.T) {
	f := newFixture(t, twoBrokersOnDistinctAgents)
	a1 := servicetest.NewAgent(1)
	f.offers(a1)
	f.running(f.launches(1)[0])
	f.waitSteps(plan.Complete, plan.Pending)
	f.offers(a1)
	msg := f.deployPlan().Phases[0].Steps[1].Message
	if want := `no offer fits: placement hostname:UNIQUE: 1 agent (e.g. 10.0.0.1: hostname "10.0.0.1" already runs`; !strings.Contains(msg, want) {
		t.Errorf("step message %q does not contain %q", msg, want)
	}
}

// TestOfferOutcomesAreBounded: the outcome buffer keeps the latest 500,
// newest first.
func TestOfferOutcomesAreBounded(t *testing.T) {
	f := newFixture(t, `{"brokers": {"count": 1}}`)
	small := servicetest.NewAgent(1)
	small.Mem = 100
	for i := range 6 {
		var agents []servicetest.Agent
		for j := range 100 {
			a := small
			a.ID, a.Hostname = fmt.Sprintf("agent-%d-%d", i, j), fmt.Sprintf("host-%d-%d", i, j)
			agents = append(agents, a)
		}
		f.offers(agents...) // 100 evaluations and 100 declines each
	}
	got := f.svc.OfferOutcomes()
	if len(got) != 500 {
		t.Fatalf("%d outcomes kept, want 500", len(got))
	}
	if got[0].Hostname != "host-5-99" || got[0].Outcome != "declined short" {
		t.Errorf("newest outcome %+v, want the last cycle's last decline", got[0])
	}
	// Each cycle records 100 evaluations, then 100 declines; the oldest
	// kept is the fourth cycle's first decline.
	if got[100].Hostname != "host-5-99" || got[100].Outcome != "did not fit" {
		t.Errorf("outcome 100 %+v, want the last cycle's last evaluation", got[100])
	}
	if got[499].Hostname != "host-3-0" || got[499].Outcome != "declined short" {
		t.Errorf("oldest outcome %+v, want the fourth cycle's first decline", got[499])
	}
	if n := len(f.master.Calls(scheduler.Call_DECLINE)); n != 6 {
		t.Errorf("%d DECLINE calls for 6 cycles, want one per cycle", n)
	}
}
