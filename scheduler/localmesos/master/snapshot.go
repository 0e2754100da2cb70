package master

import (
	"sort"
	"strconv"

	mesos "github.com/mesos/mesos-go/api/v1/lib"

	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/localmesos/resources"
)

// Snapshot is the master's read-only view of the cluster.
type Snapshot struct {
	MasterID   string          `json:"master_id"`
	Leader     bool            `json:"leader"`
	Address    string          `json:"address"`
	Agents     []AgentView     `json:"agents"`
	Frameworks []FrameworkView `json:"frameworks"`
	// Recovered agents were known before a master failover and have not
	// reregistered yet; Unreachable and Gone come from the registry.
	Recovered   []string `json:"recovered_agents,omitempty"`
	Unreachable []string `json:"unreachable_agents,omitempty"`
	Gone        []string `json:"gone_agents,omitempty"`
}

// AgentView is the master's view of a registered agent.
type AgentView struct {
	ID        string `json:"id"`
	Hostname  string `json:"hostname"`
	Connected bool   `json:"connected"`
	// Total is every resource of the agent; Free is what is neither
	// offered nor used, unreserved; Reserved lists dynamic reservations that
	// are not volumes; Volumes lists persistent volumes.
	Total    []ResourceView `json:"total"`
	Free     []ResourceView `json:"free"`
	Offered  []ResourceView `json:"offered"`
	Used     []ResourceView `json:"used"`
	Reserved []ResourceView `json:"reserved"`
	Volumes  []ResourceView `json:"volumes"`
}

// ResourceView is one resource in a readable form.
type ResourceView struct {
	Name   string      `json:"name"`
	Scalar float64     `json:"scalar,omitempty"`
	Ranges [][2]uint64 `json:"ranges,omitempty"`
	Set    []string    `json:"set,omitempty"`
	// Role is the current reservation role, "*" when unreserved.
	Role         string            `json:"role"`
	Principal    string            `json:"principal,omitempty"`
	Labels       map[string]string `json:"labels,omitempty"`
	Reservations []ReservationView `json:"reservations,omitempty"`
	// Disk information: source (ROOT, PATH, MOUNT), mount root, volume.
	DiskSource    string `json:"disk_source,omitempty"`
	MountRoot     string `json:"mount_root,omitempty"`
	PersistenceID string `json:"persistence_id,omitempty"`
	ContainerPath string `json:"container_path,omitempty"`
	// Text is the resource as Mesos prints it.
	Text string `json:"text"`
}

// ReservationView is one entry of a reservation stack.
type ReservationView struct {
	Type      string            `json:"type"`
	Role      string            `json:"role"`
	Principal string            `json:"principal,omitempty"`
	Labels    map[string]string `json:"labels,omitempty"`
}

// FrameworkView is the master's view of a framework.
type FrameworkView struct {
	ID               string     `json:"id"`
	Name             string     `json:"name"`
	Roles            []string   `json:"roles"`
	Principal        string     `json:"principal,omitempty"`
	Capabilities     []string   `json:"capabilities,omitempty"`
	Connected        bool       `json:"connected"`
	Active           bool       `json:"active"`
	Recovered        bool       `json:"recovered"`
	SuppressedRoles  []string   `json:"suppressed_roles,omitempty"`
	FailoverTimeout  float64    `json:"failover_timeout"`
	Checkpoint       bool       `json:"checkpoint"`
	Offers           int        `json:"offers"`
	Tasks            []TaskView `json:"tasks"`
	UnreachableTasks []TaskView `json:"unreachable_tasks,omitempty"`
	CompletedTasks   []TaskView `json:"completed_tasks,omitempty"`
}

// TaskView is the master's view of a task.
type TaskView struct {
	ID         string         `json:"id"`
	Name       string         `json:"name"`
	AgentID    string         `json:"agent_id"`
	ExecutorID string         `json:"executor_id,omitempty"`
	State      string         `json:"state"`
	Healthy    *bool          `json:"healthy,omitempty"`
	Resources  []ResourceView `json:"resources"`
}

// Snapshot returns the master's current view.
func (m *Master) Snapshot() Snapshot {
	m.mu.Lock()
	defer m.mu.Unlock()
	snap := Snapshot{
		MasterID:    m.info.ID,
		Leader:      m.elected && !m.stopped,
		Address:     m.info.GetHostname() + ":" + itoa(int(m.info.GetPort())),
		Unreachable: sorted(m.cfg.Registry.Unreachable()),
		Gone:        sorted(m.cfg.Registry.Gone()),
	}
	for id := range m.recovered {
		snap.Recovered = append(snap.Recovered, id)
	}
	sort.Strings(snap.Recovered)
	for _, a := range m.agents {
		snap.Agents = append(snap.Agents, agentView(a))
	}
	sort.Slice(snap.Agents, func(i, j int) bool { return snap.Agents[i].ID < snap.Agents[j].ID })
	for _, fw := range m.frameworks {
		snap.Frameworks = append(snap.Frameworks, frameworkView(fw))
	}
	sort.Slice(snap.Frameworks, func(i, j int) bool { return snap.Frameworks[i].ID < snap.Frameworks[j].ID })
	return snap
}

func sorted(s []string) []string {
	sort.Strings(s)
	return s
}

func agentView(a *agent) AgentView {
	v := AgentView{
		ID: a.id, Hostname: a.info.Hostname, Connected: a.connected,
		Total: views(a.total), Offered: views(a.offered), Used: views(a.used),
		Free: views(a.available().Filter(resources.IsUnreserved)),
	}
	for _, r := range a.total {
		switch {
		case resources.IsPersistentVolume(r):
			v.Volumes = append(v.Volumes, view(r))
		case resources.IsDynamicallyReserved(r):
			v.Reserved = append(v.Reserved, view(r))
		}
	}
	return v
}

func views(rs resources.Resources) []ResourceView {
	out := make([]ResourceView, 0, len(rs))
	for _, r := range rs {
		out = append(out, view(r))
	}
	return out
}

func labelsMap(ls *mesos.Labels) map[string]string {
	if ls == nil || len(ls.Labels) == 0 {
		return nil
	}
	out := map[string]string{}
	for _, l := range ls.Labels {
		out[l.Key] = l.GetValue()
	}
	return out
}

func view(r mesos.Resource) ResourceView {
	v := ResourceView{Name: r.Name, Role: resources.ReservationRole(r), Text: resources.String(r)}
	switch r.GetType() {
	case mesos.SCALAR:
		v.Scalar = r.GetScalar().GetValue()
	case mesos.RANGES:
		for _, rg := range r.GetRanges().GetRange() {
			v.Ranges = append(v.Ranges, [2]uint64{rg.Begin, rg.End})
		}
	case mesos.SET:
		v.Set = r.GetSet().GetItem()
	}
	for _, res := range r.Reservations {
		v.Reservations = append(v.Reservations, ReservationView{
			Type: res.GetType().String(), Role: res.GetRole(), Principal: res.GetPrincipal(), Labels: labelsMap(res.Labels),
		})
	}
	if n := len(r.Reservations); n > 0 {
		v.Principal = r.Reservations[n-1].GetPrincipal()
		v.Labels = labelsMap(r.Reservations[n-1].Labels)
	}
	if d := r.Disk; d != nil {
		v.DiskSource = "ROOT"
		if d.Source != nil {
			v.DiskSource = d.Source.Type.String()
			v.MountRoot = d.Source.GetMount().GetRoot()
		}
		if d.Persistence != nil {
			v.PersistenceID = d.Persistence.ID
		}
		if d.Volume != nil {
			v.ContainerPath = d.Volume.ContainerPath
		}
	} else if r.Name == "disk" {
		v.DiskSource = "ROOT"
	}
	return v
}

func frameworkView(fw *framework) FrameworkView {
	v := FrameworkView{
		ID: fw.id, Name: fw.info.Name, Roles: fw.roles, Principal: fw.info.GetPrincipal(),
		Connected: fw.connected, Active: fw.active, Recovered: fw.recovered,
		FailoverTimeout: fw.info.GetFailoverTimeout(), Checkpoint: fw.info.GetCheckpoint(), Offers: len(fw.offers),
	}
	for _, c := range fw.info.Capabilities {
		v.Capabilities = append(v.Capabilities, c.Type.String())
	}
	for r := range fw.suppressed {
		v.SuppressedRoles = append(v.SuppressedRoles, r)
	}
	sort.Strings(v.SuppressedRoles)
	for _, t := range fw.tasksList() {
		v.Tasks = append(v.Tasks, taskView(t))
	}
	for _, t := range fw.unreachableTasks {
		v.UnreachableTasks = append(v.UnreachableTasks, taskView(t))
	}
	for _, t := range fw.completedTasks {
		v.CompletedTasks = append(v.CompletedTasks, taskView(t))
	}
	return v
}

func taskView(t *task) TaskView {
	v := TaskView{ID: t.id, Name: t.name, AgentID: t.agentID, ExecutorID: t.executorID, State: t.state.String(), Resources: views(t.resources)}
	if t.last != nil {
		v.Healthy = t.last.Healthy
	}
	return v
}

func itoa(i int) string { return strconv.Itoa(i) }
