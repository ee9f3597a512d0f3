package governance

import (
	"net/url"
	"strconv"
	"strings"
	"time"

	"whistle/internal/errs"
	"whistle/internal/insight"
)

// ParseFilter reads a filter from a query: from and to (YYYY-MM-DD; both
// missing: DefaultFilter(now)), place (a place id) and category (repeated
// or comma-separated codes). Malformed values are 422 with their field.
func ParseFilter(q url.Values, now time.Time) (Filter, error) {
	f := DefaultFilter(now)
	var problems []*errs.Error
	day := func(name string, dst *insight.Day) {
		v := strings.TrimSpace(q.Get(name))
		if v == "" {
			return
		}
		t, err := time.Parse("2006-01-02", v)
		if err != nil {
			problems = append(problems, &errs.Error{Code: errs.Invalid, Field: name, Detail: "YYYY-MM-DD"})
			return
		}
		*dst = insight.DateDay(t.Date())
	}
	fromSet, toSet := q.Get("from") != "", q.Get("to") != ""
	day("from", &f.From)
	day("to", &f.To)
	if fromSet && !toSet { // a period from a day: four weeks
		f.To = f.From + 27
	} else if toSet && !fromSet {
		f.From = f.To - 27
	}
	if v := strings.TrimSpace(q.Get("place")); v != "" && v != "0" {
		id, err := strconv.ParseInt(v, 10, 64)
		if err != nil || id < 0 {
			problems = append(problems, errs.F(errs.UnknownPlace, "place"))
		}
		f.PlaceID = id
	}
	for _, v := range q["category"] {
		for _, c := range strings.Split(v, ",") {
			if c = strings.TrimSpace(c); c != "" {
				f.Categories = append(f.Categories, c)
			}
		}
	}
	if len(problems) > 0 {
		return f, errs.All(problems...)
	}
	return f, nil
}

// Query is the filter as a query string (the inverse of ParseFilter).
func (f Filter) Query() url.Values {
	q := url.Values{}
	q.Set("from", f.From.String())
	q.Set("to", f.To.String())
	if f.PlaceID != 0 {
		q.Set("place", strconv.FormatInt(f.PlaceID, 10))
	}
	if len(f.Categories) > 0 {
		q.Set("category", strings.Join(f.Categories, ","))
	}
	return q
}
