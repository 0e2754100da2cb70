package admin

import (
	"context"
	"encoding/hex"
	"fmt"
	"sort"
	"strconv"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/validation"
)

// Broker is one live broker.
type Broker struct {
	ID   int32   `json:"id"`
	Host string  `json:"host"`
	Port int32   `json:"port"`
	Rack *string `json:"rack,omitempty"`
	// Controller is true for the broker Metadata names as controller.
	Controller bool `json:"controller"`
}

// Topic describes a topic and its partitions.
type Topic struct {
	Name              string      `json:"name"`
	ID                string      `json:"id"`
	Internal          bool        `json:"internal"`
	ReplicationFactor int         `json:"replication_factor"`
	Partitions        []Partition `json:"partitions"`
}

// Partition is one partition as the cluster reports it.
type Partition struct {
	Partition       int32   `json:"partition"`
	Leader          int32   `json:"leader"` // -1: no leader
	LeaderEpoch     int32   `json:"leader_epoch"`
	Replicas        []int32 `json:"replicas"`
	ISR             []int32 `json:"isr"`
	OfflineReplicas []int32 `json:"offline_replicas"`
	// Err is the partition's error, such as LEADER_NOT_AVAILABLE.
	Err error `json:"-"`
}

// clusterMetadata is one fresh Metadata response.
type clusterMetadata struct {
	controller int32
	brokers    []Broker
	live       map[int32]bool
	topics     map[string]kmsg.MetadataResponseTopic
}

// freshMetadata asks a broker directly for metadata, bypassing the client's
// cache. No topic names means every topic, internal ones included; use
// brokersOnly for none.
func (c *Client) freshMetadata(ctx context.Context, topics ...string) (*clusterMetadata, error) {
	req := kmsg.NewPtrMetadataRequest()
	req.AllowAutoTopicCreation = false
	for _, t := range topics {
		rt := kmsg.NewMetadataRequestTopic()
		rt.Topic = kmsg.StringPtr(t)
		req.Topics = append(req.Topics, rt)
	}
	return c.metadata(ctx, req)
}

func (c *Client) brokersOnly(ctx context.Context) (*clusterMetadata, error) {
	req := kmsg.NewPtrMetadataRequest()
	req.AllowAutoTopicCreation = false
	req.Topics = []kmsg.MetadataRequestTopic{}
	return c.metadata(ctx, req)
}

func (c *Client) metadata(ctx context.Context, req *kmsg.MetadataRequest) (*clusterMetadata, error) {
	resp, err := req.RequestWith(ctx, c.cl)
	if err != nil {
		return nil, fmt.Errorf("requesting cluster metadata: %w", err)
	}
	md := &clusterMetadata{controller: resp.ControllerID, live: map[int32]bool{}, topics: map[string]kmsg.MetadataResponseTopic{}}
	for _, b := range resp.Brokers {
		md.brokers = append(md.brokers, Broker{ID: b.NodeID, Host: b.Host, Port: b.Port, Rack: b.Rack, Controller: b.NodeID == resp.ControllerID})
		md.live[b.NodeID] = true
	}
	sort.Slice(md.brokers, func(i, j int) bool { return md.brokers[i].ID < md.brokers[j].ID })
	for _, t := range resp.Topics {
		if t.Topic != nil {
			md.topics[*t.Topic] = t
		}
	}
	return md, nil
}

func (md *clusterMetadata) liveIDs() []int32 {
	ids := make([]int32, len(md.brokers))
	for i, b := range md.brokers {
		ids[i] = b.ID
	}
	return ids
}

// topic returns a described topic or the topic's error.
func (md *clusterMetadata) topic(name string) (Topic, error) {
	mt, ok := md.topics[name]
	if !ok {
		return Topic{}, kerr.UnknownTopicOrPartition
	}
	if err := kerr.ErrorForCode(mt.ErrorCode); err != nil {
		return Topic{}, err
	}
	return toTopic(name, mt), nil
}

func toTopic(name string, mt kmsg.MetadataResponseTopic) Topic {
	t := Topic{Name: name, ID: hex.EncodeToString(mt.TopicID[:]), Internal: mt.IsInternal}
	for _, p := range mt.Partitions {
		t.Partitions = append(t.Partitions, Partition{
			Partition:       p.Partition,
			Leader:          p.Leader,
			LeaderEpoch:     p.LeaderEpoch,
			Replicas:        p.Replicas,
			ISR:             p.ISR,
			OfflineReplicas: p.OfflineReplicas,
			Err:             kerr.ErrorForCode(p.ErrorCode),
		})
		t.ReplicationFactor = max(t.ReplicationFactor, len(p.Replicas))
	}
	sort.Slice(t.Partitions, func(i, j int) bool { return t.Partitions[i].Partition < t.Partitions[j].Partition })
	return t
}

// ListTopics returns the names of the cluster's topics, sorted, without
// internal topics.
func (c *Client) ListTopics(ctx context.Context) ([]string, error) {
	ctx, cancel := c.deadline(ctx)
	defer cancel()
	md, err := c.freshMetadata(ctx)
	if err != nil {
		return nil, fmt.Errorf("listing topics: %w", err)
	}
	var names []string
	for name, t := range md.topics {
		if !t.IsInternal {
			names = append(names, name)
		}
	}
	sort.Strings(names)
	return names, nil
}

// DescribeTopic returns a topic's partitions, leaders, replicas and ISRs.
func (c *Client) DescribeTopic(ctx context.Context, name string) (Topic, error) {
	if err := checkName(name); err != nil {
		return Topic{}, err
	}
	ctx, cancel := c.deadline(ctx)
	defer cancel()
	md, err := c.freshMetadata(ctx, name)
	if err != nil {
		return Topic{}, fmt.Errorf("describing topic %q: %w", name, err)
	}
	t, err := md.topic(name)
	if err != nil {
		return Topic{}, kafkaErr("describing topic", name, err, "")
	}
	return t, nil
}

// CreatedTopic is what the cluster created.
type CreatedTopic struct {
	Name              string `json:"name"`
	ID                string `json:"id"`
	Partitions        int32  `json:"partitions"`
	ReplicationFactor int16  `json:"replication_factor"`
}

// CreateTopic creates a topic, as kafka-topics.sh --create does: a topic
// that exists already is an error wrapping kerr.TopicAlreadyExists (use
// EnsureTopic for an idempotent create). A replication factor above the
// number of live brokers is refused before anything is sent to create it.
// It returns once metadata shows the topic with all its partitions.
func (c *Client) CreateTopic(ctx context.Context, spec TopicSpec) (CreatedTopic, error) {
	if err := spec.Validate().Err(); err != nil {
		return CreatedTopic{}, err
	}
	ctx, cancel := c.deadline(ctx)
	defer cancel()
	md, err := c.freshMetadata(ctx, spec.Name)
	if err != nil {
		return CreatedTopic{}, fmt.Errorf("creating topic %q: %w", spec.Name, err)
	}
	if err := checkReplicationFits(spec.ReplicationFactor, md); err != nil {
		return CreatedTopic{}, err
	}
	created, err := c.createTopic(ctx, spec)
	if err != nil {
		return CreatedTopic{}, err
	}
	if _, err := c.waitTopicShows(ctx, spec.Name, created.Partitions); err != nil {
		return CreatedTopic{}, err
	}
	return created, nil
}

// checkReplicationFits refuses a replication factor above the number of
// live brokers in md; -1 (the brokers' default) is the brokers' to check.
func checkReplicationFits(rf int16, md *clusterMetadata) error {
	if rf <= 0 || int(rf) <= len(md.brokers) {
		return nil
	}
	var ps validation.Problems
	ps.Addf("replication_factor", strconv.Itoa(int(rf)),
		"must not exceed the number of live brokers (%d: %v); start more brokers or ask for fewer replicas", len(md.brokers), md.liveIDs())
	return ps
}

// createTopic sends one CreateTopics request.
func (c *Client) createTopic(ctx context.Context, spec TopicSpec) (CreatedTopic, error) {
	configs := make(map[string]*string, len(spec.Configs))
	for k, v := range spec.Configs {
		configs[k] = kadm.StringPtr(v)
	}
	resp, err := c.adm.CreateTopic(ctx, spec.Partitions, spec.ReplicationFactor, configs, spec.Name)
	if err != nil {
		return CreatedTopic{}, kafkaErr("creating topic", spec.Name, err, resp.ErrMessage)
	}
	c.log.Debug("created topic", "topic", spec.Name, "partitions", resp.NumPartitions, "replication_factor", resp.ReplicationFactor)
	return CreatedTopic{Name: spec.Name, ID: hex.EncodeToString(resp.ID[:]), Partitions: resp.NumPartitions, ReplicationFactor: resp.ReplicationFactor}, nil
}

// DeleteTopic deletes a topic and returns once metadata no longer shows it.
// The brokers refuse it with TOPIC_DELETION_DISABLED when
// delete.topic.enable is false; an unknown topic is an error wrapping
// kerr.UnknownTopicOrPartition.
func (c *Client) DeleteTopic(ctx context.Context, name string) error {
	if err := checkName(name); err != nil {
		return err
	}
	ctx, cancel := c.deadline(ctx)
	defer cancel()
	resp, err := c.adm.DeleteTopic(ctx, name)
	if err != nil {
		return kafkaErr("deleting topic", name, err, resp.ErrMessage)
	}
	if err := c.waitTopicGone(ctx, name); err != nil {
		return err
	}
	c.log.Debug("deleted topic", "topic", name)
	return nil
}

// SetPartitions raises a topic's partition count to count and returns once
// metadata shows them. Kafka cannot decrease partitions: a smaller count is
// refused with a validation error and nothing is changed. The current count
// is a no-op.
func (c *Client) SetPartitions(ctx context.Context, name string, count int32) error {
	var ps validation.Problems
	checkTopicName(&ps, name)
	if count < 1 {
		ps.Add("partitions", strconv.Itoa(int(count)), "must be at least 1")
	}
	if err := ps.Err(); err != nil {
		return err
	}
	ctx, cancel := c.deadline(ctx)
	defer cancel()
	md, err := c.freshMetadata(ctx, name)
	if err != nil {
		return fmt.Errorf("changing the partitions of topic %q: %w", name, err)
	}
	t, err := md.topic(name)
	if err != nil {
		return kafkaErr("changing the partitions of topic", name, err, "")
	}
	current := int32(len(t.Partitions))
	switch {
	case count == current:
		return nil
	case count < current:
		ps.Addf("partitions", strconv.Itoa(int(count)),
			"cannot be lower than topic %q's current %d: Kafka cannot remove partitions; recreate the topic to have fewer", name, current)
		return ps
	}
	resps, err := c.adm.UpdatePartitions(ctx, int(count), name)
	if err == nil {
		if r, ok := resps[name]; ok && r.Err != nil {
			return kafkaErr(fmt.Sprintf("raising from %d to %d the partitions of topic", current, count), name, r.Err, r.ErrMessage)
		}
	}
	if err != nil {
		return fmt.Errorf("raising topic %q from %d to %d partitions: %w", name, current, count, err)
	}
	if _, err := c.waitTopicShows(ctx, name, count); err != nil {
		return err
	}
	c.log.Debug("raised partitions", "topic", name, "from", current, "to", count)
	return nil
}
