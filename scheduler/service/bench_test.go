package service_test

// Benchmarks of one service on the fake master. They print figures
// (b.ReportMetric, b.Logf) and assert nothing about speed:
//
//	go test -run '^$' -bench BenchmarkOfferCycle1000Agents -benchtime 100x ./scheduler/service/
//	go test -run '^$' -bench BenchmarkReadsWhileTheMasterIsSlow ./scheduler/service/

import (
	"context"
	"encoding/json"
	"fmt"
	"runtime"
	"slices"
	"testing"
	"time"

	mesos "github.com/mesos/mesos-go/api/v1/lib"
	"github.com/mesos/mesos-go/api/v1/lib/scheduler"

	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/plan"
	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/service"
	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/service/servicetest"
	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/spec"
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

// BenchmarkRollingStepOverhead times the scheduler's own overhead per step
// of a rolling restart (issue 11), on the fake master and a fake Kafka that
// answers at once, with DC/OS's 1s timer period:
//
//   - ready-to-complete: from the relaunched broker's RUNNING+ready status
//     to its step COMPLETE when Kafka has it in the ISR at once (the ISR
//     check, BackInSync, included);
//   - in-isr-to-complete: when Kafka puts it back in the ISR only later
//     (broker 1 of each roll), from that moment to its step COMPLETE (the
//     ISR poll's delay, Timing.ISRPoll);
//   - complete-to-kill: from that step's COMPLETE to the KILL of the next
//     broker (its restart gate, CanRestartBroker, included).
//
// Each iteration rolls a 3-broker service once (a heap change).
//
//	go test -run '^$' -bench BenchmarkRollingStepOverhead -benchtime 20x ./scheduler/service/
func BenchmarkRollingStepOverhead(b *testing.B) {
	var readyToComplete, inISRToComplete, completeToKill []time.Duration
	for range b.N {
		b.StopTimer()
		f := newFixture(b, `{"brokers": {"count": 3}}`, service.Timing{Tick: time.Second})
		for i := range 3 {
			f.offers(servicetest.NewAgent(i + 1))
			f.running(f.launches(i + 1)[i])
		}
		f.waitSteps(plan.Complete, plan.Complete, plan.Complete)
		launches := f.master.Launches()
		cur, _ := f.svc.Spec()
		opts := cur.Options
		opts.Brokers.Heap.Size += 64
		next, err := spec.Parse(mustJSONb(b, opts), opts, spec.Environment{ZookeeperConnect: "zk-1:2181"})
		if err != nil {
			b.Fatal(err)
		}
		if _, _, err := f.svc.Update(f.ctx, next); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		for i := range 3 {
			old := launches[i]
			f.waitCalls(scheduler.Call_KILL, i+1)
			f.update(servicetest.Status(old.TaskID(), old.AgentID(), mesos.TASK_KILLED, false))
			f.send(f.master.ReservedOffer(old))
			relaunch := f.launches(4 + i)[3+i]
			var complete time.Time
			if i == 1 {
				// Kafka takes a while to put the broker back in the
				// ISR: from then to COMPLETE is the ISR poll's delay.
				f.kafka.set(func(k *fakeKafka) { k.outOfSync[int32(i)] = true })
				f.running(relaunch)
				spinUntil(b, func() bool { return f.kafka.backInSyncCalls(int32(i)) > 0 })
				var inSync time.Time
				f.kafka.set(func(k *fakeKafka) { k.outOfSync[int32(i)] = false; inSync = time.Now() })
				complete = spinUntil(b, func() bool { return brokerStep(f, i) == plan.Complete })
				inISRToComplete = append(inISRToComplete, complete.Sub(inSync))
			} else {
				ready := time.Now()
				f.running(relaunch)
				complete = spinUntil(b, func() bool { return brokerStep(f, i) == plan.Complete })
				readyToComplete = append(readyToComplete, complete.Sub(ready))
			}
			if i < 2 {
				killed := spinUntil(b, func() bool { return len(f.master.Calls(scheduler.Call_KILL)) >= i+2 })
				completeToKill = append(completeToKill, killed.Sub(complete))
			}
		}
		b.StopTimer()
		f.stop()
		b.StartTimer()
	}
	b.StopTimer()
	reportMs(b, "ready-to-complete", readyToComplete)
	reportMs(b, "in-isr-to-complete", inISRToComplete)
	reportMs(b, "complete-to-kill", completeToKill)
	b.Logf("%d rolls of 3 brokers with a 1s timer: RUNNING+ready (already in the ISR) → COMPLETE p50 %s max %s; back in the ISR later → COMPLETE p50 %s max %s; COMPLETE → next KILL p50 %s max %s",
		b.N, quantile(readyToComplete, 0.5), quantile(readyToComplete, 1), quantile(inISRToComplete, 0.5), quantile(inISRToComplete, 1), quantile(completeToKill, 0.5), quantile(completeToKill, 1))
}

// brokerStep is the status of broker i's step in the broker phase.
func brokerStep(f *fixture, i int) plan.Status {
	for _, ph := range f.deployPlan().Phases {
		if ph.Name == plan.BrokerPhaseName && i < len(ph.Steps) {
			return ph.Steps[i].Status
		}
	}
	return ""
}

// spinUntil polls cond without sleeping (the figures are sub-millisecond)
// and returns when it first held; it gives up after 10s.
func spinUntil(b *testing.B, cond func() bool) time.Time {
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			b.Fatal("timed out")
		}
		runtime.Gosched()
	}
	return time.Now()
}

func reportMs(b *testing.B, name string, d []time.Duration) {
	b.ReportMetric(float64(quantile(d, 0.5).Microseconds())/1e3, name+"-p50-ms")
	b.ReportMetric(float64(quantile(d, 1).Microseconds())/1e3, name+"-max-ms")
}

func mustJSONb(b *testing.B, v any) []byte {
	b.Helper()
	data, err := json.Marshal(v)
	if err != nil {
		b.Fatal(err)
	}
	return data
}
