package admin

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"sort"
	"strconv"
	"strings"

	"github.com/twmb/franz-go/pkg/kerr"
)

// EnsureResult is what EnsureTopic found or made.
type EnsureResult struct {
	// Created is true when the call created the topic, false when it
	// existed already with the requested settings.
	Created bool       `json:"created"`
	Topic   TopicState `json:"topic"`
}

// EnsureTopic makes sure the topic exists with the spec's settings, so that
// repeating a create is safe:
//   - a topic that does not exist is created, and the call returns once
//     metadata shows all its partitions (Created);
//   - a topic that exists with the same partitions, replication factor and
//     topic configs is left alone (not Created);
//   - a topic that exists with other settings is a *ConflictError naming
//     every difference, and nothing is changed.
//
// Partitions or ReplicationFactor -1 (the brokers' defaults) match any
// existing value. Configs must match the configs set on the topic exactly:
// a config set on the topic that the spec leaves out is a difference. The
// spec is validated, and a replication factor above the live broker count
// refused, before anything is sent to create the topic.
//
// It costs one Metadata and one CreateTopics request plus one Metadata to
// see the topic, or one Metadata and one DescribeConfigs when the topic
// exists.
func (c *Client) EnsureTopic(ctx context.Context, spec TopicSpec) (EnsureResult, error) {
	if err := spec.Validate().Err(); err != nil {
		return EnsureResult{}, err
	}
	ctx, cancel := c.deadline(ctx)
	defer cancel()
	// Twice at most: a create that loses a race with another creator
	// compares with what the other one made.
	for attempt := 0; ; attempt++ {
		res, raced, err := c.ensureOnce(ctx, spec)
		if !raced || attempt > 0 {
			return res, err
		}
	}
}

func (c *Client) ensureOnce(ctx context.Context, spec TopicSpec) (res EnsureResult, raced bool, err error) {
	md, err := c.freshMetadata(ctx, spec.Name)
	if err != nil {
		return EnsureResult{}, false, fmt.Errorf("creating topic %q: %w", spec.Name, err)
	}
	existing, err := md.topic(spec.Name)
	switch {
	case err == nil:
		res, err := c.compareExisting(ctx, spec, existing)
		return res, false, err
	case !errors.Is(err, kerr.UnknownTopicOrPartition):
		return EnsureResult{}, false, kafkaErr("creating topic", spec.Name, err, "")
	}
	if err := checkReplicationFits(spec.ReplicationFactor, md); err != nil {
		return EnsureResult{}, false, err
	}
	created, err := c.createTopic(ctx, spec)
	if errors.Is(err, kerr.TopicAlreadyExists) {
		return EnsureResult{}, true, err
	}
	if err != nil {
		return EnsureResult{}, false, err
	}
	t, err := c.waitTopicShows(ctx, spec.Name, created.Partitions)
	if err != nil {
		return EnsureResult{}, false, err
	}
	configs := maps.Clone(spec.Configs)
	if configs == nil {
		configs = map[string]string{}
	}
	return EnsureResult{Created: true, Topic: TopicState{Topic: t, Configs: configs}}, false, nil
}

// compareExisting reads the existing topic's configs and compares.
func (c *Client) compareExisting(ctx context.Context, spec TopicSpec, t Topic) (EnsureResult, error) {
	configs, gone, err := c.topicConfigs(ctx, []string{spec.Name})
	if err != nil {
		return EnsureResult{}, err
	}
	if gone[spec.Name] {
		return EnsureResult{}, kafkaErr("creating topic", spec.Name, kerr.UnknownTopicOrPartition, "it was deleted while it was compared; try again")
	}
	state := TopicState{Topic: t, Configs: configs[spec.Name]}
	if diffs := Compare(spec, state); len(diffs) > 0 {
		return EnsureResult{}, &ConflictError{Topic: spec.Name, Differences: diffs}
	}
	return EnsureResult{Topic: state}, nil
}

// Compare lists how an existing topic differs from a spec, sorted by
// field: partitions and replication factor unless the spec asks for the
// brokers' defaults (-1), and every config set on either side whose values
// differ.
func Compare(spec TopicSpec, t TopicState) []Difference {
	var diffs []Difference
	if spec.Partitions != -1 && int(spec.Partitions) != len(t.Partitions) {
		diffs = append(diffs, Difference{Field: "partitions", Current: strconv.Itoa(len(t.Partitions)), Requested: strconv.Itoa(int(spec.Partitions))})
	}
	if spec.ReplicationFactor != -1 && int(spec.ReplicationFactor) != t.ReplicationFactor {
		diffs = append(diffs, Difference{Field: "replication_factor", Current: strconv.Itoa(t.ReplicationFactor), Requested: strconv.Itoa(int(spec.ReplicationFactor))})
	}
	var cfgDiffs []Difference
	for k, want := range spec.Configs {
		if have, ok := t.Configs[k]; !ok || strings.TrimSpace(have) != strings.TrimSpace(want) {
			cfgDiffs = append(cfgDiffs, Difference{Field: "configs." + k, Current: have, Requested: want})
		}
	}
	for k, have := range t.Configs {
		if _, ok := spec.Configs[k]; !ok {
			cfgDiffs = append(cfgDiffs, Difference{Field: "configs." + k, Current: have})
		}
	}
	sort.Slice(cfgDiffs, func(i, j int) bool { return cfgDiffs[i].Field < cfgDiffs[j].Field })
	return append(diffs, cfgDiffs...)
}
