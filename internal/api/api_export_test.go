package api_test

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"whistle/internal/casework"
	"whistle/internal/errs"
	"whistle/internal/lifecycle"
	"whistle/internal/org"
)

// exportNumbers pages through the caller's case list under query and
// returns the numbers it shows.
func (e *apiEnv) exportListNumbers(user, query string) map[string]bool {
	e.t.Helper()
	out := map[string]bool{}
	q := query + "&limit=200"
	for {
		p := e.apiList(user, q)
		for _, c := range p.Cases {
			out[c.Number] = true
		}
		if p.Next == "" {
			return out
		}
		q = query + "&limit=200&cursor=" + url.QueryEscape(p.Next)
	}
}

// exportRows fetches an export and returns its rows as maps by machine
// column name (CSV and XLSX headers are mapped back through the
// language's header row), with the raw text to search for secrets.
func (e *apiEnv) exportRows(user, format, query string, hdr ...string) ([]map[string]string, string) {
	e.t.Helper()
	t := e.t
	r := e.apiDo(user, "GET", "/api/v1/cases/export."+format+"?"+query, nil, hdr...)
	if r.Status != 200 {
		t.Fatalf("export.%s?%s: %s", format, query, r)
	}
	if cd := r.Header.Get("Content-Disposition"); !strings.HasPrefix(cd, "attachment;") || !strings.Contains(cd, "."+format+`"`) {
		t.Errorf("export.%s Content-Disposition %q", format, cd)
	}
	lang := "zh"
	for i := 0; i+1 < len(hdr); i += 2 {
		if hdr[i] == "Accept-Language" && strings.HasPrefix(hdr[i+1], "en") {
			lang = "en"
		}
	}
	header := casework.ExportHeader(lang)
	var recs [][]string
	switch format {
	case "csv":
		if !bytes.HasPrefix(r.Body, []byte("\uFEFF")) {
			t.Errorf("CSV without BOM")
		}
		var err error
		recs, err = csv.NewReader(bytes.NewReader(bytes.TrimPrefix(r.Body, []byte("\uFEFF")))).ReadAll()
		if err != nil {
			t.Fatal(err)
		}
	case "xlsx":
		f, err := excelize.OpenReader(bytes.NewReader(r.Body))
		if err != nil {
			t.Fatalf("XLSX: %v", err)
		}
		defer f.Close()
		if recs, err = f.GetRows("Sheet1"); err != nil {
			t.Fatal(err)
		}
	case "jsonl":
		var out []map[string]string
		sc := bufio.NewScanner(bytes.NewReader(r.Body))
		sc.Buffer(nil, 1<<20)
		for sc.Scan() {
			var m map[string]any
			if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
				t.Fatalf("JSONL line %q: %v", sc.Text(), err)
			}
			if len(m) != len(casework.ExportColumns) {
				t.Fatalf("JSONL keys %v", m)
			}
			row := map[string]string{}
			for _, c := range casework.ExportColumns {
				v, ok := m[c.Key]
				if !ok {
					t.Fatalf("JSONL without %s: %v", c.Key, m)
				}
				if v != nil {
					b, _ := json.Marshal(v)
					row[c.Key] = strings.Trim(string(b), `"`)
				}
			}
			out = append(out, row)
		}
		return out, string(r.Body)
	}
	if len(recs) == 0 || strings.Join(recs[0], "|") != strings.Join(header, "|") {
		t.Fatalf("%s header %v, want %v", format, recs, header)
	}
	var out []map[string]string
	var text strings.Builder
	for _, rec := range recs {
		text.WriteString(strings.Join(rec, "\t") + "\n")
	}
	for _, rec := range recs[1:] {
		row := map[string]string{}
		for i, c := range casework.ExportColumns {
			if i < len(rec) {
				row[c.Key] = rec[i]
			}
		}
		out = append(out, row)
	}
	return out, text.String()
}

// TestCaseExportAPI (SQLite): GET /api/v1/cases/export.{csv,xlsx,jsonl}
// under a filter holds exactly the cases the caller's list shows under
// it: the city agent's and a street handler's (only its own cases); with
// headers in the caller's language, times in +08:00, and no citizen's
// name or phone (a planted one included) in any byte; a filter the list
// refuses is refused alike, a phone filter too; XLSX over its row cap is
// 422 export_too_large before any byte; the export is audited with its
// format, filter and row count.
func TestCaseExportAPI(t *testing.T) {
	e := apiOpen(t, "")
	planted := e.apiCaseIn(e.gridA, "13912345678")
	planted["citizen_name"] = "欧阳铁柱"
	planted["type"] = "complaint"
	c := e.apiCreate(e.agent, planted)
	e.apiAct(e.agent, c.ID, "dispatch", map[string]any{"unit_id": e.streetA.ID, "note": "请街道主办"})

	all, err := e.app.Store.Cases(e.ctx, org.Scope{All: true}, lifecycle.CaseFilter{Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	var secrets []string
	for _, x := range all.Cases {
		secrets = append(secrets, x.Citizen.Name, x.Citizen.Phone, x.Location.Address, x.Description, x.Title)
	}
	secrets = append(secrets, "欧阳铁柱", "13912345678")
	mobile := regexp.MustCompile(`1[3-9]\d{9}`)
	clean := func(name, text string) {
		t.Helper()
		if m := mobile.FindString(text); m != "" {
			t.Errorf("%s holds a mobile number %s", name, m)
		}
		for _, s := range secrets {
			if len([]rune(s)) >= 2 && strings.Contains(text, s) {
				t.Errorf("%s holds %q", name, s)
			}
		}
	}

	for _, who := range []struct{ name, user string }{{"agent", e.agent}, {"street handler", e.handlerA}} {
		query := "type=complaint"
		want := e.exportListNumbers(who.user, query)
		if !want[c.Number] {
			t.Fatalf("%s's list lacks the planted case", who.name)
		}
		for _, format := range []string{"csv", "xlsx", "jsonl"} {
			rows, text := e.exportRows(who.user, format, query)
			clean(who.name+" "+format, text)
			got := map[string]bool{}
			for _, row := range rows {
				if row["type"] != "complaint" {
					t.Errorf("%s %s: a %s row under type=complaint", who.name, format, row["type"])
				}
				if !strings.HasSuffix(row["created_at"], "+08:00") {
					t.Errorf("%s %s: created_at %q not in +08:00", who.name, format, row["created_at"])
				}
				got[row["number"]] = true
			}
			if len(got) != len(rows) || len(got) != len(want) {
				t.Errorf("%s %s: %d rows (%d numbers), the list shows %d", who.name, format, len(rows), len(got), len(want))
			}
			for n := range want {
				if !got[n] {
					t.Errorf("%s %s lacks %s", who.name, format, n)
				}
			}
		}
		if who.user == e.handlerA {
			agents := e.exportListNumbers(e.agent, query)
			if len(want) >= len(agents) {
				t.Errorf("the street handler exports %d cases, the city agent %d", len(want), len(agents))
			}
			for _, row := range func() []map[string]string { r, _ := e.exportRows(who.user, "jsonl", query); return r }() {
				if row["lead_unit"] != e.streetA.Name && !strings.Contains(row["co_units"], e.streetA.Name) {
					t.Errorf("street A exports %s led by %q", row["number"], row["lead_unit"])
				}
			}
		}
	}

	// The planted row, in English.
	rows, _ := e.exportRows(e.agent, "csv", "type=complaint&state=dispatched", "Accept-Language", "en")
	found := false
	for _, row := range rows {
		if row["number"] == c.Number {
			found = true
			if row["lead_unit"] != e.streetA.Name || row["state"] != "dispatched" || row["category"] != "urban.stall" || row["confidential"] != "false" {
				t.Errorf("planted row %v", row)
			}
		}
		if row["state"] != "dispatched" {
			t.Errorf("state=dispatched exported a %s", row["state"])
		}
	}
	if !found {
		t.Error("the planted case is not in the dispatched complaints")
	}

	ent := e.apiNewestAudit()
	if ent.Action != "export_cases" || !strings.Contains(ent.Detail, `"format":"csv"`) || !strings.Contains(ent.Detail, `"state":"dispatched"`) || !strings.Contains(ent.Detail, `"rows":`) {
		t.Errorf("audit entry %+v", ent)
	}

	apiRefused(t, e.apiDo(e.agent, "GET", "/api/v1/cases/export.csv?state=lost", nil), 422, errs.Invalid)
	apiRefused(t, e.apiDo(e.agent, "GET", "/api/v1/cases/export.jsonl?phone=13912345678", nil), 422, errs.Invalid)
	apiRefused(t, e.apiDo("", "GET", "/api/v1/cases/export.csv", nil), 401, errs.Unauthenticated)

	old := casework.MaxXLSXRows
	casework.MaxXLSXRows = 3
	defer func() { casework.MaxXLSXRows = old }()
	r := e.apiDo(e.agent, "GET", "/api/v1/cases/export.xlsx?type=complaint", nil)
	apiRefused(t, r, 422, errs.ExportTooLarge)
	if r.Header.Get("Content-Disposition") != "" {
		t.Errorf("a refused export with Content-Disposition %q", r.Header.Get("Content-Disposition"))
	}
}

// TestExportSchedulesAPI: administrators keep open-data publication
// schedules over /api/v1/export-schedules (201 with the next run at 01:00
// on the day, 422 for a bad period or directory, 403 for anyone else,
// 204 on delete, audited); the published files' index is public and an
// unpublished path is 404 whatever it tries.
func TestExportSchedulesAPI(t *testing.T) {
	e := apiOpen(t, "")
	in := map[string]any{"name": "月度开放数据", "period": "monthly", "day": 2, "formats": []string{"csv", "jsonl"}, "dir": "monthly", "enabled": true}
	var sc struct {
		ID      int64    `json:"id"`
		NextRun string   `json:"next_run"`
		Formats []string `json:"formats"`
	}
	apiWant(t, e.apiDo(e.admin, "POST", "/api/v1/export-schedules", in), 201, &sc)
	if sc.ID == 0 || !strings.HasSuffix(sc.NextRun, "-02T01:00:00+08:00") || len(sc.Formats) != 2 {
		t.Errorf("created %+v", sc)
	}
	if ent := e.apiNewestAudit(); ent.Action != "export_schedule_save" {
		t.Errorf("audit %+v", ent)
	}
	apiRefused(t, e.apiDo(e.agent, "POST", "/api/v1/export-schedules", in), 403, errs.Forbidden)
	apiRefused(t, e.apiDo(e.analyst, "GET", "/api/v1/export-schedules", nil), 403, errs.Forbidden)
	bad := map[string]any{"name": "x", "period": "daily", "day": 1, "formats": []string{"csv"}, "dir": "x"}
	apiRefused(t, e.apiDo(e.admin, "POST", "/api/v1/export-schedules", bad), 422, errs.Invalid)
	bad["period"], bad["dir"] = "weekly", "../x"
	apiRefused(t, e.apiDo(e.admin, "POST", "/api/v1/export-schedules", bad), 422, errs.Invalid)
	var list struct {
		Schedules []map[string]any `json:"schedules"`
	}
	apiWant(t, e.apiDo(e.admin, "GET", "/api/v1/export-schedules", nil), 200, &list)
	if len(list.Schedules) != 1 {
		t.Errorf("schedules %v", list.Schedules)
	}
	var files struct {
		Files []map[string]any `json:"files"`
	}
	apiWant(t, e.apiDo("", "GET", "/api/v1/open/files", nil), 200, &files)
	if files.Files == nil || len(files.Files) != 0 {
		t.Errorf("files %v", files.Files)
	}
	for _, p := range []string{"/api/v1/open/files/monthly/whistle-opendata-2026-01.csv", "/api/v1/open/files/..%2F..%2Fwhistle.db/x", "/api/v1/open/files/keys/x"} {
		if r := e.apiDo("", "GET", p, nil); r.Status != 404 {
			t.Errorf("GET %s: %s", p, r)
		}
	}
	apiWant(t, e.apiDo(e.admin, "DELETE", fmt.Sprintf("/api/v1/export-schedules/%d", sc.ID), nil), 204, nil)
	apiRefused(t, e.apiDo(e.admin, "DELETE", fmt.Sprintf("/api/v1/export-schedules/%d", sc.ID), nil), 404, errs.NotFound)
}
