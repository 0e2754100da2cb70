package devkafka

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Registry is the shared state of one stand-in cluster: a directory on the
// local filesystem that every broker of the cluster opens.
//
//	cluster.json      identity (zookeeper.connect) and cluster id; written once
//	state.json        topics at one epoch: the snapshot (see state.go)
//	journal.log       every topic change since the snapshot, one line each
//	state.lock        held while the journal or snapshot is written
//	brokers/<id>.json where broker <id> listens
//	brokers/<id>.lock held by broker <id>'s process while it serves
//
// The snapshot and the broker files are replaced atomically (write,
// rename) and the journal is only appended to in whole lines, so readers
// never lock.
type Registry struct {
	dir     string
	cluster ClusterInfo
	log     *slog.Logger

	// writer lets one goroutine of this process at a time contend for
	// state.lock with the other brokers.
	writer chan struct{}

	// stateMu guards cache; it is held for local file reads and appends
	// only.
	stateMu sync.Mutex
	cache   stateCache
	// compactBytes is the journal size past which it is folded into the
	// snapshot (when also larger than the snapshot).
	compactBytes int64

	brokerMu    sync.Mutex
	brokerCache map[string]cachedBroker
}

// ClusterInfo is written once when the first broker opens the registry.
type ClusterInfo struct {
	Identity  string `json:"identity"`
	ClusterID string `json:"cluster_id"`
}

// BrokerInfo is what a broker publishes about itself.
type BrokerInfo struct {
	ID        int32     `json:"id"`
	Host      string    `json:"host"`
	Port      int32     `json:"port"`
	Rack      *string   `json:"rack,omitempty"`
	PID       int       `json:"pid"`
	Serving   bool      `json:"serving"`
	StartedAt time.Time `json:"started_at"`
}

// Topic is one topic of the cluster. Topics read from a State are shared
// and never modified; a change puts a new Topic (see Topic.clone).
type Topic struct {
	ID       TopicID `json:"id"`
	Internal bool    `json:"internal,omitempty"`
	// Replicas lists each partition's replicas; the first one is the
	// partition's home broker, the only one that holds its data.
	Replicas [][]int32         `json:"replicas"`
	Configs  map[string]string `json:"configs,omitempty"`
}

// clone returns a copy that may be changed and put.
func (t *Topic) clone() *Topic {
	ct := &Topic{ID: t.ID, Internal: t.Internal, Replicas: make([][]int32, len(t.Replicas))}
	for i, r := range t.Replicas {
		ct.Replicas[i] = append([]int32(nil), r...)
	}
	if len(t.Configs) > 0 {
		ct.Configs = make(map[string]string, len(t.Configs))
		for k, v := range t.Configs {
			ct.Configs[k] = v
		}
	}
	return ct
}

// TopicID is a Kafka topic id, written as hex in the registry.
type TopicID [16]byte

// MarshalText writes the id as hex.
func (id TopicID) MarshalText() ([]byte, error) { return []byte(hex.EncodeToString(id[:])), nil }

// UnmarshalText reads a hex id.
func (id *TopicID) UnmarshalText(b []byte) error {
	raw, err := hex.DecodeString(string(b))
	if err != nil || len(raw) != 16 {
		return fmt.Errorf("topic id %q is not 32 hex digits", b)
	}
	copy(id[:], raw)
	return nil
}

func newTopicID() TopicID {
	var id TopicID
	if _, err := rand.Read(id[:]); err != nil {
		panic(fmt.Sprintf("crypto/rand failed: %v", err))
	}
	return id
}

// OpenRegistry opens (creating if needed) the registry in dir for the
// cluster whose identity is the brokers' zookeeper.connect. A registry
// created for another identity is refused: two clusters must never mix.
func OpenRegistry(ctx context.Context, dir, identity string) (*Registry, error) {
	if err := os.MkdirAll(filepath.Join(dir, "brokers"), 0o755); err != nil {
		return nil, fmt.Errorf("creating cluster registry %s: %w", dir, err)
	}
	r := &Registry{dir: dir, log: slog.New(slog.DiscardHandler), writer: make(chan struct{}, 1), compactBytes: minCompactBytes, brokerCache: map[string]cachedBroker{}}
	err := r.withStateLock(ctx, func() error {
		info, err := r.readClusterInfo()
		if errors.Is(err, os.ErrNotExist) {
			info = ClusterInfo{Identity: identity, ClusterID: newClusterID()}
			if err := writeJSONAtomic(filepath.Join(dir, "cluster.json"), info); err != nil {
				return err
			}
		} else if err != nil {
			return err
		}
		if info.Identity != identity {
			return fmt.Errorf("cluster registry %s belongs to the cluster with zookeeper.connect=%q, not %q; "+
				"set %s to a directory of its own", dir, info.Identity, identity, RegistryDirProperty)
		}
		r.cluster = info
		return r.ensureJournal()
	})
	if err != nil {
		return nil, err
	}
	return r, nil
}

func newClusterID() string {
	id := newTopicID()
	return "devkafka-" + hex.EncodeToString(id[:6])
}

// Cluster returns the cluster's identity and id.
func (r *Registry) Cluster() ClusterInfo { return r.cluster }

// Dir returns the registry directory.
func (r *Registry) Dir() string { return r.dir }

func (r *Registry) readClusterInfo() (ClusterInfo, error) {
	var info ClusterInfo
	data, err := os.ReadFile(filepath.Join(r.dir, "cluster.json"))
	if err != nil {
		return info, err
	}
	if err := json.Unmarshal(data, &info); err != nil {
		return info, fmt.Errorf("reading %s: %w", filepath.Join(r.dir, "cluster.json"), err)
	}
	return info, nil
}

// withStateLock runs fn while holding state.lock, waiting (with ctx) for
// another broker that holds it.
func (r *Registry) withStateLock(ctx context.Context, fn func() error) error {
	f, err := os.OpenFile(filepath.Join(r.dir, "state.lock"), os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return fmt.Errorf("opening registry lock: %w", err)
	}
	defer f.Close() // closing the file releases the lock
	wait := 100 * time.Microsecond
	for {
		err := tryLock(f)
		if err == nil {
			break
		}
		if !errors.Is(err, errLocked) {
			return err
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return fmt.Errorf("waiting for the cluster registry lock %s: %w", f.Name(), ctx.Err())
		case <-t.C:
		}
		// Holders keep the lock for one append, so keep polling fast.
		wait = min(2*wait, 5*time.Millisecond)
	}
	return fn()
}

// Registration is a broker's hold on its id; Close releases it.
type Registration struct {
	lock *os.File
	path string
	info BrokerInfo
}

// Register claims broker id info.ID for this process. It fails when a live
// broker already holds the id. The broker is not listed as serving until
// Serve is called.
func (r *Registry) Register(info BrokerInfo) (*Registration, error) {
	base := filepath.Join(r.dir, "brokers", strconv.Itoa(int(info.ID)))
	f, err := os.OpenFile(base+".lock", os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, fmt.Errorf("opening broker lock: %w", err)
	}
	if err := tryLock(f); err != nil {
		f.Close()
		if errors.Is(err, errLocked) {
			return nil, fmt.Errorf("broker.id %d is already in use by a running broker of this cluster (%s.json)", info.ID, base)
		}
		return nil, err
	}
	reg := &Registration{lock: f, path: base + ".json", info: info}
	reg.info.Serving = false
	if err := writeJSONAtomic(reg.path, reg.info); err != nil {
		reg.Close()
		return nil, err
	}
	return reg, nil
}

// Serve publishes the broker's address and marks it serving.
func (g *Registration) Serve(host string, port int32) error {
	g.info.Host, g.info.Port, g.info.Serving = host, port, true
	return writeJSONAtomic(g.path, g.info)
}

// Close releases the broker id: other brokers see this broker as gone at
// once.
func (g *Registration) Close() error {
	if g.lock == nil {
		return nil
	}
	err := g.lock.Close()
	g.lock = nil
	return err
}

type cachedBroker struct {
	stamp fileStamp
	info  BrokerInfo
}

// RegisteredBroker is a broker known to the registry, live or not.
type RegisteredBroker struct {
	BrokerInfo
	Live bool
}

// Brokers lists every broker that ever registered, sorted by id, with
// whether it is live now (its process holds its lock and it serves).
func (r *Registry) Brokers() ([]RegisteredBroker, error) {
	dir := filepath.Join(r.dir, "brokers")
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("listing brokers: %w", err)
	}
	var out []RegisteredBroker
	for _, e := range entries {
		name := e.Name()
		if !strings.HasSuffix(name, ".json") {
			continue
		}
		info, err := r.brokerInfo(filepath.Join(dir, name))
		if errors.Is(err, os.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, err
		}
		locked, err := isLocked(filepath.Join(dir, strings.TrimSuffix(name, ".json")+".lock"))
		if err != nil {
			return nil, err
		}
		out = append(out, RegisteredBroker{BrokerInfo: info, Live: locked && info.Serving})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out, nil
}

func (r *Registry) brokerInfo(path string) (BrokerInfo, error) {
	stamp, err := stampOf(path)
	if err != nil {
		return BrokerInfo{}, err
	}
	r.brokerMu.Lock()
	c, ok := r.brokerCache[path]
	r.brokerMu.Unlock()
	if ok && c.stamp == stamp {
		return c.info, nil
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return BrokerInfo{}, err
	}
	var info BrokerInfo
	if err := json.Unmarshal(data, &info); err != nil {
		return BrokerInfo{}, fmt.Errorf("reading %s: %w", path, err)
	}
	r.brokerMu.Lock()
	r.brokerCache[path] = cachedBroker{stamp: stamp, info: info}
	r.brokerMu.Unlock()
	return info, nil
}

// fileStamp identifies one version of a file that is only ever replaced by
// rename: a new version is a new inode.
type fileStamp struct {
	ino   uint64
	size  int64
	mtime int64
}

func stampOf(path string) (fileStamp, error) {
	fi, err := os.Stat(path)
	if errors.Is(err, os.ErrNotExist) {
		return fileStamp{}, nil
	}
	if err != nil {
		return fileStamp{}, err
	}
	return fileStamp{ino: inodeOf(fi), size: fi.Size(), mtime: fi.ModTime().UnixNano()}, nil
}

// writeJSONAtomic writes v to path through a temporary file and a rename.
func writeJSONAtomic(path string, v any) error {
	data, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	return writeFileAtomic(path, append(data, '\n'))
}

// writeFileAtomic writes data to path through a temporary file and a
// rename, so readers see the old content or the new, never a mix.
func writeFileAtomic(path string, data []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		os.Remove(tmp.Name())
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("writing %s: %w", path, err)
	}
	return nil
}
