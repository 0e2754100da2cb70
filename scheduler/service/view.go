package service

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"

	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/configstore"
	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/plan"
	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/spec"
)

// Reads never wait: everything a reader can ask a service is answered from
// a view, an immutable snapshot of the model that every decision publishes
// when it ends (s.view, an atomic pointer). A reader takes no lock, so it
// never waits for the service goroutine, a Mesos call or a state store
// write. Values read are shared with other readers and must not be
// modified.

// Endpoint names and the DNS suffixes DC/OS gives them.
const (
	endpointBroker    = spec.BrokerPortName
	endpointZookeeper = "zookeeper"
	autoipTLD         = "autoip.dcos.thisdcos.directory"
	vipTLD            = "l4lb.thisdcos.directory"
	vipPort           = 9092
)

// view is one published snapshot.
type view struct {
	detail    ServiceDetail
	recovery  plan.Info
	spec      spec.ServiceSpec
	podStates map[int]plan.PodState
	pods      []PodInstance
	broker    Endpoint
	health    Health
	removed   bool

	properties     map[string][]byte
	propertyNames  []string
	configs        map[string][]byte
	configIDs      []string
	configHistory  []configstore.Entry
	configsVersion uint64

	outcomes        []OfferOutcome // newest first
	outcomesVersion uint64
	cycles          []OfferCycle // newest first
	cyclesVersion   uint64
}

// publish builds the view of the model and makes it the one readers see.
// It runs under s.mu.
func (s *Service) publish() {
	prev := s.view.Load()
	info := s.activePlan().Info()
	v := &view{
		detail: ServiceDetail{
			Name:         s.name,
			ConfigID:     s.configID(),
			FrameworkID:  s.frameworkID,
			Uninstalling: s.uninstall != nil,
			Status:       info.Status,
			Plan:         info,
		},
		recovery:      s.rec.plan.Info(),
		spec:          s.spec,
		podStates:     make(map[int]plan.PodState, len(s.pods)),
		pods:          []PodInstance{},
		removed:       s.removed,
		properties:    cloneBytesMap(s.properties),
		propertyNames: sortedKeys(s.properties),
	}
	if prev != nil && prev.configsVersion == s.configs.Version() {
		v.configs, v.configIDs, v.configHistory, v.configsVersion = prev.configs, prev.configIDs, prev.configHistory, prev.configsVersion
	} else {
		v.configs, v.configIDs, v.configHistory, v.configsVersion = s.configs.Snapshot(), s.configs.IDs(), s.configs.History(), s.configs.Version()
	}
	if prev != nil && prev.detail.ConfigID == v.detail.ConfigID {
		v.detail.Options = prev.detail.Options
	} else {
		v.detail.Options = mustJSON(s.spec.Options)
	}
	v.broker = Endpoint{Address: []string{}, DNS: []string{}, VIP: fmt.Sprintf("%s.%s.%s:%d", endpointBroker, strings.ReplaceAll(s.name, "/", ""), vipTLD, vipPort)}
	for _, i := range s.sortedPods() {
		p := s.pods[i]
		v.podStates[i] = s.withRecovery(i, p.podState())
		if p.record.TaskID == "" {
			continue
		}
		v.pods = append(v.pods, podInstance(i, p))
		if !p.launchNeverReachedMesos() {
			v.broker.Address = append(v.broker.Address, fmt.Sprintf("%s:%d", p.record.Hostname, p.record.Port))
			v.broker.DNS = append(v.broker.DNS, fmt.Sprintf("%s.%s.%s:%d", p.record.Name, autoipService(s.name), autoipTLD, p.record.Port))
		}
	}
	v.health = health(info, s.frameworkID)
	if v.health.Code == 200 {
		v.health = recoveryHealth(v.recovery, v.health)
	}
	if prev != nil && prev.outcomesVersion == s.outcomes.version() {
		v.outcomes, v.outcomesVersion = prev.outcomes, prev.outcomesVersion
	} else {
		v.outcomes, v.outcomesVersion = s.outcomes.newestFirst(), s.outcomes.version()
	}
	if prev != nil && prev.cyclesVersion == s.cycles.version() {
		v.cycles, v.cyclesVersion = prev.cycles, prev.cyclesVersion
	} else {
		v.cycles, v.cyclesVersion = s.cycles.newestFirst(), s.cycles.version()
	}
	s.view.Store(v)
}

// current is the view readers see.
func (s *Service) current() *view { return s.view.Load() }

func podInstance(i int, p *pod) PodInstance {
	state := strings.TrimPrefix(p.status.State, "TASK_")
	if state == "" {
		state = "STAGING"
	}
	state = pausedState(p, state)
	return PodInstance{Name: spec.PodInstanceName(i), Tasks: []PodTask{{
		ID: p.record.TaskID, Name: p.record.Name, State: state,
		AgentID: p.record.AgentID, Hostname: p.record.Hostname,
		Info: p.record.Info, Status: p.status.Status,
	}}}
}

func cloneBytesMap(m map[string][]byte) map[string][]byte {
	out := make(map[string][]byte, len(m))
	for k, v := range m {
		out[k] = v // values are replaced, never changed in place
	}
	return out
}

// Spec returns the target spec and its configuration id.
func (s *Service) Spec() (spec.ServiceSpec, string) {
	v := s.current()
	return v.spec, v.detail.ConfigID
}

// Detail describes the service for GET /v1/services/{name}.
func (s *Service) Detail() ServiceDetail { return s.current().detail }

// FrameworkID is the service's Mesos framework ID ("" before the first
// subscription).
func (s *Service) FrameworkID() string { return s.current().detail.FrameworkID }

// Uninstalling reports whether the service is being uninstalled.
func (s *Service) Uninstalling() bool { return s.current().detail.Uninstalling }

// Removed reports whether the service was uninstalled and its state
// deleted.
func (s *Service) Removed() bool { return s.current().removed }

// PlanNames lists the service's plans.
func (s *Service) PlanNames() []string {
	return []string{plan.DeployPlanName, plan.RecoveryPlanName}
}

// PlanInfo returns a plan; while uninstalling, "deploy" is the uninstall
// plan (as in DC/OS).
func (s *Service) PlanInfo(name string) (plan.Info, error) {
	switch name {
	case plan.DeployPlanName:
		return s.current().detail.Plan, nil
	case plan.RecoveryPlanName:
		return s.current().recovery, nil
	}
	return plan.Info{}, &NotFoundError{Kind: "Plan", Name: name}
}

// Pods lists the pod instances that have a task, sorted by index.
func (s *Service) Pods(context.Context) ([]PodInstance, error) { return s.current().pods, nil }

// EndpointNames lists the service's endpoints.
func (s *Service) EndpointNames() []string { return []string{endpointBroker, endpointZookeeper} }

// Endpoint returns the brokers' addresses, or the ZooKeeper connection of
// the brokers (as text).
func (s *Service) Endpoint(name string) (Endpoint, error) {
	v := s.current()
	switch name {
	case endpointZookeeper:
		return Endpoint{Text: v.spec.KafkaZookeeperURI}, nil
	case endpointBroker:
		return v.broker, nil
	}
	return Endpoint{}, &NotFoundError{Kind: "Endpoint", Name: name}
}

// autoipService is the service's part of an autoip name: the folders in
// reverse order, joined by '-' ("prod/kafka" → "kafka-prod").
func autoipService(name string) string {
	parts := strings.Split(strings.Trim(name, "/"), "/")
	for i, j := 0, len(parts)-1; i < j; i, j = i+1, j-1 {
		parts[i], parts[j] = parts[j], parts[i]
	}
	return strings.Join(parts, "-")
}

// ConfigurationIDs lists the stored configurations.
func (s *Service) ConfigurationIDs(context.Context) ([]string, error) {
	return s.current().configIDs, nil
}

// ConfigurationHistory lists the stored configurations in the order they
// became the target, oldest first, with the time each did.
func (s *Service) ConfigurationHistory(context.Context) ([]configstore.Entry, error) {
	return s.current().configHistory, nil
}

// Configuration returns a stored configuration.
func (s *Service) Configuration(_ context.Context, id string) (json.RawMessage, error) {
	value, ok := s.current().configs[id]
	if !ok {
		return nil, &NotFoundError{Kind: "Configuration", Name: id}
	}
	return value, nil
}

// TargetConfigurationID is the target configuration's id.
func (s *Service) TargetConfigurationID(context.Context) (string, error) {
	return s.current().detail.ConfigID, nil
}

// PropertyNames lists the service's properties.
func (s *Service) PropertyNames(context.Context) ([]string, error) {
	return s.current().propertyNames, nil
}

// Property returns a property's value as JSON (text values as a string).
func (s *Service) Property(_ context.Context, name string) (json.RawMessage, error) {
	value, ok := s.current().properties[name]
	if !ok {
		return nil, &NotFoundError{Kind: "Property", Name: name}
	}
	if json.Valid(value) {
		return value, nil
	}
	return mustJSON(string(value)), nil
}

// setProperty records a property the service stored.
func (s *Service) setProperty(name string, value []byte) { s.properties[name] = value }

// Health reports the service's health as DC/OS's /v1/health does
// (reference/dcos-commons.md §1.4), from the active plan.
func (s *Service) Health() Health { return s.current().health }

// OfferOutcomes lists the latest offer evaluations, newest first.
func (s *Service) OfferOutcomes() []OfferOutcome { return s.current().outcomes }

func health(info plan.Info, frameworkID string) Health {
	switch {
	case len(info.Errors) > 0:
		return Health{Code: 500, Name: "ERROR_CREATING_SERVICE", Reasons: info.Errors}
	case frameworkID == "":
		return Health{Code: 318, Name: "INITIALIZING", Reasons: []string{"the framework has not subscribed to Mesos yet"}}
	case info.Status == plan.Complete:
		return Health{Code: 200, Name: "RUNNING", Reasons: []string{}}
	case info.Status == plan.Waiting:
		return Health{Code: 207, Name: "DEPLOYING_WAITING_USER", Reasons: []string{"the deploy plan waits for an operator's continue"}}
	}
	counts := map[plan.Status]int{}
	for _, ph := range info.Phases {
		for _, st := range ph.Steps {
			counts[st.Status]++
		}
	}
	switch {
	case counts[plan.Delayed] > 0:
		return Health{Code: 208, Name: "DELAYED", Reasons: []string{"a launch is delayed by its backoff"}}
	case counts[plan.Starting]+counts[plan.Started] > 0:
		return Health{Code: 202, Name: "DEPLOYING_STARTING", Reasons: []string{fmt.Sprintf("%d step(s) starting", counts[plan.Starting]+counts[plan.Started])}}
	}
	return Health{Code: 204, Name: "DEPLOYING_PENDING", Reasons: []string{fmt.Sprintf("%d step(s) waiting for resources", counts[plan.Pending]+counts[plan.Prepared])}}
}

// Metrics serves the metrics as codahale-style JSON.
func (s *Service) Metrics() http.Handler { return s.metrics.JSONHandler() }

// PrometheusMetrics serves the metrics in the Prometheus text format.
func (s *Service) PrometheusMetrics() http.Handler { return s.metrics.PrometheusHandler() }
