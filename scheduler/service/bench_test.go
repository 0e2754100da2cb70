package service_test

// Benchmarks of one service on the fake master. They print figures
// (b.ReportMetric, b.Logf) and assert nothing about speed:
//
//	go test -run '^$' -bench BenchmarkOfferCycle1000Agents -benchtime 100x ./scheduler/service/
//	go test -run '^$' -bench BenchmarkReadsWhileTheMasterIsSlow ./scheduler/service/

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	mesos "github.com/mesos/mesos-go/api/v1/lib"

	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/plan"
	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/service"
	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/service/servicetest"
)

// BenchmarkOfferCycle1000Agents times offer cycles of 1,000 agents' offers
// while one service deploys, serially and one broker per agent: every cycle
// refuses the agents that already run a broker (placement), launches the
// next broker on the first free agent and declines the other offers in one
// call. brokers=3 is the 3-broker service of the manager's benchmark (a
// fresh service every 3 cycles); brokers=100 a large one, whose later
// cycles refuse up to 99 agents first. decide-* is the decision (pure
// computation under the lock: grouping, evaluation, placement, the task to
// launch, the calls), total-* the cycle end to end: from the event's
// arrival in the service to the end of its state writes (an embedded store
// on disk, TaskInfo encoding included) and calls (the fake master, in
// memory) — what offers.process times.
func BenchmarkOfferCycle1000Agents(b *testing.B) {
	for _, brokers := range []int{3, 100} {
		b.Run(fmt.Sprintf("brokers=%d", brokers), func(b *testing.B) { benchmarkOfferCycles(b, 1000, brokers) })
	}
}

func benchmarkOfferCycles(b *testing.B, agents, brokers int) {
	timing := service.Timing{Tick: 50 * time.Millisecond}
	options := fmt.Sprintf(`{"brokers": {"count": %d}, "service": {"placement_strategy": "NODE"}}`, brokers)
	var decide, total []time.Duration
	var f *fixture
	launched := 0
	b.ResetTimer()
	for range b.N {
		b.StopTimer()
		if f == nil || launched == brokers {
			f, launched = newFixture(b, options, timing), 0
		}
		offers := make([]mesos.Offer, agents)
		for i := range offers {
			offers[i] = f.master.Offer(servicetest.NewAgent(i + 1))
		}
		b.StartTimer()
		f.send(offers...)
		b.StopTimer()
		c := f.svc.OfferCycles()[0]
		if c.Launched != 1 || c.Declined != agents-1 {
			b.Fatalf("cycle %+v, want one launch and %d offers declined", c, agents-1)
		}
		decide, total = append(decide, c.Decide), append(total, c.Total)
		launched++
		f.running(f.master.Launches()[launched-1])
		f.waitFor("the step to complete", func() (bool, string) {
			return f.stepStatuses()[launched-1] == plan.Complete, ""
		})
		b.StartTimer()
	}
	b.StopTimer()
	report(b, "decide", decide)
	report(b, "total", total)
	b.Logf("%d cycles of %d agents' offers, %d-broker service: decide p50 %s p99 %s; end to end p50 %s p99 %s",
		len(decide), agents, brokers, quantile(decide, 0.5), quantile(decide, 0.99), quantile(total, 0.5), quantile(total, 0.99))
}

// BenchmarkReadsWhileTheMasterIsSlow times one round of every read of a
// service (detail, plan, pods, endpoints, configurations, properties,
// health, diagnostics, preview) while its offer cycles wait on a master
// that takes 2s to answer each call.
func BenchmarkReadsWhileTheMasterIsSlow(b *testing.B) {
	f := newFixture(b, `{"brokers": {"count": 3}}`, service.Timing{Tick: 50 * time.Millisecond, CallTimeout: 10 * time.Second})
	f.master.SetDelay(2 * time.Second)
	ctx, cancel := context.WithCancel(f.ctx)
	defer cancel()
	go func() {
		for i := 1; ctx.Err() == nil; i++ {
			_ = f.master.Offers(ctx, f.master.Offer(servicetest.NewAgent(i)))
		}
	}()
	next, _ := f.svc.Spec()
	var rounds []time.Duration
	b.ResetTimer()
	for range b.N {
		start := time.Now()
		f.svc.Detail()
		f.svc.PlanInfo(plan.DeployPlanName)
		f.svc.Pods(f.ctx)
		f.svc.Endpoint("broker")
		f.svc.ConfigurationIDs(f.ctx)
		f.svc.PropertyNames(f.ctx)
		f.svc.Property(f.ctx, "suppressed")
		f.svc.Health()
		f.svc.OfferOutcomes()
		f.svc.FrameworkID()
		if _, err := f.svc.PreviewUpdate(f.ctx, next); err != nil {
			b.Fatal(err)
		}
		rounds = append(rounds, time.Since(start))
	}
	b.StopTimer()
	report(b, "read-round", rounds)
	b.Logf("%d read rounds while every Mesos call takes 2s: p50 %s p99 %s max %s",
		len(rounds), quantile(rounds, 0.5), quantile(rounds, 0.99), quantile(rounds, 1))
}

func quantile(d []time.Duration, q float64) time.Duration {
	if len(d) == 0 {
		return 0
	}
	s := slices.Clone(d)
	slices.Sort(s)
	return s[int(q*float64(len(s)-1))]
}

func report(b *testing.B, name string, d []time.Duration) {
	b.ReportMetric(float64(quantile(d, 0.5).Nanoseconds())/1e3, name+"-p50-µs")
	b.ReportMetric(float64(quantile(d, 0.99).Nanoseconds())/1e3, name+"-p99-µs")
}
