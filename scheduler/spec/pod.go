package spec

import (
	"encoding/base64"
	"fmt"
	"maps"
	"strconv"
	"strings"
	"time"

	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/kafka/brokerconfig"
	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/placement"
	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/validation"
)

// Environment variable names of the broker task. The DC/OS ones keep their
// DC/OS names.
const (
	EnvFrameworkName    = "FRAMEWORK_NAME"
	EnvPodInstanceIndex = "POD_INSTANCE_INDEX"
	EnvTaskName         = "TASK_NAME"
	EnvDiskPath         = "KAFKA_DISK_PATH"
	EnvHeapOpts         = "KAFKA_HEAP_OPTS"
	EnvZookeeperURI     = "KAFKA_ZOOKEEPER_URI"
	EnvVersionPath      = "KAFKA_VERSION_PATH"
	EnvBrokerPort       = "KAFKA_BROKER_PORT"
	// EnvServerPropertiesChunk is the prefix of the variables that carry
	// the rendered server.properties, base64-encoded, in at most
	// ServerPropertiesChunks pieces: KAFKA_SERVER_PROPERTIES_B64_0, _1, …
	// The task's command decodes them into server.properties in the
	// sandbox and unsets them before Kafka starts, so the broker reads its
	// configuration from a file and never sees it in its environment.
	EnvServerPropertiesChunk = "KAFKA_SERVER_PROPERTIES_B64_"
)

// How server.properties reaches a broker. Mesos (the real one and the local
// one alike) gives a task its command, its environment and the URIs its
// fetcher downloads; the scheduler has no way to drop a file into a sandbox
// except through those, and a fetched URI would have to be served by the
// scheduler to every agent, with the broker's secrets in it. So the file
// travels in the task's environment, split into bounded pieces: Linux
// refuses (E2BIG, "argument list too long") an exec whose single
// environment string is over 128 KiB (MAX_ARG_STRLEN), or whose whole
// environment and arguments are over a quarter of the stack limit (2 MiB
// with the usual 8 MiB). Each piece is at most ServerPropertiesChunkBytes
// and all of them together at most ServerPropertiesChunks pieces, enough
// for brokerconfig.MaxServerPropertiesBytes once base64-encoded. Base64
// keeps the pieces free of bytes a shell or JSON would change or grow,
// which also bounds the stored TaskInfo. The agent needs a base64 command
// (coreutils or busybox), as the PORT health check needs bash.
const (
	// ServerPropertiesChunks is how many pieces the command decodes.
	ServerPropertiesChunks = 4
	// ServerPropertiesChunkBytes bounds one piece (base64 characters),
	// well under the kernel's 128 KiB per environment string.
	ServerPropertiesChunkBytes = 96 << 10
)

// BrokerPortName is the name of the broker port (and of its endpoint).
const BrokerPortName = "broker"

// BrokerTask is the pod template of one broker: plain data the offer and
// launch code turns into Mesos resources and a TaskInfo. It comes from
// ServiceSpec.Broker; ServiceSpec.Launch completes it with what is known
// only at launch time.
type BrokerTask struct {
	PodType     string // "kafka"
	PodInstance string // "kafka-<i>"
	Index       int    // pod index = broker id
	TaskName    string // "broker"
	// FullTaskName is the Mesos task name, "kafka-<i>-broker".
	FullTaskName string
	// Goal is the task's goal state; brokers always run.
	Goal string
	User string

	CPUs   float64
	MemMB  float64
	Volume Volume
	Ports  []Port

	// Env is the task environment. From Broker it holds what is known
	// from the spec; Launch adds KAFKA_BROKER_PORT and the
	// KAFKA_SERVER_PROPERTIES_B64_<n> pieces of server.properties.
	Env     map[string]string
	URIs    []URI
	Command string

	ReadinessCheck Check
	// HealthCheck is nil unless service.health_check.enabled. Its command
	// is filled in by Launch (it needs the broker's address).
	HealthCheck     *HealthCheck
	KillGracePeriod time.Duration

	// Secrets are the secrets the task receives (service.secrets and the
	// JMX files), without values: the launch resolves them.
	Secrets []SecretDelivery

	// ConfigHash is the spec's PodConfigHash; label the task with it.
	ConfigHash string
}

// Volume is the broker's persistent volume.
type Volume struct {
	Type          string // "ROOT" or "MOUNT"
	SizeMB        float64
	ContainerPath string // relative to the sandbox
}

// Port is a named port resource of the task.
type Port struct {
	Name string // "broker"
	// EnvKey is the environment variable that receives the port number.
	EnvKey string
	// Port is the fixed port, or 0 to take any port from the offer.
	// After Launch it is the port actually used.
	Port int
	// Advertise marks the port as a service endpoint (GET /v1/endpoints).
	Advertise bool
	// VIP is the DC/OS virtual IP name:port for the endpoint.
	VIP string
}

// URI is something the Mesos fetcher downloads into the sandbox.
type URI struct {
	Value      string
	Extract    bool
	Executable bool
	Cache      bool
}

// Check is a COMMAND check run in the task's sandbox: it passes when the
// command exits 0.
type Check struct {
	Command  string
	Interval time.Duration
	Delay    time.Duration
	Timeout  time.Duration
}

// HealthCheck is a COMMAND health check; the task is killed after
// MaxConsecutiveFailures failures once GracePeriod has passed.
type HealthCheck struct {
	Check
	GracePeriod            time.Duration
	MaxConsecutiveFailures int
}

// Broker returns the pod template of broker index i (0 ≤ i < BrokerCount).
func (s ServiceSpec) Broker(i int) (BrokerTask, error) {
	if i < 0 || i >= s.BrokerCount() {
		return BrokerTask{}, fmt.Errorf("broker index %d is out of range: service %q has brokers 0 to %d", i, s.Name, s.BrokerCount()-1)
	}
	b := s.Options.Brokers
	svc := s.Options.Service
	t := BrokerTask{
		PodType:      PodType,
		PodInstance:  PodInstanceName(i),
		Index:        i,
		TaskName:     TaskName,
		FullTaskName: TaskInstanceName(i),
		Goal:         "RUNNING",
		User:         s.User,
		CPUs:         b.CPUs,
		MemMB:        b.Mem,
		Volume:       Volume{Type: b.DiskType, SizeMB: b.Disk, ContainerPath: b.DiskPath},
		Ports: []Port{{
			Name: BrokerPortName, EnvKey: EnvBrokerPort, Port: b.Port, Advertise: true, VIP: BrokerPortName + ":9092",
		}},
		Env: map[string]string{
			EnvFrameworkName:    s.Name,
			EnvPodInstanceIndex: strconv.Itoa(i),
			EnvTaskName:         TaskInstanceName(i),
			EnvDiskPath:         b.DiskPath,
			EnvHeapOpts:         fmt.Sprintf("-Xms%dM -Xmx%dM", b.Heap.Size, b.Heap.Size),
			EnvZookeeperURI:     s.KafkaZookeeperURI,
			EnvVersionPath:      b.KafkaVersionPath,
		},
		URIs:    []URI{{Value: b.KafkaURI, Extract: true}},
		Command: startCommand(b, svc.JMX),
		ReadinessCheck: Check{
			Command:  readinessCommand(i, b.KafkaVersionPath),
			Interval: seconds(svc.ReadinessCheck.IntervalSeconds),
			Delay:    seconds(svc.ReadinessCheck.DelaySeconds),
			Timeout:  seconds(svc.ReadinessCheck.TimeoutSeconds),
		},
		KillGracePeriod: seconds(b.KillGracePeriod),
		Secrets:         svc.Deliveries(),
		ConfigHash:      s.PodConfigHash(),
	}
	if b.JavaURI != "" {
		t.URIs = append(t.URIs, URI{Value: b.JavaURI, Extract: true})
	}
	if h := svc.HealthCheck; h.Enabled {
		t.HealthCheck = &HealthCheck{
			Check: Check{
				Interval: seconds(h.IntervalSeconds),
				Delay:    seconds(h.DelaySeconds),
				Timeout:  seconds(h.TimeoutSeconds),
			},
			GracePeriod:            seconds(h.GracePeriodSeconds),
			MaxConsecutiveFailures: h.MaxConsecutiveFailures,
		}
	}
	return t, nil
}

// startCommand is the broker task's shell command. It runs in the sandbox
// (cd to $MESOS_SANDBOX when Mesos sets it), decodes the rendered
// server.properties from the pieces in the task environment into a file
// only the task user can read, drops the pieces from the environment, and
// execs the distribution's kafka-server-start.sh with the file, so the
// broker is the task's process and receives its SIGTERM. printf is a shell
// builtin, so the pieces are never passed to an exec as arguments.
func startCommand(b BrokerOptions, jmx JMXOptions) string {
	pieces := make([]string, ServerPropertiesChunks)
	names := make([]string, ServerPropertiesChunks)
	for i := range pieces {
		names[i] = chunkEnv(i)
		pieces[i] = `"${` + names[i] + `-}"`
	}
	lines := []string{
		"set -e",
		`cd "${MESOS_SANDBOX:-.}"`,
		"umask 077",
		`printf '%s' ` + strings.Join(pieces, " ") + ` | base64 -d > server.properties`,
		"unset " + strings.Join(names, " "),
	}
	if jmx.Enabled {
		lines = append(lines, jmxStartLines(jmx)...)
	}
	if b.JavaURI != "" {
		lines = append(lines,
			`JAVA_HOME="$(ls -d "$PWD"/jdk*/ "$PWD"/jre*/ 2>/dev/null | head -n 1)"`,
			`export JAVA_HOME="${JAVA_HOME%/}"`,
			`export PATH="$JAVA_HOME/bin:$PATH"`)
	}
	lines = append(lines, fmt.Sprintf(`exec "$PWD/%s/bin/kafka-server-start.sh" "$PWD/server.properties"`, b.KafkaVersionPath))
	return strings.Join(lines, "\n")
}

// readinessCommand passes once the broker logged that it started: the
// "[KafkaServer id=<i>] started" line Kafka (and the dev distribution)
// writes to <dist>/logs/server.log. Values are literal, so the check does
// not depend on inheriting the task's environment.
func readinessCommand(i int, versionPath string) string {
	return fmt.Sprintf(`grep -q -F '[KafkaServer id=%d] started' "${MESOS_SANDBOX:-.}/%s/logs/"server.log*`, i, versionPath)
}

// healthCommand passes when the broker port accepts a TCP connection
// (the PORT method). It uses bash's /dev/tcp, so it needs bash on the agent
// but no other tool.
func healthCommand(host string, port int) string {
	return fmt.Sprintf(`exec bash -c 'exec 3<>"/dev/tcp/$0/$1"' %s %d`, host, port)
}

func seconds(n int) time.Duration { return time.Duration(n) * time.Second }

func chunkEnv(n int) string { return EnvServerPropertiesChunk + strconv.Itoa(n) }

// serverPropertiesChunks base64-encodes props and splits the text into
// pieces of at most ServerPropertiesChunkBytes, refusing a file that would
// need more than ServerPropertiesChunks of them.
func serverPropertiesChunks(props []byte) ([]string, error) {
	encoded := base64.StdEncoding.EncodeToString(props)
	if len(encoded) > ServerPropertiesChunks*ServerPropertiesChunkBytes {
		return nil, fmt.Errorf("the file is %d bytes, %d once base64-encoded, over the %d a task can be given (%d bytes of server.properties at most)",
			len(props), len(encoded), ServerPropertiesChunks*ServerPropertiesChunkBytes, brokerconfig.MaxServerPropertiesBytes)
	}
	var chunks []string
	for len(encoded) > ServerPropertiesChunkBytes {
		chunks = append(chunks, encoded[:ServerPropertiesChunkBytes])
		encoded = encoded[ServerPropertiesChunkBytes:]
	}
	return append(chunks, encoded), nil
}

// Site is what is known about a broker only when it is launched.
type Site struct {
	// Hostname of the agent: the address advertised to clients.
	Hostname string
	// ListenAddress is the address the broker binds; "" binds the
	// hostname's address (use "0.0.0.0" to bind every interface).
	ListenAddress string
	// Port is the broker port taken from the offer; with a fixed
	// brokers.port it must be that port.
	Port int
	// VolumePath is the persistent volume as the task sees it; "" means
	// brokers.disk_path relative to the sandbox.
	VolumePath string
	// Zone is the agent's fault-domain zone; it becomes broker.rack when
	// the placement refers to @zone (as DC/OS Kafka does).
	Zone string
}

// Launch completes broker i's template for a launch at site: the actual
// port, KAFKA_BROKER_PORT, the rendered server.properties (in the
// KAFKA_SERVER_PROPERTIES_B64_<n> pieces the command decodes, and returned
// on its own) and the health check command. When the site or the settings
// are unusable the error is, or wraps, a validation.Problems naming each
// problem (errors.As finds it).
func (s ServiceSpec) Launch(i int, site Site) (BrokerTask, []byte, error) {
	t, err := s.Broker(i)
	if err != nil {
		return BrokerTask{}, nil, err
	}
	if fixed := s.Options.Brokers.Port; fixed != 0 && site.Port != fixed {
		var ps validation.Problems
		ps.Addf("site.port", strconv.Itoa(site.Port), "must be the fixed brokers.port %d", fixed)
		return BrokerTask{}, nil, ps
	}
	props, err := s.ServerProperties(i, site)
	if err != nil {
		return BrokerTask{}, nil, err
	}
	chunks, err := serverPropertiesChunks(props)
	if err != nil {
		return BrokerTask{}, nil, fmt.Errorf("delivering server.properties of broker %d: %w", i, err)
	}
	t.Ports[0].Port = site.Port
	t.Env = maps.Clone(t.Env)
	t.Env[EnvBrokerPort] = strconv.Itoa(site.Port)
	for n, c := range chunks {
		t.Env[chunkEnv(n)] = c
	}
	if jmx := s.Options.Service.JMX; jmx.Enabled {
		t.Env[EnvJMXOpts] = jmxOpts(jmx, site.Hostname)
	}
	if t.HealthCheck != nil {
		host := site.ListenAddress
		if host == "" || host == "0.0.0.0" || host == "::" {
			host = site.Hostname
		}
		t.HealthCheck.Command = healthCommand(host, site.Port)
	}
	return t, props, nil
}

// ServerProperties renders broker i's server.properties for a launch at
// site, through brokerconfig.Render: broker.id = i, listeners on the
// listen address, advertised.listeners on the agent hostname, log.dirs =
// <volume>/broker-<i>, zookeeper.connect = KafkaZookeeperURI, and
// broker.rack = the zone when the placement refers to @zone (unless
// kafka.server_properties sets broker.rack itself).
func (s ServiceSpec) ServerProperties(i int, site Site) ([]byte, error) {
	if i < 0 || i >= s.BrokerCount() {
		return nil, fmt.Errorf("broker index %d is out of range: service %q has brokers 0 to %d", i, s.Name, s.BrokerCount()-1)
	}
	volume := site.VolumePath
	if volume == "" {
		volume = s.Options.Brokers.DiskPath
	}
	listen := site.ListenAddress
	if listen == "" {
		listen = site.Hostname
	}
	settings := s.Options.Kafka
	if s.Placement.References(placement.FieldZone) && site.Zone != "" {
		if _, set := settings.ServerProperties["broker.rack"]; !set {
			settings.ServerProperties = maps.Clone(settings.ServerProperties)
			if settings.ServerProperties == nil {
				settings.ServerProperties = map[string]string{}
			}
			settings.ServerProperties["broker.rack"] = site.Zone
		}
	}
	props, err := brokerconfig.Render(settings, brokerconfig.Broker{
		ID:               i,
		ListenHost:       listen,
		AdvertisedHost:   site.Hostname,
		Port:             site.Port,
		LogDir:           strings.TrimSuffix(volume, "/") + "/broker-" + strconv.Itoa(i),
		ZookeeperConnect: s.KafkaZookeeperURI,
	})
	if err != nil {
		return nil, fmt.Errorf("rendering server.properties of broker %d: %w", i, err)
	}
	return props, nil
}
