package web_test

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"whistle/internal/lifecycle"
	"whistle/internal/org"
)

// gridCentre is the mean of a grid's boundary corners.
func (e *e2e) gridCentre(gridID int64) (lat, lon float64) {
	e.t.Helper()
	grids, err := e.app.Svc.Places(e.t.Context(), org.LevelGrid)
	if err != nil {
		e.t.Fatal(err)
	}
	var g org.Place
	for _, p := range grids {
		if p.ID == gridID {
			g = p
		}
	}
	var geom struct {
		Type        string         `json:"type"`
		Coordinates [][][2]float64 `json:"coordinates"`
	}
	if err := json.Unmarshal([]byte(g.Boundary), &geom); err != nil || geom.Type != "Polygon" || len(geom.Coordinates) == 0 {
		e.t.Fatalf("grid %d boundary: %v", gridID, err)
	}
	r := geom.Coordinates[0][:len(geom.Coordinates[0])-1]
	for _, v := range r {
		lon += v[0]
		lat += v[1]
	}
	return lat / float64(len(r)), lon / float64(len(r))
}

// TestPatrolOnAPhone walks a grid worker's patrol on a phone-sized screen:
// start, record a position, report a finding with a photo that becomes a
// case dispatched to the street office, end; the coverage page shows it.
func TestPatrolOnAPhone(t *testing.T) {
	e := newE2E(t)
	svc := e.app.Svc
	worker := e.logins[org.RoleGridWorker]
	if len(worker.GridIDs) == 0 {
		t.Fatalf("demo grid worker %s has no grid", worker.Username)
	}
	gridID := worker.GridIDs[0]
	lat, lon := e.gridCentre(gridID)
	img := photo(t)

	phone := chromedp.EmulateViewport(390, 844, chromedp.EmulateMobile)
	e.do(phone)
	e.login(org.RoleGridWorker)
	e.do(phone, chromedp.WaitVisible(chromedp.ID("start-form")))
	e.do(chromedp.SetValue(chromedp.ID("grid_id"), fmt.Sprint(gridID)))
	msg := e.submitted(chromedp.Click(chromedp.CSS("#start-form button[type=submit]")))
	grid, _ := svc.Place(gridID)
	if !strings.Contains(msg, grid.Name) {
		t.Fatalf("flash %q", msg)
	}
	e.wantText("#patrol-grid", grid.Name)
	e.wantText("#patrol-points", "0")

	// Record where the worker stands (the test plays the phone's GPS fix).
	e.eval(fmt.Sprintf(`(() => { const a = document.getElementById('pos-lat'), b = document.getElementById('pos-lon');
		document.getElementById('pos-source').value = 'gps';
		a.value = '%f'; b.value = '%f'; a.dispatchEvent(new Event('change')); })()`, lat, lon))
	if v := value[string](e, "document.getElementById('find-lat').value"); v == "" {
		t.Fatal("the finding form does not take the position")
	}
	e.submitted(chromedp.Click(chromedp.ID("record-position")))
	e.wantText("#patrol-points", "1")
	pg, err := svc.St.Patrols(t.Context(), worker.ID, svc.Now().AddDate(0, 0, -1), svc.Now().AddDate(0, 0, 1), 5)
	if err != nil || len(pg) != 1 || pg[0].Points != 1 {
		t.Fatalf("stored patrol: %+v, %v", pg, err)
	}

	// Report a finding with a photo; the street office is to handle it.
	e.eval(fmt.Sprintf(`(() => { const a = document.getElementById('pos-lat'), b = document.getElementById('pos-lon');
		document.getElementById('pos-source').value = 'gps';
		a.value = '%f'; b.value = '%f'; a.dispatchEvent(new Event('change')); })()`, lat, lon))
	e.openForm("#finding-form")
	// The checklist item proposes the category of the same name.
	e.eval("(() => { const i = document.getElementById('item'); i.value = 'road_occupation'; i.dispatchEvent(new Event('change')); })()")
	if v := value[string](e, "document.getElementById('category').value"); v != "urban.stall" {
		t.Fatalf("item 占道经营 proposes category %q", v)
	}
	e.do(phone, chromedp.SendKeys(chromedp.ID("description"), "菜市场北口商户占道摆放货架，占用人行道约二十米"),
		chromedp.SetUploadFiles(chromedp.ID("photos"), []string{img}),
		chromedp.Click(chromedp.ID("outcome-street")))
	e.shot("patrol-finding")
	msg = e.submitted(chromedp.Click(chromedp.CSS("#finding-form button[type=submit]")))
	number := regexp.MustCompile(`\d{13}`).FindString(msg)
	if number == "" {
		t.Fatalf("flash %q names no request number", msg)
	}
	c, err := svc.Cases.GetByNumber(t.Context(), org.System(), number)
	if err != nil {
		t.Fatal(err)
	}
	_, street, _ := streetOf(t, e, gridID)
	if c.Channel != "grid" || c.State != lifecycle.Dispatched || c.LeadUnitID != street || c.Category != "urban.stall" || c.Location.Lat == nil {
		t.Fatalf("the finding's case: channel %s state %s lead %d (street office %d) category %s", c.Channel, c.State, c.LeadUnitID, street, c.Category)
	}
	evs, err := svc.Cases.Timeline(t.Context(), org.System(), c.ID)
	if err != nil || len(evs) == 0 || len(evs[0].Attachments) != 1 {
		t.Fatalf("the photo is not attached to the finding's case: %v", err)
	}
	e.wantText("#findings", number)
	e.wantText("#findings", "已派单")
	e.wantText("#patrol-findings", "1")
	e.shot("patrol")

	// End the patrol.
	msg = e.submitted(chromedp.Click(chromedp.CSS("#end-form button")))
	if !strings.Contains(msg, "1 个位置") || !strings.Contains(msg, "发现问题 1 个") {
		t.Fatalf("flash %q", msg)
	}
	e.do(chromedp.WaitVisible(chromedp.ID("start-form")))
	e.wantText("#recent", grid.Name)
	e.logout()

	// The coverage page counts the patrol and shows the finding on the map.
	e.do(chromedp.EmulateViewport(1280, 800))
	e.login(org.RoleAnalyst)
	e.do(chromedp.Navigate(e.base+"/patrol/coverage"), chromedp.WaitVisible(chromedp.ID("coverage")))
	streetPlace, _, _ := streetOf(t, e, gridID)
	cells := value[[]string](e, fmt.Sprintf(`(() => { const r = [...document.querySelectorAll('#coverage tbody tr')].find(r => r.cells[0].innerText.includes(%q));
		return r ? [...r.cells].slice(1).map(c => c.innerText.trim()) : []; })()`, streetPlace))
	if len(cells) != 4 || !strings.HasPrefix(cells[1], "1 ") || cells[2] != "1" || cells[3] != "1" {
		t.Fatalf("coverage of %s: %q (want 1 grid patrolled, 1 patrol, 1 finding)", streetPlace, cells)
	}
	e.wantText("#coverage-count", "1")
	e.do(chromedp.WaitVisible(chromedp.CSS("#coverage-map path.leaflet-interactive")))
	e.shot("coverage")
}

// streetOf returns the name of the street a grid lies in and its street office.
func streetOf(t *testing.T, e *e2e, gridID int64) (string, int64, int64) {
	t.Helper()
	loc, ok := e.app.Svc.LocationOf(gridID)
	if !ok {
		t.Fatalf("grid %d has no location", gridID)
	}
	st, _ := e.app.Svc.Place(loc.StreetID)
	for _, u := range e.app.Svc.UnitsList() {
		if u.Kind == org.KindStreet && u.PlaceID == loc.StreetID {
			return st.Name, u.ID, loc.StreetID
		}
	}
	t.Fatalf("no street office for grid %d", gridID)
	return "", 0, 0
}
