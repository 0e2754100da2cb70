package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
)

// TestDevPipelineFromTheBinaryAlone is what a CI job does with a release
// archive or `go install`: the kafka-scheduler binary, alone in a folder
// (no kafka-dev.tgz beside it, no Go toolchain needed at run time), runs
// `dev start`, which returns once the API answers and prints the endpoint
// and token; a broker deployed through that API serves the Kafka protocol
// from the built-in distribution; `dev stop` stops everything and waits.
func TestDevPipelineFromTheBinaryAlone(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary and deploys a broker")
	}
	binDir := t.TempDir()
	bin := buildSchedulerBinary(t, binDir)
	if entries, _ := os.ReadDir(binDir); len(entries) != 1 {
		t.Fatalf("the binary's folder must hold only the binary, got %v", entries)
	}
	data := filepath.Join(t.TempDir(), "dev data") // a space, to test quoting
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	t.Cleanup(func() {
		// Never leave a background scheduler behind a failed test.
		_ = exec.Command(bin, "dev", "stop", "--data-dir", data).Run()
		if t.Failed() {
			t.Logf("dev.log:\n%s", tail(filepath.Join(data, "dev.log"), 60))
		}
	})

	start := time.Now()
	out, errOut, code := runBinary(ctx, bin, "dev", "start", "--listen", "127.0.0.1:0", "--data-dir", data, "--agents", "1", "--token", "pipe-token")
	if code != 0 {
		t.Fatalf("dev start: exit %d\nstdout: %s\nstderr: %s", code, out, errOut)
	}
	t.Logf("dev start returned ready after %s", time.Since(start).Round(time.Millisecond))
	env := parseEnvLines(t, out)
	endpoint := env["KAFKA_SCHEDULER_ENDPOINT"]
	if !strings.HasPrefix(endpoint, "http://127.0.0.1:") || env["KAFKA_SCHEDULER_TOKEN"] != "pipe-token" || env["KAFKA_SCHEDULER_DEV_DATA_DIR"] != data {
		t.Fatalf("dev start printed %q", out)
	}
	if info, err := os.Stat(readyFilePath(data)); err != nil || info.Mode().Perm() != 0o600 {
		t.Fatalf("ready file: %v, mode %v; want mode 0600", err, info)
	}
	// The API answers at once: dev start returned only once it did.
	if code, body := apiCall(ctx, endpoint, "pipe-token", http.MethodGet, "/v1/services", ""); code != http.StatusOK {
		t.Fatalf("GET /v1/services right after dev start: %d %s", code, body)
	}

	if _, errOut, code := runBinary(ctx, bin, "dev", "start", "--data-dir", data); code == 0 || !strings.Contains(errOut, "already running") {
		t.Errorf("a second dev start on the same data folder: exit %d, stderr %q; want a refusal saying it is already running", code, errOut)
	}
	if envOut, _, code := runBinary(ctx, bin, "dev", "env", "--data-dir", data); code != 0 || envOut != out {
		t.Errorf("dev env: exit %d, printed %q; want what dev start printed, %q", code, envOut, out)
	}
	jsonOut, _, _ := runBinary(ctx, bin, "dev", "env", "--data-dir", data, "--output", "json")
	var ready devReady
	if err := json.Unmarshal([]byte(jsonOut), &ready); err != nil || ready.Endpoint != endpoint || ready.Token != "pipe-token" || ready.MesosStateURL == "" {
		t.Errorf("dev env --output json: %v %q", err, jsonOut)
	}

	// A broker from the built-in distribution.
	options := `{"brokers": {"count": 1, "mem": 512, "heap": {"size": 256}, "disk": 1024}}`
	if code, body := apiCall(ctx, endpoint, "pipe-token", http.MethodPut, "/v1/services/pipeline", options); code != http.StatusCreated {
		t.Fatalf("PUT /v1/services/pipeline: %d %s", code, body)
	}
	waitUntil(t, "the deploy plan to complete", 2*time.Minute, func() (bool, string) {
		code, body := apiCall(ctx, endpoint, "pipe-token", http.MethodGet, "/service/pipeline/v1/plans/deploy", "")
		return code == http.StatusOK, fmt.Sprintf("%d %s", code, body)
	})
	// The built-in distribution needs no dev-only option: the options hold
	// only what was given and the scheduler's defaults.
	_, body := apiCall(ctx, endpoint, "pipe-token", http.MethodGet, "/v1/services/pipeline", "")
	var detail struct {
		Options struct {
			Kafka struct {
				ServerProperties map[string]string `json:"server_properties"`
			} `json:"kafka"`
		} `json:"options"`
	}
	if err := json.Unmarshal([]byte(body), &detail); err != nil || len(detail.Options.Kafka.ServerProperties) != 0 {
		t.Errorf("server_properties of a dev service: %v %v; want none", err, detail.Options.Kafka.ServerProperties)
	}
	_, body = apiCall(ctx, endpoint, "pipe-token", http.MethodGet, "/service/pipeline/v1/endpoints/broker", "")
	var brokers struct {
		Address []string `json:"address"`
	}
	if err := json.Unmarshal([]byte(body), &brokers); err != nil || len(brokers.Address) != 1 {
		t.Fatalf("broker endpoint: %v %s", err, body)
	}
	kafka, err := kgo.NewClient(kgo.SeedBrokers(brokers.Address...))
	if err != nil {
		t.Fatal(err)
	}
	if err := kafka.Ping(ctx); err != nil {
		t.Fatalf("the broker at %v does not answer the Kafka protocol: %v", brokers.Address, err)
	}
	kafka.Close()

	out, errOut, code = runBinary(ctx, bin, "dev", "stop", "--data-dir", data)
	if code != 0 || !strings.Contains(out, "stopped") {
		t.Fatalf("dev stop: exit %d\nstdout: %s\nstderr: %s", code, out, errOut)
	}
	if devProcessAlive(ready.PID, "") {
		t.Errorf("pid %d still runs after dev stop returned", ready.PID)
	}
	if _, err := os.Stat(readyFilePath(data)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the ready file outlived the scheduler: %v", err)
	}
	if conn, err := net.DialTimeout("tcp", brokers.Address[0], time.Second); err == nil {
		conn.Close()
		t.Errorf("the broker at %s still accepts connections after dev stop", brokers.Address[0])
	}
	if out, _, code := runBinary(ctx, bin, "dev", "stop", "--data-dir", data); code != 0 || !strings.Contains(out, "not running") {
		t.Errorf("dev stop of a stopped scheduler: exit %d, %q; want exit 0 saying it is not running", code, out)
	}
	if _, errOut, code := runBinary(ctx, bin, "dev", "env", "--data-dir", data); code == 0 || !strings.Contains(errOut, "no dev scheduler is running") {
		t.Errorf("dev env of a stopped scheduler: exit %d, %q", code, errOut)
	}
}

// TestDevStartReportsAnEarlyExit: a scheduler that cannot start makes dev
// start fail at once with the reason from its log, not wait out --wait.
func TestDevStartReportsAnEarlyExit(t *testing.T) {
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	exe := buildSchedulerBinary(t, t.TempDir())
	start := time.Now()
	_, errOut, code := runBinary(context.Background(), exe, "dev", "start", "--listen", busy.Addr().String(), "--data-dir", t.TempDir(), "--agents", "1", "--wait", "2m")
	if code == 0 || !strings.Contains(errOut, "exited before it was ready") || !strings.Contains(errOut, "address already in use") {
		t.Fatalf("dev start on a busy port: exit %d, stderr:\n%s", code, errOut)
	}
	t.Logf("failed after %s", time.Since(start).Round(time.Millisecond))
}

func TestDevPipelineFlagsAreChecked(t *testing.T) {
	var stdout, stderr bytes.Buffer
	for _, args := range [][]string{
		{"dev", "start", "--output", "yaml"},
		{"dev", "start", "--agents", "0"},
		{"dev", "env", "--output", "xml"},
		{"dev", "bogus"},
	} {
		stderr.Reset()
		if code := run(context.Background(), args, &stdout, &stderr); code == 0 || stderr.Len() == 0 {
			t.Errorf("%q: exit %d, stderr %q; want a refusal", args, code, stderr.String())
		}
	}
}

func TestEnvLinesNameTheProvidersVariables(t *testing.T) {
	got := devReady{Endpoint: "http://127.0.0.1:1", Token: "t", PID: 7, DataDir: "/d", MesosStateURL: "http://m/state"}.envLines()
	want := "KAFKA_SCHEDULER_ENDPOINT=http://127.0.0.1:1\nKAFKA_SCHEDULER_TOKEN=t\nKAFKA_SCHEDULER_DEV_PID=7\nKAFKA_SCHEDULER_DEV_DATA_DIR=/d\nKAFKA_SCHEDULER_DEV_MESOS_STATE_URL=http://m/state\n"
	if got != want {
		t.Errorf("envLines:\n%s\nwant:\n%s", got, want)
	}
}

func runBinary(ctx context.Context, bin string, args ...string) (stdout, stderr string, code int) {
	var out, errOut bytes.Buffer
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	var exit *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &exit):
		code = exit.ExitCode()
	default:
		code = -1
		errOut.WriteString(err.Error())
	}
	return out.String(), errOut.String(), code
}

func parseEnvLines(t *testing.T, out string) map[string]string {
	t.Helper()
	env := map[string]string{}
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		k, v, ok := strings.Cut(line, "=")
		if !ok {
			t.Fatalf("not a KEY=VALUE line: %q in\n%s", line, out)
		}
		env[k] = v
	}
	return env
}

func apiCall(ctx context.Context, endpoint, token, method, path, body string) (int, string) {
	req, err := http.NewRequestWithContext(ctx, method, endpoint+path, strings.NewReader(body))
	if err != nil {
		return 0, err.Error()
	}
	req.Header.Set("Authorization", "token="+token)
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, err.Error()
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}
