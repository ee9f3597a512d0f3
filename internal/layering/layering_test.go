// Package layering holds the test that keeps the architecture visible:
// pure domain rules know neither SQL nor HTTP, the application layer knows
// the store but not HTTP, and the front ends (API and pages) know the
// application layer but never the store.
package layering

import (
	"go/build"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

const module = "whistle/internal/"

var (
	// domain packages: pure rules, tested with tables.
	domain = []string{"errs", "org", "calendar", "timelimit", "lifecycle", "geo", "gazetteer", "classify",
		"dutylist", "dedup", "knowledge", "assessment", "summons", "grid", "auth", "audit", "sealed", "csvsafe",
		"insight", "agenda", "open311", "events", "replyquality", "volunteering", "ledger"}
	// application packages: one service call per user action.
	application = []string{"core", "casework", "dispatch", "ranking", "whistles", "patrols", "admin", "accounts", "services",
		"retention", "governance", "georeport", "importer", "publish", "delivery", "community"}
	// front ends: parse, call, render.
	frontEnds = []string{"api", "web", "httpx"}
)

// allowed are the exceptions, each with its reason.
var allowed = map[string]string{
	"errs net/http":     "status numbers only: the one table that maps error codes to HTTP status",
	"casework net/http": "http.DetectContentType sniffs uploaded files; no handlers",
	"delivery net/http": "webhook deliveries are outbound HTTP requests (issue #13); no handlers",
}

// imports returns the packages a directory's non-test files import.
func imports(t *testing.T, pkg string) []string {
	t.Helper()
	p, err := build.ImportDir(filepath.Join("..", pkg), 0)
	if err != nil {
		t.Fatalf("%s: %v", pkg, err)
	}
	var out []string
	for _, imp := range p.Imports {
		if _, ok := allowed[pkg+" "+imp]; !ok {
			out = append(out, imp)
		}
	}
	return out
}

func internal(imp string) (string, bool) {
	if rest, ok := strings.CutPrefix(imp, module); ok {
		return strings.SplitN(rest, "/", 2)[0], true
	}
	return "", false
}

func TestLayers(t *testing.T) {
	sqlish := func(imp string) bool {
		return imp == "database/sql" || strings.Contains(imp, "sqlite") || strings.Contains(imp, "pgx")
	}
	httpish := func(imp string) bool { return imp == "net/http" || strings.HasPrefix(imp, "net/http/") }
	for _, pkg := range domain {
		for _, imp := range imports(t, pkg) {
			if sqlish(imp) || httpish(imp) {
				t.Errorf("domain package %s imports %s: rules know neither SQL nor HTTP", pkg, imp)
			}
			if in, ok := internal(imp); ok && !slices.Contains(domain, in) {
				t.Errorf("domain package %s imports %s: only other domain packages", pkg, imp)
			}
		}
	}
	for _, pkg := range application {
		for _, imp := range imports(t, pkg) {
			if httpish(imp) || sqlish(imp) {
				t.Errorf("application package %s imports %s: SQL lives in store, HTTP in the front ends", pkg, imp)
			}
			if in, ok := internal(imp); ok && !slices.Contains(domain, in) && !slices.Contains(application, in) && in != "store" {
				t.Errorf("application package %s imports %s", pkg, imp)
			}
		}
	}
	for _, pkg := range frontEnds {
		for _, imp := range imports(t, pkg) {
			if in, ok := internal(imp); ok && (in == "store" || in == "pgtest") {
				t.Errorf("front end %s imports %s: the API and the pages only parse, call the services and render", pkg, imp)
			}
			if sqlish(imp) {
				t.Errorf("front end %s imports %s", pkg, imp)
			}
		}
	}
	for _, imp := range imports(t, "store") {
		if in, ok := internal(imp); ok && !slices.Contains(domain, in) {
			t.Errorf("store imports %s: it holds SQL over domain types only", imp)
		}
		if httpish(imp) {
			t.Errorf("store imports %s", imp)
		}
	}
}

// TestEveryPackageHasALayer: a new package is placed in a layer here, so
// the rules above cover it.
func TestEveryPackageHasALayer(t *testing.T) {
	known := slices.Concat(domain, application, frontEnds,
		[]string{"store", "layering", "app", "config", "scheduler", "seed", "demo", "bench", "pgtest", "shareddata"})
	ents, err := os.ReadDir("..")
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range ents {
		if e.IsDir() && !slices.Contains(known, e.Name()) {
			t.Errorf("internal/%s is in no layer: add it to layering_test.go", e.Name())
		}
	}
}
