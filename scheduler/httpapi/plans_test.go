package httpapi

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"reflect"
	"strings"
	"testing"

	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/api"
	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/plan"
	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/service"
	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/state"
)

func TestPlansRead(t *testing.T) {
	h := NewHandler(Config{Backend: newFakeBackend()})
	rec := do(t, h, "GET", "/service/kafka/v1/plans", "", "")
	wantStatus(t, rec, http.StatusOK)
	if got := decode[[]string](t, rec); !reflect.DeepEqual(got, []string{"deploy", "recovery"}) {
		t.Fatalf("plans = %v", got)
	}

	cases := []struct {
		path   string
		want   int
		status plan.Status
	}{
		{"/service/kafka/v1/plans/deploy", http.StatusOK, plan.Complete},
		{"/service/kafka/v1/plans/recovery", http.StatusAccepted, plan.InProgress},
		{"/service/kafka/v1/plans/broken", http.StatusExpectationFailed, plan.Error},
		{"/service/prod/kafka/v1/plans/broken", http.StatusExpectationFailed, plan.Error},
		{"/service/kafka/v1/plan", http.StatusOK, plan.Complete}, // legacy: the deploy plan
	}
	for _, c := range cases {
		t.Run(c.path, func(t *testing.T) {
			rec := do(t, h, "GET", c.path, "", "")
			wantStatus(t, rec, c.want)
			got := decode[map[string]json.RawMessage](t, rec)
			for _, key := range []string{"phases", "errors", "strategy", "status"} {
				if _, ok := got[key]; !ok {
					t.Errorf("plan body has no %q: %s", key, rec.Body)
				}
			}
			if string(got["status"]) != `"`+string(c.status)+`"` {
				t.Errorf("status = %s, want %s", got["status"], c.status)
			}
		})
	}

	rec = do(t, h, "GET", "/service/kafka/v1/plans/nope", "", "")
	wantStatus(t, rec, http.StatusNotFound)
	wantMessage(t, rec, "Plan nope not found")

	rec = do(t, NewHandler(Config{Backend: &fakeBackend{svcs: map[string]*fakeService{"kafka": {}}}}), "GET", "/service/kafka/v1/plans", "", "")
	if strings.TrimSpace(rec.Body.String()) != "[]" {
		t.Errorf("no plans: %s, want []", rec.Body)
	}
}

func TestPlanCommands(t *testing.T) {
	cases := []struct {
		name, method, path, body string
		want                     service.PlanCommand
		msg                      string
	}{
		{"continue", "POST", "/v1/plans/deploy/continue", "",
			service.PlanCommand{Plan: "deploy", Command: "continue"}, "Received cmd: continue"},
		{"continue a phase", "POST", "/v1/plans/deploy/continue?phase=broker", "",
			service.PlanCommand{Plan: "deploy", Command: "continue", Phase: "broker"}, "Received cmd: continue"},
		{"interrupt a phase by id", "POST", "/v1/plans/recovery/interrupt?phase=1915bcad-1235-400f-8406-4ac7555a7d34", "",
			service.PlanCommand{Plan: "recovery", Command: "interrupt", Phase: "1915bcad-1235-400f-8406-4ac7555a7d34"}, "Received cmd: interrupt"},
		{"forceComplete a step", "POST", "/v1/plans/deploy/forceComplete?phase=broker&step=kafka-0%3A%5Bbroker%5D", "",
			service.PlanCommand{Plan: "deploy", Command: "forceComplete", Phase: "broker", Step: "kafka-0:[broker]"},
			"Received cmd: forceComplete for Plan: deploy, Phase: broker, Step: kafka-0:[broker]"},
		{"forceComplete the plan", "POST", "/v1/plans/deploy/forceComplete", "",
			service.PlanCommand{Plan: "deploy", Command: "forceComplete"},
			"Received cmd: forceComplete for Plan: deploy, Phase: null, Step: null"},
		{"restart a phase", "POST", "/v1/plans/deploy/restart?phase=broker", "",
			service.PlanCommand{Plan: "deploy", Command: "restart", Phase: "broker"},
			"Received cmd: restart for Plan: deploy, Phase: broker, Step: null"},
		{"restart a step by name", "POST", "/v1/plans/deploy/restart?phase=broker&step=kafka-2%3A%5Bbroker%5D", "",
			service.PlanCommand{Plan: "deploy", Command: "restart", Phase: "broker", Step: "kafka-2:[broker]"},
			"Received cmd: restart for Plan: deploy, Phase: broker, Step: kafka-2:[broker]"},
		{"restart a step by id and phase by id", "POST", "/v1/plans/deploy/restart?phase=" + fakeDeployPhaseID + "&step=0b5c3a52-6d3e-4f0a-9c1e-000000000001", "",
			service.PlanCommand{Plan: "deploy", Command: "restart", Phase: fakeDeployPhaseID, Step: "0b5c3a52-6d3e-4f0a-9c1e-000000000001"},
			"Received cmd: restart for Plan: deploy, Phase: " + fakeDeployPhaseID + ", Step: 0b5c3a52-6d3e-4f0a-9c1e-000000000001"},
		{"start with parameters", "POST", "/v1/plans/reassign/start", `{"TOPICS":"a,b","BROKERS":"0"}`,
			service.PlanCommand{Plan: "reassign", Command: "start", Parameters: map[string]string{"TOPICS": "a,b", "BROKERS": "0"}},
			"Received cmd: start reassign with parameters: {BROKERS=0, TOPICS=a,b}"},
		{"start without body", "POST", "/v1/plans/reassign/start", "",
			service.PlanCommand{Plan: "reassign", Command: "start"}, "Received cmd: start reassign with parameters: {}"},
		{"start with an empty object", "POST", "/v1/plans/reassign/start", "{}",
			service.PlanCommand{Plan: "reassign", Command: "start", Parameters: map[string]string{}}, "Received cmd: start reassign with parameters: {}"},
		{"stop", "POST", "/v1/plans/reassign/stop", "",
			service.PlanCommand{Plan: "reassign", Command: "stop"}, "Received cmd: stop"},
		{"escaped plan name", "POST", "/v1/plans/my%20plan/stop", "",
			service.PlanCommand{Plan: "my plan", Command: "stop"}, "Received cmd: stop"},
		{"legacy continue", "POST", "/v1/plan/continue", "",
			service.PlanCommand{Plan: "deploy", Command: "continue"}, "Received cmd: continue"},
		{"legacy continue by GET (seed curl)", "GET", "/v1/plan/continue", "",
			service.PlanCommand{Plan: "deploy", Command: "continue"}, "Received cmd: continue"},
		{"legacy interrupt by PUT", "PUT", "/v1/plan/interrupt", "",
			service.PlanCommand{Plan: "deploy", Command: "interrupt"}, "Received cmd: interrupt"},
		{"legacy ?cmd= (seed curl)", "PUT", "/v1/plan?cmd=continue", "",
			service.PlanCommand{Plan: "deploy", Command: "continue"}, "Received cmd: continue"},
		{"legacy forceComplete with query", "POST", "/v1/plan/forceComplete?phase=broker&step=kafka-1%3A%5Bbroker%5D", "",
			service.PlanCommand{Plan: "deploy", Command: "forceComplete", Phase: "broker", Step: "kafka-1:[broker]"},
			"Received cmd: forceComplete for Plan: deploy, Phase: broker, Step: kafka-1:[broker]"},
		{"legacy ?cmd= with a phase", "POST", "/v1/plan?cmd=interrupt&phase=broker", "",
			service.PlanCommand{Plan: "deploy", Command: "interrupt", Phase: "broker"}, "Received cmd: interrupt"},
	}
	for _, c := range cases {
		for _, prefix := range []string{"/service/kafka", "/service/prod/kafka", "/service/prod%2Fkafka"} {
			t.Run(c.name+" "+prefix, func(t *testing.T) {
				b := newFakeBackend()
				name, _ := serviceNameFromPath(strings.TrimPrefix(prefix, "/service/"))
				rec := do(t, NewHandler(Config{Backend: b}), c.method, prefix+c.path, "", c.body)
				wantStatus(t, rec, http.StatusOK)
				wantMessage(t, rec, c.msg)
				cmds := b.svcs[name].cmds
				if len(cmds) != 1 || !reflect.DeepEqual(cmds[0], c.want) {
					t.Fatalf("commands = %+v, want %+v", cmds, c.want)
				}
			})
		}
	}
}

func TestPlanCommandsRefused(t *testing.T) {
	cases := []struct {
		name, method, path, body string
		want                     int
	}{
		{"unknown command", "POST", "/v1/plans/deploy/explode", "", http.StatusNotFound},
		{"start is not a legacy command", "POST", "/v1/plan/start", "", http.StatusNotFound},
		{"unknown ?cmd=", "PUT", "/v1/plan?cmd=explode", "", http.StatusNotFound},
		{"missing ?cmd=", "PUT", "/v1/plan", "", http.StatusNotFound},
		{"start with a non-object body", "POST", "/v1/plans/deploy/start", `["A"]`, http.StatusBadRequest},
		{"start with non-string values", "POST", "/v1/plans/deploy/start", `{"A":1}`, http.StatusBadRequest},
		{"start with a huge body", "POST", "/v1/plans/deploy/start", `{"A":"` + strings.Repeat("x", maxBodyBytes) + `"}`, http.StatusRequestEntityTooLarge},
		{"command by GET", "GET", "/v1/plans/deploy/continue", "", http.StatusMethodNotAllowed},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			b := newFakeBackend()
			rec := do(t, NewHandler(Config{Backend: b}), c.method, "/service/kafka"+c.path, "", c.body)
			wantStatus(t, rec, c.want)
			decode[api.ErrorBody](t, rec)
			if cmds := b.svcs["kafka"].cmds; len(cmds) != 0 {
				t.Fatalf("the backend ran %+v", cmds)
			}
		})
	}
	rec := do(t, NewHandler(Config{Backend: newFakeBackend()}), "POST", "/service/kafka/v1/plans/deploy/start", "", `{"A":1}`)
	if msg := decode[api.ErrorBody](t, rec).Message; !strings.HasPrefix(msg, "Couldn't parse parameters") {
		t.Errorf("bad parameters message = %q", msg)
	}
}

func TestPlanCommandErrors(t *testing.T) {
	cases := []struct {
		name string
		err  error
		want int
		msg  string
	}{
		{"already reported", plan.ErrAlreadyReported, http.StatusAlreadyReported, "Command has already been reported or completed"},
		{"wrapped already reported", fmt.Errorf("continue: %w", plan.ErrAlreadyReported), http.StatusAlreadyReported, "Command has already been reported or completed"},
		{"missing phase", plan.ErrMissingPhase, http.StatusBadRequest, "Missing phase"},
		{"unknown phase", &plan.NotFoundError{Kind: "Phase", Name: "nope"}, http.StatusNotFound, "Phase nope not found"},
		{"unknown step", &plan.NotFoundError{Kind: "Step", Name: "nope"}, http.StatusNotFound, "Step nope not found"},
		{"unknown plan", &service.NotFoundError{Kind: "Plan", Name: "nope"}, http.StatusNotFound, "Plan nope not found"},
		{"bad parameter name", &plan.InvalidParameterError{Names: []string{"1X"}}, http.StatusBadRequest, (&plan.InvalidParameterError{Names: []string{"1X"}}).Error()},
		{"conflict", fmt.Errorf("uninstalling: %w", service.ErrConflict), http.StatusConflict, "uninstalling: conflict"},
		{"store down", fmt.Errorf("saving the override: %w", state.ErrUnavailable), http.StatusServiceUnavailable, "saving the override: state store unavailable"},
		{"other", errors.New("boom"), http.StatusInternalServerError, "boom"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			b := newFakeBackend()
			b.svcs["kafka"].cmdErr = c.err
			rec := do(t, NewHandler(Config{Backend: b}), "POST", "/service/kafka/v1/plans/deploy/continue?phase=broker", "", "")
			wantStatus(t, rec, c.want)
			wantMessage(t, rec, c.msg)
		})
	}
}

// TestPlanCommandParametersAreCheckedFirst is issue 15's fault 7: every
// plan command checks its phase and step against the plan before anything
// acts. An unknown one is a 404 naming the ones that exist (stop and start
// used to answer 200 and act on the whole plan); a parameter a command does
// not take is a 400; the backend never sees the command.
func TestPlanCommandParametersAreCheckedFirst(t *testing.T) {
	const (
		phases = "; the plan's phases are: broker (names or ids)"
		steps  = " in phase broker; its steps are: kafka-0:[broker], kafka-1:[broker], kafka-2:[broker] (names or ids)"
	)
	cases := []struct {
		name, path string
		want       int
		msg        string
	}{
		{"stop bogus phase", "/v1/plans/deploy/stop?phase=bogus", http.StatusNotFound, "Phase bogus not found" + phases},
		{"start bogus phase and step", "/v1/plans/deploy/start?phase=bogus&step=bogus", http.StatusNotFound, "Phase bogus not found" + phases},
		{"start bogus step", "/v1/plans/deploy/start?phase=broker&step=bogus", http.StatusNotFound, "Step bogus not found" + steps},
		{"continue bogus phase", "/v1/plans/deploy/continue?phase=bogus", http.StatusNotFound, "Phase bogus not found" + phases},
		{"interrupt bogus phase id", "/v1/plans/deploy/interrupt?phase=00000000-0000-4000-8000-999999999999", http.StatusNotFound,
			"Phase 00000000-0000-4000-8000-999999999999 not found" + phases},
		{"forceComplete bogus step", "/v1/plans/deploy/forceComplete?phase=broker&step=kafka-9", http.StatusNotFound, "Step kafka-9 not found" + steps},
		{"restart bogus phase", "/v1/plans/deploy/restart?phase=bogus&step=kafka-0%3A%5Bbroker%5D", http.StatusNotFound, "Phase bogus not found" + phases},
		{"legacy bogus phase", "/v1/plan/continue?phase=bogus", http.StatusNotFound, "Phase bogus not found" + phases},
		{"legacy ?cmd= bogus step", "/v1/plan?cmd=restart&phase=broker&step=bogus", http.StatusNotFound, "Step bogus not found" + steps},
		{"unknown plan with a phase", "/v1/plans/nope/stop?phase=broker", http.StatusNotFound, "Plan nope not found"},
		{"step without phase", "/v1/plans/deploy/restart?step=kafka-0%3A%5Bbroker%5D", http.StatusBadRequest, "Missing phase"},
		{"stop a real phase", "/v1/plans/deploy/stop?phase=broker", http.StatusBadRequest,
			"stop acts on the whole plan and takes no phase or step: leave out phase and step"},
		{"start a real step", "/v1/plans/deploy/start?phase=broker&step=kafka-0%3A%5Bbroker%5D", http.StatusBadRequest,
			"start acts on the whole plan and takes no phase or step: leave out phase and step"},
		{"continue a step", "/v1/plans/deploy/continue?phase=broker&step=kafka-0%3A%5Bbroker%5D", http.StatusBadRequest,
			"continue acts on a phase or the whole plan and takes no step: leave out step (to run one step again, use restart)"},
		{"misspelt parameter", "/v1/plans/deploy/restart?phse=broker", http.StatusBadRequest,
			`unknown query parameter "phse": plan commands take phase and step (names or ids)`},
		{"repeated parameter", "/v1/plans/deploy/restart?phase=broker&phase=other", http.StatusBadRequest,
			`query parameter "phase" is given 2 times: give it once`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			b := newFakeBackend()
			rec := do(t, NewHandler(Config{Backend: b}), "POST", "/service/kafka"+c.path, "", "")
			wantStatus(t, rec, c.want)
			wantMessage(t, rec, c.msg)
			if cmds := b.svcs["kafka"].cmds; len(cmds) != 0 {
				t.Fatalf("the backend ran %+v", cmds)
			}
		})
	}
	long := strings.Repeat("p", 100_000)
	rec := do(t, NewHandler(Config{Backend: newFakeBackend()}), "POST", "/service/kafka/v1/plans/deploy/stop?phase="+long, "", "")
	wantStatus(t, rec, http.StatusNotFound)
	if rec.Body.Len() > 1000 {
		t.Errorf("a 100,000-byte phase is echoed: %d-byte answer", rec.Body.Len())
	}
}
