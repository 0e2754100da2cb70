package zkstore

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"

	"github.com/go-zookeeper/zk"

	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/state"
)

const (
	// maxAttempts bounds how often a commit is planned again after learning
	// that a node it assumed to exist (or not) is different.
	maxAttempts = 10
	// juteMaxBuffer is ZooKeeper's default request size limit.
	juteMaxBuffer = 1<<20 - 1
	// deleteBatch is how many deletes one multi of DeleteRecursive holds.
	deleteBatch = 500
)

// role says which part of a commit a request of the multi serves.
type role int

const (
	roleFence  role = iota + 1 // the lock znode's version check
	roleParent                 // creating a missing parent
	roleKey                    // the operation's own request
)

type request struct {
	req  any // *zk.CreateRequest, *zk.SetDataRequest, *zk.DeleteRequest or *zk.CheckVersionRequest
	role role
	op   int // index into the commit's operations
	path string
}

// existence is what a commit has learned about znodes: true exists, false
// missing. Unknown paths are assumed to exist, which is the common case.
type existence map[string]bool

// commit writes the operations as one multi, fenced on lock when it is not
// nil, and returns the version the first operation's key ends up with.
func (s *Store) commit(ctx context.Context, lock *zkLock, ops []state.Op) (state.Version, error) {
	what := describe(ops)
	if err := state.ValidateOps(ops); err != nil {
		return 0, err
	}
	known := existence{}
	lookedUp := false
	for attempt := 0; attempt < maxAttempts; attempt++ {
		reqs := s.plan(ops, lock, known)
		if err := checkRequestSize(reqs); err != nil {
			return 0, fmt.Errorf("%s: %w", what, err)
		}
		if len(reqs) == 0 {
			return 0, nil
		}
		if err := s.checkFence(lock); err != nil {
			return 0, fmt.Errorf("%s: %w", what, err)
		}
		resps, err := run(ctx, s, func() ([]zk.MultiResponse, error) { return s.conn.Multi(requests(reqs)...) })
		if err == nil {
			return resultVersion(reqs, resps), nil
		}
		failed, ok := failedRequest(reqs, resps, err)
		if !ok {
			return 0, fmt.Errorf("%s: %w", what, mapError(err))
		}
		retry, err := s.learn(ctx, failed, ops, lock, known)
		if err != nil {
			return 0, fmt.Errorf("%s: %w", what, err)
		}
		if !retry {
			return 0, fmt.Errorf("%s: %w", what, mapError(failed.err))
		}
		if !lookedUp {
			// One guess was wrong; others likely are too (a commit creating
			// many new keys). Learn about every path at once.
			if err := s.lookUpAll(ctx, ops, known); err != nil {
				return 0, fmt.Errorf("%s: %w", what, err)
			}
			lookedUp = true
		}
	}
	return 0, fmt.Errorf("%s: gave up after %d attempts: the keys kept changing under concurrent writers", what, maxAttempts)
}

func describe(ops []state.Op) string {
	if len(ops) == 1 {
		return fmt.Sprintf("%s key %q", ops[0].Kind, ops[0].Key)
	}
	return fmt.Sprintf("committing %d operations", len(ops))
}

func requests(reqs []request) []any {
	out := make([]any, len(reqs))
	for i, r := range reqs {
		out[i] = r.req
	}
	return out
}

// plan builds the multi for the operations given what is known to exist.
func (s *Store) plan(ops []state.Op, lock *zkLock, known existence) []request {
	var reqs []request
	sim := existence{} // what earlier requests of this multi create or delete
	exists := func(path string) bool {
		if v, ok := sim[path]; ok {
			return v
		}
		if v, ok := known[path]; ok {
			return v
		}
		return true
	}
	add := func(r request) { reqs = append(reqs, r) }
	create := func(i int, path string, value []byte) {
		for _, parent := range ancestors(path) {
			if !exists(parent) {
				add(request{&zk.CreateRequest{Path: parent, Acl: s.acl}, roleParent, i, parent})
				sim[parent] = true
			}
		}
		add(request{&zk.CreateRequest{Path: path, Data: value, Acl: s.acl}, roleKey, i, path})
		sim[path] = true
	}
	if lock != nil {
		add(request{&zk.CheckVersionRequest{Path: lock.path, Version: 0}, roleFence, -1, lock.path})
	}
	for i, op := range ops {
		path := s.path(op.Key)
		switch op.Kind {
		case state.OpSet:
			if exists(path) {
				add(request{&zk.SetDataRequest{Path: path, Data: op.Value, Version: -1}, roleKey, i, path})
			} else {
				create(i, path, op.Value)
			}
		case state.OpCompareAndSet:
			if op.Expected == state.NoVersion {
				create(i, path, op.Value)
			} else {
				add(request{&zk.SetDataRequest{Path: path, Data: op.Value, Version: int32(op.Expected)}, roleKey, i, path})
			}
		case state.OpDelete:
			if exists(path) {
				add(request{&zk.DeleteRequest{Path: path, Version: -1}, roleKey, i, path})
				sim[path] = false
			}
		case state.OpCheck:
			add(request{&zk.CheckVersionRequest{Path: path, Version: int32(op.Expected)}, roleKey, i, path})
		}
	}
	return reqs
}

// checkRequestSize refuses a multi that ZooKeeper would not accept (it
// drops the connection instead of answering).
func checkRequestSize(reqs []request) error {
	size := 64
	for _, r := range reqs {
		size += 32 + len(r.path)
		switch req := r.req.(type) {
		case *zk.CreateRequest:
			size += len(req.Data)
			for _, acl := range req.Acl {
				size += 16 + len(acl.Scheme) + len(acl.ID)
			}
		case *zk.SetDataRequest:
			size += len(req.Data)
		}
	}
	if size > juteMaxBuffer {
		return fmt.Errorf("%w: the request would be about %d bytes with its paths, over ZooKeeper's %d-byte limit; split the commit", state.ErrValueTooLarge, size, juteMaxBuffer)
	}
	return nil
}

// failedOp is the request whose error failed a multi.
type failedOp struct {
	request
	err error
}

// failedRequest finds which request failed the multi. It returns false when
// the multi failed as a whole (connection loss, closing).
func failedRequest(reqs []request, resps []zk.MultiResponse, err error) (failedOp, bool) {
	if len(resps) != len(reqs) {
		return failedOp{}, false
	}
	for i, r := range resps {
		if r.Error != nil && errors.Is(err, r.Error) {
			return failedOp{reqs[i], r.Error}, true
		}
	}
	return failedOp{}, false
}

// learn interprets a failed request: either it teaches something about
// which znodes exist and the commit is planned again (retry), or the
// failure is the answer (an error, or retry false to return it mapped).
func (s *Store) learn(ctx context.Context, f failedOp, ops []state.Op, lock *zkLock, known existence) (bool, error) {
	if f.role == roleFence {
		s.loseLock(lock, "its znode is gone: the session that held it expired or the node was deleted")
		return false, fmt.Errorf("%w: lock %q (znode %s) is no longer held", state.ErrLockLost, lock.name, lock.path)
	}
	op := ops[f.op]
	noNode := errors.Is(f.err, zk.ErrNoNode)
	nodeExists := errors.Is(f.err, zk.ErrNodeExists)
	switch req := f.req.(type) {
	case *zk.CreateRequest:
		switch {
		case nodeExists && f.role == roleParent:
			known[f.path] = true
			return true, nil
		case nodeExists && op.Kind == state.OpCompareAndSet:
			return false, fmt.Errorf("key %q: %w: it exists, expected it not to", op.Key, state.ErrVersionConflict)
		case nodeExists:
			known[f.path] = true // Set: it appeared meanwhile; overwrite it
			return true, nil
		case noNode:
			return true, s.lookUpAncestors(ctx, req.Path, known)
		}
	case *zk.SetDataRequest:
		switch {
		case noNode && op.Kind == state.OpSet:
			known[f.path] = false
			return true, nil
		case noNode:
			return false, fmt.Errorf("key %q: %w: it does not exist, expected version %d", op.Key, state.ErrVersionConflict, op.Expected)
		case errors.Is(f.err, zk.ErrBadVersion):
			return false, fmt.Errorf("key %q: %w: it is not at version %d", op.Key, state.ErrVersionConflict, op.Expected)
		}
	case *zk.DeleteRequest:
		switch {
		case noNode:
			known[f.path] = false
			return true, nil
		case errors.Is(f.err, zk.ErrNotEmpty):
			return false, fmt.Errorf("key %q: %w; use DeleteRecursive", op.Key, state.ErrHasChildren)
		}
	case *zk.CheckVersionRequest:
		if noNode || errors.Is(f.err, zk.ErrBadVersion) {
			return false, fmt.Errorf("key %q: %w: it is not at version %d", op.Key, state.ErrVersionConflict, op.Expected)
		}
	}
	return false, nil
}

// lookUpAncestors records which of path's ancestors exist.
func (s *Store) lookUpAncestors(ctx context.Context, path string, known existence) error {
	for _, p := range ancestors(path) {
		ok, err := run(ctx, s, func() (bool, error) {
			ok, _, err := s.conn.Exists(p)
			return ok, err
		})
		if err != nil {
			return fmt.Errorf("checking whether %s exists: %w", p, mapError(err))
		}
		known[p] = ok
	}
	known[path] = false
	return nil
}

// lookUpAll records whether each operation's znode and its ancestors exist,
// asking for all of them at once (go-zookeeper pipelines the requests).
func (s *Store) lookUpAll(ctx context.Context, ops []state.Op, known existence) error {
	seen := map[string]bool{}
	var paths []string
	for _, op := range ops {
		for _, p := range ancestorsAndSelf(s.path(op.Key)) {
			if !seen[p] {
				seen[p] = true
				paths = append(paths, p)
			}
		}
	}
	found := make([]bool, len(paths))
	errs := make([]error, len(paths))
	var wg sync.WaitGroup
	limit := make(chan struct{}, 64)
	for i, p := range paths {
		wg.Add(1)
		limit <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-limit }()
			found[i], errs[i] = run(ctx, s, func() (bool, error) {
				ok, _, err := s.conn.Exists(p)
				return ok, err
			})
		}()
	}
	wg.Wait()
	for i, p := range paths {
		if errs[i] != nil {
			return fmt.Errorf("checking whether %s exists: %w", p, mapError(errs[i]))
		}
		known[p] = found[i]
	}
	return nil
}

// resultVersion is the version the first operation's key has after the
// multi: 0 for a create, the new version for a set.
func resultVersion(reqs []request, resps []zk.MultiResponse) state.Version {
	for i, r := range reqs {
		if r.role != roleKey || r.op != 0 || i >= len(resps) {
			continue
		}
		if resps[i].Stat != nil {
			return state.Version(resps[i].Stat.Version)
		}
		return 0
	}
	return 0
}

// deleteRecursive deletes the subtree bottom-up in batches, each one fenced
// when lock is not nil. A concurrent change to the subtree makes it list the
// tree again.
func (s *Store) deleteRecursive(ctx context.Context, lock *zkLock, key string) error {
	if err := state.ValidateKeyOrRoot(key); err != nil {
		return fmt.Errorf("deleting recursively: %w", err)
	}
	root := s.path(key)
	for attempt := 0; attempt < maxAttempts; attempt++ {
		paths, err := s.subtree(ctx, root)
		if err != nil {
			return fmt.Errorf("deleting %q recursively: listing it: %w", key, err)
		}
		if lock != nil {
			paths = moveLast(paths, ancestorsAndSelf(lock.path))
		}
		retry, err := s.deleteBatches(ctx, lock, paths)
		if err != nil {
			return fmt.Errorf("deleting %q recursively: %w", key, err)
		}
		if !retry {
			return nil
		}
	}
	return fmt.Errorf("deleting %q recursively: gave up after %d attempts: the subtree kept changing", key, maxAttempts)
}

// subtree lists path and every znode below it, deepest first.
func (s *Store) subtree(ctx context.Context, path string) ([]string, error) {
	var order []string // breadth first: parents before children
	queue := []string{path}
	for len(queue) > 0 {
		p := queue[0]
		queue = queue[1:]
		children, err := run(ctx, s, func() ([]string, error) {
			c, _, err := s.conn.Children(p)
			return c, err
		})
		if errors.Is(err, zk.ErrNoNode) {
			continue // deleted meanwhile
		}
		if err != nil {
			return nil, mapError(err)
		}
		order = append(order, p)
		for _, c := range children {
			queue = append(queue, p+"/"+c)
		}
	}
	for i, j := 0, len(order)-1; i < j; i, j = i+1, j-1 {
		order[i], order[j] = order[j], order[i]
	}
	return order, nil
}

// moveLast moves the given paths, if present, to the end of the list in
// the order they appear there (deepest first), so the fencing lock znode is
// deleted by the last batch.
func moveLast(paths, last []string) []string {
	isLast := map[string]bool{}
	for _, p := range last {
		isLast[p] = true
	}
	var head, tail []string
	for _, p := range paths {
		if isLast[p] {
			tail = append(tail, p)
		} else {
			head = append(head, p)
		}
	}
	return append(head, tail...)
}

// deleteBatches deletes the paths in order; retry is true when the tree
// changed under it and must be listed again.
func (s *Store) deleteBatches(ctx context.Context, lock *zkLock, paths []string) (retry bool, err error) {
	for start := 0; start < len(paths); start += deleteBatch {
		batch := paths[start:min(start+deleteBatch, len(paths))]
		var reqs []request
		if lock != nil {
			reqs = append(reqs, request{&zk.CheckVersionRequest{Path: lock.path, Version: 0}, roleFence, -1, lock.path})
		}
		for _, p := range batch {
			reqs = append(reqs, request{&zk.DeleteRequest{Path: p, Version: -1}, roleKey, -1, p})
		}
		if err := s.checkFence(lock); err != nil {
			return false, err
		}
		resps, err := run(ctx, s, func() ([]zk.MultiResponse, error) { return s.conn.Multi(requests(reqs)...) })
		if err == nil {
			continue
		}
		failed, ok := failedRequest(reqs, resps, err)
		switch {
		case !ok:
			return false, mapError(err)
		case failed.role == roleFence:
			s.loseLock(lock, "its znode is gone: the session that held it expired or the node was deleted")
			return false, fmt.Errorf("%w: lock %q (znode %s) is no longer held", state.ErrLockLost, lock.name, lock.path)
		case errors.Is(failed.err, zk.ErrNoNode), errors.Is(failed.err, zk.ErrNotEmpty):
			return true, nil
		default:
			return false, fmt.Errorf("deleting %s: %w", strings.TrimSpace(failed.path), mapError(failed.err))
		}
	}
	return false, nil
}
