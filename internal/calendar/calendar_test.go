package calendar

import (
	"errors"
	"fmt"
	"math/rand"
	"strings"
	"sync"
	"testing"
	"time"
	_ "time/tzdata" // DST tests must not depend on the host's zone database
)

var shanghai = ChinaStandardTime()

// at builds a time in China Standard Time: "2026-02-13 10:00".
func at(t *testing.T, s string) time.Time {
	t.Helper()
	v, err := time.ParseInLocation("2006-01-02 15:04", s, shanghai)
	if err != nil {
		t.Fatalf("bad test time %q: %v", s, err)
	}
	return v
}

func day(t *testing.T, s string) time.Time { t.Helper(); return at(t, s+" 12:00") }

// dateRange lists the dates from a to b inclusive.
func dateRange(t *testing.T, a, b string) []string {
	t.Helper()
	from, err := time.Parse(DateLayout, a)
	if err != nil {
		t.Fatal(err)
	}
	to, err := time.Parse(DateLayout, b)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for d := from; !d.After(to); d = d.AddDate(0, 0, 1) {
		out = append(out, d.Format(DateLayout))
	}
	return out
}

// The State Council notices, restated independently of the JSON files.
var offBlocks = []struct{ name, from, to string }{
	{"2025 New Year", "2025-01-01", "2025-01-01"},
	{"2025 Spring Festival", "2025-01-28", "2025-02-04"},
	{"2025 Qingming", "2025-04-04", "2025-04-06"},
	{"2025 Labour Day", "2025-05-01", "2025-05-05"},
	{"2025 Dragon Boat", "2025-05-31", "2025-06-02"},
	{"2025 National Day + Mid-Autumn", "2025-10-01", "2025-10-08"},
	{"2026 New Year", "2026-01-01", "2026-01-03"},
	{"2026 Spring Festival", "2026-02-15", "2026-02-23"},
	{"2026 Qingming", "2026-04-04", "2026-04-06"},
	{"2026 Labour Day", "2026-05-01", "2026-05-05"},
	{"2026 Dragon Boat", "2026-06-19", "2026-06-21"},
	{"2026 Mid-Autumn", "2026-09-25", "2026-09-27"},
	{"2026 National Day", "2026-10-01", "2026-10-07"},
}

var makeUpDays = []string{
	"2025-01-26", "2025-02-08", "2025-04-27", "2025-09-28", "2025-10-11",
	"2026-01-04", "2026-02-14", "2026-02-28", "2026-05-09", "2026-09-20", "2026-10-10",
}

func TestEmbeddedData(t *testing.T) {
	years, err := Embedded()
	if err != nil {
		t.Fatalf("Embedded: %v", err)
	}
	c := Default(shanghai)
	got := c.Years()
	if len(got) != 2 || got[0].Year != 2025 || got[1].Year != 2026 || len(years) != 2 {
		t.Fatalf("Years() = %v, want 2025 and 2026", got)
	}
	counts := map[int]int{}
	for _, b := range offBlocks {
		var y int
		fmt.Sscanf(b.from[:4], "%d", &y)
		counts[y] += len(dateRange(t, b.from, b.to))
	}
	works := map[int]int{}
	for _, d := range makeUpDays {
		var y int
		fmt.Sscanf(d[:4], "%d", &y)
		works[y]++
	}
	for _, y := range got {
		if y.Source == "" || !strings.Contains(y.Source, fmt.Sprint(y.Year)) {
			t.Errorf("%d: source %q should name the notice", y.Year, y.Source)
		}
		if len(y.Off) != counts[y.Year] || len(y.Work) != works[y.Year] {
			t.Errorf("%d: %d off / %d work, want %d / %d", y.Year, len(y.Off), len(y.Work), counts[y.Year], works[y.Year])
		}
	}
	// Years returns copies.
	got[0].Off[0] = "mutated"
	if c.Years()[0].Off[0] == "mutated" {
		t.Error("Years() exposes internal slices")
	}
}

func TestIsWorkdayHolidayBlocks(t *testing.T) {
	c := Default(shanghai)
	for _, b := range offBlocks {
		for _, d := range dateRange(t, b.from, b.to) {
			t.Run(b.name+"/"+d, func(t *testing.T) {
				for _, hm := range []string{"00:00", "12:00", "23:59"} {
					if c.IsWorkday(at(t, d+" "+hm)) {
						t.Errorf("IsWorkday(%s %s) = true, want false (day off)", d, hm)
					}
				}
			})
		}
	}
	for _, d := range makeUpDays {
		t.Run("make-up/"+d, func(t *testing.T) {
			tm := day(t, d)
			if wd := tm.Weekday(); wd != time.Saturday && wd != time.Sunday {
				t.Errorf("%s is a %s; make-up days in these notices are weekend days", d, wd)
			}
			if !c.IsWorkday(tm) {
				t.Errorf("IsWorkday(%s) = false, want true (make-up working day)", d)
			}
			if New(shanghai).IsWorkday(tm) {
				t.Errorf("empty calendar: IsWorkday(%s) = true, want false (weekend)", d)
			}
		})
	}
}

func TestIsWorkday(t *testing.T) {
	c := Default(shanghai)
	tests := []struct {
		name string
		when string
		want bool
	}{
		{"2026-02-14 Saturday make-up day", "2026-02-14 09:00", true},
		{"2026-02-16 Monday in Spring Festival", "2026-02-16 09:00", false},
		{"2026-02-13 Friday before Spring Festival", "2026-02-13 09:00", true},
		{"2026-02-24 Tuesday after Spring Festival", "2026-02-24 09:00", true},
		{"2026-10-10 Saturday make-up day", "2026-10-10 09:00", true},
		{"2026-10-11 Sunday after National Day", "2026-10-11 09:00", false},
		{"2026-10-08 Thursday after National Day", "2026-10-08 09:00", true},
		{"2025-10-08 Wednesday, last day of 2025 block", "2025-10-08 09:00", false},
		{"2025-10-09 Thursday", "2025-10-09 09:00", true},
		{"plain Saturday 2026-03-07", "2026-03-07 09:00", false},
		{"plain Sunday 2026-03-08", "2026-03-08 09:00", false},
		{"plain Monday 2026-03-09", "2026-03-09 09:00", true},
		{"plain Friday 2026-03-13", "2026-03-13 23:59", true},
		{"plain Saturday 2025-03-08", "2025-03-08 09:00", false},
		{"uncovered year 2030 Monday", "2030-01-07 09:00", true},
		{"uncovered year 2030 Saturday", "2030-01-05 09:00", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := c.IsWorkday(at(t, tt.when)); got != tt.want {
				t.Errorf("IsWorkday(%s) = %v, want %v", tt.when, got, tt.want)
			}
		})
	}
}

func TestIsWorkdayUsesCalendarLocation(t *testing.T) {
	c := Default(shanghai)
	// 2026-02-13 20:00 UTC is 2026-02-14 04:00 in Beijing: a make-up working day.
	utc := time.Date(2026, 2, 13, 20, 0, 0, 0, time.UTC)
	if !c.IsWorkday(utc) {
		t.Error("IsWorkday should judge the date in the calendar's location")
	}
	// 2026-02-14 17:00 UTC is 2026-02-15 01:00 in Beijing: Spring Festival.
	if c.IsWorkday(time.Date(2026, 2, 14, 17, 0, 0, 0, time.UTC)) {
		t.Error("2026-02-15 01:00 Beijing is a day off")
	}
}

func TestAddWorkdays(t *testing.T) {
	c := Default(shanghai)
	tests := []struct {
		name  string
		start string
		n     int
		want  string
	}{
		{"n=0 unchanged", "2026-03-07 10:00", 0, "2026-03-07 10:00"},
		{"negative unchanged", "2026-03-09 10:00", -3, "2026-03-09 10:00"},
		{"same week", "2026-03-09 10:00", 2, "2026-03-11 10:00"},
		{"Friday 16:00 + 1 crosses weekend", "2026-03-06 16:00", 1, "2026-03-09 16:00"},
		{"Friday 16:00 + 5", "2026-03-06 16:00", 5, "2026-03-13 16:00"},
		{"Saturday start gets full days", "2026-03-07 10:00", 1, "2026-03-10 00:00"},
		{"Sunday start gets full days", "2026-03-08 23:30", 2, "2026-03-11 00:00"},
		{"Spring Festival 2026: Fri + 1 = make-up Sat", "2026-02-13 10:00", 1, "2026-02-14 10:00"},
		{"Spring Festival 2026: Fri + 2 = Tue after", "2026-02-13 10:00", 2, "2026-02-24 10:00"},
		{"Spring Festival 2026: make-up Sat + 1", "2026-02-14 10:00", 1, "2026-02-24 10:00"},
		{"Spring Festival 2026: 7 workdays", "2026-02-12 09:00", 7, "2026-02-28 09:00"},
		{"start on holiday 2026-02-18", "2026-02-18 14:00", 1, "2026-02-25 00:00"},
		{"start on holiday 2026-02-23 (last day)", "2026-02-23 23:59", 2, "2026-02-26 00:00"},
		{"start on New Year 2026", "2026-01-01 09:00", 1, "2026-01-05 00:00"},
		{"year boundary 2025->2026 + 1", "2025-12-31 10:00", 1, "2026-01-04 10:00"},
		{"year boundary 2025->2026 + 2", "2025-12-31 10:00", 2, "2026-01-05 10:00"},
		{"Spring Festival 2025 + 1 = make-up Sun", "2025-01-24 15:00", 1, "2025-01-26 15:00"},
		{"Spring Festival 2025 + 3", "2025-01-24 15:00", 3, "2025-02-05 15:00"},
		{"National Day 2025 + 4", "2025-09-26 09:00", 4, "2025-10-09 09:00"},
		{"National Day 2025 + 6 = make-up Sat", "2025-09-26 09:00", 6, "2025-10-11 09:00"},
		{"National Day 2025 + 7", "2025-09-26 09:00", 7, "2025-10-13 09:00"},
		{"National Day 2026, 7 workdays", "2026-09-30 09:00", 7, "2026-10-15 09:00"},
		{"Mid-Autumn 2026 make-up Sunday", "2026-09-18 11:00", 1, "2026-09-20 11:00"},
		{"uncovered year plain weeks", "2030-01-04 08:00", 10, "2030-01-18 08:00"},
		{"long span: 2025 has 248 workdays", "2025-01-02 08:00", 250, "2026-01-06 08:00"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := c.AddWorkdays(at(t, tt.start), tt.n)
			want := at(t, tt.want)
			if !got.Equal(want) {
				t.Errorf("AddWorkdays(%s, %d) = %s, want %s", tt.start, tt.n, got.Format("2006-01-02 15:04 Mon"), want.Format("2006-01-02 15:04 Mon"))
			}
		})
	}
}

// naive is a deliberately simple reference implementation.
type naive struct {
	off, work map[string]bool
}

func newNaive(c *Calendar) naive {
	n := naive{off: map[string]bool{}, work: map[string]bool{}}
	for _, y := range c.Years() {
		for _, d := range y.Off {
			n.off[d] = true
		}
		for _, d := range y.Work {
			n.work[d] = true
		}
	}
	return n
}

func (n naive) isWork(t time.Time) bool {
	d := t.Format(DateLayout)
	if n.work[d] {
		return true
	}
	if n.off[d] {
		return false
	}
	return t.Weekday() != time.Saturday && t.Weekday() != time.Sunday
}

func (n naive) add(t time.Time, k int) time.Time {
	if k <= 0 {
		return t
	}
	if !n.isWork(t) {
		for t = t.AddDate(0, 0, 1); !n.isWork(t); t = t.AddDate(0, 0, 1) {
		}
		t = time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, t.Location())
	}
	for k > 0 {
		t = t.AddDate(0, 0, 1)
		if n.isWork(t) {
			k--
		}
	}
	return t
}

func (n naive) between(a, b time.Time) int {
	count := 0
	a = time.Date(a.Year(), a.Month(), a.Day(), 12, 0, 0, 0, a.Location())
	b = time.Date(b.Year(), b.Month(), b.Day(), 12, 0, 0, 0, b.Location())
	for d := a.AddDate(0, 0, 1); !d.After(b); d = d.AddDate(0, 0, 1) {
		if n.isWork(d) {
			count++
		}
	}
	return count
}

func TestAgainstNaiveReference(t *testing.T) {
	c := Default(shanghai)
	ref := newNaive(c)
	rng := rand.New(rand.NewSource(12345))
	base := at(t, "2024-11-01 00:00")
	for i := 0; i < 3000; i++ {
		start := base.Add(time.Duration(rng.Int63n(int64(900 * 24 * time.Hour))))
		n := rng.Intn(60) - 2
		if got, want := c.AddWorkdays(start, n), ref.add(start, n); !got.Equal(want) {
			t.Fatalf("AddWorkdays(%s, %d) = %s, want %s", start, n, got, want)
		}
		end := start.Add(time.Duration(rng.Int63n(int64(400*24*time.Hour))) - 30*24*time.Hour)
		if got, want := c.WorkdaysBetween(start, end), ref.between(start, end); got != want {
			t.Fatalf("WorkdaysBetween(%s, %s) = %d, want %d", start, end, got, want)
		}
		if got := c.WorkdaysBetween(start, c.AddWorkdays(start, n)); n > 0 && c.IsWorkday(start) && got != n {
			t.Fatalf("WorkdaysBetween(start, AddWorkdays(start, %d)) = %d", n, got)
		}
	}
}

func TestAddWorkdaysLargeN(t *testing.T) {
	c := Default(shanghai)
	start := at(t, "2026-03-09 10:00") // Monday
	ref := newNaive(c)
	for _, n := range []int{100, 1000, 5000} {
		if got, want := c.AddWorkdays(start, n), ref.add(start, n); !got.Equal(want) {
			t.Errorf("AddWorkdays(+%d) = %s, want %s", n, got, want)
		}
	}
	// Huge n must neither hang nor panic, and must land on a working day.
	for _, n := range []int{1 << 30, MaxAddWorkdays, int(^uint(0) >> 1)} {
		got := c.AddWorkdays(start, n)
		if !got.After(start) || !c.IsWorkday(got) {
			t.Errorf("AddWorkdays(+%d) = %s", n, got)
		}
	}
}

func TestWorkdaysBetween(t *testing.T) {
	c := Default(shanghai)
	tests := []struct {
		name string
		a, b string
		want int
	}{
		{"same day", "2026-03-09 08:00", "2026-03-09 18:00", 0},
		{"b before a", "2026-03-10 08:00", "2026-03-09 18:00", 0},
		{"Friday to Monday", "2026-03-06 16:00", "2026-03-09 09:00", 1},
		{"whole plain week", "2026-03-08 00:00", "2026-03-15 00:00", 5},
		{"Spring Festival 2026", "2026-02-13 10:00", "2026-02-24 10:00", 2},
		{"National Day 2026", "2026-09-30 09:00", "2026-10-15 09:00", 7},
		{"year boundary", "2025-12-31 10:00", "2026-01-05 10:00", 2},
		{"holiday to holiday", "2026-10-01 10:00", "2026-10-07 10:00", 0},
		{"all of 2025", "2024-12-31 10:00", "2025-12-31 10:00", 248},
		{"all of 2026", "2025-12-31 10:00", "2026-12-31 10:00", 248},
		{"plain year 2030", "2029-12-31 10:00", "2030-12-31 10:00", 261},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := c.WorkdaysBetween(at(t, tt.a), at(t, tt.b)); got != tt.want {
				t.Errorf("WorkdaysBetween(%s, %s) = %d, want %d", tt.a, tt.b, got, tt.want)
			}
		})
	}
}

func TestNextWorkdayStart(t *testing.T) {
	c := Default(shanghai)
	tests := []struct{ from, want string }{
		{"2026-03-09 10:00", "2026-03-10 00:00"}, // Monday → Tuesday
		{"2026-03-06 10:00", "2026-03-09 00:00"}, // Friday → Monday
		{"2026-03-07 10:00", "2026-03-09 00:00"}, // Saturday → Monday
		{"2026-02-13 23:59", "2026-02-14 00:00"}, // Friday → make-up Saturday
		{"2026-02-14 10:00", "2026-02-24 00:00"}, // make-up Saturday → after the festival
		{"2026-09-30 09:00", "2026-10-08 00:00"},
		{"2025-12-31 09:00", "2026-01-04 00:00"},
	}
	for _, tt := range tests {
		t.Run(tt.from, func(t *testing.T) {
			got := c.NextWorkdayStart(at(t, tt.from))
			if want := at(t, tt.want); !got.Equal(want) {
				t.Errorf("NextWorkdayStart(%s) = %s, want %s", tt.from, got, want)
			}
			if got.Location() != shanghai {
				t.Errorf("result location %v, want calendar's", got.Location())
			}
		})
	}
}

// sample2027 is illustrative data in the shape of a State Council notice.
const sample2027 = `{
  "year": 2027,
  "source": "sample notice for tests",
  "off": ["2027-01-01", "2027-02-05", "2027-02-06", "2027-02-07", "2027-02-08",
          "2027-02-09", "2027-02-10", "2027-02-11", "2027-02-12", "2027-02-12"],
  "work": ["2027-02-13", "2027-01-30"]
}`

func TestLoadLaterYear(t *testing.T) {
	c := Default(shanghai)
	if c.Covers(2027) {
		t.Fatal("2027 should not be covered before loading")
	}
	if !c.IsWorkday(at(t, "2027-02-08 10:00")) {
		t.Fatal("without data, Monday 2027-02-08 is a plain working day")
	}
	if err := c.LoadJSON(strings.NewReader(sample2027)); err != nil {
		t.Fatalf("LoadJSON: %v", err)
	}
	if !c.Covers(2027) || !c.Covers(2026) || !c.Covers(2025) || c.Covers(2028) {
		t.Errorf("Covers after load wrong: years %v", c.Years())
	}
	if c.IsWorkday(at(t, "2027-02-08 10:00")) {
		t.Error("2027-02-08 should now be a day off")
	}
	if !c.IsWorkday(at(t, "2027-02-13 10:00")) {
		t.Error("2027-02-13 Saturday should now be a make-up day")
	}
	ys := c.Years()
	if y := ys[len(ys)-1]; y.Year != 2027 || len(y.Off) != 9 || y.Off[0] != "2027-01-01" || y.Work[0] != "2027-01-30" {
		t.Errorf("2027 not normalised (sorted, de-duplicated): %+v", y)
	}
	// Friday 2027-02-04 10:00 + 1 → make-up Saturday 2027-02-13.
	if got, want := c.AddWorkdays(at(t, "2027-02-04 10:00"), 1), at(t, "2027-02-13 10:00"); !got.Equal(want) {
		t.Errorf("AddWorkdays across 2027 festival = %s, want %s", got, want)
	}

	// Loading the year again replaces, not merges.
	if err := c.LoadYear(Year{Year: 2027, Source: "revised", Off: []string{"2027-03-01"}}); err != nil {
		t.Fatal(err)
	}
	if !c.IsWorkday(at(t, "2027-02-08 10:00")) || c.IsWorkday(at(t, "2027-03-01 10:00")) || c.IsWorkday(at(t, "2027-02-13 10:00")) {
		t.Error("LoadYear should replace the earlier 2027 data")
	}

	// An array of years.
	arr := `[{"year":2028,"source":"s","off":["2028-01-03"],"work":[]},
	         {"year":2029,"source":"s","off":["2029-01-01"],"work":["2029-01-06"]}]`
	if err := c.LoadJSON(strings.NewReader(arr)); err != nil {
		t.Fatalf("LoadJSON array: %v", err)
	}
	if !c.Covers(2028) || !c.Covers(2029) || c.IsWorkday(at(t, "2028-01-03 10:00")) || !c.IsWorkday(at(t, "2029-01-06 10:00")) {
		t.Error("array load did not take effect")
	}
}

func TestLoadValidation(t *testing.T) {
	tests := []struct {
		name    string
		year    Year
		wantErr error
		wantMsg string
	}{
		{"bad date", Year{Year: 2027, Off: []string{"2027-02-30"}}, ErrBadDate, "invalid date"},
		{"bad format", Year{Year: 2027, Work: []string{"2027-2-6"}}, ErrBadDate, "invalid date"},
		{"not a date", Year{Year: 2027, Off: []string{"soon"}}, ErrBadDate, "invalid date"},
		{"date of another year", Year{Year: 2027, Off: []string{"2026-12-31"}}, ErrWrongYear, "another year"},
		{"off and work", Year{Year: 2027, Off: []string{"2027-02-06"}, Work: []string{"2027-02-06"}}, ErrOffAndWork, "both as day off and as working day"},
		{"year too early", Year{Year: 1999}, ErrYearRange, "out of range"},
		{"year too late", Year{Year: 2101}, ErrYearRange, "out of range"},
	}
	msgs := map[error]string{}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := Default(shanghai)
			before := c.Years()
			err := c.LoadYear(tt.year)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("LoadYear error = %v, want %v", err, tt.wantErr)
			}
			if !strings.Contains(err.Error(), tt.wantMsg) {
				t.Errorf("error %q should mention %q", err, tt.wantMsg)
			}
			for _, other := range []error{ErrBadDate, ErrWrongYear, ErrOffAndWork, ErrYearRange} {
				if other != tt.wantErr && errors.Is(err, other) {
					t.Errorf("error %q also matches %v", err, other)
				}
			}
			msgs[tt.wantErr] = err.Error()
			if c.Covers(tt.year.Year) || len(c.Years()) != len(before) {
				t.Error("failed LoadYear changed the calendar")
			}
		})
	}
	// Each kind of problem has its own message.
	seen := map[string]bool{}
	for _, m := range msgs {
		if seen[m] {
			t.Errorf("duplicate error message %q", m)
		}
		seen[m] = true
	}
}

func TestLoadFailureChangesNothing(t *testing.T) {
	c := Default(shanghai)
	if err := c.LoadJSON(strings.NewReader(sample2027)); err != nil {
		t.Fatal(err)
	}
	// A failed reload of 2027 keeps the old 2027 data.
	if err := c.LoadYear(Year{Year: 2027, Off: []string{"2027-13-01"}}); err == nil {
		t.Fatal("want error")
	}
	if c.IsWorkday(at(t, "2027-02-08 10:00")) {
		t.Error("failed LoadYear lost earlier 2027 data")
	}
	// Array with one bad element: nothing is loaded.
	arr := `[{"year":2028,"off":["2028-01-03"]},{"year":2029,"off":["2028-01-01"]}]`
	err := c.LoadJSON(strings.NewReader(arr))
	if !errors.Is(err, ErrWrongYear) {
		t.Fatalf("error = %v, want ErrWrongYear", err)
	}
	if c.Covers(2028) || c.Covers(2029) {
		t.Error("LoadJSON is not all-or-nothing")
	}
}

type failingReader struct{}

func (failingReader) Read([]byte) (int, error) { return 0, errors.New("disk on fire") }

func TestLoadJSONBadInput(t *testing.T) {
	tests := []struct {
		name, in string
		want     error
	}{
		{"empty", "", ErrBadJSON},
		{"whitespace", "  \n", ErrBadJSON},
		{"null", "null", ErrBadJSON},
		{"number", "2027", ErrBadJSON},
		{"empty array", "[]", ErrBadJSON},
		{"truncated", `{"year":2027,"off":["2027-01-01"`, ErrBadJSON},
		{"unknown field", `{"year":2027,"of":["2027-01-01"]}`, ErrBadJSON},
		{"wrong type", `{"year":"2027"}`, ErrBadJSON},
		{"trailing data", `{"year":2027} {"year":2028}`, ErrBadJSON},
		{"duplicate year", `[{"year":2027},{"year":2027}]`, ErrDuplicateYear},
		{"array of null", `[null]`, ErrYearRange},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := New(shanghai)
			if err := c.LoadJSON(strings.NewReader(tt.in)); !errors.Is(err, tt.want) {
				t.Errorf("LoadJSON(%q) error = %v, want %v", tt.in, err, tt.want)
			}
			if len(c.Years()) != 0 {
				t.Error("failed load changed the calendar")
			}
		})
	}
	if err := New(nil).LoadJSON(failingReader{}); err == nil || !strings.Contains(err.Error(), "disk on fire") {
		t.Errorf("reader error not reported: %v", err)
	}
	if err := New(nil).LoadJSON(nil); err == nil {
		t.Error("nil reader accepted")
	}
}

func TestCovers(t *testing.T) {
	c := Default(shanghai)
	for y, want := range map[int]bool{2024: false, 2025: true, 2026: true, 2027: false, 0: false, -1: false} {
		if got := c.Covers(y); got != want {
			t.Errorf("Covers(%d) = %v, want %v", y, got, want)
		}
	}
	if New(shanghai).Covers(2026) {
		t.Error("empty calendar covers nothing")
	}
}

func TestNilAndZeroCalendar(t *testing.T) {
	var nilCal *Calendar
	var zero Calendar
	mon := at(t, "2026-02-16 10:00") // holiday Monday, but no data here
	for name, c := range map[string]*Calendar{"nil": nilCal, "zero": &zero, "New(nil)": New(nil)} {
		t.Run(name, func(t *testing.T) {
			if c.Location() != ChinaStandardTime() {
				t.Errorf("Location = %v", c.Location())
			}
			if !c.IsWorkday(mon) || c.Covers(2026) || len(c.Years()) != 0 {
				t.Error("should behave as a plain Mon–Fri calendar")
			}
			if got, want := c.AddWorkdays(at(t, "2026-03-06 16:00"), 1), at(t, "2026-03-09 16:00"); !got.Equal(want) {
				t.Errorf("AddWorkdays = %s", got)
			}
			if got := c.WorkdaysBetween(at(t, "2026-03-06 16:00"), at(t, "2026-03-13 16:00")); got != 5 {
				t.Errorf("WorkdaysBetween = %d", got)
			}
			if got, want := c.NextWorkdayStart(at(t, "2026-03-06 16:00")), at(t, "2026-03-09 00:00"); !got.Equal(want) {
				t.Errorf("NextWorkdayStart = %s", got)
			}
		})
	}
	if err := nilCal.LoadYear(Year{Year: 2026}); !errors.Is(err, ErrNilCalendar) {
		t.Errorf("nil LoadYear error = %v", err)
	}
	if err := zero.LoadYear(Year{Year: 2026, Off: []string{"2026-02-16"}}); err != nil || zero.IsWorkday(mon) {
		t.Errorf("zero-value calendar should accept data: %v", err)
	}
}

func TestDSTLocation(t *testing.T) {
	ny, err := time.LoadLocation("America/New_York")
	if err != nil {
		t.Skip(err)
	}
	c := New(ny)
	// DST starts Sunday 2026-03-08 in New York. Friday 09:30 + 1 workday is
	// Monday 09:30 local time, which is 71 hours later, not 72.
	start := time.Date(2026, 3, 6, 9, 30, 0, 0, ny)
	got := c.AddWorkdays(start, 1)
	if want := time.Date(2026, 3, 9, 9, 30, 0, 0, ny); !got.Equal(want) {
		t.Errorf("AddWorkdays across DST = %s, want %s", got, want)
	}
	if d := got.Sub(start); d != 71*time.Hour {
		t.Errorf("elapsed %s, want 71h", d)
	}
	// Saturday start → 00:00 of Tuesday local.
	if got, want := c.AddWorkdays(time.Date(2026, 3, 7, 23, 0, 0, 0, ny), 1), time.Date(2026, 3, 10, 0, 0, 0, 0, ny); !got.Equal(want) {
		t.Errorf("AddWorkdays from Saturday across DST = %s, want %s", got, want)
	}
	// Fall back: Sunday 2026-11-01.
	if got, want := c.NextWorkdayStart(time.Date(2026, 10, 30, 12, 0, 0, 0, ny)), time.Date(2026, 11, 2, 0, 0, 0, 0, ny); !got.Equal(want) {
		t.Errorf("NextWorkdayStart across fall-back = %s, want %s", got, want)
	}
}

func TestConcurrentLoadAndRead(t *testing.T) {
	c := Default(shanghai)
	var wg sync.WaitGroup
	stop := make(chan struct{})
	for w := 0; w < 4; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				y := Year{Year: 2027 + (i+w)%3, Source: "concurrent", Off: []string{fmt.Sprintf("%d-03-01", 2027+(i+w)%3)}}
				if err := c.LoadYear(y); err != nil {
					t.Error(err)
					return
				}
				_ = c.LoadJSON(strings.NewReader(`{"year":2027,"off":["bad"]}`)) // failing loads too
			}
		}(w)
	}
	fri := at(t, "2026-02-13 10:00")
	want := at(t, "2026-02-24 10:00")
	var rg sync.WaitGroup
	for r := 0; r < 8; r++ {
		rg.Add(1)
		go func() {
			defer rg.Done()
			for i := 0; i < 2000; i++ {
				if got := c.AddWorkdays(fri, 2); !got.Equal(want) {
					t.Errorf("concurrent AddWorkdays = %s", got)
					return
				}
				if !c.IsWorkday(at(t, "2026-02-14 10:00")) || !c.Covers(2026) {
					t.Error("concurrent read saw wrong 2026 data")
					return
				}
				_ = c.Years()
				_ = c.WorkdaysBetween(fri, want)
				_ = c.IsWorkday(at(t, "2027-03-01 10:00"))
			}
		}()
	}
	rg.Wait()
	close(stop)
	wg.Wait()
	if !c.Covers(2027) || c.IsWorkday(at(t, "2027-03-01 10:00")) {
		t.Error("concurrent loads lost data")
	}
}

func TestExtremeTimesDoNotPanic(t *testing.T) {
	c := Default(shanghai)
	times := []time.Time{
		{},
		time.Unix(1<<62, 0),
		time.Unix(-1<<62, 0),
		time.Date(-5000, 1, 1, 0, 0, 0, 0, time.UTC),
		time.Date(99999, 12, 31, 23, 59, 59, 0, time.UTC),
	}
	for _, tm := range times {
		_ = c.IsWorkday(tm)
		_ = c.NextWorkdayStart(tm)
		_ = c.WorkdaysBetween(tm, times[0])
		_ = c.WorkdaysBetween(times[0], tm)
		for _, n := range []int{1, 7, 1000} {
			if got := c.AddWorkdays(tm, n); !c.IsWorkday(got) {
				t.Errorf("AddWorkdays(%s, %d) = %s, not a working day", tm, n, got)
			}
		}
	}
}

func FuzzLoadJSON(f *testing.F) {
	f.Add(sample2027)
	f.Add(`[{"year":2028,"off":["2028-01-03"]}]`)
	f.Add(`{"year":2027,"off":["2027-02-30"]}`)
	f.Fuzz(func(t *testing.T, in string) {
		c := Default(shanghai)
		before := len(c.Years())
		if err := c.LoadJSON(strings.NewReader(in)); err != nil && len(c.Years()) != before {
			t.Fatal("failed load changed the calendar")
		}
		_ = c.AddWorkdays(time.Date(2027, 6, 1, 9, 0, 0, 0, shanghai), 30)
	})
}
