package plan

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// TestInfoJSONGolden pins the JSON body of GET /v1/plans/deploy to the DC/OS
// shape: key order, status names, message format, "errors": [] when empty.
func TestInfoJSONGolden(t *testing.T) {
	tests := []struct {
		file  string
		build func(t *testing.T) *Plan
	}{
		{"deploy-in-progress.json", func(t *testing.T) *Plan {
			p := deploy(t, `{}`, nil)
			complete(t, p, "kafka-0")
			p.Prepared("kafka-1")
			p.Launched("kafka-1", "t1")
			return p
		}},
		{"deploy-canary-waiting.json", func(t *testing.T) *Plan {
			return deploy(t, `{"service":{"deploy_strategy":"serial-canary"}}`, nil)
		}},
		{"deploy-errors.json", func(t *testing.T) *Plan {
			p := deploy(t, `{"brokers":{"count":2}}`, nil)
			complete(t, p, "kafka-0")
			complete(t, p, "kafka-1")
			p.SetErrors([]string{`brokers.count="1": cannot decrease (from 2 to 1): brokers can only be added`})
			return p
		}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			got, err := json.MarshalIndent(tt.build(t).Info(), "", "  ")
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, '\n')
			path := filepath.Join("testdata", tt.file)
			if *update {
				if err := os.WriteFile(path, got, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run go test -update to create it)", err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("JSON differs from %s:\n%s", path, got)
			}
		})
	}
}

// TestInfoJSONKeys checks the shape independently of the golden files.
func TestInfoJSONKeys(t *testing.T) {
	b, err := json.Marshal(deploy(t, `{"brokers":{"count":1}}`, nil).Info())
	if err != nil {
		t.Fatal(err)
	}
	want := `{"phases":[{"id":"00000000-0000-4000-8000-000000000001","name":"broker","steps":[` +
		`{"id":"00000000-0000-4000-8000-000000000002","status":"PENDING","name":"kafka-0:[broker]",` +
		`"message":"DeploymentStep: 'kafka-0:[broker] [00000000-0000-4000-8000-000000000002]' has status: 'PENDING'."}],` +
		`"strategy":"serial","status":"PENDING"}],"errors":[],"strategy":"serial","status":"PENDING"}`
	if string(b) != want {
		t.Fatalf("JSON =\n%s\nwant\n%s", b, want)
	}
}
