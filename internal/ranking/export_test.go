package ranking

import (
	"bytes"
	"encoding/csv"
	"slices"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"whistle/internal/assessment"
)

func exportFixture() Ranking {
	r := assessment.DefaultRules()
	units := []assessment.Score{
		assessment.Compute(assessment.Counts{UnitID: 7, Orders: 1, Responded: 1}, r, "street"), // the reported case: no callback
		assessment.Compute(assessment.Counts{UnitID: 3, Orders: 12, Responded: 12, Callbacks: 6, Resolved: 6, Satisfied: 6}, r, "street"),
	}
	units[0].UnitName, units[1].UnitName = "胜利街道办事处", "马坊街道办事处"
	assessment.Rank(units)
	return Ranking{Period: assessment.Period{Label: "2026-10"}, Rules: r, Units: units}
}

func TestExportHeaderInWords(t *testing.T) {
	zh, en, codes := ExportHeader("zh"), ExportHeader("en"), ExportColumns()
	if len(zh) != len(codes) || len(en) != len(codes) {
		t.Fatalf("%d/%d headers for %d columns", len(zh), len(en), len(codes))
	}
	for i := range codes {
		if zh[i] == codes[i] || en[i] == codes[i] || zh[i] == en[i] {
			t.Errorf("column %s: zh %q en %q", codes[i], zh[i], en[i])
		}
	}
	if !slices.Equal(ExportHeader(""), zh) {
		t.Error("the default header is not Chinese")
	}
}

// A unit with too few cases comes after the ranked ones: no rank, no
// composite, the reason in words, and no rate shown as full marks.
func TestExportRowsListTooFewApart(t *testing.T) {
	for _, lang := range []string{"zh", "en"} {
		rows := ExportRows(exportFixture(), lang)
		if len(rows) != 2 || rows[0][4] != "马坊街道办事处" || rows[1][4] != "胜利街道办事处" {
			t.Fatalf("%s: rows %v", lang, rows)
		}
		if rows[0][2] != "1" || rows[0][20] != "100.00" || rows[0][23] != "" {
			t.Errorf("%s: ranked row %v", lang, rows[0])
		}
		note := map[string]string{"zh": "样本不足，不参与排名", "en": "too few cases to rank"}[lang]
		if r := rows[1]; r[2] != NoValue || r[20] != NoValue || r[10] != NoValue || r[13] != NoValue || r[7] != "1.0000" || r[23] != note {
			t.Errorf("%s: unranked row %v", lang, r)
		}
		kind := map[string]string{"zh": "街道乡镇", "en": "Street or township"}[lang]
		if rows[0][1] != kind {
			t.Errorf("%s: kind %q", lang, rows[0][1])
		}
	}
}

func TestWriteRankingFiles(t *testing.T) {
	var buf bytes.Buffer
	if err := WriteRankingCSV(&buf, exportFixture(), "zh"); err != nil {
		t.Fatal(err)
	}
	s := buf.String()
	if !strings.HasPrefix(s, "\uFEFF考核期,单位类别,排名,") || !strings.Contains(s, "\r\n") {
		t.Fatalf("csv starts %q", s[:min(len(s), 60)])
	}
	recs, err := csv.NewReader(strings.NewReader(strings.TrimPrefix(s, "\uFEFF"))).ReadAll()
	if err != nil || len(recs) != 3 {
		t.Fatalf("csv: %d records, %v", len(recs), err)
	}
	buf.Reset()
	if err := WriteRankingXLSX(&buf, exportFixture(), "en"); err != nil {
		t.Fatal(err)
	}
	x, err := excelize.OpenReader(&buf)
	if err != nil {
		t.Fatal(err)
	}
	rows, err := x.GetRows(x.GetSheetName(0))
	if err != nil || len(rows) != 3 || rows[0][4] != "Unit" || rows[1][4] != "马坊街道办事处" || rows[2][20] != NoValue {
		t.Fatalf("xlsx rows %v, %v", rows, err)
	}
}

func TestExportFilename(t *testing.T) {
	r := exportFixture()
	if got := ExportFilename("zh", r); got != "考核排名-2026-10" {
		t.Errorf("zh %q", got)
	}
	r.Period.Label = "2026-10-01..2026-10-31"
	if got := ExportFilename("en", r); got != "ranking-2026-10-01_2026-10-31" {
		t.Errorf("en %q", got)
	}
}

// TestRankingCSVNoFormulas: a unit named like a formula is written as
// text (a leading quote), a negative change stays a number.
func TestRankingCSVNoFormulas(t *testing.T) {
	r := exportFixture()
	r.Units[0].UnitName = `=HYPERLINK("http://evil.example","点击查看")`
	r.Units[1].UnitName = "@SUM(1+1)*cmd|' /C calc'!A0"
	change := -1.5
	r.Units[1].Change = &change
	var buf bytes.Buffer
	if err := WriteRankingCSV(&buf, r, "zh"); err != nil {
		t.Fatal(err)
	}
	recs, err := csv.NewReader(strings.NewReader(strings.TrimPrefix(buf.String(), "\uFEFF"))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	names, changes := map[string]bool{}, map[string]bool{}
	for _, rec := range recs[1:] {
		names[rec[4]], changes[rec[21]] = true, true
	}
	if !names[`'=HYPERLINK("http://evil.example","点击查看")`] || !names["'@SUM(1+1)*cmd|' /C calc'!A0"] || !changes["-1.50"] {
		t.Errorf("names %v, changes %v", names, changes)
	}
}
