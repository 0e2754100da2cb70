package httpapi

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/api"
	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/plan"
	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/service"
	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/spec"
	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/validation"
)

// These fuzz targets drive the real handlers through api.Client over a
// real socket, against a fake backend that does what the manager does
// with options (spec.Parse, then a deploy plan) and runs plan commands on a
// real plan. The seed corpora in testdata/fuzz run with every `go test`;
// `make fuzz` explores further.

// specBackend is a Backend whose PutService and PreviewService validate
// the options with spec.Parse as the manager does, and which records every
// install or update it accepted.
type specBackend struct {
	*fakeBackend
	mu       sync.Mutex
	accepted int
}

func (b *specBackend) parse(name string, options []byte) (spec.ServiceSpec, error) {
	defaults := spec.DefaultOptions()
	defaults.Service.Name = name
	s, err := spec.Parse(options, defaults, spec.Environment{ZookeeperConnect: "127.0.0.1:2181"})
	if err == nil && s.Name != name {
		var ps validation.Problems
		ps.Addf("service.name", s.Name, "must be the name in the URL, %q (or be left out)", name)
		return s, ps
	}
	return s, err
}

func (b *specBackend) PutService(_ context.Context, name string, options []byte, _ string) (service.PutResult, error) {
	if _, err := b.parse(name, options); err != nil {
		return service.PutResult{}, err
	}
	b.mu.Lock()
	b.accepted++
	b.mu.Unlock()
	return service.PutResult{Name: name, ConfigID: testConfig, Created: true, Changed: true}, nil
}

func (b *specBackend) PreviewService(_ context.Context, name string, options []byte) (service.Preview, error) {
	s, err := b.parse(name, options)
	if err != nil {
		return service.Preview{}, err
	}
	p, err := plan.NewDeploy(s, nil)
	if err != nil {
		return service.Preview{}, err
	}
	return service.Preview{Name: name, Install: true, Plan: p.Info()}, nil
}

func (b *specBackend) acceptedCount() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.accepted
}

// fuzzClient serves b on a real socket for the whole fuzz run (one server
// per fuzzing process, not one per input) and returns a client of it.
func fuzzClient(f *testing.F, b Backend) *api.Client {
	f.Helper()
	srv := httptest.NewServer(NewHandler(Config{Backend: b, Token: testToken}))
	f.Cleanup(srv.Close)
	c, err := api.NewClient(api.ClientConfig{Endpoint: srv.URL, Token: testToken, MaxRetries: -1})
	if err != nil {
		f.Fatal(err)
	}
	return c
}

// checkRefusal fails unless err is a 4xx *api.Error with a message that
// does not echo the API token.
func checkRefusal(t *testing.T, what string, err error) *api.Error {
	t.Helper()
	var apiErr *api.Error
	if !errors.As(err, &apiErr) {
		t.Fatalf("%s: %v is not an answer of the server", what, err)
	}
	if apiErr.StatusCode < 400 || apiErr.StatusCode >= 500 {
		t.Fatalf("%s: answered %d: %s", what, apiErr.StatusCode, apiErr.Message)
	}
	if apiErr.Message == "" {
		t.Fatalf("%s: a %d without a message", what, apiErr.StatusCode)
	}
	if strings.Contains(apiErr.Message, testToken) {
		t.Fatalf("%s: the answer echoes the token", what)
	}
	return apiErr
}

// FuzzServiceOptions sends arbitrary names and options to PUT
// /v1/services/{name} and POST …/preview. Install and preview refuse the
// same options (both validate with spec.Parse); a refusal is a 4xx with a
// message, never a 5xx, and is never installed.
func FuzzServiceOptions(f *testing.F) {
	f.Add("kafka", []byte(`{"brokers":{"count":3}}`))
	f.Add("kafka", []byte(`{"brokers":{"count":2147483647},"kafka":{"reserved_broker_max_id":2147483646}}`))
	b := &specBackend{fakeBackend: newFakeBackend()}
	c := fuzzClient(f, b)
	f.Fuzz(func(t *testing.T, name string, body []byte) {
		if name == "" || strings.Trim(name, "/") == "" {
			return // the client refuses these itself: nothing reaches the server
		}
		ctx := testContext(t)
		before := b.acceptedCount()
		_, previewErr := c.PreviewService(ctx, name, json.RawMessage(body))
		_, putErr := c.PutService(ctx, name, json.RawMessage(body), api.PutOptions{})
		if (previewErr == nil) != (putErr == nil) {
			t.Fatalf("preview and install disagree: preview %v, install %v", previewErr, putErr)
		}
		if putErr == nil {
			if b.acceptedCount() != before+1 {
				t.Fatalf("accepted %d installs", b.acceptedCount()-before)
			}
			return
		}
		p := checkRefusal(t, "preview", previewErr)
		i := checkRefusal(t, "install", putErr)
		if p.StatusCode != i.StatusCode {
			t.Fatalf("preview answered %d, install %d", p.StatusCode, i.StatusCode)
		}
		if b.acceptedCount() != before {
			t.Fatal("a refused install was stored")
		}
	})
}

// planService is a fakeService whose deploy plan is a real plan.Plan that
// commands act on, as the service layer's would.
type planService struct {
	*fakeService
	mu     sync.Mutex
	deploy *plan.Plan
}

func (s *planService) plan() *plan.Plan {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.deploy
}

func (s *planService) setPlan(p *plan.Plan) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.deploy = p
}

func (s *planService) PlanNames() []string { return []string{plan.DeployPlanName} }

func (s *planService) PlanInfo(name string) (plan.Info, error) {
	if name != plan.DeployPlanName {
		return plan.Info{}, &service.NotFoundError{Kind: "Plan", Name: name}
	}
	return s.plan().Info(), nil
}

func (s *planService) PlanCommand(_ context.Context, cmd service.PlanCommand) error {
	if cmd.Plan != plan.DeployPlanName {
		return &service.NotFoundError{Kind: "Plan", Name: cmd.Plan}
	}
	p := s.plan()
	switch cmd.Command {
	case service.CommandContinue:
		return p.Continue(cmd.Phase)
	case service.CommandInterrupt:
		return p.Interrupt(cmd.Phase)
	case service.CommandForceComplete:
		return p.ForceComplete(cmd.Phase, cmd.Step)
	case service.CommandRestart:
		return p.Restart(cmd.Phase, cmd.Step)
	case service.CommandStart:
		return p.Start(cmd.Parameters)
	case service.CommandStop:
		p.Stop()
		return nil
	}
	return &service.NotFoundError{Kind: "Command", Name: cmd.Command}
}

// planBackend hosts one planService, "kafka".
type planBackend struct {
	*fakeBackend
	svc *planService
}

func (b *planBackend) Service(name string) (Service, error) {
	if name == "kafka" {
		return b.svc, nil
	}
	return nil, &service.NotFoundError{Kind: "Service", Name: name}
}

// FuzzPlanCommandAPI sends arbitrary plan commands (plan, command, phase,
// step, start parameters) through the client. Whatever they are: no 5xx;
// every refusal is a 4xx with a message and leaves the plan as it was; a
// phase or step the plan does not have is a 404 for every command.
func FuzzPlanCommandAPI(f *testing.F) {
	f.Add("deploy", "stop", "bogus", "", []byte(nil))
	f.Add("deploy", "start", "bogus", "bogus", []byte(`{"A":"1"}`))
	s, err := spec.Parse([]byte(`{"service":{"deploy_strategy":"serial-canary"}}`), spec.DefaultOptions(), spec.Environment{ZookeeperConnect: "127.0.0.1:2181"})
	if err != nil {
		f.Fatal(err)
	}
	svc := &planService{fakeService: newFakeService()}
	c := fuzzClient(f, &planBackend{fakeBackend: newFakeBackend(), svc: svc})
	f.Fuzz(func(t *testing.T, planName, command, phase, step string, params []byte) {
		if planName == "" || command == "" {
			return // not a plan command URL
		}
		p, err := plan.NewDeploy(s, nil)
		if err != nil {
			t.Fatal(err)
		}
		svc.setPlan(p)
		cmd := api.PlanCommand{Command: command, Phase: phase, Step: step}
		if len(params) > 0 {
			_ = json.Unmarshal(params, &cmd.Parameters)
		}
		before := p.Version()
		targetErr := p.Info().Target(phase, step)
		_, err = c.RunPlanCommand(testContext(t), "kafka", planName, cmd)
		if err == nil {
			if planName != plan.DeployPlanName {
				t.Fatalf("a command on plan %q succeeded", planName)
			}
			if targetErr != nil {
				t.Fatalf("%s on %q/%q succeeded though Target said %v", command, phase, step, targetErr)
			}
			return
		}
		refusal := checkRefusal(t, command, err)
		if refusal.StatusCode != http.StatusAlreadyReported && p.Version() != before {
			t.Fatalf("a refused %s (%d %s) changed the plan", command, refusal.StatusCode, refusal.Message)
		}
		var nf *plan.NotFoundError
		if errors.As(targetErr, &nf) && planName == plan.DeployPlanName && isPlanCommand(command) && refusal.StatusCode != http.StatusNotFound {
			t.Fatalf("%s on unknown %q/%q answered %d: %s", command, phase, step, refusal.StatusCode, refusal.Message)
		}
	})
}

func isPlanCommand(c string) bool {
	for _, known := range planCommands {
		if c == known {
			return true
		}
	}
	return false
}
