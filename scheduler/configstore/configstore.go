// Package configstore is a service's configuration store, the hop between
// a validated spec and the plans: the target configuration and the history
// of configurations, kept in the service's state as DC/OS keeps them
// (ConfigTarget holds the target's id, Configurations/<id> each
// configuration's JSON), the order and time in which each became the
// target (ConfigHistory, a key of this scheduler's own beside DC/OS's), and
// the rule that prunes the history.
//
// Load reads it from the state store. Changes are planned as state
// operations that the caller commits (the service commits them outside its
// lock, with a deadline) and applied to the in-memory copy once committed,
// so that the copy never shows what is not stored. A Store is not safe for
// concurrent use: its owner (the service's lock) guards it.
package configstore

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/state"
)

// Keys of the configuration store, relative to the service's root (DC/OS
// names).
const (
	KeyTarget         = "ConfigTarget"
	KeyConfigurations = "Configurations"
	// KeyHistory holds the accepted targets in the order they were
	// accepted, each with its time, as a JSON array of Entry. DC/OS has no
	// such key; its readers ignore it.
	KeyHistory = "ConfigHistory"
)

// History is how many configurations pruning keeps beyond the target and
// the ones tasks still run with, the newest first: an operator can see,
// and roll back to, at least the last History accepted changes.
const History = 20

// Entry is one accepted configuration of the history.
type Entry struct {
	ID string `json:"id"`
	// Accepted is when it became the target; zero for configurations
	// stored before the history was kept.
	Accepted time.Time `json:"accepted,omitzero"`
}

// Key is the state key of configuration id.
func Key(id string) string { return state.JoinKey(KeyConfigurations, id) }

// Store is the in-memory copy of a service's configurations.
type Store struct {
	target  string
	configs map[string][]byte
	// order lists the ids oldest first. The state keeps no creation
	// times: configurations found at Load come first, sorted by id, then
	// the ones added since, in order.
	order    []string
	accepted map[string]time.Time
	version  uint64
}

// Load reads the target and every stored configuration. A missing or empty
// target is an error: a service always has one.
func Load(ctx context.Context, st state.Store) (*Store, error) {
	node, err := st.Get(ctx, KeyTarget)
	if err != nil && !errors.Is(err, state.ErrNotFound) {
		return nil, fmt.Errorf("reading %s: %w", KeyTarget, err)
	}
	target := string(node.Value)
	if target == "" {
		return nil, fmt.Errorf("no target configuration (%s is missing or empty)", KeyTarget)
	}
	ids, err := st.Children(ctx, KeyConfigurations)
	if err != nil && !errors.Is(err, state.ErrNotFound) {
		return nil, fmt.Errorf("listing %s: %w", KeyConfigurations, err)
	}
	c := &Store{target: target, configs: make(map[string][]byte, len(ids)), accepted: map[string]time.Time{}}
	for _, id := range ids {
		node, err := st.Get(ctx, Key(id))
		if errors.Is(err, state.ErrNotFound) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("reading configuration %s: %w", id, err)
		}
		c.configs[id] = node.Value
		c.order = append(c.order, id)
	}
	slices.Sort(c.order)
	if len(c.configs[target]) == 0 {
		return nil, fmt.Errorf("the target configuration %s is missing", target)
	}
	if err := c.loadHistory(ctx, st); err != nil {
		return nil, err
	}
	return c, nil
}

// loadHistory orders c.order as ConfigHistory says: configurations it does
// not list (stored before it was kept) first, sorted by id, then the listed
// ones in the order they were accepted.
func (c *Store) loadHistory(ctx context.Context, st state.Store) error {
	node, err := st.Get(ctx, KeyHistory)
	if errors.Is(err, state.ErrNotFound) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("reading %s: %w", KeyHistory, err)
	}
	var entries []Entry
	if err := json.Unmarshal(node.Value, &entries); err != nil {
		return fmt.Errorf("decoding %s: %w", KeyHistory, err)
	}
	listed := map[string]bool{}
	var order []string
	for _, e := range entries {
		if _, ok := c.configs[e.ID]; !ok || listed[e.ID] {
			continue
		}
		listed[e.ID] = true
		c.accepted[e.ID] = e.Accepted
		order = append(order, e.ID)
	}
	unlisted := slices.DeleteFunc(slices.Clone(c.order), func(id string) bool { return listed[id] })
	c.order = append(unlisted, order...)
	return nil
}

// CreateOps are the operations that store a new service's first
// configuration as its target, accepted at at.
func CreateOps(id string, config []byte, at time.Time) []state.Op {
	return []state.Op{state.SetOp(Key(id), config), state.SetOp(KeyTarget, []byte(id)), historyOp([]Entry{{ID: id, Accepted: at.UTC()}})}
}

func historyOp(entries []Entry) state.Op {
	value, err := json.Marshal(entries)
	if err != nil {
		panic(fmt.Sprintf("encoding the configuration history: %v", err)) // strings and times always encode
	}
	return state.SetOp(KeyHistory, value)
}

// entries is the history as stored, with ids (optionally) left out or one
// appended.
func (c *Store) entries(drop map[string]bool, add *Entry) []Entry {
	out := make([]Entry, 0, len(c.order)+1)
	for _, id := range c.order {
		if !drop[id] && (add == nil || id != add.ID) {
			out = append(out, Entry{ID: id, Accepted: c.accepted[id]})
		}
	}
	if add != nil {
		out = append(out, *add)
	}
	return out
}

// History lists the stored configurations in the order they were
// accepted, oldest first, each with its time.
func (c *Store) History() []Entry { return c.entries(nil, nil) }

// Target returns the target's id and JSON.
func (c *Store) Target() (string, []byte) { return c.target, c.configs[c.target] }

// Get returns a stored configuration.
func (c *Store) Get(id string) ([]byte, bool) {
	v, ok := c.configs[id]
	return v, ok
}

// IDs lists the stored configurations, sorted.
func (c *Store) IDs() []string {
	ids := slices.Clone(c.order)
	slices.Sort(ids)
	return ids
}

// Snapshot copies the configurations for readers (values are never
// changed in place, so they are shared).
func (c *Store) Snapshot() map[string][]byte {
	out := make(map[string][]byte, len(c.configs))
	for id, v := range c.configs {
		out[id] = v
	}
	return out
}

// Version changes with every applied change.
func (c *Store) Version() uint64 { return c.version }

// SetTargetOps are the operations that store config as a new configuration
// and make it the target, accepted at at.
func (c *Store) SetTargetOps(id string, config []byte, at time.Time) []state.Op {
	return []state.Op{state.SetOp(Key(id), config), state.SetOp(KeyTarget, []byte(id)),
		historyOp(c.entries(nil, &Entry{ID: id, Accepted: at.UTC()}))}
}

// TargetSet applies a committed SetTargetOps.
func (c *Store) TargetSet(id string, config []byte, at time.Time) {
	c.order = slices.DeleteFunc(c.order, func(x string) bool { return x == id })
	c.order = append(c.order, id)
	c.configs[id] = config
	c.accepted[id] = at.UTC()
	c.target = id
	c.version++
}

// Prune lists the configurations to delete: every one that is not the
// target, that inUse does not want (a task runs with it), and that is not
// among the History newest of the rest.
func (c *Store) Prune(inUse func(id string) bool) []string {
	var unused []string
	for _, id := range c.order {
		if id != c.target && !inUse(id) {
			unused = append(unused, id)
		}
	}
	if len(unused) <= History {
		return nil
	}
	return unused[:len(unused)-History]
}

// DeleteOps are the operations that delete the configurations ids and take
// them out of the history, all at once.
func (c *Store) DeleteOps(ids []string) []state.Op {
	drop := map[string]bool{}
	ops := make([]state.Op, 0, len(ids)+1)
	for _, id := range ids {
		drop[id] = true
		ops = append(ops, state.DeleteOp(Key(id)))
	}
	return append(ops, historyOp(c.entries(drop, nil)))
}

// Deleted applies committed DeleteOps.
func (c *Store) Deleted(ids ...string) {
	for _, id := range ids {
		if _, ok := c.configs[id]; !ok {
			continue
		}
		delete(c.configs, id)
		delete(c.accepted, id)
		c.order = slices.DeleteFunc(c.order, func(x string) bool { return x == id })
		c.version++
	}
}
