package httpapi

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/api"
	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/state"
)

// optionsOfSize is valid-looking options of exactly size bytes, the bulk in
// server_properties values.
func optionsOfSize(t *testing.T, size int) json.RawMessage {
	t.Helper()
	var b strings.Builder
	b.WriteString(`{"kafka":{"server_properties":{`)
	for i := 0; b.Len() < size-1000; i++ {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `"custom.p%05d":"%s"`, i, strings.Repeat("v", 900))
	}
	b.WriteString(`,"custom.last":"`)
	b.WriteString(strings.Repeat("v", size-b.Len()-len(`"}}}`)))
	b.WriteString(`"}}}`)
	if b.Len() != size {
		t.Fatalf("built %d bytes", b.Len())
	}
	return json.RawMessage(b.String())
}

// TestIssue15OptionFaultsThroughTheClient replays the option faults of
// issue 15 against the real handlers and spec validation: install and
// preview answer the same 4xx, never a 5xx, and nothing is installed; the
// large-but-deliverable server_properties value is installed.
func TestIssue15OptionFaultsThroughTheClient(t *testing.T) {
	cases := []struct {
		name    string
		options json.RawMessage
		want    int    // 0: accepted
		msg     string // in the message or a problem's rule
	}{
		{"count 2147483647", json.RawMessage(`{"brokers":{"count":2147483647},"kafka":{"reserved_broker_max_id":2147483646}}`),
			http.StatusBadRequest, "must be at most 1000"},
		{"cpus, mem and disk of 1e308", json.RawMessage(`{"brokers":{"cpus":1e308,"mem":1e308,"disk":1e308}}`),
			http.StatusBadRequest, "must be between 0.1 and 1024"},
		{"durations of 10^10 s", json.RawMessage(`{"service":{"readiness_check":{"timeout":10000000000},"health_check":{"grace-period":10000000000}},"brokers":{"kill_grace_period":10000000000}}`),
			http.StatusBadRequest, "must be at most 86400 seconds"},
		{"1,000,168 bytes the state store cannot hold", optionsOfSize(t, 1_000_168),
			http.StatusRequestEntityTooLarge, "1000000-byte limit"},
		{"over the 1 MiB body limit", optionsOfSize(t, 1<<20+1), http.StatusRequestEntityTooLarge, "1 MiB"},
		{"server.properties over its limit", optionsOfSize(t, 300_000), http.StatusBadRequest, "262144"},
		{"200,000-byte server_properties value", json.RawMessage(`{"kafka":{"server_properties":{"ssl.truststore.certificates":"` + strings.Repeat("A", 200_000) + `"}}}`), 0, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			b := &specBackend{fakeBackend: newFakeBackend()}
			client := newTestClient(t, b)
			ctx := testContext(t)
			_, previewErr := client.PreviewService(ctx, "kafka", c.options)
			_, putErr := client.PutService(ctx, "kafka", c.options, api.PutOptions{})
			if c.want == 0 {
				if previewErr != nil || putErr != nil || b.acceptedCount() != 1 {
					t.Fatalf("preview %v, install %v, installed %d", previewErr, putErr, b.acceptedCount())
				}
				return
			}
			for what, err := range map[string]error{"preview": previewErr, "install": putErr} {
				refusal := checkRefusal(t, what, err)
				if refusal.StatusCode != c.want {
					t.Fatalf("%s answered %d, want %d: %s", what, refusal.StatusCode, c.want, refusal.Message)
				}
				text := refusal.Message
				for _, p := range refusal.Problems {
					text += "\n" + p.Rule
				}
				if !strings.Contains(text, c.msg) {
					t.Errorf("%s: %q does not say %q", what, text, c.msg)
				}
			}
			if b.acceptedCount() != 0 {
				t.Fatal("a refused configuration was installed")
			}
		})
	}
}

// TestStoreRefusalIsA413 covers the backstop: should the state store ever
// refuse a value as too large, the answer is a 413 naming the limit, not a
// 500.
func TestStoreRefusalIsA413(t *testing.T) {
	b := newFakeBackend()
	b.err = fmt.Errorf("storing the new configuration of kafka: %w", fmt.Errorf("%w: the value for key %q is 1000100 bytes, over the %d-byte limit", state.ErrValueTooLarge, "Configurations/c1", state.MaxValueSize))
	client := newTestClient(t, b)
	_, err := client.PutService(testContext(t), "kafka", json.RawMessage(`{}`), api.PutOptions{})
	refusal := checkRefusal(t, "install", err)
	if refusal.StatusCode != http.StatusRequestEntityTooLarge || !strings.Contains(refusal.Message, "1000000") {
		t.Fatalf("%d %s", refusal.StatusCode, refusal.Message)
	}
}
