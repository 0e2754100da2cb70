package manager_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/internal/zkserver"
	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/plan"
	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/service"
	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/state/zkstore"
)

// waitSteps waits until at least n steps of the service's deploy plan are
// COMPLETE.
func (h *harness) waitSteps(name string, n int, timeout time.Duration) {
	h.t.Helper()
	h.waitFor("a partial deploy", timeout, func() (bool, string) {
		d, err := h.mgr.GetService(context.Background(), name)
		if err != nil {
			return false, err.Error()
		}
		done := 0
		for _, ph := range d.Plan.Phases {
			for _, st := range ph.Steps {
				if st.Status == plan.Complete {
					done++
				}
			}
		}
		return done >= n, planSummary(d.Plan)
	})
}

// TestMesosDisruptionsDuringDeploy: a master failover, a cut event stream
// and missed heartbeats, each in the middle of a deploy; the scheduler
// resubscribes with the same framework ID, reconciles, and finishes.
func TestMesosDisruptionsDuringDeploy(t *testing.T) {
	h := newHarness(t, harnessOptions{agents: 4, masters: 2})
	h.install("kafka", threeBrokersOnDistinctAgents)
	svc, _ := h.mgr.Service("kafka")

	h.waitSteps("kafka", 1, 60*time.Second)
	fid := svc.FrameworkID()
	if err := h.mesos.FailoverMaster(); err != nil {
		t.Fatal(err)
	}
	h.waitSteps("kafka", 2, 60*time.Second)
	h.mesos.CutEventStreams()
	h.mesos.StopHeartbeats()
	h.waitFor("the scheduler to notice the silent master", 10*time.Second, func() (bool, string) {
		for _, fw := range h.mesos.Snapshot().Frameworks {
			if fw.Name == "kafka" && !fw.Connected {
				return true, ""
			}
		}
		return false, "still connected"
	})
	h.mesos.ResumeHeartbeats()
	h.waitDeployed("kafka", 90*time.Second)
	if got := svc.FrameworkID(); got != fid {
		t.Fatalf("framework ID changed from %s to %s", fid, got)
	}
	if tasks := h.runningTasks("kafka"); len(tasks) != 3 {
		t.Fatalf("running tasks after the disruptions: %v, want 3", tasks)
	}
}

// TestRestartMidDeployResumesWithoutDuplicates stops the scheduler in the
// middle of a deploy and starts it on the same state: same framework,
// no second broker for any pod, nothing leaked, and the deploy finishes.
func TestRestartMidDeployResumesWithoutDuplicates(t *testing.T) {
	zk := zkserver.Start(t)
	store, err := zkstore.Open(context.Background(), zkstore.Config{Servers: []string{zk.Addr()}, Root: "/kafka-on-mesos"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	h := newHarness(t, harnessOptions{agents: 4, store: store})
	h.install("kafka", threeBrokersOnDistinctAgents)
	svc, _ := h.mgr.Service("kafka")
	h.waitSteps("kafka", 1, 60*time.Second)
	fid := svc.FrameworkID()

	h.restartManager()
	h.waitDeployed("kafka", 90*time.Second)
	svc, _ = h.mgr.Service("kafka")
	if got := svc.FrameworkID(); got != fid {
		t.Fatalf("framework ID changed from %s to %s", fid, got)
	}
	tasks := h.runningTasks("kafka")
	seen := map[string]bool{}
	for _, task := range tasks {
		name := strings.Split(task, "=")[0]
		if seen[name] {
			t.Fatalf("two running tasks for %s: %v", name, tasks)
		}
		seen[name] = true
	}
	if len(tasks) != 3 {
		t.Fatalf("running tasks: %v, want 3", tasks)
	}

	// Stop again in the middle of the uninstall.
	if err := h.mgr.DeleteService(context.Background(), "kafka", ""); err != nil {
		t.Fatal(err)
	}
	h.waitFor("the uninstall to kill the brokers", 30*time.Second, func() (bool, string) {
		left := h.runningTasks("kafka")
		return len(left) == 0, strings.Join(left, ",")
	})
	h.restartManager()
	h.waitGone("kafka", 60*time.Second)
	h.waitFor("every reservation released", 15*time.Second, func() (bool, string) {
		left := h.reservations("kafka-role")
		return len(left) == 0, strings.Join(left, "; ")
	})
	if keys, _ := store.Children(context.Background(), ""); contains(keys, "dcos-service-kafka") {
		t.Fatalf("the service's znode is left: %v", keys)
	}
}

// TestInsufficientResourcesAreExplained: no agent has the memory a broker
// needs; the plan stays PENDING and says which resource was short where.
func TestInsufficientResourcesAreExplained(t *testing.T) {
	h := newHarness(t, harnessOptions{agents: 2, agentMB: 400})
	h.install("kafka", `{"brokers": {"count": 1}}`)
	svc, _ := h.mgr.Service("kafka")
	h.waitFor("an explanation in the plan", 30*time.Second, func() (bool, string) {
		info, _ := svc.PlanInfo("deploy")
		msg := info.Phases[0].Steps[0].Message
		return strings.Contains(msg, "insufficient mem"), msg
	})
	info, _ := svc.PlanInfo("deploy")
	if info.Status != plan.Pending {
		t.Fatalf("plan status %s, want PENDING", info.Status)
	}
	msg := info.Phases[0].Steps[0].Message
	for _, agent := range h.mesos.AgentNames() {
		addr, _ := h.mesos.AgentAddress(agent)
		host := strings.Split(addr, ":")[0]
		if !strings.Contains(msg, host) {
			t.Errorf("the explanation does not name agent %s: %s", host, msg)
		}
	}
	failed := 0
	for _, o := range svc.OfferOutcomes() {
		if !o.Passed && strings.Contains(o.Reason, "insufficient mem") {
			failed++
		}
	}
	if failed == 0 {
		t.Fatalf("no offer outcome records the shortfall: %+v", svc.OfferOutcomes())
	}
	if h := svc.Health(); h.Name != "DEPLOYING_PENDING" {
		t.Fatalf("health %+v, want DEPLOYING_PENDING", h)
	}
}

// TestInterruptSurvivesRestart: an interrupted deploy stays interrupted
// across a scheduler restart, and continues when told to.
func TestInterruptSurvivesRestart(t *testing.T) {
	h := newHarness(t, harnessOptions{agents: 4})
	h.install("kafka", threeBrokersOnDistinctAgents)
	svc, _ := h.mgr.Service("kafka")
	h.waitSteps("kafka", 1, 60*time.Second)
	if err := svc.PlanCommand(context.Background(), service.PlanCommand{Plan: "deploy", Command: service.CommandInterrupt}); err != nil {
		t.Fatal(err)
	}
	h.restartManager()
	svc, _ = h.mgr.Service("kafka")
	// The step under way may finish; nothing new may start.
	h.waitFor("the interrupted plan to settle", 60*time.Second, func() (bool, string) {
		info, _ := svc.PlanInfo("deploy")
		for _, st := range info.Phases[0].Steps {
			if st.Status.IsRunning() {
				return false, planSummary(info)
			}
		}
		return info.Status == plan.Waiting, planSummary(info)
	})
	info, _ := svc.PlanInfo("deploy")
	if last := info.Phases[0].Steps[2]; last.Status == plan.Complete || last.Status.IsRunning() {
		t.Fatalf("the interrupted deploy went on after the restart: %s", planSummary(info))
	}
	if err := svc.PlanCommand(context.Background(), service.PlanCommand{Plan: "deploy", Command: service.CommandContinue}); err != nil {
		t.Fatal(err)
	}
	h.waitDeployed("kafka", 90*time.Second)
}
