// Package shareddata finds the shared real-data directory for tests.
//
// Every developer checkout and every CI run has a directory named "shared"
// beside the project root (../shared from the directory holding go.mod); its
// data/ subdirectory holds the real citizen-request data sets that several
// tests read. A checkout in a git worktree may sit deeper (for example
// work/wt/name with work/shared), so the search walks up from the module root
// and takes the first ancestor that has a shared/data directory. The
// environment variable WHISTLE_SHARED, when set, names the directory directly
// and no search is made.
//
// When the data cannot be found a test is skipped on a developer machine, but
// fails when the environment variable CI is set: in CI, missing data is a
// broken setup, and a silent skip would hide that the tests never ran.
package shareddata

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// EnvDir names the shared directory explicitly, overriding the search.
const EnvDir = "WHISTLE_SHARED"

// EnvCI, when non-empty, turns a missing shared directory or file from a
// skip into a failure.
const EnvCI = "CI"

// Dir returns the shared directory (the one holding data/, design/ ...). When
// it is not found, t is skipped, or failed if CI is set.
func Dir(t testing.TB) string {
	t.Helper()
	wd, err := os.Getwd()
	if err != nil {
		t.Fatalf("shareddata: %v", err)
		return ""
	}
	return dir(t, os.Getenv, wd)
}

// Path returns the shared file or directory at rel (slash- or
// element-separated, relative to the shared directory, e.g.
// Path(t, "data", "zhengwu", "messages.tsv")). When it does not exist, t is
// skipped, or failed if CI is set.
func Path(t testing.TB, rel ...string) string {
	t.Helper()
	wd, err := os.Getwd()
	if err != nil {
		t.Fatalf("shareddata: %v", err)
		return ""
	}
	return path(t, os.Getenv, wd, rel...)
}

// Data is Path(t, "data", rel...): a file of the shared data sets.
func Data(t testing.TB, rel ...string) string {
	t.Helper()
	return Path(t, append([]string{"data"}, rel...)...)
}

func path(t testing.TB, getenv func(string) string, wd string, rel ...string) string {
	t.Helper()
	d := dir(t, getenv, wd)
	if d == "" {
		return ""
	}
	parts := []string{d}
	for _, r := range rel {
		parts = append(parts, filepath.FromSlash(r))
	}
	p := filepath.Join(parts...)
	if _, err := os.Stat(p); err != nil {
		missing(t, getenv, fmt.Sprintf("shared data %s not found in %s: %v", filepath.ToSlash(filepath.Join(rel...)), d, err))
		return ""
	}
	return p
}

func dir(t testing.TB, getenv func(string) string, wd string) string {
	t.Helper()
	d, err := find(getenv, wd)
	if err != nil {
		missing(t, getenv, err.Error())
		return ""
	}
	return d
}

// missing skips t, or fails it when CI is set. With a real testing.TB
// neither returns; callers return "" for test doubles that do.
func missing(t testing.TB, getenv func(string) string, msg string) {
	t.Helper()
	if getenv(EnvCI) != "" {
		t.Fatalf("%s (CI is set, so missing shared data is a failure, not a skip; set %s to the shared directory)", msg, EnvDir)
		return
	}
	t.Skipf("%s (set %s to the shared directory)", msg, EnvDir)
}

// find returns the shared directory: $WHISTLE_SHARED if set, else the
// nearest "shared" directory holding data/ beside the module root (the
// directory of the go.mod found walking up from wd) or beside one of its
// ancestors.
func find(getenv func(string) string, wd string) (string, error) {
	if env := getenv(EnvDir); env != "" {
		fi, err := os.Stat(env)
		if err != nil {
			return "", fmt.Errorf("%s=%s: %v", EnvDir, env, err)
		}
		if !fi.IsDir() {
			return "", fmt.Errorf("%s=%s is not a directory", EnvDir, env)
		}
		return filepath.Abs(env)
	}
	root, err := moduleRoot(wd)
	if err != nil {
		return "", err
	}
	var tried []string
	for d := filepath.Dir(root); ; {
		c := filepath.Join(d, "shared")
		if fi, err := os.Stat(filepath.Join(c, "data")); err == nil && fi.IsDir() {
			return c, nil
		}
		tried = append(tried, c)
		parent := filepath.Dir(d)
		if parent == d {
			break
		}
		d = parent
	}
	return "", fmt.Errorf("shared data directory not found: no shared/data beside module root %s or its ancestors (tried %s)", root, strings.Join(tried, ", "))
}

// moduleRoot walks up from wd to the directory holding go.mod.
func moduleRoot(wd string) (string, error) {
	d, err := filepath.Abs(wd)
	if err != nil {
		return "", err
	}
	for {
		if fi, err := os.Stat(filepath.Join(d, "go.mod")); err == nil && !fi.IsDir() {
			return d, nil
		}
		parent := filepath.Dir(d)
		if parent == d {
			return "", errors.New("shared data directory not found: no go.mod above " + wd)
		}
		d = parent
	}
}
