package httpapi

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"

	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/api"
	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/service"
	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/state"
)

func TestSplitServicePath(t *testing.T) {
	cases := []struct {
		rest, name, apiPath string
		ok                  bool
	}{
		{"kafka/v1/plans", "kafka", "/v1/plans", true},
		{"prod/kafka/v1/plans/deploy", "prod/kafka", "/v1/plans/deploy", true},
		{"prod%2Fkafka/v1/plans", "prod%2Fkafka", "/v1/plans", true},
		{"a/b/c/v2/debug/offers", "a/b/c", "/v2/debug/offers", true},
		{"kafka/v1/state/properties/v1", "kafka", "/v1/state/properties/v1", true},
		{"v1%2Fkafka/v1/plans", "v1%2Fkafka", "/v1/plans", true},
		{"kafka/v1", "kafka", "/v1", true},
		{"v1/plans", "", "", false},
		{"kafka", "", "", false},
		{"kafka/plans", "", "", false},
	}
	for _, c := range cases {
		name, apiPath, ok := splitServicePath(c.rest)
		if name != c.name || apiPath != c.apiPath || ok != c.ok {
			t.Errorf("splitServicePath(%q) = %q, %q, %v; want %q, %q, %v", c.rest, name, apiPath, ok, c.name, c.apiPath, c.ok)
		}
	}
}

func TestPods(t *testing.T) {
	h := NewHandler(Config{Backend: newFakeBackend()})

	rec := do(t, h, "GET", "/service/kafka/v1/pod", "", "")
	wantStatus(t, rec, http.StatusOK)
	if got := decode[[]string](t, rec); !reflect.DeepEqual(got, []string{"kafka-0", "kafka-1", "kafka-2"}) {
		t.Errorf("pods = %v", got)
	}

	rec = do(t, h, "GET", "/service/prod/kafka/v1/pod/status", "", "")
	wantStatus(t, rec, http.StatusOK)
	want := `{"service":"prod/kafka","pods":[{"name":"kafka","instances":[` +
		`{"name":"kafka-0","tasks":[{"id":"kafka__kafka-0-broker__1","name":"kafka-0-broker","status":"RUNNING"}]},` +
		`{"name":"kafka-1","tasks":[{"id":"kafka__kafka-1-broker__2","name":"kafka-1-broker","status":"STAGING"}]},` +
		`{"name":"kafka-2","tasks":[]}]}]}`
	if got := strings.TrimSpace(rec.Body.String()); got != want {
		t.Errorf("pod status =\n%s\nwant\n%s", got, want)
	}

	rec = do(t, h, "GET", "/service/kafka/v1/pod/kafka-1/status", "", "")
	wantStatus(t, rec, http.StatusOK)
	if got := strings.TrimSpace(rec.Body.String()); got != `{"name":"kafka-1","tasks":[{"id":"kafka__kafka-1-broker__2","name":"kafka-1-broker","status":"STAGING"}]}` {
		t.Errorf("instance status = %s", got)
	}

	rec = do(t, h, "GET", "/service/kafka/v1/pod/kafka-0/info", "", "")
	wantStatus(t, rec, http.StatusOK)
	if got := strings.TrimSpace(rec.Body.String()); got != `[{"info":{"name":"kafka-0-broker"},"status":{"state":"TASK_RUNNING"}}]` {
		t.Errorf("info = %s", got)
	}
	rec = do(t, h, "GET", "/service/kafka/v1/pod/kafka-1/info", "", "")
	if got := strings.TrimSpace(rec.Body.String()); got != `[{"info":{"name":"kafka-1-broker"}}]` {
		t.Errorf("info without a status = %s, want status omitted", got)
	}

	for _, path := range []string{"/service/kafka/v1/pod/kafka-9/status", "/service/kafka/v1/pod/kafka-9/info"} {
		rec = do(t, h, "GET", path, "", "")
		wantStatus(t, rec, http.StatusNotFound)
		wantMessage(t, rec, "Pod kafka-9 not found")
	}
}

func TestPodsEmptyAndFailing(t *testing.T) {
	b := newFakeBackend()
	b.svcs["kafka"].pods = nil
	h := NewHandler(Config{Backend: b})
	if rec := do(t, h, "GET", "/service/kafka/v1/pod", "", ""); strings.TrimSpace(rec.Body.String()) != "[]" {
		t.Errorf("no pods: %s", rec.Body)
	}
	if rec := do(t, h, "GET", "/service/kafka/v1/pod/status", "", ""); strings.TrimSpace(rec.Body.String()) != `{"service":"kafka","pods":[]}` {
		t.Errorf("no pods status: %s", rec.Body)
	}
	b.svcs["kafka"].err = fmt.Errorf("reading tasks: %w", state.ErrUnavailable)
	for _, path := range []string{"/v1/pod", "/v1/pod/status", "/v1/pod/kafka-0/status", "/v1/pod/kafka-0/info"} {
		wantStatus(t, do(t, h, "GET", "/service/kafka"+path, "", ""), http.StatusServiceUnavailable)
	}
}

func TestPodType(t *testing.T) {
	for in, want := range map[string]string{"kafka-0": "kafka", "kafka-12": "kafka", "my-pod-3": "my-pod", "odd": "odd", "x-y": "x-y"} {
		if got := podType(in); got != want {
			t.Errorf("podType(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestEndpoints(t *testing.T) {
	h := NewHandler(Config{Backend: newFakeBackend()})

	rec := do(t, h, "GET", "/service/kafka/v1/endpoints", "", "")
	wantStatus(t, rec, http.StatusOK)
	if got := decode[[]string](t, rec); !reflect.DeepEqual(got, []string{"broker", "zookeeper"}) {
		t.Errorf("endpoints = %v", got)
	}

	rec = do(t, h, "GET", "/service/kafka/v1/endpoints/broker", "", "")
	wantStatus(t, rec, http.StatusOK)
	got := decode[map[string]any](t, rec)
	if fmt.Sprint(got["address"]) != "[10.0.0.1:1025]" || fmt.Sprint(got["dns"]) != "[kafka-0-broker.kafka.autoip.dcos.thisdcos.directory:1025]" ||
		got["vip"] != "broker.kafka.l4lb.thisdcos.directory:9092" {
		t.Errorf("broker endpoint = %s", rec.Body)
	}

	rec = do(t, h, "GET", "/service/kafka/v1/endpoints/zookeeper", "", "")
	wantStatus(t, rec, http.StatusOK)
	if ct := rec.Header().Get("Content-Type"); !strings.HasPrefix(ct, "text/plain") {
		t.Errorf("zookeeper Content-Type = %q, want text/plain", ct)
	}
	if rec.Body.String() != "master.mesos:2181/dcos-service-kafka" {
		t.Errorf("zookeeper endpoint = %q", rec.Body)
	}

	rec = do(t, h, "GET", "/service/kafka/v1/endpoints/nope", "", "")
	wantStatus(t, rec, http.StatusNotFound)
	wantMessage(t, rec, "service.Endpoint nope not found")

	b := &fakeBackend{svcs: map[string]*fakeService{"kafka": {}}}
	if rec := do(t, NewHandler(Config{Backend: b}), "GET", "/service/kafka/v1/endpoints", "", ""); strings.TrimSpace(rec.Body.String()) != "[]" {
		t.Errorf("no endpoints: %s", rec.Body)
	}
}

func TestConfigurations(t *testing.T) {
	b := newFakeBackend()
	h := NewHandler(Config{Backend: b})
	cases := []struct {
		path string
		want int
		body string // exact, trimmed; "" to skip
	}{
		{"/v1/configurations", http.StatusOK, `["` + testConfig + `"]`},
		{"/v1/configurations/targetId", http.StatusOK, `["` + testConfig + `"]`},
		{"/v1/configurations/target", http.StatusOK, `{"name":"kafka","brokers":3}`},
		{"/v1/configurations/" + testConfig, http.StatusOK, `{"name":"kafka","brokers":3}`},
		{"/v1/configurations/" + strings.ToUpper(testConfig), http.StatusNotFound, ""},
		{"/v1/configurations/00000000-0000-0000-0000-000000000000", http.StatusNotFound, ""},
		{"/v1/configurations/not-a-uuid", http.StatusBadRequest, ""},
		{"/v1/configurations/" + testConfig + "x", http.StatusBadRequest, ""},
	}
	for _, c := range cases {
		t.Run(c.path, func(t *testing.T) {
			rec := do(t, h, "GET", "/service/kafka"+c.path, "", "")
			wantStatus(t, rec, c.want)
			if c.body != "" && strings.TrimSpace(rec.Body.String()) != c.body {
				t.Errorf("body = %s, want %s", rec.Body, c.body)
			}
			decode[any](t, rec)
		})
	}

	b.svcs["kafka"].target = ""
	for _, path := range []string{"/v1/configurations/targetId", "/v1/configurations/target"} {
		wantStatus(t, do(t, h, "GET", "/service/kafka"+path, "", ""), http.StatusNotFound)
	}
	b.svcs["kafka"].configs = nil
	if rec := do(t, h, "GET", "/service/kafka/v1/configurations", "", ""); strings.TrimSpace(rec.Body.String()) != "[]" {
		t.Errorf("no configurations: %s", rec.Body)
	}
	b.svcs["kafka"].err = state.ErrUnavailable
	wantStatus(t, do(t, h, "GET", "/service/kafka/v1/configurations", "", ""), http.StatusServiceUnavailable)
}

func TestState(t *testing.T) {
	b := newFakeBackend()
	h := NewHandler(Config{Backend: b})

	rec := do(t, h, "GET", "/service/kafka/v1/state/frameworkId", "", "")
	wantStatus(t, rec, http.StatusOK)
	if strings.TrimSpace(rec.Body.String()) != `["fw-1"]` {
		t.Errorf("frameworkId = %s", rec.Body)
	}

	rec = do(t, h, "GET", "/service/kafka/v1/state/properties", "", "")
	wantStatus(t, rec, http.StatusOK)
	if strings.TrimSpace(rec.Body.String()) != `["suppressed"]` {
		t.Errorf("properties = %s", rec.Body)
	}

	rec = do(t, h, "GET", "/service/kafka/v1/state/properties/suppressed", "", "")
	wantStatus(t, rec, http.StatusOK)
	if decode[bool](t, rec) != true {
		t.Errorf("suppressed = %s", rec.Body)
	}

	rec = do(t, h, "GET", "/service/kafka/v1/state/properties/nope", "", "")
	wantStatus(t, rec, http.StatusNotFound)
	wantMessage(t, rec, "Property nope not found")

	b.svcs["kafka"].props["kafka-0-broker:task-status"] = json.RawMessage(`"x"`)
	rec = do(t, h, "GET", "/service/kafka/v1/state/properties/kafka-0-broker%3Atask-status", "", "")
	wantStatus(t, rec, http.StatusOK)

	b.svcs["kafka"].frameworkID = ""
	rec = do(t, h, "GET", "/service/kafka/v1/state/frameworkId", "", "")
	wantStatus(t, rec, http.StatusNotFound)
	decode[api.ErrorBody](t, rec)

	b.svcs["kafka"].props = nil
	if rec := do(t, h, "GET", "/service/kafka/v1/state/properties", "", ""); strings.TrimSpace(rec.Body.String()) != "[]" {
		t.Errorf("no properties: %s", rec.Body)
	}
}

func TestServiceHealth(t *testing.T) {
	cases := []struct {
		health service.Health
		want   int
	}{
		{service.Health{Code: 200, Name: "RUNNING", Reasons: []string{"deploy plan complete"}}, 200},
		{service.Health{Code: 202, Name: "DEPLOYING_STARTING"}, 202},
		{service.Health{Code: 207, Name: "DEPLOYING_WAITING_USER", Reasons: []string{"canary"}}, 207},
		{service.Health{Code: 318, Name: "INITIALIZING"}, 318},
		{service.Health{Code: 500, Name: "ERROR_CREATING_SERVICE", Reasons: []string{"brokers.count: cannot shrink"}}, 500},
		{service.Health{Code: 503, Name: "SERVICE_UNAVAILABLE"}, 503},
	}
	for _, c := range cases {
		t.Run(c.health.Name, func(t *testing.T) {
			b := newFakeBackend()
			b.svcs["prod/kafka"].health = c.health
			rec := do(t, NewHandler(Config{Backend: b, Token: testToken}), "GET", "/service/prod/kafka/v1/health", "", "")
			wantStatus(t, rec, c.want)
			got := decode[map[string]json.RawMessage](t, rec)
			if string(got["value"]) != fmt.Sprint(c.health.Code) || string(got["name"]) != `"`+c.health.Name+`"` {
				t.Errorf("health body = %s", rec.Body)
			}
			reasons, _ := json.Marshal(nonNil(c.health.Reasons))
			if string(got["reasons"]) != string(reasons) {
				t.Errorf("reasons = %s, want %s", got["reasons"], reasons)
			}
		})
	}

	t.Run("204 has no body", func(t *testing.T) {
		b := newFakeBackend()
		b.svcs["kafka"].health = service.Health{Code: 204, Name: "DEPLOYING_PENDING", Reasons: []string{"pending"}}
		rec := do(t, NewHandler(Config{Backend: b}), "GET", "/service/kafka/v1/health", "", "")
		wantStatus(t, rec, http.StatusNoContent)
		if rec.Body.Len() != 0 {
			t.Errorf("204 with a body: %q", rec.Body)
		}
	})

	t.Run("invalid code", func(t *testing.T) {
		b := newFakeBackend()
		b.svcs["kafka"].health = service.Health{}
		rec := do(t, NewHandler(Config{Backend: b}), "GET", "/service/kafka/v1/health", "", "")
		wantStatus(t, rec, http.StatusInternalServerError)
		decode[api.ErrorBody](t, rec)
	})
}

// TestServiceHealthOverHTTP checks non-standard codes through a real
// server, as Marathon's checks see them.
func TestServiceHealthOverHTTP(t *testing.T) {
	b := newFakeBackend()
	b.svcs["kafka"].health = service.Health{Code: 318, Name: "INITIALIZING", Reasons: []string{"no framework ID"}}
	srv := httptest.NewServer(NewHandler(Config{Backend: b, Token: testToken}))
	defer srv.Close()
	resp, err := http.Get(srv.URL + "/service/kafka/v1/health")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var h service.Health
	if err := json.NewDecoder(resp.Body).Decode(&h); err != nil || resp.StatusCode != 318 || h.Name != "INITIALIZING" {
		t.Fatalf("status %d, health %+v, err %v", resp.StatusCode, h, err)
	}
}

func TestMetricsAndDebug(t *testing.T) {
	h := NewHandler(Config{Backend: newFakeBackend()})

	rec := do(t, h, "GET", "/service/kafka/v1/metrics", "", "")
	wantStatus(t, rec, http.StatusOK)
	if rec.Body.String() != `{"counters":{"offers.received":3}}` {
		t.Errorf("metrics = %s", rec.Body)
	}
	rec = do(t, h, "GET", "/service/prod/kafka/v1/metrics/prometheus", "", "")
	wantStatus(t, rec, http.StatusOK)
	if rec.Body.String() != "offers_received 3\n" || !strings.HasPrefix(rec.Header().Get("Content-Type"), "text/plain") {
		t.Errorf("prometheus = %q (%s)", rec.Body, rec.Header().Get("Content-Type"))
	}

	for _, path := range []string{"/service/kafka/v1/debug/offers", "/service/kafka/v2/debug/offers"} {
		rec = do(t, h, "GET", path, "", "")
		wantStatus(t, rec, http.StatusOK)
		got := decode[[]api.OfferOutcome](t, rec)
		if len(got) != 2 || got[0].OfferIDs[0] != "o2" || got[1].Reason != "not enough cpus" {
			t.Errorf("%s = %s", path, rec.Body)
		}
	}

	b := &fakeBackend{svcs: map[string]*fakeService{"kafka": {}}}
	if rec := do(t, NewHandler(Config{Backend: b}), "GET", "/service/kafka/v2/debug/offers", "", ""); strings.TrimSpace(rec.Body.String()) != "[]" {
		t.Errorf("no offers: %s", rec.Body)
	}
}
