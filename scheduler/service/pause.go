package service

import (
	"context"
	"fmt"
	"strings"

	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/spec"
)

// Pause and resume (dcos-commons' goal state override PAUSED): POST
// /v1/pod/{pod}/pause relaunches the broker's task, in place, with a
// command that keeps its sandbox and volume but does not start Kafka, for
// debugging; POST /v1/pod/{pod}/resume relaunches it with Kafka. The goal
// is stored in the broker's task record (Paused) before its task is
// killed; the recovery plan relaunches the pod, and the pod status shows
// PAUSING, PAUSED and, once resumed, the task's own state. A paused task
// never passes its readiness check; its recovery step completes once it
// runs.

// pauseCommand is what a paused broker's task runs (DC/OS's, without its
// bootstrap).
const pauseCommand = "echo 'This task is PAUSED, sleeping ...' && while true; do sleep 3600; done"

// pausedTask is t as a paused broker runs it.
func pausedTask(t spec.BrokerTask) spec.BrokerTask {
	t.Command = pauseCommand
	t.ReadinessCheck.Command = "exit 1"
	t.HealthCheck = nil
	return t
}

// PausePod pauses a deployed broker and returns it as it was.
func (s *Service) PausePod(ctx context.Context, podName string) (PodInstance, error) {
	return s.setPaused(ctx, podName, true)
}

// ResumePod resumes a paused broker and returns it as it was.
func (s *Service) ResumePod(ctx context.Context, podName string) (PodInstance, error) {
	return s.setPaused(ctx, podName, false)
}

func (s *Service) setPaused(ctx context.Context, podName string, paused bool) (PodInstance, error) {
	verb := map[bool]string{true: "pausing", false: "resuming"}[paused]
	var before PodInstance
	err := s.submit(ctx, verb+" "+podName, func() effects {
		p, err := s.operablePod(podName)
		if err != nil {
			return failed(err)
		}
		before = podInstance(p.record.Pod, p)
		if p.record.Paused == paused {
			return effects{} // already so: nothing to do
		}
		if !s.deployDone(podName) && !s.recovering(p.record.Pod) {
			return failed(fmt.Errorf("%w: the deploy plan is still working on %s; %s it once its step is complete", ErrConflict, podName, verb[:len(verb)-3]+"e"))
		}
		rec := p.record
		rec.Paused = paused
		return effects{writes: []write{setWrite("storing the goal of "+podName, taskInfoKey(rec.Name), mustJSON(rec), func(err error) effects {
			if err != nil {
				return failed(fmt.Errorf("%s %s: %w", verb, podName, err))
			}
			if cur := s.pods[rec.Pod]; cur != nil && cur.record.TaskID == rec.TaskID {
				cur.record.Paused = paused
			}
			i := rec.Pod
			s.rec.plan.AddRecovery(spec.StepName(i), podName, i)
			why := "an operator paused the broker: it is relaunched in place without Kafka"
			if !paused {
				why = "an operator resumed the broker: it is relaunched in place with Kafka"
			}
			s.rec.plan.Explain(podName, why)
			s.log.Info(why, "pod", podName, "task_id", rec.TaskID)
			return effects{}
		})}}
	})
	return before, err
}

// pausedState is the status a pod shows (DC/OS): PAUSING while a paused
// broker's Kafka still runs or its paused task is not running yet, PAUSED
// once its paused task runs.
func pausedState(p *pod, state string) string {
	if !p.record.Paused {
		return state
	}
	if state == "RUNNING" && p.record.Info != nil && !p.status.Ready && pausedLaunch(p) {
		return "PAUSED"
	}
	return "PAUSING"
}

// pausedLaunch reports whether the pod's task was launched paused (its
// TaskInfo runs the pause command).
func pausedLaunch(p *pod) bool { return strings.Contains(string(p.record.Info), "This task is PAUSED") }
