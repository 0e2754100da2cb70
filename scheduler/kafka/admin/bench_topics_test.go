package admin_test

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/kafka/admin"
	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/kafka/devkafka/devkafkatest"
)

// requestCounter counts the Kafka requests a client writes, by key (a
// kgo.HookBrokerWrite hook), including the ApiVersions and Metadata kgo
// sends on its own.
type requestCounter struct {
	mu    sync.Mutex
	byKey map[int16]int
}

func (c *requestCounter) OnBrokerWrite(_ kgo.BrokerMetadata, key int16, _ int, _, _ time.Duration, err error) {
	if err != nil {
		return
	}
	c.mu.Lock()
	if c.byKey == nil {
		c.byKey = map[int16]int{}
	}
	c.byKey[key]++
	c.mu.Unlock()
}

func (c *requestCounter) reset() {
	c.mu.Lock()
	c.byKey = map[int16]int{}
	c.mu.Unlock()
}

// total returns the count and a breakdown such as "Metadata=2 DescribeConfigs=1".
func (c *requestCounter) total() (int, string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := 0
	var parts []string
	for k, v := range c.byKey {
		n += v
		parts = append(parts, fmt.Sprintf("%s=%d", kmsg.NameForKey(k), v))
	}
	sort.Strings(parts)
	return n, strings.Join(parts, " ")
}

func countingAdmin(tb testing.TB, brokers []string) (*admin.Client, *requestCounter) {
	tb.Helper()
	counter := &requestCounter{}
	cl, err := admin.New(admin.Config{Brokers: brokers, Timeout: 60 * time.Second, Opts: []kgo.Opt{kgo.WithHooks(counter)}})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(cl.Close)
	return cl, counter
}

// concurrently runs fn for 0..n-1 on workers goroutines and returns the
// first error.
func concurrently(n, workers int, fn func(i int) error) error {
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		first error
	)
	next := make(chan int)
	for range workers {
		wg.Go(func() {
			for i := range next {
				if err := fn(i); err != nil {
					mu.Lock()
					if first == nil {
						first = err
					}
					mu.Unlock()
				}
			}
		})
	}
	for i := range n {
		next <- i
	}
	close(next)
	wg.Wait()
	return first
}

// benchTopic is the topic every benchmark creates: 3 partitions, 2
// replicas and one config of its own.
func benchTopic(name string) admin.TopicSpec {
	return admin.TopicSpec{Name: name, Partitions: 3, ReplicationFactor: 2, Configs: map[string]string{"retention.ms": "86400000"}}
}

// BenchmarkReadTopics reads every topic (partitions, replicas, leaders,
// ISR and own configs) of a three-broker stand-in cluster holding 100,
// 1,000 and 5,000 topics of 3 partitions, and reports the time and the
// Kafka requests of one bulk read.
func BenchmarkReadTopics(b *testing.B) {
	cluster := devkafkatest.StartCluster(b, tarball, 3, serviceSettings())
	adm, counter := countingAdmin(b, cluster.Bootstrap())
	ctx := context.Background()
	have := 0
	for _, n := range []int{100, 1000, 5000} {
		if err := concurrently(n-have, 10, func(i int) error {
			_, err := adm.EnsureTopic(ctx, benchTopic(fmt.Sprintf("bulk-%05d", have+i)))
			return err
		}); err != nil {
			b.Fatal(err)
		}
		have = n
		b.Run(fmt.Sprintf("topics=%d", n), func(b *testing.B) {
			counter.reset()
			for b.Loop() {
				topics, err := adm.ReadTopics(ctx)
				if err != nil {
					b.Fatal(err)
				}
				if len(topics) != n || len(topics[0].Configs) != 1 || len(topics[0].Partitions) != 3 {
					b.Fatalf("read %d topics, the first %+v", len(topics), topics[0])
				}
			}
			requests, detail := counter.total()
			b.ReportMetric(float64(b.Elapsed().Milliseconds())/float64(b.N), "ms/read")
			b.ReportMetric(float64(requests)/float64(b.N), "requests/read")
			b.Logf("%d topics: %.1f ms per bulk read, %d reads sent %s", n, float64(b.Elapsed().Microseconds())/1000/float64(b.N), b.N, detail)
		})
	}
}

// BenchmarkCreateDelete1000 creates 1,000 topics through EnsureTopic at
// concurrency 10 on a three-broker stand-in cluster, then deletes them at
// concurrency 10 (each delete returns once metadata no longer shows the
// topic), and reports both times and the Kafka requests each phase sent.
func BenchmarkCreateDelete1000(b *testing.B) {
	cluster := devkafkatest.StartCluster(b, tarball, 3, serviceSettings())
	adm, counter := countingAdmin(b, cluster.Bootstrap())
	ctx := context.Background()
	var createTotal, deleteTotal time.Duration
	var createReqs, deleteReqs int
	round := 0
	for b.Loop() {
		names := make([]string, 1000)
		for i := range names {
			names[i] = fmt.Sprintf("churn-%d-%04d", round, i)
		}
		round++
		counter.reset()
		start := time.Now()
		if err := concurrently(len(names), 10, func(i int) error {
			res, err := adm.EnsureTopic(ctx, benchTopic(names[i]))
			if err == nil && !res.Created {
				err = fmt.Errorf("topic %s existed already", names[i])
			}
			return err
		}); err != nil {
			b.Fatal(err)
		}
		created := time.Since(start)
		n, createDetail := counter.total()
		createReqs += n

		counter.reset()
		start = time.Now()
		if err := concurrently(len(names), 10, func(i int) error { return adm.DeleteTopic(ctx, names[i]) }); err != nil {
			b.Fatal(err)
		}
		deleted := time.Since(start)
		n, deleteDetail := counter.total()
		deleteReqs += n
		createTotal += created
		deleteTotal += deleted
		b.Logf("1,000 creates in %.2f s (%s); 1,000 deletes in %.2f s (%s)", created.Seconds(), createDetail, deleted.Seconds(), deleteDetail)
	}
	per := float64(b.N)
	b.ReportMetric(createTotal.Seconds()/per, "create-s/1000")
	b.ReportMetric(deleteTotal.Seconds()/per, "delete-s/1000")
	b.ReportMetric(float64(createReqs)/per, "create-requests/1000")
	b.ReportMetric(float64(deleteReqs)/per, "delete-requests/1000")
}
