package store_test

import (
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"

	"whistle/internal/lifecycle"
	"whistle/internal/pgtest"
	"whistle/internal/store"
)

// benchDSN is a fresh SQLite file, or a PostgreSQL database of the shared
// test cluster for the "postgres" backend.
func benchDSN(b *testing.B, backend string) string {
	if backend == "postgres" {
		return pgtest.NewDatabase(b)
	}
	return filepath.Join(b.TempDir(), "bench.db")
}

// BenchmarkCaseWrite measures case writes with their rollup maintenance:
// intake (InsertNewCase, one write per case, concurrent callers so that
// SQLite's single writer batches them), an update that leaves the case's
// rollup contribution alone (the common case: no extra statement) and one
// that moves it (re-dispatch to another unit).
func BenchmarkCaseWrite(b *testing.B) {
	for _, backend := range []string{"sqlite", "postgres"} {
		b.Run(backend, func(b *testing.B) {
			s := openStore(b, benchDSN(b, backend))
			var seq atomic.Int64
			b.Run("intake", func(b *testing.B) {
				b.SetParallelism(8)
				b.RunParallel(func(pb *testing.PB) {
					rng := rand.New(rand.NewPCG(uint64(seq.Add(1)), 9))
					for pb.Next() {
						i := int(seq.Add(1))
						c := benchCase(i, rng)
						c.Number = fmt.Sprintf("I%09d", i)
						nd, err := store.EncodeNewCase(c)
						if err != nil {
							b.Error(err)
							return
						}
						if err := s.Write(ctx, func(tx *store.Tx) error { return tx.InsertNewCase(ctx, c, nd) }); err != nil {
							b.Error(err)
							return
						}
					}
				})
			})
			for _, kind := range []string{"update-same", "update-moved"} {
				b.Run(kind, func(b *testing.B) {
					rng := rand.New(rand.NewPCG(5, 6))
					c := benchCase(int(seq.Add(1)), rng)
					c.Number = fmt.Sprintf("U%09d", seq.Add(1))
					write(b, s, func(tx *store.Tx) error { return tx.InsertCase(ctx, c) })
					b.ResetTimer()
					for i := 0; b.Loop(); i++ {
						prev := *c
						c.Version++
						c.UpdatedAt = c.UpdatedAt.Add(1)
						if kind == "update-moved" {
							c.LeadUnitID = int64(1 + i%2)
						}
						if err := s.Write(ctx, func(tx *store.Tx) error { return tx.UpdateCase(ctx, c, &prev) }); err != nil {
							b.Fatal(err)
						}
					}
				})
			}
		})
	}
}

var _ = os.Getenv
var _ lifecycle.Case
