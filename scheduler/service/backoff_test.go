package service_test

import (
	"strings"
	"testing"
	"time"

	mesos "github.com/mesos/mesos-go/api/v1/lib"
	"github.com/mesos/mesos-go/api/v1/lib/scheduler"

	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/plan"
	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/service/servicetest"
)

// TestFailingLaunchesBackOff: the first failed launch is relaunched at
// once; from the second failure in a row the step is DELAYED for the
// launch backoff (60 s first), offers meanwhile launch nothing, and the
// step message gives the next attempt; once the backoff is over the broker
// is launched again.
func TestFailingLaunchesBackOff(t *testing.T) {
	f := newFixture(t, `{"brokers": {"count": 1}}`)
	fail := func(l servicetest.Launch) {
		f.update(servicetest.Status(l.TaskID(), l.AgentID(), mesos.TASK_FAILED, false))
	}

	f.offers(servicetest.NewAgent(1))
	first := f.launches(1)[0]
	fail(first)
	f.waitSteps(plan.Pending) // the first failure is relaunched at once

	f.send(f.master.ReservedOffer(first))
	fail(f.launches(2)[1])
	f.waitSteps(plan.Delayed)
	if msg := f.deployPlan().Phases[0].Steps[0].Message; !strings.Contains(msg, "failed 2 times in a row") || !strings.Contains(msg, "next attempt at") {
		t.Fatalf("step message %q does not explain the backoff", msg)
	}

	declines := len(f.master.Calls(scheduler.Call_DECLINE))
	f.send(f.master.ReservedOffer(first))
	f.waitCalls(scheduler.Call_DECLINE, declines+1)
	if n := len(f.master.Launches()); n != 2 {
		t.Fatalf("%d launches during the backoff, want still 2", n)
	}

	f.clock.Advance(61 * time.Second)
	f.waitSteps(plan.Pending)
	f.send(f.master.ReservedOffer(first))
	l := f.launches(3)[2]
	f.running(l)
	f.waitSteps(plan.Complete)
}
