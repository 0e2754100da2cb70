// Package taskinfo builds what Mesos is told to run for a broker: the
// TaskInfo (command with its environment and fetched URIs, the resources the
// offer evaluation reserved, readiness and health checks, kill policy,
// labels) and the default executor's ExecutorInfo, and the ids they carry.
//
// Secrets travel as Mesos secrets of type VALUE, which open-source Mesos's
// default secret resolver resolves: environment variables of type SECRET
// and file volumes with source SECRET (container type MESOS, the file's
// path relative to the sandbox; real agents need the volume/secret
// isolator for those). BuildTask builds, beside the TaskInfo sent to
// Mesos, the form that is stored and shown (Stored): the same TaskInfo,
// built by the same code, with every secret's data left out. The package
// does no I/O.
package taskinfo

import (
	"fmt"
	"sort"
	"strconv"

	mesos "github.com/mesos/mesos-go/api/v1/lib"

	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/offers"
	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/secrets"
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
	// Secrets are the task's secrets (Task.Secrets) with their values,
	// as the launch resolved them.
	Secrets []Secret
}

// Secret is one secret of a launch: where it goes and its value.
type Secret struct {
	spec.SecretDelivery
	Value secrets.Value
}

// Task is what BuildTask builds.
type Task struct {
	// Info is the TaskInfo for Mesos, secrets' data included. It goes to
	// the LAUNCH_GROUP call and nowhere else.
	Info mesos.TaskInfo
	// Stored is Info with the secrets' data left out (the variables and
	// volumes are there, naming no value): what the task record keeps and
	// what the API shows.
	Stored   mesos.TaskInfo
	Executor mesos.ExecutorInfo
}

// BuildTask returns the TaskInfo of a broker task, its stored form and the
// default executor it runs under.
func BuildTask(l Launch) Task {
	info, executor := build(l, true)
	stored, _ := build(l, false)
	return Task{Info: info, Stored: stored, Executor: executor}
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

// Build returns the Mesos TaskInfo of a broker task (secrets' data
// included) and the default executor it runs under.
func Build(l Launch) (mesos.TaskInfo, mesos.ExecutorInfo) {
	return build(l, true)
}

// build builds the TaskInfo with the secrets' values when withValues, and
// without them otherwise.
func build(l Launch, withValues bool) (mesos.TaskInfo, mesos.ExecutorInfo) {
	t, match := l.Task, l.Match
	command := commandInfo(t.Command, t.Env, t.URIs, t.User)
	addSecretVariables(command, l.Secrets, withValues)
	info := mesos.TaskInfo{
		Name:      t.FullTaskName,
		TaskID:    mesos.TaskID{Value: l.TaskID},
		AgentID:   match.Offer.AgentID,
		Resources: match.TaskResources,
		Command:   command,
		Container: secretVolumes(l.Secrets, withValues),
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

// addSecretVariables adds the variables of the secrets delivered as
// environment variables (type SECRET, a VALUE secret) to the command's
// environment, keeping it sorted by name.
func addSecretVariables(ci *mesos.CommandInfo, list []Secret, withValues bool) {
	var vars []mesos.Environment_Variable
	for _, s := range list {
		if s.EnvKey == "" {
			continue
		}
		vars = append(vars, mesos.Environment_Variable{
			Name:   s.EnvKey,
			Type:   mesos.Environment_Variable_SECRET.Enum(),
			Secret: valueSecret(s.Value, withValues),
		})
	}
	if len(vars) == 0 {
		return
	}
	if ci.Environment == nil {
		ci.Environment = &mesos.Environment{}
	}
	ci.Environment.Variables = append(ci.Environment.Variables, vars...)
	sort.SliceStable(ci.Environment.Variables, func(i, j int) bool {
		return ci.Environment.Variables[i].Name < ci.Environment.Variables[j].Name
	})
}

// secretVolumes is the task's MESOS container with a SECRET volume per
// secret delivered as a file, or nil when there is none.
func secretVolumes(list []Secret, withValues bool) *mesos.ContainerInfo {
	var volumes []mesos.Volume
	for _, s := range list {
		if s.File == "" {
			continue
		}
		volumes = append(volumes, mesos.Volume{
			Mode:          mesos.RO.Enum(),
			ContainerPath: s.File,
			Source: &mesos.Volume_Source{
				Type:   mesos.Volume_Source_SECRET,
				Secret: valueSecret(s.Value, withValues),
			},
		})
	}
	if len(volumes) == 0 {
		return nil
	}
	return &mesos.ContainerInfo{Type: mesos.ContainerInfo_MESOS.Enum(), Volumes: volumes}
}

// valueSecret is a Mesos secret of type VALUE: with the value's bytes, or,
// for the stored form, with none.
func valueSecret(v secrets.Value, withValue bool) *mesos.Secret {
	s := &mesos.Secret{Type: mesos.Secret_VALUE}
	if withValue {
		s.Value = &mesos.Secret_Value{Data: v.Reveal()}
	}
	return s
}

// HasSecretData reports whether info carries the data of a secret (it is
// the form for Mesos, never one to store or show).
func HasSecretData(info *mesos.TaskInfo) bool {
	for _, v := range info.GetCommand().GetEnvironment().GetVariables() {
		if v.GetSecret().GetValue() != nil || v.GetSecret().GetReference() != nil {
			return true
		}
	}
	for _, vol := range info.GetContainer().GetVolumes() {
		if s := vol.GetSource().GetSecret(); s.GetValue() != nil || s.GetReference() != nil {
			return true
		}
	}
	return false
}
