// Package brokerconfig owns the `kafka` section of a service's options (the
// broker settings an operator chooses, named exactly as in DC/OS Kafka's
// config.json) and the rendering of a broker's server.properties from those
// settings plus what the scheduler decides for each broker at launch time
// (its id, listener address and port, log directory and ZooKeeper connect
// string).
//
// Scheduler-owned keys (broker.id, listeners, advertised.listeners, log.dirs,
// zookeeper.connect, node.id, process.roles) can never be overridden through
// the free-form server_properties map: a validation error naming the key.
// A server_properties key that has a named option (num.partitions) sets that
// option, parsed and checked by its rules (see rawkeys.go), so raw Kafka
// names work everywhere.
//
// Where this package departs from DC/OS Kafka's defaults, it is because the
// DC/OS default cannot work with a stock Apache Kafka distribution:
//   - kafka_metrics_reporters and metric_reporters default to empty (DC/OS
//     named StatsD reporter classes whose jars only DC/OS shipped; a stock
//     broker would fail to start with ClassNotFoundException);
//   - inter_broker_protocol_version and log_message_format_version default to
//     empty, meaning "the broker's own version" (DC/OS pinned 1.0, which
//     would silently hold a Kafka 3.x cluster at the 1.0 protocol);
//   - delete_topic_enable defaults to true, Kafka's own default since 1.0
//     (DC/OS's false predates it, and with it a topic delete is refused by
//     the brokers with TOPIC_DELETION_DISABLED; Terraform's kafka_topic
//     could then never destroy a topic). Set it to false to forbid deletes.
//
// Options that are empty or unset are not written at all, so Kafka applies
// its own default, exactly as DC/OS's template did for its optional options.
package brokerconfig

// Settings is the `kafka` section of the service options JSON. JSON names are
// DC/OS Kafka's config.json names; the type has no custom decoding, so a
// json.Decoder with DisallowUnknownFields rejects unknown keys in the section.
//
// Types follow DC/OS's schema: "integer" options are Go ints (options whose
// Kafka type is INT or SHORT) or int64s (Kafka LONG); the few LONG options
// that DC/OS carries as JSON strings (because their defaults exceed what a
// JSON number holds exactly) are strings here too and must parse as a
// 64-bit integer. Optional options are pointers: nil means "not set".
type Settings struct {
	// KafkaZookeeperURI is an alternate ZooKeeper for the brokers
	// (host:port[,host:port...][/chroot]). Empty means the service's own
	// znode, which the scheduler passes in Broker.ZookeeperConnect.
	KafkaZookeeperURI string `json:"kafka_zookeeper_uri"`
	// KafkaAdvertiseHostIP is accepted so that DC/OS options files decode;
	// it is deprecated in DC/OS and has no effect here: advertised.listeners
	// is always rendered from the address the scheduler chose.
	KafkaAdvertiseHostIP bool `json:"kafka_advertise_host_ip"`
	// ServerProperties holds arbitrary extra broker properties (raw Kafka
	// keys to values), rendered after the named options.
	ServerProperties map[string]string `json:"server_properties,omitempty"`

	AutoCreateTopicsEnable                               bool    `json:"auto_create_topics_enable"`
	AutoLeaderRebalanceEnable                            bool    `json:"auto_leader_rebalance_enable"`
	BackgroundThreads                                    int     `json:"background_threads"`
	CompressionType                                      string  `json:"compression_type"`
	DeleteTopicEnable                                    bool    `json:"delete_topic_enable"`
	DeleteRecordsPurgatoryPurgeIntervalRequests          int     `json:"delete_records_purgatory_purge_interval_requests"`
	LeaderImbalanceCheckIntervalSeconds                  int64   `json:"leader_imbalance_check_interval_seconds"`
	LeaderImbalancePerBrokerPercentage                   int     `json:"leader_imbalance_per_broker_percentage"`
	LogFlushIntervalMessages                             string  `json:"log_flush_interval_messages"`
	LogFlushIntervalMs                                   *int64  `json:"log_flush_interval_ms,omitempty"`
	LogFlushOffsetCheckpointIntervalMs                   int     `json:"log_flush_offset_checkpoint_interval_ms"`
	LogFlushSchedulerIntervalMs                          string  `json:"log_flush_scheduler_interval_ms"`
	LogFlushStartOffsetCheckpointIntervalMs              int     `json:"log_flush_start_offset_checkpoint_interval_ms"`
	LogRetentionBytes                                    string  `json:"log_retention_bytes"`
	LogRetentionMs                                       *int64  `json:"log_retention_ms,omitempty"`
	LogRetentionMinutes                                  *int    `json:"log_retention_minutes,omitempty"`
	LogRetentionHours                                    int     `json:"log_retention_hours"`
	LogRollMs                                            *int64  `json:"log_roll_ms,omitempty"`
	LogRollJitterMs                                      *int64  `json:"log_roll_jitter_ms,omitempty"`
	LogRollHours                                         int     `json:"log_roll_hours"`
	LogRollJitterHours                                   int     `json:"log_roll_jitter_hours"`
	LogSegmentBytes                                      int     `json:"log_segment_bytes"`
	LogSegmentDeleteDelayMs                              int64   `json:"log_segment_delete_delay_ms"`
	MessageMaxBytes                                      int     `json:"message_max_bytes"`
	MinInsyncReplicas                                    int     `json:"min_insync_replicas"`
	NumIOThreads                                         int     `json:"num_io_threads"`
	NumNetworkThreads                                    int     `json:"num_network_threads"`
	NumRecoveryThreadsPerDataDir                         int     `json:"num_recovery_threads_per_data_dir"`
	NumReplicaFetchers                                   int     `json:"num_replica_fetchers"`
	OffsetMetadataMaxBytes                               int     `json:"offset_metadata_max_bytes"`
	OffsetsCommitRequiredAcks                            int     `json:"offsets_commit_required_acks"`
	OffsetsCommitTimeoutMs                               int     `json:"offsets_commit_timeout_ms"`
	OffsetsLoadBufferSize                                int     `json:"offsets_load_buffer_size"`
	OffsetsRetentionCheckIntervalMs                      int64   `json:"offsets_retention_check_interval_ms"`
	OffsetsRetentionMinutes                              int     `json:"offsets_retention_minutes"`
	OffsetsTopicCompressionCodec                         int     `json:"offsets_topic_compression_codec"`
	OffsetsTopicNumPartitions                            int     `json:"offsets_topic_num_partitions"`
	OffsetsTopicReplicationFactor                        int     `json:"offsets_topic_replication_factor"`
	OffsetsTopicSegmentBytes                             int     `json:"offsets_topic_segment_bytes"`
	QueuedMaxRequests                                    int     `json:"queued_max_requests"`
	QueuedMaxRequestBytes                                int64   `json:"queued_max_request_bytes"`
	QuotaConsumerDefault                                 string  `json:"quota_consumer_default"`
	QuotaProducerDefault                                 string  `json:"quota_producer_default"`
	ReplicaFetchMaxBytes                                 int     `json:"replica_fetch_max_bytes"`
	ReplicaFetchMinBytes                                 int     `json:"replica_fetch_min_bytes"`
	ReplicaFetchWaitMaxMs                                int     `json:"replica_fetch_wait_max_ms"`
	ReplicaFetchResponseMaxBytes                         int     `json:"replica_fetch_response_max_bytes"`
	ReplicaHighWatermarkCheckpointIntervalMs             int64   `json:"replica_high_watermark_checkpoint_interval_ms"`
	ReplicaLagTimeMaxMs                                  int64   `json:"replica_lag_time_max_ms"`
	ReplicaSocketReceiveBufferBytes                      int     `json:"replica_socket_receive_buffer_bytes"`
	ReplicaSocketTimeoutMs                               int     `json:"replica_socket_timeout_ms"`
	ReplicationQuotaWindowNum                            int     `json:"replication_quota_window_num"`
	ReplicationQuotaWindowSizeSeconds                    int     `json:"replication_quota_window_size_seconds"`
	RequestTimeoutMs                                     int     `json:"request_timeout_ms"`
	SocketReceiveBufferBytes                             int     `json:"socket_receive_buffer_bytes"`
	SocketRequestMaxBytes                                int     `json:"socket_request_max_bytes"`
	SocketSendBufferBytes                                int     `json:"socket_send_buffer_bytes"`
	UncleanLeaderElectionEnable                          bool    `json:"unclean_leader_election_enable"`
	ZookeeperSessionTimeoutMs                            int     `json:"zookeeper_session_timeout_ms"`
	ConnectionsMaxIdleMs                                 int64   `json:"connections_max_idle_ms"`
	ControlledShutdownEnable                             bool    `json:"controlled_shutdown_enable"`
	ControlledShutdownMaxRetries                         int     `json:"controlled_shutdown_max_retries"`
	ControlledShutdownRetryBackoffMs                     int64   `json:"controlled_shutdown_retry_backoff_ms"`
	ControllerSocketTimeoutMs                            int     `json:"controller_socket_timeout_ms"`
	DefaultReplicationFactor                             int     `json:"default_replication_factor"`
	FetchPurgatoryPurgeIntervalRequests                  int     `json:"fetch_purgatory_purge_interval_requests"`
	GroupMaxSessionTimeoutMs                             int     `json:"group_max_session_timeout_ms"`
	GroupMinSessionTimeoutMs                             int     `json:"group_min_session_timeout_ms"`
	GroupInitialRebalanceDelayMs                         int     `json:"group_initial_rebalance_delay_ms"`
	InterBrokerProtocolVersion                           string  `json:"inter_broker_protocol_version"`
	LogMessageFormatVersion                              string  `json:"log_message_format_version"`
	LogCleanerBackoffMs                                  int64   `json:"log_cleaner_backoff_ms"`
	LogCleanerDedupeBufferSize                           int64   `json:"log_cleaner_dedupe_buffer_size"`
	LogCleanerDeleteRetentionMs                          int64   `json:"log_cleaner_delete_retention_ms"`
	LogCleanerEnable                                     bool    `json:"log_cleaner_enable"`
	LogCleanerIOBufferLoadFactor                         float64 `json:"log_cleaner_io_buffer_load_factor"`
	LogCleanerIOBufferSize                               int     `json:"log_cleaner_io_buffer_size"`
	LogCleanerIOMaxBytesPerSecond                        float64 `json:"log_cleaner_io_max_bytes_per_second"`
	LogCleanerMinCleanableRatio                          float64 `json:"log_cleaner_min_cleanable_ratio"`
	LogCleanerMinCompactionLagMs                         int64   `json:"log_cleaner_min_compaction_lag_ms"`
	LogCleanerThreads                                    int     `json:"log_cleaner_threads"`
	LogCleanupPolicy                                     string  `json:"log_cleanup_policy"`
	LogIndexIntervalBytes                                int     `json:"log_index_interval_bytes"`
	LogIndexSizeMaxBytes                                 int     `json:"log_index_size_max_bytes"`
	LogPreallocate                                       bool    `json:"log_preallocate"`
	LogRetentionCheckIntervalMs                          int64   `json:"log_retention_check_interval_ms"`
	MaxConnectionsPerIP                                  int     `json:"max_connections_per_ip"`
	MaxConnectionsPerIPOverrides                         string  `json:"max_connections_per_ip_overrides"`
	NumPartitions                                        int     `json:"num_partitions"`
	ProducerPurgatoryPurgeIntervalRequests               int     `json:"producer_purgatory_purge_interval_requests"`
	ReplicaFetchBackoffMs                                int     `json:"replica_fetch_backoff_ms"`
	ReservedBrokerMaxID                                  int     `json:"reserved_broker_max_id"`
	KafkaMetricsReporters                                string  `json:"kafka_metrics_reporters"`
	MetricReporters                                      string  `json:"metric_reporters"`
	MetricsNumSamples                                    int     `json:"metrics_num_samples"`
	MetricsSampleWindowMs                                int64   `json:"metrics_sample_window_ms"`
	QuotaWindowNum                                       int     `json:"quota_window_num"`
	QuotaWindowSizeSeconds                               int     `json:"quota_window_size_seconds"`
	TransactionStateLogSegmentBytes                      int     `json:"transaction_state_log_segment_bytes"`
	TransactionRemoveExpiredTransactionCleanupIntervalMs int     `json:"transaction_remove_expired_transaction_cleanup_interval_ms"`
	TransactionMaxTimeoutMs                              int     `json:"transaction_max_timeout_ms"`
	TransactionStateLogNumPartitions                     int     `json:"transaction_state_log_num_partitions"`
	TransactionAbortTimedOutTransactionCleanupIntervalMs int     `json:"transaction_abort_timed_out_transaction_cleanup_interval_ms"`
	TransactionStateLogLoadBufferSize                    int     `json:"transaction_state_log_load_buffer_size"`
	TransactionalIDExpirationMs                          int     `json:"transactional_id_expiration_ms"`
	TransactionStateLogReplicationFactor                 int     `json:"transaction_state_log_replication_factor"`
	TransactionStateLogMinISR                            int     `json:"transaction_state_log_min_isr"`
	ZookeeperSyncTimeMs                                  int     `json:"zookeeper_sync_time_ms"`
}

// DefaultSettings returns DC/OS Kafka's defaults (universe/config.json),
// except for the departures listed in the package comment.
func DefaultSettings() Settings {
	return Settings{
		KafkaAdvertiseHostIP: true,

		AutoCreateTopicsEnable:                               true,
		AutoLeaderRebalanceEnable:                            true,
		BackgroundThreads:                                    10,
		CompressionType:                                      "producer",
		DeleteTopicEnable:                                    true,
		DeleteRecordsPurgatoryPurgeIntervalRequests:          1,
		LeaderImbalanceCheckIntervalSeconds:                  300,
		LeaderImbalancePerBrokerPercentage:                   10,
		LogFlushIntervalMessages:                             "9223372036854775807",
		LogFlushOffsetCheckpointIntervalMs:                   60000,
		LogFlushSchedulerIntervalMs:                          "9223372036854775807",
		LogFlushStartOffsetCheckpointIntervalMs:              60000,
		LogRetentionBytes:                                    "-1",
		LogRetentionHours:                                    168,
		LogRollHours:                                         168,
		LogRollJitterHours:                                   0,
		LogSegmentBytes:                                      1073741824,
		LogSegmentDeleteDelayMs:                              60000,
		MessageMaxBytes:                                      1000012,
		MinInsyncReplicas:                                    1,
		NumIOThreads:                                         8,
		NumNetworkThreads:                                    3,
		NumRecoveryThreadsPerDataDir:                         1,
		NumReplicaFetchers:                                   1,
		OffsetMetadataMaxBytes:                               4096,
		OffsetsCommitRequiredAcks:                            -1,
		OffsetsCommitTimeoutMs:                               5000,
		OffsetsLoadBufferSize:                                5242880,
		OffsetsRetentionCheckIntervalMs:                      600000,
		OffsetsRetentionMinutes:                              1440,
		OffsetsTopicCompressionCodec:                         0,
		OffsetsTopicNumPartitions:                            50,
		OffsetsTopicReplicationFactor:                        3,
		OffsetsTopicSegmentBytes:                             104857600,
		QueuedMaxRequests:                                    500,
		QueuedMaxRequestBytes:                                -1,
		QuotaConsumerDefault:                                 "9223372036854775807",
		QuotaProducerDefault:                                 "9223372036854775807",
		ReplicaFetchMaxBytes:                                 1048576,
		ReplicaFetchMinBytes:                                 1,
		ReplicaFetchWaitMaxMs:                                500,
		ReplicaFetchResponseMaxBytes:                         10485760,
		ReplicaHighWatermarkCheckpointIntervalMs:             5000,
		ReplicaLagTimeMaxMs:                                  10000,
		ReplicaSocketReceiveBufferBytes:                      65536,
		ReplicaSocketTimeoutMs:                               30000,
		ReplicationQuotaWindowNum:                            11,
		ReplicationQuotaWindowSizeSeconds:                    1,
		RequestTimeoutMs:                                     30000,
		SocketReceiveBufferBytes:                             102400,
		SocketRequestMaxBytes:                                104857600,
		SocketSendBufferBytes:                                102400,
		UncleanLeaderElectionEnable:                          false,
		ZookeeperSessionTimeoutMs:                            6000,
		ConnectionsMaxIdleMs:                                 600000,
		ControlledShutdownEnable:                             true,
		ControlledShutdownMaxRetries:                         3,
		ControlledShutdownRetryBackoffMs:                     5000,
		ControllerSocketTimeoutMs:                            30000,
		DefaultReplicationFactor:                             1,
		FetchPurgatoryPurgeIntervalRequests:                  1000,
		GroupMaxSessionTimeoutMs:                             300000,
		GroupMinSessionTimeoutMs:                             6000,
		GroupInitialRebalanceDelayMs:                         3000,
		LogCleanerBackoffMs:                                  15000,
		LogCleanerDedupeBufferSize:                           134217728,
		LogCleanerDeleteRetentionMs:                          86400000,
		LogCleanerEnable:                                     true,
		LogCleanerIOBufferLoadFactor:                         0.9,
		LogCleanerIOBufferSize:                               524288,
		LogCleanerIOMaxBytesPerSecond:                        1.7976931348623157e+308,
		LogCleanerMinCleanableRatio:                          0.5,
		LogCleanerMinCompactionLagMs:                         0,
		LogCleanerThreads:                                    1,
		LogCleanupPolicy:                                     "delete",
		LogIndexIntervalBytes:                                4096,
		LogIndexSizeMaxBytes:                                 10485760,
		LogPreallocate:                                       false,
		LogRetentionCheckIntervalMs:                          300000,
		MaxConnectionsPerIP:                                  2147483647,
		NumPartitions:                                        1,
		ProducerPurgatoryPurgeIntervalRequests:               1000,
		ReplicaFetchBackoffMs:                                1000,
		ReservedBrokerMaxID:                                  1000,
		MetricsNumSamples:                                    2,
		MetricsSampleWindowMs:                                30000,
		QuotaWindowNum:                                       11,
		QuotaWindowSizeSeconds:                               1,
		TransactionStateLogSegmentBytes:                      104857600,
		TransactionRemoveExpiredTransactionCleanupIntervalMs: 3600000,
		TransactionMaxTimeoutMs:                              900000,
		TransactionStateLogNumPartitions:                     50,
		TransactionAbortTimedOutTransactionCleanupIntervalMs: 60000,
		TransactionStateLogLoadBufferSize:                    5242880,
		TransactionalIDExpirationMs:                          604800000,
		TransactionStateLogReplicationFactor:                 3,
		TransactionStateLogMinISR:                            2,
		ZookeeperSyncTimeMs:                                  2000,
	}
}
