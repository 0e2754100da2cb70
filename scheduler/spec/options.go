package spec

import "github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/kafka/brokerconfig"

// Options is a service's options JSON in the DC/OS Kafka shape: the
// `service`, `brokers` and `kafka` sections, with DC/OS's option names. It is
// what `PUT /v1/services/{name}` takes and what the configuration history
// stores (with every default filled in).
type Options struct {
	Service ServiceOptions        `json:"service"`
	Brokers BrokerOptions         `json:"brokers"`
	Kafka   brokerconfig.Settings `json:"kafka"`
}

// ServiceOptions is the `service` section.
type ServiceOptions struct {
	// Name of the service: lowercase letters, digits and hyphens, optionally
	// in folders ("prod/kafka"). Fixed at install.
	Name string `json:"name"`
	// User the broker tasks run as. Fixed at install.
	User string `json:"user"`
	// PlacementConstraint is a Marathon-style constraint, e.g.
	// [["hostname","MAX_PER","1"]] or hostname:UNIQUE. "" places anywhere.
	PlacementConstraint string `json:"placement_constraint"`
	// PlacementStrategy is the legacy DC/OS option: ANY (anywhere) or NODE
	// (one broker per agent). When set, it replaces the default
	// placement_constraint. Fixed at install, as the DC/OS docs say.
	PlacementStrategy string `json:"placement_strategy,omitempty"`
	// DeployStrategy orders the broker phase of deploy and update plans:
	// serial, parallel, serial-canary or parallel-canary.
	DeployStrategy string `json:"deploy_strategy"`
	// UpdateStrategy orders the broker phase of the plan that rolls a
	// configuration change through running brokers (serial, parallel,
	// serial-canary or parallel-canary; "canary" is serial-canary),
	// separately from DeployStrategy, which orders the first deployment and
	// launches of new brokers. Changing it restarts nothing.
	UpdateStrategy string `json:"update_strategy"`
	// RollingRestartSafetyCheck turns on the gate of every restart the
	// scheduler makes (updates, plan restart, pod and broker restarts):
	// before a broker stops, no partition it replicates may be offline or
	// under-replicated, and none may fall below its min.insync.replicas;
	// after it is back, the step completes only once the broker is in the
	// ISR of every partition it replicates. Changing it restarts nothing.
	RollingRestartSafetyCheck bool `json:"rolling_restart_safety_check"`
	// ISRWaitTimeoutSeconds bounds how long a restart step waits for the
	// restarted broker to rejoin the ISR of all its partitions; when it
	// runs out the step is in ERROR with a message naming the partitions
	// still missing it. Changing it restarts nothing.
	ISRWaitTimeoutSeconds int `json:"isr_wait_timeout_secs"`
	// EnableReplacement turns on the automatic replacement of brokers
	// whose agent has been unreachable or gone for
	// RecoverInPlaceGracePeriodSeconds (recovery.go). Changing these three
	// restarts nothing.
	EnableReplacement                bool `json:"enable_replacement"`
	RecoverInPlaceGracePeriodSeconds int  `json:"recover_in_place_grace_period_secs"`
	MinDelayBetweenRecoversSeconds   int  `json:"min_delay_between_recovers_secs"`
	// Region pins every broker to one fault-domain region (adds
	// @region:IS:<region> to the placement). "" leaves the region free.
	// Fixed at install.
	Region         string                `json:"region"`
	ReadinessCheck ReadinessCheckOptions `json:"readiness_check"`
	HealthCheck    HealthCheckOptions    `json:"health_check"`
	// Secrets are delivered to every broker, each as a file in the sandbox
	// or an environment variable (secrets.go).
	Secrets SecretBindings `json:"secrets"`
	// JMX is DC/OS Kafka's Secure JMX (secrets.go).
	JMX JMXOptions `json:"jmx"`
}

// ReadinessCheckOptions is `service.readiness_check`: how often the
// scheduler's readiness check looks for the broker's "started" log line. A
// step of a deploy or update completes only once it passes.
type ReadinessCheckOptions struct {
	IntervalSeconds int `json:"interval"`
	DelaySeconds    int `json:"delay"`
	TimeoutSeconds  int `json:"timeout"`
}

// HealthCheckOptions is `service.health_check` (DC/OS names, hyphens
// included). Only the PORT method is supported.
type HealthCheckOptions struct {
	Enabled                bool   `json:"enabled"`
	Method                 string `json:"method"`
	IntervalSeconds        int    `json:"interval"`
	DelaySeconds           int    `json:"delay"`
	TimeoutSeconds         int    `json:"timeout"`
	GracePeriodSeconds     int    `json:"grace-period"`
	MaxConsecutiveFailures int    `json:"max-consecutive-failures"`
	TopicPrefix            string `json:"health-check-topic-prefix"`
}

// BrokerOptions is the `brokers` section.
type BrokerOptions struct {
	// Count of brokers; it can grow after install, never shrink.
	Count int `json:"count"`
	// CPUs per broker.
	CPUs float64 `json:"cpus"`
	// Mem per broker task, in MB; the JVM heap is part of it.
	Mem  float64     `json:"mem"`
	Heap HeapOptions `json:"heap"`
	// Disk is the size of each broker's persistent volume, in MB. Disk,
	// DiskType and DiskPath are fixed at install.
	Disk float64 `json:"disk"`
	// DiskType is ROOT (a slice of the agent's work disk) or MOUNT (a
	// dedicated disk, reserved whole).
	DiskType string `json:"disk_type"`
	// DiskPath is where the volume appears in the task sandbox.
	DiskPath string `json:"disk_path"`
	// Port is the broker port: 0 takes one from the offer; a fixed port
	// needs at most one broker per agent.
	Port int `json:"port"`
	// KillGracePeriod is how long, in seconds, a broker may take to shut
	// down (controlled shutdown) after SIGTERM before it is killed.
	KillGracePeriod int `json:"kill_grace_period"`
	// KafkaURI is the Kafka distribution tarball the Mesos fetcher
	// downloads and extracts into the sandbox.
	KafkaURI string `json:"kafka_uri"`
	// KafkaVersionPath is the tarball's top folder, e.g. kafka_2.13-3.9.1
	// (DC/OS's KAFKA_VERSION_PATH).
	KafkaVersionPath string `json:"kafka_version_path"`
	// JavaURI is an optional Java runtime tarball; when set, JAVA_HOME is
	// the first jdk* or jre* folder it extracts to. "" uses the agent's Java.
	JavaURI string `json:"java_uri,omitempty"`
}

// HeapOptions is `brokers.heap`.
type HeapOptions struct {
	// Size of the broker JVM heap in MB (-Xms and -Xmx).
	Size int `json:"size"`
}

// Defaults of DC/OS Kafka (universe/config.json) for the options this
// scheduler implements.
const (
	DefaultName                = "kafka"
	DefaultUser                = "nobody"
	DefaultPlacementConstraint = `[["hostname", "MAX_PER", "1"]]`
	DefaultDeployStrategy      = "serial"
	DefaultUpdateStrategy      = "serial"
	// DefaultISRWaitTimeoutSeconds is Strimzi's default operation timeout
	// for a broker to become ready after a roll, ten minutes, generous
	// enough for a broker that replays large logs.
	DefaultISRWaitTimeoutSeconds = 600
	DefaultDiskPath              = "kafka-broker-data"
	// DefaultKafkaURI is Apache Kafka 3.9.1, the last release line that
	// runs in ZooKeeper mode as DC/OS Kafka did.
	DefaultKafkaURI         = "https://archive.apache.org/dist/kafka/3.9.1/kafka_2.13-3.9.1.tgz"
	DefaultKafkaVersionPath = "kafka_2.13-3.9.1"
)

// DefaultOptions returns every option at its default. A scheduler may
// change some (for example the Kafka URI its environment serves) before
// passing the result to DecodeOptions or Parse.
func DefaultOptions() Options {
	return Options{
		Service: ServiceOptions{
			Name:                DefaultName,
			User:                DefaultUser,
			PlacementConstraint: DefaultPlacementConstraint,
			DeployStrategy:      DefaultDeployStrategy,
			UpdateStrategy:      DefaultUpdateStrategy,

			RollingRestartSafetyCheck: true,
			ISRWaitTimeoutSeconds:     DefaultISRWaitTimeoutSeconds,

			RecoverInPlaceGracePeriodSeconds: DefaultRecoverInPlaceGracePeriodSeconds,
			MinDelayBetweenRecoversSeconds:   DefaultMinDelayBetweenRecoversSeconds,
			ReadinessCheck:                   ReadinessCheckOptions{IntervalSeconds: 60, DelaySeconds: 0, TimeoutSeconds: 120},
			HealthCheck: HealthCheckOptions{
				Enabled: false, Method: "PORT",
				IntervalSeconds: 60, DelaySeconds: 20, TimeoutSeconds: 60,
				GracePeriodSeconds: 30, MaxConsecutiveFailures: 3,
				TopicPrefix: "KafkaHealthCheck",
			},
			Secrets: SecretBindings{},
			JMX:     DefaultJMX(),
		},
		Brokers: BrokerOptions{
			Count: 3, CPUs: 1, Mem: 2048, Heap: HeapOptions{Size: 512},
			Disk: 5000, DiskType: "ROOT", DiskPath: DefaultDiskPath,
			Port: 0, KillGracePeriod: 30,
			KafkaURI: DefaultKafkaURI, KafkaVersionPath: DefaultKafkaVersionPath,
		},
		Kafka: brokerconfig.DefaultSettings(),
	}
}
