package devkafka

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// RegistryDirProperty is the dev-only server.properties key that places the
// cluster registry in a chosen directory instead of the default under the
// OS temp dir. The scheduler renders it as an extra property
// (kafka.server_properties) in dev mode so that several dev schedulers on
// one machine never share a registry. Apache Kafka ignores unknown keys
// (with a warning), so the property is harmless in production.
const RegistryDirProperty = "devkafka.registry.dir"

// Config is what a stand-in broker needs, all taken from server.properties.
type Config struct {
	BrokerID int32
	// ListenHost and ListenPort are where the broker accepts clients; an
	// empty host binds every interface.
	ListenHost string
	ListenPort int
	// AdvertisedHost and AdvertisedPort are what Metadata tells clients.
	AdvertisedHost string
	AdvertisedPort int
	Rack           *string
	// LogDir holds the broker's partitions (the first entry of log.dirs).
	LogDir string
	// ZookeeperConnect is the cluster identity: brokers with the same
	// zookeeper.connect form one cluster.
	ZookeeperConnect string
	// RegistryDir holds the shared cluster registry.
	RegistryDir string

	NumPartitions            int32
	DefaultReplicationFactor int16
	AutoCreateTopics         bool
	DeleteTopicEnable        bool
	OffsetsTopicPartitions   int32
	OffsetsTopicReplication  int16
	// Properties is every property of server.properties, for
	// DescribeConfigs on the broker resource and for topic config defaults.
	Properties map[string]string
}

// ConfigFromProperties builds a Config from server.properties contents,
// reporting every missing or invalid property at once.
func ConfigFromProperties(props map[string]string) (Config, error) {
	p := propertyReader{props: props}
	cfg := Config{Properties: props}
	cfg.BrokerID = int32(p.int("broker.id", -1, 0, 1<<31-1, true))
	cfg.ZookeeperConnect = p.required("zookeeper.connect")
	cfg.LogDir = firstLogDir(&p, props)
	cfg.NumPartitions = int32(p.int("num.partitions", 1, 1, 1<<31-1, false))
	cfg.DefaultReplicationFactor = int16(p.int("default.replication.factor", 1, 1, 1<<15-1, false))
	cfg.AutoCreateTopics = p.bool("auto.create.topics.enable", true)
	cfg.DeleteTopicEnable = p.bool("delete.topic.enable", true)
	cfg.OffsetsTopicPartitions = int32(p.int("offsets.topic.num.partitions", 50, 1, 1<<31-1, false))
	cfg.OffsetsTopicReplication = int16(p.int("offsets.topic.replication.factor", 3, 1, 1<<15-1, false))
	if rack, ok := props["broker.rack"]; ok && rack != "" {
		cfg.Rack = &rack
	}
	p.listeners(&cfg)
	if len(p.errs) > 0 {
		return Config{}, fmt.Errorf("invalid server.properties: %w", errors.Join(p.errs...))
	}
	cfg.RegistryDir = props[RegistryDirProperty]
	if cfg.RegistryDir == "" {
		cfg.RegistryDir = DefaultRegistryDir(cfg.ZookeeperConnect)
	}
	return cfg, nil
}

// DefaultRegistryDir is where brokers whose zookeeper.connect is identity
// keep their registry when devkafka.registry.dir is not set.
func DefaultRegistryDir(identity string) string {
	sum := sha256.Sum256([]byte(identity))
	return filepath.Join(os.TempDir(), "kafka-dev-registry", hex.EncodeToString(sum[:8]))
}

func firstLogDir(p *propertyReader, props map[string]string) string {
	dirs := props["log.dirs"]
	if dirs == "" {
		dirs = props["log.dir"]
	}
	if dirs == "" {
		p.fail("log.dirs is required: the broker keeps its partitions there")
		return ""
	}
	first, _, _ := strings.Cut(dirs, ",")
	return strings.TrimSpace(first)
}

type propertyReader struct {
	props map[string]string
	errs  []error
}

func (p *propertyReader) fail(format string, args ...any) {
	p.errs = append(p.errs, fmt.Errorf(format, args...))
}

func (p *propertyReader) required(key string) string {
	v := strings.TrimSpace(p.props[key])
	if v == "" {
		p.fail("%s is required", key)
	}
	return v
}

func (p *propertyReader) int(key string, def, lo, hi int64, required bool) int64 {
	raw, ok := p.props[key]
	if !ok || strings.TrimSpace(raw) == "" {
		if required {
			p.fail("%s is required", key)
		}
		return def
	}
	n, err := strconv.ParseInt(strings.TrimSpace(raw), 10, 64)
	if err != nil || n < lo || n > hi {
		p.fail("%s=%q must be a whole number between %d and %d", key, raw, lo, hi)
		return def
	}
	return n
}

func (p *propertyReader) bool(key string, def bool) bool {
	raw, ok := p.props[key]
	if !ok {
		return def
	}
	switch strings.TrimSpace(strings.ToLower(raw)) {
	case "true":
		return true
	case "false":
		return false
	}
	p.fail("%s=%q must be true or false", key, raw)
	return def
}

// listeners reads listeners and advertised.listeners. The stand-in serves
// one PLAINTEXT listener; any other security protocol is refused rather than
// silently served in plain text.
func (p *propertyReader) listeners(cfg *Config) {
	raw := strings.TrimSpace(p.props["listeners"])
	if raw == "" {
		p.fail("listeners is required (for example PLAINTEXT://127.0.0.1:9092)")
		return
	}
	protocols := securityProtocolMap(p.props["listener.security.protocol.map"])
	listeners, err := parseListeners(raw)
	if err != nil {
		p.fail("listeners=%q: %v", raw, err)
		return
	}
	if len(listeners) != 1 {
		p.fail("listeners=%q: the dev stand-in serves exactly one listener", raw)
		return
	}
	l := listeners[0]
	if proto := protocols[l.name]; proto != "PLAINTEXT" {
		p.fail("listeners=%q: listener %s uses security protocol %q; the dev stand-in serves PLAINTEXT only", raw, l.name, proto)
		return
	}
	cfg.ListenHost, cfg.ListenPort = l.host, l.port
	cfg.AdvertisedHost, cfg.AdvertisedPort = l.host, l.port
	if rawAdv := strings.TrimSpace(p.props["advertised.listeners"]); rawAdv != "" {
		adv, err := parseListeners(rawAdv)
		if err != nil {
			p.fail("advertised.listeners=%q: %v", rawAdv, err)
			return
		}
		found := false
		for _, a := range adv {
			if a.name == l.name {
				cfg.AdvertisedHost, cfg.AdvertisedPort, found = a.host, a.port, true
			}
		}
		if !found {
			p.fail("advertised.listeners=%q names no listener %s", rawAdv, l.name)
			return
		}
	}
	if cfg.AdvertisedHost == "" || net.ParseIP(cfg.AdvertisedHost) != nil && net.ParseIP(cfg.AdvertisedHost).IsUnspecified() {
		host, err := os.Hostname()
		if err != nil {
			p.fail("advertised.listeners has no host and the machine's host name is unknown: %v", err)
			return
		}
		cfg.AdvertisedHost = host
	}
}

type listener struct {
	name string
	host string
	port int
}

func parseListeners(raw string) ([]listener, error) {
	var out []listener
	for _, entry := range strings.Split(raw, ",") {
		entry = strings.TrimSpace(entry)
		name, hostPort, ok := strings.Cut(entry, "://")
		if !ok || name == "" {
			return nil, fmt.Errorf("entry %q must look like NAME://host:port", entry)
		}
		host, portStr, err := net.SplitHostPort(hostPort)
		if err != nil {
			return nil, fmt.Errorf("entry %q: %v", entry, err)
		}
		port, err := strconv.Atoi(portStr)
		if err != nil || port < 0 || port > 65535 {
			return nil, fmt.Errorf("entry %q has an invalid port", entry)
		}
		out = append(out, listener{name: strings.ToUpper(name), host: host, port: port})
	}
	return out, nil
}

// securityProtocolMap parses listener.security.protocol.map; listener names
// that equal a protocol map to themselves, as in Kafka.
func securityProtocolMap(raw string) map[string]string {
	m := map[string]string{"PLAINTEXT": "PLAINTEXT", "SSL": "SSL", "SASL_PLAINTEXT": "SASL_PLAINTEXT", "SASL_SSL": "SASL_SSL"}
	for _, pair := range strings.Split(raw, ",") {
		name, proto, ok := strings.Cut(strings.TrimSpace(pair), ":")
		if ok {
			m[strings.ToUpper(strings.TrimSpace(name))] = strings.ToUpper(strings.TrimSpace(proto))
		}
	}
	return m
}
