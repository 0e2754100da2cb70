package state

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"
)

// Sub returns a view of store rooted at prefix: every key given to the view
// is the prefix's child ("Tasks/x" means "<prefix>/Tasks/x"), RootKey means
// the prefix itself, and locks are taken under the prefix. This is how one
// scheduler gives each service its own subtree (dcos-service-<name>) of one
// store. The root of a view always exists: Children(RootKey) of an empty
// view is empty. Closing the view releases the locks taken through it and
// leaves store open; the caller owns store.
func Sub(store Store, prefix string) Store {
	return &sub{store: store, prefix: prefix}
}

type sub struct {
	store  Store
	prefix string

	mu     sync.Mutex
	locks  []Lock
	closed bool
}

// check refuses calls on a closed view and invalid keys.
func (s *sub) check(key string, validate func(string) error) error {
	s.mu.Lock()
	closed := s.closed
	s.mu.Unlock()
	if closed {
		return fmt.Errorf("using the state of %s: %w", s.prefix, ErrClosed)
	}
	return validate(key)
}

func (s *sub) key(key string) string {
	if key == RootKey {
		return s.prefix
	}
	return s.prefix + "/" + key
}

func (s *sub) Get(ctx context.Context, key string) (Node, error) {
	if err := s.check(key, ValidateKey); err != nil {
		return Node{}, err
	}
	return s.store.Get(ctx, s.key(key))
}

func (s *sub) Set(ctx context.Context, key string, value []byte) error {
	if err := s.check(key, ValidateKey); err != nil {
		return err
	}
	return s.store.Set(ctx, s.key(key), value)
}

func (s *sub) CompareAndSet(ctx context.Context, key string, value []byte, expected Version) (Version, error) {
	if err := s.check(key, ValidateKey); err != nil {
		return 0, err
	}
	return s.store.CompareAndSet(ctx, s.key(key), value, expected)
}

func (s *sub) Delete(ctx context.Context, key string) error {
	if err := s.check(key, ValidateKey); err != nil {
		return err
	}
	return s.store.Delete(ctx, s.key(key))
}

func (s *sub) DeleteRecursive(ctx context.Context, key string) error {
	if err := s.check(key, ValidateKeyOrRoot); err != nil {
		return err
	}
	return s.store.DeleteRecursive(ctx, s.key(key))
}

func (s *sub) Children(ctx context.Context, key string) ([]string, error) {
	if err := s.check(key, ValidateKeyOrRoot); err != nil {
		return nil, err
	}
	children, err := s.store.Children(ctx, s.key(key))
	if key == RootKey && errors.Is(err, ErrNotFound) {
		return nil, nil
	}
	return children, err
}

func (s *sub) Commit(ctx context.Context, ops ...Op) error {
	if err := s.check(RootKey, func(string) error { return ValidateOps(ops) }); err != nil {
		return err
	}
	prefixed := make([]Op, len(ops))
	for i, op := range ops {
		op.Key = s.key(op.Key)
		prefixed[i] = op
	}
	return s.store.Commit(ctx, prefixed...)
}

func (s *sub) Lock(ctx context.Context, name string) (Lock, error) {
	if err := s.check(name, ValidateKey); err != nil {
		return nil, fmt.Errorf("lock name: %w", err)
	}
	lock, err := s.store.Lock(ctx, s.key(name))
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	s.locks = append(s.locks, lock)
	s.mu.Unlock()
	return subLock{Lock: lock, view: Sub(lock.Store(), s.prefix)}, nil
}

// Close releases the locks taken through the view that are still held.
func (s *sub) Close() error {
	s.mu.Lock()
	locks := s.locks
	s.locks, s.closed = nil, true
	s.mu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var errs []error
	for _, lock := range locks {
		select {
		case <-lock.Lost():
			continue
		default:
		}
		if err := lock.Unlock(ctx); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

type subLock struct {
	Lock
	view Store
}

func (l subLock) Store() Store { return l.view }
