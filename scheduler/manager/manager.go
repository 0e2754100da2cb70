// Package manager hosts many Kafka services in one scheduler: it finds the
// installed services in the state store at start, runs each as its own
// Mesos framework (package service) in its own goroutine, and serves the
// management API (package httpapi serves it): install, update, describe, preview and
// uninstall. One service's failure never blocks another: each has its own
// state subtree, framework, role and principal, and its own goroutine.
package manager

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"runtime/debug"
	"sort"
	"strings"
	"sync"

	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/plan"
	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/secrets"
	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/service"
	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/spec"
	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/state"
	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/validation"
)

// Config configures a Manager.
type Config struct {
	// Store is the scheduler's state store, rooted where the services'
	// dcos-service-<name> keys live.
	Store state.Store
	// Master is the Mesos master every service subscribes to.
	Master string
	// Environment is what the scheduler contributes to every spec.
	Environment spec.Environment
	// DefaultsFor returns the options a service gets for what its options
	// leave out (spec.DefaultOptions, adjusted by the scheduler's mode);
	// nil means spec.DefaultOptions.
	DefaultsFor func(name string) spec.Options
	Transport   http.RoundTripper
	Hostname    string
	Logger      *slog.Logger
	Timing      service.Timing
	// Secrets is the scheduler's secret store (secrets.go); nil: the
	// scheduler has none, and options that refer to secrets are refused.
	Secrets *secrets.Store
}

// Manager runs the services of one scheduler.
type Manager struct {
	cfg Config
	log *slog.Logger

	mu       sync.Mutex
	ctx      context.Context // set by Run; services started later run under it
	services map[string]*service.Service
	wg       sync.WaitGroup
	kafka    kafkaAdmins // one admin connection per service (kafka.go)
}

// New returns a manager; Run starts it.
func New(cfg Config) *Manager {
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	return &Manager{cfg: cfg, log: cfg.Logger, services: map[string]*service.Service{}}
}

// Start loads every installed service and starts it. Services run until
// ctx ends; Wait waits for them.
func (m *Manager) Start(ctx context.Context) error {
	m.mu.Lock()
	m.ctx = ctx
	m.mu.Unlock()
	keys, err := m.cfg.Store.Children(ctx, state.RootKey)
	if err != nil && !errors.Is(err, state.ErrNotFound) {
		return fmt.Errorf("listing installed services: %w", err)
	}
	for _, key := range keys {
		if !spec.IsServiceKey(key) {
			continue
		}
		// A service whose stored state cannot be used opens failed
		// (listed, its plan in ERROR, uninstallable); only a state that
		// cannot be read keeps it out. Either way the others start.
		svc, err := service.Open(ctx, m.serviceConfig(key))
		if err != nil {
			m.log.Error("cannot start a service; it stays stopped until its state can be read", "key", key, "error", err)
			continue
		}
		m.start(svc)
	}
	m.recordAllSecretUsers(ctx)
	return nil
}

// Wait blocks until every service goroutine has ended.
func (m *Manager) Wait() {
	m.wg.Wait()
	m.kafka.closeAll()
}

func (m *Manager) serviceConfig(key string) service.Config {
	return service.Config{
		Store:     state.Sub(m.cfg.Store, key),
		Master:    m.cfg.Master,
		Transport: m.cfg.Transport,
		Hostname:  m.cfg.Hostname,
		Kafka:     m.kafkaProvider(key),
		Logger:    m.log,
		Timing:    m.cfg.Timing,
		Name:      serviceName(key),
		Secrets:   m.resolverFor(serviceName(key)),
	}
}

// serviceName is the name of the service whose state key is key (the
// inverse of spec.ServiceKey).
func serviceName(key string) string {
	return strings.ReplaceAll(strings.TrimPrefix(key, spec.ServiceKey("")), "__", "/")
}

// start runs a service in its own goroutine and forgets it once it is
// uninstalled. A panic that escapes the service (its loop contains the
// panics of its jobs) is contained to it: logged with its stack, and the
// service is opened again from its state in failed mode, so that it stays
// listed and can be uninstalled; should that one panic too, it stays
// listed, stopped.
func (m *Manager) start(svc *service.Service) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.services[svc.Name()] = svc
	m.wg.Add(1)
	go m.run(svc, true)
}

// run is a service's goroutine.
func (m *Manager) run(svc *service.Service, reopen bool) {
	defer m.wg.Done()
	panicked, err := runContained(m.ctx, svc)
	switch {
	case panicked != nil:
		m.log.Error("service goroutine panicked", "service", svc.Name(), "panic", fmt.Sprint(panicked.value), "stack", panicked.stack)
		if reopen && m.ctx.Err() == nil {
			m.reopenFailed(svc, fmt.Sprintf("an internal error (a panic: %v)", panicked.value))
		}
		return
	case err != nil && m.ctx.Err() == nil:
		m.log.Error("service stopped", "service", svc.Name(), "error", err)
	}
	if svc.Removed() {
		m.mu.Lock()
		delete(m.services, svc.Name())
		m.mu.Unlock()
		m.kafka.close(svc.Name())
	}
}

// panicked is a recovered panic with the stack where it happened.
type panicked struct {
	value any
	stack string
}

// runContained runs svc and recovers a panic that escapes it.
func runContained(ctx context.Context, svc *service.Service) (p *panicked, err error) {
	defer func() {
		if r := recover(); r != nil {
			p = &panicked{value: r, stack: string(debug.Stack())}
		}
	}()
	return nil, svc.Run(ctx)
}

// reopenFailed replaces a service whose goroutine panicked by the same
// service opened failed, and runs it (once: a second panic leaves it
// stopped).
func (m *Manager) reopenFailed(old *service.Service, reason string) {
	cfg := m.serviceConfig(spec.ServiceKey(old.Name()))
	cfg.Failure = reason
	svc, err := service.Open(m.ctx, cfg)
	if err != nil {
		m.log.Error("opening a panicked service again in failed mode", "service", old.Name(), "error", err)
		return
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.services[old.Name()] != old {
		return // uninstalled or replaced meanwhile
	}
	m.services[old.Name()] = svc
	m.wg.Add(1)
	go m.run(svc, false)
}

func (m *Manager) lookup(name string) (*service.Service, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	svc, ok := m.services[strings.Trim(name, "/")]
	if !ok {
		return nil, &service.NotFoundError{Kind: "Service", Name: name}
	}
	return svc, nil
}

// Services lists the installed services, sorted by name.
func (m *Manager) Services(context.Context) ([]service.ServiceSummary, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make([]service.ServiceSummary, 0, len(m.services))
	for name := range m.services {
		out = append(out, service.ServiceSummary{Name: name})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

// PutService installs a service or updates it. A non-empty ifMatch
// (a config id, or service.AnyConfig) requires an installed service whose
// target is that configuration, checked by the service in the decision
// that changes it; otherwise a *service.PreconditionFailedError.
func (m *Manager) PutService(ctx context.Context, name string, options []byte, ifMatch string) (service.PutResult, error) {
	name = strings.Trim(name, "/")
	next, err := m.parse(ctx, name, options, m.running(name))
	if err != nil {
		return service.PutResult{}, err
	}
	svc, err := m.lookup(name)
	if err != nil && ifMatch != "" {
		return service.PutResult{}, &service.PreconditionFailedError{Service: name, Expected: ifMatch}
	}
	if err == nil {
		if reason := svc.Failure(); reason != "" {
			return service.PutResult{}, fmt.Errorf("%w: %s", service.ErrConflict, reason)
		}
		id, changed, err := svc.UpdateIfMatch(ctx, next, ifMatch)
		if err != nil {
			return service.PutResult{}, err
		}
		m.acceptedWithSecrets(ctx, name, next)
		return service.PutResult{Name: name, ConfigID: id, Changed: changed}, nil
	}
	m.mu.Lock()
	started := m.ctx != nil
	m.mu.Unlock()
	if !started {
		return service.PutResult{}, errors.New("the scheduler is still starting; try again")
	}
	svc, err = service.Create(ctx, m.serviceConfig(spec.ServiceKey(name)), next)
	if err != nil {
		return service.PutResult{}, err
	}
	m.start(svc)
	m.acceptedWithSecrets(ctx, name, next)
	_, id := svc.Spec()
	m.log.Info("service installed", "service", name, "config_id", id)
	return service.PutResult{Name: name, ConfigID: id, Created: true, Changed: true}, nil
}

// running is the target spec of the installed service name, nil when
// there is none or it is failed (its update is refused anyway).
func (m *Manager) running(name string) *spec.ServiceSpec {
	svc, err := m.lookup(name)
	if err != nil || svc.Failure() != "" {
		return nil
	}
	current, _ := svc.Spec()
	return &current
}

// parse turns options into a spec for the named service: every problem at
// once (with current, the running service's spec, also every change it
// cannot take: spec.ParseUpdate), the URL's name filled in, a different
// name in the options refused, and the versions of the secrets it uses
// recorded (secrets.go).
func (m *Manager) parse(ctx context.Context, name string, options []byte, current *spec.ServiceSpec) (spec.ServiceSpec, error) {
	defaults := spec.DefaultOptions()
	if m.cfg.DefaultsFor != nil {
		defaults = m.cfg.DefaultsFor(name)
	}
	defaults.Service.Name = name
	var next spec.ServiceSpec
	var err error
	if current != nil {
		next, err = spec.ParseUpdate(options, defaults, m.cfg.Environment, *current)
	} else {
		next, err = spec.Parse(options, defaults, m.cfg.Environment)
	}
	var problems validation.Problems
	if err != nil && !errors.As(err, &problems) {
		return spec.ServiceSpec{}, err
	}
	if err == nil && next.Name != name {
		problems.Addf("service.name", next.Name, "must be the name in the URL, %q (or be left out)", name)
	}
	if len(problems) > 0 {
		return spec.ServiceSpec{}, problems
	}
	return m.withSecretVersions(ctx, next)
}

// GetService describes one service.
func (m *Manager) GetService(_ context.Context, name string) (service.ServiceDetail, error) {
	svc, err := m.lookup(name)
	if err != nil {
		return service.ServiceDetail{}, err
	}
	return svc.Detail(), nil
}

// DeleteService starts a service's uninstall; a non-empty ifMatch is
// checked as PutService checks it.
func (m *Manager) DeleteService(ctx context.Context, name string, ifMatch string) error {
	svc, err := m.lookup(name)
	if err != nil {
		return err
	}
	if err := svc.UninstallIfMatch(ctx, ifMatch); err != nil {
		return err
	}
	m.recordSecretUsers(ctx, svc.Name(), nil)
	m.kafka.close(svc.Name())
	return nil
}

// PreviewService returns the plan the options would run: for an update,
// the plan Update would start, built by the same code (service.PreviewUpdate).
func (m *Manager) PreviewService(ctx context.Context, name string, options []byte) (service.Preview, error) {
	name = strings.Trim(name, "/")
	next, err := m.parse(ctx, name, options, m.running(name))
	if err != nil {
		return service.Preview{}, err
	}
	if svc, err := m.lookup(name); err == nil {
		if reason := svc.Failure(); reason != "" {
			return service.Preview{}, fmt.Errorf("%w: %s", service.ErrConflict, reason)
		}
		up, err := svc.PreviewUpdate(ctx, next)
		if err != nil {
			return service.Preview{}, err
		}
		_, id := svc.Spec()
		strategy := brokerStrategy(up.Plan, next.UpdateStrategy)
		brokers, notes := previewBrokers(next, up, strategy)
		return service.Preview{Name: name, ConfigID: id, Plan: up.Plan, Brokers: brokers, Strategy: strategy, Notes: notes}, nil
	}
	deploy, err := plan.NewDeploy(next, nil)
	if err != nil {
		return service.Preview{}, fmt.Errorf("building the deploy plan: %w", err)
	}
	up := service.UpdatePlan{Plan: deploy.Info(), Controller: -1}
	brokers, notes := previewBrokers(next, up, next.DeployStrategy)
	return service.Preview{Name: name, Install: true, Plan: up.Plan, Brokers: brokers, Strategy: next.DeployStrategy, Notes: notes}, nil
}

// brokerStrategy is the strategy of the plan's broker phase (the update
// strategy for a rolling update, the deploy strategy for a plain deploy
// plan), or def when the plan has none.
func brokerStrategy(info plan.Info, def string) string {
	for _, ph := range info.Phases {
		if ph.Name == plan.BrokerPhaseName {
			return string(ph.Strategy)
		}
	}
	return def
}

// Service returns one installed service, or a *service.NotFoundError.
func (m *Manager) Service(name string) (*service.Service, error) {
	return m.lookup(name)
}
