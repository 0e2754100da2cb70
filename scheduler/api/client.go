package api

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// ClientConfig configures a Client. Only Endpoint is required.
type ClientConfig struct {
	// Endpoint is the scheduler's base URL ("http://127.0.0.1:8080").
	Endpoint string
	// Token is the API token, sent as "Authorization: token=<t>".
	Token string
	// CACertPEM, when set, is the only CA trusted for an https endpoint.
	CACertPEM string
	// InsecureSkipVerify turns off TLS certificate checks (tests only).
	InsecureSkipVerify bool
	// HTTPClient overrides the HTTP client (and so CACertPEM and
	// InsecureSkipVerify); its Timeout should be zero, deadlines come from
	// RequestTimeout and the caller's context.
	HTTPClient *http.Client
	// RequestTimeout bounds each attempt of a call (default 30s); the
	// caller's context bounds the call with its retries.
	RequestTimeout time.Duration
	// MaxRetries is how often a call is tried again after a connection
	// error, a 429, or a 5xx of an idempotent method (default 4; a negative
	// value means none).
	MaxRetries int
	// MinBackoff and MaxBackoff bound the delay between attempts, which
	// doubles from MinBackoff (defaults 250ms and 5s). A 429's or 503's
	// Retry-After is honoured up to MaxBackoff.
	MinBackoff, MaxBackoff time.Duration
	// UserAgent is sent with every request.
	UserAgent string
}

// Client is a typed client of the scheduler's REST API. It is safe for
// concurrent use.
type Client struct {
	base *url.URL
	cfg  ClientConfig
	http *http.Client
}

// NewClient returns a client for cfg.Endpoint.
func NewClient(cfg ClientConfig) (*Client, error) {
	if strings.TrimSpace(cfg.Endpoint) == "" {
		return nil, errors.New("the scheduler endpoint is empty: set it to the scheduler's URL, such as http://127.0.0.1:8080")
	}
	base, err := url.Parse(strings.TrimRight(cfg.Endpoint, "/"))
	if err != nil || (base.Scheme != "http" && base.Scheme != "https") || base.Host == "" {
		return nil, fmt.Errorf("the scheduler endpoint %q is not an http(s) URL such as http://127.0.0.1:8080", cfg.Endpoint)
	}
	if cfg.RequestTimeout <= 0 {
		cfg.RequestTimeout = 30 * time.Second
	}
	if cfg.MaxRetries == 0 {
		cfg.MaxRetries = 4
	} else if cfg.MaxRetries < 0 {
		cfg.MaxRetries = 0
	}
	if cfg.MinBackoff <= 0 {
		cfg.MinBackoff = 250 * time.Millisecond
	}
	if cfg.MaxBackoff < cfg.MinBackoff {
		cfg.MaxBackoff = max(5*time.Second, cfg.MinBackoff)
	}
	if cfg.UserAgent == "" {
		cfg.UserAgent = "kafka-scheduler-api-client"
	}
	hc := cfg.HTTPClient
	if hc == nil {
		hc, err = httpClient(cfg)
		if err != nil {
			return nil, err
		}
	}
	return &Client{base: base, cfg: cfg, http: hc}, nil
}

func httpClient(cfg ClientConfig) (*http.Client, error) {
	transport := http.DefaultTransport.(*http.Transport).Clone()
	// Keep a connection per concurrent caller (terraform runs 10 at once
	// by default): with net/http's default of 2 idle connections per host,
	// every call beyond two opened and closed a connection of its own.
	transport.MaxIdleConnsPerHost = 64
	if cfg.CACertPEM != "" || cfg.InsecureSkipVerify {
		tc := &tls.Config{MinVersion: tls.VersionTLS12, InsecureSkipVerify: cfg.InsecureSkipVerify} //nolint:gosec // opt-in, documented as tests only
		if cfg.CACertPEM != "" {
			pool := x509.NewCertPool()
			if !pool.AppendCertsFromPEM([]byte(cfg.CACertPEM)) {
				return nil, errors.New("the CA certificate holds no PEM certificate: give the CA's certificate in PEM form (-----BEGIN CERTIFICATE-----)")
			}
			tc.RootCAs = pool
		}
		transport.TLSClientConfig = tc
	}
	return &http.Client{Transport: transport}, nil
}

// BaseURL is the scheduler's base URL.
func (c *Client) BaseURL() string { return c.base.String() }

// request is one API call.
type request struct {
	method string
	// path is the escaped path ("/v1/services/prod%2Fkafka").
	path  string
	query url.Values
	body  []byte
	// header holds extra request headers (If-Match).
	header http.Header
	// ok lists the statuses that are answers, not errors (default 200).
	ok []int
	// idempotent calls are retried on 5xx as well.
	idempotent bool
}

// response is a successful answer.
type response struct {
	status int
	header http.Header
	body   []byte
}

// maxAnswerBytes bounds an answer's body (a bulk topic read of thousands
// of topics fits comfortably).
const maxAnswerBytes = 256 << 20

// do runs r with retries and returns the answer, or an *Error for a status
// r does not accept.
func (c *Client) do(ctx context.Context, r request) (response, error) {
	if len(r.ok) == 0 {
		r.ok = []int{http.StatusOK}
	}
	var lastErr error
	for attempt := 0; ; attempt++ {
		resp, retryAfter, err := c.attempt(ctx, r)
		if err == nil {
			return resp, nil
		}
		lastErr = err
		if ctx.Err() != nil {
			return response{}, lastErr
		}
		if attempt >= c.cfg.MaxRetries || !c.retryable(r, err) {
			return response{}, lastErr
		}
		wait := c.backoff(attempt, retryAfter)
		timer := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			timer.Stop()
			return response{}, fmt.Errorf("%w (gave up waiting to retry: %w)", lastErr, ctx.Err())
		case <-timer.C:
		}
	}
}

// attempt sends r once. retryAfter is the server's Retry-After, if any.
func (c *Client) attempt(ctx context.Context, r request) (response, time.Duration, error) {
	ctx, cancel := context.WithTimeout(ctx, c.cfg.RequestTimeout)
	defer cancel()
	u := *c.base
	u.RawPath = c.base.EscapedPath() + r.path
	u.Path, _ = url.PathUnescape(u.RawPath)
	if len(r.query) > 0 {
		u.RawQuery = r.query.Encode()
	}
	var body io.Reader
	if r.body != nil {
		body = bytes.NewReader(r.body)
	}
	req, err := http.NewRequestWithContext(ctx, r.method, u.String(), body)
	if err != nil {
		return response{}, 0, fmt.Errorf("%s %s: building the request: %w", r.method, r.path, err)
	}
	for k, vs := range r.header {
		req.Header[k] = vs
	}
	if r.body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", c.cfg.UserAgent)
	if c.cfg.Token != "" {
		req.Header.Set("Authorization", "token="+c.cfg.Token)
	}
	res, err := c.http.Do(req)
	if err != nil {
		return response{}, 0, &connError{method: r.method, path: r.path, err: err}
	}
	defer res.Body.Close()
	data, err := io.ReadAll(io.LimitReader(res.Body, maxAnswerBytes))
	if err != nil {
		return response{}, 0, &connError{method: r.method, path: r.path, err: fmt.Errorf("reading the answer: %w", err)}
	}
	for _, code := range r.ok {
		if res.StatusCode == code {
			return response{status: res.StatusCode, header: res.Header, body: data}, 0, nil
		}
	}
	return response{}, retryAfter(res.Header), answerError(r, res, data)
}

// answerError turns an unexpected answer into an *Error.
func answerError(r request, res *http.Response, data []byte) *Error {
	e := &Error{Method: r.method, Path: r.path, StatusCode: res.StatusCode}
	var body ErrorBody
	if json.Unmarshal(data, &body) == nil && body.Message != "" {
		e.Message, e.Problems = body.Message, body.Problems
	} else {
		e.Message = strings.TrimSpace(string(data))
		if len(e.Message) > 512 {
			e.Message = e.Message[:512] + "…"
		}
	}
	if res.StatusCode == http.StatusPreconditionFailed {
		e.CurrentConfigID = strings.Trim(res.Header.Get("ETag"), `"`)
	}
	return e
}

// connError is a failure to get an answer at all.
type connError struct {
	method, path string
	err          error
}

func (e *connError) Error() string {
	return fmt.Sprintf("%s %s: no answer from the scheduler: %v", e.method, e.path, e.err)
}
func (e *connError) Unwrap() error { return e.err }

// retryable says whether err is worth another attempt: connection errors
// (for a call that is not idempotent, only when it never reached the
// server), 429, and 5xx for idempotent calls (a
// 503 for any call: the server did not act on it).
func (c *Client) retryable(r request, err error) bool {
	var ce *connError
	if errors.As(err, &ce) {
		if errors.Is(err, context.Canceled) {
			return false
		}
		return r.idempotent || isRefused(err)
	}
	switch code := StatusOf(err); {
	case code == http.StatusTooManyRequests, code == http.StatusServiceUnavailable:
		return true
	case code >= 500:
		return r.idempotent
	}
	return false
}

// isRefused is true when the connection was refused or reset before the
// request could reach the server, so that retrying a non-idempotent call
// is safe.
func isRefused(err error) bool {
	var oe *net.OpError
	return errors.As(err, &oe) && oe.Op == "dial"
}

// backoff is the delay before attempt+1: doubling from MinBackoff with
// jitter, or the server's Retry-After, bounded by MaxBackoff.
func (c *Client) backoff(attempt int, retryAfter time.Duration) time.Duration {
	if retryAfter > 0 {
		return min(retryAfter, c.cfg.MaxBackoff)
	}
	d := c.cfg.MinBackoff << min(attempt, 20)
	if d <= 0 || d > c.cfg.MaxBackoff {
		d = c.cfg.MaxBackoff
	}
	return d/2 + rand.N(d/2+1)
}

// retryAfter reads a Retry-After header in seconds or as an HTTP date.
func retryAfter(h http.Header) time.Duration {
	v := h.Get("Retry-After")
	if v == "" {
		return 0
	}
	if s, err := strconv.Atoi(v); err == nil && s >= 0 {
		return time.Duration(s) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil {
		return time.Until(t)
	}
	return 0
}

// getJSON GETs path and decodes the answer into v.
func (c *Client) getJSON(ctx context.Context, path string, v any) error {
	res, err := c.do(ctx, request{method: http.MethodGet, path: path, idempotent: true})
	if err != nil {
		return err
	}
	return decode(res, path, v)
}

func decode(res response, path string, v any) error {
	if err := json.Unmarshal(res.body, v); err != nil {
		return fmt.Errorf("decoding the answer of %s: %w", path, err)
	}
	return nil
}

// servicePath is the escaped path of a service under prefix: folder names
// ("prod/kafka") travel escaped in one segment ("prod%2Fkafka").
func servicePath(prefix, name string, rest ...string) string {
	p := prefix + url.PathEscape(name)
	for _, r := range rest {
		p += "/" + r
	}
	return p
}
