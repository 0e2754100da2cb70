package service

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"runtime/debug"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hashicorp/go-uuid"
	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/configstore"
	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/mesosclient"
	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/metrics"
	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/offers"
	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/plan"
	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/recovery"
	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/rollout"
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
	// Dial makes the connection to Mesos; nil dials Master through
	// Transport (MesosDialer). Tests pass a fake master's.
	Dial Dialer
	// Clock tells the time for the service's timers (nil: time.Now).
	Clock func() time.Time
	// Hostname is reported to Mesos as the framework's host.
	Hostname string
	Logger   *slog.Logger
	Timing   Timing
	// Kafka gives the admin connection of the service's brokers, for the
	// rolling update's checks (rolling.go); nil: Kafka is never reachable,
	// so a restart with the safety check on waits.
	Kafka KafkaProvider
	// Secrets resolves the secrets the brokers receive (secrets.go); nil
	// means the scheduler has no secret store, and a launch with secrets
	// fails with a step message saying so.
	Secrets SecretResolver
	// Name is the service's name as its state key says it (the manager
	// knows it); it is used when the stored name is missing.
	Name string
	// Failure, when set, opens the service failed with this reason
	// whatever its state holds (the manager's answer to a service whose
	// goroutine panicked outside its loop).
	Failure string
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
	// LaunchBackoff spaces out relaunches of a broker whose launches keep
	// failing (recovery.DefaultBackoff: 60s ×1.15 up to 300s; see
	// backoff.go).
	LaunchBackoff recovery.Backoff
	// CallTimeout bounds every Mesos call (10s; ours).
	CallTimeout time.Duration
	// StoreTimeout bounds every state store call (10s; ours).
	StoreTimeout time.Duration
	// KafkaTimeout bounds every Kafka admin call of a rolling update
	// (10s; ours).
	KafkaTimeout time.Duration
	// ISRPoll is how often a restarted broker that is running and ready
	// is checked for being back in the ISR, so that its step completes
	// soon after it rejoined (50ms; ours). Only while a step waits.
	ISRPoll time.Duration
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
	if t.LaunchBackoff.Initial <= 0 {
		t.LaunchBackoff = recovery.DefaultBackoff()
	}
	def(&t.CallTimeout, 10*time.Second)
	def(&t.StoreTimeout, 10*time.Second)
	def(&t.KafkaTimeout, 10*time.Second)
	def(&t.ISRPoll, 50*time.Millisecond)
	return t
}

// Service is one Kafka service: its framework, plans and brokers.
type Service struct {
	name    string
	cfg     Config
	log     *slog.Logger
	metrics *metrics.Metrics
	store   state.Store
	conn    Connection // set by Run before its loop starts

	// jobs carries decisions to the service goroutine; stopped is closed
	// when it ended.
	jobs    chan job
	stopped chan struct{}
	runOnce sync.Once

	// mu guards the model below. Decisions hold it; nothing holds it
	// across I/O.
	mu          sync.Mutex
	frameworkID string
	spec        spec.ServiceSpec
	pods        map[int]*pod
	deploy      *plan.Plan
	rec         recoveryState  // the recovery plan and its brokers (recovery.go)
	uninstall   *uninstallPlan // non-nil once the uninstall started
	// configs are the target and the stored configurations; properties
	// the stored properties by name (as the state holds them).
	configs    *configstore.Store
	properties map[string][]byte
	removed    bool
	// frameworkGone is set once the master refused the framework ID.
	frameworkGone bool
	suppressed    bool
	// filtered is set when offers were declined with the long filter
	// since the last revive.
	filtered   bool
	reconcile  reconciliation
	lastRevive time.Time
	killedAt   map[string]time.Time    // task ID → when KILL was sent
	failures   map[int]*launchFailures // pod index → failed launches in a row (backoff.go)
	outcomes   *ring[OfferOutcome]
	cycles     *ring[OfferCycle]
	cycle      *OfferCycle // the offer cycle under way
	// needs remembers the pods' resource needs of one configuration.
	needs struct {
		configID string
		byPod    map[int]offers.Need
	}

	// rollout is the update the deploy plan rolls (nil for a plain
	// deploy plan); gateCleared maps a pod to the task the restart gate
	// found safe to stop, isrSince a pod to when its restart step began
	// waiting for the ISR (rolling.go).
	rollout     *rolloutState
	gateCleared map[string]string
	isrSince    map[string]time.Time
	// failure is why the service is failed ("" when it is not): its
	// stored state could not be loaded or planned, or a job panicked. A
	// failed service runs its framework (reconciliation, task statuses)
	// and its uninstall, and nothing else: its deploy plan is an empty
	// plan in ERROR that carries the reason, so it launches and kills
	// nothing, and offers are declined. failureText is what readers see.
	failure     string
	failureText atomic.Pointer[string]

	// view is what readers see, published at the end of every decision.
	view atomic.Pointer[view]
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
	timeout := cfg.Timing.withDefaults().StoreTimeout
	commitCtx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	ops := append([]state.Op{state.CompareAndSetOp(keyServiceName, []byte(s.Name), state.NoVersion)}, configstore.CreateOps(configID, mustJSON(s), cfg.clock()())...)
	err = cfg.Store.Commit(commitCtx, ops...)
	if errors.Is(err, state.ErrVersionConflict) {
		return nil, fmt.Errorf("%w: service %q already exists in the state store", ErrConflict, s.Name)
	}
	if err != nil {
		return nil, fmt.Errorf("storing the new service %q: %w", s.Name, err)
	}
	return Open(ctx, cfg)
}

// Open loads a service from its state; Run starts it. It fails only when
// the state cannot be read. State that was read but cannot be used (a
// target configuration that does not decode, fails validation or cannot be
// planned; a task record that does not decode) opens the service failed:
// it is listed, its deploy plan is in ERROR with the reason, its health
// says so, and it can be uninstalled, while it launches nothing.
func Open(ctx context.Context, cfg Config) (*Service, error) {
	cfg.Timing = cfg.Timing.withDefaults()
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Clock == nil {
		cfg.Clock = time.Now
	}
	// Loading reads a few keys per broker: bounded by a few store
	// deadlines, not one.
	loadCtx, cancel := context.WithTimeout(ctx, 4*cfg.Timing.StoreTimeout)
	defer cancel()
	p, err := load(loadCtx, cfg.Store)
	if err != nil {
		return nil, fmt.Errorf("loading the service's state: %w", err)
	}
	if p.name == "" {
		p.name = cfg.Name
	}
	if p.name == "" {
		return nil, errors.New("loading the service's state: it holds no service name and none was given")
	}
	s := &Service{
		name:        p.name,
		cfg:         cfg,
		log:         cfg.Logger.With("service", p.name),
		metrics:     metrics.New(p.name),
		store:       cfg.Store,
		frameworkID: p.frameworkID,
		spec:        p.spec,
		pods:        p.pods,
		killedAt:    map[string]time.Time{},
		gateCleared: map[string]string{},
		isrSince:    map[string]time.Time{},
		configs:     p.configs,
		outcomes:    newRing[OfferOutcome](maxOutcomes),
		cycles:      newRing[OfferCycle](maxCycles),
		properties:  p.properties,
		jobs:        make(chan job),
		stopped:     make(chan struct{}),
		rec:         newRecoveryState(),
	}
	for _, w := range p.warnings {
		s.log.Warn("loading the service's state", "problem", w)
	}
	switch {
	case cfg.Failure != "":
		s.fail(cfg.Failure)
	case len(p.broken) > 0:
		s.fail("the stored state cannot be used: " + strings.Join(p.broken, "; "))
	default:
		if problems := p.spec.Options.Validate(); len(problems) > 0 {
			s.fail(fmt.Sprintf("the stored target configuration %s is not valid: %v", s.configID(), problems))
			break
		}
		s.rollout = s.recoveredRollout()
		s.openRecovery(p.properties[propertyRecovery])
		if err := s.buildDeployPlan(p.overrides); err != nil {
			s.fail(fmt.Sprintf("the stored target configuration %s cannot be planned: %v", s.configID(), err))
		}
	}
	if p.uninstalling {
		if err := s.buildUninstallPlan(); err != nil {
			return nil, err
		}
	}
	s.publish()
	return s, nil
}

// fail puts the service in failed mode for reason: its deploy plan
// becomes an empty plan in ERROR carrying the reason, and whatever of its
// identity the stored target lacks is derived from its name, so that its
// framework can still subscribe and uninstall. It runs under s.mu (or
// before the service is shared).
func (s *Service) fail(reason string) {
	msg := fmt.Sprintf("service %s failed: %s; nothing is deployed or changed until it is uninstalled (DELETE the service), then installed again", s.name, reason)
	s.log.Error("service failed", "reason", reason)
	s.failure = msg
	s.failureText.Store(&msg)
	s.spec = failedIdentity(s.name, s.spec)
	failed, err := plan.New(plan.DeployPlanName, plan.Serial, nil, plan.WithKey(s.configID()))
	if err != nil {
		panic(fmt.Sprintf("building an empty plan: %v", err)) // a named plan without phases is always valid
	}
	failed.SetErrors([]string{msg})
	s.deploy = failed
}

// failedIdentity keeps what the framework needs of a stored spec that
// cannot be used, taking name, role, principal and user from the service's
// name (as spec derives them) where the stored spec does not agree.
func failedIdentity(name string, stored spec.ServiceSpec) spec.ServiceSpec {
	id := spec.ServiceSpec{
		Name:      name,
		Role:      spec.SanitizedName(name) + "-role",
		Principal: spec.SanitizedName(name) + "-principal",
		ZNode:     spec.ZNode(name),
		User:      stored.User,
		Options:   stored.Options,
	}
	if id.User == "" {
		id.User = spec.DefaultOptions().Service.User
	}
	return id
}

// Failure says why the service is failed, "" when it is not.
func (s *Service) Failure() string {
	if p := s.failureText.Load(); p != nil {
		return *p
	}
	return ""
}

// Name is the service's name.
func (s *Service) Name() string { return s.name }

// buildDeployPlan (re)builds the deploy plan from the target spec and the
// pods (the plan of s.rollout's update when set: buildRollout builds the
// same for an update and its preview), and applies the stored operator overrides when they belong to it.
func (s *Service) buildDeployPlan(overrides plan.Overrides) error {
	deploy, err := deployPlan(s.spec, s.podStates(), s.rollout, plan.WithKey(s.configID()))
	if err != nil {
		return err
	}
	clear(s.gateCleared)
	clear(s.isrSince)
	if !overrides.IsZero() {
		if err := deploy.Apply(overrides); err != nil && !errors.Is(err, plan.ErrOverridesKey) {
			s.log.Warn("restoring the deploy plan's overrides", "error", err)
		}
	}
	s.deploy = deploy
	return nil
}

// deployPlan builds the deploy plan of s: the rollout of r's update when r
// is set, else a plain deploy plan. Update, its preview and every rebuild
// go through it.
func deployPlan(s spec.ServiceSpec, pods map[int]plan.PodState, r *rolloutState, opts ...plan.Option) (*plan.Plan, error) {
	if r != nil {
		opts = append(opts, plan.WithRollout(r.update, rollout.StepOrder(r.update, r.controller, plan.DownBrokers(pods)), plan.Strategy(s.UpdateStrategy)))
	}
	p, err := plan.NewDeploy(s, pods, opts...)
	if err != nil {
		return nil, fmt.Errorf("building the deploy plan: %w", err)
	}
	return p, nil
}

// Run connects the service to Mesos and runs it: it is the service
// goroutine, which runs the jobs (events, timers and API changes) one at a
// time until ctx ends or the service is uninstalled (then it returns nil).
// A service runs once; when Run returns, changes are refused.
func (s *Service) Run(ctx context.Context) error {
	err := errors.New("service: Run called twice")
	s.runOnce.Do(func() { err = s.run(ctx) })
	return err
}

func (s *Service) run(ctx context.Context) error {
	defer close(s.stopped)
	dial := s.cfg.Dial
	if dial == nil {
		dial = MesosDialer(s.cfg.Master, s.cfg.Transport, s.cfg.Timing.MinBackoff, s.cfg.Timing.MaxBackoff)
	}
	conn, err := dial(ConnectionConfig{
		Framework:   s.frameworkInfo(),
		FrameworkID: s.FrameworkID,
		Handler:     handler{s},
		Logger:      s.log,
	})
	if err != nil {
		return fmt.Errorf("service %s: connecting to Mesos: %w", s.name, err)
	}
	s.mu.Lock()
	s.conn = conn
	s.mu.Unlock()

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	connDone := make(chan error, 1)
	go func() { connDone <- conn.Run(ctx) }()
	return s.loop(ctx, cancel, connDone)
}

// loop is the service goroutine's work: jobs, ticks and the end of the
// Mesos connection. Before it returns, it ends the connection and waits
// for it.
func (s *Service) loop(ctx context.Context, stopConn context.CancelFunc, connDone chan error) error {
	ticker := time.NewTicker(s.cfg.Timing.Tick)
	defer ticker.Stop()
	isrPoll := time.NewTicker(s.cfg.Timing.ISRPoll)
	defer isrPoll.Stop()
	defer func() {
		stopConn()
		if connDone != nil {
			<-connDone
		}
	}()
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case j := <-s.jobs:
			j.done <- s.contained(ctx, j.what, j.decide)
		case <-ticker.C:
			if err := s.contained(ctx, "timers", s.tick); err != nil {
				s.log.Warn("timers", "error", err)
			}
		case <-isrPoll.C:
			if s.awaitingISR() {
				if err := s.contained(ctx, "ISR checks", s.rollingWork); err != nil {
					s.log.Warn("ISR checks", "error", err)
				}
			}
		case err := <-connDone:
			connDone = nil
			if !errors.Is(err, mesosclient.ErrFrameworkRemoved) {
				return err
			}
			if err := s.contained(ctx, "the framework's removal", s.frameworkRemoved); err != nil {
				s.log.Error("after the master removed the framework", "error", err)
			}
		}
		if s.Removed() {
			return nil
		}
	}
}

// contained runs a job and contains a panic in it to this service: the
// panic is logged with its stack, the service is failed (see fail) and
// goes on running for its uninstall, and the job answers with an error.
// Decisions hold s.mu only under a deferred unlock (locked), so the lock is
// free again when the panic reaches here.
func (s *Service) contained(ctx context.Context, what string, decide func() effects) (err error) {
	defer func() {
		r := recover()
		if r == nil {
			return
		}
		s.log.Error("a job of the service panicked; the service is failed", "job", what, "panic", fmt.Sprint(r), "stack", string(debug.Stack()))
		s.mu.Lock()
		defer s.mu.Unlock()
		if s.failure == "" && s.uninstall == nil {
			s.fail(fmt.Sprintf("an internal error (a panic: %v) while %s", r, what))
		}
		s.publish()
		err = fmt.Errorf("%s: service %s: internal error: %v", what, s.name, r)
	}()
	return s.runJob(ctx, decide)
}

// tick decides the periodic work.
func (s *Service) tick() effects {
	s.recordPlanStatus()
	if s.uninstall != nil && s.frameworkGone {
		// The master refused the framework: it holds nothing of this
		// service any more (a retry of a failed state deletion).
		return s.deleteState()
	}
	if s.conn == nil || !s.conn.Connected() {
		return effects{}
	}
	fx := s.retryReconciliation()
	if s.uninstall != nil {
		return fx.join(s.progressUninstall())
	}
	s.releaseDelayedSteps()
	return fx.join(s.killOutdatedTasks()).join(s.rollingWork()).join(s.recoveryWork()).join(s.reviveOrSuppress())
}

// frameworkRemoved decides what the master's refusal of our framework ID
// means: the end of an uninstall that tore the framework down, or an error
// the deploy plan reports. The service goes on serving its API.
func (s *Service) frameworkRemoved() effects {
	s.frameworkGone = true
	if s.removed {
		return effects{}
	}
	if s.uninstall != nil {
		return s.deleteState()
	}
	msg := fmt.Sprintf("the Mesos master removed framework %s (torn down, or failed over for longer than its failover timeout); this service cannot run again under it: uninstall it and install it anew", s.frameworkID)
	s.deploy.SetErrors([]string{msg})
	s.log.Error("framework removed by the master", "framework_id", s.frameworkID)
	return effects{}
}

// recordPlanStatus updates the plan status gauges.
func (s *Service) recordPlanStatus() {
	p := s.activePlan()
	s.metrics.SetPlanStatus(p.Name(), string(p.Status()))
	s.metrics.SetPlanStatus(s.rec.plan.Name(), string(s.rec.plan.Status()))
}

// activePlan is the uninstall plan while uninstalling, else the deploy
// plan.
func (s *Service) activePlan() *plan.Plan {
	if s.uninstall != nil {
		return s.uninstall.Plan
	}
	return s.deploy
}

// configID is the target configuration's id.
func (s *Service) configID() string {
	id, _ := s.configs.Target()
	return id
}

// clock is the configured clock, time.Now when none is.
func (cfg Config) clock() func() time.Time {
	if cfg.Clock == nil {
		return time.Now
	}
	return cfg.Clock
}

// now is the service's clock.
func (s *Service) now() time.Time { return s.cfg.Clock() }

func newID() string {
	id, err := uuid.GenerateUUID()
	if err != nil {
		panic(fmt.Sprintf("reading random bytes for an id: %v", err)) // crypto/rand does not fail on Linux
	}
	return id
}
