package httpapi

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"unicode/utf8"

	"github.com/go-chi/chi/v5"

	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/api"
	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/secrets"
)

// SecretStore is what the /v1/secrets routes serve: package secrets'
// *Store. Values go in and never come out; the routes answer with
// metadata only.
type SecretStore interface {
	Put(ctx context.Context, path string, value secrets.Value, opts secrets.PutOptions) (secrets.Info, bool, error)
	Get(ctx context.Context, path string) (secrets.Info, error)
	List(ctx context.Context) ([]secrets.Info, error)
	Delete(ctx context.Context, path string) error
}

// maxSecretBodyBytes bounds a PUT /v1/secrets body: a value of
// secrets.MaxValueSize bytes base64-encoded fits with room to spare.
const maxSecretBodyBytes = 1 << 20

// secretRoutes registers the /v1/secrets endpoints. The secret's path is
// the rest of the URL path in plain segments ("/v1/secrets/kafka/keystore");
// escaped slashes ("kafka%2Fkeystore") name the same secret.
func (s *server) secretRoutes(r chi.Router) {
	r.Get("/v1/secrets", s.withSecrets(s.listSecrets))
	r.Get("/v1/secrets/*", s.withSecrets(s.getSecret))
	r.Put("/v1/secrets/*", s.withSecrets(s.putSecret))
	r.Delete("/v1/secrets/*", s.withSecrets(s.deleteSecret))
}

// withSecrets answers 501 when the scheduler runs without a secret store.
func (s *server) withSecrets(h func(http.ResponseWriter, *http.Request, SecretStore)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if s.secrets == nil {
			writeError(w, http.StatusNotImplemented, "this scheduler has no secret store: start it with --secrets-key-file <file> "+
				"or the KAFKA_SCHEDULER_SECRETS_KEY environment variable (see the README's Secrets section)")
			return
		}
		h(w, r, s.secrets)
	}
}

func (s *server) listSecrets(w http.ResponseWriter, r *http.Request, store SecretStore) {
	list, err := store.List(r.Context())
	if err != nil {
		s.failSecret(w, r, err)
		return
	}
	out := make([]api.Secret, len(list))
	for i, info := range list {
		out[i] = toSecret(info)
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *server) getSecret(w http.ResponseWriter, r *http.Request, store SecretStore) {
	path, err := secretPathParam(r)
	if err != nil {
		s.failSecret(w, r, err)
		return
	}
	info, err := store.Get(r.Context(), path)
	if err != nil {
		s.failSecret(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, toSecret(info))
}

func (s *server) putSecret(w http.ResponseWriter, r *http.Request, store SecretStore) {
	path, err := secretPathParam(r)
	if err != nil {
		s.failSecret(w, r, err)
		return
	}
	body, err := readSecretBody(w, r)
	if err != nil {
		s.failSecret(w, r, err)
		return
	}
	value := secrets.NewValue([]byte(body.Value))
	defer value.Wipe()
	info, created, err := store.Put(r.Context(), path, value, secrets.PutOptions{Base64: body.Binary})
	if err != nil {
		s.failSecret(w, r, err)
		return
	}
	code := http.StatusOK
	if created {
		code = http.StatusCreated
	}
	writeJSON(w, code, toSecret(info))
}

func (s *server) deleteSecret(w http.ResponseWriter, r *http.Request, store SecretStore) {
	path, err := secretPathParam(r)
	if err != nil {
		s.failSecret(w, r, err)
		return
	}
	if err := store.Delete(r.Context(), path); err != nil {
		s.failSecret(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// secretPathParam is the secret path of a /v1/secrets/{path} request,
// unescaped; the store judges whether it is a valid path.
func secretPathParam(r *http.Request) (string, error) {
	escaped := chi.URLParam(r, "*")
	if escaped == "" {
		return "", badRequest("name the secret: /v1/secrets/{path}, such as /v1/secrets/kafka/keystore (GET /v1/secrets lists them)")
	}
	path, err := url.PathUnescape(escaped)
	if err != nil {
		return "", badRequest(fmt.Sprintf("the secret path %q is not a valid escaped URL path: %v", escaped, err))
	}
	return path, nil
}

// readSecretBody reads a SecretWrite. The body holds a secret, so no error
// quotes it: JSON syntax errors give the offset only, type errors the field.
func readSecretBody(w http.ResponseWriter, r *http.Request) (api.SecretWrite, error) {
	const shape = `send a JSON object {"value": "<text>"}, or {"value": "<base64>", "binary": true} for bytes`
	data, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxSecretBodyBytes))
	defer clear(data)
	var (
		tooLarge *http.MaxBytesError
		netErr   net.Error
	)
	switch {
	case errors.As(err, &tooLarge):
		return api.SecretWrite{}, &statusError{code: http.StatusRequestEntityTooLarge,
			msg: fmt.Sprintf("the body is larger than %d bytes (1 MiB); a secret's value may be at most %d bytes (512 KiB)", maxSecretBodyBytes, secrets.MaxValueSize)}
	case errors.Is(err, os.ErrDeadlineExceeded) || errors.As(err, &netErr) && netErr.Timeout():
		return api.SecretWrite{}, &statusError{code: http.StatusRequestTimeout,
			msg: "the body did not arrive within the server's read timeout; send the whole body at once"}
	case err != nil:
		return api.SecretWrite{}, badRequest("reading the body failed; " + shape)
	}
	data = bytes.TrimSpace(data)
	if len(data) == 0 || data[0] != '{' {
		return api.SecretWrite{}, badRequest("the body is not a JSON object; " + shape)
	}
	if !utf8.Valid(data) {
		return api.SecretWrite{}, badRequest("the body is not valid UTF-8; send bytes base64-encoded with \"binary\": true")
	}
	var body struct {
		Value  *string `json:"value"`
		Binary bool    `json:"binary"`
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&body); err != nil {
		return api.SecretWrite{}, badRequest(describeJSONError(err) + "; " + shape)
	}
	if dec.More() {
		return api.SecretWrite{}, badRequest("the body holds more than one JSON value; " + shape)
	}
	if body.Value == nil {
		return api.SecretWrite{}, badRequest(`the body has no "value"; ` + shape)
	}
	return api.SecretWrite{Value: *body.Value, Binary: body.Binary}, nil
}

// describeJSONError says what is wrong with a body without quoting it.
func describeJSONError(err error) string {
	var syntax *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syntax):
		return fmt.Sprintf("the body is not valid JSON (at byte %d)", syntax.Offset)
	case errors.As(err, &typ):
		return fmt.Sprintf("%q must be a %s", typ.Field, typ.Type)
	case errors.Is(err, io.ErrUnexpectedEOF):
		return "the body is cut short"
	}
	// DisallowUnknownFields: `json: unknown field "name"` names a field,
	// never a value.
	if msg := err.Error(); len(msg) < 200 && bytes.HasPrefix([]byte(msg), []byte("json: unknown field ")) {
		return "the body has an unknown field " + msg[len("json: unknown field "):]
	}
	return "the body is not valid JSON"
}

// failSecret maps the secret store's errors to status codes; the rest go
// to fail (503 when the state store is unavailable, 500 otherwise).
func (s *server) failSecret(w http.ResponseWriter, r *http.Request, err error) {
	code := 0
	switch {
	case errors.Is(err, secrets.ErrInvalidPath), errors.Is(err, secrets.ErrInvalidValue):
		code = http.StatusBadRequest
	case errors.Is(err, secrets.ErrValueTooLarge):
		code = http.StatusRequestEntityTooLarge
	case errors.Is(err, secrets.ErrAccessDenied):
		code = http.StatusForbidden
	case errors.Is(err, secrets.ErrNotFound):
		code = http.StatusNotFound
	case errors.Is(err, secrets.ErrInUse):
		code = http.StatusConflict
	}
	if code == 0 {
		s.fail(w, r, err)
		return
	}
	writeError(w, code, err.Error())
}

func toSecret(info secrets.Info) api.Secret {
	return api.Secret{
		Path: info.Path, Version: info.Version, Binary: info.Binary,
		Created: info.Created, Updated: info.Updated, KeyID: info.KeyID,
		UsedBy: nonNil(info.UsedBy),
	}
}
