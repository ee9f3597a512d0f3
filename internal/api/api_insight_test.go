package api_test

import (
	"bytes"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"testing"

	"github.com/xuri/excelize/v2"

	"whistle/internal/demo"
	"whistle/internal/errs"
	"whistle/internal/governance/insighttest"
	"whistle/internal/insight"
	"whistle/internal/pgtest"
)

func TestInsightAPI(t *testing.T) {
	t.Run("sqlite", func(t *testing.T) { apiTestInsight(apiOpen(t, filepath.Join(t.TempDir(), "w.db"))) })
	t.Run("postgres", func(t *testing.T) { apiTestInsight(apiOpen(t, pgtest.NewDatabase(t))) })
}

func apiTestInsight(e *apiEnv) {
	t := e.t
	pl, err := insighttest.Plant(e.ctx, e.app.Svc, e.app.Store, e.cfg.DSN(), insight.DayOf(demo.DefaultEnd)-2)
	if err != nil {
		t.Fatal(err)
	}
	q := "from=" + pl.From.String() + "&to=" + pl.To.String()
	apiRefused(t, e.apiDo("", "GET", "/api/v1/insight?"+q, nil), 401, errs.Unauthenticated)
	apiRefused(t, e.apiDo(e.handlerA, "GET", "/api/v1/insight?"+q, nil), 403, errs.Forbidden)
	apiRefused(t, e.apiDo(e.analyst, "GET", "/api/v1/insight?from=2025-13-01", nil), 422, errs.Invalid)
	apiRefused(t, e.apiDo(e.analyst, "GET", "/api/v1/insight?from="+pl.To.String()+"&to="+pl.From.String(), nil), 422, errs.InvalidPeriod)
	apiRefused(t, e.apiDo(e.analyst, "GET", "/api/v1/insight?"+q+"&category=no.such", nil), 422, errs.UnknownCategory)
	apiRefused(t, e.apiDo(e.analyst, "GET", "/api/v1/insight?"+q+"&place=99999999", nil), 422, errs.UnknownPlace)
	// A district supervisor is confined to the district.
	other := e.districtB.PlaceID
	if e.supA != "" && other != e.districtA.PlaceID {
		apiRefused(t, e.apiDo(e.supA, "GET", "/api/v1/insight?"+q+"&place="+strconv.FormatInt(other, 10), nil), 422, errs.OutsideArea)
	}

	r := e.apiDo(e.analyst, "GET", "/api/v1/insight?"+q, nil)
	var an struct {
		RunID  int64 `json:"run_id"`
		Report struct {
			Candidates []struct{ Category string }
		} `json:"report"`
	}
	apiWant(t, r, 200, &an)
	if bytes.Contains(r.Body, []byte("NaN")) || regexp.MustCompile(`(^|[^\d.eE+-])1[3-9]\d{9}(\D|$)`).Match(r.Body) {
		t.Errorf("the analysis JSON holds NaN or a phone number")
	}
	if an.RunID == 0 || !slices.ContainsFunc(an.Report.Candidates, func(c struct{ Category string }) bool { return c.Category == pl.Category }) {
		t.Errorf("run %d, candidates %+v: the planted category is missing", an.RunID, an.Report.Candidates)
	}
	// The second look is the stored run.
	var again struct {
		RunID int64 `json:"run_id"`
	}
	apiWant(t, e.apiDo(e.analyst, "GET", "/api/v1/insight?"+q, nil), 200, &again)
	if again.RunID != an.RunID {
		t.Errorf("second look ran again: run %d, then %d", an.RunID, again.RunID)
	}

	x := e.apiDo(e.analyst, "GET", "/api/v1/insight/export.xlsx?"+q, nil)
	if x.Status != 200 {
		t.Fatalf("export: %s", x)
	}
	f, err := excelize.OpenReader(bytes.NewReader(x.Body))
	if err != nil {
		t.Fatal(err)
	}
	if got := f.GetSheetList(); len(got) != 5 || got[0] != "候选 Candidates" {
		t.Errorf("sheets %v", got)
	}
	apiRefused(t, e.apiDo(e.handlerA, "GET", "/api/v1/insight/export.xlsx?"+q, nil), 403, errs.Forbidden)
}
