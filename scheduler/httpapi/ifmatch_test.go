package httpapi

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/api"
	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/configstore"
	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/service"
)

const otherConfig = "0b7c4d5e-1111-4222-8333-944455556666"

// GET answers the target id as ETag; PUT and DELETE with a stale If-Match
// get a 412 naming the current id (ETag, CurrentConfigID), with the
// current one or * they go through.
func TestClientIfMatch(t *testing.T) {
	b := newFakeBackend()
	c := newTestClient(t, b)
	ctx := testContext(t)
	b.detail.ConfigID = testConfig

	_, err := c.PutService(ctx, "kafka", json.RawMessage(`{}`), api.PutOptions{IfMatch: otherConfig})
	var e *api.Error
	if !api.IsPreconditionFailed(err) || !errors.As(err, &e) || e.CurrentConfigID != testConfig || !strings.Contains(err.Error(), "changed") {
		t.Fatalf("stale PUT: %v (current %+v)", err, e)
	}
	if b.ifMatch != otherConfig {
		t.Errorf("backend got If-Match %q, want %q", b.ifMatch, otherConfig)
	}
	if _, err := c.PutService(ctx, "kafka", json.RawMessage(`{}`), api.PutOptions{IfMatch: testConfig}); err != nil {
		t.Fatalf("PUT with the current id: %v", err)
	}
	if err := c.DeleteServiceIf(ctx, "kafka", api.DeleteOptions{IfMatch: otherConfig}); !api.IsPreconditionFailed(err) {
		t.Fatalf("stale DELETE: %v", err)
	}
	if err := c.DeleteServiceIf(ctx, "kafka", api.DeleteOptions{IfMatch: "*"}); err != nil || b.ifMatch != service.AnyConfig {
		t.Fatalf("DELETE with *: %v (backend got %q)", err, b.ifMatch)
	}
}

// The header forms HTTP allows are understood; nonsense is a 400 that
// changes nothing.
func TestIfMatchHeaderForms(t *testing.T) {
	b := newFakeBackend()
	b.detail.ConfigID = testConfig
	b.put = service.PutResult{ConfigID: testConfig}
	h := NewHandler(Config{Backend: b, Token: testToken})

	res := do(t, h, http.MethodGet, "/v1/services/kafka", "Bearer "+testToken, "")
	if res.Code != http.StatusOK || res.Header().Get("ETag") != `"`+testConfig+`"` {
		t.Fatalf("GET: %d ETag %q", res.Code, res.Header().Get("ETag"))
	}
	for header, want := range map[string]string{
		`"` + testConfig + `"`:   testConfig,
		`W/"` + testConfig + `"`: testConfig,
		testConfig:               testConfig,
		`*`:                      service.AnyConfig,
	} {
		b.ifMatch = ""
		res := doIfMatch(t, h, http.MethodPut, header)
		if res.Code != http.StatusOK || b.ifMatch != want || res.Header().Get("ETag") != `"`+testConfig+`"` {
			t.Errorf("If-Match %s: %d, backend got %q, ETag %q: %s", header, res.Code, b.ifMatch, res.Header().Get("ETag"), res.Body)
		}
	}
	res = doIfMatch(t, h, http.MethodPut, `"`+otherConfig+`"`)
	if res.Code != http.StatusPreconditionFailed || res.Header().Get("ETag") != `"`+testConfig+`"` || !strings.Contains(res.Body.String(), testConfig) {
		t.Errorf("stale: %d ETag %q: %s", res.Code, res.Header().Get("ETag"), res.Body)
	}
	for _, bad := range []string{`"not-a-uuid"`, `"` + testConfig + `", "` + otherConfig + `"`} {
		calls := len(b.calls)
		res := doIfMatch(t, h, http.MethodDelete, bad)
		if res.Code != http.StatusBadRequest || !strings.Contains(res.Body.String(), "If-Match") || len(b.calls) != calls {
			t.Errorf("If-Match %s: %d (backend calls %d→%d): %s", bad, res.Code, calls, len(b.calls), res.Body)
		}
	}
}

func doIfMatch(t *testing.T, h http.Handler, method, ifMatch string) *httptest.ResponseRecorder {
	t.Helper()
	req := httptest.NewRequest(method, "/v1/services/kafka", strings.NewReader(`{}`))
	req.Header.Set("Authorization", "Bearer "+testToken)
	req.Header.Set("If-Match", ifMatch)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

// The timestamped history lists ids in order with their times and the
// target marked; the DC/OS id list is unchanged.
func TestClientConfigurationHistory(t *testing.T) {
	b := newFakeBackend()
	c := newTestClient(t, b)
	ctx := testContext(t)
	svc := b.svcs["kafka"]
	at := time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)
	svc.history = []configstore.Entry{{ID: otherConfig}, {ID: svc.target, Accepted: at}}
	got, err := c.ConfigurationHistory(ctx, "kafka")
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0].ID != otherConfig || got[0].Accepted != nil || got[0].Target ||
		got[1].ID != svc.target || got[1].Accepted == nil || !got[1].Accepted.Equal(at) || !got[1].Target {
		t.Fatalf("history = %+v", got)
	}
}
