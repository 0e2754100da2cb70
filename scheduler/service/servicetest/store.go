package servicetest

import (
	"context"
	"strings"
	"sync"
	"time"

	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/state"
)

// Store wraps a state store: every write is journalled before it is made,
// writes can be made to fail (FailWrites), and every call can be delayed
// (SetDelay), honouring its context, to play a slow ZooKeeper.
type Store struct {
	state.Store
	journal *Journal

	mu       sync.Mutex
	failures []failure // the next writes of these keys fail, in order
	delay    time.Duration
	waiting  int // calls being delayed now
}

// failure fails the next write of a key that starts with prefix.
type failure struct {
	prefix string
	err    error
}

// NewStore wraps inner; journal may be nil.
func NewStore(inner state.Store, journal *Journal) *Store {
	return &Store{Store: inner, journal: journal}
}

// FailWrites makes the next len(errs) writes that touch a key starting
// with prefix ("" for any) fail with errs, in order, without changing
// anything.
func (s *Store) FailWrites(prefix string, errs ...error) {
	s.mu.Lock()
	for _, err := range errs {
		s.failures = append(s.failures, failure{prefix: prefix, err: err})
	}
	s.mu.Unlock()
}

// SetDelay delays every call by d (0: none).
func (s *Store) SetDelay(d time.Duration) {
	s.mu.Lock()
	s.delay = d
	s.mu.Unlock()
}

// Delayed counts the calls being delayed now.
func (s *Store) Delayed() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.waiting
}

// wait plays the delay; it fails when ctx ends first.
func (s *Store) wait(ctx context.Context) error {
	s.mu.Lock()
	d := s.delay
	if d > 0 {
		s.waiting++
	}
	s.mu.Unlock()
	if d <= 0 {
		return ctx.Err()
	}
	defer func() {
		s.mu.Lock()
		s.waiting--
		s.mu.Unlock()
	}()
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// write journals one entry per key ("<verb> <key>") and returns the
// injected failure, if any.
func (s *Store) write(ctx context.Context, entries ...entry) error {
	if err := s.wait(ctx); err != nil {
		return err
	}
	if err := s.injected(entries); err != nil {
		return err
	}
	for _, e := range entries {
		s.journal.add(e.verb + " " + e.key)
	}
	return nil
}

func (s *Store) injected(entries []entry) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i, f := range s.failures {
		for _, e := range entries {
			if strings.HasPrefix(e.key, f.prefix) {
				s.failures = append(s.failures[:i:i], s.failures[i+1:]...)
				return f.err
			}
		}
	}
	return nil
}

// entry is one key a write touches, and how: "write", "delete" or
// "delete-recursive".
type entry struct{ verb, key string }

func (s *Store) Get(ctx context.Context, key string) (state.Node, error) {
	if err := s.wait(ctx); err != nil {
		return state.Node{}, err
	}
	return s.Store.Get(ctx, key)
}

func (s *Store) Children(ctx context.Context, key string) ([]string, error) {
	if err := s.wait(ctx); err != nil {
		return nil, err
	}
	return s.Store.Children(ctx, key)
}

func (s *Store) Set(ctx context.Context, key string, value []byte) error {
	if err := s.write(ctx, entry{"write", key}); err != nil {
		return err
	}
	return s.Store.Set(ctx, key, value)
}

func (s *Store) CompareAndSet(ctx context.Context, key string, value []byte, expected state.Version) (state.Version, error) {
	if err := s.write(ctx, entry{"write", key}); err != nil {
		return 0, err
	}
	return s.Store.CompareAndSet(ctx, key, value, expected)
}

func (s *Store) Delete(ctx context.Context, key string) error {
	if err := s.write(ctx, entry{"delete", key}); err != nil {
		return err
	}
	return s.Store.Delete(ctx, key)
}

func (s *Store) DeleteRecursive(ctx context.Context, key string) error {
	if err := s.write(ctx, entry{"delete-recursive", key}); err != nil {
		return err
	}
	return s.Store.DeleteRecursive(ctx, key)
}

func (s *Store) Commit(ctx context.Context, ops ...state.Op) error {
	entries := make([]entry, len(ops))
	for i, op := range ops {
		entries[i] = entry{"write", op.Key}
		if op.Kind == state.OpDelete {
			entries[i].verb = "delete"
		}
	}
	if err := s.write(ctx, entries...); err != nil {
		return err
	}
	return s.Store.Commit(ctx, ops...)
}
