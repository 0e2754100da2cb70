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
	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/plan"
	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/service"
	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/validation"
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
// query (?phase=&step=, names or UUIDs), and answers as DC/OS does. Before
// anything acts, every parameter is checked against the plan as it is now:
// a query parameter the command does not take is a 400, an unknown phase
// or step a 404 naming the ones that exist (for every command, start and
// stop included), and a phase or step given to a command that does not
// take one a 400 (start and stop act on the whole plan, continue and
// interrupt on a phase at most), so that no command silently acts on more
// than it was asked to.
func (s *server) runPlanCommand(w http.ResponseWriter, r *http.Request, svc Service, planName, command string, allowed []string) {
	if !slices.Contains(allowed, command) {
		writeError(w, http.StatusNotFound, fmt.Sprintf("unknown plan command %q: use one of %s", command, strings.Join(allowed, ", ")))
		return
	}
	phase, step, err := commandTarget(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	cmd := service.PlanCommand{Plan: planName, Command: command, Phase: phase, Step: step}
	if err := checkCommandTarget(svc, cmd); err != nil {
		s.fail(w, r, err)
		return
	}
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

// planCommandQuery are the query parameters plan commands take; cmd is
// the legacy /v1/plan?cmd=<command> form's.
var planCommandQuery = []string{"phase", "step", "cmd"}

// commandTarget reads ?phase= and ?step=, refusing parameters no plan
// command takes (a misspelt "phse" would otherwise make the command act on
// the whole plan) and repeated ones.
func commandTarget(r *http.Request) (phase, step string, err error) {
	q := r.URL.Query()
	for _, k := range slices.Sorted(maps.Keys(q)) {
		if !slices.Contains(planCommandQuery, k) {
			return "", "", badRequest(fmt.Sprintf("unknown query parameter %q: plan commands take phase and step (names or ids)", shorten(k)))
		}
		if len(q[k]) > 1 {
			return "", "", badRequest(fmt.Sprintf("query parameter %q is given %d times: give it once", k, len(q[k])))
		}
	}
	return q.Get("phase"), q.Get("step"), nil
}

// checkCommandTarget checks the command's phase and step against the plan
// before the command runs: an unknown plan, phase or step is the typed
// error the plan and service packages return (404), a step without its
// phase plan.ErrMissingPhase (400), and a phase or step the command does
// not take a 400.
func checkCommandTarget(svc Service, cmd service.PlanCommand) error {
	if cmd.Phase == "" && cmd.Step == "" {
		return nil
	}
	info, err := svc.PlanInfo(cmd.Plan)
	if err != nil {
		return err
	}
	if err := info.Target(cmd.Phase, cmd.Step); err != nil {
		return err
	}
	switch cmd.Command {
	case service.CommandStart, service.CommandStop:
		return badRequest(fmt.Sprintf("%s %v: leave out phase and step", cmd.Command, plan.ErrWholePlanOnly))
	case service.CommandContinue, service.CommandInterrupt:
		if cmd.Step != "" {
			return badRequest(fmt.Sprintf("%s acts on a phase or the whole plan and takes no step: leave out step (to run one step again, use restart)", cmd.Command))
		}
	}
	return nil
}

// shorten bounds what of a request is repeated in an answer.
func shorten(s string) string { return validation.Shorten(s, validation.MaxFieldLength) }

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
