package devkafka

import (
	"context"
	"unicode/utf16"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/kafka/admin/topicconfig"
)

// handleMetadata answers from the registry, the same on every broker: the
// live brokers, the controller, and each topic's partitions as described in
// partitionState.
func (b *Broker) handleMetadata(ctx context.Context, v *view, r *kmsg.MetadataRequest) kmsg.Response {
	resp := r.ResponseKind().(*kmsg.MetadataResponse)
	resp.Brokers = v.metadataBrokers()
	clusterID := v.cluster.ClusterID
	resp.ClusterID = &clusterID
	resp.ControllerID = v.controller()

	all := r.Topics == nil || r.Version == 0 && len(r.Topics) == 0
	if all {
		for _, name := range v.sortedTopicNames() {
			resp.Topics = append(resp.Topics, v.metadataTopic(name, v.state.Topics[name]))
		}
		return resp
	}
	autoCreate := b.cfg.AutoCreateTopics && (r.Version < 4 || r.AllowAutoTopicCreation)
	for _, rt := range r.Topics {
		if rt.Topic == nil {
			name, t := v.topicByID(rt.TopicID)
			if t == nil {
				mt := kmsg.NewMetadataResponseTopic()
				mt.TopicID = rt.TopicID
				mt.ErrorCode = kerr.UnknownTopicID.Code
				resp.Topics = append(resp.Topics, mt)
				continue
			}
			resp.Topics = append(resp.Topics, v.metadataTopic(name, t))
			continue
		}
		name := *rt.Topic
		t := v.state.Topics[name]
		if t == nil && autoCreate {
			t = b.autoCreate(ctx, v, name)
		}
		if t == nil {
			mt := kmsg.NewMetadataResponseTopic()
			mt.Topic = &name
			mt.ErrorCode = kerr.UnknownTopicOrPartition.Code
			if topicNameInvalid(name) {
				mt.ErrorCode = kerr.InvalidTopicException.Code
			}
			resp.Topics = append(resp.Topics, mt)
			continue
		}
		resp.Topics = append(resp.Topics, v.metadataTopic(name, t))
	}
	return resp
}

// autoCreate creates a topic a client asked for by name, with the broker
// defaults (auto.create.topics.enable). It returns nil when the topic
// cannot be created.
func (b *Broker) autoCreate(ctx context.Context, v *view, name string) *Topic {
	plan, e := b.planTopic(v, createRequest{name: name, partitions: -1, rf: -1})
	if e != nil {
		b.log.Debug("not auto-creating topic", "topic", name, "reason", e.msg)
		return nil
	}
	lost, err := b.createTopics(ctx, map[string]*Topic{name: plan})
	if err != nil {
		b.log.Error("auto-creating topic", "topic", name, "err", err)
		return nil
	}
	if lost[name] != nil {
		st, err := b.reg.State()
		if err != nil {
			return nil
		}
		return st.Topics[name]
	}
	return plan
}

func (v *view) metadataBrokers() []kmsg.MetadataResponseBroker {
	var out []kmsg.MetadataResponseBroker
	for _, id := range v.live {
		rb := v.brokers[id]
		mb := kmsg.NewMetadataResponseBroker()
		mb.NodeID, mb.Host, mb.Port, mb.Rack = rb.ID, rb.Host, rb.Port, rb.Rack
		out = append(out, mb)
	}
	return out
}

func (v *view) metadataTopic(name string, t *Topic) kmsg.MetadataResponseTopic {
	mt := kmsg.NewMetadataResponseTopic()
	n := name
	mt.Topic = &n
	mt.TopicID = t.ID
	mt.IsInternal = t.Internal
	for p := range t.Replicas {
		ps := v.partition(t, p)
		mp := kmsg.NewMetadataResponseTopicPartition()
		mp.Partition = int32(p)
		mp.Leader = ps.leader
		mp.LeaderEpoch = 0 // leadership never moves, see partitionState
		mp.Replicas = ps.replicas
		mp.ISR = ps.isr
		mp.OfflineReplicas = ps.offline
		if ps.err != nil {
			mp.ErrorCode = ps.err.Code
		}
		mt.Partitions = append(mt.Partitions, mp)
	}
	return mt
}

func topicNameInvalid(name string) bool { return topicconfig.NameRule(name) != "" }

func (b *Broker) handleDescribeCluster(v *view, r *kmsg.DescribeClusterRequest) kmsg.Response {
	resp := r.ResponseKind().(*kmsg.DescribeClusterResponse)
	resp.ClusterID = v.cluster.ClusterID
	resp.ControllerID = v.controller()
	resp.EndpointType = r.EndpointType
	if r.EndpointType == 2 {
		msg := "The dev stand-in runs in ZooKeeper mode and has no KRaft controllers."
		resp.ErrorCode, resp.ErrorMessage = kerr.UnsupportedEndpointType.Code, &msg
		return resp
	}
	for _, id := range v.live {
		rb := v.brokers[id]
		db := kmsg.NewDescribeClusterResponseBroker()
		db.NodeID, db.Host, db.Port, db.Rack = rb.ID, rb.Host, rb.Port, rb.Rack
		resp.Brokers = append(resp.Brokers, db)
	}
	return resp
}

// handleFindCoordinator names the home broker of the group's
// __consumer_offsets partition, as Kafka does; the topic is created on the
// first request. Transactions are not supported by the stand-in.
func (b *Broker) handleFindCoordinator(ctx context.Context, v *view, r *kmsg.FindCoordinatorRequest) kmsg.Response {
	resp := r.ResponseKind().(*kmsg.FindCoordinatorResponse)
	keys := r.CoordinatorKeys
	if r.Version < 4 {
		keys = []string{r.CoordinatorKey}
	}
	for _, key := range keys {
		c := kmsg.NewFindCoordinatorResponseCoordinator()
		c.Key = key
		c.NodeID, c.Port = -1, -1
		if id, e := b.coordinatorFor(ctx, v, key, r.CoordinatorType); e != nil {
			c.ErrorCode, c.ErrorMessage = e.code(), e.message()
		} else {
			rb := v.brokers[id]
			c.NodeID, c.Host, c.Port = rb.ID, rb.Host, rb.Port
		}
		resp.Coordinators = append(resp.Coordinators, c)
	}
	if r.Version < 4 {
		c := resp.Coordinators[0]
		resp.ErrorCode, resp.ErrorMessage, resp.NodeID, resp.Host, resp.Port = c.ErrorCode, c.ErrorMessage, c.NodeID, c.Host, c.Port
		resp.Coordinators = nil
	}
	return resp
}

func (b *Broker) coordinatorFor(ctx context.Context, v *view, key string, keyType int8) (int32, *kafkaError) {
	if keyType != 0 {
		return -1, failf(kerr.InvalidRequest, "The dev stand-in does not support transactions (coordinator type %d).", keyType)
	}
	t, e := b.ensureInternalTopic(ctx, v, consumerOffsetsTopic, b.cfg.OffsetsTopicPartitions, b.cfg.OffsetsTopicReplication)
	if e != nil {
		return -1, e
	}
	p := int((javaStringHash(key) & 0x7fffffff) % int32(len(t.Replicas)))
	home := t.Replicas[p][0]
	if !v.isLive(home) {
		return -1, failf(kerr.CoordinatorNotAvailable, "The coordinator of group %q is broker %d, which is not live.", key, home)
	}
	return home, nil
}

// javaStringHash is Java's String.hashCode, which Kafka uses to map a group
// to its __consumer_offsets partition.
func javaStringHash(s string) int32 {
	var h int32
	for _, u := range utf16.Encode([]rune(s)) {
		h = 31*h + int32(u)
	}
	return h
}
