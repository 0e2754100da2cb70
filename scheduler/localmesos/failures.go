package localmesos

import (
	"errors"
	"fmt"

	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/localmesos/agent"
)

// Failure injection. Each method makes the cluster fail the way a real one
// does; what frameworks then observe is what a real master reports.
//
//   - CrashAgent: the agent and its task processes die at once (a host
//     crash). The master sees the connection break: offers on the agent are
//     rescinded, tasks of frameworks without checkpointing become TASK_LOST,
//     the others wait for the agent to come back.
//   - RestartAgent: the agent comes back from its work folder with the same
//     ID, reservations and volumes; its tasks' executors died with it, so
//     they are reported TASK_FAILED (REASON_EXECUTOR_TERMINATED).
//   - PartitionAgent: the network to the agent is cut; its tasks keep running.
//     After AgentPingTimeout the master marks it unreachable: TASK_UNREACHABLE
//     (TASK_LOST without PARTITION_AWARE).
//   - HealAgent: the network comes back; the agent reregisters and the
//     master reports its tasks again (REASON_AGENT_REREGISTERED).
//   - RemoveAgent: the operator marks the agent gone: TASK_GONE_BY_OPERATOR
//     (TASK_LOST without PARTITION_AWARE); the agent kills its tasks and
//     stops, now or when its network comes back.
//   - FailoverMaster: the leading master dies; every event stream closes,
//     offers vanish, a new leader (a standby if there is one) is elected and
//     agents reregister. Frameworks must resubscribe.
//   - CutEventStreams: every subscription's connection breaks; frameworks are
//     disconnected and their failover timeouts start.
//   - StopHeartbeats / ResumeHeartbeats: the master stops sending HEARTBEAT
//     events, while the streams stay open.

// CrashAgent crashes an agent (by name or agent ID).
func (c *Cluster) CrashAgent(name string) error {
	n, err := c.node(name)
	if err != nil {
		return err
	}
	c.mu.Lock()
	a := n.agent
	n.agent = nil
	cut := n.link.cut.Load()
	c.mu.Unlock()
	if a == nil {
		return fmt.Errorf("agent %s is not running", n.name)
	}
	a.Crash()
	c.log.Info("crashed agent", "agent", n.name)
	if !cut {
		if id, _ := agent.ReadID(n.cfg.WorkDir); id != "" {
			if m := c.leaderMaster(); m != nil {
				m.AgentExited(id)
			}
		}
	}
	return nil
}

// RestartAgent starts a crashed agent again from its work folder.
func (c *Cluster) RestartAgent(name string) error {
	n, err := c.node(name)
	if err != nil {
		return err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if n.removed {
		return fmt.Errorf("agent %s was removed (marked gone) and cannot come back", n.name)
	}
	if n.agent != nil && n.agent.Alive() {
		return fmt.Errorf("agent %s is running; crash it before restarting it", n.name)
	}
	a, err := agent.Start(n.cfg)
	if err != nil {
		return fmt.Errorf("restarting agent %s: %w", n.name, err)
	}
	n.agent = a
	c.log.Info("restarted agent", "agent", n.name)
	return nil
}

// PartitionAgent cuts the network between an agent and the masters.
func (c *Cluster) PartitionAgent(name string) error {
	n, err := c.node(name)
	if err != nil {
		return err
	}
	if n.link.cut.Swap(true) {
		return fmt.Errorf("agent %s is already partitioned", n.name)
	}
	c.log.Info("partitioned agent", "agent", n.name)
	return nil
}

// HealAgent restores an agent's network; the agent reregisters.
func (c *Cluster) HealAgent(name string) error {
	n, err := c.node(name)
	if err != nil {
		return err
	}
	if !n.link.cut.Swap(false) {
		return fmt.Errorf("agent %s is not partitioned", n.name)
	}
	c.mu.Lock()
	a := n.agent
	c.mu.Unlock()
	if a != nil {
		a.Reregister()
	}
	c.log.Info("healed agent", "agent", n.name)
	return nil
}

// RemoveAgent marks an agent gone for good.
func (c *Cluster) RemoveAgent(name string) error {
	n, err := c.node(name)
	if err != nil {
		return err
	}
	id, err := agent.ReadID(n.cfg.WorkDir)
	if err != nil || id == "" {
		return fmt.Errorf("agent %s has no agent ID yet (it never registered)", n.name)
	}
	c.mu.Lock()
	if n.removed {
		c.mu.Unlock()
		return fmt.Errorf("agent %s was already removed", n.name)
	}
	n.removed = true
	c.mu.Unlock()
	m := c.leaderMaster()
	if m == nil {
		return errors.New("no leading master")
	}
	m.MarkGone(id)
	c.log.Info("marked agent gone", "agent", n.name, "agent_id", id)
	return nil
}

// FailoverMaster kills the leading master and elects a new one: the next
// standby when there are several masters, else a fresh master on the same
// address. Agents reregister with the new leader.
func (c *Cluster) FailoverMaster() error {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return errors.New("the local Mesos is closed")
	}
	old := c.masters[c.leader]
	oldMaster := old.current.Load()
	c.mu.Unlock()

	oldMaster.Stop()
	fresh := c.newMaster(old)

	c.mu.Lock()
	old.current.Store(fresh)
	c.leader = (c.leader + 1) % len(c.masters)
	leader := c.masters[c.leader].current.Load()
	heartbeatsOff := c.heartbeatsOff
	var agents []*agent.Agent
	for _, n := range c.agents {
		if n.agent != nil {
			agents = append(agents, n.agent)
		}
	}
	c.mu.Unlock()

	leader.SetHeartbeats(!heartbeatsOff)
	leader.Elect()
	for _, a := range agents {
		a.Reregister()
	}
	c.log.Info("master failed over", "leader", c.LeaderAddress())
	return nil
}

// CutEventStreams breaks every framework's event stream.
func (c *Cluster) CutEventStreams() {
	if m := c.leaderMaster(); m != nil {
		m.CutEventStreams()
	}
}

// StopHeartbeats stops HEARTBEAT events (the streams stay open).
func (c *Cluster) StopHeartbeats() { c.setHeartbeats(false) }

// ResumeHeartbeats resumes HEARTBEAT events.
func (c *Cluster) ResumeHeartbeats() { c.setHeartbeats(true) }

func (c *Cluster) setHeartbeats(on bool) {
	c.mu.Lock()
	c.heartbeatsOff = !on
	c.mu.Unlock()
	if m := c.leaderMaster(); m != nil {
		m.SetHeartbeats(on)
	}
}
