package httpapi

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/api"
	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/plan"
	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/service"
	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/validation"
)

// These tests drive the server through api.Client, so that the contract
// (package api) and the server cannot drift: every client method decodes
// what the server encodes.

func newTestClient(t *testing.T, b Backend) *api.Client {
	t.Helper()
	srv := httptest.NewServer(NewHandler(Config{Backend: b, Token: testToken}))
	t.Cleanup(srv.Close)
	c, err := api.NewClient(api.ClientConfig{Endpoint: srv.URL, Token: testToken, MaxRetries: -1})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func testContext(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func TestClientManagement(t *testing.T) {
	b := newFakeBackend()
	c := newTestClient(t, b)
	ctx := testContext(t)

	list, err := c.Services(ctx)
	if err != nil || !reflect.DeepEqual(list, []api.ServiceSummary{{Name: "kafka"}, {Name: "prod/kafka"}}) {
		t.Fatalf("Services = %+v, %v", list, err)
	}
	put, err := c.PutService(ctx, "prod/kafka", json.RawMessage(`{"brokers":{"count":3}}`), api.PutOptions{})
	if err != nil || put != (api.PutResult{Name: "prod/kafka", ConfigID: testConfig, Created: true, Changed: true}) {
		t.Fatalf("PutService = %+v, %v", put, err)
	}
	if got := b.calls[len(b.calls)-1]; got != (call{"PutService", "prod/kafka", `{"brokers":{"count":3}}`}) {
		t.Errorf("backend call = %+v", got)
	}
	detail, err := c.GetService(ctx, "kafka")
	if err != nil || detail.ConfigID != testConfig || detail.Status != api.StatusComplete || string(detail.Options) != `{"brokers":{"count":3}}` {
		t.Fatalf("GetService = %+v, %v", detail, err)
	}
	if err := c.DeleteService(ctx, "kafka"); err != nil {
		t.Fatalf("DeleteService: %v", err)
	}
	b.preview.Plan = plan.Info{Status: plan.Pending, Strategy: plan.Serial, Phases: []plan.PhaseInfo{{
		ID: "p1", Name: "broker", Status: plan.Pending, Strategy: plan.Serial,
		Steps: []plan.StepInfo{{ID: "s1", Name: "kafka-2:[broker]", Status: plan.Pending, Pod: "kafka-2", PodIndex: 2}},
	}}}
	b.preview.Brokers = []service.BrokerPreview{{Broker: 2, Pod: "kafka-2", Action: "restart", Order: 1,
		Changes: []service.FieldChange{{Field: "brokers.mem", Old: "2048", New: "3000"}}}}
	b.preview.Strategy = "serial"
	preview, err := c.PreviewService(ctx, "kafka", json.RawMessage(`{"brokers":{"count":5}}`))
	if err != nil {
		t.Fatalf("PreviewService: %v", err)
	}
	steps := preview.Plan.Steps()
	if len(steps) != 1 || steps[0].Pod != "kafka-2" || steps[0].Broker == nil || *steps[0].Broker != 2 {
		t.Errorf("preview steps = %+v, want kafka-2 with broker 2", steps)
	}
	want := []api.BrokerPreview{{Broker: 2, Pod: "kafka-2", Action: api.ActionRestart, Order: 1,
		Changes: []api.FieldChange{{Field: "brokers.mem", Old: "2048", New: "3000"}}}}
	if !reflect.DeepEqual(preview.Brokers, want) || preview.Strategy != "serial" || preview.Notes == nil {
		t.Errorf("preview brokers = %+v strategy %q notes %v", preview.Brokers, preview.Strategy, preview.Notes)
	}
}

func TestClientErrors(t *testing.T) {
	b := newFakeBackend()
	c := newTestClient(t, b)
	ctx := testContext(t)

	b.err = validation.Problems{{Field: "brokers.count", Value: "2", Rule: "cannot shrink from 3"}}
	_, err := c.PutService(ctx, "kafka", json.RawMessage(`{"brokers":{"count":2}}`), api.PutOptions{})
	if api.StatusOf(err) != http.StatusBadRequest || !slices.Equal(api.ProblemsOf(err), []api.Problem{{Field: "brokers.count", Value: "2", Rule: "cannot shrink from 3"}}) {
		t.Fatalf("invalid options: %v (problems %+v)", err, api.ProblemsOf(err))
	}
	b.err = &service.NotFoundError{Kind: "Service", Name: "nope"}
	if _, err := c.GetService(ctx, "nope"); !api.IsNotFound(err) || !strings.Contains(err.Error(), "Service nope not found") {
		t.Fatalf("unknown service: %v", err)
	}
	b.err = errors.Join(service.ErrConflict, errors.New("being uninstalled"))
	if _, err := c.PutService(ctx, "kafka", nil, api.PutOptions{}); !api.IsConflict(err) {
		t.Fatalf("conflict: %v", err)
	}

	wrong, err := api.NewClient(api.ClientConfig{Endpoint: c.BaseURL(), Token: "wrong", MaxRetries: -1})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := wrong.Services(ctx); api.StatusOf(err) != http.StatusUnauthorized {
		t.Fatalf("wrong token: %v, want 401", err)
	}
}

func TestClientPerService(t *testing.T) {
	b := newFakeBackend()
	c := newTestClient(t, b)
	ctx := testContext(t)
	const svc = "prod/kafka"

	names, err := c.PlanNames(ctx, svc)
	if err != nil || !slices.Equal(names, []string{"deploy", "recovery"}) {
		t.Fatalf("PlanNames = %v, %v", names, err)
	}
	for name, want := range map[string]api.Status{"deploy": api.StatusComplete, "recovery": api.StatusInProgress, "broken": api.StatusError} {
		p, err := c.Plan(ctx, svc, name)
		if err != nil || p.Status != want {
			t.Errorf("Plan(%s) = %s, %v; want %s", name, p.Status, err, want)
		}
	}
	if _, err := c.Plan(ctx, svc, "nope"); !api.IsNotFound(err) {
		t.Errorf("unknown plan: %v", err)
	}
	msg, err := c.RunPlanCommand(ctx, svc, "deploy", api.PlanCommand{Command: api.CommandInterrupt, Phase: "broker"})
	if err != nil || msg == "" {
		t.Errorf("RunPlanCommand = %q, %v", msg, err)
	}
	fs := b.svcs[svc]
	if len(fs.cmds) != 1 || fs.cmds[0].Command != service.CommandInterrupt || fs.cmds[0].Phase != "broker" {
		t.Errorf("commands = %+v", fs.cmds)
	}

	pods, err := c.PodNames(ctx, svc)
	if err != nil || !slices.Equal(pods, []string{"kafka-0", "kafka-1", "kafka-2"}) {
		t.Errorf("PodNames = %v, %v", pods, err)
	}
	status, err := c.PodsStatus(ctx, svc)
	if err != nil || status.Service != svc || len(status.Pods) != 1 || len(status.Pods[0].Instances) != 3 {
		t.Errorf("PodsStatus = %+v, %v", status, err)
	}
	pod, err := c.PodStatus(ctx, svc, "kafka-0")
	if err != nil || len(pod.Tasks) != 1 || pod.Tasks[0].State != "RUNNING" {
		t.Errorf("PodStatus = %+v, %v", pod, err)
	}
	if pod, err := c.PodStatus(ctx, svc, "kafka-2"); err != nil || pod.Tasks == nil {
		t.Errorf("a pod without tasks answers tasks [], got %+v, %v", pod, err)
	}
	info, err := c.PodInfo(ctx, svc, "kafka-0")
	if err != nil || len(info) != 1 || !strings.Contains(string(info[0].Info), "kafka-0-broker") {
		t.Errorf("PodInfo = %+v, %v", info, err)
	}

	ep, err := c.Endpoint(ctx, svc, "broker")
	if err != nil || !slices.Equal(ep.Address, []string{"10.0.0.1:1025"}) || ep.VIP == "" {
		t.Errorf("Endpoint = %+v, %v", ep, err)
	}
	zk, err := c.EndpointText(ctx, svc, "zookeeper")
	if err != nil || zk != "master.mesos:2181/dcos-service-kafka" {
		t.Errorf("EndpointText = %q, %v", zk, err)
	}
	if id, err := c.TargetConfigurationID(ctx, svc); err != nil || id != testConfig {
		t.Errorf("TargetConfigurationID = %q, %v", id, err)
	}
	if cfg, err := c.Configuration(ctx, svc, testConfig); err != nil || !strings.Contains(string(cfg), `"brokers":3`) {
		t.Errorf("Configuration = %s, %v", cfg, err)
	}
	if id, err := c.FrameworkID(ctx, svc); err != nil || id != "fw-1" {
		t.Errorf("FrameworkID = %q, %v", id, err)
	}
	if v, err := c.Property(ctx, svc, "suppressed"); err != nil || string(v) != "true" {
		t.Errorf("Property = %s, %v", v, err)
	}
	if h, err := c.Health(ctx, svc); err != nil || h.Code != 200 || h.Name != "RUNNING" {
		t.Errorf("Health = %+v, %v", h, err)
	}
	fs.health = service.Health{Code: http.StatusNoContent, Name: "DEPLOYING_PENDING"}
	if h, err := c.Health(ctx, svc); err != nil || h.Code != 204 || h.Name != "DEPLOYING_PENDING" {
		t.Errorf("Health(204) = %+v, %v", h, err)
	}
	offers, err := c.OfferOutcomes(ctx, svc)
	if err != nil || len(offers) != 2 || offers[1].Reason != "not enough cpus" {
		t.Errorf("OfferOutcomes = %+v, %v", offers, err)
	}
}

func TestClientWaitPlan(t *testing.T) {
	b := newFakeBackend()
	c := newTestClient(t, b)
	ctx := testContext(t)

	if p, err := c.WaitPlan(ctx, "kafka", "deploy", api.WaitOptions{Interval: time.Millisecond}); err != nil || p.Status != api.StatusComplete {
		t.Fatalf("WaitPlan(complete) = %s, %v", p.Status, err)
	}
	var planErr *api.PlanError
	if _, err := c.WaitPlan(ctx, "kafka", "broken", api.WaitOptions{Interval: time.Millisecond}); !errors.As(err, &planErr) || !strings.Contains(err.Error(), "cannot shrink") {
		t.Fatalf("WaitPlan(error) = %v, want a PlanError naming the plan's errors", err)
	}
	short, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
	defer cancel()
	var waitErr *api.WaitError
	_, err := c.WaitPlan(short, "kafka", "recovery", api.WaitOptions{Interval: 5 * time.Millisecond})
	if !errors.As(err, &waitErr) || !errors.Is(err, context.DeadlineExceeded) || !strings.Contains(err.Error(), "did not complete in time") {
		t.Fatalf("WaitPlan(timeout) = %v, want a WaitError", err)
	}
}
