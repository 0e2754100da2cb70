package service

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/configstore"
	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/offers"
	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/plan"
	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/spec"
	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/state"
)

// Keys of a service's state, relative to dcos-service-<name> (DC/OS names);
// package configstore owns ConfigTarget and Configurations.
const (
	keyServiceName = "servicename"
	keyFrameworkID = "FrameworkID"
	keyTasks       = "Tasks"
	keyProperties  = "Properties"

	propertyUninstalling   = "uninstalling"
	propertySuppressed     = "suppressed"
	propertyDeployOverride = "deploy-overrides"
	propertyLastCompleted  = "last-completed-update-type"
	propertyRecovery       = "recovery" // recovery.go
)

func propertyKey(name string) string     { return state.JoinKey(keyProperties, name) }
func taskInfoKey(taskName string) string { return state.JoinKey(keyTasks, taskName, "TaskInfo") }
func taskStatusKey(taskName string) string {
	return state.JoinKey(keyTasks, taskName, "TaskStatus")
}

// TaskRecord is what the scheduler knows about the broker task last launched
// for a pod: where it runs, on which reservations, with which
// configuration. It is stored at Tasks/<task name>/TaskInfo before the launch
// is sent, and kept after the task ends so that a relaunch finds the pod's
// reservations and volume again.
type TaskRecord struct {
	Pod        int    `json:"pod"`
	Name       string `json:"name"` // "kafka-0-broker"
	TaskID     string `json:"task_id"`
	ExecutorID string `json:"executor_id"`
	AgentID    string `json:"agent_id"`
	Hostname   string `json:"hostname"`
	Zone       string `json:"zone,omitempty"`
	Region     string `json:"region,omitempty"`
	// Attributes are the agent's attributes as placement reads them.
	Attributes map[string]string `json:"attributes,omitempty"`
	Footprint  offers.Footprint  `json:"footprint"`
	ConfigID   string            `json:"config_id"`
	ConfigHash string            `json:"config_hash"`
	Port       int               `json:"port"`
	LaunchedAt time.Time         `json:"launched_at"`
	// Info is the TaskInfo sent to Mesos, as protobuf JSON.
	Info json.RawMessage `json:"info"`
	// PermanentlyFailed marks the pod for replacement (DC/OS's
	// permanently-failed label): its next launch takes fresh reservations
	// and an empty volume (recovery.go). A new launch's record clears it.
	PermanentlyFailed bool `json:"permanently_failed,omitempty"`
	// Paused is the pod's goal (pause.go): its task runs a command that
	// keeps the sandbox and volume but does not start Kafka.
	Paused bool `json:"paused,omitempty"`
}

// TaskStatus is the latest status of a TaskRecord's task, stored at
// Tasks/<task name>/TaskStatus before the update is acknowledged.
type TaskStatus struct {
	TaskID  string `json:"task_id"`
	State   string `json:"state"` // "TASK_RUNNING"; "" before the first status
	Ready   bool   `json:"ready"`
	Message string `json:"message,omitempty"`
	Reason  string `json:"reason,omitempty"`
	Source  string `json:"source,omitempty"`
	// Confirmed is set once Mesos showed that it accepted the launch (any
	// status but the master's "unknown task" answers): from then on the
	// pod's reservations exist and a relaunch must use them.
	Confirmed bool      `json:"confirmed"`
	Time      time.Time `json:"time"`
	// Status is the last TaskStatus as protobuf JSON.
	Status json.RawMessage `json:"status,omitempty"`
}

// terminal reports whether the task has ended (or is about to, or is
// unknown to Mesos): it no longer runs a broker.
func (s TaskStatus) terminal() bool {
	switch plan.TaskState(s.State) {
	case plan.TaskStaging, plan.TaskStarting, plan.TaskRunning, "TASK_KILLING", "TASK_UNREACHABLE", "":
		return false
	}
	return true
}

// pod is one broker pod as the service tracks it.
type pod struct {
	record TaskRecord
	status TaskStatus
}

// launchNeverReachedMesos reports whether the pod's latest launch was
// stored but never accepted by Mesos (the scheduler stopped between storing
// the task and sending it, or the offer was gone): its reservations do not
// exist, and the pod starts afresh. Anything reserved after all is
// unexpected and released by the offer cycle.
func (p *pod) launchNeverReachedMesos() bool { return p.status.launchNeverReachedMesos() }

// launchNeverReachedMesos reports whether the status ended a launch Mesos
// never accepted.
func (s TaskStatus) launchNeverReachedMesos() bool { return s.terminal() && !s.Confirmed }

// holdsReservations reports whether the pod's footprint names reservations
// that exist, or may exist while its launch is in flight.
func (p *pod) holdsReservations() bool {
	return len(p.record.Footprint.ResourceIDs) > 0 && !p.launchNeverReachedMesos()
}

// alive reports whether the pod has a task Mesos may still be running.
func (p *pod) alive() bool { return p.record.TaskID != "" && !p.status.terminal() }

// podState is what the plan needs to know about the pod.
func (p *pod) podState() plan.PodState {
	return plan.PodState{
		TaskID:     p.record.TaskID,
		ConfigHash: p.record.ConfigHash,
		State:      plan.TaskState(p.status.State),
		Ready:      p.status.Ready,
	}
}

// persisted is a service's state as loaded at start.
type persisted struct {
	name         string
	frameworkID  string
	spec         spec.ServiceSpec
	pods         map[int]*pod
	uninstalling bool
	overrides    plan.Overrides
	configs      *configstore.Store
	// properties are the stored properties by name, as stored.
	properties map[string][]byte
	// broken lists what of the stored state could be read but not be
	// used (a target that does not decode, a task record that does
	// not): the service opens failed with these reasons. warnings are
	// flaws it runs with (lost overrides, a status asked of Mesos again).
	broken, warnings []string
}

func getJSON(ctx context.Context, store state.Store, key string, v any) (bool, error) {
	node, err := store.Get(ctx, key)
	if errors.Is(err, state.ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("reading %s: %w", key, err)
	}
	if len(node.Value) == 0 {
		return false, nil
	}
	if err := json.Unmarshal(node.Value, v); err != nil {
		return false, fmt.Errorf("decoding %s: %w", key, err)
	}
	return true, nil
}

func getString(ctx context.Context, store state.Store, key string) (string, error) {
	node, err := store.Get(ctx, key)
	if errors.Is(err, state.ErrNotFound) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("reading %s: %w", key, err)
	}
	return string(node.Value), nil
}

func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(fmt.Sprintf("encoding %T: %v", v, err)) // only plain data types are encoded
	}
	return b
}

// load reads a service's whole state. An error means the state could not
// be read (the store failed); state that was read but cannot be used is
// listed in broken, with everything that could be used kept, so that the
// service can still be uninstalled.
func load(ctx context.Context, store state.Store) (persisted, error) {
	var p persisted
	var err error
	if p.name, err = getString(ctx, store, keyServiceName); err != nil {
		return p, err
	}
	if p.frameworkID, err = getString(ctx, store, keyFrameworkID); err != nil {
		return p, err
	}
	if p.configs, err = configstore.Load(ctx, store); err != nil {
		if ctx.Err() != nil {
			return p, fmt.Errorf("service %q: %w", p.name, err)
		}
		p.broken = append(p.broken, fmt.Sprintf("loading the configurations: %v", err))
		p.configs = new(configstore.Store)
	} else {
		id, target := p.configs.Target()
		if err := json.Unmarshal(target, &p.spec); err != nil {
			p.broken = append(p.broken, fmt.Sprintf("decoding the target configuration %s: %v", id, err))
			p.spec = spec.ServiceSpec{}
		}
	}
	if p.properties, err = loadChildren(ctx, store, keyProperties); err != nil {
		return p, err
	}
	p.uninstalling = string(p.properties[propertyUninstalling]) == "true"
	if raw := p.properties[propertyDeployOverride]; len(raw) > 0 {
		// Overrides are an operator's pauses: losing them is no reason to
		// fail the service.
		if err := json.Unmarshal(raw, &p.overrides); err != nil {
			p.overrides = plan.Overrides{}
			p.warnings = append(p.warnings, fmt.Sprintf("decoding %s (ignored): %v", propertyKey(propertyDeployOverride), err))
		}
	}
	var broken, warnings []string
	p.pods, broken, warnings, err = loadPods(ctx, store)
	p.broken = append(p.broken, broken...)
	p.warnings = append(p.warnings, warnings...)
	return p, err
}

// loadChildren reads the values of every child of key.
func loadChildren(ctx context.Context, store state.Store, key string) (map[string][]byte, error) {
	names, err := store.Children(ctx, key)
	if err != nil && !errors.Is(err, state.ErrNotFound) {
		return nil, fmt.Errorf("listing %s: %w", key, err)
	}
	values := make(map[string][]byte, len(names))
	for _, name := range names {
		node, err := store.Get(ctx, state.JoinKey(key, name))
		if errors.Is(err, state.ErrNotFound) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("reading %s: %w", state.JoinKey(key, name), err)
		}
		values[name] = node.Value
	}
	return values, nil
}

// loadPods reads the task records and their statuses; a record that
// does not decode is left out and listed in broken (the pod's reservations
// are then only released by an uninstall, which releases everything of the
// role).
func loadPods(ctx context.Context, store state.Store) (pods map[int]*pod, broken, warnings []string, err error) {
	names, err := store.Children(ctx, keyTasks)
	if err != nil && !errors.Is(err, state.ErrNotFound) {
		return nil, nil, nil, fmt.Errorf("listing tasks: %w", err)
	}
	pods = make(map[int]*pod, len(names))
	var decodeErr *json.UnmarshalTypeError
	var syntaxErr *json.SyntaxError
	isDecoding := func(err error) bool { return errors.As(err, &decodeErr) || errors.As(err, &syntaxErr) }
	for _, name := range names {
		p := &pod{}
		found, err := getJSON(ctx, store, taskInfoKey(name), &p.record)
		if err != nil && isDecoding(err) {
			broken = append(broken, fmt.Sprintf("task %s: %v", name, err))
			continue
		}
		if err != nil {
			return nil, nil, nil, err
		}
		if !found {
			continue
		}
		if _, ok := pods[p.record.Pod]; ok || p.record.Pod < 0 {
			broken = append(broken, fmt.Sprintf("task %s: pod index %d is not valid or is taken by another task", name, p.record.Pod))
			continue
		}
		if _, err := getJSON(ctx, store, taskStatusKey(name), &p.status); err != nil {
			if !isDecoding(err) {
				return nil, nil, nil, err
			}
			warnings = append(warnings, fmt.Sprintf("task %s: %v (its state is asked of Mesos again)", name, err))
			p.status = TaskStatus{}
		}
		if p.status.TaskID != p.record.TaskID {
			// The status belongs to the task launched before; the
			// new launch has not been heard of yet.
			p.status = TaskStatus{TaskID: p.record.TaskID}
		}
		pods[p.record.Pod] = p
	}
	return pods, broken, warnings, nil
}
