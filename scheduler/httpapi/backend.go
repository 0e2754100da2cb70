package httpapi

import (
	"context"
	"encoding/json"
	"net/http"

	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/configstore"
	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/plan"
	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/service"
)

// Backend is what the API serves: the services a scheduler hosts.
//
// Errors tell the API which status to answer with: a NotFoundError is a 404,
// a validation.Problems a 400 listing every problem, ErrConflict a 409, a
// *service.PreconditionFailedError a 412 with the current id as ETag,
// plan.ErrAlreadyReported a 208, plan.ErrMissingPhase and
// *plan.InvalidParameterError a 400, *plan.NotFoundError a 404 and
// state.ErrUnavailable a 503. Anything else is a 500 whose message is the
// error's text (so errors must never carry secrets).
type Backend interface {
	// Services lists the installed services, sorted by name.
	Services(ctx context.Context) ([]service.ServiceSummary, error)
	// PutService installs the service, or updates it to new options. The
	// options are JSON in the DC/OS shape; nothing changes when they are
	// invalid. A non-empty ifMatch (a config id, or service.AnyConfig)
	// requires the service's target to be that configuration, checked
	// atomically with the update: otherwise a
	// *service.PreconditionFailedError (a 412) and nothing changes.
	PutService(ctx context.Context, name string, options []byte, ifMatch string) (service.PutResult, error)
	// GetService describes one service.
	GetService(ctx context.Context, name string) (service.ServiceDetail, error)
	// DeleteService starts the uninstall of a service and returns at once;
	// progress shows in the service's deploy plan until it is gone.
	// ifMatch is checked as PutService checks it.
	DeleteService(ctx context.Context, name string, ifMatch string) error
	// PreviewService validates options as PutService would and returns
	// the plan they would run, changing nothing.
	PreviewService(ctx context.Context, name string, options []byte) (service.Preview, error)
	// Service returns one service's per-service API, or a NotFoundError.
	Service(name string) (Service, error)
	// Kafka returns the administration of one service's brokers for the
	// topic and broker endpoints (topics.go, brokers.go): a NotFoundError
	// for an unknown service, ErrConflict while it is uninstalling, and an
	// error wrapping admin.ErrNotReady (a 503) while its brokers do not
	// answer yet.
	Kafka(ctx context.Context, name string) (Kafka, error)
}

// Service is the per-service API under /service/{name}/v1/.
type Service interface {
	// PlanNames lists the service's plans ("deploy", ...).
	PlanNames() []string
	// PlanInfo returns one plan; a NotFoundError when there is no such plan.
	PlanInfo(name string) (plan.Info, error)
	// PlanCommand runs an operator command on a plan and persists what must
	// survive a restart before returning.
	PlanCommand(ctx context.Context, cmd service.PlanCommand) error
	// RestartPod restarts a pod instance in place through the deploy plan
	// and the restart gate (skipped when force is set).
	RestartPod(ctx context.Context, pod string, force bool) error
	// ReplacePod marks a pod instance for replacement (fresh
	// reservations and an empty volume, same broker id; the recovery plan
	// relaunches it), PausePod relaunches it in place without Kafka and
	// ResumePod with Kafka again. Each returns the pod as it was (its
	// tasks are the ones replaced, paused or resumed); a NotFoundError for
	// an unknown pod, ErrConflict when the service cannot do it now.
	ReplacePod(ctx context.Context, pod string) (service.PodInstance, error)
	PausePod(ctx context.Context, pod string) (service.PodInstance, error)
	ResumePod(ctx context.Context, pod string) (service.PodInstance, error)

	// Pods lists every pod instance with its tasks, sorted by pod index.
	Pods(ctx context.Context) ([]service.PodInstance, error)

	// EndpointNames lists the advertised endpoints, sorted.
	EndpointNames() []string
	// Endpoint returns one endpoint; a NotFoundError when unknown.
	Endpoint(name string) (service.Endpoint, error)

	// ConfigurationIDs lists the stored configurations.
	ConfigurationIDs(ctx context.Context) ([]string, error)
	// ConfigurationHistory lists the stored configurations in the order
	// they became the target, oldest first, with the time each did.
	ConfigurationHistory(ctx context.Context) ([]configstore.Entry, error)
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
	Health() service.Health

	// Metrics serves the metrics as codahale-style JSON, and
	// PrometheusMetrics in the Prometheus text format.
	Metrics() http.Handler
	PrometheusMetrics() http.Handler

	// OfferOutcomes lists the latest offer evaluations, newest first.
	OfferOutcomes() []service.OfferOutcome
}
