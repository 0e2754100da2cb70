package secrets

import (
	"fmt"
	"testing"
)

// BenchmarkPutAndResolve measures a write (seal and compare-and-set) and a
// read (get and open) of a 4 KiB secret on the embedded state store.
func BenchmarkPutAndResolve(b *testing.B) {
	st, _ := newEmbedded(b)
	s := mustOpen(b, st, mustRing(b, randomKey(b)), Options{})
	value := NewValue(make([]byte, 4096))
	ctx := testCtx(b)
	for i := range 64 {
		if _, _, err := s.Put(ctx, fmt.Sprintf("bench/s%d", i), value, PutOptions{}); err != nil {
			b.Fatal(err)
		}
	}
	b.Run("put", func(b *testing.B) {
		for i := 0; b.Loop(); i++ {
			if _, _, err := s.Put(ctx, fmt.Sprintf("bench/s%d", i%64), value, PutOptions{}); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("resolve", func(b *testing.B) {
		for i := 0; b.Loop(); i++ {
			if _, _, err := s.Resolve(ctx, "bench", fmt.Sprintf("bench/s%d", i%64)); err != nil {
				b.Fatal(err)
			}
		}
	})
}
