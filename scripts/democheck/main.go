// Command democheck is the part of `make demo` that curl cannot do: it
// produces and consumes a message through the brokers a broker endpoint
// lists, and counts the reservations of a role in the local Mesos' state.
//
//	democheck roundtrip < endpoint.json   # GET /service/<name>/v1/endpoints/broker
//	democheck reservations ROLE < state.json     # GET <local Mesos>/localmesos/state
//	democheck no-reservations ROLE < state.json  # the same, failing if there is any
package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/api"
	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/kafka/admin"
	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/localmesos"
)

func main() {
	if err := run(os.Args[1:], os.Stdin, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "democheck:", err)
		os.Exit(1)
	}
}

func run(args []string, in io.Reader, out io.Writer) error {
	switch {
	case len(args) == 1 && args[0] == "roundtrip":
		var e api.Endpoint
		if err := json.NewDecoder(in).Decode(&e); err != nil {
			return fmt.Errorf("reading the broker endpoint: %w", err)
		}
		return roundtrip(e.Address, out)
	case len(args) == 2 && (args[0] == "reservations" || args[0] == "no-reservations"):
		var snap localmesos.Snapshot
		if err := json.NewDecoder(in).Decode(&snap); err != nil {
			return fmt.Errorf("reading the local Mesos state: %w", err)
		}
		n := reservations(snap, args[1], out)
		if n > 0 && args[0] == "no-reservations" {
			return fmt.Errorf("%d reservations of %s are left", n, args[1])
		}
		return nil
	}
	return errors.New("usage: democheck roundtrip < endpoint.json | democheck [no-]reservations ROLE < state.json")
}

// roundtrip creates a topic, produces one message and reads it back.
func roundtrip(brokers []string, out io.Writer) error {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	adm, err := admin.New(admin.Config{Brokers: brokers})
	if err != nil {
		return err
	}
	defer adm.Close()
	if _, err := adm.CreateTopic(ctx, admin.TopicSpec{Name: "demo", Partitions: 3, ReplicationFactor: 3}); err != nil {
		return fmt.Errorf("creating topic demo: %w", err)
	}
	fmt.Fprintf(out, "created topic demo (3 partitions, 3 replicas) through %v\n", brokers)
	cl, err := kgo.NewClient(kgo.SeedBrokers(brokers...), kgo.ConsumeTopics("demo"), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	if err != nil {
		return err
	}
	defer cl.Close()
	msg := "hello from make demo at " + time.Now().Format(time.RFC3339)
	if err := cl.ProduceSync(ctx, &kgo.Record{Topic: "demo", Value: []byte(msg)}).FirstErr(); err != nil {
		return fmt.Errorf("producing: %w", err)
	}
	fmt.Fprintf(out, "produced: %q\n", msg)
	for {
		fetches := cl.PollFetches(ctx)
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("consuming: %w", err)
		}
		for _, r := range fetches.Records() {
			if string(r.Value) == msg {
				fmt.Fprintf(out, "consumed: %q (partition %d, offset %d)\n", r.Value, r.Partition, r.Offset)
				return nil
			}
		}
	}
}

// reservations prints every reserved resource and volume of role and
// returns how many there are.
func reservations(snap localmesos.Snapshot, role string, out io.Writer) int {
	n := 0
	for _, a := range snap.Agents {
		if a.Master == nil {
			continue
		}
		for _, r := range append(a.Master.Reserved, a.Master.Volumes...) {
			if r.Role == role {
				fmt.Fprintf(out, "%s: %s\n", a.Name, r.Text)
				n++
			}
		}
	}
	fmt.Fprintf(out, "%d reserved resources of role %s on %d agents\n", n, role, len(snap.Agents))
	return n
}
