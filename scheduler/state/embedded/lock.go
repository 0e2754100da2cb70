package embedded

import (
	"context"
	"fmt"

	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/state"
)

// lockTable holds the in-process leader locks. Its fields are guarded by the
// store's mutex, except the semaphores' channel operations.
type lockTable struct {
	sems   map[string]chan struct{} // one-slot semaphore per lock name
	held   map[*heldLock]struct{}
	closed chan struct{} // closed when the store closes
}

func (t *lockTable) init() {
	t.sems = map[string]chan struct{}{}
	t.held = map[*heldLock]struct{}{}
	t.closed = make(chan struct{})
}

// loseAll ends every held lock; the store is closing. Callers hold s.mu.
func (t *lockTable) loseAll() {
	close(t.closed)
	for l := range t.held {
		l.release()
	}
	t.held = map[*heldLock]struct{}{}
}

// heldLock is a lock taken through Store.Lock.
type heldLock struct {
	store    *Store
	name     string
	sem      chan struct{}
	lost     chan struct{}
	released bool // guarded by store.mu
}

var _ state.Lock = (*heldLock)(nil)

func (s *Store) lock(ctx context.Context, name string) (state.Lock, error) {
	if err := state.ValidateKey(name); err != nil {
		return nil, fmt.Errorf("taking a lock: %w", err)
	}
	s.mu.Lock()
	if err := s.usable(ctx); err != nil {
		s.mu.Unlock()
		return nil, fmt.Errorf("taking lock %q: %w", name, err)
	}
	sem, ok := s.locks.sems[name]
	if !ok {
		sem = make(chan struct{}, 1)
		s.locks.sems[name] = sem
	}
	closed := s.locks.closed
	s.mu.Unlock()

	select {
	case sem <- struct{}{}:
	case <-ctx.Done():
		return nil, fmt.Errorf("waiting for lock %q: %w", name, ctx.Err())
	case <-closed:
		return nil, fmt.Errorf("waiting for lock %q: %w", name, state.ErrClosed)
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		<-sem
		return nil, fmt.Errorf("taking lock %q: %w", name, state.ErrClosed)
	}
	l := &heldLock{store: s, name: name, sem: sem, lost: make(chan struct{})}
	s.locks.held[l] = struct{}{}
	return l, nil
}

// release ends the lock. Callers hold store.mu.
func (l *heldLock) release() {
	if l.released {
		return
	}
	l.released = true
	close(l.lost)
	<-l.sem
}

func (l *heldLock) Lost() <-chan struct{} { return l.lost }

func (l *heldLock) Store() state.Store { return fencedStore{store: l.store, lock: l} }

func (l *heldLock) Unlock(ctx context.Context) error {
	l.store.mu.Lock()
	defer l.store.mu.Unlock()
	delete(l.store.locks.held, l)
	l.release()
	return nil
}

// fencedStore is a lock's view of the store: writes fail once the lock is
// released or lost.
type fencedStore struct {
	store *Store
	lock  *heldLock
}

var _ state.Store = fencedStore{}

func (f fencedStore) Get(ctx context.Context, key string) (state.Node, error) {
	return f.store.Get(ctx, key)
}

func (f fencedStore) Children(ctx context.Context, key string) ([]string, error) {
	return f.store.Children(ctx, key)
}

func (f fencedStore) Set(ctx context.Context, key string, value []byte) error {
	_, err := f.store.commitOne(ctx, f.lock, state.SetOp(key, value))
	return err
}

func (f fencedStore) CompareAndSet(ctx context.Context, key string, value []byte, expected state.Version) (state.Version, error) {
	return f.store.commitOne(ctx, f.lock, state.CompareAndSetOp(key, value, expected))
}

func (f fencedStore) Delete(ctx context.Context, key string) error {
	_, err := f.store.commitOne(ctx, f.lock, state.DeleteOp(key))
	return err
}

func (f fencedStore) DeleteRecursive(ctx context.Context, key string) error {
	return f.store.deleteRecursive(ctx, f.lock, key)
}

func (f fencedStore) Commit(ctx context.Context, ops ...state.Op) error {
	_, err := f.store.commit(ctx, f.lock, ops)
	return err
}

func (f fencedStore) Lock(ctx context.Context, name string) (state.Lock, error) {
	return f.store.lock(ctx, name)
}

// Close does nothing: the view shares the store. Unlock the lock instead.
func (f fencedStore) Close() error { return nil }
