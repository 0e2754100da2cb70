package httpapi

import (
	"net/http"

	"github.com/go-chi/chi/v5"
)

// endpointRoutes registers the endpoints API (dcos-commons
// EndpointsResource).
func (s *server) endpointRoutes(r chi.Router) {
	r.Get("/v1/endpoints", s.with(s.listEndpoints))
	r.Get("/v1/endpoints/{name}", s.with(s.getEndpoint))
}

func (s *server) listEndpoints(w http.ResponseWriter, _ *http.Request, svc Service) {
	writeJSON(w, http.StatusOK, nonNil(svc.EndpointNames()))
}

// getEndpoint answers a port endpoint as JSON {address, dns, vip} and a
// text endpoint (zookeeper) as text/plain, as DC/OS does.
func (s *server) getEndpoint(w http.ResponseWriter, r *http.Request, svc Service) {
	ep, err := svc.Endpoint(pathParam(r, "name"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if ep.Text != "" {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.WriteHeader(http.StatusOK)
		_, _ = w.Write([]byte(ep.Text))
		return
	}
	writeJSON(w, http.StatusOK, toEndpoint(ep))
}
