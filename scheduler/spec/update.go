package spec

import (
	"errors"
	"strconv"

	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/placement"
	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/validation"
)

// ValidateUpdate returns every reason the running service described by old
// cannot be changed to next (dcos-commons' config validators plus the DC/OS
// Kafka docs):
//
//   - service.name, service.user and service.region never change;
//   - brokers.count never decreases (brokers can only be added);
//   - brokers.disk, brokers.disk_type and brokers.disk_path never change
//     (persistent volumes cannot be resized, retyped or moved);
//   - kafka.kafka_zookeeper_uri never changes (the brokers' metadata lives
//     there);
//   - service.placement_strategy never changes (the DC/OS docs: "cannot be
//     changed once the Kafka cluster is started");
//   - the placement may not start or stop referring to @zone (DC/OS
//     KafkaZoneValidator: broker.rack comes from the zone).
//
// Everything else may change: cpus, mem, heap, port, checks and Kafka
// settings roll through the brokers; a new placement_constraint applies to
// new and replaced brokers only.
func ValidateUpdate(old, next ServiceSpec) validation.Problems {
	ps := validateOptionsUpdate(old, next.Options, nil)
	if was, now := old.Placement.References(placement.FieldZone), next.Placement.References(placement.FieldZone); was != now {
		rule := "cannot start referring to @zone after install: brokers were placed without zones and have no broker.rack"
		if was {
			rule = "cannot stop referring to @zone after install: brokers' broker.rack comes from their zone"
		}
		ps.Add("service.placement_constraint", next.Options.Service.PlacementConstraint, rule)
	}
	return ps
}

// ParseUpdate is Parse for an update of the running service current: the
// error lists, in one validation.Problems, every problem of the options
// (decoding, validation) and every change current cannot take
// (ValidateUpdate), so that one answer shows a bad option and a disk change
// together. Options that failed to decode are not judged for the update.
func ParseUpdate(data []byte, defaults Options, env Environment, current ServiceSpec) (ServiceSpec, error) {
	next, err := Parse(data, defaults, env)
	var problems validation.Problems
	switch {
	case err == nil:
		if err := ValidateUpdate(current, next).Err(); err != nil {
			return ServiceSpec{}, err
		}
		return next, nil
	case !errors.As(err, &problems):
		return ServiceSpec{}, err
	}
	opts, decodeProblems := DecodeOptions(data, defaults)
	bad := map[string]bool{}
	for _, p := range decodeProblems {
		bad[p.Field] = true
	}
	if bad["options"] {
		return ServiceSpec{}, problems
	}
	problems.Merge("", validateOptionsUpdate(current, opts, bad))
	return ServiceSpec{}, problems
}

// validateOptionsUpdate is ValidateUpdate's rules on the options alone
// (all but the @zone rule, which needs the parsed placement); fields in
// skip are not judged.
func validateOptionsUpdate(old ServiceSpec, n Options, skip map[string]bool) validation.Problems {
	var ps validation.Problems
	o := old.Options
	fixedString(&ps, "service.name", o.Service.Name, n.Service.Name)
	fixedString(&ps, "service.user", o.Service.User, n.Service.User)
	fixedString(&ps, "service.region", o.Service.Region, n.Service.Region)
	fixedString(&ps, "service.placement_strategy", o.Service.PlacementStrategy, n.Service.PlacementStrategy)
	if n.Brokers.Count < o.Brokers.Count {
		ps.Addf("brokers.count", strconv.Itoa(n.Brokers.Count),
			"cannot decrease (from %d to %d): brokers can only be added", o.Brokers.Count, n.Brokers.Count)
	}
	if o.Brokers.Disk != n.Brokers.Disk {
		ps.Add("brokers.disk", formatFloat(n.Brokers.Disk),
			"cannot change after install (was "+formatFloat(o.Brokers.Disk)+"): persistent volumes cannot be resized")
	}
	if o.Brokers.DiskType != n.Brokers.DiskType {
		ps.Add("brokers.disk_type", n.Brokers.DiskType,
			"cannot change after install (was "+o.Brokers.DiskType+"): persistent volumes cannot change type")
	}
	if o.Brokers.DiskPath != n.Brokers.DiskPath {
		ps.Add("brokers.disk_path", n.Brokers.DiskPath,
			"cannot change after install (was "+strconv.Quote(o.Brokers.DiskPath)+"): persistent volumes cannot move")
	}
	fixedString(&ps, "kafka.kafka_zookeeper_uri", o.Kafka.KafkaZookeeperURI, n.Kafka.KafkaZookeeperURI)
	var kept validation.Problems
	for _, p := range ps {
		if !skip[p.Field] {
			kept = append(kept, p)
		}
	}
	return kept
}

func fixedString(ps *validation.Problems, field, was, now string) {
	if was != now {
		ps.Add(field, now, "cannot change after install (was "+strconv.Quote(was)+")")
	}
}
