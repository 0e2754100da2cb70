package admin

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"sync"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/validation"
)

// PerfTest configures ProducerPerfTest, after kafka-producer-perf-test.
type PerfTest struct {
	Topic string
	// Records is how many records to send.
	Records int
	// RecordSize is each record's value size in bytes (default 1024, as
	// DC/OS's producer-test).
	RecordSize int
	// Throughput caps records per second; -1 sends as fast as possible. Zero
	// means 100000, DC/OS's producer-test setting.
	Throughput int
	// Acks is -1 (all in-sync replicas, the default), 1 (leader) or 0.
	Acks int
}

// maxPerfRecordSize bounds a test record (Kafka's default
// message.max.bytes is about 1 MiB).
const maxPerfRecordSize = 1 << 20

// latencySamples bounds the latencies kept for percentiles, as
// ProducerPerformance does.
const latencySamples = 500_000

func (p *PerfTest) defaults() {
	if p.RecordSize == 0 {
		p.RecordSize = 1024
	}
	if p.Throughput == 0 {
		p.Throughput = 100_000
	}
	if p.Acks == 0 {
		p.Acks = -1
	}
}

// Validate checks the test settings.
func (p PerfTest) Validate() validation.Problems {
	var ps validation.Problems
	checkTopicName(&ps, p.Topic)
	if p.Records < 1 {
		ps.Add("records", strconv.Itoa(p.Records), "must be at least 1")
	}
	if p.RecordSize < 0 || p.RecordSize > maxPerfRecordSize {
		ps.Addf("record_size", strconv.Itoa(p.RecordSize), "must be between 1 and %d bytes (0 means 1024)", maxPerfRecordSize)
	}
	if p.Throughput < -1 {
		ps.Add("throughput", strconv.Itoa(p.Throughput), "must be records per second, or -1 for no limit")
	}
	switch p.Acks {
	case -1, 0, 1:
	default:
		ps.Add("acks", strconv.Itoa(p.Acks), "must be -1 (all), 1 (leader) or 0 (none)")
	}
	return ps
}

// PerfResult is what kafka-producer-perf-test reports at the end.
type PerfResult struct {
	Records       int64         `json:"records"`
	Errors        int64         `json:"errors"`
	Bytes         int64         `json:"bytes"`
	Elapsed       time.Duration `json:"elapsed_ns"`
	RecordsPerSec float64       `json:"records_per_sec"`
	MBPerSec      float64       `json:"mb_per_sec"`
	AvgLatency    time.Duration `json:"avg_latency_ns"`
	MaxLatency    time.Duration `json:"max_latency_ns"`
	P50           time.Duration `json:"p50_ns"`
	P95           time.Duration `json:"p95_ns"`
	P99           time.Duration `json:"p99_ns"`
	P999          time.Duration `json:"p999_ns"`
	// FirstError is the first failed record's error, naming the topic.
	FirstError error `json:"-"`
}

// String is kafka-producer-perf-test's final line.
func (r PerfResult) String() string {
	ms := func(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
	return fmt.Sprintf("%d records sent, %.1f records/sec (%.2f MB/sec), %.2f ms avg latency, %.2f ms max latency, %d ms 50th, %d ms 95th, %d ms 99th, %d ms 99.9th.",
		r.Records, r.RecordsPerSec, r.MBPerSec, ms(r.AvgLatency), ms(r.MaxLatency),
		r.P50.Milliseconds(), r.P95.Milliseconds(), r.P99.Milliseconds(), r.P999.Milliseconds())
}

// ProducerPerfTest produces Records records of RecordSize random bytes to an
// existing topic, throttled to Throughput records per second, and reports
// throughput and latency (from the send call to the acknowledgement, so
// client-side queueing counts, as in kafka-producer-perf-test). Failed
// records are counted, not fatal; the error return is for a test that
// could not run.
func (c *Client) ProducerPerfTest(ctx context.Context, p PerfTest) (PerfResult, error) {
	if err := p.Validate().Err(); err != nil {
		return PerfResult{}, err
	}
	p.defaults()
	if _, err := c.DescribeTopic(ctx, p.Topic); err != nil {
		return PerfResult{}, fmt.Errorf("producer performance test on topic %q: %w", p.Topic, err)
	}
	producer, err := kgo.NewClient(c.producerOpts(p)...)
	if err != nil {
		return PerfResult{}, fmt.Errorf("producer performance test on topic %q: %w", p.Topic, err)
	}
	defer producer.Close()

	value := make([]byte, p.RecordSize)
	rand.Read(value)
	run := newPerfRun(p.Records)
	start := time.Now()
	for i := range p.Records {
		if err := throttle(ctx, start, i, p.Throughput); err != nil {
			break
		}
		sent := time.Now()
		producer.Produce(ctx, &kgo.Record{Value: value}, func(_ *kgo.Record, err error) {
			run.done(i, time.Since(sent), err)
		})
	}
	flushErr := producer.Flush(ctx)
	elapsed := time.Since(start)
	res := run.result(elapsed, int64(p.RecordSize))
	if res.FirstError != nil {
		res.FirstError = fmt.Errorf("producing to topic %q: %w", p.Topic, res.FirstError)
	}
	if ctxErr := ctx.Err(); ctxErr != nil || flushErr != nil {
		return res, fmt.Errorf("producer performance test on topic %q stopped after %d records: %w", p.Topic, res.Records+res.Errors, errors.Join(ctxErr, flushErr))
	}
	c.log.Debug("producer performance test", "topic", p.Topic, "result", res.String())
	return res, nil
}

func (c *Client) producerOpts(p PerfTest) []kgo.Opt {
	opts := append([]kgo.Opt{
		kgo.SeedBrokers(c.cfg.Brokers...),
		kgo.ClientID(c.cfg.ClientID + "-perf-test"),
		kgo.DefaultProduceTopic(p.Topic),
		kgo.MaxBufferedRecords(max(10_000, min(p.Records, 100_000))),
		kgo.ProducerBatchCompression(kgo.NoCompression()),
		kgo.RecordDeliveryTimeout(c.cfg.Timeout),
	}, c.cfg.Opts...)
	switch p.Acks {
	case 1:
		opts = append(opts, kgo.RequiredAcks(kgo.LeaderAck()), kgo.DisableIdempotentWrite())
	case 0:
		opts = append(opts, kgo.RequiredAcks(kgo.NoAck()), kgo.DisableIdempotentWrite())
	}
	return opts
}

// throttle waits until record i is due at the target rate.
func throttle(ctx context.Context, start time.Time, i, perSecond int) error {
	if perSecond < 0 {
		return ctx.Err()
	}
	due := start.Add(time.Duration(int64(i) * int64(time.Second) / int64(perSecond)))
	wait := time.Until(due)
	if wait <= time.Millisecond {
		return ctx.Err()
	}
	t := time.NewTimer(wait)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// perfRun gathers acknowledgements; kgo calls promises from its own
// goroutines.
type perfRun struct {
	mu        sync.Mutex
	every     int // keep one latency in every
	latencies []time.Duration
	sum, peak time.Duration
	acked     int64
	failed    int64
	firstErr  error
}

func newPerfRun(records int) *perfRun {
	every := max(1, records/latencySamples)
	return &perfRun{every: every, latencies: make([]time.Duration, 0, min(records, latencySamples)+1)}
}

func (r *perfRun) done(i int, latency time.Duration, err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if err != nil {
		r.failed++
		if r.firstErr == nil {
			r.firstErr = err
		}
		return
	}
	r.acked++
	r.sum += latency
	r.peak = max(r.peak, latency)
	if i%r.every == 0 {
		r.latencies = append(r.latencies, latency)
	}
}

func (r *perfRun) result(elapsed time.Duration, recordSize int64) PerfResult {
	r.mu.Lock()
	defer r.mu.Unlock()
	res := PerfResult{Records: r.acked, Errors: r.failed, Bytes: r.acked * recordSize, Elapsed: elapsed, MaxLatency: r.peak, FirstError: r.firstErr}
	if secs := elapsed.Seconds(); secs > 0 {
		res.RecordsPerSec = float64(r.acked) / secs
		res.MBPerSec = float64(res.Bytes) / (1024 * 1024) / secs
	}
	if r.acked > 0 {
		res.AvgLatency = r.sum / time.Duration(r.acked)
	}
	lat := r.latencies
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	res.P50, res.P95, res.P99, res.P999 = percentile(lat, 0.5), percentile(lat, 0.95), percentile(lat, 0.99), percentile(lat, 0.999)
	return res
}

func percentile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	return sorted[min(len(sorted)-1, int(p*float64(len(sorted))))]
}
