package web

import (
	"context"
	"encoding/json"
	"strconv"

	"whistle/internal/errs"
	"whistle/internal/forecasting"
	"whistle/internal/org"
)

// The forecasts of 未诉先办 (issue #16) beside the actual counts, on the
// analysis workbench, a street office's supervision board and the big
// screen: a line of the scope's requests by month (and by week) with the
// forecast of this and next period and its 80 % band, drawn by
// static/forecast.js from the element's data-forecast, and on the two
// boards (the forecastcard template) the busiest category × street
// forecasts.

// forecastRows is how many category × street rows the workbench shows.
const forecastRows = 20

type forecastRow struct {
	Category, Street string
	Last, ToDate     string
	Current, Next    string // "mean (lo–hi)"
}

type forecastView struct {
	Lang                string // the page's language (the card is a template of its own)
	Month, Week         *forecasting.Outlook
	MonthJSON, WeekJSON string
	Rows                []forecastRow
	Series              int
}

// forecastFor is the actor's forecasts, or nil when the actor may see none
// or they fail (logged: the page shows without them).
func (s *Server) forecastFor(ctx context.Context, a org.Actor, lang string) *forecastView {
	m, err := s.svc.Forecasts.Outlook(ctx, a, forecasting.Month)
	if err != nil {
		if errs.CodeOf(err) != errs.Forbidden {
			s.log.Error("forecast", "err", err)
		}
		return nil
	}
	w, err := s.svc.Forecasts.Outlook(ctx, a, forecasting.Week)
	if err != nil {
		s.log.Error("forecast", "err", err)
		return nil
	}
	v := &forecastView{Lang: lang, Month: m, Week: w, MonthJSON: chartJSON(m), WeekJSON: chartJSON(w), Series: m.Series}
	cats := s.svc.CategoryMap()
	band := func(b forecastingBand) string {
		return strconv.FormatFloat(b.Mean, 'f', 1, 64) + " (" + strconv.FormatFloat(b.Lo, 'f', 0, 64) + "–" + strconv.FormatFloat(b.Hi, 'f', 0, 64) + ")"
	}
	for i, r := range m.Rows {
		if i == forecastRows {
			break
		}
		cat := r.CategoryName
		if c, ok := cats[r.Category]; ok && lang == "en" && c.NameEN != "" {
			cat = c.NameEN
		}
		street := r.StreetName
		if street == "" {
			street = "—"
		}
		v.Rows = append(v.Rows, forecastRow{Category: cat, Street: street,
			Last: strconv.FormatFloat(r.Last, 'f', 0, 64), ToDate: strconv.FormatFloat(r.ToDate, 'f', 0, 64),
			Current: band(r.Current), Next: band(r.Next)})
	}
	return v
}

type forecastingBand = forecasting.Band

// chartJSON is what forecast.js draws: the outlook's chart points.
func chartJSON(o *forecasting.Outlook) string {
	b, err := json.Marshal(struct {
		Period string              `json:"period"`
		Points []forecasting.Point `json:"points"`
	}{o.Period, o.Chart})
	if err != nil {
		return "{}"
	}
	return string(b)
}
