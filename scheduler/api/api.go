// Package api is the scheduler's REST API: the management endpoints under
// /v1/services that the Terraform provider uses, and (as the scheduler core
// grows) the DC/OS-compatible per-service endpoints under
// /service/{name}/v1/. It owns routing, token authentication, and the JSON
// shape of answers and errors; what the endpoints do belongs to the packages
// behind the Backend interface.
package api

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/go-chi/chi/v5/middleware"
)

// ServiceSummary is one installed service in GET /v1/services.
type ServiceSummary struct {
	Name string `json:"name"`
}

// Backend is what the API serves.
type Backend interface {
	// Services lists the installed services, sorted by name.
	Services(ctx context.Context) ([]ServiceSummary, error)
}

// Config configures the API handler.
type Config struct {
	Backend Backend
	// Token, when set, is required on every endpoint but health, as
	// `Authorization: token=<t>` (DC/OS) or `Authorization: Bearer <t>`.
	Token  string
	Logger *slog.Logger
}

// NewHandler returns the API's HTTP handler.
func NewHandler(cfg Config) http.Handler {
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	s := &server{backend: cfg.Backend, log: cfg.Logger}
	r := chi.NewRouter()
	r.Use(middleware.Recoverer, s.logRequests)
	r.NotFound(func(w http.ResponseWriter, _ *http.Request) {
		writeError(w, http.StatusNotFound, "no such endpoint; see the README for the API")
	})
	r.MethodNotAllowed(func(w http.ResponseWriter, r *http.Request) {
		writeError(w, http.StatusMethodNotAllowed, r.Method+" is not allowed on "+r.URL.Path)
	})
	r.Get("/v1/health", s.health)
	r.Group(func(r chi.Router) {
		r.Use(requireToken(cfg.Token))
		r.Get("/v1/services", s.listServices)
	})
	return r
}

type server struct {
	backend Backend
	log     *slog.Logger
}

func (s *server) health(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}

func (s *server) listServices(w http.ResponseWriter, r *http.Request) {
	services, err := s.backend.Services(r.Context())
	if err != nil {
		s.log.Error("listing services", "error", err)
		writeError(w, http.StatusServiceUnavailable, "listing services: "+err.Error())
		return
	}
	if services == nil {
		services = []ServiceSummary{}
	}
	writeJSON(w, http.StatusOK, services)
}

// requireToken checks the Authorization header against token in constant
// time. The token itself is never logged or echoed.
func requireToken(token string) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		if token == "" {
			return next
		}
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if subtle.ConstantTimeCompare([]byte(presentedToken(r)), []byte(token)) != 1 {
				w.Header().Set("WWW-Authenticate", `Bearer realm="kafka-scheduler"`)
				writeError(w, http.StatusUnauthorized, "missing or wrong API token: send 'Authorization: token=<token>' or 'Authorization: Bearer <token>'")
				return
			}
			next.ServeHTTP(w, r)
		})
	}
}

func presentedToken(r *http.Request) string {
	h := strings.TrimSpace(r.Header.Get("Authorization"))
	switch {
	case strings.HasPrefix(h, "token="):
		return strings.TrimPrefix(h, "token=")
	case len(h) > 7 && strings.EqualFold(h[:7], "bearer "):
		return strings.TrimSpace(h[7:])
	}
	return ""
}

func (s *server) logRequests(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ww := middleware.NewWrapResponseWriter(w, r.ProtoMajor)
		start := time.Now()
		next.ServeHTTP(ww, r)
		s.log.Debug("api request", "method", r.Method, "path", r.URL.Path, "status", ww.Status(), "duration", time.Since(start))
	})
}

// errorBody is the JSON shape of every error answer.
type errorBody struct {
	Message string `json:"message"`
}

func writeError(w http.ResponseWriter, status int, message string) {
	writeJSON(w, status, errorBody{Message: message})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
