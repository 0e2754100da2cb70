package httpapi

import (
	"context"
	"net/http"
	"strings"

	"github.com/go-chi/chi/v5"
)

// dispatchService serves /service/{name}/{v1|v2}/...: the service name is
// every path segment before the first "v1" or "v2" segment (at least one),
// as DC/OS puts a folder path there ("/service/prod/kafka/v1/plans"); an
// escaped name ("/service/prod%2Fkafka/v1/plans") works too. A service
// whose folder path contains a "v1" or "v2" folder can only be reached in
// the escaped form. The rest of the path is routed by serviceRouter.
func (s *server) dispatchService(w http.ResponseWriter, r *http.Request) {
	escapedName, apiPath, ok := splitServicePath(chi.URLParam(r, "*"))
	if !ok {
		writeError(w, http.StatusNotFound, "no such endpoint: per-service endpoints are /service/{name}/v1/...")
		return
	}
	name, err := serviceNameFromPath(escapedName)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	// Hand the rest of the path to the per-service router, as chi's Mount
	// does.
	chi.RouteContext(r.Context()).RoutePath = apiPath
	s.perService.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), serviceNameKey{}, name)))
}

// splitServicePath splits the escaped path after "/service/" into the
// escaped service name and the API path ("/v1/...").
func splitServicePath(rest string) (escapedName, apiPath string, ok bool) {
	segs := strings.Split(rest, "/")
	for i := 1; i < len(segs); i++ {
		if segs[i] == "v1" || segs[i] == "v2" {
			return strings.Join(segs[:i], "/"), "/" + strings.Join(segs[i:], "/"), true
		}
	}
	return "", "", false
}

// serviceHandler is a per-service endpoint; with looks the service up.
type serviceHandler func(w http.ResponseWriter, r *http.Request, svc Service)

// with adapts h to an http.HandlerFunc that looks the request's service
// up first: an unknown service is a 404 "Service X not found". It runs
// after the token check, so that callers without the token learn nothing
// about which services exist.
func (s *server) with(h serviceHandler) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		svc, err := s.backend.Service(serviceName(r.Context()))
		if err != nil {
			s.fail(w, r, err)
			return
		}
		h(w, r, svc)
	}
}

// serviceRouter routes the API path of a /service/{name}/... request.
//
// The per-service health does not need the token: DC/OS exposes it to
// Marathon health checks, which send no credentials, and it reveals only
// the service's health code and reasons.
func (s *server) serviceRouter() *chi.Mux {
	r := newRouter()
	r.Get("/v1/health", s.with(s.serviceHealth))
	r.Group(func(r chi.Router) {
		r.Use(requireToken(s.token))
		s.planRoutes(r)
		s.podRoutes(r)
		s.restartRoutes(r)
		s.recoveryRoutes(r)
		s.endpointRoutes(r)
		s.configRoutes(r)
		s.stateRoutes(r)
		s.debugRoutes(r)
		s.topicRoutes(r)  // topics.go
		s.brokerRoutes(r) // brokers.go
	})
	return r
}
