package plan

import (
	"errors"
	"fmt"
	"sort"
)

// Overrides are the operator decisions a plan must keep across a scheduler
// restart, when the plan is rebuilt from the target configuration and the
// tasks' state: interrupts, canary progress, force-completed steps and the
// start parameters. The value is small and JSON-serialisable; the service
// layer stores it next to the plan's key and calls Apply on the rebuilt
// plan. Phases and steps are referred to by name, because their UUIDs are
// new each time a plan is built.
type Overrides struct {
	// Key is the Key of the plan the overrides were taken from.
	Key         string            `json:"key,omitempty"`
	Interrupted bool              `json:"interrupted,omitempty"`
	Parameters  map[string]string `json:"parameters,omitempty"`
	Phases      []PhaseOverrides  `json:"phases,omitempty"`
}

// PhaseOverrides are the overrides of one phase.
type PhaseOverrides struct {
	Name        string `json:"name"`
	Interrupted bool   `json:"interrupted,omitempty"`
	// Canary lists, for a canary phase, the steps the canary held when the
	// plan was built; CanaryHeld those of them still waiting for continue.
	// A canary phase always lists Canary (possibly empty).
	Canary         []string `json:"canary,omitempty"`
	CanaryHeld     []string `json:"canary_held,omitempty"`
	ForceCompleted []string `json:"force_completed,omitempty"`
}

// ErrOverridesKey is returned by Apply for overrides taken from a plan with
// another key (another target configuration); they no longer apply.
var ErrOverridesKey = errors.New("overrides belong to a plan with another key")

// Overrides exports the plan's current overrides.
func (p *Plan) Overrides() Overrides {
	p.mu.Lock()
	defer p.mu.Unlock()
	o := Overrides{Key: p.key, Interrupted: p.interrupted}
	if len(p.params) > 0 {
		o.Parameters = make(map[string]string, len(p.params))
		for k, v := range p.params {
			o.Parameters[k] = v
		}
	}
	for _, ph := range p.phases {
		po := PhaseOverrides{Name: ph.name, Interrupted: ph.interrupted}
		for _, st := range ph.canary {
			po.Canary = append(po.Canary, st.name)
			if st.interrupted {
				po.CanaryHeld = append(po.CanaryHeld, st.name)
			}
		}
		for _, st := range ph.steps {
			if st.forced {
				po.ForceCompleted = append(po.ForceCompleted, st.name)
			}
		}
		if po.Interrupted || ph.canary != nil || len(po.ForceCompleted) > 0 {
			o.Phases = append(o.Phases, po)
		}
	}
	return o
}

// IsZero reports whether the overrides hold no operator decision at all.
func (o Overrides) IsZero() bool {
	if o.Interrupted || len(o.Parameters) > 0 {
		return false
	}
	for _, ph := range o.Phases {
		if ph.Interrupted || len(ph.CanaryHeld) > 0 || len(ph.ForceCompleted) > 0 {
			return false
		}
		if len(ph.Canary) > 0 {
			return false
		}
	}
	return true
}

// Apply restores overrides exported from an earlier plan with the same key.
// Names that no longer exist are reported in the error (the rest is still
// applied). It returns ErrOverridesKey, and changes nothing, when the keys
// differ.
func (p *Plan) Apply(o Overrides) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if o.Key != p.key {
		return fmt.Errorf("applying overrides of plan %q to plan %q: %w", o.Key, p.key, ErrOverridesKey)
	}
	p.interrupted = o.Interrupted
	for k, v := range o.Parameters {
		p.params[k] = v
	}
	var missing []string
	for _, po := range o.Phases {
		ph := p.phaseNamed(po.Name)
		if ph == nil {
			missing = append(missing, "phase "+po.Name)
			continue
		}
		ph.interrupted = po.Interrupted
		if ph.strategy.IsCanary() {
			missing = append(missing, ph.restoreCanary(po)...)
		}
		for _, name := range po.ForceCompleted {
			st := ph.stepNamed(name)
			if st == nil {
				missing = append(missing, fmt.Sprintf("step %s/%s", po.Name, name))
				continue
			}
			st.forced = true
			st.status = Complete
			st.tasks = map[string]bool{}
		}
	}
	p.changed()
	if len(missing) > 0 {
		sort.Strings(missing)
		return fmt.Errorf("applying overrides to plan %q: not found: %v", p.name, missing)
	}
	return nil
}

// restoreCanary replaces the canary the phase computed when it was built
// with the one recorded in the overrides.
func (ph *phase) restoreCanary(po PhaseOverrides) []string {
	var missing []string
	held := map[string]bool{}
	for _, name := range po.CanaryHeld {
		held[name] = true
	}
	for _, st := range ph.steps {
		st.interrupted = false
	}
	ph.canary = []*step{}
	for _, name := range po.Canary {
		st := ph.stepNamed(name)
		if st == nil {
			missing = append(missing, fmt.Sprintf("step %s/%s", ph.name, name))
			continue
		}
		st.interrupted = held[name]
		ph.canary = append(ph.canary, st)
	}
	return missing
}

func (p *Plan) phaseNamed(name string) *phase {
	for _, ph := range p.phases {
		if ph.name == name {
			return ph
		}
	}
	return nil
}

func (ph *phase) stepNamed(name string) *step {
	for _, st := range ph.steps {
		if st.name == name {
			return st
		}
	}
	return nil
}
