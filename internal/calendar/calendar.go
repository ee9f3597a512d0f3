// Package calendar is a working-day calendar for Whistle's deadlines.
//
// A Calendar knows the plain Monday–Friday working week plus, for each year
// whose data has been loaded, the public holidays announced by the State
// Council (days off, 放假) and the make-up working days (调休上班) that go with
// them. Holiday data for the years Whistle ships with is embedded in the
// binary (see Default and Embedded); later years can be loaded at run time
// with LoadYear or LoadJSON without a rebuild.
//
// All date questions are answered in the calendar's location: a time is first
// converted with t.In(loc) and its calendar date there decides. Date
// arithmetic is done on civil dates (year, month, day), never by adding 24-hour
// durations, so results are correct in locations with daylight-saving time.
//
// A Calendar is safe for concurrent use: readers never block, and loading new
// data swaps in a new immutable snapshot (copy-on-write).
package calendar

import (
	"bytes"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"sort"
	"sync"
	"sync/atomic"
	"time"
)

//go:embed data/*.json
var dataFS embed.FS

// DateLayout is the layout of the dates in a Year: YYYY-MM-DD.
const DateLayout = "2006-01-02"

// MinYear and MaxYear bound the years whose holiday data may be loaded.
const (
	MinYear = 2000
	MaxYear = 2100
)

// MaxAddWorkdays is the largest n AddWorkdays honours; a larger n is treated as
// MaxAddWorkdays (several million years, far beyond any real deadline).
const MaxAddWorkdays = math.MaxInt32

// maxJSONBytes bounds the input LoadJSON reads.
const maxJSONBytes = 4 << 20

// Errors returned (wrapped, with details) by LoadYear and LoadJSON. Use
// errors.Is to test for them.
var (
	// ErrYearRange: the year is outside MinYear..MaxYear.
	ErrYearRange = errors.New("year out of range")
	// ErrBadDate: a date is not a valid YYYY-MM-DD date.
	ErrBadDate = errors.New("invalid date, want YYYY-MM-DD")
	// ErrWrongYear: a date belongs to a different year than the Year object.
	ErrWrongYear = errors.New("date belongs to another year")
	// ErrOffAndWork: the same date is listed both as a day off and as a working day.
	ErrOffAndWork = errors.New("date listed both as day off and as working day")
	// ErrBadJSON: the JSON input is malformed or has an unexpected shape.
	ErrBadJSON = errors.New("invalid holiday JSON")
	// ErrDuplicateYear: one LoadJSON input contains the same year twice.
	ErrDuplicateYear = errors.New("year given more than once")
	// ErrNilCalendar: a load was attempted on a nil *Calendar.
	ErrNilCalendar = errors.New("nil calendar")
)

// Year is one year's holiday notice: every day off (including weekend days
// inside a holiday block) and every make-up working day, as YYYY-MM-DD dates.
type Year struct {
	// Year is the calendar year the dates belong to.
	Year int `json:"year"`
	// Source names the notice the data was taken from.
	Source string `json:"source"`
	// Off lists the days off.
	Off []string `json:"off"`
	// Work lists the make-up working days (usually weekend days).
	Work []string `json:"work"`
}

// Calendar answers working-day questions in one location. The zero value (and
// a nil *Calendar, for reads) is a plain Monday–Friday calendar in China
// Standard Time; use New or Default to choose the location.
type Calendar struct {
	loc *time.Location
	mu  sync.Mutex // serialises writers; readers use st
	st  atomic.Pointer[snapshot]
}

// snapshot is an immutable view of the loaded data.
type snapshot struct {
	years   map[int]Year   // normalised copies, keyed by year
	days    map[int64]bool // day number → true: listed working day, false: listed day off
	special []int64        // sorted keys of days
}

var emptySnapshot = &snapshot{years: map[int]Year{}, days: map[int64]bool{}}

var cst = time.FixedZone("CST", 8*60*60)

// ChinaStandardTime returns UTC+8 without daylight saving, which is what
// Asia/Shanghai has been since 1991. It does not depend on the system's time
// zone database.
func ChinaStandardTime() *time.Location { return cst }

// New returns an empty calendar in loc: a plain Monday–Friday working week
// with no holidays. A nil loc means ChinaStandardTime.
func New(loc *time.Location) *Calendar {
	if loc == nil {
		loc = cst
	}
	return &Calendar{loc: loc}
}

var (
	embeddedOnce  sync.Once
	embeddedYears []Year
	embeddedErr   error
)

// Embedded returns the holiday data compiled into the binary, sorted by year.
func Embedded() ([]Year, error) {
	embeddedOnce.Do(func() {
		embeddedYears, embeddedErr = readEmbedded()
	})
	if embeddedErr != nil {
		return nil, embeddedErr
	}
	out := make([]Year, len(embeddedYears))
	for i, y := range embeddedYears {
		out[i] = cloneYear(y)
	}
	return out, nil
}

func readEmbedded() ([]Year, error) {
	names, err := fs.Glob(dataFS, "data/*.json")
	if err != nil {
		return nil, err
	}
	sort.Strings(names)
	var years []Year
	for _, name := range names {
		b, err := dataFS.ReadFile(name)
		if err != nil {
			return nil, err
		}
		ys, err := decodeYears(b)
		if err != nil {
			return nil, fmt.Errorf("calendar: embedded %s: %w", name, err)
		}
		years = append(years, ys...)
	}
	norm, err := validateAll(years)
	if err != nil {
		return nil, fmt.Errorf("calendar: embedded data: %w", err)
	}
	return norm, nil
}

// Default returns New(loc) with the embedded holiday data loaded. The
// embedded data is verified by the package tests; should it ever be invalid,
// Default panics, as regexp.MustCompile does for a bad constant.
func Default(loc *time.Location) *Calendar {
	c := New(loc)
	years, err := Embedded()
	if err != nil {
		panic(err)
	}
	if err := c.load(years); err != nil {
		panic(err)
	}
	return c
}

// Location returns the location in which the calendar interprets times.
func (c *Calendar) Location() *time.Location {
	if c == nil || c.loc == nil {
		return cst
	}
	return c.loc
}

func (c *Calendar) snap() *snapshot {
	if c == nil {
		return emptySnapshot
	}
	if s := c.st.Load(); s != nil {
		return s
	}
	return emptySnapshot
}

// LoadYear validates y and makes it the calendar's data for y.Year, replacing
// any earlier data for that year. Validation: y.Year is within
// MinYear..MaxYear, every date parses as YYYY-MM-DD and lies in y.Year, and no
// date is both off and work (duplicates within one list are harmless). On
// error nothing changes; the error wraps ErrYearRange, ErrBadDate,
// ErrWrongYear or ErrOffAndWork.
func (c *Calendar) LoadYear(y Year) error {
	norm, err := validateAll([]Year{y})
	if err != nil {
		return err
	}
	return c.load(norm)
}

// LoadJSON reads one Year object or a JSON array of them and loads them all,
// or, on any error, none. Unknown fields are rejected, so a misspelt key does
// not silently drop data.
func (c *Calendar) LoadJSON(r io.Reader) error {
	if r == nil {
		return fmt.Errorf("calendar: %w: nil reader", ErrBadJSON)
	}
	b, err := io.ReadAll(io.LimitReader(r, maxJSONBytes+1))
	if err != nil {
		return fmt.Errorf("calendar: reading JSON: %w", err)
	}
	if len(b) > maxJSONBytes {
		return fmt.Errorf("calendar: %w: input larger than %d bytes", ErrBadJSON, maxJSONBytes)
	}
	years, err := decodeYears(b)
	if err != nil {
		return err
	}
	norm, err := validateAll(years)
	if err != nil {
		return err
	}
	return c.load(norm)
}

func decodeYears(b []byte) ([]Year, error) {
	trimmed := bytes.TrimSpace(b)
	if len(trimmed) == 0 {
		return nil, fmt.Errorf("calendar: %w: empty input", ErrBadJSON)
	}
	dec := json.NewDecoder(bytes.NewReader(trimmed))
	dec.DisallowUnknownFields()
	var years []Year
	switch trimmed[0] {
	case '[':
		if err := dec.Decode(&years); err != nil {
			return nil, fmt.Errorf("calendar: %w: %v", ErrBadJSON, err)
		}
		if len(years) == 0 {
			return nil, fmt.Errorf("calendar: %w: empty array", ErrBadJSON)
		}
	case '{':
		var y Year
		if err := dec.Decode(&y); err != nil {
			return nil, fmt.Errorf("calendar: %w: %v", ErrBadJSON, err)
		}
		years = []Year{y}
	default:
		return nil, fmt.Errorf("calendar: %w: want an object or an array of objects", ErrBadJSON)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, fmt.Errorf("calendar: %w: trailing data after JSON value", ErrBadJSON)
	}
	return years, nil
}

// validateAll validates and normalises years (sorted, de-duplicated dates),
// rejecting the same year twice. It returns all problems joined.
func validateAll(years []Year) ([]Year, error) {
	var errs []error
	seen := map[int]bool{}
	out := make([]Year, 0, len(years))
	for _, y := range years {
		if seen[y.Year] {
			errs = append(errs, fmt.Errorf("calendar: year %d: %w", y.Year, ErrDuplicateYear))
			continue
		}
		seen[y.Year] = true
		n, err := normalise(y)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		out = append(out, n)
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Year < out[j].Year })
	return out, nil
}

const maxErrorsPerYear = 10

func normalise(y Year) (Year, error) {
	if y.Year < MinYear || y.Year > MaxYear {
		return Year{}, fmt.Errorf("calendar: year %d: %w (want %d..%d)", y.Year, ErrYearRange, MinYear, MaxYear)
	}
	var errs []error
	add := func(err error) {
		if len(errs) < maxErrorsPerYear {
			errs = append(errs, err)
		}
	}
	parse := func(list string, dates []string) map[string]bool {
		set := make(map[string]bool, len(dates))
		for i, s := range dates {
			t, err := time.Parse(DateLayout, s)
			if err != nil || t.Format(DateLayout) != s {
				add(fmt.Errorf("calendar: year %d: %s[%d] %q: %w", y.Year, list, i, s, ErrBadDate))
				continue
			}
			if t.Year() != y.Year {
				add(fmt.Errorf("calendar: year %d: %s[%d] %q: %w", y.Year, list, i, s, ErrWrongYear))
				continue
			}
			set[s] = true
		}
		return set
	}
	off := parse("off", y.Off)
	work := parse("work", y.Work)
	for _, s := range sortedKeys(off) {
		if work[s] {
			add(fmt.Errorf("calendar: year %d: %q: %w", y.Year, s, ErrOffAndWork))
		}
	}
	if len(errs) > 0 {
		return Year{}, errors.Join(errs...)
	}
	return Year{Year: y.Year, Source: y.Source, Off: sortedKeys(off), Work: sortedKeys(work)}, nil
}

func sortedKeys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out) // YYYY-MM-DD sorts chronologically
	return out
}

// load installs already-normalised years.
func (c *Calendar) load(years []Year) error {
	if c == nil {
		return fmt.Errorf("calendar: %w", ErrNilCalendar)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	old := c.snap()
	next := &snapshot{years: make(map[int]Year, len(old.years)+len(years))}
	for k, v := range old.years {
		next.years[k] = v
	}
	for _, y := range years {
		next.years[y.Year] = y
	}
	next.days = map[int64]bool{}
	for _, y := range next.years {
		for _, s := range y.Off {
			next.days[mustDayNumber(s)] = false
		}
		for _, s := range y.Work {
			next.days[mustDayNumber(s)] = true
		}
	}
	next.special = make([]int64, 0, len(next.days))
	for z := range next.days {
		next.special = append(next.special, z)
	}
	sort.Slice(next.special, func(i, j int) bool { return next.special[i] < next.special[j] })
	c.st.Store(next)
	return nil
}

// mustDayNumber converts a date that normalise has already validated.
func mustDayNumber(s string) int64 {
	t, _ := time.Parse(DateLayout, s)
	return dayNumber(t.Date())
}

func cloneYear(y Year) Year {
	y.Off = append([]string(nil), y.Off...)
	y.Work = append([]string(nil), y.Work...)
	return y
}

// Years returns copies of the loaded years, sorted by year, each with its
// dates sorted and de-duplicated.
func (c *Calendar) Years() []Year {
	s := c.snap()
	out := make([]Year, 0, len(s.years))
	for _, y := range s.years {
		out = append(out, cloneYear(y))
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Year < out[j].Year })
	return out
}

// Covers reports whether holiday data for year is loaded. Outside covered
// years the calendar falls back to a plain Monday–Friday week, which is
// wrong around public holidays; callers may want to warn.
func (c *Calendar) Covers(year int) bool {
	_, ok := c.snap().years[year]
	return ok
}

// IsWorkday reports whether t's date, in the calendar's location, is a working
// day: a listed make-up working day is one, a listed day off is not, and any
// other date is a working day if it is Monday to Friday.
func (c *Calendar) IsWorkday(t time.Time) bool {
	return c.snap().isWork(dayNumber(t.In(c.Location()).Date()))
}

// AddWorkdays returns the deadline n working days after t.
//
// If t falls on a working day, the result is the same wall-clock time on the
// n-th following working day (Friday 16:00 + 1 = Monday 16:00 in a plain
// week). If t falls on a non-working day, t is first moved to 00:00 of the
// next working day, and n working days are added to that, so the result is
// 00:00 of the n-th working day after that start day: the citizen gets n
// full working days (Saturday 10:00 + 1 = Tuesday 00:00 in a plain week).
//
// n <= 0 returns t unchanged; n above MaxAddWorkdays is treated as
// MaxAddWorkdays. The result is in the calendar's location. Should the wall
// clock time not exist on the result date (a daylight-saving gap), it is
// normalised as time.Date does.
func (c *Calendar) AddWorkdays(t time.Time, n int) time.Time {
	if n <= 0 {
		return t
	}
	if n > MaxAddWorkdays {
		n = MaxAddWorkdays
	}
	s := c.snap()
	loc := c.Location()
	lt := t.In(loc)
	y, m, d := lt.Date()
	hh, mm, ss := lt.Clock()
	ns := lt.Nanosecond()
	start := dayNumber(y, m, d)
	cur := start
	if !s.isWork(cur) {
		cur = s.nextWork(cur)
		hh, mm, ss, ns = 0, 0, 0, 0
	}
	remaining := int64(n)
	for remaining > 0 {
		// Skip whole weeks free of listed dates: 7 plain days hold exactly 5
		// working days. Keep at least one working day to step onto, so the
		// result lands on a working day.
		if remaining > 5 {
			weeks := (remaining - 1) / 5
			if next, ok := s.nextSpecialAfter(cur); ok {
				if gap := (next - cur - 1) / 7; gap < weeks {
					weeks = gap
				}
			}
			if weeks > 0 {
				cur += 7 * weeks
				remaining -= 5 * weeks
				continue
			}
		}
		cur++
		if s.isWork(cur) {
			remaining--
		}
	}
	return time.Date(y, m, d+int(cur-start), hh, mm, ss, ns, loc)
}

// WorkdaysBetween counts the working days after a's date up to and including
// b's date (dates in the calendar's location). It returns 0 if b's date is not
// after a's.
func (c *Calendar) WorkdaysBetween(a, b time.Time) int {
	loc := c.Location()
	za := dayNumber(a.In(loc).Date())
	zb := dayNumber(b.In(loc).Date())
	if zb <= za {
		return 0
	}
	s := c.snap()
	count := weekdaysThrough(zb) - weekdaysThrough(za)
	i := sort.Search(len(s.special), func(i int) bool { return s.special[i] > za })
	for ; i < len(s.special) && s.special[i] <= zb; i++ {
		z := s.special[i]
		switch work, plain := s.days[z], isWeekday(z); {
		case work && !plain:
			count++
		case !work && plain:
			count--
		}
	}
	return int(count)
}

// NextWorkdayStart returns 00:00, in the calendar's location, of the first
// working day strictly after t's date.
func (c *Calendar) NextWorkdayStart(t time.Time) time.Time {
	loc := c.Location()
	y, m, d := t.In(loc).Date()
	start := dayNumber(y, m, d)
	next := c.snap().nextWork(start)
	return time.Date(y, m, d+int(next-start), 0, 0, 0, 0, loc)
}

func (s *snapshot) isWork(z int64) bool {
	if v, ok := s.days[z]; ok {
		return v
	}
	return isWeekday(z)
}

// nextWork returns the first working day strictly after z. It terminates:
// listed dates lie within MinYear..MaxYear and every other Monday is a
// working day.
func (s *snapshot) nextWork(z int64) int64 {
	z++
	for !s.isWork(z) {
		z++
	}
	return z
}

func (s *snapshot) nextSpecialAfter(z int64) (int64, bool) {
	i := sort.Search(len(s.special), func(i int) bool { return s.special[i] > z })
	if i < len(s.special) {
		return s.special[i], true
	}
	return 0, false
}

// dayNumber returns the number of days from 1970-01-01 to the given civil
// date in the proleptic Gregorian calendar (Howard Hinnant's
// days_from_civil). The date must be valid, as those from time.Time.Date are.
func dayNumber(year int, month time.Month, day int) int64 {
	y := int64(year)
	m := int64(month)
	if m <= 2 {
		y--
	}
	era := floorDiv(y, 400)
	yoe := y - era*400
	mp := (m + 9) % 12
	doy := (153*mp+2)/5 + int64(day) - 1
	doe := yoe*365 + yoe/4 - yoe/100 + doy
	return era*146097 + doe - 719468
}

// weekday returns the day of the week of day number z (1970-01-01 was a
// Thursday).
func weekday(z int64) time.Weekday { return time.Weekday(floorMod(z+4, 7)) }

func isWeekday(z int64) bool {
	wd := weekday(z)
	return wd != time.Saturday && wd != time.Sunday
}

// weekdaysThrough returns the number of Monday–Friday days from a fixed
// origin through z; only differences of it are meaningful.
func weekdaysThrough(z int64) int64 {
	s := z - 4 // day 4 is Monday 1970-01-05
	r := floorMod(s, 7) + 1
	if r > 5 {
		r = 5
	}
	return 5*floorDiv(s, 7) + r
}

func floorDiv(a, b int64) int64 {
	q := a / b
	if (a%b != 0) && ((a < 0) != (b < 0)) {
		q--
	}
	return q
}

func floorMod(a, b int64) int64 { return a - floorDiv(a, b)*b }
