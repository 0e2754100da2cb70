package spec

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/validation"
)

// bodyOfSize returns valid options of exactly size bytes whose bulk is
// server_properties values of ~900 bytes each (many keys, so that it is
// also well over the rendered server.properties limit).
func bodyOfSize(t testing.TB, size int) []byte {
	t.Helper()
	var b strings.Builder
	b.WriteString(`{"kafka":{"server_properties":{`)
	for i := 0; b.Len() < size-1000; i++ {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `"custom.p%05d":"%s"`, i, strings.Repeat("v", 900))
	}
	fmt.Fprintf(&b, `,"custom.last":"`)
	b.WriteString(strings.Repeat("v", size-b.Len()-len(`"}}}`)))
	b.WriteString(`"}}}`)
	if b.Len() != size {
		t.Fatalf("built %d bytes, want %d", b.Len(), size)
	}
	return []byte(b.String())
}

// TestOptionsTheStateStoreCannotHoldAreTooLarge is issue 15's fault 2:
// valid-looking options of 1,000,168 bytes (under the API's 1 MiB body
// limit, over the state store's 1,000,000-byte value limit) are a
// *TooLargeError naming the limit, not something the store fails on.
func TestOptionsTheStateStoreCannotHoldAreTooLarge(t *testing.T) {
	_, err := Parse(bodyOfSize(t, 1_000_168), DefaultOptions(), testEnv)
	var tooLarge *TooLargeError
	if !errors.As(err, &tooLarge) {
		t.Fatalf("err = %v (%T), want a *TooLargeError", err, err)
	}
	if tooLarge.Limit != 1_000_000 || tooLarge.Size <= 1_000_000 || !strings.Contains(err.Error(), "1000000-byte limit") {
		t.Errorf("error %q (size %d, limit %d)", err, tooLarge.Size, tooLarge.Limit)
	}

	// JSON encoding can make a small body large: '<' is stored as \u003c.
	escaped := `{"kafka":{"server_properties":{"custom.html":"` + strings.Repeat("<", 170_000) + `"}}}`
	_, err = Parse([]byte(escaped), DefaultOptions(), testEnv)
	if !errors.As(err, &tooLarge) {
		t.Fatalf("a 170 KB body stored as 1 MB: err = %v, want a *TooLargeError", err)
	}

	// Whitespace is not stored: a padded body of defaults is fine.
	padded := "{" + strings.Repeat(" ", 1_000_100) + "}"
	if _, err := Parse([]byte(padded), DefaultOptions(), testEnv); err != nil {
		t.Errorf("whitespace-padded options: %v", err)
	}
}

func TestBigButStorableOptionsHitTheRenderedLimit(t *testing.T) {
	_, err := Parse(bodyOfSize(t, 400_000), DefaultOptions(), testEnv)
	ps := problemsOf(t, err)
	if len(ps) != 1 || ps[0].Field != "kafka.server_properties" || !strings.Contains(ps[0].Rule, "262144") {
		t.Fatalf("problems = %v", ps)
	}
}

// unknownKeys returns a body of about size bytes of unknown kafka options
// whose names are long enough to be costly for an edit-distance search.
func unknownKeys(size, keyLength int) []byte {
	var b strings.Builder
	b.WriteString(`{"kafka":{`)
	for i := 0; b.Len() < size; i++ {
		if i > 0 {
			b.WriteByte(',')
		}
		name := fmt.Sprintf("log_retention_hourz_%07d_", i)
		name += strings.Repeat("x", max(keyLength-len(name), 0))
		if i == 0 && keyLength <= maxSuggestKeyLength {
			name = "log_retention_hour" // sorts first, one edit from a known name
		}
		fmt.Fprintf(&b, `"%s":1`, name)
	}
	b.WriteString(`}}`)
	return []byte(b.String())
}

// TestUnknownKeysAreRefusedCheaply is issue 15's fault 4: a megabyte of
// unknown kafka options is refused with a bounded list of problems, the
// first few with a suggestion.
func TestUnknownKeysAreRefusedCheaply(t *testing.T) {
	for _, keyLength := range []int{20, 1000, 500_000} {
		t.Run(fmt.Sprint(keyLength), func(t *testing.T) {
			body := unknownKeys(1<<20, keyLength)
			_, err := Parse(body, DefaultOptions(), testEnv)
			ps := problemsOf(t, err)
			keys := len(body) / (keyLength + 4)
			if keys > validation.MaxProblems && (len(ps) != validation.MaxProblems+1 || ps[len(ps)-1].Rule != validation.TruncatedRule) {
				t.Fatalf("%d problems for %d keys, want %d and the marker", len(ps), keys, validation.MaxProblems)
			}
			if keys <= validation.MaxProblems && len(ps) != keys {
				t.Fatalf("%d problems for %d keys", len(ps), keys)
			}
			for _, p := range ps {
				if len(p.Field) > validation.MaxFieldLength {
					t.Fatalf("field of %d bytes", len(p.Field))
				}
			}
			if keyLength == 20 && !strings.Contains(ps[0].Rule, `did you mean "log_retention_hours"?`) {
				t.Errorf("a short unknown key still gets a suggestion: %v", ps[0])
			}
			if keyLength > maxSuggestKeyLength && strings.Contains(ps[0].Rule, "did you mean") {
				t.Errorf("a %d-byte key got a suggestion: %v", keyLength, ps[0])
			}
		})
	}
}

// BenchmarkRefuseUnknownKeys prints how long refusing a megabyte of unknown
// kafka options takes (issue 15 measured 10–21 s before the search was
// bounded).
func BenchmarkRefuseUnknownKeys(b *testing.B) {
	for _, keyLength := range []int{20, 60, 1000} {
		b.Run(fmt.Sprintf("key-%d", keyLength), func(b *testing.B) {
			body := unknownKeys(1<<20, keyLength)
			defaults := DefaultOptions()
			b.SetBytes(int64(len(body)))
			b.ReportAllocs()
			start := time.Now()
			for b.Loop() {
				if _, err := Parse(body, defaults, testEnv); err == nil {
					b.Fatal("unknown keys accepted")
				}
			}
			b.ReportMetric(float64(time.Since(start).Milliseconds())/float64(b.N), "ms/refusal")
		})
	}
}

// TestPreviewAndInstallRefuseTheSame: both go through Parse (the manager's
// install and preview share it), and Build refuses what Parse refuses.
func TestBuildRefusesWhatParseRefuses(t *testing.T) {
	o := DefaultOptions()
	o.Brokers.Count = 2147483647
	o.Kafka.ReservedBrokerMaxID = 2147483646
	_, err := Build(o, testEnv)
	if ps := problemsOf(t, err); len(ps) != 1 || ps[0].Rule != "must be at most 1000" {
		t.Fatalf("Build: %v", err)
	}
	o = DefaultOptions()
	o.Kafka.ServerProperties = map[string]string{"custom.html": strings.Repeat("<", 170_000)}
	if _, err := Build(o, testEnv); !errors.As(err, new(*TooLargeError)) {
		t.Fatalf("Build of an unstorable spec: %v", err)
	}
}
