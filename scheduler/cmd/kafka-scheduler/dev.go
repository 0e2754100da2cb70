package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"time"

	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/kafka/devkafka"
	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/localmesos"
	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/manager"
	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/spec"
	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/state/embedded"
)

// devZookeeper stands in for the ZooKeeper ensemble in dev mode. The dev
// Kafka brokers do not connect to it: zookeeper.connect only names their
// cluster, as the stand-in's package doc explains.
const devZookeeper = "dev-zookeeper.invalid:2181"

// devOptions are the flags of `kafka-scheduler dev`.
type devOptions struct {
	listen       string
	dataDir      string
	token        string
	kafkaDist    string
	agents       int
	agentCPUs    float64
	agentMem     float64
	agentDisk    float64
	addressBlock string
	logLevel     slog.Level
	secrets      secretsOptions
	// builtinDist is true when kafkaDist is the distribution dev wrote
	// itself (see writeBuiltinDist).
	builtinDist bool
	// readyFile, when set, receives the endpoint and token as JSON once
	// the API answers, and is removed at exit (see dev_pipeline.go).
	readyFile string
}

// runDev runs `kafka-scheduler dev`: in the foreground by default, or one
// of the pipeline commands (start, stop, env) of dev_pipeline.go.
func runDev(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) > 0 {
		for _, c := range devPipelineCommands() {
			if args[0] == c.name {
				return c.run(ctx, args[1:], stdout, stderr)
			}
		}
	}
	opts, err := parseDevFlags(args, stderr)
	if err != nil {
		return err
	}
	return runDevForeground(ctx, opts, stdout, stderr)
}

// runDevForeground runs everything in one process until ctx ends: the
// scheduler, a local Mesos, an embedded state store and the dev Kafka
// distribution.
func runDevForeground(ctx context.Context, opts devOptions, stdout, stderr io.Writer) error {
	log := newLogger(stderr, opts.logLevel)
	if opts.kafkaDist == "" {
		dist, err := writeBuiltinDist(opts.dataDir)
		if err != nil {
			return err
		}
		opts.kafkaDist, opts.builtinDist = dist, true
	}
	store, err := embedded.Open(filepath.Join(opts.dataDir, "state"), embedded.Options{Logger: log})
	if err != nil {
		return fmt.Errorf("opening the embedded state store in %s: %w", opts.dataDir, err)
	}
	defer store.Close()
	secretStore, err := opts.secrets.openDev(ctx, store, opts.dataDir, log)
	if err != nil {
		return err
	}

	cluster, err := startDevMesos(ctx, opts, log)
	if err != nil {
		return err
	}
	defer cluster.Close()

	listener, err := net.Listen("tcp", opts.listen)
	if err != nil {
		return fmt.Errorf("listening on %s for the API: %w", opts.listen, err)
	}
	m := manager.New(manager.Config{
		Store:       store,
		Master:      cluster.SchedulerURL(),
		Environment: spec.Environment{ZookeeperConnect: devZookeeper},
		DefaultsFor: devDefaults(opts),
		Hostname:    "127.0.0.1",
		Logger:      log,
		Secrets:     secretStore,
	})
	fmt.Fprintln(stdout, "kafka-scheduler dev: a local Mesos (stand-in) and the dev Kafka distribution (stand-in); not for production")
	fmt.Fprintf(stdout, "state and sandboxes: %s\n", opts.dataDir)
	fmt.Fprintf(stdout, "Mesos: %s (%d agents; state at %s)\n", cluster.SchedulerURL(), len(cluster.AgentNames()), cluster.StateURL())
	fmt.Fprintf(stdout, "API: http://%s\n", listener.Addr())
	fmt.Fprintf(stdout, "API token: %s\n", opts.token)
	ready := devReady{
		Endpoint:      "http://" + listener.Addr().String(),
		Token:         opts.token,
		PID:           os.Getpid(),
		DataDir:       opts.dataDir,
		MesosURL:      cluster.SchedulerURL(),
		MesosStateURL: cluster.StateURL(),
	}
	if opts.readyFile != "" {
		readyCtx, stopReady := context.WithCancel(ctx)
		defer stopReady()
		go announceWhenReady(readyCtx, opts.readyFile, ready, log)
		defer removeReadyFile(opts.readyFile, ready.PID)
	}
	if err := serveScheduler(ctx, m, apiServer{listener: listener, token: opts.token, secrets: secretStore}, log); err != nil {
		return err
	}
	fmt.Fprintln(stdout, "kafka-scheduler dev: stopped")
	return nil
}

// startDevMesos starts the local Mesos with agents sized for a 3-broker
// service with the default options, plus one spare agent.
func startDevMesos(ctx context.Context, opts devOptions, log *slog.Logger) (*localmesos.Cluster, error) {
	cfg := localmesos.Config{
		WorkDir:      filepath.Join(opts.dataDir, "mesos"),
		AddressBlock: opts.addressBlock,
		Logger:       log.With("component", "local-mesos"),
	}
	for range opts.agents {
		cfg.Agents = append(cfg.Agents, localmesos.AgentConfig{CPUs: opts.agentCPUs, MemMB: opts.agentMem, DiskMB: opts.agentDisk})
	}
	startCtx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	cluster, err := localmesos.Start(startCtx, cfg)
	if err != nil {
		return nil, fmt.Errorf("starting the local Mesos: %w", err)
	}
	return cluster, nil
}

// devDefaults are the options of a dev-mode service: the dev Kafka
// distribution instead of Apache Kafka's download, and a readiness check
// that answers within seconds.
//
// Every cluster needs a stand-in registry folder of its own, so that two
// services (or two dev schedulers) never share a cluster. The built-in
// distribution gets it without any option: its launcher points TMPDIR into
// the data folder, and the stand-in keeps each cluster's registry there,
// under a hash of the cluster's zookeeper.connect (which holds the service
// name). A distribution given with --kafka-dist cannot do that, so its
// services get the devkafka.registry.dir server property instead, which
// then shows in their options.
func devDefaults(opts devOptions) func(name string) spec.Options {
	return func(name string) spec.Options {
		o := spec.DefaultOptions()
		o.Brokers.KafkaURI = (&url.URL{Scheme: "file", Path: opts.kafkaDist}).String()
		o.Brokers.KafkaVersionPath = devkafka.DistDir
		o.Service.ReadinessCheck.IntervalSeconds = 5
		o.Service.ReadinessCheck.DelaySeconds = 2
		if !opts.builtinDist {
			o.Kafka.ServerProperties = map[string]string{
				devkafka.RegistryDirProperty: filepath.Join(opts.dataDir, "kafka-registry", spec.ServiceKey(name)),
			}
		}
		return o
	}
}

func parseDevFlags(args []string, stderr io.Writer) (devOptions, error) {
	var opts devOptions
	fs := newFlagSet("dev", stderr)
	addDevFlags(fs, &opts)
	fs.StringVar(&opts.readyFile, "ready-file", "", "write the API endpoint and token as JSON to this file (mode 0600) once the API answers; removed at exit")
	if err := fs.Parse(args); err != nil {
		return opts, err
	}
	if fs.NArg() > 0 {
		return opts, fmt.Errorf("unexpected arguments %v; the commands of dev are start, stop and env", fs.Args())
	}
	if err := resolveDevOptions(&opts); err != nil {
		return opts, err
	}
	if opts.readyFile != "" {
		var err error
		if opts.readyFile, err = filepath.Abs(opts.readyFile); err != nil {
			return opts, fmt.Errorf("--ready-file: %w", err)
		}
	}
	return opts, nil
}

// addDevFlags defines the flags that configure a dev scheduler, shared by
// `dev` and `dev start`.
func addDevFlags(fs *flag.FlagSet, opts *devOptions) {
	fs.StringVar(&opts.listen, "listen", "127.0.0.1:8080", "address of the REST API (use 127.0.0.1:0 for any free port)")
	fs.StringVar(&opts.dataDir, "data-dir", defaultDevDataDir(), "folder for the embedded state, the local Mesos' agents and the brokers' data; all survive restarts")
	fs.StringVar(&opts.token, "token", "", "API token (default: a new random token, printed at start)")
	fs.StringVar(&opts.kafkaDist, "kafka-dist", "", "a dev Kafka distribution tarball to use instead of the built-in one (default: kafka-scheduler writes <data-dir>/kafka-dev.tgz, whose broker is kafka-scheduler itself)")
	fs.IntVar(&opts.agents, "agents", 4, "number of local Mesos agents (3 brokers and a spare by default)")
	fs.Float64Var(&opts.agentCPUs, "agent-cpus", 2, "cpus of each agent")
	fs.Float64Var(&opts.agentMem, "agent-mem", 4096, "memory of each agent, in MB")
	fs.Float64Var(&opts.agentDisk, "agent-disk", 12288, "ROOT disk of each agent, in MB")
	fs.StringVar(&opts.addressBlock, "address-block", "", "127.X.Y.0/24 block the agents take their addresses from (default: a free random block)")
	fs.TextVar(&opts.logLevel, "log-level", slog.LevelInfo, "log level: debug, info, warn or error")
	opts.secrets.register(fs)
}

// resolveDevOptions checks the parsed flags and makes paths absolute.
func resolveDevOptions(opts *devOptions) error {
	if opts.agents < 1 {
		return fmt.Errorf("--agents=%d: at least one agent is needed", opts.agents)
	}
	if opts.token == "" {
		opts.token = newToken()
	}
	var err error
	if opts.kafkaDist != "" {
		dist, err := filepath.Abs(opts.kafkaDist)
		if err != nil {
			return fmt.Errorf("--kafka-dist=%q: %w", opts.kafkaDist, err)
		}
		if _, err := os.Stat(dist); err != nil {
			return fmt.Errorf("--kafka-dist=%q: %w; leave --kafka-dist out to use the built-in distribution", opts.kafkaDist, err)
		}
		opts.kafkaDist = dist
	}
	if opts.dataDir, err = filepath.Abs(opts.dataDir); err != nil {
		return fmt.Errorf("--data-dir: %w", err)
	}
	return nil
}

func defaultDevDataDir() string {
	if dir, err := os.UserCacheDir(); err == nil {
		return filepath.Join(dir, "kafka-scheduler-dev")
	}
	return filepath.Join(os.TempDir(), "kafka-scheduler-dev")
}

// devBrokerCommand is the hidden command that runs a dev Kafka broker; the
// built-in distribution's libs/kafka-dev-broker execs it.
const devBrokerCommand = "dev-broker"

// writeBuiltinDist writes the built-in dev Kafka distribution into the data
// folder and returns its path. Its broker is this very executable (the
// dev-broker command), so `kafka-scheduler dev` needs nothing besides its
// own binary: not a Go toolchain, not a tarball next to it. It is
// rewritten at every start, so that it always names the binary that runs.
func writeBuiltinDist(dataDir string) (string, error) {
	exe, err := os.Executable()
	if err != nil {
		return "", fmt.Errorf("finding this executable for the dev Kafka distribution: %w", err)
	}
	if resolved, err := filepath.EvalSymlinks(exe); err == nil {
		exe = resolved
	}
	dist := filepath.Join(dataDir, "kafka-dev.tgz")
	launcher := devkafka.Launcher{
		Program: exe,
		Args:    []string{devBrokerCommand},
		// The stand-in keeps cluster registries under the temp folder.
		Env: map[string]string{"TMPDIR": filepath.Join(dataDir, "kafka-tmp")},
	}
	if err := os.MkdirAll(launcher.Env["TMPDIR"], 0o755); err != nil {
		return "", fmt.Errorf("creating the dev brokers' temp folder: %w", err)
	}
	if err := devkafka.WriteLauncherDistribution(dist, launcher); err != nil {
		return "", fmt.Errorf("writing the dev Kafka distribution: %w", err)
	}
	return dist, nil
}

// exitCode is an error that only sets the process exit code: the command
// has already said what went wrong.
type exitCode int

func (c exitCode) Error() string { return fmt.Sprintf("exit status %d", int(c)) }

// runDevBroker is the dev-broker command: the dev Kafka stand-in broker.
func runDevBroker(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if code := devkafka.RunBroker(ctx, args, stdout, stderr); code != 0 {
		return exitCode(code)
	}
	return nil
}
