// Package configstore is a service's configuration store, the hop between
// a validated spec and the plans: the target configuration and the history
// of configurations, kept in the service's state as DC/OS keeps them
// (ConfigTarget holds the target's id, Configurations/<id> each
// configuration's JSON), and the rule that prunes the history.
//
// Load reads it from the state store. Changes are planned as state
// operations that the caller commits (the service commits them outside its
// lock, with a deadline) and applied to the in-memory copy once committed,
// so that the copy never shows what is not stored. A Store is not safe for
// concurrent use: its owner (the service's lock) guards it.
package configstore

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/state"
)

// Keys of the configuration store, relative to the service's root (DC/OS
// names).
const (
	KeyTarget         = "ConfigTarget"
	KeyConfigurations = "Configurations"
)

// History is how many configurations pruning keeps beyond the target and
// the ones tasks still run with, the newest first. With 0 (today's
// behaviour), only those survive an update.
const History = 0

// Key is the state key of configuration id.
func Key(id string) string { return state.JoinKey(KeyConfigurations, id) }

// Store is the in-memory copy of a service's configurations.
type Store struct {
	target  string
	configs map[string][]byte
	// order lists the ids oldest first. The state keeps no creation
	// times: configurations found at Load come first, sorted by id, then
	// the ones added since, in order.
	order   []string
	version uint64
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
	c := &Store{target: target, configs: make(map[string][]byte, len(ids))}
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
	return c, nil
}

// CreateOps are the operations that store a new service's first
// configuration as its target.
func CreateOps(id string, config []byte) []state.Op {
	return []state.Op{state.SetOp(Key(id), config), state.SetOp(KeyTarget, []byte(id))}
}

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
// and make it the target.
func (c *Store) SetTargetOps(id string, config []byte) []state.Op { return CreateOps(id, config) }

// TargetSet applies a committed SetTargetOps.
func (c *Store) TargetSet(id string, config []byte) {
	if _, ok := c.configs[id]; !ok {
		c.order = append(c.order, id)
	}
	c.configs[id] = config
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

// DeleteOp is the operation that deletes configuration id.
func DeleteOp(id string) state.Op { return state.DeleteOp(Key(id)) }

// Deleted applies a committed DeleteOp.
func (c *Store) Deleted(id string) {
	if _, ok := c.configs[id]; !ok {
		return
	}
	delete(c.configs, id)
	c.order = slices.DeleteFunc(c.order, func(x string) bool { return x == id })
	c.version++
}
