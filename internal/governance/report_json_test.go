package governance

import (
	"encoding/json"
	"math"
	"testing"

	"whistle/internal/insight"
)

// TestAppendFiniteAsTree: the direct encoder writes byte for byte what
// json.Marshal of the finite tree writes, for reports with NaN, infinities,
// awkward strings, tiny and huge numbers, nil and empty slices.
func TestAppendFiniteAsTree(t *testing.T) {
	nan, inf := math.NaN(), math.Inf(1)
	reports := []*insight.Report{
		{},
		{From: 20000, To: 20027, Baseline: "last-year", Trend: nan, Dispersion: inf, Tested: 3,
			Anomalies: []insight.Anomaly{
				{Category: "噪音\"<&>\\", Level: insight.Street, Place: "12", Count: 40, Expected: 1e-9, ChangePrev: nan, ChangeYoY: -inf, P: 1e-300, Q: 0.049999, Flag: true},
				{Category: "bad\xff utf8\u2028\t\n\r\x01", ChangePrev: 1e21, ChangeYoY: 123456789.125, P: 0.1, Q: float64(float32(0.3))},
			},
			Rising:     []insight.Term{{Text: "电动自行车", Cur: 12, Base: 1}},
			Topics:     []insight.Topic{},
			Candidates: []insight.Candidate{{Rank: 1, Kind: "topic", Terms: []string{"a"}, Score: nan}},
		},
	}
	for i, r := range reports {
		want, err := json.Marshal(finite(reflectValue(r)))
		if err != nil {
			t.Fatal(err)
		}
		got := appendFinite(nil, r)
		if string(got) != string(want) {
			t.Errorf("report %d:\n got %s\nwant %s", i, got, want)
		}
		var back any
		if err := json.Unmarshal(got, &back); err != nil {
			t.Errorf("report %d: not JSON: %v", i, err)
		}
	}
	an := Analysis{Report: reports[1], Names: map[string]string{"12": "街道<1>"}}
	b, err := json.Marshal(an)
	if err != nil {
		t.Fatal(err)
	}
	var back Analysis
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if a := back.Report.Anomalies[0]; !math.IsNaN(a.ChangePrev) || a.Category != reports[1].Anomalies[0].Category || back.Names["12"] != "街道<1>" {
		t.Errorf("round trip: %+v %v", a, back.Names)
	}
}

func TestQuietCells(t *testing.T) {
	mk := func(spec string) []insight.Anomaly {
		var as []insight.Anomaly
		for i, c := range spec {
			a := insight.Anomaly{Place: string(rune('a' + i))}
			if c >= 'A' && c <= 'Z' {
				a.Flag, a.Count = true, int(c-'A')
			} else {
				a.Count = int(c - '0')
			}
			as = append(as, a)
		}
		return as
	}
	places := func(as []insight.Anomaly) string {
		s := ""
		for _, a := range as {
			s += a.Place
		}
		return s
	}
	for _, tc := range []struct {
		spec    string
		max     int
		want    string
		omitted int
	}{
		{"123", 5, "abc", 0},       // fewer quiet cells than the bound: all kept
		{"A1B9", 1, "acd", 1},      // flagged always, then the busiest quiet one
		{"5151", 2, "ac", 2},       // ties above the floor
		{"3333", 2, "ab", 2},       // ties at the floor: the first ones, in order
		{"1Z2Z3", 0 + 1, "bde", 2}, // order kept
		{"", 3, "", 0},
	} {
		got, omitted := quietCells(mk(tc.spec), tc.max)
		if places(got) != tc.want || omitted != tc.omitted {
			t.Errorf("quietCells(%q, %d) = %q, %d; want %q, %d", tc.spec, tc.max, places(got), omitted, tc.want, tc.omitted)
		}
	}
}
