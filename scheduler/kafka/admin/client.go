// Package admin administers a Kafka cluster over the Kafka protocol with
// franz-go's kadm (never kafka-topics.sh, whose --zookeeper mode is gone
// since Kafka 3.0): topics, partitions, topic configs, offsets, brokers,
// partition health, a producer performance test and the safe-restart check
// of rolling restarts. It works the same against Apache Kafka and the dev
// stand-in (package devkafka).
//
// Every call validates its input before sending anything (bad input returns
// validation.Problems and sends no request), runs under a deadline, and
// returns errors that name the topic or broker and carry the Kafka error: a
// code the brokers answered with is a *KafkaError naming the topic, the
// code's name and number and the broker's message, and errors.Is(err,
// kerr.UnknownTopicOrPartition) works. KindOf sorts every error into bad
// input, not found, conflict, unavailable, timeout or internal, for callers
// that answer with a status. Reads use fresh metadata from a broker, never
// the client's metadata cache.
//
// For programs managing many topics (the Terraform provider), EnsureTopic is
// an idempotent create (same settings: no change; other settings: a
// *ConflictError listing every difference), ReadTopics reads any number of
// topics in one Metadata and one DescribeConfigs request with only the
// configs set on each topic, UpdateTopicConfig sets and resets configs in
// one IncrementalAlterConfigs request, SetReplicationFactor reassigns
// partitions and waits until the reassignment is done, and writes (create,
// delete, partition increase) return once metadata shows their effect.
//
// Against the dev stand-in, partition data is not replicated: a partition is
// led only by its first replica and is unavailable while that broker is
// down, and followers count as in sync while their process runs (see the
// devkafka package documentation). The checks here report what the cluster
// reports; they do not add meaning the stand-in does not have.
package admin

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
)

// DefaultTimeout bounds each call when Config.Timeout is zero (Strimzi uses
// 30 s for its admin calls).
const DefaultTimeout = 30 * time.Second

// DefaultReassignTimeout bounds a replication factor change when
// Config.ReassignTimeout is zero.
const DefaultReassignTimeout = 10 * time.Minute

// Config says how to reach the cluster.
type Config struct {
	// Brokers are bootstrap host:port addresses.
	Brokers []string
	// Timeout bounds every call; zero means DefaultTimeout. A context with
	// an earlier deadline wins.
	Timeout time.Duration
	// ReassignTimeout bounds a replication factor change, including the
	// wait for the reassignment to finish; zero means
	// DefaultReassignTimeout.
	ReassignTimeout time.Duration
	// ClientID identifies the client to the brokers.
	ClientID string
	// Logger receives debug logs; nil discards them.
	Logger *slog.Logger
	// Opts are extra franz-go options, such as TLS or SASL for a secured
	// cluster.
	Opts []kgo.Opt
}

// Client administers one cluster. It is safe for concurrent use.
type Client struct {
	cfg Config
	cl  *kgo.Client
	adm *kadm.Client
	log *slog.Logger
}

// New creates a client. It does not connect until the first call.
func New(cfg Config) (*Client, error) {
	if len(cfg.Brokers) == 0 {
		return nil, errors.New("creating the Kafka admin client: no bootstrap brokers given")
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = DefaultTimeout
	}
	if cfg.ReassignTimeout <= 0 {
		cfg.ReassignTimeout = DefaultReassignTimeout
	}
	if cfg.ClientID == "" {
		cfg.ClientID = "kafka-scheduler-admin"
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	opts := append([]kgo.Opt{
		kgo.SeedBrokers(cfg.Brokers...),
		kgo.ClientID(cfg.ClientID),
		// Routing (ListOffsets to leaders, configs to brokers) follows
		// the client's metadata; keep it young so a moved leader is
		// found quickly. Health checks do not use it at all.
		kgo.MetadataMinAge(250 * time.Millisecond),
	}, cfg.Opts...)
	cl, err := kgo.NewClient(opts...)
	if err != nil {
		return nil, fmt.Errorf("creating the Kafka admin client: %w", err)
	}
	adm := kadm.NewClient(cl)
	adm.SetTimeoutMillis(int32(cfg.Timeout / time.Millisecond))
	return &Client{cfg: cfg, cl: cl, adm: adm, log: log}, nil
}

// Close closes the connections.
func (c *Client) Close() { c.cl.Close() }

// deadline bounds one call.
func (c *Client) deadline(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(ctx, c.cfg.Timeout)
}
