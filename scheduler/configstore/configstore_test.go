package configstore_test

import (
	"context"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/configstore"
	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/state"
	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/state/embedded"
)

func openStore(t *testing.T) state.Store {
	t.Helper()
	st, err := embedded.Open(filepath.Join(t.TempDir(), "state"), embedded.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

func commit(t *testing.T, st state.Store, ops ...state.Op) {
	t.Helper()
	if err := st.Commit(context.Background(), ops...); err != nil {
		t.Fatal(err)
	}
}

func TestLoadRefusesAServiceWithoutTarget(t *testing.T) {
	ctx := context.Background()
	for _, c := range []struct {
		name string
		ops  []state.Op
		want string
	}{
		{name: "nothing stored", want: "no target configuration"},
		{name: "target without its configuration", ops: []state.Op{state.SetOp(configstore.KeyTarget, []byte("id-1"))}, want: "the target configuration id-1 is missing"},
	} {
		t.Run(c.name, func(t *testing.T) {
			st := openStore(t)
			if len(c.ops) > 0 {
				commit(t, st, c.ops...)
			}
			if _, err := configstore.Load(ctx, st); err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("Load = %v, want %q", err, c.want)
			}
		})
	}
}

// TestTargetHistoryAndPruning: changes are planned as operations, applied
// once committed, and what Load reads back is what was applied.
func TestTargetHistoryAndPruning(t *testing.T) {
	ctx := context.Background()
	st := openStore(t)
	commit(t, st, configstore.CreateOps("id-a", []byte(`{"v":1}`))...)
	c, err := configstore.Load(ctx, st)
	if err != nil {
		t.Fatal(err)
	}
	if id, v := c.Target(); id != "id-a" || string(v) != `{"v":1}` {
		t.Fatalf("target %s %s", id, v)
	}

	for i, id := range []string{"id-b", "id-c"} {
		v := []byte(`{"v":` + string(rune('2'+i)) + `}`)
		commit(t, st, c.SetTargetOps(id, v)...)
		before := c.Version()
		c.TargetSet(id, v)
		if c.Version() == before {
			t.Error("TargetSet did not change the version")
		}
	}
	if id, _ := c.Target(); id != "id-c" || !slices.Equal(c.IDs(), []string{"id-a", "id-b", "id-c"}) {
		t.Fatalf("target %s, ids %v", id, c.IDs())
	}

	// A task still runs with id-a: pruning keeps it and the target.
	inUse := func(id string) bool { return id == "id-a" }
	prune := c.Prune(inUse)
	if configstore.History == 0 && !slices.Equal(prune, []string{"id-b"}) {
		t.Fatalf("prune %v, want id-b (History 0)", prune)
	}
	for _, id := range prune {
		commit(t, st, configstore.DeleteOp(id))
		c.Deleted(id)
	}
	again, err := configstore.Load(ctx, st)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(again.IDs(), c.IDs()) {
		t.Fatalf("stored ids %v, in memory %v", again.IDs(), c.IDs())
	}
	if v, ok := again.Get("id-a"); !ok || string(v) != `{"v":1}` {
		t.Errorf("id-a reads back as %s %v", v, ok)
	}
	if snap := c.Snapshot(); len(snap) != len(c.IDs()) {
		t.Errorf("snapshot %v, ids %v", snap, c.IDs())
	}
	if got := c.Prune(func(string) bool { return false }); !slices.Equal(got, []string{"id-a"}) {
		t.Errorf("prune once nothing runs id-a: %v", got)
	}
}
