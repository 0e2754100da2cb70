package main

import (
	"bufio"
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/httpapi"
	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/service"
)

// stubBackend counts PUTs; the limits tests only need the management API.
type stubBackend struct {
	mu   sync.Mutex
	puts int
}

func (b *stubBackend) Services(context.Context) ([]service.ServiceSummary, error) { return nil, nil }
func (b *stubBackend) PutService(context.Context, string, []byte, string) (service.PutResult, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.puts++
	return service.PutResult{Name: "x", ConfigID: "c", Created: true, Changed: true}, nil
}
func (b *stubBackend) GetService(context.Context, string) (service.ServiceDetail, error) {
	return service.ServiceDetail{}, &service.NotFoundError{Kind: "Service", Name: "x"}
}
func (b *stubBackend) DeleteService(context.Context, string, string) error { return nil }
func (b *stubBackend) PreviewService(context.Context, string, []byte) (service.Preview, error) {
	return service.Preview{}, nil
}
func (b *stubBackend) Service(name string) (httpapi.Service, error) {
	return nil, &service.NotFoundError{Kind: "Service", Name: name}
}

func (b *stubBackend) Kafka(_ context.Context, name string) (httpapi.Kafka, error) {
	return nil, &service.NotFoundError{Kind: "Service", Name: name}
}

func (b *stubBackend) putCount() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.puts
}

// serveWithLimits serves the real API handler with limits on a real
// socket and returns its address.
func serveWithLimits(t *testing.T, limits httpLimits, b *stubBackend) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	srv := newHTTPServer(httpapi.NewHandler(httpapi.Config{Backend: b, Token: "t", Logger: log}), limits, log)
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { _ = srv.Close() })
	return ln.Addr().String()
}

var testLimits = httpLimits{
	readHeader: 300 * time.Millisecond, read: 600 * time.Millisecond,
	write: 2 * time.Second, idle: 400 * time.Millisecond, maxHeaderBytes: 4 << 10,
}

// readAnswer reads what the server sends until it closes the connection or
// deadline passes; it returns the status line ("" if none) and whether the
// connection was closed.
func readAnswer(t *testing.T, conn net.Conn, deadline time.Duration) (status string, closed bool) {
	t.Helper()
	_ = conn.SetReadDeadline(time.Now().Add(deadline))
	r := bufio.NewReader(conn)
	line, err := r.ReadString('\n')
	if err == nil {
		status = strings.TrimSpace(line)
		_, err = io.Copy(io.Discard, r)
	}
	var netErr net.Error
	if errors.As(err, &netErr) && netErr.Timeout() {
		return status, false
	}
	return status, true // EOF or reset: the server closed the connection
}

// TestStalledBodyIsCutOffWithinTheReadTimeout is issue 15's fault 5: a PUT
// that declares 1,000 bytes and sends 10 used to be held open for ever. Now
// the server answers 408 and closes the connection once the read timeout
// has passed, and nothing is installed.
func TestStalledBodyIsCutOffWithinTheReadTimeout(t *testing.T) {
	b := &stubBackend{}
	addr := serveWithLimits(t, testLimits, b)
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	start := time.Now()
	_, err = io.WriteString(conn, "PUT /v1/services/x HTTP/1.1\r\nHost: test\r\nAuthorization: token=t\r\n"+
		"Content-Type: application/json\r\nContent-Length: 1000\r\n\r\n{\"brokers\"")
	if err != nil {
		t.Fatal(err)
	}
	status, closed := readAnswer(t, conn, testLimits.read+3*time.Second)
	elapsed := time.Since(start)
	if !closed {
		t.Fatalf("the connection is still open %v after a stalled body (read timeout %v)", elapsed, testLimits.read)
	}
	if status != "" && !strings.HasPrefix(status, "HTTP/1.1 408") {
		t.Fatalf("answer %q, want 408 or a closed connection", status)
	}
	if elapsed < testLimits.read/2 {
		t.Errorf("cut off after %v, before the read timeout %v", elapsed, testLimits.read)
	}
	if b.putCount() != 0 {
		t.Fatal("a partial body was installed")
	}
	t.Logf("stalled body: %q after %v", status, elapsed.Round(time.Millisecond))
}

func TestStalledHeadersAreCutOff(t *testing.T) {
	addr := serveWithLimits(t, testLimits, &stubBackend{})
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := io.WriteString(conn, "GET /v1/services HTTP/1.1\r\nHost: te"); err != nil {
		t.Fatal(err)
	}
	if _, closed := readAnswer(t, conn, testLimits.readHeader+3*time.Second); !closed {
		t.Fatal("a connection that never finishes its headers stays open")
	}
}

func TestOversizeHeadersAre431(t *testing.T) {
	addr := serveWithLimits(t, testLimits, &stubBackend{})
	req, err := http.NewRequest("GET", "http://"+addr+"/v1/services", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "token=t")
	req.Header.Set("X-Padding", strings.Repeat("p", 2*testLimits.maxHeaderBytes))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusRequestHeaderFieldsTooLarge {
		t.Fatalf("status %d, want 431", resp.StatusCode)
	}
}

func TestIdleConnectionsAreClosed(t *testing.T) {
	addr := serveWithLimits(t, testLimits, &stubBackend{})
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := io.WriteString(conn, "GET /v1/services HTTP/1.1\r\nHost: test\r\nAuthorization: token=t\r\n\r\n"); err != nil {
		t.Fatal(err)
	}
	_ = conn.SetReadDeadline(time.Now().Add(3 * time.Second))
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatal(err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("status %d", resp.StatusCode)
	}
	// The keep-alive connection now idles; the server closes it.
	if _, closed := readAnswer(t, conn, testLimits.idle+3*time.Second); !closed {
		t.Fatal("an idle keep-alive connection stays open")
	}
}

func TestAPILimitsAreSet(t *testing.T) {
	srv := newHTTPServer(http.NotFoundHandler(), apiLimits, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if srv.ReadTimeout <= 0 || srv.WriteTimeout <= srv.ReadTimeout || srv.IdleTimeout <= 0 || srv.ReadHeaderTimeout <= 0 ||
		srv.ReadHeaderTimeout > srv.ReadTimeout || srv.MaxHeaderBytes <= 0 || srv.MaxHeaderBytes > 1<<20 {
		t.Fatalf("server limits %+v", apiLimits)
	}
}
