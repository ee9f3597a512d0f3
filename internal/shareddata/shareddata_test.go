package shareddata

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// recorder is a testing.TB that records Fatalf and Skipf instead of ending
// the test, so that both outcomes can be checked.
type recorder struct {
	testing.TB
	fatal, skip string
}

func (r *recorder) Fatalf(format string, args ...any) { r.fatal = fmt.Sprintf(format, args...) }
func (r *recorder) Skipf(format string, args ...any)  { r.skip = fmt.Sprintf(format, args...) }

func mkdirs(t *testing.T, root string, dirs ...string) {
	t.Helper()
	for _, d := range dirs {
		if err := os.MkdirAll(filepath.Join(root, filepath.FromSlash(d)), 0o755); err != nil {
			t.Fatal(err)
		}
	}
}

func touch(t *testing.T, root string, files ...string) {
	t.Helper()
	for _, f := range files {
		p := filepath.Join(root, filepath.FromSlash(f))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte("x"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func TestFind(t *testing.T) {
	for _, tc := range []struct {
		name  string
		dirs  []string
		files []string
		env   string // WHISTLE_SHARED, relative to the temporary root
		wd    string
		want  string // relative to the temporary root; "" for an error
	}{
		{
			name:  "beside the module root",
			files: []string{"proj/go.mod", "shared/data/a.tsv"},
			dirs:  []string{"proj/internal/pkg"},
			wd:    "proj/internal/pkg",
			want:  "shared",
		},
		{
			name:  "from the module root itself",
			files: []string{"proj/go.mod", "shared/data/a.tsv"},
			wd:    "proj",
			want:  "shared",
		},
		{
			name:  "worktree one level deeper: the nearest ancestor's shared",
			files: []string{"work/wt/tests/go.mod", "work/shared/data/a.tsv"},
			dirs:  []string{"work/wt/tests/internal/pkg"},
			wd:    "work/wt/tests/internal/pkg",
			want:  "work/shared",
		},
		{
			name:  "nearest shared wins over a farther one",
			files: []string{"a/b/proj/go.mod", "a/b/shared/data/x", "a/shared/data/y"},
			dirs:  []string{"a/b/proj/cmd/tool"},
			wd:    "a/b/proj/cmd/tool",
			want:  "a/b/shared",
		},
		{
			name:  "a shared without data/ is not the one",
			files: []string{"a/b/proj/go.mod", "a/shared/data/y"},
			dirs:  []string{"a/b/shared/other", "a/b/proj/pkg"},
			wd:    "a/b/proj/pkg",
			want:  "a/shared",
		},
		{
			name:  "a shared inside the module is not the one",
			files: []string{"proj/go.mod", "proj/shared/data/x", "shared/data/y"},
			dirs:  []string{"proj/pkg"},
			wd:    "proj/pkg",
			want:  "shared",
		},
		{
			name:  "the go.mod nearest to the working directory is the module root",
			files: []string{"outer/go.mod", "outer/inner/go.mod", "outer/shared/data/x", "shared/data/y"},
			dirs:  []string{"outer/inner/pkg"},
			wd:    "outer/inner/pkg",
			want:  "outer/shared",
		},
		{
			name:  "WHISTLE_SHARED overrides the search",
			files: []string{"proj/go.mod", "shared/data/a.tsv", "elsewhere/data/b.tsv"},
			dirs:  []string{"proj/pkg"},
			env:   "elsewhere",
			wd:    "proj/pkg",
			want:  "elsewhere",
		},
		{
			name:  "WHISTLE_SHARED needs no module",
			files: []string{"elsewhere/data/b.tsv"},
			dirs:  []string{"nomod"},
			env:   "elsewhere",
			wd:    "nomod",
			want:  "elsewhere",
		},
		{
			name:  "WHISTLE_SHARED naming a missing directory is an error, not a search",
			files: []string{"proj/go.mod", "shared/data/a.tsv"},
			dirs:  []string{"proj/pkg"},
			env:   "nowhere",
			wd:    "proj/pkg",
		},
		{
			name:  "WHISTLE_SHARED naming a file is an error",
			files: []string{"proj/go.mod", "shared/data/a.tsv", "afile"},
			env:   "afile",
			wd:    "proj",
		},
		{
			name: "no go.mod",
			dirs: []string{"nomod/pkg", "shared/data"},
			wd:   "nomod/pkg",
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			root := t.TempDir()
			mkdirs(t, root, tc.dirs...)
			touch(t, root, tc.files...)
			env := map[string]string{}
			if tc.env != "" {
				env[EnvDir] = filepath.Join(root, tc.env)
			}
			got, err := find(func(k string) string { return env[k] }, filepath.Join(root, filepath.FromSlash(tc.wd)))
			if tc.want == "" {
				if err == nil {
					if !strings.HasPrefix(got, root) {
						t.Skipf("a shared/data directory above the temporary directory (%s) makes this case ambiguous", got)
					}
					t.Fatalf("got %s, want an error", got)
				}
				return
			}
			if err != nil {
				t.Fatalf("error %v, want %s", err, tc.want)
			}
			if want := filepath.Join(root, filepath.FromSlash(tc.want)); got != want {
				t.Fatalf("got %s, want %s", got, want)
			}
		})
	}
}

// TestMissing: a missing directory or file skips the test, except in CI,
// where it fails it (and does not skip).
func TestMissing(t *testing.T) {
	// proj has the data beside it; bare/pkg (in its own temporary tree) has
	// none above it, only a shared/ without data/.
	root, bareRoot := t.TempDir(), t.TempDir()
	touch(t, root, "proj/go.mod", "shared/data/there.tsv")
	touch(t, bareRoot, "bare/go.mod")
	mkdirs(t, bareRoot, "bare/pkg", "shared/design")
	for _, tc := range []struct {
		name       string
		ci         string
		wd         string
		rel        []string
		want       string // the path returned, relative to root; "" when missing
		fail, skip bool
	}{
		{"file present", "", "proj", []string{"data", "there.tsv"}, "shared/data/there.tsv", false, false},
		{"file present in CI", "true", "proj", []string{"data/there.tsv"}, "shared/data/there.tsv", false, false},
		{"no path: the directory", "", "proj", nil, "shared", false, false},
		{"file missing, not CI: skip", "", "proj", []string{"data", "gone.tsv"}, "", false, true},
		{"file missing, CI: fail", "1", "proj", []string{"data", "gone.tsv"}, "", true, false},
		{"directory missing, not CI: skip", "", "bare/pkg", []string{"data", "there.tsv"}, "", false, true},
		{"directory missing, CI: fail", "true", "bare/pkg", []string{"data", "there.tsv"}, "", true, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			base := root
			if tc.wd == "bare/pkg" {
				base = bareRoot
				if d, err := find(func(string) string { return "" }, filepath.Join(base, "bare", "pkg")); err == nil {
					t.Skipf("a shared/data directory above the temporary directory (%s) makes this case ambiguous", d)
				}
			}
			r := &recorder{TB: t}
			env := map[string]string{EnvCI: tc.ci}
			got := path(r, func(k string) string { return env[k] }, filepath.Join(base, filepath.FromSlash(tc.wd)), tc.rel...)
			want := ""
			if tc.want != "" {
				want = filepath.Join(root, filepath.FromSlash(tc.want))
			}
			if got != want {
				t.Errorf("got %q, want %q", got, want)
			}
			if (r.fatal != "") != tc.fail || (r.skip != "") != tc.skip {
				t.Fatalf("fatal %q, skip %q; want fail %v, skip %v", r.fatal, r.skip, tc.fail, tc.skip)
			}
			if msg := r.fatal + r.skip; msg != "" && !strings.Contains(msg, EnvDir) {
				t.Errorf("message %q does not say how to point at the data (%s)", msg, EnvDir)
			}
			if tc.fail && !strings.Contains(r.fatal, "CI") {
				t.Errorf("failure %q does not say why it is not a skip", r.fatal)
			}
		})
	}
}

// TestThisCheckout: the real lookup from this package. It skips (or, in CI,
// fails) like any test needing the data.
func TestThisCheckout(t *testing.T) {
	d := Dir(t)
	if fi, err := os.Stat(filepath.Join(d, "data")); err != nil || !fi.IsDir() {
		t.Fatalf("%s has no data directory: %v", d, err)
	}
	if p := Data(t, "zhengwu", "messages.tsv"); filepath.Dir(filepath.Dir(filepath.Dir(p))) != d {
		t.Fatalf("Data returned %s, not under %s", p, d)
	}
	t.Logf("shared directory: %s", d)
}
