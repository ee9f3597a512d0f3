package retention

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"time"

	"whistle/internal/core"
	"whistle/internal/errs"
	"whistle/internal/lifecycle"
	"whistle/internal/store"
)

// OpenColumns are the open-data columns, in order (docs/OPENDATA.md). No
// column carries a name, a phone number, an exact address, free text or a
// member of staff.
var OpenColumns = []string{"number", "channel", "type", "category", "category_name", "district", "street",
	"lat", "lon", "created_date", "closed_date", "state", "on_time", "satisfied", "detail_withheld"}

// OpenCase is one row of the open-data export.
type OpenCase struct {
	Number       string   `json:"number"`
	Channel      string   `json:"channel"`
	Type         string   `json:"type"`
	Category     string   `json:"category"`
	CategoryName string   `json:"category_name"`
	District     string   `json:"district"`
	Street       string   `json:"street"`
	Lat          *float64 `json:"lat"`
	Lon          *float64 `json:"lon"`
	CreatedDate  string   `json:"created_date"`
	ClosedDate   string   `json:"closed_date"`
	State        string   `json:"state"`
	OnTime       *bool    `json:"on_time"`
	Satisfied    *bool    `json:"satisfied"`
	// DetailWithheld: the citizen asked for confidentiality (保密). The row
	// is kept so that counts add up, without category, street or location.
	DetailWithheld bool `json:"detail_withheld"`
}

// OpenData builds the open-data export from the core's catalogue.
type OpenData struct{ *core.Core }

// NewOpenData returns the open-data export over the core.
func NewOpenData(c *core.Core) OpenData { return OpenData{c} }

// MonthRange parses "YYYY-MM" into the month's bounds in the service's
// time zone (422 with field "month" otherwise).
func (o OpenData) MonthRange(month string) (time.Time, time.Time, error) {
	t, err := time.ParseInLocation("2006-01", month, o.Location())
	if err != nil || len(month) != 7 {
		return time.Time{}, time.Time{}, &errs.Error{Code: errs.Invalid, Field: "month", Detail: "want YYYY-MM"}
	}
	return t, t.AddDate(0, 1, 0), nil
}

// Month calls emit for every case created in month (YYYY-MM), by id.
func (o OpenData) Month(ctx context.Context, month string, emit func(OpenCase) error) error {
	from, to, err := o.MonthRange(month)
	if err != nil {
		return err
	}
	return o.Range(ctx, from, to, emit)
}

// Range calls emit for every case created in [from, to), by id: the rows
// of Month for any period (the scheduled publication's weeks).
func (o OpenData) Range(ctx context.Context, from, to time.Time, emit func(OpenCase) error) error {
	var after int64
	for {
		rows, err := o.St.OpenDataCases(ctx, from, to, after, 1000)
		if err != nil {
			return err
		}
		for _, r := range rows {
			if err := emit(o.row(r)); err != nil {
				return err
			}
			after = r.ID
		}
		if len(rows) < 1000 {
			return nil
		}
	}
}

func (o OpenData) row(r store.OpenDataRow) OpenCase {
	loc := o.Location()
	out := OpenCase{Number: r.Number, Channel: r.Channel, Type: r.Type, State: r.State,
		CreatedDate: r.CreatedAt.In(loc).Format(time.DateOnly), DetailWithheld: r.Confidential}
	if !r.ClosedAt.IsZero() {
		out.ClosedDate = r.ClosedAt.In(loc).Format(time.DateOnly)
	}
	if p, ok := o.Place(r.DistrictID); ok && r.DistrictID != 0 {
		out.District = p.Name
	}
	if !r.RepliedAt.IsZero() {
		on := r.ReplyBy.IsZero() || !r.RepliedAt.After(r.ReplyBy)
		out.OnTime = &on
	}
	switch r.Satisfaction {
	case lifecycle.Satisfied, lifecycle.FairlySatisfied:
		out.Satisfied = new(bool)
		*out.Satisfied = true
	case lifecycle.Unsatisfied:
		out.Satisfied = new(bool)
	}
	if r.Confidential {
		return out
	}
	out.Category = r.Category
	if c, ok := o.Category(r.Category); ok {
		out.CategoryName = c.NameZH
	}
	if p, ok := o.Place(r.StreetID); ok && r.StreetID != 0 {
		out.Street = p.Name
	}
	out.Lat, out.Lon = o.approx(r)
	return out
}

// approx is the representative point of the case's grid (or community)
// when the city has boundaries, else its point rounded to 0.001° (about
// 100 m); in both cases rounded to 0.001°.
func (o OpenData) approx(r store.OpenDataRow) (*float64, *float64) {
	if r.Lat == nil || r.Lon == nil {
		return nil, nil
	}
	lat, lon := *r.Lat, *r.Lon
	for _, id := range []int64{r.GridID, r.CommunityID} {
		if id == 0 {
			continue
		}
		if p, ok := o.ApproxLocation(id, ""); ok && p.Lat != nil && p.Lon != nil {
			lat, lon = *p.Lat, *p.Lon
			break
		}
	}
	lat, lon = round(lat, 3), round(lon, 3)
	return &lat, &lon
}

// WriteCSV writes the month as CSV (UTF-8, header row OpenColumns).
func (o OpenData) WriteCSV(ctx context.Context, w io.Writer, month string) error {
	if _, _, err := o.MonthRange(month); err != nil {
		return err
	}
	cw := csv.NewWriter(w)
	if err := cw.Write(OpenColumns); err != nil {
		return err
	}
	f := func(p *float64) string {
		if p == nil {
			return ""
		}
		return strconv.FormatFloat(*p, 'f', 3, 64)
	}
	b := func(p *bool) string {
		if p == nil {
			return ""
		}
		return strconv.FormatBool(*p)
	}
	err := o.Month(ctx, month, func(c OpenCase) error {
		return cw.Write([]string{c.Number, c.Channel, c.Type, c.Category, c.CategoryName, c.District, c.Street,
			f(c.Lat), f(c.Lon), c.CreatedDate, c.ClosedDate, c.State, b(c.OnTime), b(c.Satisfied), strconv.FormatBool(c.DetailWithheld)})
	})
	if err != nil {
		return err
	}
	cw.Flush()
	return cw.Error()
}

// WriteJSON writes the month as a JSON array of OpenCase objects.
func (o OpenData) WriteJSON(ctx context.Context, w io.Writer, month string) error {
	if _, _, err := o.MonthRange(month); err != nil {
		return err
	}
	if _, err := io.WriteString(w, "["); err != nil {
		return err
	}
	n := 0
	err := o.Month(ctx, month, func(c OpenCase) error {
		b, err := json.Marshal(c)
		if err != nil {
			return err
		}
		sep := ",\n"
		if n == 0 {
			sep = "\n"
		}
		n++
		_, err = fmt.Fprintf(w, "%s%s", sep, b)
		return err
	})
	if err != nil {
		return err
	}
	_, err = io.WriteString(w, "\n]\n")
	return err
}

// Ended checks that month is a valid YYYY-MM that has ended: the public
// endpoint serves whole past months only, so that it never shows requests
// of the last days, while they are fresh in the neighbours' minds.
func (o OpenData) Ended(month string) error {
	_, to, err := o.MonthRange(month)
	if err != nil {
		return err
	}
	if o.Now().Before(to) {
		return &errs.Error{Code: errs.Invalid, Field: "month", Detail: "the month has not ended"}
	}
	return nil
}
