package web

import (
	"encoding/json"
	"html/template"
	"io/fs"
	"strings"
	"time"

	"whistle/internal/lifecycle"
	"whistle/internal/org"
)

// pageNames are the page templates; each is parsed with the layout and the
// shared partials.
var pageNames = []string{"error", "login", "account", "agent", "callbacks", "inbox", "case", "review", "queue", "supervisor",
	"portal", "track", "figures", "admin", "audit", "cases",
	"ranking", "assesscases", "exemptions", "portalranking", "whistles", "whistle", "whistlestats", "patrol", "coverage",
	"admin_duty", "admin_kb", "admin_classifier", "admin_geo"}

func (s *Server) funcs() template.FuncMap {
	loc := s.svc.Location()
	return template.FuncMap{
		"T":         s.cat.T,
		"date":      func(lang string, t time.Time) string { return fmtDate(lang, t, loc) },
		"datetime":  func(lang string, t time.Time) string { return fmtDateTime(lang, t, loc) },
		"remaining": fmtRemaining,
		"unixms":    func(t time.Time) int64 { return t.UnixMilli() },
		"dueOf":     dueOf,
		"dueClass":  dueClass,
		"unitName": func(id int64) string {
			if u, ok := s.svc.Unit(id); ok {
				return u.Name
			}
			return ""
		},
		"placeName": func(id int64) string {
			if p, ok := s.svc.Place(id); ok {
				return p.Name
			}
			return ""
		},
		"catName": func(lang, code string) string {
			c, ok := s.svc.Category(code)
			if !ok {
				return code
			}
			if lang == "en" && c.NameEN != "" {
				return c.NameEN
			}
			return c.NameZH
		},
		"why": s.whyText,
		"has": func(a *org.Actor, roles ...string) bool { return a != nil && a.User.Has(roles...) },
		"json": func(v any) (template.JS, error) {
			b, err := json.Marshal(v)
			return template.JS(b), err
		},
		"join":  strings.Join,
		"lower": strings.ToLower,
		"deref": func(b *bool) bool { return b != nil && *b },
		"isNil": func(b *bool) bool { return b == nil },
		"add":   func(a, b int) int { return a + b },
		"limit": fmtLimit,
		"pct":   func(f float64) float64 { return f * 100 },
		"list":  func(v ...string) []string { return v },
		"dict":  func(p *page, a lifecycle.Action) map[string]any { return map[string]any{"p": p, "a": a} },
	}
}

func (s *Server) parse() error {
	s.pages = map[string]*template.Template{}
	for _, name := range pageNames {
		t, err := template.New(name).Funcs(s.funcs()).ParseFS(files, "templates/layout.html", "templates/partials.html", "templates/"+name+".html")
		if err != nil {
			return err
		}
		s.pages[name] = t
	}
	return nil
}

// templateSources returns every template's text (for the catalogue test).
func templateSources() (map[string]string, error) {
	out := map[string]string{}
	err := fs.WalkDir(files, "templates", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := files.ReadFile(path)
		out[path] = string(b)
		return err
	})
	return out, err
}

// dueOf is the deadline that matters now for a case.
func dueOf(c *lifecycle.Case) time.Time {
	switch c.State {
	case lifecycle.Submitted:
		return c.AcceptBy
	case lifecycle.Received:
		return c.DispatchBy
	case lifecycle.Dispatched:
		return c.SignBy
	case lifecycle.Signed, lifecycle.Contacted, lifecycle.Handling:
		return c.ReplyBy
	}
	return time.Time{}
}

// dueClass colours a case by its deadline: overdue, soon (due-soon timer
// fired or under a quarter of its span left), ok.
func dueClass(c *lifecycle.Case, now time.Time) string {
	due := dueOf(c)
	switch {
	case due.IsZero():
		return "none"
	case c.Overdue || now.After(due):
		return "overdue"
	case c.DueSoon || due.Sub(now) < 4*time.Hour:
		return "soon"
	}
	return "ok"
}
