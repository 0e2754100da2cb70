package service_test

import (
	"context"

	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/kafka/admin"
)

func (k *fakeKafka) PartitionHealth(context.Context) (admin.HealthReport, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.healthChecks++
	return k.health, nil
}
