package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/api"
	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/internal/zkserver"
	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/secrets"
	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/state/embedded"
	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/state/zkstore"
)

func secretsTestCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// writeKeyFile writes keys (base64, one per line) to a new 0600 file.
func writeKeyFile(t *testing.T, keys ...[]byte) string {
	t.Helper()
	var b strings.Builder
	for _, k := range keys {
		b.WriteString(base64.StdEncoding.EncodeToString(k) + "\n")
	}
	path := filepath.Join(t.TempDir(), "secrets.key")
	if err := os.WriteFile(path, []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func newKey(t *testing.T) []byte {
	k := make([]byte, secrets.KeySize)
	if _, err := rand.Read(k); err != nil {
		t.Fatal(err)
	}
	return k
}

func keyIDOf(t *testing.T, k []byte) string {
	ring, err := secrets.NewKeyring(k)
	if err != nil {
		t.Fatal(err)
	}
	return ring.PrimaryID()
}

func discardLog() *slog.Logger { return slog.New(slog.DiscardHandler) }

func TestSecretsKeySources(t *testing.T) {
	k1, k2, k3 := newKey(t), newKey(t), newKey(t)
	rotated := writeKeyFile(t, k1, k2)
	older := writeKeyFile(t, k3)

	srcs, err := secretsOptions{keyFiles: rotated + ", " + older}.keySources(discardLog())
	if err != nil {
		t.Fatal(err)
	}
	ring, err := secrets.KeyringFrom(srcs...)
	if err != nil || strings.Join(ring.IDs(), ",") != strings.Join([]string{keyIDOf(t, k1), keyIDOf(t, k2), keyIDOf(t, k3)}, ",") {
		t.Fatalf("keys from two files = %v, %v; want k1, k2, k3 in order", ring, err)
	}

	t.Setenv(envSecretsKey, base64.StdEncoding.EncodeToString(k2)+","+base64.StdEncoding.EncodeToString(k1))
	srcs, err = secretsOptions{}.keySources(discardLog())
	if err != nil {
		t.Fatal(err)
	}
	if ring, err := secrets.KeyringFrom(srcs...); err != nil || ring.PrimaryID() != keyIDOf(t, k2) || len(ring.IDs()) != 2 {
		t.Fatalf("keys from the environment = %v, %v", ring, err)
	}
	if _, still := os.LookupEnv(envSecretsKey); still {
		t.Errorf("$%s is still set after it was read; processes the scheduler starts would inherit it", envSecretsKey)
	}

	t.Setenv(envSecretsKey, base64.StdEncoding.EncodeToString(k1))
	if _, err := (secretsOptions{keyFiles: rotated}).keySources(discardLog()); err == nil || !strings.Contains(err.Error(), "given twice") {
		t.Errorf("flag and environment together = %v, want a refusal", err)
	}
	t.Setenv(envSecretsKey, " ")
	if _, err := (secretsOptions{}).keySources(discardLog()); err == nil || !strings.Contains(err.Error(), "set but empty") {
		t.Errorf("empty environment variable = %v", err)
	}
	os.Unsetenv(envSecretsKey)

	if _, err := (secretsOptions{keyFiles: filepath.Join(t.TempDir(), "missing.key")}).keySources(discardLog()); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing key file = %v", err)
	}
	// A world-readable key file works, with a warning.
	open := writeKeyFile(t, k1)
	if err := os.Chmod(open, 0o644); err != nil {
		t.Fatal(err)
	}
	var logs bytes.Buffer
	if _, err := (secretsOptions{keyFiles: open}).keySources(slog.New(slog.NewTextHandler(&logs, nil))); err != nil || !strings.Contains(logs.String(), "chmod 600") {
		t.Errorf("world-readable key file: %v, log %q", err, logs.String())
	}
}

func TestServeSecretStoreStartUp(t *testing.T) {
	os.Unsetenv(envSecretsKey)
	st, err := embedded.Open(t.TempDir(), embedded.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	ctx := secretsTestCtx(t)

	// No key, no secrets: the scheduler runs without a secret store.
	if s, err := (secretsOptions{}).open(ctx, st, discardLog()); s != nil || err != nil {
		t.Fatalf("open without a key on an empty store = %v, %v; want no store and no error", s, err)
	}
	key := newKey(t)
	s, err := (secretsOptions{keyFiles: writeKeyFile(t, key)}).open(ctx, st, discardLog())
	if err != nil || s == nil {
		t.Fatalf("open with a key: %v", err)
	}
	if _, _, err := s.Put(ctx, "kafka/pw", secrets.NewValue([]byte("pw")), secrets.PutOptions{}); err != nil {
		t.Fatal(err)
	}
	// Secrets stored and no key: a start-up error.
	if _, err := (secretsOptions{}).open(ctx, st, discardLog()); !errors.Is(err, secrets.ErrKeys) || !strings.Contains(err.Error(), "holds 1 secret(s) but no secrets key was given") {
		t.Errorf("open without a key over stored secrets = %v", err)
	}
	// A wrong key: a start-up error naming the key ids.
	wrong := newKey(t)
	if _, err := (secretsOptions{keyFiles: writeKeyFile(t, wrong)}).open(ctx, st, discardLog()); !errors.Is(err, secrets.ErrKeys) ||
		!strings.Contains(err.Error(), keyIDOf(t, key)) || !strings.Contains(err.Error(), keyIDOf(t, wrong)) {
		t.Errorf("open with a wrong key = %v", err)
	}
}

// devRun is one in-process `kafka-scheduler dev`.
type devRun struct {
	url    string
	stderr *lockedBuffer
	cancel context.CancelFunc
	exit   chan int
}

// startDev runs dev and waits for its API URL.
func startDev(t *testing.T, args ...string) *devRun {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	stdoutR, stdoutW := io.Pipe()
	d := &devRun{cancel: cancel, exit: make(chan int, 1), stderr: &lockedBuffer{}}
	go func() {
		d.exit <- run(ctx, append([]string{"dev", "--listen", "127.0.0.1:0", "--token", "t0ken", "--kafka-dist", kafkaDist}, args...), stdoutW, d.stderr)
		stdoutW.Close()
	}()
	lines := bufio.NewScanner(stdoutR)
	for d.url == "" && lines.Scan() {
		if rest, ok := strings.CutPrefix(lines.Text(), "API: "); ok {
			d.url = rest
		}
	}
	go io.Copy(io.Discard, stdoutR) //nolint:errcheck // drain the rest
	if d.url == "" {
		cancel()
		t.Fatalf("dev printed no API URL (exit %d)", <-d.exit)
	}
	return d
}

// lockedBuffer is a bytes.Buffer for concurrent writers.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func (d *devRun) stop(t *testing.T) {
	t.Helper()
	d.cancel()
	select {
	case code := <-d.exit:
		if code != 0 {
			t.Fatalf("dev exited %d after a stop request", code)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("dev did not stop within 20s")
	}
}

func (d *devRun) client(t *testing.T) *api.Client {
	c, err := api.NewClient(api.ClientConfig{Endpoint: d.url, Token: "t0ken", MaxRetries: -1})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// TestDevMakesAKeyAndRefusesAWrongOne: dev makes a 0600 key in its data
// folder and keeps secrets across restarts; started with a wrong key it
// says so, exits, and changes nothing.
func TestDevMakesAKeyAndRefusesAWrongOne(t *testing.T) {
	os.Unsetenv(envSecretsKey)
	dataDir := t.TempDir()
	ctx := secretsTestCtx(t)

	const value = "dev-secret-value-for-the-log-check"
	d := startDev(t, "--data-dir", dataDir, "--log-level", "debug")
	written, err := d.client(t).PutSecret(ctx, "kafka/password", []byte(value), api.SecretPutOptions{})
	if err != nil {
		t.Fatalf("PutSecret on dev: %v", err)
	}
	d.stop(t)
	logs := d.stderr.String()
	if !strings.Contains(logs, "secret written") || !strings.Contains(logs, "made a secrets key for dev mode") {
		t.Fatalf("dev's debug log does not show the secret store at work:\n%s", logs)
	}
	if strings.Contains(logs, value) || strings.Contains(logs, base64.StdEncoding.EncodeToString([]byte(value))) {
		t.Fatal("dev's debug log shows the secret's value")
	}
	for _, f := range []string{"state", "mesos"} {
		assertNoFileHolds(t, filepath.Join(dataDir, f), value)
	}
	st, err := os.Stat(filepath.Join(dataDir, devSecretsKeyFile))
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("dev's key file: %v, %v; want mode 0600", st, err)
	}
	keyBefore, _ := os.ReadFile(filepath.Join(dataDir, devSecretsKeyFile))

	var stderr bytes.Buffer
	wrong := writeKeyFile(t, newKey(t))
	code := run(ctx, []string{"dev", "--listen", "127.0.0.1:0", "--data-dir", dataDir, "--kafka-dist", kafkaDist, "--secrets-key-file", wrong}, io.Discard, &stderr)
	if code != 1 || !strings.Contains(stderr.String(), "was encrypted with keys that were not given") || !strings.Contains(stderr.String(), `"kafka/password"`) {
		t.Fatalf("dev with a wrong key: exit %d, stderr %q; want exit 1 naming the secret and the key problem", code, stderr.String())
	}
	if keyAfter, _ := os.ReadFile(filepath.Join(dataDir, devSecretsKeyFile)); !bytes.Equal(keyBefore, keyAfter) {
		t.Fatal("the refused start changed dev's key file")
	}

	d = startDev(t, "--data-dir", dataDir)
	defer d.stop(t)
	got, err := d.client(t).GetSecret(ctx, "kafka/password")
	if err != nil || got.Version != written.Version || got.KeyID != written.KeyID {
		t.Fatalf("after the refused start: %+v, %v; want the secret unchanged (%s)", got, err, written.Version)
	}
}

// assertNoFileHolds greps every file below dir for value and its base64.
func assertNoFileHolds(t *testing.T, dir, value string) {
	t.Helper()
	forms := [][]byte{[]byte(value), []byte(base64.StdEncoding.EncodeToString([]byte(value)))}
	err := filepath.WalkDir(dir, func(p string, e os.DirEntry, err error) error {
		if err != nil || !e.Type().IsRegular() {
			return err
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		for _, f := range forms {
			if bytes.Contains(data, f) {
				t.Errorf("%s holds the secret's value", p)
			}
		}
		return nil
	})
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		t.Fatal(err)
	}
}

// TestServeRefusesToStartWithoutTheKey seeds secrets into a real ZooKeeper
// and runs serve against it without a key and with a wrong one: both stop
// with a clear error before anything else happens, and the secrets are
// still readable with the right key.
func TestServeRefusesToStartWithoutTheKey(t *testing.T) {
	os.Unsetenv(envSecretsKey)
	zks := zkserver.Start(t)
	ctx := secretsTestCtx(t)
	st, err := zkstore.Open(ctx, zkstore.Config{Servers: []string{zks.Addr()}, Root: "/kafka-on-mesos"})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	key := newKey(t)
	ring, _ := secrets.NewKeyring(key)
	s, err := secrets.Open(ctx, st, ring, secrets.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.Put(ctx, "kafka/pw", secrets.NewValue([]byte("zk-serve-secret")), secrets.PutOptions{}); err != nil {
		t.Fatal(err)
	}

	serve := func(extra ...string) (int, string) {
		var stderr bytes.Buffer
		args := append([]string{"serve", "--master", "http://127.0.0.1:1", "--zk", zks.Addr(), "--listen", "127.0.0.1:0", "--insecure-no-token"}, extra...)
		return run(ctx, args, io.Discard, &stderr), stderr.String()
	}
	if code, out := serve(); code != 1 || !strings.Contains(out, "holds 1 secret(s) but no secrets key was given") {
		t.Errorf("serve without a key: exit %d, %q", code, out)
	}
	if code, out := serve("--secrets-key-file", writeKeyFile(t, newKey(t))); code != 1 || !strings.Contains(out, "key "+ring.PrimaryID()) || !strings.Contains(out, "nothing was changed") {
		t.Errorf("serve with a wrong key: exit %d, %q", code, out)
	}
	v, _, err := s.Resolve(ctx, "kafka", "kafka/pw")
	if err != nil || string(v.Reveal()) != "zk-serve-secret" {
		t.Fatalf("the secret after the refused starts: %v", err)
	}
}
