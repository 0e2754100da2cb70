// Package taskinfo builds what Mesos is told to run for a broker: the
// TaskInfo (command with its environment and fetched URIs, the resources the
// offer evaluation reserved, readiness and health checks, kill policy,
// labels) and the default executor's ExecutorInfo, and the ids they carry.
// Secret delivery to brokers will live here too. The package does no I/O.
package taskinfo

import (
	"fmt"
	"sort"
	"strconv"

	mesos "github.com/mesos/mesos-go/api/v1/lib"

	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/offers"
	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/spec"
)

// Labels put on every broker task (DC/OS names where DC/OS has one).
const (
	LabelTargetConfig = "target_configuration"
	LabelConfigHash   = "config_hash"
	LabelTaskType     = "task_type"
	LabelIndex        = "index"
	LabelHostname     = "offer_hostname"
)

// Launch is what one broker task is built from.
type Launch struct {
	// Task is the broker task completed for its site (spec.Launch):
	// command, environment, checks, ports.
	Task spec.BrokerTask
	// TaskID and ExecutorID are the new task's ids (TaskID, ExecutorID).
	TaskID, ExecutorID string
	FrameworkID        string
	// ConfigID is the target configuration the task runs.
	ConfigID string
	// Match is where it runs: the offer and the reserved resources.
	Match *offers.Match
}

// TaskID names a new task of a service, as DC/OS does:
// "<service>__<task name>__<unique>" ("prod__kafka__kafka-0-broker__<uuid>").
func TaskID(service, taskName, unique string) string {
	return fmt.Sprintf("%s__%s__%s", spec.SanitizedName(service), taskName, unique)
}

// ExecutorID names a new executor of a service:
// "<service>__<pod instance>__<unique>".
func ExecutorID(service, podInstance, unique string) string {
	return fmt.Sprintf("%s__%s__%s", spec.SanitizedName(service), podInstance, unique)
}

// Build returns the Mesos TaskInfo of a broker task and the default
// executor it runs under.
func Build(l Launch) (mesos.TaskInfo, mesos.ExecutorInfo) {
	t, match := l.Task, l.Match
	info := mesos.TaskInfo{
		Name:      t.FullTaskName,
		TaskID:    mesos.TaskID{Value: l.TaskID},
		AgentID:   match.Offer.AgentID,
		Resources: match.TaskResources,
		Command:   commandInfo(t.Command, t.Env, t.URIs, t.User),
		Check: &mesos.CheckInfo{
			Type:            mesos.CheckInfo_COMMAND,
			Command:         &mesos.CheckInfo_Command{Command: *commandInfo(t.ReadinessCheck.Command, nil, nil, "")},
			DelaySeconds:    ptr(t.ReadinessCheck.Delay.Seconds()),
			IntervalSeconds: ptr(t.ReadinessCheck.Interval.Seconds()),
			TimeoutSeconds:  ptr(t.ReadinessCheck.Timeout.Seconds()),
		},
		KillPolicy: &mesos.KillPolicy{GracePeriod: &mesos.DurationInfo{Nanoseconds: t.KillGracePeriod.Nanoseconds()}},
		Labels: &mesos.Labels{Labels: []mesos.Label{
			{Key: LabelTargetConfig, Value: ptr(l.ConfigID)},
			{Key: LabelConfigHash, Value: ptr(t.ConfigHash)},
			{Key: LabelTaskType, Value: ptr(t.TaskName)},
			{Key: LabelIndex, Value: ptr(strconv.Itoa(t.Index))},
			{Key: LabelHostname, Value: ptr(match.Offer.Hostname)},
		}},
	}
	if hc := t.HealthCheck; hc != nil {
		info.HealthCheck = &mesos.HealthCheck{
			Type:                mesos.HealthCheck_COMMAND,
			Command:             commandInfo(hc.Command, nil, nil, ""),
			DelaySeconds:        ptr(hc.Delay.Seconds()),
			IntervalSeconds:     ptr(hc.Interval.Seconds()),
			TimeoutSeconds:      ptr(hc.Timeout.Seconds()),
			GracePeriodSeconds:  ptr(hc.GracePeriod.Seconds()),
			ConsecutiveFailures: ptr(uint32(hc.MaxConsecutiveFailures)),
		}
	}
	executor := mesos.ExecutorInfo{
		Type:        mesos.ExecutorInfo_DEFAULT,
		ExecutorID:  mesos.ExecutorID{Value: l.ExecutorID},
		FrameworkID: &mesos.FrameworkID{Value: l.FrameworkID},
		Resources:   match.ExecutorResources,
	}
	return info, executor
}

// commandInfo is a shell command with its environment, fetched URIs and
// user.
func commandInfo(command string, env map[string]string, uris []spec.URI, user string) *mesos.CommandInfo {
	ci := &mesos.CommandInfo{Value: ptr(command), Shell: ptr(true), User: optional(user)}
	if len(env) > 0 {
		names := make([]string, 0, len(env))
		for name := range env {
			names = append(names, name)
		}
		sort.Strings(names)
		vars := make([]mesos.Environment_Variable, 0, len(names))
		for _, name := range names {
			vars = append(vars, mesos.Environment_Variable{Name: name, Value: ptr(env[name])})
		}
		ci.Environment = &mesos.Environment{Variables: vars}
	}
	for _, u := range uris {
		ci.URIs = append(ci.URIs, mesos.CommandInfo_URI{Value: u.Value, Extract: ptr(u.Extract), Executable: ptr(u.Executable), Cache: ptr(u.Cache)})
	}
	return ci
}

func ptr[T any](v T) *T { return &v }

func optional(v string) *string {
	if v == "" {
		return nil
	}
	return &v
}
