package admin

import (
	"context"
	"fmt"
	"sort"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/validation"
)

// TopicConfig returns the configs set on the topic itself
// (DYNAMIC_TOPIC_CONFIG), not the broker defaults it inherits.
func (c *Client) TopicConfig(ctx context.Context, name string) (map[string]string, error) {
	var ps validation.Problems
	checkTopicName(&ps, name)
	if err := ps.Err(); err != nil {
		return nil, err
	}
	ctx, cancel := c.deadline(ctx)
	defer cancel()
	rcs, err := c.adm.DescribeTopicConfigs(ctx, name)
	if err != nil {
		return nil, fmt.Errorf("describing the configs of topic %q: %w", name, err)
	}
	rc, err := rcs.On(name, nil)
	if err == nil {
		err = withBrokerMessage(rc.Err, rc.ErrMessage)
	}
	if err != nil {
		return nil, fmt.Errorf("describing the configs of topic %q: %w", name, err)
	}
	out := map[string]string{}
	for _, cfg := range rc.Configs {
		if cfg.Source == kmsg.ConfigSourceDynamicTopicConfig && !cfg.Sensitive {
			out[cfg.Key] = cfg.MaybeValue()
		}
	}
	return out, nil
}

// effectiveConfigs returns one config's effective value (whatever its
// source) for each topic.
func (c *Client) effectiveConfig(ctx context.Context, key string, topics []string) (map[string]string, error) {
	out := map[string]string{}
	if len(topics) == 0 {
		return out, nil
	}
	rcs, err := c.adm.DescribeTopicConfigs(ctx, topics...)
	if err != nil {
		return nil, fmt.Errorf("describing topic configs: %w", err)
	}
	for _, rc := range rcs {
		if rc.Err != nil {
			return nil, fmt.Errorf("describing the configs of topic %q: %w", rc.Name, withBrokerMessage(rc.Err, rc.ErrMessage))
		}
		for _, cfg := range rc.Configs {
			if cfg.Key == key {
				out[rc.Name] = cfg.MaybeValue()
			}
		}
	}
	return out, nil
}

// SetTopicConfig sets configs on a topic, leaving its other configs as they
// are. Keys and values are checked against Kafka's topic configs first.
func (c *Client) SetTopicConfig(ctx context.Context, name string, configs map[string]string) error {
	var ps validation.Problems
	checkTopicName(&ps, name)
	if len(configs) == 0 {
		ps.Add("configs", "", "name at least one config to set")
	}
	checkTopicConfigs(&ps, configs)
	if err := ps.Err(); err != nil {
		return err
	}
	keys := make([]string, 0, len(configs))
	for k := range configs {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	alter := make([]kadm.AlterConfig, 0, len(keys))
	for _, k := range keys {
		alter = append(alter, kadm.AlterConfig{Op: kadm.SetConfig, Name: k, Value: kadm.StringPtr(configs[k])})
	}
	return c.alterTopicConfig(ctx, name, "setting", alter)
}

// DeleteTopicConfig removes configs from a topic, which then inherits the
// broker defaults again.
func (c *Client) DeleteTopicConfig(ctx context.Context, name string, keys ...string) error {
	var ps validation.Problems
	checkTopicName(&ps, name)
	checkConfigKeys(&ps, keys)
	if err := ps.Err(); err != nil {
		return err
	}
	alter := make([]kadm.AlterConfig, 0, len(keys))
	for _, k := range keys {
		alter = append(alter, kadm.AlterConfig{Op: kadm.DeleteConfig, Name: k})
	}
	return c.alterTopicConfig(ctx, name, "deleting", alter)
}

func (c *Client) alterTopicConfig(ctx context.Context, name, verb string, alter []kadm.AlterConfig) error {
	ctx, cancel := c.deadline(ctx)
	defer cancel()
	resps, err := c.adm.AlterTopicConfigs(ctx, alter, name)
	if err == nil {
		var r kadm.AlterConfigsResponse
		if r, err = resps.On(name, nil); err == nil {
			err = withBrokerMessage(r.Err, r.ErrMessage)
		}
	}
	if err != nil {
		return fmt.Errorf("%s configs of topic %q: %w", verb, name, err)
	}
	return nil
}
