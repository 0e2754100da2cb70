package embedded

import (
	"fmt"
	"sort"
	"strings"

	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/state"
)

// entry is one node of the tree.
type entry struct {
	value    []byte
	version  state.Version
	children map[string]struct{} // names of the children
}

func (e *entry) clone() *entry {
	c := &entry{value: e.value, version: e.version, children: make(map[string]struct{}, len(e.children))}
	for name := range e.children {
		c.children[name] = struct{}{}
	}
	return c
}

// tree is the whole store in memory: key -> node. RootKey is always there.
type tree struct {
	nodes map[string]*entry
}

func newTree() *tree {
	return &tree{nodes: map[string]*entry{state.RootKey: {children: map[string]struct{}{}}}}
}

// effect is a resolved change, as written to the log: put a node with the
// given value and version, or delete it. Replaying effects needs no checks.
type effect struct {
	del     bool
	key     string
	value   []byte
	version state.Version
}

// apply changes the tree by already planned effects.
func (t *tree) apply(effects []effect) {
	for _, ef := range effects {
		if ef.del {
			t.remove(ef.key)
			continue
		}
		t.put(ef.key, ef.value, ef.version)
	}
}

func (t *tree) put(key string, value []byte, version state.Version) {
	if e, ok := t.nodes[key]; ok {
		e.value, e.version = value, version
		return
	}
	t.nodes[key] = &entry{value: value, version: version, children: map[string]struct{}{}}
	parent := t.nodes[state.ParentKey(key)]
	if parent == nil { // only in a log written out of order; keep the tree connected
		t.put(state.ParentKey(key), nil, 0)
		parent = t.nodes[state.ParentKey(key)]
	}
	parent.children[state.BaseName(key)] = struct{}{}
}

func (t *tree) remove(key string) {
	delete(t.nodes, key)
	if parent, ok := t.nodes[state.ParentKey(key)]; ok {
		delete(parent.children, state.BaseName(key))
	}
}

// snapshot returns effects that rebuild the tree from empty, parents first.
func (t *tree) snapshot() []effect {
	keys := make([]string, 0, len(t.nodes))
	for key := range t.nodes {
		if key != state.RootKey {
			keys = append(keys, key)
		}
	}
	sort.Slice(keys, func(i, j int) bool {
		return depth(keys[i]) < depth(keys[j]) || (depth(keys[i]) == depth(keys[j]) && keys[i] < keys[j])
	})
	out := make([]effect, len(keys))
	for i, key := range keys {
		e := t.nodes[key]
		out[i] = effect{key: key, value: e.value, version: e.version}
	}
	return out
}

func depth(key string) int { return strings.Count(key, "/") }

// subtree returns the key and every key below it, deepest first.
func (t *tree) subtree(key string) []string {
	var keys []string
	var walk func(k string)
	walk = func(k string) {
		e := t.nodes[k]
		for name := range e.children {
			walk(childKey(k, name))
		}
		keys = append(keys, k)
	}
	if _, ok := t.nodes[key]; ok {
		walk(key)
	}
	return keys
}

func childKey(parent, name string) string {
	if parent == state.RootKey {
		return name
	}
	return parent + "/" + name
}

// planner resolves a commit's operations against the tree into effects,
// applying them to an overlay so later operations see earlier ones.
type planner struct {
	t       *tree
	overlay map[string]*entry // nil value: deleted in this commit
	effects []effect
}

func newPlanner(t *tree) *planner {
	return &planner{t: t, overlay: map[string]*entry{}}
}

func (p *planner) lookup(key string) *entry {
	if e, ok := p.overlay[key]; ok {
		return e
	}
	return p.t.nodes[key]
}

// editable returns a copy of the node owned by the overlay.
func (p *planner) editable(key string) *entry {
	if e, ok := p.overlay[key]; ok {
		return e
	}
	c := p.t.nodes[key].clone()
	p.overlay[key] = c
	return c
}

func (p *planner) put(key string, value []byte, version state.Version) {
	if p.lookup(key) != nil {
		e := p.editable(key)
		e.value, e.version = value, version
	} else {
		p.overlay[key] = &entry{value: value, version: version, children: map[string]struct{}{}}
		p.editable(state.ParentKey(key)).children[state.BaseName(key)] = struct{}{}
	}
	p.effects = append(p.effects, effect{key: key, value: value, version: version})
}

func (p *planner) remove(key string) {
	p.overlay[key] = nil
	delete(p.editable(state.ParentKey(key)).children, state.BaseName(key))
	p.effects = append(p.effects, effect{del: true, key: key})
}

// create puts a new node, creating its missing parents with empty values.
func (p *planner) create(key string, value []byte) {
	segments := strings.Split(key, "/")
	for i := 1; i < len(segments); i++ {
		ancestor := strings.Join(segments[:i], "/")
		if p.lookup(ancestor) == nil {
			p.put(ancestor, nil, 0)
		}
	}
	p.put(key, value, 0)
}

// plan resolves one operation.
func (p *planner) plan(op state.Op) error {
	e := p.lookup(op.Key)
	switch op.Kind {
	case state.OpSet:
		if e == nil {
			p.create(op.Key, op.Value)
		} else {
			p.put(op.Key, op.Value, e.version+1)
		}
	case state.OpCompareAndSet:
		if err := checkVersion(op.Key, e, op.Expected); err != nil {
			return err
		}
		if e == nil {
			p.create(op.Key, op.Value)
		} else {
			p.put(op.Key, op.Value, e.version+1)
		}
	case state.OpDelete:
		if e == nil {
			return nil
		}
		if len(e.children) > 0 {
			return fmt.Errorf("deleting key %q: %w (%d); use DeleteRecursive", op.Key, state.ErrHasChildren, len(e.children))
		}
		p.remove(op.Key)
	case state.OpCheck:
		return checkVersion(op.Key, e, op.Expected)
	default:
		return fmt.Errorf("%w: unknown operation kind %d", state.ErrInvalidOp, int(op.Kind))
	}
	return nil
}

func checkVersion(key string, e *entry, expected state.Version) error {
	switch {
	case expected == state.NoVersion && e != nil:
		return fmt.Errorf("key %q: %w: it exists at version %d, expected it not to exist", key, state.ErrVersionConflict, e.version)
	case expected != state.NoVersion && e == nil:
		return fmt.Errorf("key %q: %w: it does not exist, expected version %d", key, state.ErrVersionConflict, expected)
	case e != nil && e.version != expected:
		return fmt.Errorf("key %q: %w: it is at version %d, expected %d", key, state.ErrVersionConflict, e.version, expected)
	}
	return nil
}
