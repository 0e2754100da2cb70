package devkafka

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// openTestRegistry opens the registry in dir as one more broker process
// would: a Registry of its own, sharing nothing in memory.
func openTestRegistry(t testing.TB, dir string) *Registry {
	t.Helper()
	r, err := OpenRegistry(context.Background(), dir, "127.0.0.1:2181/registry-test")
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func putTopic(t testing.TB, r *Registry, name string, partitions int) *State {
	t.Helper()
	st, err := r.Update(context.Background(), func(x *Txn) error {
		x.Put(name, &Topic{ID: newTopicID(), Replicas: assign([]int32{0, 1, 2}, partitions, 2, 0)})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return st
}

func mustState(t testing.TB, r *Registry) *State {
	t.Helper()
	st, err := r.State()
	if err != nil {
		t.Fatal(err)
	}
	return st
}

func TestRegistryChangesReachEveryProcessInOrder(t *testing.T) {
	dir := t.TempDir()
	regs := []*Registry{openTestRegistry(t, dir), openTestRegistry(t, dir), openTestRegistry(t, dir)}
	for _, r := range regs {
		r.compactBytes = 4 << 10 // fold the journal often
	}
	// Writers in three "processes" at once, readers reading throughout.
	const perWriter = 60
	var wg sync.WaitGroup
	for w, r := range regs {
		wg.Go(func() {
			for i := range perWriter {
				putTopic(t, r, fmt.Sprintf("w%d-%03d", w, i), 1+i%3)
			}
		})
	}
	stop := make(chan struct{})
	var readers sync.WaitGroup
	for _, r := range regs {
		readers.Go(func() {
			last := int64(-1)
			for {
				select {
				case <-stop:
					return
				default:
				}
				st := mustState(t, r)
				if st.Epoch < last {
					t.Errorf("epoch went back from %d to %d", last, st.Epoch)
					return
				}
				if int64(len(st.Topics)) != st.Epoch {
					t.Errorf("epoch %d with %d topics: every change created one topic", st.Epoch, len(st.Topics))
					return
				}
				last = st.Epoch
			}
		})
	}
	wg.Wait()
	close(stop)
	readers.Wait()

	want := 3 * perWriter
	for i, r := range append(regs, openTestRegistry(t, dir)) {
		st := mustState(t, r)
		if len(st.Topics) != want || st.Epoch != int64(want) {
			t.Errorf("registry %d sees %d topics at epoch %d, want %d", i, len(st.Topics), st.Epoch, want)
		}
	}
	if st := mustState(t, regs[0]); st.Generation == 0 {
		t.Errorf("the journal was never folded into a snapshot (generation %d)", st.Generation)
	}
}

func TestRegistryStateSharesUnchangedTopics(t *testing.T) {
	r := openTestRegistry(t, t.TempDir())
	putTopic(t, r, "a", 1)
	before := putTopic(t, r, "b", 1)
	after, err := r.Update(context.Background(), func(x *Txn) error {
		nb := x.Topic("b").clone()
		nb.Configs = map[string]string{"retention.ms": "1"}
		x.Put("b", nb)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if after.Topics["a"] != before.Topics["a"] {
		t.Error("an unchanged topic must keep its *Topic across states")
	}
	if after.Topics["b"] == before.Topics["b"] || before.Topics["b"].Configs != nil {
		t.Error("a change must put a new *Topic and leave the old state as it was")
	}
	// Another process reads the same.
	other := mustState(t, openTestRegistry(t, r.Dir()))
	if other.Topics["b"].Configs["retention.ms"] != "1" || other.Epoch != after.Epoch {
		t.Errorf("another registry reads %+v at epoch %d", other.Topics["b"], other.Epoch)
	}
}

func TestRegistryTxnReadsItsOwnChangesAndCollisions(t *testing.T) {
	r := openTestRegistry(t, t.TempDir())
	putTopic(t, r, "orders.eu", 1)
	_, err := r.Update(context.Background(), func(x *Txn) error {
		if got := x.Colliding("orders_eu"); got != "orders.eu" {
			t.Errorf("collision with an existing topic: %q", got)
		}
		x.Delete("orders.eu")
		if x.Topic("orders.eu") != nil || x.Colliding("orders_eu") != "" {
			t.Error("a deleted topic must neither exist nor collide within the change")
		}
		x.Put("a.b", &Topic{ID: newTopicID(), Replicas: [][]int32{{0}}})
		if x.Colliding("a_b") != "a.b" || x.Colliding("a.b") != "" {
			t.Error("a topic put in the change must collide with others, not itself")
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	st := mustState(t, openTestRegistry(t, r.Dir()))
	if st.Topics["orders.eu"] != nil || st.Topics["a.b"] == nil || st.colliding("a_b") != "a.b" || st.colliding("orders_eu") != "" {
		t.Errorf("after the change: topics %v", st.SortedNames())
	}
}

func TestRegistryUpdateThatFailsWritesNothing(t *testing.T) {
	r := openTestRegistry(t, t.TempDir())
	before := putTopic(t, r, "keep", 1)
	_, err := r.Update(context.Background(), func(x *Txn) error {
		x.Delete("keep")
		return fmt.Errorf("refused")
	})
	if err == nil || !strings.Contains(err.Error(), "refused") {
		t.Fatalf("err = %v", err)
	}
	st := mustState(t, openTestRegistry(t, r.Dir()))
	if st.Epoch != before.Epoch || st.Topics["keep"] == nil {
		t.Errorf("a failed change was written: epoch %d, topics %v", st.Epoch, st.SortedNames())
	}
}

func TestRegistryIgnoresATornLineAndTheNextWriterCutsItOff(t *testing.T) {
	dir := t.TempDir()
	r := openTestRegistry(t, dir)
	putTopic(t, r, "one", 1)
	// A writer died halfway through its line.
	f, err := os.OpenFile(filepath.Join(dir, journalFile), os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.WriteString(`{"epoch":2,"put":{"half`)
	f.Close()

	reader := openTestRegistry(t, dir)
	if st := mustState(t, reader); len(st.Topics) != 1 || st.Epoch != 1 {
		t.Fatalf("a reader must use whole lines only: %v at epoch %d", st.SortedNames(), st.Epoch)
	}
	putTopic(t, openTestRegistry(t, dir), "two", 1)
	for _, reg := range []*Registry{r, reader, openTestRegistry(t, dir)} {
		if st := mustState(t, reg); !slices.Equal(st.SortedNames(), []string{"one", "two"}) || st.Epoch != 2 {
			t.Errorf("after the next write: %v at epoch %d", st.SortedNames(), st.Epoch)
		}
	}
}

func TestRegistryRecoversFromACompactionThatDiedHalfway(t *testing.T) {
	dir := t.TempDir()
	r := openTestRegistry(t, dir)
	putTopic(t, r, "one", 1)
	putTopic(t, r, "two", 1)
	// The snapshot of the next generation was written, the new journal
	// was not.
	st := mustState(t, r)
	data, _ := json.Marshal(map[string]any{"epoch": st.Epoch, "generation": st.Generation + 1, "topics": st.Topics})
	if err := os.WriteFile(filepath.Join(dir, snapshotFile), data, 0o644); err != nil {
		t.Fatal(err)
	}
	fresh := openTestRegistry(t, dir)
	if got := mustState(t, fresh); len(got.Topics) != 2 || got.Epoch != 2 {
		t.Fatalf("reading the half-done compaction: %v at epoch %d", got.SortedNames(), got.Epoch)
	}
	putTopic(t, fresh, "three", 1)
	for _, reg := range []*Registry{r, fresh, openTestRegistry(t, dir)} {
		got := mustState(t, reg)
		if len(got.Topics) != 3 || got.Epoch != 3 {
			t.Errorf("after the next write: %v at epoch %d", got.SortedNames(), got.Epoch)
		}
	}
}

func TestRegistryWrittenBeforeTheJournalOpens(t *testing.T) {
	dir := t.TempDir()
	os.MkdirAll(filepath.Join(dir, "brokers"), 0o755)
	cluster, _ := json.Marshal(ClusterInfo{Identity: "127.0.0.1:2181/registry-test", ClusterID: "devkafka-old"})
	os.WriteFile(filepath.Join(dir, "cluster.json"), cluster, 0o644)
	old := `{"epoch": 7, "topics": {"legacy": {"id": "000102030405060708090a0b0c0d0e0f", "replicas": [[0, 1]]}}}`
	os.WriteFile(filepath.Join(dir, snapshotFile), []byte(old), 0o644)

	r := openTestRegistry(t, dir)
	st := mustState(t, r)
	if st.Epoch != 7 || st.Topics["legacy"] == nil || len(st.Topics["legacy"].Replicas[0]) != 2 {
		t.Fatalf("old registry read as %v at epoch %d", st.SortedNames(), st.Epoch)
	}
	if st := putTopic(t, r, "new", 1); st.Epoch != 8 {
		t.Errorf("epoch after a change = %d, want 8", st.Epoch)
	}
}

func TestRegistryUpdateWaitsForTheLockWithItsContext(t *testing.T) {
	dir := t.TempDir()
	r, other := openTestRegistry(t, dir), openTestRegistry(t, dir)
	held := make(chan struct{})
	release := make(chan struct{})
	go r.withStateLock(context.Background(), func() error { close(held); <-release; return nil })
	<-held
	defer close(release)
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	_, err := other.Update(ctx, func(x *Txn) error { return nil })
	if err == nil || !strings.Contains(err.Error(), "registry lock") {
		t.Errorf("err = %v, want the lock wait to end with the context", err)
	}
}

// BenchmarkRegistryCreate measures one topic creation (a journal append
// under the lock, and the in-memory state after it) with 100 and 5,000
// topics already in the registry: the cost must not grow with the count.
func BenchmarkRegistryCreate(b *testing.B) {
	for _, existing := range []int{100, 5000} {
		b.Run(fmt.Sprintf("topics=%d", existing), func(b *testing.B) {
			r := openTestRegistry(b, b.TempDir())
			_, err := r.Update(context.Background(), func(x *Txn) error {
				for i := range existing {
					x.Put(fmt.Sprintf("seed-%05d", i), &Topic{ID: newTopicID(), Replicas: assign([]int32{0, 1, 2}, 3, 2, i)})
				}
				return nil
			})
			if err != nil {
				b.Fatal(err)
			}
			reader := openTestRegistry(b, r.Dir())
			mustState(b, reader)
			i := 0
			for b.Loop() {
				putTopic(b, r, fmt.Sprintf("bench-%06d", i), 3)
				mustState(b, reader) // another broker catching up
				i++
			}
		})
	}
}

// A journal replaced by a file that reuses its inode number and has the
// same size is still recognised as a new file (by its modification time).
func TestRegistryNoticesAJournalReplacedInPlace(t *testing.T) {
	dir := t.TempDir()
	w := openTestRegistry(t, dir)
	putTopic(t, w, "one", 1)
	reader := openTestRegistry(t, dir)
	st := mustState(t, reader)
	journal := filepath.Join(dir, journalFile)
	old, err := os.ReadFile(journal)
	if err != nil {
		t.Fatal(err)
	}
	// What a compaction would write: a snapshot of the next generation
	// holding one more topic, and an empty journal of that generation,
	// padded to the old journal's size and written into the same inode.
	topics := map[string]*Topic{"one": st.Topics["one"], "two": {ID: newTopicID(), Replicas: [][]int32{{0}}}}
	snap, _ := json.Marshal(map[string]any{"epoch": st.Epoch + 1, "generation": st.Generation + 1, "topics": topics})
	if err := os.WriteFile(filepath.Join(dir, snapshotFile), snap, 0o644); err != nil {
		t.Fatal(err)
	}
	hdr, _ := json.Marshal(journalHeader{Generation: st.Generation + 1, Base: st.Epoch + 1})
	padded := append(hdr, strings.Repeat(" ", len(old)-len(hdr)-1)...)
	before, err := os.Stat(journal)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(journal, append(padded, '\n'), 0o644); err != nil {
		t.Fatal(err)
	}
	// Coarse clocks can give the rewrite the old time; make it differ.
	later := before.ModTime().Add(time.Second)
	if err := os.Chtimes(journal, later, later); err != nil {
		t.Fatal(err)
	}
	if got := mustState(t, reader); !slices.Equal(got.SortedNames(), []string{"one", "two"}) || got.Epoch != st.Epoch+1 {
		t.Errorf("after the in-place replacement: %v at epoch %d", got.SortedNames(), got.Epoch)
	}
}
