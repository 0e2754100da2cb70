package service

import (
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/plan"
)

// This file holds the domain values a service (and the manager, for many
// services) hands to its readers. They carry no wire format: package
// httpapi converts them to the REST contract's types (package api).

// ServiceSummary is one installed service.
type ServiceSummary struct {
	Name string
}

// PutResult is the outcome of installing or updating a service.
type PutResult struct {
	Name string
	// ConfigID is the id of the target configuration after the call.
	ConfigID string
	// Created is true when the call installed the service (201).
	Created bool
	// Changed is false when the options equal the current target (the
	// call was a no-op).
	Changed bool
}

// ServiceDetail describes one service.
type ServiceDetail struct {
	Name         string
	ConfigID     string
	FrameworkID  string
	Uninstalling bool
	// Status is the deploy plan's status (the uninstall plan's while
	// uninstalling).
	Status plan.Status
	// Options are the target options with every default filled in.
	Options json.RawMessage
	Plan    plan.Info
}

// Preview is what installing or updating a service to new options
// would do, computed without changing anything.
type Preview struct {
	Name string
	// Install is true when the service does not exist yet.
	Install  bool
	ConfigID string
	// Plan is the deploy plan the options would run.
	Plan plan.Info
	// Brokers says, for every broker of the new options, what the plan
	// does to it, sorted by broker id.
	Brokers []BrokerPreview
	// Strategy is the strategy the brokers' phase runs with.
	Strategy string
	// Notes explain the order and anything else an operator should know.
	Notes []string
}

// BrokerPreview is what an update or install does to one broker.
type BrokerPreview struct {
	Broker int
	Pod    string
	// Action is none, launch, restart or reconfigure.
	Action string
	// Changes are the changed settings behind the action.
	Changes []FieldChange
	// Order is the broker's place in the plan's broker phase (1 first);
	// 0 for a broker the plan leaves alone.
	Order int
}

// FieldChange is one changed setting with its old and new values.
type FieldChange struct {
	Field, Old, New string
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
	Name  string
	Tasks []PodTask
}

// PodTask is one task of a pod instance.
type PodTask struct {
	ID   string
	Name string
	// State is the Mesos state without "TASK_" ("RUNNING").
	State    string
	AgentID  string
	Hostname string
	// Info and Status are the task's TaskInfo and latest TaskStatus as
	// protobuf JSON; Status is nil before the first status.
	Info   json.RawMessage
	Status json.RawMessage
}

// Endpoint is one advertised endpoint: addresses for a port endpoint
// (broker), or Text for a text endpoint (zookeeper).
type Endpoint struct {
	Address []string
	DNS     []string
	VIP     string
	Text    string
}

// Health is a service's DC/OS health: Code is the DC/OS health code
// (which the health endpoint answers as its status), Name its DC/OS name
// (RUNNING, DEPLOYING_PENDING, ...).
type Health struct {
	Code    int
	Name    string
	Reasons []string
}

// OfferOutcome is one offer evaluation kept for diagnostics.
type OfferOutcome struct {
	Time     time.Time
	Plan     string
	Step     string
	OfferIDs []string
	AgentID  string
	Hostname string
	Passed   bool
	// Outcome is what was done with the offer: "launched", "cleaned up",
	// "declined long", "declined short".
	Outcome string
	Reason  string
}

// OfferCycle sums up one offer cycle: what came in, what was done with it,
// why offers did not fit (counted per reason class), and how long it took.
type OfferCycle struct {
	Time time.Time
	// Offers and Agents are the offers of the OFFERS event and the agents
	// they came from.
	Offers, Agents int
	// Accepted counts the agents whose offers were accepted, Launched the
	// launches among them; Declined the offers declined (in one call),
	// with Filter as their refuse filter.
	Accepted, Launched, Declined int
	Filter                       time.Duration
	// Refusals counts, per reason class, the agents whose offers did not
	// fit a step, the most frequent first.
	Refusals []ReasonCount
	// Decide is the time spent deciding (no I/O); Total the whole cycle,
	// from the event's arrival to the end of its state writes and Mesos
	// calls (what offers.process measures).
	Decide, Total time.Duration
}

// ReasonCount is one reason class of an offer cycle: how many agents it
// refused, with a few of them as examples ("<host>: <detail>").
type ReasonCount struct {
	Class    string
	Agents   int
	Examples []string
}

// NotFoundError says that something asked for does not exist: Kind and Name say what is missing ("Service",
// "kafka"; "Plan", "recovery").
type NotFoundError struct {
	Kind string
	Name string
}

func (e *NotFoundError) Error() string { return fmt.Sprintf("%s %s not found", e.Kind, e.Name) }

// ErrConflict means the request cannot run in the service's current
// state (for example an update while it is uninstalling). Wrap it with the
// reason.
var ErrConflict = errors.New("conflict")
