package service

import (
	"context"
	"fmt"

	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/plan"
)

// PlanCommand runs an operator command and stores the deploy plan's
// overrides, so that an interrupt or a continue survives a restart.
func (s *Service) PlanCommand(ctx context.Context, cmd PlanCommand) error {
	return s.submit(ctx, "running the "+cmd.Command+" command", func() effects {
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
	})
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
