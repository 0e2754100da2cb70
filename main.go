// Command terraform-provider-kafka is the Terraform provider for Kafka
// services run by kafka-scheduler on Apache Mesos.
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"os"
	"runtime/pprof"

	"github.com/hashicorp/terraform-plugin-framework/providerserver"

	"github.com/kafka-on-mesos/terraform-provider-kafka/provider"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

// envCPUProfile names a file prefix: when set, each provider process
// writes a CPU profile to <prefix>.<pid> (terraform starts several per
// command), for finding where a slow plan's time goes.
const envCPUProfile = "TF_KAFKA_CPUPROFILE"

func main() {
	var debug bool
	flag.BoolVar(&debug, "debug", false, "run the provider with support for debuggers such as delve")
	flag.Parse()
	provider.SilenceDiscardedLogs()
	provider.TuneGC()
	if prefix := os.Getenv(envCPUProfile); prefix != "" {
		stop, err := startCPUProfile(fmt.Sprintf("%s.%d", prefix, os.Getpid()))
		if err != nil {
			log.Fatal(err)
		}
		defer stop()
	}

	err := providerserver.Serve(context.Background(), provider.New(version), providerserver.ServeOpts{
		Address: provider.Address,
		Debug:   debug,
	})
	if err != nil {
		log.Fatal(err)
	}
}

// startCPUProfile profiles the process into path until stop is called.
func startCPUProfile(path string) (stop func(), err error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, fmt.Errorf("creating the CPU profile %s: %w", path, err)
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, fmt.Errorf("starting the CPU profile %s: %w", path, err)
	}
	return func() { pprof.StopCPUProfile(); f.Close() }, nil
}
