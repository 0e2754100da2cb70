package httpapi

import (
	"fmt"
	"net/http"
)

// health is the scheduler's liveness (GET /v1/health, no token).
func (s *server) health(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}

// serviceHealth is a service's DC/OS health (GET /service/{name}/v1/health,
// no token): the status code is the health code (200 RUNNING, 204
// DEPLOYING_PENDING, 318 INITIALIZING, ...) and the body
// {"value": code, "name": ..., "reasons": [...]}. A 204 or 304 answer has
// no body.
func (s *server) serviceHealth(w http.ResponseWriter, r *http.Request, svc Service) {
	h := svc.Health()
	if h.Code < 200 || h.Code > 999 {
		s.fail(w, r, fmt.Errorf("service %s reported the invalid health code %d", serviceName(r.Context()), h.Code))
		return
	}
	if h.Code == http.StatusNoContent || h.Code == http.StatusNotModified {
		w.WriteHeader(h.Code)
		return
	}
	writeJSON(w, h.Code, toHealth(h))
}
