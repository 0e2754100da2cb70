package rollout

// clusterWide lists the broker properties whose Kafka "Dynamic Update Mode"
// is cluster-wide (Kafka's broker configuration docs, 2.x to 3.x): they can
// be changed on a running cluster with IncrementalAlterConfigs on the
// default broker resource. Properties missing from this list are treated
// as read-only, which is always safe: they roll the brokers. Per-broker
// properties (listeners, SSL keystores) are deliberately not here: they
// cannot be set cluster-wide.
var clusterWide = map[string]bool{
	"background.threads":                        true,
	"compression.type":                          true,
	"log.cleaner.backoff.ms":                    true,
	"log.cleaner.dedupe.buffer.size":            true,
	"log.cleaner.delete.retention.ms":           true,
	"log.cleaner.io.buffer.load.factor":         true,
	"log.cleaner.io.buffer.size":                true,
	"log.cleaner.io.max.bytes.per.second":       true,
	"log.cleaner.max.compaction.lag.ms":         true,
	"log.cleaner.min.cleanable.ratio":           true,
	"log.cleaner.min.compaction.lag.ms":         true,
	"log.cleaner.threads":                       true,
	"log.cleanup.policy":                        true,
	"log.flush.interval.messages":               true,
	"log.flush.interval.ms":                     true,
	"log.index.interval.bytes":                  true,
	"log.index.size.max.bytes":                  true,
	"log.message.downconversion.enable":         true,
	"log.message.timestamp.after.max.ms":        true,
	"log.message.timestamp.before.max.ms":       true,
	"log.message.timestamp.difference.max.ms":   true,
	"log.message.timestamp.type":                true,
	"log.preallocate":                           true,
	"log.retention.bytes":                       true,
	"log.retention.ms":                          true,
	"log.roll.jitter.ms":                        true,
	"log.roll.ms":                               true,
	"log.segment.bytes":                         true,
	"log.segment.delete.delay.ms":               true,
	"max.connection.creation.rate":              true,
	"max.connections":                           true,
	"max.connections.per.ip":                    true,
	"max.connections.per.ip.overrides":          true,
	"message.max.bytes":                         true,
	"metric.reporters":                          true,
	"min.insync.replicas":                       true,
	"num.io.threads":                            true,
	"num.network.threads":                       true,
	"num.recovery.threads.per.data.dir":         true,
	"num.replica.fetchers":                      true,
	"producer.id.expiration.ms":                 true,
	"transaction.partition.verification.enable": true,
	"unclean.leader.election.enable":            true,
}

// IsClusterWide reports whether a broker property can be changed on a
// running cluster through the default broker resource.
func IsClusterWide(key string) bool { return clusterWide[key] }
