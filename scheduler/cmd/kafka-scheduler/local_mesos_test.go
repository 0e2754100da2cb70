package main

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"strings"
	"sync"
	"testing"
	"time"
)

// syncBuffer is a goroutine-safe output buffer.
type syncBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func lineValue(out, prefix string) string {
	sc := bufio.NewScanner(strings.NewReader(out))
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), prefix); ok {
			return strings.TrimSpace(v)
		}
	}
	return ""
}

func TestLocalMesosCommandServesUntilCancelled(t *testing.T) {
	workDir := t.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var stdout, stderr syncBuffer
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, []string{"local-mesos", "--listen", "127.0.0.1:0", "--agents", "2", "--cpus", "2", "--mem", "1024",
			"--disk", "1024", "--ports", "31000-31010,32000-32000", "--mount-disks", "100", "--zones", "z1,z2", "--work-dir", workDir}, &stdout, &stderr)
	}()
	var url, state string
	deadline := time.Now().Add(30 * time.Second)
	for url == "" || state == "" {
		if time.Now().After(deadline) {
			t.Fatalf("no URLs printed; stdout:\n%s\nstderr:\n%s", stdout.String(), stderr.String())
		}
		select {
		case code := <-done:
			t.Fatalf("exited early with %d: %s", code, stderr.String())
		default:
		}
		url = lineValue(stdout.String(), "scheduler API:")
		state = lineValue(stdout.String(), "state:")
		time.Sleep(10 * time.Millisecond)
	}
	if !strings.HasPrefix(url, "http://127.0.0.1:") || !strings.HasSuffix(url, "/api/v1/scheduler") {
		t.Fatalf("scheduler API URL = %q", url)
	}

	// The printed URL speaks the scheduler API.
	req, _ := http.NewRequest(http.MethodPost, url, strings.NewReader(`{"type":"SUBSCRIBE","subscribe":{"framework_info":{"user":"u","name":"cli-test"}}}`))
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Mesos-Stream-Id") == "" {
		t.Fatalf("SUBSCRIBE: %d", resp.StatusCode)
	}
	resp.Body.Close()

	// The state URL shows the configured agents.
	resp, err = http.Get(state)
	if err != nil {
		t.Fatal(err)
	}
	var snap struct {
		Agents []struct {
			Hostname string `json:"hostname"`
			Master   struct {
				Total []struct {
					Name       string  `json:"name"`
					Scalar     float64 `json:"scalar"`
					DiskSource string  `json:"disk_source"`
				} `json:"total"`
			} `json:"master"`
		} `json:"agents"`
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err := json.Unmarshal(body, &snap); err != nil {
		t.Fatalf("state: %v\n%s", err, body)
	}
	if len(snap.Agents) != 2 || snap.Agents[0].Hostname == snap.Agents[1].Hostname {
		t.Fatalf("two agents with their own addresses: %s", body)
	}
	mounts := 0
	for _, r := range snap.Agents[0].Master.Total {
		if r.DiskSource == "MOUNT" && r.Scalar == 100 {
			mounts++
		}
	}
	if mounts != 1 {
		t.Fatalf("the MOUNT disk is part of the agent: %s", body)
	}

	cancel()
	select {
	case code := <-done:
		if code != 0 {
			t.Fatalf("exit code %d: %s", code, stderr.String())
		}
	case <-time.After(30 * time.Second):
		t.Fatal("local-mesos did not stop after cancellation")
	}
	if _, err := os.Stat(workDir); err != nil {
		t.Fatal("an explicit --work-dir is kept")
	}
}

func TestLocalMesosCommandRejectsBadFlags(t *testing.T) {
	cases := map[string][]string{
		`--ports="5-1"`:        {"--ports", "5-1"},
		"--agents=0":           {"--agents", "0"},
		`--mount-disks="x"`:    {"--mount-disks", "x"},
		"inside 127.0.0.0/8":   {"--address-block", "10.0.0.0/24", "--listen", "127.0.0.1:0"},
		"unexpected arguments": {"extra"},
	}
	for want, args := range cases {
		var stdout, stderr syncBuffer
		code := run(context.Background(), append([]string{"local-mesos"}, args...), &stdout, &stderr)
		if code != 1 || !strings.Contains(stderr.String(), want) {
			t.Errorf("%v: exit %d, stderr %q", args, code, stderr.String())
		}
	}
}
