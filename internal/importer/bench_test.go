package importer_test

import (
	"bufio"
	"context"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"syscall"
	"testing"
	"time"

	"whistle/internal/importer"
	"whistle/internal/lifecycle"
	"whistle/internal/pgtest"
	"whistle/internal/shareddata"
	"whistle/internal/store"
)

// BenchmarkImport measures the bulk path against a reference measured in
// the same run: the same 50,000 Boston Open311 records written case by
// case through the store's ordinary InsertCase and AppendEvent (what the
// demo seed does), 5,000 to a transaction. Both report rows/s; the bulk
// path (bulk, and tuned as the command runs it) also its CPU µs a row.
//
//	go test -run XXX -bench Import -benchtime 1x ./internal/importer/
func BenchmarkImport(b *testing.B) {
	file := headOfShared(b, "boston_open311_requests.jsonl.gz", 50000)
	bulk := func(tune bool) func(b *testing.B) {
		return func(b *testing.B) {
			var rows int64
			var cpu time.Duration
			for i := 0; i < b.N; i++ {
				c := newCore(b, "")
				cpu0 := cpuTime()
				rep, err := importer.Run(context.Background(), c, importer.Options{Kind: importer.KindOpen311, Path: file, Tune: tune})
				if err != nil {
					b.Fatal(err)
				}
				cpu += cpuTime() - cpu0
				rows += rep.Rows
				b.ReportMetric(rep.RowsPerSec, "rows/s")
			}
			// The whole pipeline's CPU (reader, writer, checkpointer,
			// garbage collector): on a loaded machine a steadier measure
			// than rows/s.
			b.ReportMetric(float64(cpu.Microseconds())/float64(rows), "cpu-µs/row")
		}
	}
	b.Run("bulk", bulk(false))
	// As the import command runs it (Options.Tune).
	b.Run("tuned", bulk(true))
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

// BenchmarkImportBoston imports both whole Boston files (320,770 Open311
// records, then the 121,145 rows of 2015) into a fresh store of each
// backend and reports rows/s of each file: the measurement of
// docs/IMPORT.md. Minutes long: run it alone, e.g.
//
//	go test -run XXX -bench 'ImportBoston/postgres' -benchtime 1x ./internal/importer/
func BenchmarkImportBoston(b *testing.B) {
	open311 := shareddata.Data(b, "boston_open311_requests.jsonl.gz")
	csv := shareddata.Data(b, "boston_2015_requests.csv.gz")
	_, self, _, _ := runtime.Caller(0)
	m, err := importer.LoadMapping(filepath.Join(filepath.Dir(self), "..", "..", "docs", "import", "boston_2015.yaml"))
	if err != nil {
		b.Fatal(err)
	}
	for _, backend := range []string{"sqlite", "postgres"} {
		b.Run(backend, func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				dsn := ""
				if backend == "postgres" {
					dsn = pgtest.NewDatabase(b)
				}
				c := newCore(b, dsn)
				for _, o := range []importer.Options{{Kind: importer.KindOpen311, Path: open311}, {Kind: importer.KindCSV, Path: csv, Mapping: m}} {
					rep, err := importer.Run(context.Background(), c, o)
					if err != nil {
						b.Fatal(err)
					}
					b.Logf("%s %s: %d rows, %d imported, %d refused in %.1f s: %.0f rows/s", backend, o.Kind, rep.Rows, rep.Imported, rep.Refused, rep.Seconds, rep.RowsPerSec)
					b.ReportMetric(rep.RowsPerSec, o.Kind+"-rows/s")
				}
			}
		})
	}
}

// BenchmarkImportWriter measures the single writer alone: the same 50,000
// Boston Open311 records converted and prepared (encoded, sealed) ahead,
// then written batch by batch through store.WriteImportBatch, as the bulk
// path's writer does; ns/op is per row. Without the reader's goroutine
// competing for the cores it isolates what the write costs.
//
//	go test -run XXX -bench ImportWriter -benchtime 50000x ./internal/importer/
func BenchmarkImportWriter(b *testing.B) {
	file := headOfShared(b, "boston_open311_requests.jsonl.gz", 50000)
	c := newCore(b, "")
	ctx := context.Background()
	f, err := os.Open(file)
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<22)
	var all []store.ImportCase
	for sc.Scan() {
		r, bad := importer.ParseOpen311(sc.Bytes())
		if bad != nil {
			b.Fatal(bad)
		}
		ic, err := importer.Convert(r, importer.CategoryOf("open311", r).Code, "open311", c)
		if err != nil {
			b.Fatal(err)
		}
		if err := c.St.PrepareImport(&ic); err != nil {
			b.Fatal(err)
		}
		all = append(all, ic)
	}
	run := store.ImportRun{FileKey: "bench", Kind: importer.KindOpen311, Source: "open311", File: file, StartedAt: c.Now()}
	if err := c.St.Write(ctx, func(tx *store.Tx) error { return tx.StartImportRun(ctx, &run) }); err != nil {
		b.Fatal(err)
	}
	cpu0 := cpuTime()
	b.ResetTimer()
	for done := 0; done < b.N; {
		n := min(importer.DefaultBatch, b.N-done)
		cs := make([]store.ImportCase, n)
		for k := range cs {
			cs[k] = all[(done+k)%len(all)]
			cs[k].ExternalID = strconv.Itoa(done + k)
			cs[k].Events = append([]lifecycle.Event(nil), cs[k].Events...)
		}
		err := c.St.Write(ctx, func(tx *store.Tx) error {
			_, err := tx.WriteImportBatch(ctx, &run, store.ImportBatch{Cases: cs, Line: int64(done + n), Loc: c.Location(), Now: c.Now()})
			return err
		})
		if err != nil {
			b.Fatal(err)
		}
		done += n
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "rows/s")
	b.ReportMetric(float64((cpuTime()-cpu0).Microseconds())/float64(b.N), "cpu-µs/row")
}

// cpuTime is the CPU time (user + system) the process has used.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
