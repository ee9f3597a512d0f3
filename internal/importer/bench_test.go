package importer_test

import (
	"bufio"
	"context"
	"os"
	"testing"
	"time"

	"whistle/internal/importer"
	"whistle/internal/store"
)

// BenchmarkImport measures the bulk path against a reference measured in
// the same run: the same 50,000 Boston Open311 records written case by
// case through the store's ordinary InsertCase and AppendEvent (what the
// demo seed does), 5,000 to a transaction. Both report rows/s.
//
//	go test -run XXX -bench Import -benchtime 1x ./internal/importer/
func BenchmarkImport(b *testing.B) {
	file := headOfShared(b, "boston_open311_requests.jsonl.gz", 50000)
	b.Run("bulk", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			c := newCore(b, "")
			rep, err := importer.Run(context.Background(), c, importer.Options{Kind: importer.KindOpen311, Path: file})
			if err != nil {
				b.Fatal(err)
			}
			b.ReportMetric(rep.RowsPerSec, "rows/s")
		}
	})
	b.Run("reference", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			c := newCore(b, "")
			ctx := context.Background()
			f, err := os.Open(file)
			if err != nil {
				b.Fatal(err)
			}
			start := time.Now()
			sc := bufio.NewScanner(f)
			sc.Buffer(make([]byte, 1<<20), 1<<22)
			var cs []store.ImportCase
			n := 0
			flush := func() {
				err := c.St.Write(ctx, func(tx *store.Tx) error {
					for k := range cs {
						cc := &cs[k].Case
						num, err := tx.NextNumber(ctx, cc.CreatedAt.Format("20060102"))
						if err != nil {
							return err
						}
						cc.Number, cc.EventSeq = num, len(cs[k].Events)
						if err := tx.InsertCase(ctx, cc); err != nil {
							return err
						}
						for j := range cs[k].Events {
							e := &cs[k].Events[j]
							e.CaseID, e.Seq = cc.ID, j+1
							if err := tx.AppendEvent(ctx, e); err != nil {
								return err
							}
						}
					}
					return nil
				})
				if err != nil {
					b.Fatal(err)
				}
				cs = cs[:0]
			}
			for sc.Scan() {
				r, bad := importer.ParseOpen311(sc.Bytes())
				if bad != nil {
					b.Fatal(bad)
				}
				ic, err := importer.Convert(r, importer.CategoryOf("open311", r).Code, "open311", c)
				if err != nil {
					b.Fatal(err)
				}
				cs = append(cs, ic)
				n++
				if len(cs) == importer.DefaultBatch {
					flush()
				}
			}
			flush()
			f.Close()
			b.ReportMetric(float64(n)/time.Since(start).Seconds(), "rows/s")
		}
	})
}
