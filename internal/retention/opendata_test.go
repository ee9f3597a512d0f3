package retention_test

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"maps"
	"math"
	"slices"
	"strings"
	"testing"

	"whistle/internal/errs"
	"whistle/internal/retention"
)

// TestOpenDataExport seeds March requests whose title, description, address,
// notes and reply carry the callers' names, phone, ID and landline numbers,
// and checks the month's open-data export in CSV and JSON: exactly the
// documented columns, one row per request created in the month, none of
// the personal data (no 1[3-9]\d{9}, no name, no address, no free text),
// a confidential request kept without category, street or location, and
// locations rounded to 0.001°.
func TestOpenDataExport(t *testing.T) {
	eachStore(t, func(t *testing.T, dsn string) {
		w := openWorld(t, dsn)
		for i, who := range citizens {
			w.play(3+2*i, who, i == 1, i != 2)
		}
		od := retention.NewOpenData(w.svc.Core)
		var csvBuf, jsonBuf bytes.Buffer
		if err := od.WriteCSV(w.ctx, &csvBuf, "2026-03"); err != nil {
			t.Fatal(err)
		}
		if err := od.WriteJSON(w.ctx, &jsonBuf, "2026-03"); err != nil {
			t.Fatal(err)
		}
		for name, out := range map[string]string{"csv": csvBuf.String(), "json": jsonBuf.String()} {
			if m := regexp1.FindString(out); m != "" {
				t.Errorf("%s export holds a mobile number %s", name, m)
			}
			for _, who := range citizens {
				for _, p := range append(personal(who), "[已删除]", "路灯", "已修复", "回访") {
					if strings.Contains(out, p) {
						t.Errorf("%s export holds %q", name, p)
					}
				}
			}
			for _, staff := range []string{w.agent.User.DisplayName, w.streetH.User.DisplayName, w.dispatcher.User.DisplayName} {
				if strings.Contains(out, staff) {
					t.Errorf("%s export names staff %q", name, staff)
				}
			}
		}
		recs, err := csv.NewReader(&csvBuf).ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(recs[0], retention.OpenColumns) {
			t.Errorf("CSV columns %v, want %v", recs[0], retention.OpenColumns)
		}
		var rows []map[string]any
		if err := json.Unmarshal(jsonBuf.Bytes(), &rows); err != nil {
			t.Fatal(err)
		}
		if len(rows) != len(citizens) || len(recs) != len(citizens)+1 {
			t.Fatalf("%d JSON rows, %d CSV records, want %d requests", len(rows), len(recs)-1, len(citizens))
		}
		for i, r := range rows {
			if keys := slices.Sorted(maps.Keys(r)); !slices.Equal(keys, slices.Sorted(slices.Values(retention.OpenColumns))) {
				t.Errorf("row %d keys %v", i, keys)
			}
			withheld := r["detail_withheld"] == true
			if withheld != (i == 1) {
				t.Errorf("row %d detail_withheld %v", i, r["detail_withheld"])
			}
			if withheld {
				if r["category"] != "" || r["street"] != "" || r["lat"] != nil || r["lon"] != nil || r["category_name"] != "" {
					t.Errorf("confidential row with detail: %v", r)
				}
			} else {
				lat, _ := r["lat"].(float64)
				if lat == 0 || math.Abs(lat*1000-math.Round(lat*1000)) > 1e-6 || r["street"] == "" || r["category"] == "" {
					t.Errorf("row %d location or places: %v", i, r)
				}
			}
			if r["district"] == "" || r["created_date"] == "" || r["channel"] != "phone" {
				t.Errorf("row %d: %v", i, r)
			}
			closed := i != 2
			if closed != (r["closed_date"] != "") || closed != (r["satisfied"] == true) || r["on_time"] != (map[bool]any{true: true, false: nil})[closed] {
				t.Errorf("row %d closed %v: %v", i, closed, r)
			}
		}
		if err := od.WriteCSV(w.ctx, &csvBuf, "2026-3"); !errs.Is(err, errs.Invalid) {
			t.Errorf("bad month: %v", err)
		}
	})
}
