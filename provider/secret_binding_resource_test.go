package provider

import (
	"archive/zip"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/api"
	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/localmesos"
)

// secretBindingConfig is the configuration of TestAccSecretBindingLifecycle:
// a cluster, a text secret as an environment variable (value from the
// ephemeral variable text), a binary one as a file (from blob.bin in the
// working folder), and optionally a binding to a secret written outside
// Terraform.
// secretTextHeader is the start of the bindings' test configurations: the
// provider and an ephemeral variable "text" (TF_VAR_text) holding a value.
const secretTextHeader = `
terraform {
  required_providers {
    kafka = { source = "kafka-on-mesos/kafka" }
  }
}

variable "text" {
  type      = string
  sensitive = true
  ephemeral = true
}
`

func secretBindingConfig(name string, textVersion int, withBinary, withShared bool) string {
	return secretBindingConfigMem(name, 1024, textVersion, withBinary, withShared)
}

func secretBindingConfigMem(name string, mem, textVersion int, withBinary, withShared bool) string {
	var b strings.Builder
	b.WriteString(secretTextHeader)
	fmt.Fprintf(&b, `
resource "kafka_cluster" "main" {
  name = %q
  brokers = {
    count = 2
    mem   = %d
  }
}

resource "kafka_secret_binding" "text" {
  cluster          = kafka_cluster.main.name
  path             = "%s/sasl-password"
  value_wo         = var.text
  value_wo_version = %d
  env_key          = "KAFKA_SASL_PASSWORD"
}
`, name, mem, name, textVersion)
	if withBinary {
		fmt.Fprintf(&b, `
resource "kafka_secret_binding" "blob" {
  cluster          = kafka_cluster.main.name
  path             = "%s/keystore"
  value_wo         = filebase64("${path.module}/blob.bin")
  value_wo_version = 1
  binary           = true
  file             = "secrets/keystore.jks"
}
`, name)
	}
	if withShared {
		b.WriteString(`
resource "kafka_secret_binding" "shared" {
  cluster = kafka_cluster.main.name
  path    = "acc-shared-krb5"
  file    = "krb5.conf"
}
`)
	}
	return b.String()
}

// TestAccSecretBindingLifecycle is issue 14's provider check, with the
// terraform CLI: bind a text secret as an environment variable and a
// random 4 KiB binary one as a file (each broker's process environment and
// sandbox file hold exactly the bytes), bump the text's version (the apply
// waits for the roll, every broker restarted with the new value), import
// (a binding to an existing secret is plan-clean), delete the binary
// binding (entry gone, secret deleted, file gone after the roll), and
// grep every plan and apply output, the saved plan and the state for the
// values and their base64: zero hits.
func TestAccSecretBindingLifecycle(t *testing.T) {
	requireAcc(t)
	requireTerraform(t, "1.11.0")
	t.Parallel()
	const name = "acc-secrets"
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Minute)
	defer cancel()
	c := testClient(t)
	tf := newTFCLI(t)

	text1, text2 := "pw1-"+randomHex(t, 16), "pw2-"+randomHex(t, 16)
	blob := make([]byte, 4096)
	if _, err := rand.Read(blob); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(tf.dir, "blob.bin"), blob, 0o600); err != nil {
		t.Fatal(err)
	}
	// Whatever terraform prints or keeps, collected for the final grep.
	var seen []string
	run := func(text string, args ...string) string {
		t.Helper()
		tf.env = append(tf.env, "TF_VAR_text="+text)
		out := tf.must(args...)
		seen = append(seen, out)
		return out
	}

	// Apply: both bindings, each roll waited for. The provider's own log,
	// at trace level, goes to the grep too.
	tf.write(secretBindingConfig(name, 1, true, false))
	providerLog := filepath.Join(tf.dir, "provider-trace.log")
	env := tf.env
	tf.env = append(tf.env, "TF_LOG_PROVIDER=TRACE", "TF_LOG_PATH="+providerLog)
	run(text1, "apply", "-auto-approve")
	tf.env = env
	defer func() {
		tf.env = append(tf.env, "TF_VAR_text="+text2)
		if out, code := tf.run("destroy", "-auto-approve"); code != 0 {
			t.Errorf("destroy: %s", out)
		}
	}()
	expectEntries(ctx, t, c, name, map[string]string{
		name + "/sasl-password": "env_key=KAFKA_SASL_PASSWORD", name + "/keystore": "file=secrets/keystore.jks",
	})
	expectPlanComplete(ctx, t, c, name)
	brokers := runningBrokers(ctx, t, c, name)
	if len(brokers) != 2 {
		t.Fatalf("want 2 running brokers, got %v", brokers)
	}
	for _, b := range brokers {
		if got := envOf(t, b.PID, "KAFKA_SASL_PASSWORD"); got != text1 {
			t.Errorf("%s: KAFKA_SASL_PASSWORD has %d bytes, not the %d of the value", b.Name, len(got), len(text1))
		}
		if got, err := os.ReadFile(filepath.Join(b.Sandbox, "secrets/keystore.jks")); err != nil || !bytes.Equal(got, blob) {
			t.Errorf("%s: secrets/keystore.jks holds %d bytes (%v), not the 4096 decoded bytes", b.Name, len(got), err)
		}
	}
	textInfo, err := c.GetSecret(ctx, name+"/sasl-password")
	if err != nil {
		t.Fatal(err)
	}
	if out := run(text1, "plan", "-detailed-exitcode"); !strings.Contains(out, "No changes") {
		t.Errorf("the plan after apply must be empty:\n%s", out)
	}

	// What only the scheduler knows is refused at plan through its
	// preview: a binary secret (written outside Terraform) cannot be an
	// environment variable.
	if _, err := c.PutSecret(ctx, name+"/bin", []byte{0xff, 0, 1}, api.SecretPutOptions{Binary: true}); err != nil {
		t.Fatal(err)
	}
	defer c.DeleteSecret(context.Background(), name+"/bin") //nolint:errcheck
	tf.write(secretBindingConfig(name, 1, true, false) + fmt.Sprintf(`
resource "kafka_secret_binding" "bin_as_env" {
  cluster = kafka_cluster.main.name
  path    = "%s/bin"
  env_key = "BIN"
}
`, name))
	if out, code := tf.run("plan"); code == 0 || !wrapped("Error: The scheduler refuses this binding").MatchString(out) ||
		!wrapped("deliver binary secrets as files").MatchString(out) {
		t.Errorf("a binary secret as a variable must fail the plan with the scheduler's rule (exit %d):\n%s", code, out)
	}

	// A binding to a secret that does not exist yet, on a cluster that
	// exists, is a warning at plan, not a refusal.
	tf.write(secretBindingConfig(name, 1, true, false) + fmt.Sprintf(`
resource "kafka_secret_binding" "later" {
  cluster = kafka_cluster.main.name
  path    = "%s/written-later"
  env_key = "LATER"
}
`, name))
	if out, code := tf.run("plan"); code != 0 || !wrapped("Warning: Secret does not exist yet").MatchString(out) || strings.Contains(out, "Error:") {
		t.Errorf("a missing secret must be a warning at plan (exit %d):\n%s", code, out)
	}

	// A new value under a new version: the apply waits for the roll.
	tf.write(secretBindingConfig(name, 2, true, false))
	out := run(text2, "plan", "-out=bump.tfplan")
	if !strings.Contains(out, "value_wo_version = 1 -> 2") {
		t.Errorf("the plan must show the version bump:\n%s", out)
	}
	shown := run(text2, "show", "-json", "bump.tfplan")
	before := brokers
	run(text2, "apply", "bump.tfplan")
	expectPlanComplete(ctx, t, c, name)
	after := runningBrokers(ctx, t, c, name)
	if len(after) != 2 {
		t.Fatalf("want 2 running brokers after the roll, got %v", after)
	}
	for pod, b := range after {
		if b.TaskID == before[pod].TaskID {
			t.Errorf("%s was not restarted for the new secret version (task %s)", pod, b.TaskID)
		}
		if got := envOf(t, b.PID, "KAFKA_SASL_PASSWORD"); got != text2 {
			t.Errorf("%s: KAFKA_SASL_PASSWORD is not the new value after the roll", pod)
		}
	}
	if info, err := c.GetSecret(ctx, name+"/sasl-password"); err != nil || info.Version == textInfo.Version {
		t.Errorf("the secret's version must change with the bump: %+v %v", info, err)
	}

	// A value written outside Terraform: the plan says so and the apply
	// writes the configured value again.
	outside := "outside-" + randomHex(t, 16)
	if _, err := c.PutSecret(ctx, name+"/sasl-password", []byte(outside), api.SecretPutOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.WaitPlan(ctx, name, deployPlan, api.WaitOptions{Interval: 200 * time.Millisecond}); err != nil {
		t.Fatal(err)
	}
	if out := run(text2, "plan"); !strings.Contains(out, "Secret written outside Terraform") || !strings.Contains(out, "1 to change") {
		t.Errorf("the plan must notice the value written outside Terraform and write it again:\n%s", out)
	}
	run(text2, "apply", "-auto-approve")
	for pod, b := range runningBrokers(ctx, t, c, name) {
		if got := envOf(t, b.PID, "KAFKA_SASL_PASSWORD"); got != text2 {
			t.Errorf("%s: KAFKA_SASL_PASSWORD is not the configured value after the rewrite", pod)
		}
	}
	run(text2, "plan", "-detailed-exitcode")

	// A file changed outside Terraform is drift the apply puts back.
	editThroughAPI(ctx, t, c, name, func(o serviceOptions) (bool, error) {
		return o.setEntry(secretEntry{Secret: name + "/keystore", File: "secrets/other.jks"})
	})
	if out := run(text2, "plan"); !strings.Contains(out, `~ file             = "secrets/other.jks" -> "secrets/keystore.jks"`) {
		t.Errorf("the plan must show the file changed outside Terraform:\n%s", out)
	}
	run(text2, "apply", "-auto-approve")
	expectEntries(ctx, t, c, name, map[string]string{
		name + "/sasl-password": "env_key=KAFKA_SASL_PASSWORD", name + "/keystore": "file=secrets/keystore.jks",
	})

	// An update of the cluster keeps the bindings' entries; its preview
	// shows no secret going away.
	tf.write(secretBindingConfigMem(name, 1280, 2, true, false))
	out = run(text2, "plan")
	if !strings.Contains(out, "brokers.mem: 1024 → 1280") || strings.Contains(out, "secret:") {
		t.Errorf("the cluster's preview must show the mem change and no secret change:\n%s", out)
	}
	run(text2, "apply", "-auto-approve")
	expectEntries(ctx, t, c, name, map[string]string{
		name + "/sasl-password": "env_key=KAFKA_SASL_PASSWORD", name + "/keystore": "file=secrets/keystore.jks",
	})
	for pod, b := range runningBrokers(ctx, t, c, name) {
		if got := envOf(t, b.PID, "KAFKA_SASL_PASSWORD"); got != text2 {
			t.Errorf("%s: KAFKA_SASL_PASSWORD lost in the cluster's update", pod)
		}
	}
	run(text2, "plan", "-detailed-exitcode")

	// Import: a binding to a secret written outside Terraform is
	// plan-clean after its import.
	if _, err := c.PutSecret(ctx, "acc-shared-krb5", []byte("[libdefaults]\n"), api.SecretPutOptions{}); err != nil {
		t.Fatal(err)
	}
	defer c.DeleteSecret(context.Background(), "acc-shared-krb5") //nolint:errcheck
	tf.write(secretBindingConfigMem(name, 1280, 2, true, true))
	run(text2, "apply", "-auto-approve")
	stateRm(t, tf, "kafka_secret_binding.shared")
	run(text2, "import", "kafka_secret_binding.shared", name+"/acc-shared-krb5")
	out, code := tf.run("plan", "-detailed-exitcode")
	seen = append(seen, out)
	if code != 0 {
		t.Errorf("the plan after importing a binding must be empty (exit %d):\n%s", code, out)
	}
	// An owned binding imports too; its next apply writes value_wo once.
	stateRm(t, tf, "kafka_secret_binding.text")
	run(text2, "import", "kafka_secret_binding.text", name+"/"+name+"/sasl-password")
	if out := run(text2, "plan"); !strings.Contains(out, "+ value_wo_version = 2") || !strings.Contains(out, "1 to change") {
		t.Errorf("an imported owned binding must plan exactly its value_wo_version:\n%s", out)
	}
	run(text2, "apply", "-auto-approve")

	// Delete the binary binding: the entry goes, the secret is deleted
	// (the binding wrote it), the file is gone after the roll; the shared
	// secret (written outside Terraform) is kept.
	tf.write(secretBindingConfigMem(name, 1280, 2, false, false))
	run(text2, "apply", "-auto-approve")
	expectEntries(ctx, t, c, name, map[string]string{name + "/sasl-password": "env_key=KAFKA_SASL_PASSWORD"})
	if _, err := c.GetSecret(ctx, name+"/keystore"); !api.IsNotFound(err) {
		t.Errorf("the binding wrote %s/keystore, so its destroy must delete it: %v", name, err)
	}
	if _, err := c.GetSecret(ctx, "acc-shared-krb5"); err != nil {
		t.Errorf("a secret written outside Terraform must outlive its binding: %v", err)
	}
	unbound := runningBrokers(ctx, t, c, name)
	if len(unbound) != 2 {
		t.Fatalf("want 2 running brokers after the unbinding roll, got %v", unbound)
	}
	for pod, b := range unbound {
		if b.TaskID == after[pod].TaskID {
			t.Errorf("%s was not restarted when its secret file was unbound", pod)
		}
		if _, err := os.Stat(filepath.Join(b.Sandbox, "secrets/keystore.jks")); !os.IsNotExist(err) {
			t.Errorf("%s still has secrets/keystore.jks after the unbinding roll (%v)", pod, err)
		}
	}

	// Nowhere in terraform's output, saved plan or state.
	state, _ := os.ReadFile(filepath.Join(tf.dir, "terraform.tfstate"))
	backup, _ := os.ReadFile(filepath.Join(tf.dir, "terraform.tfstate.backup"))
	traceLog, err := os.ReadFile(providerLog)
	if err != nil || !bytes.Contains(traceLog, []byte("kafka_secret_binding")) {
		t.Errorf("the provider's trace log must be written and name the resource (%d bytes, %v)", len(traceLog), err)
	}
	haystacks := map[string][]byte{
		"the provider's trace log": traceLog,
		"terraform output":         []byte(strings.Join(seen, "\n")), "terraform.tfstate": state,
		"terraform.tfstate.backup": backup, "saved plan (show -json)": []byte(shown),
	}
	for name, data := range unzipped(t, filepath.Join(tf.dir, "bump.tfplan")) {
		haystacks["saved plan file "+name] = data
	}
	control := []byte(text1 + text2 + base64.StdEncoding.EncodeToString([]byte(text1)) + base64.StdEncoding.EncodeToString([]byte(text2)) +
		base64.StdEncoding.EncodeToString(blob) + string(blob))
	for label, needle := range secretNeedles(text1, text2, blob) {
		if !bytes.Contains(control, needle) {
			t.Fatalf("the needle for %s does not match the values: the grep below would prove nothing", label)
		}
	}
	for what, h := range haystacks {
		for label, needle := range secretNeedles(text1, text2, blob) {
			if bytes.Contains(h, needle) {
				t.Errorf("%s holds %s", what, label)
			}
		}
		if bytes.Contains(h, []byte(outside)) {
			t.Errorf("%s holds the value written outside Terraform", what)
		}
	}
	if len(state) == 0 || !bytes.Contains(state, []byte(`"value_wo": null`)) {
		t.Errorf("the state must hold value_wo as null")
	}
}

// TestAccSecretBindingRefusedAtPlan: a file outside the sandbox, a path the
// cluster may not read (the scheduler's rule, quoted) and a missing secret
// fail the plan, before anything is sent.
func TestAccSecretBindingRefusedAtPlan(t *testing.T) {
	requireAcc(t)
	requireTerraform(t, "1.11.0")
	t.Parallel()
	tf := newTFCLI(t)
	tf.env = append(tf.env, "TF_VAR_v=not base64!")
	header := `
terraform {
  required_providers {
    kafka = { source = "kafka-on-mesos/kafka" }
  }
}
`
	for _, c := range []struct{ name, body, want string }{
		{"absolute file", `
resource "kafka_secret_binding" "x" {
  cluster          = "acc-refused"
  path             = "acc-refused/ks"
  value_wo         = "v"
  value_wo_version = 1
  file             = "/etc/ks.jks"
}`, `file "/etc/ks.jks" is an absolute path`},
		{"file with ..", `
resource "kafka_secret_binding" "x" {
  cluster = "acc-refused"
  path    = "acc-refused/ks"
  file    = "secrets/../../ks.jks"
}`, `has a ".." segment`},
		{"unauthorized path", `
resource "kafka_secret_binding" "x" {
  cluster          = "acc-refused"
  path             = "other-team/sasl"
  value_wo         = "v"
  value_wo_version = 1
  env_key          = "SASL"
}`, `service /acc-refused may not read secret "other-team/sasl": the secret is in namespace "other-team"`},
		{"binary value not base64", `
variable "v" {
  type      = string
  sensitive = true
}

resource "kafka_secret_binding" "x" {
  cluster          = "acc-refused"
  path             = "acc-refused/ks"
  value_wo         = var.v
  value_wo_version = 1
  binary           = true
  file             = "ks.jks"
}`, `value_wo is not base64`},
	} {
		tf.write(header + c.body)
		out, code := tf.run("plan")
		if code == 0 || !wrapped(c.want).MatchString(out) {
			t.Errorf("%s: plan exited %d, want an error with %q:\n%s", c.name, code, c.want, out)
		}
		if strings.Contains(out, "not base64!") {
			t.Errorf("%s: the plan shows the value", c.name)
		}
	}

	// A secret that does not exist is a warning at plan (another binding
	// of the apply may write it first) and a clear error at apply, which
	// then changes nothing.
	tf.write(header + `
resource "kafka_secret_binding" "x" {
  cluster = "acc-refused"
  path    = "acc-refused/nothing-here"
  env_key = "NOTHING"
}`)
	out, code := tf.run("plan")
	if code != 0 || !wrapped(`Warning: Secret does not exist yet`).MatchString(out) || !wrapped(`has no secret "acc-refused/nothing-here"`).MatchString(out) {
		t.Errorf("plan of a missing secret: exit %d, want a warning:\n%s", code, out)
	}
	out, code = tf.run("apply", "-auto-approve")
	if code == 0 || !wrapped(`Error: Secret does not exist`).MatchString(out) || !wrapped(`Write the secret first (PUT /v1/secrets/acc-refused/nothing-here), or set value_wo`).MatchString(out) {
		t.Errorf("apply of a missing secret: exit %d, want the error:\n%s", code, out)
	}
	if state, _ := os.ReadFile(filepath.Join(tf.dir, "terraform.tfstate")); bytes.Contains(state, []byte("kafka_secret_binding")) {
		t.Error("a failed create must leave no binding in state")
	}
}

// secretNeedles are the forms of the test's values that must appear
// nowhere: each value, its base64, and for the binary value a run of its
// bytes and of its base64 from the middle.
func secretNeedles(text1, text2 string, blob []byte) map[string][]byte {
	b64 := base64.StdEncoding.EncodeToString(blob)
	return map[string][]byte{
		"the first text value":                  []byte(text1),
		"the second text value":                 []byte(text2),
		"the first text value's base64":         []byte(base64.StdEncoding.EncodeToString([]byte(text1))),
		"the second text value's base64":        []byte(base64.StdEncoding.EncodeToString([]byte(text2))),
		"the binary value's base64":             []byte(b64),
		"a run of the binary value's base64":    []byte(b64[2000:2064]),
		"a run of the binary value's raw bytes": blob[1000:1032],
	}
}

// editThroughAPI changes a cluster's service.secrets outside Terraform
// and waits for the roll.
func editThroughAPI(ctx context.Context, t *testing.T, c *api.Client, name string, edit func(serviceOptions) (bool, error)) {
	t.Helper()
	if _, _, err := editSecrets(ctx, c, name, 200*time.Millisecond, edit); err != nil {
		t.Fatalf("changing the secrets of %s through the API: %v", name, err)
	}
	if _, err := c.WaitPlan(ctx, name, deployPlan, api.WaitOptions{Interval: 200 * time.Millisecond}); err != nil {
		t.Fatal(err)
	}
}

// unzipped returns every file of a zip archive (a saved terraform plan).
func unzipped(t *testing.T, file string) map[string][]byte {
	t.Helper()
	zr, err := zip.OpenReader(file)
	if err != nil {
		t.Fatalf("opening the saved plan: %v", err)
	}
	defer zr.Close()
	out := map[string][]byte{}
	for _, f := range zr.File {
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		data, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			t.Fatal(err)
		}
		out[f.Name] = data
	}
	if len(out) == 0 {
		t.Fatal("the saved plan holds no file")
	}
	return out
}

// stateRm runs terraform state rm (tfCLI puts -no-color after the first
// argument, where "state" takes no flags).
func stateRm(t *testing.T, tf *tfCLI, address string) {
	t.Helper()
	bin := os.Getenv("TF_ACC_TERRAFORM_PATH")
	if bin == "" {
		bin = "terraform"
	}
	cmd := exec.Command(bin, "state", "rm", "-no-color", address)
	cmd.Dir, cmd.Env = tf.dir, tf.env
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("terraform state rm %s: %v\n%s", address, err, out)
	}
}

func randomHex(t *testing.T, n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(b)
}

// expectEntries checks a cluster's service.secrets as the scheduler
// reports them: secret → "env_key=X" or "file=Y".
func expectEntries(ctx context.Context, t *testing.T, c *api.Client, name string, want map[string]string) {
	t.Helper()
	detail, err := c.GetService(ctx, name)
	if err != nil {
		t.Fatal(err)
	}
	var opts struct {
		Service struct {
			Secrets []secretEntry `json:"secrets"`
		} `json:"service"`
	}
	if err := json.Unmarshal(detail.Options, &opts); err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, e := range opts.Service.Secrets {
		if e.File != "" {
			got[e.Secret] = "file=" + e.File
		} else {
			got[e.Secret] = "env_key=" + e.EnvKey
		}
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("service.secrets of %s = %v, want %v", name, got, want)
	}
}

func expectPlanComplete(ctx context.Context, t *testing.T, c *api.Client, name string) {
	t.Helper()
	p, err := c.Plan(ctx, name, deployPlan)
	if err != nil || p.Status != api.StatusComplete {
		t.Errorf("the deploy plan of %s must be complete when the apply returns: %s %v", name, p.Status, err)
	}
}

// runningBroker is a broker task as the local Mesos agent runs it.
type runningBroker struct {
	Name, TaskID, Sandbox string
	PID                   int
}

// runningBrokers lists the running tasks of a service's framework in the
// local Mesos, by task name.
func runningBrokers(ctx context.Context, t *testing.T, c *api.Client, name string) map[string]runningBroker {
	t.Helper()
	detail, err := c.GetService(ctx, name)
	if err != nil {
		t.Fatal(err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, accDev.mesosState, nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var snap localmesos.Snapshot
	if err := json.NewDecoder(resp.Body).Decode(&snap); err != nil {
		t.Fatal(err)
	}
	out := map[string]runningBroker{}
	for _, a := range snap.Agents {
		for _, task := range a.Local.Tasks {
			if task.FrameworkID == detail.FrameworkID && task.State == "TASK_RUNNING" {
				out[task.Name] = runningBroker{Name: task.Name, TaskID: task.TaskID, Sandbox: task.Sandbox, PID: task.PID}
			}
		}
	}
	return out
}

// envOf reads one variable of a process's environment.
func envOf(t *testing.T, pid int, key string) string {
	t.Helper()
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/environ", pid))
	if err != nil {
		t.Errorf("reading the environment of process %d: %v", pid, err)
		return ""
	}
	for _, kv := range bytes.Split(raw, []byte{0}) {
		if k, v, ok := bytes.Cut(kv, []byte("=")); ok && string(k) == key {
			return string(v)
		}
	}
	return ""
}

// TestAccSecretBindingFollowsAReplacedCluster: with replace_triggered_by
// on the cluster's framework_id (as the docs say), replacing the cluster
// replaces its bindings in the same apply, so the new cluster delivers the
// secret and the next plan is empty.
func TestAccSecretBindingFollowsAReplacedCluster(t *testing.T) {
	requireAcc(t)
	requireTerraform(t, "1.11.0")
	t.Parallel()
	const name = "acc-secrets-replace"
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	c := testClient(t)
	tf := newTFCLI(t)
	tf.env = append(tf.env, "TF_VAR_text=pw-"+randomHex(t, 8))
	tf.write(secretTextHeader + fmt.Sprintf(`
resource "kafka_cluster" "main" {
  name = %q
  brokers = {
    count = 1
  }
}

resource "kafka_secret_binding" "text" {
  cluster          = kafka_cluster.main.name
  path             = "%s/password"
  value_wo         = var.text
  value_wo_version = 1
  env_key          = "PASSWORD"
  lifecycle {
    replace_triggered_by = [kafka_cluster.main.framework_id]
  }
}
`, name, name))
	tf.must("apply", "-auto-approve")
	defer func() {
		if out, code := tf.run("destroy", "-auto-approve"); code != 0 {
			t.Errorf("destroy: %s", out)
		}
		if _, err := c.GetSecret(context.Background(), name+"/password"); !api.IsNotFound(err) {
			t.Errorf("destroy must delete the secret the binding wrote: %v", err)
		}
	}()
	before, err := c.GetService(ctx, name)
	if err != nil {
		t.Fatal(err)
	}
	out := tf.must("apply", "-auto-approve", "-replace=kafka_cluster.main")
	if !strings.Contains(out, "kafka_secret_binding.text will be replaced due to changes in replace_triggered_by") {
		t.Errorf("the binding must be replaced with the cluster:\n%s", out)
	}
	after, err := c.GetService(ctx, name)
	if err != nil {
		t.Fatal(err)
	}
	if after.FrameworkID == before.FrameworkID {
		t.Fatalf("the cluster was not replaced (framework %s)", after.FrameworkID)
	}
	expectEntries(ctx, t, c, name, map[string]string{name + "/password": "env_key=PASSWORD"})
	if out, code := tf.run("plan", "-detailed-exitcode"); code != 0 {
		t.Errorf("the plan after the replacement must be empty (exit %d):\n%s", code, out)
	}
}
