package embedded

import (
	"bytes"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/state"
	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/state/statetest"
)

func TestMain(m *testing.M) {
	if dir := os.Getenv(crashWriterEnv); dir != "" {
		os.Exit(runCrashWriter(dir))
	}
	os.Exit(m.Run())
}

func openStore(t testing.TB, dir string, opts Options) *Store {
	t.Helper()
	s, err := Open(dir, opts)
	if err != nil {
		t.Fatalf("Open(%s): %v", dir, err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func TestContract(t *testing.T) {
	statetest.Run(t, func(t *testing.T) state.Store {
		return openStore(t, t.TempDir(), Options{})
	})
}

// The contract again with compaction after nearly every write, so every
// operation is also checked against a state rebuilt from a snapshot.
func TestContractWithConstantCompaction(t *testing.T) {
	statetest.Run(t, func(t *testing.T) state.Store {
		return openStore(t, t.TempDir(), Options{CompactAfterBytes: 1})
	})
}

func TestReopenKeepsState(t *testing.T) {
	dir := t.TempDir()
	s := openStore(t, dir, Options{})
	statetest.MustSet(t, s, "FrameworkID", []byte("fw"))
	statetest.MustSet(t, s, "Tasks/kafka-0-broker/TaskInfo", []byte("v0"))
	statetest.MustSet(t, s, "Tasks/kafka-0-broker/TaskInfo", []byte("v1"))
	statetest.MustSet(t, s, "Tasks/kafka-1-broker/TaskInfo", []byte("gone"))
	if err := s.DeleteRecursive(statetest.Ctx(t), "Tasks/kafka-1-broker"); err != nil {
		t.Fatalf("DeleteRecursive: %v", err)
	}
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}

	s = openStore(t, dir, Options{})
	statetest.WantValue(t, s, "FrameworkID", "fw")
	if n := statetest.MustGet(t, s, "Tasks/kafka-0-broker/TaskInfo"); string(n.Value) != "v1" || n.Version != 1 {
		t.Fatalf("after reopening: %q version %d, want v1 version 1", n.Value, n.Version)
	}
	statetest.WantChildren(t, s, "Tasks", "kafka-0-broker")
}

func TestCompactionKeepsStateAndBoundsTheLog(t *testing.T) {
	dir := t.TempDir()
	s := openStore(t, dir, Options{CompactAfterBytes: 4096})
	value := bytes.Repeat([]byte("x"), 100)
	for i := range 500 {
		statetest.MustSet(t, s, fmt.Sprintf("Properties/p%d", i%10), append(value, byte(i)))
	}
	info, err := os.Stat(filepath.Join(dir, logName))
	if err != nil {
		t.Fatal(err)
	}
	// 500 writes of ~140-byte records are ~70 KB; compaction keeps the log
	// near its threshold (live data is ten 101-byte values).
	if info.Size() > 3*4096 {
		t.Fatalf("log is %d bytes after 500 overwrites of 10 keys; compaction did not run", info.Size())
	}
	s.Close()
	s = openStore(t, dir, Options{})
	for i := 490; i < 500; i++ {
		statetest.WantValue(t, s, fmt.Sprintf("Properties/p%d", i%10), string(append(value, byte(i))))
	}
}

func TestSecondOpenOfAFolderFails(t *testing.T) {
	dir := t.TempDir()
	first := openStore(t, dir, Options{})
	_, err := Open(dir, Options{})
	if err == nil {
		t.Fatalf("a second Open of %s succeeded", dir)
	}
	for _, want := range []string{dir, "in use", fmt.Sprint(os.Getpid())} {
		if !strings.Contains(err.Error(), want) {
			t.Fatalf("second Open error %q does not mention %q", err, want)
		}
	}
	first.Close()
	again := openStore(t, dir, Options{})
	statetest.MustSet(t, again, "x", nil)
}

// appendToLog writes raw bytes at the end of the log, as a crash would leave
// them.
func appendToLog(t *testing.T, dir string, data []byte) {
	t.Helper()
	f, err := os.OpenFile(filepath.Join(dir, logName), os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.Write(data); err != nil {
		t.Fatal(err)
	}
}

func TestTornTailIsCutOff(t *testing.T) {
	record := encodeRecord(recordBatch, []effect{{key: "torn", value: []byte("never committed")}})
	tails := map[string][]byte{
		"partial header":   record[:5],
		"partial payload":  record[:len(record)-3],
		"bad checksum":     append(append([]byte{}, record[:len(record)-1]...), record[len(record)-1]^0xff),
		"zeros":            make([]byte, 4096),
		"huge length":      {0x7f, 0xff, 0xff, 0xff, 1, 2, 3, 4, 5},
		"header, no bytes": record[:frameHeaderSize],
	}
	for name, tail := range tails {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			s := openStore(t, dir, Options{})
			statetest.MustSet(t, s, "kept", []byte("committed"))
			s.Close()
			appendToLog(t, dir, tail)
			var logs bytes.Buffer
			s = openStore(t, dir, Options{Logger: slog.New(slog.NewTextHandler(&logs, nil))})
			statetest.WantValue(t, s, "kept", "committed")
			statetest.WantMissing(t, s, "torn")
			if !strings.Contains(logs.String(), "bytes_dropped=") {
				t.Fatalf("cutting off a torn tail was not logged: %q", logs.String())
			}
			// Appending after the cut works and survives another reopen.
			statetest.MustSet(t, s, "after", []byte("ok"))
			s.Close()
			s = openStore(t, dir, Options{})
			statetest.WantValue(t, s, "after", "ok")
			statetest.WantValue(t, s, "kept", "committed")
		})
	}
}

func TestCorruptionInTheMiddleFailsOpen(t *testing.T) {
	dir := t.TempDir()
	s := openStore(t, dir, Options{})
	statetest.MustSet(t, s, "first", []byte("aaaaaaaaaaaaaaaa"))
	statetest.MustSet(t, s, "second", []byte("bbbbbbbbbbbbbbbb"))
	s.Close()
	path := filepath.Join(dir, logName)
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	i := bytes.Index(data, []byte("aaaaaaaa"))
	data[i] = 'X' // flip a byte of the first commit; the second follows it
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	_, err = Open(dir, Options{})
	if err == nil {
		t.Fatalf("Open of a log corrupted in the middle succeeded")
	}
	if !errors.Is(err, errCorrupt) || !strings.Contains(err.Error(), path) {
		t.Fatalf("Open error %q does not report corruption of %s", err, path)
	}
	after, _ := os.ReadFile(path)
	if !bytes.Equal(after, data) {
		t.Fatalf("a failed Open changed the corrupt log")
	}
}

func TestNotAStateFile(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, logName), []byte("hello"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := Open(dir, Options{})
	if err == nil || !strings.Contains(err.Error(), "not a state store file") {
		t.Fatalf("Open of a foreign file: %v, want an error saying it is not a state store file", err)
	}
}

func TestLeftoverCompactionFileIsIgnored(t *testing.T) {
	dir := t.TempDir()
	s := openStore(t, dir, Options{})
	statetest.MustSet(t, s, "kept", []byte("v"))
	s.Close()
	// A crash during compaction leaves a partial temporary file.
	if err := os.WriteFile(filepath.Join(dir, logTmpName), []byte(logMagic+"partial"), 0o600); err != nil {
		t.Fatal(err)
	}
	s = openStore(t, dir, Options{})
	statetest.WantValue(t, s, "kept", "v")
	if _, err := os.Stat(filepath.Join(dir, logTmpName)); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("the leftover compaction file was not removed: %v", err)
	}
}

// BenchmarkRoundTrip measures round trips on the embedded store; every
// write is fsynced.
func BenchmarkRoundTrip(b *testing.B) {
	s := openStore(b, b.TempDir(), Options{})
	statetest.Benchmark(b, s)
}
