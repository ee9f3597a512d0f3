package importer_test

import (
	"context"
	"path/filepath"
	"runtime"
	"testing"

	"whistle/internal/importer"
)

// TestBostonImportHead imports the first 3,000 records of each Boston
// file (../shared/data; missing data fails when CI is set): every record
// comes in, none refused, with the categories of their service types.
func TestBostonImportHead(t *testing.T) {
	ctx := context.Background()
	c := newCore(t, "")
	open311 := headOfShared(t, "boston_open311_requests.jsonl.gz", 3000)
	rep, err := importer.Run(ctx, c, importer.Options{Kind: importer.KindOpen311, Path: open311})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Imported != 3000 || rep.Refused != 0 || rep.Duplicates != 0 || rep.Categories == 0 {
		t.Errorf("open311: %+v", rep)
	}
	_, self, _, _ := runtime.Caller(0)
	m, err := importer.LoadMapping(filepath.Join(filepath.Dir(self), "..", "..", "docs", "import", "boston_2015.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	csv := headOfShared(t, "boston_2015_requests.csv.gz", 3001) // the header and 3,000 rows
	rep, err = importer.Run(ctx, c, importer.Options{Kind: importer.KindCSV, Path: csv, Mapping: m})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Imported != 3000 || rep.Refused != 0 || rep.Duplicates != 0 || rep.Source != "boston_2015" {
		t.Errorf("csv: %+v", rep)
	}
	if n := countCases(t, c); n != 6000 {
		t.Errorf("%d cases listed, want 6000", n)
	}
	if _, ok := c.Category("boston_2015.abandoned_bicycle"); !ok {
		t.Errorf("no category boston_2015.abandoned_bicycle")
	}
}
