package master

import (
	"errors"
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"

	mesos "github.com/mesos/mesos-go/api/v1/lib"

	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/localmesos/resources"
)

// Ports of src/master/validation.cpp: the messages are the real master's.

const (
	minExecutorCPUs  = 0.01
	minExecutorMemMB = 32
)

// validateOffers checks the offers of an ACCEPT (validation::offer).
func (m *Master) validateOffers(ids []mesos.OfferID, fw *framework) error {
	seen := map[string]bool{}
	for _, id := range ids {
		if seen[id.Value] {
			return fmt.Errorf("Duplicate offer %s in offer list", id.Value)
		}
		seen[id.Value] = true
	}
	for _, id := range ids {
		if m.offers[id.Value] == nil {
			return fmt.Errorf("Offer %s is no longer valid", id.Value)
		}
	}
	for _, id := range ids {
		if o := m.offers[id.Value]; o.fw != fw {
			return fmt.Errorf("Offer %s has invalid framework %s while framework %s is expected", id.Value, o.fw.id, fw.id)
		}
	}
	role := ""
	for i, id := range ids {
		o := m.offers[id.Value]
		if i == 0 {
			role = o.role
		} else if o.role != role {
			return fmt.Errorf("Aggregated offers must be allocated to the same role. Offer %s uses role '%s but another is using role '%s", id.Value, o.role, role)
		}
	}
	agentID := ""
	for i, id := range ids {
		o := m.offers[id.Value]
		if i == 0 {
			agentID = o.agent.id
		} else if o.agent.id != agentID {
			return fmt.Errorf("Aggregated offers must belong to one single agent. Offer %s uses agent %s and agent %s", id.Value, o.agent.id, agentID)
		}
	}
	return nil
}

// validateResources ports resource::validate.
func validateResources(rs []mesos.Resource) error {
	if err := resources.ValidateAll(rs); err != nil {
		return fmt.Errorf("Invalid resources: %v", err)
	}
	for _, r := range rs {
		if r.Name == "gpus" && r.GetScalar().GetValue() != math.Trunc(r.GetScalar().GetValue()) {
			return errors.New("Invalid 'gpus' resource: The 'gpus' resource must be an unsigned integer")
		}
	}
	if err := validateDiskInfo(rs); err != nil {
		return fmt.Errorf("Invalid DiskInfo: %v", err)
	}
	for _, r := range rs {
		if resources.IsDynamicallyReserved(r) && resources.IsRevocable(r) {
			return fmt.Errorf("Invalid ReservationInfo: Dynamically reserved resource %s cannot be created from revocable resources", resources.String(r))
		}
	}
	return nil
}

func validateDiskInfo(rs []mesos.Resource) error {
	for _, r := range rs {
		d := r.Disk
		if d == nil {
			continue
		}
		switch {
		case d.Persistence != nil:
			if resources.IsRevocable(r) {
				return errors.New("Persistent volumes cannot be created from revocable resources")
			}
			if resources.IsUnreserved(r) {
				return errors.New("Persistent volumes cannot be created from unreserved resources")
			}
			if d.Volume == nil {
				return errors.New("Expecting 'volume' to be set for persistent volume")
			}
			if d.Volume.HostPath != nil {
				return errors.New("Expecting 'host_path' to be unset for persistent volume")
			}
			if err := validateID(d.Persistence.ID); err != nil {
				return fmt.Errorf("Invalid persistence ID for persistent volume: %v", err)
			}
		case d.Volume != nil:
			return errors.New("Non-persistent volume not supported")
		case d.Source == nil:
			return errors.New("DiskInfo is set but empty")
		}
	}
	return nil
}

func validateUniquePersistenceID(rs []mesos.Resource) error {
	seen := map[string]bool{}
	for _, r := range rs {
		if !resources.IsPersistentVolume(r) {
			continue
		}
		key := resources.ReservationRole(r) + "\x00" + r.Disk.Persistence.ID
		if seen[key] {
			return fmt.Errorf("Persistence ID '%s' is not unique", r.Disk.Persistence.ID)
		}
		seen[key] = true
	}
	return nil
}

func validateAllocatedToSingleRole(rs []mesos.Resource) error {
	role := ""
	for i, r := range rs {
		if r.AllocationInfo == nil || r.AllocationInfo.Role == nil {
			return errors.New("The resources are not allocated to a role")
		}
		if i == 0 {
			role = *r.AllocationInfo.Role
		} else if *r.AllocationInfo.Role != role {
			return fmt.Errorf("The resources have multiple allocation roles ('%s' and '%s') but only one allocation role is allowed", *r.AllocationInfo.Role, role)
		}
	}
	return nil
}

func validateRevocableMix(rs []mesos.Resource) error {
	revocable := map[string]int{}
	total := map[string]int{}
	for _, r := range rs {
		total[r.Name]++
		if resources.IsRevocable(r) {
			revocable[r.Name]++
		}
	}
	names := make([]string, 0, len(total))
	for n := range total {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		if revocable[n] > 0 && revocable[n] != total[n] {
			return fmt.Errorf("Cannot use both revocable and non-revocable '%s' at the same time", n)
		}
	}
	return nil
}

func validatePersistentVolumes(rs []mesos.Resource) error {
	for _, r := range rs {
		switch {
		case r.Disk == nil:
			return fmt.Errorf("Resource %s does not have DiskInfo", resources.String(r))
		case r.Disk.Persistence == nil:
			return errors.New("'persistence' is not set in DiskInfo")
		case r.Disk.Volume == nil:
			return errors.New("Expecting 'volume' to be set for persistent volume")
		case r.Disk.Volume.GetMode() == mesos.RO:
			return errors.New("Read-only persistent volume not supported")
		}
	}
	return nil
}

// validateReserve ports operation::validate(Reserve) for a framework.
func validateReserve(rs []mesos.Resource, fw *framework) error {
	if err := validateResources(rs); err != nil {
		return fmt.Errorf("Invalid resources: %v", err)
	}
	for _, r := range rs {
		if !resources.IsDynamicallyReserved(r) {
			return fmt.Errorf("Resource %s is not dynamically reserved", resources.String(r))
		}
		if r.AllocationInfo == nil || r.AllocationInfo.Role == nil {
			return fmt.Errorf("A reserve operation was attempted on unallocated resource %s, but frameworks can only perform reservations on allocated resources", resources.String(r))
		}
		allocated := *r.AllocationInfo.Role
		reserved := resources.ReservationRole(r)
		if allocated != reserved {
			return fmt.Errorf("A reserve operation was attempted for a resource with role '%s', but the resource was allocated to role '%s'", reserved, allocated)
		}
		if !fw.hasRole(allocated) {
			return fmt.Errorf("A reserve operation was attempted for a resource allocated to role '%s', but the framework only has roles '{ %s }'", allocated, strings.Join(fw.roles, ", "))
		}
	}
	if err := validateAllocatedToSingleRole(rs); err != nil {
		return fmt.Errorf("Invalid reservation resources: %v", err)
	}
	return nil
}

// validateUnreserve ports operation::validate(Unreserve).
func validateUnreserve(rs []mesos.Resource) error {
	if err := validateResources(rs); err != nil {
		return fmt.Errorf("Invalid resources: %v", err)
	}
	for _, r := range rs {
		if !resources.IsDynamicallyReserved(r) {
			return fmt.Errorf("Resource %s is not dynamically reserved", resources.String(r))
		}
		if resources.IsPersistentVolume(r) {
			return fmt.Errorf("A dynamically reserved persistent volume %s cannot be unreserved directly. Please destroy the persistent volume first then unreserve the resource", resources.String(r))
		}
	}
	return nil
}

// validateCreate ports operation::validate(Create).
func validateCreate(volumes []mesos.Resource, checkpointed resources.Resources, fw *framework) error {
	if err := validateResources(volumes); err != nil {
		return fmt.Errorf("Invalid resources: %v", err)
	}
	if err := validatePersistentVolumes(volumes); err != nil {
		return fmt.Errorf("Not a persistent volume: %v", err)
	}
	if err := validateUniquePersistenceID(append(append([]mesos.Resource(nil), checkpointed...), volumes...)); err != nil {
		return err
	}
	for _, v := range volumes {
		if v.Shared != nil && !fw.capable(mesos.FrameworkInfo_Capability_SHARED_RESOURCES) {
			return fmt.Errorf("Create volume operation for '%s' has been attempted by framework '%s' with no SHARED_RESOURCES capability", resources.String(v), fw.id)
		}
	}
	if err := validateAllocatedToSingleRole(volumes); err != nil {
		return fmt.Errorf("Invalid volume resources: %v", err)
	}
	return nil
}

// validateDestroy ports operation::validate(Destroy).
func validateDestroy(volumes []mesos.Resource, checkpointed, used resources.Resources) error {
	unallocated := resources.New(volumes...).Unallocated()
	if err := validateResources(unallocated); err != nil {
		return fmt.Errorf("Invalid resources: %v", err)
	}
	if err := validatePersistentVolumes(unallocated); err != nil {
		return fmt.Errorf("Not a persistent volume: %v", err)
	}
	for _, v := range unallocated {
		if !checkpointed.ContainsOne(v) {
			return errors.New("Persistent volumes not found")
		}
	}
	for _, v := range unallocated {
		if used.ContainsOne(v) {
			return errors.New("Persistent volumes in use")
		}
	}
	return nil
}

func validateEnvironment(env *mesos.Environment) error {
	if env == nil {
		return nil
	}
	for _, v := range env.Variables {
		t := mesos.Environment_Variable_VALUE
		if v.Type != nil {
			t = *v.Type
		}
		switch t {
		case mesos.Environment_Variable_SECRET:
			if v.Secret == nil {
				return fmt.Errorf("Environment variable '%s' of type 'SECRET' must have a secret set", v.Name)
			}
			if v.Value != nil {
				return fmt.Errorf("Environment variable '%s' of type 'SECRET' must not have a value set", v.Name)
			}
			switch v.Secret.Type {
			case mesos.Secret_REFERENCE:
				if v.Secret.Reference == nil {
					return fmt.Errorf("Environment variable '%s' specifies an invalid secret: Secret of type REFERENCE must have the 'reference' field set", v.Name)
				}
			case mesos.Secret_VALUE:
				if v.Secret.Value == nil {
					return fmt.Errorf("Environment variable '%s' specifies an invalid secret: Secret of type VALUE must have the 'value' field set", v.Name)
				}
				if strings.ContainsRune(string(v.Secret.Value.Data), 0) {
					return fmt.Errorf("Environment variable '%s' specifies a secret containing null bytes, which is not allowed in the environment", v.Name)
				}
			}
		case mesos.Environment_Variable_VALUE:
			if v.Value == nil {
				return fmt.Errorf("Environment variable '%s' of type 'VALUE' must have a value set", v.Name)
			}
			if v.Secret != nil {
				return fmt.Errorf("Environment variable '%s' of type 'VALUE' must not have a secret set", v.Name)
			}
		default:
			return errors.New("Environment variable of type 'UNKNOWN' is not allowed")
		}
	}
	return nil
}

func validateCheck(c *mesos.CheckInfo) error {
	switch c.Type {
	case mesos.CheckInfo_COMMAND:
		if c.Command == nil {
			return errors.New("Expecting 'command' to be set for COMMAND check")
		}
		if c.Command.Command.Value == nil {
			return errors.New("Command check must contain " + shellKind(c.Command.Command))
		}
		if err := validateEnvironment(c.Command.Command.Environment); err != nil {
			return fmt.Errorf("Check's `CommandInfo` is invalid: %v", err)
		}
	case mesos.CheckInfo_HTTP:
		if c.HTTP == nil {
			return errors.New("Expecting 'http' to be set for HTTP check")
		}
		if c.HTTP.Path != nil && !strings.HasPrefix(*c.HTTP.Path, "/") {
			return fmt.Errorf("The path '%s' of HTTP check must start with '/'", *c.HTTP.Path)
		}
	case mesos.CheckInfo_TCP:
		if c.TCP == nil {
			return errors.New("Expecting 'tcp' to be set for TCP check")
		}
	default:
		return fmt.Errorf("'%s' is not a valid check type", c.Type)
	}
	return nonNegative(map[string]*float64{"delay_seconds": c.DelaySeconds, "interval_seconds": c.IntervalSeconds, "timeout_seconds": c.TimeoutSeconds},
		"delay_seconds", "interval_seconds", "timeout_seconds")
}

func shellKind(c mesos.CommandInfo) string {
	if c.Shell == nil || *c.Shell {
		return "'shell command'"
	}
	return "'executable path'"
}

func nonNegative(values map[string]*float64, order ...string) error {
	for _, k := range order {
		if v := values[k]; v != nil && *v < 0 {
			return fmt.Errorf("Expecting '%s' to be non-negative", k)
		}
	}
	return nil
}

func validateHealthCheck(h *mesos.HealthCheck) error {
	switch h.Type {
	case mesos.HealthCheck_COMMAND:
		if h.Command == nil {
			return errors.New("Expecting 'command' to be set for COMMAND health check")
		}
		if h.Command.Value == nil {
			return errors.New("Command health check must contain " + shellKind(*h.Command))
		}
		if err := validateEnvironment(h.Command.Environment); err != nil {
			return fmt.Errorf("Health check's `CommandInfo` is invalid: %v", err)
		}
	case mesos.HealthCheck_HTTP:
		if h.HTTP == nil {
			return errors.New("Expecting 'http' to be set for HTTP health check")
		}
		if s := h.HTTP.Scheme; s != nil && *s != "http" && *s != "https" {
			return fmt.Errorf("Unsupported HTTP health check scheme: '%s'", *s)
		}
		if h.HTTP.Path != nil && !strings.HasPrefix(*h.HTTP.Path, "/") {
			return fmt.Errorf("The path '%s' of HTTP health check must start with '/'", *h.HTTP.Path)
		}
	case mesos.HealthCheck_TCP:
		if h.TCP == nil {
			return errors.New("Expecting 'tcp' to be set for TCP health check")
		}
	default:
		return fmt.Errorf("'%s' is not a valid health check type", h.Type)
	}
	return nonNegative(map[string]*float64{"delay_seconds": h.DelaySeconds, "grace_period_seconds": h.GracePeriodSeconds,
		"interval_seconds": h.IntervalSeconds, "timeout_seconds": h.TimeoutSeconds},
		"delay_seconds", "grace_period_seconds", "interval_seconds", "timeout_seconds")
}

// validateTaskCommon ports task::internal::validateTask.
func (m *Master) validateTaskCommon(t mesos.TaskInfo, fw *framework, a *agent) error {
	if err := validateID(t.TaskID.Value); err != nil {
		return err
	}
	if _, dup := fw.tasks[t.TaskID.Value]; dup {
		return fmt.Errorf("Task has duplicate ID: %s", t.TaskID.Value)
	}
	if _, dup := fw.unreachableTasks[t.TaskID.Value]; dup {
		return fmt.Errorf("Task reuses the ID of an unreachable task: %s", t.TaskID.Value)
	}
	if t.AgentID.Value != a.id {
		return fmt.Errorf("Task uses invalid agent %s while agent %s is expected", t.AgentID.Value, a.id)
	}
	if kp := t.KillPolicy; kp != nil && kp.GracePeriod != nil && kp.GracePeriod.Nanoseconds < 0 {
		return errors.New("Task's 'kill_policy.grace_period' must be non-negative")
	}
	if t.MaxCompletionTime != nil && t.MaxCompletionTime.Nanoseconds < 0 {
		return errors.New("Task's `max_completion_time` must be non-negative")
	}
	if t.Check != nil {
		if err := validateCheck(t.Check); err != nil {
			return fmt.Errorf("Task uses invalid check: %v", err)
		}
	}
	if t.HealthCheck != nil {
		if err := validateHealthCheck(t.HealthCheck); err != nil {
			return fmt.Errorf("Task uses invalid health check: %v", err)
		}
	}
	if len(t.Resources) == 0 {
		return errors.New("Task uses no resources")
	}
	if err := validateResources(t.Resources); err != nil {
		return fmt.Errorf("Task uses invalid resources: %v", err)
	}
	if err := validateUniquePersistenceID(t.Resources); err != nil {
		return fmt.Errorf("Task uses duplicate persistence ID: %v", err)
	}
	if err := validateAllocatedToSingleRole(t.Resources); err != nil {
		return fmt.Errorf("Invalid task resources: %v", err)
	}
	if err := validateRevocableMix(t.Resources); err != nil {
		return fmt.Errorf("Task mixes revocable and non-revocable resources: %v", err)
	}
	if t.Command != nil {
		if err := validateEnvironment(t.Command.Environment); err != nil {
			return fmt.Errorf("Task's `CommandInfo` is invalid: %v", err)
		}
	}
	if err := validateSecretVolumes(t.Container); err != nil {
		return fmt.Errorf("Task's `ContainerInfo` is invalid: %v", err)
	}
	return validateLimits(t)
}

// validateSecretVolumes checks the SECRET volumes of a container as Mesos'
// volume validation does: a secret must be set and be a valid secret.
func validateSecretVolumes(c *mesos.ContainerInfo) error {
	for _, v := range c.GetVolumes() {
		src := v.GetSource()
		if src.GetType() != mesos.Volume_Source_SECRET {
			continue
		}
		s := src.GetSecret()
		switch {
		case s == nil:
			return errors.New("Invalid volume: 'source.secret' is not set for SECRET volume")
		case s.Type == mesos.Secret_VALUE && s.Value == nil:
			return errors.New("Invalid volume: Secret of type VALUE must have the 'value' field set")
		case s.Type == mesos.Secret_REFERENCE && s.Reference == nil:
			return errors.New("Invalid volume: Secret of type REFERENCE must have the 'reference' field set")
		case s.Type != mesos.Secret_VALUE && s.Type != mesos.Secret_REFERENCE:
			return errors.New("Invalid volume: Secret of type UNKNOWN is not allowed")
		}
	}
	return nil
}

func validateLimits(t mesos.TaskInfo) error {
	if len(t.Limits) == 0 {
		return nil
	}
	for name := range t.Limits {
		if name != "cpus" && name != "mem" {
			return errors.New("Only cpus and mem may be included in a task's resource limits")
		}
	}
	rs := resources.New(t.Resources...)
	if l, ok := t.Limits["cpus"]; ok {
		if !rs.HasScalar("cpus") {
			return errors.New("When a CPU limit is specified, a CPU request must also be specified")
		}
		if l.Value < rs.Scalar("cpus") {
			return errors.New("The cpu limit must be greater than or equal to the cpu request")
		}
	}
	if l, ok := t.Limits["mem"]; ok {
		if !rs.HasScalar("mem") {
			return errors.New("When a memory limit is specified, a memory request must also be specified")
		}
		if !math.IsInf(l.Value, 1) && l.Value < rs.Scalar("mem") {
			return errors.New("The memory limit must be greater than or equal to the memory request")
		}
	}
	return nil
}

// validateExecutorCommon ports executor::internal::validate.
func validateExecutorCommon(e mesos.ExecutorInfo, fw *framework, a *agent) error {
	switch e.Type {
	case mesos.ExecutorInfo_DEFAULT:
		if e.Command != nil {
			return errors.New("'ExecutorInfo.command' must not be set for 'DEFAULT' executor")
		}
		if c := e.Container; c != nil {
			if c.GetType() != mesos.ContainerInfo_MESOS {
				return errors.New("'ExecutorInfo.container.type' must be 'MESOS' for 'DEFAULT' executor")
			}
			if c.Mesos != nil && c.Mesos.Image != nil {
				return errors.New("'ExecutorInfo.container.mesos.image' must not be set for 'DEFAULT' executor")
			}
		}
	case mesos.ExecutorInfo_CUSTOM:
		if e.Command == nil {
			return errors.New("'ExecutorInfo.command' must be set for 'CUSTOM' executor")
		}
	}
	if err := validateID(e.ExecutorID.Value); err != nil {
		return err
	}
	if g := e.ShutdownGracePeriod; g != nil && g.Nanoseconds < 0 {
		return errors.New("ExecutorInfo's 'shutdown_grace_period' must be non-negative")
	}
	if e.Command != nil {
		if err := validateEnvironment(e.Command.Environment); err != nil {
			return fmt.Errorf("Executor's `CommandInfo` is invalid: %v", err)
		}
	}
	if e.FrameworkID == nil {
		return errors.New("'ExecutorInfo.framework_id' must be set")
	}
	if e.FrameworkID.Value != fw.id {
		return fmt.Errorf("ExecutorInfo has an invalid FrameworkID (Actual: %s vs Expected: %s)", e.FrameworkID.Value, fw.id)
	}
	if err := validateResources(e.Resources); err != nil {
		return fmt.Errorf("Executor uses invalid resources: %v", err)
	}
	if err := validateUniquePersistenceID(e.Resources); err != nil {
		return fmt.Errorf("Executor uses duplicate persistence ID: %v", err)
	}
	if len(e.Resources) > 0 {
		if err := validateAllocatedToSingleRole(e.Resources); err != nil {
			return fmt.Errorf("Invalid executor resources: %v", err)
		}
	}
	if err := validateRevocableMix(e.Resources); err != nil {
		return fmt.Errorf("Executor mixes revocable and non-revocable resources: %v", err)
	}
	if existing, ok := a.executors[fw.id][e.ExecutorID.Value]; ok && !existing.Equal(&e) {
		return fmt.Errorf("ExecutorInfo is not compatible with existing ExecutorInfo with same ExecutorID.\n"+
			"------------------------------------------------------------\nExisting ExecutorInfo:\n%s\n"+
			"------------------------------------------------------------\nExecutorInfo:\n%s\n"+
			"------------------------------------------------------------\n", existing.String(), e.String())
	}
	return nil
}

// overlapping reports whether ranges or sets appear in more than one of the
// resource lists (detectOverlappingSetAndRangeResources).
func overlapping(lists ...[]mesos.Resource) bool {
	var sum resources.Resources
	count := 0
	for _, l := range lists {
		for _, r := range l {
			if r.GetType() == mesos.RANGES {
				for _, rg := range r.GetRanges().GetRange() {
					count += int(rg.End - rg.Begin + 1)
				}
			} else if r.GetType() == mesos.SET {
				count += len(r.GetSet().GetItem())
			}
		}
		sum = sum.Plus(resources.New(l...))
	}
	after := 0
	for _, r := range sum {
		if r.GetType() == mesos.RANGES {
			for _, rg := range r.GetRanges().GetRange() {
				after += int(rg.End - rg.Begin + 1)
			}
		} else if r.GetType() == mesos.SET {
			after += len(r.GetSet().GetItem())
		}
	}
	return after != count
}

// validateLaunch ports task::validate for a LAUNCH task.
func (m *Master) validateLaunch(t mesos.TaskInfo, fw *framework, a *agent, available resources.Resources) error {
	if err := m.validateTaskCommon(t, fw, a); err != nil {
		return err
	}
	if (t.Executor != nil) == (t.Command != nil) {
		return errors.New("Task should have at least one (but not both) of CommandInfo or ExecutorInfo present")
	}
	total := resources.New(t.Resources...)
	if e := t.Executor; e != nil {
		if err := validateExecutorCommon(*e, fw, a); err != nil {
			return err
		}
		if e.Type != mesos.ExecutorInfo_CUSTOM && e.Type != mesos.ExecutorInfo_UNKNOWN {
			return errors.New("'ExecutorInfo.type' must be 'CUSTOM'")
		}
		if e.Command == nil {
			return errors.New("'ExecutorInfo.command' must be set")
		}
		if !a.hasExecutor(fw.id, e.ExecutorID.Value) {
			total = total.Plus(resources.New(e.Resources...))
		}
		if overlapping(t.Resources, e.Resources) {
			return fmt.Errorf("There are overlapping resources in the task resources %s and executor resources %s", resources.New(t.Resources...), resources.New(e.Resources...))
		}
	}
	all := append(append([]mesos.Resource(nil), t.Resources...), executorResources(t)...)
	if err := validateUniquePersistenceID(all); err != nil {
		return fmt.Errorf("Task and its executor use duplicate persistence ID: %v", err)
	}
	if err := validateRevocableMix(all); err != nil {
		return fmt.Errorf("Task and its executor mix revocable and non-revocable resources: %v", err)
	}
	if !available.Contains(total) {
		return fmt.Errorf("Total resources %s required by task and its executor is more than available %s", total, available)
	}
	if c := t.Container; c != nil && c.LinuxInfo != nil && c.LinuxInfo.ShareCgroups != nil && !*c.LinuxInfo.ShareCgroups {
		return errors.New("Only tasks in a task group may have 'share_cgroups' set to 'false'")
	}
	return nil
}

func executorResources(t mesos.TaskInfo) []mesos.Resource {
	if t.Executor == nil {
		return nil
	}
	return t.Executor.Resources
}

// validateTaskGroup ports task::group::validate.
func (m *Master) validateTaskGroup(group mesos.TaskGroupInfo, e mesos.ExecutorInfo, fw *framework, a *agent, available resources.Resources) error {
	for _, t := range group.Tasks {
		if err := m.validateTaskCommon(t, fw, a); err != nil {
			return fmt.Errorf("Task '%s' is invalid: %v", t.TaskID.Value, err)
		}
		if t.Executor == nil {
			return fmt.Errorf("Task '%s' is invalid: 'TaskInfo.executor' must be set", t.TaskID.Value)
		}
		if c := t.Container; c != nil && c.GetType() == mesos.ContainerInfo_DOCKER {
			return fmt.Errorf("Task '%s' is invalid: Docker ContainerInfo is not supported on the task", t.TaskID.Value)
		}
		if len(t.Limits) > 0 && !(t.Container != nil && t.Container.LinuxInfo != nil && !t.Container.LinuxInfo.GetShareCgroups()) {
			return fmt.Errorf("Task '%s' is invalid: Resource limits may only be set for tasks within a task group when the 'share_cgroups' field is set to 'false'.", t.TaskID.Value)
		}
	}
	if err := validateExecutorCommon(e, fw, a); err != nil {
		return err
	}
	switch e.Type {
	case mesos.ExecutorInfo_UNKNOWN:
		return errors.New("Unknown executor type")
	case mesos.ExecutorInfo_CUSTOM:
		return errors.New("'ExecutorInfo.type' must be 'DEFAULT' for task groups on the local Mesos (custom executors are not supported)")
	}
	if c := e.Container; c != nil && c.GetType() == mesos.ContainerInfo_DOCKER {
		return errors.New("Docker ContainerInfo is not supported on the executor")
	}
	for _, t := range group.Tasks {
		if t.Executor != nil && !t.Executor.Equal(&e) {
			return fmt.Errorf("The `ExecutorInfo` of task '%s' is different from executor '%s'", t.TaskID.Value, e.ExecutorID.Value)
		}
	}
	er := resources.New(e.Resources...)
	if !er.HasScalar("cpus") || er.Scalar("cpus") < minExecutorCPUs {
		return fmt.Errorf("Executor '%s' uses less CPUs (%s) than the minimum required (%s)", e.ExecutorID.Value, scalarOrNone(er, "cpus"), strconv.FormatFloat(minExecutorCPUs, 'f', -1, 64))
	}
	if !er.HasScalar("mem") || er.Scalar("mem") < minExecutorMemMB {
		return fmt.Errorf("Executor '%s' uses less memory (%s) than the minimum required (32MB)", e.ExecutorID.Value, bytesOrNone(er))
	}
	if !er.HasScalar("disk") {
		return fmt.Errorf("Executor '%s' uses no disk", e.ExecutorID.Value)
	}
	all := append([]mesos.Resource(nil), e.Resources...)
	lists := [][]mesos.Resource{}
	for _, t := range group.Tasks {
		all = append(all, t.Resources...)
		lists = append(lists, t.Resources)
	}
	if err := validateUniquePersistenceID(all); err != nil {
		return fmt.Errorf("Task group and executor use duplicate persistence ID: %v", err)
	}
	if err := validateRevocableMix(all); err != nil {
		return fmt.Errorf("Task group and executor mix revocable and non-revocable resources: %v", err)
	}
	if overlapping(append(lists, e.Resources)...) {
		return errors.New("There are overlapping resources in the task group's task resources and/or executor resources")
	}
	var total resources.Resources
	for _, t := range group.Tasks {
		total = total.Plus(resources.New(t.Resources...))
	}
	if !a.hasExecutor(fw.id, e.ExecutorID.Value) {
		total = total.Plus(er)
	}
	if !available.Contains(total) {
		return fmt.Errorf("Total resources %s required by task group and its executor are more than available %s", total, available)
	}
	return nil
}

func scalarOrNone(rs resources.Resources, name string) string {
	if !rs.HasScalar(name) {
		return "None"
	}
	return strconv.FormatFloat(rs.Scalar(name), 'f', -1, 64)
}

func bytesOrNone(rs resources.Resources) string {
	if !rs.HasScalar("mem") {
		return "None"
	}
	return strconv.FormatUint(uint64(rs.Scalar("mem")), 10) + "MB"
}
