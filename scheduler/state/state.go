// Package state defines the scheduler's persistent state store: one interface
// for all the state a service keeps (framework id, target configuration and
// its history, task infos and statuses, properties), its error values, key
// validation, the value size limit and the operations of an atomic commit.
//
// Keys are slash-separated paths relative to the store's root, laid out as
// DC/OS does under /dcos-service-<name> (for example "FrameworkID",
// "ConfigTarget", "Configurations/<uuid>", "Tasks/kafka-0-broker/TaskInfo",
// "Properties/uninstalling"). Every node can hold a value and have children,
// as a ZooKeeper znode does; writing a key creates its missing parents with
// empty values.
//
// Two implementations exist: zkstore (ZooKeeper, production) and embedded
// (a crash-safe local store for `dev` mode). The statetest package holds the
// contract test suite both pass.
package state

import (
	"context"
	"errors"
)

// Version is a node's data version, as ZooKeeper counts it: 0 when the node
// is created, plus one on every write.
type Version int32

// NoVersion, given as the expected version of a compare-and-set, means "the
// key must not exist yet".
const NoVersion Version = -1

// MaxValueSize is the largest value a key may hold, in bytes. ZooKeeper drops
// the connection of a client that sends a request over jute.maxbuffer
// (1 MiB - 1 by default) and DC/OS uses the same 1,000,000-byte bound, which
// leaves room for the request's path and headers.
const MaxValueSize = 1_000_000

// MaxCommitSize bounds the size of one Commit, counted as its keys and values
// plus CommitOpOverhead bytes per operation: a commit is a single ZooKeeper
// request and must fit under jute.maxbuffer (1,048,575 bytes) with its root
// paths, headers and ACLs.
const MaxCommitSize = 1_040_000

// CommitOpOverhead is what each operation adds to a commit's size.
const CommitOpOverhead = 256

// Node is a key's value and its version.
type Node struct {
	Value   []byte
	Version Version
}

// Store is all of a service's persistent state. Every method is bounded by
// its context. Errors wrap the values below, so callers test them with
// errors.Is.
type Store interface {
	// Get returns the key's value and version; ErrNotFound when it is missing.
	Get(ctx context.Context, key string) (Node, error)
	// Set creates or overwrites the key, creating missing parents.
	Set(ctx context.Context, key string, value []byte) error
	// CompareAndSet writes the key only if its version is expected (NoVersion:
	// only if it does not exist) and returns the new version. Otherwise it
	// returns ErrVersionConflict, also when a version is expected and the key
	// is missing.
	CompareAndSet(ctx context.Context, key string, value []byte, expected Version) (Version, error)
	// Delete removes the key. A missing key is not an error; a key with
	// children is (ErrHasChildren).
	Delete(ctx context.Context, key string) error
	// DeleteRecursive removes the key and everything below it. RootKey clears
	// the whole store. A missing key is not an error. It is not atomic: a
	// failure part-way leaves part of the subtree, and a retry finishes it.
	DeleteRecursive(ctx context.Context, key string) error
	// Children returns the names (last segments) of the key's children,
	// sorted. RootKey lists the top level. ErrNotFound when the key is missing.
	Children(ctx context.Context, key string) ([]string, error)
	// Commit applies the operations in order, all or nothing.
	Commit(ctx context.Context, ops ...Op) error
	// Lock takes the leader lock called name, blocking until it is held or
	// ctx is done.
	Lock(ctx context.Context, name string) (Lock, error)
	// Close releases the store; its locks are lost.
	Close() error
}

// Lock is a held leader lock.
type Lock interface {
	// Lost is closed once the lock is no longer held: it was lost (for
	// ZooKeeper, the session expired or was disconnected longer than its
	// timeout) or released by Unlock.
	Lost() <-chan struct{}
	// Store is a view of the store whose every write is fenced on still
	// holding the lock: once the lock is lost, writes fail with ErrLockLost
	// and change nothing. Reads are not fenced. Closing the view does
	// nothing; call Unlock.
	Store() Store
	// Unlock releases the lock.
	Unlock(ctx context.Context) error
}

// RootKey names the store's root in Children and DeleteRecursive.
const RootKey = ""

// Error values. Implementations wrap them with what was being done.
var (
	ErrNotFound        = errors.New("key not found")
	ErrVersionConflict = errors.New("version conflict")
	ErrHasChildren     = errors.New("key has children")
	ErrInvalidKey      = errors.New("invalid key")
	ErrValueTooLarge   = errors.New("value too large")
	ErrInvalidOp       = errors.New("invalid operation")
	// ErrUnavailable means the backing service could not be reached in
	// time. For a write it means the outcome is unknown.
	ErrUnavailable = errors.New("state store unavailable")
	// ErrLockLost means a fenced write was refused because its lock is no
	// longer held.
	ErrLockLost = errors.New("lock not held")
	// ErrAccessDenied means the store's credentials do not allow the call.
	ErrAccessDenied = errors.New("access denied")
	ErrClosed       = errors.New("state store closed")
)
