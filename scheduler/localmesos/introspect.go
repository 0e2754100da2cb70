package localmesos

import (
	"encoding/json"
	"net/http"

	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/localmesos/agent"
	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/localmesos/master"
)

// Snapshot is a read-only view of the whole local Mesos: the leading
// master's view of agents (total, free, offered, used and reserved resources
// with their labels, volumes), frameworks and tasks, and each agent's own
// view (volume folders, task sandboxes and processes). GET /localmesos/state
// serves the same data as JSON.
type Snapshot struct {
	SchedulerURL string                 `json:"scheduler_url"`
	Leader       string                 `json:"leader"`
	Masters      []string               `json:"masters"`
	Agents       []AgentSnapshot        `json:"agents"`
	Frameworks   []master.FrameworkView `json:"frameworks"`
	Unreachable  []string               `json:"unreachable_agents,omitempty"`
	Gone         []string               `json:"gone_agents,omitempty"`
}

// AgentSnapshot describes one agent.
type AgentSnapshot struct {
	Name     string `json:"name"`
	Hostname string `json:"hostname"`
	ID       string `json:"id"`
	// Running is false while the agent is crashed or after it stopped;
	// Partitioned while its network is cut; Removed once marked gone.
	Running     bool `json:"running"`
	Partitioned bool `json:"partitioned"`
	Removed     bool `json:"removed"`
	// Master is the leading master's view; nil when the agent is not
	// registered with it (crashed past its timeout, unreachable, gone).
	Master *master.AgentView `json:"master,omitempty"`
	// Local is the agent's own view.
	Local agent.Snapshot `json:"local"`
}

// Snapshot returns the current state of the cluster.
func (c *Cluster) Snapshot() Snapshot {
	snap := Snapshot{SchedulerURL: c.SchedulerURL(), Leader: c.LeaderAddress(), Masters: c.MasterAddresses()}
	m := c.leaderMaster()
	var ms master.Snapshot
	if m != nil {
		ms = m.Snapshot()
	}
	snap.Frameworks = ms.Frameworks
	snap.Unreachable = ms.Unreachable
	snap.Gone = ms.Gone
	views := map[string]master.AgentView{}
	for _, v := range ms.Agents {
		views[v.ID] = v
	}
	c.mu.Lock()
	type entry struct {
		name string
		n    *agentNode
		a    *agent.Agent
	}
	var entries []entry
	for _, name := range c.order {
		n := c.agents[name]
		entries = append(entries, entry{name, n, n.agent})
	}
	c.mu.Unlock()
	for _, e := range entries {
		as := AgentSnapshot{Name: e.name, Hostname: e.n.cfg.Hostname, Partitioned: e.n.link.cut.Load(), Removed: e.n.removed}
		if e.a != nil {
			as.Local = e.a.Snapshot()
			as.Running = as.Local.Alive && !as.Local.ShutDown
		} else {
			as.Local = agent.Snapshot{Name: e.name, Hostname: e.n.cfg.Hostname, WorkDir: e.n.cfg.WorkDir}
		}
		as.ID = as.Local.ID
		if as.ID == "" {
			as.ID, _ = agent.ReadID(e.n.cfg.WorkDir)
		}
		if v, ok := views[as.ID]; ok {
			v := v
			as.Master = &v
		}
		snap.Agents = append(snap.Agents, as)
	}
	return snap
}

// serveState serves GET /localmesos/state.
func (c *Cluster) serveState(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET")
		http.Error(w, "405 Method Not Allowed. Expecting one of { 'GET' }, but received '"+r.Method+"'.", http.StatusMethodNotAllowed)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	_ = enc.Encode(c.Snapshot())
}
