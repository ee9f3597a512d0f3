package calendar_test

import (
	"bytes"
	"encoding/json"
	"os"
	"reflect"
	"testing"
	"time"

	"whistle/internal/calendar"
)

// FuzzCalendarFile (stricter than FuzzLoadJSON): a holiday file (one year or an array of years) loads
// entirely or not at all, without panicking. A refused file leaves the
// calendar as it was; a loaded one covers every year it named, gives back
// years that load again to the same calendar, and answers work-day
// arithmetic consistently (adding n working days moves over n of them).
func FuzzCalendarFile(f *testing.F) {
	for _, name := range []string{"data/2025.json", "data/2026.json"} {
		b, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte(`{"year":2031,"source":"x","off":["2031-01-01","2031-01-01"],"work":["2031-01-04"]}`))
	f.Add([]byte(`[{"year":2031,"off":["2031-02-30"]}]`))
	f.Add([]byte(`[{"year":2031,"off":["2031-01-01"],"work":["2031-01-01"]}]`))
	f.Add([]byte(`{"year":99999,"off":[]}`))
	f.Add([]byte(`{"year":2031,"of":[]}`))
	f.Add([]byte(`[]`))
	f.Add([]byte(` `))
	cst := calendar.ChinaStandardTime()
	f.Fuzz(func(t *testing.T, data []byte) {
		c := calendar.New(cst)
		before := c.Years()
		err := c.LoadJSON(bytes.NewReader(data))
		if err != nil {
			if !reflect.DeepEqual(before, c.Years()) {
				t.Fatalf("refused input %q changed the calendar: %v", data, err)
			}
			return
		}
		years := c.Years()
		if len(years) == 0 {
			t.Fatalf("%q loaded no year", data)
		}
		again := calendar.New(cst)
		b, _ := json.Marshal(years)
		if err := again.LoadJSON(bytes.NewReader(b)); err != nil || !reflect.DeepEqual(again.Years(), years) {
			t.Fatalf("years %s do not load again: %v", b, err)
		}
		for _, y := range years {
			if !c.Covers(y.Year) {
				t.Fatalf("loaded %d but does not cover it", y.Year)
			}
			start := time.Date(y.Year, 1, 1, 9, 0, 0, 0, cst)
			for _, n := range []int{1, 5, 20} {
				end := c.AddWorkdays(start, n)
				if !end.After(start) || !c.IsWorkday(end) {
					t.Fatalf("AddWorkdays(%v, %d) = %v", start, n, end)
				}
			}
		}
	})
}
