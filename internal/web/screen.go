package web

import (
	"bytes"
	"html/template"
	"net/http"
	"strconv"
	"sync"

	"whistle/internal/governance"
	"whistle/internal/org"
)

// The big screen (数字红墙) for the centre's wall: a full-window dark page
// of its own (no header or navigation), rendered with today's figures and
// refreshed by static/screen.js from GET /api/v1/dashboard (the session
// cookie authenticates the API as it does the pages).

// screenRefresh is how often the screen fetches its data; ?every=N (seconds,
// 2..300) changes it for one screen (and lets tests wait less).
const screenRefresh = 30

type screenData struct {
	D       *governance.Dashboard
	Refresh int // milliseconds
	Src     string
	F       *forecastView // 未诉先办 forecasts beside the counts (issue #16); nil: none
}

var screenTmpl struct {
	once sync.Once
	t    *template.Template
	err  error
}

// screenTemplate parses the screen's own template set once (it has no
// "body": it is its own layout).
func (s *Server) screenTemplate() (*template.Template, error) {
	screenTmpl.once.Do(func() {
		screenTmpl.t, screenTmpl.err = template.New("screen").Funcs(s.funcs()).Funcs(template.FuncMap{
			"deref64": func(f *float64) float64 { return *f },
		}).ParseFS(files, "templates/partials.html", "templates/screen.html")
	})
	return screenTmpl.t, screenTmpl.err
}

func (s *Server) screenPage(w http.ResponseWriter, r *http.Request, a org.Actor) {
	p := s.newPage(r, &a, "screen.title")
	ctx, cancel := ctxTimeout(r)
	defer cancel()
	d, err := s.svc.Insight.Dashboard(ctx, a)
	if err != nil {
		s.failPage(w, r, err)
		return
	}
	every := screenRefresh
	if v, err := strconv.Atoi(r.URL.Query().Get("every")); err == nil {
		every = min(max(v, 2), 300)
	}
	p.Data = screenData{D: d, Refresh: every * 1000, Src: "/api/v1/dashboard", F: s.forecastFor(ctx, a, p.Lang)}
	t, err := s.screenTemplate()
	if err != nil {
		s.log.Error("template", "name", "screen", "err", err)
		http.Error(w, "template error", 500)
		return
	}
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, "screen", p); err != nil {
		s.log.Error("template", "name", "screen", "err", err)
		http.Error(w, "template error", 500)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	_, _ = buf.WriteTo(w)
}
