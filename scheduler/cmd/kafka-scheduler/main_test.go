package main

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/kafka/devkafka/devkafkatest"
)

// kafkaDist is the dev Kafka distribution, built once by TestMain.
var kafkaDist string

func TestMain(m *testing.M) { os.Exit(devkafkatest.RunWithDistribution(m, &kafkaDist)) }

func TestVersionAndHelp(t *testing.T) {
	var out, errOut bytes.Buffer
	if code := run(context.Background(), []string{"version"}, &out, &errOut); code != 0 || !strings.HasPrefix(out.String(), "kafka-scheduler ") {
		t.Fatalf("version: exit %d, stdout %q, stderr %q", code, out.String(), errOut.String())
	}
	out.Reset()
	if code := run(context.Background(), []string{"--help"}, &out, &errOut); code != 0 {
		t.Fatalf("--help: exit %d", code)
	}
	for _, name := range []string{"serve", "dev", "local-mesos", "version"} {
		if !strings.Contains(out.String(), name) {
			t.Errorf("--help does not list %q:\n%s", name, out.String())
		}
	}
	errOut.Reset()
	if code := run(context.Background(), []string{"bogus"}, &out, &errOut); code != 2 || !strings.Contains(errOut.String(), `unknown command "bogus"`) {
		t.Errorf("unknown command: exit %d, stderr %q", code, errOut.String())
	}
}

// TestDevServesAPIAndStopsCleanly runs `kafka-scheduler dev` in-process on a
// free port, calls its API with the printed token, and stops it.
func TestDevServesAPIAndStopsCleanly(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	stdoutR, stdoutW := io.Pipe()
	exit := make(chan int, 1)
	go func() {
		exit <- run(ctx, []string{"dev", "--listen", "127.0.0.1:0", "--data-dir", t.TempDir(), "--token", "t0ken", "--kafka-dist", kafkaDist}, stdoutW, io.Discard)
		stdoutW.Close()
	}()

	lines := bufio.NewScanner(stdoutR)
	var url string
	for url == "" && lines.Scan() {
		if rest, ok := strings.CutPrefix(lines.Text(), "API: "); ok {
			url = rest
		}
	}
	if url == "" {
		t.Fatal("dev printed no API URL")
	}
	go io.Copy(io.Discard, stdoutR) //nolint:errcheck // drain the rest

	get := func(token string) int {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url+"/v1/services", nil)
		if token != "" {
			req.Header.Set("Authorization", "token="+token)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatalf("GET /v1/services: %v", err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if code := get("t0ken"); code != http.StatusOK {
		t.Fatalf("with the token: %d, want 200", code)
	}
	if code := get(""); code != http.StatusUnauthorized {
		t.Fatalf("without the token: %d, want 401", code)
	}

	cancel()
	select {
	case code := <-exit:
		if code != 0 {
			t.Fatalf("dev exited %d after a stop request, want 0", code)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("dev did not stop within 15s of being asked to")
	}
}
