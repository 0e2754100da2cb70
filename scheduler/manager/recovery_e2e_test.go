package manager_test

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/api"
	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/httpapi"
	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/kafka/admin"
	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/plan"
	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/recovery"
	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/service"
)

// Recovery end to end (issue 16) on the local Mesos with dev brokers and
// records in a replicated topic.

// e2eBackoff is a launch backoff a test can watch grow: 2 s, then 4 s,
// reset once a broker stayed up 12 s.
var e2eBackoff = recovery.Backoff{Initial: 2 * time.Second, Factor: 2, Max: 8 * time.Second, ResetAfter: 12 * time.Second}

// recoveryStep is the recovery plan's step of a pod (zero when none).
func recoveryStep(t *testing.T, svc *service.Service, pod string) plan.StepInfo {
	t.Helper()
	info, err := svc.PlanInfo(plan.RecoveryPlanName)
	if err != nil {
		t.Fatal(err)
	}
	for _, ph := range info.Phases {
		for _, st := range ph.Steps {
			if st.Pod == pod {
				return st
			}
		}
	}
	return plan.StepInfo{}
}

func recoverySummary(t *testing.T, svc *service.Service) string {
	info, _ := svc.PlanInfo(plan.RecoveryPlanName)
	return planSummary(info)
}

// seed creates a topic with replication 3 and produces n records.
func seed(t *testing.T, ctx context.Context, brokers []string, topic string, n int) {
	t.Helper()
	adm, err := admin.New(admin.Config{Brokers: brokers})
	if err != nil {
		t.Fatal(err)
	}
	defer adm.Close()
	if _, err := adm.CreateTopic(ctx, admin.TopicSpec{Name: topic, Partitions: 3, ReplicationFactor: 3}); err != nil {
		t.Fatalf("creating topic %s: %v", topic, err)
	}
	producer, err := kgo.NewClient(kgo.SeedBrokers(brokers...), kgo.RequiredAcks(kgo.AllISRAcks()))
	if err != nil {
		t.Fatal(err)
	}
	defer producer.Close()
	for i := range n {
		if err := producer.ProduceSync(ctx, &kgo.Record{Topic: topic, Value: fmt.Appendf(nil, "record-%d", i)}).FirstErr(); err != nil {
			t.Fatalf("producing record %d: %v", i, err)
		}
	}
}

// deployed installs a service and waits for it, returning it and its
// broker addresses.
func (h *harness) deployed(name, options string) (*service.Service, []string) {
	h.t.Helper()
	h.install(name, options)
	h.waitDeployed(name, 2*time.Minute)
	svc, err := h.mgr.Service(name)
	if err != nil {
		h.t.Fatal(err)
	}
	ep, err := svc.Endpoint("broker")
	if err != nil {
		h.t.Fatal(err)
	}
	return svc, ep.Address
}

// waitRelaunched waits until broker id runs a task other than old, ready
// (its deploy and recovery plans complete), and returns it.
func (h *harness) waitRelaunched(svc *service.Service, id int, old string, timeout time.Duration) service.PodTask {
	h.t.Helper()
	pod := fmt.Sprintf("kafka-%d", id)
	var task service.PodTask
	h.waitFor(pod+" relaunched and recovered", timeout, func() (bool, string) {
		task = podTasks(h.t, svc)[id]
		st := recoveryStep(h.t, svc, pod)
		return task.ID != old && task.State == "RUNNING" && st.Status == plan.Complete && svc.Detail().Status == plan.Complete,
			task.ID + " " + task.State + " " + recoverySummary(h.t, svc)
	})
	return task
}

// noDuplicates fails the test when a broker has two running tasks.
func (h *harness) noDuplicates(name string, want int) {
	h.t.Helper()
	tasks := h.runningTasks(name)
	seen := map[string]bool{}
	for _, task := range tasks {
		n := strings.Split(task, "=")[0]
		if seen[n] {
			h.t.Fatalf("two running tasks for %s: %v", n, tasks)
		}
		seen[n] = true
	}
	if len(tasks) != want {
		h.t.Fatalf("running tasks %v, want %d", tasks, want)
	}
}

// TestKilledBrokerIsRecoveredInPlace: after the deploy, a broker whose
// process is SIGKILLed is relaunched by the recovery plan on the same
// agent with the same volume, and its records are still readable. Killed
// again and again, its relaunches back off (the recovery step is DELAYED
// for 2 s, then 4 s, and says so); once it stayed up past the reset period
// its next failure is relaunched at once.
func TestKilledBrokerIsRecoveredInPlace(t *testing.T) {
	t.Parallel()
	events := &eventLog{}
	h := newHarness(t, harnessOptions{agents: 3, launchBackoff: &e2eBackoff, logger: slog.New(events)})
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	svc, brokers := h.deployed("kafka", threeBrokersOnDistinctAgents)
	seed(t, ctx, brokers, "kept", 30)
	volumes := h.volumes("kafka-role")

	kill := func() service.PodTask {
		t.Helper()
		task := podTasks(t, svc)[1]
		if err := h.killTaskProcessGroup(task.ID); err != nil {
			t.Fatal(err)
		}
		return task
	}
	// sawDelay waits for the step to back off for want, or fails when the
	// broker is relaunched without it.
	relaunch := func(old service.PodTask, delay time.Duration) service.PodTask {
		t.Helper()
		delayed := false
		h.waitFor("kafka-1's relaunch", 90*time.Second, func() (bool, string) {
			st := recoveryStep(t, svc, "kafka-1")
			if st.Status == plan.Delayed {
				if delay == 0 {
					t.Fatalf("the relaunch backs off, want it at once: %s", st.Message)
				}
				if want := "backoff " + delay.String(); !strings.Contains(st.Message, want) || !strings.Contains(st.Message, "next attempt in place at") {
					t.Fatalf("step message %q, want a backoff of %s with the next attempt", st.Message, delay)
				}
				delayed = true
			}
			task := podTasks(t, svc)[1]
			return task.ID != old.ID && task.State == "RUNNING" && st.Status == plan.Complete, st.Message
		})
		if delay > 0 && !delayed {
			t.Fatalf("the relaunch did not back off for %s", delay)
		}
		task := podTasks(t, svc)[1]
		if task.AgentID != old.AgentID {
			t.Fatalf("relaunched on agent %s, want its own %s", task.AgentID, old.AgentID)
		}
		return task
	}

	first := kill()
	h.waitFor("the recovery plan to show kafka-1", 30*time.Second, func() (bool, string) {
		st := recoveryStep(t, svc, "kafka-1")
		return st.Status != "" && st.Status != plan.Complete, recoverySummary(t, svc)
	})
	if hl := svc.Health(); hl.Name == "RUNNING" {
		t.Errorf("health %s while broker 1 is down", hl.Name)
	}
	relaunch(first, 0)
	if got := h.volumes("kafka-role"); !mapsEqual(got, volumes) {
		t.Fatalf("volumes after the relaunch %v, want the same %v", got, volumes)
	}
	readAll(t, ctx, brokers, "kept", 30)

	relaunch(kill(), 2*time.Second)
	relaunch(kill(), 4*time.Second)

	// Stays up past ResetAfter (12 s): the scheduler forgets its failures,
	// and the next one is relaunched at once.
	h.waitFor("kafka-1's launch backoff to reset", time.Minute, func() (bool, string) {
		return slices.ContainsFunc(events.all(), func(e logEvent) bool {
			return e.pod == "kafka-1" && strings.HasPrefix(e.msg, "launch backoff reset")
		}), ""
	})
	relaunch(kill(), 0)
	if got := h.volumes("kafka-role"); !mapsEqual(got, volumes) {
		t.Fatalf("volumes after the relaunches %v, want the same %v", got, volumes)
	}
	readAll(t, ctx, brokers, "kept", 30)
	if hl := svc.Health(); hl.Name != "RUNNING" {
		t.Errorf("health %s after the recovery, want RUNNING", hl.Name)
	}
}

func mapsEqual(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

// agentOf names the local Mesos agent a task runs on.
func (h *harness) agentOf(agentID string) string {
	h.t.Helper()
	for _, a := range h.mesos.Snapshot().Agents {
		if a.ID == agentID {
			return a.Name
		}
	}
	h.t.Fatalf("no agent has id %s", agentID)
	return ""
}

// TestAgentCrashAndRestartRecoversInPlace: a broker's agent crashes (its
// processes die with it) and comes back: the broker is relaunched on the
// same agent with the same volume. The scheduler is SIGKILLed while the
// broker is down and recovers it after its restart: one task per broker,
// the reservations and volumes are the ones of before, and the records are
// readable.
func TestAgentCrashAndRestartRecoversInPlace(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOptions{agents: 3})
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	svc, brokers := h.deployed("kafka", threeBrokersOnDistinctAgents)
	seed(t, ctx, brokers, "kept", 30)
	volumes, reservations := h.volumes("kafka-role"), h.reservations("kafka-role")
	victim := podTasks(t, svc)[2]
	agent := h.agentOf(victim.AgentID)

	if err := h.mesos.CrashAgent(agent); err != nil {
		t.Fatal(err)
	}
	if err := h.mesos.RestartAgent(agent); err != nil {
		t.Fatal(err)
	}
	h.waitFor("the recovery plan to work on kafka-2", 60*time.Second, func() (bool, string) {
		st := recoveryStep(t, svc, "kafka-2")
		return st.Status != "" && st.Status != plan.Complete, recoverySummary(t, svc)
	})
	h.restartManager() // SIGKILL-like: no goodbye, Mesos keeps the tasks
	svc, err := h.mgr.Service("kafka")
	if err != nil {
		t.Fatal(err)
	}
	task := h.waitRelaunched(svc, 2, victim.ID, 2*time.Minute)
	if task.AgentID != victim.AgentID {
		t.Fatalf("kafka-2 relaunched on %s, want its own agent %s", task.AgentID, victim.AgentID)
	}
	h.noDuplicates("kafka", 3)
	if got := h.volumes("kafka-role"); !mapsEqual(got, volumes) {
		t.Fatalf("volumes %v, want the same %v", got, volumes)
	}
	if got := h.reservations("kafka-role"); !slices.Equal(sorted(got), sorted(reservations)) {
		t.Fatalf("reservations after the recovery:\n%v\nwant the same as before:\n%v", got, reservations)
	}
	readAll(t, ctx, brokers, "kept", 30)
}

func sorted(s []string) []string {
	out := slices.Clone(s)
	slices.Sort(out)
	return out
}

// apiClient serves the harness's current manager over HTTP and returns a
// client of it.
func (h *harness) apiClient() *api.Client {
	h.t.Helper()
	srv := httptest.NewServer(httpapi.NewHandler(httpapi.Config{Backend: httpapi.ForManager(h.mgr)}))
	h.t.Cleanup(srv.Close)
	c, err := api.NewClient(api.ClientConfig{Endpoint: srv.URL, MaxRetries: -1})
	if err != nil {
		h.t.Fatal(err)
	}
	return c
}

// TestRemovedAgentWaitsForOperatorThenReplace: a broker's agent is marked
// gone. With automatic replacement off the broker waits and its recovery
// step says how to replace it. The operator replaces it through the REST
// API (the answer warns that its data is lost), and the scheduler is
// SIGKILLed right after: once back, the broker runs on the spare agent with
// a fresh volume and the same broker id, there is one task per broker, and
// no reservation is left of the gone agent or leaked elsewhere.
func TestRemovedAgentWaitsForOperatorThenReplace(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOptions{agents: 4})
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	svc, brokers := h.deployed("kafka", threeBrokersOnDistinctAgents)
	seed(t, ctx, brokers, "kept", 30)
	victim := podTasks(t, svc)[1]
	gone := h.agentOf(victim.AgentID)
	oldVolumes := h.volumes("kafka-role")

	if err := h.mesos.RemoveAgent(gone); err != nil {
		t.Fatal(err)
	}
	h.waitFor("kafka-1 to wait for an operator", time.Minute, func() (bool, string) {
		st := recoveryStep(t, svc, "kafka-1")
		return st.Status == plan.Pending && strings.Contains(st.Message, "automatic replacement is off") && strings.Contains(st.Message, "pod/kafka-1/replace"), recoverySummary(t, svc)
	})
	if d := svc.Detail(); d.Status != plan.Complete {
		t.Errorf("deploy plan %s while recovery owns kafka-1", d.Status)
	}
	if hl := svc.Health(); hl.Name == "RUNNING" {
		t.Errorf("health %s while kafka-1 waits for an operator", hl.Name)
	}

	c := h.apiClient()
	answer, err := c.ReplacePod(ctx, "kafka", "kafka-1")
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(answer.Tasks, []string{"kafka-1-broker"}) || !strings.Contains(answer.Warning, "local data is lost") {
		t.Fatalf("replace answered %+v", answer)
	}
	h.restartManager()
	svc, err = h.mgr.Service("kafka")
	if err != nil {
		t.Fatal(err)
	}
	task := h.waitRelaunched(svc, 1, victim.ID, 2*time.Minute)
	if h.agentOf(task.AgentID) == gone {
		t.Fatalf("kafka-1 replaced on the gone agent %s", gone)
	}
	h.noDuplicates("kafka", 3)
	volumes := h.volumes("kafka-role")
	if len(volumes) != 3 {
		t.Fatalf("volumes after the replace %v, want 3", volumes)
	}
	fresh := 0
	for id, host := range volumes {
		if _, old := oldVolumes[id]; !old {
			fresh++
			if host == "" {
				t.Errorf("volume %s has no agent", id)
			}
		}
	}
	if fresh != 1 {
		t.Fatalf("volumes %v (before %v): want exactly one fresh volume, the replaced broker's", volumes, oldVolumes)
	}
	for _, r := range h.reservations("kafka-role") {
		if strings.HasPrefix(r, gone+":") {
			t.Errorf("a reservation is left on the gone agent: %s", r)
		}
	}
	h.waitFor("reservations on three agents only", 30*time.Second, func() (bool, string) {
		hosts := map[string]bool{}
		for _, r := range h.reservations("kafka-role") {
			hosts[strings.SplitN(r, ":", 2)[0]] = true
		}
		return len(hosts) == 3, strings.Join(h.reservations("kafka-role"), "; ")
	})
	// Broker 1 is broker 1 again, at its new address.
	ep, _ := svc.Endpoint("broker")
	adm, err := admin.New(admin.Config{Brokers: ep.Address})
	if err != nil {
		t.Fatal(err)
	}
	defer adm.Close()
	h.waitFor("Kafka to list brokers 0, 1 and 2", 30*time.Second, func() (bool, string) {
		list, err := adm.ListBrokers(ctx)
		if err != nil {
			return false, err.Error()
		}
		var ids []int32
		for _, b := range list {
			ids = append(ids, b.ID)
		}
		return slices.Equal(ids, []int32{0, 1, 2}), fmt.Sprint(ids)
	})
}

// notBefore reads the time a recovery step message announces ("... at
// 2026-01-02T03:04:05Z ...", the first RFC 3339 time after marker).
func notBefore(t *testing.T, msg, marker string) time.Time {
	t.Helper()
	i := strings.Index(msg, marker)
	if i < 0 {
		t.Fatalf("message %q has no %q", msg, marker)
	}
	for _, word := range strings.Fields(msg[i+len(marker):]) {
		if at, err := time.Parse(time.RFC3339, strings.TrimRight(word, ",;()")); err == nil {
			return at
		}
	}
	t.Fatalf("message %q gives no time after %q", msg, marker)
	return time.Time{}
}

// podAddress is broker id's address from the service's endpoints.
func podAddress(t *testing.T, svc *service.Service, id int) string {
	t.Helper()
	ep, err := svc.Endpoint("broker")
	if err != nil || len(ep.Address) <= id {
		t.Fatalf("broker endpoints %v: %v", ep.Address, err)
	}
	return ep.Address[id]
}

// TestAutomaticReplacementOnLocalMesos: with service.enable_replacement
// and a short grace period, two brokers lose their agents at once: one
// agent is partitioned away (its broker process goes on running), the
// other crashes. Each waits out the grace period, then one is replaced on
// a spare agent and the other only min_delay_between_recovers_secs later;
// neither sooner than its step said. The partitioned broker's replacement
// cannot start while the old process holds broker id 1 (as with Kafka's
// ZooKeeper registration): it fails and backs off, in place on its new
// reservations. When the partitioned agent comes back, its old task is
// killed and the replacement starts: one task per broker, none on a lost
// agent.
func TestAutomaticReplacementOnLocalMesos(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOptions{agents: 5, agentTimeout: time.Second, launchBackoff: &e2eBackoff})
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	svc, brokers := h.deployed("kafka", `{"brokers": {"count": 3}, "service": {"placement_strategy": "NODE", "enable_replacement": true, "recover_in_place_grace_period_secs": 6, "min_delay_between_recovers_secs": 10}}`)
	seed(t, ctx, brokers, "kept", 30)
	before := podTasks(t, svc)
	partitioned, crashed := h.agentOf(before[1].AgentID), h.agentOf(before[2].AgentID)
	if err := h.mesos.PartitionAgent(partitioned); err != nil {
		t.Fatal(err)
	}
	if err := h.mesos.CrashAgent(crashed); err != nil {
		t.Fatal(err)
	}

	replaced := func(id int) bool { return podTasks(t, svc)[id].ID != before[id].ID }
	// Both wait for the grace period, and neither is replaced before it
	// ends.
	h.waitFor("both brokers to wait for the grace period", time.Minute, func() (bool, string) {
		s1, s2 := recoveryStep(t, svc, "kafka-1"), recoveryStep(t, svc, "kafka-2")
		return strings.Contains(s1.Message, "after the grace period") && strings.Contains(s2.Message, "after the grace period"), recoverySummary(t, svc)
	})
	graceEnds := notBefore(t, recoveryStep(t, svc, "kafka-1").Message, "replaced at")
	if at := notBefore(t, recoveryStep(t, svc, "kafka-2").Message, "replaced at"); at.Before(graceEnds) {
		graceEnds = at
	}
	for time.Until(graceEnds) > 500*time.Millisecond {
		if replaced(1) || replaced(2) {
			t.Fatalf("a broker was replaced before the grace period ended at %s: %+v", graceEnds, podTasks(t, svc))
		}
		time.Sleep(50 * time.Millisecond) // sampling: nothing may happen until graceEnds
	}

	// One is replaced; the other waits for the delay.
	var second int
	h.waitFor("a first replacement", 90*time.Second, func() (bool, string) {
		switch {
		case replaced(1) && replaced(2):
			t.Fatalf("both brokers replaced at once: %+v", podTasks(t, svc))
		case replaced(1):
			second = 2
		case replaced(2):
			second = 1
		default:
			return false, recoverySummary(t, svc)
		}
		return true, ""
	})
	secondPod := fmt.Sprintf("kafka-%d", second)
	t.Logf("first replaced: kafka-%d; then %s", 3-second, secondPod)
	h.waitFor(secondPod+" to wait for the delay between replacements", 30*time.Second, func() (bool, string) {
		st := recoveryStep(t, svc, secondPod)
		if replaced(second) {
			t.Fatalf("%s replaced without waiting for min_delay_between_recovers_secs: %s", secondPod, st.Message)
		}
		return strings.Contains(st.Message, "min_delay_between_recovers_secs"), st.Message
	})
	delayEnds := notBefore(t, recoveryStep(t, svc, secondPod).Message, "the next may start at")
	for time.Until(delayEnds) > 500*time.Millisecond {
		if replaced(second) {
			t.Fatalf("%s replaced before %s", secondPod, delayEnds)
		}
		time.Sleep(50 * time.Millisecond) // sampling, as above
	}
	// The dev stand-in does not replicate data: the crashed broker's
	// partitions have no in-sync replica elsewhere, and Kafka's check
	// holds its replacement, saying which, until the topic is gone.
	if second == 2 {
		h.waitFor(secondPod+" to wait for Kafka", 30*time.Second, func() (bool, string) {
			st := recoveryStep(t, svc, secondPod)
			return strings.Contains(st.Message, "no in-sync replica on another broker") && strings.Contains(st.Message, "kept-"), st.Message
		})
		if replaced(second) {
			t.Fatalf("%s replaced while Kafka said it would lose data", secondPod)
		}
		adm, err := admin.New(admin.Config{Brokers: []string{podAddress(t, svc, 0)}})
		if err != nil {
			t.Fatal(err)
		}
		defer adm.Close()
		if err := adm.DeleteTopic(ctx, "kept"); err != nil {
			t.Fatalf("deleting the topic: %v", err)
		}
	}
	h.waitFor(secondPod+"'s replacement", time.Minute, func() (bool, string) { return replaced(second), recoverySummary(t, svc) })

	// The partitioned agent comes back with the old broker 1 task: killed,
	// and broker 1's replacement then starts.
	if err := h.mesos.HealAgent(partitioned); err != nil {
		t.Fatal(err)
	}
	for _, id := range []int{1, 2} {
		task := h.waitRelaunched(svc, id, before[id].ID, 2*time.Minute)
		if a := h.agentOf(task.AgentID); a == partitioned || a == crashed {
			t.Errorf("kafka-%d replaced on a lost agent %s", id, a)
		}
	}
	h.waitFor("one running task per broker", time.Minute, func() (bool, string) {
		tasks := h.runningTasks("kafka")
		return len(tasks) == 3, strings.Join(tasks, ",")
	})
	h.noDuplicates("kafka", 3)
	if n := svc.RecoveriesStarted("replace"); n != 2 {
		t.Errorf("metrics count %d replacements, want 2", n)
	}
}

// sandboxOf is the sandbox folder of a task in the local Mesos.
func (h *harness) sandboxOf(taskID string) string {
	for _, a := range h.mesos.Snapshot().Agents {
		for _, task := range a.Local.Tasks {
			if task.TaskID == taskID {
				return task.Sandbox
			}
		}
	}
	return ""
}

// TestPauseAndResumeOnLocalMesos: pausing a broker through the REST API
// relaunches it in place without Kafka: its pod status is PAUSED, nothing
// answers on its Kafka address, its sandbox holds its volume with its
// data, and the recovery plan shows it. Resumed, it serves its old records
// again, on the same agent and volume.
func TestPauseAndResumeOnLocalMesos(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOptions{agents: 3})
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	svc, brokers := h.deployed("kafka", threeBrokersOnDistinctAgents)
	seed(t, ctx, brokers, "kept", 30)
	volumes := h.volumes("kafka-role")
	before := podTasks(t, svc)[0]
	addr := podAddress(t, svc, 0)
	c := h.apiClient()

	if _, err := c.PausePod(ctx, "kafka", "kafka-0", "broker"); err != nil {
		t.Fatal(err)
	}
	var paused api.PodInstance
	h.waitFor("kafka-0 PAUSED", 90*time.Second, func() (bool, string) {
		var err error
		paused, err = c.PodStatus(ctx, "kafka", "kafka-0")
		if err != nil {
			return false, err.Error()
		}
		return len(paused.Tasks) == 1 && paused.Tasks[0].State == "PAUSED" && paused.Tasks[0].ID != before.ID, fmt.Sprint(paused.Tasks)
	})
	if st := recoveryStep(t, svc, "kafka-0"); st.Status != plan.Complete || !strings.Contains(st.Message, "paused") {
		t.Errorf("recovery step while paused: %s %s", st.Status, st.Message)
	}
	if conn, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
		conn.Close()
		t.Fatalf("something answers on the paused broker's address %s", addr)
	}
	sandbox := h.sandboxOf(paused.Tasks[0].ID)
	data := filepath.Join(sandbox, "kafka-broker-data")
	if entries, err := os.ReadDir(data); sandbox == "" || err != nil || len(entries) == 0 {
		t.Fatalf("the paused task's sandbox %q has no broker data in %s: %v %v", sandbox, data, entries, err)
	}
	if got := h.volumes("kafka-role"); !mapsEqual(got, volumes) {
		t.Fatalf("volumes while paused %v, want %v", got, volumes)
	}

	if _, err := c.ResumePod(ctx, "kafka", "kafka-0"); err != nil {
		t.Fatal(err)
	}
	task := h.waitRelaunched(svc, 0, paused.Tasks[0].ID, 90*time.Second)
	if task.AgentID != before.AgentID {
		t.Fatalf("resumed on %s, want its agent %s", task.AgentID, before.AgentID)
	}
	if got := h.volumes("kafka-role"); !mapsEqual(got, volumes) {
		t.Fatalf("volumes after resume %v, want %v", got, volumes)
	}
	readAll(t, ctx, brokers, "kept", 30)
}

// TestReplaceRunningBrokerReleasesItsReservations: DC/OS Kafka's
// PUT /v1/brokers/1?replace=true on a running broker whose agent is fine
// answers its task id, stops it, relaunches broker 1 on the spare agent
// with a fresh volume, and the old agent's reservations and volume are
// destroyed and unreserved: nothing of the service is left there.
func TestReplaceRunningBrokerReleasesItsReservations(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOptions{agents: 4})
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	svc, _ := h.deployed("kafka", threeBrokersOnDistinctAgents)
	victim := podTasks(t, svc)[1]
	oldHost := ""
	for _, a := range h.mesos.Snapshot().Agents {
		if a.ID == victim.AgentID {
			oldHost = a.Hostname
		}
	}
	onOld := func() []string {
		var out []string
		for _, r := range h.reservations("kafka-role") {
			if strings.HasPrefix(r, oldHost+":") {
				out = append(out, r)
			}
		}
		return out
	}
	if len(onOld()) == 0 {
		t.Fatalf("no reservation of broker 1 on %s before the replace: %v", oldHost, h.reservations("kafka-role"))
	}
	c := h.apiClient()
	ids, err := c.ReplaceBroker(ctx, "kafka", 1)
	if err != nil || !slices.Equal(ids, []string{victim.ID}) {
		t.Fatalf("replace answered %v, %v; want [%s]", ids, err, victim.ID)
	}
	task := h.waitRelaunched(svc, 1, victim.ID, 2*time.Minute)
	if task.AgentID == victim.AgentID {
		t.Fatalf("kafka-1 replaced on its old agent; the spare agent fits")
	}
	h.waitFor("nothing of the service left on "+oldHost, time.Minute, func() (bool, string) {
		left := onOld()
		return len(left) == 0, strings.Join(left, "; ")
	})
	h.noDuplicates("kafka", 3)
	if n := len(h.volumes("kafka-role")); n != 3 {
		t.Fatalf("%d volumes, want 3", n)
	}
}
