package provider

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hashicorp/go-version"
)

// TestAccModuleKafkaCluster runs the example module's own `terraform test`
// suite (examples/modules/kafka-cluster/tests) against the shared dev
// scheduler, as a module's CI pipeline would.
func TestAccModuleKafkaCluster(t *testing.T) {
	requireAcc(t)
	t.Parallel()
	tf := newTFCLI(t)
	stdout, _, _ := tf.exec("version", "-json")
	var v struct {
		Version string `json:"terraform_version"`
	}
	if err := json.Unmarshal([]byte(stdout), &v); err != nil {
		t.Fatalf("reading terraform version -json: %v (%q)", err, stdout)
	}
	if got := version.Must(version.NewVersion(v.Version)); got.LessThan(version.Must(version.NewVersion("1.6.0"))) {
		t.Fatalf("terraform test needs terraform 1.6 or later, this is %s: run make deps (it installs a newer one into .tools/bin) or put a newer terraform on PATH", got)
	}
	copyTree(t, filepath.Join("..", "examples", "modules", "kafka-cluster"), tf.dir)
	out, code := tf.run("test")
	if code != 0 || !strings.Contains(out, "0 failed") {
		t.Fatalf("terraform test of the kafka-cluster module exited %d:\n%s", code, out)
	}
	if err := checkGone("module-ci"); err != nil {
		t.Errorf("after terraform test: %v", err)
	}
}

// copyTree copies the regular files under src into dst.
func copyTree(t *testing.T, src, dst string) {
	t.Helper()
	err := filepath.WalkDir(src, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		if strings.HasPrefix(d.Name(), ".terraform") { // a local init's leftovers
			if d.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		target := filepath.Join(dst, rel)
		if d.IsDir() {
			return os.MkdirAll(target, 0o755)
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(target, data, 0o644)
	})
	if err != nil {
		t.Fatalf("copying %s: %v", src, err)
	}
}
