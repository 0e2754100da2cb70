package api

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"
	"unicode/utf8"
)

// Secrets routes (Client.PutSecret, Secrets, GetSecret, DeleteSecret). A
// secret's value is write-only: no answer ever carries it.
//
//	PUT    /v1/secrets/{path}    body SecretWrite; 201 created, 200 new version: Secret;
//	                             400 bad path (absolute, bad characters), bad body, bad base64,
//	                             empty value; 413 value over 512 KiB or body over 1 MiB;
//	                             501 when the scheduler runs without a secrets key
//	GET    /v1/secrets           200 []Secret, sorted by path
//	GET    /v1/secrets/{path}    200 Secret; 404
//	DELETE /v1/secrets/{path}    204; 404; 409 while a service uses it (the message names them)
//
// {path} is the secret's relative path in plain segments
// ("/v1/secrets/kafka/keystore"). A last segment starting with
// "__dcos_base64__" holds base64 text that brokers get decoded, as in DC/OS.

// SecretWrite is the body of PUT /v1/secrets/{path}. With Binary, Value is
// the base64 (RFC 4648, standard, padded) of the bytes, which are stored
// and delivered decoded; otherwise Value is UTF-8 text stored as is.
//
// Its String, GoString and Format (every verb) never show Value; MarshalJSON writes it,
// because the body is what carries it.
type SecretWrite struct {
	Value  string `json:"value"`
	Binary bool   `json:"binary,omitempty"`
}

// String implements fmt.Stringer without the value.
func (w SecretWrite) String() string {
	if w.Binary {
		return "SecretWrite{binary, value redacted}"
	}
	return "SecretWrite{value redacted}"
}

// GoString implements fmt.GoStringer without the value.
func (w SecretWrite) GoString() string { return w.String() }

// Format implements fmt.Formatter, so that no verb reaches the value.
func (w SecretWrite) Format(f fmt.State, _ rune) { _, _ = io.WriteString(f, w.String()) }

// Secret describes a stored secret: everything but its value.
type Secret struct {
	Path string `json:"path"`
	// Version changes on every write of the value.
	Version string `json:"version"`
	// Binary is true when the value was written base64-encoded (the binary
	// flag or a __dcos_base64__ name) and is delivered decoded.
	Binary  bool      `json:"binary"`
	Created time.Time `json:"created"`
	Updated time.Time `json:"updated"`
	// KeyID names the scheduler key the value is encrypted with (a
	// rotation moves every secret to the new key's id).
	KeyID string `json:"key_id"`
	// UsedBy lists the services that use the secret; while it is not
	// empty the secret cannot be deleted.
	UsedBy []string `json:"used_by"`
}

// SecretPutOptions are the optional parts of PutSecret.
type SecretPutOptions struct {
	// Binary sends value base64-encoded; the scheduler stores and delivers
	// the bytes as they are. Without it, value must be UTF-8 text.
	Binary bool
}

// PutSecret writes a secret's value, creating the secret or giving it a new
// version. A path whose last segment starts with "__dcos_base64__" takes
// base64 text as value (without Binary), delivered decoded. The value
// never appears in the answer or in an error.
func (c *Client) PutSecret(ctx context.Context, path string, value []byte, opts SecretPutOptions) (Secret, error) {
	body := SecretWrite{Binary: opts.Binary}
	if opts.Binary {
		body.Value = base64.StdEncoding.EncodeToString(value)
	} else {
		if !utf8.Valid(value) {
			return Secret{}, errors.New("PutSecret " + path + ": the value is not UTF-8 text; set SecretPutOptions.Binary to send bytes")
		}
		body.Value = string(value)
	}
	data, err := json.Marshal(body)
	if err != nil {
		return Secret{}, err
	}
	// Not idempotent: every write is a new version (which rolls the brokers
	// that use it), so only attempts that never reached the server repeat.
	r := request{method: http.MethodPut, path: secretPath(path), body: data, ok: []int{http.StatusOK, http.StatusCreated}}
	res, err := c.do(ctx, r)
	if err != nil {
		return Secret{}, err
	}
	var out Secret
	return out, decode(res, r.path, &out)
}

// Secrets lists every secret, sorted by path.
func (c *Client) Secrets(ctx context.Context) ([]Secret, error) {
	var out []Secret
	err := c.getJSON(ctx, "/v1/secrets", &out)
	return out, err
}

// GetSecret describes one secret; a 404 (IsNotFound) when there is none.
func (c *Client) GetSecret(ctx context.Context, path string) (Secret, error) {
	var out Secret
	err := c.getJSON(ctx, secretPath(path), &out)
	return out, err
}

// DeleteSecret deletes a secret: a 404 when there is none, a 409
// (IsConflict) while a service uses it.
func (c *Client) DeleteSecret(ctx context.Context, path string) error {
	_, err := c.do(ctx, request{
		method: http.MethodDelete, path: secretPath(path),
		ok: []int{http.StatusNoContent}, idempotent: true,
	})
	return err
}

// secretPath is the escaped path of a secret: each segment escaped, the
// slashes kept, so that the server sees what the caller wrote (an absolute
// path included, which it refuses).
func secretPath(path string) string {
	segments := strings.Split(path, "/")
	for i, s := range segments {
		segments[i] = url.PathEscape(s)
	}
	return "/v1/secrets/" + strings.Join(segments, "/")
}
