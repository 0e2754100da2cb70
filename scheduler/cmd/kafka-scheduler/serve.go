package main

import (
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"strings"

	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/manager"
	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/mesosclient"
	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/spec"
	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/state/zkstore"
)

// Environment variables serve reads secrets from (flags would show them in
// the process list).
const (
	envToken      = "KAFKA_SCHEDULER_TOKEN"
	envZKPassword = "KAFKA_SCHEDULER_ZK_PASSWORD"
)

// serveOptions are the flags of `kafka-scheduler serve`.
type serveOptions struct {
	master    string
	zk        string
	zkRoot    string
	zkUser    string
	listen    string
	tokenFile string
	noToken   bool
	tlsCert   string
	tlsKey    string
	hostname  string
	logLevel  slog.Level
	secrets   secretsOptions
}

// runServe runs the scheduler against a real Mesos cluster and ZooKeeper.
func runServe(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	opts, err := parseServeFlags(args, stderr)
	if err != nil {
		return err
	}
	token, err := serveToken(opts)
	if err != nil {
		return err
	}
	log := newLogger(stderr, opts.logLevel)
	servers := strings.Split(opts.zk, ",")
	zkCfg := zkstore.Config{Servers: servers, Root: opts.zkRoot, Logger: log.With("component", "zookeeper")}
	if opts.zkUser != "" {
		zkCfg.Auth = &zkstore.DigestAuth{Username: opts.zkUser, Password: os.Getenv(envZKPassword)}
	}
	store, err := zkstore.Open(ctx, zkCfg)
	if err != nil {
		return fmt.Errorf("opening the state in ZooKeeper %s%s: %w", opts.zk, opts.zkRoot, err)
	}
	defer store.Close()
	secretStore, err := opts.secrets.open(ctx, store, log)
	if err != nil {
		return err
	}

	listener, err := net.Listen("tcp", opts.listen)
	if err != nil {
		return fmt.Errorf("listening on %s for the API: %w", opts.listen, err)
	}
	m := manager.New(manager.Config{
		Store:  store,
		Master: opts.master,
		// The brokers share the scheduler's ZooKeeper, each service under
		// its own node, as in DC/OS.
		Environment: spec.Environment{ZookeeperConnect: opts.zk + opts.zkRoot},
		Hostname:    opts.hostname,
		Logger:      log,
		Secrets:     secretStore,
	})
	scheme := "http"
	if opts.tlsCert != "" {
		scheme = "https"
	}
	fmt.Fprintf(stdout, "kafka-scheduler: Mesos %s, state in ZooKeeper %s%s, API %s://%s\n", opts.master, opts.zk, opts.zkRoot, scheme, listener.Addr())
	return serveScheduler(ctx, m, apiServer{listener: listener, token: token, certFile: opts.tlsCert, keyFile: opts.tlsKey, secrets: secretStore}, log)
}

func parseServeFlags(args []string, stderr io.Writer) (serveOptions, error) {
	var opts serveOptions
	fs := newFlagSet("serve", stderr)
	fs.StringVar(&opts.master, "master", "", "Mesos master: http(s)://host:5050 (any master; redirects lead to the leader) or zk://host:2181[,host:2181]/mesos")
	fs.StringVar(&opts.zk, "zk", "", "ZooKeeper ensemble for the scheduler's state, host:port[,host:port...]")
	fs.StringVar(&opts.zkRoot, "zk-root", "/kafka-on-mesos", "znode under which every service keeps its dcos-service-<name> node")
	fs.StringVar(&opts.zkUser, "zk-digest-user", "", "ZooKeeper digest user (password from $"+envZKPassword+"); nodes get a digest ACL")
	fs.StringVar(&opts.listen, "listen", ":8080", "address of the REST API")
	fs.StringVar(&opts.tokenFile, "token-file", "", "file holding the API token (or set $"+envToken+")")
	fs.BoolVar(&opts.noToken, "insecure-no-token", false, "serve the API without a token (only behind another authenticating proxy)")
	fs.StringVar(&opts.tlsCert, "tls-cert", "", "PEM certificate (chain) for HTTPS")
	fs.StringVar(&opts.tlsKey, "tls-key", "", "PEM private key for HTTPS")
	fs.StringVar(&opts.hostname, "hostname", "", "host name reported to Mesos for the frameworks (default: the master sees the client address)")
	fs.TextVar(&opts.logLevel, "log-level", slog.LevelInfo, "log level: debug, info, warn or error")
	opts.secrets.register(fs)
	if err := fs.Parse(args); err != nil {
		return opts, err
	}
	if fs.NArg() > 0 {
		return opts, fmt.Errorf("unexpected arguments %v", fs.Args())
	}
	if opts.master == "" || opts.zk == "" {
		return opts, fmt.Errorf("--master and --zk are required, e.g. --master zk://zk-1:2181/mesos --zk zk-1:2181,zk-2:2181,zk-3:2181")
	}
	if _, err := mesosclient.NewMasterResolver(opts.master); err != nil {
		return opts, fmt.Errorf("--master=%q: %w", opts.master, err)
	}
	if (opts.tlsCert == "") != (opts.tlsKey == "") {
		return opts, errNoTLSPair
	}
	if opts.tlsCert != "" {
		if _, err := tls.LoadX509KeyPair(opts.tlsCert, opts.tlsKey); err != nil {
			return opts, fmt.Errorf("--tls-cert/--tls-key: %w", err)
		}
	}
	return opts, nil
}

// serveToken reads the API token from --token-file or the environment.
func serveToken(opts serveOptions) (string, error) {
	token := os.Getenv(envToken)
	if opts.tokenFile != "" {
		b, err := os.ReadFile(opts.tokenFile)
		if err != nil {
			return "", fmt.Errorf("--token-file: %w", err)
		}
		token = strings.TrimSpace(string(b))
	}
	if token == "" && !opts.noToken {
		return "", fmt.Errorf("no API token: put one in a file given with --token-file or in $%s (or pass --insecure-no-token to serve without one)", envToken)
	}
	return token, nil
}
