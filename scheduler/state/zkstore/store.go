// Package zkstore is the ZooKeeper implementation of state.Store, the one the
// scheduler uses in production. A store keeps its keys as znodes under a
// configurable root (DC/OS layout: /dcos-service-<name>, see ServiceRoot),
// optionally protected by a digest ACL.
//
// Connection handling: go-zookeeper reconnects on its own and takes no
// contexts. Every call here first waits for a live session and then for the
// answer, bounded by its context and Config.OperationTimeout; while ZooKeeper
// is unreachable calls fail with state.ErrUnavailable, and they work again
// once the client has reconnected. A write that timed out may still have been
// applied; the error says so.
//
// Leader locks follow the ZooKeeper lock recipe: an ephemeral sequential
// znode under <root>/<name>, held by the lowest sequence number. Its name
// carries a random token, so it can never be confused with another holder's
// node. Every write through a lock's fenced view is a multi-operation that
// starts with a version check of that znode, so once the session that
// created it has expired (and the server deleted the node), no fenced write
// can land, even after the client silently reconnected with a new session.
// A lock is reported lost when its session expires or changes, when its
// znode is deleted, or when the client has been disconnected for longer than
// the session timeout (the server may already have expired the session).
// The lock's folder is an ordinary key, so Children(RootKey) lists it (DC/OS
// keeps its "lock" node at the same place).
//
// Waiting for a lock needs ZooKeeper: Lock fails with state.ErrUnavailable
// when a step of the recipe gets no answer within the operation timeout.
package zkstore

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"sort"
	"sync"
	"syscall"
	"time"

	"github.com/go-zookeeper/zk"

	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/state"
)

// Store is a state.Store kept in ZooKeeper. It is safe for concurrent use.
type Store struct {
	cfg    Config
	acl    []zk.ACL
	conn   *zk.Conn
	logger *slog.Logger
	events chan zk.Event
	done   chan struct{} // closed by Close

	mu              sync.Mutex
	closed          bool
	hasSession      bool
	sessionID       int64
	changed         chan struct{} // closed and replaced on every session change
	locks           map[*zkLock]struct{}
	disconnectTimer *time.Timer
}

var _ state.Store = (*Store)(nil)

// Open connects to ZooKeeper, authenticates, and creates the root if it is
// missing. It waits for a session until ctx is done.
func Open(ctx context.Context, cfg Config) (*Store, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	s := &Store{
		cfg:     cfg,
		acl:     zk.WorldACL(zk.PermAll),
		logger:  cfg.Logger.With("zk_root", cfg.Root),
		events:  make(chan zk.Event, 64),
		done:    make(chan struct{}),
		changed: make(chan struct{}),
		locks:   map[*zkLock]struct{}{},
	}
	if cfg.Auth != nil {
		s.acl = zk.DigestACL(zk.PermAll, cfg.Auth.Username, cfg.Auth.Password)
	}
	conn, _, err := zk.Connect(cfg.Servers, cfg.SessionTimeout,
		zk.WithLogger(zkLogger{s.logger}), zk.WithLogInfo(false), zk.WithEventCallback(s.forwardEvent))
	if err != nil {
		return nil, fmt.Errorf("connecting to ZooKeeper %v: %w", cfg.Servers, err)
	}
	s.conn = conn
	go s.trackSession()
	if err := s.setUp(ctx); err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

// setUp waits for the first session, authenticates and creates the root.
func (s *Store) setUp(ctx context.Context) error {
	if _, err := s.waitSession(ctx); err != nil {
		return fmt.Errorf("%w: no session with ZooKeeper %v: %w", state.ErrUnavailable, s.cfg.Servers, err)
	}
	if s.cfg.Auth != nil {
		auth := []byte(s.cfg.Auth.Username + ":" + s.cfg.Auth.Password)
		if _, err := run(ctx, s, func() (struct{}, error) { return struct{}{}, s.conn.AddAuth("digest", auth) }); err != nil {
			return fmt.Errorf("authenticating to ZooKeeper as %s: %w", s.cfg.Auth, mapError(err))
		}
	}
	if err := s.ensurePath(ctx, s.cfg.Root); err != nil {
		return fmt.Errorf("creating the root %s: %w", s.cfg.Root, err)
	}
	return nil
}

// zkLogger sends go-zookeeper's messages (reconnect attempts and the like)
// to slog at debug level.
type zkLogger struct{ logger *slog.Logger }

func (l zkLogger) Printf(format string, args ...interface{}) {
	l.logger.Debug("zookeeper client: " + fmt.Sprintf(format, args...))
}

// forwardEvent is go-zookeeper's event callback; it must not block for long.
func (s *Store) forwardEvent(ev zk.Event) {
	if ev.Type != zk.EventSession {
		return
	}
	select {
	case s.events <- ev:
	case <-s.done:
	}
}

// trackSession follows the session state and loses locks whose session is
// gone.
func (s *Store) trackSession() {
	for {
		select {
		case ev := <-s.events:
			s.onSessionEvent(ev.State)
		case <-s.done:
			return
		}
	}
}

func (s *Store) onSessionEvent(st zk.State) {
	s.mu.Lock()
	defer s.mu.Unlock()
	switch st {
	case zk.StateHasSession:
		id := s.conn.SessionID()
		if s.sessionID != 0 && id != s.sessionID {
			s.logger.Warn("ZooKeeper session replaced; the old one expired", "old_session", hexSession(s.sessionID), "new_session", hexSession(id))
		} else if !s.hasSession && s.sessionID != 0 {
			s.logger.Info("reconnected to ZooKeeper", "session", hexSession(id))
		}
		s.hasSession, s.sessionID = true, id
		s.stopDisconnectTimer()
		s.loseLocksLocked(func(l *zkLock) bool { return l.session != id }, "the ZooKeeper session that held it expired")
	case zk.StateExpired:
		s.setNoSessionLocked()
		s.loseLocksLocked(func(*zkLock) bool { return true }, "the ZooKeeper session expired")
	default: // connecting, connected (TCP only), disconnected, auth failed
		if s.hasSession {
			s.logger.Warn("disconnected from ZooKeeper; calls fail until the client reconnects", "state", st.String())
		}
		s.setNoSessionLocked()
	}
	close(s.changed)
	s.changed = make(chan struct{})
}

// setNoSessionLocked records a lost connection and starts the timer that
// loses locks once the session may have expired on the server.
func (s *Store) setNoSessionLocked() {
	s.hasSession = false
	if s.disconnectTimer != nil || len(s.locks) == 0 {
		return
	}
	session := s.sessionID
	s.disconnectTimer = time.AfterFunc(s.cfg.SessionTimeout, func() {
		s.mu.Lock()
		defer s.mu.Unlock()
		s.disconnectTimer = nil
		if s.hasSession && s.sessionID == session {
			return
		}
		s.loseLocksLocked(func(l *zkLock) bool { return l.session == session },
			fmt.Sprintf("disconnected from ZooKeeper for longer than the %s session timeout", s.cfg.SessionTimeout))
	})
}

func (s *Store) stopDisconnectTimer() {
	if s.disconnectTimer != nil {
		s.disconnectTimer.Stop()
		s.disconnectTimer = nil
	}
}

// SessionID is the current ZooKeeper session id (0 before the first one).
func (s *Store) SessionID() int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.sessionID
}

// waitSession returns the session id once the client has a session.
func (s *Store) waitSession(ctx context.Context) (int64, error) {
	for {
		s.mu.Lock()
		closed, has, id, changed := s.closed, s.hasSession, s.sessionID, s.changed
		s.mu.Unlock()
		switch {
		case closed:
			return 0, state.ErrClosed
		case has:
			return id, nil
		}
		select {
		case <-changed:
		case <-ctx.Done():
			return 0, ctx.Err()
		case <-s.done:
			return 0, state.ErrClosed
		}
	}
}

// run calls fn once the client has a session, bounded by ctx and the
// operation timeout. fn's own errors are returned as they are; not getting
// an answer in time is state.ErrUnavailable (or the caller's ctx error).
func run[T any](ctx context.Context, s *Store, fn func() (T, error)) (T, error) {
	var zero T
	if err := ctx.Err(); err != nil {
		return zero, fmt.Errorf("not calling ZooKeeper: %w", err)
	}
	opCtx, cancel := context.WithTimeout(ctx, s.cfg.OperationTimeout)
	defer cancel()
	if _, err := s.waitSession(opCtx); err != nil {
		return zero, s.unavailable(ctx, err, "not connected to ZooKeeper")
	}
	type result struct {
		v   T
		err error
	}
	answer := make(chan result, 1)
	go func() {
		v, err := fn()
		answer <- result{v, err}
	}()
	select {
	case r := <-answer:
		return r.v, r.err
	case <-opCtx.Done():
		return zero, s.unavailable(ctx, opCtx.Err(), "ZooKeeper did not answer (a write may or may not have been applied)")
	case <-s.done:
		return zero, state.ErrClosed
	}
}

// unavailable explains why a call got no answer: the caller's context ended,
// the store closed, or ZooKeeper was unreachable for the operation timeout.
func (s *Store) unavailable(ctx context.Context, err error, what string) error {
	switch {
	case errors.Is(err, state.ErrClosed):
		return err
	case ctx.Err() != nil:
		return fmt.Errorf("%s before the call's context ended: %w", what, ctx.Err())
	}
	return fmt.Errorf("%w: %s within %s (servers %v): %w", state.ErrUnavailable, what, s.cfg.OperationTimeout, s.cfg.Servers, err)
}

// mapError turns go-zookeeper errors into the state package's.
func mapError(err error) error {
	var kind error
	switch {
	case err == nil:
		return nil
	case errors.Is(err, zk.ErrNoNode):
		kind = state.ErrNotFound
	case errors.Is(err, zk.ErrNodeExists), errors.Is(err, zk.ErrBadVersion):
		kind = state.ErrVersionConflict
	case errors.Is(err, zk.ErrNotEmpty):
		kind = state.ErrHasChildren
	case errors.Is(err, zk.ErrNoAuth), errors.Is(err, zk.ErrAuthFailed), errors.Is(err, zk.ErrInvalidACL):
		kind = state.ErrAccessDenied
	case errors.Is(err, zk.ErrClosing):
		kind = state.ErrClosed
	case errors.Is(err, zk.ErrConnectionClosed), errors.Is(err, zk.ErrNoServer),
		errors.Is(err, zk.ErrSessionExpired), errors.Is(err, zk.ErrSessionMoved),
		isNetworkError(err):
		kind = state.ErrUnavailable
	default:
		return err
	}
	if errors.Is(err, kind) {
		return err
	}
	return fmt.Errorf("%w (%v)", kind, err)
}

// isNetworkError reports socket errors that go-zookeeper passes through
// when a request is written to a connection that just broke.
func isNetworkError(err error) bool {
	var netErr net.Error
	return errors.As(err, &netErr) || errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.Is(err, syscall.EPIPE) || errors.Is(err, syscall.ECONNRESET)
}

// path is the znode of a key.
func (s *Store) path(key string) string {
	if key == state.RootKey {
		return s.cfg.Root
	}
	return s.cfg.Root + "/" + key
}

// Root is the znode the store keeps its keys under.
func (s *Store) Root() string { return s.cfg.Root }

// Get returns the key's value and version.
func (s *Store) Get(ctx context.Context, key string) (state.Node, error) {
	if err := state.ValidateKey(key); err != nil {
		return state.Node{}, fmt.Errorf("getting key: %w", err)
	}
	type got struct {
		data []byte
		stat *zk.Stat
	}
	r, err := run(ctx, s, func() (got, error) {
		data, stat, err := s.conn.Get(s.path(key))
		return got{data, stat}, err
	})
	if err != nil {
		return state.Node{}, fmt.Errorf("getting key %q: %w", key, mapError(err))
	}
	return state.Node{Value: r.data, Version: state.Version(r.stat.Version)}, nil
}

// Children returns the sorted names of the key's children.
func (s *Store) Children(ctx context.Context, key string) ([]string, error) {
	if err := state.ValidateKeyOrRoot(key); err != nil {
		return nil, fmt.Errorf("listing children: %w", err)
	}
	names, err := run(ctx, s, func() ([]string, error) {
		names, _, err := s.conn.Children(s.path(key))
		return names, err
	})
	if errors.Is(err, zk.ErrNoNode) && key == state.RootKey {
		return []string{}, nil // the root was deleted; it is empty
	}
	if err != nil {
		return nil, fmt.Errorf("listing children of %q: %w", key, mapError(err))
	}
	sort.Strings(names)
	return names, nil
}

// Set creates or overwrites the key.
func (s *Store) Set(ctx context.Context, key string, value []byte) error {
	_, err := s.commit(ctx, nil, []state.Op{state.SetOp(key, value)})
	return err
}

// CompareAndSet writes the key only if its version is expected.
func (s *Store) CompareAndSet(ctx context.Context, key string, value []byte, expected state.Version) (state.Version, error) {
	return s.commit(ctx, nil, []state.Op{state.CompareAndSetOp(key, value, expected)})
}

// Delete removes the key.
func (s *Store) Delete(ctx context.Context, key string) error {
	_, err := s.commit(ctx, nil, []state.Op{state.DeleteOp(key)})
	return err
}

// Commit applies the operations atomically, as one ZooKeeper multi.
func (s *Store) Commit(ctx context.Context, ops ...state.Op) error {
	_, err := s.commit(ctx, nil, ops)
	return err
}

// DeleteRecursive removes the key and its subtree; RootKey removes the root
// znode itself.
func (s *Store) DeleteRecursive(ctx context.Context, key string) error {
	return s.deleteRecursive(ctx, nil, key)
}

// Lock takes the leader lock called name.
func (s *Store) Lock(ctx context.Context, name string) (state.Lock, error) {
	return s.lock(ctx, name)
}

// Close ends the session (ZooKeeper deletes its lock znodes) and releases
// the connection. Held locks are lost.
func (s *Store) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	s.loseLocksLocked(func(*zkLock) bool { return true }, "the store was closed")
	s.stopDisconnectTimer()
	close(s.done)
	s.mu.Unlock()
	s.conn.Close()
	return nil
}

// ensurePath creates the znode and its missing parents with the store's ACL.
// An existing znode is left as it is (ZooKeeper checks the parent's CREATE
// permission before it reports that a node exists, so creating blindly could
// fail under a parent owned by someone else).
func (s *Store) ensurePath(ctx context.Context, path string) error {
	exists, err := run(ctx, s, func() (bool, error) {
		ok, _, err := s.conn.Exists(path)
		return ok, err
	})
	if err != nil {
		return fmt.Errorf("checking whether %s exists: %w", path, mapError(err))
	}
	if exists {
		return nil
	}
	for _, p := range ancestorsAndSelf(path) {
		_, err := run(ctx, s, func() (string, error) { return s.conn.Create(p, nil, 0, s.acl) })
		if err != nil && !errors.Is(err, zk.ErrNodeExists) {
			return fmt.Errorf("creating znode %s: %w", p, mapError(err))
		}
	}
	return nil
}

// ancestorsAndSelf lists "/a", "/a/b", "/a/b/c" for "/a/b/c".
func ancestorsAndSelf(path string) []string {
	var out []string
	for i := 1; i < len(path); i++ {
		if path[i] == '/' {
			out = append(out, path[:i])
		}
	}
	return append(out, path)
}

func ancestors(path string) []string {
	all := ancestorsAndSelf(path)
	return all[:len(all)-1]
}

// hexSession formats a session id as ZooKeeper's logs do.
func hexSession(id int64) string { return fmt.Sprintf("0x%x", id) }
