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
	"time"

	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/httpapi"
	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/manager"
)

// apiServer is the REST API as both modes serve it.
type apiServer struct {
	listener net.Listener
	token    string
	// certFile and keyFile, when both set, serve HTTPS.
	certFile, keyFile string
}

// serveScheduler starts the services of m and serves the API until ctx
// ends, then stops both.
func serveScheduler(ctx context.Context, m *manager.Manager, srv apiServer, log *slog.Logger) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	if err := m.Start(ctx); err != nil {
		return err
	}
	server := &http.Server{
		Handler:           httpapi.NewHandler(httpapi.Config{Backend: httpapi.ForManager(m), Token: srv.token, Logger: log}),
		ReadHeaderTimeout: 10 * time.Second,
	}
	serveErr := make(chan error, 1)
	go func() {
		if srv.certFile != "" {
			serveErr <- server.ServeTLS(srv.listener, srv.certFile, srv.keyFile)
			return
		}
		serveErr <- server.Serve(srv.listener)
	}()
	var err error
	select {
	case err = <-serveErr:
		err = fmt.Errorf("serving the API: %w", err)
	case <-ctx.Done():
	}
	log.Info("stopping")
	cancel()
	shutdownCtx, stop := context.WithTimeout(context.Background(), 10*time.Second)
	defer stop()
	if shutdownErr := server.Shutdown(shutdownCtx); shutdownErr != nil && err == nil {
		err = fmt.Errorf("stopping the API server: %w", shutdownErr)
	}
	m.Wait()
	return err
}

func newLogger(w io.Writer, level slog.Level) *slog.Logger {
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: level}))
}

func newToken() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b) // crypto/rand.Read never fails on Linux
	return hex.EncodeToString(b)
}

// errNoTLSPair is returned when only one of the TLS files is given.
var errNoTLSPair = errors.New("--tls-cert and --tls-key go together: give both to serve HTTPS, or neither")
