package casework

import (
	"context"
	"encoding/json"
	"io"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/xuri/excelize/v2"

	"whistle/internal/csvsafe"
	"whistle/internal/errs"
	"whistle/internal/lifecycle"
	"whistle/internal/org"
	"whistle/internal/store"
)

// Export formats of ExportCases.
const (
	ExportCSV   = "csv"
	ExportXLSX  = "xlsx"
	ExportJSONL = "jsonl"
)

// MaxXLSXRows is the most rows an XLSX export holds (a worksheet holds
// 1,048,575 below its header; this lower limit keeps the workbook, which
// excelize assembles before the first byte is sent, to a few tens of MB).
// A larger list is refused with 422 export_too_large before anything is
// sent: narrow the filter or take CSV or JSONL, which are streamed.
var MaxXLSXRows = 100_000

// MaxConcurrentExports is how many exports run at once in one process
// (API and pages together); one more is refused with 429 rate_limited.
const MaxConcurrentExports = 2

// exportPage is how many cases one store read brings in.
const exportPage = 500

// ExportColumn is one column of the case-list export: Key is the stable
// machine name (the JSONL key and the English header's source), ZH and EN
// the headers of CSV and XLSX in the user's language.
type ExportColumn struct {
	Key, ZH, EN string
}

// ExportColumns are the columns of the case-list export, in order
// (docs/OPENDATA.md, "Exporting a case list"). None carries a citizen's
// name, phone, e-mail or address, nor free text (title, description,
// reply, notes), which may quote them.
var ExportColumns = []ExportColumn{
	{"number", "工单编号", "Number"},
	{"created_at", "登记时间", "Created at"},
	{"channel", "渠道", "Channel"},
	{"type", "类型", "Type"},
	{"category", "分类编码", "Category code"},
	{"category_name", "分类名称", "Category"},
	{"urgency", "紧急程度", "Urgency"},
	{"state", "状态", "State"},
	{"district", "区", "District"},
	{"street", "街道", "Street"},
	{"community", "社区", "Community"},
	{"grid", "网格", "Grid"},
	{"lead_unit", "主办单位", "Lead unit"},
	{"co_units", "协办单位", "Co-handling units"},
	{"reply_by", "答复期限", "Reply by"},
	{"replied_at", "答复时间", "Replied at"},
	{"closed_at", "办结时间", "Closed at"},
	{"overdue", "是否超期", "Overdue"},
	{"supervised", "是否督办", "Supervised"},
	{"reopen_count", "重办次数", "Reopened"},
	{"extensions", "延期次数", "Extensions"},
	{"returns", "退单次数", "Returns"},
	{"satisfaction", "满意度", "Satisfaction"},
	{"confidential", "保密", "Confidential"},
}

// ExportHeader is the header row in lang ("en…" English, else Chinese).
func ExportHeader(lang string) []string {
	out := make([]string, len(ExportColumns))
	for i, c := range ExportColumns {
		if strings.HasPrefix(lang, "en") {
			out[i] = c.EN
		} else {
			out[i] = c.ZH
		}
	}
	return out
}

// ExportRequest is what ExportCases exports: the case list's filter (its
// cursor and limit are ignored: an export is the whole list), the format
// and the language of the headers.
type ExportRequest struct {
	Filter lifecycle.CaseFilter
	Format string
	Lang   string
}

// ExportResult says what was written.
type ExportResult struct {
	Rows int `json:"rows"`
}

// ValidExportFormat reports whether f is an export format.
func ValidExportFormat(f string) bool {
	return f == ExportCSV || f == ExportXLSX || f == ExportJSONL
}

var exportGates sync.Map // *Service → chan struct{}

func (s *Service) exportGate() chan struct{} {
	g, _ := exportGates.LoadOrStore(s, make(chan struct{}, MaxConcurrentExports))
	return g.(chan struct{})
}

// ExportCases writes the cases the actor's case list shows under the
// filter (the same scope as List), every one of them, newest first (or by
// deadline with Sort "due"), to w in the format: CSV (UTF-8 with BOM,
// formula-safe cells), XLSX (one sheet, at most MaxXLSXRows rows) or JSONL
// (one object a line with the columns' machine names). CSV and JSONL are
// streamed page by page; nothing is written to w before the first page
// was read, so an error before that is an error response. The export is
// recorded in the audit log (export_cases, with the filter, the format and
// the row count).
func (s *Service) ExportCases(ctx context.Context, a org.Actor, req ExportRequest, w io.Writer) (ExportResult, error) {
	if !ValidExportFormat(req.Format) {
		return ExportResult{}, &errs.Error{Code: errs.Invalid, Field: "format", Detail: "csv, xlsx or jsonl"}
	}
	if req.Filter.PhoneHash != "" {
		return ExportResult{}, errs.F(errs.Invalid, "phone")
	}
	gate := s.exportGate()
	select {
	case gate <- struct{}{}:
		defer func() { <-gate }()
	default:
		return ExportResult{}, &errs.Error{Code: errs.RateLimited, Detail: "at most " + strconv.Itoa(MaxConcurrentExports) + " exports at once"}
	}
	f := req.Filter
	f.Cursor, f.Limit = "", exportPage
	sc := org.ScopeOf(a)
	var ew exportWriter
	switch req.Format {
	case ExportCSV:
		ew = &csvExport{w: w}
	case ExportJSONL:
		ew = &jsonlExport{w: w}
	default:
		ew = &xlsxExport{w: w}
	}
	var res ExportResult
	err := func() error {
		if err := ew.header(ExportHeader(req.Lang)); err != nil {
			return err
		}
		for {
			pg, err := s.St.Analysis.Cases(ctx, sc, f)
			if err != nil {
				return err
			}
			for _, c := range pg.Cases {
				if req.Format == ExportXLSX && res.Rows >= MaxXLSXRows {
					return &errs.Error{Code: errs.ExportTooLarge, Detail: "at most " + strconv.Itoa(MaxXLSXRows) + " rows in XLSX; narrow the filter or export CSV or JSONL"}
				}
				if err := ew.row(s.ExportRow(c)); err != nil {
					return err
				}
				res.Rows++
			}
			if pg.Next == "" {
				return ew.close()
			}
			f.Cursor = pg.Next
		}
	}()
	if x, ok := ew.(*xlsxExport); ok && err != nil && x.f != nil {
		x.f.Close() // its temporary files
	}
	if err != nil && errs.Is(err, errs.ExportTooLarge) {
		return ExportResult{}, err
	}
	detail := map[string]any{"format": req.Format, "rows": res.Rows, "filter": ExportFilterDetail(req.Filter)}
	if err != nil {
		detail["incomplete"] = true
	}
	// The record of the export is written even when the client went away
	// (its context cancelled) after rows were sent.
	actx := context.WithoutCancel(ctx)
	if aerr := s.St.Write(actx, func(tx *store.Tx) error {
		return s.Audit(actx, tx, a, "export_cases", "cases", detail)
	}); err == nil {
		err = aerr
	}
	return res, err
}

// ExportFilterDetail is the filter as the audit log records it: only the
// fields that are set, by their query-parameter names.
func ExportFilterDetail(f lifecycle.CaseFilter) map[string]any {
	d := map[string]any{}
	if len(f.States) > 0 {
		st := make([]string, len(f.States))
		for i, s := range f.States {
			st[i] = string(s)
		}
		d["state"] = strings.Join(st, ",")
	}
	for k, v := range map[string]*bool{"open": f.Open, "overdue": f.Overdue, "supervised": f.Supervised, "return_pending": f.ReturnPending, "extension_pending": f.ExtPending} {
		if v != nil {
			d[k] = *v
		}
	}
	for k, v := range map[string]int64{"unit_id": f.LeadUnitID, "co_unit_id": f.CoUnitID, "district_id": f.DistrictID, "street_id": f.StreetID, "community_id": f.CommunityID, "grid_id": f.GridID} {
		if v != 0 {
			d[k] = v
		}
	}
	for k, v := range map[string]string{"category": f.Category, "type": f.Type, "channel": f.Channel, "sort": f.Sort} {
		if v != "" {
			d[k] = v
		}
	}
	for k, v := range map[string]time.Time{"from": f.CreatedFrom, "to": f.CreatedTo} {
		if !v.IsZero() {
			d[k] = v.Format(time.RFC3339)
		}
	}
	return d
}

// ExportRow maps a case to the values of ExportColumns, in order: strings,
// ints, bools, or nil for nothing. Times are ISO 8601 in the service's
// time zone (Asia/Shanghai by default). Only the listed fields are read:
// never the citizen, the address, the point or any free text.
func (s *Service) ExportRow(c *lifecycle.Case) []any {
	loc := s.Location()
	tm := func(t time.Time) any {
		if t.IsZero() {
			return nil
		}
		return t.In(loc).Format(time.RFC3339)
	}
	place := func(id int64) any {
		if id == 0 {
			return nil
		}
		if p, ok := s.Place(id); ok {
			return p.Name
		}
		return nil
	}
	unit := func(id int64) string {
		if u, ok := s.Unit(id); ok {
			return u.Name
		}
		return strconv.FormatInt(id, 10)
	}
	var catName, lead, co any
	if cat, ok := s.Category(c.Category); ok {
		catName = cat.NameZH
	}
	if c.LeadUnitID != 0 {
		lead = unit(c.LeadUnitID)
	}
	if len(c.CoUnitIDs) > 0 {
		names := make([]string, len(c.CoUnitIDs))
		for i, id := range c.CoUnitIDs {
			names[i] = unit(id)
		}
		co = strings.Join(names, "; ")
	}
	var sat any
	if c.Satisfaction != "" {
		sat = c.Satisfaction
	}
	var urg any
	if c.Urgency != "" {
		urg = c.Urgency
	}
	return []any{c.Number, tm(c.CreatedAt), c.Channel, c.Type, c.Category, catName, urg, string(c.State),
		place(c.Location.DistrictID), place(c.Location.StreetID), place(c.Location.CommunityID), place(c.Location.GridID),
		lead, co, tm(c.ReplyBy), tm(c.RepliedAt), tm(c.ClosedAt),
		c.Overdue, c.Supervised, c.ReopenCount, c.Extensions, c.Returns, sat, c.Citizen.Confidential}
}

// exportText is a value as a CSV cell.
func exportText(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	case bool:
		return strconv.FormatBool(x)
	case int:
		return strconv.Itoa(x)
	case int64:
		return strconv.FormatInt(x, 10)
	default:
		b, _ := json.Marshal(x)
		return string(b)
	}
}

// exportWriter is one format of the export.
type exportWriter interface {
	header(h []string) error
	row(vals []any) error
	close() error
}

// csvExport writes through csvsafe: BOM, CRLF, no cell a spreadsheet runs.
type csvExport struct {
	w   io.Writer
	cw  *csvsafe.Writer
	rec []string
	n   int
}

func (e *csvExport) header(h []string) error {
	// The BOM and the header go out with the first page (see row), so
	// that a failure of the first read is still an error response.
	e.rec = append(e.rec[:0], h...)
	return nil
}

func (e *csvExport) start() error {
	if e.cw != nil {
		return nil
	}
	cw, err := csvsafe.NewWriter(e.w)
	if err != nil {
		return err
	}
	e.cw = cw
	return cw.Write(e.rec)
}

func (e *csvExport) row(vals []any) error {
	if err := e.start(); err != nil {
		return err
	}
	rec := make([]string, len(vals))
	for i, v := range vals {
		rec[i] = exportText(v)
	}
	if err := e.cw.Write(rec); err != nil {
		return err
	}
	e.n++
	if e.n%exportPage == 0 {
		return e.cw.Flush()
	}
	return nil
}

func (e *csvExport) close() error {
	if err := e.start(); err != nil {
		return err
	}
	return e.cw.Flush()
}

// jsonlExport writes one JSON object a line, keys in column order.
type jsonlExport struct {
	w   io.Writer
	buf []byte
}

func (e *jsonlExport) header([]string) error { return nil }

func (e *jsonlExport) row(vals []any) error {
	e.buf = append(e.buf[:0], '{')
	for i, c := range ExportColumns {
		if i > 0 {
			e.buf = append(e.buf, ',')
		}
		e.buf = strconv.AppendQuote(e.buf, c.Key)
		e.buf = append(e.buf, ':')
		b, err := json.Marshal(vals[i])
		if err != nil {
			return err
		}
		e.buf = append(e.buf, b...)
	}
	e.buf = append(e.buf, '}', '\n')
	_, err := e.w.Write(e.buf)
	return err
}

func (e *jsonlExport) close() error { return nil }

// xlsxExport fills one sheet with excelize's stream writer (rows go to a
// temporary file, not memory) and writes the workbook at the end.
type xlsxExport struct {
	w    io.Writer
	f    *excelize.File
	sw   *excelize.StreamWriter
	rowN int
}

func (e *xlsxExport) header(h []string) error {
	e.f = excelize.NewFile()
	sw, err := e.f.NewStreamWriter("Sheet1")
	if err != nil {
		return err
	}
	e.sw = sw
	cells := make([]any, len(h))
	for i, v := range h {
		cells[i] = v
	}
	e.rowN = 1
	return sw.SetRow("A1", cells)
}

func (e *xlsxExport) row(vals []any) error {
	e.rowN++
	cell, err := excelize.CoordinatesToCellName(1, e.rowN)
	if err != nil {
		return err
	}
	return e.sw.SetRow(cell, vals)
}

func (e *xlsxExport) close() error {
	defer e.f.Close()
	if err := e.sw.Flush(); err != nil {
		return err
	}
	_, err := e.f.WriteTo(e.w)
	return err
}
