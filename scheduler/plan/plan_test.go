package plan

import (
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"sync"
	"testing"

	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/spec"
)

func testSpec(t testing.TB, body string) spec.ServiceSpec {
	t.Helper()
	s, err := spec.Parse([]byte(body), spec.DefaultOptions(), spec.Environment{ZookeeperConnect: "127.0.0.1:2181"})
	if err != nil {
		t.Fatalf("spec.Parse(%s): %v", body, err)
	}
	return s
}

// seqIDs returns a generator of stable, UUID-shaped ids.
func seqIDs() func() string {
	n := 0
	return func() string {
		n++
		return fmt.Sprintf("00000000-0000-4000-8000-%012d", n)
	}
}

func deploy(t testing.TB, body string, pods map[int]PodState) *Plan {
	t.Helper()
	p, err := NewDeploy(testSpec(t, body), pods, WithIDs(seqIDs()))
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// statuses renders the plan as "PLAN phase=PHASE [step statuses]".
func statuses(p *Plan) string {
	info := p.Info()
	var b strings.Builder
	b.WriteString(string(info.Status))
	for _, ph := range info.Phases {
		fmt.Fprintf(&b, " %s=%s [", ph.Name, ph.Status)
		for i, st := range ph.Steps {
			if i > 0 {
				b.WriteByte(' ')
			}
			b.WriteString(string(st.Status))
		}
		b.WriteByte(']')
	}
	return b.String()
}

func candidatePods(p *Plan) []string {
	var out []string
	for _, c := range p.Candidates(nil) {
		out = append(out, c.Pod)
	}
	return out
}

// complete drives pod's step from PENDING to COMPLETE the way the service
// layer would.
func complete(t *testing.T, p *Plan, pod string) {
	t.Helper()
	task := pod + "-broker__" + fmt.Sprint(p.Version())
	if !p.Prepared(pod) || !p.Launched(pod, task) {
		t.Fatalf("%s: could not prepare and launch (%s)", pod, statuses(p))
	}
	p.TaskUpdate(TaskUpdate{TaskID: task, State: TaskRunning})
	if !p.TaskUpdate(TaskUpdate{TaskID: task, State: TaskRunning, Ready: true}) {
		t.Fatalf("%s: readiness did not complete the step", pod)
	}
}

func TestAggregateFollowsDCOSRulesInOrder(t *testing.T) {
	S := func(ss ...Status) []Status { return ss }
	tests := []struct {
		name        string
		children    []Status
		candidates  []Status
		errors      bool
		interrupted bool
		want        Status
	}{
		{"errors win", S(Complete), S(), true, false, Error},
		{"a child error wins", S(Error, Pending), S(Pending), false, true, Error},
		{"all complete", S(Complete, Complete), S(), false, true, Complete},
		{"no children is complete", S(), S(), false, false, Complete},
		{"all delayed", S(Delayed, Delayed), S(Delayed), false, true, Delayed},
		{"interrupted", S(Complete, Pending), S(), false, true, Waiting},
		{"a prepared child", S(Prepared, Pending), S(Pending), false, false, InProgress},
		{"waiting candidate", S(Waiting, Pending), S(Waiting), false, false, Waiting},
		{"in-progress candidate", S(InProgress, Pending), S(InProgress), false, false, InProgress},
		{"complete and pending candidate", S(Complete, Pending), S(Pending), false, false, InProgress},
		{"complete and starting candidate", S(Complete, Starting), S(Starting), false, false, InProgress},
		{"complete and started candidate", S(Complete, Started), S(Started), false, false, InProgress},
		{"pending candidate", S(Pending, Pending), S(Pending), false, false, Pending},
		{"waiting child, no candidate", S(Waiting, Pending), S(), false, false, Waiting},
		{"starting candidate", S(Starting, Pending), S(Starting), false, false, Starting},
		{"started candidate", S(Started, Pending), S(Started), false, false, Started},
		{"delayed candidate among others (DC/OS says ERROR)", S(Complete, Delayed, Pending), S(Delayed), false, false, Delayed},
		{"nothing to work on", S(Pending), S(), false, false, Error},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := aggregate(tt.children, tt.candidates, tt.errors, tt.interrupted); got != tt.want {
				t.Errorf("aggregate = %s, want %s", got, tt.want)
			}
		})
	}
}

func TestParseStrategy(t *testing.T) {
	for in, want := range map[string]Strategy{"": Serial, "serial": Serial, "parallel": Parallel,
		"serial-canary": SerialCanary, "canary": SerialCanary, "parallel-canary": ParallelCanary} {
		if got, err := ParseStrategy(in); err != nil || got != want {
			t.Errorf("ParseStrategy(%q) = %q, %v", in, got, err)
		}
	}
	if _, err := ParseStrategy("random"); err == nil || err.Error() != `unsupported strategy "random": use serial, parallel, serial-canary or parallel-canary` {
		t.Errorf("ParseStrategy(random) error = %v", err)
	}
	// Every deploy strategy the spec accepts builds a plan.
	for _, name := range append(spec.DeployStrategies(), "canary") {
		if _, err := ParseStrategy(name); err != nil {
			t.Errorf("spec accepts %q but the plan does not: %v", name, err)
		}
	}
}

func TestSerialWorksOnOneStepAtATime(t *testing.T) {
	p := deploy(t, `{}`, nil)
	if got := statuses(p); got != "PENDING broker=PENDING [PENDING PENDING PENDING]" {
		t.Fatalf("initial: %s", got)
	}
	for i, pod := range []string{"kafka-0", "kafka-1", "kafka-2"} {
		if got := candidatePods(p); !reflect.DeepEqual(got, []string{pod}) {
			t.Fatalf("step %d: candidates = %v, want [%s]", i, got, pod)
		}
		complete(t, p, pod)
	}
	if got := statuses(p); got != "COMPLETE broker=COMPLETE [COMPLETE COMPLETE COMPLETE]" {
		t.Fatalf("final: %s", got)
	}
	if c := p.Candidates(nil); len(c) != 0 {
		t.Fatalf("a complete plan has candidates: %v", c)
	}
}

func TestSerialStatusesAlongTheWay(t *testing.T) {
	p := deploy(t, `{}`, nil)
	steps := []struct {
		do   func()
		want string
	}{
		{func() { p.Prepared("kafka-0") }, "IN_PROGRESS broker=IN_PROGRESS [PREPARED PENDING PENDING]"},
		{func() { p.Launched("kafka-0", "t0") }, "STARTING broker=STARTING [STARTING PENDING PENDING]"},
		{func() { p.TaskUpdate(TaskUpdate{TaskID: "t0", State: "TASK_RUNNING"}) }, "STARTED broker=STARTED [STARTED PENDING PENDING]"},
		{func() { p.TaskUpdate(TaskUpdate{TaskID: "t0", State: "RUNNING", Ready: true}) }, "IN_PROGRESS broker=IN_PROGRESS [COMPLETE PENDING PENDING]"},
	}
	for i, s := range steps {
		s.do()
		if got := statuses(p); got != s.want {
			t.Fatalf("after step %d: %s, want %s", i, got, s.want)
		}
	}
}

func TestParallelWorksOnEveryStep(t *testing.T) {
	p := deploy(t, `{"service":{"deploy_strategy":"parallel"}}`, nil)
	if got := candidatePods(p); !reflect.DeepEqual(got, []string{"kafka-0", "kafka-1", "kafka-2"}) {
		t.Fatalf("candidates = %v", got)
	}
	complete(t, p, "kafka-1")
	if got := candidatePods(p); !reflect.DeepEqual(got, []string{"kafka-0", "kafka-2"}) {
		t.Fatalf("candidates after kafka-1 = %v", got)
	}
	if got := statuses(p); got != "IN_PROGRESS broker=IN_PROGRESS [PENDING COMPLETE PENDING]" {
		t.Fatalf("statuses = %s", got)
	}
}

func TestSerialCanaryWaitsForEachContinue(t *testing.T) {
	p := deploy(t, `{"service":{"deploy_strategy":"serial-canary"},"brokers":{"count":4}}`, nil)
	if got := statuses(p); got != "WAITING broker=WAITING [WAITING WAITING PENDING PENDING]" {
		t.Fatalf("initial: %s", got)
	}
	if c := candidatePods(p); len(c) != 0 {
		t.Fatalf("a canary must wait for continue, candidates = %v", c)
	}
	if err := p.Interrupt(BrokerPhaseName); !errors.Is(err, ErrAlreadyReported) {
		t.Fatalf("interrupt during canary = %v, want ErrAlreadyReported", err)
	}
	if err := p.Continue(""); err != nil {
		t.Fatal(err)
	}
	if got := candidatePods(p); !reflect.DeepEqual(got, []string{"kafka-0"}) {
		t.Fatalf("after first continue: candidates = %v", got)
	}
	if got := statuses(p); got != "PENDING broker=PENDING [PENDING WAITING PENDING PENDING]" {
		t.Fatalf("after first continue: %s", got)
	}
	complete(t, p, "kafka-0")
	if got := statuses(p); got != "WAITING broker=WAITING [COMPLETE WAITING PENDING PENDING]" {
		t.Fatalf("after the first canary: %s", got)
	}
	if c := candidatePods(p); len(c) != 0 {
		t.Fatalf("the second canary step must wait for continue, candidates = %v", c)
	}
	if err := p.Continue(BrokerPhaseName); err != nil {
		t.Fatal(err)
	}
	// Canary released: serial from here on, one step at a time.
	for _, pod := range []string{"kafka-1", "kafka-2", "kafka-3"} {
		if got := candidatePods(p); !reflect.DeepEqual(got, []string{pod}) {
			t.Fatalf("candidates = %v, want [%s]", got, pod)
		}
		complete(t, p, pod)
	}
	if !p.IsComplete() {
		t.Fatalf("plan not complete: %s", statuses(p))
	}
	if err := p.Continue(""); !errors.Is(err, ErrAlreadyReported) {
		t.Fatalf("continue on a complete plan = %v", err)
	}
}

func TestParallelCanaryReleasesTheRestAtOnce(t *testing.T) {
	p := deploy(t, `{"service":{"deploy_strategy":"parallel-canary"},"brokers":{"count":4}}`, nil)
	if c := candidatePods(p); len(c) != 0 {
		t.Fatalf("candidates before continue = %v", c)
	}
	_ = p.Continue("")
	if got := candidatePods(p); !reflect.DeepEqual(got, []string{"kafka-0"}) {
		t.Fatalf("after first continue: %v", got)
	}
	_ = p.Continue("")
	// Both canaries released: parallel over everything left, without
	// waiting for kafka-0 to finish.
	if got := candidatePods(p); !reflect.DeepEqual(got, []string{"kafka-0", "kafka-1", "kafka-2", "kafka-3"}) {
		t.Fatalf("after second continue: %v", got)
	}
	if err := p.Continue(""); !errors.Is(err, ErrAlreadyReported) {
		t.Fatalf("a third continue changes nothing, got %v", err)
	}
}

func TestCanaryHoldsOnlyPendingSteps(t *testing.T) {
	s := testSpec(t, `{"service":{"deploy_strategy":"serial-canary"},"brokers":{"count":3}}`)
	pods := map[int]PodState{0: {TaskID: "t0", ConfigHash: s.PodConfigHash(), State: TaskRunning, Ready: true}}
	p, err := NewDeploy(s, pods, WithIDs(seqIDs()))
	if err != nil {
		t.Fatal(err)
	}
	if got := statuses(p); got != "WAITING broker=WAITING [COMPLETE WAITING WAITING]" {
		t.Fatalf("statuses = %s", got)
	}
	one := testSpec(t, `{"service":{"deploy_strategy":"serial-canary"},"brokers":{"count":1}}`)
	p, _ = NewDeploy(one, nil, WithIDs(seqIDs()))
	_ = p.Continue("")
	if got := candidatePods(p); !reflect.DeepEqual(got, []string{"kafka-0"}) {
		t.Fatalf("a one-broker canary needs one continue, candidates = %v", got)
	}
}

func TestInterruptLetsInFlightStepsFinish(t *testing.T) {
	p := deploy(t, `{"service":{"deploy_strategy":"parallel"}}`, nil)
	p.Prepared("kafka-0") // killed for relaunch, waiting for its offer
	p.Launched("kafka-1", "t1")
	if err := p.Interrupt(""); err != nil {
		t.Fatal(err)
	}
	if err := p.Interrupt(""); !errors.Is(err, ErrAlreadyReported) {
		t.Fatalf("second interrupt = %v", err)
	}
	if got := statuses(p); got != "WAITING broker=IN_PROGRESS [PREPARED STARTING PENDING]" {
		t.Fatalf("statuses = %s", got)
	}
	if got := candidatePods(p); !reflect.DeepEqual(got, []string{"kafka-0", "kafka-1"}) {
		t.Fatalf("in-flight steps must stay candidates, new ones must not: %v", got)
	}
	p.TaskUpdate(TaskUpdate{TaskID: "t1", State: TaskRunning, Ready: true})
	if got := candidatePods(p); !reflect.DeepEqual(got, []string{"kafka-0"}) {
		t.Fatalf("candidates = %v", got)
	}
	if err := p.Continue(""); err != nil {
		t.Fatal(err)
	}
	if got := candidatePods(p); !reflect.DeepEqual(got, []string{"kafka-0", "kafka-2"}) {
		t.Fatalf("after continue: %v", got)
	}
}

func TestPhaseInterrupt(t *testing.T) {
	p := deploy(t, `{}`, nil)
	if err := p.Interrupt(BrokerPhaseName); err != nil {
		t.Fatal(err)
	}
	if got := statuses(p); got != "WAITING broker=WAITING [PENDING PENDING PENDING]" {
		t.Fatalf("statuses = %s", got)
	}
	if c := candidatePods(p); len(c) != 0 {
		t.Fatalf("candidates = %v", c)
	}
	if err := p.Interrupt(BrokerPhaseName); !errors.Is(err, ErrAlreadyReported) {
		t.Fatalf("second interrupt = %v", err)
	}
	info := p.Info()
	if err := p.Continue(info.Phases[0].ID); err != nil { // by UUID
		t.Fatal(err)
	}
	if err := p.Continue(BrokerPhaseName); !errors.Is(err, ErrAlreadyReported) {
		t.Fatalf("continue of a running phase = %v", err)
	}
	var nf *NotFoundError
	if err := p.Interrupt("nope"); !errors.As(err, &nf) || err.Error() != "Phase nope not found; the plan's phases are: broker (names or ids)" {
		t.Fatalf("unknown phase = %v", err)
	}
	if err := p.Continue("00000000-0000-4000-8000-999999999999"); !errors.As(err, &nf) {
		t.Fatalf("unknown phase id = %v", err)
	}
}

func TestForceComplete(t *testing.T) {
	p := deploy(t, `{}`, nil)
	if err := p.ForceComplete("", "kafka-0:[broker]"); !errors.Is(err, ErrMissingPhase) {
		t.Fatalf("step without phase = %v", err)
	}
	var nf *NotFoundError
	if err := p.ForceComplete(BrokerPhaseName, "kafka-9:[broker]"); !errors.As(err, &nf) || err.Error() != "Step kafka-9:[broker] not found in phase broker; its steps are: kafka-0:[broker], kafka-1:[broker], kafka-2:[broker] (names or ids)" {
		t.Fatalf("unknown step = %v", err)
	}
	p.Launched("kafka-0", "t0")
	if err := p.ForceComplete(BrokerPhaseName, "kafka-0:[broker]"); err != nil {
		t.Fatal(err)
	}
	if err := p.ForceComplete(BrokerPhaseName, "kafka-0:[broker]"); !errors.Is(err, ErrAlreadyReported) {
		t.Fatalf("second forceComplete = %v", err)
	}
	if p.TaskUpdate(TaskUpdate{TaskID: "t0", State: TaskFailed}) {
		t.Fatal("a force-completed step must ignore its old task")
	}
	if got := statuses(p); got != "IN_PROGRESS broker=IN_PROGRESS [COMPLETE PENDING PENDING]" {
		t.Fatalf("statuses = %s", got)
	}
	if msg := p.Info().Phases[0].Steps[0].Message; !strings.Contains(msg, "Completed by an operator (forceComplete).") {
		t.Fatalf("message = %q", msg)
	}
	if err := p.ForceComplete(BrokerPhaseName, ""); err != nil {
		t.Fatal(err)
	}
	if !p.IsComplete() {
		t.Fatalf("phase forceComplete: %s", statuses(p))
	}
	if err := p.ForceComplete("", ""); !errors.Is(err, ErrAlreadyReported) {
		t.Fatalf("plan forceComplete of a complete plan = %v", err)
	}
}

func TestRestart(t *testing.T) {
	p := deploy(t, `{}`, nil)
	if err := p.Restart(BrokerPhaseName, "kafka-0:[broker]"); !errors.Is(err, ErrAlreadyReported) {
		t.Fatalf("restart of a pending step = %v", err)
	}
	complete(t, p, "kafka-0")
	if err := p.Restart(BrokerPhaseName, "kafka-0:[broker]"); err != nil {
		t.Fatal(err)
	}
	if got := statuses(p); got != "PENDING broker=PENDING [PENDING PENDING PENDING]" {
		t.Fatalf("after step restart: %s", got)
	}
	if err := p.ForceComplete("", ""); err != nil {
		t.Fatal(err)
	}
	if err := p.Interrupt(""); !errors.Is(err, ErrAlreadyReported) {
		t.Fatalf("interrupting a complete plan = %v", err)
	}
	if err := p.Restart("", ""); err != nil {
		t.Fatal(err)
	}
	if got := statuses(p); got != "PENDING broker=PENDING [PENDING PENDING PENDING]" {
		t.Fatalf("after plan restart: %s", got)
	}
	if o := p.Overrides(); !o.IsZero() {
		t.Fatalf("restart must clear force-complete overrides: %+v", o)
	}
}

func TestRestartOfAPhaseReleasesTheCanary(t *testing.T) {
	p := deploy(t, `{"service":{"deploy_strategy":"serial-canary"}}`, nil)
	complete(t, p, "kafka-2") // done outside the canary order, e.g. by recovery
	if err := p.Restart(BrokerPhaseName, ""); err != nil {
		t.Fatal(err)
	}
	if got := candidatePods(p); !reflect.DeepEqual(got, []string{"kafka-0"}) {
		t.Fatalf("phase restart proceeds the phase like DC/OS (one canary step): %v", got)
	}
}

func TestStartAndStop(t *testing.T) {
	p := deploy(t, `{}`, nil)
	var bad *InvalidParameterError
	if err := p.Start(map[string]string{"9LIVES": "x", "ok_name": "y", "a-b": "z"}); !errors.As(err, &bad) ||
		err.Error() != "Couldn't parse parameters: 9LIVES, a-b: a parameter name must match [A-Za-z_][A-Za-z0-9_]*" {
		t.Fatalf("bad parameter names = %v", err)
	}
	if len(p.Parameters()) != 0 {
		t.Fatal("refused parameters must change nothing")
	}
	p.Stop()
	if got := statuses(p); got != "WAITING broker=PENDING [PENDING PENDING PENDING]" {
		t.Fatalf("after stop: %s", got)
	}
	if c := candidatePods(p); len(c) != 0 {
		t.Fatalf("a stopped plan has candidates %v", c)
	}
	if err := p.Start(map[string]string{"MODE": "fast"}); err != nil {
		t.Fatal(err)
	}
	if got := candidatePods(p); !reflect.DeepEqual(got, []string{"kafka-0"}) {
		t.Fatalf("after start: %v", got)
	}
	if got := p.Parameters(); got["MODE"] != "fast" {
		t.Fatalf("parameters = %v", got)
	}
	_ = p.ForceComplete("", "")
	if err := p.Start(nil); err != nil {
		t.Fatal(err)
	}
	if got := statuses(p); got != "PENDING broker=PENDING [PENDING PENDING PENDING]" {
		t.Fatalf("start of a complete plan restarts it: %s", got)
	}
}

func TestTaskUpdateTransitions(t *testing.T) {
	tests := []struct {
		state TaskState
		ready bool
		want  Status
	}{
		{TaskStaging, false, Starting},
		{TaskStarting, false, Starting},
		{TaskRunning, false, Started},
		{TaskRunning, true, Complete},
		{TaskFailed, false, Pending},
		{TaskError, false, Pending},
		{TaskFinished, false, Pending},
		{TaskKilled, false, Pending},
		{TaskKilling, false, Pending},
		{TaskLost, false, Pending},
		{TaskDropped, false, Pending},
		{TaskUnreachable, false, Pending},
		{TaskGone, false, Pending},
		{TaskGoneByOperator, false, Pending},
		{"lost", false, Pending},
		{TaskUnknown, false, Starting},
	}
	for _, tt := range tests {
		t.Run(string(tt.state), func(t *testing.T) {
			p := deploy(t, `{"brokers":{"count":1}}`, nil)
			p.Launched("kafka-0", "t0")
			p.TaskUpdate(TaskUpdate{TaskID: "t0", State: tt.state, Ready: tt.ready})
			if got := p.Info().Phases[0].Steps[0].Status; got != tt.want {
				t.Errorf("status = %s, want %s", got, tt.want)
			}
		})
	}
}

func TestUpdatesForOtherTasksAreIgnored(t *testing.T) {
	p := deploy(t, `{"brokers":{"count":1}}`, nil)
	if p.TaskUpdate(TaskUpdate{TaskID: "old-task", State: TaskRunning, Ready: true}) {
		t.Fatal("a status of a task the step did not launch changed the step")
	}
	p.Launched("kafka-0", "new-task")
	p.TaskUpdate(TaskUpdate{TaskID: "new-task", State: TaskFailed})
	if p.TaskUpdate(TaskUpdate{TaskID: "new-task", State: TaskRunning, Ready: true}) {
		t.Fatal("a failed task's later updates must be ignored once the step went back to PENDING")
	}
	if got := statuses(p); got != "PENDING broker=PENDING [PENDING]" {
		t.Fatalf("statuses = %s", got)
	}
}

func TestStepWithSeveralTasksCompletesWhenAllAreReady(t *testing.T) {
	p, err := New("custom", Serial, []PhaseSpec{{Name: "p", Strategy: Serial, Steps: []StepSpec{{Name: "s", Pod: "pod-0"}}}}, WithIDs(seqIDs()))
	if err != nil {
		t.Fatal(err)
	}
	p.Launched("pod-0", "a", "b")
	p.TaskUpdate(TaskUpdate{TaskID: "a", State: TaskRunning, Ready: true})
	if got := statuses(p); got != "STARTED p=STARTED [STARTED]" {
		t.Fatalf("one of two ready: %s", got)
	}
	p.TaskUpdate(TaskUpdate{TaskID: "b", State: TaskRunning, Ready: true})
	if !p.IsComplete() {
		t.Fatalf("both ready: %s", statuses(p))
	}
}

func TestDelayedAndPending(t *testing.T) {
	p := deploy(t, `{}`, nil)
	p.Launched("kafka-0", "t0")
	p.TaskUpdate(TaskUpdate{TaskID: "t0", State: TaskFailed})
	if !p.Delayed("kafka-0") {
		t.Fatal("Delayed did not apply")
	}
	if got := statuses(p); got != "DELAYED broker=DELAYED [DELAYED PENDING PENDING]" {
		t.Fatalf("statuses = %s", got)
	}
	if c := p.Candidates(nil); len(c) != 1 || c[0].Status != Delayed {
		t.Fatalf("a delayed step is still the serial candidate: %v", c)
	}
	if p.Info().HTTPStatus() != 202 {
		t.Fatal("a launch backoff must not look like an error to clients")
	}
	if !p.Pending("kafka-0") || p.Pending("kafka-0") {
		t.Fatal("Pending must apply once")
	}
}

func TestExplainAddsToTheMessage(t *testing.T) {
	p := deploy(t, `{}`, nil)
	if !p.Explain("kafka-0", "No offer fits: agent a1 offers 512 MB mem, 2048 MB needed.") {
		t.Fatal("Explain did not apply")
	}
	want := "DeploymentStep: 'kafka-0:[broker] [00000000-0000-4000-8000-000000000002]' has status: 'PENDING'. No offer fits: agent a1 offers 512 MB mem, 2048 MB needed."
	if got := p.Info().Phases[0].Steps[0].Message; got != want {
		t.Fatalf("message = %q", got)
	}
	p.Prepared("kafka-0")
	if got := p.Info().Phases[0].Steps[0].Message; strings.Contains(got, "No offer fits") {
		t.Fatalf("the detail must be cleared on a status change: %q", got)
	}
}

func TestErrorsMakeThePlanFail(t *testing.T) {
	p := deploy(t, `{}`, nil)
	p.SetErrors([]string{`brokers.count="2": cannot decrease (from 3 to 2): brokers can only be added`})
	info := p.Info()
	if info.Status != Error || info.HTTPStatus() != 417 {
		t.Fatalf("status %s / %d", info.Status, info.HTTPStatus())
	}
	p.SetErrors(nil)
	if p.Info().HTTPStatus() != 202 {
		t.Fatal("clearing errors must make the plan go on")
	}
	_ = p.ForceComplete("", "")
	if p.Info().HTTPStatus() != 200 {
		t.Fatal("a complete plan answers 200")
	}
}

func TestNewDeployInitialStatuses(t *testing.T) {
	s := testSpec(t, `{"brokers":{"count":7}}`)
	target := s.PodConfigHash()
	pods := map[int]PodState{
		0: {TaskID: "t0", ConfigHash: target, State: TaskRunning, Ready: true},
		1: {TaskID: "t1", ConfigHash: "older", State: TaskRunning, Ready: true},
		2: {TaskID: "t2", ConfigHash: target, State: TaskRunning},
		3: {TaskID: "t3", ConfigHash: target, State: TaskStaging},
		4: {TaskID: "t4", ConfigHash: target, State: TaskFailed},
		5: {TaskID: "t5", ConfigHash: "older", State: TaskLost, PermanentlyFailed: true},
		// 6: never launched
	}
	p, err := NewDeploy(s, pods, WithIDs(seqIDs()))
	if err != nil {
		t.Fatal(err)
	}
	if got := statuses(p); got != "IN_PROGRESS broker=IN_PROGRESS [COMPLETE PENDING STARTED STARTING PENDING COMPLETE PENDING]" {
		t.Fatalf("statuses = %s", got)
	}
	// The resumed launches still complete from their tasks' updates.
	p.TaskUpdate(TaskUpdate{TaskID: "t2", State: TaskRunning, Ready: true})
	if got := p.Info().Phases[0].Steps[2].Status; got != Complete {
		t.Fatalf("resumed STARTED step = %s", got)
	}
	if p.Key() != s.Hash() {
		t.Fatal("the deploy plan's key must be the spec hash")
	}
}

func TestNewValidatesItsInput(t *testing.T) {
	tests := []struct {
		name     string
		strategy Strategy
		phases   []PhaseSpec
		want     string
	}{
		{"canary plan strategy", SerialCanary, nil, `plan strategy "serial-canary" is not supported`},
		{"unknown phase strategy", Serial, []PhaseSpec{{Name: "p", Strategy: "random"}}, `phase "p": unsupported strategy "random"`},
		{"duplicate phase", Serial, []PhaseSpec{{Name: "p"}, {Name: "p"}}, `two phases are named "p"`},
		{"duplicate step", Serial, []PhaseSpec{{Name: "p", Steps: []StepSpec{{Name: "s"}, {Name: "s"}}}}, `two steps are named "s"`},
		{"starting without tasks", Serial, []PhaseSpec{{Name: "p", Steps: []StepSpec{{Name: "s", Status: Starting}}}}, "needs the ids of the tasks under way"},
		{"bad initial status", Serial, []PhaseSpec{{Name: "p", Steps: []StepSpec{{Name: "s", Status: Prepared}}}}, "cannot start as PREPARED"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := New("x", tt.strategy, tt.phases)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error = %v, want %q", err, tt.want)
			}
		})
	}
}

func TestBusyPodsAreSkipped(t *testing.T) {
	p := deploy(t, `{"service":{"deploy_strategy":"parallel"}}`, nil)
	got := p.Candidates(map[string]bool{"kafka-1": true})
	if len(got) != 2 || got[0].Pod != "kafka-0" || got[1].Pod != "kafka-2" {
		t.Fatalf("candidates = %+v", got)
	}
	if got[0].Step != "kafka-0:[broker]" || got[0].Phase != "broker" || got[0].PodIndex != 0 || got[0].Status != Pending {
		t.Fatalf("candidate = %+v", got[0])
	}
}

func TestVersionCountsChanges(t *testing.T) {
	p := deploy(t, `{}`, nil)
	v := p.Version()
	p.Info()
	p.Candidates(nil)
	if p.Version() != v {
		t.Fatal("reads must not change the version")
	}
	p.Prepared("kafka-0")
	if p.Version() == v {
		t.Fatal("a step change must bump the version")
	}
}

func TestPlanIsSafeForConcurrentUse(t *testing.T) {
	p := deploy(t, `{"service":{"deploy_strategy":"parallel"},"brokers":{"count":20}}`, nil)
	var wg sync.WaitGroup
	stop := make(chan struct{})
	for range 4 { // readers and operators
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				if _, err := json.Marshal(p.Info()); err != nil {
					t.Error(err)
					return
				}
				_ = p.Interrupt("")
				_ = p.Continue("")
				_ = p.Overrides()
			}
		}()
	}
	for i := range 20 { // the service goroutine
		pod := fmt.Sprintf("kafka-%d", i)
		p.Launched(pod, pod+"-t")
		p.TaskUpdate(TaskUpdate{TaskID: pod + "-t", State: TaskRunning, Ready: true})
	}
	close(stop)
	wg.Wait()
	if !p.IsComplete() {
		t.Fatalf("plan = %s", statuses(p))
	}
}

func BenchmarkInfo(b *testing.B) {
	p := deploy(b, `{"brokers":{"count":100}}`, nil)
	b.ReportAllocs()
	for b.Loop() {
		p.Info()
	}
	b.ReportMetric(100, "steps")
}

func BenchmarkCandidates(b *testing.B) {
	p := deploy(b, `{"service":{"deploy_strategy":"parallel"},"brokers":{"count":100}}`, nil)
	b.ReportAllocs()
	for b.Loop() {
		p.Candidates(nil)
	}
	b.ReportMetric(100, "steps")
}

func TestPlanContinueUndoesTheInterruptBeforeDrivingTheCanary(t *testing.T) {
	p := deploy(t, `{"service":{"deploy_strategy":"serial-canary"}}`, nil)
	if err := p.Interrupt(""); err != nil {
		t.Fatal(err)
	}
	if err := p.Continue(""); err != nil {
		t.Fatal(err)
	}
	if got := statuses(p); got != "WAITING broker=WAITING [WAITING WAITING PENDING]" {
		t.Fatalf("the first continue only undoes the interrupt: %s", got)
	}
	if err := p.Continue(""); err != nil {
		t.Fatal(err)
	}
	if got := candidatePods(p); !reflect.DeepEqual(got, []string{"kafka-0"}) {
		t.Fatalf("the second continue releases the first canary: %v", got)
	}
}
