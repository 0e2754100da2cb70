package api

import (
	"context"
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// server answers with the statuses in order (the last one repeats) and
// counts the requests.
func server(t *testing.T, statuses ...int) (*httptest.Server, *atomic.Int32) {
	t.Helper()
	var n atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		i := int(n.Add(1)) - 1
		code := statuses[min(i, len(statuses)-1)]
		if code == http.StatusTooManyRequests {
			w.Header().Set("Retry-After", "0")
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(code)
		if code >= 400 {
			_ = json.NewEncoder(w).Encode(ErrorBody{Message: http.StatusText(code)})
			return
		}
		_, _ = w.Write([]byte(`[{"name":"kafka"}]`))
	}))
	t.Cleanup(srv.Close)
	return srv, &n
}

func client(t *testing.T, endpoint string, retries int) *Client {
	t.Helper()
	c, err := NewClient(ClientConfig{Endpoint: endpoint, MaxRetries: retries, MinBackoff: time.Millisecond, MaxBackoff: 2 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestRetries(t *testing.T) {
	cases := []struct {
		name     string
		statuses []int
		call     func(*Client) error
		wantErr  int // 0: success
		attempts int32
	}{
		{"5xx on an idempotent call is retried", []int{500, 502, 200}, list, 0, 3},
		{"429 is retried", []int{429, 200}, list, 0, 2},
		{"503 on a preview is retried", []int{503, 200}, preview, 0, 2},
		{"4xx is not retried", []int{404}, list, 404, 1},
		{"retries are bounded", []int{500}, list, 500, 3},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			srv, n := server(t, c.statuses...)
			err := c.call(client(t, srv.URL, 2))
			if StatusOf(err) != c.wantErr || (c.wantErr == 0) != (err == nil) {
				t.Fatalf("err = %v, want status %d", err, c.wantErr)
			}
			if n.Load() != c.attempts {
				t.Errorf("attempts = %d, want %d", n.Load(), c.attempts)
			}
		})
	}
}

func list(c *Client) error {
	_, err := c.Services(context.Background())
	return err
}

func preview(c *Client) error {
	// The fake answers a list; decoding into a Preview fails, which is
	// not what these cases test, so only the status matters.
	_, err := c.PreviewService(context.Background(), "kafka", json.RawMessage(`{}`))
	if err != nil && StatusOf(err) == 0 && strings.Contains(err.Error(), "decoding") {
		return nil
	}
	return err
}

func TestConnectionRefusedIsRetriedThenReported(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close() // nothing listens there now
	c := client(t, "http://"+addr, 2)
	_, err = c.Services(context.Background())
	if err == nil || StatusOf(err) != 0 || !strings.Contains(err.Error(), "no answer from the scheduler") {
		t.Fatalf("err = %v, want a connection error", err)
	}
}

func TestDeadlineStopsRetries(t *testing.T) {
	srv, _ := server(t, 500)
	c, err := NewClient(ClientConfig{Endpoint: srv.URL, MaxRetries: 1000, MinBackoff: 20 * time.Millisecond, MaxBackoff: 20 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	_, err = c.Services(ctx)
	if StatusOf(err) != 500 || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v, want the last 500 and the deadline", err)
	}
}

func TestPreconditionFailedCarriesCurrentID(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("If-Match") != `"old"` {
			t.Errorf("If-Match = %q", r.Header.Get("If-Match"))
		}
		w.Header().Set("ETag", `"new"`)
		w.WriteHeader(http.StatusPreconditionFailed)
		_, _ = w.Write([]byte(`{"message":"the target configuration is now new"}`))
	}))
	defer srv.Close()
	_, err := client(t, srv.URL, 2).PutService(context.Background(), "kafka", json.RawMessage(`{}`), PutOptions{IfMatch: "old"})
	var e *Error
	if !IsPreconditionFailed(err) || !errors.As(err, &e) || e.CurrentConfigID != "new" {
		t.Fatalf("err = %#v", err)
	}
}

func TestNewClientRejectsBadEndpoints(t *testing.T) {
	for _, ep := range []string{"", "127.0.0.1:8080", "ftp://x", "http://"} {
		if _, err := NewClient(ClientConfig{Endpoint: ep}); err == nil {
			t.Errorf("NewClient(%q) accepted", ep)
		}
	}
	if _, err := NewClient(ClientConfig{Endpoint: "https://x", CACertPEM: "not pem"}); err == nil || !strings.Contains(err.Error(), "PEM") {
		t.Errorf("bad CA: %v", err)
	}
}

func TestServicePathEscapesFolders(t *testing.T) {
	if got := servicePath("/v1/services/", "prod/kafka", "preview"); got != "/v1/services/prod%2Fkafka/preview" {
		t.Errorf("servicePath = %q", got)
	}
}
