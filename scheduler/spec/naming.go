package spec

import "strings"

// Where a service keeps its state, in the layout DC/OS uses: every service
// under its own top-level key dcos-service-<sanitized name>, its ZooKeeper
// node without the leading slash (ZNode is the one source of the rule).

// ServiceKey returns the top-level state key of a service:
// "dcos-service-prod__kafka" for "prod/kafka".
func ServiceKey(name string) string { return strings.TrimPrefix(ZNode(name), "/") }

// IsServiceKey reports whether a top-level state key is a service's.
func IsServiceKey(key string) bool {
	prefix := ServiceKey("")
	return strings.HasPrefix(key, prefix) && len(key) > len(prefix)
}
