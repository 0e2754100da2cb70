package httpapi

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"

	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/api"
	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/secrets"
	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/state/embedded"
)

// syncBuffer is a bytes.Buffer safe for the server's and the test's
// goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) Bytes() []byte {
	s.mu.Lock()
	defer s.mu.Unlock()
	return bytes.Clone(s.b.Bytes())
}

// recordingTransport keeps a copy of every answer the client received.
type recordingTransport struct {
	next    http.RoundTripper
	answers *syncBuffer
}

func (t recordingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	res, err := t.next.RoundTrip(r)
	if err != nil {
		return nil, err
	}
	body, err := io.ReadAll(res.Body)
	res.Body.Close()
	if err != nil {
		return nil, err
	}
	t.answers.Write([]byte(res.Status + " "))
	t.answers.Write(body)
	res.Body = io.NopCloser(bytes.NewReader(body))
	return res, nil
}

// secretsFixture is a server with a real secret store on an embedded state
// store, a debug-level log, and a client that records every answer.
type secretsFixture struct {
	store   *secrets.Store
	client  *api.Client
	url     string
	logs    *syncBuffer
	answers *syncBuffer
}

func newSecretsFixture(t *testing.T) *secretsFixture {
	t.Helper()
	st, err := embedded.Open(filepath.Join(t.TempDir(), "state"), embedded.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	key := make([]byte, secrets.KeySize)
	_, _ = rand.Read(key)
	ring, err := secrets.NewKeyring(key)
	if err != nil {
		t.Fatal(err)
	}
	f := &secretsFixture{logs: &syncBuffer{}, answers: &syncBuffer{}}
	log := slog.New(slog.NewTextHandler(f.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	f.store, err = secrets.Open(testContext(t), st, ring, secrets.Options{Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(NewHandler(Config{Backend: newFakeBackend(), Token: testToken, Logger: log, Secrets: f.store}))
	t.Cleanup(srv.Close)
	f.url = srv.URL
	f.client, err = api.NewClient(api.ClientConfig{
		Endpoint: srv.URL, Token: testToken, MaxRetries: -1,
		HTTPClient: &http.Client{Transport: recordingTransport{next: http.DefaultTransport, answers: f.answers}},
	})
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// raw sends a request with the token and records the answer.
func (f *secretsFixture) raw(t *testing.T, method, path, body string) (int, api.ErrorBody) {
	t.Helper()
	req, err := http.NewRequestWithContext(testContext(t), method, f.url+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "token="+testToken)
	res, err := (&http.Client{Transport: recordingTransport{next: http.DefaultTransport, answers: f.answers}}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var e api.ErrorBody
	data, _ := io.ReadAll(res.Body)
	_ = json.Unmarshal(data, &e)
	return res.StatusCode, e
}

func TestSecretsThroughTheClient(t *testing.T) {
	f := newSecretsFixture(t)
	c, ctx := f.client, testContext(t)

	created, err := c.PutSecret(ctx, "prod/kafka/password", []byte("pa55-word"), api.SecretPutOptions{})
	if err != nil || created.Path != "prod/kafka/password" || created.Version == "" || created.Binary || created.KeyID == "" ||
		created.UsedBy == nil || created.Created.IsZero() {
		t.Fatalf("PutSecret = %+v, %v", created, err)
	}
	updated, err := c.PutSecret(ctx, "prod/kafka/password", []byte("pa55-word-2"), api.SecretPutOptions{})
	if err != nil || updated.Version == created.Version || !updated.Created.Equal(created.Created) {
		t.Fatalf("second PutSecret = %+v, %v; want a new version, same creation time", updated, err)
	}

	keytab := make([]byte, 4096)
	_, _ = rand.Read(keytab)
	bin, err := c.PutSecret(ctx, "prod/keytab", keytab, api.SecretPutOptions{Binary: true})
	if err != nil || !bin.Binary {
		t.Fatalf("binary PutSecret = %+v, %v", bin, err)
	}
	dcos, err := c.PutSecret(ctx, "prod/__dcos_base64__keytab", []byte(base64.StdEncoding.EncodeToString(keytab)), api.SecretPutOptions{})
	if err != nil || !dcos.Binary {
		t.Fatalf("__dcos_base64__ PutSecret = %+v, %v", dcos, err)
	}
	for _, p := range []string{"prod/keytab", "prod/__dcos_base64__keytab"} {
		v, _, err := f.store.Resolve(ctx, "prod/kafka", p)
		if err != nil || !bytes.Equal(v.Reveal(), keytab) {
			t.Errorf("%s is not the 4096 bytes sent: %v", p, err)
		}
	}
	if v, _, _ := f.store.Resolve(ctx, "prod/kafka", "prod/kafka/password"); string(v.Reveal()) != "pa55-word-2" {
		t.Error("the text secret is not the last value written")
	}

	got, err := c.GetSecret(ctx, "prod/kafka/password")
	if err != nil || !reflect.DeepEqual(got, updated) {
		t.Errorf("GetSecret = %+v, %v; want %+v", got, err, updated)
	}
	list, err := c.Secrets(ctx)
	if err != nil || len(list) != 3 || list[0].Path != "prod/__dcos_base64__keytab" || list[2].Path != "prod/keytab" {
		t.Errorf("Secrets = %+v, %v", list, err)
	}

	// Used by a service: the delete is refused with 409 naming it.
	if err := f.store.SetUsers(ctx, "prod/kafka", []string{"prod/kafka/password"}); err != nil {
		t.Fatal(err)
	}
	if got, _ := c.GetSecret(ctx, "prod/kafka/password"); !reflect.DeepEqual(got.UsedBy, []string{"prod/kafka"}) {
		t.Errorf("used_by = %v", got.UsedBy)
	}
	err = c.DeleteSecret(ctx, "prod/kafka/password")
	if !api.IsConflict(err) || !strings.Contains(err.Error(), `is used by "prod/kafka"`) {
		t.Fatalf("DeleteSecret of a used secret = %v, want 409 naming prod/kafka", err)
	}
	if err := f.store.SetUsers(ctx, "prod/kafka", nil); err != nil {
		t.Fatal(err)
	}
	if err := c.DeleteSecret(ctx, "prod/kafka/password"); err != nil {
		t.Fatalf("DeleteSecret: %v", err)
	}
	if _, err := c.GetSecret(ctx, "prod/kafka/password"); !api.IsNotFound(err) {
		t.Errorf("GetSecret after delete = %v, want 404", err)
	}
	if err := c.DeleteSecret(ctx, "prod/kafka/password"); !api.IsNotFound(err) {
		t.Errorf("second DeleteSecret = %v, want 404", err)
	}
	// An escaped slash names the same secret.
	if code, _ := f.raw(t, http.MethodGet, "/v1/secrets/prod%2Fkeytab", ""); code != http.StatusOK {
		t.Errorf("GET /v1/secrets/prod%%2Fkeytab = %d, want 200", code)
	}
}

// TestSecretsBadRequestsChangeNothing checks each refusal's status and
// message, and that the list of secrets is unchanged after all of them.
func TestSecretsBadRequestsChangeNothing(t *testing.T) {
	f := newSecretsFixture(t)
	ctx := testContext(t)
	if _, err := f.client.PutSecret(ctx, "kafka/keep", []byte("keep"), api.SecretPutOptions{}); err != nil {
		t.Fatal(err)
	}
	before, _ := f.client.Secrets(ctx)
	big := base64.StdEncoding.EncodeToString(make([]byte, secrets.MaxValueSize+1))
	cases := []struct {
		name, method, path, body string
		code                     int
		says                     string
	}{
		{"absolute path", "PUT", "/v1/secrets//kafka/x", `{"value":"v"}`, 400, `absolute path; secret paths are relative`},
		{"escaped absolute path", "PUT", "/v1/secrets/%2Fkafka%2Fx", `{"value":"v"}`, 400, "absolute"},
		{"no path", "PUT", "/v1/secrets/", `{"value":"v"}`, 400, "name the secret"},
		{"bad characters", "PUT", "/v1/secrets/kafka/a%20b", `{"value":"v"}`, 400, `contains ' '`},
		{"dot segment", "PUT", "/v1/secrets/kafka/%2E%2E/x", `{"value":"v"}`, 400, `".." segment`},
		{"no body", "PUT", "/v1/secrets/kafka/x", ``, 400, "not a JSON object"},
		{"not JSON", "PUT", "/v1/secrets/kafka/x", `{"value": nope}`, 400, "not valid JSON (at byte"},
		{"no value", "PUT", "/v1/secrets/kafka/x", `{"binary": true}`, 400, `no "value"`},
		{"value not a string", "PUT", "/v1/secrets/kafka/x", `{"value": 42}`, 400, `"value" must be a string`},
		{"unknown field", "PUT", "/v1/secrets/kafka/x", `{"value": "v", "file": "x"}`, 400, `unknown field "file"`},
		{"two objects", "PUT", "/v1/secrets/kafka/x", `{"value": "v"} {}`, 400, "more than one JSON value"},
		{"not UTF-8", "PUT", "/v1/secrets/kafka/x", "{\"value\": \"\xff\xfe\"}", 400, "not valid UTF-8"},
		{"empty value", "PUT", "/v1/secrets/kafka/x", `{"value": ""}`, 400, "is empty"},
		{"bad base64", "PUT", "/v1/secrets/kafka/x", `{"value": "!!!", "binary": true}`, 400, "must be base64"},
		{"bad base64 name", "PUT", "/v1/secrets/kafka/__dcos_base64__x", `{"value": "!!!"}`, 400, "its name starts with __dcos_base64__"},
		{"value too large", "PUT", "/v1/secrets/kafka/x", `{"value": "` + big + `", "binary": true}`, 413, "over the limit of 524288 bytes"},
		{"body too large", "PUT", "/v1/secrets/kafka/x", `{"value": "` + strings.Repeat("a", 1<<20) + `"}`, 413, "larger than 1048576 bytes"},
		{"get absolute", "GET", "/v1/secrets//kafka/keep", ``, 400, "absolute"},
		{"get missing", "GET", "/v1/secrets/kafka/nope", ``, 404, `secret "kafka/nope": secret not found`},
		{"delete missing", "DELETE", "/v1/secrets/kafka/nope", ``, 404, "not found"},
		{"POST", "POST", "/v1/secrets/kafka/x", `{"value":"v"}`, 405, "not allowed"},
	}
	for _, c := range cases {
		code, body := f.raw(t, c.method, c.path, c.body)
		if code != c.code || !strings.Contains(body.Message, c.says) {
			t.Errorf("%s: %s %s = %d %q, want %d saying %q", c.name, c.method, c.path, code, body.Message, c.code, c.says)
		}
	}
	// The client refuses non-UTF-8 text before sending it.
	if _, err := f.client.PutSecret(ctx, "kafka/x", []byte{0xff}, api.SecretPutOptions{}); err == nil || !strings.Contains(err.Error(), "not UTF-8") {
		t.Errorf("PutSecret of bytes as text = %v", err)
	}
	if _, err := f.client.PutSecret(ctx, "/kafka/x", []byte("v"), api.SecretPutOptions{}); api.StatusOf(err) != http.StatusBadRequest {
		t.Errorf("PutSecret of an absolute path = %v, want 400", err)
	}
	after, _ := f.client.Secrets(ctx)
	if !reflect.DeepEqual(before, after) {
		t.Errorf("refused requests changed the secrets:\nbefore %+v\nafter  %+v", before, after)
	}
}

func TestSecretsNeedTheTokenAndAStore(t *testing.T) {
	f := newSecretsFixture(t)
	rec := do(t, NewHandler(Config{Backend: newFakeBackend(), Token: testToken, Secrets: f.store}), "GET", "/v1/secrets", "", "")
	wantStatus(t, rec, http.StatusUnauthorized)

	h := NewHandler(Config{Backend: newFakeBackend(), Token: testToken})
	rec = do(t, h, "PUT", "/v1/secrets/kafka/x", "token="+testToken, `{"value":"v"}`)
	wantStatus(t, rec, http.StatusNotImplemented)
	if msg := decode[api.ErrorBody](t, rec).Message; !strings.Contains(msg, "--secrets-key-file") {
		t.Errorf("501 message = %q, want it to say how to turn secrets on", msg)
	}
}

// TestSecretValuesNeverInAnswersOrLogs makes good and bad requests whose
// bodies carry the values, then greps every answer and the server's
// debug-level log for the values, in clear, base64 and hex.
func TestSecretValuesNeverInAnswersOrLogs(t *testing.T) {
	f := newSecretsFixture(t)
	ctx := testContext(t)
	text := "answer-leak-test-secret-text"
	bin := make([]byte, 2048)
	_, _ = rand.Read(bin)

	var errs bytes.Buffer
	note := func(v any, err error) {
		errs.WriteString(strings.TrimSpace(strings.ReplaceAll(fmt.Sprintf("%+v", v), "\n", " ")) + "\n")
		if err != nil {
			errs.WriteString(err.Error() + "\n")
		}
	}
	note(f.client.PutSecret(ctx, "kafka/text", []byte(text), api.SecretPutOptions{}))
	note(f.client.PutSecret(ctx, "kafka/text", []byte(text), api.SecretPutOptions{}))
	note(f.client.PutSecret(ctx, "kafka/bin", bin, api.SecretPutOptions{Binary: true}))
	note(f.client.PutSecret(ctx, "/kafka/text", []byte(text), api.SecretPutOptions{}))
	note(f.client.PutSecret(ctx, "kafka/__dcos_base64__t", []byte(text+"!"), api.SecretPutOptions{}))
	note(f.client.PutSecret(ctx, "kafka/big", []byte(strings.Repeat(text, secrets.MaxValueSize/len(text)+1)), api.SecretPutOptions{}))
	note(f.client.GetSecret(ctx, "kafka/text"))
	note(f.client.Secrets(ctx))
	note(nil, f.store.SetUsers(ctx, "kafka", []string{"kafka/text"}))
	note(nil, f.client.DeleteSecret(ctx, "kafka/text"))
	for _, body := range []string{
		`{"value": "` + text + "\x01" + `"}`,                 // a control character inside the string
		`{"value": "` + text + `", "valeu": "` + text + `"}`, // unknown field next to the value
		`{"value": "` + text + `"`,                           // cut short
		`{"value": ["` + text + `"]}`,                        // wrong type
		`{"value": "` + text + `"} "` + text + `"`,           // trailing data
		`{"value": "` + text + `", "binary": true}`,          // not base64
	} {
		code, e := f.raw(t, "PUT", "/v1/secrets/kafka/bad", body)
		if code != http.StatusBadRequest {
			t.Errorf("PUT %.40q... = %d, want 400", body, code)
		}
		errs.WriteString(e.Message + "\n")
	}

	out := append(append(f.answers.Bytes(), f.logs.Bytes()...), errs.Bytes()...)
	if !bytes.Contains(out, []byte(`"version"`)) || !bytes.Contains(out, []byte("secret written")) || !bytes.Contains(out, []byte("api request")) {
		t.Fatalf("the test captured no answers or logs:\n%.2000s", out)
	}
	for _, v := range [][]byte{[]byte(text), bin} {
		for _, form := range []string{string(v), base64.StdEncoding.EncodeToString(v), base64.RawStdEncoding.EncodeToString(v), hex.EncodeToString(v)} {
			if bytes.Contains(out, []byte(form)) {
				t.Fatalf("an answer, error or log line shows a secret value (as %.12q...)", form)
			}
		}
	}
}
