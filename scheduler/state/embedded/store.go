// Package embedded is the state store of `dev` mode: the state.Store
// interface kept in a local data folder, so a restarted scheduler finds its
// state again. It is a stand-in for ZooKeeper (package zkstore), used where no
// ensemble runs; production mode never selects it silently.
//
// # Crash safety
//
// The folder holds one append-only log, state.log: a header and then
// records, each with its length and a CRC-32C checksum. A commit is one
// record, written with a single write and fsynced before the commit returns,
// so a commit that returned is durable and a commit cut short by a crash is
// a partial last record. Opening the store replays the log into memory; a
// damaged last record is the trace of such a crash and is cut off (logged
// with the number of bytes dropped), while damage followed by more data is
// real corruption and opening fails with an error naming the file and offset
// instead of guessing.
//
// When the log has grown by more than CompactAfterBytes (and by more than its
// size after the last compaction), it is compacted: the whole state is written
// as one snapshot record to state.log.tmp, fsynced, renamed over state.log and
// the folder fsynced. A crash before the rename leaves the old log whole; a
// leftover temporary file is removed on open.
//
// # One process per folder
//
// Open takes an exclusive flock on the folder's LOCK file (which records the
// holder's pid); a second Open of the same folder, from this or another
// process, fails with an error that says so. The kernel releases the lock
// when the process dies, so a killed scheduler does not block its successor.
//
// Leader locks are in-process: with one process per folder there is no
// other contender. A lock's fenced view refuses writes once it is unlocked or
// the store is closed.
package embedded

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"sync"

	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/state"
)

// DefaultCompactAfterBytes is how much the log may grow before compaction.
const DefaultCompactAfterBytes = 8 << 20

// Options tune an embedded store. The zero value is usable.
type Options struct {
	// Logger receives recovery and compaction messages; nil discards them.
	Logger *slog.Logger
	// CompactAfterBytes is how many bytes of log since the last compaction
	// trigger the next one (it also waits for the log to double). Zero means
	// DefaultCompactAfterBytes.
	CompactAfterBytes int64
}

// Store is the embedded state store. It is safe for concurrent use.
type Store struct {
	dir          string
	logger       *slog.Logger
	compactAfter int64
	folderLock   *os.File

	mu           sync.Mutex
	tree         *tree
	log          *os.File // append handle of state.log
	logSize      int64
	snapshotSize int64 // log size right after the last compaction or open
	closed       bool
	broken       error // a failed write left the log's state unknown
	locks        lockTable
}

var _ state.Store = (*Store)(nil)

// Open opens (creating if needed) the store kept in dir.
func Open(dir string, opts Options) (*Store, error) {
	logger := opts.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	compactAfter := opts.CompactAfterBytes
	if compactAfter <= 0 {
		compactAfter = DefaultCompactAfterBytes
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("creating the state folder %s: %w", dir, err)
	}
	folderLock, err := lockFolder(dir)
	if err != nil {
		return nil, err
	}
	s := &Store{dir: dir, logger: logger, compactAfter: compactAfter, folderLock: folderLock, tree: newTree()}
	s.locks.init()
	if err := s.load(); err != nil {
		unlockFolder(folderLock)
		return nil, fmt.Errorf("opening the state store in %s: %w", dir, err)
	}
	return s, nil
}

// load replays the log (creating it if missing), cuts off a torn tail and
// opens the log for appending.
func (s *Store) load() error {
	path := filepath.Join(s.dir, logName)
	if err := os.Remove(filepath.Join(s.dir, logTmpName)); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("removing an unfinished compaction: %w", err)
	}
	if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
		if err := createLogFile(s.dir, nil); err != nil {
			return err
		}
	}
	res, err := replayLog(path, func(kind byte, effects []effect) {
		if kind == recordSnapshot {
			s.tree = newTree()
		}
		s.tree.apply(effects)
	})
	if err != nil {
		return err
	}
	if res.validEnd < res.fileSize {
		if err := truncateFile(path, res.validEnd); err != nil {
			return err
		}
		s.logger.Warn("state log ended with a partial record from an interrupted write; cut it off",
			"file", path, "bytes_dropped", res.fileSize-res.validEnd, "records_kept", res.records)
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		return fmt.Errorf("opening %s for appending: %w", path, err)
	}
	s.log, s.logSize, s.snapshotSize = f, res.validEnd, res.validEnd
	s.logger.Debug("opened embedded state store", "dir", s.dir, "nodes", len(s.tree.nodes)-1, "log_bytes", res.validEnd)
	return nil
}

func truncateFile(path string, size int64) error {
	f, err := os.OpenFile(path, os.O_WRONLY, 0)
	if err != nil {
		return fmt.Errorf("opening %s to cut off a partial record: %w", path, err)
	}
	defer f.Close()
	if err := f.Truncate(size); err != nil {
		return fmt.Errorf("cutting off the partial record of %s: %w", path, err)
	}
	if err := f.Sync(); err != nil {
		return fmt.Errorf("syncing %s: %w", path, err)
	}
	return nil
}

// Dir is the store's data folder.
func (s *Store) Dir() string { return s.dir }

// Get returns the key's value and version.
func (s *Store) Get(ctx context.Context, key string) (state.Node, error) {
	if err := state.ValidateKey(key); err != nil {
		return state.Node{}, fmt.Errorf("getting key: %w", err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.usable(ctx); err != nil {
		return state.Node{}, fmt.Errorf("getting key %q: %w", key, err)
	}
	e := s.tree.nodes[key]
	if e == nil {
		return state.Node{}, fmt.Errorf("getting key %q: %w", key, state.ErrNotFound)
	}
	return state.Node{Value: bytes.Clone(e.value), Version: e.version}, nil
}

// Children returns the sorted names of the key's children.
func (s *Store) Children(ctx context.Context, key string) ([]string, error) {
	if err := state.ValidateKeyOrRoot(key); err != nil {
		return nil, fmt.Errorf("listing children: %w", err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.usable(ctx); err != nil {
		return nil, fmt.Errorf("listing children of %q: %w", key, err)
	}
	e := s.tree.nodes[key]
	if e == nil {
		return nil, fmt.Errorf("listing children of %q: %w", key, state.ErrNotFound)
	}
	names := make([]string, 0, len(e.children))
	for name := range e.children {
		names = append(names, name)
	}
	sort.Strings(names)
	return names, nil
}

// Set creates or overwrites the key.
func (s *Store) Set(ctx context.Context, key string, value []byte) error {
	_, err := s.commitOne(ctx, nil, state.SetOp(key, value))
	return err
}

// CompareAndSet writes the key only if its version is expected.
func (s *Store) CompareAndSet(ctx context.Context, key string, value []byte, expected state.Version) (state.Version, error) {
	return s.commitOne(ctx, nil, state.CompareAndSetOp(key, value, expected))
}

// Delete removes the key.
func (s *Store) Delete(ctx context.Context, key string) error {
	_, err := s.commitOne(ctx, nil, state.DeleteOp(key))
	return err
}

// Commit applies the operations atomically.
func (s *Store) Commit(ctx context.Context, ops ...state.Op) error {
	_, err := s.commit(ctx, nil, ops)
	return err
}

// DeleteRecursive removes the key and its subtree in one record.
func (s *Store) DeleteRecursive(ctx context.Context, key string) error {
	return s.deleteRecursive(ctx, nil, key)
}

// Lock takes the in-process leader lock called name.
func (s *Store) Lock(ctx context.Context, name string) (state.Lock, error) {
	return s.lock(ctx, name)
}

// Close releases the folder; held locks are lost.
func (s *Store) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil
	}
	s.closed = true
	s.locks.loseAll()
	err := s.log.Close()
	unlockFolder(s.folderLock)
	if err != nil {
		return fmt.Errorf("closing the state log: %w", err)
	}
	return nil
}

// usable reports why the store cannot serve a call now. Callers hold s.mu.
func (s *Store) usable(ctx context.Context) error {
	if s.closed {
		return state.ErrClosed
	}
	return ctx.Err()
}

// writable adds the checks for a write. Callers hold s.mu.
func (s *Store) writable(ctx context.Context, fence *heldLock) error {
	if err := s.usable(ctx); err != nil {
		return err
	}
	if s.broken != nil {
		return fmt.Errorf("%w: an earlier write to %s failed (%v); reopen the store to recover from the log", state.ErrUnavailable, s.dir, s.broken)
	}
	if fence != nil && fence.released {
		return fmt.Errorf("%w: lock %q was released or lost", state.ErrLockLost, fence.name)
	}
	return nil
}

func (s *Store) commitOne(ctx context.Context, fence *heldLock, op state.Op) (state.Version, error) {
	effects, err := s.commit(ctx, fence, []state.Op{op})
	if err != nil {
		return 0, err
	}
	for i := len(effects) - 1; i >= 0; i-- {
		if effects[i].key == op.Key {
			return effects[i].version, nil
		}
	}
	return 0, nil
}

// commit plans the operations, writes their effects as one log record and
// applies them. It returns the effects.
func (s *Store) commit(ctx context.Context, fence *heldLock, ops []state.Op) ([]effect, error) {
	if err := state.ValidateOps(ops); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.writable(ctx, fence); err != nil {
		return nil, fmt.Errorf("%s: %w", describe(ops), err)
	}
	p := newPlanner(s.tree)
	for _, op := range ops {
		op.Value = bytes.Clone(op.Value) // the caller may reuse its buffer
		if err := p.plan(op); err != nil {
			return nil, fmt.Errorf("%s: %w", describe(ops), err)
		}
	}
	if err := s.persist(p.effects); err != nil {
		return nil, fmt.Errorf("%s: %w", describe(ops), err)
	}
	return p.effects, nil
}

func describe(ops []state.Op) string {
	if len(ops) == 1 {
		return fmt.Sprintf("%s key %q", ops[0].Kind, ops[0].Key)
	}
	return fmt.Sprintf("committing %d operations", len(ops))
}

func (s *Store) deleteRecursive(ctx context.Context, fence *heldLock, key string) error {
	if err := state.ValidateKeyOrRoot(key); err != nil {
		return fmt.Errorf("deleting recursively: %w", err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.writable(ctx, fence); err != nil {
		return fmt.Errorf("deleting %q recursively: %w", key, err)
	}
	var effects []effect
	for _, k := range s.tree.subtree(key) {
		if k != state.RootKey {
			effects = append(effects, effect{del: true, key: k})
		}
	}
	if err := s.persist(effects); err != nil {
		return fmt.Errorf("deleting %q recursively: %w", key, err)
	}
	return nil
}

// persist appends the effects to the log, syncs, applies them in memory and
// compacts when due. Callers hold s.mu.
func (s *Store) persist(effects []effect) error {
	if len(effects) == 0 {
		return nil
	}
	if err := s.appendRecord(encodeRecord(recordBatch, effects)); err != nil {
		return err
	}
	s.tree.apply(effects)
	if s.logSize-s.snapshotSize > max(s.compactAfter, s.snapshotSize) {
		s.compact()
	}
	return nil
}

func (s *Store) appendRecord(record []byte) error {
	if _, err := s.log.Write(record); err != nil {
		if truncErr := s.log.Truncate(s.logSize); truncErr != nil {
			s.broken = fmt.Errorf("writing a record: %v; removing the partial record: %v", err, truncErr)
		}
		return fmt.Errorf("%w: writing to %s: %v", state.ErrUnavailable, s.log.Name(), err)
	}
	if err := s.log.Sync(); err != nil {
		s.broken = fmt.Errorf("syncing: %v", err)
		return fmt.Errorf("%w: syncing %s: %v; the write may or may not be durable", state.ErrUnavailable, s.log.Name(), err)
	}
	s.logSize += int64(len(record))
	return nil
}

// compact rewrites the log as one snapshot. A failure before the rename is
// only logged (the old log stays whole and in use); after it, the store is
// marked broken because appends could go to the replaced file.
func (s *Store) compact() {
	path := filepath.Join(s.dir, logName)
	if err := createLogFile(s.dir, s.tree.snapshot()); err != nil {
		if errors.Is(err, errRenamed) {
			s.broken = fmt.Errorf("compacting: %v", err)
			return
		}
		s.logger.Warn("compacting the state log failed; still appending to the old log", "file", path, "error", err)
		return
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		s.broken = fmt.Errorf("reopening %s after compaction: %v", path, err)
		return
	}
	info, err := f.Stat()
	if err != nil {
		f.Close()
		s.broken = fmt.Errorf("reading the size of %s after compaction: %v", path, err)
		return
	}
	old := s.log
	s.log, s.logSize, s.snapshotSize = f, info.Size(), info.Size()
	old.Close()
	s.logger.Debug("compacted the state log", "file", path, "bytes", info.Size(), "nodes", len(s.tree.nodes)-1)
}
