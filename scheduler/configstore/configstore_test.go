package configstore_test

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

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
	commit(t, st, configstore.CreateOps("id-a", []byte(`{"v":1}`), time.Unix(100, 0))...)
	c, err := configstore.Load(ctx, st)
	if err != nil {
		t.Fatal(err)
	}
	if id, v := c.Target(); id != "id-a" || string(v) != `{"v":1}` {
		t.Fatalf("target %s %s", id, v)
	}

	for i, id := range []string{"id-b", "id-c"} {
		v := []byte(`{"v":` + string(rune('2'+i)) + `}`)
		commit(t, st, c.SetTargetOps(id, v, time.Unix(int64(200+i), 0))...)
		before := c.Version()
		c.TargetSet(id, v, time.Unix(int64(200+i), 0))
		if c.Version() == before {
			t.Error("TargetSet did not change the version")
		}
	}
	if id, _ := c.Target(); id != "id-c" || !slices.Equal(c.IDs(), []string{"id-a", "id-b", "id-c"}) {
		t.Fatalf("target %s, ids %v", id, c.IDs())
	}

	// A task still runs with id-a: pruning keeps it and the target.
	inUse := func(id string) bool { return id == "id-a" }
	if prune := c.Prune(inUse); len(prune) != 0 {
		t.Fatalf("prune %v, want nothing: the history keeps %d", prune, configstore.History)
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
	if !slices.Equal(again.History(), c.History()) {
		t.Errorf("stored history %v, in memory %v", again.History(), c.History())
	}
}

// The history keeps the History newest accepted changes in the order they
// were accepted, with their times, across a reload; pruning deletes the
// older ones from the configurations and the history at once.
func TestHistoryBoundAndOrder(t *testing.T) {
	ctx := context.Background()
	st := openStore(t)
	at := func(i int) time.Time { return time.Unix(int64(1000+i), 0).UTC() }
	// Ids that sort against their order, to show the order is kept.
	id := func(i int) string { return fmt.Sprintf("id-%02d", 99-i) }
	commit(t, st, configstore.CreateOps(id(0), []byte(`{}`), at(0))...)
	c, err := configstore.Load(ctx, st)
	if err != nil {
		t.Fatal(err)
	}
	const accepted = configstore.History + 5
	for i := 1; i <= accepted; i++ {
		commit(t, st, c.SetTargetOps(id(i), []byte(`{}`), at(i))...)
		c.TargetSet(id(i), []byte(`{}`), at(i))
		if prune := c.Prune(func(string) bool { return false }); len(prune) > 0 {
			commit(t, st, c.DeleteOps(prune)...)
			c.Deleted(prune...)
		}
	}
	again, err := configstore.Load(ctx, st)
	if err != nil {
		t.Fatal(err)
	}
	h := again.History()
	if len(h) != configstore.History+1 {
		t.Fatalf("history holds %d, want the target and %d before it: %v", len(h), configstore.History, h)
	}
	for k, e := range h {
		i := accepted - configstore.History + k
		if e.ID != id(i) || !e.Accepted.Equal(at(i)) {
			t.Errorf("history[%d] = %s at %v, want %s at %v", k, e.ID, e.Accepted, id(i), at(i))
		}
	}
	if len(again.IDs()) != len(h) {
		t.Errorf("stored configurations %v beside history %v", again.IDs(), h)
	}
	if target, _ := again.Target(); target != id(accepted) {
		t.Errorf("target %s", target)
	}
}
