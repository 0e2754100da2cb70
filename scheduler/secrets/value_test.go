package secrets

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"strings"
	"testing"
)

const plainSecret = "hunter2-plain-secret-value"

// leaks returns the forms of value that must never appear: the bytes, their
// base64 and hex, and Go's byte-slice rendering.
func leaks(value []byte) []string {
	return []string{
		string(value),
		base64.StdEncoding.EncodeToString(value),
		base64.RawStdEncoding.EncodeToString(value),
		base64.URLEncoding.EncodeToString(value),
		hex.EncodeToString(value),
		fmt.Sprint(value),
		fmt.Sprintf("%#v", value),
	}
}

// assertNoLeak fails the test when out holds any form of value.
func assertNoLeak(t *testing.T, where string, out []byte, value []byte) {
	t.Helper()
	for _, form := range leaks(value) {
		if bytes.Contains(out, []byte(form)) {
			t.Fatalf("%s shows the secret (as %.12q...)", where, form)
		}
	}
}

// holder has a Value in an exported and an unexported field.
type holder struct {
	Name   string
	Value  Value
	hidden Value
}

func TestValueNeverPrints(t *testing.T) {
	v := NewValue([]byte(plainSecret))
	h := holder{Name: "n", Value: v, hidden: v}
	var out bytes.Buffer
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%X", "%d", "%T", "%p", "%10.3s"} {
		fmt.Fprintf(&out, verb+"\n", v)
		fmt.Fprintf(&out, verb+"\n", &v)
		fmt.Fprintf(&out, verb+"\n", h)
		fmt.Fprintf(&out, verb+"\n", &h)
		fmt.Fprintf(&out, verb+"\n", []Value{v})
		fmt.Fprintf(&out, verb+"\n", map[string]any{"k": v})
	}
	fmt.Fprintln(&out, v, h, errors.New(fmt.Sprint(v)), fmt.Errorf("wrapped %v: %w", h, errors.New("x")))
	j, err := json.Marshal(h)
	if err != nil {
		t.Fatal(err)
	}
	out.Write(j)
	if !strings.Contains(string(j), `"Value":"[redacted]"`) {
		t.Errorf("JSON = %s, want the value redacted", j)
	}
	assertNoLeak(t, "fmt and JSON output", out.Bytes(), []byte(plainSecret))
	if !strings.Contains(out.String(), Redacted) {
		t.Errorf("output never says %s:\n%s", Redacted, out.String())
	}

	if got := string(v.Reveal()); got != plainSecret {
		t.Errorf("Reveal = %q", got)
	}
	revealed := v.Reveal()
	revealed[0] = 'X'
	if string(v.Reveal()) != plainSecret {
		t.Error("Reveal returned the Value's own bytes, not a copy")
	}
	if !v.Equal(NewValue([]byte(plainSecret))) || v.Equal(NewValue([]byte("other"))) || v.Len() != len(plainSecret) {
		t.Error("Equal or Len is wrong")
	}
}

func TestValueNeverLogs(t *testing.T) {
	v := NewValue([]byte(plainSecret))
	var out bytes.Buffer
	opts := &slog.HandlerOptions{Level: slog.LevelDebug}
	for _, log := range []*slog.Logger{slog.New(slog.NewTextHandler(&out, opts)), slog.New(slog.NewJSONHandler(&out, opts))} {
		log.Debug("value", "v", v, "ptr", &v, "holder", holder{Value: v, hidden: v}, "any", any(v), "list", []Value{v})
		log.Debug("group", slog.Group("g", "v", v))
		log.Debug(fmt.Sprintf("message %v %s", v, v))
	}
	assertNoLeak(t, "debug logs", out.Bytes(), []byte(plainSecret))
	if strings.Count(out.String(), Redacted) < 10 {
		t.Errorf("logs should show %s for every value:\n%s", Redacted, out.String())
	}
}

// TestPanicWithValueDoesNotShowIt panics with a Value (and with a struct
// holding one) in a child process and reads what the runtime printed.
func TestPanicWithValueDoesNotShowIt(t *testing.T) {
	if mode := os.Getenv("SECRETS_TEST_PANIC"); mode != "" {
		v := NewValue([]byte(plainSecret))
		if mode == "holder" {
			panic(fmt.Sprintf("%+v", holder{Value: v, hidden: v}))
		}
		panic(v)
	}
	for _, mode := range []string{"value", "holder"} {
		cmd := exec.Command(os.Args[0], "-test.run=^TestPanicWithValueDoesNotShowIt$", "-test.v")
		cmd.Env = append(os.Environ(), "SECRETS_TEST_PANIC="+mode)
		out, err := cmd.CombinedOutput()
		if err == nil || !strings.Contains(string(out), "panic: ") {
			t.Fatalf("%s: the child did not panic (%v):\n%s", mode, err, out)
		}
		assertNoLeak(t, "a panic's output", out, []byte(plainSecret))
		if !strings.Contains(string(out), Redacted) {
			t.Errorf("%s: panic output does not say %s:\n%s", mode, Redacted, out)
		}
	}
}
