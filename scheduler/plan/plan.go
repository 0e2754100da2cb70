// Package plan owns the plan model of the scheduler: a Plan is a list of
// Phases, a Phase a list of Steps, and each Step launches one pod instance
// (for Kafka, one broker). It implements the DC/OS statuses and the rules
// that aggregate them, the strategies serial, parallel, serial-canary and
// parallel-canary, the operator commands continue, interrupt, forceComplete,
// restart, start and stop, and the JSON shape of the DC/OS plans API.
//
// Besides the deploy plan (NewDeploy, WithRollout for updates) there is the
// recovery plan (NewRecovery): parallel, empty until a deployed broker
// needs recovery, then one phase per broker (AddRecovery), reused when the
// broker fails again.
//
// The package does no I/O. Step progress is driven from outside: the service
// layer asks for Candidates, works on them (offers, launches) and reports
// what happened through Prepared, Launched, TaskUpdate and friends.
//
// Operator overrides that must survive a scheduler restart (interrupted plan
// or phases, canary progress, force-completed steps) are exported by
// Overrides and restored by Apply; persisting them is the caller's job.
//
// Concurrency: every method of *Plan takes the plan's lock, so one goroutine
// may drive the plan while others read it (Info, Status) or send operator
// commands. Values returned by Info and Candidates are copies.
package plan

import (
	"crypto/rand"
	"errors"
	"fmt"
	"regexp"
	"sync"
)

// Plan is a named, ordered set of phases. Create one with New or NewDeploy.
type Plan struct {
	mu sync.Mutex

	name        string
	key         string
	strategy    Strategy
	interrupted bool
	phases      []*phase
	errors      []string
	params      map[string]string
	version     uint64
}

type phase struct {
	id          string
	name        string
	strategy    Strategy
	interrupted bool    // the underlying strategy is interrupted by an operator
	canary      []*step // the steps a canary strategy holds; nil otherwise
	steps       []*step
}

type step struct {
	id          string
	name        string
	pod         string
	podIndex    int
	action      string // what the step does to its pod in a rollout; "" in a plain deploy
	awaitISR    bool   // a restart step whose tasks are ready: it completes on Rejoined
	status      Status // PENDING, PREPARED, STARTING, STARTED, COMPLETE, DELAYED or ERROR
	interrupted bool   // held by a canary until an operator continues
	forced      bool   // force-completed by an operator
	tasks       map[string]bool
	detail      string
}

// StepSpec describes one step of a new plan.
type StepSpec struct {
	// Name is shown in the API, e.g. "kafka-0:[broker]".
	Name string
	// Pod is the pod instance the step launches, e.g. "kafka-0".
	Pod string
	// PodIndex is the pod instance index (the Kafka broker id).
	PodIndex int
	// Status is the initial status: PENDING (the zero value means PENDING),
	// STARTING or STARTED (a launch already under way, TaskIDs say which
	// tasks), or COMPLETE.
	Status Status
	// TaskIDs are the tasks already launched for a STARTING or STARTED step.
	TaskIDs []string
	// Action is what the step does in a rolling update ("restart",
	// "launch", "reconfigure"; see WithRollout); "" in a plain deploy.
	Action string
	// AwaitISR starts a STARTED restart step whose tasks already passed
	// their readiness check: it completes on Rejoined.
	AwaitISR bool
}

// PhaseSpec describes one phase of a new plan.
type PhaseSpec struct {
	Name     string
	Strategy Strategy
	Steps    []StepSpec
}

// Option adjusts a new plan.
type Option func(*config)

type config struct {
	newID   func() string
	key     string
	rollout *rolloutConfig
}

// WithIDs replaces the random UUIDs of phases and steps (used by tests for
// stable output).
func WithIDs(newID func() string) Option { return func(c *config) { c.newID = newID } }

// WithKey names what the plan was built for (for example the target
// configuration id). Overrides carry the key, and Apply refuses overrides
// taken from a plan with another key.
func WithKey(key string) Option { return func(c *config) { c.key = key } }

// New builds a plan. The plan strategy orders phases and must be Serial or
// Parallel; each phase may use any of the four strategies.
func New(name string, strategy Strategy, phases []PhaseSpec, opts ...Option) (*Plan, error) {
	cfg := config{newID: newUUID}
	for _, o := range opts {
		o(&cfg)
	}
	if name == "" {
		return nil, errors.New("building plan: a plan needs a name")
	}
	if strategy == "" {
		strategy = Serial
	}
	if strategy != Serial && strategy != Parallel {
		return nil, fmt.Errorf("building plan %q: plan strategy %q is not supported: use serial or parallel", name, strategy)
	}
	p := &Plan{name: name, key: cfg.key, strategy: strategy, params: map[string]string{}}
	seenPhase := map[string]bool{}
	for _, ps := range phases {
		ph, err := newPhase(ps, cfg.newID)
		if err != nil {
			return nil, fmt.Errorf("building plan %q: %w", name, err)
		}
		if seenPhase[ps.Name] {
			return nil, fmt.Errorf("building plan %q: two phases are named %q", name, ps.Name)
		}
		seenPhase[ps.Name] = true
		p.phases = append(p.phases, ph)
	}
	return p, nil
}

func newPhase(ps PhaseSpec, newID func() string) (*phase, error) {
	if ps.Name == "" {
		return nil, errors.New("a phase needs a name")
	}
	strategy, err := ParseStrategy(string(ps.Strategy))
	if err != nil {
		return nil, fmt.Errorf("phase %q: %w", ps.Name, err)
	}
	ph := &phase{id: newID(), name: ps.Name, strategy: strategy}
	seen := map[string]bool{}
	for _, ss := range ps.Steps {
		st, err := newStep(ss, newID)
		if err != nil {
			return nil, fmt.Errorf("phase %q: %w", ps.Name, err)
		}
		if seen[ss.Name] {
			return nil, fmt.Errorf("phase %q: two steps are named %q", ps.Name, ss.Name)
		}
		seen[ss.Name] = true
		ph.steps = append(ph.steps, st)
	}
	if strategy.IsCanary() {
		ph.holdCanarySteps()
	}
	return ph, nil
}

func newStep(ss StepSpec, newID func() string) (*step, error) {
	if ss.Name == "" {
		return nil, errors.New("a step needs a name")
	}
	st := &step{id: newID(), name: ss.Name, pod: ss.Pod, podIndex: ss.PodIndex, action: ss.Action, status: ss.Status, tasks: map[string]bool{}}
	if ss.AwaitISR {
		if ss.Status != Started || ss.Action != ActionRestart {
			return nil, fmt.Errorf("step %q: only a STARTED restart step can wait for the ISR", ss.Name)
		}
		st.awaitISR = true
	}
	switch ss.Status {
	case "":
		st.status = Pending
	case Pending, Complete:
	case Starting, Started:
		if len(ss.TaskIDs) == 0 {
			return nil, fmt.Errorf("step %q: status %s needs the ids of the tasks under way", ss.Name, ss.Status)
		}
		for _, id := range ss.TaskIDs {
			st.tasks[id] = false
		}
	default:
		return nil, fmt.Errorf("step %q: a new step cannot start as %s: use PENDING, STARTING, STARTED or COMPLETE", ss.Name, ss.Status)
	}
	return st, nil
}

// holdCanarySteps interrupts the first pending steps, as DC/OS CanaryStrategy
// does when it is created.
func (ph *phase) holdCanarySteps() {
	ph.canary = []*step{}
	for _, st := range ph.steps {
		if len(ph.canary) == canaryProceeds {
			break
		}
		if st.status == Pending || st.interrupted {
			st.interrupted = true
			ph.canary = append(ph.canary, st)
		}
	}
}

// Name is the plan's name, e.g. "deploy".
func (p *Plan) Name() string { return p.name }

// Key is what the plan was built for (see WithKey).
func (p *Plan) Key() string { return p.key }

// Version increases every time anything in the plan changes (status,
// overrides, errors); a caller can compare versions to notice changes.
func (p *Plan) Version() uint64 {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.version
}

func (p *Plan) changed() { p.version++ }

// SetErrors replaces the plan's errors. A plan with errors has status ERROR
// (HTTP 417 from the plans API); nil clears them.
func (p *Plan) SetErrors(errs []string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.errors = append([]string(nil), errs...)
	p.changed()
}

// Parameters returns the parameters given to the last start command.
func (p *Plan) Parameters() map[string]string {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := make(map[string]string, len(p.params))
	for k, v := range p.params {
		out[k] = v
	}
	return out
}

// newUUID returns a random (version 4) UUID.
func newUUID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

// uuidPattern is the textual form of a UUID, as plan, phase, step and
// configuration ids are.
var uuidPattern = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)

// IsUUID reports whether s is the textual form of a UUID.
func IsUUID(s string) bool { return uuidPattern.MatchString(s) }

// --- status computation (callers hold p.mu) ---

// displayStatus is what a step shows: an interrupted (canary-held) step that
// has not started yet shows WAITING.
func (st *step) displayStatus() Status {
	if st.interrupted && (st.status == Pending || st.status == Prepared) {
		return Waiting
	}
	return st.status
}

func (st *step) eligible(busy map[string]bool) bool {
	return st.status != Complete && st.status != Error && !st.interrupted && !busy[st.pod]
}

// nextCanary is the first canary step still held, or nil once every canary
// step was released by a continue.
func (ph *phase) nextCanary() *step {
	for _, st := range ph.canary {
		if st.interrupted {
			return st
		}
	}
	return nil
}

// isInterrupted follows CanaryStrategy.isInterrupted: a canary phase is
// interrupted while a step is held and no released canary step is still to do.
func (ph *phase) isInterrupted() bool {
	if ph.nextCanary() != nil {
		for _, st := range ph.canary {
			if !st.interrupted && st.status != Complete {
				return false
			}
		}
		return true
	}
	return ph.interrupted
}

// candidates are the steps the phase strategy offers for work, DC/OS style:
// an interrupted phase offers none; a canary phase still in canary offers
// only its released canary steps.
func (ph *phase) candidates(busy map[string]bool) []*step {
	if ph.nextCanary() != nil {
		var out []*step
		for _, st := range ph.canary {
			if st.eligible(busy) {
				out = append(out, st)
			}
		}
		return out
	}
	if ph.interrupted {
		return nil
	}
	idx := ph.strategy.pick(len(ph.steps),
		func(i int) bool { return ph.steps[i].status == Complete },
		func(i int) bool { return ph.steps[i].eligible(busy) })
	out := make([]*step, 0, len(idx))
	for _, i := range idx {
		out = append(out, ph.steps[i])
	}
	return out
}

func (ph *phase) status() Status {
	children := make([]Status, 0, len(ph.steps))
	for _, st := range ph.steps {
		children = append(children, st.displayStatus())
	}
	var cands []Status
	for _, st := range ph.candidates(nil) {
		cands = append(cands, st.displayStatus())
	}
	return aggregate(children, cands, false, ph.isInterrupted())
}

func (ph *phase) eligible() bool {
	s := ph.status()
	return s != Complete && s != Error && !ph.isInterrupted()
}

// phaseCandidates are the phases the plan strategy offers for work.
func (p *Plan) phaseCandidates() []*phase {
	if p.interrupted {
		return nil
	}
	idx := p.strategy.pick(len(p.phases),
		func(i int) bool { return p.phases[i].status() == Complete },
		func(i int) bool { return p.phases[i].eligible() })
	out := make([]*phase, 0, len(idx))
	for _, i := range idx {
		out = append(out, p.phases[i])
	}
	return out
}

func (p *Plan) status() Status {
	children := make([]Status, 0, len(p.phases))
	for _, ph := range p.phases {
		children = append(children, ph.status())
	}
	var cands []Status
	for _, ph := range p.phaseCandidates() {
		cands = append(cands, ph.status())
	}
	return aggregate(children, cands, len(p.errors) > 0, p.interrupted)
}

// Status is the plan's aggregate status.
func (p *Plan) Status() Status {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.status()
}

// IsComplete reports whether every step is complete and there are no errors.
func (p *Plan) IsComplete() bool { return p.Status() == Complete }

// Candidate is a step the service layer may work on now.
type Candidate struct {
	Phase    string
	Step     string
	StepID   string
	Pod      string
	PodIndex int
	// Action is the step's StepSpec.Action: "restart" (stop the broker
	// through the restart gate, relaunch it, wait for the ISR),
	// "launch", "reconfigure" (apply the cluster-wide properties in
	// place; Pod is ""), or "" in a plain deploy.
	Action string
	// Status is the step's own status: PENDING (find an offer and launch),
	// PREPARED, STARTING or STARTED (a launch is under way; keep driving
	// it), or DELAYED (a backoff is active; call Pending when it ends).
	Status Status
}

// Candidates lists the steps to work on now, in plan order. busy names pods
// another plan is working on (they are skipped); nil means none.
//
// Steps whose launch is already under way (PREPARED, STARTING, STARTED) are
// always listed, even when the plan or their phase is interrupted: an
// interrupt stops new steps from starting, it does not strand a broker that
// was already killed for relaunch. (DC/OS lists nothing once interrupted.)
func (p *Plan) Candidates(busy map[string]bool) []Candidate {
	p.mu.Lock()
	defer p.mu.Unlock()
	chosen := map[*step]bool{}
	for _, ph := range p.phases {
		for _, st := range ph.steps {
			if st.status.inFlight() && !busy[st.pod] {
				chosen[st] = true
			}
		}
	}
	for _, ph := range p.phaseCandidates() {
		for _, st := range ph.candidates(busy) {
			chosen[st] = true
		}
	}
	var out []Candidate
	for _, ph := range p.phases {
		for _, st := range ph.steps {
			if chosen[st] {
				out = append(out, Candidate{Phase: ph.name, Step: st.name, StepID: st.id, Pod: st.pod, PodIndex: st.podIndex, Action: st.action, Status: st.status})
			}
		}
	}
	return out
}
