// Package offers evaluates Mesos resource offers against what a broker pod
// needs, and says in words why an offer does not fit.
//
// A refusal is a *Mismatch listing every Reason at once; each reason has a
// class that groups the same reason across agents ("insufficient mem",
// "placement hostname:UNIQUE") and the offer's particulars ("need 2080,
// offer has 400 unreserved"). A Tally counts the agents per class with a few
// examples, Nomad-style, so that a cycle over a thousand agents is explained
// in a few clauses.
//
// A pod that has never run gets fresh dynamic reservations: every resource
// it uses (cpus, mem, ports, disk, and the default executor's share) is
// RESERVEd for the service's role with a unique `resource_id` label, and its
// disk becomes a persistent volume with CREATE. A pod that ran before is
// sticky: it is only ever relaunched on the resources that carry its own
// resource_id labels, which Mesos offers back on the same agent, so the
// broker finds its data again. When the configuration changed its cpus or
// mem, the relaunch resizes those reservations in place (resize.go):
// RESERVE of the increase, UNRESERVE of the decrease, under the same labels,
// or, when the agent cannot fit the increase, a reason naming the short
// resource; the pod never moves to another agent for it.
//
// Reserved resources whose resource_id belongs to no pod of the service are
// unexpected: Cleanup turns them into DESTROY and UNRESERVE operations, so
// that nothing stays reserved after a pod is replaced or the service is
// uninstalled.
//
// Everything here is pure computation on mesos-go types: no I/O.
package offers
