package spec

import (
	"encoding/json"
	"errors"
	"testing"

	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/kafka/brokerconfig"
	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/validation"
)

// FuzzParse decodes and validates arbitrary options bodies. Whatever the
// body, Parse must return quickly with either a spec every broker of which
// can be launched, bounded validation problems, or a *TooLargeError; never
// panic, never accept something out of bounds. The seed corpus in
// testdata/fuzz/FuzzParse holds the faults of issue 15 and runs with every
// `go test`; `make fuzz` explores further.
func FuzzParse(f *testing.F) {
	f.Add([]byte(`{}`))
	f.Add([]byte(`{"brokers":{"count":2147483647},"kafka":{"reserved_broker_max_id":2147483646}}`))
	defaults := DefaultOptions()
	f.Fuzz(func(t *testing.T, body []byte) {
		s, err := Parse(body, defaults, testEnv)
		var (
			ps       validation.Problems
			tooLarge *TooLargeError
		)
		switch {
		case err == nil:
			checkAcceptedSpec(t, s)
		case errors.As(err, &ps):
			checkBoundedProblems(t, ps)
		case errors.As(err, &tooLarge):
			if tooLarge.Size <= tooLarge.Limit {
				t.Fatalf("too large at %d bytes under the limit %d", tooLarge.Size, tooLarge.Limit)
			}
		default:
			t.Fatalf("Parse returned %T: %v", err, err)
		}
	})
}

func checkAcceptedSpec(t *testing.T, s ServiceSpec) {
	t.Helper()
	b := s.Options.Brokers
	if s.BrokerCount() < 1 || s.BrokerCount() > MaxBrokers {
		t.Fatalf("accepted brokers.count %d", s.BrokerCount())
	}
	if b.CPUs > MaxCPUs || b.Mem > MaxMemMB || b.Disk > MaxDiskMB || b.KillGracePeriod > MaxSeconds {
		t.Fatalf("accepted out-of-bounds resources %+v", b)
	}
	encoded, err := json.Marshal(s)
	if err != nil || len(encoded) > MaxStoredSpecBytes {
		t.Fatalf("accepted a spec that cannot be stored: %d bytes, %v", len(encoded), err)
	}
	var back ServiceSpec
	if err := json.Unmarshal(encoded, &back); err != nil || back.Hash() != s.Hash() {
		t.Fatalf("the stored spec does not load back the same: %v", err)
	}
	for _, i := range []int{0, s.BrokerCount() - 1} {
		port := b.Port
		if port == 0 {
			port = 31000
		}
		task, props, err := s.Launch(i, Site{Hostname: "agent-1.example", Port: port, Zone: "zone-a"})
		if err != nil {
			t.Fatalf("an accepted spec cannot launch broker %d: %v", i, err)
		}
		if len(props) > brokerconfig.MaxServerPropertiesBytes {
			t.Fatalf("server.properties of %d bytes", len(props))
		}
		if task.ReadinessCheck.Timeout < 0 || task.KillGracePeriod < 0 {
			t.Fatalf("a duration overflowed: %+v", task)
		}
	}
}

func checkBoundedProblems(t *testing.T, ps validation.Problems) {
	t.Helper()
	if len(ps) == 0 || len(ps) > validation.MaxProblems+1 {
		t.Fatalf("%d problems", len(ps))
	}
	for _, p := range ps {
		if p.Field == "" || p.Rule == "" {
			t.Fatalf("a problem without field or rule: %#v", p)
		}
		if len(p.Field) > validation.MaxFieldLength || len(p.Value) > validation.MaxValueLength || len(p.Rule) > validation.MaxRuleLength {
			t.Fatalf("an unbounded problem: %d/%d/%d bytes", len(p.Field), len(p.Value), len(p.Rule))
		}
	}
}
