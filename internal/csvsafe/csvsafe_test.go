package csvsafe

import (
	"bytes"
	"encoding/csv"
	"strings"
	"testing"
)

func TestCell(t *testing.T) {
	for in, want := range map[string]string{
		"":                               "",
		"幸福路":                            "幸福路",
		`=HYPERLINK("http://evil","点我")`: `'=HYPERLINK("http://evil","点我")`,
		"+1+cmd|' /C calc'!A0":           "'+1+cmd|' /C calc'!A0",
		"-2+3":                           "'-2+3",
		"@SUM(A1:A9)":                    "'@SUM(A1:A9)",
		"\t=1":                           "'\t=1",
		"\r=1":                           "'\r=1",
		"-3.5":                           "-3.5",
		"+0.25":                          "+0.25",
		"12":                             "12",
		"—":                              "—",
		"a=b":                            "a=b",
		" =1":                            " =1",
	} {
		if got := Cell(in); got != want {
			t.Errorf("Cell(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestWriter(t *testing.T) {
	var b bytes.Buffer
	w, err := NewWriter(&b)
	if err != nil {
		t.Fatal(err)
	}
	if err := w.WriteAll([][]string{{"单位", "变化"}, {`=HYPERLINK("http://x")`, "-1.50"}}); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	if !strings.HasPrefix(out, "\uFEFF") || !strings.Contains(out, "\r\n") {
		t.Fatalf("no BOM or CRLF: %q", out)
	}
	recs, err := csv.NewReader(strings.NewReader(strings.TrimPrefix(out, "\uFEFF"))).ReadAll()
	if err != nil || len(recs) != 2 || recs[1][0] != `'=HYPERLINK("http://x")` || recs[1][1] != "-1.50" {
		t.Fatalf("records %q %v", recs, err)
	}
}
