package provider

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"

	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/api"
)

// The topic cache. Terraform calls Read once per kafka_topic, in parallel;
// a provider that asked Kafka about each topic on its own made plans of
// thousands of topics crawl (reference §5, issues 3 and 4). Here the Reads
// of one provider instance (one terraform command) share one bulk read per
// cluster (GET /v2/topics): the first Read starts it, the others wait for
// it. A write by this instance drops the cluster's listing, so that a Read
// after it asks again. A listing that failed is not kept: the next Read
// tries again, and every Read that waited on it reports the error (never an
// empty listing that would plan replacements).
//
// Every request about a cluster's topics also takes one of that cluster's
// request slots, so that -parallelism (or a module with many topics) cannot
// flood the scheduler; 429 and 503 answers are retried with backoff by the
// api client.

// maxRequestsPerCluster bounds the concurrent topic requests to one
// cluster. Terraform's default -parallelism is 10.
const maxRequestsPerCluster = 10

// topicCache is shared by the resources and data sources of one provider
// instance.
type topicCache struct {
	mu       sync.Mutex
	clusters map[string]*clusterTopics
}

// clusterTopics is what the cache holds for one cluster.
type clusterTopics struct {
	slots chan struct{}
	// listing is the current bulk read (nil when there is none or a write
	// dropped it); brokers the cluster's configured broker count.
	listing *flight[map[string]api.Topic]
	brokers *flight[int]
}

// flight is one read that several callers wait for.
type flight[T any] struct {
	done  chan struct{}
	value T
	err   error
}

func newTopicCache() *topicCache { return &topicCache{clusters: map[string]*clusterTopics{}} }

func (tc *topicCache) cluster(name string) *clusterTopics {
	tc.mu.Lock()
	defer tc.mu.Unlock()
	ct, ok := tc.clusters[name]
	if !ok {
		ct = &clusterTopics{slots: make(chan struct{}, maxRequestsPerCluster)}
		tc.clusters[name] = ct
	}
	return ct
}

// limit runs call in one of the cluster's request slots.
func (tc *topicCache) limit(ctx context.Context, cluster string, call func(context.Context) error) error {
	slots := tc.cluster(cluster).slots
	select {
	case slots <- struct{}{}:
	case <-ctx.Done():
		return fmt.Errorf("waiting for a free request slot to cluster %s: %w", cluster, ctx.Err())
	}
	defer func() { <-slots }()
	return call(ctx)
}

// share returns the flight *slot holds, or starts fetch as a new one. The
// lock is never held across fetch; a failed flight leaves the slot so that
// the next caller fetches again.
func share[T any](tc *topicCache, ctx context.Context, slot **flight[T], fetch func(context.Context) (T, error)) (T, error) {
	tc.mu.Lock()
	f := *slot
	owner := f == nil
	if owner {
		f = &flight[T]{done: make(chan struct{})}
		*slot = f
	}
	tc.mu.Unlock()
	if owner {
		f.value, f.err = fetch(ctx)
		if f.err != nil {
			tc.mu.Lock()
			if *slot == f {
				*slot = nil
			}
			tc.mu.Unlock()
		}
		close(f.done)
	}
	select {
	case <-f.done:
		return f.value, f.err
	case <-ctx.Done():
		var zero T
		return zero, ctx.Err()
	}
}

// topics is the cluster's bulk listing, by name. A cluster that does not
// exist is a 404 *api.Error.
func (tc *topicCache) topics(ctx context.Context, c *api.Client, cluster string) (map[string]api.Topic, error) {
	ct := tc.cluster(cluster)
	return share(tc, ctx, &ct.listing, func(ctx context.Context) (map[string]api.Topic, error) {
		var list []api.Topic
		err := tc.limit(ctx, cluster, func(ctx context.Context) (err error) {
			list, err = c.Topics(ctx, cluster)
			return err
		})
		if err != nil {
			return nil, err
		}
		out := make(map[string]api.Topic, len(list))
		for _, t := range list {
			out[t.Name] = t
		}
		return out, nil
	})
}

// topic reads one topic through the listing. A topic missing from the
// listing is confirmed with a read of its own before it counts as gone (a
// 404 *api.Error), since another process may have created it after the
// listing.
func (tc *topicCache) topic(ctx context.Context, c *api.Client, cluster, name string) (api.Topic, error) {
	all, err := tc.topics(ctx, c, cluster)
	if err != nil {
		return api.Topic{}, err
	}
	if t, ok := all[name]; ok {
		return t, nil
	}
	var t api.Topic
	err = tc.limit(ctx, cluster, func(ctx context.Context) (err error) {
		t, err = c.Topic(ctx, cluster, name)
		return err
	})
	return t, err
}

// brokerCount is the cluster's configured broker count (brokers.count of
// its options), read once per provider instance.
func (tc *topicCache) brokerCount(ctx context.Context, c *api.Client, cluster string) (int, error) {
	ct := tc.cluster(cluster)
	return share(tc, ctx, &ct.brokers, func(ctx context.Context) (int, error) {
		var detail api.ServiceDetail
		err := tc.limit(ctx, cluster, func(ctx context.Context) (err error) {
			detail, err = c.GetService(ctx, cluster)
			return err
		})
		if err != nil {
			return 0, err
		}
		var options struct {
			Brokers struct {
				Count int `json:"count"`
			} `json:"brokers"`
		}
		if err := json.Unmarshal(detail.Options, &options); err != nil {
			return 0, fmt.Errorf("reading the broker count of cluster %s: %w", cluster, err)
		}
		return options.Brokers.Count, nil
	})
}

// invalidate drops the cluster's listing after a write by this provider
// instance.
func (tc *topicCache) invalidate(cluster string) {
	ct := tc.cluster(cluster)
	tc.mu.Lock()
	ct.listing = nil
	tc.mu.Unlock()
}
