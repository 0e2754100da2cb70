package service

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	mesos "github.com/mesos/mesos-go/api/v1/lib"

	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/kafka/admin"
	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/offers"
	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/plan"
	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/recovery"
	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/spec"
	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/state"
)

// Recovery (issue 16) keeps deployed brokers running. Once the deploy
// plan's step of a broker is COMPLETE, the deploy plan ignores that
// broker's task statuses; a task that then ends (FAILED, KILLED out of
// band, LOST, an agent restart), becomes UNREACHABLE or GONE, or that an
// operator restarts, replaces, pauses or resumes, gets a phase in the
// recovery plan (plan.NewRecovery: parallel, one phase per broker, named
// as its step "kafka-<i>:[broker]"; completed phases stay listed, and a
// broker that fails again reuses its phase).
//
// Every tick, the policy (package recovery) decides each recovering broker
// from a snapshot taken under the lock: relaunch in place (its own
// reservations and volume, so its data, are kept), back off (the launch
// backoff shared with the deploy plan, backoff.go: the step is DELAYED and
// its message gives the next attempt), wait for an unreachable agent, wait
// for an operator (the agent is gone and automatic replacement is off),
// wait for a replacement (grace period, delay after the previous one, one
// at a time, or Kafka says a partition would be left without an in-sync
// replica elsewhere), or replace. A replace marks the broker's task record
// permanently failed (stored before anything else happens); its next
// launch takes fresh reservations and an empty volume, on another agent
// when one fits. The old reservations and volume are no broker's any
// more: the offer cycle destroys and unreserves them when Mesos offers
// them (cleanupUnexpected), also after a scheduler restart, and Mesos
// forgets them with an agent that is gone for good. A task of a broker
// that was given up and reappears (an agent that heals after the
// replacement) is killed.
//
// Which brokers recovery owns survives a restart: a broker whose record is
// marked for replacement or paused, or whose task of the target
// configuration had become ready and has since ended or become
// unreachable. The deploy plan counts these COMPLETE (plan.PodState
// Recovering), as DC/OS counts permanently failed pods. The recovery
// plan's operator overrides and the time of the last automatic
// replacement are stored in the property "recovery".

// recoveryState is the recovery plan and what recovery knows of the
// brokers it works on. It is guarded by s.mu.
type recoveryState struct {
	plan    *plan.Plan
	brokers map[int]*brokerRecovery
	// lastReplacement is when the latest automatic replacement started.
	lastReplacement time.Time
	// safety holds Kafka's latest verdicts on replacing a broker, asked
	// when each verdict was taken.
	safety map[int]recovery.Safety
	asked  map[int]time.Time
	// marking lists the brokers whose replacement mark is being stored.
	marking map[int]bool
	// leftovers are the resource ids of replaced brokers' reservations
	// by agent id, until they are released or the agent is gone
	// (goneAgents); see addLeftovers.
	leftovers  map[string][]string
	goneAgents map[string]bool
}

// brokerRecovery is what recovery tracks of one broker it works on.
type brokerRecovery struct {
	// taskID is the task the rest is about: a status of another task (a
	// relaunch or a replacement) starts afresh.
	taskID string
	// state is the latest state of the broker's task, since when it
	// has been in it.
	state recovery.TaskState
	since time.Time
	// agentGone is set once Mesos said the agent is gone for good.
	agentGone bool
	// kind and reason are the latest decision; reexplain asks the next
	// decision to write its reason into the step again.
	kind      recovery.Kind
	reason    string
	reexplain bool
}

// recoveryRecord is what the property "recovery" stores.
type recoveryRecord struct {
	Overrides       plan.Overrides `json:"overrides"`
	LastReplacement time.Time      `json:"last_replacement,omitzero"`
	// Pods are the brokers the recovery plan was working on: after a
	// restart, a relaunch it had sent is still its own.
	Pods []int `json:"pods,omitempty"`
	// Leftovers are replaced brokers' reservations not released yet, by
	// agent id.
	Leftovers map[string][]string `json:"leftovers,omitempty"`
}

// record is what the property "recovery" stores now, with the last
// replacement at last.
func (r *recoveryState) record(last time.Time) []byte {
	rec := recoveryRecord{Overrides: r.plan.Overrides(), LastReplacement: last}
	if len(r.leftovers) > 0 {
		rec.Leftovers = r.leftovers
	}
	for _, ph := range r.plan.Info().Phases {
		for _, st := range ph.Steps {
			if st.Status != plan.Complete {
				rec.Pods = append(rec.Pods, st.PodIndex)
			}
		}
	}
	return mustJSON(rec)
}

// storeRecoveryRecord decides the write of the property "recovery".
func (s *Service) storeRecoveryRecord(what string) effects {
	value := s.rec.record(s.rec.lastReplacement)
	return effects{writes: []write{setWrite(what, propertyKey(propertyRecovery), value, func(err error) effects {
		if err != nil {
			s.log.Warn(what, "error", err)
			return effects{}
		}
		s.setProperty(propertyRecovery, value)
		return effects{}
	})}}
}

// safetyRecheck is how long a Kafka verdict on a replacement is used
// before Kafka is asked again.
const safetyRecheck = 5 * time.Second

func newRecoveryState() recoveryState {
	return recoveryState{
		plan:    plan.NewRecovery(),
		brokers: map[int]*brokerRecovery{},
		safety:  map[int]recovery.Safety{},
		asked:   map[int]time.Time{},
		marking: map[int]bool{},

		leftovers:  map[string][]string{},
		goneAgents: map[string]bool{},
	}
}

// openRecovery rebuilds the recovery plan after a (re)start: a phase for
// every broker recovery owns (see the file comment), then the stored
// overrides. It runs before the deploy plan is built.
func (s *Service) openRecovery(stored []byte) {
	s.rec = newRecoveryState()
	var rec recoveryRecord
	if len(stored) > 0 {
		if err := json.Unmarshal(stored, &rec); err != nil {
			s.log.Warn("decoding the stored recovery state (ignored: overrides and the last replacement time are lost)", "error", err)
			rec = recoveryRecord{}
		}
	}
	s.rec.lastReplacement = rec.LastReplacement
	for agent, ids := range rec.Leftovers {
		s.rec.leftovers[agent] = ids
	}
	target := s.spec.PodConfigHash()
	for _, i := range s.sortedPods() {
		p := s.pods[i]
		name := spec.PodInstanceName(i)
		if slices.Contains(rec.Pods, i) && relaunchUnderWay(p, target) {
			// A relaunch recovery had sent: its step follows it.
			s.rec.plan.AddRecovery(spec.StepName(i), name, i)
			s.rec.plan.Track(name, p.record.TaskID)
			s.rec.brokers[i] = &brokerRecovery{taskID: p.record.TaskID, state: taskState(p.status.State), since: p.status.Time, kind: recovery.Relaunch}
			continue
		}
		if !ownedByRecoveryAtStart(p, target) {
			continue
		}
		s.rec.plan.AddRecovery(spec.StepName(i), name, i)
		s.rec.brokers[i] = &brokerRecovery{taskID: p.record.TaskID, state: taskState(p.status.State), since: p.status.Time}
		if p.record.Paused && p.alive() && p.status.State == "TASK_RUNNING" {
			s.rec.plan.Completed(name, "the broker is paused")
		}
	}
	if !rec.Overrides.IsZero() {
		if err := s.rec.plan.Apply(rec.Overrides); err != nil {
			s.log.Warn("restoring the recovery plan's overrides", "error", err)
		}
	}
}

// relaunchUnderWay reports whether the pod's task of the target
// configuration is launching or running without having become ready.
func relaunchUnderWay(p *pod, target string) bool {
	if p.record.TaskID == "" || p.record.ConfigHash != target || p.status.Ready {
		return false
	}
	switch p.status.State {
	case "", "TASK_STAGING", "TASK_STARTING", "TASK_RUNNING":
		return !p.launchNeverReachedMesos()
	}
	return false
}

// ownedByRecoveryAtStart reports whether recovery owns the pod when the
// service opens.
func ownedByRecoveryAtStart(p *pod, target string) bool {
	switch {
	case p.record.TaskID == "":
		return false
	case p.record.PermanentlyFailed, p.record.Paused:
		return true
	}
	return p.status.Confirmed && p.status.Ready && p.record.ConfigHash == target && needsRecovery(p.status.State)
}

// needsRecovery reports whether a task in state no longer serves: it
// ended, or its agent is unreachable. TASK_UNKNOWN of a confirmed task is
// transient (statusupdate.go) and needs nothing.
func needsRecovery(state string) bool {
	if state == "TASK_UNREACHABLE" {
		return true
	}
	return state != "TASK_UNKNOWN" && (TaskStatus{State: state}).terminal()
}

// taskState is a Mesos state as package recovery names it.
func taskState(state string) recovery.TaskState {
	return recovery.TaskState(strings.TrimPrefix(state, "TASK_"))
}

// recovering reports whether recovery owns pod i, so that a deploy plan
// built now counts it complete: it is being replaced or paused, or the
// recovery plan works on it and it was launched with the target's pod
// configuration. A failed broker of an older configuration is the deploy
// plan's (an update relaunches it into the new one).
func (s *Service) recovering(i int) bool {
	p := s.pods[i]
	if p == nil {
		return false
	}
	if p.record.PermanentlyFailed || p.record.Paused {
		return true
	}
	st, ok := s.rec.plan.PodStatus(spec.PodInstanceName(i))
	return ok && st != plan.Complete && p.record.ConfigHash == s.spec.PodConfigHash()
}

// withRecovery is pod i's plan state with recovery's ownership.
func (s *Service) withRecovery(i int, ps plan.PodState) plan.PodState {
	ps.Recovering = s.recovering(i)
	return ps
}

// deployDone reports whether the deploy plan is done with the pod, so that
// its failures are recovery's.
func (s *Service) deployDone(pod string) bool {
	st, ok := s.deploy.PodStatus(pod)
	return ok && st == plan.Complete
}

// noteRecovery applies a stored task status to recovery. Callers hold
// s.mu; the status is stored.
func (s *Service) noteRecovery(p *pod, prev, next TaskStatus) effects {
	i := p.record.Pod
	name := spec.PodInstanceName(i)
	s.rec.plan.TaskUpdate(plan.TaskUpdate{TaskID: next.TaskID, State: plan.TaskState(next.State), Ready: next.Ready})
	if !s.deployDone(name) {
		return effects{}
	}
	var fx effects
	switch {
	case needsRecovery(next.State):
		b := s.rec.brokers[i]
		if b == nil || b.taskID != next.TaskID {
			// A new task: what was known of the one before (its agent
			// gone, say) is not about it. The decision so far stays, so
			// that a change of decision is what gets logged.
			nb := &brokerRecovery{taskID: next.TaskID}
			if b != nil {
				nb.kind, nb.reason = b.kind, b.reason
			}
			b = nb
			s.rec.brokers[i] = b
		}
		st := taskState(next.State)
		if b.state != st {
			b.state, b.since = st, s.now()
		}
		if st == recovery.GoneByOperator || next.Reason == "REASON_AGENT_REMOVED" {
			b.agentGone = true
		}
		if s.rec.plan.AddRecovery(spec.StepName(i), name, i) {
			s.log.Warn("broker needs recovery", "pod", name, "task_id", next.TaskID, "state", next.State, "reason", next.Reason, "message", next.Message)
			fx = fx.join(s.storeRecoveryRecord("storing that " + name + " is in recovery"))
		}
	case next.State == "TASK_RUNNING" && p.record.PermanentlyFailed:
		// Given up (marked for replacement) but back: a broker with the
		// same id is about to run elsewhere.
		s.log.Warn("killing a task of a broker marked for replacement that reappeared", "pod", name, "task_id", next.TaskID, "agent", p.record.Hostname)
		s.rec.plan.Explain(name, reappeared(p))
		fx = s.kill(p.record.TaskID, p.record.AgentID)
	case next.State == "TASK_RUNNING" && next.Ready && !p.record.Paused && needsRecovery(prev.State):
		// The same task is back (an agent that was unreachable
		// reregistered): nothing to relaunch.
		if st, ok := s.rec.plan.PodStatus(name); ok && (st == plan.Pending || st == plan.Delayed) {
			s.rec.plan.Completed(name, fmt.Sprintf("task %s came back by itself (it was %s); nothing was relaunched", next.TaskID, strings.TrimPrefix(prev.State, "TASK_")))
			s.log.Info("broker came back by itself", "pod", name, "task_id", next.TaskID, "was", prev.State)
		}
	case next.State == "TASK_RUNNING" && p.record.Paused:
		// The paused command never passes the readiness check: running is
		// as far as a paused broker goes.
		if st, ok := s.rec.plan.PodStatus(name); ok && st != plan.Complete && s.tracks(name, next.TaskID) {
			s.rec.plan.Completed(name, "the broker is paused: its task runs without Kafka; resume it with POST /v1/pod/"+name+"/resume")
			s.log.Info("broker paused", "pod", name, "task_id", next.TaskID)
		}
	}
	if st, ok := s.rec.plan.PodStatus(name); ok && st == plan.Complete {
		if b := s.rec.brokers[i]; b != nil && b.kind != "" {
			s.log.Info("broker recovered", "pod", name, "task_id", next.TaskID, "after", b.kind)
		}
		delete(s.rec.brokers, i)
	}
	return fx
}

func cloneLeftovers(m map[string][]string) map[string][]string {
	out := make(map[string][]string, len(m))
	for k, v := range m {
		out[k] = slices.Clone(v)
	}
	return out
}

// reappeared is the step message of a broker marked for replacement whose
// old task runs again.
func reappeared(p *pod) string {
	return fmt.Sprintf("task %s reappeared on %s after the broker was marked for replacement; it is killed, and the broker is replaced once it stopped", p.record.TaskID, p.record.Hostname)
}

// tracks reports whether the pod's recovery step launched the task.
func (s *Service) tracks(pod, taskID string) bool {
	st, ok := s.rec.plan.PodStatus(pod)
	return ok && st.IsRunning() && s.pods[podIndexOf(pod)] != nil && s.pods[podIndexOf(pod)].record.TaskID == taskID
}

func podIndexOf(pod string) int {
	var i int
	if _, err := fmt.Sscanf(pod, spec.PodType+"-%d", &i); err != nil {
		return -1
	}
	return i
}

// recoveryPolicy is the service's recovery options for package recovery.
func (s *Service) recoveryPolicy() recovery.Policy {
	r := s.spec.Recovery()
	return recovery.Policy{
		EnableReplacement:           r.EnableReplacement,
		GracePeriod:                 r.GracePeriod,
		MinDelayBetweenReplacements: r.MinDelay,
		Backoff:                     s.cfg.Timing.LaunchBackoff,
	}
}

// recoveryWork decides, every tick, what recovery does with each broker it
// works on.
func (s *Service) recoveryWork() effects {
	var fx effects
	in := recovery.Input{Now: s.now(), Policy: s.recoveryPolicy(), LastReplacement: s.rec.lastReplacement, Safety: map[int]recovery.Safety{}}
	for _, i := range s.sortedPods() {
		name := spec.PodInstanceName(i)
		status, ok := s.rec.plan.PodStatus(name)
		if !ok || status == plan.Complete {
			delete(s.rec.brokers, i)
			continue
		}
		if !s.deployDone(name) {
			s.rec.plan.Completed(name, "the deploy plan relaunches this broker")
			delete(s.rec.brokers, i)
			continue
		}
		if status.IsRunning() || s.rec.marking[i] {
			continue // a launch is under way
		}
		p := s.pods[i]
		b := s.rec.brokers[i]
		if b == nil || b.taskID != p.record.TaskID {
			b = &brokerRecovery{taskID: p.record.TaskID, state: taskState(p.status.State), since: p.status.Time}
			s.rec.brokers[i] = b
		}
		if p.alive() && p.status.State != "TASK_UNREACHABLE" {
			// A restart, replace, pause or resume of a running broker:
			// it stops first.
			why := fmt.Sprintf("waiting for task %s to stop before relaunching", p.record.TaskID)
			if p.record.PermanentlyFailed && b.kind == recovery.Replace {
				why = reappeared(p)
			}
			s.rec.plan.Explain(name, why)
			fx = fx.join(s.kill(p.record.TaskID, p.record.AgentID))
			continue
		}
		f := s.failures[i]
		broker := recovery.Broker{ID: i, State: b.state, Since: b.since, AgentGone: b.agentGone, ReplaceRequested: p.record.PermanentlyFailed}
		if f != nil {
			broker.Failures, broker.LastFailure = f.count, f.last
		}
		if v, ok := s.rec.safety[i]; ok && in.Now.Sub(s.rec.asked[i]) < safetyRecheck {
			in.Safety[i] = v
		}
		in.Brokers = append(in.Brokers, broker)
	}
	for _, d := range recovery.Decide(in) {
		fx = fx.join(s.applyRecovery(d))
	}
	return fx.join(s.askReplacementSafety(in))
}

// applyRecovery applies one decision to the broker's recovery step.
func (s *Service) applyRecovery(d recovery.Decision) effects {
	name := spec.PodInstanceName(d.Broker)
	b, p := s.rec.brokers[d.Broker], s.pods[d.Broker]
	if b == nil || p == nil {
		return effects{}
	}
	changed := b.kind != d.Kind
	explain := changed || b.reexplain
	b.reexplain = false
	var fx effects
	switch d.Kind {
	case recovery.BackingOff:
		s.rec.plan.Delayed(name)
		s.rec.plan.Explain(name, d.Reason)
	case recovery.Replace:
		if !p.record.PermanentlyFailed {
			// An automatic replacement: stored first; launched once the
			// mark is.
			s.log.Warn("replacing broker automatically", "pod", name, "reason", d.Reason)
			b.kind, b.reason = d.Kind, d.Reason
			s.metrics.Recovery(string(d.Kind))
			return s.markReplace(p, true, d.Reason)
		}
		fallthrough
	case recovery.Relaunch:
		if st, _ := s.rec.plan.PodStatus(name); st == plan.Delayed {
			s.rec.plan.Pending(name)
		}
		if explain {
			s.rec.plan.Explain(name, d.Reason)
		}
		if changed {
			s.metrics.Recovery(string(d.Kind))
		}
	default: // the waits
		if st, _ := s.rec.plan.PodStatus(name); st == plan.Delayed {
			s.rec.plan.Pending(name)
		}
		s.rec.plan.Explain(name, d.Reason)
	}
	if changed || b.reason != d.Reason && d.Kind != recovery.BackingOff {
		s.log.Info("recovery", "pod", name, "decision", d.Kind, "reason", d.Reason)
	}
	b.kind, b.reason = d.Kind, d.Reason
	return fx
}

// askReplacementSafety asks Kafka, off the lock, whether replacing each
// broker the policy would replace automatically leaves every partition it
// replicates an in-sync replica on another broker.
func (s *Service) askReplacementSafety(in recovery.Input) effects {
	var fx effects
	for _, id := range recovery.NeedsSafety(in) {
		if _, known := in.Safety[id]; known {
			continue
		}
		if at, ok := s.rec.asked[id]; ok && in.Now.Sub(at) < safetyRecheck {
			continue // asked, the answer is on its way
		}
		s.rec.asked[id] = in.Now
		broker := int32(id)
		fx.kafka = append(fx.kafka, kafkaCall{what: fmt.Sprintf("checking whether broker %d can be replaced", id), do: func(ctx context.Context, k Kafka) func() effects {
			verdict := replacementSafety(ctx, k, broker)
			return func() effects {
				s.rec.safety[int(broker)] = verdict
				s.rec.asked[int(broker)] = s.now()
				return effects{}
			}
		}})
	}
	return fx
}

// replacementSafety is Kafka's verdict on replacing broker id, whose data
// the replacement loses: unsafe when a partition it replicates has no
// in-sync replica on another broker (its data would be gone), or when
// Kafka cannot be asked.
func replacementSafety(ctx context.Context, k Kafka, id int32) recovery.Safety {
	report, err := k.PartitionHealth(ctx)
	if err != nil {
		return recovery.Safety{Reason: "Kafka cannot be asked whether the broker's partitions have in-sync replicas elsewhere: " + err.Error()}
	}
	var lost []string
	for _, list := range [][]admin.PartitionStatus{report.UnderReplicated, report.Unavailable, report.UnderMinISR} {
		for _, ps := range list {
			if !containsID(ps.Replicas, id) || hasOther(ps.ISR, id) {
				continue
			}
			lost = append(lost, fmt.Sprintf("%s-%d", ps.Topic, ps.Partition))
		}
	}
	if len(lost) == 0 {
		return recovery.Safety{Safe: true}
	}
	sort.Strings(lost)
	lost = compactStrings(lost)
	shown := lost
	if len(shown) > 10 {
		shown = append(shown[:10:10], fmt.Sprintf("and %d more", len(lost)-10))
	}
	return recovery.Safety{Reason: fmt.Sprintf("partition(s) %s have no in-sync replica on another broker: replacing broker %d would lose their data; it waits until they do (or replace it by hand)", strings.Join(shown, ", "), id)}
}

func containsID(ids []int32, id int32) bool {
	for _, x := range ids {
		if x == id {
			return true
		}
	}
	return false
}

func hasOther(ids []int32, id int32) bool {
	for _, x := range ids {
		if x != id {
			return true
		}
	}
	return false
}

func compactStrings(sorted []string) []string {
	out := sorted[:0]
	for i, v := range sorted {
		if i == 0 || v != sorted[i-1] {
			out = append(out, v)
		}
	}
	return out
}

// markReplace decides the write that marks pod p for replacement (and,
// for an automatic one, the time of the replacement); once stored, the
// broker's recovery step relaunches it on fresh reservations. Callers
// hold s.mu.
func (s *Service) markReplace(p *pod, auto bool, why string) effects {
	i := p.record.Pod
	name := spec.PodInstanceName(i)
	rec := p.record
	rec.PermanentlyFailed = true
	ops := []state.Op{state.SetOp(taskInfoKey(rec.Name), mustJSON(rec))}
	at := s.now()
	last := s.rec.lastReplacement
	if auto {
		last = at
	}
	// The old reservations are released once the replacement is launched
	// and Mesos offers them; recorded with the mark, so that a restart
	// still looks for them.
	before := cloneLeftovers(s.rec.leftovers)
	s.addLeftovers(p)
	stored := s.rec.record(last)
	s.rec.leftovers = before
	ops = append(ops, state.SetOp(propertyKey(propertyRecovery), stored))
	s.rec.marking[i] = true
	return effects{writes: []write{commitWrite("marking "+name+" for replacement", ops, func(err error) effects {
		delete(s.rec.marking, i)
		if err != nil {
			s.rec.plan.Explain(name, "marking the broker for replacement failed, trying again: "+err.Error())
			return failed(fmt.Errorf("marking %s for replacement: %w", name, err))
		}
		if cur := s.pods[i]; cur != nil && cur.record.TaskID == rec.TaskID {
			cur.record.PermanentlyFailed = true
			s.addLeftovers(cur)
		}
		if auto {
			s.rec.lastReplacement = at
		}
		s.setProperty(propertyRecovery, stored)
		// A replace clears the launch backoff (DC/OS).
		delete(s.failures, i)
		if s.deployDone(name) {
			s.rec.plan.AddRecovery(spec.StepName(i), name, i)
			s.rec.plan.Explain(name, why)
		}
		s.log.Warn("broker marked for replacement: its next launch gets fresh reservations and an empty volume", "pod", name, "task_id", rec.TaskID, "agent", rec.Hostname, "automatic", auto)
		return effects{}
	})}}
}

// recoveryLaunches are the recovery steps waiting for an offer: the
// broker's task has ended (or, for a replacement, its agent is gone or
// unreachable) and the policy relaunches or replaces it now.
func (s *Service) recoveryLaunches() []launchStep {
	var out []launchStep
	for _, c := range s.rec.plan.Candidates(nil) {
		if c.Status != plan.Pending {
			continue
		}
		b, p := s.rec.brokers[c.PodIndex], s.pods[c.PodIndex]
		if b == nil || p == nil || s.rec.marking[c.PodIndex] {
			continue
		}
		switch {
		case b.kind == recovery.Relaunch && !p.alive():
		case p.record.PermanentlyFailed && (!p.alive() || p.status.State == "TASK_UNREACHABLE"):
			// Marked for replacement (stored): the policy always
			// replaces such a broker.
		default:
			continue
		}
		out = append(out, launchStep{Candidate: c, plan: s.rec.plan})
	}
	return out
}

// storeRecoveryOverrides decides the write of the recovery plan's
// overrides after an operator command. The command may have cleared step
// messages (restart): every broker's next decision explains itself again.
func (s *Service) storeRecoveryOverrides(command string) effects {
	for _, b := range s.rec.brokers {
		b.reexplain = true
	}
	value := s.rec.record(s.rec.lastReplacement)
	return effects{writes: []write{setWrite("storing the recovery plan's overrides", propertyKey(propertyRecovery), value, func(err error) effects {
		if err != nil {
			return failed(fmt.Errorf("the %s command took effect but storing it failed, so a scheduler restart would forget it: %w", command, err))
		}
		s.setProperty(propertyRecovery, value)
		return effects{}
	})}}
}

// RecoveryInProgress reports whether the recovery plan is working on a
// broker (for the health: a broker is down).
func (s *Service) RecoveryInProgress() bool {
	return s.current().recovery.Status != plan.Complete
}

// recoveryHealth refines a RUNNING health while the recovery plan works:
// DELAYED (208) when a relaunch backs off, RECOVERING_STARTING (205) while
// a relaunch is under way, RECOVERING_PENDING (203) otherwise, with the
// steps' messages as reasons (reference/dcos-commons.md §1.4).
func recoveryHealth(info plan.Info, running Health) Health {
	if info.Status == plan.Complete {
		return running
	}
	var reasons []string
	delayed, starting := false, false
	for _, ph := range info.Phases {
		for _, st := range ph.Steps {
			switch {
			case st.Status == plan.Complete:
				continue
			case st.Status == plan.Delayed:
				delayed = true
			case st.Status.IsRunning():
				starting = true
			}
			reasons = append(reasons, fmt.Sprintf("%s %s: %s", st.Name, st.Status, st.Message))
		}
	}
	switch {
	case delayed:
		return Health{Code: 208, Name: "DELAYED", Reasons: reasons}
	case starting:
		return Health{Code: 205, Name: "RECOVERING_STARTING", Reasons: reasons}
	}
	return Health{Code: 203, Name: "RECOVERING_PENDING", Reasons: reasons}
}

// RecoveriesStarted is how many recoveries of kind ("relaunch",
// "replace") the service started since it opened (metrics recovery.<kind>).
func (s *Service) RecoveriesStarted(kind string) int64 { return s.metrics.RecoveryCount(kind) }

// Leftovers: the reservations and volume a replaced broker had. They are
// no broker's once its replacement is launched, and the offer cycle
// destroys and unreserves them when Mesos offers them (cleanupUnexpected).
// Until then the service keeps asking for offers (needsOffers), so that
// suppression never hides them; Mesos forgets them with an agent that is
// gone for good (TASK_GONE_BY_OPERATOR, REASON_AGENT_REMOVED), and so does
// the service. They are stored with the recovery record.

// addLeftovers records the reservations of pod p, about to be replaced.
// Callers hold s.mu.
func (s *Service) addLeftovers(p *pod) {
	agent := p.record.AgentID
	if agent == "" || s.rec.goneAgents[agent] || !p.holdsReservations() {
		return
	}
	ids := p.record.Footprint.IDs()
	if len(ids) == 0 {
		return
	}
	s.rec.leftovers[agent] = append(s.rec.leftovers[agent], ids...)
	s.log.Info("the replaced broker's reservations are released when Mesos offers them", "pod", spec.PodInstanceName(p.record.Pod), "agent", p.record.Hostname, "resources", len(ids))
}

// noteLeftovers forgets the leftovers of every agent whose offer no longer
// holds any of them (released in an earlier cycle), and returns the write
// of the recovery record when it forgot some. Callers hold s.mu.
func (s *Service) noteLeftovers(groups []*agentOffers) []write {
	changed := false
	for _, g := range groups {
		ids, ok := s.rec.leftovers[g.merged.AgentID.Value]
		if !ok {
			continue
		}
		offered := map[string]bool{}
		for i := range g.merged.Resources {
			offered[offers.ResourceID(&g.merged.Resources[i])] = true
		}
		if !slices.ContainsFunc(ids, func(id string) bool { return offered[id] }) {
			delete(s.rec.leftovers, g.merged.AgentID.Value)
			s.log.Info("a replaced broker's reservations are released", "agent", g.merged.Hostname)
			changed = true
		}
	}
	if !changed {
		return nil
	}
	return s.storeRecoveryRecord("storing the released reservations").writes
}

// noteAgentGone forgets the leftovers of an agent Mesos says is gone for
// good. Callers hold s.mu.
func (s *Service) noteAgentGone(st mesos.TaskStatus) effects {
	if st.GetState() != mesos.TASK_GONE_BY_OPERATOR && st.GetReason() != mesos.REASON_AGENT_REMOVED {
		return effects{}
	}
	agent := st.GetAgentID().GetValue()
	if agent == "" {
		return effects{}
	}
	s.rec.goneAgents[agent] = true
	if _, ok := s.rec.leftovers[agent]; !ok {
		return effects{}
	}
	delete(s.rec.leftovers, agent)
	s.log.Info("the agent of a replaced broker's reservations is gone, and its reservations with it", "agent_id", agent)
	return s.storeRecoveryRecord("storing that the reservations of a gone agent are gone")
}
