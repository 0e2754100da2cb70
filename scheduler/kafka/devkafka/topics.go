package devkafka

import (
	"context"
	"fmt"
	"math/rand/v2"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/kafka/admin/topicconfig"
)

// Kafka's internal topics. The stand-in keeps __consumer_offsets in the
// registry only to place group coordinators (a group's coordinator is the
// home broker of its __consumer_offsets partition, as in Kafka); the group
// state itself lives in that broker's partition store.
const (
	consumerOffsetsTopic  = "__consumer_offsets"
	transactionStateTopic = "__transaction_state"
)

func isInternalName(name string) bool {
	return name == consumerOffsetsTopic || name == transactionStateTopic
}

// kafkaError pairs a Kafka error code with the message a broker sends.
type kafkaError struct {
	err *kerr.Error
	msg string
}

func failf(err *kerr.Error, format string, args ...any) *kafkaError {
	return &kafkaError{err: err, msg: fmt.Sprintf(format, args...)}
}

func (e *kafkaError) code() int16 {
	if e == nil {
		return 0
	}
	return e.err.Code
}

func (e *kafkaError) message() *string {
	if e == nil {
		return nil
	}
	return &e.msg
}

// assign spreads n partitions of rf replicas over the live brokers
// round-robin from start, as Kafka's rack-unaware assignment does: the
// first replica (the home broker) rotates with the partition number.
func assign(live []int32, n, rf, start int) [][]int32 {
	out := make([][]int32, n)
	for p := range n {
		replicas := make([]int32, rf)
		for j := range rf {
			replicas[j] = live[(start+p+j)%len(live)]
		}
		out[p] = replicas
	}
	return out
}

// createRequest is one topic to create, with -1 meaning the broker default.
type createRequest struct {
	name        string
	partitions  int32
	rf          int16
	assignments []kmsg.CreateTopicsRequestTopicReplicaAssignment
	configs     []kmsg.CreateTopicsRequestTopicConfig
}

// planTopic checks a topic to create against the cluster and returns the
// topic the registry should record.
func (b *Broker) planTopic(v *view, c createRequest) (*Topic, *kafkaError) {
	if rule := topicconfig.NameRule(c.name); rule != "" {
		return nil, failf(kerr.InvalidTopicException, "Topic name %q is invalid: it %s.", c.name, rule)
	}
	if isInternalName(c.name) {
		return nil, failf(kerr.InvalidRequest, "Creating the internal topic %s is not allowed.", c.name)
	}
	configs, kerrConfig := topicConfigs(c.configs)
	if kerrConfig != nil {
		return nil, kerrConfig
	}
	replicas, kerrAssign := b.planReplicas(v, c)
	if kerrAssign != nil {
		return nil, kerrAssign
	}
	if e := existsOrCollides(c.name, v.state.Topics[c.name] != nil, v.state.colliding(c.name)); e != nil {
		return nil, e
	}
	return &Topic{ID: newTopicID(), Replicas: replicas, Configs: configs}, nil
}

func (b *Broker) planReplicas(v *view, c createRequest) ([][]int32, *kafkaError) {
	if len(c.assignments) > 0 {
		if c.partitions != -1 || c.rf != -1 {
			return nil, failf(kerr.InvalidRequest, "Both numPartitions or replicationFactor and replicasAssignments were set. Both cannot be used at the same time.")
		}
		return explicitAssignment(v, c.assignments)
	}
	n, rf := c.partitions, c.rf
	if n == -1 {
		n = b.cfg.NumPartitions
	}
	if rf == -1 {
		rf = b.cfg.DefaultReplicationFactor
	}
	if n <= 0 {
		return nil, failf(kerr.InvalidPartitions, "Number of partitions was set to an invalid non-positive value.")
	}
	if rf <= 0 {
		return nil, failf(kerr.InvalidReplicationFactor, "Replication factor must be larger than 0.")
	}
	if int(rf) > len(v.live) {
		return nil, failf(kerr.InvalidReplicationFactor, "Replication factor: %d larger than available brokers: %d.", rf, len(v.live))
	}
	return assign(v.live, int(n), int(rf), rand.IntN(len(v.live))), nil
}

func explicitAssignment(v *view, as []kmsg.CreateTopicsRequestTopicReplicaAssignment) ([][]int32, *kafkaError) {
	out := make([][]int32, len(as))
	for _, a := range as {
		if a.Partition < 0 || int(a.Partition) >= len(as) || out[a.Partition] != nil {
			return nil, failf(kerr.InvalidReplicaAssignment, "Partitions must be numbered 0 to %d, each once.", len(as)-1)
		}
		if e := checkReplicaList(v, a.Replicas, len(as[0].Replicas)); e != nil {
			return nil, e
		}
		out[a.Partition] = append([]int32(nil), a.Replicas...)
	}
	return out, nil
}

// checkReplicaList checks one partition's explicit replicas: the right
// count, no repeats, every broker live.
func checkReplicaList(v *view, replicas []int32, want int) *kafkaError {
	if len(replicas) == 0 || len(replicas) != want {
		return failf(kerr.InvalidReplicaAssignment, "Every partition must have the same, non-zero number of replicas (%d).", want)
	}
	seen := map[int32]bool{}
	for _, r := range replicas {
		if seen[r] {
			return failf(kerr.InvalidReplicaAssignment, "Duplicate broker %d in replica assignment %v.", r, replicas)
		}
		seen[r] = true
		if !v.isLive(r) {
			return failf(kerr.InvalidReplicaAssignment, "Unknown or offline broker %d in replica assignment %v; live brokers are %v.", r, replicas, v.live)
		}
	}
	return nil
}

func topicConfigs(cfgs []kmsg.CreateTopicsRequestTopicConfig) (map[string]string, *kafkaError) {
	if len(cfgs) == 0 {
		return nil, nil
	}
	out := make(map[string]string, len(cfgs))
	for _, c := range cfgs {
		if c.Value == nil {
			return nil, failf(kerr.InvalidRequest, "Null value not supported for topic config %s.", c.Name)
		}
		out[c.Name] = *c.Value
	}
	if e := validateTopicConfigs(out); e != nil {
		return nil, e
	}
	return out, nil
}

func validateTopicConfigs(cfg map[string]string) *kafkaError {
	if ps := topicconfig.Validate(cfg); len(ps) > 0 {
		p := ps[0]
		if _, known := topicconfig.Lookup(p.Key); !known {
			return failf(kerr.InvalidConfig, "Unknown topic config name: %s (it %s).", p.Key, p.Rule)
		}
		return failf(kerr.InvalidConfig, "Invalid value %s for configuration %s: it %s.", p.Value, p.Key, p.Rule)
	}
	return nil
}

// existsOrCollides refuses a topic name that exists, or that collides
// with the existing topic other ("" for none).
func existsOrCollides(name string, exists bool, other string) *kafkaError {
	if exists {
		return failf(kerr.TopicAlreadyExists, "Topic '%s' already exists.", name)
	}
	if other != "" {
		return failf(kerr.InvalidTopicException, "Topic '%s' collides with existing topic: %s", name, other)
	}
	return nil
}

// createTopics records planned topics in the registry. A topic created by
// another broker since the plan was made fails with TOPIC_ALREADY_EXISTS.
func (b *Broker) createTopics(ctx context.Context, plans map[string]*Topic) (map[string]*kafkaError, error) {
	lost := map[string]*kafkaError{}
	_, err := b.reg.Update(ctx, func(x *Txn) error {
		for name, t := range plans {
			if e := existsOrCollides(name, x.Topic(name) != nil, x.Colliding(name)); e != nil {
				lost[name] = e
				continue
			}
			x.Put(name, t)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	for name, t := range plans {
		if lost[name] == nil {
			b.log.Info("created topic", "topic", name, "partitions", len(t.Replicas), "replication_factor", len(t.Replicas[0]), "replicas", t.Replicas)
		}
	}
	return lost, nil
}

func (b *Broker) handleCreateTopics(ctx context.Context, v *view, r *kmsg.CreateTopicsRequest) kmsg.Response {
	resp := r.ResponseKind().(*kmsg.CreateTopicsResponse)
	counts := map[string]int{}
	for _, t := range r.Topics {
		counts[t.Topic]++
	}
	plans := map[string]*Topic{}
	results := make([]*kafkaError, len(r.Topics))
	for i, t := range r.Topics {
		if counts[t.Topic] > 1 {
			results[i] = failf(kerr.InvalidRequest, "Create topics request from client contains multiple entries for topic %s.", t.Topic)
			continue
		}
		plan, e := b.planTopic(v, createRequest{name: t.Topic, partitions: t.NumPartitions, rf: t.ReplicationFactor, assignments: t.ReplicaAssignment, configs: t.Configs})
		if e != nil {
			results[i] = e
			continue
		}
		plans[t.Topic] = plan
	}
	if !r.ValidateOnly && len(plans) > 0 {
		lost, err := b.createTopics(ctx, plans)
		for i, t := range r.Topics {
			switch {
			case plans[t.Topic] == nil:
			case err != nil:
				results[i] = failf(kerr.UnknownServerError, "Recording the topic in the cluster registry failed: %v", err)
			case lost[t.Topic] != nil:
				results[i] = lost[t.Topic]
			}
		}
	}
	for i, t := range r.Topics {
		rt := kmsg.NewCreateTopicsResponseTopic()
		rt.Topic = t.Topic
		rt.ErrorCode, rt.ErrorMessage = results[i].code(), results[i].message()
		if plan := plans[t.Topic]; plan != nil && results[i] == nil {
			rt.TopicID = plan.ID
			rt.NumPartitions = int32(len(plan.Replicas))
			rt.ReplicationFactor = int16(len(plan.Replicas[0]))
			for _, c := range b.topicConfigEntries(plan, nil, false) {
				rc := kmsg.NewCreateTopicsResponseTopicConfig()
				rc.Name, rc.Value, rc.ReadOnly, rc.Source, rc.IsSensitive = c.Name, c.Value, c.ReadOnly, int8(c.Source), c.IsSensitive
				rt.Configs = append(rt.Configs, rc)
			}
		} else {
			rt.NumPartitions, rt.ReplicationFactor = -1, -1
		}
		resp.Topics = append(resp.Topics, rt)
	}
	return resp
}

func (b *Broker) handleCreatePartitions(ctx context.Context, v *view, r *kmsg.CreatePartitionsRequest) kmsg.Response {
	resp := r.ResponseKind().(*kmsg.CreatePartitionsResponse)
	counts := map[string]int{}
	for _, t := range r.Topics {
		counts[t.Topic]++
	}
	additions := map[string][][]int32{}
	results := make([]*kafkaError, len(r.Topics))
	for i, t := range r.Topics {
		if counts[t.Topic] > 1 {
			results[i] = failf(kerr.InvalidRequest, "Duplicate topic %s in the request.", t.Topic)
			continue
		}
		add, e := b.planPartitions(v, t)
		if e != nil {
			results[i] = e
			continue
		}
		additions[t.Topic] = add
	}
	if !r.ValidateOnly && len(additions) > 0 {
		lost := map[string]*kafkaError{}
		_, err := b.reg.Update(ctx, func(x *Txn) error {
			for name, add := range additions {
				t := x.Topic(name)
				if t == nil {
					lost[name] = failf(kerr.UnknownTopicOrPartition, "Topic %s was deleted meanwhile.", name)
					continue
				}
				nt := t.clone()
				nt.Replicas = append(nt.Replicas, add...)
				x.Put(name, nt)
			}
			return nil
		})
		for i, t := range r.Topics {
			switch {
			case additions[t.Topic] == nil:
			case err != nil:
				results[i] = failf(kerr.UnknownServerError, "Recording the partitions in the cluster registry failed: %v", err)
			case lost[t.Topic] != nil:
				results[i] = lost[t.Topic]
			default:
				b.log.Info("added partitions", "topic", t.Topic, "count", t.Count)
			}
		}
	}
	for i, t := range r.Topics {
		rt := kmsg.NewCreatePartitionsResponseTopic()
		rt.Topic = t.Topic
		rt.ErrorCode, rt.ErrorMessage = results[i].code(), results[i].message()
		resp.Topics = append(resp.Topics, rt)
	}
	return resp
}

// planPartitions returns the replica lists of the partitions to add.
func (b *Broker) planPartitions(v *view, t kmsg.CreatePartitionsRequestTopic) ([][]int32, *kafkaError) {
	topic := v.state.Topics[t.Topic]
	if topic == nil {
		return nil, failf(kerr.UnknownTopicOrPartition, "Topic %s does not exist.", t.Topic)
	}
	if topic.Internal {
		return nil, failf(kerr.InvalidRequest, "The partitions of the internal topic %s cannot be changed.", t.Topic)
	}
	current := int32(len(topic.Replicas))
	switch {
	case t.Count < current:
		return nil, failf(kerr.InvalidPartitions, "Topic currently has %d partitions, %d would not be an increase.", current, t.Count)
	case t.Count == current:
		return nil, failf(kerr.InvalidPartitions, "Topic already has %d partitions.", current)
	}
	add := int(t.Count - current)
	rf := len(topic.Replicas[0])
	if len(t.Assignment) > 0 {
		if len(t.Assignment) != add {
			return nil, failf(kerr.InvalidReplicaAssignment, "Increasing the number of partitions by %d but %d assignments provided.", add, len(t.Assignment))
		}
		out := make([][]int32, add)
		for i, a := range t.Assignment {
			if e := checkReplicaList(v, a.Replicas, rf); e != nil {
				return nil, e
			}
			out[i] = append([]int32(nil), a.Replicas...)
		}
		return out, nil
	}
	if rf > len(v.live) {
		return nil, failf(kerr.InvalidReplicationFactor, "Replication factor: %d larger than available brokers: %d.", rf, len(v.live))
	}
	return assign(v.live, add, rf, int(current)+rand.IntN(len(v.live))), nil
}

func (b *Broker) handleDeleteTopics(ctx context.Context, v *view, r *kmsg.DeleteTopicsRequest) kmsg.Response {
	resp := r.ResponseKind().(*kmsg.DeleteTopicsResponse)
	type target struct {
		name string
		id   TopicID
		err  *kafkaError
	}
	var targets []target
	add := func(name string, id TopicID, byID bool) {
		tg := target{name: name, id: id}
		switch {
		case byID:
			if tg.name, _ = v.topicByID(id); tg.name == "" {
				tg.err = failf(kerr.UnknownTopicID, "Topic id %x does not exist.", id[:])
			}
		case v.state.Topics[name] == nil:
			tg.err = failf(kerr.UnknownTopicOrPartition, "Topic %s does not exist.", name)
		}
		if tg.err == nil {
			t := v.state.Topics[tg.name]
			tg.id = t.ID
			switch {
			case !b.cfg.DeleteTopicEnable:
				tg.err = failf(kerr.TopicDeletionDisabled, "Topic deletion is disabled (delete.topic.enable=false).")
			case t.Internal:
				tg.err = failf(kerr.InvalidRequest, "The internal topic %s cannot be deleted.", tg.name)
			}
		}
		targets = append(targets, tg)
	}
	for _, name := range r.TopicNames {
		add(name, TopicID{}, false)
	}
	for _, t := range r.Topics {
		if t.Topic != nil {
			add(*t.Topic, TopicID{}, false)
		} else {
			add("", t.TopicID, true)
		}
	}
	doomed := map[string]TopicID{}
	for _, tg := range targets {
		if tg.err == nil {
			doomed[tg.name] = tg.id
		}
	}
	if len(doomed) > 0 {
		_, err := b.reg.Update(ctx, func(x *Txn) error {
			for name, id := range doomed {
				if t := x.Topic(name); t != nil && t.ID == id {
					x.Delete(name)
				}
			}
			return nil
		})
		for i := range targets {
			if _, ok := doomed[targets[i].name]; ok && targets[i].err == nil {
				if err != nil {
					targets[i].err = failf(kerr.UnknownServerError, "Removing the topic from the cluster registry failed: %v", err)
				} else {
					b.log.Info("deleted topic", "topic", targets[i].name)
				}
			}
		}
		if err == nil {
			// The local data goes in the background: a topic created
			// again under the name gets a new id, so stale data is
			// never served meanwhile.
			b.kickSync()
		}
	}
	for _, tg := range targets {
		rt := kmsg.NewDeleteTopicsResponseTopic()
		if tg.name != "" {
			name := tg.name
			rt.Topic = &name
		}
		rt.TopicID = tg.id
		rt.ErrorCode, rt.ErrorMessage = tg.err.code(), tg.err.message()
		resp.Topics = append(resp.Topics, rt)
	}
	return resp
}

// ensureInternalTopic creates an internal topic on first use, as Kafka
// does: it needs as many live brokers as its replication factor.
func (b *Broker) ensureInternalTopic(ctx context.Context, v *view, name string, partitions int32, rf int16) (*Topic, *kafkaError) {
	if t := v.state.Topics[name]; t != nil {
		return t, nil
	}
	if int(rf) > len(v.live) {
		return nil, failf(kerr.CoordinatorNotAvailable,
			"The internal topic %s needs %d live brokers (offsets.topic.replication.factor) and %d are live.", name, rf, len(v.live))
	}
	plan := &Topic{ID: newTopicID(), Internal: true, Replicas: assign(v.live, int(partitions), int(rf), 0), Configs: map[string]string{"cleanup.policy": "compact"}}
	var created *Topic
	_, err := b.reg.Update(ctx, func(x *Txn) error {
		if t := x.Topic(name); t != nil {
			created = t
			return nil
		}
		x.Put(name, plan)
		created = plan
		return nil
	})
	if err != nil {
		return nil, failf(kerr.CoordinatorNotAvailable, "Creating %s in the cluster registry failed: %v", name, err)
	}
	b.log.Info("created internal topic", "topic", name, "partitions", partitions, "replication_factor", rf)
	return created, nil
}
