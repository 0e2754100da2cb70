package brokerconfig

import (
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"

	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/validation"
)

// option ties one named setting to its Kafka property: how to render its
// value and which rules it must follow. Render and Validate both walk the
// same table, so a setting can never be rendered without being validated.
type option struct {
	json string // name in the options JSON
	key  string // Kafka property
	// value returns the rendered value, or false when the option is unset
	// and must not be written.
	value func() (string, bool)
	// check records every rule the current value breaks.
	check func(ps *validation.Problems)
}

const (
	minInt32 = math.MinInt32
	maxInt32 = math.MaxInt32
	maxInt16 = math.MaxInt16
)

// intOpt is a Kafka INT (or SHORT, with hi = maxInt16) option.
func intOpt(json, key string, v *int, lo, hi int64) option {
	return option{
		json:  json,
		key:   key,
		value: func() (string, bool) { return strconv.Itoa(*v), true },
		check: func(ps *validation.Problems) { checkRange(ps, json, int64(*v), lo, hi) },
	}
}

// longOpt is a Kafka LONG option carried as a JSON number.
func longOpt(json, key string, v *int64, lo int64) option {
	return option{
		json:  json,
		key:   key,
		value: func() (string, bool) { return strconv.FormatInt(*v, 10), true },
		check: func(ps *validation.Problems) { checkRange(ps, json, *v, lo, math.MaxInt64) },
	}
}

// optionalIntOpt is an INT option that is only written when set.
func optionalIntOpt(json, key string, v **int, rule func(int64) string) option {
	return option{
		json: json,
		key:  key,
		value: func() (string, bool) {
			if *v == nil {
				return "", false
			}
			return strconv.Itoa(**v), true
		},
		check: func(ps *validation.Problems) {
			if *v == nil {
				return
			}
			n := int64(**v)
			if n < minInt32 || n > maxInt32 {
				checkRange(ps, json, n, minInt32, maxInt32)
				return
			}
			if r := rule(n); r != "" {
				ps.Add(json, strconv.FormatInt(n, 10), r)
			}
		},
	}
}

// optionalLongOpt is a LONG option that is only written when set.
func optionalLongOpt(json, key string, v **int64, rule func(int64) string) option {
	return option{
		json: json,
		key:  key,
		value: func() (string, bool) {
			if *v == nil {
				return "", false
			}
			return strconv.FormatInt(**v, 10), true
		},
		check: func(ps *validation.Problems) {
			if *v == nil {
				return
			}
			if r := rule(**v); r != "" {
				ps.Add(json, strconv.FormatInt(**v, 10), r)
			}
		},
	}
}

// longStringOpt is a Kafka LONG option that DC/OS carries as a JSON string.
func longStringOpt(json, key string, v *string, lo int64) option {
	return option{
		json:  json,
		key:   key,
		value: func() (string, bool) { return strings.TrimSpace(*v), true },
		check: func(ps *validation.Problems) {
			if len(*v) > MaxStringLength {
				ps.Addf(json, *v, "must be at most %d bytes long; it is %d", MaxStringLength, len(*v))
				return
			}
			n, err := strconv.ParseInt(strings.TrimSpace(*v), 10, 64)
			if err != nil {
				ps.Add(json, *v, "must be a whole number between -9223372036854775808 and 9223372036854775807, written as a JSON string")
				return
			}
			checkRange(ps, json, n, lo, math.MaxInt64)
		},
	}
}

// floatOpt is a Kafka DOUBLE option.
func floatOpt(json, key string, v *float64, lo, hi float64) option {
	return option{
		json:  json,
		key:   key,
		value: func() (string, bool) { return strconv.FormatFloat(*v, 'g', -1, 64), true },
		check: func(ps *validation.Problems) {
			if math.IsNaN(*v) || *v < lo || *v > hi {
				ps.Add(json, strconv.FormatFloat(*v, 'g', -1, 64), describeFloatRange(lo, hi))
			}
		},
	}
}

// boolOpt is a Kafka BOOLEAN option.
func boolOpt(json, key string, v *bool) option {
	return option{
		json:  json,
		key:   key,
		value: func() (string, bool) { return strconv.FormatBool(*v), true },
		check: func(*validation.Problems) {},
	}
}

// stringOpt is a STRING or LIST option. An empty value is not written when
// optional is true and is an error otherwise. rule returns "" for a valid
// non-empty value.
func stringOpt(json, key string, v *string, optional bool, rule func(string) string) option {
	return option{
		json: json,
		key:  key,
		value: func() (string, bool) {
			s := strings.TrimSpace(*v)
			return s, s != ""
		},
		check: func(ps *validation.Problems) {
			s := strings.TrimSpace(*v)
			if s == "" {
				if !optional {
					ps.Add(json, *v, "must not be empty")
				}
				return
			}
			if len(s) > MaxStringLength {
				ps.Addf(json, s, "must be at most %d bytes long; it is %d", MaxStringLength, len(s))
				return
			}
			if r := rule(s); r != "" {
				ps.Add(json, *v, r)
			}
		},
	}
}

func checkRange(ps *validation.Problems, field string, n, lo, hi int64) {
	if n >= lo && n <= hi {
		return
	}
	ps.Add(field, strconv.FormatInt(n, 10), describeRange(n, lo, hi))
}

// describeRange names the bound n breaks: both bounds when the range is a
// real two-sided rule, otherwise only the side that was crossed (the other
// side being the limit of the Kafka type).
func describeRange(n, lo, hi int64) string {
	typeLow := lo == minInt32 || lo == math.MinInt64
	typeHigh := hi == maxInt32 || hi == math.MaxInt64
	switch {
	case !typeLow && !typeHigh:
		return fmt.Sprintf("must be between %d and %d", lo, hi)
	case n < lo:
		return fmt.Sprintf("must be at least %d", lo)
	default:
		return fmt.Sprintf("must be at most %d", hi)
	}
}

func describeFloatRange(lo, hi float64) string {
	if hi == math.MaxFloat64 {
		return fmt.Sprintf("must be a number of at least %g", lo)
	}
	return fmt.Sprintf("must be a number between %g and %g", lo, hi)
}

// atLeastOrUnlimited accepts -1 (Kafka's "no limit") or any value >= lo.
func atLeastOrUnlimited(lo int64) func(int64) string {
	return func(n int64) string {
		if n == -1 || n >= lo {
			return ""
		}
		return fmt.Sprintf("must be -1 (unlimited) or at least %d", lo)
	}
}

func atLeast(lo int64) func(int64) string {
	return func(n int64) string {
		if n >= lo {
			return ""
		}
		return fmt.Sprintf("must be at least %d", lo)
	}
}

func oneOf(allowed ...string) func(string) string {
	return func(s string) string {
		for _, a := range allowed {
			if s == a {
				return ""
			}
		}
		return "must be one of " + strings.Join(allowed, ", ")
	}
}

// cleanupPolicy is Kafka's log.cleanup.policy: a comma list of delete and
// compact.
func cleanupPolicy(s string) string {
	for _, p := range strings.Split(s, ",") {
		switch strings.TrimSpace(p) {
		case "delete", "compact":
		default:
			return `must be a comma-separated list of "delete" and "compact"`
		}
	}
	return ""
}

var kafkaVersionPattern = regexp.MustCompile(`^[0-9]+\.[0-9]+(\.[0-9]+)?(-IV[0-9]+)?$`)

// kafkaVersion is an inter.broker.protocol.version-style version.
func kafkaVersion(s string) string {
	if kafkaVersionPattern.MatchString(s) {
		return ""
	}
	return `must be a Kafka version such as "3.9" or "2.8-IV1", or empty to use the broker's own version`
}

var javaClassPattern = regexp.MustCompile(`^[A-Za-z_$][A-Za-z0-9_$]*(\.[A-Za-z_$][A-Za-z0-9_$]*)*$`)

// classList is a comma list of fully qualified Java class names.
func classList(s string) string {
	for _, c := range strings.Split(s, ",") {
		if !javaClassPattern.MatchString(strings.TrimSpace(c)) {
			return "must be a comma-separated list of fully qualified Java class names whose jars are in the broker's libs/ folder"
		}
	}
	return ""
}

// connectionOverrides is max.connections.per.ip.overrides: host:count,...
func connectionOverrides(s string) string {
	const rule = `must be a comma-separated list of "host:count" pairs, for example "10.0.0.1:200,broker-host:50"`
	for _, pair := range strings.Split(s, ",") {
		i := strings.LastIndex(pair, ":")
		if i <= 0 {
			return rule
		}
		host, count := strings.TrimSpace(pair[:i]), strings.TrimSpace(pair[i+1:])
		if host == "" || strings.ContainsAny(host, " \t") {
			return rule
		}
		if n, err := strconv.ParseInt(count, 10, 32); err != nil || n < 0 {
			return rule
		}
	}
	return ""
}

var compressionTypes = []string{"producer", "uncompressed", "gzip", "snappy", "lz4", "zstd"}

// options lists every named setting in the order of DC/OS's config.json.
func (s *Settings) options() []option {
	return []option{
		boolOpt("auto_create_topics_enable", "auto.create.topics.enable", &s.AutoCreateTopicsEnable),
		boolOpt("auto_leader_rebalance_enable", "auto.leader.rebalance.enable", &s.AutoLeaderRebalanceEnable),
		intOpt("background_threads", "background.threads", &s.BackgroundThreads, 1, maxInt32),
		stringOpt("compression_type", "compression.type", &s.CompressionType, false, oneOf(compressionTypes...)),
		boolOpt("delete_topic_enable", "delete.topic.enable", &s.DeleteTopicEnable),
		intOpt("delete_records_purgatory_purge_interval_requests", "delete.records.purgatory.purge.interval.requests", &s.DeleteRecordsPurgatoryPurgeIntervalRequests, minInt32, maxInt32),
		longOpt("leader_imbalance_check_interval_seconds", "leader.imbalance.check.interval.seconds", &s.LeaderImbalanceCheckIntervalSeconds, 1),
		intOpt("leader_imbalance_per_broker_percentage", "leader.imbalance.per.broker.percentage", &s.LeaderImbalancePerBrokerPercentage, 0, 100),
		longStringOpt("log_flush_interval_messages", "log.flush.interval.messages", &s.LogFlushIntervalMessages, 1),
		optionalLongOpt("log_flush_interval_ms", "log.flush.interval.ms", &s.LogFlushIntervalMs, atLeast(0)),
		intOpt("log_flush_offset_checkpoint_interval_ms", "log.flush.offset.checkpoint.interval.ms", &s.LogFlushOffsetCheckpointIntervalMs, 0, maxInt32),
		longStringOpt("log_flush_scheduler_interval_ms", "log.flush.scheduler.interval.ms", &s.LogFlushSchedulerIntervalMs, math.MinInt64),
		intOpt("log_flush_start_offset_checkpoint_interval_ms", "log.flush.start.offset.checkpoint.interval.ms", &s.LogFlushStartOffsetCheckpointIntervalMs, 0, maxInt32),
		longStringOpt("log_retention_bytes", "log.retention.bytes", &s.LogRetentionBytes, math.MinInt64),
		optionalLongOpt("log_retention_ms", "log.retention.ms", &s.LogRetentionMs, atLeastOrUnlimited(1)),
		optionalIntOpt("log_retention_minutes", "log.retention.minutes", &s.LogRetentionMinutes, atLeastOrUnlimited(1)),
		{
			json:  "log_retention_hours",
			key:   "log.retention.hours",
			value: func() (string, bool) { return strconv.Itoa(s.LogRetentionHours), true },
			check: func(ps *validation.Problems) {
				n := int64(s.LogRetentionHours)
				if n < minInt32 || n > maxInt32 {
					checkRange(ps, "log_retention_hours", n, minInt32, maxInt32)
				} else if r := atLeastOrUnlimited(1)(n); r != "" {
					ps.Add("log_retention_hours", strconv.FormatInt(n, 10), r)
				}
			},
		},
		optionalLongOpt("log_roll_ms", "log.roll.ms", &s.LogRollMs, atLeast(1)),
		optionalLongOpt("log_roll_jitter_ms", "log.roll.jitter.ms", &s.LogRollJitterMs, atLeast(0)),
		intOpt("log_roll_hours", "log.roll.hours", &s.LogRollHours, 1, maxInt32),
		intOpt("log_roll_jitter_hours", "log.roll.jitter.hours", &s.LogRollJitterHours, 0, maxInt32),
		intOpt("log_segment_bytes", "log.segment.bytes", &s.LogSegmentBytes, 14, maxInt32),
		longOpt("log_segment_delete_delay_ms", "log.segment.delete.delay.ms", &s.LogSegmentDeleteDelayMs, 0),
		intOpt("message_max_bytes", "message.max.bytes", &s.MessageMaxBytes, 0, maxInt32),
		intOpt("min_insync_replicas", "min.insync.replicas", &s.MinInsyncReplicas, 1, maxInt32),
		intOpt("num_io_threads", "num.io.threads", &s.NumIOThreads, 1, maxInt32),
		intOpt("num_network_threads", "num.network.threads", &s.NumNetworkThreads, 1, maxInt32),
		intOpt("num_recovery_threads_per_data_dir", "num.recovery.threads.per.data.dir", &s.NumRecoveryThreadsPerDataDir, 1, maxInt32),
		intOpt("num_replica_fetchers", "num.replica.fetchers", &s.NumReplicaFetchers, 1, maxInt32),
		intOpt("offset_metadata_max_bytes", "offset.metadata.max.bytes", &s.OffsetMetadataMaxBytes, 0, maxInt32),
		intOpt("offsets_commit_required_acks", "offsets.commit.required.acks", &s.OffsetsCommitRequiredAcks, -1, maxInt16),
		intOpt("offsets_commit_timeout_ms", "offsets.commit.timeout.ms", &s.OffsetsCommitTimeoutMs, 1, maxInt32),
		intOpt("offsets_load_buffer_size", "offsets.load.buffer.size", &s.OffsetsLoadBufferSize, 1, maxInt32),
		longOpt("offsets_retention_check_interval_ms", "offsets.retention.check.interval.ms", &s.OffsetsRetentionCheckIntervalMs, 1),
		intOpt("offsets_retention_minutes", "offsets.retention.minutes", &s.OffsetsRetentionMinutes, 1, maxInt32),
		intOpt("offsets_topic_compression_codec", "offsets.topic.compression.codec", &s.OffsetsTopicCompressionCodec, 0, 4),
		intOpt("offsets_topic_num_partitions", "offsets.topic.num.partitions", &s.OffsetsTopicNumPartitions, 1, maxInt32),
		intOpt("offsets_topic_replication_factor", "offsets.topic.replication.factor", &s.OffsetsTopicReplicationFactor, 1, maxInt16),
		intOpt("offsets_topic_segment_bytes", "offsets.topic.segment.bytes", &s.OffsetsTopicSegmentBytes, 1, maxInt32),
		intOpt("queued_max_requests", "queued.max.requests", &s.QueuedMaxRequests, 1, maxInt32),
		longOpt("queued_max_request_bytes", "queued.max.request.bytes", &s.QueuedMaxRequestBytes, math.MinInt64),
		longStringOpt("quota_consumer_default", "quota.consumer.default", &s.QuotaConsumerDefault, 1),
		longStringOpt("quota_producer_default", "quota.producer.default", &s.QuotaProducerDefault, 1),
		intOpt("replica_fetch_max_bytes", "replica.fetch.max.bytes", &s.ReplicaFetchMaxBytes, 0, maxInt32),
		intOpt("replica_fetch_min_bytes", "replica.fetch.min.bytes", &s.ReplicaFetchMinBytes, minInt32, maxInt32),
		intOpt("replica_fetch_wait_max_ms", "replica.fetch.wait.max.ms", &s.ReplicaFetchWaitMaxMs, minInt32, maxInt32),
		intOpt("replica_fetch_response_max_bytes", "replica.fetch.response.max.bytes", &s.ReplicaFetchResponseMaxBytes, 0, maxInt32),
		longOpt("replica_high_watermark_checkpoint_interval_ms", "replica.high.watermark.checkpoint.interval.ms", &s.ReplicaHighWatermarkCheckpointIntervalMs, math.MinInt64),
		longOpt("replica_lag_time_max_ms", "replica.lag.time.max.ms", &s.ReplicaLagTimeMaxMs, math.MinInt64),
		intOpt("replica_socket_receive_buffer_bytes", "replica.socket.receive.buffer.bytes", &s.ReplicaSocketReceiveBufferBytes, minInt32, maxInt32),
		intOpt("replica_socket_timeout_ms", "replica.socket.timeout.ms", &s.ReplicaSocketTimeoutMs, minInt32, maxInt32),
		intOpt("replication_quota_window_num", "replication.quota.window.num", &s.ReplicationQuotaWindowNum, 1, maxInt32),
		intOpt("replication_quota_window_size_seconds", "replication.quota.window.size.seconds", &s.ReplicationQuotaWindowSizeSeconds, 1, maxInt32),
		intOpt("request_timeout_ms", "request.timeout.ms", &s.RequestTimeoutMs, minInt32, maxInt32),
		intOpt("socket_receive_buffer_bytes", "socket.receive.buffer.bytes", &s.SocketReceiveBufferBytes, minInt32, maxInt32),
		intOpt("socket_request_max_bytes", "socket.request.max.bytes", &s.SocketRequestMaxBytes, 1, maxInt32),
		intOpt("socket_send_buffer_bytes", "socket.send.buffer.bytes", &s.SocketSendBufferBytes, minInt32, maxInt32),
		boolOpt("unclean_leader_election_enable", "unclean.leader.election.enable", &s.UncleanLeaderElectionEnable),
		intOpt("zookeeper_session_timeout_ms", "zookeeper.session.timeout.ms", &s.ZookeeperSessionTimeoutMs, minInt32, maxInt32),
		longOpt("connections_max_idle_ms", "connections.max.idle.ms", &s.ConnectionsMaxIdleMs, math.MinInt64),
		boolOpt("controlled_shutdown_enable", "controlled.shutdown.enable", &s.ControlledShutdownEnable),
		intOpt("controlled_shutdown_max_retries", "controlled.shutdown.max.retries", &s.ControlledShutdownMaxRetries, minInt32, maxInt32),
		longOpt("controlled_shutdown_retry_backoff_ms", "controlled.shutdown.retry.backoff.ms", &s.ControlledShutdownRetryBackoffMs, math.MinInt64),
		intOpt("controller_socket_timeout_ms", "controller.socket.timeout.ms", &s.ControllerSocketTimeoutMs, minInt32, maxInt32),
		intOpt("default_replication_factor", "default.replication.factor", &s.DefaultReplicationFactor, 1, maxInt16),
		intOpt("fetch_purgatory_purge_interval_requests", "fetch.purgatory.purge.interval.requests", &s.FetchPurgatoryPurgeIntervalRequests, minInt32, maxInt32),
		intOpt("group_max_session_timeout_ms", "group.max.session.timeout.ms", &s.GroupMaxSessionTimeoutMs, minInt32, maxInt32),
		intOpt("group_min_session_timeout_ms", "group.min.session.timeout.ms", &s.GroupMinSessionTimeoutMs, minInt32, maxInt32),
		intOpt("group_initial_rebalance_delay_ms", "group.initial.rebalance.delay.ms", &s.GroupInitialRebalanceDelayMs, minInt32, maxInt32),
		stringOpt("inter_broker_protocol_version", "inter.broker.protocol.version", &s.InterBrokerProtocolVersion, true, kafkaVersion),
		stringOpt("log_message_format_version", "log.message.format.version", &s.LogMessageFormatVersion, true, kafkaVersion),
		longOpt("log_cleaner_backoff_ms", "log.cleaner.backoff.ms", &s.LogCleanerBackoffMs, 0),
		longOpt("log_cleaner_dedupe_buffer_size", "log.cleaner.dedupe.buffer.size", &s.LogCleanerDedupeBufferSize, math.MinInt64),
		longOpt("log_cleaner_delete_retention_ms", "log.cleaner.delete.retention.ms", &s.LogCleanerDeleteRetentionMs, 0),
		boolOpt("log_cleaner_enable", "log.cleaner.enable", &s.LogCleanerEnable),
		floatOpt("log_cleaner_io_buffer_load_factor", "log.cleaner.io.buffer.load.factor", &s.LogCleanerIOBufferLoadFactor, -math.MaxFloat64, math.MaxFloat64),
		intOpt("log_cleaner_io_buffer_size", "log.cleaner.io.buffer.size", &s.LogCleanerIOBufferSize, 0, maxInt32),
		floatOpt("log_cleaner_io_max_bytes_per_second", "log.cleaner.io.max.bytes.per.second", &s.LogCleanerIOMaxBytesPerSecond, -math.MaxFloat64, math.MaxFloat64),
		floatOpt("log_cleaner_min_cleanable_ratio", "log.cleaner.min.cleanable.ratio", &s.LogCleanerMinCleanableRatio, 0, 1),
		longOpt("log_cleaner_min_compaction_lag_ms", "log.cleaner.min.compaction.lag.ms", &s.LogCleanerMinCompactionLagMs, 0),
		intOpt("log_cleaner_threads", "log.cleaner.threads", &s.LogCleanerThreads, 0, maxInt32),
		stringOpt("log_cleanup_policy", "log.cleanup.policy", &s.LogCleanupPolicy, false, cleanupPolicy),
		intOpt("log_index_interval_bytes", "log.index.interval.bytes", &s.LogIndexIntervalBytes, 0, maxInt32),
		intOpt("log_index_size_max_bytes", "log.index.size.max.bytes", &s.LogIndexSizeMaxBytes, 4, maxInt32),
		boolOpt("log_preallocate", "log.preallocate", &s.LogPreallocate),
		longOpt("log_retention_check_interval_ms", "log.retention.check.interval.ms", &s.LogRetentionCheckIntervalMs, 1),
		intOpt("max_connections_per_ip", "max.connections.per.ip", &s.MaxConnectionsPerIP, 1, maxInt32),
		stringOpt("max_connections_per_ip_overrides", "max.connections.per.ip.overrides", &s.MaxConnectionsPerIPOverrides, true, connectionOverrides),
		intOpt("num_partitions", "num.partitions", &s.NumPartitions, 1, maxInt32),
		intOpt("producer_purgatory_purge_interval_requests", "producer.purgatory.purge.interval.requests", &s.ProducerPurgatoryPurgeIntervalRequests, minInt32, maxInt32),
		intOpt("replica_fetch_backoff_ms", "replica.fetch.backoff.ms", &s.ReplicaFetchBackoffMs, 0, maxInt32),
		intOpt("reserved_broker_max_id", "reserved.broker.max.id", &s.ReservedBrokerMaxID, 0, maxInt32),
		stringOpt("kafka_metrics_reporters", "kafka.metrics.reporters", &s.KafkaMetricsReporters, true, classList),
		stringOpt("metric_reporters", "metric.reporters", &s.MetricReporters, true, classList),
		intOpt("metrics_num_samples", "metrics.num.samples", &s.MetricsNumSamples, 1, maxInt32),
		longOpt("metrics_sample_window_ms", "metrics.sample.window.ms", &s.MetricsSampleWindowMs, 1),
		intOpt("quota_window_num", "quota.window.num", &s.QuotaWindowNum, 1, maxInt32),
		intOpt("quota_window_size_seconds", "quota.window.size.seconds", &s.QuotaWindowSizeSeconds, 1, maxInt32),
		intOpt("transaction_state_log_segment_bytes", "transaction.state.log.segment.bytes", &s.TransactionStateLogSegmentBytes, 1, maxInt32),
		intOpt("transaction_remove_expired_transaction_cleanup_interval_ms", "transaction.remove.expired.transaction.cleanup.interval.ms", &s.TransactionRemoveExpiredTransactionCleanupIntervalMs, 1, maxInt32),
		intOpt("transaction_max_timeout_ms", "transaction.max.timeout.ms", &s.TransactionMaxTimeoutMs, 1, maxInt32),
		intOpt("transaction_state_log_num_partitions", "transaction.state.log.num.partitions", &s.TransactionStateLogNumPartitions, 1, maxInt32),
		intOpt("transaction_abort_timed_out_transaction_cleanup_interval_ms", "transaction.abort.timed.out.transaction.cleanup.interval.ms", &s.TransactionAbortTimedOutTransactionCleanupIntervalMs, 1, maxInt32),
		intOpt("transaction_state_log_load_buffer_size", "transaction.state.log.load.buffer.size", &s.TransactionStateLogLoadBufferSize, 1, maxInt32),
		intOpt("transactional_id_expiration_ms", "transactional.id.expiration.ms", &s.TransactionalIDExpirationMs, 1, maxInt32),
		intOpt("transaction_state_log_replication_factor", "transaction.state.log.replication.factor", &s.TransactionStateLogReplicationFactor, 1, maxInt16),
		intOpt("transaction_state_log_min_isr", "transaction.state.log.min.isr", &s.TransactionStateLogMinISR, 1, maxInt32),
		intOpt("zookeeper_sync_time_ms", "zookeeper.sync.time.ms", &s.ZookeeperSyncTimeMs, minInt32, maxInt32),
	}
}
