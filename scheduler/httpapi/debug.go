package httpapi

import (
	"net/http"

	"github.com/go-chi/chi/v5"
)

// debugRoutes registers the metrics and diagnostics endpoints.
func (s *server) debugRoutes(r chi.Router) {
	r.Get("/v1/metrics", s.with(s.metrics))
	r.Get("/v1/metrics/prometheus", s.with(s.prometheusMetrics))
	r.Get("/v1/debug/offers", s.with(s.offerOutcomes))
	r.Get("/v2/debug/offers", s.with(s.offerOutcomes))
}

func (s *server) metrics(w http.ResponseWriter, r *http.Request, svc Service) {
	serveMetrics(w, r, svc.Metrics())
}

func (s *server) prometheusMetrics(w http.ResponseWriter, r *http.Request, svc Service) {
	serveMetrics(w, r, svc.PrometheusMetrics())
}

func serveMetrics(w http.ResponseWriter, r *http.Request, h http.Handler) {
	if h == nil {
		writeError(w, http.StatusNotFound, "this service has no metrics")
		return
	}
	h.ServeHTTP(w, r)
}

// offerOutcomes lists the latest offer evaluations, newest first.
func (s *server) offerOutcomes(w http.ResponseWriter, _ *http.Request, svc Service) {
	writeJSON(w, http.StatusOK, toOfferOutcomes(svc.OfferOutcomes()))
}
