package service

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/hashicorp/go-uuid"
	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/mesosclient"
	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/metrics"
	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/plan"
	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/spec"
	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/state"
)

// Config configures a Service.
type Config struct {
	// Store is the service's own view of the state store, rooted at
	// dcos-service-<name> (state.Sub).
	Store state.Store
	// Master is the Mesos master: an http(s) URL or zk://…/mesos.
	Master string
	// Transport carries the Mesos calls (nil: http.DefaultTransport).
	Transport http.RoundTripper
	// Hostname is reported to Mesos as the framework's host.
	Hostname string
	Logger   *slog.Logger
	// Removed is called once the service is uninstalled and its state
	// deleted.
	Removed func(name string)
	Timing  Timing
}

// Timing holds the service's periods and filters; zero values take the
// defaults in parentheses (DC/OS's, unless noted).
type Timing struct {
	// Tick is how often timers run: kills, revives, reconciliation
	// retries and uninstall progress (1s).
	Tick time.Duration
	// ImplicitReconciliation is the period of implicit reconciliation (1h).
	ImplicitReconciliation time.Duration
	// ExplicitReconciliationRetry is the first retry delay of explicit
	// reconciliation; it doubles up to 30s (4s).
	ExplicitReconciliationRetry time.Duration
	// LongDecline filters offers while there is nothing to do (1h);
	// ShortDecline while the service is not ready for them (5s).
	LongDecline  time.Duration
	ShortDecline time.Duration
	// AcceptRefuse filters the unused rest of an accepted offer (1s).
	AcceptRefuse time.Duration
	// MinReviveInterval is the least time between two revives (5s).
	MinReviveInterval time.Duration
	// KillRetry is how long to wait for a killed task to end before
	// killing it again (30s; ours).
	KillRetry time.Duration
	// Mesos client tuning (see mesosclient.Config).
	MinBackoff, MaxBackoff time.Duration
}

func (t Timing) withDefaults() Timing {
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	def(&t.Tick, time.Second)
	def(&t.ImplicitReconciliation, time.Hour)
	def(&t.ExplicitReconciliationRetry, 4*time.Second)
	def(&t.LongDecline, time.Hour)
	def(&t.ShortDecline, 5*time.Second)
	def(&t.AcceptRefuse, time.Second)
	def(&t.MinReviveInterval, 5*time.Second)
	def(&t.KillRetry, 30*time.Second)
	return t
}

// maxOutcomes bounds the offer evaluations kept for diagnostics.
const maxOutcomes = 500

// Service is one Kafka service: its framework, plans and brokers.
type Service struct {
	name    string
	cfg     Config
	log     *slog.Logger
	metrics *metrics.Metrics
	client  *mesosclient.Client

	mu          sync.Mutex
	store       state.Store
	frameworkID string
	configID    string
	spec        spec.ServiceSpec
	pods        map[int]*pod
	deploy      *plan.Plan
	uninstall   *plan.Plan // non-nil once the uninstall started
	removed     bool
	suppressed  bool
	// filtered is set when offers were declined with the long filter
	// since the last revive.
	filtered   bool
	reconcile  reconciliation
	lastRevive time.Time
	killedAt   map[string]time.Time // task ID → when KILL was sent
	outcomes   []OfferOutcome       // newest last
}

// reconciliation tracks explicit reconciliation after a subscription and
// the implicit one on a period.
type reconciliation struct {
	waiting  map[string]bool // task IDs not yet answered
	nextTry  time.Time
	delay    time.Duration
	implicit time.Time // when the next implicit reconciliation is due
}

// Create writes a new service's state (name, configuration, target) in one
// commit and returns the service, not yet running. It fails with
// ErrConflict when the store already holds a service.
func Create(ctx context.Context, cfg Config, s spec.ServiceSpec) (*Service, error) {
	configID, err := uuid.GenerateUUID()
	if err != nil {
		return nil, fmt.Errorf("making a configuration id: %w", err)
	}
	err = cfg.Store.Commit(ctx,
		state.CompareAndSetOp(keyServiceName, []byte(s.Name), state.NoVersion),
		state.SetOp(configKey(configID), mustJSON(s)),
		state.SetOp(keyConfigTarget, []byte(configID)),
	)
	if errors.Is(err, state.ErrVersionConflict) {
		return nil, fmt.Errorf("%w: service %q already exists in the state store", ErrConflict, s.Name)
	}
	if err != nil {
		return nil, fmt.Errorf("storing the new service %q: %w", s.Name, err)
	}
	return Open(ctx, cfg)
}

// Open loads a service from its state; Run starts it.
func Open(ctx context.Context, cfg Config) (*Service, error) {
	p, err := load(ctx, cfg.Store)
	if err != nil {
		return nil, fmt.Errorf("loading the service's state: %w", err)
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	cfg.Timing = cfg.Timing.withDefaults()
	s := &Service{
		name:        p.name,
		cfg:         cfg,
		log:         cfg.Logger.With("service", p.name),
		metrics:     metrics.New(p.name),
		store:       cfg.Store,
		frameworkID: p.frameworkID,
		configID:    p.configID,
		spec:        p.spec,
		pods:        p.pods,
		killedAt:    map[string]time.Time{},
	}
	if err := s.buildDeployPlan(p.overrides); err != nil {
		return nil, err
	}
	if p.uninstalling {
		if err := s.buildUninstallPlan(); err != nil {
			return nil, err
		}
	}
	return s, nil
}

// Name is the service's name.
func (s *Service) Name() string { return s.name }

// buildDeployPlan (re)builds the deploy plan from the target spec and the
// pods, and applies the stored operator overrides when they belong to it.
func (s *Service) buildDeployPlan(overrides plan.Overrides) error {
	states := make(map[int]plan.PodState, len(s.pods))
	for i, p := range s.pods {
		states[i] = p.podState()
	}
	deploy, err := plan.NewDeploy(s.spec, states, plan.WithKey(s.configID))
	if err != nil {
		return fmt.Errorf("building the deploy plan: %w", err)
	}
	if !overrides.IsZero() {
		if err := deploy.Apply(overrides); err != nil && !errors.Is(err, plan.ErrOverridesKey) {
			s.log.Warn("restoring the deploy plan's overrides", "error", err)
		}
	}
	s.deploy = deploy
	return nil
}

// Run connects the service to Mesos and drives it until ctx ends, the
// service is uninstalled, or the master removed its framework.
func (s *Service) Run(ctx context.Context) error {
	resolver, err := mesosclient.NewMasterResolver(s.cfg.Master)
	if err != nil {
		return fmt.Errorf("service %s: %w", s.name, err)
	}
	client, err := mesosclient.New(mesosclient.Config{
		Master:      resolver,
		Framework:   s.frameworkInfo(),
		FrameworkID: s.FrameworkID,
		Handler:     handler{s},
		Logger:      s.log,
		MinBackoff:  s.cfg.Timing.MinBackoff,
		MaxBackoff:  s.cfg.Timing.MaxBackoff,
		Transport:   s.cfg.Transport,
	})
	if err != nil {
		return fmt.Errorf("service %s: %w", s.name, err)
	}
	s.mu.Lock()
	s.client = client
	s.mu.Unlock()

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	timersDone := make(chan struct{})
	go func() {
		defer close(timersDone)
		s.runTimers(ctx, cancel)
	}()
	err = client.Run(ctx)
	cancel()
	<-timersDone
	if errors.Is(err, mesosclient.ErrFrameworkRemoved) {
		return s.frameworkRemoved(context.WithoutCancel(ctx))
	}
	if s.Removed() {
		return nil
	}
	return err
}

// runTimers does the periodic work until ctx ends; it cancels the service
// once the uninstall finished.
func (s *Service) runTimers(ctx context.Context, stop context.CancelFunc) {
	ticker := time.NewTicker(s.cfg.Timing.Tick)
	defer ticker.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-ticker.C:
		}
		s.mu.Lock()
		s.tick(ctx)
		removed := s.removed
		s.mu.Unlock()
		if removed {
			stop()
			return
		}
	}
}

// tick runs the periodic work. Callers hold s.mu.
func (s *Service) tick(ctx context.Context) {
	s.recordPlanStatus()
	if s.client == nil || !s.client.Connected() {
		return
	}
	s.retryReconciliation(ctx)
	if s.uninstall != nil {
		s.progressUninstall(ctx)
		return
	}
	s.killOutdatedTasks(ctx)
	s.reviveOrSuppress(ctx)
}

// Removed reports whether the service was uninstalled and its state
// deleted.
func (s *Service) Removed() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.removed
}

// frameworkRemoved handles the master's refusal of our framework ID: the end
// of an uninstall that tore the framework down, or an error to report.
func (s *Service) frameworkRemoved(ctx context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.removed {
		return nil
	}
	if s.uninstall != nil {
		return s.deleteState(ctx)
	}
	msg := fmt.Sprintf("the Mesos master removed framework %s (torn down, or failed over for longer than its failover timeout); this service cannot run again under it: uninstall it and install it anew", s.frameworkID)
	s.deploy.SetErrors([]string{msg})
	s.log.Error("framework removed by the master", "framework_id", s.frameworkID)
	return fmt.Errorf("service %s: %w", s.name, mesosclient.ErrFrameworkRemoved)
}

// persistFrameworkID stores the framework ID the master assigned.
func (s *Service) persistFrameworkID(ctx context.Context, id string) error {
	if id == s.frameworkID {
		return nil
	}
	if err := s.store.Set(ctx, keyFrameworkID, []byte(id)); err != nil {
		return fmt.Errorf("storing framework ID %s: %w", id, err)
	}
	s.frameworkID = id
	return nil
}

// FrameworkID is the service's Mesos framework ID ("" before the first
// subscription).
func (s *Service) FrameworkID() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.frameworkID
}

// recordPlanStatus updates the plan status gauges. Callers hold s.mu.
func (s *Service) recordPlanStatus() {
	p := s.activePlan()
	s.metrics.SetPlanStatus(p.Name(), string(p.Status()))
}

// activePlan is the uninstall plan while uninstalling, else the deploy
// plan. Callers hold s.mu.
func (s *Service) activePlan() *plan.Plan {
	if s.uninstall != nil {
		return s.uninstall
	}
	return s.deploy
}

func newID() string {
	id, err := uuid.GenerateUUID()
	if err != nil {
		panic(fmt.Sprintf("reading random bytes for an id: %v", err)) // crypto/rand does not fail on Linux
	}
	return id
}
