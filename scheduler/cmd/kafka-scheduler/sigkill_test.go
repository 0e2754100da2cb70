package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/go-zookeeper/zk"

	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/internal/zkserver"
	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/localmesos"
	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/localmesos/master"
)

// TestSIGKILLMidDeployAndMidUninstall runs the real kafka-scheduler binary
// (`serve`, state in a real ZooKeeper, a local Mesos) and kills it with
// SIGKILL twice: while a 3-broker service deploys, and while it uninstalls.
// Each time a new process on the same state must finish the job: the deploy
// under the same framework with exactly one broker per pod and no
// reservation on the spare agent; the uninstall with nothing left in Mesos
// or ZooKeeper.
func TestSIGKILLMidDeployAndMidUninstall(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary and runs a 3-broker service")
	}
	const (
		name = "kafka"
		role = "kafka-role"
	)
	s, mesos, zks := newSIGKILLRun(t)
	options := s.threeBrokerOptions()

	// 1. Install, and kill the scheduler once the deploy is under way.
	p := s.start()
	if code, body := p.do(http.MethodPut, "/v1/services/"+name, options); code != http.StatusCreated {
		t.Fatalf("PUT /v1/services/%s: %d %s", name, code, body)
	}
	var frameworkID string
	var before serviceView
	waitUntil(t, "the deploy to be under way (a step COMPLETE, the plan not)", 90*time.Second, func() (bool, string) {
		v, code := p.service(name)
		if code != http.StatusOK {
			return false, fmt.Sprintf("GET: %d", code)
		}
		frameworkID, before = v.FrameworkID, v
		if frameworkID == "" {
			return false, "no framework id yet: " + v.summary()
		}
		if v.Status == "COMPLETE" {
			// Too fast to catch mid-way: fail loudly rather than test
			// nothing. Never seen: the serial deploy takes seconds per
			// broker (readiness check delay 2s, interval 5s).
			t.Fatalf("the deploy completed before the kill: %s", v.summary())
		}
		return v.countSteps("COMPLETE") >= 1, v.summary()
	})
	p.kill()
	t.Logf("SIGKILL mid-deploy; framework %s; plan was %s", frameworkID, before.summary())
	// The brokers running at the kill must survive the restart untouched.
	runningBefore := map[string]string{} // task name → task ID
	for _, task := range liveTasks(mesos.Snapshot(), name) {
		if task.State == "TASK_RUNNING" {
			runningBefore[task.Name] = task.ID
		}
	}

	// 2. A new process completes the deploy under the same framework.
	p = s.start()
	deployStart := time.Now()
	waitUntil(t, "the deploy plan to complete after the restart", 120*time.Second, func() (bool, string) {
		code, body := p.do(http.MethodGet, "/service/"+name+"/v1/plans/deploy", "")
		return code == http.StatusOK, fmt.Sprintf("%d %s", code, body)
	})
	t.Logf("deploy complete %s after the restart", time.Since(deployStart).Round(time.Millisecond))
	v, code := p.service(name)
	if code != http.StatusOK || v.FrameworkID != frameworkID {
		t.Fatalf("after the restart: GET %d, framework %q, want %q", code, v.FrameworkID, frameworkID)
	}
	if code, body := p.do(http.MethodGet, "/service/"+name+"/v1/state/frameworkId", ""); code != http.StatusOK || !strings.Contains(body, frameworkID) {
		t.Fatalf("/v1/state/frameworkId: %d %s, want %s", code, body, frameworkID)
	}

	snap := mesos.Snapshot()
	live := liveTasks(snap, name)
	var names []string
	brokerAgents := map[string]bool{} // agent IDs
	for _, task := range live {
		if task.State != "TASK_RUNNING" {
			t.Errorf("task %s (%s) is %s, want TASK_RUNNING", task.Name, task.ID, task.State)
		}
		names = append(names, task.Name)
		brokerAgents[task.AgentID] = true
	}
	sort.Strings(names)
	if want := []string{"kafka-0-broker", "kafka-1-broker", "kafka-2-broker"}; strings.Join(names, ",") != strings.Join(want, ",") {
		t.Fatalf("live broker tasks %v, want exactly %v: %s", names, want, describeTasks(live))
	}
	for _, task := range live {
		if id, ok := runningBefore[task.Name]; ok && id != task.ID {
			t.Errorf("%s was relaunched across the restart: task %s before, %s after", task.Name, id, task.ID)
		}
	}
	if len(runningBefore) == 0 {
		t.Errorf("no broker was running at the kill, though a step was COMPLETE: %s", before.summary())
	}
	if len(brokerAgents) != 3 {
		t.Fatalf("brokers on %d agents, want 3 (NODE placement): %s", len(brokerAgents), describeTasks(live))
	}
	for _, fw := range snap.Frameworks {
		if fw.Name == name && fw.ID != frameworkID {
			t.Fatalf("a second framework %s named %s registered (first %s)", fw.ID, name, frameworkID)
		}
	}
	// Released reservations vanish with the next offer cycle; give the
	// scheduler a few seconds to clean up what a launch it never sent
	// may have left, then require reservations only on the brokers' agents.
	requireReservationsOnlyOnBrokerAgents(t, mesos, name, role)

	// 3. Uninstall, and kill the scheduler once the uninstall made progress:
	// once it released reservations (the kill-tasks phase is complete by
	// then). That is the riskiest moment: the UNRESERVE has reached Mesos,
	// and a scheduler that had not stored the release would wait forever
	// for resources that no offer will carry again.
	if code, body := p.do(http.MethodDelete, "/v1/services/"+name, ""); code != http.StatusAccepted {
		t.Fatalf("DELETE: %d %s", code, body)
	}
	waitUntil(t, "the uninstall to release a reservation", 60*time.Second, func() (bool, string) {
		var code int
		v, code = p.service(name)
		if code == http.StatusNotFound {
			t.Fatal("the uninstall finished before any progress was seen")
		}
		return v.Uninstalling && v.countPhaseSteps("unreserve-resources-", "COMPLETE") > 0, v.summary()
	})
	p.kill()
	t.Logf("SIGKILL mid-uninstall; plan was %s", v.summary())

	p = s.start()
	uninstallStart := time.Now()
	waitUntil(t, "the service to be gone after the restart", 60*time.Second, func() (bool, string) {
		v, code := p.service(name)
		return code == http.StatusNotFound, fmt.Sprintf("%d %s", code, v.summary())
	})
	t.Logf("uninstall complete %s after the restart", time.Since(uninstallStart).Round(time.Millisecond))
	waitUntil(t, "no reservation or volume of "+role, 15*time.Second, func() (bool, string) {
		var left []string
		for _, a := range mesos.Snapshot().Agents {
			for _, r := range roleResources(a, role) {
				left = append(left, a.Hostname+": "+r.Text)
			}
		}
		return len(left) == 0, strings.Join(left, "; ")
	})
	snap = mesos.Snapshot()
	if live := liveTasks(snap, name); len(live) > 0 {
		t.Fatalf("tasks of %s still live: %s", name, describeTasks(live))
	}
	for _, fw := range snap.Frameworks {
		if fw.Name == name && fw.Active {
			t.Fatalf("framework %s of %s is still registered and active", fw.ID, name)
		}
	}
	conn, _, err := zk.Connect([]string{zks.Addr()}, 5*time.Second, zk.WithLogInfo(false))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	const node = "/kafka-on-mesos/dcos-service-kafka"
	if exists, _, err := conn.Exists(node); err != nil || exists {
		t.Fatalf("ZooKeeper node %s: exists %v, error %v; want it deleted", node, exists, err)
	}
	if code, body := p.do(http.MethodGet, "/v1/services", ""); code != http.StatusOK || strings.Contains(body, `"kafka"`) {
		t.Fatalf("GET /v1/services: %d %s", code, body)
	}
}

// newSIGKILLRun builds the binary and starts what it runs against: a
// real ZooKeeper and a local Mesos of 4 agents.
func newSIGKILLRun(t *testing.T) (*sigkillRun, *localmesos.Cluster, *zkserver.Server) {
	t.Helper()
	dir := t.TempDir()
	bin := buildSchedulerBinary(t, dir)
	zks := zkserver.Start(t)
	mesos := startSIGKILLMesos(t, dir)
	s := &sigkillRun{t: t, bin: bin, dir: dir, master: mesos.SchedulerURL(), zk: zks.Addr()}
	t.Cleanup(s.printLogsOnFailure)
	return s, mesos, zks
}

// threeBrokerOptions are the options of the 3-broker service the SIGKILL
// tests run: one broker per agent, a quick readiness check.
func (s *sigkillRun) threeBrokerOptions() string {
	return fmt.Sprintf(`{
	  "service": {"placement_strategy": "NODE", "readiness_check": {"interval": 5, "delay": 2}},
	  "brokers": {"count": 3, "mem": 512, "heap": {"size": 256}, "disk": 1024,
	              "kafka_uri": %q, "kafka_version_path": "kafka-dev"},
	  "kafka": {"server_properties": {"devkafka.registry.dir": %q}}
	}`, "file://"+kafkaDist, filepath.Join(s.dir, "registry"))
}

// buildSchedulerBinary builds kafka-scheduler from the package folder (the
// test's working directory).
func buildSchedulerBinary(t *testing.T, dir string) string {
	t.Helper()
	bin := filepath.Join(dir, "kafka-scheduler")
	out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

func startSIGKILLMesos(t *testing.T, dir string) *localmesos.Cluster {
	t.Helper()
	logFile, err := os.Create(filepath.Join(dir, "local-mesos.log"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { logFile.Close() })
	cfg := localmesos.Config{
		WorkDir:           filepath.Join(dir, "mesos"),
		HeartbeatInterval: 200 * time.Millisecond,
		StatusUpdateRetry: 500 * time.Millisecond,
		ShutdownGrace:     2 * time.Second,
		Logger:            slog.New(slog.NewTextHandler(logFile, &slog.HandlerOptions{Level: slog.LevelDebug})),
	}
	for range 4 {
		cfg.Agents = append(cfg.Agents, localmesos.AgentConfig{CPUs: 2, MemMB: 4096, DiskMB: 12288})
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cluster, err := localmesos.Start(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cluster.Close() })
	return cluster
}

// sigkillRun starts the scheduler processes of one test.
type sigkillRun struct {
	t          *testing.T
	bin, dir   string
	master, zk string
	logs       []string // stderr of every process started, in order
}

// schedulerProcess is one running kafka-scheduler serve.
type schedulerProcess struct {
	t      *testing.T
	cmd    *exec.Cmd
	url    string
	exited chan struct{}
}

// start runs `kafka-scheduler serve` and returns once /v1/health answers
// 200. The process is killed when the test ends if it still runs.
func (s *sigkillRun) start() *schedulerProcess {
	t := s.t
	t.Helper()
	n := len(s.logs) + 1
	stdoutPath := filepath.Join(s.dir, fmt.Sprintf("scheduler-%d.stdout", n))
	stderrPath := filepath.Join(s.dir, fmt.Sprintf("scheduler-%d.stderr", n))
	stdout, err := os.Create(stdoutPath)
	if err != nil {
		t.Fatal(err)
	}
	stderr, err := os.Create(stderrPath)
	if err != nil {
		t.Fatal(err)
	}
	s.logs = append(s.logs, stderrPath)
	// Port 0 and the address printed on stdout: no race for a free port.
	cmd := exec.Command(s.bin, "serve", "--master", s.master, "--zk", s.zk, "--listen", "127.0.0.1:0",
		"--insecure-no-token", "--log-level", "debug")
	cmd.Stdout, cmd.Stderr = stdout, stderr
	cmd.Env = append(os.Environ(), envToken+"=")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p := &schedulerProcess{t: t, cmd: cmd, exited: make(chan struct{})}
	go func() {
		_ = cmd.Wait()
		stdout.Close()
		stderr.Close()
		close(p.exited)
	}()
	t.Cleanup(p.kill)

	waitUntil(t, fmt.Sprintf("scheduler #%d to print its API address", n), 30*time.Second, func() (bool, string) {
		select {
		case <-p.exited:
			t.Fatalf("scheduler #%d exited: %v", n, cmd.ProcessState)
		default:
		}
		out, _ := os.ReadFile(stdoutPath)
		if i := bytes.Index(out, []byte("API http://")); i >= 0 {
			if line, _, found := strings.Cut(string(out[i+len("API "):]), "\n"); found {
				p.url = line
			}
		}
		return p.url != "", string(out)
	})
	waitUntil(t, fmt.Sprintf("scheduler #%d to be healthy", n), 30*time.Second, func() (bool, string) {
		code, body := p.do(http.MethodGet, "/v1/health", "")
		return code == http.StatusOK, fmt.Sprintf("%d %s", code, body)
	})
	return p
}

// kill sends SIGKILL (once the process runs) and waits for it to end.
func (p *schedulerProcess) kill() {
	select {
	case <-p.exited:
		return
	default:
	}
	_ = p.cmd.Process.Kill()
	select {
	case <-p.exited:
	case <-time.After(10 * time.Second):
		p.t.Errorf("scheduler pid %d did not end within 10s of SIGKILL", p.cmd.Process.Pid)
	}
}

// do calls the API; the code is 0 when the call failed.
func (p *schedulerProcess) do(method, path, body string) (int, string) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, method, p.url+path, strings.NewReader(body))
	if err != nil {
		p.t.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, err.Error()
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// serviceView is the part of GET /v1/services/{name} the test reads.
type serviceView struct {
	FrameworkID  string `json:"framework_id"`
	Uninstalling bool   `json:"uninstalling"`
	Status       string `json:"status"`
	Plan         struct {
		Status string `json:"status"`
		Phases []struct {
			Name   string `json:"name"`
			Status string `json:"status"`
			Steps  []struct {
				Name   string `json:"name"`
				Status string `json:"status"`
			} `json:"steps"`
		} `json:"phases"`
	} `json:"plan"`
}

func (p *schedulerProcess) service(name string) (serviceView, int) {
	var v serviceView
	code, body := p.do(http.MethodGet, "/v1/services/"+name, "")
	if code == http.StatusOK {
		if err := json.Unmarshal([]byte(body), &v); err != nil {
			p.t.Fatalf("GET /v1/services/%s: %v\n%s", name, err, body)
		}
	}
	return v, code
}

func (v serviceView) countSteps(statuses ...string) int {
	return v.countPhaseSteps("", statuses...)
}

// countPhaseSteps counts the steps with one of the statuses in the phases
// whose name starts with phasePrefix.
func (v serviceView) countPhaseSteps(phasePrefix string, statuses ...string) int {
	n := 0
	for _, ph := range v.Plan.Phases {
		if !strings.HasPrefix(ph.Name, phasePrefix) {
			continue
		}
		for _, st := range ph.Steps {
			for _, s := range statuses {
				if st.Status == s {
					n++
				}
			}
		}
	}
	return n
}

func (v serviceView) summary() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s", v.Plan.Status)
	for _, ph := range v.Plan.Phases {
		fmt.Fprintf(&b, " [%s %s:", ph.Name, ph.Status)
		for _, st := range ph.Steps {
			fmt.Fprintf(&b, " %s=%s", st.Name, st.Status)
		}
		b.WriteString("]")
	}
	return b.String()
}

// liveTasks lists the tasks of the frameworks named name that have not
// ended.
func liveTasks(snap localmesos.Snapshot, name string) []master.TaskView {
	var out []master.TaskView
	for _, fw := range snap.Frameworks {
		if fw.Name != name {
			continue
		}
		for _, task := range fw.Tasks {
			switch task.State {
			case "TASK_KILLED", "TASK_FINISHED", "TASK_FAILED", "TASK_ERROR", "TASK_LOST", "TASK_DROPPED", "TASK_GONE", "TASK_GONE_BY_OPERATOR":
				continue
			}
			out = append(out, task)
		}
	}
	return out
}

func describeTasks(tasks []master.TaskView) string {
	var parts []string
	for _, task := range tasks {
		parts = append(parts, fmt.Sprintf("%s(%s on %s: %s)", task.Name, task.ID, task.AgentID, task.State))
	}
	return strings.Join(parts, ", ")
}

// roleResources lists an agent's reservations and volumes of a role, as
// the master sees them.
func roleResources(a localmesos.AgentSnapshot, role string) []master.ResourceView {
	if a.Master == nil {
		return nil
	}
	var out []master.ResourceView
	for _, r := range append(append([]master.ResourceView(nil), a.Master.Reserved...), a.Master.Volumes...) {
		if r.Role == role {
			out = append(out, r)
		}
	}
	return out
}

// waitUntil polls cond until it holds, failing the test after timeout.
func waitUntil(t *testing.T, what string, timeout time.Duration, cond func() (bool, string)) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	last := ""
	for {
		ok, state := cond()
		if ok {
			return
		}
		last = state
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s; last seen: %s", timeout, what, last)
		}
		time.Sleep(25 * time.Millisecond)
	}
}

// printLogsOnFailure prints the tail of every scheduler's stderr and of the
// local Mesos log when the test failed. $SIGKILL_TEST_KEEP_LOGS names a
// folder to copy the whole logs to, failed or not.
func (s *sigkillRun) printLogsOnFailure() {
	keep := os.Getenv("SIGKILL_TEST_KEEP_LOGS")
	for _, path := range append(s.logs, filepath.Join(s.dir, "local-mesos.log")) {
		b, _ := os.ReadFile(path)
		if keep != "" {
			_ = os.MkdirAll(keep, 0o755)
			_ = os.WriteFile(filepath.Join(keep, filepath.Base(path)), b, 0o644)
		}
		if !s.t.Failed() {
			continue
		}
		// The test's own polling would fill the tail.
		var kept []string
		for _, line := range strings.Split(string(b), "\n") {
			if !strings.Contains(line, `msg="api request"`) {
				kept = append(kept, line)
			}
		}
		const tail = 150
		if len(kept) > tail {
			kept = kept[len(kept)-tail:]
		}
		s.t.Logf("---- last %d lines of %s (API requests left out) ----\n%s", len(kept), filepath.Base(path), strings.Join(kept, "\n"))
	}
}
