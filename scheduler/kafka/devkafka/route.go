package devkafka

import (
	"context"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// route decides how one request is served: answered here from the cluster
// registry (cluster-wide metadata and every change to it), checked and
// forwarded (requests on partitions, which only the partition's home broker
// may serve), or forwarded as is (groups, producer ids, api versions).
func (b *Broker) route(req *request) outcome {
	key := kmsg.Key(req.key)
	limit, supported := supportedKeys[key]
	if !supported || limit > 0 && req.version > limit {
		// ApiVersions does not advertise it; a client that sends it
		// anyway gets what Kafka gives: a closed connection.
		b.log.Debug("closing connection on an unsupported request", "request", kmsg.NameForKey(req.key), "version", req.version)
		return outcome{closeConn: true}
	}
	ctx, cancel := context.WithTimeout(b.ctx, requestTimeout)
	defer cancel()

	switch key {
	case kmsg.ApiVersions, kmsg.InitProducerID, kmsg.JoinGroup, kmsg.SyncGroup, kmsg.Heartbeat,
		kmsg.LeaveGroup, kmsg.DescribeGroups, kmsg.ListGroups, kmsg.DeleteGroups:
		return forward
	}
	if err := req.decode(); err != nil {
		b.log.Debug("closing connection on a request that does not decode", "err", err)
		return outcome{closeConn: true}
	}
	v, err := b.view()
	if err != nil {
		b.log.Error("reading the cluster registry", "err", err)
		return outcome{closeConn: true}
	}
	switch r := req.kreq.(type) {
	case *kmsg.MetadataRequest:
		return answer(b.handleMetadata(ctx, v, r))
	case *kmsg.DescribeClusterRequest:
		return answer(b.handleDescribeCluster(v, r))
	case *kmsg.FindCoordinatorRequest:
		return answer(b.handleFindCoordinator(ctx, v, r))
	case *kmsg.CreateTopicsRequest:
		return answer(b.handleCreateTopics(ctx, v, r))
	case *kmsg.CreatePartitionsRequest:
		return answer(b.handleCreatePartitions(ctx, v, r))
	case *kmsg.DeleteTopicsRequest:
		return answer(b.handleDeleteTopics(ctx, v, r))
	case *kmsg.DescribeConfigsRequest:
		return answer(b.handleDescribeConfigs(v, r))
	case *kmsg.AlterConfigsRequest:
		return answer(b.handleAlterConfigs(ctx, v, r))
	case *kmsg.IncrementalAlterConfigsRequest:
		return answer(b.handleIncrementalAlterConfigs(ctx, v, r))
	case *kmsg.AlterPartitionAssignmentsRequest:
		return answer(b.handleAlterPartitionAssignments(ctx, v, r))
	case *kmsg.ListPartitionReassignmentsRequest:
		return answer(b.handleListPartitionReassignments(r))
	}
	// Everything else reads or writes this broker's partition store: bring
	// it up to date with the registry first, so that a topic created or
	// deleted through another broker a moment ago is already here.
	if err := b.local.ensure(ctx); err != nil {
		b.log.Error("updating the local partition store from the cluster registry", "err", err)
		return outcome{closeConn: true}
	}
	switch r := req.kreq.(type) {
	case *kmsg.ProduceRequest:
		return b.checkProduce(v, r)
	case *kmsg.FetchRequest:
		return checkPartitions(v, fetchPartitions(r), func(code codeFor) kmsg.Response { return fetchErrors(r, code) })
	case *kmsg.ListOffsetsRequest:
		return checkPartitions(v, listOffsetsPartitions(r), func(code codeFor) kmsg.Response { return listOffsetsErrors(r, code) })
	case *kmsg.OffsetForLeaderEpochRequest:
		return checkPartitions(v, epochPartitions(r), func(code codeFor) kmsg.Response { return epochErrors(r, code) })
	case *kmsg.DeleteRecordsRequest:
		return checkPartitions(v, deleteRecordsPartitions(r), func(code codeFor) kmsg.Response { return deleteRecordsErrors(r, code) })
	}
	return forward
}

func answer(resp kmsg.Response) outcome { return outcome{resp: resp} }

type topicPartition struct {
	topic     string
	partition int32
}

// codeFor gives the error code to answer for a partition.
type codeFor func(topicPartition) int16

// checkPartitions forwards a request whose partitions are all homed on
// this broker. Otherwise it answers every partition with an error without
// touching any data: the partition's own error, or NOT_LEADER for the
// partitions that were fine, so that the client refreshes its metadata and
// sends them again (a client only mixes partitions like this while its
// metadata is stale).
func checkPartitions(v *view, tps []topicPartition, build func(codeFor) kmsg.Response) outcome {
	errs := map[topicPartition]*kerr.Error{}
	for _, tp := range tps {
		if e := v.leadershipError(tp.topic, tp.partition); e != nil {
			errs[tp] = e
		}
	}
	if len(errs) == 0 {
		return forward
	}
	return answer(build(func(tp topicPartition) int16 {
		if e := errs[tp]; e != nil {
			return e.Code
		}
		return kerr.NotLeaderForPartition.Code
	}))
}

// checkProduce is checkPartitions for Produce; a rejected acks=0 produce
// closes the connection, as Kafka does, since it has no response to carry
// the error.
func (b *Broker) checkProduce(v *view, r *kmsg.ProduceRequest) outcome {
	var tps []topicPartition
	for _, t := range r.Topics {
		for _, p := range t.Partitions {
			tps = append(tps, topicPartition{t.Topic, p.Partition})
		}
	}
	out := checkPartitions(v, tps, func(code codeFor) kmsg.Response { return produceErrors(r, code) })
	if r.Acks == 0 {
		if out.resp != nil {
			return outcome{closeConn: true}
		}
		return outcome{noReply: true}
	}
	return out
}

func produceErrors(r *kmsg.ProduceRequest, code codeFor) kmsg.Response {
	resp := r.ResponseKind().(*kmsg.ProduceResponse)
	for _, t := range r.Topics {
		rt := kmsg.NewProduceResponseTopic()
		rt.Topic = t.Topic
		for _, p := range t.Partitions {
			rp := kmsg.NewProduceResponseTopicPartition()
			rp.Partition = p.Partition
			rp.ErrorCode = code(topicPartition{t.Topic, p.Partition})
			rp.BaseOffset = -1
			rp.LogAppendTime = -1
			rp.LogStartOffset = -1
			rt.Partitions = append(rt.Partitions, rp)
		}
		resp.Topics = append(resp.Topics, rt)
	}
	return resp
}

func fetchPartitions(r *kmsg.FetchRequest) []topicPartition {
	var tps []topicPartition
	for _, t := range r.Topics {
		for _, p := range t.Partitions {
			tps = append(tps, topicPartition{t.Topic, p.Partition})
		}
	}
	return tps
}

// fetchErrors answers a fetch with errors and no session (SessionID 0), so
// a client with an incremental session starts a new one.
func fetchErrors(r *kmsg.FetchRequest, code codeFor) kmsg.Response {
	resp := r.ResponseKind().(*kmsg.FetchResponse)
	for _, t := range r.Topics {
		rt := kmsg.NewFetchResponseTopic()
		rt.Topic = t.Topic
		for _, p := range t.Partitions {
			rp := kmsg.NewFetchResponseTopicPartition()
			rp.Partition = p.Partition
			rp.ErrorCode = code(topicPartition{t.Topic, p.Partition})
			rp.HighWatermark, rp.LastStableOffset, rp.LogStartOffset = -1, -1, -1
			rt.Partitions = append(rt.Partitions, rp)
		}
		resp.Topics = append(resp.Topics, rt)
	}
	return resp
}

func listOffsetsPartitions(r *kmsg.ListOffsetsRequest) []topicPartition {
	var tps []topicPartition
	for _, t := range r.Topics {
		for _, p := range t.Partitions {
			tps = append(tps, topicPartition{t.Topic, p.Partition})
		}
	}
	return tps
}

func listOffsetsErrors(r *kmsg.ListOffsetsRequest, code codeFor) kmsg.Response {
	resp := r.ResponseKind().(*kmsg.ListOffsetsResponse)
	for _, t := range r.Topics {
		rt := kmsg.NewListOffsetsResponseTopic()
		rt.Topic = t.Topic
		for _, p := range t.Partitions {
			rp := kmsg.NewListOffsetsResponseTopicPartition()
			rp.Partition = p.Partition
			rp.ErrorCode = code(topicPartition{t.Topic, p.Partition})
			rp.Timestamp, rp.Offset = -1, -1
			rt.Partitions = append(rt.Partitions, rp)
		}
		resp.Topics = append(resp.Topics, rt)
	}
	return resp
}

func epochPartitions(r *kmsg.OffsetForLeaderEpochRequest) []topicPartition {
	var tps []topicPartition
	for _, t := range r.Topics {
		for _, p := range t.Partitions {
			tps = append(tps, topicPartition{t.Topic, p.Partition})
		}
	}
	return tps
}

func epochErrors(r *kmsg.OffsetForLeaderEpochRequest, code codeFor) kmsg.Response {
	resp := r.ResponseKind().(*kmsg.OffsetForLeaderEpochResponse)
	for _, t := range r.Topics {
		rt := kmsg.NewOffsetForLeaderEpochResponseTopic()
		rt.Topic = t.Topic
		for _, p := range t.Partitions {
			rp := kmsg.NewOffsetForLeaderEpochResponseTopicPartition()
			rp.Partition = p.Partition
			rp.ErrorCode = code(topicPartition{t.Topic, p.Partition})
			rp.LeaderEpoch, rp.EndOffset = -1, -1
			rt.Partitions = append(rt.Partitions, rp)
		}
		resp.Topics = append(resp.Topics, rt)
	}
	return resp
}

func deleteRecordsPartitions(r *kmsg.DeleteRecordsRequest) []topicPartition {
	var tps []topicPartition
	for _, t := range r.Topics {
		for _, p := range t.Partitions {
			tps = append(tps, topicPartition{t.Topic, p.Partition})
		}
	}
	return tps
}

func deleteRecordsErrors(r *kmsg.DeleteRecordsRequest, code codeFor) kmsg.Response {
	resp := r.ResponseKind().(*kmsg.DeleteRecordsResponse)
	for _, t := range r.Topics {
		rt := kmsg.NewDeleteRecordsResponseTopic()
		rt.Topic = t.Topic
		for _, p := range t.Partitions {
			rp := kmsg.NewDeleteRecordsResponseTopicPartition()
			rp.Partition = p.Partition
			rp.ErrorCode = code(topicPartition{t.Topic, p.Partition})
			rp.LowWatermark = -1
			rt.Partitions = append(rt.Partitions, rp)
		}
		resp.Topics = append(resp.Topics, rt)
	}
	return resp
}
