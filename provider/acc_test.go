package provider

// The acceptance tests run the real terraform CLI against a real
// `kafka-scheduler dev` (local Mesos, dev Kafka brokers as OS processes),
// which TestMain starts once for the whole package with the pipeline
// commands a CI job would use (`dev start`, `dev stop`), from a binary
// built here. Each test uses its own cluster name, so that they can run in
// parallel. `make test` sets TF_ACC=1; without it only the unit tests run
// (benchmarks start the dev scheduler too).

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/providerserver"
	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/api"
	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/localmesos"
)

// accDev is the dev scheduler the acceptance tests share.
var accDev struct {
	endpoint, token, mesosState string
	// providerDir holds the built terraform-provider-kafka, for tests
	// that drive the terraform CLI themselves through dev_overrides.
	providerDir string
}

func TestMain(m *testing.M) { os.Exit(runTests(m)) }

func runTests(m *testing.M) int {
	flag.Parse()
	benchmarks := flag.Lookup("test.bench").Value.String() != ""
	if os.Getenv("TF_ACC") == "" && !benchmarks {
		return m.Run()
	}
	work, err := os.MkdirTemp("", "kafka-provider-acc-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(work)
	stop, err := startAccDev(work)
	if err != nil {
		fmt.Fprintln(os.Stderr, "starting kafka-scheduler dev for the acceptance tests:", err)
		return 1
	}
	code := m.Run()
	if err := stop(); err != nil {
		fmt.Fprintln(os.Stderr, "stopping kafka-scheduler dev:", err)
		if code == 0 {
			code = 1
		}
	}
	return code
}

// startAccDev builds kafka-scheduler and the provider, starts `dev` in the
// background and points the provider's environment variables at it.
func startAccDev(work string) (stop func() error, err error) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	scheduler := filepath.Join(work, "kafka-scheduler")
	accDev.providerDir = filepath.Join(work, "provider-bin")
	for _, b := range []struct{ out, pkg string }{
		{scheduler, "github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/cmd/kafka-scheduler"},
		{filepath.Join(accDev.providerDir, "terraform-provider-kafka"), "github.com/kafka-on-mesos/terraform-provider-kafka"},
	} {
		if out, err := exec.CommandContext(ctx, "go", "build", "-o", b.out, b.pkg).CombinedOutput(); err != nil {
			return nil, fmt.Errorf("go build %s: %v\n%s", b.pkg, err, out)
		}
	}
	data := filepath.Join(work, "dev")
	// Agents with room for every test's clusters at once (local Mesos
	// resources are bookkeeping; the brokers are small processes).
	out, err := exec.CommandContext(ctx, scheduler, "dev", "start", "--listen", "127.0.0.1:0", "--data-dir", data,
		"--agents", "4", "--agent-cpus", "16", "--agent-mem", "65536", "--agent-disk", "1048576", "--output", "json").Output()
	if err != nil {
		return nil, fmt.Errorf("dev start: %v\n%s", err, stderrOf(err))
	}
	var ready struct {
		Endpoint      string `json:"endpoint"`
		Token         string `json:"token"`
		MesosStateURL string `json:"mesos_state_url"`
	}
	if err := json.Unmarshal(out, &ready); err != nil {
		return nil, fmt.Errorf("reading dev start's output %q: %w", out, err)
	}
	accDev.endpoint, accDev.token, accDev.mesosState = ready.Endpoint, ready.Token, ready.MesosStateURL
	os.Setenv(EnvEndpoint, ready.Endpoint)
	os.Setenv(EnvToken, ready.Token)
	return func() error {
		out, err := exec.Command(scheduler, "dev", "stop", "--data-dir", data).CombinedOutput()
		if err != nil {
			log, _ := os.ReadFile(filepath.Join(data, "dev.log"))
			return fmt.Errorf("%v: %s\n%s", err, out, tailLines(string(log), 40))
		}
		return nil
	}, nil
}

func stderrOf(err error) string {
	if ee, ok := err.(*exec.ExitError); ok {
		return string(ee.Stderr)
	}
	return ""
}

func tailLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// providerFactories serve the provider in-process to terraform.
var providerFactories = map[string]func() (tfprotov6.ProviderServer, error){
	"kafka": providerserver.NewProtocol6WithError(New("test")()),
}

// requireAcc fails (never skips) a test that needs the dev scheduler when
// it is not running, unless TF_ACC is unset (plain `go test`).
func requireAcc(t *testing.T) {
	t.Helper()
	if os.Getenv("TF_ACC") == "" {
		t.Skip("acceptance test: set TF_ACC=1 (make test does)")
	}
	if accDev.endpoint == "" {
		t.Fatal("TF_ACC is set but no dev scheduler was started")
	}
}

// testClient is an API client of the shared dev scheduler.
func testClient(t *testing.T) *api.Client {
	t.Helper()
	c, err := api.NewClient(api.ClientConfig{Endpoint: accDev.endpoint, Token: accDev.token})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// checkGone verifies that a destroyed cluster left nothing: the scheduler
// no longer knows it and the local Mesos holds no reservation or volume of
// its role.
func checkGone(name string) error {
	c, err := api.NewClient(api.ClientConfig{Endpoint: accDev.endpoint, Token: accDev.token})
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := c.GetService(ctx, name); !api.IsNotFound(err) {
		return fmt.Errorf("service %s still exists after destroy (%v)", name, err)
	}
	left, err := reservationsOf(ctx, name+"-role")
	if err != nil {
		return err
	}
	if len(left) > 0 {
		return fmt.Errorf("the local Mesos still holds reservations of %s-role after destroy: %v", name, left)
	}
	return nil
}

// reservationsOf lists every reserved resource and volume of role in the
// local Mesos.
func reservationsOf(ctx context.Context, role string) ([]string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, accDev.mesosState, nil)
	if err != nil {
		return nil, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, fmt.Errorf("reading the local Mesos state: %w", err)
	}
	defer resp.Body.Close()
	var snap localmesos.Snapshot
	if err := json.NewDecoder(resp.Body).Decode(&snap); err != nil {
		return nil, fmt.Errorf("decoding the local Mesos state: %w", err)
	}
	var out []string
	for _, a := range snap.Agents {
		if a.Master == nil {
			continue
		}
		for _, r := range append(a.Master.Reserved, a.Master.Volumes...) {
			if r.Role == role {
				out = append(out, a.Name+": "+r.Text)
			}
		}
	}
	return out, nil
}

// roundtrip produces one record to a new topic through bootstrap and
// returns a function that reads it back (for "data still there" checks).
func roundtrip(ctx context.Context, bootstrap, topic string) (check func(ctx context.Context, bootstrap string) error, err error) {
	cl, err := kgo.NewClient(kgo.SeedBrokers(strings.Split(bootstrap, ",")...), kgo.AllowAutoTopicCreation())
	if err != nil {
		return nil, err
	}
	defer cl.Close()
	value := fmt.Sprintf("written at %s", time.Now().Format(time.RFC3339Nano))
	if err := cl.ProduceSync(ctx, &kgo.Record{Topic: topic, Value: []byte(value)}).FirstErr(); err != nil {
		return nil, fmt.Errorf("producing to %s through %s: %w", topic, bootstrap, err)
	}
	return func(ctx context.Context, bootstrap string) error {
		cl, err := kgo.NewClient(kgo.SeedBrokers(strings.Split(bootstrap, ",")...), kgo.ConsumeTopics(topic),
			kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
		if err != nil {
			return err
		}
		defer cl.Close()
		for {
			fetches := cl.PollFetches(ctx)
			if err := ctx.Err(); err != nil {
				return fmt.Errorf("reading %q back from %s through %s: %w", value, topic, bootstrap, err)
			}
			for _, r := range fetches.Records() {
				if string(r.Value) == value {
					return nil
				}
			}
		}
	}, nil
}

// tfCLI runs the terraform CLI in its own folder against the built
// provider through dev_overrides, as a user (and `make demo`) does.
type tfCLI struct {
	t   testing.TB
	dir string
	env []string
}

func newTFCLI(t testing.TB) *tfCLI {
	t.Helper()
	dir := t.TempDir()
	rc := filepath.Join(dir, "dev.tfrc")
	if err := os.WriteFile(rc, []byte(fmt.Sprintf(`provider_installation {
  dev_overrides {
    "registry.terraform.io/kafka-on-mesos/kafka" = %q
  }
  direct {}
}
`, accDev.providerDir)), 0o644); err != nil {
		t.Fatal(err)
	}
	return &tfCLI{t: t, dir: dir, env: append(os.Environ(),
		"TF_CLI_CONFIG_FILE="+rc, "CHECKPOINT_DISABLE=1", "TF_IN_AUTOMATION=1",
		EnvEndpoint+"="+accDev.endpoint, EnvToken+"="+accDev.token)}
}

// write replaces the configuration.
func (tf *tfCLI) write(config string) {
	tf.t.Helper()
	if err := os.WriteFile(filepath.Join(tf.dir, "main.tf"), []byte(config), 0o644); err != nil {
		tf.t.Fatal(err)
	}
}

// run runs terraform with args and returns its output (stdout, then
// stderr) and exit code.
func (tf *tfCLI) run(args ...string) (string, int) {
	tf.t.Helper()
	stdout, stderr, code := tf.exec(args...)
	return stdout + stderr, code
}

func (tf *tfCLI) exec(args ...string) (stdout, stderr string, code int) {
	tf.t.Helper()
	bin := os.Getenv("TF_ACC_TERRAFORM_PATH")
	if bin == "" {
		bin = "terraform"
	}
	// Flags go right after the subcommand: terraform stops parsing flags
	// at the first positional argument.
	full := append([]string{args[0], "-no-color"}, args[1:]...)
	cmd := exec.Command(bin, full...)
	cmd.Dir, cmd.Env = tf.dir, tf.env
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		tf.t.Fatalf("running terraform %v: %v", args, err)
	}
	return out.String(), errOut.String(), code
}

// must runs terraform and fails the test unless it exits 0.
func (tf *tfCLI) must(args ...string) string {
	tf.t.Helper()
	out, code := tf.run(args...)
	if code != 0 {
		tf.t.Fatalf("terraform %v exited %d:\n%s", args, code, out)
	}
	return out
}

// output reads one output value of the state.
func (tf *tfCLI) output(name string) string {
	tf.t.Helper()
	stdout, stderr, code := tf.exec("output", "-raw", name)
	if code != 0 {
		tf.t.Fatalf("terraform output %s exited %d:\n%s%s", name, code, stdout, stderr)
	}
	return strings.TrimSpace(stdout)
}

// requireTerraform fails the test, saying what to do, when the terraform
// CLI is older than min (write-only attributes need 1.11): an old CLI
// would otherwise fail later with an error about the configuration.
func requireTerraform(t *testing.T, min string) {
	t.Helper()
	bin := os.Getenv("TF_ACC_TERRAFORM_PATH")
	if bin == "" {
		bin = "terraform"
	}
	out, err := exec.Command(bin, "version", "-json").Output()
	if err != nil {
		t.Fatalf("running %s version: %v (run make deps)", bin, err)
	}
	var v struct {
		Version string `json:"terraform_version"`
	}
	if err := json.Unmarshal(out, &v); err != nil {
		t.Fatalf("reading %s version -json: %v", bin, err)
	}
	if versionLess(v.Version, min) {
		t.Fatalf("terraform %s is older than %s, which this test needs (write-only attributes): run make deps, which installs a recent one", v.Version, min)
	}
}

// versionLess compares dotted numeric versions ("1.8.5" < "1.11.0").
func versionLess(a, b string) bool {
	as, bs := strings.Split(a, "."), strings.Split(b, ".")
	for i := range max(len(as), len(bs)) {
		var x, y int
		if i < len(as) {
			x, _ = strconv.Atoi(as[i])
		}
		if i < len(bs) {
			y, _ = strconv.Atoi(bs[i])
		}
		if x != y {
			return x < y
		}
	}
	return false
}
