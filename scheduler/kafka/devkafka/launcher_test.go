package devkafka_test

import (
	"archive/tar"
	"compress/gzip"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/kafka/devkafka"
)

// TestLauncherDistributionExecsTheProgram: the launcher distribution's
// broker is a script that execs the named program with the fixed
// arguments first and the broker's own after them, whatever characters the
// program's path holds.
func TestLauncherDistributionExecsTheProgram(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "it's a dir with spaces")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	record := filepath.Join(dir, "args")
	program := filepath.Join(dir, "fake scheduler")
	script := "#!/bin/sh\n{ echo \"TMPDIR=$TMPDIR\"; for a in \"$@\"; do printf '%s\\n' \"$a\"; done; } > \"$(dirname \"$0\")/args\"\n"
	if err := os.WriteFile(program, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	dist := filepath.Join(t.TempDir(), "kafka-dev.tgz")
	if err := devkafka.WriteLauncherDistribution(dist, devkafka.Launcher{Program: program, Args: []string{"dev-broker"}, Env: map[string]string{"TMPDIR": "/tmp/a b'c"}}); err != nil {
		t.Fatal(err)
	}
	files := readTarball(t, dist)
	for _, name := range []string{"kafka-dev/" + devkafka.StartScript, "kafka-dev/config/server.properties", "kafka-dev/README.md"} {
		if _, ok := files[name]; !ok {
			t.Errorf("the launcher distribution lacks %s", name)
		}
	}
	launcher := filepath.Join(t.TempDir(), "kafka-dev-broker")
	if err := os.WriteFile(launcher, files["kafka-dev/"+devkafka.BrokerBinary], 0o755); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(launcher, "--log-dir", "/x y", "server.properties", "--override", "a='b'").CombinedOutput(); err != nil {
		t.Fatalf("running the launcher: %v\n%s", err, out)
	}
	got, err := os.ReadFile(record)
	if err != nil {
		t.Fatal(err)
	}
	if want := "TMPDIR=/tmp/a b'c\ndev-broker\n--log-dir\n/x y\nserver.properties\n--override\na='b'\n"; string(got) != want {
		t.Errorf("the program got the arguments\n%s\nwant\n%s", got, want)
	}
	if err := devkafka.WriteLauncherDistribution(dist, devkafka.Launcher{Program: "relative/kafka-scheduler"}); err == nil || !strings.Contains(err.Error(), "absolute") {
		t.Errorf("a relative program must be refused: %v", err)
	}
	if err := devkafka.WriteLauncherDistribution(dist, devkafka.Launcher{Program: program, Env: map[string]string{"A;rm": "x"}}); err == nil {
		t.Error("a bad environment variable name must be refused")
	}
}

func readTarball(t *testing.T, path string) map[string][]byte {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	gz, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	files := map[string][]byte{}
	tr := tar.NewReader(gz)
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return files
		}
		if err != nil {
			t.Fatal(err)
		}
		data, err := io.ReadAll(tr)
		if err != nil {
			t.Fatal(err)
		}
		files[h.Name] = data
	}
}
