package httpapi

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/api"
	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/service"
)

func TestListServices(t *testing.T) {
	b := newFakeBackend()
	rec := do(t, NewHandler(Config{Backend: b}), "GET", "/v1/services", "", "")
	wantStatus(t, rec, http.StatusOK)
	got := decode[[]api.ServiceSummary](t, rec)
	if len(got) != 2 || got[0].Name != "kafka" || got[1].Name != "prod/kafka" {
		t.Fatalf("services = %+v", got)
	}

	b.services = nil
	rec = do(t, NewHandler(Config{Backend: b}), "GET", "/v1/services", "", "")
	if rec.Code != http.StatusOK || strings.TrimSpace(rec.Body.String()) != "[]" {
		t.Fatalf("empty list: %d %s, want 200 []", rec.Code, rec.Body)
	}
}

func TestPutService(t *testing.T) {
	cases := []struct {
		name    string
		created bool
		body    string
		want    int
		options string // what the backend must receive
	}{
		{"install", true, `{"brokers":{"count":3}}`, http.StatusCreated, `{"brokers":{"count":3}}`},
		{"update", false, `{"brokers":{"count":4}}`, http.StatusOK, `{"brokers":{"count":4}}`},
		{"empty body means defaults", true, "", http.StatusCreated, `{}`},
		{"surrounding space", false, " \n{\"kafka\":{}}\n", http.StatusOK, `{"kafka":{}}`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			b := newFakeBackend()
			b.put.Created = c.created
			rec := do(t, NewHandler(Config{Backend: b}), "PUT", "/v1/services/kafka", "", c.body)
			wantStatus(t, rec, c.want)
			got := decode[api.PutResult](t, rec)
			if got != (api.PutResult{Name: "kafka", ConfigID: testConfig, Created: c.created, Changed: true}) {
				t.Errorf("body = %+v", got)
			}
			if len(b.calls) != 1 || b.calls[0] != (call{"PutService", "kafka", c.options}) {
				t.Errorf("calls = %+v, want PutService(kafka, %s)", b.calls, c.options)
			}
		})
	}
}

func TestPutServiceRejectsBadBodies(t *testing.T) {
	exactly1MiB := `{"a":"` + strings.Repeat("x", maxBodyBytes-len(`{"a":""}`)) + `"}`
	cases := []struct {
		name, body string
		want       int
		msg        string
	}{
		{"too large", exactly1MiB + " ", http.StatusRequestEntityTooLarge, "larger than the limit of 1 MiB"},
		{"much too large", strings.Repeat(" ", 3*maxBodyBytes), http.StatusRequestEntityTooLarge, "1 MiB"},
		{"not JSON", `{"brokers":`, http.StatusBadRequest, "not valid JSON"},
		{"not an object", `[1,2]`, http.StatusBadRequest, "must be a JSON object"},
		{"null", `null`, http.StatusBadRequest, "must be a JSON object"},
		{"trailing garbage", `{} {}`, http.StatusBadRequest, "not valid JSON"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			for _, path := range []string{"/v1/services/kafka", "/v1/services/kafka/preview"} {
				b := newFakeBackend()
				method := "PUT"
				if strings.HasSuffix(path, "/preview") {
					method = "POST"
				}
				rec := do(t, NewHandler(Config{Backend: b}), method, path, "", c.body)
				wantStatus(t, rec, c.want)
				if msg := decode[api.ErrorBody](t, rec).Message; !strings.Contains(msg, c.msg) {
					t.Errorf("%s %s: message %q does not contain %q", method, path, msg, c.msg)
				}
				if len(b.calls) != 0 {
					t.Errorf("%s %s: backend called: %+v", method, path, b.calls)
				}
			}
		})
	}

	t.Run("exactly 1 MiB is accepted", func(t *testing.T) {
		b := newFakeBackend()
		rec := do(t, NewHandler(Config{Backend: b}), "PUT", "/v1/services/kafka", "", exactly1MiB)
		wantStatus(t, rec, http.StatusCreated)
		if len(b.calls) != 1 || len(b.calls[0].Options) != maxBodyBytes {
			t.Fatalf("the backend did not get the whole body")
		}
	})
}

func TestGetService(t *testing.T) {
	b := newFakeBackend()
	rec := do(t, NewHandler(Config{Backend: b}), "GET", "/v1/services/kafka", "", "")
	wantStatus(t, rec, http.StatusOK)
	got := decode[map[string]json.RawMessage](t, rec)
	for _, key := range []string{"name", "config_id", "uninstalling", "status", "options", "plan"} {
		if _, ok := got[key]; !ok {
			t.Errorf("detail has no %q: %s", key, rec.Body)
		}
	}
	if string(got["name"]) != `"kafka"` || string(got["status"]) != `"COMPLETE"` || string(got["options"]) != `{"brokers":{"count":3}}` {
		t.Errorf("detail = %s", rec.Body)
	}
}

func TestDeleteService(t *testing.T) {
	for _, c := range []struct{ path, name string }{{"/v1/services/kafka", "kafka"}, {"/v1/services/prod/kafka", "prod/kafka"}} {
		b := newFakeBackend()
		rec := do(t, NewHandler(Config{Backend: b}), "DELETE", c.path, "", "")
		wantStatus(t, rec, http.StatusAccepted)
		wantMessage(t, rec, "uninstall of "+c.name+" started")
		if len(b.calls) != 1 || b.calls[0] != (call{Method: "DeleteService", Name: c.name}) {
			t.Errorf("calls = %+v", b.calls)
		}
	}
}

func TestPreviewChangesNothing(t *testing.T) {
	b := newFakeBackend()
	rec := do(t, NewHandler(Config{Backend: b}), "POST", "/v1/services/kafka/preview", "", `{"brokers":{"count":5}}`)
	wantStatus(t, rec, http.StatusOK)
	got := decode[api.Preview](t, rec)
	if got.Name != "kafka" || got.ConfigID != testConfig || got.Plan.Status != api.StatusPending {
		t.Errorf("preview = %+v", got)
	}
	// The API calls PreviewService and nothing else (in particular no
	// PutService); the backend promises PreviewService changes nothing.
	if len(b.calls) != 1 || b.calls[0] != (call{"PreviewService", "kafka", `{"brokers":{"count":5}}`}) {
		t.Fatalf("calls = %+v, want only PreviewService", b.calls)
	}
}

func TestPreviewErrors(t *testing.T) {
	b := newFakeBackend()
	b.err = &service.NotFoundError{Kind: "Service", Name: "kafka"}
	rec := do(t, NewHandler(Config{Backend: b}), "POST", "/v1/services/kafka/preview", "", `{}`)
	wantStatus(t, rec, http.StatusNotFound)
}
