package devkafka

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"sort"
	"sync"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// registryIDConfig is a topic config the stand-in sets on each topic in its
// local partition store to remember which registry topic (by id) the local
// data belongs to. A topic deleted and created again under the same name
// while this broker was down gets a new id, so the stale local data is
// dropped instead of being served as the new topic's. The key never leaves
// the broker: DescribeConfigs is answered from the registry.
const registryIDConfig = "devkafka.registry.topic.id"

// localSync keeps this broker's partition store (its kfake) in line with
// the registry: the same topics, partition counts and configs. It talks to
// the store over the Kafka protocol, as an admin client would, and sends
// each kind of change for all topics at once (kfake rewrites its topic list
// on disk once per request, so one request per topic would make creating
// thousands of topics quadratic).
type localSync struct {
	cl  *kgo.Client
	adm *kadm.Client
	reg *Registry
	log *slog.Logger

	mu sync.Mutex
	// applied is the registry state the store matches; topics is what
	// the store holds.
	applied *State
	topics  map[string]localTopic
}

type localTopic struct {
	id         TopicID
	partitions int
	configs    map[string]string
}

func newLocalSync(ctx context.Context, backend string, reg *Registry, log *slog.Logger) (*localSync, error) {
	cl, err := kgo.NewClient(kgo.SeedBrokers(backend), kgo.ClientID("devkafka-local-sync"))
	if err != nil {
		return nil, fmt.Errorf("connecting to the local partition store: %w", err)
	}
	return &localSync{cl: cl, adm: kadm.NewClient(cl), reg: reg, log: log}, nil
}

func (s *localSync) close() { s.cl.Close() }

// ensure applies the registry to the local store if the registry changed
// since the last call.
func (s *localSync) ensure(ctx context.Context) error {
	st, err := s.reg.State()
	if err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if st == s.applied {
		return nil
	}
	if s.topics == nil {
		if err := s.load(ctx); err != nil {
			return err
		}
	}
	if err := s.apply(ctx, st); err != nil {
		// Read the store again next time rather than trust what a
		// failed batch left.
		s.topics, s.applied = nil, nil
		return err
	}
	s.applied = st
	return nil
}

// load reads what the local store holds.
func (s *localSync) load(ctx context.Context) error {
	details, err := s.adm.ListTopics(ctx)
	if err != nil {
		return fmt.Errorf("listing the local partition store: %w", err)
	}
	topics := map[string]localTopic{}
	if len(details) > 0 {
		cfgs, err := s.adm.DescribeTopicConfigs(ctx, details.Names()...)
		if err != nil {
			return fmt.Errorf("reading local topic configs: %w", err)
		}
		for _, rc := range cfgs {
			if rc.Err != nil {
				return fmt.Errorf("reading local configs of %s: %w", rc.Name, rc.Err)
			}
			lt := localTopic{partitions: len(details[rc.Name].Partitions), configs: map[string]string{}}
			for _, c := range rc.Configs {
				if c.Source != kmsg.ConfigSourceDynamicTopicConfig {
					continue
				}
				if c.Key == registryIDConfig {
					if err := lt.id.UnmarshalText([]byte(c.MaybeValue())); err != nil {
						s.log.Warn("local topic has an unreadable registry id; it will be replaced", "topic", rc.Name, "err", err)
					}
					continue
				}
				lt.configs[c.Key] = c.MaybeValue()
			}
			topics[rc.Name] = lt
		}
	}
	s.topics, s.applied = topics, nil
	return nil
}

// localChanges is what the store needs to match the registry.
type localChanges struct {
	stale   []string          // delete: gone from the registry, or recreated under a new id
	create  []string          // create
	grow    map[string]int    // raise to this many partitions
	configs map[string]*Topic // replace the configs with the topic's
}

// diff compares the registry with the store. Topics whose *Topic is the
// one already applied are skipped without a look: a State shares every
// topic it did not change.
func (s *localSync) diff(st *State) localChanges {
	ch := localChanges{grow: map[string]int{}, configs: map[string]*Topic{}}
	for name, lt := range s.topics {
		if rt := st.Topics[name]; rt == nil || rt.Internal || rt.ID != lt.id {
			ch.stale = append(ch.stale, name)
		}
	}
	for name, rt := range st.Topics {
		if rt.Internal || s.applied != nil && s.applied.Topics[name] == rt {
			continue
		}
		lt, ok := s.topics[name]
		if !ok || lt.id != rt.ID {
			ch.create = append(ch.create, name)
			continue
		}
		if lt.partitions < len(rt.Replicas) {
			ch.grow[name] = len(rt.Replicas)
		}
		if !maps.Equal(lt.configs, rt.Configs) {
			ch.configs[name] = rt
		}
	}
	sort.Strings(ch.stale)
	sort.Strings(ch.create)
	return ch
}

// apply deletes local topics the registry no longer has (or has under a
// new id), creates the missing ones, adds partitions and updates configs,
// one request for each.
func (s *localSync) apply(ctx context.Context, st *State) error {
	ch := s.diff(st)
	if err := s.deleteTopics(ctx, ch.stale); err != nil {
		return err
	}
	if err := s.createTopics(ctx, st, ch.create); err != nil {
		return err
	}
	if err := s.addPartitions(ctx, ch.grow); err != nil {
		return err
	}
	return s.setConfigs(ctx, ch.configs)
}

func (s *localSync) deleteTopics(ctx context.Context, names []string) error {
	if len(names) == 0 {
		return nil
	}
	resps, err := s.adm.DeleteTopics(ctx, names...)
	if err != nil {
		return fmt.Errorf("deleting %d local topics: %w", len(names), err)
	}
	for _, r := range resps {
		if r.Err != nil && !errors.Is(r.Err, kerr.UnknownTopicOrPartition) {
			return fmt.Errorf("deleting local topic %s: %w", r.Topic, r.Err)
		}
		delete(s.topics, r.Topic)
	}
	s.log.Info("removed the local data of deleted topics", "topics", len(names))
	return nil
}

func (s *localSync) createTopics(ctx context.Context, st *State, names []string) error {
	if len(names) == 0 {
		return nil
	}
	req := kmsg.NewPtrCreateTopicsRequest()
	req.TimeoutMillis = int32(requestTimeout / time.Millisecond)
	for _, name := range names {
		rt := st.Topics[name]
		t := kmsg.NewCreateTopicsRequestTopic()
		t.Topic, t.NumPartitions, t.ReplicationFactor = name, int32(len(rt.Replicas)), 1
		id, _ := rt.ID.MarshalText()
		t.Configs = append(t.Configs, createConfig(registryIDConfig, string(id)))
		for k, v := range rt.Configs {
			t.Configs = append(t.Configs, createConfig(k, v))
		}
		req.Topics = append(req.Topics, t)
	}
	resp, err := req.RequestWith(ctx, s.cl)
	if err != nil {
		return fmt.Errorf("creating %d local topics: %w", len(names), err)
	}
	var errs []error
	for _, t := range resp.Topics {
		if err := kerr.ErrorForCode(t.ErrorCode); err != nil {
			errs = append(errs, fmt.Errorf("creating local topic %s: %w", t.Topic, err))
			continue
		}
		rt := st.Topics[t.Topic]
		s.topics[t.Topic] = localTopic{id: rt.ID, partitions: len(rt.Replicas), configs: maps.Clone(rt.Configs)}
	}
	return errors.Join(errs...)
}

func createConfig(k, v string) kmsg.CreateTopicsRequestTopicConfig {
	c := kmsg.NewCreateTopicsRequestTopicConfig()
	c.Name, c.Value = k, kmsg.StringPtr(v)
	return c
}

func (s *localSync) addPartitions(ctx context.Context, grow map[string]int) error {
	if len(grow) == 0 {
		return nil
	}
	req := kmsg.NewPtrCreatePartitionsRequest()
	req.TimeoutMillis = int32(requestTimeout / time.Millisecond)
	for name, count := range grow {
		t := kmsg.NewCreatePartitionsRequestTopic()
		t.Topic, t.Count = name, int32(count)
		req.Topics = append(req.Topics, t)
	}
	resp, err := req.RequestWith(ctx, s.cl)
	if err != nil {
		return fmt.Errorf("adding local partitions to %d topics: %w", len(grow), err)
	}
	var errs []error
	for _, t := range resp.Topics {
		if err := kerr.ErrorForCode(t.ErrorCode); err != nil {
			errs = append(errs, fmt.Errorf("adding local partitions to %s: %w", t.Topic, err))
			continue
		}
		lt := s.topics[t.Topic]
		lt.partitions = grow[t.Topic]
		s.topics[t.Topic] = lt
	}
	return errors.Join(errs...)
}

// setConfigs replaces the configs of topics wholesale (legacy AlterConfigs),
// keeping the registry id.
func (s *localSync) setConfigs(ctx context.Context, topics map[string]*Topic) error {
	if len(topics) == 0 {
		return nil
	}
	req := kmsg.NewPtrAlterConfigsRequest()
	for name, rt := range topics {
		r := kmsg.NewAlterConfigsRequestResource()
		r.ResourceType, r.ResourceName = kmsg.ConfigResourceTypeTopic, name
		id, _ := rt.ID.MarshalText()
		r.Configs = append(r.Configs, alterConfig(registryIDConfig, string(id)))
		for k, v := range rt.Configs {
			r.Configs = append(r.Configs, alterConfig(k, v))
		}
		req.Resources = append(req.Resources, r)
	}
	resp, err := req.RequestWith(ctx, s.cl)
	if err != nil {
		return fmt.Errorf("updating the local configs of %d topics: %w", len(topics), err)
	}
	var errs []error
	for _, r := range resp.Resources {
		if err := kerr.ErrorForCode(r.ErrorCode); err != nil {
			errs = append(errs, fmt.Errorf("updating local configs of %s: %w", r.ResourceName, err))
			continue
		}
		lt := s.topics[r.ResourceName]
		lt.configs = maps.Clone(topics[r.ResourceName].Configs)
		s.topics[r.ResourceName] = lt
	}
	return errors.Join(errs...)
}

func alterConfig(k, v string) kmsg.AlterConfigsRequestResourceConfig {
	c := kmsg.NewAlterConfigsRequestResourceConfig()
	c.Name, c.Value = k, kmsg.StringPtr(v)
	return c
}
