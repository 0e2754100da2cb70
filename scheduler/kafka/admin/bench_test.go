package admin_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/kafka/admin"
	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/kafka/devkafka/devkafkatest"
)

// BenchmarkProducerPerfTest runs the producer performance test against
// three stand-in broker processes: 20,000 records of 1 KiB per iteration,
// unthrottled, acks=all.
func BenchmarkProducerPerfTest(b *testing.B) {
	cluster := devkafkatest.StartCluster(b, tarball, 3, serviceSettings())
	adm := newAdmin(b, cluster.Bootstrap())
	ctx := context.Background()
	if _, err := adm.CreateTopic(ctx, admin.TopicSpec{Name: "perf", Partitions: 6, ReplicationFactor: 1}); err != nil {
		b.Fatal(err)
	}
	var records, mb, p50, p99 float64
	for b.Loop() {
		res, err := adm.ProducerPerfTest(ctx, admin.PerfTest{Topic: "perf", Records: 20_000, RecordSize: 1024, Throughput: -1})
		if err != nil || res.Errors > 0 {
			b.Fatalf("%v, %d errors: %v", err, res.Errors, res.FirstError)
		}
		records += res.RecordsPerSec
		mb += res.MBPerSec
		p50 += float64(res.P50) / float64(time.Millisecond)
		p99 += float64(res.P99) / float64(time.Millisecond)
	}
	n := float64(b.N)
	b.ReportMetric(records/n, "records/s")
	b.ReportMetric(mb/n, "MB/s")
	b.ReportMetric(p50/n, "p50-ms")
	b.ReportMetric(p99/n, "p99-ms")
}

// BenchmarkPartitionHealth1000 measures one partition-health scan (fresh
// metadata plus every topic's min.insync.replicas) of 1,000 partitions on
// three stand-in broker processes.
func BenchmarkPartitionHealth1000(b *testing.B) {
	cluster := devkafkatest.StartCluster(b, tarball, 3, serviceSettings())
	adm := newAdmin(b, cluster.Bootstrap())
	ctx := context.Background()
	for i := range 10 {
		if _, err := adm.CreateTopic(ctx, admin.TopicSpec{Name: fmt.Sprintf("scan-%d", i), Partitions: 100, ReplicationFactor: 2}); err != nil {
			b.Fatal(err)
		}
	}
	for b.Loop() {
		report, err := adm.PartitionHealth(ctx)
		if err != nil {
			b.Fatal(err)
		}
		if report.Partitions < 1000 {
			b.Fatalf("scanned %d partitions", report.Partitions)
		}
	}
	b.ReportMetric(b.Elapsed().Seconds()*1000/float64(b.N), "ms/scan")
}
