package plan

import "fmt"

// RecoveryPlanName is the name of the recovery plan.
const RecoveryPlanName = "recovery"

// RecoveryKey is the key of every recovery plan (see WithKey): the plan is
// not built from a configuration, so its overrides always apply to the
// recovery plan rebuilt after a scheduler restart.
const RecoveryKey = "recovery"

// NewRecovery builds an empty recovery plan, as DC/OS starts it: parallel
// phases, one per broker that needs recovery, added by AddRecovery while
// the scheduler runs. An empty recovery plan is COMPLETE. Completed phases
// stay listed; a broker that fails again reuses its phase.
func NewRecovery(opts ...Option) *Plan {
	p, err := New(RecoveryPlanName, Parallel, nil, append([]Option{WithKey(RecoveryKey)}, opts...)...)
	if err != nil {
		panic(fmt.Sprintf("building the empty recovery plan: %v", err)) // a named plan without phases is always valid
	}
	return p
}

// AddRecovery makes sure the plan has a phase that recovers pod: a new
// phase named after the step (DC/OS: phase name = step name =
// "kafka-0:[broker]") with one serial step, PENDING; or, when the pod's
// phase exists and is complete (an earlier recovery, or an operator's
// forceComplete), that phase again, its step back to PENDING. It returns
// false when the pod's step is already under way (nothing changes).
func (p *Plan) AddRecovery(name, pod string, podIndex int, opts ...Option) bool {
	cfg := config{newID: newUUID}
	for _, o := range opts {
		o(&cfg)
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, ph := range p.phases {
		for _, st := range ph.steps {
			if st.pod != pod {
				continue
			}
			if st.status != Complete {
				return false
			}
			st.restart()
			st.detail = ""
			p.changed()
			return true
		}
	}
	st := &step{id: cfg.newID(), name: name, pod: pod, podIndex: podIndex, status: Pending, tasks: map[string]bool{}}
	p.phases = append(p.phases, &phase{id: cfg.newID(), name: name, strategy: Serial, steps: []*step{st}})
	p.changed()
	return true
}

// PodStatus is the status of the pod's step (the first one when several
// phases name the pod), and false when the plan has no step for the pod.
func (p *Plan) PodStatus(pod string) (Status, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, ph := range p.phases {
		for _, st := range ph.steps {
			if st.pod == pod {
				return st.status, true
			}
		}
	}
	return "", false
}

// Completed completes the pod's step without a task update: the service
// found that the broker needs no recovery any more (it came back by
// itself, or the deploy plan took it over). detail says why.
func (p *Plan) Completed(pod, detail string) bool {
	changed := p.onStep(pod, func(st *step) bool {
		st.status = Complete
		st.tasks = map[string]bool{}
		st.awaitISR = false
		return true
	})
	if changed {
		p.mu.Lock()
		for _, ph := range p.phases {
			for _, st := range ph.steps {
				if st.pod == pod && st.status == Complete && !st.forced {
					st.detail = detail
				}
			}
		}
		p.changed()
		p.mu.Unlock()
	}
	return changed
}

// Track makes the pod's step follow a task it did not launch (a task that
// was already under way when the plan was built, such as a relaunch the
// scheduler sent before it restarted): PENDING → STARTING with the task.
func (p *Plan) Track(pod, taskID string) bool {
	return p.Launched(pod, taskID)
}
