package service

import (
	"context"
	"errors"
	"fmt"

	"github.com/gogo/protobuf/jsonpb"
	mesos "github.com/mesos/mesos-go/api/v1/lib"
	"github.com/mesos/mesos-go/api/v1/lib/scheduler/calls"

	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/offers"
	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/spec"
	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/state"
	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/taskinfo"
)

// stageLaunch turns a match into the launch of the step's pod, and returns
// the write the ACCEPT waits for. The decision is where and on what: the
// model takes the launch at once, so that the rest of the cycle sees it
// (placement, what is left of the agent). The write assembles the task
// (package taskinfo: the rendered server.properties, the secrets resolved
// through Config.Secrets, the TaskInfo and its encoding without the
// secrets' data, all done outside the lock) and stores the task record
// with it: a scheduler that stops right after still knows the task and its
// reservations. Only then is the LAUNCH_GROUP added to the agent's
// operations; when the write fails, the launch is taken back and the
// agent's offers are declined.
func (s *Service) stageLaunch(step launchStep, g *agentOffers, match *offers.Match) write {
	agent := agentOf(match.Offer)
	site := spec.Site{
		Hostname: match.Offer.Hostname,
		Port:     int(match.Footprint.Ports[spec.BrokerPortName]),
		Zone:     agent.Zone,
	}
	i := step.PodIndex
	taskID := taskinfo.TaskID(s.spec.Name, spec.TaskInstanceName(i), newID())
	executorID := taskinfo.ExecutorID(s.spec.Name, spec.PodInstanceName(i), newID())
	record := TaskRecord{
		Pod: i, Name: spec.TaskInstanceName(i), TaskID: taskID, ExecutorID: executorID,
		AgentID: match.Offer.AgentID.Value, Hostname: match.Offer.Hostname,
		Zone: agent.Zone, Region: agent.Region, Attributes: agent.Attributes,
		Footprint: match.Footprint, ConfigID: s.configID(),
		Port: site.Port, LaunchedAt: s.now().UTC(),
	}
	// A relaunch on existing reservations is confirmed from the start:
	// only fresh reservations may turn out never to have been made.
	status := TaskStatus{TaskID: taskID, Confirmed: !match.Fresh}

	previous, hadPrevious := s.pods[i]
	if hadPrevious {
		record.Paused = previous.record.Paused // pause.go
	}
	launched := &pod{record: record, status: status}
	s.pods[i] = launched
	g.ops = append(g.ops, match.Operations...)
	g.launched = true
	step.plan.Prepared(step.Pod)
	step.plan.Launched(step.Pod, taskID)

	sp, frameworkID, resolve := s.spec, s.frameworkID, s.cfg.Secrets
	var assembled struct {
		info     mesos.TaskInfo
		executor mesos.ExecutorInfo
		json     []byte
		hash     string
	}
	assemble := func(ctx context.Context, st state.Store) error {
		task, _, err := sp.Launch(i, site)
		if err != nil {
			return fmt.Errorf("completing the launch of %s: %w", step.Pod, err)
		}
		resolved, err := resolveSecrets(ctx, resolve, sp, task.Secrets)
		if err != nil {
			return &secretsError{fmt.Errorf("delivering the secrets of %s: %w", step.Pod, err)}
		}
		if record.Paused {
			task = pausedTask(task)
		}
		built := taskinfo.BuildTask(taskinfo.Launch{
			Task: task, TaskID: taskID, ExecutorID: executorID,
			FrameworkID: frameworkID, ConfigID: record.ConfigID, Match: match,
			Secrets: resolved,
		})
		info, executor := built.Info, built.Executor
		// The record keeps, and the API shows, the TaskInfo without the
		// secrets' data.
		js, err := (&jsonpb.Marshaler{}).MarshalToString(&built.Stored)
		if err != nil {
			return fmt.Errorf("encoding the TaskInfo of %s: %w", taskID, err)
		}
		stored := record
		stored.ConfigHash, stored.Info = task.ConfigHash, []byte(js)
		if err := st.Commit(ctx,
			state.SetOp(taskInfoKey(record.Name), mustJSON(stored)),
			state.SetOp(taskStatusKey(record.Name), mustJSON(status)),
		); err != nil {
			return err
		}
		assembled.info, assembled.executor, assembled.json, assembled.hash = info, executor, stored.Info, stored.ConfigHash
		return nil
	}
	return write{what: "storing task " + taskID + " before its launch", do: assemble, then: func(err error) effects {
		if err != nil {
			s.log.Error("not launching: the task could not be stored", "pod", step.Pod, "task_id", taskID, "error", err)
			if hadPrevious {
				s.pods[i] = previous
			} else {
				delete(s.pods, i)
			}
			step.plan.Pending(step.Pod)
			why := fmt.Sprintf("storing its task failed (%v)", err)
			if se := (*secretsError)(nil); errors.As(err, &se) {
				why = se.Error()
			}
			step.plan.Explain(step.Pod, fmt.Sprintf("the launch on %s was not sent: %s; it is tried again with the next offers", match.Offer.Hostname, why))
			g.failed = true
			return effects{}
		}
		launched.record.ConfigHash, launched.record.Info = assembled.hash, assembled.json
		g.ops = append(g.ops, calls.OpLaunchGroup(assembled.executor, assembled.info))
		s.log.Info("launching broker", "pod", step.Pod, "task_id", taskID, "agent", match.Offer.Hostname, "port", site.Port, "fresh_reservations", match.Fresh, "operations", len(match.Operations))
		return effects{}
	}}
}
