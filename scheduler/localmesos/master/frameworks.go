package master

import (
	"errors"
	"fmt"
	"math"
	"sort"
	"strings"
	"time"

	mesos "github.com/mesos/mesos-go/api/v1/lib"
	"github.com/mesos/mesos-go/api/v1/lib/scheduler"

	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/localmesos/resources"
)

// framework is the master's view of a framework.
type framework struct {
	info mesos.FrameworkInfo
	id   string

	connected bool
	active    bool
	// recovered frameworks were learnt from reregistering agents after a
	// master failover and have not subscribed yet.
	recovered  bool
	stream     *stream
	roles      []string
	suppressed map[string]bool
	filters    []*refuseFilter

	offers           map[string]*offer
	tasks            map[string]*task
	unreachableTasks map[string]*task
	completedTasks   []*task
	executors        map[string]map[string]mesos.ExecutorInfo

	reregisteredTime time.Time
	failoverTimer    *time.Timer
}

const maxCompletedTasks = 1000

func newFramework(info mesos.FrameworkInfo) *framework {
	fw := &framework{
		id:               info.GetID().GetValue(),
		suppressed:       map[string]bool{},
		offers:           map[string]*offer{},
		tasks:            map[string]*task{},
		unreachableTasks: map[string]*task{},
		executors:        map[string]map[string]mesos.ExecutorInfo{},
	}
	fw.setInfo(info)
	return fw
}

func (fw *framework) setInfo(info mesos.FrameworkInfo) {
	fw.info = info
	fw.roles = frameworkRoles(info)
}

func frameworkRoles(info mesos.FrameworkInfo) []string {
	if hasCapability(info, mesos.FrameworkInfo_Capability_MULTI_ROLE) {
		roles := append([]string(nil), info.Roles...)
		sort.Strings(roles)
		return roles
	}
	return []string{info.GetRole()}
}

func hasCapability(info mesos.FrameworkInfo, c mesos.FrameworkInfo_Capability_Type) bool {
	for _, cap := range info.Capabilities {
		if cap.Type == c {
			return true
		}
	}
	return false
}

func (fw *framework) capable(c mesos.FrameworkInfo_Capability_Type) bool {
	return hasCapability(fw.info, c)
}

func (fw *framework) partitionAware() bool {
	return fw.capable(mesos.FrameworkInfo_Capability_PARTITION_AWARE)
}

func (fw *framework) hasRole(role string) bool {
	for _, r := range fw.roles {
		if r == role {
			return true
		}
	}
	return false
}

func (fw *framework) lostOrDropped() mesos.TaskState {
	if fw.partitionAware() {
		return mesos.TASK_DROPPED
	}
	return mesos.TASK_LOST
}

func (fw *framework) send(ev *scheduler.Event) {
	if fw.connected && fw.stream != nil {
		fw.stream.send(ev)
	}
}

func (fw *framework) addCompleted(t *task) {
	fw.completedTasks = append(fw.completedTasks, t)
	if len(fw.completedTasks) > maxCompletedTasks {
		fw.completedTasks = fw.completedTasks[len(fw.completedTasks)-maxCompletedTasks:]
	}
}

// validateID ports common::validation::validateID.
func validateID(id string) error {
	if id == "" {
		return errors.New("ID must not be empty")
	}
	if len(id) > 255 {
		return errors.New("ID must not be greater than 255 characters")
	}
	if id == "." || id == ".." {
		return fmt.Errorf("'%s' is disallowed", id)
	}
	for _, c := range id {
		if c < 0x20 || c == 0x7f || c == '/' || c == '\\' {
			return fmt.Errorf("'%s' contains invalid characters", id)
		}
	}
	return nil
}

// validateFramework ports Master::validateFramework.
func (m *Master) validateFramework(info mesos.FrameworkInfo) error {
	multiRole := hasCapability(info, mesos.FrameworkInfo_Capability_MULTI_ROLE)
	if multiRole && info.Role != nil {
		return errors.New("'FrameworkInfo.role' must not be set when the framework is MULTI_ROLE capable")
	}
	if !multiRole && len(info.Roles) > 0 {
		return errors.New("'FrameworkInfo.roles' must not be set when the framework is not MULTI_ROLE capable")
	}
	if multiRole {
		seen := map[string]bool{}
		var dups []string
		for _, r := range info.Roles {
			if seen[r] {
				dups = append(dups, r)
			}
			seen[r] = true
		}
		if len(dups) > 0 {
			return fmt.Errorf("'FrameworkInfo.roles' contains duplicate items: { %s }", strings.Join(dups, ", "))
		}
		for _, r := range info.Roles {
			if err := resources.ValidateRole(r); err != nil {
				return fmt.Errorf("'FrameworkInfo.roles' contains invalid role: %v", err)
			}
		}
	} else if err := resources.ValidateRole(info.GetRole()); err != nil {
		return fmt.Errorf("'FrameworkInfo.role' is not a valid role: %v", err)
	}
	if id := info.GetID().GetValue(); id != "" {
		if err := validateID(id); err != nil {
			return err
		}
	}
	if ft := info.GetFailoverTimeout(); math.IsNaN(ft) || math.IsInf(ft, 0) || ft*1e9 > math.MaxInt64 || ft*1e9 < math.MinInt64 {
		return fmt.Errorf("The framework failover_timeout (%v) is invalid", ft)
	}
	if id := info.GetID().GetValue(); id != "" && m.completed[id] {
		return errors.New("Framework has been removed")
	}
	return nil
}

func validateSuppressedRoles(roles, suppressed []string) error {
	var invalid []string
	for _, s := range suppressed {
		found := false
		for _, r := range roles {
			if r == s {
				found = true
			}
		}
		if !found {
			invalid = append(invalid, s)
		}
	}
	if len(invalid) > 0 {
		sort.Strings(invalid)
		return fmt.Errorf("Suppressed roles { %s } are not contained in the set of roles", strings.Join(invalid, ", "))
	}
	return nil
}

// subscribe handles a SUBSCRIBE on a new stream (Master::subscribe and
// Master::_subscribe for HTTP frameworks).
func (m *Master) subscribe(s *stream, sub scheduler.Call_Subscribe) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.stopped || !m.elected {
		s.close()
		return
	}
	info := *sub.FrameworkInfo
	refuse := func(msg string) {
		m.log.Info("refusing subscription", "framework", info.Name, "reason", msg)
		s.send(&scheduler.Event{Type: scheduler.Event_ERROR, Error: &scheduler.Event_Error{Message: msg}})
		s.close()
	}
	if err := m.validateFramework(info); err != nil {
		refuse(err.Error())
		return
	}
	if err := validateSuppressedRoles(frameworkRoles(info), sub.SuppressedRoles); err != nil {
		refuse(err.Error())
		return
	}

	if info.GetID().GetValue() == "" {
		id := m.nextID("")
		info.ID = &mesos.FrameworkID{Value: id}
		fw := newFramework(info)
		m.frameworks[id] = fw
		m.setSuppressed(fw, sub.SuppressedRoles)
		m.connect(fw, s)
		m.log.Info("framework subscribed", "framework", id, "name", info.Name, "roles", fw.roles)
		m.triggerAllocation()
		return
	}

	fw := m.frameworks[info.ID.Value]
	if fw == nil {
		// Not known (master failover and no agent reported it yet).
		fw = newFramework(info)
		fw.recovered = true
		m.frameworks[fw.id] = fw
	}
	// preserveImmutableFields + validateUpdate: user and checkpoint keep
	// their old values; a changed principal is refused.
	info.User = fw.info.User
	info.Checkpoint = fw.info.Checkpoint
	if fw.info.GetPrincipal() != info.GetPrincipal() || (fw.info.Principal == nil) != (info.Principal == nil) {
		refuse("Changing framework's principal is not allowed.")
		return
	}
	m.updateFrameworkInfo(fw, info, sub.SuppressedRoles)
	if fw.connected && fw.stream != nil {
		// Only one subscription per framework: the old stream learns that
		// the framework failed over and is closed.
		fw.stream.send(&scheduler.Event{Type: scheduler.Event_ERROR, Error: &scheduler.Event_Error{Message: "Framework failed over"}})
		fw.stream.close()
	}
	for _, o := range fw.offersList() {
		m.removeOffer(o)
	}
	fw.recovered = false
	m.connect(fw, s)
	m.log.Info("framework resubscribed", "framework", fw.id, "name", info.Name)
	for _, a := range m.agents {
		if a.connected {
			a.port.UpdateFramework(fw.info)
		}
	}
	m.triggerAllocation()
}

func (fw *framework) offersList() []*offer {
	out := make([]*offer, 0, len(fw.offers))
	for _, o := range fw.offers {
		out = append(out, o)
	}
	return out
}

// connect attaches a stream, activates the framework and sends SUBSCRIBED.
func (m *Master) connect(fw *framework, s *stream) {
	fw.stream = s
	fw.connected = true
	fw.active = true
	fw.reregisteredTime = time.Now()
	if fw.failoverTimer != nil {
		fw.failoverTimer.Stop()
		fw.failoverTimer = nil
	}
	interval := m.cfg.HeartbeatInterval.Seconds()
	info := m.info
	id := mesos.FrameworkID{Value: fw.id}
	fw.send(&scheduler.Event{Type: scheduler.Event_SUBSCRIBED, Subscribed: &scheduler.Event_Subscribed{
		FrameworkID: &id, HeartbeatIntervalSeconds: &interval, MasterInfo: &info,
	}})
	// Like the Mesos heartbeater, the first HEARTBEAT follows SUBSCRIBED at
	// once; the stream sends the next ones every interval.
	if !m.heartbeatsOff {
		fw.send(&scheduler.Event{Type: scheduler.Event_HEARTBEAT})
	}
}

func (m *Master) setSuppressed(fw *framework, roles []string) {
	fw.suppressed = map[string]bool{}
	for _, r := range roles {
		fw.suppressed[r] = true
	}
}

// updateFrameworkInfo applies a new FrameworkInfo and suppressed roles;
// offers for roles the framework left are rescinded.
func (m *Master) updateFrameworkInfo(fw *framework, info mesos.FrameworkInfo, suppressed []string) {
	fw.setInfo(info)
	m.setSuppressed(fw, suppressed)
	for _, o := range fw.offersList() {
		if !fw.hasRole(o.role) {
			m.rescindOffer(o)
		}
	}
	var kept []*refuseFilter
	for _, f := range fw.filters {
		if fw.hasRole(f.role) {
			kept = append(kept, f)
		}
	}
	fw.filters = kept
}

// updateFramework handles UPDATE_FRAMEWORK (answered 200 or 400).
func (m *Master) updateFramework(fw *framework, call scheduler.Call_UpdateFramework) error {
	info := call.FrameworkInfo
	if err := m.validateFramework(info); err != nil {
		return err
	}
	if fw.info.GetPrincipal() != info.GetPrincipal() {
		return errors.New("Changing framework's principal is not allowed.")
	}
	if fw.info.User != info.User {
		return fmt.Errorf("Updating 'FrameworkInfo.user' is unsupported; attempted to update from '%s' to '%s'", fw.info.User, info.User)
	}
	if fw.info.GetCheckpoint() != info.GetCheckpoint() {
		return fmt.Errorf("Updating 'FrameworkInfo.checkpoint' is unsupported; attempted to update from '%v' to '%v'", fw.info.GetCheckpoint(), info.GetCheckpoint())
	}
	if err := validateSuppressedRoles(frameworkRoles(info), call.SuppressedRoles); err != nil {
		return err
	}
	m.updateFrameworkInfo(fw, info, call.SuppressedRoles)
	for _, a := range m.agents {
		if a.connected {
			a.port.UpdateFramework(fw.info)
		}
	}
	m.triggerAllocation()
	return nil
}

// streamBroken handles a subscription whose client went away.
func (m *Master) streamBroken(s *stream) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, fw := range m.frameworks {
		if fw.stream == s {
			m.exited(fw)
			return
		}
	}
}

// exited disconnects a framework whose connection closed and starts its
// failover timeout (Master::_exited).
func (m *Master) exited(fw *framework) {
	if !fw.connected {
		return
	}
	m.log.Info("framework disconnected", "framework", fw.id)
	if fw.stream != nil {
		fw.stream.close()
	}
	fw.stream = nil
	fw.connected = false
	m.deactivate(fw, true)
	timeout := time.Duration(fw.info.GetFailoverTimeout() * float64(time.Second))
	registered := fw.reregisteredTime
	m.log.Info("giving framework time to fail over", "framework", fw.id, "failover_timeout", timeout)
	fw.failoverTimer = time.AfterFunc(timeout, func() {
		m.mu.Lock()
		defer m.mu.Unlock()
		if m.stopped || m.frameworks[fw.id] != fw || fw.connected || !fw.reregisteredTime.Equal(registered) {
			return
		}
		m.log.Info("framework failover timeout, removing framework", "framework", fw.id)
		m.removeFramework(fw)
	})
}

// deactivate stops offering to a framework and removes its offers,
// rescinding them or not.
func (m *Master) deactivate(fw *framework, rescind bool) {
	fw.active = false
	for _, o := range fw.offersList() {
		if rescind {
			m.rescindOffer(o)
		} else {
			m.removeOffer(o)
		}
	}
}

// removeFramework tears a framework down (TEARDOWN or failover timeout):
// agents kill its tasks, the master marks them TASK_KILLED without sending
// updates, and the framework can never subscribe again.
func (m *Master) removeFramework(fw *framework) {
	m.log.Info("removing framework", "framework", fw.id)
	if fw.active {
		m.deactivate(fw, false)
	}
	for _, a := range m.agents {
		if a.connected {
			a.port.ShutdownFramework(mesos.FrameworkID{Value: fw.id})
		}
	}
	for _, t := range fw.tasksList() {
		st := masterStatus(t, mesos.TASK_KILLED, "Framework "+fw.id+" removed", mesos.REASON_FRAMEWORK_REMOVED, nil)
		m.updateTask(t, st, nil)
		m.removeTask(t, false)
	}
	for id, t := range fw.unreachableTasks {
		st := masterStatus(t, mesos.TASK_KILLED, "Framework "+fw.id+" removed", mesos.REASON_FRAMEWORK_REMOVED, nil)
		t.apply(st, nil)
		fw.addCompleted(t)
		delete(fw.unreachableTasks, id)
	}
	for agentID, execs := range fw.executors {
		if a := m.agents[agentID]; a != nil {
			for id := range execs {
				m.removeExecutor(a, fw.id, id)
			}
		}
	}
	if fw.stream != nil {
		fw.stream.close()
		fw.stream = nil
	}
	fw.connected = false
	if fw.failoverTimer != nil {
		fw.failoverTimer.Stop()
	}
	delete(m.frameworks, fw.id)
	m.completed[fw.id] = true
	m.triggerAllocation()
}

func (fw *framework) tasksList() []*task {
	out := make([]*task, 0, len(fw.tasks))
	for _, t := range fw.tasks {
		out = append(out, t)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].id < out[j].id })
	return out
}

// revive clears refuse filters and suppression for roles (all when empty).
func (m *Master) revive(fw *framework, roles []string) {
	for _, r := range roles {
		if err := resources.ValidateRole(r); err != nil {
			m.log.Warn("dropping REVIVE: invalid role", "framework", fw.id, "role", r, "error", err)
			return
		}
		if !fw.hasRole(r) {
			m.log.Warn("dropping REVIVE: role is not one of the framework's subscribed roles", "framework", fw.id, "role", r)
			return
		}
	}
	if len(roles) == 0 {
		roles = fw.roles
	}
	for _, r := range roles {
		delete(fw.suppressed, r)
	}
	var kept []*refuseFilter
	for _, f := range fw.filters {
		if !contains(roles, f.role) {
			kept = append(kept, f)
		}
	}
	fw.filters = kept
	m.triggerAllocation()
}

// suppress stops offers for roles (all when empty).
func (m *Master) suppress(fw *framework, roles []string) {
	for _, r := range roles {
		if err := resources.ValidateRole(r); err != nil {
			m.log.Warn("dropping SUPPRESS: invalid role", "framework", fw.id, "role", r, "error", err)
			return
		}
		if !fw.hasRole(r) {
			m.log.Warn("dropping SUPPRESS: role is not one of the framework's subscribed roles", "framework", fw.id, "role", r)
			return
		}
	}
	if len(roles) == 0 {
		roles = fw.roles
	}
	for _, r := range roles {
		fw.suppressed[r] = true
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// shutdownExecutor handles SHUTDOWN.
func (m *Master) shutdownExecutor(fw *framework, call scheduler.Call_Shutdown) {
	a := m.agents[call.AgentID.Value]
	if a == nil || !a.connected {
		return
	}
	a.port.ShutdownExecutor(mesos.FrameworkID{Value: fw.id}, call.ExecutorID)
}
