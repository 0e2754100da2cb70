package manager_test

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

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
