package pgtest

import (
	"sort"
	"testing"
)

func TestVersionLess(t *testing.T) {
	v := []string{"15", "9.6", "10", "16", "9.4"}
	sort.Slice(v, func(i, j int) bool { return versionLess(v[i], v[j]) })
	want := []string{"9.4", "9.6", "10", "15", "16"}
	for i := range want {
		if v[i] != want[i] {
			t.Fatalf("sorted = %v, want %v", v, want)
		}
	}
}

func TestTail(t *testing.T) {
	if got := string(tail([]byte("a\nb\nc\n"), 2)); got != "b\nc" {
		t.Errorf("tail = %q", got)
	}
	if got := string(tail([]byte("a\nb"), 5)); got != "a\nb" {
		t.Errorf("tail = %q", got)
	}
}
