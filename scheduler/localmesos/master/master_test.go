package master

import (
	"encoding/json"
	"net/http"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	mesos "github.com/mesos/mesos-go/api/v1/lib"
	"github.com/mesos/mesos-go/api/v1/lib/scheduler"

	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/localmesos/resources"
	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/localmesos/wire"
)

func TestValidateCall(t *testing.T) {
	fid := &mesos.FrameworkID{Value: "F"}
	cases := []struct {
		call scheduler.Call
		want string
	}{
		{scheduler.Call{Type: scheduler.Call_SUBSCRIBE}, "Expecting 'subscribe' to be present"},
		{scheduler.Call{Type: scheduler.Call_SUBSCRIBE, FrameworkID: fid, Subscribe: &scheduler.Call_Subscribe{FrameworkInfo: &mesos.FrameworkInfo{}}},
			"'framework_id' differs from 'subscribe.framework_info.id'"},
		{scheduler.Call{Type: scheduler.Call_ACCEPT}, "Expecting 'framework_id' to be present"},
		{scheduler.Call{Type: scheduler.Call_ACCEPT, FrameworkID: fid}, "Expecting 'accept' to be present"},
		{scheduler.Call{Type: scheduler.Call_KILL, FrameworkID: fid}, "Expecting 'kill' to be present"},
		{scheduler.Call{Type: scheduler.Call_ACKNOWLEDGE, FrameworkID: fid, Acknowledge: &scheduler.Call_Acknowledge{UUID: []byte("short")}}, "Not a valid UUID"},
		{scheduler.Call{Type: scheduler.Call_REVIVE, FrameworkID: fid}, ""},
		{scheduler.Call{Type: scheduler.Call_TEARDOWN, FrameworkID: fid}, ""},
	}
	for _, tc := range cases {
		err := validateCall(&tc.call)
		got := ""
		if err != nil {
			got = err.Error()
		}
		if got != tc.want {
			t.Errorf("%s: got %q, want %q", tc.call.Type, got, tc.want)
		}
	}
}

func TestAcceptsMediaType(t *testing.T) {
	cases := []struct {
		accept string
		json   bool
		proto  bool
	}{
		{"", true, true},
		{"application/json", true, false},
		{"application/x-protobuf", false, true},
		{"*/*", true, true},
		{"application/*", true, true},
		{"application/json;q=0, application/x-protobuf", false, true},
		{"text/html", false, false},
	}
	for _, tc := range cases {
		r, _ := http.NewRequest(http.MethodPost, "/", nil)
		if tc.accept != "" {
			r.Header.Set("Accept", tc.accept)
		}
		if got := acceptsMediaType(r, mediaJSON); got != tc.json {
			t.Errorf("%q accepts JSON: %v", tc.accept, got)
		}
		if got := acceptsMediaType(r, mediaProtobuf); got != tc.proto {
			t.Errorf("%q accepts protobuf: %v", tc.accept, got)
		}
	}
}

func TestMissingRequiredNamesNestedFields(t *testing.T) {
	var raw map[string]any
	body := `{"type":"ACCEPT","framework_id":{"value":"F"},"accept":{"offer_ids":[{}],"operations":[{"type":"LAUNCH","launch":{"task_infos":[{"task_id":{"value":"t"},"agent_id":{"value":"a"}}]}}]}}`
	if err := json.Unmarshal([]byte(body), &raw); err != nil {
		t.Fatal(err)
	}
	got := missingRequired(raw, reflect.TypeOf(scheduler.Call{}), "")
	want := []string{"accept.offer_ids[0].value", "accept.operations[0].launch.task_infos[0].name"}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got %v, want %v", got, want)
	}
}

func TestProtoHasField(t *testing.T) {
	withType, _ := (&scheduler.Call{Type: scheduler.Call_REVIVE}).Marshal()
	if !protoHasField(withType, 2) {
		t.Fatal("the type field is present")
	}
	if protoHasField([]byte{0x0a, 0x03, 0x0a, 0x01, 'x'}, 2) {
		t.Fatal("only field 1 is present")
	}
}

// fakeAgent records what the master asks of an agent.
type fakeAgent struct {
	mu   sync.Mutex
	runs []mesos.TaskGroupInfo
	ops  []mesos.Offer_Operation
}

func (f *fakeAgent) Ping() bool                                                  { return true }
func (f *fakeAgent) RunTask(mesos.FrameworkInfo, mesos.TaskInfo)                 {}
func (f *fakeAgent) KillTask(mesos.FrameworkID, mesos.TaskID, *mesos.KillPolicy) {}
func (f *fakeAgent) Acknowledge(mesos.FrameworkID, mesos.TaskID, []byte)         {}
func (f *fakeAgent) ShutdownFramework(mesos.FrameworkID)                         {}
func (f *fakeAgent) ShutdownExecutor(mesos.FrameworkID, mesos.ExecutorID)        {}
func (f *fakeAgent) ReconcileTasks(mesos.FrameworkInfo, []mesos.TaskID)          {}
func (f *fakeAgent) UpdateFramework(mesos.FrameworkInfo)                         {}
func (f *fakeAgent) Shutdown(string)                                             {}
func (f *fakeAgent) RunTaskGroup(_ mesos.FrameworkInfo, _ mesos.ExecutorInfo, g mesos.TaskGroupInfo) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.runs = append(f.runs, g)
}
func (f *fakeAgent) ApplyOperation(op mesos.Offer_Operation) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.ops = append(f.ops, op)
}

// events decodes the JSON events queued on a stream so far.
func events(s *stream) []scheduler.Event {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []scheduler.Event
	for _, b := range s.queue {
		var e scheduler.Event
		if err := json.Unmarshal(b, &e); err == nil {
			out = append(out, e)
		}
	}
	return out
}

func waitOffer(t *testing.T, s *stream, seen int) (mesos.Offer, int) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		evs := events(s)
		for i := seen; i < len(evs); i++ {
			if evs[i].GetType() == scheduler.Event_OFFERS {
				return evs[i].GetOffers().Offers[0], i + 1
			}
		}
		time.Sleep(2 * time.Millisecond)
	}
	t.Fatal("no offer")
	return mesos.Offer{}, seen
}

func TestRefuseFilterHidesOnlyASubsetOfTheDeclinedResources(t *testing.T) {
	m := New(Config{Hostname: "127.0.0.1", Port: 5050})
	defer m.Stop()
	m.Elect()
	fa := &fakeAgent{}
	if _, err := m.RegisterAgent(wire.Registration{Info: mesos.AgentInfo{Hostname: "127.1.1.2",
		Resources: []mesos.Resource{resources.Scalar("cpus", 4), resources.Scalar("mem", 1024), resources.Scalar("disk", 1024)}}, Agent: fa}); err != nil {
		t.Fatal(err)
	}
	s := newStream(mediaJSON)
	role := "r"
	m.subscribe(s, scheduler.Call_Subscribe{FrameworkInfo: &mesos.FrameworkInfo{User: "u", Name: "n", Role: &role}})
	offer, seen := waitOffer(t, s, 0)

	// Launch a task group on part of the offer; the rest is declined for an
	// hour.
	fwID := offer.FrameworkID
	exec := mesos.ExecutorInfo{Type: mesos.ExecutorInfo_DEFAULT, ExecutorID: mesos.ExecutorID{Value: "e"}, FrameworkID: &fwID,
		Resources: []mesos.Resource{resources.Scalar("cpus", 0.1), resources.Scalar("mem", 32), resources.Scalar("disk", 32)}}
	taskRes := []mesos.Resource{resources.Scalar("cpus", 1), resources.Scalar("mem", 256)}
	hour := 3600.0
	m.mu.Lock()
	fw := m.frameworks[fwID.Value]
	m.accept(fw, scheduler.Call_Accept{OfferIDs: []mesos.OfferID{offer.ID}, Filters: &mesos.Filters{RefuseSeconds: &hour},
		Operations: []mesos.Offer_Operation{{Type: mesos.Offer_Operation_LAUNCH_GROUP, LaunchGroup: &mesos.Offer_Operation_LaunchGroup{
			Executor: exec, TaskGroup: mesos.TaskGroupInfo{Tasks: []mesos.TaskInfo{{Name: "t", TaskID: mesos.TaskID{Value: "t"}, AgentID: offer.AgentID, Resources: taskRes}}},
		}}}})
	m.mu.Unlock()
	if len(fa.runs) != 1 {
		t.Fatalf("the task group was sent to the agent: %+v", fa.runs)
	}

	// The task finishes: its resources are not covered by the filter, so the
	// agent is offered again at once (with the filtered part too).
	st := mesos.TaskStatus{TaskID: mesos.TaskID{Value: "t"}, State: mesos.TASK_FINISHED.Enum(), UUID: newUUIDBytes()}
	m.StatusUpdate(wire.StatusUpdate{FrameworkID: fwID, AgentID: offer.AgentID, Status: st, LatestState: mesos.TASK_FINISHED})
	again, _ := waitOffer(t, s, seen)
	if got := resources.New(again.Resources...).Scalar("cpus"); got != 3.9 {
		t.Fatalf("the new offer holds the task's cpus and the declined ones: %v", got)
	}
	for _, e := range events(s) {
		if e.GetType() == scheduler.Event_UPDATE && e.GetUpdate().Status.TaskID.Value == "t" {
			return
		}
	}
	t.Fatal("the status update was forwarded")
}

func TestStoppedMasterRedirectsOrRefuses(t *testing.T) {
	m := New(Config{Hostname: "127.0.0.1", Port: 5050, Leader: func() (mesos.MasterInfo, bool) { return mesos.MasterInfo{}, false }})
	defer m.Stop()
	r, _ := http.NewRequest(http.MethodPost, "/api/v1/scheduler", strings.NewReader("{}"))
	w := &recorder{header: http.Header{}}
	m.ServeScheduler(w, r)
	if w.code != http.StatusServiceUnavailable || w.body.String() != "No leader elected" {
		t.Fatalf("a master that is not elected and knows no leader: %d %q", w.code, w.body.String())
	}
}

type recorder struct {
	header http.Header
	code   int
	body   strings.Builder
}

func (r *recorder) Header() http.Header         { return r.header }
func (r *recorder) Write(b []byte) (int, error) { return r.body.Write(b) }
func (r *recorder) WriteHeader(code int)        { r.code = code }
