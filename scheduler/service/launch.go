package service

import (
	"context"
	"fmt"
	"sort"
	"strconv"

	"github.com/gogo/protobuf/jsonpb"
	mesos "github.com/mesos/mesos-go/api/v1/lib"
	"github.com/mesos/mesos-go/api/v1/lib/scheduler/calls"

	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/offers"
	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/plan"
	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/spec"
	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/state"
)

// Labels put on every broker task (DC/OS names where DC/OS has one).
const (
	labelTargetConfig = "target_configuration"
	labelConfigHash   = "config_hash"
	labelTaskType     = "task_type"
	labelIndex        = "index"
	labelHostname     = "offer_hostname"
)

// stageLaunch turns a match into the operations that launch the step's
// pod, and returns the write of the new task record the ACCEPT waits for:
// a scheduler that stops right after it still knows the task and its
// reservations. The model takes the launch at once, so that the rest of
// the cycle sees it (placement, what is left of the agent); when the write
// fails, the launch is taken back and the agent's offers declined.
func (s *Service) stageLaunch(step plan.Candidate, g *agentOffers, match *offers.Match) (write, error) {
	agent := agentOf(match.Offer)
	site := spec.Site{
		Hostname: match.Offer.Hostname,
		Port:     int(match.Footprint.Ports[spec.BrokerPortName]),
		Zone:     agent.Zone,
	}
	task, _, err := s.spec.Launch(step.PodIndex, site)
	if err != nil {
		return write{}, fmt.Errorf("completing the launch of %s: %w", step.Pod, err)
	}
	taskID := fmt.Sprintf("%s__%s__%s", spec.SanitizedName(s.spec.Name), task.FullTaskName, newID())
	executorID := fmt.Sprintf("%s__%s__%s", spec.SanitizedName(s.spec.Name), task.PodInstance, newID())
	info := s.taskInfo(task, taskID, match)
	record := TaskRecord{
		Pod: step.PodIndex, Name: task.FullTaskName, TaskID: taskID, ExecutorID: executorID,
		AgentID: match.Offer.AgentID.Value, Hostname: match.Offer.Hostname,
		Zone: agent.Zone, Region: agent.Region, Attributes: agent.Attributes,
		Footprint: match.Footprint, ConfigID: s.configID, ConfigHash: task.ConfigHash,
		Port: site.Port, LaunchedAt: s.now().UTC(),
	}
	// A relaunch on existing reservations is confirmed from the start:
	// only fresh reservations may turn out never to have been made.
	status := TaskStatus{TaskID: taskID, Confirmed: len(match.Operations) == 0}

	previous, hadPrevious := s.pods[step.PodIndex]
	launched := &pod{record: record, status: status}
	s.pods[step.PodIndex] = launched
	executor := mesos.ExecutorInfo{
		Type:        mesos.ExecutorInfo_DEFAULT,
		ExecutorID:  mesos.ExecutorID{Value: executorID},
		FrameworkID: &mesos.FrameworkID{Value: s.frameworkID},
		Resources:   match.ExecutorResources,
	}
	g.ops = append(g.ops, match.Operations...)
	g.ops = append(g.ops, calls.OpLaunchGroup(executor, info))
	g.launched = true
	s.deploy.Prepared(step.Pod)
	s.deploy.Launched(step.Pod, taskID)

	// Encoding the TaskInfo is the write's work, done outside the lock;
	// the record gets it once stored.
	var infoJSON []byte
	store := func(ctx context.Context, st state.Store) error {
		js, err := (&jsonpb.Marshaler{}).MarshalToString(&info)
		if err != nil {
			return fmt.Errorf("encoding the TaskInfo of %s: %w", taskID, err)
		}
		infoJSON = []byte(js)
		stored := record
		stored.Info = infoJSON
		return st.Commit(ctx,
			state.SetOp(taskInfoKey(record.Name), mustJSON(stored)),
			state.SetOp(taskStatusKey(record.Name), mustJSON(status)),
		)
	}
	return write{what: "storing task " + taskID + " before its launch", do: store, then: func(err error) effects {
		if err != nil {
			s.log.Error("not launching: the task record could not be stored", "pod", step.Pod, "task_id", taskID, "error", err)
			if hadPrevious {
				s.pods[step.PodIndex] = previous
			} else {
				delete(s.pods, step.PodIndex)
			}
			s.deploy.Pending(step.Pod)
			s.deploy.Explain(step.Pod, fmt.Sprintf("the launch on %s was not sent because storing its task failed (%v); it is tried again with the next offers", match.Offer.Hostname, err))
			g.failed = true
			return effects{}
		}
		launched.record.Info = infoJSON
		s.log.Info("launching broker", "pod", step.Pod, "task_id", taskID, "agent", match.Offer.Hostname, "port", site.Port, "fresh_reservations", len(match.Operations) > 0)
		return effects{}
	}}, nil
}

// taskInfo is the Mesos TaskInfo of a broker task.
func (s *Service) taskInfo(t spec.BrokerTask, taskID string, match *offers.Match) mesos.TaskInfo {
	info := mesos.TaskInfo{
		Name:      t.FullTaskName,
		TaskID:    mesos.TaskID{Value: taskID},
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
			{Key: labelTargetConfig, Value: ptr(s.configID)},
			{Key: labelConfigHash, Value: ptr(t.ConfigHash)},
			{Key: labelTaskType, Value: ptr(t.TaskName)},
			{Key: labelIndex, Value: ptr(strconv.Itoa(t.Index))},
			{Key: labelHostname, Value: ptr(match.Offer.Hostname)},
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
	return info
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
