package web

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"

	"whistle/internal/errs"
	"whistle/internal/governance"
	"whistle/internal/insight"
	"whistle/internal/org"
)

func init() { pageNames = append(pageNames, "insight") }

// The analysis workbench (issue #12): filters, the ranked candidates for
// 每月一题 with their evidence, the anomaly table, terms, topics, repeats,
// units, the hotspot map, drill-down to the case list on every count, and
// the XLSX export.

type insightOption struct {
	Value, Label string
	Selected     bool
}

type insightLink struct {
	Label string
	N     int
	Href  string
}

type insightComp struct {
	Name          string
	Value, Points string
}

type insightCand struct {
	Rank                            int
	Subject, Why                    string
	Phrases                         string // a topic's phrases not in its title
	Score                           string
	Components                      []insightComp
	Volume                          insightLink
	Expected, ChangePrev, ChangeYoY string
	RepeatShare, Dissatisfaction    string
	Places, Units                   []insightLink
	Examples                        []insightLink
	TopicHref                       string
}

type insightAnom struct {
	Flag                                 bool
	Category, Level, Place               string
	Count                                insightLink
	Expected, Prev, ChangePrev, LastYear string
	ChangeYoY, Q                         string
}

type insightTerm struct {
	Text              string
	Cur, Base         int
	CurShare, Lift, Q string
}

type insightTopic struct {
	Title      string
	Phrases    string // the phrases not in the title
	Cur, Base  int
	Lift       string
	Emerging   bool
	Places     []insightLink
	Categories []insightLink
	Examples   []insightLink
}

type insightRepeat struct {
	Kind, Category, Place, Key string
	N                          int
	First, Last                string
	Requests                   []insightLink
}

type insightUnit struct {
	Unit                 string
	Rated, Unsatis       int
	Rate, PrevRate, Z, Q string
	Flag                 bool
}

type insightHot struct {
	Category   string
	Grids      int
	Streets    []insightLink
	Count      int
	Expected   string
	MaxZ, MinQ string
	Terms      string
	Examples   []insightLink
}

// insightMapSpot is what the map script draws: the grids of a hotspot and
// the numbers of its popup, all as text.
type insightMapSpot struct {
	Grids []string `json:"grids"`
	// Points stand in for the grids without a boundary: the mean of their
	// requests' coordinates, else a point of the place above them.
	Points   [][2]float64 `json:"points"`
	Z        float64      `json:"z"`
	Category string       `json:"category"`
	Label    string       `json:"label"`
}

type insightData struct {
	Places, Categories                  []insightOption
	RunID                               int64
	Period, Baseline, Trend, Dispersion string
	Requests, Sampled                   int
	Took, Created                       string
	Candidates                          []insightCand
	Anomalies                           []insightAnom // the most significant flagged cells
	MoreAnomalies                       []insightAnom // the other flagged cells, then the busiest others
	Flagged, Tested                     int
	Rising, Falling                     []insightTerm
	Topics                              []insightTopic
	Repeats                             []insightRepeat
	Units                               []insightUnit
	Hotspots                            []insightHot
	MapJSON                             string
	ExportHref, FreshHref               string
	Ready                               bool
	Forecast                            *forecastView // 未诉先办 forecasts (issue #16); nil: none
}

func (s *Server) insightPage(w http.ResponseWriter, r *http.Request, a org.Actor) {
	p := s.newPage(r, &a, "workbench.title")
	q := r.URL.Query()
	f, err := governance.ParseFilter(q, s.svc.Now())
	for k, v := range f.Query() {
		p.Form[k] = v
	}
	d := &insightData{MapJSON: "[]"}
	p.Data = d
	s.insightOptions(p, a, d, f)
	if err != nil {
		for _, fe := range errs.FieldsOf(err) {
			p.Fields[fe.Field] = errs.Message(fe.Code, p.Lang)
			p.Form.Set(fe.Field, q.Get(fe.Field))
		}
		p.Err = s.cat.T(p.Lang, "form.check_fields")
		s.render(w, 422, "insight", p)
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), 60*time.Second)
	defer cancel()
	d.Forecast = s.forecastFor(ctx, a, p.Lang)
	var an *governance.Analysis
	if q.Get("fresh") == "1" {
		an, err = s.svc.Insight.Analyze(ctx, a, f)
	} else {
		an, err = s.svc.Insight.LatestAnalysis(ctx, a, f)
	}
	if err != nil {
		if errs.CodeOf(err) == errs.Forbidden {
			s.errorPage(w, r, 403, errs.Message(errs.Forbidden, p.Lang))
			return
		}
		if fs := errs.FieldsOf(err); len(fs) > 0 {
			for _, fe := range fs {
				if fe.Field != "" {
					p.Fields[fe.Field] = errs.Message(fe.Code, p.Lang)
				}
			}
		}
		s.render(w, s.explain(p, err), "insight", p)
		return
	}
	s.insightView(p, d, an)
	s.render(w, 200, "insight", p)
}

// insightOptions fills the place and category selects: the districts and
// streets the actor may analyse.
func (s *Server) insightOptions(p *page, a org.Actor, d *insightData, f governance.Filter) {
	district, all, _ := org.CentreDistrict(a)
	var places []org.Place
	for _, pl := range s.svc.PlaceMap() {
		if pl.Level != org.LevelDistrict && pl.Level != org.LevelStreet {
			continue
		}
		if ch, _ := s.svc.Chain(pl.ID); !all && ch[0] != district {
			continue
		}
		places = append(places, pl)
	}
	sort.Slice(places, func(i, j int) bool {
		ci, _ := s.svc.Chain(places[i].ID)
		cj, _ := s.svc.Chain(places[j].ID)
		if ci[0] != cj[0] {
			return ci[0] < cj[0]
		}
		if places[i].Level != places[j].Level {
			return places[i].Level == org.LevelDistrict
		}
		return places[i].ID < places[j].ID
	})
	if all {
		d.Places = append(d.Places, insightOption{Value: "", Label: s.cat.T(p.Lang, "workbench.city"), Selected: f.PlaceID == 0})
	}
	for _, pl := range places {
		label := pl.Name
		if pl.Level == org.LevelStreet {
			label = "— " + label
		}
		d.Places = append(d.Places, insightOption{Value: strconv.FormatInt(pl.ID, 10), Label: label, Selected: pl.ID == f.PlaceID})
	}
	cats := s.svc.Categories()
	sort.Slice(cats, func(i, j int) bool { return cats[i].Code < cats[j].Code })
	d.Categories = append(d.Categories, insightOption{Value: "", Label: s.cat.T(p.Lang, "workbench.all_categories"), Selected: len(f.Categories) == 0})
	for _, c := range cats {
		label := c.NameZH
		if p.Lang == "en" && c.NameEN != "" {
			label = c.NameEN
		}
		if c.Parent != "" {
			label = "— " + label
		}
		d.Categories = append(d.Categories, insightOption{Value: c.Code, Label: label, Selected: len(f.Categories) == 1 && f.Categories[0] == c.Code})
	}
}

func fnum(f float64, prec int) string {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return "—"
	}
	return strconv.FormatFloat(f, 'f', prec, 64)
}

func fpct(f float64) string {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return "—"
	}
	return fmt.Sprintf("%+.0f%%", f*100)
}

func fshare(f float64) string {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return "—"
	}
	return fmt.Sprintf("%.0f%%", f*100)
}

func fq(f float64) string {
	if math.IsNaN(f) {
		return "—"
	}
	return strconv.FormatFloat(f, 'g', 2, 64)
}

func caseNumberHref(n string) string { return "/cases?number=" + url.QueryEscape(n) }

func (s *Server) insightView(p *page, d *insightData, an *governance.Analysis) {
	rep := an.Report
	lang := p.Lang
	name := func(id string) string {
		if id == "" {
			return s.cat.T(lang, "workbench.city")
		}
		if c, ok := s.svc.Category(id); ok && lang == "en" && c.NameEN != "" {
			return c.NameEN
		}
		if n := an.Names[id]; n != "" {
			return n
		}
		return id
	}
	catName := func(c string) string {
		if c == "" {
			return s.cat.T(lang, "workbench.all_categories")
		}
		return name(c)
	}
	unitName := func(id string) string {
		if n := an.Names[governance.UnitKey(id)]; n != "" {
			return n
		}
		return id
	}
	examples := func(ids []string) []insightLink {
		var out []insightLink
		for _, id := range ids {
			out = append(out, insightLink{Label: id, Href: caseNumberHref(id)})
		}
		return out
	}
	d.Ready = true
	d.RunID = an.RunID
	d.Period = rep.From.String() + " – " + rep.To.String()
	d.Baseline = s.cat.T(lang, "workbench.baseline."+rep.Baseline)
	d.Trend, d.Dispersion = s.insightTrend(lang, rep), fnum(rep.Dispersion, 2)
	d.Requests, d.Sampled = an.Requests, an.Sampled
	d.Took = an.Took.Round(time.Millisecond).String()
	d.Created = fmtDateTime(lang, an.CreatedAt, s.svc.Location())
	qs := an.Filter.Query()
	d.ExportHref = "/api/v1/insight/export.xlsx?" + qs.Encode()
	qs.Set("fresh", "1")
	d.FreshHref = "/insight?" + qs.Encode()
	d.Tested = rep.Tested

	for _, c := range rep.Candidates {
		why := c.WhyZh
		if lang == "en" {
			why = c.WhyEn
		}
		subj := catName(c.Category)
		var more []string
		if c.Kind == "topic" {
			var title []string
			title, more = insight.Topic{Terms: c.Terms, Phrases: c.Phrases}.TitleParts(3)
			subj = strings.Join(title, "、")
		}
		cr := insightCand{Rank: c.Rank, Subject: subj, Why: why, Score: fnum(c.Score, 2), Phrases: strings.Join(more, "、"),
			Volume:   insightLink{N: c.Volume, Href: an.Drill(c.Category, "", "")},
			Expected: fnum(c.Expected, 1), ChangePrev: fpct(c.ChangePrev), ChangeYoY: fpct(c.ChangeYoY),
			RepeatShare: fshare(c.RepeatShare), Dissatisfaction: fshare(c.Dissatisfaction),
			Examples:  examples(c.Examples),
			TopicHref: "/topics/new?run=" + strconv.FormatInt(an.RunID, 10) + "&candidate=" + strconv.Itoa(c.Rank)}
		for _, comp := range c.Components {
			cr.Components = append(cr.Components, insightComp{Name: s.cat.T(lang, "workbench.comp."+comp.Key), Value: fnum(comp.Value, 2), Points: fnum(comp.Points, 2)})
		}
		for _, pl := range c.Places {
			cr.Places = append(cr.Places, insightLink{Label: name(pl.Place), N: pl.Count, Href: an.Drill(c.Category, pl.Level, pl.Place)})
		}
		for _, u := range c.Units {
			cr.Units = append(cr.Units, insightLink{Label: unitName(u.Key), N: u.N})
		}
		d.Candidates = append(d.Candidates, cr)
	}

	// The page shows the most significant flagged cells; the other flagged
	// cells and the busiest cells not flagged are one click away.
	const shownAnomalies = 30
	var rest []insightAnom
	for _, a := range rep.Anomalies {
		ly := "—"
		if a.LastYear >= 0 {
			ly = strconv.Itoa(a.LastYear)
		}
		row := insightAnom{Flag: a.Flag, Category: catName(a.Category), Level: s.cat.T(lang, "workbench.level."+a.Level), Place: name(a.Place),
			Count: insightLink{N: a.Count, Href: an.Drill(a.Category, a.Level, a.Place)}, Expected: fnum(a.Expected, 1), Prev: strconv.Itoa(a.Prev),
			ChangePrev: fpct(a.ChangePrev), LastYear: ly, ChangeYoY: fpct(a.ChangeYoY), Q: fq(a.Q)}
		if a.Flag {
			if d.Flagged < shownAnomalies {
				d.Anomalies = append(d.Anomalies, row)
			} else {
				d.MoreAnomalies = append(d.MoreAnomalies, row)
			}
			d.Flagged++
		} else if a.Count > 0 {
			rest = append(rest, row)
		}
	}
	sort.SliceStable(rest, func(i, j int) bool { return rest[i].Count.N > rest[j].Count.N })
	if len(rest) > 30 {
		rest = rest[:30]
	}
	d.MoreAnomalies = append(d.MoreAnomalies, rest...)

	term := func(ts []insight.Term) []insightTerm {
		var out []insightTerm
		for i, t := range ts {
			if i == 15 {
				break
			}
			out = append(out, insightTerm{Text: t.Text, Cur: t.Cur, Base: t.Base, CurShare: fshare(t.CurShare), Lift: fnum(t.Lift, 1), Q: fq(t.Q)})
		}
		return out
	}
	d.Rising, d.Falling = term(rep.Rising), term(rep.Falling)
	for _, t := range rep.Topics {
		title, more := t.TitleParts(3)
		tr := insightTopic{Title: strings.Join(title, "、"), Phrases: strings.Join(more, "、"), Cur: t.Cur, Base: t.Base, Lift: fnum(t.Lift, 1), Emerging: t.Emerging, Examples: examples(t.Examples)}
		for _, c := range t.Places {
			tr.Places = append(tr.Places, insightLink{Label: name(c.Key), N: c.N})
		}
		for _, c := range t.Categories {
			tr.Categories = append(tr.Categories, insightLink{Label: catName(c.Key), N: c.N, Href: an.Drill(c.Key, "", "")})
		}
		d.Topics = append(d.Topics, tr)
	}
	for _, r := range rep.PlaceRepeats {
		d.Repeats = append(d.Repeats, insightRepeat{Kind: s.cat.T(lang, "workbench.repeat.place"), Category: catName(r.Category), Place: name(r.Grid), Key: shortKey(r.AddressKey),
			N: r.N, First: r.FirstDay.String(), Last: r.LastDay.String(), Requests: examples(r.IDs)})
	}
	for _, r := range rep.CallerRepeat {
		var cats []string
		for _, c := range r.Categories {
			cats = append(cats, catName(c.Key))
		}
		d.Repeats = append(d.Repeats, insightRepeat{Kind: s.cat.T(lang, "workbench.repeat.caller"), Category: strings.Join(cats, "、"), Key: shortKey(r.PhoneKey), N: r.N, Requests: examples(r.IDs)})
	}
	for _, r := range rep.Reopened {
		d.Repeats = append(d.Repeats, insightRepeat{Kind: s.cat.T(lang, "workbench.repeat.reopened"), Category: catName(r.Category), Place: unitName(r.Unit), N: r.N, Requests: examples(r.IDs)})
	}
	for _, u := range rep.Units {
		d.Units = append(d.Units, insightUnit{Unit: unitName(u.Unit), Rated: u.Rated, Unsatis: u.Unsatis, Rate: fshare(u.Rate), PrevRate: fshare(u.PrevRate), Z: fnum(u.Z, 1), Q: fq(u.Q), Flag: u.Flag})
	}
	var spots []insightMapSpot
	for _, h := range rep.Hotspots {
		hr := insightHot{Category: catName(h.Category), Grids: len(h.Grids), Count: h.Count, Expected: fnum(h.Expected, 1), MaxZ: fnum(h.MaxZ, 1), MinQ: fq(h.MinQ),
			Terms: strings.Join(h.Terms, "、"), Examples: examples(h.Examples)}
		for _, st := range h.Streets {
			hr.Streets = append(hr.Streets, insightLink{Label: name(st.Key), N: st.N, Href: an.Drill(h.Category, insight.Street, st.Key)})
		}
		d.Hotspots = append(d.Hotspots, hr)
		z := h.MaxZ
		if math.IsNaN(z) || math.IsInf(z, 0) {
			z = 0
		}
		spot := insightMapSpot{Grids: h.Grids, Z: z, Category: catName(h.Category), Points: [][2]float64{},
			Label: s.cat.T(lang, "workbench.map_label", catName(h.Category), h.Count, fnum(h.Expected, 1), fnum(h.MaxZ, 1))}
		for _, g := range h.Grids {
			gid, _ := strconv.ParseInt(g, 10, 64)
			if pl, ok := s.svc.Place(gid); ok && pl.Boundary != "" {
				continue // drawn from its boundary
			}
			if pt, ok := an.GridPoints[g]; ok {
				spot.Points = append(spot.Points, pt)
			} else if l, ok := s.svc.ApproxLocation(gid, ""); ok && l.Lat != nil && l.Lon != nil {
				spot.Points = append(spot.Points, [2]float64{*l.Lat, *l.Lon})
			}
		}
		spots = append(spots, spot)
	}
	if b, err := json.Marshal(spots); err == nil && spots != nil {
		d.MapJSON = string(b)
	}
}

// insightTrend is the city's volume against one baseline period: the trend
// R is against the whole baseline, which sums BaselinePeriods periods.
func (s *Server) insightTrend(lang string, rep *insight.Report) string {
	switch {
	case rep.Baseline == "none":
		return "—"
	case rep.BaselinePeriods == 1:
		return s.cat.T(lang, "workbench.trend.last-year", fnum(rep.Trend, 2))
	case rep.BaselinePeriods > 1:
		return s.cat.T(lang, "workbench.trend.recent", fnum(rep.Trend*float64(rep.BaselinePeriods), 2), rep.BaselinePeriods)
	}
	// a run stored before the report counted the baseline's periods
	return s.cat.T(lang, "workbench.trend.sum", fnum(rep.Trend, 2))
}

func shortKey(h string) string {
	if len(h) > 8 {
		return h[:8]
	}
	return h
}
