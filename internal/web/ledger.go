package web

import (
	"bytes"
	"html/template"
	"net/http"
	"net/url"

	"whistle/internal/community"
	"whistle/internal/ledger"
	"whistle/internal/org"
)

// The one ledger (一本台账, issue #15): every department's ledger from
// the same records, for a community's (or its street's) staff, on the
// page, as XLSX and as PDF (printed by headless Chromium like the topics
// report).

func init() { pageNames = append(pageNames, "ledger") }

type ledgerData struct {
	Templates []ledger.Template
	Count     int
	Sources   []ledger.Source
	Template  string
	Period    string
	Sheet     *ledger.Sheet
	Header    []string // the columns' names in the reader's language
	Cells     [][]any  // the rows as the reader sees them
	Totals    []any
	Print     bool
}

func (s *Server) ledgerData(r *http.Request, a org.Actor, p *page) (ledgerData, error) {
	ctx, cancel := ctxTimeout(r)
	defer cancel()
	ts, err := s.svc.Community.LedgerTemplates(ctx, a)
	if err != nil {
		return ledgerData{}, err
	}
	q := r.URL.Query()
	d := ledgerData{Templates: ts, Count: s.svc.Community.LedgerCount(), Sources: s.svc.Community.SourcesAvailable(),
		Template: q.Get("template"), Period: q.Get("period")}
	if d.Template == "" {
		d.Template = r.PathValue("id")
	}
	if d.Period == "" {
		d.Period = s.svc.Now().Format("2006-01")
	}
	if d.Template != "" {
		sh, err := s.svc.Community.Ledger(ctx, a, d.Template, d.Period)
		if err != nil {
			return d, err
		}
		d.Sheet, d.Totals = &sh, sh.Totals()
		for _, k := range sh.Keys {
			d.Header = append(d.Header, ledger.Label(k, p.Lang))
		}
		for _, row := range sh.Rows {
			cells := make([]any, len(row))
			for i, v := range row {
				cells[i] = ledger.Display(sh.Keys[i], v, p.Lang)
			}
			d.Cells = append(d.Cells, cells)
		}
	}
	return d, nil
}

func (s *Server) ledgersPage(w http.ResponseWriter, r *http.Request, a org.Actor) {
	p := s.newPage(r, &a, "ledger.title")
	d, err := s.ledgerData(r, a, p)
	if err != nil {
		status := s.explain(p, err)
		if d.Templates == nil {
			s.errorPage(w, r, status, p.Err)
			return
		}
	}
	p.Data = d
	s.render(w, 200, "ledger", p)
}

func (s *Server) ledgerXLSX(w http.ResponseWriter, r *http.Request, a org.Actor) {
	ctx, cancel := ctxTimeout(r)
	defer cancel()
	lang := langOf(r)
	var buf bytes.Buffer
	id, period := r.PathValue("id"), r.URL.Query().Get("period")
	sh, err := s.svc.Community.Ledger(ctx, a, id, period)
	if err == nil {
		err = community.WriteLedgerXLSX(sh, lang, &buf)
	}
	if err != nil {
		s.failPage(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
	w.Header().Set("Content-Disposition", `attachment; filename="ledger-`+url.PathEscape(id)+`-`+url.PathEscape(sh.Period.String())+`.xlsx"`)
	w.Write(buf.Bytes())
}

func (s *Server) ledgerPDF(w http.ResponseWriter, r *http.Request, a org.Actor) {
	p := s.newPage(r, &a, "ledger.title")
	exe := chromiumExe()
	if exe == "" {
		s.errorPage(w, r, 503, s.cat.T(p.Lang, "topics.pdf_unavailable"))
		return
	}
	d, err := s.ledgerData(r, a, p)
	if err != nil {
		s.errorPage(w, r, s.explain(p, err), p.Err)
		return
	}
	d.Print = true
	p.Data = d
	var body bytes.Buffer
	if err := s.pages["ledger"].ExecuteTemplate(&body, "body", p); err != nil {
		s.log.Error("ledger pdf template", "err", err)
		s.errorPage(w, r, 500, s.cat.T(p.Lang, "error.internal"))
		return
	}
	html := `<!doctype html><html lang="` + p.Lang + `"><head><meta charset="utf-8"><title>` + template.HTMLEscapeString(p.Title) + `</title><style>` + reportCSS + `</style></head><body>` + body.String() + `</body></html>`
	pdf, err := printPDF(r.Context(), exe, html)
	if err != nil {
		s.log.Error("ledger pdf", "err", err)
		s.errorPage(w, r, 503, s.cat.T(p.Lang, "topics.pdf_unavailable"))
		return
	}
	w.Header().Set("Content-Type", "application/pdf")
	w.Header().Set("Content-Disposition", `attachment; filename="ledger-`+url.PathEscape(d.Template)+`-`+url.PathEscape(d.Period)+`.pdf"`)
	w.Write(pdf)
}
