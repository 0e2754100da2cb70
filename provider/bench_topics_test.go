package provider

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/api"
)

// BenchmarkTerraformTopics times the terraform CLI managing N kafka_topic
// resources at -parallelism=10 against the shared dev scheduler, beside
// terraform's own floor: N terraform_data resources, measured in the same
// run with the same commands. It prints each command's time and its ratio
// to the floor (make bench-terraform).
func BenchmarkTerraformTopics(b *testing.B) {
	for _, n := range []int{100, 1000} {
		b.Run(fmt.Sprintf("N=%d", n), func(b *testing.B) { benchTopics(b, n) })
	}
}

func benchTopics(b *testing.B, n int) {
	if accDev.endpoint == "" {
		b.Fatal("no dev scheduler: TestMain starts one for benchmarks and TF_ACC runs")
	}
	cluster := fmt.Sprintf("bench-topics-%d", n)
	installBenchCluster(b, cluster)
	floor, topics := newTFCLI(b), newTFCLI(b)
	floor.write(fmt.Sprintf(`
resource "terraform_data" "t" {
  count = %d
  input = "bench-${count.index}"
}
`, n))
	topics.write(fmt.Sprintf(`
terraform {
  required_providers {
    kafka = { source = "kafka-on-mesos/kafka" }
  }
}

resource "kafka_topic" "t" {
  count              = %d
  cluster            = %q
  name               = "bench-${count.index}"
  partitions         = 1
  replication_factor = 1
  config = {
    "retention.ms" = "3600000"
  }
}
`, n, cluster))
	commands := []struct {
		name string
		args []string
	}{
		{"apply", []string{"apply", "-auto-approve", "-parallelism=10"}},
		{"plan (refresh)", []string{"plan", "-parallelism=10", "-detailed-exitcode"}},
		{"plan -refresh=false", []string{"plan", "-parallelism=10", "-refresh=false", "-detailed-exitcode"}},
		{"destroy", []string{"destroy", "-auto-approve", "-parallelism=10"}},
	}
	floorTimes := make([]time.Duration, len(commands))
	topicTimes := make([]time.Duration, len(commands))
	for i := 0; i < b.N; i++ {
		for j, c := range commands {
			floorTimes[j] += timedTF(b, floor, c.args)
			topicTimes[j] += timedTF(b, topics, c.args)
		}
	}
	b.Logf("%d topics against %d terraform_data resources (terraform's floor), -parallelism=10:", n, n)
	for j, c := range commands {
		f, t := floorTimes[j]/time.Duration(b.N), topicTimes[j]/time.Duration(b.N)
		ratio := t.Seconds() / f.Seconds()
		b.Logf("  %-20s kafka_topic %7.2fs   terraform_data %7.2fs   ratio %.2f×", c.name, t.Seconds(), f.Seconds(), ratio)
		key := strings.NewReplacer(" ", "-", "(", "", ")", "", "=", "-").Replace(c.name)
		b.ReportMetric(t.Seconds(), key+"-s")
		b.ReportMetric(ratio, key+"-ratio")
	}
}

// timedTF runs one terraform command that must succeed with no pending
// change (plans exit 0 with -detailed-exitcode).
func timedTF(b *testing.B, tf *tfCLI, args []string) time.Duration {
	b.Helper()
	start := time.Now()
	out, code := tf.run(args...)
	d := time.Since(start)
	if code != 0 {
		b.Fatalf("terraform %v exited %d:\n%s", args, code, tailLines(out, 40))
	}
	return d
}

// installBenchCluster installs a 1-broker cluster for the benchmark
// through the API and waits for its deploy.
func installBenchCluster(b *testing.B, name string) {
	b.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	c, err := api.NewClient(api.ClientConfig{Endpoint: accDev.endpoint, Token: accDev.token})
	if err != nil {
		b.Fatal(err)
	}
	options := `{"brokers":{"count":1,"mem":1024,"heap":{"size":512}}}`
	if _, err := c.PutService(ctx, name, []byte(options), api.PutOptions{}); err != nil {
		b.Fatalf("installing %s: %v", name, err)
	}
	if _, err := c.WaitPlan(ctx, name, deployPlan, api.WaitOptions{Interval: 200 * time.Millisecond}); err != nil {
		b.Fatalf("deploying %s: %v", name, err)
	}
}
