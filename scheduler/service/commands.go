package service

import (
	"context"
	"errors"
	"fmt"

	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/plan"
	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/spec"
)

// PlanCommand runs an operator command and stores the deploy plan's
// overrides, so that an interrupt or a continue survives a restart.
func (s *Service) PlanCommand(ctx context.Context, cmd PlanCommand) error {
	return s.submit(ctx, "running the "+cmd.Command+" command", func() effects { return s.planCommand(cmd) })
}

// RestartPod restarts a broker in place: the restart command on its step
// of the deploy plan, so the restart goes the way an update's restart goes
// (through the restart gate, relaunched on its own reservations and
// volume, complete once it is back in the ISR). With force, the broker's
// running task is stopped without the restart gate's check (the wait for
// the ISR afterwards stays).
func (s *Service) RestartPod(ctx context.Context, podName string, force bool) error {
	return s.submit(ctx, "restarting "+podName, func() effects {
		if s.uninstall != nil {
			return failed(fmt.Errorf("%w: service %s is uninstalling", ErrConflict, s.name))
		}
		phase, step, ok := s.stepOfPod(podName)
		if !ok {
			return failed(fmt.Errorf("%w: the deploy plan has no step for %s", ErrConflict, podName))
		}
		fx := s.planCommand(PlanCommand{Plan: plan.DeployPlanName, Command: CommandRestart, Phase: phase, Step: step})
		if !force {
			return fx
		}
		if errors.Is(fx.err, plan.ErrAlreadyReported) {
			// The step is already waiting to restart (at the gate,
			// say): forcing it is what is asked.
			fx = effects{}
		}
		if p := s.podByName(podName); fx.err == nil && p != nil && p.alive() {
			s.gateCleared[podName] = p.record.TaskID
			s.log.Warn("restart forced: the restart gate is skipped", "pod", podName, "task_id", p.record.TaskID)
		}
		return fx
	})
}

// stepOfPod names the deploy plan's phase and step of a pod.
func (s *Service) stepOfPod(podName string) (phase, step string, ok bool) {
	for _, ph := range s.deploy.Info().Phases {
		for _, st := range ph.Steps {
			if st.Pod == podName {
				return ph.Name, st.Name, true
			}
		}
	}
	return "", "", false
}

// podByName is the pod of a pod instance name ("kafka-0"), nil when the
// service has none.
func (s *Service) podByName(podName string) *pod {
	for i, p := range s.pods {
		if spec.PodInstanceName(i) == podName {
			return p
		}
	}
	return nil
}

// planCommand decides an operator command and the write of the deploy
// plan's overrides. Callers hold s.mu.
func (s *Service) planCommand(cmd PlanCommand) effects {
	if cmd.Plan == plan.RecoveryPlanName {
		if err := runCommand(s.rec.plan, cmd); err != nil {
			return failed(err)
		}
		return s.storeRecoveryOverrides(cmd.Command)
	}
	if cmd.Plan != plan.DeployPlanName {
		return failed(&NotFoundError{Kind: "Plan", Name: cmd.Plan})
	}
	if s.uninstall != nil {
		return failed(runCommand(s.uninstall.Plan, cmd))
	}
	if err := runCommand(s.deploy, cmd); err != nil {
		return failed(err)
	}
	value := mustJSON(s.deploy.Overrides())
	return effects{writes: []write{setWrite("storing the deploy plan's overrides", propertyKey(propertyDeployOverride), value, func(err error) effects {
		if err != nil {
			return failed(fmt.Errorf("the %s command took effect but storing it failed, so a scheduler restart would forget it: %w", cmd.Command, err))
		}
		s.setProperty(propertyDeployOverride, value)
		return effects{}
	})}}
}

func runCommand(p *plan.Plan, cmd PlanCommand) error {
	switch cmd.Command {
	case CommandContinue:
		return p.Continue(cmd.Phase)
	case CommandInterrupt:
		return p.Interrupt(cmd.Phase)
	case CommandForceComplete:
		return p.ForceComplete(cmd.Phase, cmd.Step)
	case CommandRestart:
		return p.Restart(cmd.Phase, cmd.Step)
	case CommandStart:
		return p.Start(cmd.Parameters)
	case CommandStop:
		p.Stop()
		return nil
	}
	return &NotFoundError{Kind: "Command", Name: cmd.Command}
}
