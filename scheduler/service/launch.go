package service

import (
	"context"
	"fmt"

	"github.com/gogo/protobuf/jsonpb"
	"github.com/mesos/mesos-go/api/v1/lib/scheduler/calls"

	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/offers"
	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/plan"
	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/spec"
	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/state"
	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/taskinfo"
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
	taskID := taskinfo.TaskID(s.spec.Name, task.FullTaskName, newID())
	executorID := taskinfo.ExecutorID(s.spec.Name, task.PodInstance, newID())
	info, executor := taskinfo.Build(taskinfo.Launch{
		Task: task, TaskID: taskID, ExecutorID: executorID,
		FrameworkID: s.frameworkID, ConfigID: s.configID(), Match: match,
	})
	record := TaskRecord{
		Pod: step.PodIndex, Name: task.FullTaskName, TaskID: taskID, ExecutorID: executorID,
		AgentID: match.Offer.AgentID.Value, Hostname: match.Offer.Hostname,
		Zone: agent.Zone, Region: agent.Region, Attributes: agent.Attributes,
		Footprint: match.Footprint, ConfigID: s.configID(), ConfigHash: task.ConfigHash,
		Port: site.Port, LaunchedAt: s.now().UTC(),
	}
	// A relaunch on existing reservations is confirmed from the start:
	// only fresh reservations may turn out never to have been made.
	status := TaskStatus{TaskID: taskID, Confirmed: len(match.Operations) == 0}

	previous, hadPrevious := s.pods[step.PodIndex]
	launched := &pod{record: record, status: status}
	s.pods[step.PodIndex] = launched
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
