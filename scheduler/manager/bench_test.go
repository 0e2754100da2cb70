package manager_test

// Scheduler benchmarks on the local Mesos. They print figures
// (b.ReportMetric, b.Logf) and never assert on speed. Run one at a time:
//
//	go test -run '^$' -bench BenchmarkOfferProcessing1000Agents -benchtime=1x ./scheduler/manager/
//	go test -run '^$' -bench BenchmarkInstallToComplete -benchtime=1x ./scheduler/manager/
//	go test -run '^$' -bench BenchmarkRSS10Services -benchtime=1x ./scheduler/manager/
//
// They use benchHarness below rather than harness_test.go's harness: that
// one takes a *testing.T (newHarness, h.t) and sizes every agent alike
// (2 CPUs, 12 GB disk), so a benchmark cannot build it. benchHarness
// mirrors newHarness and startManager (same store, same local Mesos
// timings, same `timing`, same service defaults) for a testing.TB and
// explicit agents; were the harness to take a testing.TB and agent configs,
// it could go.

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	mesossched "github.com/mesos/mesos-go/api/v1/lib/scheduler"

	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/kafka/devkafka"
	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/localmesos"
	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/manager"
	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/plan"
	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/service"
	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/spec"
	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/state/embedded"
)

// benchHarness is a scheduler (manager) on a local Mesos, for benchmarks.
type benchHarness struct {
	tb    testing.TB
	dir   string
	mesos *localmesos.Cluster
	mgr   *manager.Manager
	calls *mesosCalls
}

// harnessAgent is the agent newHarness starts (with its default memory).
func harnessAgent() localmesos.AgentConfig {
	return localmesos.AgentConfig{CPUs: 2, MemMB: 4096, DiskMB: 12288}
}

func agentsOf(n int, a localmesos.AgentConfig) []localmesos.AgentConfig {
	out := make([]localmesos.AgentConfig, n)
	for i := range out {
		out[i] = a
	}
	return out
}

// newBenchHarness starts a local Mesos with the given agents and a manager
// on it, as newHarness does. heartbeat 0 takes newHarness's 200ms; the
// 1,000-agent benchmark uses 1s, as localmesos's own 1,000-agent benchmark
// does.
func newBenchHarness(tb testing.TB, agents []localmesos.AgentConfig, heartbeat time.Duration) *benchHarness {
	tb.Helper()
	if heartbeat == 0 {
		heartbeat = 200 * time.Millisecond
	}
	h := &benchHarness{tb: tb, dir: tb.TempDir(), calls: &mesosCalls{next: http.DefaultTransport}}
	store, err := embedded.Open(filepath.Join(h.dir, "state"), embedded.Options{})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { store.Close() })
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cluster, err := localmesos.Start(ctx, localmesos.Config{
		WorkDir:           filepath.Join(h.dir, "mesos"),
		Agents:            agents,
		HeartbeatInterval: heartbeat,
		StatusUpdateRetry: 500 * time.Millisecond,
		ShutdownGrace:     2 * time.Second,
	})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { cluster.Close() })
	h.mesos = cluster

	mgrCtx, stop := context.WithCancel(context.Background())
	h.mgr = manager.New(manager.Config{
		Store:       store,
		Master:      cluster.SchedulerURL(),
		Environment: spec.Environment{ZookeeperConnect: "test-zookeeper.invalid:2181"},
		DefaultsFor: func(name string) spec.Options { // as in harness.startManager
			o := spec.DefaultOptions()
			o.Brokers.KafkaURI = "file://" + tarball
			o.Brokers.KafkaVersionPath = devkafka.DistDir
			o.Brokers.Mem = 512
			o.Brokers.Heap.Size = 256
			o.Brokers.Disk = 1024
			o.Service.ReadinessCheck.IntervalSeconds = 5
			o.Service.ReadinessCheck.DelaySeconds = 2
			o.Kafka.ServerProperties = map[string]string{
				devkafka.RegistryDirProperty: filepath.Join(h.dir, "registry", spec.ServiceKey(name)),
			}
			return o
		},
		Timing:    timing,
		Transport: h.calls,
	})
	if err := h.mgr.Start(mgrCtx); err != nil {
		stop()
		tb.Fatal(err)
	}
	tb.Cleanup(func() { stop(); h.mgr.Wait() })
	return h
}

// runningTasks lists the running tasks of the framework named name (as
// harness.runningTasks).
func (h *benchHarness) runningTasks(name string) []string {
	var out []string
	for _, fw := range h.mesos.Snapshot().Frameworks {
		if fw.Name != name {
			continue
		}
		for _, task := range fw.Tasks {
			if task.State == "TASK_RUNNING" {
				out = append(out, task.Name)
			}
		}
	}
	return out
}

func (h *benchHarness) install(name, options string) {
	h.tb.Helper()
	if _, err := h.mgr.PutService(context.Background(), name, []byte(options), ""); err != nil {
		h.tb.Fatalf("installing %s: %v", name, err)
	}
}

// waitDeployed waits until name's deploy plan is COMPLETE and reports
// whether it got there within timeout, with the plan last seen. It polls
// every 10ms, the resolution of the install timings.
func (h *benchHarness) waitDeployed(name string, timeout time.Duration) (bool, string) {
	deadline := time.Now().Add(timeout)
	last := ""
	for {
		d, err := h.mgr.GetService(context.Background(), name)
		if err == nil && d.Status == plan.Complete && !d.Uninstalling {
			return true, ""
		}
		if err != nil {
			last = err.Error()
		} else {
			last = planSummary(d.Plan)
		}
		if time.Now().After(deadline) {
			return false, last
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func (h *benchHarness) uninstall(name string, timeout time.Duration) {
	h.tb.Helper()
	if err := h.mgr.DeleteService(context.Background(), name, ""); err != nil {
		h.tb.Fatalf("uninstalling %s: %v", name, err)
	}
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		if _, err := h.mgr.GetService(context.Background(), name); err != nil {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	h.tb.Fatalf("%s was not uninstalled within %s", name, timeout)
}

// mesosCalls is the services' HTTP transport to the master: it times
// every call by type. ACCEPT and DECLINE are only sent from within offer
// cycles (during a deploy), so their round trips are the share of
// offers.process spent waiting for the master rather than computing.
type mesosCalls struct {
	next http.RoundTripper

	mu    sync.Mutex
	time  map[mesossched.Call_Type]time.Duration
	count map[mesossched.Call_Type]int
}

func (c *mesosCalls) RoundTrip(r *http.Request) (*http.Response, error) {
	var call mesossched.Call
	if r.Body != nil {
		body, err := io.ReadAll(r.Body)
		r.Body.Close()
		if err != nil {
			return nil, err
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		_ = call.Unmarshal(body) // protobuf (mesosclient's codec); UNKNOWN otherwise
	}
	start := time.Now()
	resp, err := c.next.RoundTrip(r)
	took := time.Since(start)
	c.mu.Lock()
	if c.time == nil {
		c.time, c.count = map[mesossched.Call_Type]time.Duration{}, map[mesossched.Call_Type]int{}
	}
	c.time[call.Type] += took
	c.count[call.Type]++
	c.mu.Unlock()
	return resp, err
}

// reset forgets the calls so far.
func (c *mesosCalls) reset() {
	c.mu.Lock()
	c.time, c.count = nil, nil
	c.mu.Unlock()
}

// offerCalls returns the time and number of ACCEPT and DECLINE calls.
func (c *mesosCalls) offerCalls() (time.Duration, int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.time[mesossched.Call_ACCEPT] + c.time[mesossched.Call_DECLINE],
		c.count[mesossched.Call_ACCEPT] + c.count[mesossched.Call_DECLINE]
}

// offerFigures are a service's offer metrics: the offers.process timer of
// the JSON document (/v1/metrics; durations in seconds, percentiles and
// mean over the timer's window of the last 1,028 cycles, count cumulative),
// the offers.received/processed counters, and the timer's cumulative sum
// from the Prometheus exposition (offers_process_seconds_sum).
type offerFigures struct {
	Cycles                uint64
	P50, P99, Mean, Max   float64 // seconds
	OffersReceived        int64
	OffersProcessed       int64
	DeclinesShort         int64
	DeclinesLong          int64
	SumSeconds            float64 // cumulative, exact
	MeanTimesCountSeconds float64 // the JSON's estimate of SumSeconds
}

func readOfferFigures(tb testing.TB, mgr *manager.Manager, name string) offerFigures {
	tb.Helper()
	svc, err := mgr.Service(name)
	if err != nil {
		tb.Fatal(err)
	}
	var doc struct {
		Counters map[string]struct {
			Count int64 `json:"count"`
		} `json:"counters"`
		Timers map[string]struct {
			Count uint64  `json:"count"`
			Max   float64 `json:"max"`
			Mean  float64 `json:"mean"`
			P50   float64 `json:"p50"`
			P99   float64 `json:"p99"`
		} `json:"timers"`
	}
	rec := httptest.NewRecorder()
	svc.Metrics().ServeHTTP(rec, httptest.NewRequest("GET", "/v1/metrics", nil))
	if rec.Code != 200 {
		tb.Fatalf("GET /v1/metrics answered %d: %s", rec.Code, rec.Body)
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &doc); err != nil {
		tb.Fatalf("decoding the metrics JSON: %v", err)
	}
	timer, ok := doc.Timers["offers.process"]
	if !ok {
		tb.Fatalf("no offers.process timer in %s", rec.Body)
	}
	f := offerFigures{
		Cycles: timer.Count, P50: timer.P50, P99: timer.P99, Mean: timer.Mean, Max: timer.Max,
		OffersReceived:        doc.Counters["offers.received"].Count,
		OffersProcessed:       doc.Counters["offers.processed"].Count,
		MeanTimesCountSeconds: timer.Mean * float64(timer.Count),
		DeclinesShort:         doc.Counters["declines.short"].Count,
		DeclinesLong:          doc.Counters["declines.long"].Count,
	}
	f.SumSeconds = prometheusValue(tb, svc, "offers_process_seconds_sum")
	return f
}

// prometheusValue reads one sample of the service's Prometheus exposition.
func prometheusValue(tb testing.TB, svc *service.Service, metric string) float64 {
	tb.Helper()
	rec := httptest.NewRecorder()
	svc.PrometheusMetrics().ServeHTTP(rec, httptest.NewRequest("GET", "/v1/metrics/prometheus", nil))
	sc := bufio.NewScanner(rec.Body)
	for sc.Scan() {
		line := sc.Text()
		if !strings.HasPrefix(line, metric+"{") && !strings.HasPrefix(line, metric+" ") {
			continue
		}
		fields := strings.Fields(line)
		v, err := strconv.ParseFloat(fields[len(fields)-1], 64)
		if err != nil {
			tb.Fatalf("parsing %q: %v", line, err)
		}
		return v
	}
	tb.Fatalf("no %s in the Prometheus exposition:\n%s", metric, rec.Body)
	return 0
}

// BenchmarkOfferProcessing1000Agents measures the scheduler's offer cycle
// while 1,000 agents offer and one 3-broker service (NODE placement,
// serial) deploys: offers.process times a cycle end to end, from an OFFERS
// event's arrival in the service to the end of its state writes and its
// ACCEPT/DECLINE calls (HTTP round trips to the master, made by the service
// goroutine with no lock held); decide-* is the decision alone (the pure
// computation under the service's lock), from the service's offer cycle
// summaries. Each iteration installs a new service on the same cluster and
// waits (at most 2 minutes) for its deploy plan to complete; the figures
// are that service's, averaged over the iterations. The local Mesos offers
// all 1,000 agents in one OFFERS event, and the service declines the
// offers it does not use in one call, for long (nothing else to do until
// the step completes), and revives for the next step, so a serial 3-broker
// deploy takes about 3 cycles of 1,000 offers each: p50 and p99 are over
// those few cycles (p99 is about the slowest). master-calls-ms is the time
// spent in ACCEPT and DECLINE round trips, part of the cycles' time.
func BenchmarkOfferProcessing1000Agents(b *testing.B) {
	h := newBenchHarness(b, agentsOf(1000, harnessAgent()), time.Second)
	var sum offerFigures
	var deployS, callsS float64
	var decide []time.Duration
	b.ResetTimer()
	for i := range b.N {
		name := fmt.Sprintf("offers-%d", i)
		h.calls.reset()
		start := time.Now()
		h.install(name, threeBrokersOnDistinctAgents)
		if ok, last := h.waitDeployed(name, 2*time.Minute); !ok {
			b.Logf("%s's deploy did not complete within 2 minutes; figures are of the cycles so far; plan: %s", name, last)
		}
		deployS += time.Since(start).Seconds()
		b.StopTimer()
		f := readOfferFigures(b, h.mgr, name)
		calls, ncalls := h.calls.offerCalls()
		callsS += calls.Seconds()
		svc, err := h.mgr.Service(name)
		if err != nil {
			b.Fatal(err)
		}
		for _, c := range svc.OfferCycles() {
			if c.Agents >= 1000 {
				decide = append(decide, c.Decide)
			}
		}
		b.Logf("%s: %d cycles, %d offers received, %d processed, declined short %d long %d; offers.process p50 %.0fµs p99 %.0fµs mean %.0fµs max %.0fµs, sum %.1fms (JSON mean×count %.1fms), of which %d ACCEPT/DECLINE calls %.1fms",
			name, f.Cycles, f.OffersReceived, f.OffersProcessed, f.DeclinesShort, f.DeclinesLong,
			f.P50*1e6, f.P99*1e6, f.Mean*1e6, f.Max*1e6, f.SumSeconds*1e3, f.MeanTimesCountSeconds*1e3, ncalls, calls.Seconds()*1e3)
		sum.P50 += f.P50
		sum.P99 += f.P99
		sum.Max += f.Max
		sum.SumSeconds += f.SumSeconds
		sum.Cycles += f.Cycles
		sum.OffersProcessed += f.OffersProcessed
		b.StartTimer()
	}
	b.StopTimer()
	n := float64(b.N)
	b.ReportMetric(sum.P50/n*1e6, "p50-µs")
	b.ReportMetric(sum.P99/n*1e6, "p99-µs")
	slices.Sort(decide)
	if len(decide) > 0 {
		b.ReportMetric(float64(decide[len(decide)/2].Microseconds()), "decide-p50-µs")
		b.ReportMetric(float64(decide[(len(decide)-1)*99/100].Microseconds()), "decide-p99-µs")
		b.Logf("decisions of the %d cycles of 1,000 agents' offers: p50 %s, p99 %s", len(decide), decide[len(decide)/2], decide[(len(decide)-1)*99/100])
	}
	b.ReportMetric(float64(sum.OffersProcessed)/n, "offers-processed")
	b.ReportMetric(float64(sum.Cycles)/n, "cycles")
	b.ReportMetric(sum.SumSeconds/n*1e3, "scheduler-ms")
	b.ReportMetric(callsS/n*1e3, "master-calls-ms")
	b.ReportMetric(deployS/n, "deploy-s")
}

// BenchmarkInstallToComplete measures the time from PutService to the
// deploy plan's COMPLETE on the local Mesos (install-s, also ns/op), and
// the scheduler's own share of it (scheduler-ms): the time its offer cycles
// took, the offers.process timer's sum (the Prometheus exposition's exact
// cumulative _sum; the JSON's mean×count agrees while there are fewer than
// 1,028 cycles, and is logged). Part of scheduler-ms is waiting, not
// computing: the cycle sends its ACCEPT and DECLINE calls to the master
// one after the other and waits for each answer; master-calls-ms is the
// time those round trips took (the local master is in this process and
// shares its two CPUs with the brokers starting up).
//
// The rest of the total is not the scheduler at all: the OFFERS events'
// way from the master (offers come back after the AcceptRefuse=100ms or
// ShortDecline=1s refuse filters, or a revive at most every
// MinReviveInterval=200ms), the agent fetching and extracting the Kafka
// tarball into the sandbox and starting the broker (an OS process), the
// status updates' way back, and above all the readiness check: a step
// completes only when the check sees the broker's "started" line, first
// DelaySeconds=2 after the task starts and then every IntervalSeconds=5
// (the harness's settings), so each serial step costs at least ~2s, and 5s
// more whenever the broker was not up yet at the first check. Other
// scheduler work (status updates, state writes, timers) is outside
// offers.process and not counted; it is small next to the cycles.
//
// brokers=3 deploys serially on four agents (NODE placement); brokers=30
// deploys in parallel on 31 agents (NODE), so its total is about one
// step's time plus 30 broker starts on this machine's CPUs. Each iteration
// installs a new service and uninstalls it afterwards (not timed).
func BenchmarkInstallToComplete(b *testing.B) {
	for _, c := range []struct {
		brokers, agents int
		options         string
	}{
		{3, 4, threeBrokersOnDistinctAgents},
		{30, 31, `{"brokers": {"count": 30}, "service": {"placement_strategy": "NODE", "deploy_strategy": "parallel"}}`},
	} {
		b.Run(fmt.Sprintf("brokers=%d", c.brokers), func(b *testing.B) {
			h := newBenchHarness(b, agentsOf(c.agents, harnessAgent()), 0)
			var total time.Duration
			var schedS, callsS float64
			var cycles uint64
			b.ResetTimer()
			for i := range b.N {
				name := fmt.Sprintf("install-%d", i)
				h.calls.reset()
				start := time.Now()
				h.install(name, c.options)
				ok, last := h.waitDeployed(name, 150*time.Second)
				took := time.Since(start)
				b.StopTimer()
				if !ok {
					b.Fatalf("%s's deploy did not complete within 150s; plan: %s", name, last)
				}
				total += took
				f := readOfferFigures(b, h.mgr, name)
				calls, ncalls := h.calls.offerCalls()
				schedS += f.SumSeconds
				callsS += calls.Seconds()
				cycles += f.Cycles
				b.Logf("%s: COMPLETE after %s; %d offer cycles (%d offers) took %.1fms (JSON mean×count %.1fms), p50 %.0fµs p99 %.0fµs max %.0fµs; of which %d ACCEPT/DECLINE calls %.1fms",
					name, took.Round(time.Millisecond), f.Cycles, f.OffersProcessed, f.SumSeconds*1e3, f.MeanTimesCountSeconds*1e3,
					f.P50*1e6, f.P99*1e6, f.Max*1e6, ncalls, calls.Seconds()*1e3)
				h.uninstall(name, 2*time.Minute)
				b.StartTimer()
			}
			b.StopTimer()
			n := float64(b.N)
			b.ReportMetric(total.Seconds()/n, "install-s")
			b.ReportMetric(schedS/n*1e3, "scheduler-ms")
			b.ReportMetric(callsS/n*1e3, "master-calls-ms")
			b.ReportMetric(float64(cycles)/n, "cycles")
		})
	}
}

// BenchmarkRSS10Services installs ten 3-broker services at once (ANY
// placement, 0.2 CPU per broker, on ten 8-CPU/16 GB agents), waits until
// every deploy plan is COMPLETE, and reports the process's memory.
//
// The scheduler runs in this test process, and so do the local Mesos
// (master, agents, and the executors and check runners, which are
// goroutines here), the embedded state store and the test harness: rss-MB (VmRSS of /proc/self/status) is all of them
// together, and so is heap-inuse-MB (runtime.MemStats.HeapInuse after a
// GC). The *-baseline-MB figures are the same readings after the cluster
// and the manager started and before any install, so the difference
// (rss-delta-MB, heap-delta-MB) is the ten services: the scheduler's
// share plus the local Mesos's bookkeeping of 30 tasks. The broker
// processes (and the readiness check commands) are separate OS processes
// and count in neither.
func BenchmarkRSS10Services(b *testing.B) {
	const services = 10
	const options = `{"brokers": {"count": 3, "cpus": 0.2}, "service": {"placement_strategy": "ANY"}}`
	for i := range b.N {
		b.StopTimer()
		h := newBenchHarness(b, agentsOf(services, localmesos.AgentConfig{CPUs: 8, MemMB: 16384, DiskMB: 20480}), 0)
		baseRSS, baseHeap := memoryMB(b)
		b.StartTimer()
		start := time.Now()
		for s := range services {
			h.install(fmt.Sprintf("rss-%d-%d", i, s), options)
		}
		var wg sync.WaitGroup
		failed := make(chan string, services)
		for s := range services {
			wg.Go(func() {
				name := fmt.Sprintf("rss-%d-%d", i, s)
				if ok, last := h.waitDeployed(name, 150*time.Second); !ok {
					failed <- name + ": " + last
				}
			})
		}
		wg.Wait()
		close(failed)
		b.StopTimer()
		for f := range failed {
			b.Errorf("deploy did not complete within 150s: %s", f)
		}
		rss, heap := memoryMB(b)
		tasks := 0
		for s := range services {
			tasks += len(h.runningTasks(fmt.Sprintf("rss-%d-%d", i, s)))
		}
		b.Logf("%d services COMPLETE after %s, %d broker tasks running; RSS %.1f MB (baseline %.1f), Go heap in use %.1f MB (baseline %.1f)",
			services, time.Since(start).Round(time.Millisecond), tasks, rss, baseRSS, heap, baseHeap)
		if i == b.N-1 {
			b.ReportMetric(rss, "rss-MB")
			b.ReportMetric(heap, "heap-inuse-MB")
			b.ReportMetric(baseRSS, "rss-baseline-MB")
			b.ReportMetric(baseHeap, "heap-baseline-MB")
			b.ReportMetric(rss-baseRSS, "rss-delta-MB")
			b.ReportMetric(heap-baseHeap, "heap-delta-MB")
		}
	}
}

// memoryMB returns the process's resident set (VmRSS) and the Go heap in
// use after a GC, in MB.
func memoryMB(tb testing.TB) (rss, heapInuse float64) {
	tb.Helper()
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	status, err := os.ReadFile("/proc/self/status")
	if err != nil {
		tb.Fatal(err)
	}
	for _, line := range strings.Split(string(status), "\n") {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			kb, err := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 64)
			if err != nil {
				tb.Fatalf("parsing %q: %v", line, err)
			}
			rss = kb / 1024
		}
	}
	return rss, float64(ms.HeapInuse) / (1 << 20)
}
