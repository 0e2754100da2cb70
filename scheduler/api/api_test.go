package api

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

type fakeBackend struct {
	services []ServiceSummary
	err      error
}

func (f fakeBackend) Services(context.Context) ([]ServiceSummary, error) { return f.services, f.err }

func do(t *testing.T, h http.Handler, method, path, auth string) *httptest.ResponseRecorder {
	t.Helper()
	req := httptest.NewRequest(method, path, nil)
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

func TestTokenAuth(t *testing.T) {
	h := NewHandler(Config{Backend: fakeBackend{services: []ServiceSummary{{Name: "kafka"}}}, Token: "s3cret"})
	cases := []struct {
		name, path, auth string
		want             int
	}{
		{"health needs no token", "/v1/health", "", http.StatusOK},
		{"no token", "/v1/services", "", http.StatusUnauthorized},
		{"wrong token", "/v1/services", "token=nope", http.StatusUnauthorized},
		{"DC/OS form", "/v1/services", "token=s3cret", http.StatusOK},
		{"bearer form", "/v1/services", "Bearer s3cret", http.StatusOK},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			rec := do(t, h, http.MethodGet, c.path, c.auth)
			if rec.Code != c.want {
				t.Fatalf("status = %d, want %d (body %s)", rec.Code, c.want, rec.Body)
			}
			if strings.Contains(rec.Body.String(), "s3cret") {
				t.Fatal("the answer echoes the token")
			}
		})
	}
}

func TestListServicesAndErrorsAreJSON(t *testing.T) {
	rec := do(t, NewHandler(Config{Backend: fakeBackend{}}), http.MethodGet, "/v1/services", "")
	if rec.Code != http.StatusOK || strings.TrimSpace(rec.Body.String()) != "[]" {
		t.Fatalf("empty list: %d %s, want 200 []", rec.Code, rec.Body)
	}

	rec = do(t, NewHandler(Config{Backend: fakeBackend{err: errors.New("zk down")}}), http.MethodGet, "/v1/services", "")
	var body errorBody
	if rec.Code != http.StatusServiceUnavailable || json.Unmarshal(rec.Body.Bytes(), &body) != nil || !strings.Contains(body.Message, "zk down") {
		t.Fatalf("backend failure: %d %s, want 503 with a JSON message", rec.Code, rec.Body)
	}

	rec = do(t, NewHandler(Config{Backend: fakeBackend{}}), http.MethodGet, "/v1/nothing", "")
	if rec.Code != http.StatusNotFound || json.Unmarshal(rec.Body.Bytes(), &body) != nil {
		t.Fatalf("unknown path: %d %s, want a JSON 404", rec.Code, rec.Body)
	}
	rec = do(t, NewHandler(Config{Backend: fakeBackend{}}), http.MethodDelete, "/v1/services", "")
	if rec.Code != http.StatusMethodNotAllowed {
		t.Fatalf("wrong method: %d, want 405", rec.Code)
	}
}
