package service

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/plan"
	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/spec"
	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/state"
)

// The per-service API (Service).

// Endpoint names and the DNS suffixes DC/OS gives them.
const (
	endpointBroker    = spec.BrokerPortName
	endpointZookeeper = "zookeeper"
	autoipTLD         = "autoip.dcos.thisdcos.directory"
	vipTLD            = "l4lb.thisdcos.directory"
	vipPort           = 9092
)

// PlanNames lists the service's plans.
func (s *Service) PlanNames() []string { return []string{plan.DeployPlanName} }

// PlanInfo returns a plan; while uninstalling, "deploy" is the uninstall
// plan (as in DC/OS).
func (s *Service) PlanInfo(name string) (plan.Info, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if name != plan.DeployPlanName {
		return plan.Info{}, &NotFoundError{Kind: "Plan", Name: name}
	}
	return s.activePlan().Info(), nil
}

// PlanCommand runs an operator command and stores the deploy plan's
// overrides, so that an interrupt or a continue survives a restart.
func (s *Service) PlanCommand(ctx context.Context, cmd PlanCommand) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if cmd.Plan != plan.DeployPlanName {
		return &NotFoundError{Kind: "Plan", Name: cmd.Plan}
	}
	p := s.activePlan()
	if err := runCommand(p, cmd); err != nil {
		return err
	}
	if p != s.deploy {
		return nil
	}
	if err := s.store.Set(ctx, propertyKey(propertyDeployOverride), mustJSON(p.Overrides())); err != nil {
		return fmt.Errorf("the %s command took effect but storing it failed, so a scheduler restart would forget it: %w", cmd.Command, err)
	}
	return nil
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

// Pods lists the pod instances that have a task, sorted by index.
func (s *Service) Pods(context.Context) ([]PodInstance, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	pods := []PodInstance{}
	for _, i := range s.sortedPods() {
		p := s.pods[i]
		if p.record.TaskID == "" {
			continue
		}
		state := strings.TrimPrefix(p.status.State, "TASK_")
		if state == "" {
			state = "STAGING"
		}
		pods = append(pods, PodInstance{Name: spec.PodInstanceName(i), Tasks: []PodTask{{
			ID: p.record.TaskID, Name: p.record.Name, State: state,
			AgentID: p.record.AgentID, Hostname: p.record.Hostname,
			Info: p.record.Info, Status: p.status.Status,
		}}})
	}
	return pods, nil
}

// EndpointNames lists the service's endpoints.
func (s *Service) EndpointNames() []string { return []string{endpointBroker, endpointZookeeper} }

// Endpoint returns the brokers' addresses, or the ZooKeeper connection of
// the brokers (as text).
func (s *Service) Endpoint(name string) (Endpoint, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	switch name {
	case endpointZookeeper:
		return Endpoint{Text: s.spec.KafkaZookeeperURI}, nil
	case endpointBroker:
		e := Endpoint{Address: []string{}, DNS: []string{}, VIP: fmt.Sprintf("%s.%s.%s:%d", endpointBroker, strings.ReplaceAll(s.name, "/", ""), vipTLD, vipPort)}
		for _, i := range s.sortedPods() {
			p := s.pods[i]
			if p.record.TaskID == "" || p.launchNeverReachedMesos() {
				continue
			}
			e.Address = append(e.Address, fmt.Sprintf("%s:%d", p.record.Hostname, p.record.Port))
			e.DNS = append(e.DNS, fmt.Sprintf("%s.%s.%s:%d", p.record.Name, autoipService(s.name), autoipTLD, p.record.Port))
		}
		return e, nil
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
func (s *Service) ConfigurationIDs(ctx context.Context) ([]string, error) {
	ids, err := s.store.Children(ctx, keyConfigurations)
	if errors.Is(err, state.ErrNotFound) {
		return []string{}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("listing configurations: %w", err)
	}
	return ids, nil
}

// Configuration returns a stored configuration.
func (s *Service) Configuration(ctx context.Context, id string) (json.RawMessage, error) {
	node, err := s.store.Get(ctx, configKey(id))
	if errors.Is(err, state.ErrNotFound) || errors.Is(err, state.ErrInvalidKey) {
		return nil, &NotFoundError{Kind: "Configuration", Name: id}
	}
	if err != nil {
		return nil, fmt.Errorf("reading configuration %s: %w", id, err)
	}
	return node.Value, nil
}

// TargetConfigurationID is the target configuration's id.
func (s *Service) TargetConfigurationID(context.Context) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.configID, nil
}

// PropertyNames lists the service's properties.
func (s *Service) PropertyNames(ctx context.Context) ([]string, error) {
	names, err := s.store.Children(ctx, keyProperties)
	if errors.Is(err, state.ErrNotFound) {
		return []string{}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("listing properties: %w", err)
	}
	return names, nil
}

// Property returns a property's value as JSON (text values as a string).
func (s *Service) Property(ctx context.Context, name string) (json.RawMessage, error) {
	node, err := s.store.Get(ctx, propertyKey(name))
	if errors.Is(err, state.ErrNotFound) || errors.Is(err, state.ErrInvalidKey) {
		return nil, &NotFoundError{Kind: "Property", Name: name}
	}
	if err != nil {
		return nil, fmt.Errorf("reading property %s: %w", name, err)
	}
	if json.Valid(node.Value) {
		return node.Value, nil
	}
	return mustJSON(string(node.Value)), nil
}

// Health reports the service's health as DC/OS's /v1/health does
// (reference/dcos-commons.md §1.4), from the active plan.
func (s *Service) Health() Health {
	s.mu.Lock()
	defer s.mu.Unlock()
	info := s.activePlan().Info()
	switch {
	case len(info.Errors) > 0:
		return Health{Code: 500, Name: "ERROR_CREATING_SERVICE", Reasons: info.Errors}
	case s.frameworkID == "":
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
