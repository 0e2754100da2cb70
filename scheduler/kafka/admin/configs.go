package admin

import (
	"context"
	"fmt"
	"sort"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/validation"
)

// TopicConfig returns the configs set on the topic itself
// (DYNAMIC_TOPIC_CONFIG), not the broker defaults it inherits.
func (c *Client) TopicConfig(ctx context.Context, name string) (map[string]string, error) {
	if err := checkName(name); err != nil {
		return nil, err
	}
	ctx, cancel := c.deadline(ctx)
	defer cancel()
	configs, gone, err := c.topicConfigs(ctx, []string{name})
	if err != nil {
		return nil, err
	}
	if gone[name] {
		return nil, kafkaErr("describing the configs of topic", name, kerr.UnknownTopicOrPartition, "")
	}
	return configs[name], nil
}

// effectiveConfig returns one config's effective value (whatever its
// source) for each topic, in one DescribeConfigs request that asks for that
// config alone.
func (c *Client) effectiveConfig(ctx context.Context, key string, topics []string) (map[string]string, error) {
	out := map[string]string{}
	if len(topics) == 0 {
		return out, nil
	}
	req := kmsg.NewPtrDescribeConfigsRequest()
	for _, t := range topics {
		r := kmsg.NewDescribeConfigsRequestResource()
		r.ResourceType, r.ResourceName, r.ConfigNames = kmsg.ConfigResourceTypeTopic, t, []string{key}
		req.Resources = append(req.Resources, r)
	}
	resp, err := req.RequestWith(ctx, c.cl)
	if err != nil {
		return nil, fmt.Errorf("describing the %s of %d topics: %w", key, len(topics), err)
	}
	for _, r := range resp.Resources {
		if err := kerr.ErrorForCode(r.ErrorCode); err != nil {
			if err == kerr.UnknownTopicOrPartition {
				continue // deleted meanwhile
			}
			return nil, kafkaErr("describing the configs of topic", r.ResourceName, err, deref(r.ErrorMessage))
		}
		for _, cfg := range r.Configs {
			if cfg.Name == key && cfg.Value != nil {
				out[r.ResourceName] = *cfg.Value
			}
		}
	}
	return out, nil
}

// SetTopicConfig sets configs on a topic, leaving its other configs as they
// are. Keys and values are checked against Kafka's topic configs first.
func (c *Client) SetTopicConfig(ctx context.Context, name string, configs map[string]string) error {
	if len(configs) == 0 {
		var ps validation.Problems
		checkTopicName(&ps, name)
		ps.Add("configs", "", "name at least one config to set")
		return ps
	}
	return c.UpdateTopicConfig(ctx, name, configs, nil)
}

// DeleteTopicConfig removes configs from a topic, which then inherits the
// broker defaults again.
func (c *Client) DeleteTopicConfig(ctx context.Context, name string, keys ...string) error {
	if len(keys) == 0 {
		var ps validation.Problems
		checkTopicName(&ps, name)
		ps.Add("configs", "", "name at least one config key")
		return ps
	}
	return c.UpdateTopicConfig(ctx, name, nil, keys)
}

// UpdateTopicConfig sets the configs in set and resets the keys in reset to
// their defaults (removing them from the topic), in one
// IncrementalAlterConfigs request; the topic's other configs stay as they
// are. Keys and values are validated first (unknown keys, wrong types,
// read-only keys, a key both set and reset), and nothing is sent when any
// is wrong.
func (c *Client) UpdateTopicConfig(ctx context.Context, name string, set map[string]string, reset []string) error {
	var ps validation.Problems
	checkTopicName(&ps, name)
	if len(set) == 0 && len(reset) == 0 {
		ps.Add("configs", "", "name at least one config to set or reset")
	}
	checkTopicConfigs(&ps, set)
	checkConfigKeys(&ps, reset)
	for _, k := range reset {
		if _, both := set[k]; both {
			ps.Add("configs."+k, set[k], "is both set and reset; do one or the other")
		}
	}
	if err := ps.Err(); err != nil {
		return err
	}
	keys := make([]string, 0, len(set))
	for k := range set {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	alter := make([]kadm.AlterConfig, 0, len(keys)+len(reset))
	for _, k := range keys {
		alter = append(alter, kadm.AlterConfig{Op: kadm.SetConfig, Name: k, Value: kadm.StringPtr(set[k])})
	}
	for _, k := range reset {
		alter = append(alter, kadm.AlterConfig{Op: kadm.DeleteConfig, Name: k})
	}
	ctx, cancel := c.deadline(ctx)
	defer cancel()
	resps, err := c.adm.AlterTopicConfigs(ctx, alter, name)
	if err != nil {
		return fmt.Errorf("changing the configs of topic %q: %w", name, err)
	}
	r, err := resps.On(name, nil)
	if err != nil {
		return fmt.Errorf("changing the configs of topic %q: %w", name, err)
	}
	if r.Err != nil {
		return kafkaErr("changing the configs of topic", name, r.Err, r.ErrMessage)
	}
	return nil
}
