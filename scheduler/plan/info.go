package plan

import (
	"fmt"
	"net/http"
)

// Info is a snapshot of a plan in the JSON shape of the DC/OS plans API
// (`GET /v1/plans/{plan}`, dcos-commons PlanInfo):
//
//	{"phases":[{"id":…,"name":"broker","steps":[{"id":…,"status":…,"name":"kafka-0:[broker]","message":…}],
//	  "strategy":"serial","status":…}],"errors":[],"strategy":"serial","status":…}
type Info struct {
	// Name is the plan's name; it is not part of the DC/OS body.
	Name     string      `json:"-"`
	Phases   []PhaseInfo `json:"phases"`
	Errors   []string    `json:"errors"`
	Strategy Strategy    `json:"strategy"`
	Status   Status      `json:"status"`
}

// PhaseInfo is one phase of an Info.
type PhaseInfo struct {
	ID       string     `json:"id"`
	Name     string     `json:"name"`
	Steps    []StepInfo `json:"steps"`
	Strategy Strategy   `json:"strategy"`
	Status   Status     `json:"status"`
}

// StepInfo is one step of a PhaseInfo.
type StepInfo struct {
	ID      string `json:"id"`
	Status  Status `json:"status"`
	Name    string `json:"name"`
	Message string `json:"message"`
	// Pod and PodIndex say which pod instance the step launches; they are
	// not part of the DC/OS body.
	Pod      string `json:"-"`
	PodIndex int    `json:"-"`
	// Action is what the step does in a rolling update (StepSpec.Action);
	// not part of the DC/OS body.
	Action string `json:"-"`
}

// HTTPStatus is the status code the DC/OS plans API answers with for this
// plan: 417 when it has errors, 200 when complete, 202 otherwise.
func (i Info) HTTPStatus() int {
	switch i.Status {
	case Error:
		return http.StatusExpectationFailed
	case Complete:
		return http.StatusOK
	default:
		return http.StatusAccepted
	}
}

// Info returns a snapshot of the plan. The plan status is computed in the
// same locked pass as the phases, so the snapshot is always consistent.
func (p *Plan) Info() Info {
	p.mu.Lock()
	defer p.mu.Unlock()
	info := Info{
		Name:     p.name,
		Phases:   make([]PhaseInfo, 0, len(p.phases)),
		Errors:   append([]string{}, p.errors...),
		Strategy: p.strategy,
		Status:   p.status(),
	}
	for _, ph := range p.phases {
		pi := PhaseInfo{ID: ph.id, Name: ph.name, Steps: make([]StepInfo, 0, len(ph.steps)), Strategy: ph.strategy, Status: ph.status()}
		for _, st := range ph.steps {
			pi.Steps = append(pi.Steps, StepInfo{
				ID: st.id, Status: st.displayStatus(), Name: st.name, Message: st.message(),
				Pod: st.pod, PodIndex: st.podIndex, Action: st.action,
			})
		}
		info.Phases = append(info.Phases, pi)
	}
	return info
}

// message mirrors the DC/OS step message, followed by the detail the service
// layer gave (for example why no offer fits).
func (st *step) message() string {
	m := fmt.Sprintf("DeploymentStep: '%s [%s]' has status: '%s'.", st.name, st.id, st.displayStatus())
	if st.forced && st.status == Complete {
		m += " Completed by an operator (forceComplete)."
	}
	if st.detail != "" {
		m += " " + st.detail
	}
	return m
}
