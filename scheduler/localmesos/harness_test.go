package localmesos_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	mesos "github.com/mesos/mesos-go/api/v1/lib"
	"github.com/mesos/mesos-go/api/v1/lib/backoff"
	"github.com/mesos/mesos-go/api/v1/lib/encoding"
	"github.com/mesos/mesos-go/api/v1/lib/encoding/codecs"
	"github.com/mesos/mesos-go/api/v1/lib/extras/scheduler/callrules"
	"github.com/mesos/mesos-go/api/v1/lib/extras/scheduler/controller"
	"github.com/mesos/mesos-go/api/v1/lib/extras/scheduler/eventrules"
	"github.com/mesos/mesos-go/api/v1/lib/extras/store"
	"github.com/mesos/mesos-go/api/v1/lib/httpcli"
	"github.com/mesos/mesos-go/api/v1/lib/httpcli/httpsched"
	"github.com/mesos/mesos-go/api/v1/lib/scheduler"
	"github.com/mesos/mesos-go/api/v1/lib/scheduler/calls"

	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/localmesos"
	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/localmesos/resources"
)

const (
	role      = "kafka-role"
	principal = "kafka-principal"
	waitFor   = 20 * time.Second
)

// testConfig returns a cluster configuration with short timeouts.
func testConfig(t *testing.T, agents ...localmesos.AgentConfig) localmesos.Config {
	if len(agents) == 0 {
		agents = []localmesos.AgentConfig{{CPUs: 4, MemMB: 4096, DiskMB: 4096}}
	}
	return localmesos.Config{
		WorkDir:                t.TempDir(),
		Agents:                 agents,
		HeartbeatInterval:      200 * time.Millisecond,
		AgentPingTimeout:       500 * time.Millisecond,
		AgentReregisterTimeout: 30 * time.Second,
		StatusUpdateRetry:      200 * time.Millisecond,
		ShutdownGrace:          2 * time.Second,
	}
}

func startCluster(t *testing.T, cfg localmesos.Config) *localmesos.Cluster {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), waitFor)
	defer cancel()
	c, err := localmesos.Start(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		pids := taskPIDs(c)
		if err := c.Close(); err != nil {
			t.Errorf("closing the local Mesos: %v", err)
		}
		for _, pid := range pids {
			if syscall.Kill(pid, 0) == nil {
				t.Errorf("task process %d survived Close", pid)
			}
		}
	})
	return c
}

func taskPIDs(c *localmesos.Cluster) []int {
	var pids []int
	for _, a := range c.Snapshot().Agents {
		for _, t := range a.Local.Tasks {
			if t.PID > 0 {
				pids = append(pids, t.PID)
			}
		}
	}
	return pids
}

// eventually polls cond until it holds or the deadline passes.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(waitFor)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

type fwOptions struct {
	name       string
	url        string
	codec      encoding.MediaType
	failover   time.Duration
	checkpoint bool
	caps       []mesos.FrameworkInfo_Capability_Type
	noAutoAck  bool
	roles      []string
}

var defaultCaps = []mesos.FrameworkInfo_Capability_Type{
	mesos.FrameworkInfo_Capability_MULTI_ROLE,
	mesos.FrameworkInfo_Capability_RESERVATION_REFINEMENT,
	mesos.FrameworkInfo_Capability_PARTITION_AWARE,
	mesos.FrameworkInfo_Capability_TASK_KILLING_STATE,
}

// testFramework is a mesos-go v1 scheduler (httpsched + controller) that
// records every event it receives.
type testFramework struct {
	t      *testing.T
	info   mesos.FrameworkInfo
	caller calls.Caller
	fid    store.Singleton
	cancel context.CancelFunc
	done   chan struct{}

	mu           sync.Mutex
	events       []*scheduler.Event
	arrived      []time.Time
	offers       map[string]mesos.Offer
	terminations []error
}

func startFramework(t *testing.T, c *localmesos.Cluster, o fwOptions) *testFramework {
	t.Helper()
	if o.name == "" {
		o.name = "test-framework"
	}
	if o.url == "" {
		o.url = c.SchedulerURL()
	}
	if o.codec == "" {
		o.codec = codecs.MediaTypeProtobuf
	}
	if o.caps == nil {
		o.caps = defaultCaps
	}
	if o.roles == nil {
		o.roles = []string{role}
	}
	failover := o.failover.Seconds()
	pr := principal
	info := mesos.FrameworkInfo{User: "nobody", Name: o.name, FailoverTimeout: &failover, Checkpoint: &o.checkpoint, Principal: &pr}
	multiRole := false
	for _, cp := range o.caps {
		info.Capabilities = append(info.Capabilities, mesos.FrameworkInfo_Capability{Type: cp})
		if cp == mesos.FrameworkInfo_Capability_MULTI_ROLE {
			multiRole = true
		}
	}
	if multiRole {
		info.Roles = o.roles
	} else {
		r := o.roles[0]
		info.Role = &r
	}
	f := &testFramework{t: t, info: info, fid: store.NewInMemorySingleton(), done: make(chan struct{}), offers: map[string]mesos.Offer{}}
	cli := httpcli.New(
		httpcli.Endpoint(o.url),
		httpcli.Codec(codecs.ByMediaType[o.codec]),
		httpcli.Do(httpcli.With(httpcli.Timeout(10*time.Second))),
	)
	f.caller = callrules.New(callrules.WithFrameworkID(store.GetIgnoreErrors(f.fid))).Caller(httpsched.NewCaller(cli))
	rules := []eventrules.Rule{f.recordRule(), controller.LiftErrors(), controller.TrackSubscription(f.fid, o.failover)}
	if !o.noAutoAck {
		rules = append(rules, controller.AckStatusUpdates(f.caller))
	}
	ctx, cancel := context.WithCancel(context.Background())
	f.cancel = cancel
	go func() {
		defer close(f.done)
		_ = controller.Run(ctx, &f.info, f.caller,
			controller.WithEventHandler(eventrules.New(rules...)),
			controller.WithFrameworkID(store.GetIgnoreErrors(f.fid)),
			controller.WithRegistrationTokens(backoff.Notifier(20*time.Millisecond, 200*time.Millisecond, ctx.Done())),
			controller.WithSubscriptionTerminated(func(err error) {
				f.mu.Lock()
				f.terminations = append(f.terminations, err)
				f.mu.Unlock()
			}),
		)
	}()
	t.Cleanup(f.stop)
	f.waitEvent(0, "SUBSCRIBED", func(e *scheduler.Event) bool { return e.GetType() == scheduler.Event_SUBSCRIBED })
	return f
}

func (f *testFramework) stop() {
	f.cancel()
	<-f.done
}

func (f *testFramework) id() string { id, _ := f.fid.Get(); return id }

func (f *testFramework) recordRule() eventrules.Rule {
	return func(ctx context.Context, e *scheduler.Event, err error, ch eventrules.Chain) (context.Context, *scheduler.Event, error) {
		f.mu.Lock()
		f.events = append(f.events, e)
		f.arrived = append(f.arrived, time.Now())
		switch e.GetType() {
		case scheduler.Event_OFFERS:
			for _, o := range e.GetOffers().GetOffers() {
				f.offers[o.ID.Value] = o
			}
		case scheduler.Event_RESCIND:
			delete(f.offers, e.GetRescind().OfferID.Value)
		case scheduler.Event_SUBSCRIBED:
			// A (re)subscription invalidates every earlier offer.
			f.offers = map[string]mesos.Offer{}
		}
		f.mu.Unlock()
		return ch(ctx, e, err)
	}
}

// mark returns the number of events received so far.
func (f *testFramework) mark() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.events)
}

// waitEvent waits for an event after index since that matches.
func (f *testFramework) waitEvent(since int, what string, match func(*scheduler.Event) bool) *scheduler.Event {
	f.t.Helper()
	var found *scheduler.Event
	eventually(f.t, what, func() bool {
		f.mu.Lock()
		defer f.mu.Unlock()
		for _, e := range f.events[since:] {
			if match(e) {
				found = e
				return true
			}
		}
		return false
	})
	return found
}

// waitStatus waits for an update of taskID in state after since.
func (f *testFramework) waitStatus(since int, taskID string, state mesos.TaskState) mesos.TaskStatus {
	f.t.Helper()
	e := f.waitEvent(since, fmt.Sprintf("%s of task %s", state, taskID), func(e *scheduler.Event) bool {
		return e.GetType() == scheduler.Event_UPDATE && e.GetUpdate().Status.TaskID.Value == taskID &&
			e.GetUpdate().Status.GetState() == state
	})
	return e.GetUpdate().Status
}

// statuses returns the updates of a task received so far.
func (f *testFramework) statuses(taskID string) []mesos.TaskStatus {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []mesos.TaskStatus
	for _, e := range f.events {
		if e.GetType() == scheduler.Event_UPDATE && e.GetUpdate().Status.TaskID.Value == taskID {
			out = append(out, e.GetUpdate().Status)
		}
	}
	return out
}

// takeOffer waits for an outstanding offer that matches and takes it.
func (f *testFramework) takeOffer(what string, match func(mesos.Offer) bool) mesos.Offer {
	f.t.Helper()
	var found mesos.Offer
	eventually(f.t, "an offer with "+what, func() bool {
		f.mu.Lock()
		defer f.mu.Unlock()
		for id, o := range f.offers {
			if match(o) {
				found = o
				delete(f.offers, id)
				return true
			}
		}
		return false
	})
	return found
}

// takeOffers waits until the outstanding offers of one agent together hold
// want, as resources recovered at different times arrive in different
// offers, and takes them all.
func (f *testFramework) takeOffers(what string, want ...mesos.Resource) []mesos.Offer {
	f.t.Helper()
	var found []mesos.Offer
	eventually(f.t, "offers with "+what, func() bool {
		f.mu.Lock()
		defer f.mu.Unlock()
		byAgent := map[string][]mesos.Offer{}
		for _, o := range f.offers {
			byAgent[o.AgentID.Value] = append(byAgent[o.AgentID.Value], o)
		}
		for _, offers := range byAgent {
			var all []mesos.Resource
			for _, o := range offers {
				all = append(all, o.Resources...)
			}
			if resources.New(all...).Unallocated().Contains(resources.New(want...).Unallocated()) {
				found = offers
				for _, o := range offers {
					delete(f.offers, o.ID.Value)
				}
				return true
			}
		}
		return false
	})
	return found
}

func offerIDs(offers []mesos.Offer) []mesos.OfferID {
	ids := make([]mesos.OfferID, len(offers))
	for i, o := range offers {
		ids[i] = o.ID
	}
	return ids
}

// call sends a call and fails the test on error.
func (f *testFramework) call(c *scheduler.Call) {
	f.t.Helper()
	if err := calls.CallNoData(context.Background(), f.caller, c); err != nil {
		f.t.Fatalf("%s call failed: %v", c.Type, err)
	}
}

// declineAll declines every outstanding offer with a long filter so that
// later offers carry what changed.
func (f *testFramework) declineOutstanding(refuse time.Duration) {
	f.mu.Lock()
	var ids []mesos.OfferID
	for _, o := range f.offers {
		ids = append(ids, o.ID)
	}
	f.offers = map[string]mesos.Offer{}
	f.mu.Unlock()
	if len(ids) > 0 {
		f.call(calls.Decline(ids...).With(calls.RefuseSeconds(refuse)))
	}
}

// decline declines offers the test took.
func (f *testFramework) decline(offers []mesos.Offer, refuse time.Duration) {
	f.t.Helper()
	f.call(calls.Decline(offerIDs(offers)...).With(calls.RefuseSeconds(refuse)))
}

// Resource builders.

func scalar(name string, v float64) mesos.Resource { return resources.Scalar(name, v) }

func reserved(r mesos.Resource, resourceID string) mesos.Resource {
	r = resources.Clone(r)
	t := mesos.Resource_ReservationInfo_DYNAMIC
	ro, pr, key, val := role, principal, "resource_id", resourceID
	r.Reservations = append(r.Reservations, mesos.Resource_ReservationInfo{
		Type: &t, Role: &ro, Principal: &pr,
		Labels: &mesos.Labels{Labels: []mesos.Label{{Key: key, Value: &val}}},
	})
	return r
}

func volume(r mesos.Resource, id, containerPath string) mesos.Resource {
	r = resources.Clone(r)
	mode := mesos.RW
	pr := principal
	d := mesos.Resource_DiskInfo{}
	if r.Disk != nil {
		d = *r.Disk
	}
	d.Persistence = &mesos.Resource_DiskInfo_Persistence{ID: id, Principal: &pr}
	d.Volume = &mesos.Volume{Mode: &mode, ContainerPath: containerPath}
	r.Disk = &d
	return r
}

func hasLabel(r mesos.Resource, value string) bool {
	for _, res := range r.Reservations {
		for _, l := range res.GetLabels().GetLabels() {
			if l.Key == "resource_id" && l.GetValue() == value {
				return true
			}
		}
	}
	return false
}

// offerHas reports whether an offer holds every given resource (the offer's
// allocation info is ignored).
func offerHas(o mesos.Offer, want ...mesos.Resource) bool {
	return resources.New(o.Resources...).Unallocated().Contains(resources.New(want...).Unallocated())
}

func shell(cmd string) *mesos.CommandInfo { return &mesos.CommandInfo{Value: &cmd} }

func seconds(v float64) *float64 { return &v }

func killPolicy(d time.Duration) *mesos.KillPolicy {
	return &mesos.KillPolicy{GracePeriod: &mesos.DurationInfo{Nanoseconds: int64(d)}}
}

// executorResources are the default executor's reserved resources.
func executorResources(resourceID string) []mesos.Resource {
	return []mesos.Resource{
		reserved(scalar("cpus", 0.1), resourceID),
		reserved(scalar("mem", 32), resourceID),
		reserved(scalar("disk", 32), resourceID),
	}
}

func executorInfo(fw *testFramework, id string, rs []mesos.Resource) mesos.ExecutorInfo {
	fid := mesos.FrameworkID{Value: fw.id()}
	return mesos.ExecutorInfo{Type: mesos.ExecutorInfo_DEFAULT, ExecutorID: mesos.ExecutorID{Value: id}, FrameworkID: &fid, Resources: rs}
}

func taskInfo(id string, o mesos.Offer, cmd string, rs []mesos.Resource) mesos.TaskInfo {
	return mesos.TaskInfo{Name: id, TaskID: mesos.TaskID{Value: id}, AgentID: o.AgentID, Resources: rs,
		Command: shell(cmd), KillPolicy: killPolicy(time.Second)}
}

// snapshotAgent returns the snapshot of the agent with the given ID.
func snapshotAgent(t *testing.T, c *localmesos.Cluster, id string) localmesos.AgentSnapshot {
	t.Helper()
	for _, a := range c.Snapshot().Agents {
		if a.ID == id {
			return a
		}
	}
	t.Fatalf("no agent %s in the snapshot", id)
	return localmesos.AgentSnapshot{}
}

func readFile(t *testing.T, path ...string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(path...))
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(string(b))
}

func alive(pid int) bool { return pid > 0 && syscall.Kill(pid, 0) == nil }
