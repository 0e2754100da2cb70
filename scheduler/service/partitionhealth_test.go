package service_test

import (
	"strings"
	"testing"
	"time"

	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/kafka/admin"
)

// TestUnderReplicatedPartitionsDegradeTheHealth: a deployed service whose
// Kafka reports under-replicated partitions is DEGRADED (206) with the
// partitions as reasons, as DC/OS Kafka lists such a service unhealthy; it
// is RUNNING again once Kafka reports them healthy. The check runs on the
// service's timer, so reading the health never waits for Kafka.
func TestUnderReplicatedPartitionsDegradeTheHealth(t *testing.T) {
	f, _ := deployThree(t, `{"brokers": {"count": 3}}`)
	lagging := admin.PartitionStatus{Topic: "orders", Partition: 2, Leader: 0, Replicas: []int32{0, 1, 2}, ISR: []int32{0, 1}}
	f.kafka.set(func(k *fakeKafka) {
		k.health = admin.HealthReport{LiveBrokers: []int32{0, 1, 2}, Partitions: 3, UnderReplicated: []admin.PartitionStatus{lagging}}
	})
	f.clock.Advance(16 * time.Second)
	f.waitFor("DEGRADED", func() (bool, string) {
		h := f.svc.Health()
		return h.Code == 206 && h.Name == "DEGRADED" && strings.Contains(strings.Join(h.Reasons, "; "), "orders-2 (in sync [0 1] of [0 1 2])"), h.Name + " " + strings.Join(h.Reasons, "; ")
	})
	f.kafka.set(func(k *fakeKafka) { k.health = admin.HealthReport{LiveBrokers: []int32{0, 1, 2}, Partitions: 3} })
	f.clock.Advance(16 * time.Second)
	f.waitFor("RUNNING", func() (bool, string) {
		h := f.svc.Health()
		return h.Code == 200, h.Name + " " + strings.Join(h.Reasons, "; ")
	})
}
