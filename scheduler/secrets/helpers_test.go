package secrets

import (
	"bytes"
	"context"
	"crypto/rand"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/state"
	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/state/embedded"
)

func testCtx(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// newEmbedded opens an embedded state store (the dev store) in a folder of
// its own and returns it with the folder.
func newEmbedded(t testing.TB) (*embedded.Store, string) {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "state")
	st, err := embedded.Open(dir, embedded.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st, dir
}

func randomKey(t testing.TB) []byte {
	t.Helper()
	k := make([]byte, KeySize)
	if _, err := rand.Read(k); err != nil {
		t.Fatal(err)
	}
	return k
}

func mustRing(t testing.TB, keys ...[]byte) *Keyring {
	t.Helper()
	ring, err := NewKeyring(keys...)
	if err != nil {
		t.Fatal(err)
	}
	return ring
}

// logBuffer captures a debug-level text log, safe for concurrent writers.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *logBuffer) Bytes() []byte {
	b.mu.Lock()
	defer b.mu.Unlock()
	return bytes.Clone(b.buf.Bytes())
}

func debugLogger(w *logBuffer) *slog.Logger {
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

func mustOpen(t testing.TB, st state.Store, ring *Keyring, opts Options) *Store {
	t.Helper()
	s, err := Open(testCtx(t), st, ring, opts)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	return s
}

// dumpState reads every key of a state store, depth first.
func dumpState(t testing.TB, st state.Store) map[string][]byte {
	t.Helper()
	out := map[string][]byte{}
	var walk func(key string)
	walk = func(key string) {
		if key != state.RootKey {
			n, err := st.Get(testCtx(t), key)
			if err != nil {
				t.Fatalf("dump: Get(%q): %v", key, err)
			}
			out[key] = n.Value
		}
		children, err := st.Children(testCtx(t), key)
		if err != nil {
			t.Fatalf("dump: Children(%q): %v", key, err)
		}
		for _, c := range children {
			if key == state.RootKey {
				walk(c)
			} else {
				walk(key + "/" + c)
			}
		}
	}
	walk(state.RootKey)
	return out
}

// joinDump is a dump as one byte string, keys and values, to grep.
func joinDump(d map[string][]byte) []byte {
	keys := make([]string, 0, len(d))
	for k := range d {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b bytes.Buffer
	for _, k := range keys {
		b.WriteString(k)
		b.WriteByte('=')
		b.Write(d[k])
		b.WriteByte('\n')
	}
	return b.Bytes()
}

// readDir reads every file below dir, concatenated.
func readDir(t testing.TB, dir string) []byte {
	t.Helper()
	var all []byte
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		all = append(all, b...)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return all
}
