package insight

import (
	"reflect"
	"strings"
	"testing"
)

// TestHotspotCounts: a hotspot is a cluster of grids with more requests than
// expected. Gi* tests a grid's neighbourhood, so a grid with no requests of
// its own can be significant when its neighbours are busy; such a grid used
// to be reported as a hotspot of its own with Count 0 (seen on the demo:
// heating.fee hotspots of 1–2 grids with Count 0 and 2). Now a cluster is
// made of the grids above their expectation in the significant
// neighbourhoods: the busy neighbours of a quiet significant grid, never
// the quiet grids around a busy one.
func TestHotspotCounts(t *testing.T) {
	type grid struct{ cur, base int }
	cases := []struct {
		name  string
		grids map[string]grid
		edges [][2]string
		want  [][]string // the clusters' grids, in the order reported
	}{
		{
			// A star: the centre has nothing, each of the four leaves a
			// modest excess (9 against 4: not significant alone, the
			// leaf's neighbourhood is the leaf and the empty centre); the
			// centre's neighbourhood (36 against 16) is.
			name:  "empty centre, busy leaves",
			grids: map[string]grid{"a": {0, 0}, "b": {9, 4}, "c": {9, 4}, "d": {9, 4}, "e": {9, 4}, "f": {1, 1}, "g": {1, 1}},
			edges: [][2]string{{"a", "b"}, {"a", "c"}, {"a", "d"}, {"a", "e"}, {"f", "g"}},
			want:  [][]string{{"b", "c", "d", "e"}},
		},
		{
			// A busy grid between two quiet ones: the quiet ones are
			// significant through it, but they are not members.
			name:  "busy grid, quiet neighbours",
			grids: map[string]grid{"a": {1, 3}, "b": {40, 8}, "c": {1, 3}, "d": {5, 5}, "e": {5, 5}},
			edges: [][2]string{{"a", "b"}, {"b", "c"}, {"d", "e"}},
			want:  [][]string{{"b"}},
		},
		{
			// Two busy grids far apart: two clusters, neither joined
			// through the quiet grids between them.
			name:  "two busy grids",
			grids: map[string]grid{"a": {40, 8}, "b": {2, 4}, "c": {2, 4}, "d": {2, 4}, "e": {40, 8}},
			edges: [][2]string{{"a", "b"}, {"b", "c"}, {"c", "d"}, {"d", "e"}},
			want:  [][]string{{"a"}, {"e"}},
		},
		{
			name:  "nothing unusual",
			grids: map[string]grid{"a": {10, 10}, "b": {10, 10}, "c": {10, 10}, "d": {10, 10}},
			edges: [][2]string{{"a", "b"}, {"b", "c"}, {"c", "d"}},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cells := map[cellKey]*agg{}
			add := func(k cellKey, cur, base int) {
				a := cells[k]
				if a == nil {
					a = &agg{}
					cells[k] = a
				}
				a.n[0] += cur
				a.n[3] += base
			}
			nb := map[string][]string{}
			for g, v := range tc.grids {
				nb[g] = nil
				for _, cat := range []string{"", "heating.fee"} {
					add(cellKey{cat, Grid, g}, v.cur, v.base)
					add(cellKey{cat, City, ""}, v.cur, v.base)
				}
			}
			for _, e := range tc.edges {
				nb[e[0]] = append(nb[e[0]], e[1])
			}
			hs := hotspots(cells, 1, 1, "recent", nb, Options{}.withDefaults())
			var got [][]string
			for _, h := range hs {
				if h.Count < 1 || float64(h.Count) <= h.Expected {
					t.Errorf("hotspot %s %v: Count %d, Expected %.1f", h.Category, h.Grids, h.Count, h.Expected)
				}
				sum := 0
				for _, g := range h.Grids {
					v := tc.grids[g]
					if v.cur <= v.base {
						t.Errorf("hotspot %s %v: grid %s has %d against %d expected", h.Category, h.Grids, g, v.cur, v.base)
					}
					sum += v.cur
				}
				if sum != h.Count {
					t.Errorf("hotspot %s %v: Count %d, its grids hold %d", h.Category, h.Grids, h.Count, sum)
				}
				if h.Category == "heating.fee" {
					got = append(got, h.Grids)
				}
			}
			if !reflect.DeepEqual(got, tc.want) {
				var b strings.Builder
				for _, h := range hs {
					b.WriteString(strings.Join(h.Grids, ",") + "; ")
				}
				t.Errorf("clusters %v, want %v (all: %s)", got, tc.want, b.String())
			}
		})
	}
}
