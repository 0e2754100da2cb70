package api

// Wire types of the topic and broker endpoints: the JSON topic API for
// programs under /service/{name}/v2/topics, and the DC/OS-compatible topic
// and broker endpoints under /service/{name}/v1/.

// TopicSpec is a topic to create (POST /v2/topics).
type TopicSpec struct {
	Name string `json:"name"`
	// Partitions is the partition count; -1 uses the brokers'
	// num.partitions (and matches any count of an existing topic).
	Partitions int32 `json:"partitions"`
	// ReplicationFactor is the number of replicas; -1 uses the brokers'
	// default.replication.factor (and matches any factor of an existing
	// topic).
	ReplicationFactor int16 `json:"replication_factor"`
	// Configs are the topic's own configs ("retention.ms", ...); an
	// existing topic must have exactly these set to be the same topic.
	Configs map[string]string `json:"configs,omitempty"`
}

// Topic is one topic as the JSON topic API answers it.
type Topic struct {
	Name     string `json:"name"`
	ID       string `json:"id"`
	Internal bool   `json:"internal"`
	// Partitions is the partition count.
	Partitions int `json:"partitions"`
	// ReplicationFactor is the largest replica count of any partition.
	ReplicationFactor int `json:"replication_factor"`
	// Configs are only the configs set on the topic itself
	// (DescribeConfigs source DYNAMIC_TOPIC_CONFIG), never broker defaults
	// or synonyms; never null.
	Configs map[string]string `json:"configs"`
	// PartitionDetails lists every partition, in order.
	PartitionDetails []TopicPartition `json:"partition_details"`
}

// TopicPartition is one partition of a Topic.
type TopicPartition struct {
	Partition int32 `json:"partition"`
	// Leader is -1 when the partition has no leader.
	Leader          int32   `json:"leader"`
	LeaderEpoch     int32   `json:"leader_epoch"`
	Replicas        []int32 `json:"replicas"`
	ISR             []int32 `json:"isr"`
	OfflineReplicas []int32 `json:"offline_replicas"`
	// Error is the partition's Kafka error ("LEADER_NOT_AVAILABLE"), or "".
	Error string `json:"error,omitempty"`
}

// TopicList answers GET /v2/topics: every topic, sorted by name.
type TopicList struct {
	Topics []Topic `json:"topics"`
}

// TopicConfigUpdate changes a topic's configs (PUT /v2/topics/{topic}/configs):
// Set sets values, Reset removes keys from the topic (back to the brokers'
// default). Other configs stay as they are.
type TopicConfigUpdate struct {
	Set   map[string]string `json:"set,omitempty"`
	Reset []string          `json:"reset,omitempty"`
}

// TopicPartitionsUpdate raises a topic's partition count
// (PUT /v2/topics/{topic}/partitions).
type TopicPartitionsUpdate struct {
	Partitions int32 `json:"partitions"`
}

// TopicReplicationUpdate changes a topic's replication factor
// (PUT /v2/topics/{topic}/replication).
type TopicReplicationUpdate struct {
	ReplicationFactor int16 `json:"replication_factor"`
}

// DCOSPartition is one partition of GET /v1/topics/{topic}, as DC/OS
// Kafka answered it from ZooKeeper's partition state: a list of one-key
// objects {"<partition>": DCOSPartition}.
type DCOSPartition struct {
	// ControllerEpoch is always 1: the Kafka protocol does not expose
	// the controller epoch that ZooKeeper held.
	ControllerEpoch int     `json:"controller_epoch"`
	ISR             []int32 `json:"isr"`
	Leader          int32   `json:"leader"`
	LeaderEpoch     int32   `json:"leader_epoch"`
	// Version is the partition state's schema version, 1.
	Version int `json:"version"`
}

// DCOSTopic answers GET (or POST) /v1/topics/{topic}.
type DCOSTopic struct {
	Partitions []map[string]DCOSPartition `json:"partitions"`
}

// DCOSBrokers answers GET /v1/brokers: the live broker ids, as strings.
type DCOSBrokers struct {
	Brokers []string `json:"brokers"`
}

// BrokerDetail answers GET /v1/brokers/{id}: where the broker listens, as
// it registered with the cluster, and the Mesos task that runs it.
type BrokerDetail struct {
	ID   string `json:"id"`
	Host string `json:"host"`
	Port int32  `json:"port"`
	// Endpoints are the broker's listeners ("PLAINTEXT://host:port").
	Endpoints                   []string          `json:"endpoints"`
	ListenerSecurityProtocolMap map[string]string `json:"listener_security_protocol_map"`
	Rack                        *string           `json:"rack"`
	// Controller is true for the cluster's controller.
	Controller bool `json:"controller"`
	// Pod, TaskID, TaskName and TaskState describe the task running the
	// broker (empty when the scheduler has none for it); AgentID and
	// Hostname the Mesos agent it runs on.
	Pod       string `json:"pod"`
	TaskID    string `json:"task_id"`
	TaskName  string `json:"task_name"`
	TaskState string `json:"task_state"`
	AgentID   string `json:"agent_id"`
	Hostname  string `json:"hostname"`
}
