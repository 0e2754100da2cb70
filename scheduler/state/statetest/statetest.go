// Package statetest is the contract test suite every state.Store
// implementation passes. An implementation's tests call Run with a function
// that opens a new, empty store; the suite checks the behaviour the scheduler
// relies on: reads and writes, versions and compare-and-set (including a
// concurrent race), atomic commits, deletes, key and size validation, leader
// locks and their fencing, contexts and Close.
package statetest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/state"
)

// Opener returns a new, empty store for one test. It registers the store's
// cleanup itself; the suite may also Close the store (Close must be safe to
// call twice).
type Opener func(t *testing.T) state.Store

// Run runs the whole contract suite, each case on a store of its own.
func Run(t *testing.T, open Opener) {
	cases := []struct {
		name string
		fn   func(*testing.T, state.Store)
	}{
		{"GetMissing", testGetMissing},
		{"SetAndGet", testSetAndGet},
		{"SetCreatesParents", testSetCreatesParents},
		{"ValuesAreCopied", testValuesAreCopied},
		{"EmptyAndBinaryValues", testEmptyAndBinaryValues},
		{"ChildrenSorted", testChildrenSorted},
		{"Delete", testDelete},
		{"DeleteRecursive", testDeleteRecursive},
		{"DeleteRecursiveRoot", testDeleteRecursiveRoot},
		{"CompareAndSet", testCompareAndSet},
		{"CompareAndSetRace", testCompareAndSetRace},
		{"CommitAppliesAll", testCommitAppliesAll},
		{"CommitIsAllOrNothing", testCommitIsAllOrNothing},
		{"CommitRefusesBadInput", testCommitRefusesBadInput},
		{"InvalidKeysRefused", testInvalidKeysRefused},
		{"OversizeValueRefused", testOversizeValueRefused},
		{"LargestValueAccepted", testLargestValueAccepted},
		{"LockExcludes", testLockExcludes},
		{"LockFencedWrites", testLockFencedWrites},
		{"LockWaitRespectsContext", testLockWaitRespectsContext},
		{"CanceledContext", testCanceledContext},
		{"Close", testClose},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			c.fn(t, open(t))
		})
	}
}

// Ctx is a context for one call in a test, bounded so a hang fails the test.
func Ctx(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// MustSet sets key or fails the test.
func MustSet(t testing.TB, s state.Store, key string, value []byte) {
	t.Helper()
	if err := s.Set(Ctx(t), key, value); err != nil {
		t.Fatalf("Set(%q): %v", key, err)
	}
}

// MustGet gets key or fails the test.
func MustGet(t testing.TB, s state.Store, key string) state.Node {
	t.Helper()
	n, err := s.Get(Ctx(t), key)
	if err != nil {
		t.Fatalf("Get(%q): %v", key, err)
	}
	return n
}

// WantValue fails the test unless key holds want.
func WantValue(t testing.TB, s state.Store, key, want string) {
	t.Helper()
	if got := MustGet(t, s, key); string(got.Value) != want {
		t.Fatalf("Get(%q) = %q, want %q", key, got.Value, want)
	}
}

// WantMissing fails the test unless key is missing.
func WantMissing(t testing.TB, s state.Store, key string) {
	t.Helper()
	if n, err := s.Get(Ctx(t), key); !errors.Is(err, state.ErrNotFound) {
		t.Fatalf("Get(%q) = %q, %v; want ErrNotFound", key, n.Value, err)
	}
}

// WantChildren fails the test unless key's children are exactly want.
func WantChildren(t testing.TB, s state.Store, key string, want ...string) {
	t.Helper()
	got, err := s.Children(Ctx(t), key)
	if err != nil {
		t.Fatalf("Children(%q): %v", key, err)
	}
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Fatalf("Children(%q) = %q, want %q", key, got, want)
	}
}

// WantErr fails the test unless err wraps one of wants.
func WantErr(t testing.TB, what string, err error, wants ...error) {
	t.Helper()
	for _, want := range wants {
		if errors.Is(err, want) {
			return
		}
	}
	t.Fatalf("%s: error %v, want one wrapping %q", what, err, wants)
}

func testGetMissing(t *testing.T, s state.Store) {
	WantMissing(t, s, "FrameworkID")
	WantMissing(t, s, "Tasks/kafka-0-broker/TaskInfo")
}

func testSetAndGet(t *testing.T, s state.Store) {
	MustSet(t, s, "FrameworkID", []byte("fw-1"))
	if n := MustGet(t, s, "FrameworkID"); string(n.Value) != "fw-1" || n.Version != 0 {
		t.Fatalf("after the first Set: %q version %d, want \"fw-1\" version 0", n.Value, n.Version)
	}
	MustSet(t, s, "FrameworkID", []byte("fw-2"))
	MustSet(t, s, "FrameworkID", []byte("fw-3"))
	if n := MustGet(t, s, "FrameworkID"); string(n.Value) != "fw-3" || n.Version != 2 {
		t.Fatalf("after three Sets: %q version %d, want \"fw-3\" version 2", n.Value, n.Version)
	}
}

func testSetCreatesParents(t *testing.T, s state.Store) {
	MustSet(t, s, "Tasks/kafka-0-broker/TaskInfo", []byte("info"))
	WantValue(t, s, "Tasks/kafka-0-broker/TaskInfo", "info")
	parent := MustGet(t, s, "Tasks/kafka-0-broker")
	if len(parent.Value) != 0 || parent.Version != 0 {
		t.Fatalf("implicit parent = %q version %d, want empty at version 0", parent.Value, parent.Version)
	}
	WantChildren(t, s, "Tasks", "kafka-0-broker")
	WantChildren(t, s, state.RootKey, "Tasks")
	// A parent may hold a value of its own.
	MustSet(t, s, "Tasks", []byte("parent value"))
	WantValue(t, s, "Tasks", "parent value")
	WantValue(t, s, "Tasks/kafka-0-broker/TaskInfo", "info")
}

func testValuesAreCopied(t *testing.T, s state.Store) {
	buf := []byte("original")
	MustSet(t, s, "Properties/p", buf)
	copy(buf, "CHANGED!")
	WantValue(t, s, "Properties/p", "original")
	got := MustGet(t, s, "Properties/p")
	copy(got.Value, "CHANGED!")
	WantValue(t, s, "Properties/p", "original")
}

func testEmptyAndBinaryValues(t *testing.T, s state.Store) {
	MustSet(t, s, "empty", nil)
	if n := MustGet(t, s, "empty"); len(n.Value) != 0 {
		t.Fatalf("empty value read back as %q", n.Value)
	}
	binary := make([]byte, 256)
	for i := range binary {
		binary[i] = byte(i)
	}
	MustSet(t, s, "binary", binary)
	if n := MustGet(t, s, "binary"); !bytes.Equal(n.Value, binary) {
		t.Fatalf("binary value read back as %v", n.Value)
	}
}

func testChildrenSorted(t *testing.T, s state.Store) {
	for _, name := range []string{"kafka-2-broker", "kafka-0-broker", "kafka-10-broker", "kafka-1-broker"} {
		MustSet(t, s, "Tasks/"+name+"/TaskInfo", []byte(name))
	}
	WantChildren(t, s, "Tasks", "kafka-0-broker", "kafka-1-broker", "kafka-10-broker", "kafka-2-broker")
	WantChildren(t, s, "Tasks/kafka-0-broker/TaskInfo")
	_, err := s.Children(Ctx(t), "Missing")
	WantErr(t, "Children of a missing key", err, state.ErrNotFound)
}

func testDelete(t *testing.T, s state.Store) {
	MustSet(t, s, "Properties/a", []byte("a"))
	MustSet(t, s, "Properties/b", []byte("b"))
	if err := s.Delete(Ctx(t), "Properties/a"); err != nil {
		t.Fatalf("Delete: %v", err)
	}
	WantMissing(t, s, "Properties/a")
	WantValue(t, s, "Properties/b", "b")
	if err := s.Delete(Ctx(t), "Properties/a"); err != nil {
		t.Fatalf("Delete of a missing key: %v, want nil", err)
	}
	err := s.Delete(Ctx(t), "Properties")
	WantErr(t, "Delete of a key with children", err, state.ErrHasChildren)
	WantValue(t, s, "Properties/b", "b")
}

func testDeleteRecursive(t *testing.T, s state.Store) {
	MustSet(t, s, "Tasks/kafka-0-broker/TaskInfo", []byte("i0"))
	MustSet(t, s, "Tasks/kafka-0-broker/TaskStatus", []byte("s0"))
	MustSet(t, s, "Tasks/kafka-0-broker/Metadata/override-status", []byte("m0"))
	MustSet(t, s, "Tasks/kafka-0-broker-extra", []byte("sibling"))
	MustSet(t, s, "Tasks/kafka-1-broker/TaskInfo", []byte("i1"))
	if err := s.DeleteRecursive(Ctx(t), "Tasks/kafka-0-broker"); err != nil {
		t.Fatalf("DeleteRecursive: %v", err)
	}
	WantMissing(t, s, "Tasks/kafka-0-broker")
	WantMissing(t, s, "Tasks/kafka-0-broker/Metadata/override-status")
	WantValue(t, s, "Tasks/kafka-0-broker-extra", "sibling")
	WantValue(t, s, "Tasks/kafka-1-broker/TaskInfo", "i1")
	WantChildren(t, s, "Tasks", "kafka-0-broker-extra", "kafka-1-broker")
	if err := s.DeleteRecursive(Ctx(t), "Tasks/kafka-0-broker"); err != nil {
		t.Fatalf("DeleteRecursive of a missing key: %v, want nil", err)
	}
	if err := s.DeleteRecursive(Ctx(t), "Tasks/kafka-1-broker/TaskInfo"); err != nil {
		t.Fatalf("DeleteRecursive of a leaf: %v", err)
	}
	WantChildren(t, s, "Tasks/kafka-1-broker")
}

func testDeleteRecursiveRoot(t *testing.T, s state.Store) {
	MustSet(t, s, "FrameworkID", []byte("fw"))
	MustSet(t, s, "Configurations/c1", []byte("{}"))
	MustSet(t, s, "Tasks/kafka-0-broker/TaskInfo", []byte("i"))
	if err := s.DeleteRecursive(Ctx(t), state.RootKey); err != nil {
		t.Fatalf("DeleteRecursive(RootKey): %v", err)
	}
	WantChildren(t, s, state.RootKey)
	WantMissing(t, s, "FrameworkID")
	// The store works again afterwards.
	MustSet(t, s, "FrameworkID", []byte("fw-2"))
	WantValue(t, s, "FrameworkID", "fw-2")
}

func testCompareAndSet(t *testing.T, s state.Store) {
	ctx := Ctx(t)
	v, err := s.CompareAndSet(ctx, "ConfigTarget", []byte("c1"), state.NoVersion)
	if err != nil || v != 0 {
		t.Fatalf("CompareAndSet(NoVersion) of a new key = %d, %v; want 0, nil", v, err)
	}
	_, err = s.CompareAndSet(ctx, "ConfigTarget", []byte("other"), state.NoVersion)
	WantErr(t, "CompareAndSet(NoVersion) of an existing key", err, state.ErrVersionConflict)
	v, err = s.CompareAndSet(ctx, "ConfigTarget", []byte("c2"), 0)
	if err != nil || v != 1 {
		t.Fatalf("CompareAndSet(0) = %d, %v; want 1, nil", v, err)
	}
	_, err = s.CompareAndSet(ctx, "ConfigTarget", []byte("stale"), 0)
	WantErr(t, "CompareAndSet with a stale version", err, state.ErrVersionConflict)
	WantValue(t, s, "ConfigTarget", "c2")
	_, err = s.CompareAndSet(ctx, "Missing", []byte("x"), 3)
	WantErr(t, "CompareAndSet with a version of a missing key", err, state.ErrVersionConflict)
	WantMissing(t, s, "Missing")
	v, err = s.CompareAndSet(ctx, "Deep/new/key", []byte("x"), state.NoVersion)
	if err != nil || v != 0 {
		t.Fatalf("CompareAndSet(NoVersion) creating parents = %d, %v; want 0, nil", v, err)
	}
}

// testCompareAndSetRace lets several writers read the same version and
// compare-and-set at once: exactly one wins.
func testCompareAndSetRace(t *testing.T, s state.Store) {
	MustSet(t, s, "ConfigTarget", []byte("start"))
	base := MustGet(t, s, "ConfigTarget").Version
	const writers = 8
	var wg sync.WaitGroup
	start := make(chan struct{})
	errs := make([]error, writers)
	for i := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			_, errs[i] = s.CompareAndSet(Ctx(t), "ConfigTarget", []byte(fmt.Sprintf("writer-%d", i)), base)
		}()
	}
	close(start)
	wg.Wait()
	winner := -1
	for i, err := range errs {
		switch {
		case err == nil && winner >= 0:
			t.Fatalf("writers %d and %d both won the compare-and-set", winner, i)
		case err == nil:
			winner = i
		case !errors.Is(err, state.ErrVersionConflict):
			t.Fatalf("writer %d: %v, want success or ErrVersionConflict", i, err)
		}
	}
	if winner < 0 {
		t.Fatalf("no writer won the compare-and-set")
	}
	n := MustGet(t, s, "ConfigTarget")
	if string(n.Value) != fmt.Sprintf("writer-%d", winner) || n.Version != base+1 {
		t.Fatalf("after the race: %q version %d, want writer-%d version %d", n.Value, n.Version, winner, base+1)
	}
}

func testCommitAppliesAll(t *testing.T, s state.Store) {
	ctx := Ctx(t)
	MustSet(t, s, "Properties/old", []byte("old"))
	MustSet(t, s, "ConfigTarget", []byte("c1"))
	target := MustGet(t, s, "ConfigTarget")
	err := s.Commit(ctx,
		state.SetOp("Configurations/c2", []byte("spec-2")),
		state.CompareAndSetOp("ConfigTarget", []byte("c2"), target.Version),
		state.SetOp("Tasks/kafka-0-broker/TaskInfo", []byte("info")),
		state.SetOp("Tasks/kafka-1-broker/TaskInfo", []byte("info-1")),
		state.DeleteOp("Properties/old"),
		state.DeleteOp("Properties/never-existed"),
		state.CheckOp("Properties", 0),
	)
	if err != nil {
		t.Fatalf("Commit: %v", err)
	}
	WantValue(t, s, "Configurations/c2", "spec-2")
	WantValue(t, s, "ConfigTarget", "c2")
	WantValue(t, s, "Tasks/kafka-0-broker/TaskInfo", "info")
	WantValue(t, s, "Tasks/kafka-1-broker/TaskInfo", "info-1")
	WantMissing(t, s, "Properties/old")
	if err := s.Commit(ctx); err != nil {
		t.Fatalf("empty Commit: %v", err)
	}
}

func testCommitIsAllOrNothing(t *testing.T, s state.Store) {
	ctx := Ctx(t)
	MustSet(t, s, "ConfigTarget", []byte("c1"))
	MustSet(t, s, "Properties/keep", []byte("keep"))
	failing := [][]state.Op{
		{ // stale compare-and-set last
			state.SetOp("Configurations/c2", []byte("spec-2")),
			state.DeleteOp("Properties/keep"),
			state.CompareAndSetOp("ConfigTarget", []byte("c2"), 7),
		},
		{ // create of an existing key first
			state.CompareAndSetOp("ConfigTarget", []byte("c2"), state.NoVersion),
			state.SetOp("Configurations/c2", []byte("spec-2")),
		},
		{ // failed check in the middle
			state.SetOp("Configurations/c2", []byte("spec-2")),
			state.CheckOp("ConfigTarget", 5),
			state.DeleteOp("Properties/keep"),
		},
		{ // delete of a key with children
			state.SetOp("Configurations/c2", []byte("spec-2")),
			state.DeleteOp("Properties"),
		},
	}
	for i, ops := range failing {
		err := s.Commit(ctx, ops...)
		if err == nil {
			t.Fatalf("failing commit %d succeeded", i)
		}
		WantMissing(t, s, "Configurations/c2")
		WantMissing(t, s, "Configurations") // not even the parent was created
		WantValue(t, s, "ConfigTarget", "c1")
		WantValue(t, s, "Properties/keep", "keep")
	}
}

func testCommitRefusesBadInput(t *testing.T, s state.Store) {
	ctx := Ctx(t)
	err := s.Commit(ctx, state.SetOp("a", []byte("1")), state.SetOp("a", []byte("2")))
	WantErr(t, "Commit with a key twice", err, state.ErrInvalidOp)
	err = s.Commit(ctx, state.SetOp("a", []byte("1")), state.SetOp("/b", []byte("2")))
	WantErr(t, "Commit with an invalid key", err, state.ErrInvalidKey)
	err = s.Commit(ctx, state.SetOp("a", []byte("1")), state.Op{Kind: 99, Key: "b"})
	WantErr(t, "Commit with an unknown op kind", err, state.ErrInvalidOp)
	err = s.Commit(ctx, state.SetOp("a", []byte("1")), state.CheckOp("b", state.NoVersion))
	WantErr(t, "Commit with a check of NoVersion", err, state.ErrInvalidOp)
	half := make([]byte, state.MaxValueSize/2+1)
	err = s.Commit(ctx, state.SetOp("a", half), state.SetOp("b", half), state.SetOp("c", half))
	WantErr(t, "Commit over the total size limit", err, state.ErrValueTooLarge)
	WantMissing(t, s, "a")
	WantChildren(t, s, state.RootKey)
}

func testInvalidKeysRefused(t *testing.T, s state.Store) {
	ctx := Ctx(t)
	bad := []string{"", "/FrameworkID", "Tasks/", "Tasks//x", "Tasks/../x", "./x", "..", "a\x00b", "a\nb", strings.Repeat("k", state.MaxKeyLength+1)}
	for _, key := range bad {
		calls := map[string]error{}
		_, calls["Get"] = s.Get(ctx, key)
		calls["Set"] = s.Set(ctx, key, []byte("x"))
		_, calls["CompareAndSet"] = s.CompareAndSet(ctx, key, []byte("x"), state.NoVersion)
		calls["Delete"] = s.Delete(ctx, key)
		calls["Commit"] = s.Commit(ctx, state.SetOp(key, []byte("x")))
		_, calls["Lock"] = s.Lock(ctx, key)
		if key != state.RootKey {
			_, calls["Children"] = s.Children(ctx, key)
			calls["DeleteRecursive"] = s.DeleteRecursive(ctx, key)
		}
		for call, err := range calls {
			WantErr(t, fmt.Sprintf("%s(%q)", call, key), err, state.ErrInvalidKey)
		}
	}
	WantChildren(t, s, state.RootKey)
}

func testOversizeValueRefused(t *testing.T, s state.Store) {
	ctx := Ctx(t)
	big := make([]byte, state.MaxValueSize+1)
	key := "Configurations/huge"
	err := s.Set(ctx, key, big)
	WantErr(t, "Set of an oversize value", err, state.ErrValueTooLarge)
	for _, want := range []string{key, fmt.Sprint(len(big))} {
		if !strings.Contains(err.Error(), want) {
			t.Fatalf("oversize error %q does not name %q", err, want)
		}
	}
	_, err = s.CompareAndSet(ctx, key, big, state.NoVersion)
	WantErr(t, "CompareAndSet of an oversize value", err, state.ErrValueTooLarge)
	err = s.Commit(ctx, state.SetOp("Properties/small", []byte("x")), state.SetOp(key, big))
	WantErr(t, "Commit with an oversize value", err, state.ErrValueTooLarge)
	WantChildren(t, s, state.RootKey)
	// The store still works: nothing was sent that could break a connection.
	MustSet(t, s, "Properties/small", []byte("x"))
	WantValue(t, s, "Properties/small", "x")
}

func testLargestValueAccepted(t *testing.T, s state.Store) {
	value := bytes.Repeat([]byte("0123456789"), state.MaxValueSize/10)
	key := "Configurations/" + strings.Repeat("c", 200)
	MustSet(t, s, key, value)
	if got := MustGet(t, s, key); !bytes.Equal(got.Value, value) {
		t.Fatalf("the %d-byte value read back as %d bytes", len(value), len(got.Value))
	}
}

func testLockExcludes(t *testing.T, s state.Store) {
	first, err := s.Lock(Ctx(t), "lock")
	if err != nil {
		t.Fatalf("Lock: %v", err)
	}
	acquired := make(chan state.Lock, 1)
	failed := make(chan error, 1)
	go func() {
		l, err := s.Lock(Ctx(t), "lock")
		if err != nil {
			failed <- err
			return
		}
		acquired <- l
	}()
	// A different lock name is independent.
	other, err := s.Lock(Ctx(t), "other-lock")
	if err != nil {
		t.Fatalf("Lock of another name: %v", err)
	}
	select {
	case <-acquired:
		t.Fatalf("a second holder got the lock while the first held it")
	case err := <-failed:
		t.Fatalf("second Lock: %v", err)
	default:
	}
	if err := first.Unlock(Ctx(t)); err != nil {
		t.Fatalf("Unlock: %v", err)
	}
	select {
	case second := <-acquired:
		if err := second.Unlock(Ctx(t)); err != nil {
			t.Fatalf("Unlock of the second holder: %v", err)
		}
	case err := <-failed:
		t.Fatalf("second Lock: %v", err)
	case <-time.After(20 * time.Second):
		t.Fatalf("the waiting holder did not get the lock after Unlock")
	}
	if err := other.Unlock(Ctx(t)); err != nil {
		t.Fatalf("Unlock of the other lock: %v", err)
	}
}

func testLockFencedWrites(t *testing.T, s state.Store) {
	ctx := Ctx(t)
	l, err := s.Lock(ctx, "lock")
	if err != nil {
		t.Fatalf("Lock: %v", err)
	}
	fenced := l.Store()
	select {
	case <-l.Lost():
		t.Fatalf("Lost is closed on a held lock")
	default:
	}
	if err := fenced.Set(ctx, "FrameworkID", []byte("fw")); err != nil {
		t.Fatalf("fenced Set: %v", err)
	}
	v, err := fenced.CompareAndSet(ctx, "ConfigTarget", []byte("c1"), state.NoVersion)
	if err != nil || v != 0 {
		t.Fatalf("fenced CompareAndSet = %d, %v", v, err)
	}
	if err := fenced.Commit(ctx, state.SetOp("Tasks/t/TaskInfo", []byte("i")), state.DeleteOp("FrameworkID")); err != nil {
		t.Fatalf("fenced Commit: %v", err)
	}
	if err := fenced.DeleteRecursive(ctx, "Tasks"); err != nil {
		t.Fatalf("fenced DeleteRecursive: %v", err)
	}
	_, err = fenced.CompareAndSet(ctx, "ConfigTarget", []byte("stale"), 5)
	WantErr(t, "fenced CompareAndSet with a stale version", err, state.ErrVersionConflict)
	WantValue(t, fenced, "ConfigTarget", "c1")

	if err := l.Unlock(ctx); err != nil {
		t.Fatalf("Unlock: %v", err)
	}
	select {
	case <-l.Lost():
	case <-time.After(10 * time.Second):
		t.Fatalf("Lost not closed after Unlock")
	}
	writes := map[string]error{
		"Set":             fenced.Set(ctx, "ConfigTarget", []byte("after unlock")),
		"Delete":          fenced.Delete(ctx, "ConfigTarget"),
		"DeleteRecursive": fenced.DeleteRecursive(ctx, "ConfigTarget"),
		"Commit":          fenced.Commit(ctx, state.SetOp("ConfigTarget", []byte("after unlock"))),
	}
	_, writes["CompareAndSet"] = fenced.CompareAndSet(ctx, "ConfigTarget", []byte("after unlock"), 0)
	for call, err := range writes {
		WantErr(t, "fenced "+call+" after Unlock", err, state.ErrLockLost)
	}
	WantValue(t, s, "ConfigTarget", "c1")
}

func testLockWaitRespectsContext(t *testing.T, s state.Store) {
	held, err := s.Lock(Ctx(t), "lock")
	if err != nil {
		t.Fatalf("Lock: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	_, err = s.Lock(ctx, "lock")
	WantErr(t, "Lock while held, with a deadline", err, context.DeadlineExceeded)
	// The abandoned attempt does not block the lock once it is released.
	if err := held.Unlock(Ctx(t)); err != nil {
		t.Fatalf("Unlock: %v", err)
	}
	again, err := s.Lock(Ctx(t), "lock")
	if err != nil {
		t.Fatalf("Lock after the timed-out attempt: %v", err)
	}
	if err := again.Unlock(Ctx(t)); err != nil {
		t.Fatalf("Unlock: %v", err)
	}
}

func testCanceledContext(t *testing.T, s state.Store) {
	MustSet(t, s, "FrameworkID", []byte("fw"))
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	calls := map[string]error{}
	_, calls["Get"] = s.Get(ctx, "FrameworkID")
	calls["Set"] = s.Set(ctx, "FrameworkID", []byte("changed"))
	_, calls["Children"] = s.Children(ctx, state.RootKey)
	calls["Commit"] = s.Commit(ctx, state.SetOp("FrameworkID", []byte("changed")))
	_, calls["Lock"] = s.Lock(ctx, "lock")
	for call, err := range calls {
		WantErr(t, call+" with a canceled context", err, context.Canceled)
	}
	WantValue(t, s, "FrameworkID", "fw")
}

func testClose(t *testing.T, s state.Store) {
	ctx := Ctx(t)
	MustSet(t, s, "FrameworkID", []byte("fw"))
	l, err := s.Lock(ctx, "lock")
	if err != nil {
		t.Fatalf("Lock: %v", err)
	}
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	select {
	case <-l.Lost():
	case <-time.After(10 * time.Second):
		t.Fatalf("Lost not closed after Close")
	}
	_, err = s.Get(ctx, "FrameworkID")
	WantErr(t, "Get after Close", err, state.ErrClosed)
	WantErr(t, "Set after Close", s.Set(ctx, "FrameworkID", []byte("x")), state.ErrClosed)
	WantErr(t, "fenced Set after Close", l.Store().Set(ctx, "FrameworkID", []byte("x")), state.ErrClosed, state.ErrLockLost)
	_, err = s.Lock(ctx, "lock")
	WantErr(t, "Lock after Close", err, state.ErrClosed)
	if err := s.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
}
