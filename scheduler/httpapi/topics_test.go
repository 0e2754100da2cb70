package httpapi

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/api"
	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/kafka/admin"
	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/kafka/brokerconfig"
	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/kafka/devkafka/devkafkatest"
	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/service"
)

// tarball is the dev Kafka distribution, built once for this test binary
// (the topic and broker tests run against stand-in broker processes).
var tarball string

func TestMain(m *testing.M) { os.Exit(devkafkatest.RunWithDistribution(m, &tarball)) }

// kafkaBackend is the fake backend whose service "kafka" has three stand-in
// broker processes behind it, reached through a real admin client.
func kafkaBackend(t *testing.T) (*fakeBackend, *devkafkatest.Cluster) {
	t.Helper()
	settings := brokerconfig.DefaultSettings()
	settings.DeleteTopicEnable = true
	settings.NumPartitions = 3
	settings.DefaultReplicationFactor = 2
	settings.LogRetentionHours = 48 // a broker default that must never show as a topic config
	settings.MinInsyncReplicas = 2
	cluster := devkafkatest.StartCluster(t, tarball, 3, settings)
	adm, err := admin.New(admin.Config{Brokers: cluster.Bootstrap(), Timeout: 20 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(adm.Close)
	b := newFakeBackend()
	b.kafka = func(name string) (Kafka, error) {
		if name != "kafka" {
			return nil, &service.NotFoundError{Kind: "Service", Name: name}
		}
		return adm, nil
	}
	return b, cluster
}

func topicContext(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func problemFieldsOf(err error) []string {
	var out []string
	for _, p := range api.ProblemsOf(err) {
		out = append(out, p.Field)
	}
	return out
}

func TestJSONTopicAPI(t *testing.T) {
	b, cluster := kafkaBackend(t)
	c := newTestClient(t, b)
	ctx := topicContext(t)
	spec := api.TopicSpec{Name: "payments", Partitions: 6, ReplicationFactor: 2, Configs: map[string]string{"retention.ms": "3600000"}}

	created, isNew, err := c.CreateTopic(ctx, "kafka", spec)
	if err != nil || !isNew {
		t.Fatalf("create: %v (created %v)", err, isNew)
	}
	if created.Partitions != 6 || created.ReplicationFactor != 2 || len(created.PartitionDetails) != 6 ||
		!reflect.DeepEqual(created.Configs, spec.Configs) {
		t.Errorf("created %+v", created)
	}
	again, isNew, err := c.CreateTopic(ctx, "kafka", spec)
	if err != nil || isNew || again.ID != created.ID {
		t.Errorf("the same create again must be a 200 with the same topic: %v created=%v id %s vs %s", err, isNew, again.ID, created.ID)
	}
	_, _, err = c.CreateTopic(ctx, "kafka", api.TopicSpec{Name: "payments", Partitions: 3, ReplicationFactor: 2, Configs: map[string]string{"cleanup.policy": "compact"}})
	if !api.IsConflict(err) || !slices.Equal(problemFieldsOf(err), []string{"partitions", "configs.cleanup.policy", "configs.retention.ms"}) {
		t.Errorf("a create with other settings: %v, problems %v", err, api.ProblemsOf(err))
	}

	got, err := c.Topic(ctx, "kafka", "payments")
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got.Configs, map[string]string{"retention.ms": "3600000"}) {
		t.Errorf("configs %v: only retention.ms is set on the topic, whatever the brokers' server.properties say", got.Configs)
	}
	for _, p := range got.PartitionDetails {
		if len(p.Replicas) != 2 || p.Leader != p.Replicas[0] || !slices.Equal(p.ISR, p.Replicas) || p.Error != "" {
			t.Errorf("partition %+v", p)
		}
	}

	for i := range 5 {
		if _, _, err := c.CreateTopic(ctx, "kafka", api.TopicSpec{Name: fmt.Sprintf("bulk-%d", i), Partitions: -1, ReplicationFactor: -1}); err != nil {
			t.Fatal(err)
		}
	}
	all, err := c.Topics(ctx, "kafka")
	if err != nil || len(all) != 6 || all[0].Name != "bulk-0" || all[0].Partitions != 3 || all[0].ReplicationFactor != 2 || all[5].Name != "payments" {
		t.Fatalf("bulk read: %v %+v", err, all)
	}
	if some, err := c.Topics(ctx, "kafka", "payments", "nope"); err != nil || len(some) != 1 || some[0].Name != "payments" {
		t.Errorf("reading some topics: %v %+v", err, some)
	}

	after, err := c.UpdateTopicConfigs(ctx, "kafka", "payments", api.TopicConfigUpdate{Set: map[string]string{"cleanup.policy": "compact"}, Reset: []string{"retention.ms"}})
	if err != nil || !reflect.DeepEqual(after.Configs, map[string]string{"cleanup.policy": "compact"}) {
		t.Errorf("set and reset: %v %v", err, after.Configs)
	}
	_, err = c.UpdateTopicConfigs(ctx, "kafka", "payments", api.TopicConfigUpdate{Set: map[string]string{"retention.hours": "1"}})
	if api.StatusOf(err) != http.StatusBadRequest || !slices.Equal(problemFieldsOf(err), []string{"configs.retention.hours"}) {
		t.Errorf("an unknown config key: %v", err)
	}

	if grown, err := c.SetTopicPartitions(ctx, "kafka", "payments", 8); err != nil || grown.Partitions != 8 {
		t.Errorf("partition increase: %v %d", err, grown.Partitions)
	}
	_, err = c.SetTopicPartitions(ctx, "kafka", "payments", 2)
	if api.StatusOf(err) != http.StatusBadRequest || !strings.Contains(err.Error(), "Kafka cannot remove partitions") {
		t.Errorf("a decrease: %v", err)
	}

	wider, err := c.SetTopicReplicationFactor(ctx, "kafka", "payments", 3)
	if err != nil || wider.ReplicationFactor != 3 {
		t.Fatalf("replication 2 -> 3: %v %+v", err, wider)
	}
	for i, p := range wider.PartitionDetails {
		if i < len(got.PartitionDetails) && p.Replicas[0] != got.PartitionDetails[i].Replicas[0] {
			t.Errorf("partition %d's first replica moved: %v, was %v", i, p.Replicas, got.PartitionDetails[i].Replicas)
		}
	}
	_, err = c.SetTopicReplicationFactor(ctx, "kafka", "payments", 4)
	if api.StatusOf(err) != http.StatusBadRequest || !strings.Contains(err.Error(), "live brokers") {
		t.Errorf("four replicas on three brokers: %v", err)
	}

	if err := c.DeleteTopic(ctx, "kafka", "payments"); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Topic(ctx, "kafka", "payments"); !api.IsNotFound(err) || !strings.Contains(err.Error(), "UNKNOWN_TOPIC_OR_PARTITION") {
		t.Errorf("read after delete: %v", err)
	}
	if err := c.DeleteTopic(ctx, "kafka", "payments"); !api.IsNotFound(err) {
		t.Errorf("deleting it again: %v", err)
	}

	// A broker down: reads still answer, with the partitions it holds
	// data for leaderless.
	cluster.Brokers[2].Kill(t)
	down, err := c.Topics(ctx, "kafka")
	if err != nil || len(down) != 5 {
		t.Fatalf("bulk read with a broker down: %v %d", err, len(down))
	}
	leaderless := 0
	for _, tp := range down {
		for _, p := range tp.PartitionDetails {
			if p.Leader == -1 {
				leaderless++
				if p.Error != "LEADER_NOT_AVAILABLE" {
					t.Errorf("%s-%d has no leader but error %q", tp.Name, p.Partition, p.Error)
				}
			}
		}
	}
	if leaderless == 0 {
		t.Error("no partition lost its leader with broker 2 down")
	}
	_, _, err = c.CreateTopic(ctx, "kafka", api.TopicSpec{Name: "wide", Partitions: 1, ReplicationFactor: 3})
	if api.StatusOf(err) != http.StatusBadRequest || !strings.Contains(err.Error(), "live brokers (2") {
		t.Errorf("three replicas with two live brokers: %v", err)
	}
}

func TestJSONTopicAPIRefusesBadBodiesAndUnknownServices(t *testing.T) {
	b, _ := kafkaBackend(t)
	h := NewHandler(Config{Backend: b})
	cases := []struct {
		method, path, body string
		status             int
		says               string
	}{
		{"POST", "/service/kafka/v2/topics", `{"name": "t", "partitons": 3}`, 400, `unknown field \"partitons\"`},
		{"POST", "/service/kafka/v2/topics", `{"name": "t"} {}`, 400, "one JSON object"},
		{"POST", "/service/kafka/v2/topics", `{"name": "bad name", "partitions": 0}`, 400, "partitions"},
		{"PUT", "/service/kafka/v2/topics/t/partitions", `{"partitions": "many"}`, 400, "not valid JSON"},
		{"PUT", "/service/kafka/v2/topics/t/configs", `{}`, 400, "at least one config"},
		{"GET", "/service/kafka/v2/topics/missing", "", 404, "UNKNOWN_TOPIC_OR_PARTITION"},
		{"GET", "/service/other/v2/topics", "", 404, "Service other not found"},
		{"GET", "/service/kafka/v1/brokers/x", "", 400, "broker id"},
		{"GET", "/service/kafka/v1/brokers/7", "", 404, "not live"},
		{"PUT", "/service/kafka/v1/topics/t?operation=shrink", "", 400, "operation"},
		{"PUT", "/service/kafka/v1/topics/t?operation=producer-test&messages=0", "", 400, "messages"},
		{"POST", "/service/kafka/v1/topics?partitions=1", "", 400, "name"},
		{"GET", "/service/kafka/v1/topics/t/offsets?time=yesterday", "", 400, "time"},
	}
	for _, tc := range cases {
		rec := do(t, h, tc.method, tc.path, "", tc.body)
		if rec.Code != tc.status || !strings.Contains(rec.Body.String(), tc.says) {
			t.Errorf("%s %s %s: %d %s, want %d saying %q", tc.method, tc.path, tc.body, rec.Code, rec.Body, tc.status, tc.says)
		}
	}
}

func TestTopicsOfAServiceWithoutBrokersAre503(t *testing.T) {
	b := newFakeBackend() // b.kafka nil: the service has no broker running yet
	c := newTestClient(t, b)
	_, err := c.Topics(testContext(t), "kafka")
	if api.StatusOf(err) != http.StatusServiceUnavailable || !strings.Contains(err.Error(), "no broker running yet") {
		t.Errorf("topics of a deploying service: %v", err)
	}
	rec := do(t, NewHandler(Config{Backend: b}), "GET", "/service/kafka/v1/topics", "", "")
	if rec.Code != http.StatusServiceUnavailable || rec.Header().Get("Retry-After") == "" {
		t.Errorf("DC/OS topic list of a deploying service: %d, Retry-After %q", rec.Code, rec.Header().Get("Retry-After"))
	}
	b.kafka = func(string) (Kafka, error) {
		return nil, fmt.Errorf("service kafka is being uninstalled: %w", service.ErrConflict)
	}
	if _, err := c.BrokerIDs(testContext(t), "kafka"); !api.IsConflict(err) {
		t.Errorf("brokers of an uninstalling service: %v", err)
	}
}

// TestDCOSTopicAndBrokerEndpoints runs the seed's curl commands (paths,
// query parameters, methods) and checks the seed's answer shapes.
func TestDCOSTopicAndBrokerEndpoints(t *testing.T) {
	b, cluster := kafkaBackend(t)
	b.svcs["kafka"].pods = []service.PodInstance{{Name: "kafka-0", Tasks: []service.PodTask{{ID: "kafka-0-broker__abc", Name: "kafka-0-broker", State: "RUNNING", AgentID: "agent-1", Hostname: "127.0.0.2"}}}}
	srv := newTestServer(t, b)
	curl := func(method, path string) (int, string) {
		t.Helper()
		req, err := http.NewRequest(method, srv+path, nil)
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Authorization", "token="+testToken)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		var raw json.RawMessage
		if err := json.NewDecoder(res.Body).Decode(&raw); err != nil {
			t.Fatalf("%s %s: not JSON: %v", method, path, err)
		}
		return res.StatusCode, string(raw)
	}
	wantJSON := func(method, path string, status int, want string) {
		t.Helper()
		code, got := curl(method, path)
		if code != status || got != want {
			t.Errorf("%s %s = %d %s\nwant %d %s", method, path, code, got, status, want)
		}
	}

	wantJSON("POST", "/service/kafka/v1/topics?name=topic1&partitions=3&replication=3", 200, `{"message":"Output: Created topic \"topic1\".\n"}`)
	code, body := curl("POST", "/service/kafka/v1/topics?name=topic1&partitions=3&replication=3")
	if code != http.StatusConflict || !strings.Contains(body, "TOPIC_ALREADY_EXISTS") {
		t.Errorf("creating topic1 again: %d %s", code, body)
	}
	wantJSON("POST", "/service/kafka/v1/topics?name=topic0", 200, `{"message":"Output: Created topic \"topic0\".\n"}`)
	wantJSON("GET", "/service/kafka/v1/topics", 200, `["topic0","topic1"]`)

	_, described := curl("GET", "/service/kafka/v1/topics/topic1")
	var dt api.DCOSTopic
	if err := json.Unmarshal([]byte(described), &dt); err != nil || len(dt.Partitions) != 3 {
		t.Fatalf("describe: %v %s", err, described)
	}
	for i, p := range dt.Partitions {
		st, ok := p[fmt.Sprint(i)]
		if !ok || len(p) != 1 || len(st.ISR) != 3 || st.Leader != st.ISR[0] || st.Version != 1 || st.ControllerEpoch != 1 {
			t.Errorf("partition %d: %+v", i, p)
		}
	}
	if _, viaPost := curl("POST", "/service/kafka/v1/topics/topic1"); viaPost != described {
		t.Errorf("POST /v1/topics/topic1 (the seed's describe) = %s, GET = %s", viaPost, described)
	}
	if code, _ := curl("GET", "/service/kafka/v1/topics/nope"); code != http.StatusNotFound {
		t.Errorf("describing a missing topic: %d", code)
	}

	produced := 0
	perf := regexp.MustCompile(`^10 records sent, [0-9.]+ records/sec \([0-9.]+ MB/sec\), [0-9.]+ ms avg latency, [0-9.]+ ms max latency, \d+ ms 50th, \d+ ms 95th, \d+ ms 99th, \d+ ms 99.9th.\n$`)
	code, body = curl("PUT", "/service/kafka/v1/topics/topic1?operation=producer-test&messages=10")
	var msg api.Message
	if json.Unmarshal([]byte(body), &msg); code != 200 || !perf.MatchString(msg.Message) {
		t.Errorf("producer test: %d %s", code, body)
	}
	produced += 10
	_, body = curl("GET", "/service/kafka/v1/topics/topic1/offsets?time=last")
	var offsets []map[string]string
	if err := json.Unmarshal([]byte(body), &offsets); err != nil || len(offsets) != 3 {
		t.Fatalf("offsets: %v %s", err, body)
	}
	sum := 0
	for i, o := range offsets {
		var n int
		if _, err := fmt.Sscan(o[fmt.Sprint(i)], &n); err != nil || len(o) != 1 {
			t.Errorf("offset entry %d: %v", i, o)
		}
		sum += n
	}
	if sum != produced {
		t.Errorf("last offsets add up to %d, want the %d records of the producer test", sum, produced)
	}
	wantJSON("GET", "/service/kafka/v1/topics/topic1/offsets?time=first", 200, `[{"0":"0"},{"1":"0"},{"2":"0"}]`)

	wantJSON("PUT", "/service/kafka/v1/topics/topic1?operation=partitions&partitions=4", 200,
		`{"message":"Output: WARNING: If partitions are increased for a topic that has a key, the partition logic or ordering of the messages will be affected\nAdding partitions succeeded!\n"}`)
	if code, body := curl("PUT", "/service/kafka/v1/topics/topic1?operation=partitions&partitions=2"); code != http.StatusBadRequest || !strings.Contains(body, "cannot remove partitions") {
		t.Errorf("a decrease: %d %s", code, body)
	}

	wantJSON("GET", "/service/kafka/v1/topics/under_replicated_partitions", 200, `{"message":""}`)
	wantJSON("GET", "/service/kafka/v1/topics/unavailable_partitions", 200, `{"message":""}`)
	wantJSON("GET", "/service/kafka/v1/brokers", 200, `{"brokers":["0","1","2"]}`)

	detail, err := newTestClientFor(t, srv).Broker(topicContext(t), "kafka", 0)
	if err != nil {
		t.Fatal(err)
	}
	want := api.BrokerDetail{ID: "0", Host: "127.0.0.2", Port: int32(cluster.Brokers[0].Port), Endpoints: []string{"PLAINTEXT://" + cluster.Brokers[0].Addr()},
		ListenerSecurityProtocolMap: map[string]string{"PLAINTEXT": "PLAINTEXT"}, Rack: detail.Rack, Controller: true,
		Pod: "kafka-0", TaskID: "kafka-0-broker__abc", TaskName: "kafka-0-broker", TaskState: "RUNNING", AgentID: "agent-1", Hostname: "127.0.0.2"}
	if !reflect.DeepEqual(detail, want) {
		t.Errorf("broker 0 = %+v\nwant       %+v", detail, want)
	}
	if d1, err := newTestClientFor(t, srv).Broker(topicContext(t), "kafka", 1); err != nil || d1.Controller || d1.TaskID != "" || d1.Pod != "kafka-1" {
		t.Errorf("broker 1 (no task known): %+v %v", d1, err)
	}

	// Broker 1 down: its partitions are under-replicated or unavailable,
	// one line each as kafka-topics.sh --describe prints them.
	cluster.Brokers[1].Kill(t)
	var under, unavailable api.Message
	_, body = curl("GET", "/service/kafka/v1/topics/under_replicated_partitions")
	json.Unmarshal([]byte(body), &under)
	_, body = curl("GET", "/service/kafka/v1/topics/unavailable_partitions")
	json.Unmarshal([]byte(body), &unavailable)
	line := regexp.MustCompile(`^\tTopic: topic[01]\tPartition: \d\tLeader: (none|\d)\tReplicas: [0-9,]+\tIsr: [0-9,]+$`)
	for _, m := range []string{under.Message, unavailable.Message} {
		lines := strings.Split(strings.TrimSuffix(m, "\n"), "\n")
		for _, l := range lines {
			if !line.MatchString(l) {
				t.Errorf("line %q is not kafka-topics.sh's", l)
			}
		}
	}
	if !strings.Contains(unavailable.Message, "Leader: none") || strings.Count(under.Message, "\n") < strings.Count(unavailable.Message, "\n") {
		t.Errorf("under-replicated:\n%s\nunavailable:\n%s", under.Message, unavailable.Message)
	}
	wantJSON("GET", "/service/kafka/v1/brokers", 200, `{"brokers":["0","2"]}`)

	wantJSON("DELETE", "/service/kafka/v1/topics/topic0", 200, `{"message":"Topic topic0 is marked for deletion.\nNote: This will have no impact if delete.topic.enable is not set to true.\n"}`)
	wantJSON("GET", "/service/kafka/v1/topics", 200, `["topic1"]`)
}

func newTestServer(t *testing.T, b Backend) string {
	t.Helper()
	c := newTestClient(t, b)
	return c.BaseURL()
}

func newTestClientFor(t *testing.T, url string) *api.Client {
	t.Helper()
	c, err := api.NewClient(api.ClientConfig{Endpoint: url, Token: testToken, MaxRetries: -1})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// TestKcatSeesTopicsMadeThroughTheAPI checks the topics with a Kafka client
// nobody here wrote: kcat (librdkafka) lists a topic created through the
// JSON API, produces to it and consumes from it.
func TestKcatSeesTopicsMadeThroughTheAPI(t *testing.T) {
	kcat, err := exec.LookPath("kcat")
	if err != nil {
		t.Skip("kcat is not on PATH (scripts/deps.sh installs it)")
	}
	b, cluster := kafkaBackend(t)
	c := newTestClient(t, b)
	ctx := topicContext(t)
	if _, _, err := c.CreateTopic(ctx, "kafka", api.TopicSpec{Name: "kcat-check", Partitions: 3, ReplicationFactor: 2}); err != nil {
		t.Fatal(err)
	}
	broker := cluster.Brokers[1].Addr()
	run := func(stdin string, args ...string) string {
		t.Helper()
		cmd := exec.CommandContext(ctx, kcat, append([]string{"-b", broker}, args...)...)
		cmd.Stdin = strings.NewReader(stdin)
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("kcat %v: %v\n%s", args, err, out)
		}
		return string(out)
	}
	listing := run("", "-L", "-t", "kcat-check")
	if !strings.Contains(listing, `topic "kcat-check" with 3 partitions`) || strings.Count(listing, "replicas: ") != 3 {
		t.Errorf("kcat -L:\n%s", listing)
	}
	run("one\ntwo\nthree\n", "-P", "-t", "kcat-check")
	consumed := strings.Fields(run("", "-C", "-t", "kcat-check", "-o", "beginning", "-e", "-q"))
	slices.Sort(consumed)
	if !slices.Equal(consumed, []string{"one", "three", "two"}) {
		t.Errorf("kcat consumed %q", consumed)
	}
	offsets, err := c.DCOSTopicOffsets(ctx, "kafka", "kcat-check", "last")
	if err != nil {
		t.Fatal(err)
	}
	total := 0
	for _, o := range offsets {
		for _, v := range o {
			var n int
			fmt.Sscan(v, &n)
			total += n
		}
	}
	if total != 3 {
		t.Errorf("the API counts %d records after kcat produced 3: %v", total, offsets)
	}
}

func TestDeletingWhenTheBrokersForbidItSaysHowToAllowIt(t *testing.T) {
	settings := brokerconfig.DefaultSettings()
	settings.DeleteTopicEnable = false // as DC/OS's default was
	cluster := devkafkatest.StartCluster(t, tarball, 1, settings)
	adm, err := admin.New(admin.Config{Brokers: cluster.Bootstrap()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(adm.Close)
	b := newFakeBackend()
	b.kafka = func(string) (Kafka, error) { return adm, nil }
	c := newTestClient(t, b)
	ctx := topicContext(t)
	if _, err := c.DCOSCreateTopic(ctx, "kafka", "keep", 1, 1); err != nil {
		t.Fatal(err)
	}
	_, err = c.DCOSDeleteTopic(ctx, "kafka", "keep")
	if !api.IsConflict(err) || !strings.Contains(err.Error(), "TOPIC_DELETION_DISABLED") || !strings.Contains(err.Error(), `"delete_topic_enable": true`) {
		t.Errorf("DC/OS delete with deletion disabled: %v", err)
	}
	if err := c.DeleteTopic(ctx, "kafka", "keep"); !api.IsConflict(err) {
		t.Errorf("JSON delete with deletion disabled: %v", err)
	}
	if names, err := c.DCOSTopicNames(ctx, "kafka"); err != nil || !slices.Equal(names, []string{"keep"}) {
		t.Errorf("the topic must still be there: %v %v", names, err)
	}
}
