// Command mkdist builds the kafka-dev distribution tarball (a dev stand-in
// for Apache Kafka, see package devkafka). Run it from the module root:
//
//	go run ./scheduler/kafka/devkafka/cmd/mkdist -o bin/kafka-dev.tgz
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"

	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/kafka/devkafka"
)

func main() {
	out := flag.String("o", "bin/kafka-dev.tgz", "where to write the tarball")
	host := devkafka.HostTarget()
	goos := flag.String("goos", host.GOOS, "platform of the broker binary")
	goarch := flag.String("goarch", host.GOARCH, "architecture of the broker binary")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := devkafka.BuildDistributionFor(ctx, *out, devkafka.Target{GOOS: *goos, GOARCH: *goarch}); err != nil {
		fmt.Fprintln(os.Stderr, "mkdist:", err)
		os.Exit(1)
	}
	fmt.Println("wrote", *out)
}
