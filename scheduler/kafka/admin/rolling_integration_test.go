package admin_test

import (
	"context"
	"testing"
	"time"

	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/kafka/admin"
	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/kafka/devkafka/devkafkatest"
)

// waitFor polls cond until it holds or the deadline passes.
func waitFor(t *testing.T, what string, cond func() (bool, string)) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	last := ""
	for time.Now().Before(deadline) {
		var ok bool
		if ok, last = cond(); ok {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("%s: not within 20s (%s)", what, last)
}

// Against real stand-in broker processes: the ISR, the controller and the
// cluster-wide configs behave as a rolling restart needs.
func TestRollingBuildingBlocksAgainstStandInBrokers(t *testing.T) {
	cluster := devkafkatest.StartCluster(t, tarball, 3, serviceSettings())
	adm := newAdmin(t, cluster.Bootstrap())
	ctx := context.Background()
	if _, err := adm.CreateTopic(ctx, admin.TopicSpec{Name: "orders", Partitions: 3, ReplicationFactor: 3}); err != nil {
		t.Fatal(err)
	}

	// Cluster-wide configs: applied, verified, visible on every broker.
	two, big := "2", "1073741824"
	if err := adm.ApplyClusterConfigs(ctx, []admin.ClusterConfig{{Key: "min.insync.replicas", Value: &two}, {Key: "log.retention.bytes", Value: &big}}); err != nil {
		t.Fatal(err)
	}
	for _, b := range cluster.Brokers {
		d, err := adm.DescribeBroker(ctx, int32(b.ID))
		if err != nil {
			t.Fatal(err)
		}
		if !hasSourcedConfig(d.Configs, "min.insync.replicas", "2", "DYNAMIC_DEFAULT_BROKER_CONFIG") {
			t.Errorf("broker %d does not show min.insync.replicas=2 as DYNAMIC_DEFAULT_BROKER_CONFIG", b.ID)
		}
	}
	// The gate sees the cluster-wide min.insync.replicas on the topic.
	health, err := adm.PartitionHealth(ctx)
	if err != nil || len(health.UnderMinISR) != 0 {
		t.Fatalf("health %+v, %v", health, err)
	}
	if check, err := adm.CanRestartBroker(ctx, 1); err != nil || !check.Safe {
		t.Fatalf("with every broker up, broker 1 may restart: %+v %v", check, err)
	}
	// A read-only key is refused by the brokers, as Kafka does.
	if err := adm.ApplyClusterConfigs(ctx, []admin.ClusterConfig{{Key: "broker.id", Value: &two}}); err == nil {
		t.Error("a read-only key was accepted cluster-wide")
	}

	// The controller is a real identity; stopping it moves it.
	controller, err := adm.Controller(ctx)
	if err != nil {
		t.Fatal(err)
	}
	victim := cluster.Brokers[controller]
	victim.Stop(t)
	waitFor(t, "the controller to move", func() (bool, string) {
		c, err := adm.Controller(ctx)
		return err == nil && c != controller, "controller unchanged"
	})

	// A stopped broker leaves the ISR; the others now block their restart.
	check, err := adm.BackInSync(ctx, controller)
	// (A partition homed on the stopped broker keeps it as its last ISR
	// member, as Kafka does when the last in-sync replica goes offline.)
	if err != nil || check.InSync || check.Live || len(check.Missing) < 2 {
		t.Fatalf("a stopped broker: %+v, %v", check, err)
	}
	other := (controller + 1) % 3
	if rc, err := adm.CanRestartBroker(ctx, other); err != nil || rc.Safe {
		t.Fatalf("with broker %d down and min.insync.replicas 2, broker %d must not restart: %+v %v", controller, other, rc, err)
	}

	// It rejoins when it is back; the cluster-wide configs survived.
	victim.Start(t)
	waitFor(t, "the broker to rejoin the ISR", func() (bool, string) {
		c, err := adm.BackInSync(ctx, controller)
		if err != nil {
			return false, err.Error()
		}
		return c.InSync, c.Reason()
	})
	got, err := adm.ClusterConfigs(ctx)
	if err != nil || got["min.insync.replicas"].Value == nil || *got["min.insync.replicas"].Value != "2" {
		t.Fatalf("after a restart the cluster-wide configs are %+v, %v", got, err)
	}
	d, err := adm.DescribeBroker(ctx, controller)
	if err != nil || !hasSourcedConfig(d.Configs, "log.retention.bytes", big, "DYNAMIC_DEFAULT_BROKER_CONFIG") {
		t.Fatalf("the restarted broker does not show the cluster-wide log.retention.bytes: %v", err)
	}

	// Delete resets.
	if err := adm.ApplyClusterConfigs(ctx, []admin.ClusterConfig{{Key: "log.retention.bytes"}}); err != nil {
		t.Fatal(err)
	}
	if got, _ := adm.ClusterConfigs(ctx); len(got) != 1 {
		t.Errorf("after the delete: %+v", got)
	}
}

func hasSourcedConfig(cs []admin.BrokerConfig, key, value, source string) bool {
	for _, c := range cs {
		if c.Key == key && c.Value != nil && *c.Value == value && c.Source == source {
			return true
		}
	}
	return false
}
