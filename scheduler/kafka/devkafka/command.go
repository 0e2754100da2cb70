package devkafka

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"

	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/kafka/brokerconfig"
)

// The broker command is what the distribution's libs/kafka-dev-broker runs:
//
//	kafka-dev-broker [--log-dir DIR] [--log-level LEVEL] server.properties [--override key=value]...
//
// It lives here rather than in a main package so that two programs can be
// the broker: the kafka-dev-broker binary that `make build` packs, and
// kafka-scheduler itself (its hidden dev-broker command), which is what
// makes `kafka-scheduler dev` work from a release archive or `go install`
// with no tarball next to it (see WriteLauncherDistribution).

type brokerArgs struct {
	logDir     string
	logLevel   slog.Level
	properties string
	overrides  map[string]string
}

const brokerUsage = "usage: kafka-dev-broker [--log-dir DIR] [--log-level debug|info|warn|error] server.properties [--override key=value]..."

func parseBrokerArgs(args []string) (brokerArgs, error) {
	opts := brokerArgs{logLevel: slog.LevelInfo, overrides: map[string]string{}}
	for i := 0; i < len(args); i++ {
		a := args[i]
		value := func() (string, error) {
			if i+1 >= len(args) {
				return "", fmt.Errorf("%s needs a value; %s", a, brokerUsage)
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
			return opts, fmt.Errorf("unknown flag %q; %s", a, brokerUsage)
		case opts.properties == "":
			opts.properties = a
		default:
			return opts, fmt.Errorf("unexpected argument %q; %s", a, brokerUsage)
		}
	}
	if opts.properties == "" {
		return opts, errors.New(brokerUsage)
	}
	return opts, nil
}

// RunBroker runs the broker command with args (without the program name)
// until ctx ends (the caller cancels it on SIGTERM or SIGINT) or the broker
// stops serving, and returns the process exit code: 0 after a clean stop, 1
// when the broker failed, 2 for bad arguments.
func RunBroker(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	opts, err := parseBrokerArgs(args)
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
	log := slog.New(NewLogHandler(out, opts.logLevel))
	broker, err := startFromArgs(ctx, opts, log)
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

// startFromArgs reads server.properties (plus overrides) and starts the broker.
func startFromArgs(ctx context.Context, opts brokerArgs, log *slog.Logger) (*Broker, error) {
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
	cfg, err := ConfigFromProperties(props)
	if err != nil {
		return nil, err
	}
	return Start(ctx, cfg, log)
}
