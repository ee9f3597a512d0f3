package web

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"whistle/internal/assessment"
)

// TestAuditActionsHaveLabels: every action code the services write to the
// audit log has words in the catalogues.
func TestAuditActionsHaveLabels(t *testing.T) {
	cat, err := LoadCatalogue()
	if err != nil {
		t.Fatal(err)
	}
	root := filepath.Join("..")
	codes := map[string]bool{}
	pats := []*regexp.Regexp{
		regexp.MustCompile(`Audit\(ctx, tx, [^,]+, "([a-z_]+)"`),
		regexp.MustCompile(`audit\.Entry\{[^}]*Action: "([a-z_]+)"`),
		regexp.MustCompile(`audit(?:Duty|Article)\(ctx, tx, a, "([a-z_]+)"`),
	}
	err = filepath.WalkDir(root, func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return err
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		for _, p := range pats {
			for _, m := range p.FindAllStringSubmatch(string(b), -1) {
				codes[m[1]] = true
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	// exemption_<state>, written by the ranking service.
	delete(codes, "exemption_")
	for _, st := range []string{assessment.ExemptApproved, assessment.ExemptRejected} {
		codes["exemption_"+st] = true
	}
	if len(codes) < 25 {
		t.Fatalf("found only %d action codes: %v", len(codes), codes)
	}
	for c := range codes {
		if !cat.Has("audit2.action." + c) {
			t.Errorf("audit action %q has no words in the catalogues (audit2.action.%s)", c, c)
		}
	}
}
