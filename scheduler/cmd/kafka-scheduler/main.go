// Command kafka-scheduler is the Mesos framework that deploys and operates
// Kafka services. One process hosts many services; each is its own Mesos
// framework with its own state in ZooKeeper. See the README for operation.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

// command is one subcommand of kafka-scheduler.
type command struct {
	name    string
	summary string
	run     func(ctx context.Context, args []string, stdout, stderr io.Writer) error
	// hidden commands are not listed in the usage.
	hidden bool
}

func commands() []command {
	return []command{
		{name: "serve", summary: "run the scheduler against a real Mesos cluster and ZooKeeper", run: runServe},
		{name: "dev", summary: "run the scheduler, a local Mesos and an embedded state store in one process", run: runDev},
		{name: "local-mesos", summary: "run only the local Mesos (a stand-in master and agents for development)", run: runLocalMesos},
		{name: "version", summary: "print the version", run: runVersion},
		{name: devBrokerCommand, summary: "run one dev Kafka broker (what the dev distribution starts)", run: runDevBroker, hidden: true},
	}
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(run(ctx, os.Args[1:], os.Stdout, os.Stderr))
}

// run dispatches to a subcommand and returns the process exit code.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		usage(stdout)
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	for _, c := range commands() {
		if c.name != args[0] {
			continue
		}
		err := c.run(ctx, args[1:], stdout, stderr)
		var code exitCode
		switch {
		case err == nil:
			return 0
		case errors.Is(err, flag.ErrHelp):
			return 0
		case errors.As(err, &code):
			return int(code)
		default:
			fmt.Fprintf(stderr, "kafka-scheduler %s: %v\n", c.name, err)
			return 1
		}
	}
	fmt.Fprintf(stderr, "kafka-scheduler: unknown command %q; run 'kafka-scheduler --help' for the list\n", args[0])
	return 2
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "kafka-scheduler: deploys and operates Apache Kafka services on Apache Mesos.")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Usage: kafka-scheduler <command> [flags]")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Commands:")
	for _, c := range commands() {
		if c.hidden {
			continue
		}
		fmt.Fprintf(w, "  %-12s %s\n", c.name, c.summary)
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Run 'kafka-scheduler <command> --help' for the flags of a command.")
}

func runVersion(_ context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("version", stderr)
	if err := fs.Parse(args); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "kafka-scheduler %s\n", version)
	return nil
}

// newFlagSet returns a flag set that reports errors instead of exiting, so
// that run decides the exit code.
func newFlagSet(name string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet("kafka-scheduler "+name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	return fs
}
