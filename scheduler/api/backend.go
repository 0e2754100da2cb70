package api

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/plan"
)

// Backend is what the API serves: the services a scheduler hosts.
//
// Errors tell the API which status to answer with: a NotFoundError is a 404,
// a validation.Problems a 400 listing every problem, ErrConflict a 409,
// plan.ErrAlreadyReported a 208, plan.ErrMissingPhase and
// *plan.InvalidParameterError a 400, *plan.NotFoundError a 404 and
// state.ErrUnavailable a 503. Anything else is a 500 whose message is the
// error's text (so errors must never carry secrets).
type Backend interface {
	// Services lists the installed services, sorted by name.
	Services(ctx context.Context) ([]ServiceSummary, error)
	// PutService installs the service, or updates it to new options. The
	// options are JSON in the DC/OS shape; nothing changes when they are
	// invalid.
	PutService(ctx context.Context, name string, options []byte) (PutResult, error)
	// GetService describes one service.
	GetService(ctx context.Context, name string) (ServiceDetail, error)
	// DeleteService starts the uninstall of a service and returns at once;
	// progress shows in the service's deploy plan until it is gone.
	DeleteService(ctx context.Context, name string) error
	// PreviewService validates options as PutService would and returns
	// the plan they would run, changing nothing.
	PreviewService(ctx context.Context, name string, options []byte) (Preview, error)
	// Service returns one service's per-service API, or a NotFoundError.
	Service(name string) (Service, error)
}

// PutResult answers PUT /v1/services/{name}.
type PutResult struct {
	Name string `json:"name"`
	// ConfigID is the id of the target configuration after the call.
	ConfigID string `json:"config_id"`
	// Created is true when the call installed the service (201).
	Created bool `json:"created"`
	// Changed is false when the options equal the current target (the
	// call was a no-op).
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
	Status plan.Status `json:"status"`
	// Options are the target options with every default filled in.
	Options json.RawMessage `json:"options"`
	Plan    plan.Info       `json:"plan"`
}

// Preview answers POST /v1/services/{name}/preview.
type Preview struct {
	Name string `json:"name"`
	// Install is true when the service does not exist yet.
	Install  bool   `json:"install"`
	ConfigID string `json:"config_id,omitempty"`
	// Plan is the deploy plan the options would run.
	Plan plan.Info `json:"plan"`
}

// Service is the per-service API under /service/{name}/v1/.
type Service interface {
	// PlanNames lists the service's plans ("deploy", ...).
	PlanNames() []string
	// PlanInfo returns one plan; a NotFoundError when there is no such plan.
	PlanInfo(name string) (plan.Info, error)
	// PlanCommand runs an operator command on a plan and persists what must
	// survive a restart before returning.
	PlanCommand(ctx context.Context, cmd PlanCommand) error

	// Pods lists every pod instance with its tasks, sorted by pod index.
	Pods(ctx context.Context) ([]PodInstance, error)

	// EndpointNames lists the advertised endpoints, sorted.
	EndpointNames() []string
	// Endpoint returns one endpoint; a NotFoundError when unknown.
	Endpoint(name string) (Endpoint, error)

	// ConfigurationIDs lists the stored configurations.
	ConfigurationIDs(ctx context.Context) ([]string, error)
	// Configuration returns a stored configuration's JSON; a NotFoundError
	// when unknown.
	Configuration(ctx context.Context, id string) (json.RawMessage, error)
	// TargetConfigurationID is the id of the target configuration; a
	// NotFoundError when there is none.
	TargetConfigurationID(ctx context.Context) (string, error)

	// FrameworkID is the service's Mesos framework ID; "" before the
	// first subscription.
	FrameworkID() string
	// PropertyNames lists the service's properties, sorted.
	PropertyNames(ctx context.Context) ([]string, error)
	// Property returns one property's value as JSON; a NotFoundError when
	// missing.
	Property(ctx context.Context, name string) (json.RawMessage, error)

	// Health is the service's health as DC/OS reports it.
	Health() Health

	// Metrics serves the metrics as codahale-style JSON, and
	// PrometheusMetrics in the Prometheus text format.
	Metrics() http.Handler
	PrometheusMetrics() http.Handler

	// OfferOutcomes lists the latest offer evaluations, newest first.
	OfferOutcomes() []OfferOutcome
}

// Plan command names, as in the DC/OS plans API paths.
const (
	CommandContinue      = "continue"
	CommandInterrupt     = "interrupt"
	CommandForceComplete = "forceComplete"
	CommandRestart       = "restart"
	CommandStart         = "start"
	CommandStop          = "stop"
)

// PlanCommand is one operator command on a plan.
type PlanCommand struct {
	Plan    string
	Command string
	// Phase and Step are names or UUIDs; "" means the whole plan (or phase).
	Phase string
	Step  string
	// Parameters are the start command's environment parameters.
	Parameters map[string]string
}

// PodInstance is one pod instance ("kafka-0") and its tasks.
type PodInstance struct {
	Name  string    `json:"name"`
	Tasks []PodTask `json:"tasks"`
}

// PodTask is one task of a pod instance.
type PodTask struct {
	ID   string `json:"id"`
	Name string `json:"name"`
	// State is the Mesos state without "TASK_" ("RUNNING").
	State    string `json:"status"`
	AgentID  string `json:"-"`
	Hostname string `json:"-"`
	// Info and Status are the task's TaskInfo and latest TaskStatus as
	// protobuf JSON; Status is nil before the first status.
	Info   json.RawMessage `json:"-"`
	Status json.RawMessage `json:"-"`
}

// Endpoint is one endpoint of GET /v1/endpoints/{name}. A Text endpoint
// (zookeeper) is answered as text/plain; the others as JSON.
type Endpoint struct {
	Address []string `json:"address"`
	DNS     []string `json:"dns"`
	VIP     string   `json:"vip,omitempty"`
	Text    string   `json:"-"`
}

// Health is a service's DC/OS health: Code is the HTTP status of
// GET /v1/health, Name its DC/OS name (RUNNING, DEPLOYING_PENDING, ...).
type Health struct {
	Code    int      `json:"value"`
	Name    string   `json:"name"`
	Reasons []string `json:"reasons"`
}

// OfferOutcome is one offer evaluation kept for diagnostics.
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

// NotFoundError is a 404: Kind and Name say what is missing ("Service",
// "kafka"; "Plan", "recovery").
type NotFoundError struct {
	Kind string
	Name string
}

func (e *NotFoundError) Error() string { return fmt.Sprintf("%s %s not found", e.Kind, e.Name) }

// ErrConflict is a 409: the request cannot run in the service's current
// state (for example an update while it is uninstalling). Wrap it with the
// reason.
var ErrConflict = errors.New("conflict")
