package httpapi

import (
	"bytes"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/api"
	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/plan"
	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/service"
	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/state"
	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/validation"
)

func TestTokenAuth(t *testing.T) {
	cases := []struct {
		name, method, path, auth string
		want                     int
	}{
		{"scheduler health needs no token", "GET", "/v1/health", "", http.StatusOK},
		{"service health needs no token", "GET", "/service/kafka/v1/health", "", http.StatusOK},
		{"folder service health needs no token", "GET", "/service/prod/kafka/v1/health", "", http.StatusOK},
		{"no token", "GET", "/v1/services", "", http.StatusUnauthorized},
		{"wrong token", "GET", "/v1/services", "token=nope", http.StatusUnauthorized},
		{"empty bearer", "GET", "/v1/services", "Bearer ", http.StatusUnauthorized},
		{"DC/OS form", "GET", "/v1/services", "token=" + testToken, http.StatusOK},
		{"bearer form", "GET", "/v1/services", "Bearer " + testToken, http.StatusOK},
		{"bearer any case", "GET", "/v1/services", "bearer " + testToken, http.StatusOK},
		{"get service without token", "GET", "/v1/services/kafka", "", http.StatusUnauthorized},
		{"put without token", "PUT", "/v1/services/kafka", "", http.StatusUnauthorized},
		{"delete without token", "DELETE", "/v1/services/kafka", "", http.StatusUnauthorized},
		{"preview without token", "POST", "/v1/services/kafka/preview", "", http.StatusUnauthorized},
		{"plans without token", "GET", "/service/kafka/v1/plans", "", http.StatusUnauthorized},
		{"plan command without token", "POST", "/service/kafka/v1/plans/deploy/continue", "", http.StatusUnauthorized},
		{"plans with token", "GET", "/service/kafka/v1/plans", "token=" + testToken, http.StatusOK},
		{"plans with bearer", "GET", "/service/prod%2Fkafka/v1/plans", "Bearer " + testToken, http.StatusOK},
		{"unknown service hidden without token", "GET", "/service/nope/v1/plans", "", http.StatusUnauthorized},
		{"metrics without token", "GET", "/service/kafka/v1/metrics", "", http.StatusUnauthorized},
		{"debug without token", "GET", "/service/kafka/v2/debug/offers", "", http.StatusUnauthorized},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var logs bytes.Buffer
			b := newFakeBackend()
			h := NewHandler(Config{Backend: b, Token: testToken, Logger: slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))})
			rec := do(t, h, c.method, c.path, c.auth, "")
			wantStatus(t, rec, c.want)
			if strings.Contains(rec.Body.String(), testToken) || strings.Contains(logs.String(), testToken) {
				t.Fatal("the token is echoed or logged")
			}
			if c.want == http.StatusUnauthorized {
				decode[api.ErrorBody](t, rec)
				if rec.Header().Get("WWW-Authenticate") == "" {
					t.Error("a 401 has no WWW-Authenticate header")
				}
				if len(b.calls) != 0 {
					t.Errorf("the backend was called without a valid token: %v", b.calls)
				}
			}
		})
	}
}

func TestNoTokenConfiguredMeansOpen(t *testing.T) {
	h := NewHandler(Config{Backend: newFakeBackend()})
	wantStatus(t, do(t, h, "GET", "/v1/services", "", ""), http.StatusOK)
	wantStatus(t, do(t, h, "GET", "/service/kafka/v1/plans", "", ""), http.StatusOK)
}

func TestFolderNamesReachTheBackend(t *testing.T) {
	cases := []struct {
		method, path, wantCall string
	}{
		{"GET", "/v1/services/prod/kafka", "GetService"},
		{"GET", "/v1/services/prod%2Fkafka", "GetService"},
		{"GET", "/v1/services/prod%2fkafka", "GetService"},
		{"PUT", "/v1/services/prod/kafka", "PutService"},
		{"PUT", "/v1/services/prod%2Fkafka", "PutService"},
		{"DELETE", "/v1/services/prod/kafka", "DeleteService"},
		{"DELETE", "/v1/services/prod%2Fkafka", "DeleteService"},
		{"POST", "/v1/services/prod/kafka/preview", "PreviewService"},
		{"POST", "/v1/services/prod%2Fkafka/preview", "PreviewService"},
		{"GET", "/service/prod/kafka/v1/plans", "Service"},
		{"GET", "/service/prod%2Fkafka/v1/plans", "Service"},
		{"GET", "/service/prod/kafka/v1/health", "Service"},
		{"GET", "/service/prod%2Fkafka/v2/debug/offers", "Service"},
	}
	for _, c := range cases {
		t.Run(c.method+" "+c.path, func(t *testing.T) {
			b := newFakeBackend()
			rec := do(t, NewHandler(Config{Backend: b}), c.method, c.path, "", `{}`)
			if rec.Code >= 300 {
				t.Fatalf("status = %d (body %s)", rec.Code, rec.Body)
			}
			if len(b.calls) != 1 || b.calls[0].Method != c.wantCall || b.calls[0].Name != "prod/kafka" {
				t.Fatalf("backend calls = %+v, want one %s(prod/kafka)", b.calls, c.wantCall)
			}
		})
	}
}

// TestEscapedPercent checks that routing works on the escaped path: "%25"
// is a literal "%" in the name, never the start of another escape.
func TestEscapedPercent(t *testing.T) {
	for _, c := range []struct{ path, method, name string }{
		{"/v1/services/a%25b", "GetService", "a%b"},
		{"/v1/services/a%252Fb", "GetService", "a%2Fb"},
		{"/service/a%25b/v1/plans", "Service", "a%b"},
	} {
		b := newFakeBackend()
		do(t, NewHandler(Config{Backend: b}), "GET", c.path, "", "")
		if len(b.calls) != 1 || b.calls[0] != (call{Method: c.method, Name: c.name}) {
			t.Errorf("GET %s: calls = %+v, want %s(%s)", c.path, b.calls, c.method, c.name)
		}
	}
}

func TestInvalidServiceNames(t *testing.T) {
	for _, path := range []string{
		"/v1/services/",
		"/v1/services/prod%2F%2Fkafka",
		"/v1/services/prod/../kafka",
		"/v1/services/%2Fkafka",
		"/service//kafka/v1/plans",
		"/service/prod/./kafka/v1/plans",
		"/service/prod%2F/v1/plans",
	} {
		t.Run(path, func(t *testing.T) {
			b := newFakeBackend()
			rec := do(t, NewHandler(Config{Backend: b}), "GET", path, "", "")
			wantStatus(t, rec, http.StatusBadRequest)
			if !strings.Contains(decode[api.ErrorBody](t, rec).Message, "invalid service name") {
				t.Errorf("message does not say what is wrong: %s", rec.Body)
			}
			if len(b.calls) != 0 {
				t.Errorf("backend called with an invalid name: %+v", b.calls)
			}
		})
	}
}

func TestUnknownRoutes(t *testing.T) {
	h := NewHandler(Config{Backend: newFakeBackend()})
	cases := []struct {
		method, path string
		want         int
	}{
		{"GET", "/v1/nothing", http.StatusNotFound},
		{"DELETE", "/v1/services", http.StatusMethodNotAllowed},
		{"PATCH", "/v1/services/kafka", http.StatusMethodNotAllowed},
		{"POST", "/v1/services/kafka", http.StatusMethodNotAllowed},
		{"GET", "/service/kafka", http.StatusNotFound},
		{"GET", "/service/kafka/plans", http.StatusNotFound},
		{"GET", "/service/kafka/v1/nothing", http.StatusNotFound},
		{"DELETE", "/service/kafka/v1/plans", http.StatusMethodNotAllowed},
		{"GET", "/service/kafka/v1/plans/deploy/continue", http.StatusMethodNotAllowed},
	}
	for _, c := range cases {
		t.Run(c.method+" "+c.path, func(t *testing.T) {
			rec := do(t, h, c.method, c.path, "", "")
			wantStatus(t, rec, c.want)
			decode[api.ErrorBody](t, rec)
		})
	}
}

func TestUnknownService(t *testing.T) {
	h := NewHandler(Config{Backend: newFakeBackend(), Token: testToken})
	cases := []struct{ path, name string }{
		{"/service/nope/v1/plans", "nope"},
		{"/service/prod/nope/v1/pod", "prod/nope"},
		{"/service/prod%2Fnope/v1/endpoints", "prod/nope"},
		{"/service/nope/v1/health", "nope"},
	}
	for _, c := range cases {
		rec := do(t, h, "GET", c.path, "token="+testToken, "")
		wantStatus(t, rec, http.StatusNotFound)
		wantMessage(t, rec, "Service "+c.name+" not found")
	}
}

func TestErrorMapping(t *testing.T) {
	problems := validation.Problems{
		{Field: "brokers.count", Value: "0", Rule: "must be at least 1"},
		{Field: "brokers.heap.size", Value: "x", Rule: "must be a number of MB"},
	}
	cases := []struct {
		name string
		err  error
		want int
		msg  string // a substring of the message
	}{
		{"not found", &service.NotFoundError{Kind: "Service", Name: "kafka"}, http.StatusNotFound, "Service kafka not found"},
		{"wrapped not found", fmt.Errorf("reading: %w", &service.NotFoundError{Kind: "Service", Name: "kafka"}), http.StatusNotFound, "Service kafka not found"},
		{"conflict", fmt.Errorf("kafka is uninstalling: %w", service.ErrConflict), http.StatusConflict, "kafka is uninstalling"},
		{"unavailable", fmt.Errorf("reading the target: %w", state.ErrUnavailable), http.StatusServiceUnavailable, "state store unavailable"},
		{"already reported", plan.ErrAlreadyReported, http.StatusAlreadyReported, alreadyReported},
		{"missing phase", plan.ErrMissingPhase, http.StatusBadRequest, "Missing phase"},
		{"phase not found", &plan.NotFoundError{Kind: "Phase", Name: "x"}, http.StatusNotFound, "Phase x not found"},
		{"bad parameter", &plan.InvalidParameterError{Names: []string{"1A"}}, http.StatusBadRequest, "Couldn't parse parameters: 1A"},
		{"other", errors.New("disk on fire"), http.StatusInternalServerError, "disk on fire"},
		{"problems", problems, http.StatusBadRequest, "brokers.count"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			b := newFakeBackend()
			b.err = c.err
			rec := do(t, NewHandler(Config{Backend: b}), "GET", "/v1/services/kafka", "", "")
			wantStatus(t, rec, c.want)
			if msg := decode[api.ErrorBody](t, rec).Message; !strings.Contains(msg, c.msg) {
				t.Fatalf("message %q does not contain %q", msg, c.msg)
			}
		})
	}
}

func TestValidationProblemsListEveryProblem(t *testing.T) {
	b := newFakeBackend()
	b.err = fmt.Errorf("updating kafka: %w", validation.Problems{
		{Field: "brokers.count", Value: "2", Rule: "cannot shrink from 3"},
		{Field: "brokers.disk", Value: "10", Rule: "cannot change a volume"},
	})
	rec := do(t, NewHandler(Config{Backend: b}), "PUT", "/v1/services/kafka", "", `{"brokers":{"count":2}}`)
	wantStatus(t, rec, http.StatusBadRequest)
	body := decode[api.ErrorBody](t, rec)
	for _, want := range []string{"brokers.count", "cannot shrink from 3", "brokers.disk", "cannot change a volume"} {
		if !strings.Contains(body.Message, want) {
			t.Errorf("message %q does not list %q", body.Message, want)
		}
	}
	want := []api.Problem{
		{Field: "brokers.count", Value: "2", Rule: "cannot shrink from 3"},
		{Field: "brokers.disk", Value: "10", Rule: "cannot change a volume"},
	}
	if !slices.Equal(body.Problems, want) {
		t.Errorf("problems = %+v, want %+v", body.Problems, want)
	}
	if !strings.Contains(rec.Body.String(), `"field":"brokers.count","value":"2","rule":"cannot shrink from 3"`) {
		t.Errorf("problems are not {field, value, rule} objects: %s", rec.Body)
	}
}

func TestServerErrorsAreLogged(t *testing.T) {
	var logs bytes.Buffer
	b := newFakeBackend()
	b.err = errors.New("disk on fire")
	h := NewHandler(Config{Backend: b, Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	wantStatus(t, do(t, h, "GET", "/v1/services", "", ""), http.StatusInternalServerError)
	if !strings.Contains(logs.String(), "disk on fire") {
		t.Fatalf("a 500 was not logged: %q", logs.String())
	}
}
