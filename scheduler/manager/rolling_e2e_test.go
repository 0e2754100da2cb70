package manager_test

import (
	"context"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/kafka/admin"
	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/plan"
	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/service"
)

// podTasks is each pod's latest task (id, agent, state) by broker id.
func podTasks(t *testing.T, svc *service.Service) map[int]service.PodTask {
	t.Helper()
	pods, err := svc.Pods(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	out := map[int]service.PodTask{}
	for _, p := range pods {
		var id int
		if _, err := fmt.Sscanf(p.Name, "kafka-%d", &id); err != nil || len(p.Tasks) == 0 {
			continue
		}
		out[id] = p.Tasks[len(p.Tasks)-1]
	}
	return out
}

// TestRollingUpdateOnLocalMesos: 3 dev brokers, a topic with replication 3
// and min.insync.replicas 2 holding records. A brokers.mem change rolls
// the brokers one at a time (never two down at once), the active
// controller last, each restart through the gate and the ISR wait; every
// record is still readable and the brokers kept their ids and agents. A
// cluster-wide dynamic property is then applied in place: no task
// restarts, and DescribeConfigs shows the value.
func TestRollingUpdateOnLocalMesos(t *testing.T) {
	events := &eventLog{}
	h := newHarness(t, harnessOptions{agents: 4, logger: slog.New(events)})
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	h.install("kafka", threeBrokersOnDistinctAgents)
	h.waitDeployed("kafka", 90*time.Second)
	svc, err := h.mgr.Service("kafka")
	if err != nil {
		t.Fatal(err)
	}
	ep, err := svc.Endpoint("broker")
	if err != nil {
		t.Fatal(err)
	}
	adm, err := admin.New(admin.Config{Brokers: ep.Address})
	if err != nil {
		t.Fatal(err)
	}
	defer adm.Close()
	if _, err := adm.CreateTopic(ctx, admin.TopicSpec{Name: "rolled", Partitions: 3, ReplicationFactor: 3, Configs: map[string]string{"min.insync.replicas": "2"}}); err != nil {
		t.Fatalf("creating the topic: %v", err)
	}
	const records = 60
	producer, err := kgo.NewClient(kgo.SeedBrokers(ep.Address...), kgo.RequiredAcks(kgo.AllISRAcks()))
	if err != nil {
		t.Fatal(err)
	}
	for i := range records {
		if err := producer.ProduceSync(ctx, &kgo.Record{Topic: "rolled", Value: fmt.Appendf(nil, "record-%d", i)}).FirstErr(); err != nil {
			t.Fatalf("producing record %d: %v", i, err)
		}
	}
	producer.Close()
	controller, err := adm.Controller(ctx)
	if err != nil {
		t.Fatal(err)
	}
	before := podTasks(t, svc)
	volumesBefore := h.volumes("kafka-role")

	// Preview, then the update it previews.
	const memChange = `{"brokers": {"count": 3, "mem": 640}, "service": {"placement_strategy": "NODE"}}`
	preview, err := h.mgr.PreviewService(ctx, "kafka", []byte(memChange))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := h.mgr.PutService(ctx, "kafka", []byte(memChange), ""); err != nil {
		t.Fatal(err)
	}
	d, _ := h.mgr.GetService(ctx, "kafka")
	if got, want := plan.PlannedSteps(d.Plan), plan.PlannedSteps(preview.Plan); !slices.EqualFunc(got, want, func(a, b plan.PlannedStep) bool {
		return a.Broker == b.Broker && a.Action == b.Action && a.Order == b.Order
	}) {
		t.Fatalf("the update runs %+v, the preview showed %+v", got, want)
	}

	var restartOrder []int
	sawISRWait := false
	h.waitFor("the roll to complete", 3*time.Minute, func() (bool, string) {
		tasks := podTasks(t, svc)
		down := 0
		for id, task := range tasks {
			if task.State != "RUNNING" {
				down++
			}
			if task.ID != before[id].ID && !slices.Contains(restartOrder, id) {
				restartOrder = append(restartOrder, id)
			}
		}
		if down > 1 {
			t.Fatalf("%d brokers down at once: %+v", down, tasks)
		}
		d, _ := h.mgr.GetService(ctx, "kafka")
		for _, ph := range d.Plan.Phases {
			for _, st := range ph.Steps {
				if strings.Contains(st.Message, "ISR") {
					sawISRWait = true
				}
			}
		}
		return d.Status == plan.Complete && len(restartOrder) == 3, planSummary(d.Plan)
	})
	t.Logf("restart order %v, controller %d, ISR wait seen in a step message: %v", restartOrder, controller, sawISRWait)
	// Each restart passed the gate before its kill and the ISR check
	// after its relaunch, in the order of the roll.
	var gates, rejoins []string
	for _, e := range events.all() {
		switch e.msg {
		case "restart gate passed":
			gates = append(gates, e.pod)
		case "restarted broker back in sync":
			rejoins = append(rejoins, e.pod)
		}
	}
	wantPods := []string{}
	for _, id := range restartOrder {
		wantPods = append(wantPods, fmt.Sprintf("kafka-%d", id))
	}
	if !slices.Equal(gates, wantPods) || !slices.Equal(rejoins, wantPods) {
		t.Errorf("gate passed for %v, back in sync %v; want both %v", gates, rejoins, wantPods)
	}
	if restartOrder[2] != int(controller) {
		t.Errorf("restart order %v: the controller %d did not restart last", restartOrder, controller)
	}
	after := podTasks(t, svc)
	for id, task := range after {
		if task.AgentID != before[id].AgentID {
			t.Errorf("broker %d moved from agent %s to %s", id, before[id].AgentID, task.AgentID)
		}
	}
	for id := range 3 {
		check, err := adm.BackInSync(ctx, int32(id))
		if err != nil || !check.InSync {
			t.Errorf("broker %d after the roll: %+v %v", id, check, err)
		}
	}
	if got := h.volumes("kafka-role"); !maps.Equal(got, volumesBefore) {
		t.Errorf("volumes after the roll %v, before %v: a restart must keep the broker's volume", got, volumesBefore)
	}
	brokerAgents := map[string]bool{}
	for _, task := range after {
		brokerAgents[task.Hostname] = true
	}
	for _, r := range h.reservations("kafka-role") {
		if host, _, _ := strings.Cut(r, ": "); !brokerAgents[host] {
			t.Errorf("after the roll an agent that runs no broker holds %s", r)
		}
	}
	readAll(t, ctx, ep.Address, "rolled", records)

	// A cluster-wide dynamic property: applied in place, no restart.
	const dynamicChange = `{"brokers": {"count": 3, "mem": 640}, "service": {"placement_strategy": "NODE"}, "kafka": {"server_properties": {"max.connections": "1000"}}}`
	if _, err := h.mgr.PutService(ctx, "kafka", []byte(dynamicChange), ""); err != nil {
		t.Fatal(err)
	}
	h.waitDeployed("kafka", time.Minute)
	for id, task := range podTasks(t, svc) {
		if task.ID != after[id].ID {
			t.Errorf("broker %d was restarted (task %s → %s) for a dynamic property", id, after[id].ID, task.ID)
		}
	}
	configs, err := adm.ClusterConfigs(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if c := configs["max.connections"]; c.Value == nil || *c.Value != "1000" || c.Source != "DYNAMIC_DEFAULT_BROKER_CONFIG" {
		t.Errorf("DescribeConfigs shows max.connections %+v, want 1000 cluster-wide", c)
	}

	// Count 3 → 4: broker 3 launches on the spare agent, no other task
	// restarts.
	const grow = `{"brokers": {"count": 4, "mem": 640}, "service": {"placement_strategy": "NODE"}, "kafka": {"server_properties": {"max.connections": "1000"}}}`
	if _, err := h.mgr.PutService(ctx, "kafka", []byte(grow), ""); err != nil {
		t.Fatal(err)
	}
	h.waitDeployed("kafka", time.Minute)
	grown := podTasks(t, svc)
	for id := range 3 {
		if grown[id].ID != after[id].ID {
			t.Errorf("broker %d was restarted (task %s → %s) by a count increase", id, after[id].ID, grown[id].ID)
		}
	}
	if grown[3].State != "RUNNING" {
		t.Errorf("broker 3 after the count increase: %+v", grown[3])
	}
}

// eventLog records the service log messages that carry a pod.
type eventLog struct {
	mu     sync.Mutex
	events []logEvent
}

type logEvent struct{ msg, pod string }

func (l *eventLog) Enabled(context.Context, slog.Level) bool { return true }
func (l *eventLog) WithAttrs([]slog.Attr) slog.Handler       { return l }
func (l *eventLog) WithGroup(string) slog.Handler            { return l }
func (l *eventLog) Handle(_ context.Context, r slog.Record) error {
	e := logEvent{msg: r.Message}
	r.Attrs(func(a slog.Attr) bool {
		if a.Key == "pod" {
			e.pod = a.Value.String()
		}
		return true
	})
	if e.pod != "" {
		l.mu.Lock()
		l.events = append(l.events, e)
		l.mu.Unlock()
	}
	return nil
}

func (l *eventLog) all() []logEvent {
	l.mu.Lock()
	defer l.mu.Unlock()
	return slices.Clone(l.events)
}

// readAll consumes topic from the start until it read n records.
func readAll(t *testing.T, ctx context.Context, brokers []string, topic string, n int) {
	t.Helper()
	cl, err := kgo.NewClient(kgo.SeedBrokers(brokers...), kgo.ConsumeTopics(topic), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	seen := map[string]bool{}
	for len(seen) < n {
		fetches := cl.PollFetches(ctx)
		if ctx.Err() != nil {
			t.Fatalf("read %d of %d records: %v", len(seen), n, ctx.Err())
		}
		for _, r := range fetches.Records() {
			seen[string(r.Value)] = true
		}
	}
}

// TestRollWaitsForABrokerKilledOutOfBand: one broker's process is killed
// just before an update (its partitions under-replicated), and the update
// strategy is parallel, so every step may start at once. The scheduler
// never stops a healthy broker while another is down or out of the ISR:
// it relaunches the down broker, the steps that would stop another wait
// with a message naming the blocking partitions, and the roll then
// completes one broker at a time, with every record readable. At no moment
// are two brokers down.
func TestRollWaitsForABrokerKilledOutOfBand(t *testing.T) {
	h := newHarness(t, harnessOptions{agents: 3})
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	h.install("kafka", `{"brokers": {"count": 3}, "service": {"placement_strategy": "NODE", "update_strategy": "parallel"}}`)
	h.waitDeployed("kafka", 90*time.Second)
	svc, err := h.mgr.Service("kafka")
	if err != nil {
		t.Fatal(err)
	}
	ep, err := svc.Endpoint("broker")
	if err != nil {
		t.Fatal(err)
	}
	adm, err := admin.New(admin.Config{Brokers: ep.Address})
	if err != nil {
		t.Fatal(err)
	}
	defer adm.Close()
	if _, err := adm.CreateTopic(ctx, admin.TopicSpec{Name: "guarded", Partitions: 3, ReplicationFactor: 3, Configs: map[string]string{"min.insync.replicas": "2"}}); err != nil {
		t.Fatalf("creating the topic: %v", err)
	}
	const records = 30
	producer, err := kgo.NewClient(kgo.SeedBrokers(ep.Address...), kgo.RequiredAcks(kgo.AllISRAcks()))
	if err != nil {
		t.Fatal(err)
	}
	for i := range records {
		if err := producer.ProduceSync(ctx, &kgo.Record{Topic: "guarded", Value: fmt.Appendf(nil, "record-%d", i)}).FirstErr(); err != nil {
			t.Fatalf("producing record %d: %v", i, err)
		}
	}
	producer.Close()
	before := podTasks(t, svc)

	// Broker 1 dies out of band (its process killed), then the update.
	victim := before[1]
	if err := h.killTaskProcessGroup(victim.ID); err != nil {
		t.Fatalf("killing broker 1's process: %v", err)
	}
	h.waitFor("broker 1 to be seen down", 30*time.Second, func() (bool, string) {
		task := podTasks(t, svc)[1]
		return task.ID != victim.ID || task.State != "RUNNING", task.State
	})
	const memChange = `{"brokers": {"count": 3, "mem": 640}, "service": {"placement_strategy": "NODE", "update_strategy": "parallel"}}`
	if _, err := h.mgr.PutService(ctx, "kafka", []byte(memChange), ""); err != nil {
		t.Fatal(err)
	}

	sawBlocked := ""
	h.waitFor("the roll to complete", 3*time.Minute, func() (bool, string) {
		tasks := podTasks(t, svc)
		down := 0
		for _, task := range tasks {
			if task.State != "RUNNING" {
				down++
			}
		}
		if down > 1 {
			t.Fatalf("%d brokers down at once: %+v", down, tasks)
		}
		d, _ := h.mgr.GetService(ctx, "kafka")
		for _, ph := range d.Plan.Phases {
			for _, st := range ph.Steps {
				if strings.Contains(st.Message, "waiting to restart") && strings.Contains(st.Message, "guarded-") {
					sawBlocked = st.Message
				}
			}
		}
		restarted := 0
		for id, task := range tasks {
			if task.ID != before[id].ID && task.State == "RUNNING" {
				restarted++
			}
		}
		return d.Status == plan.Complete && restarted == 3, planSummary(d.Plan)
	})
	if sawBlocked == "" {
		t.Errorf("no step said it waited for partitions of topic guarded while broker 1 was down")
	}
	t.Logf("a blocked step said: %s", sawBlocked)
	for id := range 3 {
		check, err := adm.BackInSync(ctx, int32(id))
		if err != nil || !check.InSync {
			t.Errorf("broker %d after the roll: %+v %v", id, check, err)
		}
	}
	readAll(t, ctx, ep.Address, "guarded", records)
}

// killTaskProcessGroup SIGKILLs the process group of a running task in the
// local Mesos, as an operator's kill -9 or the kernel's OOM killer would:
// Mesos did not ask for it.
func (h *harness) killTaskProcessGroup(taskID string) error {
	for _, a := range h.mesos.Snapshot().Agents {
		for _, task := range a.Local.Tasks {
			if task.TaskID == taskID && task.PID > 0 {
				return syscall.Kill(-task.PID, syscall.SIGKILL)
			}
		}
	}
	return fmt.Errorf("task %s has no running process in the local Mesos", taskID)
}
