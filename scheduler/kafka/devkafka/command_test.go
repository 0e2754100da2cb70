package devkafka

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestParseArgsTakesKafkaServerStartArguments(t *testing.T) {
	opts, err := parseBrokerArgs([]string{"--log-dir", "/tmp/logs", "server.properties", "--override", "broker.id=3", "--override", "log.dirs=/data=x"})
	if err != nil {
		t.Fatal(err)
	}
	if opts.logDir != "/tmp/logs" || opts.properties != "server.properties" || opts.overrides["broker.id"] != "3" || opts.overrides["log.dirs"] != "/data=x" {
		t.Errorf("parsed %+v", opts)
	}
	for _, bad := range [][]string{{}, {"--override", "x"}, {"a.properties", "b.properties"}, {"--bogus", "a.properties"}, {"--log-level", "loud", "a"}} {
		if _, err := parseBrokerArgs(bad); err == nil {
			t.Errorf("%q must be refused", bad)
		}
	}
}

func TestBadServerPropertiesFailWithKafkasFatalLine(t *testing.T) {
	dir := t.TempDir()
	props := filepath.Join(dir, "server.properties")
	if err := os.WriteFile(props, []byte("broker.id=0\nlisteners=SSL://127.0.0.1:0\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	var stdout, stderr bytes.Buffer
	code := RunBroker(context.Background(), []string{"--log-dir", dir, props}, &stdout, &stderr)
	if code != 1 {
		t.Fatalf("exit code %d, want 1", code)
	}
	logged, _ := os.ReadFile(filepath.Join(dir, "server.log"))
	for _, out := range []string{stdout.String(), string(logged)} {
		if !strings.Contains(out, "Fatal error during KafkaServer startup") || !strings.Contains(out, "PLAINTEXT only") {
			t.Errorf("output lacks the fatal line and the reason:\n%s", out)
		}
	}
}
