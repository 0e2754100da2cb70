package service

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/kafka/admin"
	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/plan"
	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/rollout"
	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/spec"
	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/state"
)

// Rolling updates (issue 11): an update is classified broker by broker
// (rollout.Classify), its restarts ordered with the active controller last
// (rollout.StepOrder), and the deploy plan built with plan.WithRollout.
// Every Kafka call the roll needs runs off the lock, as a kafkaCall effect
// carried out by the service goroutine like a Mesos call; its verdict is
// applied by a follow-up decision:
//
//   - the update asks Kafka for the active controller before it builds the
//     plan; when Kafka does not answer, the controller is -1 and the
//     restarts are ordered by broker id alone (the controller is then not
//     known to be last; the restart gate still guards every restart);
//   - the reconfigure step applies the cluster-wide properties with
//     ApplyClusterConfigs, and retries on failure, saying why;
//   - before a running broker is killed for a relaunch, the restart gate
//     (service.rolling_restart_safety_check) asks CanRestartBroker; an
//     unsafe verdict or an unreachable Kafka keeps the step waiting, its
//     message naming the blocking partitions or the Kafka error;
//   - a restart step whose relaunched broker is running and ready waits
//     until BackInSync says the broker is in the ISR of every partition it
//     replicates (Rejoined), or until service.isr_wait_timeout_secs runs
//     out (Failed: the step is in ERROR, and the plan restart command
//     retries it).
//
// After a scheduler restart the rollout is recovered from the state
// (recoveredRollout): when every broker not yet running the target was
// launched with one and the same stored configuration, the update is
// classified again from that configuration to the target, and the plan
// resumes (restarts already done wait for the ISR once more). The active
// controller is not known then (Open makes no network call), so the
// remaining restarts are ordered by id alone. Otherwise the plan is a plain
// deploy plan, each kill still through the restart gate.

// Kafka is what the service asks a running service's Kafka cluster
// (implemented by *admin.Client).
type Kafka interface {
	Controller(ctx context.Context) (int32, error)
	CanRestartBroker(ctx context.Context, id int32) (admin.RestartCheck, error)
	BackInSync(ctx context.Context, id int32) (admin.InSyncCheck, error)
	ApplyClusterConfigs(ctx context.Context, configs []admin.ClusterConfig) error
	// PartitionHealth is asked before an automatic replacement
	// (recovery.go).
	PartitionHealth(ctx context.Context) (admin.HealthReport, error)
}

// KafkaProvider returns the admin connection of the service's brokers; the
// manager provides it, reusing one connection per service. It fails while
// the service has no broker to connect to.
type KafkaProvider func(ctx context.Context) (Kafka, error)

// kafkaCall is one call to the service's Kafka cluster, made off the lock
// within Timing.KafkaTimeout. do runs with the lock released and returns
// the follow-up decision that applies its verdict under the lock. When no
// connection can be had, do gets a Kafka whose every call fails with why.
type kafkaCall struct {
	what string
	do   func(ctx context.Context, k Kafka) func() effects
}

// kafkaCallOut makes one Kafka call within the Kafka deadline.
func (s *Service) kafkaCallOut(ctx context.Context, c kafkaCall) func() effects {
	ctx, cancel := context.WithTimeout(ctx, s.cfg.Timing.KafkaTimeout)
	defer cancel()
	var k Kafka = unreachableKafka{errors.New("no Kafka admin connection is configured")}
	if s.cfg.Kafka != nil {
		got, err := s.cfg.Kafka(ctx)
		if err != nil {
			k = unreachableKafka{err}
		} else {
			k = got
		}
	}
	return c.do(ctx, k)
}

// unreachableKafka answers every call with the reason no connection could
// be had.
type unreachableKafka struct{ err error }

func (u unreachableKafka) Controller(context.Context) (int32, error) { return -1, u.err }
func (u unreachableKafka) CanRestartBroker(context.Context, int32) (admin.RestartCheck, error) {
	return admin.RestartCheck{}, u.err
}
func (u unreachableKafka) BackInSync(context.Context, int32) (admin.InSyncCheck, error) {
	return admin.InSyncCheck{}, u.err
}
func (u unreachableKafka) ApplyClusterConfigs(context.Context, []admin.ClusterConfig) error {
	return u.err
}
func (u unreachableKafka) PartitionHealth(context.Context) (admin.HealthReport, error) {
	return admin.HealthReport{}, u.err
}

// controllerOf asks Kafka for the active controller: -1 when Kafka does
// not answer (the restarts are then ordered by id alone).
func controllerOf(ctx context.Context, k Kafka) int {
	id, err := k.Controller(ctx)
	if err != nil {
		return -1
	}
	return int(id)
}

// rolloutState is the update the deploy plan rolls, and the progress of
// its Kafka checks.
type rolloutState struct {
	update     rollout.Update
	controller int
	// nextReconfigure is when a failed reconfigure is tried again.
	nextReconfigure time.Time
}

// UpdatePlan is the plan an update would run, as the update builds it.
type UpdatePlan struct {
	Plan plan.Info
	// Update is what each broker must do.
	Update rollout.Update
	// Controller is the active controller's broker id, -1 when Kafka did
	// not answer or no broker restarts.
	Controller int
	// Rolling is true when the plan rolls the update broker by broker
	// (plan.WithRollout); false when a deploy or an earlier update is
	// still under way and the plan is a plain deploy plan.
	Rolling bool
}

// restarts reports whether any broker of u restarts.
func restarts(u rollout.Update) bool { return u.Actions()[rollout.Restart] > 0 }

// unchangedPodOps are the writes that record, for the brokers an update
// leaves running (action none, or reconfigure once applied), that their
// task now runs the target pod configuration, so that a later plain
// rebuild of the plan does not relaunch them.
func (s *Service) unchangedPodOps(next spec.ServiceSpec, u rollout.Update, actions ...rollout.Action) ([]state.Op, map[int]TaskRecord) {
	target := next.PodConfigHash()
	var ops []state.Op
	records := map[int]TaskRecord{}
	for _, b := range u.Brokers {
		p := s.pods[b.ID]
		if p == nil || p.record.TaskID == "" || p.record.ConfigHash == target || !hasAction(b.Action, actions) {
			continue
		}
		r := p.record
		r.ConfigHash = target
		records[b.ID] = r
		ops = append(ops, state.SetOp(taskInfoKey(r.Name), mustJSON(r)))
	}
	return ops, records
}

func hasAction(a rollout.Action, in []rollout.Action) bool {
	for _, x := range in {
		if a == x {
			return true
		}
	}
	return false
}

// advanceRoll decides at once the rolling work an event may have made due
// (the ISR check of a broker that just became ready, the gate and kill of
// the next broker once a step completed) rather than at the next tick, so
// that the scheduler's own overhead per rolling step stays far below the
// timer period (BenchmarkRollingStepOverhead).
func (s *Service) advanceRoll() effects {
	if s.uninstall != nil || s.conn == nil || !s.conn.Connected() {
		return effects{}
	}
	return s.killOutdatedTasks().join(s.rollingWork())
}

// awaitingISR reports whether a restart step waits for its broker to
// rejoin the ISR (the ISR poll then runs). It holds s.mu briefly and does
// no I/O.
func (s *Service) awaitingISR() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.uninstall != nil {
		return false
	}
	for _, c := range s.deploy.Candidates(nil) {
		if c.Action == plan.ActionRestart && c.Status == plan.Started && s.deploy.AwaitingISR(c.Pod) {
			return true
		}
	}
	return false
}

// rollingWork decides the Kafka checks of the deploy plan's rollout steps
// due now: the reconfigure step and the ISR waits. (The restart gate is
// decided with the kills, in killOutdatedTasks.)
func (s *Service) rollingWork() effects {
	var fx effects
	for _, c := range s.deploy.Candidates(nil) {
		switch {
		case c.Action == plan.ActionReconfigure && c.Status == plan.Pending:
			fx = fx.join(s.reconfigure())
		case c.Action == plan.ActionRestart && c.Status == plan.Started && s.deploy.AwaitingISR(c.Pod):
			fx = fx.join(s.awaitISR(c))
		}
	}
	return fx
}

// reconfigure applies the update's cluster-wide properties in place.
func (s *Service) reconfigure() effects {
	if s.rollout == nil || s.now().Before(s.rollout.nextReconfigure) {
		return effects{}
	}
	r := s.rollout
	configs := make([]admin.ClusterConfig, 0, len(r.update.Dynamic))
	for _, p := range r.update.Dynamic {
		configs = append(configs, admin.ClusterConfig{Key: p.Key, Value: p.Value})
	}
	return effects{kafka: []kafkaCall{{what: "applying the cluster-wide Kafka properties", do: func(ctx context.Context, k Kafka) func() effects {
		err := k.ApplyClusterConfigs(ctx, configs)
		return func() effects {
			if s.rollout != r {
				return effects{} // another update replaced this one
			}
			if err != nil {
				r.nextReconfigure = s.now().Add(reconfigureRetry)
				s.deploy.Explain("", fmt.Sprintf("applying the cluster-wide Kafka properties %s failed, trying again in %s: %v", keysOf(configs), reconfigureRetry, err))
				return effects{}
			}
			return s.reconfigured(r)
		}
	}}}}
}

// reconfigureRetry is the wait before a failed reconfigure is tried again.
const reconfigureRetry = 5 * time.Second

func keysOf(configs []admin.ClusterConfig) string {
	out := ""
	for i, c := range configs {
		if i > 0 {
			out += ", "
		}
		out += c.Key
	}
	return out
}

// reconfigured completes the reconfigure step once the records of the
// brokers left running say they run the target pod configuration.
func (s *Service) reconfigured(r *rolloutState) effects {
	ops, records := s.unchangedPodOps(s.spec, r.update, rollout.None, rollout.Reconfigure)
	done := func() effects {
		s.deploy.Reconfigured()
		s.log.Info("cluster-wide Kafka properties applied in place", "keys", len(r.update.Dynamic))
		return s.noteDeployCompletion()
	}
	if len(ops) == 0 {
		return done()
	}
	return effects{writes: []write{commitWrite("recording that the running brokers took the new properties", ops, func(err error) effects {
		if err != nil {
			s.deploy.Explain("", "the properties were applied, but recording it failed; trying again: "+err.Error())
			return effects{}
		}
		for id, rec := range records {
			if p := s.pods[id]; p != nil && p.record.TaskID == rec.TaskID {
				p.record = rec
			}
		}
		return done()
	})}}
}

// gateKill decides the kill of pod p's running task for its pending step
// c, through the restart gate: with the safety check on, the kill is only
// decided once CanRestartBroker found it safe.
func (s *Service) gateKill(c plan.Candidate, p *pod) effects {
	taskID, agentID := p.record.TaskID, p.record.AgentID
	waitMsg := fmt.Sprintf("waiting for task %s to stop before relaunching", taskID)
	if !s.spec.RestartGate().SafetyCheck || s.gateCleared[c.Pod] == taskID {
		s.deploy.Explain(c.Pod, waitMsg)
		return s.kill(taskID, agentID)
	}
	if _, killed := s.killedAt[taskID]; killed {
		return effects{}
	}
	id := int32(c.PodIndex)
	return effects{kafka: []kafkaCall{{what: "checking whether broker " + c.Pod + " can restart", do: func(ctx context.Context, k Kafka) func() effects {
		check, err := k.CanRestartBroker(ctx, id)
		return func() effects {
			if cur := s.pods[c.PodIndex]; cur == nil || cur.record.TaskID != taskID || !cur.alive() {
				return effects{}
			}
			switch {
			case errors.Is(err, admin.ErrUnknownBroker):
				// The broker is not in the cluster and holds no
				// replicas: stopping it cannot lower availability.
				check = admin.RestartCheck{Broker: id, Safe: true}
			case err != nil:
				s.deploy.Explain(c.Pod, fmt.Sprintf("waiting to restart: Kafka is unreachable, so the restart cannot be checked safe (%v)", err))
				return effects{}
			case !check.Safe:
				s.deploy.Explain(c.Pod, "waiting to restart: "+check.Reason())
				return effects{}
			default:
				// Kafka's metadata lags a stop the scheduler itself
				// just made (a parallel update's previous kill):
				// the gate also waits for every other broker.
				if other := s.brokerNotBack(c.PodIndex); other != "" {
					s.deploy.Explain(c.Pod, "waiting to restart: "+other+"; with service.rolling_restart_safety_check on, a broker stops only while every other broker runs and is in the ISR")
					return effects{}
				}
			}
			s.gateCleared[c.Pod] = taskID
			delete(s.isrSince, c.Pod)
			s.log.Info("restart gate passed", "pod", c.Pod, "task_id", taskID, "reason", check.Reason())
			s.deploy.Explain(c.Pod, waitMsg)
			return s.kill(taskID, agentID)
		}
	}}}}
}

// brokerNotBack says which other broker of the service (than pod except)
// is down, stopping, starting or not back in the ISR after its restart;
// "" when every other broker runs, ready and in sync as far as the
// scheduler knows.
func (s *Service) brokerNotBack(except int) string {
	for _, i := range slices.Sorted(maps.Keys(s.pods)) {
		p := s.pods[i]
		name := spec.PodInstanceName(i)
		_, stopping := s.killedAt[p.record.TaskID]
		switch {
		case i == except || p.record.TaskID == "":
			continue
		case !p.alive():
			return fmt.Sprintf("%s is down (%s)", name, p.status.State)
		case stopping:
			return name + " is being stopped"
		case !p.status.Ready:
			return name + " is starting"
		case s.deploy.AwaitingISR(name):
			return name + " is not back in the ISR yet"
		}
	}
	return ""
}

// awaitISR checks whether the restarted broker of step c is back in the
// ISR of every partition it replicates.
func (s *Service) awaitISR(c plan.Candidate) effects {
	gate := s.spec.RestartGate()
	if !gate.SafetyCheck {
		s.deploy.Rejoined(c.Pod)
		return s.noteDeployCompletion()
	}
	since, ok := s.isrSince[c.Pod]
	if !ok {
		since = s.now()
		s.isrSince[c.Pod] = since
	}
	id := int32(c.PodIndex)
	return effects{kafka: []kafkaCall{{what: "checking whether broker " + c.Pod + " is back in sync", do: func(ctx context.Context, k Kafka) func() effects {
		check, err := k.BackInSync(ctx, id)
		return func() effects {
			if !s.deploy.AwaitingISR(c.Pod) {
				return effects{}
			}
			if err == nil && check.InSync {
				delete(s.isrSince, c.Pod)
				s.deploy.Rejoined(c.Pod)
				s.log.Info("restarted broker back in sync", "pod", c.Pod, "partitions", check.Partitions)
				return s.noteDeployCompletion().join(s.advanceRoll())
			}
			reason := "Kafka is unreachable: " + errText(err)
			if err == nil {
				reason = check.Reason()
			}
			if waited := s.now().Sub(since); waited > gate.ISRWait {
				delete(s.isrSince, c.Pod)
				s.deploy.Failed(c.Pod, fmt.Sprintf("the restarted broker did not rejoin the ISR within service.isr_wait_timeout_secs (%s): %s; restart the step to wait again", gate.ISRWait, reason))
				return effects{}
			}
			s.deploy.Explain(c.Pod, "running and ready, waiting for the ISR: "+reason)
			return effects{}
		}
	}}}}
}

// recoveredRollout rebuilds, after a scheduler restart, the rollout of the
// update under way (see the file comment), or returns nil.
func (s *Service) recoveredRollout() *rolloutState {
	target := s.spec.PodConfigHash()
	from := ""
	for _, p := range s.pods {
		if p.record.TaskID == "" || p.record.ConfigHash == target {
			continue
		}
		if from != "" && p.record.ConfigID != from {
			return nil // brokers of several older configurations
		}
		from = p.record.ConfigID
	}
	if from == "" || from == s.configID() {
		return nil
	}
	data, ok := s.configs.Get(from)
	if !ok {
		return nil
	}
	var old spec.ServiceSpec
	if err := json.Unmarshal(data, &old); err != nil {
		s.log.Warn("reading the configuration an update rolls from; the plan relaunches without it", "config_id", from, "error", err)
		return nil
	}
	if spec.ValidateUpdate(old, s.spec).Err() != nil {
		return nil
	}
	u, err := rollout.Classify(old, s.spec)
	if err != nil {
		s.log.Warn("classifying the update under way; the plan relaunches without it", "config_id", from, "error", err)
		return nil
	}
	return &rolloutState{update: u, controller: -1}
}
