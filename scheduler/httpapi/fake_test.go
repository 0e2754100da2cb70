package httpapi

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/api"
	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/configstore"
	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/kafka/admin"
	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/plan"
	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/service"
)

// call is one Backend call the fake recorded.
type call struct {
	Method  string
	Name    string
	Options string
}

// fakeBackend records every call and answers with canned values.
type fakeBackend struct {
	services []service.ServiceSummary
	svcs     map[string]*fakeService
	// err, when set, is returned by the management methods.
	err     error
	put     service.PutResult
	detail  service.ServiceDetail
	preview service.Preview
	calls   []call
	// ifMatch is the last If-Match PutService or DeleteService got.
	ifMatch string
	// kafka answers Kafka (topics_test.go); nil is a 503 not-ready error.
	kafka func(name string) (Kafka, error)
}

func (f *fakeBackend) record(method, name string, options []byte) {
	f.calls = append(f.calls, call{Method: method, Name: name, Options: string(options)})
}

func (f *fakeBackend) Services(context.Context) ([]service.ServiceSummary, error) {
	f.record("Services", "", nil)
	return f.services, f.err
}

func (f *fakeBackend) PutService(_ context.Context, name string, options []byte, ifMatch string) (service.PutResult, error) {
	f.record("PutService", name, options)
	f.ifMatch = ifMatch
	if ifMatch != "" && ifMatch != service.AnyConfig && ifMatch != f.detail.ConfigID {
		return service.PutResult{}, &service.PreconditionFailedError{Service: name, Expected: ifMatch, Current: f.detail.ConfigID}
	}
	res := f.put
	res.Name = name
	return res, f.err
}

func (f *fakeBackend) GetService(_ context.Context, name string) (service.ServiceDetail, error) {
	f.record("GetService", name, nil)
	d := f.detail
	d.Name = name
	return d, f.err
}

func (f *fakeBackend) DeleteService(_ context.Context, name string, ifMatch string) error {
	f.record("DeleteService", name, nil)
	f.ifMatch = ifMatch
	if ifMatch != "" && ifMatch != service.AnyConfig && ifMatch != f.detail.ConfigID {
		return &service.PreconditionFailedError{Service: name, Expected: ifMatch, Current: f.detail.ConfigID}
	}
	return f.err
}

func (f *fakeBackend) PreviewService(_ context.Context, name string, options []byte) (service.Preview, error) {
	f.record("PreviewService", name, options)
	p := f.preview
	p.Name = name
	return p, f.err
}

func (f *fakeBackend) Kafka(_ context.Context, name string) (Kafka, error) {
	f.record("Kafka", name, nil)
	if f.kafka == nil {
		return nil, fmt.Errorf("service %s has no broker running yet: %w", name, admin.ErrNotReady)
	}
	return f.kafka(name)
}

func (f *fakeBackend) Service(name string) (Service, error) {
	f.record("Service", name, nil)
	if s, ok := f.svcs[name]; ok {
		return s, nil
	}
	return nil, &service.NotFoundError{Kind: "Service", Name: name}
}

// fakeService is one service's per-service API with canned answers; it
// records plan commands.
type fakeService struct {
	planNames   []string
	plans       map[string]plan.Info
	cmdErr      error
	cmds        []service.PlanCommand
	restarts    []fakeRestart
	goals       []string // "replace kafka-0", "pause kafka-0", ... (recovery_test.go)
	pods        []service.PodInstance
	endpoints   map[string]service.Endpoint
	configs     map[string]json.RawMessage
	history     []configstore.Entry
	target      string
	frameworkID string
	props       map[string]json.RawMessage
	health      service.Health
	offers      []service.OfferOutcome
	// err, when set, is returned by the methods that take a context.
	err error
}

func (f *fakeService) PlanNames() []string { return f.planNames }

func (f *fakeService) PlanInfo(name string) (plan.Info, error) {
	if info, ok := f.plans[name]; ok {
		return info, nil
	}
	return plan.Info{}, &service.NotFoundError{Kind: "Plan", Name: name}
}

func (f *fakeService) PlanCommand(_ context.Context, cmd service.PlanCommand) error {
	f.cmds = append(f.cmds, cmd)
	return f.cmdErr
}

// fakeRestart is one RestartPod call.
type fakeRestart struct {
	Pod   string
	Force bool
}

func (f *fakeService) RestartPod(_ context.Context, pod string, force bool) error {
	f.restarts = append(f.restarts, fakeRestart{Pod: pod, Force: force})
	return f.cmdErr
}

func (f *fakeService) Pods(context.Context) ([]service.PodInstance, error) { return f.pods, f.err }

func (f *fakeService) EndpointNames() []string {
	var names []string
	for _, n := range []string{"broker", "zookeeper"} {
		if _, ok := f.endpoints[n]; ok {
			names = append(names, n)
		}
	}
	return names
}

func (f *fakeService) Endpoint(name string) (service.Endpoint, error) {
	if ep, ok := f.endpoints[name]; ok {
		return ep, nil
	}
	return service.Endpoint{}, &service.NotFoundError{Kind: "service.Endpoint", Name: name}
}

func (f *fakeService) ConfigurationHistory(context.Context) ([]configstore.Entry, error) {
	if f.err != nil {
		return nil, f.err
	}
	return f.history, nil
}

func (f *fakeService) ConfigurationIDs(context.Context) ([]string, error) {
	if f.err != nil {
		return nil, f.err
	}
	var ids []string
	for id := range f.configs {
		ids = append(ids, id)
	}
	return ids, nil
}

func (f *fakeService) Configuration(_ context.Context, id string) (json.RawMessage, error) {
	if cfg, ok := f.configs[id]; ok {
		return cfg, f.err
	}
	return nil, &service.NotFoundError{Kind: "Configuration", Name: id}
}

func (f *fakeService) TargetConfigurationID(context.Context) (string, error) {
	if f.target == "" {
		return "", &service.NotFoundError{Kind: "Target configuration of", Name: "the service"}
	}
	return f.target, f.err
}

func (f *fakeService) FrameworkID() string { return f.frameworkID }

func (f *fakeService) PropertyNames(context.Context) ([]string, error) {
	var names []string
	for n := range f.props {
		names = append(names, n)
	}
	return names, f.err
}

func (f *fakeService) Property(_ context.Context, name string) (json.RawMessage, error) {
	if v, ok := f.props[name]; ok {
		return v, f.err
	}
	return nil, &service.NotFoundError{Kind: "Property", Name: name}
}

func (f *fakeService) Health() service.Health { return f.health }

func (f *fakeService) Metrics() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"counters":{"offers.received":3}}`)
	})
}

func (f *fakeService) PrometheusMetrics() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; version=0.0.4")
		_, _ = io.WriteString(w, "offers_received 3\n")
	})
}

func (f *fakeService) OfferOutcomes() []service.OfferOutcome { return f.offers }

const (
	testToken  = "s3cret-t0ken"
	testConfig = "319ebe89-42e2-40e2-9169-8568e2421023"
)

// newFakeService is a three-broker service with a complete deploy plan.
func newFakeService() *fakeService {
	task := func(i string) service.PodTask {
		return service.PodTask{
			ID: "kafka__kafka-" + i + "-broker__1", Name: "kafka-" + i + "-broker", State: "RUNNING",
			Info:   json.RawMessage(`{"name":"kafka-` + i + `-broker"}`),
			Status: json.RawMessage(`{"state":"TASK_RUNNING"}`),
		}
	}
	return &fakeService{
		planNames: []string{"deploy", "recovery"},
		plans: map[string]plan.Info{
			"deploy":   {Name: "deploy", Phases: []plan.PhaseInfo{brokerPhase(fakeDeployPhaseID, plan.Complete)}, Errors: []string{}, Strategy: "serial", Status: plan.Complete},
			"recovery": {Name: "recovery", Phases: []plan.PhaseInfo{brokerPhase(fakeRecoveryPhaseID, plan.InProgress)}, Errors: []string{}, Strategy: "serial", Status: plan.InProgress},
			"broken":   {Name: "broken", Phases: []plan.PhaseInfo{}, Errors: []string{"brokers.count: cannot shrink"}, Strategy: "serial", Status: plan.Error},
			"reassign": {Name: "reassign", Phases: []plan.PhaseInfo{}, Errors: []string{}, Strategy: "serial", Status: plan.Complete},
			"my plan":  {Name: "my plan", Phases: []plan.PhaseInfo{}, Errors: []string{}, Strategy: "serial", Status: plan.Complete},
		},
		pods: []service.PodInstance{
			{Name: "kafka-0", Tasks: []service.PodTask{task("0")}},
			{Name: "kafka-1", Tasks: []service.PodTask{{ID: "kafka__kafka-1-broker__2", Name: "kafka-1-broker", State: "STAGING", Info: json.RawMessage(`{"name":"kafka-1-broker"}`)}}},
			{Name: "kafka-2"},
		},
		endpoints: map[string]service.Endpoint{
			"broker":    {Address: []string{"10.0.0.1:1025"}, DNS: []string{"kafka-0-broker.kafka.autoip.dcos.thisdcos.directory:1025"}, VIP: "broker.kafka.l4lb.thisdcos.directory:9092"},
			"zookeeper": {Text: "master.mesos:2181/dcos-service-kafka"},
		},
		configs:     map[string]json.RawMessage{testConfig: json.RawMessage(`{"name":"kafka","brokers":3}`)},
		target:      testConfig,
		frameworkID: "fw-1",
		props:       map[string]json.RawMessage{"suppressed": json.RawMessage(`true`)},
		health:      service.Health{Code: http.StatusOK, Name: "RUNNING", Reasons: []string{"deploy plan complete"}},
		offers: []service.OfferOutcome{
			{Time: time.Date(2024, 1, 2, 3, 4, 6, 0, time.UTC), OfferIDs: []string{"o2"}, AgentID: "a1", Hostname: "h1", Passed: true, Outcome: "launched"},
			{Time: time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC), OfferIDs: []string{"o1"}, AgentID: "a1", Hostname: "h1", Outcome: "declined short", Reason: "not enough cpus"},
		},
	}
}

// Phase ids of the fake plans.
const (
	fakeDeployPhaseID   = "0b5c3a52-6d3e-4f0a-9c1e-2f1d9a7b6c01"
	fakeRecoveryPhaseID = "1915bcad-1235-400f-8406-4ac7555a7d34"
)

// brokerPhase is a "broker" phase with the steps of brokers 0 to 2.
func brokerPhase(id string, status plan.Status) plan.PhaseInfo {
	ph := plan.PhaseInfo{ID: id, Name: "broker", Strategy: "serial", Status: status}
	for i := range 3 {
		ph.Steps = append(ph.Steps, plan.StepInfo{
			ID:   fmt.Sprintf("%s%012d", id[:24], i),
			Name: fmt.Sprintf("kafka-%d:[broker]", i), Status: status,
			Pod: fmt.Sprintf("kafka-%d", i), PodIndex: i,
		})
	}
	return ph
}

// newFakeBackend hosts "kafka" and the folder service "prod/kafka".
func newFakeBackend() *fakeBackend {
	return &fakeBackend{
		services: []service.ServiceSummary{{Name: "kafka"}, {Name: "prod/kafka"}},
		svcs:     map[string]*fakeService{"kafka": newFakeService(), "prod/kafka": newFakeService()},
		put:      service.PutResult{ConfigID: testConfig, Created: true, Changed: true},
		detail:   service.ServiceDetail{ConfigID: testConfig, Status: plan.Complete, Options: json.RawMessage(`{"brokers":{"count":3}}`)},
		preview:  service.Preview{Install: false, ConfigID: testConfig, Plan: plan.Info{Phases: []plan.PhaseInfo{}, Errors: []string{}, Status: plan.Pending}},
	}
}

// do serves one request; auth is the Authorization header ("" for none).
func do(t *testing.T, h http.Handler, method, target, auth, body string) *httptest.ResponseRecorder {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req := httptest.NewRequest(method, target, rd)
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

// decode unmarshals a JSON answer, failing the test when it is not JSON.
func decode[T any](t *testing.T, rec *httptest.ResponseRecorder) T {
	t.Helper()
	var v T
	if ct := rec.Header().Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Fatalf("Content-Type = %q, want JSON (body %s)", ct, rec.Body)
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &v); err != nil {
		t.Fatalf("answer is not the expected JSON: %v: %s", err, rec.Body)
	}
	return v
}

// wantStatus fails the test when the answer's status is not want.
func wantStatus(t *testing.T, rec *httptest.ResponseRecorder, want int) {
	t.Helper()
	if rec.Code != want {
		t.Fatalf("status = %d, want %d (body %s)", rec.Code, want, rec.Body)
	}
}

// wantMessage fails the test unless the answer is a JSON {"message": want}.
func wantMessage(t *testing.T, rec *httptest.ResponseRecorder, want string) {
	t.Helper()
	if got := decode[api.ErrorBody](t, rec).Message; got != want {
		t.Fatalf("message = %q, want %q", got, want)
	}
}
