package httpapi

import (
	"context"

	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/manager"
)

// ForManager is the Backend that serves the services of a manager.
func ForManager(m *manager.Manager) Backend { return managerBackend{m} }

// managerBackend adapts *manager.Manager, whose Service method returns the
// concrete *service.Service, to the Backend interface.
type managerBackend struct{ *manager.Manager }

func (b managerBackend) Service(name string) (Service, error) {
	svc, err := b.Manager.Service(name)
	if err != nil {
		return nil, err // never a typed nil inside the interface
	}
	return svc, nil
}

func (b managerBackend) Kafka(ctx context.Context, name string) (Kafka, error) {
	cl, err := b.Manager.Kafka(ctx, name)
	if err != nil {
		return nil, err // never a typed nil inside the interface
	}
	return cl, nil
}
