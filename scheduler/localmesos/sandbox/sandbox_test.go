package sandbox

import (
	"archive/tar"
	"compress/gzip"
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	mesos "github.com/mesos/mesos-go/api/v1/lib"
)

func shell(cmd string) mesos.CommandInfo { return mesos.CommandInfo{Value: &cmd} }

func waitDone(t *testing.T, p *Process) {
	t.Helper()
	select {
	case <-p.Done():
	case <-time.After(10 * time.Second):
		t.Fatal("process did not exit")
	}
}

func pollFile(t *testing.T, name string) string {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if b, err := os.ReadFile(name); err == nil && len(b) > 0 {
			return string(b)
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("%s never appeared", name)
	return ""
}

func alive(pid int) bool { return syscall.Kill(pid, 0) == nil }

func TestStartRunsWithShellEnvAndOutputFiles(t *testing.T) {
	dir := t.TempDir()
	env, err := Env([]string{"PATH=" + os.Getenv("PATH"), "A=base"}, map[string]string{"B": "var"},
		&mesos.CommandInfo{Environment: &mesos.Environment{Variables: []mesos.Environment_Variable{{Name: "A", Value: strPtr("task")}}}})
	if err != nil {
		t.Fatal(err)
	}
	p, err := Start(Spec{Command: shell(`echo "$A $B $(pwd)"; echo oops >&2; exit 3`), Dir: dir, Env: env})
	if err != nil {
		t.Fatal(err)
	}
	waitDone(t, p)
	if got := Describe(p.Status()); got != "exited with status 3" {
		t.Fatalf("status = %q", got)
	}
	out, _ := os.ReadFile(filepath.Join(dir, "stdout"))
	if strings.TrimSpace(string(out)) != "task var "+dir {
		t.Fatalf("stdout = %q", out)
	}
	errOut, _ := os.ReadFile(filepath.Join(dir, "stderr"))
	if strings.TrimSpace(string(errOut)) != "oops" {
		t.Fatalf("stderr = %q", errOut)
	}
}

func strPtr(s string) *string { return &s }

func TestKillReachesChildrenAndEscalates(t *testing.T) {
	dir := t.TempDir()
	// The shell ignores SIGTERM and starts a child that ignores it too.
	p, err := Start(Spec{Command: shell(`trap '' TERM; (trap '' TERM; echo $$ > child; sleep 60) & sleep 60`), Dir: dir, Env: os.Environ()})
	if err != nil {
		t.Fatal(err)
	}
	childPid, _ := strconv.Atoi(strings.TrimSpace(pollFile(t, filepath.Join(dir, "child"))))
	start := time.Now()
	if err := p.Kill(context.Background(), 200*time.Millisecond); err != nil {
		t.Fatal(err)
	}
	if time.Since(start) < 200*time.Millisecond {
		t.Fatal("SIGKILL came before the grace period")
	}
	if got := Describe(p.Status()); got != "terminated with signal Killed" {
		t.Fatalf("status = %q", got)
	}
	deadline := time.Now().Add(5 * time.Second)
	for alive(childPid) && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if alive(childPid) {
		t.Fatalf("child %d survived the kill", childPid)
	}
}

func TestSigtermEndsACooperativeTask(t *testing.T) {
	p, err := Start(Spec{Command: shell(`exec sleep 60`), Dir: t.TempDir(), Env: os.Environ()})
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Kill(context.Background(), 10*time.Second); err != nil {
		t.Fatal(err)
	}
	if got := Describe(p.Status()); got != "terminated with signal Terminated" {
		t.Fatalf("status = %q", got)
	}
}

func TestFetchExtractsTarballsAndCopiesFiles(t *testing.T) {
	src := t.TempDir()
	archive := filepath.Join(src, "dist.tar.gz")
	writeTarGz(t, archive, map[string]string{"dist/bin/run.sh": "#!/bin/sh\necho hi\n"})
	script := filepath.Join(src, "tool")
	if err := os.WriteFile(script, []byte("#!/bin/sh\necho tool\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	plain := filepath.Join(src, "conf.tgz")
	writeTarGz(t, plain, map[string]string{"conf": "x"})

	dir := t.TempDir()
	no := false
	yes := true
	err := Fetch(context.Background(), []mesos.CommandInfo_URI{
		{Value: "file://" + archive},
		{Value: script, Executable: &yes},
		{Value: plain, Extract: &no, OutputFile: strPtr("copy.tgz")},
	}, dir)
	if err != nil {
		t.Fatal(err)
	}
	info, err := os.Stat(filepath.Join(dir, "dist/bin/run.sh"))
	if err != nil || info.Mode().Perm()&0o100 == 0 {
		t.Fatalf("extracted script: %v %v", info, err)
	}
	if info, err := os.Stat(filepath.Join(dir, "tool")); err != nil || info.Mode().Perm() != 0o755 {
		t.Fatalf("executable: %v %v", info, err)
	}
	if _, err := os.Stat(filepath.Join(dir, "copy.tgz")); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "conf")); !os.IsNotExist(err) {
		t.Fatal("extract=false must not extract")
	}
	if err := Fetch(context.Background(), []mesos.CommandInfo_URI{{Value: "file:///does/not/exist"}}, dir); err == nil ||
		!strings.Contains(err.Error(), "/does/not/exist") {
		t.Fatalf("missing file: %v", err)
	}
	if err := Fetch(context.Background(), []mesos.CommandInfo_URI{{Value: "hdfs://x/y"}}, dir); err == nil {
		t.Fatal("unsupported scheme must fail")
	}
}

func writeTarGz(t *testing.T, name string, files map[string]string) {
	t.Helper()
	f, err := os.Create(name)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	gz := gzip.NewWriter(f)
	tw := tar.NewWriter(gz)
	for n, body := range files {
		if err := tw.WriteHeader(&tar.Header{Name: n, Mode: 0o755, Size: int64(len(body)), Typeflag: tar.TypeReg}); err != nil {
			t.Fatal(err)
		}
		if _, err := tw.Write([]byte(body)); err != nil {
			t.Fatal(err)
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := gz.Close(); err != nil {
		t.Fatal(err)
	}
}

func TestReferenceSecretsFailLikeTheDefaultResolver(t *testing.T) {
	secret := mesos.Environment_Variable_SECRET
	_, err := Env(nil, nil, &mesos.CommandInfo{Environment: &mesos.Environment{Variables: []mesos.Environment_Variable{{
		Name: "S", Type: &secret, Secret: &mesos.Secret{Type: mesos.Secret_REFERENCE, Reference: &mesos.Secret_Reference{Name: "/x"}},
	}}}})
	if err == nil || !strings.Contains(err.Error(), "Default secret resolver cannot resolve references") {
		t.Fatalf("got %v", err)
	}
}

func TestLinkVolume(t *testing.T) {
	dir, vol := t.TempDir(), t.TempDir()
	if err := LinkVolume(dir, "data/kafka", vol); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "data/kafka/f"), []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(vol, "f")); err != nil {
		t.Fatal("write through the link must land in the volume")
	}
	if err := LinkVolume(dir, "../escape", vol); err == nil {
		t.Fatal("paths outside the sandbox must be refused")
	}
}
