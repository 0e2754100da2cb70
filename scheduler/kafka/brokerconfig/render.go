package brokerconfig

import (
	"bytes"
	"fmt"
	"io"
	"net"
	"sort"
	"strconv"
	"strings"

	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/validation"
)

// Broker is what the scheduler decides for one broker at launch time.
type Broker struct {
	// ID is the pod index, rendered as broker.id.
	ID int
	// ListenHost is the address to bind; empty binds every interface.
	ListenHost string
	// AdvertisedHost is the address clients are told to connect to.
	AdvertisedHost string
	// Port is the broker port reserved for this broker.
	Port int
	// LogDir is the log directory on the persistent volume. A relative path
	// is relative to the task sandbox (the broker's working directory).
	LogDir string
	// ZookeeperConnect is the service's znode (host:port,.../dcos-service-<name>).
	// Settings.KafkaZookeeperURI, when set, is used instead.
	ZookeeperConnect string
}

// zookeeperConnectionTimeoutMs is the fixed value DC/OS Kafka rendered;
// server_properties may override it.
const zookeeperConnectionTimeoutMs = "6000"

// Validate returns every problem in the per-broker values. Field names are
// prefixed with "broker.".
func (b Broker) Validate(s Settings) validation.Problems {
	var ps validation.Problems
	if b.ID < 0 || b.ID > s.ReservedBrokerMaxID {
		ps.Addf("broker.id", strconv.Itoa(b.ID), "must be between 0 and reserved_broker_max_id (%d)", s.ReservedBrokerMaxID)
	}
	if b.ListenHost != "" && (len(b.ListenHost) > MaxHostLength || !validHost(b.ListenHost)) {
		ps.Addf("broker.listen_host", b.ListenHost, "must be a host name or IP address of at most %d characters, or empty to bind every interface", MaxHostLength)
	}
	switch {
	case strings.TrimSpace(b.AdvertisedHost) == "":
		ps.Add("broker.advertised_host", b.AdvertisedHost, "must not be empty: clients connect to this address")
	case isUnspecifiedIP(b.AdvertisedHost):
		ps.Add("broker.advertised_host", b.AdvertisedHost, "must be a concrete address, not a wildcard: clients connect to it")
	case len(b.AdvertisedHost) > MaxHostLength || !validHost(b.AdvertisedHost):
		ps.Addf("broker.advertised_host", b.AdvertisedHost, "must be a host name or IP address of at most %d characters", MaxHostLength)
	}
	if b.Port < 1 || b.Port > 65535 {
		ps.Add("broker.port", strconv.Itoa(b.Port), "must be between 1 and 65535")
	}
	if strings.TrimSpace(b.LogDir) == "" || strings.ContainsAny(b.LogDir, ",\r\n") || len(b.LogDir) > MaxLogDirLength {
		ps.Addf("broker.log_dir", b.LogDir, "must be one directory path of at most %d bytes without commas or line breaks", MaxLogDirLength)
	}
	if s.KafkaZookeeperURI == "" {
		if len(b.ZookeeperConnect) > MaxZookeeperConnectLength {
			ps.Addf("broker.zookeeper_connect", b.ZookeeperConnect, "must be at most %d bytes long", MaxZookeeperConnectLength)
		} else if rule := zookeeperConnectRule(b.ZookeeperConnect); rule != "" {
			ps.Add("broker.zookeeper_connect", b.ZookeeperConnect, rule)
		}
	}
	return ps
}

func validHost(h string) bool {
	return net.ParseIP(h) != nil || zkHostPattern.MatchString(h)
}

func isUnspecifiedIP(h string) bool {
	ip := net.ParseIP(h)
	return ip != nil && ip.IsUnspecified()
}

// Render returns the server.properties for broker b. The output is
// deterministic: fixed groups in a fixed order, keys sorted within a group.
// Invalid settings or broker values return validation.Problems (settings
// fields are prefixed with "kafka.") and no output.
func Render(s Settings, b Broker) ([]byte, error) {
	var ps validation.Problems
	ps.Merge("kafka", s.Validate())
	ps = append(ps, b.Validate(s)...)
	if err := ps.Err(); err != nil {
		return nil, err
	}
	s = s.Effective() // named keys of server_properties render from their option

	var out bytes.Buffer
	fmt.Fprintf(&out, "# server.properties for Kafka broker %d, rendered by kafka-scheduler.\n", b.ID)
	out.WriteString("# Do not edit: the scheduler writes this file again on every launch.\n")

	writeGroup(&out, "Broker identity and listeners (set by the scheduler)", []property{
		{"broker.id", strconv.Itoa(b.ID)},
		{"listeners", "PLAINTEXT://" + net.JoinHostPort(b.ListenHost, strconv.Itoa(b.Port))},
		{"advertised.listeners", "PLAINTEXT://" + net.JoinHostPort(b.AdvertisedHost, strconv.Itoa(b.Port))},
		{"log.dirs", b.LogDir},
	})

	zk := []property{{"zookeeper.connect", b.zookeeperConnect(s)}}
	if _, overridden := s.ServerProperties["zookeeper.connection.timeout.ms"]; !overridden {
		zk = append(zk, property{"zookeeper.connection.timeout.ms", zookeeperConnectionTimeoutMs})
	}
	writeGroup(&out, "ZooKeeper", zk)

	writeGroup(&out, groupNamed, s.namedProperties())
	if len(s.ServerProperties) > 0 {
		writeGroup(&out, groupExtra, s.extraProperties())
	}
	if out.Len() > MaxServerPropertiesBytes {
		// Validate and the bounds on Broker keep this from happening; if it
		// ever does, refuse rather than hand a broker a file it cannot get.
		var ps validation.Problems
		ps.Addf("kafka.server_properties", "", "the rendered server.properties of broker %d is %d bytes, over the %d-byte limit; remove or shorten properties",
			b.ID, out.Len(), MaxServerPropertiesBytes)
		return nil, ps
	}
	return out.Bytes(), nil
}

func (b Broker) zookeeperConnect(s Settings) string {
	if s.KafkaZookeeperURI != "" {
		return s.KafkaZookeeperURI
	}
	return b.ZookeeperConnect
}

type property struct{ key, value string }

func (s Settings) namedProperties() []property {
	var props []property
	for _, o := range s.options() {
		if v, ok := o.value(); ok {
			props = append(props, property{o.key, v})
		}
	}
	sortProperties(props)
	return props
}

func (s Settings) extraProperties() []property {
	props := make([]property, 0, len(s.ServerProperties))
	for k, v := range s.ServerProperties {
		props = append(props, property{k, strings.TrimSpace(v)})
	}
	sortProperties(props)
	return props
}

func sortProperties(props []property) {
	sort.Slice(props, func(i, j int) bool { return props[i].key < props[j].key })
}

// Group titles of the rendered file.
const (
	groupNamed = "Service options (kafka section)"
	groupExtra = "Extra properties (kafka.server_properties)"
)

// propertyWriter is where writeGroup writes: a buffer, or a counter when
// only the size matters.
type propertyWriter interface {
	io.Writer
	io.StringWriter
	io.ByteWriter
}

func writeGroup(out propertyWriter, title string, props []property) {
	fmt.Fprintf(out, "\n############################# %s #############################\n", title)
	for _, p := range props {
		out.WriteString(escapeKey(p.key))
		out.WriteByte('=')
		out.WriteString(escapeValue(p.value))
		out.WriteByte('\n')
	}
}
