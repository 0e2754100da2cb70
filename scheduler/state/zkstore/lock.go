package zkstore

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/go-zookeeper/zk"

	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/state"
)

const (
	lockNodePrefix = "lock-"
	sequenceDigits = 10 // ZooKeeper appends a 10-digit sequence number
)

// zkLock is a held leader lock: the znode path of our ephemeral sequential
// node and the session that owns it.
type zkLock struct {
	store   *Store
	name    string
	path    string
	session int64
	lost    chan struct{}
	done    bool // guarded by store.mu; true once released or lost
}

var _ state.Lock = (*zkLock)(nil)

func (s *Store) lock(ctx context.Context, name string) (state.Lock, error) {
	if err := state.ValidateKey(name); err != nil {
		return nil, fmt.Errorf("taking a lock: %w", err)
	}
	dir := s.path(name)
	token, err := randomToken()
	if err != nil {
		return nil, fmt.Errorf("taking lock %q: %w", name, err)
	}
	for {
		path, session, err := s.createLockNode(ctx, dir, token)
		if err != nil {
			return nil, fmt.Errorf("taking lock %q: %w", name, err)
		}
		held, err := s.waitTurn(ctx, dir, path)
		if err != nil {
			s.abandonLockNode(path, session)
			return nil, fmt.Errorf("waiting for lock %q: %w", name, err)
		}
		if !held {
			continue // our node went away with its session; queue again
		}
		l, err := s.register(name, path, session)
		if err != nil {
			return nil, fmt.Errorf("taking lock %q: %w", name, err)
		}
		if l != nil {
			go s.watchLockNode(l)
			s.logger.Info("took leader lock", "lock", name, "znode", path, "session", hexSession(session))
			return l, nil
		}
	}
}

func randomToken() (string, error) {
	b := make([]byte, 8)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("making a lock token: %w", err)
	}
	return hex.EncodeToString(b), nil
}

// createLockNode creates our ephemeral sequential node (and the lock's
// folder if needed) and returns its path and the session that owns it.
func (s *Store) createLockNode(ctx context.Context, dir, token string) (string, int64, error) {
	prefix := dir + "/" + lockNodePrefix + token + "-"
	for attempt := 0; attempt < maxAttempts; attempt++ {
		path, err := s.createEphemeral(ctx, prefix)
		if errors.Is(err, zk.ErrNoNode) {
			if err := s.ensurePath(ctx, dir); err != nil {
				return "", 0, err
			}
			continue
		}
		if err != nil {
			return "", 0, err
		}
		stat, err := run(ctx, s, func() (*zk.Stat, error) {
			_, stat, err := s.conn.Exists(path)
			return stat, err
		})
		if err != nil {
			return "", 0, fmt.Errorf("checking the lock znode %s: %w", path, mapError(err))
		}
		if stat == nil || stat.EphemeralOwner == 0 {
			continue // gone already: its session ended
		}
		return path, stat.EphemeralOwner, nil
	}
	return "", 0, fmt.Errorf("could not create a lock znode under %s after %d attempts", dir, maxAttempts)
}

// createEphemeral creates the ephemeral sequential node. If the answer does
// not come in time the create may still land; a late success is deleted so
// that an orphan node cannot block the lock while our session lives.
func (s *Store) createEphemeral(ctx context.Context, prefix string) (string, error) {
	if err := ctx.Err(); err != nil {
		return "", fmt.Errorf("not calling ZooKeeper: %w", err)
	}
	opCtx, cancel := context.WithTimeout(ctx, s.cfg.OperationTimeout)
	defer cancel()
	session, err := s.waitSession(opCtx)
	if err != nil {
		return "", s.unavailable(ctx, err, "not connected to ZooKeeper")
	}
	type created struct {
		path string
		err  error
	}
	answer := make(chan created, 1)
	go func() {
		path, err := s.conn.Create(prefix, nil, zk.FlagEphemeral|zk.FlagSequence, s.acl)
		answer <- created{path, err}
	}()
	select {
	case r := <-answer:
		if r.err != nil && !errors.Is(r.err, zk.ErrNoNode) {
			return "", fmt.Errorf("creating a lock znode under %s: %w", prefix, mapError(r.err))
		}
		return r.path, r.err
	case <-opCtx.Done():
		go func() {
			if r := <-answer; r.err == nil {
				s.abandonLockNode(r.path, session)
			}
		}()
		return "", s.unavailable(ctx, opCtx.Err(), "ZooKeeper did not answer the lock znode's creation")
	}
}

// waitTurn waits until our node is the lowest in the lock's folder. held is
// false when our node is gone (its session ended).
func (s *Store) waitTurn(ctx context.Context, dir, path string) (held bool, err error) {
	me := path[strings.LastIndexByte(path, '/')+1:]
	for {
		names, err := run(ctx, s, func() ([]string, error) {
			names, _, err := s.conn.Children(dir)
			return names, err
		})
		if err != nil {
			return false, fmt.Errorf("listing %s: %w", dir, mapError(err))
		}
		queue := lockQueue(names)
		i := sort.SearchStrings(queueSequences(queue), sequence(me))
		if i >= len(queue) || queue[i] != me {
			return false, nil
		}
		if i == 0 {
			return true, nil
		}
		predecessor := dir + "/" + queue[i-1]
		type watched struct {
			exists bool
			events <-chan zk.Event
		}
		w, err := run(ctx, s, func() (watched, error) {
			ok, _, events, err := s.conn.ExistsW(predecessor)
			return watched{ok, events}, err
		})
		if err != nil {
			return false, fmt.Errorf("watching %s: %w", predecessor, mapError(err))
		}
		if !w.exists {
			continue
		}
		select {
		case <-w.events:
		case <-ctx.Done():
			return false, ctx.Err()
		case <-s.done:
			return false, state.ErrClosed
		}
	}
}

// lockQueue returns the lock nodes among names, by sequence number.
func lockQueue(names []string) []string {
	var queue []string
	for _, n := range names {
		if strings.HasPrefix(n, lockNodePrefix) && len(n) > len(lockNodePrefix)+sequenceDigits {
			queue = append(queue, n)
		}
	}
	sort.Slice(queue, func(i, j int) bool { return sequence(queue[i]) < sequence(queue[j]) })
	return queue
}

func queueSequences(queue []string) []string {
	out := make([]string, len(queue))
	for i, n := range queue {
		out[i] = sequence(n)
	}
	return out
}

func sequence(name string) string {
	if len(name) < sequenceDigits {
		return name
	}
	return name[len(name)-sequenceDigits:]
}

// register records a lock that was found held. It returns nil (and no
// error) when the session that owns the node is no longer ours.
func (s *Store) register(name, path string, session int64) (*zkLock, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil, state.ErrClosed
	}
	if !s.hasSession || s.sessionID != session {
		return nil, nil
	}
	l := &zkLock{store: s, name: name, path: path, session: session, lost: make(chan struct{})}
	s.locks[l] = struct{}{}
	return l, nil
}

// abandonLockNode deletes a lock node we no longer want, in the background,
// retrying until it is gone or its session has ended (then ZooKeeper
// deletes it anyway).
func (s *Store) abandonLockNode(path string, session int64) {
	go func() {
		for {
			s.mu.Lock()
			closed, has, current, changed := s.closed, s.hasSession, s.sessionID, s.changed
			s.mu.Unlock()
			if closed || (has && current != session) {
				return
			}
			if has {
				_, err := run(context.Background(), s, func() (struct{}, error) {
					return struct{}{}, s.conn.Delete(path, -1)
				})
				if err == nil || errors.Is(err, zk.ErrNoNode) {
					return
				}
				s.logger.Debug("deleting an abandoned lock znode failed; retrying", "znode", path, "error", err)
			}
			select {
			case <-changed:
			case <-time.After(time.Second):
			case <-s.done:
				return
			}
		}
	}()
}

// watchLockNode loses the lock if its znode is deleted.
func (s *Store) watchLockNode(l *zkLock) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		<-l.lost
		cancel()
	}()
	type watched struct {
		exists bool
		events <-chan zk.Event
	}
	for ctx.Err() == nil {
		s.mu.Lock()
		changed := s.changed
		s.mu.Unlock()
		w, err := run(ctx, s, func() (watched, error) {
			ok, _, events, err := s.conn.ExistsW(l.path)
			return watched{ok, events}, err
		})
		if err != nil {
			select {
			case <-changed: // try again on the next session change
			case <-ctx.Done():
			}
			continue
		}
		if !w.exists {
			s.loseLock(l, "its znode was deleted")
			return
		}
		select {
		case <-w.events:
		case <-ctx.Done():
		}
	}
}

// checkFence refuses a fenced write early when the lock is known lost.
func (s *Store) checkFence(l *zkLock) error {
	if l == nil {
		return nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if !l.done && s.hasSession && s.sessionID != l.session {
		s.loseLocksLocked(func(x *zkLock) bool { return x == l }, "the ZooKeeper session that held it expired")
	}
	if l.done {
		return fmt.Errorf("%w: lock %q was released or lost", state.ErrLockLost, l.name)
	}
	return nil
}

func (s *Store) loseLock(l *zkLock, reason string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.loseLocksLocked(func(x *zkLock) bool { return x == l }, reason)
}

// loseLocksLocked ends the locks that match. Callers hold s.mu.
func (s *Store) loseLocksLocked(match func(*zkLock) bool, reason string) {
	for l := range s.locks {
		if !match(l) {
			continue
		}
		delete(s.locks, l)
		l.done = true
		close(l.lost)
		if reason != "" {
			s.logger.Warn("lost leader lock", "lock", l.name, "znode", l.path, "reason", reason)
		}
	}
}

func (l *zkLock) Lost() <-chan struct{} { return l.lost }

func (l *zkLock) Store() state.Store { return fencedStore{store: l.store, lock: l} }

// Unlock releases the lock and deletes its znode. If the delete fails, it
// is retried in the background and the error says so; the lock counts as
// released at once either way.
func (l *zkLock) Unlock(ctx context.Context) error {
	s := l.store
	s.mu.Lock()
	s.loseLocksLocked(func(x *zkLock) bool { return x == l }, "")
	s.mu.Unlock()
	_, err := run(ctx, s, func() (struct{}, error) { return struct{}{}, s.conn.Delete(l.path, -1) })
	if err == nil || errors.Is(err, zk.ErrNoNode) || errors.Is(err, state.ErrClosed) {
		return nil
	}
	s.abandonLockNode(l.path, l.session)
	return fmt.Errorf("releasing lock %q: deleting %s: %w (retrying in the background)", l.name, l.path, mapError(err))
}

// fencedStore is a lock's view of the store: every write is a multi that
// first checks the lock's znode.
type fencedStore struct {
	store *Store
	lock  *zkLock
}

var _ state.Store = fencedStore{}

func (f fencedStore) Get(ctx context.Context, key string) (state.Node, error) {
	return f.store.Get(ctx, key)
}

func (f fencedStore) Children(ctx context.Context, key string) ([]string, error) {
	return f.store.Children(ctx, key)
}

func (f fencedStore) Set(ctx context.Context, key string, value []byte) error {
	_, err := f.store.commit(ctx, f.lock, []state.Op{state.SetOp(key, value)})
	return err
}

func (f fencedStore) CompareAndSet(ctx context.Context, key string, value []byte, expected state.Version) (state.Version, error) {
	return f.store.commit(ctx, f.lock, []state.Op{state.CompareAndSetOp(key, value, expected)})
}

func (f fencedStore) Delete(ctx context.Context, key string) error {
	_, err := f.store.commit(ctx, f.lock, []state.Op{state.DeleteOp(key)})
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
