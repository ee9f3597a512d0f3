package ledger

import (
	"reflect"
	"slices"
	"testing"
	"time"
)

func TestParsePeriod(t *testing.T) {
	sh := time.FixedZone("CST", 8*3600)
	for _, c := range []struct {
		in       string
		ok       bool
		from, to string
	}{
		{"2026-11", true, "2026-11-01", "2026-12-01"},
		{"2026-Q4", true, "2026-10-01", "2027-01-01"},
		{"2026-Q1", true, "2026-01-01", "2026-04-01"},
		{"2026", true, "2026-01-01", "2027-01-01"},
		{"2026-13", false, "", ""}, {"2026-Q5", false, "", ""}, {"26-01", false, "", ""}, {"", false, "", ""}, {"2026-1", false, "", ""},
	} {
		p, err := ParsePeriod(c.in)
		if (err == nil) != c.ok {
			t.Errorf("ParsePeriod(%q) = %v", c.in, err)
			continue
		}
		if !c.ok {
			continue
		}
		from, to := p.Range(sh)
		if from.Format("2006-01-02") != c.from || to.Format("2006-01-02") != c.to || p.String() != c.in {
			t.Errorf("%q: %s–%s (%s)", c.in, from, to, p)
		}
	}
}

// TestTemplates: every template is well formed, and care-visit ledgers
// never show a record's detail (a department outside the community learns
// counts, never who).
func TestTemplates(t *testing.T) {
	ids := map[string]bool{}
	for _, tp := range Templates {
		if ids[tp.ID] {
			t.Errorf("duplicate template %s", tp.ID)
		}
		ids[tp.ID] = true
		if _, ok := DeptByKey(tp.Dept); !ok {
			t.Errorf("%s: unknown department %s", tp.ID, tp.Dept)
		}
		if !slices.Contains(Sources, tp.Source) {
			t.Errorf("%s: unknown source %s", tp.ID, tp.Source)
		}
		if tp.TitleZH == "" || tp.TitleEN == "" || len(tp.Cols) == 0 {
			t.Errorf("%s: incomplete", tp.ID)
		}
		for _, c := range tp.Cols {
			if _, ok := Labels[c.Key]; !ok {
				t.Errorf("%s: column %s has no label", tp.ID, c.Key)
			}
			if (c.Agg == Sum || c.Agg == Distinct) && c.Of == "" {
				t.Errorf("%s: column %s aggregates nothing", tp.ID, c.Key)
			}
		}
		if tp.Source == CareVisits && !tp.Aggregated() {
			t.Errorf("%s: a care-visit ledger must be aggregated", tp.ID)
		}
	}
}

// TestLedgerCount: the ledgers one set of records produces, counted from
// the template table: with the three sources built now (volunteer
// services, care visits, patrols) 9 of the 14 templates; all 14 once
// deliberations, projects and surveys are plugged in.
func TestLedgerCount(t *testing.T) {
	for _, c := range []struct {
		have []Source
		want int
	}{
		{[]Source{Volunteer, CareVisits, Patrols}, 9},
		{[]Source{Volunteer}, 3},
		{[]Source{CareVisits}, 4},
		{Sources, len(Templates)},
		{nil, 0},
	} {
		if got := len(Available(c.have)); got != c.want {
			t.Errorf("Available(%v) = %d templates, want %d", c.have, got, c.want)
		}
	}
	if len(Templates) != 14 {
		t.Errorf("%d templates, want 14", len(Templates))
	}
}

func TestBuild(t *testing.T) {
	p := Period{Kind: Month, Year: 2026, N: 11}
	vol := []Row{
		{"date": "2026-11-02", "task": "巡逻", "kind": "patrol", "volunteer": "林**", "volunteer_id": 1, "hours": 1.5, "points": 15},
		{"date": "2026-11-03", "task": "探访", "kind": "care_visit", "volunteer": "林**", "volunteer_id": 1, "hours": 2.0, "points": 20},
		{"date": "2026-11-04", "task": "巡逻", "kind": "patrol", "volunteer": "陈*", "volunteer_id": 2, "hours": 0.5, "points": 5},
	}
	youth, _ := Lookup("youth-volunteer")
	sh := Build(youth, p, "翠湖里社区", vol)
	if len(sh.Rows) != 3 || sh.Rows[0][4] != 1.5 || sh.Rows[1][3] != "林**" {
		t.Fatalf("detail: %+v", sh.Rows)
	}
	if tot := sh.Totals(); tot[4] != 4.0 || tot[5] != 40.0 || tot[0] != nil {
		t.Errorf("totals %v", tot)
	}
	points, _ := Lookup("street-volunteer-points")
	sh = Build(points, p, "", vol)
	want := [][]any{{"林**", 2.0, 3.5, 35.0}, {"陈*", 1.0, 0.5, 5.0}}
	if !reflect.DeepEqual(sh.Rows, want) {
		t.Errorf("points: %v, want %v", sh.Rows, want)
	}
	kinds, _ := Lookup("civil-volunteer-kinds")
	sh = Build(kinds, p, "", vol)
	want = [][]any{{"patrol", 2.0, 2.0, 2.0}, {"care_visit", 1.0, 1.0, 2.0}}
	if !reflect.DeepEqual(sh.Rows, want) {
		t.Errorf("kinds: %v, want %v", sh.Rows, want)
	}

	care := []Row{
		{"month": "2026-11", "care_type": "disabled", "subject_id": 1, "by_volunteer": 1},
		{"month": "2026-11", "care_type": "disabled", "subject_id": 1, "by_volunteer": 0},
		{"month": "2026-11", "care_type": "disabled", "subject_id": 2, "by_volunteer": 0},
		{"month": "2026-11", "care_type": "elderly_alone", "subject_id": 3, "by_volunteer": 1},
	}
	dis, _ := Lookup("disabled-care")
	sh = Build(dis, p, "", care)
	want = [][]any{{"2026-11", 3.0, 2.0, 1.0}}
	if !reflect.DeepEqual(sh.Rows, want) {
		t.Errorf("disabled: %v, want %v", sh.Rows, want)
	}
	women, _ := Lookup("women-children-care")
	if sh = Build(women, p, "", care); len(sh.Rows) != 0 {
		t.Errorf("women: %v, want no rows", sh.Rows)
	}
	street, _ := Lookup("street-care")
	sh = Build(street, p, "", care)
	want = [][]any{{"disabled", 3.0, 2.0, 1.0}, {"elderly_alone", 1.0, 1.0, 1.0}}
	if !reflect.DeepEqual(sh.Rows, want) {
		t.Errorf("street care: %v, want %v", sh.Rows, want)
	}
	if tot := sh.Totals(); tot[1] != 4.0 || tot[2] != nil {
		t.Errorf("totals %v (distinct columns are not summed)", tot)
	}
}

func TestDisplay(t *testing.T) {
	for _, c := range []struct {
		key  string
		v    any
		lang string
		want any
	}{
		{"kind", "patrol", "zh-CN", "巡逻"}, {"kind", "patrol", "en", "Patrol"}, {"care_type", "left_behind", "zh-CN", "留守儿童"},
		{"kind", "unknown", "zh-CN", "unknown"}, {"hours", 1.5, "zh-CN", 1.5}, {"task", "patrol", "zh-CN", "patrol"},
	} {
		if got := Display(c.key, c.v, c.lang); got != c.want {
			t.Errorf("Display(%s, %v, %s) = %v, want %v", c.key, c.v, c.lang, got, c.want)
		}
	}
}
