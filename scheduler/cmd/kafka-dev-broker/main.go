// Command kafka-dev-broker is the broker of the kafka-dev distribution, a
// DEV STAND-IN for Apache Kafka (see package devkafka). The distribution's
// bin/kafka-server-start.sh runs it as
//
//	kafka-dev-broker [--log-dir DIR] [--log-level LEVEL] server.properties [--override key=value]...
//
// It serves the Kafka protocol as configured by server.properties, logs to
// stdout and DIR/server.log in Kafka's log4j layout (including the
// readiness line "[KafkaServer id=N] started"), and shuts down cleanly on
// SIGTERM or SIGINT.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/kafka/brokerconfig"
	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/kafka/devkafka"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	os.Exit(run(ctx, os.Args[1:], os.Stdout, os.Stderr))
}

type options struct {
	logDir     string
	logLevel   slog.Level
	properties string
	overrides  map[string]string
}

const usage = "usage: kafka-dev-broker [--log-dir DIR] [--log-level debug|info|warn|error] server.properties [--override key=value]..."

func parseArgs(args []string) (options, error) {
	opts := options{logLevel: slog.LevelInfo, overrides: map[string]string{}}
	for i := 0; i < len(args); i++ {
		a := args[i]
		value := func() (string, error) {
			if i+1 >= len(args) {
				return "", fmt.Errorf("%s needs a value; %s", a, usage)
			}
			i++
			return args[i], nil
		}
		switch {
		case a == "--log-dir":
			v, err := value()
			if err != nil {
				return opts, err
			}
			opts.logDir = v
		case a == "--log-level":
			v, err := value()
			if err != nil {
				return opts, err
			}
			if err := opts.logLevel.UnmarshalText([]byte(v)); err != nil {
				return opts, fmt.Errorf("--log-level %q: %w", v, err)
			}
		case a == "--override":
			v, err := value()
			if err != nil {
				return opts, err
			}
			k, val, ok := strings.Cut(v, "=")
			if !ok || k == "" {
				return opts, fmt.Errorf("--override %q must be key=value", v)
			}
			opts.overrides[k] = val
		case strings.HasPrefix(a, "-"):
			return opts, fmt.Errorf("unknown flag %q; %s", a, usage)
		case opts.properties == "":
			opts.properties = a
		default:
			return opts, fmt.Errorf("unexpected argument %q; %s", a, usage)
		}
	}
	if opts.properties == "" {
		return opts, errors.New(usage)
	}
	return opts, nil
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	opts, err := parseArgs(args)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 2
	}
	out := stdout
	if opts.logDir != "" {
		if err := os.MkdirAll(opts.logDir, 0o755); err != nil {
			fmt.Fprintf(stderr, "creating log dir: %v\n", err)
			return 1
		}
		f, err := os.OpenFile(filepath.Join(opts.logDir, "server.log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
		if err != nil {
			fmt.Fprintf(stderr, "opening server.log: %v\n", err)
			return 1
		}
		defer f.Close()
		out = io.MultiWriter(stdout, f)
	}
	log := slog.New(devkafka.NewLogHandler(out, opts.logLevel))
	broker, err := start(ctx, opts, log)
	if err != nil {
		log.Error("Fatal error during KafkaServer startup. Prepare to shutdown (kafka.server.KafkaServer)", "err", err.Error())
		return 1
	}
	select {
	case <-ctx.Done():
		if err := broker.Close(); err != nil {
			log.Error("shutting down", "err", err.Error())
			return 1
		}
		return 0
	case <-broker.Done():
		log.Error("the broker stopped serving; exiting so that it is restarted", "err", broker.Err().Error())
		broker.Close()
		return 1
	}
}

// start reads server.properties (plus overrides) and starts the broker.
func start(ctx context.Context, opts options, log *slog.Logger) (*devkafka.Broker, error) {
	data, err := os.ReadFile(opts.properties)
	if err != nil {
		return nil, fmt.Errorf("reading server.properties: %w", err)
	}
	props, err := brokerconfig.Parse(data)
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", opts.properties, err)
	}
	for k, v := range opts.overrides {
		props[k] = v
	}
	cfg, err := devkafka.ConfigFromProperties(props)
	if err != nil {
		return nil, err
	}
	return devkafka.Start(ctx, cfg, log)
}
