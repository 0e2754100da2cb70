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
	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/secrets"
)

// httpLimits bound what one client can hold of the API server: time to send
// a request's headers and its whole body, time to be answered, time an idle
// keep-alive connection stays open, and the size of the headers. A client
// that stalls (a body that declares 1,000 bytes and sends 10) is cut off at
// the read timeout: the handler reading the body gets a timeout and answers
// 408, and the connection is closed.
type httpLimits struct {
	readHeader, read, write, idle time.Duration
	maxHeaderBytes                int
}

// apiLimits are the limits of the REST API. Read: a 1 MiB body (the
// largest the API takes) arrives in 30 s at 35 KB/s. Write: no handler waits
// on anything slow (plan waits are the client's polling), so a minute is
// ample for an answer. Header: 64 KiB holds any token and query the API
// takes.
var apiLimits = httpLimits{
	readHeader:     10 * time.Second,
	read:           30 * time.Second,
	write:          60 * time.Second,
	idle:           120 * time.Second,
	maxHeaderBytes: 64 << 10,
}

// newHTTPServer is the API's http.Server with limits applied.
func newHTTPServer(h http.Handler, limits httpLimits, log *slog.Logger) *http.Server {
	return &http.Server{
		Handler:           h,
		ReadHeaderTimeout: limits.readHeader,
		ReadTimeout:       limits.read,
		WriteTimeout:      limits.write,
		IdleTimeout:       limits.idle,
		MaxHeaderBytes:    limits.maxHeaderBytes,
		// net/http logs TLS handshake errors and the like here.
		ErrorLog: slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
}

// apiServer is the REST API as both modes serve it.
type apiServer struct {
	listener net.Listener
	token    string
	// certFile and keyFile, when both set, serve HTTPS.
	certFile, keyFile string
	// secrets, when set, serves /v1/secrets.
	secrets *secrets.Store
}

// serveScheduler starts the services of m and serves the API until ctx
// ends, then stops both.
func serveScheduler(ctx context.Context, m *manager.Manager, srv apiServer, log *slog.Logger) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	if err := m.Start(ctx); err != nil {
		return err
	}
	server := newHTTPServer(httpapi.NewHandler(httpapi.Config{Backend: httpapi.ForManager(m), Token: srv.token, Logger: log, Secrets: srv.secretStore(m)}), apiLimits, log)
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
