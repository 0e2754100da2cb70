// Package rollout decides what each broker of a running service must do
// when its configuration changes, and in which order brokers restart.
//
// For every broker, an update is exactly one Action:
//
//   - None: nothing that shapes the broker changed (a new broker count, a
//     new placement_constraint, a new deploy or update strategy restart
//     nothing: placement applies to launched and replaced brokers only);
//   - Launch: the broker is new (the count grew); no other broker restarts;
//   - Restart: something the running broker cannot pick up changed: its
//     resources (cpus, mem), heap, port, the distribution or Java URIs,
//     checks, kill grace period, the broker environment, the secrets it
//     receives (service.secrets, service.jmx) or the version of one of
//     them (field "secret:<path>", old and new version), or a Kafka
//     property whose dynamic update mode is read-only or per-broker;
//   - Reconfigure: only Kafka properties that Kafka can change on a running
//     cluster, cluster-wide, changed. They are applied once, to the
//     cluster's default broker resource (IncrementalAlterConfigs on
//     BROKER ""), and no broker restarts; the next launch renders the same
//     values into server.properties.
//
// Classify makes that decision from the current and the next spec alone,
// so the preview of an update and the update itself are built by the same
// code. Order then puts the brokers to restart in a safe order: by broker
// id, with the active controller last (a controller restart moves the
// controllership, and should happen once, at the end).
//
// The package does no I/O.
package rollout
