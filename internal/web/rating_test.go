package web

import "testing"

// A whistle's rating reads as the street gave it: stars by their label,
// anything else in points.
func TestRatingLabel(t *testing.T) {
	cat, err := LoadCatalogue()
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		lang   string
		points float64
		want   string
	}{
		{"zh", 20, "★ 很不满意"},
		{"zh", 100, "★★★★★ 非常满意"},
		{"zh", 85, "85 分"},
		{"zh", 0, "0 分"},
	} {
		d := &whistleData{Lang: tc.lang, cat: cat}
		if got := d.RatingLabel(tc.points); got != tc.want {
			t.Errorf("%s %v: %q, want %q", tc.lang, tc.points, got, tc.want)
		}
	}
}
