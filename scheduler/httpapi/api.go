// Package httpapi serves the scheduler's REST API. It owns the HTTP surface
// and nothing behind it: routing, token authentication, reading request
// bodies (size limits, JSON shape), mapping the backend's errors to status
// codes, and converting the backend's domain values into the contract's
// wire types (package api, convert.go). What the endpoints do belongs to the
// packages behind the Backend and Service interfaces (backend.go); the
// contract itself (routes, bodies, status codes) is documented in package
// api, whose Client the tests of this package use, so that the two cannot
// drift.
//
// Routes (files in brackets):
//
//	GET    /v1/health                                scheduler liveness, no token      [health.go]
//
//	Management, used by the Terraform provider       (token)                           [services.go]
//	GET    /v1/services
//	PUT    /v1/services/{name}                       201 when installed, else 200
//	GET    /v1/services/{name}
//	DELETE /v1/services/{name}                       202, uninstall runs in the background
//	POST   /v1/services/{name}/preview               changes nothing
//
//	Secrets, values write-only                        (token)                           [secrets.go]
//	GET    /v1/secrets ; GET|PUT|DELETE /v1/secrets/{path}
//
//	Per service, DC/OS compatible, under /service/{name}  (token, except health)        [service.go]
//	GET    /v1/plans ; /v1/plans/{plan}              plan status 200/202/417            [plans.go]
//	POST   /v1/plans/{plan}/{continue|interrupt|forceComplete|restart|start|stop}
//	GET    /v1/plan ; GET|POST|PUT /v1/plan/{continue|interrupt|forceComplete|restart}
//	PUT|POST /v1/plan?cmd=<command>                  legacy aliases for the deploy plan
//	GET    /v1/pod ; /v1/pod/status ; /v1/pod/{pod}/status ; /v1/pod/{pod}/info        [pods.go]
//	POST   /v1/pod/{pod}/restart ; PUT /v1/brokers/{id}   restart in place            [restart.go]
//	GET    /v1/endpoints ; /v1/endpoints/{name}                                         [endpoints.go]
//	GET    /v1/configurations ; /targetId ; /target ; /{id}                             [config.go]
//	GET    /v1/state/frameworkId ; /v1/state/properties ; /v1/state/properties/{name}  [config.go]
//	GET    /v1/health                                no token (Marathon health checks)  [health.go]
//	GET    /v1/metrics ; /v1/metrics/prometheus                                         [debug.go]
//	GET    /v1/debug/offers ; /v2/debug/offers                                          [debug.go]
//	GET|POST /v1/topics ; GET /v1/topics/{under_replicated_partitions|unavailable_partitions}
//	GET|POST|PUT|DELETE /v1/topics/{topic} ; GET /v1/topics/{topic}/offsets          [topics.go]
//	GET|POST /v2/topics ; GET|DELETE /v2/topics/{topic}
//	PUT    /v2/topics/{topic}/{configs|partitions|replication}                         [topics.go]
//	GET    /v1/brokers ; /v1/brokers/{id}                                               [brokers.go]
//
// Service names may contain folders ("prod/kafka"). Both routings accept the
// folder path URL-escaped in one segment ("prod%2Fkafka") or as plain path
// segments ("prod/kafka"); see service.go and services.go. Routing works on
// the escaped path (routeOnEscapedPath), and path parameters are unescaped
// by pathParam, so both spellings give the same name.
//
// Errors are JSON {"message": ...} everywhere (see errorResponse for the
// status codes). This deviates on purpose from DC/OS, whose errors were
// text/plain or empty-bodied; the status codes are the DC/OS ones.
package httpapi

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/go-chi/chi/v5/middleware"

	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/api"
	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/plan"
	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/service"
	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/state"
	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/validation"
)

// Config configures the API handler.
type Config struct {
	Backend Backend
	// Token, when set, is required on every endpoint but the health ones,
	// as `Authorization: token=<t>` (DC/OS) or `Authorization: Bearer <t>`.
	Token  string
	Logger *slog.Logger
	// Secrets, when set, serves /v1/secrets (secrets.go); without it those
	// routes answer 501.
	Secrets SecretStore
}

// NewHandler returns the API's HTTP handler.
func NewHandler(cfg Config) http.Handler {
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	s := &server{backend: cfg.Backend, log: cfg.Logger, token: cfg.Token, secrets: cfg.Secrets}
	s.perService = s.serviceRouter()

	r := newRouter()
	r.Use(middleware.Recoverer, s.logRequests, routeOnEscapedPath)
	r.Get("/v1/health", s.health)
	r.Handle("/service/*", http.HandlerFunc(s.dispatchService))
	r.Group(func(r chi.Router) {
		r.Use(requireToken(cfg.Token))
		s.managementRoutes(r)
		s.secretRoutes(r)
	})
	return r
}

type server struct {
	backend Backend
	log     *slog.Logger
	token   string
	secrets SecretStore
	// perService routes the API path of /service/{name}/... requests.
	perService http.Handler
}

// newRouter returns a chi router whose 404 and 405 answers are JSON.
func newRouter() *chi.Mux {
	r := chi.NewRouter()
	r.NotFound(func(w http.ResponseWriter, _ *http.Request) {
		writeError(w, http.StatusNotFound, "no such endpoint; see the README for the API")
	})
	r.MethodNotAllowed(func(w http.ResponseWriter, r *http.Request) {
		writeError(w, http.StatusMethodNotAllowed, r.Method+" is not allowed on "+r.URL.Path)
	})
	return r
}

// routeOnEscapedPath makes chi route on the request's escaped path, so that
// an escaped "/" ("prod%2Fkafka") stays inside one path parameter whatever
// else the path contains. Handlers read parameters through pathParam.
func routeOnEscapedPath(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if rctx := chi.RouteContext(r.Context()); rctx != nil && rctx.RoutePath == "" {
			rctx.RoutePath = r.URL.EscapedPath()
		}
		next.ServeHTTP(w, r)
	})
}

// pathParam is the unescaped value of a chi path parameter.
func pathParam(r *http.Request, key string) string {
	v := chi.URLParam(r, key)
	if u, err := url.PathUnescape(v); err == nil {
		return u
	}
	return v
}

// serviceNameFromPath unescapes a service name taken from the escaped
// path and refuses names that cannot be a folder path: empty, or with an
// empty, "." or ".." folder. Everything else is the backend's to judge (an
// invalid name is a validation problem or simply not found).
func serviceNameFromPath(escaped string) (string, error) {
	name, err := url.PathUnescape(escaped)
	if err != nil {
		return "", badRequest(fmt.Sprintf("invalid service name %q: %v", escaped, err))
	}
	for _, seg := range strings.Split(name, "/") {
		if seg == "" || seg == "." || seg == ".." {
			return "", badRequest(fmt.Sprintf("invalid service name %q: write folders as \"prod/kafka\" (or \"prod%%2Fkafka\"), with no empty, \".\" or \"..\" folder", name))
		}
	}
	return name, nil
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

// logRequests logs method, path and status; never headers or query strings
// (they could carry credentials).
func (s *server) logRequests(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ww := middleware.NewWrapResponseWriter(w, r.ProtoMajor)
		start := time.Now()
		next.ServeHTTP(ww, r)
		s.log.Debug("api request", "method", r.Method, "path", r.URL.Path, "status", ww.Status(), "duration", time.Since(start))
	})
}

// statusError is an error the API itself raises with its status code (bad
// request bodies, invalid names, unknown commands).
type statusError struct {
	code int
	msg  string
}

func (e *statusError) Error() string { return e.msg }

// alreadyReported is the DC/OS text of a 208 answer.
const alreadyReported = "Command has already been reported or completed"

// errorResponse maps an error to its status code and JSON body, as the
// Backend interface documents: NotFoundError and *plan.NotFoundError 404,
// validation.Problems 400 (listing every problem), ErrConflict 409,
// plan.ErrAlreadyReported 208, plan.ErrMissingPhase and
// *plan.InvalidParameterError 400, state.ErrUnavailable 503, anything else
// 500 with the error's text.
func errorResponse(err error) (int, any) {
	var (
		se  *statusError
		ps  validation.Problems
		nf  *service.NotFoundError
		pnf *plan.NotFoundError
		ipe *plan.InvalidParameterError
	)
	switch {
	case errors.As(err, &se):
		return se.code, api.ErrorBody{Message: se.msg}
	case errors.As(err, &ps) && len(ps) > 0:
		return http.StatusBadRequest, api.ErrorBody{Message: err.Error(), Problems: toProblems(ps)}
	case errors.As(err, &nf), errors.As(err, &pnf):
		return http.StatusNotFound, api.ErrorBody{Message: err.Error()}
	case errors.Is(err, service.ErrConflict):
		return http.StatusConflict, api.ErrorBody{Message: err.Error()}
	case errors.As(err, new(*service.PreconditionFailedError)):
		return http.StatusPreconditionFailed, api.ErrorBody{Message: err.Error()}
	case errors.Is(err, plan.ErrAlreadyReported):
		return http.StatusAlreadyReported, api.ErrorBody{Message: alreadyReported}
	case errors.Is(err, plan.ErrMissingPhase):
		return http.StatusBadRequest, api.ErrorBody{Message: "Missing phase"}
	case errors.As(err, &ipe):
		return http.StatusBadRequest, api.ErrorBody{Message: err.Error()}
	case errors.Is(err, state.ErrUnavailable):
		return http.StatusServiceUnavailable, api.ErrorBody{Message: err.Error()}
	default:
		return http.StatusInternalServerError, api.ErrorBody{Message: err.Error()}
	}
}

// fail answers with err mapped by errorResponse; server-side failures are
// logged.
func (s *server) fail(w http.ResponseWriter, r *http.Request, err error) {
	code, body := errorResponse(err)
	if pf := (*service.PreconditionFailedError)(nil); errors.As(err, &pf) && pf.Current != "" {
		setETag(w, pf.Current)
	}
	if code >= http.StatusInternalServerError {
		s.log.Error("api request failed", "method", r.Method, "path", r.URL.Path, "status", code, "error", err)
	}
	writeJSON(w, code, body)
}

func writeError(w http.ResponseWriter, status int, message string) {
	writeJSON(w, status, api.ErrorBody{Message: message})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// writeRawJSON answers with JSON the backend already encoded.
func writeRawJSON(w http.ResponseWriter, status int, raw json.RawMessage) {
	if len(raw) == 0 {
		raw = json.RawMessage("null")
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(raw)
	_, _ = w.Write([]byte{'\n'})
}

// nonNil turns a nil slice into an empty one, so that lists answer [] and
// never null.
func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

type serviceNameKey struct{}

// serviceName is the name of the service a /service/{name}/... request is
// for.
func serviceName(ctx context.Context) string {
	name, _ := ctx.Value(serviceNameKey{}).(string)
	return name
}
