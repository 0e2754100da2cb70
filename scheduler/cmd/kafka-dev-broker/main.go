// Command kafka-dev-broker is the broker of the kafka-dev distribution, a
// DEV STAND-IN for Apache Kafka (see package devkafka). The distribution's
// bin/kafka-server-start.sh runs it as
//
//	kafka-dev-broker [--log-dir DIR] [--log-level LEVEL] server.properties [--override key=value]...
//
// It serves the Kafka protocol as configured by server.properties, logs to
// stdout and DIR/server.log in Kafka's log4j layout (including the
// readiness line "[KafkaServer id=N] started"), and shuts down cleanly on
// SIGTERM or SIGINT. The command itself is devkafka.RunBroker, which
// kafka-scheduler also runs as its dev-broker command.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/kafka/devkafka"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	os.Exit(devkafka.RunBroker(ctx, os.Args[1:], os.Stdout, os.Stderr))
}
