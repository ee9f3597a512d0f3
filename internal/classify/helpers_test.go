package classify

import (
	"os"
	"path/filepath"
	"runtime"
	"testing"
)

// labelledPath is /work/shared/data/zhengwu/labelled.tsv, found relative to
// this package (the module sits next to the shared directory).
func labelledPath() string {
	_, file, _, _ := runtime.Caller(0)
	root := filepath.Join(filepath.Dir(file), "..", "..")
	for _, p := range []string{
		filepath.Join(root, "..", "shared", "data", "zhengwu", "labelled.tsv"),
		filepath.Join(root, "..", "..", "shared", "data", "zhengwu", "labelled.tsv"),
	} {
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	return ""
}

func labelled(tb testing.TB) []Example {
	tb.Helper()
	p := labelledPath()
	if p == "" {
		tb.Skip("labelled.tsv not found next to the module")
	}
	ex, err := ReadFile(p)
	if err != nil {
		tb.Fatal(err)
	}
	return ex
}
