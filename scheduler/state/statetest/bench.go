package statetest

import (
	"bytes"
	"context"
	"testing"
	"time"

	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/state"
)

// Benchmark measures round trips on s with 1 KiB values and reports them as
// µs per round trip and round trips per second:
//
//   - SetGet: a Set followed by a Get of the same key;
//   - Get: one Get;
//   - Commit4: one Commit of four Set operations;
//   - FencedCommit4: the same through a held lock's fenced view.
func Benchmark(b *testing.B, s state.Store) {
	ctx := context.Background()
	value := bytes.Repeat([]byte("v"), 1024)
	keys := []string{"Tasks/kafka-0-broker/TaskInfo", "Tasks/kafka-1-broker/TaskInfo", "Tasks/kafka-2-broker/TaskInfo", "Properties/p"}
	commit := func(s state.Store) error {
		ops := make([]state.Op, len(keys))
		for i, k := range keys {
			ops[i] = state.SetOp(k, value)
		}
		return s.Commit(ctx, ops...)
	}
	b.Run("SetGet", func(b *testing.B) {
		for b.Loop() {
			if err := s.Set(ctx, "FrameworkID", value); err != nil {
				b.Fatal(err)
			}
			if _, err := s.Get(ctx, "FrameworkID"); err != nil {
				b.Fatal(err)
			}
		}
		reportRoundTrips(b)
	})
	b.Run("Get", func(b *testing.B) {
		if err := s.Set(ctx, "FrameworkID", value); err != nil {
			b.Fatal(err)
		}
		for b.Loop() {
			if _, err := s.Get(ctx, "FrameworkID"); err != nil {
				b.Fatal(err)
			}
		}
		reportRoundTrips(b)
	})
	b.Run("Commit4", func(b *testing.B) {
		for b.Loop() {
			if err := commit(s); err != nil {
				b.Fatal(err)
			}
		}
		reportRoundTrips(b)
	})
	b.Run("FencedCommit4", func(b *testing.B) {
		lock, err := s.Lock(ctx, "bench-lock")
		if err != nil {
			b.Fatal(err)
		}
		defer lock.Unlock(ctx)
		fenced := lock.Store()
		for b.Loop() {
			if err := commit(fenced); err != nil {
				b.Fatal(err)
			}
		}
		reportRoundTrips(b)
	})
}

func reportRoundTrips(b *testing.B) {
	if b.N == 0 {
		return
	}
	per := b.Elapsed() / time.Duration(b.N)
	b.ReportMetric(float64(per.Nanoseconds())/1e3, "µs/roundtrip")
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "roundtrips/s")
}
