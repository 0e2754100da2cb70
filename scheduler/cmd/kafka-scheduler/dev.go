package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/api"
	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/catalog"
	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/state/embedded"
)

// devOptions are the flags of `kafka-scheduler dev`.
type devOptions struct {
	listen   string
	dataDir  string
	token    string
	logLevel slog.Level
}

func runDev(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	opts, err := parseDevFlags(args, stderr)
	if err != nil {
		return err
	}
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: opts.logLevel}))

	store, err := embedded.Open(filepath.Join(opts.dataDir, "state"), embedded.Options{Logger: log})
	if err != nil {
		return fmt.Errorf("opening the embedded state store in %s: %w", opts.dataDir, err)
	}
	defer store.Close()

	listener, err := net.Listen("tcp", opts.listen)
	if err != nil {
		return fmt.Errorf("listening on %s for the API: %w", opts.listen, err)
	}
	server := &http.Server{
		Handler:           api.NewHandler(api.Config{Backend: catalog.Catalog{Store: store}, Token: opts.token, Logger: log}),
		ReadHeaderTimeout: 10 * time.Second,
	}
	fmt.Fprintf(stdout, "kafka-scheduler dev: embedded state in %s\n", opts.dataDir)
	fmt.Fprintf(stdout, "API: http://%s\n", listener.Addr())
	fmt.Fprintf(stdout, "API token: %s\n", opts.token)

	serveErr := make(chan error, 1)
	go func() { serveErr <- server.Serve(listener) }()
	select {
	case err := <-serveErr:
		return fmt.Errorf("serving the API: %w", err)
	case <-ctx.Done():
	}
	log.Info("stopping")
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := server.Shutdown(shutdownCtx); err != nil {
		return fmt.Errorf("stopping the API server: %w", err)
	}
	if err := <-serveErr; !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("serving the API: %w", err)
	}
	fmt.Fprintln(stdout, "kafka-scheduler dev: stopped")
	return nil
}

func parseDevFlags(args []string, stderr io.Writer) (devOptions, error) {
	var opts devOptions
	fs := newFlagSet("dev", stderr)
	fs.StringVar(&opts.listen, "listen", "127.0.0.1:8080", "address of the REST API (use 127.0.0.1:0 for any free port)")
	fs.StringVar(&opts.dataDir, "data-dir", defaultDevDataDir(), "folder for the embedded state store; state survives restarts")
	fs.StringVar(&opts.token, "token", "", "API token (default: a new random token, printed at start)")
	fs.TextVar(&opts.logLevel, "log-level", slog.LevelInfo, "log level: debug, info, warn or error")
	if err := fs.Parse(args); err != nil {
		return opts, err
	}
	if fs.NArg() > 0 {
		return opts, fmt.Errorf("unexpected arguments %v", fs.Args())
	}
	if opts.token == "" {
		opts.token = newToken()
	}
	return opts, nil
}

func defaultDevDataDir() string {
	if dir, err := os.UserCacheDir(); err == nil {
		return filepath.Join(dir, "kafka-scheduler-dev")
	}
	return filepath.Join(os.TempDir(), "kafka-scheduler-dev")
}

func newToken() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b) // crypto/rand.Read never fails on Linux
	return hex.EncodeToString(b)
}
