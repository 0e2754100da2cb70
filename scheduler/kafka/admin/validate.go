package admin

import (
	"errors"
	"strconv"

	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/kafka/admin/topicconfig"
	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/validation"
)

// ErrUnknownBroker is wrapped by errors about a broker id the cluster does
// not know.
var ErrUnknownBroker = errors.New("unknown broker")

// TopicSpec is a topic to create.
type TopicSpec struct {
	Name string
	// Partitions is the partition count; -1 uses the brokers'
	// num.partitions.
	Partitions int32
	// ReplicationFactor is the number of replicas; -1 uses the brokers'
	// default.replication.factor.
	ReplicationFactor int16
	// Configs are topic-level configs (retention.ms, cleanup.policy, ...).
	Configs map[string]string
}

// Validate checks the spec against Kafka's rules, reporting every problem.
func (s TopicSpec) Validate() validation.Problems {
	var ps validation.Problems
	checkTopicName(&ps, s.Name)
	if s.Partitions != -1 && s.Partitions < 1 {
		ps.Add("partitions", strconv.Itoa(int(s.Partitions)), "must be at least 1, or -1 for the brokers' num.partitions")
	}
	if s.ReplicationFactor != -1 && s.ReplicationFactor < 1 {
		ps.Add("replication_factor", strconv.Itoa(int(s.ReplicationFactor)), "must be at least 1, or -1 for the brokers' default.replication.factor")
	}
	checkTopicConfigs(&ps, s.Configs)
	return ps
}

// checkName returns the problem with a topic name, or nil.
func checkName(name string) error {
	var ps validation.Problems
	checkTopicName(&ps, name)
	return ps.Err()
}

func checkTopicName(ps *validation.Problems, name string) {
	if rule := topicconfig.NameRule(name); rule != "" {
		ps.Add("topic", name, "a topic name "+rule)
	}
}

func checkTopicConfigs(ps *validation.Problems, cfg map[string]string) {
	for _, p := range topicconfig.Validate(cfg) {
		ps.Add("configs."+p.Key, p.Value, p.Rule)
	}
	for _, p := range topicconfig.CheckSettable(cfg) {
		ps.Add("configs."+p.Key, p.Value, p.Rule)
	}
}

func checkConfigKeys(ps *validation.Problems, keys []string) {
	for _, k := range keys {
		if _, ok := topicconfig.Lookup(k); !ok {
			ps.Add("configs."+k, "", "is not a Kafka topic config; see https://kafka.apache.org/documentation/#topicconfigs")
		}
	}
}

func checkBrokerID(ps *validation.Problems, id int32) {
	if id < 0 {
		ps.Add("broker", strconv.Itoa(int(id)), "a broker id must be 0 or more")
	}
}
