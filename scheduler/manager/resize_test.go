package manager_test

import (
	"fmt"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/localmesos/master"
	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/plan"
	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/service"
)

func resizeOptions(cpus, mem float64) string {
	return fmt.Sprintf(`{"brokers": {"count": 1, "cpus": %g, "mem": %g, "heap": {"size": 256}}}`, cpus, mem)
}

// scalarSum adds up the named scalar of resources.
func scalarSum(rs []master.ResourceView, name string) float64 {
	total := 0.0
	for _, r := range rs {
		if r.Name == name {
			total += r.Scalar
		}
	}
	return math.Round(total*1000) / 1000
}

// A restart for new cpus and mem really gets them: the relaunched task
// runs with exactly the new amounts, its agent's reservations are resized
// (the task's plus the default executor's 0.1 cpus and 32 mem) and no
// other agent holds anything; an increase the agent cannot fit waits with
// a message naming cpus.
func TestRestartForNewResourcesResizesReservations(t *testing.T) {
	h := newHarness(t, harnessOptions{agents: 2, agentMB: 4096})
	h.install("kafka", resizeOptions(0.5, 1024))
	h.waitDeployed("kafka", 90*time.Second)
	svc, err := h.mgr.Service("kafka")
	if err != nil {
		t.Fatal(err)
	}
	before := taskOf(t, h, "kafka-0-broker")
	if got := scalarSum(before.Resources, "cpus"); got != 0.5 {
		t.Fatalf("first task cpus %v, want 0.5", got)
	}

	if _, err := h.mgr.PutService(t.Context(), "kafka", []byte(resizeOptions(1, 1500)), ""); err != nil {
		t.Fatal(err)
	}
	h.waitFor("the broker relaunched with cpus 1 and mem 1500", 90*time.Second, func() (bool, string) {
		task, ok := runningTask(h, "kafka-0-broker")
		if !ok || task.ID == before.ID {
			return false, fmt.Sprintf("task %+v; plan %s", task, planSummary(mustPlan(svc)))
		}
		return scalarSum(task.Resources, "cpus") == 1 && scalarSum(task.Resources, "mem") == 1500 && mustPlan(svc).Status == plan.Complete,
			fmt.Sprintf("task resources %+v; plan %s", task.Resources, planSummary(mustPlan(svc)))
	})
	task := taskOf(t, h, "kafka-0-broker")
	var agentOfTask string
	for _, a := range h.mesos.Snapshot().Agents {
		if a.Master == nil {
			continue
		}
		var reserved []master.ResourceView
		for _, r := range a.Master.Reserved {
			if r.Role == "kafka-role" {
				reserved = append(reserved, r)
			}
		}
		if a.Master.ID != task.AgentID {
			if len(reserved) > 0 {
				t.Errorf("agent %s, which runs no broker, holds %+v", a.Master.Hostname, reserved)
			}
			continue
		}
		agentOfTask = a.Master.Hostname
		if got := scalarSum(reserved, "cpus"); got != 1.1 {
			t.Errorf("agent %s reserves %v cpus, want 1.1 (task 1, executor 0.1): %+v", a.Master.Hostname, got, reserved)
		}
		if got := scalarSum(reserved, "mem"); got != 1532 {
			t.Errorf("agent %s reserves %v mem, want 1532 (task 1500, executor 32): %+v", a.Master.Hostname, got, reserved)
		}
		for _, r := range reserved {
			if (r.Name == "cpus" || r.Name == "mem") && (r.Labels["resource_id"] == "" || r.Labels["framework_id"] != svc.FrameworkID()) {
				t.Errorf("reservation %+v lacks the pod's labels (framework %s)", r, svc.FrameworkID())
			}
		}
	}
	if task.AgentID != before.AgentID {
		t.Errorf("the broker moved from agent %s to %s", before.AgentID, task.AgentID)
	}

	// More cpus than the agent has (2): the step waits and says so.
	if _, err := h.mgr.PutService(t.Context(), "kafka", []byte(resizeOptions(4, 1500)), ""); err != nil {
		t.Fatal(err)
	}
	h.waitFor("the step to wait for cpus", 60*time.Second, func() (bool, string) {
		info := mustPlan(svc)
		for _, ph := range info.Phases {
			for _, st := range ph.Steps {
				if strings.Contains(st.Message, "insufficient cpus") && strings.Contains(st.Message, agentOfTask) {
					return true, st.Message
				}
			}
		}
		return false, planSummary(info)
	})
	for _, r := range h.reservations("kafka-role") {
		if !strings.HasPrefix(r, agentOfTask+": ") {
			t.Errorf("a waiting increase reserved on another agent: %s", r)
		}
	}
}

// runningTask finds the running task named name in the local Mesos.
func runningTask(h *harness, name string) (master.TaskView, bool) {
	for _, fw := range h.mesos.Snapshot().Frameworks {
		for _, task := range fw.Tasks {
			if task.Name == name && task.State == "TASK_RUNNING" {
				return task, true
			}
		}
	}
	return master.TaskView{}, false
}

func taskOf(t *testing.T, h *harness, name string) master.TaskView {
	t.Helper()
	task, ok := runningTask(h, name)
	if !ok {
		t.Fatalf("no running task %s in Mesos", name)
	}
	return task
}

func mustPlan(svc *service.Service) plan.Info {
	info, _ := svc.PlanInfo("deploy")
	return info
}
