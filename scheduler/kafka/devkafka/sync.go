package devkafka

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"sync"

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
// the store over the Kafka protocol, as an admin client would.
type localSync struct {
	cl  *kgo.Client
	adm *kadm.Client
	reg *Registry
	log *slog.Logger

	mu      sync.Mutex
	loaded  bool
	applied fileStamp
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
	stamp, err := s.reg.StateStamp()
	if err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.loaded && stamp == s.applied {
		return nil
	}
	if !s.loaded {
		if err := s.load(ctx); err != nil {
			return err
		}
	}
	st, err := s.reg.State()
	if err != nil {
		return err
	}
	if err := s.apply(ctx, st); err != nil {
		return err
	}
	s.applied = stamp
	return nil
}

// load reads what the local store holds.
func (s *localSync) load(ctx context.Context) error {
	details, err := s.adm.ListTopics(ctx)
	if err != nil {
		return fmt.Errorf("listing the local partition store: %w", err)
	}
	s.topics = map[string]localTopic{}
	if len(details) == 0 {
		s.loaded = true
		return nil
	}
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
		s.topics[rc.Name] = lt
	}
	s.loaded = true
	return nil
}

// apply deletes local topics the registry no longer has (or has under a
// new id), creates the missing ones, adds partitions and updates configs.
func (s *localSync) apply(ctx context.Context, st *State) error {
	var stale []string
	for name, lt := range s.topics {
		if rt := st.Topics[name]; rt == nil || rt.Internal || rt.ID != lt.id {
			stale = append(stale, name)
		}
	}
	if err := s.deleteTopics(ctx, stale); err != nil {
		return err
	}
	for name, rt := range st.Topics {
		if rt.Internal {
			continue
		}
		lt, ok := s.topics[name]
		switch {
		case !ok:
			if err := s.createTopic(ctx, name, rt); err != nil {
				return err
			}
		default:
			if lt.partitions < len(rt.Replicas) {
				if err := s.addPartitions(ctx, name, len(rt.Replicas)); err != nil {
					return err
				}
			}
			if !maps.Equal(lt.configs, rt.Configs) {
				if err := s.setConfigs(ctx, name, rt); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

func (s *localSync) deleteTopics(ctx context.Context, names []string) error {
	if len(names) == 0 {
		return nil
	}
	resps, err := s.adm.DeleteTopics(ctx, names...)
	if err != nil {
		return fmt.Errorf("deleting local topics %v: %w", names, err)
	}
	for _, r := range resps {
		if r.Err != nil && !errors.Is(r.Err, kerr.UnknownTopicOrPartition) {
			return fmt.Errorf("deleting local topic %s: %w", r.Topic, r.Err)
		}
		delete(s.topics, r.Topic)
		s.log.Info("removed the local data of a deleted topic", "topic", r.Topic)
	}
	return nil
}

func (s *localSync) createTopic(ctx context.Context, name string, rt *Topic) error {
	id, _ := rt.ID.MarshalText()
	cfg := map[string]*string{registryIDConfig: kadm.StringPtr(string(id))}
	for k, v := range rt.Configs {
		cfg[k] = kadm.StringPtr(v)
	}
	resp, err := s.adm.CreateTopic(ctx, int32(len(rt.Replicas)), 1, cfg, name)
	if err == nil {
		err = resp.Err
	}
	if err != nil {
		return fmt.Errorf("creating local topic %s: %w", name, err)
	}
	s.topics[name] = localTopic{id: rt.ID, partitions: len(rt.Replicas), configs: maps.Clone(rt.Configs)}
	return nil
}

func (s *localSync) addPartitions(ctx context.Context, name string, count int) error {
	resps, err := s.adm.UpdatePartitions(ctx, count, name)
	if err == nil {
		err = resps.Error()
	}
	if err != nil {
		return fmt.Errorf("adding local partitions to %s: %w", name, err)
	}
	lt := s.topics[name]
	lt.partitions = count
	s.topics[name] = lt
	return nil
}

func (s *localSync) setConfigs(ctx context.Context, name string, rt *Topic) error {
	id, _ := rt.ID.MarshalText()
	cfgs := []kadm.AlterConfig{{Name: registryIDConfig, Value: kadm.StringPtr(string(id))}}
	for k, v := range rt.Configs {
		cfgs = append(cfgs, kadm.AlterConfig{Name: k, Value: kadm.StringPtr(v)})
	}
	resps, err := s.adm.AlterTopicConfigsState(ctx, cfgs, name)
	if err == nil {
		for _, r := range resps {
			if r.Err != nil {
				err = r.Err
			}
		}
	}
	if err != nil {
		return fmt.Errorf("updating local configs of %s: %w", name, err)
	}
	lt := s.topics[name]
	lt.configs = maps.Clone(rt.Configs)
	s.topics[name] = lt
	return nil
}
