// Package catalog names where each Kafka service keeps its state, in the
// layout DC/OS uses: every service under its own top-level key
// dcos-service-<name> (slashes in the name become "__"), with the raw name in
// servicename.
package catalog

import "strings"

// ServicePrefix starts the top-level key of every service.
const ServicePrefix = "dcos-service-"

// ServiceKey returns the top-level state key of a service.
func ServiceKey(name string) string {
	return ServicePrefix + strings.ReplaceAll(strings.Trim(name, "/"), "/", "__")
}
