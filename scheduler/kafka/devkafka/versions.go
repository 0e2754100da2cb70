package devkafka

import (
	"github.com/twmb/franz-go/pkg/kmsg"
	"github.com/twmb/franz-go/pkg/kversion"
)

// supportedKeys are the requests the stand-in serves, with the highest
// version of each (0 means "as high as Kafka 3.9 in ZooKeeper mode").
// Everything else is left out of ApiVersions, so clients see it as
// unsupported instead of getting answers that are only true of one broker:
// ACLs, quotas, SCRAM users and log dirs would be per-process state in
// kfake, and transactions would need markers written across processes.
// Partition reassignment is served from the registry, for followers only
// (reassign.go).
//
// Fetch stops at v12 and Produce at v11 because later versions address
// topics by id, and each broker's kfake gives a topic its own local id; by
// name, every broker agrees.
var supportedKeys = map[kmsg.Key]int16{
	kmsg.Produce:                 11,
	kmsg.Fetch:                   12,
	kmsg.ListOffsets:             0,
	kmsg.Metadata:                0,
	kmsg.OffsetCommit:            0,
	kmsg.OffsetFetch:             0,
	kmsg.FindCoordinator:         0,
	kmsg.JoinGroup:               0,
	kmsg.Heartbeat:               0,
	kmsg.LeaveGroup:              0,
	kmsg.SyncGroup:               0,
	kmsg.DescribeGroups:          0,
	kmsg.ListGroups:              0,
	kmsg.ApiVersions:             0,
	kmsg.CreateTopics:            0,
	kmsg.DeleteTopics:            0,
	kmsg.DeleteRecords:           0,
	kmsg.InitProducerID:          0,
	kmsg.OffsetForLeaderEpoch:    0,
	kmsg.DescribeConfigs:         0,
	kmsg.AlterConfigs:            0,
	kmsg.CreatePartitions:        0,
	kmsg.DeleteGroups:            0,
	kmsg.IncrementalAlterConfigs: 0,
	kmsg.OffsetDelete:            0,
	kmsg.DescribeCluster:         0,
	// Followers only; see reassign.go.
	kmsg.AlterPartitionAssignments:  0,
	kmsg.ListPartitionReassignments: 0,
}

// apiVersions returns the versions the stand-in advertises.
func apiVersions() *kversion.Versions {
	vs := kversion.V3_9_0()
	var drop []int16
	vs.EachMaxKeyVersion(func(k, v int16) {
		limit, ok := supportedKeys[kmsg.Key(k)]
		if !ok {
			drop = append(drop, k)
			return
		}
		if limit > 0 && v > limit {
			vs.SetMaxKeyVersion(k, limit)
		}
	})
	for _, k := range drop {
		vs.SetMaxKeyVersion(k, -1)
	}
	return vs
}
