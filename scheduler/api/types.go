package api

import (
	"encoding/json"
	"time"
)

// ServiceSummary is one installed service in GET /v1/services.
type ServiceSummary struct {
	Name string `json:"name"`
}

// PutResult answers PUT /v1/services/{name}.
type PutResult struct {
	Name string `json:"name"`
	// ConfigID is the id of the target configuration after the call.
	ConfigID string `json:"config_id"`
	// Created is true when the call installed the service (201).
	Created bool `json:"created"`
	// Changed is false when the options equal the current target (the
	// call was a no-op and started nothing).
	Changed bool `json:"changed"`
}

// ServiceDetail answers GET /v1/services/{name}.
type ServiceDetail struct {
	Name         string `json:"name"`
	ConfigID     string `json:"config_id"`
	FrameworkID  string `json:"framework_id,omitempty"`
	Uninstalling bool   `json:"uninstalling"`
	// Status is the deploy plan's status (the uninstall plan's while
	// uninstalling).
	Status Status `json:"status"`
	// Options are the target options with every default filled in, in
	// the DC/OS service/brokers/kafka shape.
	Options json.RawMessage `json:"options"`
	Plan    Plan            `json:"plan"`
}

// Preview answers POST /v1/services/{name}/preview: what PUT with the same
// options would do, computed without changing anything.
type Preview struct {
	Name string `json:"name"`
	// Install is true when the service does not exist yet.
	Install  bool   `json:"install"`
	ConfigID string `json:"config_id,omitempty"`
	// Plan is the plan the options would run.
	Plan Plan `json:"plan"`
	// Brokers says, for every broker of the new options and sorted by
	// broker id, what the plan does to it.
	Brokers []BrokerPreview `json:"brokers"`
	// Strategy is the strategy the brokers' phase runs with.
	Strategy string `json:"strategy"`
	// Notes explain the order and anything else worth knowing before an
	// apply.
	Notes []string `json:"notes"`
}

// Broker actions of a Preview.
const (
	ActionNone        = "none"
	ActionLaunch      = "launch"
	ActionRestart     = "restart"
	ActionReconfigure = "reconfigure"
)

// BrokerPreview is what an install or update does to one broker.
type BrokerPreview struct {
	Broker int    `json:"broker"`
	Pod    string `json:"pod"`
	// Action is none, launch, restart or reconfigure.
	Action string `json:"action"`
	// Changes are the changed settings behind the action; a secret shows
	// only its version.
	Changes []FieldChange `json:"changes"`
	// Order is the broker's place in the plan (1 first); 0 when the plan
	// leaves the broker alone.
	Order int `json:"order"`
}

// FieldChange is one changed setting: its dotted option name
// ("brokers.mem", "kafka.log.retention.ms") and its old and new values
// ("" when unset).
type FieldChange struct {
	Field string `json:"field"`
	Old   string `json:"old"`
	New   string `json:"new"`
}

// Status is the status of a plan, phase or step, spelled as DC/OS spells
// it.
type Status string

// Plan, phase and step statuses (dcos-commons names).
const (
	StatusError      Status = "ERROR"
	StatusWaiting    Status = "WAITING"
	StatusPending    Status = "PENDING"
	StatusPrepared   Status = "PREPARED"
	StatusStarting   Status = "STARTING"
	StatusStarted    Status = "STARTED"
	StatusComplete   Status = "COMPLETE"
	StatusInProgress Status = "IN_PROGRESS"
	StatusDelayed    Status = "DELAYED"
)

// Plan is a plan as GET /service/{name}/v1/plans/{plan} answers it (the
// DC/OS PlanInfo shape). The HTTP status says the same as Status: 200
// COMPLETE, 417 ERROR, 202 otherwise.
type Plan struct {
	Phases   []Phase  `json:"phases"`
	Errors   []string `json:"errors"`
	Strategy string   `json:"strategy"`
	Status   Status   `json:"status"`
}

// Phase is one phase of a Plan.
type Phase struct {
	ID       string `json:"id"`
	Name     string `json:"name"`
	Steps    []Step `json:"steps"`
	Strategy string `json:"strategy"`
	Status   Status `json:"status"`
}

// Step is one step of a Phase. Pod and Broker are not in the DC/OS body:
// they say which pod instance ("kafka-2") and which Kafka broker id (the
// pod index) the step works on, and are absent for steps of no broker
// (uninstall's resource steps).
type Step struct {
	ID      string `json:"id"`
	Status  Status `json:"status"`
	Name    string `json:"name"`
	Message string `json:"message"`
	Pod     string `json:"pod,omitempty"`
	Broker  *int   `json:"broker,omitempty"`
}

// Steps lists every step of the plan, phase by phase.
func (p Plan) Steps() []Step {
	var out []Step
	for _, ph := range p.Phases {
		out = append(out, ph.Steps...)
	}
	return out
}

// Message answers plan commands and other actions: {"message": ...}.
type Message struct {
	Message string `json:"message"`
}

// PodInstance is one pod instance ("kafka-0") and its tasks, as in
// GET /service/{name}/v1/pod/{pod}/status.
type PodInstance struct {
	Name  string    `json:"name"`
	Tasks []PodTask `json:"tasks"`
}

// PodTask is one task of a pod instance.
type PodTask struct {
	ID   string `json:"id"`
	Name string `json:"name"`
	// State is the Mesos state without "TASK_" ("RUNNING").
	State string `json:"status"`
}

// PodsStatus answers GET /service/{name}/v1/pod/status.
type PodsStatus struct {
	Service string          `json:"service"`
	Pods    []PodTypeStatus `json:"pods"`
}

// PodTypeStatus is the instances of one pod type ("kafka").
type PodTypeStatus struct {
	Name      string        `json:"name"`
	Instances []PodInstance `json:"instances"`
}

// PodTaskInfo is one task of GET /service/{name}/v1/pod/{pod}/info: its
// Mesos TaskInfo and latest TaskStatus as protobuf JSON.
type PodTaskInfo struct {
	Info   json.RawMessage `json:"info"`
	Status json.RawMessage `json:"status,omitempty"`
}

// Endpoint is a port endpoint of GET /service/{name}/v1/endpoints/{name}
// ("broker"). The zookeeper endpoint is text (Client.EndpointText).
type Endpoint struct {
	Address []string `json:"address"`
	DNS     []string `json:"dns"`
	VIP     string   `json:"vip,omitempty"`
}

// Health is a service's DC/OS health: Code is the HTTP status of
// GET /service/{name}/v1/health, Name its DC/OS name (RUNNING,
// DEPLOYING_PENDING, ...).
type Health struct {
	Code    int      `json:"value"`
	Name    string   `json:"name"`
	Reasons []string `json:"reasons"`
}

// OfferOutcome is one offer evaluation kept for diagnostics
// (GET /service/{name}/v1/debug/offers).
type OfferOutcome struct {
	Time     time.Time `json:"time"`
	Plan     string    `json:"plan,omitempty"`
	Step     string    `json:"step,omitempty"`
	OfferIDs []string  `json:"offer_ids"`
	AgentID  string    `json:"agent_id"`
	Hostname string    `json:"hostname"`
	Passed   bool      `json:"passed"`
	// Outcome is what was done with the offer: "launched", "cleaned up",
	// "declined long", "declined short".
	Outcome string `json:"outcome"`
	Reason  string `json:"reason,omitempty"`
}

// PodRestart answers POST /service/{name}/v1/pod/{pod}/restart: the pod
// and the names of the tasks being restarted (dcos-commons' shape).
type PodRestart struct {
	Pod   string   `json:"pod"`
	Tasks []string `json:"tasks"`
	// Forced is true when ?force=true skipped the restart gate; Warning
	// then says what that means.
	Forced  bool   `json:"forced,omitempty"`
	Warning string `json:"warning,omitempty"`
}
