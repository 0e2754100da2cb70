package manager_test

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/kafka/devkafka"
	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/kafka/devkafka/devkafkatest"
	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/localmesos"
	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/localmesos/master"
	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/manager"
	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/plan"
	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/recovery"
	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/secrets"
	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/service"
	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/spec"
	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/state"
	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/state/embedded"
)

// tarball is the dev Kafka distribution, built once by TestMain.
var tarball string

func TestMain(m *testing.M) { os.Exit(devkafkatest.RunWithDistribution(m, &tarball)) }

// harness is a scheduler (manager) on a local Mesos.
type harness struct {
	t       *testing.T
	dir     string
	mesos   *localmesos.Cluster
	store   state.Store
	mgr     *manager.Manager
	stopMgr context.CancelFunc
	// transport carries the scheduler's Mesos calls (nil: the default).
	transport http.RoundTripper
	logger    *slog.Logger
	secrets   *secrets.Store
	// timing is the scheduler's (the package's timing unless options
	// change it).
	timing service.Timing
}

type harnessOptions struct {
	agents  int
	agentMB float64
	store   state.Store // nil: an embedded store in a temp folder
	masters int
	// transport carries the scheduler's Mesos calls (nil: the default).
	transport http.RoundTripper
	// logger receives the scheduler's logs (nil: testLogger).
	logger *slog.Logger
	// secrets is the scheduler's secret store (nil: none).
	secrets *secrets.Store
	// launchBackoff, when set, replaces the scheduler's launch backoff;
	// agentTimeout, when set, is how soon the local master marks a
	// silent or disconnected agent unreachable (recovery_e2e_test.go).
	launchBackoff *recovery.Backoff
	agentTimeout  time.Duration
}

func newHarness(t *testing.T, o harnessOptions) *harness {
	t.Helper()
	if o.agents == 0 {
		o.agents = 4
	}
	if o.agentMB == 0 {
		o.agentMB = 4096
	}
	h := &harness{t: t, dir: t.TempDir(), store: o.store, transport: o.transport, logger: o.logger, secrets: o.secrets, timing: timing}
	if o.launchBackoff != nil {
		h.timing.LaunchBackoff = *o.launchBackoff
	}
	if h.logger == nil {
		h.logger = testLogger()
	}
	if h.store == nil {
		store, err := embedded.Open(filepath.Join(h.dir, "state"), embedded.Options{})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { store.Close() })
		h.store = store
	}
	cfg := localmesos.Config{
		WorkDir:           filepath.Join(h.dir, "mesos"),
		Masters:           o.masters,
		HeartbeatInterval: 200 * time.Millisecond,
		StatusUpdateRetry: 500 * time.Millisecond,
		ShutdownGrace:     2 * time.Second,
	}
	if o.agentTimeout > 0 {
		cfg.AgentPingTimeout, cfg.AgentReregisterTimeout = o.agentTimeout, o.agentTimeout
	}
	for range o.agents {
		cfg.Agents = append(cfg.Agents, localmesos.AgentConfig{CPUs: 2, MemMB: o.agentMB, DiskMB: 12288})
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cluster, err := localmesos.Start(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cluster.Close() })
	h.mesos = cluster
	h.startManager()
	return h
}

// timing makes the scheduler react within a test's patience.
var timing = service.Timing{
	Tick:                        100 * time.Millisecond,
	ExplicitReconciliationRetry: 500 * time.Millisecond,
	ShortDecline:                time.Second,
	AcceptRefuse:                100 * time.Millisecond,
	MinReviveInterval:           200 * time.Millisecond,
	KillRetry:                   5 * time.Second,
	MinBackoff:                  50 * time.Millisecond,
	MaxBackoff:                  500 * time.Millisecond,
}

func (h *harness) startManager() {
	ctx, cancel := context.WithCancel(context.Background())
	h.mgr = manager.New(manager.Config{
		Store:       h.store,
		Master:      h.mesos.SchedulerURL(),
		Environment: spec.Environment{ZookeeperConnect: "test-zookeeper.invalid:2181"},
		DefaultsFor: func(name string) spec.Options {
			o := spec.DefaultOptions()
			o.Brokers.KafkaURI = "file://" + tarball
			o.Brokers.KafkaVersionPath = devkafka.DistDir
			o.Brokers.Mem = 512
			o.Brokers.Heap.Size = 256
			o.Brokers.Disk = 1024
			o.Service.ReadinessCheck.IntervalSeconds = 5
			o.Service.ReadinessCheck.DelaySeconds = 2
			o.Kafka.ServerProperties = map[string]string{
				devkafka.RegistryDirProperty: filepath.Join(h.dir, "registry", spec.ServiceKey(name)),
			}
			return o
		},
		Timing:    h.timing,
		Logger:    h.logger,
		Transport: h.transport,
		Secrets:   h.secrets,
	})
	if err := h.mgr.Start(ctx); err != nil {
		cancel()
		h.t.Fatal(err)
	}
	h.stopMgr = func() { cancel(); h.mgr.Wait() }
	h.t.Cleanup(h.stopMgr)
}

// restartManager stops the scheduler the hard way (no graceful anything:
// the services' goroutines end, Mesos keeps the tasks) and starts it anew
// on the same state.
func (h *harness) restartManager() {
	h.stopMgr()
	h.startManager()
}

// testLogger sends the scheduler's logs to stderr when SCHEDULER_TEST_LOG
// is set (debug, info, warn or error), and discards them otherwise.
func testLogger() *slog.Logger {
	var level slog.Level
	if err := level.UnmarshalText([]byte(os.Getenv("SCHEDULER_TEST_LOG"))); err != nil {
		return slog.New(slog.DiscardHandler)
	}
	return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level}))
}

func (h *harness) install(name, options string) service.PutResult {
	h.t.Helper()
	res, err := h.mgr.PutService(context.Background(), name, []byte(options), "")
	if err != nil {
		h.t.Fatalf("installing %s: %v", name, err)
	}
	return res
}

// waitFor polls cond until it holds or the deadline passes.
func (h *harness) waitFor(what string, timeout time.Duration, cond func() (bool, string)) {
	h.t.Helper()
	deadline := time.Now().Add(timeout)
	last := ""
	for time.Now().Before(deadline) {
		ok, state := cond()
		if ok {
			return
		}
		last = state
		time.Sleep(50 * time.Millisecond)
	}
	h.t.Fatalf("timed out after %s waiting for %s; last seen: %s", timeout, what, last)
}

func (h *harness) waitDeployed(name string, timeout time.Duration) {
	h.t.Helper()
	h.waitFor(name+"'s deploy plan to complete", timeout, func() (bool, string) {
		d, err := h.mgr.GetService(context.Background(), name)
		if err != nil {
			return false, err.Error()
		}
		return d.Status == plan.Complete && !d.Uninstalling, planSummary(d.Plan)
	})
}

func (h *harness) waitGone(name string, timeout time.Duration) {
	h.t.Helper()
	h.waitFor(name+" to be uninstalled", timeout, func() (bool, string) {
		d, err := h.mgr.GetService(context.Background(), name)
		if err != nil {
			return true, ""
		}
		return false, planSummary(d.Plan)
	})
}

func planSummary(info plan.Info) string {
	b, _ := json.Marshal(info)
	return string(b)
}

// reservations lists the reserved resources and volumes of a role in the
// local Mesos.
func (h *harness) reservations(role string) []string {
	var out []string
	for _, a := range h.mesos.Snapshot().Agents {
		if a.Master == nil {
			continue
		}
		for _, r := range append(append([]master.ResourceView(nil), a.Master.Reserved...), a.Master.Volumes...) {
			if r.Role == role {
				out = append(out, a.Master.Hostname+": "+r.Text)
			}
		}
	}
	return out
}

// volumes maps each persistent volume of a role in the local Mesos to the
// agent that holds it (persistence id → hostname).
func (h *harness) volumes(role string) map[string]string {
	out := map[string]string{}
	for _, a := range h.mesos.Snapshot().Agents {
		if a.Master == nil {
			continue
		}
		for _, v := range a.Master.Volumes {
			if v.Role == role {
				out[v.PersistenceID] = a.Master.Hostname
			}
		}
	}
	return out
}

// runningTasks lists the running tasks of the frameworks named name.
func (h *harness) runningTasks(name string) []string {
	var out []string
	for _, fw := range h.mesos.Snapshot().Frameworks {
		if fw.Name != name {
			continue
		}
		for _, task := range fw.Tasks {
			if !strings.HasPrefix(task.State, "TASK_KILLED") && !strings.HasPrefix(task.State, "TASK_FINISHED") && !strings.HasPrefix(task.State, "TASK_FAILED") {
				out = append(out, task.Name+"="+task.State)
			}
		}
	}
	return out
}
