package localmesos_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	mesos "github.com/mesos/mesos-go/api/v1/lib"
	"github.com/mesos/mesos-go/api/v1/lib/encoding/codecs"
	"github.com/mesos/mesos-go/api/v1/lib/scheduler"
	"github.com/mesos/mesos-go/api/v1/lib/scheduler/calls"

	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/localmesos"
	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/localmesos/resources"
)

func post(t *testing.T, url, contentType, body string, headers ...string) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

// readRecords reads up to n RecordIO records from r.
func readRecords(r io.Reader, n int) ([]string, error) {
	br := bufio.NewReader(r)
	var out []string
	for len(out) < n {
		line, err := br.ReadString('\n')
		if err != nil {
			return out, err
		}
		size, err := strconv.Atoi(strings.TrimSpace(line))
		if err != nil {
			return out, err
		}
		buf := make([]byte, size)
		if _, err := io.ReadFull(br, buf); err != nil {
			return out, err
		}
		out = append(out, string(buf))
	}
	return out, nil
}

// rawSubscribe sends a JSON SUBSCRIBE and returns the first records of the
// stream (all of them if the master closes it).
func rawSubscribe(t *testing.T, url, body string) []string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, url, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	records, _ := readRecords(resp.Body, 2)
	return records
}

const subscribeJSON = `{"type":"SUBSCRIBE","subscribe":{"framework_info":{"user":"root","name":"raw","roles":["kafka-role"],"capabilities":[{"type":"MULTI_ROLE"}]}}}`

func TestSubscribeAnswersWithARecordIOStream(t *testing.T) {
	c := startCluster(t, testConfig(t))
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, c.SchedulerURL(), strings.NewReader(subscribeJSON))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "application/json" ||
		resp.Header.Get("Mesos-Stream-Id") == "" || resp.ContentLength != -1 {
		t.Fatalf("SUBSCRIBE answer: %d %v (length %d)", resp.StatusCode, resp.Header, resp.ContentLength)
	}
	records, err := readRecords(resp.Body, 3)
	if err != nil {
		t.Fatal(err)
	}
	var sub scheduler.Event
	if err := json.Unmarshal([]byte(records[0]), &sub); err != nil || sub.GetType() != scheduler.Event_SUBSCRIBED ||
		sub.GetSubscribed().GetHeartbeatIntervalSeconds() != 0.2 || sub.GetSubscribed().GetMasterInfo().GetVersion() == "" {
		t.Fatalf("first record: %s (%v)", records[0], err)
	}
	var types []string
	for _, r := range records[1:] {
		var e scheduler.Event
		_ = json.Unmarshal([]byte(r), &e)
		types = append(types, e.GetType().String())
	}
	if !strings.Contains(strings.Join(types, ","), "OFFERS") && !strings.Contains(strings.Join(types, ","), "HEARTBEAT") {
		t.Fatalf("the stream goes on with offers and heartbeats: %v", types)
	}
	if !strings.Contains(records[1]+records[2], `"offers":{"offers":[`) && !strings.Contains(records[1]+records[2], `"HEARTBEAT"`) {
		t.Fatalf("OFFERS are encoded as in scheduler.proto: %s", records[1])
	}
}

func TestProtocolErrorsAreTheMastersOwn(t *testing.T) {
	c := startCluster(t, testConfig(t))
	fw := startFramework(t, c, fwOptions{failover: time.Minute})
	url := c.SchedulerURL()
	id := fw.id()
	decline := `{"type":"DECLINE","framework_id":{"value":"` + id + `"},"decline":{"offer_ids":[]}}`
	ack := `{"type":"ACKNOWLEDGE","framework_id":{"value":"` + id + `"},"acknowledge":{"agent_id":{"value":"a"},"task_id":{"value":"t"},"uuid":"YWJjZA=="}}`
	cases := []struct {
		name, method, contentType, body string
		headers                         []string
		code                            int
		want                            string
	}{
		{"GET", http.MethodGet, "", "", nil, 405, "405 Method Not Allowed. Expecting one of { 'POST' }, but received 'GET'."},
		{"no content type", http.MethodPost, "", decline, nil, 400, "Expecting 'Content-Type' to be present"},
		{"wrong content type", http.MethodPost, "text/plain", decline, nil, 415, "Expecting 'Content-Type' of application/json or application/x-protobuf"},
		{"content type with charset", http.MethodPost, "application/json; charset=utf-8", decline, nil, 415, "Expecting 'Content-Type' of application/json or application/x-protobuf"},
		{"bad JSON", http.MethodPost, "application/json", "{", nil, 400, "Failed to parse body into JSON: "},
		{"bad protobuf", http.MethodPost, "application/x-protobuf", "\xff\xff", nil, 400, "Failed to parse body into Call protobuf"},
		{"no type", http.MethodPost, "application/json", `{"framework_id":{"value":"x"}}`, nil, 400, "Failed to validate scheduler::Call: Expecting 'type' to be present"},
		{"no framework id", http.MethodPost, "application/json", `{"type":"DECLINE","decline":{"offer_ids":[]}}`, nil, 400, "Failed to validate scheduler::Call: Expecting 'framework_id' to be present"},
		{"no payload", http.MethodPost, "application/json", `{"type":"DECLINE","framework_id":{"value":"x"}}`, nil, 400, "Failed to validate scheduler::Call: Expecting 'decline' to be present"},
		{"missing required field", http.MethodPost, "application/json", `{"type":"SUBSCRIBE","subscribe":{"framework_info":{"name":"n"}}}`, nil, 400,
			"Failed to convert JSON into Call protobuf: Missing required fields: subscribe.framework_info.user"},
		{"unknown framework", http.MethodPost, "application/json", `{"type":"DECLINE","framework_id":{"value":"nope"},"decline":{"offer_ids":[]}}`, []string{"Mesos-Stream-Id", "x"}, 400, "Framework cannot be found"},
		{"no stream id", http.MethodPost, "application/json", decline, nil, 400, "All non-subscribe calls should include the 'Mesos-Stream-Id' header"},
		{"wrong stream id", http.MethodPost, "application/json", decline, []string{"Mesos-Stream-Id", "other"}, 400,
			"The stream ID 'other' included in this request didn't match the stream ID currently associated with framework ID " + id},
		{"subscribe with stream id", http.MethodPost, "application/json", subscribeJSON, []string{"Mesos-Stream-Id", "x"}, 400, "Subscribe calls should not include the 'Mesos-Stream-Id' header"},
		{"not acceptable", http.MethodPost, "application/json", subscribeJSON, []string{"Accept", "text/html"}, 406, "Expecting 'Accept' to allow 'application/x-protobuf' or 'application/json'"},
		{"bad uuid", http.MethodPost, "application/json", ack, []string{"Mesos-Stream-Id", "x"}, 400, "Failed to validate scheduler::Call: Not a valid UUID"},
		{"framework id mismatch", http.MethodPost, "application/json", `{"type":"SUBSCRIBE","framework_id":{"value":"a"},"subscribe":{"framework_info":{"user":"u","name":"n"}}}`, nil, 400,
			"Failed to validate scheduler::Call: 'framework_id' differs from 'subscribe.framework_info.id'"},
	}
	for _, tc := range cases {
		req, _ := http.NewRequest(tc.method, url, strings.NewReader(tc.body))
		if tc.contentType != "" {
			req.Header.Set("Content-Type", tc.contentType)
		}
		for i := 0; i+1 < len(tc.headers); i += 2 {
			req.Header.Set(tc.headers[i], tc.headers[i+1])
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != tc.code || !strings.HasPrefix(string(b), tc.want) {
			t.Errorf("%s: got %d %q, want %d %q", tc.name, resp.StatusCode, b, tc.code, tc.want)
		}
		if tc.code == 405 && resp.Header.Get("Allow") != "POST" {
			t.Errorf("405 carries Allow: POST, got %q", resp.Header.Get("Allow"))
		}
	}
	if resp, _ := post(t, "http://"+c.LeaderAddress()+"/nope", "application/json", "{}"); resp.StatusCode != 404 {
		t.Errorf("unknown path: %d", resp.StatusCode)
	}
}

func TestCallsOfADisconnectedFrameworkAreForbidden(t *testing.T) {
	c := startCluster(t, testConfig(t))
	fw := startFramework(t, c, fwOptions{failover: time.Minute})
	id := fw.id()
	fw.stop()
	eventually(t, "the framework to be disconnected", func() bool {
		for _, f := range c.Snapshot().Frameworks {
			if f.ID == id {
				return !f.Connected
			}
		}
		return false
	})
	resp, body := post(t, c.SchedulerURL(), "application/json", `{"type":"REVIVE","framework_id":{"value":"`+id+`"}}`, "Mesos-Stream-Id", "x")
	if resp.StatusCode != 403 || body != "Framework is not subscribed" {
		t.Fatalf("got %d %q", resp.StatusCode, body)
	}
}

func TestNonLeadingMasterRedirectsToTheLeader(t *testing.T) {
	cfg := testConfig(t)
	cfg.Masters = 2
	c := startCluster(t, cfg)
	masters := c.MasterAddresses()
	leader, standby := masters[0], masters[1]
	resp, _ := post(t, "http://"+standby+"/api/v1/scheduler", "application/json", subscribeJSON)
	if resp.StatusCode != http.StatusTemporaryRedirect || resp.Header.Get("Location") != "//"+leader+"/api/v1/scheduler" {
		t.Fatalf("standby answer: %d Location=%q", resp.StatusCode, resp.Header.Get("Location"))
	}
	// mesos-go follows the redirect on SUBSCRIBE.
	fw := startFramework(t, c, fwOptions{url: "http://" + standby + "/api/v1/scheduler", failover: time.Minute})
	if fw.id() == "" {
		t.Fatal("subscribed through the standby")
	}
	fw.stop()

	if err := c.FailoverMaster(); err != nil {
		t.Fatal(err)
	}
	if c.LeaderAddress() != standby {
		t.Fatalf("the standby takes over: leader is %s", c.LeaderAddress())
	}
	resp, _ = post(t, "http://"+leader+"/api/v1/scheduler", "application/json", subscribeJSON)
	if resp.StatusCode != http.StatusTemporaryRedirect || resp.Header.Get("Location") != "//"+standby+"/api/v1/scheduler" {
		t.Fatalf("the old leader redirects to the new one: %d %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	eventually(t, "the agents to reregister with the new leader", func() bool {
		s := c.Snapshot()
		return len(s.Agents) == 1 && s.Agents[0].Master != nil && s.Agents[0].Master.Connected
	})
	fw2 := startFramework(t, c, fwOptions{failover: time.Minute})
	fw2.takeOffer("an offer from the new leader", func(mesos.Offer) bool { return true })
}

func TestAcceptOfARescindedOfferDropsTheTasks(t *testing.T) {
	c := startCluster(t, testConfig(t, localmesos.AgentConfig{}, localmesos.AgentConfig{}))
	fw := startFramework(t, c, fwOptions{failover: time.Minute, checkpoint: true})
	offer := fw.takeOffer("any", func(mesos.Offer) bool { return true })
	mark := fw.mark()
	if err := c.CrashAgent(agentName(t, c, offer.AgentID.Value)); err != nil {
		t.Fatal(err)
	}
	fw.waitEvent(mark, "the rescind", func(e *scheduler.Event) bool {
		return e.GetType() == scheduler.Event_RESCIND && e.GetRescind().OfferID.Value == offer.ID.Value
	})
	task := taskInfo("late", offer, "true", []mesos.Resource{scalar("cpus", 0.1), scalar("mem", 32)})
	fw.call(calls.Accept(calls.OfferOperations{calls.OpReserve(reserved(scalar("cpus", 0.1), "x")), calls.OpLaunch(task)}.WithOffers(offer.ID)))
	dropped := fw.waitStatus(mark, "late", mesos.TASK_DROPPED)
	noUUID(t, dropped)
	if dropped.GetReason() != mesos.REASON_INVALID_OFFERS || dropped.GetMessage() != "Task launched with invalid offers: Offer "+offer.ID.Value+" is no longer valid" {
		t.Fatalf("TASK_DROPPED: %+v", dropped)
	}
}

func TestUnacknowledgedUpdatesAreResentUntilAcknowledged(t *testing.T) {
	c := startCluster(t, testConfig(t))
	fw := startFramework(t, c, fwOptions{failover: time.Minute, noAutoAck: true})
	offer := fw.takeOffer("cpus", func(o mesos.Offer) bool { return resources.New(o.Resources...).Scalar("cpus") >= 1 })
	mark := fw.mark()
	fw.call(calls.Accept(calls.OfferOperations{calls.OpLaunch(taskInfo("t1", offer, "sleep 60", []mesos.Resource{scalar("cpus", 0.1), scalar("mem", 32)}))}.WithOffers(offer.ID)))
	var first mesos.TaskStatus
	eventually(t, "TASK_STARTING to be re-sent", func() bool {
		sts := fw.statuses("t1")
		if len(sts) < 3 {
			return false
		}
		first = sts[0]
		for _, s := range sts {
			if s.GetState() != mesos.TASK_STARTING || !bytes.Equal(s.UUID, first.UUID) {
				t.Fatalf("until acknowledged only the same update is re-sent, got %v", s.GetState())
			}
		}
		return true
	})
	fw.call(calls.Acknowledge(offer.AgentID.Value, "t1", first.UUID))
	running := fw.waitStatus(mark, "t1", mesos.TASK_RUNNING)
	if bytes.Equal(running.UUID, first.UUID) {
		t.Fatal("the next update has its own uuid")
	}
}

func TestReconciliationFollowsTheMastersTable(t *testing.T) {
	c := startCluster(t, testConfig(t))
	fw := startFramework(t, c, fwOptions{failover: time.Minute})
	legacy := startFramework(t, c, fwOptions{name: "legacy", failover: time.Minute, caps: []mesos.FrameworkInfo_Capability_Type{mesos.FrameworkInfo_Capability_MULTI_ROLE}})
	offer, _ := launchCommandTask(t, fw, "known", "sleep 60")
	agentID := offer.AgentID.Value

	cases := []struct {
		fw      *testFramework
		task    string
		agent   string
		state   mesos.TaskState
		message string
	}{
		{fw, "known", agentID, mesos.TASK_RUNNING, "Reconciliation: Latest task state"},
		{fw, "unknown-on-agent", agentID, mesos.TASK_GONE, "Reconciliation: Task is unknown to the agent"},
		{fw, "unknown-no-agent", "", mesos.TASK_UNKNOWN, "Reconciliation: Task is unknown"},
		{fw, "unknown-agent", "no-such-agent", mesos.TASK_UNKNOWN, "Reconciliation: Task is unknown"},
		{legacy, "legacy-unknown", agentID, mesos.TASK_LOST, "Reconciliation: Task is unknown to the agent"},
	}
	for _, tc := range cases {
		mark := tc.fw.mark()
		reconcile(tc.fw, tc.task, tc.agent)
		st := tc.fw.waitStatus(mark, tc.task, tc.state)
		noUUID(t, st)
		if st.GetReason() != mesos.REASON_RECONCILIATION || st.GetMessage() != tc.message {
			t.Errorf("%s: %+v", tc.task, st)
		}
	}
	mark := fw.mark()
	fw.call(calls.Reconcile())
	implicit := fw.waitStatus(mark, "known", mesos.TASK_RUNNING)
	if implicit.GetReason() != mesos.REASON_RECONCILIATION {
		t.Fatalf("implicit reconciliation: %+v", implicit)
	}
	mark = fw.mark()
	fw.call(calls.Kill("not-there", agentID))
	if st := fw.waitStatus(mark, "not-there", mesos.TASK_GONE); st.GetMessage() != "Reconciliation: Task is unknown to the agent" {
		t.Fatalf("killing an unknown task reconciles it: %+v", st)
	}
}

func TestJSONCodecFramework(t *testing.T) {
	c := startCluster(t, testConfig(t))
	fw := startFramework(t, c, fwOptions{failover: time.Minute, codec: codecs.MediaTypeJSON})
	_, _ = launchCommandTask(t, fw, "json-task", "sleep 60")
	mark := fw.mark()
	fw.call(calls.Kill("json-task", ""))
	fw.waitStatus(mark, "json-task", mesos.TASK_KILLED)
}
