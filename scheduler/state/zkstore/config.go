package zkstore

import (
	"fmt"
	"log/slog"
	"net"
	"strings"
	"time"

	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/state"
)

// Defaults for Config's zero fields.
const (
	DefaultSessionTimeout   = 10 * time.Second
	DefaultOperationTimeout = 10 * time.Second
)

// Config says which ZooKeeper to use and where the store lives in it.
type Config struct {
	// Servers are the ensemble's "host:port" addresses.
	Servers []string
	// Root is the znode everything is kept under, e.g. ServiceRoot("kafka")
	// = "/dcos-service-kafka". It is created (with parents) if missing.
	Root string
	// SessionTimeout is the session timeout asked of the server, which may
	// clamp it to its own bounds. Zero means DefaultSessionTimeout.
	SessionTimeout time.Duration
	// OperationTimeout bounds every call on top of its context, so a call
	// made while ZooKeeper is unreachable fails with state.ErrUnavailable
	// instead of waiting for a reconnect. Zero means DefaultOperationTimeout.
	OperationTimeout time.Duration
	// Auth, when set, authenticates the session with these digest
	// credentials and creates every node with a digest ACL that gives them
	// all permissions and nobody else any.
	Auth *DigestAuth
	// Logger receives connection and lock messages; nil discards them.
	Logger *slog.Logger
}

// DigestAuth is a ZooKeeper digest user and password. Its String and
// LogValue never show the password.
type DigestAuth struct {
	Username string
	Password string
}

func (a DigestAuth) String() string {
	return fmt.Sprintf("digest user %q (password redacted)", a.Username)
}

// LogValue keeps the password out of slog output.
func (a DigestAuth) LogValue() slog.Value {
	return slog.GroupValue(slog.String("scheme", "digest"), slog.String("user", a.Username))
}

// ServiceRoot is the znode DC/OS keeps a service's state under:
// "/dcos-service-<name>", with slashes in the name replaced by "__".
func ServiceRoot(service string) string {
	return "/dcos-service-" + strings.ReplaceAll(strings.Trim(service, "/"), "/", "__")
}

// withDefaults validates the configuration and fills in defaults.
func (c Config) withDefaults() (Config, error) {
	if len(c.Servers) == 0 {
		return c, fmt.Errorf("zookeeper store config: no servers given; set Servers to the ensemble's host:port addresses")
	}
	for _, server := range c.Servers {
		if _, _, err := net.SplitHostPort(server); err != nil {
			return c, fmt.Errorf("zookeeper store config: server %q is not host:port: %v", server, err)
		}
	}
	if err := validateRoot(c.Root); err != nil {
		return c, err
	}
	if c.Auth != nil {
		if c.Auth.Username == "" || strings.Contains(c.Auth.Username, ":") {
			return c, fmt.Errorf("zookeeper store config: the digest user name must be non-empty and contain no ':'")
		}
		if c.Auth.Password == "" {
			return c, fmt.Errorf("zookeeper store config: the digest password for user %q is empty", c.Auth.Username)
		}
	}
	if c.SessionTimeout <= 0 {
		c.SessionTimeout = DefaultSessionTimeout
	}
	if c.OperationTimeout <= 0 {
		c.OperationTimeout = DefaultOperationTimeout
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	return c, nil
}

func validateRoot(root string) error {
	if !strings.HasPrefix(root, "/") || root == "/" {
		return fmt.Errorf("zookeeper store config: root %q must be an absolute znode path below \"/\", such as %q", root, ServiceRoot("kafka"))
	}
	if strings.TrimPrefix(root, "/") == "zookeeper" || strings.HasPrefix(root, "/zookeeper/") {
		return fmt.Errorf("zookeeper store config: root %q is inside ZooKeeper's reserved /zookeeper tree", root)
	}
	if err := state.ValidateKey(strings.TrimPrefix(root, "/")); err != nil {
		return fmt.Errorf("zookeeper store config: root %q: %w", root, err)
	}
	return nil
}
