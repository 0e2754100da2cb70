package manager_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-zookeeper/zk"

	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/api"
	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/httpapi"
	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/internal/zkserver"
	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/plan"
	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/secrets"
	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/state"
	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/state/zkstore"
)

// TestSecretsEndToEnd runs the whole secret path on real parts: a real
// ZooKeeper holds the state, the secret store has a key, three dev brokers
// run on the local Mesos, and every call goes through the REST API.
//
// A text secret is bound as an environment variable and a random 4 KiB
// binary one as a file: each broker process's environment and sandbox file
// hold exactly the bytes (the file mode 0400). A new version of the binary
// secret rolls the three brokers through the restart gate and delivers the
// new bytes; removing the file binding rolls them again and the file is
// gone. Deleting a secret in use is a 409, and one that is no longer used
// can be deleted. A secret outside the service's namespace and a missing
// one are refused (400) and nothing is installed. Finally the values and
// their base64 are searched for in the scheduler's debug logs, a dump of
// every znode, every REST answer of the test, the local Mesos state page
// and its agents' checkpoints: none holds them.
func TestSecretsEndToEnd(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 6*time.Minute)
	defer cancel()

	logs := &syncBuffer{}
	logger := slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	zkSrv := zkserver.Start(t)
	store, err := zkstore.Open(ctx, zkstore.Config{Servers: []string{zkSrv.Addr()}, Root: "/kafka-on-mesos", Logger: logger})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	key := randomBytes(t, secrets.KeySize)
	ring, err := secrets.NewKeyring(key)
	if err != nil {
		t.Fatal(err)
	}
	secretStore, err := secrets.Open(ctx, store, ring, secrets.Options{Logger: logger})
	if err != nil {
		t.Fatal(err)
	}
	h := newHarness(t, harnessOptions{agents: 3, store: store, logger: logger, secrets: secretStore})
	srv := httptest.NewServer(httpapi.NewHandler(httpapi.Config{Backend: httpapi.ForManager(h.mgr), Secrets: h.mgr.SecretStore(), Logger: logger}))
	defer srv.Close()
	answers := &recordingTransport{next: http.DefaultTransport}
	client, err := api.NewClient(api.ClientConfig{Endpoint: srv.URL, HTTPClient: &http.Client{Transport: answers}, MaxRetries: -1})
	if err != nil {
		t.Fatal(err)
	}

	text := []byte("sasl-Pa55-" + hex.EncodeToString(randomBytes(t, 12)))
	keystore := randomBytes(t, 4096)
	keystore2 := randomBytes(t, 4096)
	if _, err := client.PutSecret(ctx, "kafka/sasl-password", text, api.SecretPutOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := client.PutSecret(ctx, "kafka/keystore", keystore, api.SecretPutOptions{Binary: true}); err != nil {
		t.Fatal(err)
	}
	if _, err := client.PutSecret(ctx, "other/password", text, api.SecretPutOptions{}); err != nil {
		t.Fatal(err)
	}

	// Refusals change nothing: a sibling namespace, a missing secret.
	_, err = client.PutService(ctx, "kafka", json.RawMessage(`{"brokers":{"count":3},"service":{"placement_strategy":"NODE",
		"secrets":[{"secret":"other/password","env_key":"PW"}]}}`), api.PutOptions{})
	if api.StatusOf(err) != http.StatusBadRequest || !strings.Contains(err.Error(), `service.secrets[0].secret="other/password": service /kafka may not read secret "other/password": the secret is in namespace "other"`) {
		t.Fatalf("install with another namespace's secret = %v", err)
	}
	_, err = client.PreviewService(ctx, "kafka", json.RawMessage(`{"brokers":{"count":3},"service":{"placement_strategy":"NODE",
		"secrets":[{"secret":"kafka/missing","file":"m"}]}}`))
	if api.StatusOf(err) != http.StatusBadRequest || !strings.Contains(err.Error(), `secret "kafka/missing" does not exist: write it first with PUT /v1/secrets/kafka/missing`) {
		t.Fatalf("preview with a missing secret = %v", err)
	}
	if _, err := client.GetService(ctx, "kafka"); !api.IsNotFound(err) {
		t.Fatalf("a refused install left a service behind: %v", err)
	}
	if s, err := client.GetSecret(ctx, "other/password"); err != nil || len(s.UsedBy) != 0 {
		t.Fatalf("a refused install recorded a use: %+v %v", s, err)
	}

	const bound = `{"brokers":{"count":3},"service":{"placement_strategy":"NODE","secrets":[
		{"secret":"kafka/sasl-password","env_key":"KAFKA_SASL_PASSWORD"},
		{"secret":"kafka/keystore","file":"secrets/keystore.jks"}]}}`
	if _, err := client.PutService(ctx, "kafka", json.RawMessage(bound), api.PutOptions{}); err != nil {
		t.Fatal(err)
	}
	h.waitDeployed("kafka", 2*time.Minute)
	first := h.brokerTasks(t, 3)
	for _, b := range first {
		assertEnv(t, b, "KAFKA_SASL_PASSWORD", text)
		assertSecretFile(t, b, "secrets/keystore.jks", keystore)
	}
	if s, err := client.GetSecret(ctx, "kafka/keystore"); err != nil || !slices.Equal(s.UsedBy, []string{"kafka"}) {
		t.Fatalf("keystore used_by = %+v %v", s, err)
	}
	if err := client.DeleteSecret(ctx, "kafka/keystore"); !api.IsConflict(err) {
		t.Fatalf("deleting a secret in use = %v, want a 409", err)
	}
	for i := range 3 {
		if _, err := client.PodInfo(ctx, "kafka", fmt.Sprintf("kafka-%d", i)); err != nil {
			t.Fatal(err)
		}
	}

	// A new version rolls the brokers, each through the gate, and
	// delivers the new bytes.
	gatesBefore := strings.Count(logs.String(), `msg="restart gate passed"`)
	before, err := client.GetSecret(ctx, "kafka/keystore")
	if err != nil {
		t.Fatal(err)
	}
	after, err := client.PutSecret(ctx, "kafka/keystore", keystore2, api.SecretPutOptions{Binary: true})
	if err != nil {
		t.Fatal(err)
	}
	if after.Version == before.Version {
		t.Fatal("the keystore kept its version")
	}
	second := h.waitRolled(t, first)
	for _, b := range second {
		assertEnv(t, b, "KAFKA_SASL_PASSWORD", text)
		assertSecretFile(t, b, "secrets/keystore.jks", keystore2)
	}
	if gates := strings.Count(logs.String(), `msg="restart gate passed"`) - gatesBefore; gates != 3 {
		t.Errorf("%d restarts passed the gate during the version roll, want 3", gates)
	}
	detail, err := client.GetService(ctx, "kafka")
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := client.Configuration(ctx, "kafka", detail.ConfigID)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(cfg, []byte(`"kafka/keystore":"`+after.Version+`"`)) {
		t.Errorf("the target does not record the keystore's new version %s: %s", after.Version, cfg)
	}

	// Unbinding the file: the preview names the secret by version only,
	// the roll removes the file.
	const unbound = `{"brokers":{"count":3},"service":{"placement_strategy":"NODE","secrets":[
		{"secret":"kafka/sasl-password","env_key":"KAFKA_SASL_PASSWORD"}]}}`
	preview, err := client.PreviewService(ctx, "kafka", json.RawMessage(unbound))
	if err != nil {
		t.Fatal(err)
	}
	for _, b := range preview.Brokers {
		found := false
		for _, c := range b.Changes {
			if c.Field == "secret:kafka/keystore" && c.Old == after.Version && c.New == "" {
				found = true
			}
		}
		if b.Action != api.ActionRestart || !found {
			t.Errorf("preview of broker %d: %s %+v", b.Broker, b.Action, b.Changes)
		}
	}
	if _, err := client.PutService(ctx, "kafka", json.RawMessage(unbound), api.PutOptions{}); err != nil {
		t.Fatal(err)
	}
	third := h.waitRolled(t, second)
	for _, b := range third {
		assertEnv(t, b, "KAFKA_SASL_PASSWORD", text)
		if _, err := os.Lstat(filepath.Join(b.Sandbox, "secrets/keystore.jks")); !os.IsNotExist(err) {
			t.Errorf("broker %s: the unbound file is still in the sandbox (%v)", b.Name, err)
		}
	}
	if err := client.DeleteSecret(ctx, "kafka/keystore"); err != nil {
		t.Errorf("deleting the secret no service uses any more: %v", err)
	}
	for i := range 3 {
		if _, err := client.PodInfo(ctx, "kafka", fmt.Sprintf("kafka-%d", i)); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := client.Plan(ctx, "kafka", "deploy"); err != nil {
		t.Fatal(err)
	}

	// Nowhere else.
	statePage := httpGet(t, h.mesos.StateURL())
	znodes := dumpZNodes(t, zkSrv.Addr())
	rest := answers.all()
	checkpoints := agentCheckpoints(t, filepath.Join(h.dir, "mesos"))
	for what, data := range map[string][]byte{
		"the dump of every znode":         znodes,
		"the REST answers":                rest,
		"the local Mesos state page":      statePage,
		"the local Mesos agents' state":   checkpoints,
		"the scheduler's logs (at debug)": logs.Bytes(),
	} {
		for name, v := range map[string][]byte{"the text secret": text, "the first keystore": keystore, "the second keystore": keystore2} {
			for _, form := range [][]byte{v, []byte(base64.StdEncoding.EncodeToString(v)), []byte(base64.RawStdEncoding.EncodeToString(v))} {
				if bytes.Contains(data, form) {
					t.Errorf("%s holds %s", what, name)
				}
			}
		}
	}
	// The searches looked where the secrets pass.
	for what, want := range map[string][]byte{
		"the dump of every znode (task records)":   []byte(`KAFKA_SASL_PASSWORD`),
		"the dump of every znode (secret records)": []byte(`kafka%2Fsasl-password`),
		"the REST answers (pods' task info)":       []byte(`"KAFKA_SASL_PASSWORD"`),
		"the local Mesos state page":               []byte(`kafka-0-broker`),
		"the local Mesos agents' state":            []byte(`KAFKA_SASL_PASSWORD`),
		"the scheduler's logs":                     []byte(`secret resolved`),
	} {
		var data []byte
		switch {
		case strings.HasPrefix(what, "the dump"):
			data = znodes
		case strings.HasPrefix(what, "the REST"):
			data = rest
		case strings.HasPrefix(what, "the local Mesos state"):
			data = statePage
		case strings.HasPrefix(what, "the local Mesos agents"):
			data = checkpoints
		default:
			data = logs.Bytes()
		}
		if !bytes.Contains(data, want) {
			t.Errorf("%s does not hold %s: the search above proves nothing", what, want)
		}
	}
	t.Logf("searched %d bytes of znodes, %d of REST answers, %d of Mesos state, %d of agent state, %d of logs",
		len(znodes), len(rest), len(statePage), len(checkpoints), logs.Len())
}

// TestSecretRefusalsChangeNothing: options that refer to secrets on a
// scheduler without a secret store are refused, as is a binary secret bound
// to a variable; a preview refuses what the PUT refuses.
func TestSecretRefusalsChangeNothing(t *testing.T) {
	h := newHarness(t, harnessOptions{agents: 1})
	ctx := context.Background()
	_, err := h.mgr.PutService(ctx, "kafka", []byte(`{"service":{"secrets":[{"secret":"kafka/pw","env_key":"PW"}]}}`), "")
	if err == nil || !strings.Contains(err.Error(), "this scheduler has no secret store") {
		t.Fatalf("install with secrets and no store = %v", err)
	}
	if _, err := h.mgr.GetService(ctx, "kafka"); err == nil {
		t.Fatal("a refused install left a service behind")
	}

	store := openTestSecrets(t, h.store)
	h.secrets = store
	h.restartManager()
	if _, _, err := store.Put(ctx, "kafka/bin", secrets.NewValue([]byte(base64.StdEncoding.EncodeToString([]byte{0, 1, 2}))), secrets.PutOptions{Base64: true}); err != nil {
		t.Fatal(err)
	}
	const binaryAsEnv = `{"service":{"secrets":[{"secret":"kafka/bin","env_key":"BIN"}]}}`
	if _, err := h.mgr.PreviewService(ctx, "kafka", []byte(binaryAsEnv)); err == nil || !strings.Contains(err.Error(), "deliver binary secrets as files") {
		t.Fatalf("preview of a binary secret as a variable = %v", err)
	}
	if _, err := h.mgr.PutService(ctx, "kafka", []byte(binaryAsEnv), ""); err == nil || !strings.Contains(err.Error(), "deliver binary secrets as files") {
		t.Fatalf("install of a binary secret as a variable = %v", err)
	}
	if users, err := store.UsedBy(ctx, "kafka"); err != nil || len(users) != 0 {
		t.Fatalf("a refused install recorded uses: %v %v", users, err)
	}

	// An accepted install records the version and the use; a new value
	// re-targets the service with the new version; an uninstall clears
	// the use.
	first, _, err := store.Put(ctx, "kafka/pw", secrets.NewValue([]byte("pw-1")), secrets.PutOptions{})
	if err != nil {
		t.Fatal(err)
	}
	h.install("kafka", `{"brokers":{"count":1},"service":{"secrets":[{"secret":"kafka/pw","env_key":"PW"}]}}`)
	svc, err := h.mgr.Service("kafka")
	if err != nil {
		t.Fatal(err)
	}
	if sp, _ := svc.Spec(); sp.SecretVersions["kafka/pw"] != first.Version {
		t.Errorf("the target records %v, want kafka/pw at %s", sp.SecretVersions, first.Version)
	}
	if users, err := store.UsedBy(ctx, "kafka"); err != nil || !slices.Equal(users, []string{"kafka/pw"}) {
		t.Errorf("uses after the install: %v %v", users, err)
	}
	_, idBefore := svc.Spec()
	second, _, err := h.mgr.SecretStore().Put(ctx, "kafka/pw", secrets.NewValue([]byte("pw-2")), secrets.PutOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if sp, id := svc.Spec(); sp.SecretVersions["kafka/pw"] != second.Version || id == idBefore {
		t.Errorf("after a new value the target %s records %v, want a new target with %s", id, sp.SecretVersions, second.Version)
	}
	if err := store.Delete(ctx, "kafka/pw"); !errors.Is(err, secrets.ErrInUse) {
		t.Errorf("deleting a used secret = %v", err)
	}
	if err := h.mgr.DeleteService(ctx, "kafka", ""); err != nil {
		t.Fatal(err)
	}
	if users, err := store.UsedBy(ctx, "kafka"); err != nil || len(users) != 0 {
		t.Errorf("uses after the uninstall started: %v %v", users, err)
	}
	if err := store.Delete(ctx, "kafka/pw"); err != nil {
		t.Errorf("deleting the secret of an uninstalled service: %v", err)
	}
}

func openTestSecrets(t *testing.T, st state.Store) *secrets.Store {
	t.Helper()
	ring, err := secrets.NewKeyring(randomBytes(t, secrets.KeySize))
	if err != nil {
		t.Fatal(err)
	}
	s, err := secrets.Open(context.Background(), st, ring, secrets.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// brokerTask is a running broker task as the local Mesos agent knows it.
type brokerTask struct {
	Name, ID, Sandbox string
	PID               int
}

// brokerTasks returns the n running broker tasks with their process and
// sandbox.
func (h *harness) brokerTasks(t *testing.T, n int) map[string]brokerTask {
	t.Helper()
	out := map[string]brokerTask{}
	h.waitFor(fmt.Sprintf("%d running broker processes", n), time.Minute, func() (bool, string) {
		clear(out)
		for _, a := range h.mesos.Snapshot().Agents {
			for _, task := range a.Local.Tasks {
				if task.State == "TASK_RUNNING" && task.PID > 0 && strings.HasSuffix(task.Name, "-broker") {
					out[task.Name] = brokerTask{Name: task.Name, ID: task.TaskID, Sandbox: task.Sandbox, PID: task.PID}
				}
			}
		}
		return len(out) == n, fmt.Sprint(out)
	})
	return out
}

// waitRolled waits until the deploy plan is complete and every broker runs
// a task other than its task in before; never are two brokers down at once.
func (h *harness) waitRolled(t *testing.T, before map[string]brokerTask) map[string]brokerTask {
	t.Helper()
	var now map[string]brokerTask
	h.waitFor("every broker to be relaunched", 3*time.Minute, func() (bool, string) {
		running := map[string]bool{}
		for _, a := range h.mesos.Snapshot().Agents {
			for _, task := range a.Local.Tasks {
				if task.State == "TASK_RUNNING" && strings.HasSuffix(task.Name, "-broker") {
					running[task.Name] = true
				}
			}
		}
		if len(running) < len(before)-1 {
			t.Fatalf("%d of %d brokers running during the roll: two were down at once", len(running), len(before))
		}
		d, err := h.mgr.GetService(context.Background(), "kafka")
		if err != nil || d.Status != plan.Complete {
			return false, fmt.Sprint(err, planSummary(d.Plan))
		}
		now = h.brokerTasks(t, len(before))
		for name, b := range now {
			if before[name].ID == b.ID {
				return false, name + " still runs " + b.ID
			}
		}
		return true, ""
	})
	return now
}

func assertEnv(t *testing.T, b brokerTask, name string, want []byte) {
	t.Helper()
	environ, err := os.ReadFile(fmt.Sprintf("/proc/%d/environ", b.PID))
	if err != nil {
		t.Fatalf("reading the environment of %s: %v", b.Name, err)
	}
	for _, kv := range bytes.Split(environ, []byte{0}) {
		if k, v, ok := bytes.Cut(kv, []byte("=")); ok && string(k) == name {
			if !bytes.Equal(v, want) {
				t.Errorf("%s: %s holds %d bytes, not the secret's %d", b.Name, name, len(v), len(want))
			}
			return
		}
	}
	t.Errorf("%s: the broker process has no %s", b.Name, name)
}

func assertSecretFile(t *testing.T, b brokerTask, rel string, want []byte) {
	t.Helper()
	path := filepath.Join(b.Sandbox, rel)
	st, err := os.Stat(path)
	if err != nil {
		t.Fatalf("%s: %v", b.Name, err)
	}
	if st.Mode().Perm() != 0o400 {
		t.Errorf("%s: %s has mode %v, want 0400", b.Name, rel, st.Mode().Perm())
	}
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s: %s holds %d bytes that are not the secret's %d", b.Name, rel, len(got), len(want))
	}
}

func randomBytes(t *testing.T, n int) []byte {
	t.Helper()
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return b
}

func httpGet(t *testing.T, url string) []byte {
	t.Helper()
	res, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	data, err := io.ReadAll(res.Body)
	if err != nil || res.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %d %v", url, res.StatusCode, err)
	}
	return data
}

// dumpZNodes reads every znode with a client of its own: "<path>=<data>"
// lines.
func dumpZNodes(t *testing.T, addr string) []byte {
	t.Helper()
	conn, _, err := zk.Connect([]string{addr}, 4*time.Second, zk.WithLogInfo(false))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	var out bytes.Buffer
	var walk func(path string)
	walk = func(path string) {
		data, _, err := conn.Get(path)
		if err != nil {
			t.Fatalf("dump: get %s: %v", path, err)
		}
		fmt.Fprintf(&out, "%s=%s\n", path, data)
		children, _, err := conn.Children(path)
		if err != nil {
			t.Fatalf("dump: children of %s: %v", path, err)
		}
		for _, c := range children {
			walk(strings.TrimSuffix(path, "/") + "/" + c)
		}
	}
	walk("/")
	return out.Bytes()
}

// agentCheckpoints concatenates the local Mesos agents' checkpoint files
// (everything but the sandboxes, which hold the delivered secrets by
// design).
func agentCheckpoints(t *testing.T, root string) []byte {
	t.Helper()
	var out bytes.Buffer
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == "slaves" || d.Name() == "volumes") {
			return filepath.SkipDir // sandboxes and persistent volumes
		}
		if !d.IsDir() && strings.HasSuffix(path, ".json") {
			data, err := os.ReadFile(path)
			if err != nil {
				return err
			}
			out.Write(data)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out.Bytes()
}

// recordingTransport keeps every answer body it carries.
type recordingTransport struct {
	next http.RoundTripper
	mu   sync.Mutex
	buf  bytes.Buffer
}

func (r *recordingTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	res, err := r.next.RoundTrip(req)
	if err != nil {
		return nil, err
	}
	body, err := io.ReadAll(res.Body)
	res.Body.Close()
	if err != nil {
		return nil, err
	}
	r.mu.Lock()
	fmt.Fprintf(&r.buf, "%s %s %d\n", req.Method, req.URL.Path, res.StatusCode)
	r.buf.Write(body)
	r.mu.Unlock()
	res.Body = io.NopCloser(bytes.NewReader(body))
	return res, nil
}

func (r *recordingTransport) all() []byte {
	r.mu.Lock()
	defer r.mu.Unlock()
	return bytes.Clone(r.buf.Bytes())
}

// syncBuffer is a bytes.Buffer safe for the logger's concurrent writes.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) Bytes() []byte {
	b.mu.Lock()
	defer b.mu.Unlock()
	return bytes.Clone(b.buf.Bytes())
}

func (b *syncBuffer) String() string { return string(b.Bytes()) }

func (b *syncBuffer) Len() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Len()
}
