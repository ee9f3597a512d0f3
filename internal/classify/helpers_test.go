package classify

import (
	"testing"

	"whistle/internal/shareddata"
)

// labelled reads the labelled real messages, data/zhengwu/labelled.tsv of
// the shared directory.
func labelled(tb testing.TB) []Example {
	tb.Helper()
	ex, err := ReadFile(shareddata.Data(tb, "zhengwu", "labelled.tsv"))
	if err != nil {
		tb.Fatal(err)
	}
	return ex
}
