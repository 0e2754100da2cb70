package localmesos_test

import (
	"context"
	"fmt"
	"log"
	"os"
	"time"

	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/localmesos"
)

// Start a local Mesos with two agents (one with a MOUNT disk), point a
// framework at SchedulerURL, inject failures, and close it.
func Example() {
	dir, err := os.MkdirTemp("", "localmesos-example-")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c, err := localmesos.Start(ctx, localmesos.Config{
		WorkDir: dir,
		Agents: []localmesos.AgentConfig{
			{Name: "a1", CPUs: 2, MemMB: 2048, DiskMB: 4096, MountDisks: []localmesos.MountDisk{{SizeMB: 10240}}, Zone: "z1"},
			{Name: "a2", CPUs: 2, MemMB: 2048, DiskMB: 4096, Zone: "z2"},
		},
		HeartbeatInterval: time.Second,
		AgentPingTimeout:  2 * time.Second,
	})
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()

	fmt.Println(c.SchedulerURL() != "") // a framework subscribes here
	if err := c.CrashAgent("a1"); err != nil {
		log.Fatal(err)
	}
	if err := c.RestartAgent("a1"); err != nil {
		log.Fatal(err)
	}
	fmt.Println(len(c.Snapshot().Agents))
	// Output:
	// true
	// 2
}
