package importer_test

import (
	"context"
	"testing"

	"whistle/internal/importer"
)

// BenchmarkImportOpen311 imports the first 50,000 Boston Open311 records
// into a fresh SQLite store; it reports rows/s.
func BenchmarkImportOpen311(b *testing.B) {
	file := headOfShared(b, "boston_open311_requests.jsonl.gz", 50000)
	for i := 0; i < b.N; i++ {
		c := newCore(b, "")
		rep, err := importer.Run(context.Background(), c, importer.Options{Kind: importer.KindOpen311, Path: file, Batch: batchSize})
		if err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(rep.RowsPerSec, "rows/s")
	}
}

var batchSize = importer.DefaultBatch
