package devkafka

import (
	"sort"

	"github.com/twmb/franz-go/pkg/kerr"
)

// view is one consistent look at the cluster: the topic metadata and which
// brokers are live, taken when a request arrives.
type view struct {
	self    int32
	cluster ClusterInfo
	state   *State
	brokers map[int32]RegisteredBroker // every broker that ever registered
	live    []int32                    // live broker ids, sorted
}

func (b *Broker) view() (*view, error) {
	st, err := b.reg.State()
	if err != nil {
		return nil, err
	}
	registered, err := b.reg.Brokers()
	if err != nil {
		return nil, err
	}
	v := &view{self: b.cfg.BrokerID, cluster: b.reg.Cluster(), state: st, brokers: make(map[int32]RegisteredBroker, len(registered))}
	for _, rb := range registered {
		v.brokers[rb.ID] = rb
		if rb.Live {
			v.live = append(v.live, rb.ID)
		}
	}
	sort.Slice(v.live, func(i, j int) bool { return v.live[i] < v.live[j] })
	return v, nil
}

func (v *view) isLive(id int32) bool {
	rb, ok := v.brokers[id]
	return ok && rb.Live
}

// controller is the broker that Metadata names as controller: the lowest
// live id. Every broker can act as controller (they share the registry), so
// the only requirement is that clients are sent to a live one.
func (v *view) controller() int32 {
	if len(v.live) == 0 {
		return -1
	}
	return v.live[0]
}

// partitionState is what the stand-in reports about one partition.
//
// Data lives only on the partition's home broker (its first replica); the
// stand-in does not copy data to followers. So:
//   - the leader is the home broker while it is live, and never moves: a
//     follower has no data to serve. While the home is down the partition
//     has no leader (LEADER_NOT_AVAILABLE) and is reported unavailable;
//   - the ISR is the live replicas while the home is live: followers count
//     as in sync while their process runs, which models broker liveness,
//     not data safety. While the home is down, the ISR is the home alone,
//     as Kafka reports when the last in-sync replica goes offline;
//   - offline replicas are the replicas whose broker is not live.
type partitionState struct {
	leader   int32
	replicas []int32
	isr      []int32
	offline  []int32
	err      *kerr.Error
}

func (v *view) partition(t *Topic, p int) partitionState {
	replicas := t.Replicas[p]
	ps := partitionState{replicas: replicas, leader: -1}
	for _, r := range replicas {
		if v.isLive(r) {
			ps.isr = append(ps.isr, r)
		} else {
			ps.offline = append(ps.offline, r)
		}
	}
	home := replicas[0]
	if v.isLive(home) {
		ps.leader = home
		return ps
	}
	ps.isr = []int32{home}
	ps.err = kerr.LeaderNotAvailable
	return ps
}

// leadershipError says whether this broker may serve a partition: nil when
// it is the partition's home, otherwise the error a real broker returns.
func (v *view) leadershipError(topic string, partition int32) *kerr.Error {
	t := v.state.Topics[topic]
	if t == nil || t.Internal || partition < 0 || int(partition) >= len(t.Replicas) {
		return kerr.UnknownTopicOrPartition
	}
	if t.Replicas[partition][0] != v.self {
		return kerr.NotLeaderForPartition
	}
	return nil
}

// topicByID finds a topic by id.
func (v *view) topicByID(id TopicID) (string, *Topic) {
	for name, t := range v.state.Topics {
		if t.ID == id {
			return name, t
		}
	}
	return "", nil
}

// sortedTopicNames returns the topic names in order.
func (v *view) sortedTopicNames() []string { return v.state.SortedNames() }
