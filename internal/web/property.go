package web

import (
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"whistle/internal/compound"
	"whistle/internal/errs"
	"whistle/internal/org"
	"whistle/internal/property"
)

// ---- property services (物业, issue #15): the property board and the
// residents' rating of their property company on the portal ----

func init() { pageNames = append(pageNames, "property", "property_rate") }

type propertyRow struct {
	property.Row
	Resp, Reso, Sat, Comp string
	Mean                  string
}

type propertyData struct {
	Month      string
	MonthLabel string
	Rows       []propertyRow
	Frozen     bool
	Quarter    string
}

// mayPropertyBoard: centre staff, and a property company's handlers and
// leaders (their own row).
func mayPropertyBoard(a org.Actor) bool {
	return org.CentreStaff(a) || (a.Unit.Kind == org.KindProperty && a.User.Has(org.RoleHandler, org.RoleLeader))
}

func fmtMean(p *float64) string {
	if p == nil {
		return "—"
	}
	return strconv.FormatFloat(*p, 'f', 2, 64)
}

// propertyPage is the property companies' board: the month's property
// group of the exam paper (物业服务企业排名) beside residents' ratings.
func (s *Server) propertyPage(w http.ResponseWriter, r *http.Request, a org.Actor) {
	if !mayPropertyBoard(a) {
		s.forbidden(w, r)
		return
	}
	p := s.newPage(r, &a, "property.title")
	d := &propertyData{Month: strings.TrimSpace(r.URL.Query().Get("month"))}
	if d.Month == "" {
		d.Month = s.lastMonth()
	}
	p.Form.Set("month", d.Month)
	p.Data = d
	per, err := s.svc.Ranking.AssessMonthPeriod(d.Month)
	if err != nil {
		s.render(w, s.explain(p, err), "property", p)
		return
	}
	d.MonthLabel = fmtMonth(p.Lang, d.Month, s.svc.Location())
	ctx, cancel := ctxTimeout(r)
	defer cancel()
	b, err := s.svc.Property.Board(ctx, a, per)
	if err != nil {
		s.render(w, s.explain(p, err), "property", p)
		return
	}
	d.Frozen, d.Quarter = b.Frozen, b.Quarter
	for _, row := range b.Rows {
		d.Rows = append(d.Rows, propertyRow{Row: row, Resp: fmtRate(row.Score.Response), Reso: fmtRate(row.Score.Resolution),
			Sat: fmtRate(row.Score.Satisfaction), Comp: fmtPoints(row.Score.Composite), Mean: fmtMean(row.Ratings.Mean)})
	}
	s.render(w, 200, "property", p)
}

type propertyRateData struct {
	Compounds []property.PublicCompound
	Done      *compound.Rating
	Scores    []int
}

func (s *Server) propertyRateRender(w http.ResponseWriter, r *http.Request, p *page, status int, done *compound.Rating) {
	d := &propertyRateData{Done: done, Scores: []int{5, 4, 3, 2, 1}}
	p.Data = d
	cs, err := s.svc.Property.PublicCompounds(r.Context())
	if err != nil && status < 400 {
		status = s.explain(p, err)
	}
	d.Compounds = cs
	s.render(w, status, "property_rate", p)
}

// propertyRatePage is the portal's form: a resident rates the property
// company of their compound.
func (s *Server) propertyRatePage(w http.ResponseWriter, r *http.Request) {
	p := s.newPage(r, nil, "property.rate_title")
	if id := r.URL.Query().Get("compound"); id != "" {
		p.Form.Set("compound_id", id)
	}
	s.propertyRateRender(w, r, p, 200, nil)
}

// propertyRateSubmit records a rating (rate-limited like the portal's
// submissions; one per phone per compound per quarter).
func (s *Server) propertyRateSubmit(w http.ResponseWriter, r *http.Request) {
	p := s.newPage(r, nil, "property.rate_title")
	ip, ok := s.portalForm(w, r, p, func(status int) { s.propertyRateRender(w, r, p, status, nil) })
	if !ok {
		return
	}
	score, err := strconv.Atoi(r.PostFormValue("score"))
	if err != nil || !slices.Contains([]int{1, 2, 3, 4, 5}, score) {
		p.Fields["score"] = errs.Message(errs.FieldRequired, p.Lang)
		p.Err = s.cat.T(p.Lang, "form.check_fields")
		s.propertyRateRender(w, r, p, 422, nil)
		return
	}
	rt, err := s.svc.Property.Rate(r.Context(), property.RateInput{CompoundID: formInt(r, "compound_id"), Score: score,
		Comment: r.PostFormValue("comment"), Phone: r.PostFormValue("phone")})
	s.submits.Fail(ip, time.Now()) // counts submissions
	if err != nil {
		status := s.explain(p, err)
		if errs.Is(err, errs.Exists) {
			p.Err, p.Fields = s.cat.T(p.Lang, "property.already_rated"), map[string]string{}
		}
		s.propertyRateRender(w, r, p, status, nil)
		return
	}
	p.Form = nil
	p.Flash = s.cat.T(p.Lang, "property.thanks")
	s.propertyRateRender(w, r, p, 201, &rt)
}

// mayCompoundsPage mirrors the service: administrators and the city
// centre's dispatchers keep the compounds.
func mayCompoundsPage(a org.Actor) bool { return property.MayManage(a) }
