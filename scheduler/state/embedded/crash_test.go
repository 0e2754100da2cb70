package embedded

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/state"
	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/state/statetest"
)

// crashWriterEnv makes the test binary a writer child (see TestMain): it
// opens the store in the named folder and commits in a loop, printing the
// number of each commit once Commit has returned, until it is killed.
const crashWriterEnv = "EMBEDDED_STATE_CRASH_WRITER_DIR"

// The writer's commit i sets items/i/a and items/i/b and the counter, and
// when i is a multiple of 7 (from 7 on) also deletes items/(i-5)/b. Values
// vary in size so records straddle pages, and the low compaction threshold
// makes kills land during compactions too.
const writerCompactAfter = 32 << 10

func itemKey(i int, part string) string { return fmt.Sprintf("items/%d/%s", i, part) }

func itemValue(i int, part string) []byte {
	size := 50 + (i*7919)%3000
	unit := fmt.Sprintf("%s-%d;", part, i)
	return bytes.Repeat([]byte(unit), size/len(unit)+1)[:size]
}

func deletesB(i int) bool { return i >= 7 && i%7 == 0 }

func writerOps(i int) []state.Op {
	ops := []state.Op{
		state.SetOp(itemKey(i, "a"), itemValue(i, "a")),
		state.SetOp(itemKey(i, "b"), itemValue(i, "b")),
		state.SetOp("counter", []byte(strconv.Itoa(i))),
	}
	if deletesB(i) {
		ops = append(ops, state.DeleteOp(itemKey(i-5, "b")))
	}
	return ops
}

func runCrashWriter(dir string) int {
	s, err := Open(dir, Options{CompactAfterBytes: writerCompactAfter})
	if err != nil {
		fmt.Fprintf(os.Stderr, "writer: %v\n", err)
		return 2
	}
	ctx := context.Background()
	next := 0
	if n, err := s.Get(ctx, "counter"); err == nil {
		last, _ := strconv.Atoi(string(n.Value))
		next = last + 1
	} else if !errors.Is(err, state.ErrNotFound) {
		fmt.Fprintf(os.Stderr, "writer: reading the counter: %v\n", err)
		return 2
	}
	for i := next; ; i++ {
		if err := s.Commit(ctx, writerOps(i)...); err != nil {
			fmt.Fprintf(os.Stderr, "writer: commit %d: %v\n", i, err)
			return 3
		}
		fmt.Fprintf(os.Stdout, "%d\n", i)
	}
}

// TestSIGKILLDuringWritesLosesNothingCommitted kills a writer process with
// SIGKILL in the middle of its loop, several times over the same folder, and
// checks after each kill that the store opens, every acknowledged commit is
// there whole, and no commit is there in part.
func TestSIGKILLDuringWritesLosesNothingCommitted(t *testing.T) {
	dir := t.TempDir()
	acked := -1
	for round := range 6 {
		killAfter := acked + 1 + 25 + round*37 // vary where in the loop the kill lands
		acked = runWriterAndKill(t, dir, killAfter)
		s, err := Open(dir, Options{})
		if err != nil {
			t.Fatalf("round %d: reopening after SIGKILL: %v", round, err)
		}
		counter := verifyWriterState(t, s, acked)
		s.Close()
		t.Logf("round %d: killed after commit %d was acknowledged; store holds commits 0..%d", round, acked, counter)
		acked = counter
	}
}

// runWriterAndKill starts a writer on dir, SIGKILLs it once commit killAfter
// has been acknowledged, and returns the last acknowledged commit.
func runWriterAndKill(t *testing.T, dir string, killAfter int) int {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), crashWriterEnv+"="+dir)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatalf("starting the writer: %v", err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill() })

	lines := make(chan string)
	go func() {
		scanner := bufio.NewScanner(stdout)
		for scanner.Scan() {
			lines <- scanner.Text()
		}
		close(lines)
	}()
	last := -1
	deadline := time.After(60 * time.Second)
	for last < killAfter {
		select {
		case line, ok := <-lines:
			if !ok {
				t.Fatalf("the writer stopped on its own after commit %d: %v\n%s", last, cmd.Wait(), stderr.String())
			}
			last = parseAck(t, line)
		case <-deadline:
			t.Fatalf("the writer acknowledged only up to commit %d within 60s", last)
		}
	}
	if err := syscall.Kill(cmd.Process.Pid, syscall.SIGKILL); err != nil {
		t.Fatalf("killing the writer: %v", err)
	}
	for line := range lines { // acknowledgements already in the pipe
		last = parseAck(t, line)
	}
	err = cmd.Wait()
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.Sys().(syscall.WaitStatus).Signal() != syscall.SIGKILL {
		t.Fatalf("the writer ended with %v, want death by SIGKILL\n%s", err, stderr.String())
	}
	return last
}

func parseAck(t *testing.T, line string) int {
	t.Helper()
	n, err := strconv.Atoi(strings.TrimSpace(line))
	if err != nil {
		t.Fatalf("unexpected writer output %q", line)
	}
	return n
}

// verifyWriterState checks the store against the writer's commits and
// returns the last commit it holds, which must be the last acknowledged one
// or the one after (committed, killed before printing).
func verifyWriterState(t *testing.T, s *Store, acked int) int {
	t.Helper()
	counterNode := statetest.MustGet(t, s, "counter")
	counter, err := strconv.Atoi(string(counterNode.Value))
	if err != nil {
		t.Fatalf("counter holds %q", counterNode.Value)
	}
	if counter != acked && counter != acked+1 {
		t.Fatalf("the store holds commits up to %d, but commit %d was acknowledged", counter, acked)
	}
	deleted := map[int]bool{}
	for i := 0; i <= counter; i++ {
		if deletesB(i) {
			deleted[i-5] = true
		}
	}
	for i := 0; i <= counter; i++ {
		if got := statetest.MustGet(t, s, itemKey(i, "a")); !bytes.Equal(got.Value, itemValue(i, "a")) {
			t.Fatalf("items/%d/a holds %d bytes that differ from what was committed", i, len(got.Value))
		}
		if deleted[i] {
			statetest.WantMissing(t, s, itemKey(i, "b"))
			continue
		}
		if got := statetest.MustGet(t, s, itemKey(i, "b")); !bytes.Equal(got.Value, itemValue(i, "b")) {
			t.Fatalf("items/%d/b holds %d bytes that differ from what was committed", i, len(got.Value))
		}
	}
	items, err := s.Children(statetest.Ctx(t), "items")
	if err != nil {
		t.Fatalf("Children(items): %v", err)
	}
	if len(items) != counter+1 {
		t.Fatalf("the store holds %d items, want %d (commits 0..%d): a commit landed in part", len(items), counter+1, counter)
	}
	return counter
}
