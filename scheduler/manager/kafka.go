package manager

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"time"

	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/kafka/admin"
	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/plan"
	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/service"
	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/spec"
)

// kafkaProbeTimeout bounds the check that a still deploying service's
// brokers answer, so that such a request fails fast instead of hanging.
const kafkaProbeTimeout = 3 * time.Second

// kafkaAdmins keeps one Kafka admin connection per service, made on the
// first topic or broker request and reused by every later one (kgo pools
// the broker connections), and closed when the service is uninstalled.
type kafkaAdmins struct {
	mu    sync.Mutex
	conns map[string]*kafkaConn
}

type kafkaConn struct {
	seeds  []string
	client *admin.Client
}

// Kafka returns the admin connection of a service's brokers, for the topic
// and broker endpoints. It fails with
//   - a *service.NotFoundError for an unknown service;
//   - service.ErrConflict while the service is uninstalling;
//   - admin.ErrNotReady (wrapped, saying why) while the service has no
//     broker yet, or is deploying and its brokers do not answer yet.
//
// While the service's plan is complete no probe is made: the caller's own
// request finds out whether the brokers answer.
func (m *Manager) Kafka(ctx context.Context, name string) (*admin.Client, error) {
	svc, err := m.lookup(name)
	if err != nil {
		return nil, err
	}
	if svc.Uninstalling() {
		return nil, fmt.Errorf("service %s is being uninstalled; its topics and brokers are going away: %w", svc.Name(), service.ErrConflict)
	}
	deploy, err := svc.PlanInfo(plan.DeployPlanName)
	if err != nil {
		return nil, err
	}
	ep, err := svc.Endpoint("broker")
	if err != nil {
		return nil, err
	}
	if len(ep.Address) == 0 {
		return nil, fmt.Errorf("service %s has no broker running yet (deploy plan %s); try again once its deploy plan is COMPLETE: %w",
			svc.Name(), deploy.Status, admin.ErrNotReady)
	}
	client, err := m.kafka.client(svc.Name(), ep.Address, m.log)
	if err != nil {
		return nil, err
	}
	if deploy.Status != plan.Complete {
		probeCtx, cancel := context.WithTimeout(ctx, kafkaProbeTimeout)
		_, err := client.ListBrokers(probeCtx)
		cancel()
		if err != nil {
			return nil, fmt.Errorf("service %s is still deploying (deploy plan %s) and its brokers do not answer yet (%v); try again once its deploy plan is COMPLETE: %w",
				svc.Name(), deploy.Status, err, admin.ErrNotReady)
		}
	}
	return client, nil
}

// client returns the service's connection, making it on first use. A
// connection is replaced only when none of its bootstrap brokers is among
// the service's brokers any more (the client learns every other move from
// the cluster's metadata).
func (k *kafkaAdmins) client(name string, seeds []string, log *slog.Logger) (*admin.Client, error) {
	var stale *admin.Client
	defer func() {
		// Closed after the lock is released: closing shuts its
		// connections down. Requests still using it fail and are answered
		// 503.
		if stale != nil {
			stale.Close()
		}
	}()
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.conns == nil {
		k.conns = map[string]*kafkaConn{}
	}
	if c := k.conns[name]; c != nil {
		if slices.ContainsFunc(c.seeds, func(s string) bool { return slices.Contains(seeds, s) }) {
			return c.client, nil
		}
		stale = c.client
		delete(k.conns, name)
	}
	// admin.New dials nothing: kgo connects on the first request.
	client, err := admin.New(admin.Config{Brokers: slices.Clone(seeds), ClientID: "kafka-scheduler-" + name, Logger: log.With("service", name)})
	if err != nil {
		return nil, fmt.Errorf("connecting to the brokers of service %s: %w", name, err)
	}
	k.conns[name] = &kafkaConn{seeds: slices.Clone(seeds), client: client}
	return client, nil
}

// close closes a service's connection, if it has one.
func (k *kafkaAdmins) close(name string) {
	k.mu.Lock()
	c := k.conns[name]
	delete(k.conns, name)
	k.mu.Unlock()
	if c != nil {
		c.client.Close()
	}
}

// closeAll closes every connection.
func (k *kafkaAdmins) closeAll() {
	k.mu.Lock()
	conns := k.conns
	k.conns = nil
	k.mu.Unlock()
	for _, c := range conns {
		c.client.Close()
	}
}

// open reports whether a service has a connection (for tests).
func (k *kafkaAdmins) open(name string) bool {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.conns[name] != nil
}

// kafkaProvider gives the service stored under key the admin connection
// of its brokers, for the checks of its rolling updates: the same
// connection the topic and broker endpoints use, without their readiness
// probe (a rolling service is never COMPLETE, and the caller's own call
// finds out whether Kafka answers).
func (m *Manager) kafkaProvider(key string) service.KafkaProvider {
	return func(context.Context) (service.Kafka, error) {
		svc, err := m.lookupKey(key)
		if err != nil {
			return nil, err
		}
		ep, err := svc.Endpoint("broker")
		if err != nil {
			return nil, err
		}
		if len(ep.Address) == 0 {
			return nil, fmt.Errorf("service %s has no broker running: %w", svc.Name(), admin.ErrNotReady)
		}
		client, err := m.kafka.client(svc.Name(), ep.Address, m.log)
		if err != nil {
			return nil, err
		}
		return client, nil
	}
}

// lookupKey finds the running service stored under key.
func (m *Manager) lookupKey(key string) (*service.Service, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for name, svc := range m.services {
		if spec.ServiceKey(name) == key {
			return svc, nil
		}
	}
	return nil, &service.NotFoundError{Kind: "Service", Name: key}
}
