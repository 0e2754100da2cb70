package devkafka

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
)

// The registry keeps the topic metadata as a snapshot and a journal, so
// that a change costs the same with five topics or five thousand:
//
//	state.json   every topic at one epoch, and the journal generation
//	             that continues from it
//	journal.log  a header line {"generation":G,"base":E}, then one JSON
//	             line per change, epochs E+1, E+2, ... in order
//
// A change appends one line under state.lock. Each broker keeps the state
// in memory and reads only the lines it has not seen (one stat tells it
// whether there are any). When the journal outgrows the snapshot, the
// writer folds it into a new snapshot of the next generation and starts a
// new journal file; readers notice the new file by its inode and reload
// both. A line is appended with one write and readers use only whole lines,
// so a reader never sees half a change, and a writer that dies mid-line
// leaves a tail the next writer cuts off.

const (
	snapshotFile = "state.json"
	journalFile  = "journal.log"
	// minCompactBytes is how large the journal may grow before it is
	// folded into the snapshot even when the snapshot is smaller.
	minCompactBytes = 256 << 10
	// reloadAttempts bounds the retries of a reload that raced with a
	// compaction.
	reloadAttempts = 50
)

// State is the cluster's topic metadata at one epoch. A State and the
// Topics in it are never modified once made: a change makes a new State
// that shares every topic it did not change, so a topic's *Topic stays the
// same pointer for as long as the topic does not change.
type State struct {
	// Epoch increases with every change.
	Epoch int64 `json:"epoch"`
	// Generation is the journal generation that continues from this
	// snapshot (in memory: the one the state was read from).
	Generation int64             `json:"generation"`
	Topics     map[string]*Topic `json:"topics"`
	// BrokerDefaults are the cluster-wide dynamic broker configs (the
	// BROKER "" resource of IncrementalAlterConfigs): every broker reports
	// them with source DYNAMIC_DEFAULT_BROKER_CONFIG, and they outlive any
	// broker's restart, as Kafka keeps them in ZooKeeper. Never modified in
	// place.
	BrokerDefaults map[string]string `json:"broker_defaults,omitempty"`

	// keys maps each topic's collision key to its name.
	keys map[string]string

	namesOnce sync.Once
	names     []string
}

func newState(epoch, generation int64, topics map[string]*Topic) *State {
	if topics == nil {
		topics = map[string]*Topic{}
	}
	s := &State{Epoch: epoch, Generation: generation, Topics: topics, keys: make(map[string]string, len(topics))}
	for name := range topics {
		s.keys[collisionKey(name)] = name
	}
	return s
}

// clearedDefaultsKey marks a journal record that clears every cluster-wide
// broker config (it is not a legal property name, so it never collides).
const clearedDefaultsKey = "<cleared>"

// collisionKey is the name Kafka's metrics would give a topic: '.' and '_'
// are the same there, so two topics that differ only in them collide.
func collisionKey(name string) string { return strings.ReplaceAll(name, ".", "_") }

// SortedNames returns the topic names in order. The slice is shared.
func (s *State) SortedNames() []string {
	s.namesOnce.Do(func() {
		s.names = make([]string, 0, len(s.Topics))
		for n := range s.Topics {
			s.names = append(s.names, n)
		}
		sort.Strings(s.names)
	})
	return s.names
}

// colliding returns the existing topic whose name collides with name, or
// "".
func (s *State) colliding(name string) string {
	if other, ok := s.keys[collisionKey(name)]; ok && other != name {
		return other
	}
	return ""
}

// apply returns the state after the records, which follow s in order.
func (s *State) apply(recs []journalRecord) *State {
	next := &State{Epoch: s.Epoch, Generation: s.Generation, Topics: maps.Clone(s.Topics), BrokerDefaults: s.BrokerDefaults, keys: maps.Clone(s.keys)}
	for _, rec := range recs {
		if rec.BrokerDefaults != nil {
			next.BrokerDefaults = rec.BrokerDefaults
			if _, cleared := rec.BrokerDefaults[clearedDefaultsKey]; cleared {
				next.BrokerDefaults = nil
			}
		}
		for _, name := range rec.Delete {
			delete(next.Topics, name)
			if key := collisionKey(name); next.keys[key] == name {
				delete(next.keys, key)
			}
		}
		for name, t := range rec.Put {
			next.Topics[name] = t
			next.keys[collisionKey(name)] = name
		}
		next.Epoch = rec.Epoch
	}
	return next
}

// withGeneration is s read as the start of another journal generation.
func (s *State) withGeneration(g int64) *State {
	return &State{Epoch: s.Epoch, Generation: g, Topics: s.Topics, BrokerDefaults: s.BrokerDefaults, keys: s.keys}
}

type journalHeader struct {
	Generation int64 `json:"generation"`
	Base       int64 `json:"base"`
}

// journalRecord is one change: topics put (created or replaced whole) and
// topics deleted, deletions first.
type journalRecord struct {
	Epoch  int64             `json:"epoch"`
	Put    map[string]*Topic `json:"put,omitempty"`
	Delete []string          `json:"delete,omitempty"`
	// BrokerDefaults, when not nil, replaces the cluster-wide dynamic
	// broker configs whole (an empty map clears them).
	BrokerDefaults map[string]string `json:"broker_defaults,omitempty"`
}

// Txn is one change to the topic metadata, made inside Registry.Update. It
// reads the latest state and records what to put and delete; Topics it
// returns must not be modified (put a changed copy instead).
type Txn struct {
	base *State
	put  map[string]*Topic
	del  map[string]bool
	// putKeys maps the collision key of every topic in put to its name.
	putKeys map[string]string
	// defaults is the new set of cluster-wide broker configs; nil when
	// unchanged.
	defaults map[string]string
}

// BrokerDefaults returns the cluster-wide dynamic broker configs as the
// change stands. The map must not be modified.
func (x *Txn) BrokerDefaults() map[string]string {
	if x.defaults != nil {
		return x.defaults
	}
	return x.base.BrokerDefaults
}

// SetBrokerDefaults replaces the cluster-wide dynamic broker configs.
func (x *Txn) SetBrokerDefaults(m map[string]string) {
	x.defaults = maps.Clone(m)
	if x.defaults == nil {
		x.defaults = map[string]string{}
	}
}

// Topic returns the topic as the change stands, or nil.
func (x *Txn) Topic(name string) *Topic {
	if x.del[name] {
		return nil
	}
	if t, ok := x.put[name]; ok {
		return t
	}
	return x.base.Topics[name]
}

// Put creates or replaces a topic. t must be a new value, not one read
// from a State.
func (x *Txn) Put(name string, t *Topic) {
	delete(x.del, name)
	x.put[name] = t
	x.putKeys[collisionKey(name)] = name
}

// Delete removes a topic.
func (x *Txn) Delete(name string) {
	if _, ok := x.put[name]; ok {
		delete(x.put, name)
		delete(x.putKeys, collisionKey(name))
	}
	if x.base.Topics[name] != nil {
		x.del[name] = true
	}
}

// Colliding returns an existing topic (as the change stands) whose name
// collides with name, or "".
func (x *Txn) Colliding(name string) string {
	if other, ok := x.putKeys[collisionKey(name)]; ok && other != name {
		return other
	}
	if other := x.base.colliding(name); other != "" && !x.del[other] {
		return other
	}
	return ""
}

func (x *Txn) empty() bool { return len(x.put) == 0 && len(x.del) == 0 && x.defaults == nil }

func (x *Txn) record(epoch int64) journalRecord {
	rec := journalRecord{Epoch: epoch, BrokerDefaults: x.defaults}
	if x.defaults != nil && len(x.defaults) == 0 {
		// omitempty would drop an empty map: mark a clear explicitly.
		rec.BrokerDefaults = map[string]string{clearedDefaultsKey: ""}
	}
	if len(x.put) > 0 {
		rec.Put = x.put
	}
	for name := range x.del {
		rec.Delete = append(rec.Delete, name)
	}
	sort.Strings(rec.Delete)
	return rec
}

// stateCache is what this process has read of the registry.
type stateCache struct {
	state *State
	// ino identifies the journal file the state was read from, gen is
	// that file's generation, off the end of its last whole line applied,
	// and mtime its modification time then: a file with the same inode
	// number (numbers are reused once a replaced journal is freed) but
	// another modification time at the same size is another file.
	ino   uint64
	gen   int64
	off   int64
	mtime int64
	// snapBytes is the size of the snapshot the journal continues from.
	snapBytes int64
}

func (r *Registry) journalPath() string  { return filepath.Join(r.dir, journalFile) }
func (r *Registry) snapshotPath() string { return filepath.Join(r.dir, snapshotFile) }

// State returns the current topic metadata: one stat when nothing changed,
// the new journal lines when something did. The result is shared and must
// not be modified.
func (r *Registry) State() (*State, error) {
	r.stateMu.Lock()
	defer r.stateMu.Unlock()
	return r.refreshLocked()
}

func (r *Registry) refreshLocked() (*State, error) {
	fi, err := os.Stat(r.journalPath())
	if err != nil {
		return nil, fmt.Errorf("reading the cluster registry journal: %w", err)
	}
	c := &r.cache
	if c.state != nil && inodeOf(fi) == c.ino {
		if fi.Size() == c.off && fi.ModTime().UnixNano() == c.mtime {
			return c.state, nil
		}
		ok := false
		if fi.Size() > c.off {
			// Safe even in a reused inode: only records that follow
			// the cached epoch exactly are applied.
			ok, err = r.readTailLocked()
		}
		if err != nil {
			return nil, err
		}
		if ok {
			return c.state, nil
		}
	}
	if err := r.reloadLocked(); err != nil {
		return nil, err
	}
	return c.state, nil
}

// readTailLocked applies the journal lines after the cached offset. It
// returns false when the journal is not the one cached or does not follow
// on, so the caller must reload.
func (r *Registry) readTailLocked() (bool, error) {
	c := &r.cache
	f, err := os.Open(r.journalPath())
	if err != nil {
		return false, fmt.Errorf("reading the cluster registry journal: %w", err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return false, fmt.Errorf("reading the cluster registry journal: %w", err)
	}
	if inodeOf(fi) != c.ino {
		return false, nil
	}
	data, err := io.ReadAll(io.NewSectionReader(f, c.off, fi.Size()-c.off))
	if err != nil {
		return false, fmt.Errorf("reading the cluster registry journal: %w", err)
	}
	recs, used, err := parseRecords(data, c.state.Epoch)
	if err != nil {
		return false, nil // does not follow on: reload
	}
	if len(recs) > 0 {
		c.state = c.state.apply(recs)
	}
	c.off += int64(used)
	c.mtime = fi.ModTime().UnixNano()
	return true, nil
}

// parseRecords reads the whole lines of data as records following epoch
// after. It returns how many bytes it used (up to the last newline).
func parseRecords(data []byte, after int64) ([]journalRecord, int, error) {
	var recs []journalRecord
	used := 0
	for {
		nl := bytes.IndexByte(data[used:], '\n')
		if nl < 0 {
			return recs, used, nil
		}
		line := data[used : used+nl]
		used += nl + 1
		var rec journalRecord
		if err := json.Unmarshal(line, &rec); err != nil {
			return nil, 0, fmt.Errorf("reading a cluster registry journal line: %w", err)
		}
		if rec.Epoch <= after {
			continue // already in the snapshot
		}
		if rec.Epoch != after+1 {
			return nil, 0, fmt.Errorf("cluster registry journal skips from epoch %d to %d", after, rec.Epoch)
		}
		recs = append(recs, rec)
		after = rec.Epoch
	}
}

// reloadLocked reads the snapshot and the journal that continues it.
func (r *Registry) reloadLocked() error {
	var lastErr error
	for range reloadAttempts {
		snap, snapBytes, err := readSnapshot(r.snapshotPath())
		if err != nil {
			return err
		}
		f, err := os.Open(r.journalPath())
		if err != nil {
			return fmt.Errorf("reading the cluster registry journal: %w", err)
		}
		fi, statErr := f.Stat()
		data, readErr := io.ReadAll(f)
		f.Close()
		if err := errors.Join(statErr, readErr); err != nil {
			return fmt.Errorf("reading the cluster registry journal: %w", err)
		}
		hdr, body, err := parseHeader(data)
		if err != nil {
			return err
		}
		c := stateCache{ino: inodeOf(fi), gen: hdr.Generation, snapBytes: snapBytes, off: int64(len(data) - len(body)), mtime: fi.ModTime().UnixNano()}
		switch {
		case hdr.Generation == snap.Generation:
			recs, used, err := parseRecords(body, snap.Epoch)
			if err != nil {
				return err
			}
			c.state, c.off = snap.apply(recs), c.off+int64(used)
		case hdr.Generation+1 == snap.Generation:
			// A compaction wrote the snapshot and has not (or never)
			// replaced the journal: the snapshot holds every change of
			// the old journal. A writer replaces the journal before it
			// appends, so this file gets no more lines.
			c.state, c.off = snap, int64(len(data))
		default:
			// The snapshot was read before a compaction and the journal
			// after it: read both again.
			lastErr = fmt.Errorf("cluster registry snapshot generation %d does not match journal generation %d", snap.Generation, hdr.Generation)
			continue
		}
		r.cache = c
		return nil
	}
	return lastErr
}

func parseHeader(data []byte) (journalHeader, []byte, error) {
	var hdr journalHeader
	nl := bytes.IndexByte(data, '\n')
	if nl < 0 {
		return hdr, nil, errors.New("the cluster registry journal has no header line")
	}
	if err := json.Unmarshal(data[:nl], &hdr); err != nil {
		return hdr, nil, fmt.Errorf("reading the cluster registry journal header: %w", err)
	}
	return hdr, data[nl+1:], nil
}

func readSnapshot(path string) (*State, int64, error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return newState(0, 0, nil), 0, nil
	}
	if err != nil {
		return nil, 0, fmt.Errorf("reading cluster state: %w", err)
	}
	var snap struct {
		Epoch      int64             `json:"epoch"`
		Generation int64             `json:"generation"`
		Topics     map[string]*Topic `json:"topics"`
		Defaults   map[string]string `json:"broker_defaults"`
	}
	if err := json.Unmarshal(data, &snap); err != nil {
		return nil, 0, fmt.Errorf("reading cluster state %s: %w", path, err)
	}
	st := newState(snap.Epoch, snap.Generation, snap.Topics)
	st.BrokerDefaults = snap.Defaults
	return st, int64(len(data)), nil
}

// ensureJournal creates the journal for the snapshot if there is none (a
// new registry, or one written before the journal existed). Called under
// state.lock.
func (r *Registry) ensureJournal() error {
	if _, err := os.Stat(r.journalPath()); !errors.Is(err, os.ErrNotExist) {
		return err
	}
	snap, _, err := readSnapshot(r.snapshotPath())
	if err != nil {
		return err
	}
	return r.startJournal(snap.Generation, snap.Epoch)
}

// startJournal replaces the journal with an empty one of generation gen
// that continues from epoch base.
func (r *Registry) startJournal(gen, base int64) error {
	line, err := json.Marshal(journalHeader{Generation: gen, Base: base})
	if err != nil {
		return err
	}
	return writeFileAtomic(r.journalPath(), append(line, '\n'))
}

// Update changes the topic metadata under the registry lock: fn reads the
// latest state through the Txn and records what to change. If fn returns an
// error nothing is written. It returns the state as written (the latest
// state when fn changed nothing).
func (r *Registry) Update(ctx context.Context, fn func(*Txn) error) (*State, error) {
	select {
	case r.writer <- struct{}{}:
	case <-ctx.Done():
		return nil, fmt.Errorf("waiting to change the cluster registry: %w", ctx.Err())
	}
	defer func() { <-r.writer }()
	var written *State
	err := r.withStateLock(ctx, func() error {
		r.stateMu.Lock()
		defer r.stateMu.Unlock()
		st, err := r.writableLocked()
		if err != nil {
			return err
		}
		txn := &Txn{base: st, put: map[string]*Topic{}, del: map[string]bool{}, putKeys: map[string]string{}}
		if err := fn(txn); err != nil {
			return err
		}
		if txn.empty() {
			written = st
			return nil
		}
		rec := txn.record(st.Epoch + 1)
		if err := r.appendLocked(rec); err != nil {
			return err
		}
		written = r.cache.state
		if r.cache.off > max(r.compactBytes, r.cache.snapBytes) {
			if err := r.compactLocked(); err != nil {
				// The change is in the journal; the next change
				// tries again.
				r.log.Warn("folding the cluster registry journal into a snapshot", "err", err)
			}
		}
		return nil
	})
	return written, err
}

// writableLocked returns the latest state, with a journal that continues
// it and no torn tail, ready to append to.
func (r *Registry) writableLocked() (*State, error) {
	st, err := r.refreshLocked()
	if err != nil {
		return nil, err
	}
	if r.cache.gen != st.Generation {
		// A compaction died between writing the snapshot and the
		// journal: start the journal it should have started.
		if err := r.startJournal(st.Generation, st.Epoch); err != nil {
			return nil, err
		}
		if err := r.reloadLocked(); err != nil {
			return nil, err
		}
		st = r.cache.state
	}
	fi, err := os.Stat(r.journalPath())
	if err != nil {
		return nil, fmt.Errorf("reading the cluster registry journal: %w", err)
	}
	if fi.Size() > r.cache.off {
		// A writer died mid-line (we hold the lock, so no one is
		// writing): cut its half line off.
		if err := os.Truncate(r.journalPath(), r.cache.off); err != nil {
			return nil, fmt.Errorf("cutting a torn line off the cluster registry journal: %w", err)
		}
	}
	return st, nil
}

// appendLocked writes one record and applies it to the cache.
func (r *Registry) appendLocked(rec journalRecord) error {
	line, err := json.Marshal(rec)
	if err != nil {
		return fmt.Errorf("encoding a cluster registry change: %w", err)
	}
	line = append(line, '\n')
	f, err := os.OpenFile(r.journalPath(), os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		return fmt.Errorf("writing the cluster registry journal: %w", err)
	}
	_, werr := f.Write(line)
	cerr := f.Close()
	if err := errors.Join(werr, cerr); err != nil {
		os.Truncate(r.journalPath(), r.cache.off) // leave no half line
		return fmt.Errorf("writing the cluster registry journal: %w", err)
	}
	r.cache.state = r.cache.state.apply([]journalRecord{rec})
	r.cache.off += int64(len(line))
	if fi, err := os.Stat(r.journalPath()); err == nil {
		r.cache.mtime = fi.ModTime().UnixNano()
	}
	return nil
}

// compactLocked folds the journal into a new snapshot and starts the next
// journal generation. The snapshot is written first: a crash between the
// two leaves a snapshot that holds everything, which readers and the next
// writer recognise.
func (r *Registry) compactLocked() error {
	st := r.cache.state
	gen := st.Generation + 1
	data, err := json.Marshal(struct {
		Epoch      int64             `json:"epoch"`
		Generation int64             `json:"generation"`
		Topics     map[string]*Topic `json:"topics"`
		Defaults   map[string]string `json:"broker_defaults,omitempty"`
	}{st.Epoch, gen, st.Topics, st.BrokerDefaults})
	if err != nil {
		return err
	}
	if err := writeFileAtomic(r.snapshotPath(), data); err != nil {
		return err
	}
	if err := r.startJournal(gen, st.Epoch); err != nil {
		return err
	}
	fi, err := os.Stat(r.journalPath())
	if err != nil {
		return err
	}
	r.cache = stateCache{state: st.withGeneration(gen), ino: inodeOf(fi), gen: gen, off: fi.Size(), mtime: fi.ModTime().UnixNano(), snapBytes: int64(len(data))}
	return nil
}
