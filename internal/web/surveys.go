package web

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"html/template"
	"net/http"
	"strconv"
	"strings"
	"time"

	"whistle/internal/consult"
	"whistle/internal/errs"
	"whistle/internal/org"
	"whistle/internal/participation"
)

// Surveys (民意征集, issue #15): residents answer on the portal (phone
// width), see the live results with charts, and print a poster with the
// survey's address; a street's or community's staff draft and publish them.

func init() {
	pageNames = append(pageNames, "survey_list", "survey_answer", "survey_results", "survey_print", "survey_staff", "survey_edit")
}

// surveyCookie keeps an anonymous respondent's browser token.
const surveyCookie = "whistle_survey"

// formSlots is how many question slots the staff's form offers.
const formSlots = 8

type surveyRow struct {
	S     consult.Survey
	Open  bool
	Where string
}

func (s *Server) surveyRows(list []consult.Survey) []surveyRow {
	now := s.svc.Now()
	out := make([]surveyRow, 0, len(list))
	for _, sv := range list {
		var names []string
		for _, id := range sv.PlaceIDs {
			if p, ok := s.svc.Place(id); ok {
				names = append(names, p.Name)
			}
		}
		out = append(out, surveyRow{S: sv, Open: sv.OpenAt(now), Where: strings.Join(names, "、")})
	}
	return out
}

// surveyListPage lists the surveys residents may answer or read.
func (s *Server) surveyListPage(w http.ResponseWriter, r *http.Request) {
	p := s.newPage(r, nil, "survey.portal_title")
	ctx, cancel := ctxTimeout(r)
	defer cancel()
	place, _ := strconv.ParseInt(r.URL.Query().Get("place"), 10, 64)
	list, err := s.svc.Consult.PublicSurveys(ctx, place)
	if err != nil {
		s.render(w, s.explain(p, err), "survey_list", p)
		return
	}
	p.Data = s.surveyRows(list)
	s.render(w, 200, "survey_list", p)
}

type answerData struct {
	S        *consult.Survey
	Open     bool
	Answered bool
	Picked   map[string]bool // "q0:1" → ticked, kept when the form comes back
}

func surveyID(r *http.Request) (int64, bool) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	return id, err == nil && id > 0
}

// browserToken returns the anonymous respondent's token, setting the
// cookie when the browser has none.
func browserToken(w http.ResponseWriter, r *http.Request) string {
	if c, err := r.Cookie(surveyCookie); err == nil && len(c.Value) >= 16 && len(c.Value) <= 64 {
		return c.Value
	}
	b := make([]byte, 18)
	_, _ = rand.Read(b)
	v := base64.RawURLEncoding.EncodeToString(b)
	http.SetCookie(w, &http.Cookie{Name: surveyCookie, Value: v, Path: "/portal/surveys", MaxAge: 400 * 24 * 3600, HttpOnly: true,
		SameSite: http.SameSiteLaxMode, Secure: r.TLS != nil})
	return v
}

// surveyAnswerPage shows a survey's form (or that it is closed).
func (s *Server) surveyAnswerPage(w http.ResponseWriter, r *http.Request) {
	p := s.newPage(r, nil, "survey.portal_title")
	id, ok := surveyID(r)
	if !ok {
		s.errorPage(w, r, 404, errs.Message(errs.NotFound, p.Lang))
		return
	}
	ctx, cancel := ctxTimeout(r)
	defer cancel()
	sv, err := s.svc.Consult.PublicSurvey(ctx, id)
	if err != nil {
		s.failPage(w, r, err)
		return
	}
	d := answerData{S: sv, Open: sv.OpenAt(s.svc.Now()), Picked: map[string]bool{}}
	if sv.AllowAnonymous {
		d.Answered = s.svc.Consult.Answered(ctx, id, participation.Respondent{Cookie: browserToken(w, r)})
	}
	p.Title = sv.Title
	p.Data = d
	s.render(w, 200, "survey_answer", p)
}

// repliesFrom reads the answer form: q<i> holds the option(s) or the
// scale step, or the text.
func repliesFrom(sv *consult.Survey, form map[string][]string) ([]consult.Reply, map[string]bool, error) {
	rs := make([]consult.Reply, len(sv.Questions))
	picked := map[string]bool{}
	for i, q := range sv.Questions {
		name := fmt.Sprintf("q%d", i)
		vals := form[name]
		switch q.Kind {
		case consult.Single, consult.Multi:
			for _, v := range vals {
				n, err := strconv.Atoi(v)
				if err != nil {
					return rs, picked, &errs.Error{Code: errs.Invalid, Field: name}
				}
				rs[i].Choices = append(rs[i].Choices, n)
				picked[fmt.Sprintf("%s:%d", name, n)] = true
			}
		case consult.Scale:
			if len(vals) > 0 && vals[0] != "" {
				n, err := strconv.Atoi(vals[0])
				if err != nil {
					return rs, picked, &errs.Error{Code: errs.Invalid, Field: name}
				}
				rs[i].Scale = n
				picked[fmt.Sprintf("%s:%d", name, n)] = true
			}
		case consult.Text:
			if len(vals) > 0 {
				rs[i].Text = vals[0]
			}
		}
	}
	return rs, picked, nil
}

// surveyAnswer records a resident's answer and shows the results.
func (s *Server) surveyAnswer(w http.ResponseWriter, r *http.Request) {
	p := s.newPage(r, nil, "survey.portal_title")
	id, ok := surveyID(r)
	if !ok {
		s.errorPage(w, r, 404, errs.Message(errs.NotFound, p.Lang))
		return
	}
	if err := r.ParseForm(); err != nil {
		s.errorPage(w, r, 400, s.cat.T(p.Lang, "error.bad_form"))
		return
	}
	p.Form = r.PostForm
	ctx, cancel := ctxTimeout(r)
	defer cancel()
	sv, err := s.svc.Consult.PublicSurvey(ctx, id)
	if err != nil {
		s.failPage(w, r, err)
		return
	}
	p.Title = sv.Title
	d := answerData{S: sv, Open: sv.OpenAt(s.svc.Now())}
	ip := clientIP(r)
	if !s.submits.Allowed(ip, time.Now()) {
		p.Err = errs.Message(errs.RateLimited, p.Lang)
		p.Data = d
		s.render(w, 429, "survey_answer", p)
		return
	}
	rs, picked, err := repliesFrom(sv, r.PostForm)
	d.Picked = picked
	if err == nil {
		who := participation.Respondent{Phone: strings.TrimSpace(r.PostFormValue("phone"))}
		if who.Phone == "" && sv.AllowAnonymous {
			who.Cookie = browserToken(w, r)
		}
		err = s.svc.Consult.Answer(ctx, id, who, rs)
	}
	if err != nil {
		if errs.CodeOf(err) == errs.Exists {
			d.Answered = true
		}
		p.Data = d
		s.render(w, s.explain(p, err), "survey_answer", p)
		return
	}
	s.submits.Fail(ip, time.Now()) // counts answers per address
	http.Redirect(w, r, withFlash(fmt.Sprintf("/portal/surveys/%d/results", id), s.cat.T(p.Lang, "survey.thanks")), http.StatusSeeOther)
}

type resultQuestion struct {
	consult.QuestionResult
	Index  int
	Chart  string // ECharts option as JSON (choices and scales)
	Rows   []resultRow
	Groups []resultGroup
}

type resultRow struct {
	Label string
	N     int
	Pct   int
}

type resultGroup struct {
	Label   string
	N       int
	Example string
}

type resultsData struct {
	S         *consult.Survey
	Answers   int
	Questions []resultQuestion
	Open      bool
	Staff     bool
}

func (s *Server) resultsData(lang string, res *participation.Results) resultsData {
	d := resultsData{S: res.Survey, Answers: res.Answers, Open: res.Survey.OpenAt(s.svc.Now())}
	for i, q := range res.Questions {
		rq := resultQuestion{QuestionResult: q, Index: i}
		var labels []string
		switch q.Kind {
		case consult.Single, consult.Multi:
			labels = q.Options
		case consult.Scale:
			for n := 1; n <= 5; n++ {
				labels = append(labels, strconv.Itoa(n))
			}
		}
		for j, l := range labels {
			pct := 0
			if q.Answered > 0 {
				pct = q.Counts[j] * 100 / q.Answered
			}
			rq.Rows = append(rq.Rows, resultRow{Label: l, N: q.Counts[j], Pct: pct})
		}
		if len(labels) > 0 {
			chart := map[string]any{
				"grid":    map[string]any{"left": 8, "right": 24, "top": 8, "bottom": 8, "containLabel": true},
				"tooltip": map[string]any{},
				"xAxis":   map[string]any{"type": "value", "minInterval": 1},
				"yAxis":   map[string]any{"type": "category", "data": labels, "inverse": true},
				"series":  []any{map[string]any{"type": "bar", "data": q.Counts, "itemStyle": map[string]any{"color": "#c8102e"}, "label": map[string]any{"show": true, "position": "right"}}},
			}
			b, _ := json.Marshal(chart)
			rq.Chart = string(b)
		}
		for _, g := range res.Groups[i] {
			label := g.Label
			if label == "" {
				label = s.cat.T(lang, "survey.other_texts")
			}
			rq.Groups = append(rq.Groups, resultGroup{Label: label, N: len(g.Texts), Example: g.Example})
		}
		d.Questions = append(d.Questions, rq)
	}
	return d
}

// surveyResultsPage shows a survey's live results.
func (s *Server) surveyResultsPage(w http.ResponseWriter, r *http.Request) {
	p := s.newPage(r, nil, "survey.results_title")
	id, ok := surveyID(r)
	if !ok {
		s.errorPage(w, r, 404, errs.Message(errs.NotFound, p.Lang))
		return
	}
	ctx, cancel := ctxTimeout(r)
	defer cancel()
	res, err := s.svc.Consult.PublicResults(ctx, id)
	if err != nil {
		s.failPage(w, r, err)
		return
	}
	p.Title = res.Survey.Title
	p.Data = s.resultsData(p.Lang, res)
	s.render(w, 200, "survey_results", p)
}

type printData struct {
	S   *consult.Survey
	URL string
	QR  template.HTML // the address as a QR code (SVG drawn by consult.EncodeQR, no user markup)
}

// surveyPrintPage is the poster to print: the survey's title, period,
// address and the address as a QR code (consult.EncodeQR: byte mode,
// level M; an address too long for version 10 shows the address only).
func (s *Server) surveyPrintPage(w http.ResponseWriter, r *http.Request) {
	p := s.newPage(r, nil, "survey.print_title")
	id, ok := surveyID(r)
	if !ok {
		s.errorPage(w, r, 404, errs.Message(errs.NotFound, p.Lang))
		return
	}
	ctx, cancel := ctxTimeout(r)
	defer cancel()
	sv, err := s.svc.Consult.PublicSurvey(ctx, id)
	if err != nil {
		s.failPage(w, r, err)
		return
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	p.Title = sv.Title
	d := printData{S: sv, URL: fmt.Sprintf("%s://%s/portal/surveys/%d", scheme, r.Host, sv.ID)}
	if q, err := consult.EncodeQR(d.URL); err == nil {
		d.QR = template.HTML(q.SVG())
	}
	p.Data = d
	s.render(w, 200, "survey_print", p)
}

// ---- staff ----

type staffSurveysData struct {
	Rows   []surveyRow
	May    bool // the actor's unit may draft surveys
	Places []placeOption
	Slots  []int
	Kinds  []string
}

type placeOption struct {
	ID   int64
	Name string
}

// areaPlaces lists the actor's unit's place and the places right below it.
func (s *Server) areaPlaces(a org.Actor) []placeOption {
	if a.Unit.PlaceID == 0 {
		return nil
	}
	var out []placeOption
	if pl, ok := s.svc.Place(a.Unit.PlaceID); ok {
		out = append(out, placeOption{pl.ID, pl.Name})
	}
	for _, c := range s.svc.Children(a.Unit.PlaceID) {
		out = append(out, placeOption{c.ID, "· " + c.Name})
	}
	return out
}

func mayDraft(a org.Actor) bool {
	return a.User.Has(org.RoleHandler, org.RoleLeader) && !a.Unit.IsCentre() && a.Unit.PlaceID != 0
}

// surveysPage lists a unit's surveys (the centre's of its area) and offers
// the form of a new one.
func (s *Server) surveysPage(w http.ResponseWriter, r *http.Request, a org.Actor) {
	p := s.newPage(r, &a, "survey.staff_title")
	s.renderSurveys(w, r, a, p, 200)
}

func (s *Server) renderSurveys(w http.ResponseWriter, r *http.Request, a org.Actor, p *page, status int) {
	d := staffSurveysData{May: mayDraft(a), Places: s.areaPlaces(a), Kinds: consult.Kinds}
	for i := range formSlots {
		d.Slots = append(d.Slots, i)
	}
	ctx, cancel := ctxTimeout(r)
	defer cancel()
	list, err := s.svc.Consult.Surveys(ctx, a)
	if err != nil {
		if errs.CodeOf(err) == errs.Forbidden {
			s.errorPage(w, r, 403, errs.Message(errs.Forbidden, p.Lang))
			return
		}
		status = s.explain(p, err)
	}
	d.Rows = s.surveyRows(list)
	p.Data = d
	s.render(w, status, "survey_staff", p)
}

// surveyFromForm reads the staff's form: title, intro, audience, period
// (dates in the city's zone), anonymous answers and the question slots.
func (s *Server) surveyFromForm(r *http.Request) (consult.Survey, error) {
	f := r.PostForm
	sv := consult.Survey{Title: f.Get("title"), Intro: f.Get("intro"), AllowAnonymous: f.Get("allow_anonymous") == "1"}
	for _, v := range f["place_ids"] {
		id, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return sv, &errs.Error{Code: errs.Invalid, Field: "place_ids"}
		}
		sv.PlaceIDs = append(sv.PlaceIDs, id)
	}
	loc := s.svc.Location()
	day := func(name string) (time.Time, error) {
		v := strings.TrimSpace(f.Get(name))
		if v == "" {
			return time.Time{}, &errs.Error{Code: errs.FieldRequired, Field: name}
		}
		t, err := time.ParseInLocation("2006-01-02", v, loc)
		if err != nil {
			return t, &errs.Error{Code: errs.Invalid, Field: name}
		}
		return t, nil
	}
	var err error
	if sv.OpensAt, err = day("opens_on"); err != nil {
		return sv, err
	}
	if sv.ClosesAt, err = day("closes_on"); err != nil {
		return sv, err
	}
	sv.ClosesAt = sv.ClosesAt.AddDate(0, 0, 1) // to the end of that day
	if now := s.svc.Now(); sv.OpensAt.Before(now) && sv.OpensAt.After(now.AddDate(0, 0, -1)) {
		sv.OpensAt = now // today: from now on
	}
	for i := range formSlots {
		text := strings.TrimSpace(f.Get(fmt.Sprintf("q%d_text", i)))
		if text == "" {
			continue
		}
		q := consult.Question{Kind: f.Get(fmt.Sprintf("q%d_kind", i)), Text: text, Required: f.Get(fmt.Sprintf("q%d_required", i)) == "1"}
		for _, o := range strings.Split(f.Get(fmt.Sprintf("q%d_options", i)), "\n") {
			if o = strings.TrimSpace(o); o != "" {
				q.Options = append(q.Options, o)
			}
		}
		sv.Questions = append(sv.Questions, q)
	}
	return sv, nil
}

// surveyCreate drafts a survey and opens it.
func (s *Server) surveyCreate(w http.ResponseWriter, r *http.Request, a org.Actor) {
	p := s.newPage(r, &a, "survey.staff_title")
	if err := r.ParseForm(); err != nil {
		s.errorPage(w, r, 400, s.cat.T(p.Lang, "error.bad_form"))
		return
	}
	p.Form = r.PostForm
	ctx, cancel := ctxTimeout(r)
	defer cancel()
	in, err := s.surveyFromForm(r)
	var sv *consult.Survey
	if err == nil {
		sv, err = s.svc.Consult.CreateSurvey(ctx, a, in)
	}
	if err != nil {
		if errs.CodeOf(err) == errs.Forbidden {
			s.errorPage(w, r, 403, errs.Message(errs.Forbidden, p.Lang))
			return
		}
		s.renderSurveys(w, r, a, p, s.explain(p, err))
		return
	}
	http.Redirect(w, r, withFlash(fmt.Sprintf("/surveys/%d", sv.ID), s.cat.T(p.Lang, "survey.created")), http.StatusSeeOther)
}

type staffSurveyData struct {
	S       *consult.Survey
	Mine    bool
	Open    bool
	Where   string
	Results resultsData
}

// surveyPage shows a survey to its staff: questions, state, results, and
// the actions its state allows.
func (s *Server) surveyPage(w http.ResponseWriter, r *http.Request, a org.Actor) {
	p := s.newPage(r, &a, "survey.staff_title")
	id, ok := surveyID(r)
	if !ok {
		s.errorPage(w, r, 404, errs.Message(errs.NotFound, p.Lang))
		return
	}
	ctx, cancel := ctxTimeout(r)
	defer cancel()
	res, err := s.svc.Consult.SurveyResults(ctx, a, id)
	if err != nil {
		s.failPage(w, r, err)
		return
	}
	rows := s.surveyRows([]consult.Survey{*res.Survey})
	p.Title = res.Survey.Title
	p.Data = staffSurveyData{S: res.Survey, Mine: mayDraft(a) && a.Unit.ID == res.Survey.UnitID, Open: rows[0].Open, Where: rows[0].Where,
		Results: s.resultsData(p.Lang, res)}
	s.render(w, 200, "survey_edit", p)
}

// surveyAct publishes or closes a survey.
func (s *Server) surveyAct(action string) func(http.ResponseWriter, *http.Request, org.Actor) {
	return func(w http.ResponseWriter, r *http.Request, a org.Actor) {
		p := s.newPage(r, &a, "survey.staff_title")
		id, ok := surveyID(r)
		if !ok {
			s.errorPage(w, r, 404, errs.Message(errs.NotFound, p.Lang))
			return
		}
		ctx, cancel := ctxTimeout(r)
		defer cancel()
		var err error
		if action == "publish" {
			_, err = s.svc.Consult.PublishSurvey(ctx, a, id)
		} else {
			_, err = s.svc.Consult.CloseSurvey(ctx, a, id)
		}
		target := fmt.Sprintf("/surveys/%d", id)
		if err != nil {
			if c := errs.CodeOf(err); c == errs.NotFound || c == errs.Forbidden {
				s.failPage(w, r, err)
				return
			}
			s.explain(p, err) // the message in the user's language, shown as the flash
			http.Redirect(w, r, withFlash(target, p.Err+" "+strings.Join(mapValues(p.Fields), " ")), http.StatusSeeOther)
			return
		}
		http.Redirect(w, r, withFlash(target, s.cat.T(p.Lang, "survey.done_"+action)), http.StatusSeeOther)
	}
}

func mapValues(m map[string]string) []string {
	var out []string
	for _, v := range m {
		out = append(out, v)
	}
	return out
}
