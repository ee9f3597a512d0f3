package grid

import (
	"testing"
	"time"

	"whistle/internal/errs"
)

func TestFindingValidate(t *testing.T) {
	ok := FindingInput{Item: "illegal_signs", Category: "x", Description: "d", Outcome: ToCentre}
	for _, tc := range []struct {
		name string
		mod  func(*FindingInput)
		code errs.Code
	}{
		{"ok", func(f *FindingInput) {}, ""},
		{"unknown item", func(f *FindingInput) { f.Item = "noise" }, errs.Invalid},
		{"unknown outcome", func(f *FindingInput) { f.Outcome = "ignore" }, errs.Invalid},
		{"no description", func(f *FindingInput) { f.Description = " " }, errs.FieldRequired},
		{"solved without evidence", func(f *FindingInput) { f.Outcome, f.Attachments = SolvedOnSite, []int64{1} }, errs.FieldRequired},
		{"solved without photo", func(f *FindingInput) { f.Outcome, f.Evidence = SolvedOnSite, "done" }, errs.FieldRequired},
		{"solved", func(f *FindingInput) { f.Outcome, f.Evidence, f.Attachments = SolvedOnSite, "done", []int64{1} }, ""},
	} {
		f := ok
		tc.mod(&f)
		if got := errs.CodeOf(f.Validate()); (tc.code == "" && f.Validate() != nil) || (tc.code != "" && got != tc.code) {
			t.Errorf("%s: %v, want %q", tc.name, f.Validate(), tc.code)
		}
	}
	if len(Items) != 9 {
		t.Errorf("十无 has %d items", len(Items))
	}
}

func TestMetersAndWeek(t *testing.T) {
	at := time.Unix(0, 0)
	for _, tc := range []struct {
		pts  []Point
		want float64
	}{
		{nil, 0},
		{[]Point{{At: at, Lat: 0, Lon: 0}}, 0},
		{[]Point{{At: at, Lat: 0, Lon: 0}, {At: at, Lat: 0, Lon: 1}}, 111194.9}, // one degree of longitude on the equator
		{[]Point{{At: at, Lat: 39.9, Lon: 116.4}, {At: at, Lat: 39.9009, Lon: 116.4}, {At: at, Lat: 39.9, Lon: 116.4}}, 200.2},
	} {
		if got := Meters(tc.pts); got != tc.want {
			t.Errorf("Meters(%v) = %v, want %v", tc.pts, got, tc.want)
		}
	}
	loc := time.FixedZone("CST", 8*3600)
	from, to := Week(time.Date(2026, 3, 11, 15, 0, 0, 0, loc)) // a Wednesday
	if !from.Equal(time.Date(2026, 3, 9, 0, 0, 0, 0, loc)) || !to.Equal(time.Date(2026, 3, 16, 0, 0, 0, 0, loc)) {
		t.Errorf("Week = %v..%v", from, to)
	}
	if from, _ := Week(time.Date(2026, 3, 15, 23, 0, 0, 0, loc)); from.Day() != 9 { // Sunday belongs to the week before
		t.Errorf("Sunday's week starts %v", from)
	}
	if (Point{At: at, Lat: 91}).Validate() == nil || (Point{Lat: 1}).Validate() == nil || (Point{At: at, Lat: 1, Lon: 2}).Validate() != nil {
		t.Error("Point.Validate")
	}
}

func TestTrack(t *testing.T) {
	at := time.Unix(0, 0)
	pts := []Point{{At: at, Lat: 1}, {At: at, Lat: 2, Manual: true}, {At: at, Lat: 3}}
	tr := Track(pts)
	if len(tr) != 2 || tr[0].Lat != 1 || tr[1].Lat != 3 {
		t.Errorf("Track = %+v, want the two GPS positions", tr)
	}
	if (Patrol{Points: 2, Manual: 2}).Tracked() || !(Patrol{Points: 3, Manual: 2}).Tracked() || (Patrol{}).Tracked() {
		t.Error("Tracked")
	}
}
