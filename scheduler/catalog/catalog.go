// Package catalog knows which Kafka services a scheduler hosts, from the
// state store layout DC/OS uses: every service keeps its state under its own
// top-level key dcos-service-<name> (slashes in the name become "__"), with
// the raw name in servicename.
package catalog

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/api"
	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/state"
)

// ServicePrefix starts the top-level key of every service.
const ServicePrefix = "dcos-service-"

// ServiceKey returns the top-level state key of a service.
func ServiceKey(name string) string {
	return ServicePrefix + strings.ReplaceAll(strings.Trim(name, "/"), "/", "__")
}

// Catalog lists services from a state store rooted where the service keys
// live (ZooKeeper's "/" in production).
type Catalog struct {
	Store state.Store
}

// Services implements api.Backend.
func (c Catalog) Services(ctx context.Context) ([]api.ServiceSummary, error) {
	children, err := c.Store.Children(ctx, state.RootKey)
	if err != nil && !errors.Is(err, state.ErrNotFound) {
		return nil, fmt.Errorf("listing service keys: %w", err)
	}
	var services []api.ServiceSummary
	for _, child := range children {
		if !strings.HasPrefix(child, ServicePrefix) {
			continue
		}
		node, err := c.Store.Get(ctx, child+"/servicename")
		switch {
		case errors.Is(err, state.ErrNotFound):
			continue // a service being created or removed
		case err != nil:
			return nil, fmt.Errorf("reading the name of %s: %w", child, err)
		}
		services = append(services, api.ServiceSummary{Name: string(node.Value)})
	}
	sort.Slice(services, func(i, j int) bool { return services[i].Name < services[j].Name })
	return services, nil
}
