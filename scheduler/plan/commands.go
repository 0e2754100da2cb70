package plan

import (
	"errors"
	"fmt"
	"regexp"
	"sort"
	"strings"
)

// ErrAlreadyReported is returned by a command that would change nothing (the
// element is already interrupted, running, complete or pending). The plans
// API answers 208 "Command has already been reported or completed".
var ErrAlreadyReported = errors.New("command has already been reported or completed")

// ErrMissingPhase is returned when a step is named without its phase
// (the plans API answers 400 "Missing phase").
var ErrMissingPhase = errors.New("missing phase")

// NotFoundError says which phase or step does not exist (404 "<Kind> <Name>
// not found") and, when the lookup knew them, the ones that do.
type NotFoundError struct {
	Kind string // "Phase" or "Step"
	Name string
	// In is where Name was looked for ("phase broker"); "" for a phase.
	In string
	// Known are the names that exist there (the plan's phases, or the
	// phase's steps), in plan order; nil when not known.
	Known []string
}

// maxKnownNames bounds how many existing names a NotFoundError lists.
const maxKnownNames = 20

// maxShownName bounds how much of the name asked for is repeated.
const maxShownName = 100

func (e *NotFoundError) Error() string {
	name := e.Name
	if len(name) > maxShownName {
		name = name[:maxShownName] + "…"
	}
	msg := fmt.Sprintf("%s %s not found", e.Kind, name)
	if e.In != "" {
		msg += " in " + e.In
	}
	if e.Known == nil {
		return msg
	}
	what := "the plan's phases"
	if e.Kind == "Step" {
		what = "its steps"
	}
	if len(e.Known) == 0 {
		return msg + "; " + what + ": none"
	}
	shown := e.Known
	more := ""
	if len(shown) > maxKnownNames {
		shown = shown[:maxKnownNames]
		more = fmt.Sprintf(" and %d more", len(e.Known)-maxKnownNames)
	}
	return fmt.Sprintf("%s; %s are: %s%s (names or ids)", msg, what, strings.Join(shown, ", "), more)
}

// ErrWholePlanOnly refuses a phase or step given to a command that always
// acts on the whole plan (start and stop, as in DC/OS). The plans API
// answers 400.
var ErrWholePlanOnly = errors.New("acts on the whole plan and takes no phase or step")

// InvalidParameterError rejects start parameters whose names are not
// environment variable names (400 "Couldn't parse parameters: …").
type InvalidParameterError struct{ Names []string }

func (e *InvalidParameterError) Error() string {
	return fmt.Sprintf("Couldn't parse parameters: %s: a parameter name must match [A-Za-z_][A-Za-z0-9_]*",
		strings.Join(e.Names, ", "))
}

var envName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// Continue resumes the plan, or only the named phases (phase is a name or a
// UUID; "" means the whole plan). On a canary phase each continue releases
// the next held step; once both are released the phase follows its
// underlying strategy. A plan-wide continue clears the plan interrupt if
// there is one; otherwise it continues every phase, so a single-phase
// deploy plan can be driven through its canary without naming the phase (as
// in the DC/OS docs, where `plan continue` releases the first canary step).
// It returns ErrAlreadyReported when nothing changed (in particular on a
// complete plan or phase).
func (p *Plan) Continue(phaseID string) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	phases := p.phases
	if phaseID != "" {
		var err error
		if phases, err = p.findPhases(phaseID); err != nil {
			return err
		}
	}
	if phaseID == "" && p.interrupted {
		// Undo the plan interrupt only; a further continue drives canaries.
		p.interrupted = false
		p.changed()
		return nil
	}
	changed := false
	for _, ph := range phases {
		if ph.status() != Complete {
			changed = ph.proceed() || changed
		}
	}
	return p.result(changed)
}

// Interrupt pauses the plan, or only the named phases: steps already under
// way finish, no new step starts. A canary phase still waiting for its
// continues ignores an interrupt (it is already held).
// It returns ErrAlreadyReported when nothing changed.
func (p *Plan) Interrupt(phaseID string) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if phaseID == "" {
		if p.interrupted || p.status() == Complete {
			return ErrAlreadyReported
		}
		p.interrupted = true
		p.changed()
		return nil
	}
	phases, err := p.findPhases(phaseID)
	if err != nil {
		return err
	}
	changed := false
	for _, ph := range phases {
		if ph.interrupted || ph.nextCanary() != nil || ph.status() == Complete {
			continue
		}
		ph.interrupted = true
		changed = true
	}
	return p.result(changed)
}

// ForceComplete marks the plan, a phase or a step COMPLETE without waiting
// for it (the escape hatch for a step that cannot finish, such as a broker
// on an agent that is gone). phase and step are names or UUIDs; both empty
// means the whole plan. Force-completed steps are part of Overrides.
func (p *Plan) ForceComplete(phaseID, stepID string) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	steps, display, err := p.element(phaseID, stepID)
	if err != nil {
		return err
	}
	if display == Complete {
		return ErrAlreadyReported
	}
	for _, st := range steps {
		if st.status != Complete {
			st.status = Complete
			st.forced = true
			st.tasks = map[string]bool{}
			st.detail = ""
		}
	}
	p.changed()
	return nil
}

// Restart sends the plan, a phase or a step back to PENDING so that it runs
// again, and lets the element proceed (clearing an interrupt; on a canary
// phase this releases the next held step). For a step that is running, the
// service layer sees it PENDING again and must relaunch its pod: kill the
// running task, then launch anew; the step of a broker that ran becomes a
// restart step (it completes once the broker is back in the ISR). It
// returns ErrAlreadyReported when the element is already pending.
func (p *Plan) Restart(phaseID, stepID string) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	steps, display, err := p.element(phaseID, stepID)
	if err != nil {
		return err
	}
	if display == Pending {
		return ErrAlreadyReported
	}
	switch {
	case phaseID == "":
		p.interrupted = false
	case stepID == "":
		phases, _ := p.findPhases(phaseID)
		phases[0].proceed()
	default:
		steps[0].interrupted = false
	}
	for _, st := range steps {
		if st.status != Pending && st.pod != "" && st.action != ActionReconfigure && p.name != RecoveryPlanName {
			// A broker that ran is restarted: like an update's
			// restart, its step completes only once the broker is
			// back in the ISR. (A recovery step completes once the
			// broker is running and ready, as a deploy step does.)
			st.action = ActionRestart
		}
		st.restart()
	}
	p.changed()
	return nil
}

// Start sets the plan's parameters, restarts the plan if it is complete and
// lets it proceed. It is idempotent.
func (p *Plan) Start(params map[string]string) error {
	var bad []string
	for k := range params {
		if !envName.MatchString(k) {
			bad = append(bad, k)
		}
	}
	if len(bad) > 0 {
		sort.Strings(bad)
		return &InvalidParameterError{Names: bad}
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	for k, v := range params {
		p.params[k] = v
	}
	if p.status() == Complete {
		for _, ph := range p.phases {
			for _, st := range ph.steps {
				st.restart()
			}
		}
	}
	p.interrupted = false
	p.changed()
	return nil
}

// Stop interrupts the plan and sends every step back to PENDING. It is
// idempotent.
func (p *Plan) Stop() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.interrupted = true
	for _, ph := range p.phases {
		for _, st := range ph.steps {
			st.restart()
		}
	}
	p.changed()
}

// proceed is the phase strategy's proceed: release the next canary step, or
// clear the operator interrupt. It reports whether anything changed.
func (ph *phase) proceed() bool {
	if next := ph.nextCanary(); next != nil {
		next.interrupted = false
		return true
	}
	if ph.interrupted {
		ph.interrupted = false
		return true
	}
	return false
}

func (st *step) restart() {
	st.status = Pending
	st.awaitISR = false
	st.forced = false
	st.tasks = map[string]bool{}
	st.detail = ""
}

func (p *Plan) result(changed bool) error {
	if !changed {
		return ErrAlreadyReported
	}
	p.changed()
	return nil
}

// Target checks the phase and step a command names before anything acts on
// them: nil when both are empty (the whole plan) or both exist,
// ErrMissingPhase for a step without its phase, and a *NotFoundError
// listing the phases (or the phase's steps) that exist otherwise. phase and
// step are names or UUIDs, as for the commands.
func (p *Plan) Target(phaseID, stepID string) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if phaseID == "" && stepID == "" {
		return nil
	}
	_, _, err := p.element(phaseID, stepID)
	return err
}

// Target is Plan.Target on a snapshot, for a caller that holds only the
// plan's Info (the REST API checks a command's query against it before
// passing the command on).
func (i Info) Target(phaseID, stepID string) error {
	if phaseID == "" && stepID == "" {
		return nil
	}
	if phaseID == "" {
		return ErrMissingPhase
	}
	var ph *PhaseInfo
	byID := uuidPattern.MatchString(phaseID)
	for k := range i.Phases {
		if (byID && strings.EqualFold(i.Phases[k].ID, phaseID)) || (!byID && i.Phases[k].Name == phaseID) {
			ph = &i.Phases[k]
			break
		}
	}
	if ph == nil {
		known := make([]string, len(i.Phases))
		for k, p := range i.Phases {
			known[k] = p.Name
		}
		return &NotFoundError{Kind: "Phase", Name: phaseID, Known: known}
	}
	if stepID == "" {
		return nil
	}
	byID = uuidPattern.MatchString(stepID)
	found := 0
	known := make([]string, len(ph.Steps))
	for k, st := range ph.Steps {
		known[k] = st.Name
		if (byID && strings.EqualFold(st.ID, stepID)) || (!byID && st.Name == stepID) {
			found++
		}
	}
	if found != 1 {
		return &NotFoundError{Kind: "Step", Name: stepID, In: "phase " + ph.Name, Known: known}
	}
	return nil
}

// element resolves plan / phase / step identifiers to the steps they cover
// and the element's display status.
func (p *Plan) element(phaseID, stepID string) ([]*step, Status, error) {
	if phaseID == "" && stepID == "" {
		var all []*step
		for _, ph := range p.phases {
			all = append(all, ph.steps...)
		}
		return all, p.status(), nil
	}
	if phaseID == "" {
		return nil, "", ErrMissingPhase
	}
	phases, err := p.findPhases(phaseID)
	if err != nil {
		return nil, "", err
	}
	ph := phases[0]
	if stepID == "" {
		return ph.steps, ph.status(), nil
	}
	var found []*step
	byID := uuidPattern.MatchString(stepID)
	for _, st := range ph.steps {
		if (byID && strings.EqualFold(st.id, stepID)) || (!byID && st.name == stepID) {
			found = append(found, st)
		}
	}
	if len(found) != 1 {
		return nil, "", &NotFoundError{Kind: "Step", Name: stepID, In: "phase " + ph.name, Known: stepNames(ph.steps)}
	}
	return found, found[0].displayStatus(), nil
}

// findPhases matches a UUID against phase ids, anything else against names.
func (p *Plan) findPhases(phaseID string) ([]*phase, error) {
	byID := uuidPattern.MatchString(phaseID)
	var out []*phase
	for _, ph := range p.phases {
		if (byID && strings.EqualFold(ph.id, phaseID)) || (!byID && ph.name == phaseID) {
			out = append(out, ph)
		}
	}
	if len(out) == 0 {
		return nil, &NotFoundError{Kind: "Phase", Name: phaseID, Known: phaseNames(p.phases)}
	}
	return out, nil
}

func phaseNames(phases []*phase) []string {
	names := make([]string, len(phases))
	for i, ph := range phases {
		names[i] = ph.name
	}
	return names
}

func stepNames(steps []*step) []string {
	names := make([]string, len(steps))
	for i, st := range steps {
		names[i] = st.name
	}
	return names
}
