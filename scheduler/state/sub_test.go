package state_test

import (
	"context"
	"testing"

	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/state"
	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/state/embedded"
	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/state/statetest"
)

func openEmbedded(t *testing.T) state.Store {
	t.Helper()
	store, err := embedded.Open(t.TempDir(), embedded.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	return store
}

// TestSubContract runs the store contract on a service's subtree: a view
// must behave exactly like a store of its own.
func TestSubContract(t *testing.T) {
	statetest.Run(t, func(t *testing.T) state.Store {
		store := openEmbedded(t)
		if err := store.Set(context.Background(), "dcos-service-a", nil); err != nil {
			t.Fatal(err)
		}
		return state.Sub(store, "dcos-service-a")
	})
}

func TestSubKeepsServicesApart(t *testing.T) {
	ctx := context.Background()
	store := openEmbedded(t)
	a, b := state.Sub(store, "dcos-service-a"), state.Sub(store, "dcos-service-b")
	if err := a.Set(ctx, "FrameworkID", []byte("fa")); err != nil {
		t.Fatal(err)
	}
	if err := b.Commit(ctx, state.SetOp("FrameworkID", []byte("fb"))); err != nil {
		t.Fatal(err)
	}
	if n, err := store.Get(ctx, "dcos-service-a/FrameworkID"); err != nil || string(n.Value) != "fa" {
		t.Fatalf("a's key in the parent store: %q, %v", n.Value, err)
	}
	if err := a.DeleteRecursive(ctx, state.RootKey); err != nil {
		t.Fatal(err)
	}
	if _, err := store.Get(ctx, "dcos-service-a"); err == nil {
		t.Fatal("a's subtree survived DeleteRecursive(RootKey)")
	}
	if n, err := b.Get(ctx, "FrameworkID"); err != nil || string(n.Value) != "fb" {
		t.Fatalf("b was touched by a's delete: %q, %v", n.Value, err)
	}
	if _, err := a.Get(ctx, "/escape"); err == nil {
		t.Fatal("a key starting with a slash was accepted")
	}
}
