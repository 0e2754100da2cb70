// Command democheck is the part of `make demo` that the shell cannot do:
// it produces and consumes records through a cluster's bootstrap servers
// and counts the reservations of a role in the local Mesos' state.
//
//	democheck produce BOOTSTRAP TOPIC          # reads TOPIC (it must exist), writes one record, prints it
//	democheck consume BOOTSTRAP TOPIC VALUE    # reads TOPIC from the start until it finds VALUE
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
	"strings"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/kafka/admin"
	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/localmesos"
)

func main() {
	if err := run(os.Args[1:], os.Stdin, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "democheck:", err)
		os.Exit(1)
	}
}

const usage = "usage: democheck produce BOOTSTRAP TOPIC | democheck consume BOOTSTRAP TOPIC VALUE | democheck [no-]reservations ROLE < state.json"

func run(args []string, in io.Reader, out io.Writer) error {
	switch {
	case len(args) == 3 && args[0] == "produce":
		return produce(brokers(args[1]), args[2], out)
	case len(args) == 4 && args[0] == "consume":
		return consume(brokers(args[1]), args[2], args[3], out)
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
	return errors.New(usage)
}

func brokers(bootstrap string) []string { return strings.Split(bootstrap, ",") }

// produce creates the topic and writes one record; the last line of its
// output is the record's value.
func produce(brokers []string, topic string, out io.Writer) error {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	adm, err := admin.New(admin.Config{Brokers: brokers})
	if err != nil {
		return err
	}
	defer adm.Close()
	// The topic is Terraform's (a kafka_topic of examples/quickstart).
	state, err := adm.ReadTopic(ctx, topic)
	if err != nil {
		return fmt.Errorf("reading topic %s: %w", topic, err)
	}
	fmt.Fprintf(out, "topic %s: %d partitions, %d replicas, configs %v (through %s)\n",
		topic, len(state.Partitions), state.ReplicationFactor, state.Configs, strings.Join(brokers, ","))
	cl, err := kgo.NewClient(kgo.SeedBrokers(brokers...))
	if err != nil {
		return err
	}
	defer cl.Close()
	value := "hello from make demo at " + time.Now().Format(time.RFC3339)
	if err := cl.ProduceSync(ctx, &kgo.Record{Topic: topic, Value: []byte(value)}).FirstErr(); err != nil {
		return fmt.Errorf("producing to %s: %w", topic, err)
	}
	fmt.Fprintf(out, "produced: %q\n", value)
	fmt.Fprintln(out, value)
	return nil
}

// consume reads the topic from the start until it finds value.
func consume(brokers []string, topic, value string, out io.Writer) error {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cl, err := kgo.NewClient(kgo.SeedBrokers(brokers...), kgo.ConsumeTopics(topic), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	if err != nil {
		return err
	}
	defer cl.Close()
	for {
		fetches := cl.PollFetches(ctx)
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("consuming %q from %s: %w", value, topic, err)
		}
		for _, r := range fetches.Records() {
			if string(r.Value) == value {
				fmt.Fprintf(out, "consumed: %q (partition %d, offset %d) through %s\n", r.Value, r.Partition, r.Offset, strings.Join(brokers, ","))
				return nil
			}
		}
	}
}

// reservations prints, per agent, how many resources and volumes role has
// reserved there, and returns the total.
func reservations(snap localmesos.Snapshot, role string, out io.Writer) int {
	n := 0
	for _, a := range snap.Agents {
		if a.Master == nil {
			continue
		}
		reserved, volumes := 0, 0
		for _, r := range a.Master.Reserved {
			if r.Role == role {
				reserved++
			}
		}
		for _, r := range a.Master.Volumes {
			if r.Role == role {
				volumes++
			}
		}
		if reserved+volumes > 0 {
			fmt.Fprintf(out, "%s (%s): %d reserved resources, %d persistent volumes\n", a.Name, a.Hostname, reserved, volumes)
		}
		n += reserved + volumes
	}
	fmt.Fprintf(out, "%d reserved resources and volumes of role %s on %d agents\n", n, role, len(snap.Agents))
	return n
}
