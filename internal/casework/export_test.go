package casework

import (
	"bytes"
	"context"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"whistle/internal/core"
	"whistle/internal/errs"
	"whistle/internal/lifecycle"
	"whistle/internal/org"
	"whistle/internal/store"
)

// exportService is a case-work service over a small SQLite catalogue: a
// district 东城区 (1), its street 东华门街道 (2), a community (3), a grid (4),
// a street office (10) and a unit whose name is a formula (11).
func exportService(t *testing.T) *Service {
	t.Helper()
	ctx := t.Context()
	st, err := store.Open(ctx, filepath.Join(t.TempDir(), "w.db"), store.Options{SQLiteSync: "normal"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	err = st.Write(ctx, func(tx *store.Tx) error {
		for _, p := range []org.Place{
			{ID: 1, Level: "district", Code: "d1", Name: "东城区"},
			{ID: 2, ParentID: 1, Level: "street", Code: "s1", Name: "东华门街道"},
			{ID: 3, ParentID: 2, Level: "community", Code: "c1", Name: "多福巷社区"},
			{ID: 4, ParentID: 3, Level: "grid", Code: "g1", Name: "第一网格"},
		} {
			if err := tx.InsertPlace(ctx, &p); err != nil {
				return err
			}
		}
		for _, u := range []org.Unit{
			{ID: 10, Code: "u10", Name: "东华门街道办事处", Kind: org.KindStreet, PlaceID: 2},
			{ID: 11, Code: "u11", Name: `=HYPERLINK("http://x.example","点我")`, Kind: org.KindDepartment, PlaceID: 1},
		} {
			if err := tx.InsertUnit(ctx, &u); err != nil {
				return err
			}
		}
		return tx.UpsertCategory(ctx, org.Category{Code: "urban.stall", NameZH: "占道经营", Leaf: true, Active: true})
	})
	if err != nil {
		t.Fatal(err)
	}
	c, err := core.New(ctx, st, core.Config{PhoneKey: []byte("0123456789abcdef0123456789abcdef")})
	if err != nil {
		t.Fatal(err)
	}
	return &Service{Core: c}
}

// TestExportRow: the row → columns mapping of the case-list export, one
// value per column, in order; times ISO 8601 in +08:00; places and units
// by name; nothing of the citizen, the address, the point or free text.
func TestExportRow(t *testing.T) {
	s := exportService(t)
	utc := time.Date(2026, 3, 3, 1, 2, 3, 0, time.UTC) // 09:02:03 in Shanghai
	lat, lon := 39.91, 116.40
	tests := []struct {
		name string
		c    lifecycle.Case
		want []any
	}{
		{"a fresh request without places", lifecycle.Case{Number: "2026030300001", CreatedAt: utc, Channel: "web", Type: "help", State: lifecycle.Received},
			[]any{"2026030300001", "2026-03-03T09:02:03+08:00", "web", "help", "", nil, nil, "received",
				nil, nil, nil, nil, nil, nil, nil, nil, nil, false, false, 0, 0, 0, nil, false}},
		{"a closed request with every field", lifecycle.Case{Number: "2026030300002", CreatedAt: utc, Channel: "phone", Type: "complaint", Category: "urban.stall",
			Urgency: "urgent", State: lifecycle.Closed, Title: "张三的摊", Description: "电话13812345678", ReplyText: "已处理",
			Location:   lifecycle.Location{Address: "东华门大街1号", Lat: &lat, Lon: &lon, DistrictID: 1, StreetID: 2, CommunityID: 3, GridID: 4},
			Citizen:    lifecycle.Citizen{Name: "张三", Phone: "13812345678", Confidential: true},
			LeadUnitID: 10, CoUnitIDs: []int64{11, 99}, ReplyBy: utc.Add(48 * time.Hour), RepliedAt: utc.Add(24 * time.Hour), ClosedAt: utc.Add(30 * time.Hour),
			Overdue: true, Supervised: true, ReopenCount: 1, Extensions: 2, Returns: 3, Satisfaction: lifecycle.Satisfied},
			[]any{"2026030300002", "2026-03-03T09:02:03+08:00", "phone", "complaint", "urban.stall", "占道经营", "urgent", "closed",
				"东城区", "东华门街道", "多福巷社区", "第一网格", "东华门街道办事处", `=HYPERLINK("http://x.example","点我"); 99`,
				"2026-03-05T09:02:03+08:00", "2026-03-04T09:02:03+08:00", "2026-03-04T15:02:03+08:00",
				true, true, 1, 2, 3, lifecycle.Satisfied, true}},
		{"an unknown category and place", lifecycle.Case{Number: "n3", CreatedAt: utc, Category: "gone", Location: lifecycle.Location{DistrictID: 77}},
			[]any{"n3", "2026-03-03T09:02:03+08:00", "", "", "gone", nil, nil, "",
				nil, nil, nil, nil, nil, nil, nil, nil, nil, false, false, 0, 0, 0, nil, false}},
	}
	for _, tt := range tests {
		got := s.ExportRow(&tt.c)
		if len(got) != len(ExportColumns) {
			t.Fatalf("%s: %d values for %d columns", tt.name, len(got), len(ExportColumns))
		}
		if !reflect.DeepEqual(got, tt.want) {
			for i := range got {
				if !reflect.DeepEqual(got[i], tt.want[i]) {
					t.Errorf("%s: %s = %#v, want %#v", tt.name, ExportColumns[i].Key, got[i], tt.want[i])
				}
			}
		}
		text := strings.Join(func() []string {
			var out []string
			for _, v := range got {
				out = append(out, exportText(v))
			}
			return out
		}(), "|")
		for _, secret := range []string{"张三", "13812345678", "东华门大街", "39.91", "116.4", "已处理"} {
			if strings.Contains(text, secret) {
				t.Errorf("%s: the row holds %q", tt.name, secret)
			}
		}
	}
}

// TestExportHeader: the headers in Chinese by default and English on
// request, one per column, all different.
func TestExportHeader(t *testing.T) {
	for _, lang := range []string{"zh-CN", "en"} {
		h := ExportHeader(lang)
		seen := map[string]bool{}
		for _, x := range h {
			if x == "" || seen[x] {
				t.Errorf("%s header %q empty or repeated", lang, x)
			}
			seen[x] = true
		}
	}
	if ExportHeader("zh-CN")[0] != "工单编号" || ExportHeader("en-GB")[0] != "Number" {
		t.Errorf("headers %v / %v", ExportHeader("zh-CN")[:1], ExportHeader("en-GB")[:1])
	}
}

// TestExportCSVInjection: a value a spreadsheet would run as a formula is
// written with a quote in front; a plain negative number is not.
func TestExportCSVInjection(t *testing.T) {
	var b bytes.Buffer
	e := &csvExport{w: &b}
	if err := e.header([]string{"a", "b", "c", "d", "e"}); err != nil {
		t.Fatal(err)
	}
	if err := e.row([]any{`=HYPERLINK("http://x","y")`, "+1+cmd", "@SUM(A1)", "-3.5", "\t=1"}); err != nil {
		t.Fatal(err)
	}
	if err := e.close(); err != nil {
		t.Fatal(err)
	}
	want := "\uFEFFa,b,c,d,e\r\n\"'=HYPERLINK(\"\"http://x\"\",\"\"y\"\")\",'+1+cmd,'@SUM(A1),-3.5,'\t=1\r\n"
	if b.String() != want {
		t.Errorf("CSV\n%q\nwant\n%q", b.String(), want)
	}
}

// TestExportBusy: with MaxConcurrentExports exports running a further one
// is refused with rate_limited and writes nothing; a bad format is 422.
func TestExportBusy(t *testing.T) {
	s := exportService(t)
	a := org.Actor{User: org.User{ID: 1, Roles: []string{org.RoleAdmin}}, Unit: org.Unit{ID: 1, Kind: org.KindCityCentre}}
	var b bytes.Buffer
	if _, err := s.ExportCases(context.Background(), a, ExportRequest{Format: "pdf"}, &b); !errs.Is(err, errs.Invalid) {
		t.Errorf("pdf: %v", err)
	}
	gate := s.exportGate()
	for range MaxConcurrentExports {
		gate <- struct{}{}
	}
	if _, err := s.ExportCases(context.Background(), a, ExportRequest{Format: ExportCSV}, &b); !errs.Is(err, errs.RateLimited) || b.Len() != 0 {
		t.Errorf("busy: %v, %d bytes", err, b.Len())
	}
	<-gate
	res, err := s.ExportCases(context.Background(), a, ExportRequest{Format: ExportJSONL}, &b)
	if err != nil || res.Rows != 0 {
		t.Errorf("with a free slot: %+v %v", res, err)
	}
}
