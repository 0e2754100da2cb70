// Package spec owns a Kafka service's specification: options JSON in the
// DC/OS shape (`service`, `brokers`, `kafka`) → defaults → validation (every
// problem at once, through package validation) → a ServiceSpec with the
// derived identity (Mesos role and principal, ZooKeeper node), the broker
// placement and the Kafka pod template. It also owns the rules for changing
// a running service (ValidateUpdate), the rendering of a broker's
// server.properties at launch time, and the config hash that tells which
// brokers run an outdated configuration.
//
// Secrets (secrets.go): service.secrets and service.jmx name secrets of the
// scheduler's store that every broker receives, as files in its sandbox or
// environment variables; validation applies the DC/OS namespace rule and
// the sandbox path rules. A spec carries no value, only the secrets' paths
// and, once the scheduler accepted it, the version of each
// (SecretVersions), which is part of PodConfigHash.
//
// Service names may have folders, as in DC/OS ("prod/kafka"). Each folder
// segment is a DNS label; the whole name without slashes is at most 63
// characters; "/" becomes "__" in the ZooKeeper node, the role and the
// principal (so "__" itself is forbidden in names): "prod/kafka" has role
// "prod__kafka-role", principal "prod__kafka-principal" and node
// "/dcos-service-prod__kafka".
//
// The package does no I/O.
package spec

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/placement"
	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/validation"
)

// PodType is the DC/OS pod type of every broker pod.
const PodType = "kafka"

// TaskName is the one task of a broker pod.
const TaskName = "broker"

// Environment is what the scheduler process contributes to every spec.
type Environment struct {
	// ZookeeperConnect is the ZooKeeper ensemble the scheduler itself uses
	// ("zk-1:2181,zk-2:2181"). Unless kafka.kafka_zookeeper_uri is set, the
	// brokers use it under the service's node:
	// "<ZookeeperConnect>/dcos-service-<name>". When it is empty (a
	// scheduler without ZooKeeper), every service must set
	// kafka.kafka_zookeeper_uri.
	ZookeeperConnect string
}

// ServiceSpec is a validated service configuration plus everything derived
// from it. It is plain data: it marshals to JSON (the configuration history
// stores it) and unmarshals back unchanged.
type ServiceSpec struct {
	Name      string `json:"name"`
	Role      string `json:"role"`
	Principal string `json:"principal"`
	// ZNode is the service's ZooKeeper node, "/dcos-service-<name>".
	ZNode string `json:"znode"`
	User  string `json:"user"`
	// DeployStrategy is the canonical phase strategy ("canary" becomes
	// "serial-canary").
	DeployStrategy string `json:"deploy_strategy"`
	// UpdateStrategy is the canonical strategy of the broker phase of an
	// update (service.update_strategy; "canary" becomes "serial-canary").
	UpdateStrategy string `json:"update_strategy"`
	// Placement is the effective constraint set for new and replaced
	// brokers (legacy placement_strategy and region pinning folded in).
	Placement placement.Constraints `json:"placement"`
	// KafkaZookeeperURI is what the brokers use for zookeeper.connect.
	KafkaZookeeperURI string `json:"kafka_zookeeper_uri"`
	// Options are the operator's options with every default filled in.
	Options Options `json:"options"`
	// SecretVersions records, for every secret the brokers use
	// (SecretPaths), the version of it this configuration delivers. The
	// scheduler fills it in when it accepts the configuration
	// (WithSecretVersions); a new version of a used secret makes a new
	// configuration, which rolls the brokers.
	SecretVersions map[string]string `json:"secret_versions,omitempty"`
}

// Parse is the whole path from an options body to a spec: decode on top of
// defaults, validate and derive. The error, when not nil, is a
// validation.Problems listing every problem (up to
// validation.MaxProblems), or a *TooLargeError when the options, once their
// defaults are filled in, are larger than one stored configuration may be.
func Parse(data []byte, defaults Options, env Environment) (ServiceSpec, error) {
	opts, decodeProblems := DecodeOptions(data, defaults)
	if len(decodeProblems) == 0 {
		// Before anything else looks at them: options the state store
		// cannot hold are refused as too large, whatever else is wrong.
		if err := checkStoredSize(opts); err != nil {
			return ServiceSpec{}, err
		}
	}
	var problems validation.Problems
	problems.Merge("", decodeProblems)
	// Validate what could be decoded too, so that one round trip shows
	// every mistake; fields that failed to decode kept their default and
	// are not judged twice.
	bad := map[string]bool{}
	for _, p := range decodeProblems {
		bad[p.Field] = true
	}
	if !bad["options"] {
		for _, p := range opts.validateFor(env) {
			if !bad[p.Field] {
				problems.Merge("", validation.Problems{p})
			}
		}
	}
	if len(problems) > 0 {
		return ServiceSpec{}, problems
	}
	return build(opts, env)
}

// Build validates options and derives the spec. The error, when not nil, is
// a validation.Problems listing every problem, or a *TooLargeError.
func Build(opts Options, env Environment) (ServiceSpec, error) {
	if ps := opts.validateFor(env); len(ps) > 0 {
		return ServiceSpec{}, ps
	}
	return build(opts, env)
}

// validateFor is Validate plus the rules that depend on the scheduler's
// environment.
func (o Options) validateFor(env Environment) validation.Problems {
	ps := o.Validate()
	if o.Kafka.KafkaZookeeperURI == "" && env.ZookeeperConnect == "" {
		ps.Add("kafka.kafka_zookeeper_uri", "",
			"is required here: this scheduler runs without a ZooKeeper to keep the brokers' metadata under; set it to host:port[,host:port...][/chroot]")
	}
	return ps
}

func build(opts Options, env Environment) (ServiceSpec, error) {
	constraints, err := effectivePlacement(opts.Service)
	if err != nil { // Validate checked it; keep the error honest anyway
		return ServiceSpec{}, fmt.Errorf("working out placement: %w", err)
	}
	strategy, err := normalizeStrategy(opts.Service.DeployStrategy)
	if err != nil {
		return ServiceSpec{}, err
	}
	updateStrategy, err := normalizeStrategy(opts.Service.UpdateStrategy)
	if err != nil {
		return ServiceSpec{}, err
	}
	name := opts.Service.Name
	s := ServiceSpec{
		Name:           name,
		Role:           SanitizedName(name) + "-role",
		Principal:      SanitizedName(name) + "-principal",
		ZNode:          ZNode(name),
		User:           opts.Service.User,
		DeployStrategy: strategy,
		UpdateStrategy: updateStrategy,
		Placement:      constraints,
		Options:        opts,
	}
	s.KafkaZookeeperURI = opts.Kafka.KafkaZookeeperURI
	if s.KafkaZookeeperURI == "" && env.ZookeeperConnect != "" {
		s.KafkaZookeeperURI = strings.TrimSuffix(env.ZookeeperConnect, "/") + s.ZNode
	}
	// The spec is what the configuration history stores.
	if err := checkStoredSize(s); err != nil {
		return ServiceSpec{}, err
	}
	return s, nil
}

// SanitizedName is the service name with "/" replaced by "__", as used in
// the role, the principal and the ZooKeeper node.
func SanitizedName(name string) string {
	return strings.ReplaceAll(strings.Trim(name, "/"), "/", "__")
}

// ZNode is the service's ZooKeeper node, "/dcos-service-<sanitized name>".
func ZNode(name string) string { return "/dcos-service-" + SanitizedName(name) }

// BrokerCount is the number of broker pods.
func (s ServiceSpec) BrokerCount() int { return s.Options.Brokers.Count }

// PodInstanceName is the pod instance name of broker index i, "kafka-<i>".
func PodInstanceName(i int) string { return fmt.Sprintf("%s-%d", PodType, i) }

// TaskInstanceName is the task name of broker index i, "kafka-<i>-broker".
func TaskInstanceName(i int) string { return PodInstanceName(i) + "-" + TaskName }

// StepName is the deploy plan step of broker index i, "kafka-<i>:[broker]".
func StepName(i int) string { return PodInstanceName(i) + ":[" + TaskName + "]" }

// templateRevision changes whenever the pod template produced by this
// package changes in a way running brokers must pick up (command, env,
// checks). It is part of PodConfigHash, so brokers launched by an older
// scheduler are rolled onto the new template.
const templateRevision = 1

// podConfig is everything that shapes a broker task. Broker count,
// placement and deploy strategy are left out: changing them does not
// restart existing brokers (placement applies only to new or replaced
// pods, as in DC/OS).
type podConfig struct {
	TemplateRevision  int                   `json:"template_revision"`
	Name              string                `json:"name"`
	User              string                `json:"user"`
	Brokers           BrokerOptions         `json:"brokers"`
	Readiness         ReadinessCheckOptions `json:"readiness_check"`
	Health            HealthCheckOptions    `json:"health_check"`
	Kafka             json.RawMessage       `json:"kafka"`
	KafkaZookeeperURI string                `json:"kafka_zookeeper_uri"`
	RackFromZone      bool                  `json:"rack_from_zone"`
	// Secrets, JMX and SecretVersions are left out when unused, so that
	// brokers launched before they existed keep their hash.
	Secrets        SecretBindings    `json:"secrets,omitempty"`
	JMX            *JMXOptions       `json:"jmx,omitempty"`
	SecretVersions map[string]string `json:"secret_versions,omitempty"`
}

// PodConfigHash identifies the configuration a broker task is launched
// with. Label each launched task with it: a broker whose label differs from
// the target spec's hash runs an outdated configuration and an update
// restarts it; brokers with an equal hash are left alone.
func (s ServiceSpec) PodConfigHash() string {
	brokers := s.Options.Brokers
	brokers.Count = 0
	kafka, _ := json.Marshal(s.Options.Kafka)
	return hashJSON(podConfig{
		TemplateRevision:  templateRevision,
		Name:              s.Name,
		User:              s.User,
		Brokers:           brokers,
		Readiness:         s.Options.Service.ReadinessCheck,
		Health:            s.Options.Service.HealthCheck,
		Kafka:             kafka,
		KafkaZookeeperURI: s.KafkaZookeeperURI,
		RackFromZone:      s.Placement.References(placement.FieldZone),
		Secrets:           nonEmpty(s.Options.Service.Secrets),
		JMX:               enabledJMX(s.Options.Service.JMX),
		SecretVersions:    s.SecretVersions,
	})
}

// Hash identifies the whole spec; equal specs have equal hashes.
func (s ServiceSpec) Hash() string { return hashJSON(s) }

func hashJSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		// Only a NaN or infinite float could get here, and Validate refuses
		// those; fall back to fmt's (deterministic) rendering rather than
		// crash a scheduler that hosts other services.
		b = []byte(fmt.Sprintf("%+v", v))
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:16])
}
