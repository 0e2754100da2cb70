package service_test

import (
	"context"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	mesos "github.com/mesos/mesos-go/api/v1/lib"
	"github.com/mesos/mesos-go/api/v1/lib/scheduler"

	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/plan"
	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/service"
	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/service/servicetest"
	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/spec"
	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/state"
	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/state/embedded"
)

// tick is the unit tests' timer period: the timers run often in real time,
// while what they decide depends on the fixture's hand-moved clock.
const tick = 2 * time.Millisecond

// testTiming are the service timings of the unit tests (DC/OS's defaults
// but for the tick).
var testTiming = service.Timing{Tick: tick}

// fixture is one service on a fake master, a hand-moved clock and a real
// embedded state store wrapped by servicetest.Store.
type fixture struct {
	t       testing.TB
	ctx     context.Context
	journal *servicetest.Journal
	clock   *servicetest.Clock
	inner   state.Store
	store   *servicetest.Store
	master  *servicetest.Master
	timing  service.Timing
	svc     *service.Service
	kafka   *fakeKafka
	current *runState
	stop    context.CancelFunc
}

// runState is one run of the service: done is closed when Run returned err.
type runState struct {
	done chan struct{}
	err  error
}

// newFixture installs a service named "kafka" with the options and runs it
// until its first subscription; timing, when given, replaces testTiming.
func newFixture(t testing.TB, options string, timing ...service.Timing) *fixture {
	t.Helper()
	inner, err := embedded.Open(filepath.Join(t.TempDir(), "state"), embedded.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { inner.Close() })
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	f := &fixture{t: t, ctx: ctx, journal: &servicetest.Journal{}, clock: servicetest.NewClock(), inner: inner, timing: testTiming, kafka: newFakeKafka()}
	if len(timing) > 0 {
		f.timing = timing[0]
	}
	f.store = servicetest.NewStore(inner, f.journal)
	defaults := spec.DefaultOptions()
	defaults.Service.Name = "kafka"
	s, err := spec.Parse([]byte(options), defaults, spec.Environment{ZookeeperConnect: "zk-1:2181"})
	if err != nil {
		t.Fatalf("parsing the options: %v", err)
	}
	f.master = servicetest.NewMaster(f.journal)
	f.svc, err = service.Create(ctx, f.config(), s)
	if err != nil {
		t.Fatalf("creating the service: %v", err)
	}
	f.run()
	return f
}

func (f *fixture) config() service.Config {
	return service.Config{Store: f.store, Dial: f.master.Dial, Clock: f.clock.Now, Timing: f.timing, Logger: testLogger(), Kafka: f.kafka.provide}
}

// testLogger sends the service's logs to stderr when SCHEDULER_TEST_LOG is
// set (debug, info, warn or error), and discards them otherwise.
func testLogger() *slog.Logger {
	var level slog.Level
	if err := level.UnmarshalText([]byte(os.Getenv("SCHEDULER_TEST_LOG"))); err != nil {
		return slog.New(slog.DiscardHandler)
	}
	return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level}))
}

// run starts the service and waits for its subscription.
func (f *fixture) run() {
	f.t.Helper()
	ctx, cancel := context.WithCancel(f.ctx)
	r := &runState{done: make(chan struct{})}
	f.stop, f.current = cancel, r
	svc := f.svc
	go func() { r.err = svc.Run(ctx); close(r.done) }()
	f.t.Cleanup(func() { cancel(); <-r.done })
	if err := f.master.WaitSubscribed(f.ctx, 1); err != nil {
		f.t.Fatal(err)
	}
}

// restart stops the service the hard way and opens it again from its
// state, on a new master connection (same framework ID).
func (f *fixture) restart() {
	f.t.Helper()
	f.stop()
	f.waitStopped()
	f.master = servicetest.NewMaster(f.journal)
	svc, err := service.Open(f.ctx, f.config())
	if err != nil {
		f.t.Fatalf("opening the service again: %v", err)
	}
	f.svc = svc
	f.run()
}

// waitStopped waits until Run returned and returns its error.
func (f *fixture) waitStopped() error {
	f.t.Helper()
	select {
	case <-f.current.done:
		return f.current.err
	case <-f.ctx.Done():
		f.t.Fatal("the service did not stop")
		return nil
	}
}

// offers sends one OFFERS event with an offer from each agent.
func (f *fixture) offers(agents ...servicetest.Agent) {
	f.t.Helper()
	var offers []mesos.Offer
	for _, a := range agents {
		offers = append(offers, f.master.Offer(a))
	}
	f.send(offers...)
}

func (f *fixture) send(offers ...mesos.Offer) {
	f.t.Helper()
	if err := f.master.Offers(f.ctx, offers...); err != nil {
		f.t.Fatal(err)
	}
}

// update sends a status and fails the test when the service refused it.
func (f *fixture) update(st mesos.TaskStatus) {
	f.t.Helper()
	if err := f.master.Update(f.ctx, st); err != nil {
		f.t.Fatalf("status %s of %s: %v", st.GetState(), st.TaskID.Value, err)
	}
}

// running reports a launch's task running and ready.
func (f *fixture) running(l servicetest.Launch) {
	f.t.Helper()
	f.update(servicetest.Status(l.TaskID(), l.AgentID(), mesos.TASK_RUNNING, true))
}

// waitCalls waits for n calls of type t.
func (f *fixture) waitCalls(t scheduler.Call_Type, n int) []servicetest.Call {
	f.t.Helper()
	calls, err := f.master.WaitCalls(f.ctx, t, n)
	if err != nil {
		f.t.Fatal(err)
	}
	return calls
}

// launches waits until n tasks were launched and returns them.
func (f *fixture) launches(n int) []servicetest.Launch {
	f.t.Helper()
	f.waitFor("launches", func() (bool, string) {
		got := f.master.Launches()
		return len(got) >= n, strings.Join(callTypes(f.master.Calls()), ",")
	})
	return f.master.Launches()
}

// runTimers runs one round of the service's timers with the clock as it
// is now, and returns once it is done.
func (f *fixture) runTimers() {
	f.t.Helper()
	if err := f.svc.RunTimers(f.ctx); err != nil {
		f.t.Fatalf("running the timers: %v", err)
	}
}

// waitFor polls cond until it holds or the fixture's deadline passes.
func (f *fixture) waitFor(what string, cond func() (bool, string)) {
	f.t.Helper()
	last := ""
	for {
		ok, seen := cond()
		if ok {
			return
		}
		last = seen
		select {
		case <-f.ctx.Done():
			f.t.Fatalf("timed out waiting for %s; last seen: %s", what, last)
		case <-time.After(time.Millisecond):
		}
	}
}

// deployPlan returns the deploy plan.
func (f *fixture) deployPlan() plan.Info {
	f.t.Helper()
	info, err := f.svc.PlanInfo(plan.DeployPlanName)
	if err != nil {
		f.t.Fatal(err)
	}
	return info
}

// stepStatuses lists the deploy plan's step statuses in order.
func (f *fixture) stepStatuses() []plan.Status {
	var out []plan.Status
	for _, ph := range f.deployPlan().Phases {
		for _, st := range ph.Steps {
			out = append(out, st.Status)
		}
	}
	return out
}

// waitSteps waits until the deploy plan's steps have the statuses.
func (f *fixture) waitSteps(want ...plan.Status) {
	f.t.Helper()
	f.waitFor("deploy steps "+joinStatuses(want), func() (bool, string) {
		got := f.stepStatuses()
		return slices.Equal(got, want), joinStatuses(got)
	})
}

func joinStatuses(s []plan.Status) string {
	var parts []string
	for _, x := range s {
		parts = append(parts, string(x))
	}
	return strings.Join(parts, ",")
}

func callTypes(calls []servicetest.Call) []string {
	var out []string
	for _, c := range calls {
		out = append(out, c.Type.String())
	}
	return out
}

// operationTypes lists an ACCEPT's operation types.
func operationTypes(c servicetest.Call) []string {
	var out []string
	for _, op := range c.GetAccept().GetOperations() {
		out = append(out, op.GetType().String())
	}
	return out
}

// offerIDs lists a call's offer ids (ACCEPT or DECLINE).
func offerIDs(c servicetest.Call) []string {
	var ids []mesos.OfferID
	switch c.Type {
	case scheduler.Call_ACCEPT:
		ids = c.GetAccept().GetOfferIDs()
	case scheduler.Call_DECLINE:
		ids = c.GetDecline().GetOfferIDs()
	}
	var out []string
	for _, id := range ids {
		out = append(out, id.Value)
	}
	slices.Sort(out)
	return out
}

// refuseSeconds is a call's offer filter.
func refuseSeconds(c servicetest.Call) float64 {
	if c.Type == scheduler.Call_DECLINE {
		return c.GetDecline().GetFilters().GetRefuseSeconds()
	}
	return c.GetAccept().GetFilters().GetRefuseSeconds()
}

// reconciledTasks lists the task ids of a RECONCILE call (none: implicit).
func reconciledTasks(c servicetest.Call) []string {
	var out []string
	for _, t := range c.GetReconcile().GetTasks() {
		out = append(out, t.TaskID.Value)
	}
	return out
}

// journalIndex returns the index of the first journal entry at or after
// from that starts with prefix, failing the test when there is none.
func (f *fixture) journalIndex(from int, prefix string) int {
	f.t.Helper()
	entries := f.journal.Entries()
	for i := from; i < len(entries); i++ {
		if strings.HasPrefix(entries[i], prefix) {
			return i
		}
	}
	f.t.Fatalf("no journal entry %q from %d on: %v", prefix, from, entries[from:])
	return -1
}

var errInjected = errors.New("injected failure")
