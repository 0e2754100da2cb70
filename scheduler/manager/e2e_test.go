package manager_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/kafka/admin"
	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/validation"
)

const threeBrokersOnDistinctAgents = `{"brokers": {"count": 3}, "service": {"placement_strategy": "NODE"}}`

// TestInstallTwoServicesUninstallOne is the scheduler's main path: a
// 3-broker service deploys on three agents with volumes and answers the
// Kafka protocol; a second service deploys beside it; uninstalling the
// first leaves none of its reservations, volumes, tasks or state, while the
// second keeps running.
func TestInstallTwoServicesUninstallOne(t *testing.T) {
	h := newHarness(t, harnessOptions{agents: 4})
	ctx := context.Background()

	res := h.install("kafka", threeBrokersOnDistinctAgents)
	if !res.Created || res.ConfigID == "" {
		t.Fatalf("install answered %+v", res)
	}
	h.waitDeployed("kafka", 90*time.Second)

	svc, err := h.mgr.Service("kafka")
	if err != nil {
		t.Fatal(err)
	}
	broker, err := svc.Endpoint("broker")
	if err != nil {
		t.Fatal(err)
	}
	if len(broker.Address) != 3 {
		t.Fatalf("broker endpoint lists %v, want 3 addresses", broker.Address)
	}
	hosts := map[string]bool{}
	for _, a := range broker.Address {
		hosts[strings.Split(a, ":")[0]] = true
	}
	if len(hosts) != 3 {
		t.Fatalf("NODE placement put brokers on %d agents: %v", len(hosts), broker.Address)
	}
	if got := h.reservations("kafka-role"); len(got) == 0 {
		t.Fatal("no reservation of kafka-role in Mesos after the deploy")
	}
	volumes := 0
	for _, a := range h.mesos.Snapshot().Agents {
		if a.Master != nil {
			for _, v := range a.Master.Volumes {
				if v.Role == "kafka-role" && v.PersistenceID != "" {
					volumes++
				}
			}
		}
	}
	if volumes != 3 {
		t.Fatalf("%d persistent volumes of kafka-role, want 3", volumes)
	}
	produceAndConsume(t, broker.Address)

	h.install("other", `{"brokers": {"count": 1}}`)
	h.waitDeployed("other", 60*time.Second)

	if err := h.mgr.DeleteService(ctx, "kafka", ""); err != nil {
		t.Fatal(err)
	}
	h.waitGone("kafka", 60*time.Second)
	h.waitFor("kafka's reservations to be released", 10*time.Second, func() (bool, string) {
		left := h.reservations("kafka-role")
		return len(left) == 0, strings.Join(left, "; ")
	})
	if tasks := h.runningTasks("kafka"); len(tasks) > 0 {
		t.Fatalf("tasks of kafka still running: %v", tasks)
	}
	if keys, _ := h.store.Children(ctx, ""); contains(keys, "dcos-service-kafka") {
		t.Fatalf("kafka's state is still stored: %v", keys)
	}
	for _, fw := range h.mesos.Snapshot().Frameworks {
		if fw.Name == "kafka" && fw.Active {
			t.Fatalf("kafka's framework is still registered: %+v", fw)
		}
	}
	if d, err := h.mgr.GetService(ctx, "other"); err != nil || d.Status != "COMPLETE" {
		t.Fatalf("the other service suffered from the uninstall: %+v %v", d.Status, err)
	}
	if tasks := h.runningTasks("other"); len(tasks) != 1 {
		t.Fatalf("other's tasks: %v", tasks)
	}
}

func produceAndConsume(t *testing.T, brokers []string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	adm, err := admin.New(admin.Config{Brokers: brokers})
	if err != nil {
		t.Fatal(err)
	}
	defer adm.Close()
	if _, err := adm.CreateTopic(ctx, admin.TopicSpec{Name: "e2e", Partitions: 3, ReplicationFactor: 3}); err != nil {
		t.Fatalf("creating a topic: %v", err)
	}
	cl, err := kgo.NewClient(kgo.SeedBrokers(brokers...), kgo.ConsumeTopics("e2e"), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	if err := cl.ProduceSync(ctx, &kgo.Record{Topic: "e2e", Value: []byte("hello")}).FirstErr(); err != nil {
		t.Fatalf("producing: %v", err)
	}
	for {
		fetches := cl.PollFetches(ctx)
		if err := ctx.Err(); err != nil {
			t.Fatalf("consuming: %v", err)
		}
		for _, r := range fetches.Records() {
			if string(r.Value) == "hello" {
				return
			}
		}
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// TestInvalidOptionsWriteNothing: every problem is reported at once, and
// the state store is untouched.
func TestInvalidOptionsWriteNothing(t *testing.T) {
	h := newHarness(t, harnessOptions{agents: 1})
	before, _ := h.store.Children(context.Background(), "")
	_, err := h.mgr.PutService(context.Background(), "bad", []byte(`{"brokers": {"count": 0, "mem": 256, "heap": {"size": 512}}, "service": {"deploy_strategy": "sideways"}}`), "")
	var problems validation.Problems
	if !errors.As(err, &problems) {
		t.Fatalf("error %v is not a list of problems", err)
	}
	text := err.Error()
	for _, want := range []string{"brokers.count", "brokers.heap", "service.deploy_strategy"} {
		if !strings.Contains(text, want) {
			t.Errorf("the error does not name %s: %s", want, text)
		}
	}
	after, _ := h.store.Children(context.Background(), "")
	if len(after) != len(before) {
		t.Fatalf("invalid options wrote to the store: %v → %v", before, after)
	}
	if _, err := h.mgr.GetService(context.Background(), "bad"); err == nil {
		t.Fatal("the refused service exists")
	}
}

// TestUpdateWithEveryKindOfProblemIsOneRefusal: an update with a bad
// option, a disk change and a count decrease gets one error naming all
// three, and stores nothing (the target and the history are unchanged).
func TestUpdateWithEveryKindOfProblemIsOneRefusal(t *testing.T) {
	h := newHarness(t, harnessOptions{agents: 1})
	ctx := context.Background()
	h.install("kafka", `{"brokers": {"count": 2}}`)
	before, _ := h.mgr.GetService(ctx, "kafka")
	svc, err := h.mgr.Service("kafka")
	if err != nil {
		t.Fatal(err)
	}
	historyBefore, _ := svc.ConfigurationHistory(ctx)
	_, err = h.mgr.PutService(ctx, "kafka", []byte(`{"brokers": {"count": 1, "disk": 9000}, "service": {"deploy_strategy": "sideways"}}`), "")
	var problems validation.Problems
	if !errors.As(err, &problems) {
		t.Fatalf("error %v is not a list of problems", err)
	}
	for _, want := range []string{"brokers.count", "brokers.disk", "service.deploy_strategy"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("the refusal does not name %s: %v", want, err)
		}
	}
	after, _ := h.mgr.GetService(ctx, "kafka")
	historyAfter, _ := svc.ConfigurationHistory(ctx)
	if after.ConfigID != before.ConfigID || len(historyAfter) != len(historyBefore) {
		t.Errorf("a refused update was stored: target %s → %s, history %d → %d entries", before.ConfigID, after.ConfigID, len(historyBefore), len(historyAfter))
	}
}
