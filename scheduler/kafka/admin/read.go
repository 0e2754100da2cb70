package admin

import (
	"context"
	"fmt"
	"sort"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/validation"
)

// TopicState is a topic as programs see it: its partitions with replicas,
// leader and ISR, its replication factor, and only the configs set on the
// topic itself (DescribeConfigs source DYNAMIC_TOPIC_CONFIG). Broker
// defaults, static broker settings and synonyms never appear in Configs, so
// a topic created with retention.ms alone shows exactly that one config
// whatever the brokers' server.properties say.
type TopicState struct {
	Topic
	// Configs are the topic's own configs; never nil. Sensitive values
	// (which Kafka never returns) are left out.
	Configs map[string]string `json:"configs"`
}

// ReadTopic reads one topic in one Metadata and one DescribeConfigs
// request. An unknown topic is an error wrapping
// kerr.UnknownTopicOrPartition.
func (c *Client) ReadTopic(ctx context.Context, name string) (TopicState, error) {
	if err := checkName(name); err != nil {
		return TopicState{}, err
	}
	ctx, cancel := c.deadline(ctx)
	defer cancel()
	md, err := c.freshMetadata(ctx, name)
	if err != nil {
		return TopicState{}, fmt.Errorf("reading topic %q: %w", name, err)
	}
	t, err := md.topic(name)
	if err != nil {
		return TopicState{}, kafkaErr("reading topic", name, err, "")
	}
	configs, gone, err := c.topicConfigs(ctx, []string{name})
	if err != nil {
		return TopicState{}, err
	}
	if gone[name] {
		return TopicState{}, kafkaErr("reading the configs of topic", name, kerr.UnknownTopicOrPartition, "deleted while it was read")
	}
	return TopicState{Topic: t, Configs: configs[name]}, nil
}

// ReadTopics reads many topics in one round of Kafka requests: one Metadata
// and one DescribeConfigs, however many topics there are (not one request
// per topic, which is what makes Terraform providers crawl past a few
// hundred topics). With no names it reads every topic except internal ones;
// with names it reads those, leaving out the ones that do not exist. A
// topic deleted between the two requests is left out. The result is sorted
// by name.
//
// A topic whose metadata carries a topic-level error (a topic Kafka is
// still creating, for example) is an error naming the topic: a bulk read
// never returns a topic it could not read fully.
func (c *Client) ReadTopics(ctx context.Context, names ...string) ([]TopicState, error) {
	var ps validation.Problems
	for _, n := range names {
		checkTopicName(&ps, n)
	}
	if err := ps.Err(); err != nil {
		return nil, err
	}
	ctx, cancel := c.deadline(ctx)
	defer cancel()
	md, err := c.freshMetadata(ctx, names...)
	if err != nil {
		return nil, fmt.Errorf("reading topics: %w", err)
	}
	var read []string
	for name, mt := range md.topics {
		if mt.IsInternal && len(names) == 0 {
			continue
		}
		switch err := kerr.ErrorForCode(mt.ErrorCode); err {
		case nil:
			read = append(read, name)
		case kerr.UnknownTopicOrPartition:
		default:
			return nil, kafkaErr("reading topic", name, err, "")
		}
	}
	sort.Strings(read)
	configs, gone, err := c.topicConfigs(ctx, read)
	if err != nil {
		return nil, err
	}
	out := make([]TopicState, 0, len(read))
	for _, name := range read {
		if gone[name] {
			continue
		}
		out = append(out, TopicState{Topic: toTopic(name, md.topics[name]), Configs: configs[name]})
	}
	return out, nil
}

// topicConfigs asks for the configs of topics in one DescribeConfigs
// request and keeps only the configs set on each topic. Topics the brokers
// no longer know (deleted meanwhile) are returned in gone.
func (c *Client) topicConfigs(ctx context.Context, topics []string) (configs map[string]map[string]string, gone map[string]bool, err error) {
	configs, gone = make(map[string]map[string]string, len(topics)), map[string]bool{}
	if len(topics) == 0 {
		return configs, gone, nil
	}
	req := kmsg.NewPtrDescribeConfigsRequest()
	// Synonyms and documentation would multiply the answer's size for
	// nothing: the source of each config is all that is needed.
	req.IncludeSynonyms, req.IncludeDocumentation = false, false
	req.Resources = make([]kmsg.DescribeConfigsRequestResource, len(topics))
	for i, t := range topics {
		r := kmsg.NewDescribeConfigsRequestResource()
		r.ResourceType, r.ResourceName = kmsg.ConfigResourceTypeTopic, t
		req.Resources[i] = r
	}
	resp, err := req.RequestWith(ctx, c.cl)
	if err != nil {
		if len(topics) == 1 {
			return nil, nil, fmt.Errorf("describing the configs of topic %q: %w", topics[0], err)
		}
		return nil, nil, fmt.Errorf("describing the configs of %d topics: %w", len(topics), err)
	}
	for _, r := range resp.Resources {
		if err := kerr.ErrorForCode(r.ErrorCode); err != nil {
			if err == kerr.UnknownTopicOrPartition {
				gone[r.ResourceName] = true
				continue
			}
			return nil, nil, kafkaErr("describing the configs of topic", r.ResourceName, err, deref(r.ErrorMessage))
		}
		own := map[string]string{}
		for _, cfg := range r.Configs {
			if cfg.Source == kmsg.ConfigSourceDynamicTopicConfig && !cfg.IsSensitive && cfg.Value != nil {
				own[cfg.Name] = *cfg.Value
			}
		}
		configs[r.ResourceName] = own
	}
	for _, t := range topics {
		if configs[t] == nil && !gone[t] {
			return nil, nil, fmt.Errorf("describing the configs of topic %q: the brokers did not answer for it", t)
		}
	}
	return configs, gone, nil
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}
