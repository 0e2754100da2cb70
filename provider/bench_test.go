package provider

import (
	"fmt"
	"testing"
	"time"
)

// BenchmarkTerraformCluster times the terraform CLI (provider binary
// through dev_overrides) against the shared dev scheduler, beside
// terraform's own floor: the same commands on a configuration without the
// provider. The provider's share of a plan is its wall time minus the
// floor; an apply's share also holds the scheduler's deploy or rolling
// update, which the apply waits for.
func BenchmarkTerraformCluster(b *testing.B) {
	if accDev.endpoint == "" {
		b.Fatal("no dev scheduler: TestMain starts one for benchmarks and TF_ACC runs")
	}
	floor := newTFCLI(b)
	floor.write(`output "nothing" { value = "floor" }`)
	cluster := newTFCLI(b)
	config := func(mem int) string {
		return fmt.Sprintf(`
terraform {
  required_providers {
    kafka = { source = "kafka-on-mesos/kafka" }
  }
}

resource "kafka_cluster" "bench" {
  name = "bench"
  brokers = {
    count = 3
    mem   = %d
  }
}
`, mem)
	}
	timed := func(tf *tfCLI, args ...string) time.Duration {
		start := time.Now()
		tf.must(args...)
		return time.Since(start)
	}
	var floorPlan, floorApply, create, noopPlan, previewPlan, update, destroy time.Duration
	for i := 0; i < b.N; i++ {
		floorPlan += timed(floor, "plan")
		floorApply += timed(floor, "apply", "-auto-approve")
		cluster.write(config(1024))
		create += timed(cluster, "apply", "-auto-approve")
		noopPlan += timed(cluster, "plan")
		cluster.write(config(1280))
		previewPlan += timed(cluster, "plan")
		update += timed(cluster, "apply", "-auto-approve")
		destroy += timed(cluster, "destroy", "-auto-approve")
	}
	if err := checkGone("bench"); err != nil {
		b.Error(err)
	}
	n := time.Duration(b.N)
	per := func(d time.Duration) float64 { return (d / n).Seconds() }
	b.ReportMetric(per(floorPlan), "floor-plan-s")
	b.ReportMetric(per(noopPlan), "noop-plan-s")
	b.ReportMetric(per(noopPlan-floorPlan), "noop-plan-provider-s")
	b.ReportMetric(per(previewPlan), "preview-plan-s")
	b.ReportMetric(per(previewPlan-floorPlan), "preview-plan-provider-s")
	b.ReportMetric(per(floorApply), "floor-apply-s")
	b.ReportMetric(per(create), "create-apply-s")
	b.ReportMetric(per(update), "update-apply-s")
	b.ReportMetric(per(destroy), "destroy-s")
	b.Logf("terraform floor (no provider): plan %.2fs, apply %.2fs", per(floorPlan), per(floorApply))
	b.Logf("plan, no change (refresh):      %.2fs, provider's share %.2fs", per(noopPlan), per(noopPlan-floorPlan))
	b.Logf("plan, mem change (preview):     %.2fs, provider's share %.2fs", per(previewPlan), per(previewPlan-floorPlan))
	b.Logf("apply, create 3 brokers:        %.2fs, provider+scheduler share %.2fs", per(create), per(create-floorApply))
	b.Logf("apply, roll 3 brokers:          %.2fs, provider+scheduler share %.2fs", per(update), per(update-floorApply))
	b.Logf("destroy:                        %.2fs", per(destroy))
}
