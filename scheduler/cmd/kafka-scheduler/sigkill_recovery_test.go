package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"sort"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/localmesos"
	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/localmesos/master"
)

// TestSIGKILLMidRecoveryAndMidReplace runs the real kafka-scheduler binary
// on a real ZooKeeper and a local Mesos and kills it with SIGKILL twice:
// while the recovery plan relaunches a broker whose process was killed out
// of band, and while it replaces a broker (POST pod/kafka-1/replace). Each
// time a new process on the same state finishes the job: the broker back
// in place on its agent after the first, moved to the spare agent after
// the second; exactly one live task per broker; reservations and volumes
// only on the brokers' agents, one volume each, nothing left on the agent
// the replaced broker left.
func TestSIGKILLMidRecoveryAndMidReplace(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary and runs a 3-broker service")
	}
	const (
		name = "kafka"
		role = "kafka-role"
	)
	s, mesos, _ := newSIGKILLRun(t)
	p := s.start()
	if code, body := p.do(http.MethodPut, "/v1/services/"+name, s.threeBrokerOptions()); code != http.StatusCreated {
		t.Fatalf("PUT /v1/services/%s: %d %s", name, code, body)
	}
	waitUntil(t, "the deploy to complete", 120*time.Second, func() (bool, string) {
		v, code := p.service(name)
		return code == http.StatusOK && v.Status == "COMPLETE", v.summary()
	})
	victim := liveTask(t, mesos, name, "kafka-1-broker")

	// 1. The broker's process dies; the scheduler dies while the recovery
	// plan relaunches it.
	if err := syscall.Kill(-taskPID(t, mesos, victim.ID), syscall.SIGKILL); err != nil {
		t.Fatalf("killing kafka-1's process: %v", err)
	}
	waitUntil(t, "the recovery plan to work on kafka-1", 60*time.Second, func() (bool, string) {
		rp := p.recoveryPlan()
		return rp.stepStatus("kafka-1") != "" && rp.stepStatus("kafka-1") != "COMPLETE", rp.summary()
	})
	p.kill()
	p = s.start()
	waitUntil(t, "kafka-1 recovered in place after the restart", 120*time.Second, func() (bool, string) {
		rp := p.recoveryPlan()
		task, ok := findLiveTask(mesos, name, "kafka-1-broker")
		return ok && task.ID != victim.ID && task.State == "TASK_RUNNING" && rp.stepStatus("kafka-1") == "COMPLETE",
			rp.summary() + "; " + describeTasks(liveTasks(mesos.Snapshot(), name))
	})
	if task := liveTask(t, mesos, name, "kafka-1-broker"); task.AgentID != victim.AgentID {
		t.Errorf("kafka-1 recovered on agent %s, want its own %s", task.AgentID, victim.AgentID)
	}
	requireOneTaskPerBroker(t, mesos, name)
	requireReservationsOnlyOnBrokerAgents(t, mesos, name, role)

	// 2. Replace kafka-1; the scheduler dies while the replacement is
	// under way.
	before := liveTask(t, mesos, name, "kafka-1-broker")
	if code, body := p.do(http.MethodPost, "/service/"+name+"/v1/pod/kafka-1/replace", ""); code != http.StatusOK {
		t.Fatalf("POST pod/kafka-1/replace: %d %s", code, body)
	}
	waitUntil(t, "the replacement to be under way", 60*time.Second, func() (bool, string) {
		rp := p.recoveryPlan()
		return rp.stepStatus("kafka-1") != "COMPLETE", rp.summary()
	})
	p.kill()
	p = s.start()
	waitUntil(t, "kafka-1 replaced on another agent after the restart", 120*time.Second, func() (bool, string) {
		rp := p.recoveryPlan()
		task, ok := findLiveTask(mesos, name, "kafka-1-broker")
		return ok && task.AgentID != before.AgentID && task.State == "TASK_RUNNING" && rp.stepStatus("kafka-1") == "COMPLETE",
			rp.summary() + "; " + describeTasks(liveTasks(mesos.Snapshot(), name))
	})
	requireOneTaskPerBroker(t, mesos, name)
	requireReservationsOnlyOnBrokerAgents(t, mesos, name, role)
}

// recoveryView is the part of GET /v1/plans/recovery the test reads.
type recoveryView struct {
	Status string `json:"status"`
	Phases []struct {
		Name  string `json:"name"`
		Steps []struct {
			Name    string `json:"name"`
			Status  string `json:"status"`
			Message string `json:"message"`
		} `json:"steps"`
	} `json:"phases"`
}

func (p *schedulerProcess) recoveryPlan() recoveryView {
	var v recoveryView
	_, body := p.do(http.MethodGet, "/service/kafka/v1/plans/recovery", "")
	_ = json.Unmarshal([]byte(body), &v) // an unreadable answer is an empty plan: the wait goes on
	return v
}

// stepStatus is the status of the pod's recovery step, "" when it has none.
func (v recoveryView) stepStatus(pod string) string {
	for _, ph := range v.Phases {
		for _, st := range ph.Steps {
			if strings.HasPrefix(st.Name, pod+":") {
				return st.Status
			}
		}
	}
	return ""
}

func (v recoveryView) summary() string {
	b, _ := json.Marshal(v)
	return string(b)
}

func findLiveTask(mesos *localmesos.Cluster, framework, task string) (master.TaskView, bool) {
	for _, t := range liveTasks(mesos.Snapshot(), framework) {
		if t.Name == task {
			return t, true
		}
	}
	return master.TaskView{}, false
}

func liveTask(t *testing.T, mesos *localmesos.Cluster, framework, task string) master.TaskView {
	t.Helper()
	found, ok := findLiveTask(mesos, framework, task)
	if !ok {
		t.Fatalf("no live task %s: %s", task, describeTasks(liveTasks(mesos.Snapshot(), framework)))
	}
	return found
}

// taskPID is the process id of a running task in the local Mesos.
func taskPID(t *testing.T, mesos *localmesos.Cluster, taskID string) int {
	t.Helper()
	for _, a := range mesos.Snapshot().Agents {
		for _, task := range a.Local.Tasks {
			if task.TaskID == taskID && task.PID > 0 {
				return task.PID
			}
		}
	}
	t.Fatalf("task %s has no process", taskID)
	return 0
}

// requireOneTaskPerBroker fails unless exactly kafka-0..2 run, once each.
func requireOneTaskPerBroker(t *testing.T, mesos *localmesos.Cluster, framework string) {
	t.Helper()
	live := liveTasks(mesos.Snapshot(), framework)
	var names []string
	for _, task := range live {
		names = append(names, task.Name)
	}
	sort.Strings(names)
	if got := strings.Join(names, ","); got != "kafka-0-broker,kafka-1-broker,kafka-2-broker" {
		t.Fatalf("live tasks %s, want exactly one per broker: %s", got, describeTasks(live))
	}
}

// requireReservationsOnlyOnBrokerAgents waits until the role's
// reservations and volumes are on the brokers' agents only, one volume
// each (a released reservation vanishes with the next offer cycle).
func requireReservationsOnlyOnBrokerAgents(t *testing.T, mesos *localmesos.Cluster, framework, role string) {
	t.Helper()
	brokerAgents := map[string]bool{}
	for _, task := range liveTasks(mesos.Snapshot(), framework) {
		brokerAgents[task.AgentID] = true
	}
	waitUntil(t, "reservations of "+role+" only on the brokers' agents, one volume each", 60*time.Second, func() (bool, string) {
		var leaked []string
		volumes := map[string]int{}
		for _, a := range mesos.Snapshot().Agents {
			for _, r := range roleResources(a, role) {
				if !brokerAgents[a.ID] {
					leaked = append(leaked, a.Hostname+": "+r.Text)
				}
				if r.PersistenceID != "" {
					volumes[a.ID]++
				}
			}
		}
		ok := len(leaked) == 0 && len(volumes) == len(brokerAgents)
		for _, n := range volumes {
			ok = ok && n == 1
		}
		return ok, fmt.Sprintf("leaked %v; volumes per agent %v", leaked, volumes)
	})
}
