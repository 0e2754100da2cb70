package httpapi

import (
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strings"

	"github.com/go-chi/chi/v5"
	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/api"
	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/service"
)

// deployPlan is the plan the legacy /v1/plan endpoints work on.
const deployPlan = "deploy"

// planCommands are the commands of POST /v1/plans/{plan}/{command}.
var planCommands = []string{service.CommandContinue, service.CommandInterrupt, service.CommandForceComplete, service.CommandRestart, service.CommandStart, service.CommandStop}

// legacyPlanCommands are the commands of the deprecated /v1/plan/{command}
// (dcos-commons DeprecatedPlanResource).
var legacyPlanCommands = []string{service.CommandContinue, service.CommandInterrupt, service.CommandForceComplete, service.CommandRestart}

// planRoutes registers the plans API (dcos-commons PlansResource) and its
// deprecated /v1/plan aliases for the deploy plan. DC/OS served the aliases
// on POST only; GET and PUT /v1/plan/{command} and PUT|POST
// /v1/plan?cmd=<command> are accepted too so that the curl examples of the
// older DC/OS Kafka docs keep working.
func (s *server) planRoutes(r chi.Router) {
	r.Get("/v1/plans", s.with(s.listPlans))
	r.Get("/v1/plans/{plan}", s.with(s.getPlan))
	r.Post("/v1/plans/{plan}/{command}", s.with(s.planCommand))

	r.Get("/v1/plan", s.with(s.getDeployPlan))
	r.Put("/v1/plan", s.with(s.legacyPlanCommandQuery))
	r.Post("/v1/plan", s.with(s.legacyPlanCommandQuery))
	for _, m := range []string{http.MethodGet, http.MethodPost, http.MethodPut} {
		r.Method(m, "/v1/plan/{command}", s.with(s.legacyPlanCommand))
	}
}

func (s *server) listPlans(w http.ResponseWriter, _ *http.Request, svc Service) {
	writeJSON(w, http.StatusOK, nonNil(svc.PlanNames()))
}

func (s *server) getPlan(w http.ResponseWriter, r *http.Request, svc Service) {
	s.writePlan(w, r, svc, pathParam(r, "plan"))
}

func (s *server) getDeployPlan(w http.ResponseWriter, r *http.Request, svc Service) {
	s.writePlan(w, r, svc, deployPlan)
}

// writePlan answers with the plan's info and the DC/OS status code: 200
// complete, 202 not yet, 417 errors.
func (s *server) writePlan(w http.ResponseWriter, r *http.Request, svc Service, name string) {
	info, err := svc.PlanInfo(name)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, info.HTTPStatus(), toPlan(info))
}

func (s *server) planCommand(w http.ResponseWriter, r *http.Request, svc Service) {
	s.runPlanCommand(w, r, svc, pathParam(r, "plan"), pathParam(r, "command"), planCommands)
}

func (s *server) legacyPlanCommand(w http.ResponseWriter, r *http.Request, svc Service) {
	s.runPlanCommand(w, r, svc, deployPlan, pathParam(r, "command"), legacyPlanCommands)
}

func (s *server) legacyPlanCommandQuery(w http.ResponseWriter, r *http.Request, svc Service) {
	s.runPlanCommand(w, r, svc, deployPlan, r.URL.Query().Get("cmd"), legacyPlanCommands)
}

// runPlanCommand runs command on the plan, with the phase and step of the
// query (?phase=&step=, names or UUIDs) passed on as given, and answers as
// DC/OS does.
func (s *server) runPlanCommand(w http.ResponseWriter, r *http.Request, svc Service, planName, command string, allowed []string) {
	if !slices.Contains(allowed, command) {
		writeError(w, http.StatusNotFound, fmt.Sprintf("unknown plan command %q: use one of %s", command, strings.Join(allowed, ", ")))
		return
	}
	q := r.URL.Query()
	cmd := service.PlanCommand{Plan: planName, Command: command, Phase: q.Get("phase"), Step: q.Get("step")}
	if command == service.CommandStart {
		params, err := readStartParameters(w, r)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		cmd.Parameters = params
	}
	if err := svc.PlanCommand(r.Context(), cmd); err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, api.Message{Message: commandMessage(cmd)})
}

// readStartParameters reads the start command's body: a JSON object of
// string values, or nothing.
func readStartParameters(w http.ResponseWriter, r *http.Request) (map[string]string, error) {
	body, err := readBody(w, r, "the parameters")
	if err != nil || len(body) == 0 {
		return nil, err
	}
	var params map[string]string
	if err := json.Unmarshal(body, &params); err != nil {
		return nil, badRequest("Couldn't parse parameters: the body must be a JSON object of strings such as {\"KEY\": \"value\"}: " + err.Error())
	}
	return params, nil
}

// commandMessage is the DC/OS answer to a successful plan command
// (dcos-commons PlansQueries): "Received cmd: continue", "Received cmd:
// start deploy with parameters: {A=1}", "Received cmd: restart for Plan:
// deploy, Phase: broker, Step: null" (Java prints a missing phase or step
// as null).
func commandMessage(cmd service.PlanCommand) string {
	switch cmd.Command {
	case service.CommandStart:
		return fmt.Sprintf("Received cmd: start %s with parameters: %s", cmd.Plan, javaMap(cmd.Parameters))
	case service.CommandForceComplete, service.CommandRestart:
		return fmt.Sprintf("Received cmd: %s for Plan: %s, Phase: %s, Step: %s",
			cmd.Command, cmd.Plan, orNull(cmd.Phase), orNull(cmd.Step))
	default:
		return "Received cmd: " + cmd.Command
	}
}

// javaMap renders a map as Java's Map.toString does ("{A=1, B=2}"), keys
// sorted.
func javaMap(m map[string]string) string {
	keys := slices.Sorted(maps.Keys(m))
	pairs := make([]string, len(keys))
	for i, k := range keys {
		pairs[i] = k + "=" + m[k]
	}
	return "{" + strings.Join(pairs, ", ") + "}"
}

func orNull(s string) string {
	if s == "" {
		return "null"
	}
	return s
}
