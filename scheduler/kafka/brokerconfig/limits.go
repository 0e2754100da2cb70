package brokerconfig

import (
	"fmt"

	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/validation"
)

// Size limits of the kafka section and of the server.properties rendered
// from it. The scheduler must be able to hand a broker its whole file on
// every Mesos agent (see spec's ServerPropertiesChunks for how it travels)
// and to store the task that carries it in ZooKeeper, so the file as a whole
// is bounded, and so is each part an operator controls.
const (
	// MaxServerPropertiesBytes bounds a rendered server.properties: 256 KiB,
	// a hundred times what a richly configured broker needs.
	MaxServerPropertiesBytes = 256 << 10
	// ReservedBrokerBytes is the part of MaxServerPropertiesBytes kept for
	// the lines the scheduler sets per broker (broker.id, listeners,
	// advertised.listeners, log.dirs, zookeeper.connect and the headers);
	// the Broker values are bounded so that they always fit in it.
	ReservedBrokerBytes = 16 << 10
	// MaxServerProperties bounds how many keys kafka.server_properties has.
	MaxServerProperties = 1000
	// MaxPropertyKeyLength bounds one server_properties key.
	MaxPropertyKeyLength = 255
	// MaxStringLength bounds every named string option (and
	// kafka_zookeeper_uri).
	MaxStringLength = 4096
	// MaxHostLength bounds a broker's listen and advertised host (a DNS
	// name's limit).
	MaxHostLength = 253
	// MaxLogDirLength bounds a broker's log directory (PATH_MAX).
	MaxLogDirLength = 4096
	// MaxZookeeperConnectLength bounds the per-broker zookeeper.connect.
	MaxZookeeperConnectLength = 8192
)

// settingsBudget is how large the operator's part of server.properties
// (named options and server_properties) may be.
const settingsBudget = MaxServerPropertiesBytes - ReservedBrokerBytes

// renderedSettingsSize is the size in bytes of the operator's part of the
// rendered server.properties: the named options, the extra properties and
// their group headers, exactly as Render writes them.
func (s Settings) renderedSettingsSize() int {
	var out countingWriter
	writeGroup(&out, groupNamed, s.namedProperties())
	if len(s.ServerProperties) > 0 {
		writeGroup(&out, groupExtra, s.extraProperties())
	}
	return out.n
}

// checkRenderedSize refuses settings whose rendered server.properties would
// not fit MaxServerPropertiesBytes with any broker's own lines.
func (s Settings) checkRenderedSize(ps *validation.Problems) {
	if n := s.renderedSettingsSize(); n > settingsBudget {
		ps.Addf("server_properties", fmt.Sprintf("%d keys", len(s.ServerProperties)),
			"the rendered server.properties would hold %d bytes of kafka options and server_properties, over the %d bytes they may take "+
				"(a broker's server.properties is at most %d bytes, %d of them kept for the lines the scheduler sets); remove or shorten properties",
			n, settingsBudget, MaxServerPropertiesBytes, ReservedBrokerBytes)
	}
}

// countingWriter counts what would be written.
type countingWriter struct{ n int }

func (w *countingWriter) WriteString(s string) (int, error) { w.n += len(s); return len(s), nil }
func (w *countingWriter) WriteByte(byte) error              { w.n++; return nil }
func (w *countingWriter) Write(p []byte) (int, error)       { w.n += len(p); return len(p), nil }
