package web

import (
	"reflect"
	"testing"
)

func TestNewConfView(t *testing.T) {
	if v := newConfView([]string{"a", "b"}, [][]int{{1, 0}}); v != nil {
		t.Errorf("short matrix accepted: %+v", v)
	}
	if v := newConfView([]string{"a", "b"}, [][]int{{1, 0}, {1}}); v != nil {
		t.Errorf("ragged matrix accepted: %+v", v)
	}
	v := newConfView([]string{"a", "b"}, [][]int{{3, 1}, {0, 4}})
	if v == nil || v.Total != 8 || v.Folded != 0 || !reflect.DeepEqual(v.Labels, []string{"a", "b"}) {
		t.Fatalf("2×2: %+v", v)
	}
	if c := v.Rows[0].Cells; c[0].N != 3 || c[0].Share != 75 || !c[0].Diag || c[1].Diag || c[1].Share != 25 {
		t.Errorf("row a: %+v", c)
	}

	// 14 labels: the 12 with the most texts stay, l00 and l01 (one text
	// each) are summed into the last row and column.
	n := confMax + 2
	labels := make([]string, n)
	m := make([][]int, n)
	for i := range n {
		labels[i] = string(rune('a'+i/10)) + string(rune('0'+i%10))
		m[i] = make([]int, n)
		m[i][i] = 10 + i
	}
	labels[0], labels[1] = "l00", "l01"
	m[0][0], m[1][1] = 0, 0
	m[0][5] = 1 // l00 taken for the sixth label
	m[1][0] = 1 // l01 taken for l00: stays in the folded cell
	v = newConfView(labels, m)
	if v.Folded != 2 || len(v.Rows) != confMax+1 || v.Labels[confMax] != "" {
		t.Fatalf("folded view: %d folded, %d rows, labels %v", v.Folded, len(v.Rows), v.Labels)
	}
	total := 0
	for i := range m {
		for _, c := range m[i] {
			total += c
		}
	}
	if v.Total != total {
		t.Errorf("total %d, want %d", v.Total, total)
	}
	last := v.Rows[confMax]
	// labels[5] is the fourth kept one (kept: 2..13)
	if last.Total != 2 || last.Cells[confMax].N != 1 || last.Cells[3].N != 1 || last.Cells[confMax].Diag {
		t.Errorf("folded row: %+v", last)
	}
	if v.Labels[0] != labels[2] || v.Rows[0].Cells[0].N != 12 || !v.Rows[0].Cells[0].Diag {
		t.Errorf("first kept row: %s %+v", v.Labels[0], v.Rows[0])
	}
}
