package web

import (
	"bytes"
	"context"
	"fmt"
	"html/template"
	"math"
	"net/http"
	"os/exec"
	"strconv"
	"strings"
	"time"

	"github.com/chromedp/cdproto/cdp"
	cdppage "github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"whistle/internal/agenda"
	"whistle/internal/errs"
	"whistle/internal/governance"
	"whistle/internal/org"
)

// 每月一题 pages: the list, a topic with its tasks and tracking, the form
// that creates one (from a candidate of a stored analysis or by hand), and
// the monthly report as a page and as a PDF.

func init() {
	pageNames = append(pageNames, "topics", "topic", "topicnew", "report")
}

type topicsData struct {
	Topics []*agenda.Topic
	Manage bool
	Month  string
}

func (s *Server) topicsPage(w http.ResponseWriter, r *http.Request, a org.Actor) {
	p := s.newPage(r, &a, "topics.title")
	ctx, cancel := ctxTimeout(r)
	defer cancel()
	ts, err := s.svc.Insight.Topics(ctx, a)
	d := topicsData{Topics: ts, Manage: agenda.MayManageTopics(a), Month: s.svc.Now().Format("2006-01")}
	p.Data = d
	if err != nil {
		s.render(w, s.explain(p, err), "topics", p)
		return
	}
	s.render(w, 200, "topics", p)
}

type topicData struct {
	V      *governance.TopicView
	Manage bool
	Chart  template.HTML
}

func (s *Server) topicPage(w http.ResponseWriter, r *http.Request, a org.Actor) {
	p := s.newPage(r, &a, "topics.title")
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		s.errorPage(w, r, 404, errs.Message(errs.NotFound, p.Lang))
		return
	}
	ctx, cancel := ctxTimeout(r)
	defer cancel()
	v, err := s.svc.Insight.Topic(ctx, a, id)
	if err != nil {
		s.errorPage(w, r, s.explain(p, err), p.Err)
		return
	}
	p.Title = v.Topic.Title
	p.Data = topicData{V: v, Manage: agenda.MayManageTopics(a), Chart: s.weeksChart(p.Lang, v.Tracking)}
	s.render(w, 200, "topic", p)
}

type topicNewData struct {
	Units    []org.Unit
	Draft    *governance.CandidateDraft
	TaskRows []int
	// The criteria as typed, named under their fields (codes and ids are
	// what the form takes, names what the user reads).
	Categories []string
	Places     []int64
}

// name reads the criteria fields of form f for their names.
func (d *topicNewData) name(p *page) {
	d.Categories = splitTopicList(p.F("categories"))
	d.Places = nil
	for _, v := range splitTopicList(p.F("places")) {
		if n, err := strconv.ParseInt(v, 10, 64); err == nil {
			d.Places = append(d.Places, n)
		}
	}
}

// topicNewPage shows the form, prefilled from ?run=&candidate= when given.
func (s *Server) topicNewPage(w http.ResponseWriter, r *http.Request, a org.Actor) {
	p := s.newPage(r, &a, "topics.new_title")
	if !agenda.MayManageTopics(a) {
		s.errorPage(w, r, 403, errs.Message(errs.Forbidden, p.Lang))
		return
	}
	d := topicNewData{Units: s.svc.UnitsList(), TaskRows: []int{0, 1, 2}}
	p.Form.Set("reduction", "30")
	p.Form.Set("months", "3")
	p.Form.Set("comparison", agenda.CompareBefore)
	q := r.URL.Query()
	if run, rank := q.Get("run"), q.Get("candidate"); run != "" && rank != "" {
		runID, err1 := strconv.ParseInt(run, 10, 64)
		rk, err2 := strconv.Atoi(rank)
		if err1 != nil || err2 != nil {
			p.Err = errs.Message(errs.Invalid, p.Lang)
		} else {
			ctx, cancel := ctxTimeout(r)
			defer cancel()
			cd, err := s.svc.Insight.Candidate(ctx, a, runID, rk)
			if err != nil {
				p.Data = d
				s.render(w, s.explain(p, err), "topicnew", p)
				return
			}
			d.Draft = &cd
			p.Form.Set("run", run)
			p.Form.Set("candidate", rank)
			p.Form.Set("title", cd.Title)
			p.Form.Set("summary", cd.Summary)
			p.Form.Set("categories", strings.Join(cd.Criteria.Categories, ","))
			p.Form.Set("keywords", strings.Join(cd.Criteria.Keywords, ","))
			p.Form.Set("places", joinIDs(cd.Criteria.PlaceIDs))
			if len(cd.UnitIDs) > 0 {
				p.Form.Set("lead_unit_id", strconv.FormatInt(cd.UnitIDs[0], 10))
			}
		}
	}
	d.name(p)
	p.Data = d
	s.render(w, 200, "topicnew", p)
}

func joinIDs(ids []int64) string {
	var out []string
	for _, id := range ids {
		out = append(out, strconv.FormatInt(id, 10))
	}
	return strings.Join(out, ",")
}

func splitTopicList(v string) []string {
	var out []string
	for _, s := range strings.FieldsFunc(v, func(r rune) bool { return r == ',' || r == '，' || r == '、' || r == ' ' }) {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	return out
}

// topicCreate creates the topic from the form.
func (s *Server) topicCreate(w http.ResponseWriter, r *http.Request, a org.Actor) {
	p := s.newPage(r, &a, "topics.new_title")
	if err := r.ParseForm(); err != nil {
		s.errorPage(w, r, 400, s.cat.T(p.Lang, "error.bad_form"))
		return
	}
	p.Form = r.PostForm
	d := topicNewData{Units: s.svc.UnitsList(), TaskRows: []int{0, 1, 2}}
	d.name(p)
	p.Data = d
	f := r.PostFormValue
	in := governance.TopicInput{Title: f("title"), Summary: f("summary"),
		Criteria: agenda.Criteria{Categories: splitTopicList(f("categories")), Keywords: splitTopicList(f("keywords"))},
		Goal:     agenda.Goal{Comparison: f("comparison")}}
	bad := func(field string) { p.Fields[field] = errs.Message(errs.Invalid, p.Lang) }
	if v := f("lead_unit_id"); v != "" {
		if n, err := strconv.ParseInt(v, 10, 64); err == nil {
			in.LeadUnitID = n
		} else {
			bad("lead_unit_id")
		}
	}
	for _, v := range splitTopicList(f("places")) {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			bad("criteria.place_ids")
			break
		}
		in.Criteria.PlaceIDs = append(in.Criteria.PlaceIDs, n)
	}
	if red, err := strconv.ParseFloat(strings.TrimSpace(f("reduction")), 64); err == nil {
		in.Goal.Reduction = red / 100
	} else {
		bad("goal.reduction")
	}
	if m, err := strconv.Atoi(strings.TrimSpace(f("months"))); err == nil {
		in.Goal.Months = m
	} else {
		bad("goal.months")
	}
	if run, rank := f("run"), f("candidate"); run != "" {
		runID, e1 := strconv.ParseInt(run, 10, 64)
		rk, e2 := strconv.Atoi(rank)
		if e1 != nil || e2 != nil {
			bad("run")
		} else {
			in.Source = &governance.TopicSource{RunID: runID, Rank: rk}
		}
	}
	loc := s.svc.Location()
	for i := range d.TaskRows {
		n := strconv.Itoa(i)
		unit, title, due := f("task_unit_"+n), strings.TrimSpace(f("task_title_"+n)), f("task_due_"+n)
		if unit == "" && title == "" && due == "" {
			continue
		}
		ti := governance.TaskInput{Title: title, Detail: f("task_detail_" + n)}
		ti.UnitID, _ = strconv.ParseInt(unit, 10, 64)
		if t, err := time.ParseInLocation("2006-01-02", due, loc); err == nil {
			ti.DueAt = t.Add(18 * time.Hour) // the end of the working day
		} else if due != "" {
			bad("task_due_" + n)
		}
		in.Tasks = append(in.Tasks, ti)
	}
	if len(p.Fields) > 0 {
		p.Err = s.cat.T(p.Lang, "form.check_fields")
		s.render(w, 422, "topicnew", p)
		return
	}
	ctx, cancel := ctxTimeout(r)
	defer cancel()
	v, err := s.svc.Insight.CreateTopic(ctx, a, in)
	if err != nil {
		for _, e := range errs.FieldsOf(err) {
			field := e.Field
			if strings.HasPrefix(field, "tasks.") { // tasks.1.title → task_title_1
				parts := strings.SplitN(field, ".", 3)
				if len(parts) == 3 {
					field = "task_" + strings.TrimSuffix(strings.TrimSuffix(parts[2], "_id"), "_at") + "_" + parts[1]
				}
			}
			p.Fields[field] = errs.Message(e.Code, p.Lang)
		}
		s.render(w, s.explain(p, err), "topicnew", p)
		return
	}
	http.Redirect(w, r, withFlash("/topics/"+strconv.FormatInt(v.Topic.ID, 10), s.cat.T(p.Lang, "topics.created")), http.StatusSeeOther)
}

// topicClose closes a topic from its page.
func (s *Server) topicClose(w http.ResponseWriter, r *http.Request, a org.Actor) {
	p := s.newPage(r, &a, "topics.title")
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || r.ParseForm() != nil {
		s.errorPage(w, r, 400, s.cat.T(p.Lang, "error.bad_form"))
		return
	}
	ctx, cancel := ctxTimeout(r)
	defer cancel()
	if _, err := s.svc.Insight.CloseTopic(ctx, a, id, r.PostFormValue("note")); err != nil {
		s.errorPage(w, r, s.explain(p, err), p.Err)
		return
	}
	http.Redirect(w, r, withFlash("/topics/"+strconv.FormatInt(id, 10), s.cat.T(p.Lang, "topics.closed")), http.StatusSeeOther)
}

type reportData struct {
	R       *governance.Report
	Summary template.HTML
	Charts  map[int64]template.HTML
	All     []governance.ReportTopic // judged first, then in progress: one section each
	Print   bool
}

func (s *Server) reportData(r *http.Request, a org.Actor, p *page) (reportData, error) {
	month := strings.TrimSpace(r.URL.Query().Get("month"))
	if month == "" {
		month = s.svc.Now().Format("2006-01")
	}
	p.Form.Set("month", month)
	ctx, cancel := ctxTimeout(r)
	defer cancel()
	rep, err := s.svc.Insight.ReportData(ctx, a, month)
	if err != nil {
		return reportData{}, err
	}
	d := reportData{R: rep, Charts: map[int64]template.HTML{}}
	var all []governance.ReportTopic
	all = append(append(all, rep.Judged...), rep.InProgress...)
	for _, t := range all {
		d.Charts[t.Topic.ID] = s.weeksChart(p.Lang, t.Tracking)
	}
	d.Summary = s.changeChart(p.Lang, all)
	d.All = all
	return d, nil
}

func (s *Server) reportPage(w http.ResponseWriter, r *http.Request, a org.Actor) {
	p := s.newPage(r, &a, "topics.report_title")
	d, err := s.reportData(r, a, p)
	p.Data = d
	if err != nil {
		s.render(w, s.explain(p, err), "report", p)
		return
	}
	s.render(w, 200, "report", p)
}

// reportPDF prints the report page with headless Chromium.
func (s *Server) reportPDF(w http.ResponseWriter, r *http.Request, a org.Actor) {
	p := s.newPage(r, &a, "topics.report_title")
	exe := chromiumExe()
	if exe == "" {
		s.errorPage(w, r, 503, s.cat.T(p.Lang, "topics.pdf_unavailable"))
		return
	}
	d, err := s.reportData(r, a, p)
	if err != nil {
		s.errorPage(w, r, s.explain(p, err), p.Err)
		return
	}
	d.Print = true
	p.Data = d
	var body bytes.Buffer
	if err := s.pages["report"].ExecuteTemplate(&body, "body", p); err != nil {
		s.errorPage(w, r, 500, errs.Message(errs.Internal, p.Lang))
		return
	}
	html := `<!doctype html><html lang="` + p.Lang + `"><head><meta charset="utf-8"><title>` + template.HTMLEscapeString(p.Title) + `</title><style>` + reportCSS + `</style></head><body>` + body.String() + `</body></html>`
	pdf, err := printPDF(r.Context(), exe, html)
	if err != nil {
		s.log.Error("report pdf", "err", err)
		s.errorPage(w, r, 503, s.cat.T(p.Lang, "topics.pdf_unavailable"))
		return
	}
	w.Header().Set("Content-Type", "application/pdf")
	w.Header().Set("Content-Disposition", `attachment; filename="topics-`+p.F("month")+`.pdf"`)
	w.Write(pdf)
}

const reportCSS = `body{font-family:"Noto Sans CJK SC","Source Han Sans SC",sans-serif;margin:0;color:#222}
section.topic{page-break-after:always}h1{font-size:20px}h2{font-size:16px}
table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:2px 6px}.headline{font-size:18px;font-weight:bold}
.noprint,nav,form{display:none}`

// chromiumExe finds a Chromium to print with ("" when none is installed).
func chromiumExe() string {
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	return ""
}

func printPDF(ctx context.Context, exe, html string) ([]byte, error) {
	ctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	actx, cancelA := chromedp.NewExecAllocator(ctx, chromedp.ExecPath(exe), chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU,
		chromedp.Flag("disable-dev-shm-usage", true))
	defer cancelA()
	bctx, cancelB := chromedp.NewContext(actx)
	defer cancelB()
	if err := chromedp.Do(bctx, chromedp.Navigate("about:blank")); err != nil {
		return nil, err
	}
	tree, err := chromedp.Call(bctx, cdppage.GetFrameTree, cdp.Empty{})
	if err != nil {
		return nil, err
	}
	if _, err := chromedp.Call(bctx, cdppage.SetDocumentContent, cdppage.SetDocumentContentParams{FrameID: tree.FrameTree.Frame.ID, HTML: html}); err != nil {
		return nil, err
	}
	yes := true
	res, err := chromedp.Call(bctx, cdppage.PrintToPDF, cdppage.PrintToPDFParams{PrintBackground: &yes, PaperWidth: 8.27, PaperHeight: 11.69})
	if err != nil {
		return nil, err
	}
	return res.Data, nil
}

// weeksChart draws a topic's weekly requests as an SVG: bars before (grey)
// and after (blue) the start, the comparison as a line.
func (s *Server) weeksChart(lang string, tr *governance.TopicTracking) template.HTML {
	if tr == nil || len(tr.Weeks) == 0 {
		return ""
	}
	const W, H, pad = 640.0, 200.0, 24.0
	top := 1.0
	for _, wk := range tr.Weeks {
		top = math.Max(top, math.Max(wk.Count, wk.Comp))
	}
	n := float64(len(tr.Weeks))
	bw := (W - 2*pad) / n
	y := func(v float64) float64 { return H - pad - (H-2*pad)*v/top }
	var b strings.Builder
	fmt.Fprintf(&b, `<svg class="chart" role="img" aria-label="%s" viewBox="0 0 %g %g" width="100%%" xmlns="http://www.w3.org/2000/svg">`, template.HTMLEscapeString(s.cat.T(lang, "topics.chart_weeks")), W, H)
	fmt.Fprintf(&b, `<line x1="%g" y1="%g" x2="%g" y2="%g" stroke="#999"/>`, pad, H-pad, W-pad, H-pad)
	var line []string
	for i, wk := range tr.Weeks {
		x := pad + float64(i)*bw
		fill := "#b0b0b0"
		if wk.Index >= 0 {
			fill = "#2f6fd0"
		}
		fmt.Fprintf(&b, `<rect class="w%s" x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="%s"><title>%s: %g</title></rect>`,
			map[bool]string{true: "a", false: "b"}[wk.Index >= 0], x+1, y(wk.Count), bw-2, H-pad-y(wk.Count), fill, wk.Start, wk.Count)
		if tr.Comparison != "" {
			line = append(line, fmt.Sprintf("%.1f,%.1f", x+bw/2, y(wk.Comp)))
		}
	}
	if len(line) > 0 {
		fmt.Fprintf(&b, `<polyline points="%s" fill="none" stroke="#d04020" stroke-width="2"/>`, strings.Join(line, " "))
	}
	sx := pad + float64(agenda.BeforeWeeks)*bw
	fmt.Fprintf(&b, `<line x1="%.1f" y1="%g" x2="%.1f" y2="%g" stroke="#222" stroke-dasharray="4 3"/>`, sx, pad/2, sx, H-pad)
	fmt.Fprintf(&b, `<text x="%.1f" y="%g" font-size="11">%s</text>`, sx+3, pad/2+8, template.HTMLEscapeString(s.cat.T(lang, "topics.start")))
	fmt.Fprintf(&b, `<text x="%g" y="%g" font-size="11">%g</text></svg>`, 2.0, pad, top)
	return template.HTML(b.String())
}

// changeChart draws each topic's change of weekly requests as horizontal
// bars (green down, red up).
func (s *Server) changeChart(lang string, ts []governance.ReportTopic) template.HTML {
	if len(ts) == 0 {
		return ""
	}
	const W, row, label = 640.0, 22.0, 220.0
	H := row*float64(len(ts)) + 10
	mid := label + (W-label)/2
	scale := (W - label) / 2
	var b strings.Builder
	fmt.Fprintf(&b, `<svg class="chart" role="img" aria-label="%s" viewBox="0 0 %g %g" width="100%%" xmlns="http://www.w3.org/2000/svg">`, template.HTMLEscapeString(s.cat.T(lang, "topics.chart_change")), W, H)
	for i, t := range ts {
		c := math.Max(-1, math.Min(1, t.Tracking.Change))
		yy := 5 + float64(i)*row
		fill := "#2a9d4a"
		if c > 0 {
			fill = "#d04020"
		}
		x, w := mid, c*scale
		if w < 0 {
			x, w = mid+w, -w
		}
		title := []rune(t.Topic.Title)
		if len(title) > 14 {
			title = append(title[:14], '…')
		}
		fmt.Fprintf(&b, `<text x="0" y="%.1f" font-size="12">%s</text><rect x="%.1f" y="%.1f" width="%.1f" height="%g" fill="%s"/><text x="%.1f" y="%.1f" font-size="11">%+.0f%%</text>`,
			yy+14, template.HTMLEscapeString(string(title)), x, yy+3, w, row-8, fill, mid+4, yy+14, t.Tracking.Change*100)
	}
	fmt.Fprintf(&b, `<line x1="%g" y1="0" x2="%g" y2="%g" stroke="#222"/></svg>`, mid, mid, H)
	return template.HTML(b.String())
}
