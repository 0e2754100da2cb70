package service

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	mesos "github.com/mesos/mesos-go/api/v1/lib"
	"github.com/mesos/mesos-go/api/v1/lib/scheduler"

	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/mesosclient"
)

// Connection is a service's link to its Mesos master: Run subscribes and
// hands the master's events to the Handler it was made with, one at a
// time and in stream order, until its context ends or the master removed
// the framework (mesosclient.ErrFrameworkRemoved); Call sends one call.
// Package mesosclient provides the real one; package servicetest a fake
// master for tests.
type Connection interface {
	Run(ctx context.Context) error
	Call(ctx context.Context, c *scheduler.Call) error
	Connected() bool
}

// ConnectionConfig is what a Dialer gets to make a service's connection.
type ConnectionConfig struct {
	Framework mesos.FrameworkInfo
	// FrameworkID returns the stored framework ID ("" before the first
	// subscription); it is asked before every subscription.
	FrameworkID func() string
	// Handler receives the master's events. An UPDATE is acknowledged only
	// when HandleEvent returned nil.
	Handler mesosclient.Handler
	Logger  *slog.Logger
}

// Dialer makes a service's connection to Mesos.
type Dialer func(ConnectionConfig) (Connection, error)

// MesosDialer returns the Dialer of a real master: an http(s) URL or
// zk://…/mesos, reached through transport (nil: http.DefaultTransport),
// resubscribing with backoff between minBackoff and maxBackoff (0:
// mesosclient's defaults). The service bounds each call with its own
// deadline (Timing.CallTimeout); mesosclient bounds SUBSCRIBE and its
// acknowledgements.
func MesosDialer(master string, transport http.RoundTripper, minBackoff, maxBackoff time.Duration) Dialer {
	return func(cfg ConnectionConfig) (Connection, error) {
		resolver, err := mesosclient.NewMasterResolver(master)
		if err != nil {
			return nil, fmt.Errorf("finding the Mesos master %q: %w", master, err)
		}
		client, err := mesosclient.New(mesosclient.Config{
			Master:      resolver,
			Framework:   cfg.Framework,
			FrameworkID: cfg.FrameworkID,
			Handler:     cfg.Handler,
			Logger:      cfg.Logger,
			MinBackoff:  minBackoff,
			MaxBackoff:  maxBackoff,
			Transport:   transport,
		})
		if err != nil {
			return nil, err
		}
		return client, nil
	}
}
