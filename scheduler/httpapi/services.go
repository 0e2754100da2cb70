package httpapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strings"

	"github.com/go-chi/chi/v5"
	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/api"
	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/spec"
	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/state"
)

// maxBodyBytes bounds every request body (options, start parameters).
const maxBodyBytes = 1 << 20

// managementRoutes registers the /v1/services endpoints.
//
// A service name may contain folders, so the routes take the rest of the
// path as the name (chi "/*"): "/v1/services/prod/kafka" and
// "/v1/services/prod%2Fkafka" both name "prod/kafka". On POST, a trailing
// "/preview" segment is the preview endpoint and the name is what precedes
// it; POST on a bare name is 405. A trailing "/preview" on GET, PUT or
// DELETE is part of the name.
func (s *server) managementRoutes(r chi.Router) {
	r.Get("/v1/services", s.listServices)
	r.Get("/v1/services/*", s.getService)
	r.Put("/v1/services/*", s.putService)
	r.Delete("/v1/services/*", s.deleteService)
	r.Post("/v1/services/*", s.previewService)
}

// managedName is the service name of a /v1/services/{name} request.
func managedName(r *http.Request) (string, error) {
	return serviceNameFromPath(chi.URLParam(r, "*"))
}

func (s *server) listServices(w http.ResponseWriter, r *http.Request) {
	services, err := s.backend.Services(r.Context())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, toServiceSummaries(services))
}

func (s *server) getService(w http.ResponseWriter, r *http.Request) {
	name, err := managedName(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	detail, err := s.backend.GetService(r.Context(), name)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	setETag(w, detail.ConfigID)
	writeJSON(w, http.StatusOK, toServiceDetail(detail))
}

func (s *server) putService(w http.ResponseWriter, r *http.Request) {
	name, err := managedName(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	ifMatch, err := parseIfMatch(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	options, err := readOptions(w, r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	res, err := s.backend.PutService(r.Context(), name, options, ifMatch)
	if err != nil {
		s.fail(w, r, optionsError(err))
		return
	}
	code := http.StatusOK
	if res.Created {
		code = http.StatusCreated
	}
	setETag(w, res.ConfigID)
	writeJSON(w, code, toPutResult(res))
}

func (s *server) deleteService(w http.ResponseWriter, r *http.Request) {
	name, err := managedName(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	ifMatch, err := parseIfMatch(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if err := s.backend.DeleteService(r.Context(), name, ifMatch); err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusAccepted, api.Message{Message: "uninstall of " + name + " started"})
}

func (s *server) previewService(w http.ResponseWriter, r *http.Request) {
	rest, ok := strings.CutSuffix(chi.URLParam(r, "*"), "/preview")
	if !ok {
		writeError(w, http.StatusMethodNotAllowed, "POST is only allowed on /v1/services/{name}/preview; install or update with PUT /v1/services/{name}")
		return
	}
	name, err := serviceNameFromPath(rest)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	options, err := readOptions(w, r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	preview, err := s.backend.PreviewService(r.Context(), name, options)
	if err != nil {
		s.fail(w, r, optionsError(err))
		return
	}
	writeJSON(w, http.StatusOK, toPreview(preview))
}

// readOptions reads a service's options: a JSON object of at most
// maxBodyBytes. An empty body means no options ("{}": every default).
func readOptions(w http.ResponseWriter, r *http.Request) ([]byte, error) {
	body, err := readBody(w, r, "the options")
	if err != nil {
		return nil, err
	}
	if len(body) == 0 {
		return []byte("{}"), nil
	}
	var obj map[string]json.RawMessage
	if body[0] != '{' {
		return nil, badRequest("the options must be a JSON object such as {\"brokers\": {\"count\": 3}}")
	}
	if err := json.Unmarshal(body, &obj); err != nil {
		return nil, badRequest("the options are not valid JSON: " + err.Error())
	}
	return body, nil
}

// optionsError maps the errors of installing or previewing options that
// are too large to keep to a 413 naming the limit: options over the
// stored configuration limit (spec.TooLargeError, found before anything is
// stored), or, should anything else ever be over the state store's value
// limit, the store's own refusal (which names its limit). Everything else
// is mapped as usual.
func optionsError(err error) error {
	var tooLarge *spec.TooLargeError
	switch {
	case errors.As(err, &tooLarge):
		return &statusError{code: http.StatusRequestEntityTooLarge, msg: err.Error()}
	case errors.Is(err, state.ErrValueTooLarge):
		return &statusError{code: http.StatusRequestEntityTooLarge,
			msg: fmt.Sprintf("the configuration is too large to store (%v); the state store holds at most %d bytes per configuration", err, state.MaxValueSize)}
	}
	return err
}

// readBody reads a request body of at most maxBodyBytes, without the
// surrounding white space; what names the body in error messages. A body
// that stops arriving is cut off by the server's read timeout and answered
// with 408.
func readBody(w http.ResponseWriter, r *http.Request, what string) ([]byte, error) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBodyBytes))
	var (
		tooLarge *http.MaxBytesError
		netErr   net.Error
	)
	switch {
	case errors.As(err, &tooLarge):
		return nil, &statusError{
			code: http.StatusRequestEntityTooLarge,
			msg:  fmt.Sprintf("%s are larger than the limit of 1 MiB (%d bytes)", what, maxBodyBytes),
		}
	case errors.Is(err, os.ErrDeadlineExceeded) || errors.As(err, &netErr) && netErr.Timeout():
		return nil, &statusError{
			code: http.StatusRequestTimeout,
			msg:  fmt.Sprintf("%s did not arrive within the server's read timeout; send the whole body at once", what),
		}
	case err != nil:
		return nil, badRequest(fmt.Sprintf("reading %s: %v", what, err))
	}
	return bytes.TrimSpace(body), nil
}

func badRequest(msg string) error {
	return &statusError{code: http.StatusBadRequest, msg: msg}
}
