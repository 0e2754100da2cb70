// Package devkafka is the DEV STAND-IN for the Apache Kafka distribution: a
// Kafka-protocol broker built on franz-go's kfake, packed as a tarball laid
// out like Apache Kafka, so that kafka-scheduler's dev mode and tests launch
// brokers through exactly the same path as production (fetch, extract,
// render server.properties, run the start script, wait for readiness). It is
// not Apache Kafka and says so in its README, in its start-up log and here.
//
// # The distribution
//
// BuildDistribution (run by `make build` through cmd/mkdist) builds
// scheduler/cmd/kafka-dev-broker and packs:
//
//	kafka-dev/bin/kafka-server-start.sh   [-daemon] server.properties [--override k=v]...
//	kafka-dev/config/server.properties    a sample for one local broker
//	kafka-dev/libs/kafka-dev-broker       the broker
//	kafka-dev/README.md                   what this is and how it differs
//
// WriteLauncherDistribution writes the same layout without building
// anything: its libs/kafka-dev-broker is a shell launcher that execs a
// given program. `kafka-scheduler dev` writes one into its data folder whose
// broker is kafka-scheduler itself (its hidden dev-broker command runs
// RunBroker), so the scheduler binary alone is enough for dev mode.
//
// The top folder is DistDir ("kafka-dev"). The start script execs the broker,
// which logs to stdout and to $LOG_DIR/server.log (default
// kafka-dev/logs/server.log, as Kafka's log4j does) in Kafka's layout,
// including the readiness line
//
//	[2006-01-02 15:04:05,000] INFO [KafkaServer id=N] started (kafka.server.KafkaServer)
//
// once it serves. SIGTERM shuts it down cleanly ("shut down completed").
// Everything is configured from server.properties: broker.id, listeners
// (one PLAINTEXT listener), advertised.listeners, log.dirs (the first entry
// holds the data), zookeeper.connect, num.partitions,
// default.replication.factor, auto.create.topics.enable,
// delete.topic.enable, offsets.topic.*, broker.rack, and the broker values
// kfake acts on (message.max.bytes, retention, segment size, group session
// timeouts).
//
// # One cluster out of separate processes
//
// kfake is an in-process cluster; here every broker is its own OS process,
// possibly on the same port of a different loopback address. They agree on
// topics, partitions, leaders and liveness through a registry on the local
// filesystem, and on nothing else:
//
//   - Cluster identity is zookeeper.connect. The registry lives in
//     devkafka.registry.dir (RegistryDirProperty) if server.properties sets
//     it, else in $TMPDIR/kafka-dev-registry/<hash of zookeeper.connect>.
//     The registry records its identity and refuses brokers of another
//     cluster, so clusters never mix. In dev mode the scheduler should set
//     devkafka.registry.dir (as an extra property, kafka.server_properties)
//     to a directory of its own, so that two dev schedulers on one machine
//     whose services share a name still get separate clusters. Apache Kafka
//     ignores the key.
//   - The registry holds the topics (id, replica list of every partition,
//     topic configs) as a snapshot (state.json) and an append-only journal
//     (journal.log). Whichever broker receives a CreateTopics,
//     CreatePartitions, DeleteTopics, config change or reassignment appends
//     one line for it under a lock file; every broker keeps the topics in
//     memory and reads only the lines it has not seen, so a change costs
//     the same at five topics or five thousand (the journal is folded into
//     a new snapshot once it outgrows the old one). Every broker answers
//     Metadata, DescribeCluster, FindCoordinator and DescribeConfigs from
//     it, so all brokers give the same answers at once.
//   - Liveness is a lock the broker process holds on brokers/<id>.lock for
//     as long as it serves (a Linux open-file-description lock). The kernel
//     drops it when the process dies, even by SIGKILL, so a dead broker
//     leaves Metadata at once; a restarted one joins again. Probing takes no
//     lock, so it never races with a broker starting. The same lock refuses
//     a second process with the same broker.id.
//   - Each broker runs a one-node kfake on a private loopback port, with its
//     data under log.dirs, and serves clients through a small Kafka-protocol
//     front end: requests about cluster metadata are answered from the
//     registry; requests on partitions (Produce, Fetch, ListOffsets,
//     OffsetForLeaderEpoch, DeleteRecords) are forwarded to kfake only when
//     this broker is the partition's home, else answered with
//     NOT_LEADER_OR_FOLLOWER / UNKNOWN_TOPIC_OR_PARTITION without touching
//     data; group requests and InitProducerID are forwarded as they are.
//     Before forwarding, the broker brings its kfake up to date with the
//     registry (topics, partition counts, configs; one batched request per
//     kind of change), so a topic created through any broker can be
//     produced to at once through its leader.
//   - log.dirs carries a meta.properties (cluster.id, broker.id) like
//     Kafka's; a log dir of another cluster or broker id is refused, and a
//     topic deleted and recreated while a broker was down is recognised by
//     its new id, so stale data is dropped rather than served.
//
// # Replication, and being honest about it
//
// The stand-in does not copy data between brokers. A partition's data lives
// only on its home broker, the first of its replicas (placed round-robin over
// the live brokers when the partition is created, as Kafka does). Metadata
// reports this as it is:
//
//   - the leader is the home broker while it runs, and never moves: no other
//     broker has the data. While the home is down the partition has no
//     leader (leader -1, LEADER_NOT_AVAILABLE) and health checks report it
//     unavailable; when the home comes back the partition returns with its
//     data. Real Kafka would elect a follower instead;
//   - replicas are the assigned brokers, including stopped ones, which are
//     listed in OfflineReplicas;
//   - the ISR is the live replicas while the home runs (a follower counts as
//     in sync while its process runs: the ISR models broker liveness, which
//     is what under-replicated and min-ISR checks are about), and the home
//     alone while it is down, as Kafka reports when the last in-sync replica
//     goes offline;
//   - the leader epoch is always 0, since leadership never changes.
//
// So under-replicated, unavailable and under-min-ISR partitions appear and
// disappear as broker processes stop and start, which is what the admin
// health checks and the rolling-restart gate need to see. acks=all produce
// is not refused below min.insync.replicas.
//
// Partition reassignment (AlterPartitionAssignments) follows the same rule:
// it may add, remove or reorder a partition's followers, which changes only
// its replica list (and so its replication factor), and is complete at
// once because followers hold no data to catch up on;
// ListPartitionReassignments therefore never shows one in progress. A
// reassignment that would change a partition's home broker is refused with
// INVALID_REPLICA_ASSIGNMENT naming the home broker, since it would claim
// data moved that did not. Real Kafka copies the data and may move the
// leader; an admin that keeps each partition's first replica in place (as
// admin.SetReplicationFactor does) works the same on both.
//
// # kfake's traps, and how they are avoided
//
//   - kfake fixes its controller to its last broker and breaks topic
//     operations once that broker is removed. Here each process's kfake is
//     a one-node cluster that is its own controller and is never removed;
//     cluster-wide controller work (topic creation, partition increase,
//     deletion) is done by whichever broker receives the request, under the
//     registry lock, and Metadata names the lowest live broker as controller
//     so clients never send controller requests to a dead one.
//   - kfake reports the ISR as always equal to the replicas, and a removed
//     broker as a smaller, fully in-sync cluster. Here the ISR, the offline
//     replicas and the broker list come from the registry's liveness locks,
//     so a stopped broker shows up as under-replicated and unavailable
//     partitions, as in Kafka.
//   - kfake gives each topic a random id per cluster, so the brokers'
//     ids for one topic differ. Metadata reports the registry's id, and the
//     request versions that address topics by id (Fetch v13+, Produce v12+)
//     are not advertised, so clients address partitions by name.
//
// # Consumer groups
//
// A group's coordinator is the home broker of its __consumer_offsets
// partition (Java hash of the group id modulo offsets.topic.num.partitions),
// as in Kafka; the topic is recorded in the registry on the first
// FindCoordinator and needs offsets.topic.replication.factor live brokers,
// as in Kafka. The group's state and committed offsets live in the
// coordinator's kfake, under its log dir.
//
// # Cluster-wide dynamic broker configs
//
// IncrementalAlterConfigs on BROKER "" (SET and DELETE) of a property whose
// Kafka dynamic update mode is cluster-wide (rollout.IsClusterWide) is
// recorded in the registry, so every broker answers DescribeConfigs with it
// at once (source DYNAMIC_DEFAULT_BROKER_CONFIG on BROKER "" and on every
// BROKER "<id>", before the static value), topics that do not set the
// matching topic config report it as their effective value, and it
// survives any broker's restart, as Kafka keeps it in ZooKeeper. Other keys
// are refused with INVALID_REQUEST, as Kafka does. kfake does not act on
// these values (the stand-in reports them; it does not, for example, refuse
// acks=all below a cluster-wide min.insync.replicas).
//
// # The controller
//
// Metadata and DescribeCluster name the lowest live broker as controller:
// a real identity a test can find, which moves when that broker stops.
//
// # Not supported
//
// SSL and SASL listeners, ACLs, quotas, SCRAM users, transactions,
// log-dir queries and per-broker dynamic configs: their request keys are
// left out of ApiVersions (or, for BROKER "<id>" configs and the legacy
// AlterConfigs on brokers, refused with INVALID_REQUEST naming
// server.properties), because kfake would keep them per process rather
// than per cluster. Moving a partition's home broker is refused (see
// above). All brokers of a cluster must run on one machine, since the
// registry is a local directory.
package devkafka
