package admin

import (
	"context"
	"fmt"
	"slices"

	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/validation"
)

// ListBrokers returns the live brokers, sorted by id.
func (c *Client) ListBrokers(ctx context.Context) ([]Broker, error) {
	ctx, cancel := c.deadline(ctx)
	defer cancel()
	md, err := c.brokersOnly(ctx)
	if err != nil {
		return nil, fmt.Errorf("listing brokers: %w", err)
	}
	return md.brokers, nil
}

// BrokerConfig is one of a broker's configs.
type BrokerConfig struct {
	Key string `json:"key"`
	// Value is nil for sensitive configs, which Kafka never returns.
	Value     *string `json:"value"`
	Source    string  `json:"source"`
	Sensitive bool    `json:"sensitive"`
	ReadOnly  bool    `json:"read_only"`
}

// BrokerDescription is one broker, what it leads and holds, and its configs.
type BrokerDescription struct {
	Broker
	// Leader counts the partitions it leads; Replicas those it holds a
	// replica of.
	Leader   int            `json:"leader_partitions"`
	Replicas int            `json:"replica_partitions"`
	Configs  []BrokerConfig `json:"configs"`
}

// DescribeBroker describes one live broker. A broker id the cluster does
// not list as live is an error wrapping ErrUnknownBroker, and no config
// request is sent.
func (c *Client) DescribeBroker(ctx context.Context, id int32) (BrokerDescription, error) {
	var ps validation.Problems
	checkBrokerID(&ps, id)
	if err := ps.Err(); err != nil {
		return BrokerDescription{}, err
	}
	ctx, cancel := c.deadline(ctx)
	defer cancel()
	md, err := c.freshMetadata(ctx)
	if err != nil {
		return BrokerDescription{}, fmt.Errorf("describing broker %d: %w", id, err)
	}
	i := slices.IndexFunc(md.brokers, func(b Broker) bool { return b.ID == id })
	if i < 0 {
		return BrokerDescription{}, fmt.Errorf("describing broker %d: %w: the live brokers are %v", id, ErrUnknownBroker, md.liveIDs())
	}
	d := BrokerDescription{Broker: md.brokers[i]}
	for _, t := range md.topics {
		for _, p := range t.Partitions {
			if p.Leader == id {
				d.Leader++
			}
			if slices.Contains(p.Replicas, id) {
				d.Replicas++
			}
		}
	}
	rcs, err := c.adm.DescribeBrokerConfigs(ctx, id)
	if err == nil && len(rcs) != 1 {
		err = fmt.Errorf("the broker answered for %d resources, not 1", len(rcs))
	}
	if err != nil {
		return BrokerDescription{}, fmt.Errorf("describing the configs of broker %d: %w", id, err)
	}
	if rcs[0].Err != nil {
		return BrokerDescription{}, kafkaErr(fmt.Sprintf("describing the configs of broker %d", id), "", rcs[0].Err, rcs[0].ErrMessage)
	}
	for _, cfg := range rcs[0].Configs {
		d.Configs = append(d.Configs, BrokerConfig{
			Key: cfg.Key, Value: cfg.Value, Source: configSourceName(cfg.Source), Sensitive: cfg.Sensitive,
			ReadOnly: cfg.Source == kmsg.ConfigSourceStaticBrokerConfig || cfg.Source == kmsg.ConfigSourceDefaultConfig,
		})
	}
	return d, nil
}

func configSourceName(s kmsg.ConfigSource) string {
	switch s {
	case kmsg.ConfigSourceDynamicTopicConfig:
		return "DYNAMIC_TOPIC_CONFIG"
	case kmsg.ConfigSourceDynamicBrokerConfig:
		return "DYNAMIC_BROKER_CONFIG"
	case kmsg.ConfigSourceDynamicDefaultBrokerConfig:
		return "DYNAMIC_DEFAULT_BROKER_CONFIG"
	case kmsg.ConfigSourceStaticBrokerConfig:
		return "STATIC_BROKER_CONFIG"
	case kmsg.ConfigSourceDefaultConfig:
		return "DEFAULT_CONFIG"
	case kmsg.ConfigSourceDynamicBrokerLoggerConfig:
		return "DYNAMIC_BROKER_LOGGER_CONFIG"
	}
	return "UNKNOWN"
}
