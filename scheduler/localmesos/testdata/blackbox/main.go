// Command blackbox is an independent Mesos framework, built only on mesos-go
// v0.0.11, that drives a Mesos master through the stateful-task cycle:
// reserve, create a volume, launch a task group writing into it, kill it,
// relaunch on the same reservation and read the data back, destroy the
// volume, unreserve and tear down. It exits 0 when every step behaved as
// Mesos specifies and prints what went wrong otherwise.
//
// It lives in its own module so that it shares no code with the local Mesos
// it tests: go run . -master http://127.0.0.1:5050/api/v1/scheduler
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"sync"
	"time"

	mesos "github.com/mesos/mesos-go/api/v1/lib"
	"github.com/mesos/mesos-go/api/v1/lib/backoff"
	"github.com/mesos/mesos-go/api/v1/lib/encoding/codecs"
	"github.com/mesos/mesos-go/api/v1/lib/extras/scheduler/callrules"
	"github.com/mesos/mesos-go/api/v1/lib/extras/scheduler/controller"
	"github.com/mesos/mesos-go/api/v1/lib/extras/scheduler/eventrules"
	"github.com/mesos/mesos-go/api/v1/lib/extras/store"
	"github.com/mesos/mesos-go/api/v1/lib/httpcli"
	"github.com/mesos/mesos-go/api/v1/lib/httpcli/httpsched"
	"github.com/mesos/mesos-go/api/v1/lib/scheduler"
	"github.com/mesos/mesos-go/api/v1/lib/scheduler/calls"
)

const (
	role      = "blackbox-role"
	principal = "blackbox-principal"
)

func main() {
	master := flag.String("master", "http://127.0.0.1:5050/api/v1/scheduler", "scheduler API URL")
	timeout := flag.Duration("timeout", 60*time.Second, "overall deadline")
	flag.Parse()
	ctx, cancel := context.WithTimeout(context.Background(), *timeout)
	defer cancel()
	if err := run(ctx, *master); err != nil {
		fmt.Fprintln(os.Stderr, "FAIL:", err)
		os.Exit(1)
	}
	fmt.Println("OK")
}

// framework records events; steps wait on them.
type framework struct {
	mu     sync.Mutex
	events []*scheduler.Event
	offers map[string]mesos.Offer
	fid    store.Singleton
	caller calls.Caller
}

func run(ctx context.Context, url string) error {
	f := &framework{offers: map[string]mesos.Offer{}, fid: store.NewInMemorySingleton()}
	cli := httpcli.New(httpcli.Endpoint(url), httpcli.Codec(codecs.ByMediaType[codecs.MediaTypeProtobuf]),
		httpcli.Do(httpcli.With(httpcli.Timeout(10*time.Second))))
	f.caller = callrules.New(callrules.WithFrameworkID(store.GetIgnoreErrors(f.fid))).Caller(httpsched.NewCaller(cli))
	failover := 60.0
	yes := true
	pr := principal
	info := &mesos.FrameworkInfo{User: "nobody", Name: "blackbox", Roles: []string{role}, Principal: &pr,
		FailoverTimeout: &failover, Checkpoint: &yes, Capabilities: []mesos.FrameworkInfo_Capability{
			{Type: mesos.FrameworkInfo_Capability_MULTI_ROLE}, {Type: mesos.FrameworkInfo_Capability_RESERVATION_REFINEMENT},
			{Type: mesos.FrameworkInfo_Capability_PARTITION_AWARE}, {Type: mesos.FrameworkInfo_Capability_TASK_KILLING_STATE}}}
	runCtx, stop := context.WithCancel(ctx)
	defer stop()
	go controller.Run(runCtx, info, f.caller,
		controller.WithEventHandler(eventrules.New(f.record(), controller.LiftErrors(),
			controller.TrackSubscription(f.fid, time.Minute), controller.AckStatusUpdates(f.caller))),
		controller.WithFrameworkID(store.GetIgnoreErrors(f.fid)),
		controller.WithRegistrationTokens(backoff.Notifier(50*time.Millisecond, time.Second, runCtx.Done())))

	if _, err := f.wait(ctx, "SUBSCRIBED", func(e *scheduler.Event) bool { return e.GetType() == scheduler.Event_SUBSCRIBED }); err != nil {
		return err
	}
	fmt.Println("subscribed as", f.id())

	taskRes := []mesos.Resource{reserved(scalar("cpus", 0.5), "task"), reserved(scalar("mem", 128), "task")}
	disk := reserved(scalar("disk", 64), "volume")
	vol := volume(disk)
	execRes := []mesos.Resource{reserved(scalar("cpus", 0.1), "exec"), reserved(scalar("mem", 32), "exec"), reserved(scalar("disk", 32), "exec")}
	all := concat(taskRes, []mesos.Resource{vol}, execRes)

	offers, err := f.takeOffers(ctx, "unreserved resources", concat([]mesos.Resource{scalar("cpus", 1), scalar("mem", 256), scalar("disk", 128)}))
	if err != nil {
		return err
	}
	mark := f.mark()
	task1 := task("bb-1", offers[0].AgentID, `echo persisted > data/file; sleep 60`, concat(taskRes, []mesos.Resource{vol}))
	if err := f.call(ctx, calls.Accept(calls.OfferOperations{
		calls.OpReserve(concat(taskRes, []mesos.Resource{disk}, execRes)...),
		calls.OpCreate(vol),
		calls.OpLaunchGroup(f.executor("bb-exec-1", execRes), task1),
	}.WithOffers(ids(offers)...)).With(calls.RefuseSeconds(0))); err != nil {
		return err
	}
	if _, err := f.status(ctx, mark, "bb-1", mesos.TASK_RUNNING); err != nil {
		return err
	}
	fmt.Println("task running on reserved resources with a persistent volume")

	mark = f.mark()
	if err := f.call(ctx, calls.Kill("bb-1", offers[0].AgentID.Value)); err != nil {
		return err
	}
	if _, err := f.status(ctx, mark, "bb-1", mesos.TASK_KILLED); err != nil {
		return err
	}
	fmt.Println("task killed")

	if offers, err = f.takeOffers(ctx, "the reservations and the volume", all); err != nil {
		return err
	}
	mark = f.mark()
	task2 := task("bb-2", offers[0].AgentID, `test "$(cat data/file)" = persisted`, concat(taskRes, []mesos.Resource{vol}))
	if err := f.call(ctx, calls.Accept(calls.OfferOperations{
		calls.OpLaunchGroup(f.executor("bb-exec-2", execRes), task2),
	}.WithOffers(ids(offers)...)).With(calls.RefuseSeconds(0))); err != nil {
		return err
	}
	st, err := f.status(ctx, mark, "bb-2", mesos.TASK_FINISHED, mesos.TASK_FAILED)
	if err != nil {
		return err
	}
	if st.GetState() != mesos.TASK_FINISHED {
		return fmt.Errorf("the relaunched task did not find the volume's data: %s %s", st.GetState(), st.GetMessage())
	}
	fmt.Println("relaunched task found the data in the volume")

	if offers, err = f.takeOffers(ctx, "the reservations and the volume again", all); err != nil {
		return err
	}
	if err := f.call(ctx, calls.Accept(calls.OfferOperations{
		calls.OpDestroy(vol),
		calls.OpUnreserve(concat(taskRes, []mesos.Resource{disk}, execRes)...),
	}.WithOffers(ids(offers)...)).With(calls.RefuseSeconds(0))); err != nil {
		return err
	}
	offers, err = f.takeOffers(ctx, "the unreserved resources back", concat([]mesos.Resource{scalar("cpus", 1), scalar("mem", 256), scalar("disk", 128)}))
	if err != nil {
		return err
	}
	for _, o := range offers {
		for _, r := range o.Resources {
			if len(r.Reservations) > 0 {
				return fmt.Errorf("a reservation is left after UNRESERVE: %s", r.String())
			}
		}
	}
	fmt.Println("volume destroyed and resources unreserved")
	if err := f.call(ctx, &scheduler.Call{Type: scheduler.Call_TEARDOWN}); err != nil {
		return err
	}
	fmt.Println("torn down")
	return nil
}

func (f *framework) id() string { id, _ := f.fid.Get(); return id }

func (f *framework) record() eventrules.Rule {
	return func(ctx context.Context, e *scheduler.Event, err error, ch eventrules.Chain) (context.Context, *scheduler.Event, error) {
		f.mu.Lock()
		f.events = append(f.events, e)
		switch e.GetType() {
		case scheduler.Event_OFFERS:
			for _, o := range e.GetOffers().GetOffers() {
				f.offers[o.ID.Value] = o
			}
		case scheduler.Event_RESCIND:
			delete(f.offers, e.GetRescind().OfferID.Value)
		case scheduler.Event_SUBSCRIBED:
			f.offers = map[string]mesos.Offer{}
		}
		f.mu.Unlock()
		return ch(ctx, e, err)
	}
}

func (f *framework) mark() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.events)
}

func poll(ctx context.Context, what string, cond func() bool) error {
	for !cond() {
		select {
		case <-ctx.Done():
			return fmt.Errorf("waiting for %s: %w", what, ctx.Err())
		case <-time.After(10 * time.Millisecond):
		}
	}
	return nil
}

func (f *framework) wait(ctx context.Context, what string, match func(*scheduler.Event) bool) (*scheduler.Event, error) {
	var found *scheduler.Event
	err := poll(ctx, what, func() bool {
		f.mu.Lock()
		defer f.mu.Unlock()
		for _, e := range f.events {
			if match(e) {
				found = e
				return true
			}
		}
		return false
	})
	return found, err
}

// status waits for one of the states of a task after since.
func (f *framework) status(ctx context.Context, since int, taskID string, states ...mesos.TaskState) (mesos.TaskStatus, error) {
	var found mesos.TaskStatus
	err := poll(ctx, fmt.Sprintf("task %s in %v", taskID, states), func() bool {
		f.mu.Lock()
		defer f.mu.Unlock()
		for _, e := range f.events[since:] {
			if e.GetType() != scheduler.Event_UPDATE || e.GetUpdate().Status.TaskID.Value != taskID {
				continue
			}
			s := e.GetUpdate().Status
			for _, want := range states {
				if s.GetState() == want {
					found = s
					return true
				}
			}
			if s.GetState() == mesos.TASK_ERROR || s.GetState() == mesos.TASK_DROPPED || s.GetState() == mesos.TASK_LOST {
				found = s
				return true
			}
		}
		return false
	})
	if err == nil && (found.GetState() == mesos.TASK_ERROR || found.GetState() == mesos.TASK_DROPPED || found.GetState() == mesos.TASK_LOST) {
		return found, fmt.Errorf("task %s: %s: %s", taskID, found.GetState(), found.GetMessage())
	}
	return found, err
}

// takeOffers waits until the outstanding offers of one agent hold want.
func (f *framework) takeOffers(ctx context.Context, what string, want []mesos.Resource) ([]mesos.Offer, error) {
	var found []mesos.Offer
	err := poll(ctx, "offers with "+what, func() bool {
		f.mu.Lock()
		defer f.mu.Unlock()
		byAgent := map[string][]mesos.Offer{}
		for _, o := range f.offers {
			byAgent[o.AgentID.Value] = append(byAgent[o.AgentID.Value], o)
		}
		for _, offers := range byAgent {
			var have []mesos.Resource
			for _, o := range offers {
				have = append(have, o.Resources...)
			}
			if holds(have, want) {
				found = offers
				for _, o := range offers {
					delete(f.offers, o.ID.Value)
				}
				return true
			}
		}
		return false
	})
	return found, err
}

func (f *framework) call(ctx context.Context, c *scheduler.Call) error {
	if err := calls.CallNoData(ctx, f.caller, c); err != nil {
		return fmt.Errorf("%s call: %w", c.Type, err)
	}
	return nil
}

func (f *framework) executor(id string, rs []mesos.Resource) mesos.ExecutorInfo {
	fid := mesos.FrameworkID{Value: f.id()}
	return mesos.ExecutorInfo{Type: mesos.ExecutorInfo_DEFAULT, ExecutorID: mesos.ExecutorID{Value: id}, FrameworkID: &fid, Resources: rs}
}

func task(id string, agent mesos.AgentID, cmd string, rs []mesos.Resource) mesos.TaskInfo {
	grace := int64(time.Second)
	return mesos.TaskInfo{Name: id, TaskID: mesos.TaskID{Value: id}, AgentID: agent, Resources: rs,
		Command: &mesos.CommandInfo{Value: &cmd}, KillPolicy: &mesos.KillPolicy{GracePeriod: &mesos.DurationInfo{Nanoseconds: grace}}}
}

func ids(offers []mesos.Offer) []mesos.OfferID {
	out := make([]mesos.OfferID, len(offers))
	for i, o := range offers {
		out[i] = o.ID
	}
	return out
}

func concat(lists ...[]mesos.Resource) []mesos.Resource {
	var out []mesos.Resource
	for _, l := range lists {
		out = append(out, l...)
	}
	return out
}

func scalar(name string, v float64) mesos.Resource {
	t := mesos.SCALAR
	return mesos.Resource{Name: name, Type: &t, Scalar: &mesos.Value_Scalar{Value: v}}
}

func reserved(r mesos.Resource, resourceID string) mesos.Resource {
	t := mesos.Resource_ReservationInfo_DYNAMIC
	ro, pr, v := role, principal, resourceID
	r.Reservations = []mesos.Resource_ReservationInfo{{Type: &t, Role: &ro, Principal: &pr,
		Labels: &mesos.Labels{Labels: []mesos.Label{{Key: "resource_id", Value: &v}}}}}
	return r
}

func volume(disk mesos.Resource) mesos.Resource {
	mode := mesos.RW
	pr := principal
	disk.Disk = &mesos.Resource_DiskInfo{
		Persistence: &mesos.Resource_DiskInfo_Persistence{ID: "blackbox-volume", Principal: &pr},
		Volume:      &mesos.Volume{Mode: &mode, ContainerPath: "data"},
	}
	return disk
}

// holds reports whether have covers want: for each wanted resource, the
// offered resources of the same name, reservation label and volume sum to at
// least its value.
func holds(have, want []mesos.Resource) bool {
	key := func(r mesos.Resource) string {
		k := r.Name
		for _, res := range r.Reservations {
			for _, l := range res.GetLabels().GetLabels() {
				k += "|" + l.Key + "=" + l.GetValue()
			}
		}
		if r.Disk != nil && r.Disk.Persistence != nil {
			k += "|volume=" + r.Disk.Persistence.ID
		}
		return k
	}
	sums := map[string]float64{}
	for _, r := range have {
		sums[key(r)] += r.GetScalar().GetValue()
	}
	for _, r := range want {
		k := key(r)
		if sums[k] < r.GetScalar().GetValue() {
			return false
		}
		sums[k] -= r.GetScalar().GetValue()
	}
	return true
}
