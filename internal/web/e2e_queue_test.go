package web_test

import (
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"whistle/internal/auth"
	"whistle/internal/casework"
	"whistle/internal/geo"
	"whistle/internal/lifecycle"
	"whistle/internal/org"
)

// The agent's queue (#10 item 8): the waiting online submissions with
// their suggestions, the confident ones ticked; one click accepts and
// dispatches them, they leave the queue and a street office finds its own
// in its inbox.
func TestQueueBulkDispatchInTheBrowser(t *testing.T) {
	e := newE2E(t)
	ctx := t.Context()
	svc := e.app.Svc
	if _, err := svc.Dispatch.TrainClassifier(ctx); err != nil {
		t.Fatalf("train: %v", err)
	}
	// Two online submissions with the text and place of a closed demo
	// request that the classifier recognises and the duty list sends to
	// one street office.
	closed := lifecycle.Closed
	pg, err := svc.Cases.List(ctx, org.System(), lifecycle.CaseFilter{States: []lifecycle.State{closed}, Limit: 200})
	if err != nil {
		t.Fatal(err)
	}
	var model *lifecycle.Case
	var street org.Unit
	for _, c := range pg.Cases {
		if c.Location.Lat == nil || c.Location.GridID == 0 {
			continue
		}
		txt := c.Title + " " + c.Description
		sug, err := svc.Dispatch.Suggest(ctx, txt, 1)
		if err != nil || len(sug) == 0 || sug[0].Code != c.Category || sug[0].Probability < casework.DefaultQueueThreshold {
			continue
		}
		// The place as the queue routes it: with its housing compound,
		// whose property company a rule may name instead of the street.
		d, err := svc.Dispatch.RouteSuggestionAt(ctx, c.Category, c.Location.GridID, txt, c.Location)
		if err != nil || !d.Matched || d.Ambiguous || d.LeadUnitID == 0 {
			continue
		}
		if u, ok := svc.Unit(d.LeadUnitID); ok && u.Kind == org.KindStreet {
			model, street = c, u
			break
		}
	}
	if model == nil {
		t.Fatal("no closed demo request the classifier and the duty list send to a street office")
	}
	var mine []*lifecycle.Case
	for i := range 2 {
		c, _, err := svc.Cases.SubmitPublic(ctx, casework.NewCase{Channel: "web", Type: model.Type, Category: model.Category,
			Description: model.Description, Title: model.Title, Lat: model.Location.Lat, Lon: model.Location.Lon,
			CitizenPhone: fmt.Sprintf("1390000%04d", i)}, "")
		if err != nil || c.State != lifecycle.Submitted {
			t.Fatalf("submit: %+v, %v", c, err)
		}
		mine = append(mine, c)
	}

	agentUser := e.logins[org.RoleAgent]
	agentUnit, _ := svc.Unit(agentUser.UnitID)
	agent := org.Actor{User: agentUser, Unit: agentUnit}
	q, err := svc.Cases.WaitingQueue(ctx, agent)
	if err != nil {
		t.Fatal(err)
	}
	confident := map[int64]bool{}
	for _, it := range q.Items {
		if it.Confident {
			confident[it.Case.ID] = true
		}
	}
	for _, c := range mine {
		if !confident[c.ID] {
			t.Fatalf("submission %s is not confident in the queue", c.Number)
		}
	}

	e.login(org.RoleAgent)
	e.navigating(chromedp.Click(chromedp.CSS("header nav a[href='/queue']")))
	e.do(chromedp.WaitVisible(chromedp.ID("queue")))
	if n := value[int](e, "document.querySelectorAll('#queue tbody tr[id^=q-]').length"); n != len(q.Items) {
		t.Fatalf("the page lists %d waiting submissions, the service %d", n, len(q.Items))
	}
	if n := value[int](e, "document.querySelectorAll('#queue input[name=id]:checked').length"); n != len(confident) {
		t.Fatalf("%d rows ticked, want the %d confident ones", n, len(confident))
	}
	for _, c := range mine {
		row := fmt.Sprintf("#q-%d", c.ID)
		if !value[bool](e, fmt.Sprintf(`!!document.querySelector('%s [data-due]') && !!document.querySelector('%s a[href="/cases/%d"]')`, row, row, c.ID)) {
			t.Fatalf("row of %s has no countdown or no link to the case", c.Number)
		}
		e.wantText(row, street.Name)
	}
	e.shot("queue")

	e.navigating(chromedp.Click(chromedp.ID("queue-dispatch")))
	e.do(chromedp.WaitVisible(chromedp.ID("queue-results")))
	if n := value[int](e, "document.querySelectorAll('#queue-results li.ok').length"); n != len(confident) {
		t.Fatalf("%d dispatched, want %d: %s", n, len(confident), e.text("#queue-results"))
	}
	for _, c := range mine {
		if value[bool](e, fmt.Sprintf("!!document.getElementById('q-%d')", c.ID)) {
			t.Fatalf("%s is still in the queue after the bulk dispatch", c.Number)
		}
		got, err := svc.Cases.Get(ctx, org.System(), c.ID)
		if err != nil || got.State != lifecycle.Dispatched || got.LeadUnitID != street.ID {
			t.Fatalf("%s after the bulk dispatch: %+v, %v", c.Number, got, err)
		}
	}

	// The street office finds them in its inbox.
	users, err := svc.Admin.Users(ctx, e.adminActor(), street.ID)
	if err != nil {
		t.Fatal(err)
	}
	handler := ""
	for _, u := range users {
		if u.Has(org.RoleHandler) {
			handler = u.Username
			break
		}
	}
	if handler == "" {
		t.Fatalf("street office %s has no handler", street.Name)
	}
	e.logout()
	e.loginAs(handler)
	e.do(chromedp.Navigate(e.base+"/inbox"), chromedp.WaitVisible(chromedp.ID("inbox")))
	for _, c := range mine {
		e.do(chromedp.WaitVisible(linkTo(c.Number)))
	}
}

// The supervisor's map (#10 item 9): every open order in the district
// supervisor's scope, counted, on a map zoomed to the district; a bar of
// the chart leads to its cases.
func TestSupervisorMapInTheBrowser(t *testing.T) {
	e := newE2E(t)
	ctx := t.Context()
	svc := e.app.Svc
	const username = "sup-209901"
	tok, _, err := svc.Accounts.Login(ctx, auth.NewLoginLimiter(10, time.Minute), username, "whistle-demo", "test")
	if err != nil {
		t.Fatalf("login %s: %v", username, err)
	}
	sup, err := svc.Accounts.Authenticate(ctx, tok)
	if err != nil || !sup.User.Has(org.RoleSupervisor) || sup.DistrictID == 0 {
		t.Fatalf("%s: %+v, %v", username, sup, err)
	}
	// The small test city has few open orders in the district: add online
	// submissions at the places of its closed requests until there are
	// more than the old map's 50.
	closed := lifecycle.Closed
	done, err := svc.Cases.List(ctx, sup, lifecycle.CaseFilter{States: []lifecycle.State{closed}, Limit: 200})
	if err != nil {
		t.Fatal(err)
	}
	var places []*lifecycle.Case
	for _, c := range done.Cases {
		if c.Location.Lat != nil && c.Location.DistrictID == sup.DistrictID {
			places = append(places, c)
		}
	}
	if len(places) == 0 {
		t.Fatal("no closed request with coordinates in the district")
	}
	// An agent dispatches some of them to their street offices, so that
	// units of the district have open orders (bars) of their own, whatever
	// the day's demo left open.
	atok, _, err := svc.Accounts.Login(ctx, auth.NewLoginLimiter(10, time.Minute), "agent01", "whistle-demo", "test")
	if err != nil {
		t.Fatal(err)
	}
	agent, err := svc.Accounts.Authenticate(ctx, atok)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 60 {
		c := places[i%len(places)]
		nc, _, err := svc.Cases.SubmitPublic(ctx, casework.NewCase{Channel: "web", Type: c.Type, Category: c.Category, Description: c.Description,
			Lat: c.Location.Lat, Lon: c.Location.Lon, CitizenPhone: fmt.Sprintf("1390001%04d", i)}, "")
		if err != nil {
			t.Fatalf("submit: %v", err)
		}
		if u, ok := svc.HandlingUnitFor(nc.Location); i < 12 && ok && nc.State == lifecycle.Submitted {
			if _, _, err := svc.Cases.Act(ctx, agent, nc.ID, casework.ActInput{Action: lifecycle.ActAccept}); err != nil {
				t.Fatalf("accept: %v", err)
			}
			if _, _, err := svc.Cases.Act(ctx, agent, nc.ID, casework.ActInput{Action: lifecycle.ActDispatch, UnitID: u.ID}); err != nil {
				t.Fatalf("dispatch to %s: %v", u.Name, err)
			}
		}
	}
	m, err := svc.Cases.OpenOrderMap(ctx, sup)
	if err != nil {
		t.Fatal(err)
	}
	// The service's count, checked against the cases themselves: every
	// open order with coordinates in the district.
	open, located := true, 0
	f := lifecycle.CaseFilter{Open: &open, Limit: 200, Sort: "due"}
	for {
		pg, err := svc.Cases.List(ctx, sup, f)
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range pg.Cases {
			if c.Location.Lat == nil {
				continue
			}
			located++
			if ch, ok, _ := svc.PlacePoint(*c.Location.Lat, *c.Location.Lon); !ok || ch[0] != sup.DistrictID {
				t.Fatalf("open order %s at %v,%v is not in district %d", c.Number, *c.Location.Lat, *c.Location.Lon, sup.DistrictID)
			}
		}
		if pg.Next == "" {
			break
		}
		f.Cursor = pg.Next
	}
	if m.DistrictID != sup.DistrictID || m.Capped || len(m.Points) != located || m.Located != located || located == 0 {
		t.Fatalf("OpenOrderMap: district %d, capped %v, %d points, located %d; want %d in district %d",
			m.DistrictID, m.Capped, len(m.Points), m.Located, located, sup.DistrictID)
	}
	if located <= 60 {
		t.Fatalf("only %d open orders located in the district", located)
	}

	e.loginAs(username)
	e.do(chromedp.Navigate(e.base+"/supervisor"), chromedp.WaitVisible(chromedp.CSS("#order-map[data-ready='1']")))
	if n := value[string](e, "document.getElementById('order-map').dataset.markers"); n != strconv.Itoa(located) {
		t.Fatalf("the map holds %s markers, want %d", n, located)
	}
	e.wantText("#map-count", strconv.Itoa(located))

	// Zoomed to the district: its whole boundary in view, the view's
	// centre inside it, and closer in than the whole city.
	all, err := svc.Places(ctx, org.LevelDistrict)
	if err != nil {
		t.Fatal(err)
	}
	var d *geo.Shape
	for _, p := range all {
		if p.ID == sup.DistrictID && p.Boundary != "" {
			if d, err = geo.Parse(p.Boundary); err != nil {
				t.Fatal(err)
			}
		}
	}
	if d == nil {
		t.Fatalf("district %d has no boundary", sup.DistrictID)
	}
	cityW, cityH := 0.0, 0.0
	{
		minX, minY, maxX, maxY := 180.0, 90.0, -180.0, -90.0
		for _, p := range all {
			if sh, err := geo.Parse(p.Boundary); err == nil {
				minX, minY, maxX, maxY = min(minX, sh.MinX), min(minY, sh.MinY), max(maxX, sh.MaxX), max(maxY, sh.MaxY)
			}
		}
		cityW, cityH = maxX-minX, maxY-minY
	}
	b := value[[]float64](e, "(() => { const b = document.getElementById('order-map')._whistleMap.getBounds(); return [b.getWest(), b.getSouth(), b.getEast(), b.getNorth()] })()")
	const eps = 1e-6
	cx, cy := (b[0]+b[2])/2, (b[1]+b[3])/2
	if b[0] > d.MinX+eps || b[1] > d.MinY+eps || b[2] < d.MaxX-eps || b[3] < d.MaxY-eps {
		t.Fatalf("map bounds %v do not hold the district %v", b, [4]float64{d.MinX, d.MinY, d.MaxX, d.MaxY})
	}
	if cx < d.MinX || cx > d.MaxX || cy < d.MinY || cy > d.MaxY {
		t.Fatalf("map centre %v,%v is outside the district %v", cx, cy, [4]float64{d.MinX, d.MinY, d.MaxX, d.MaxY})
	}
	if (b[2]-b[0])*(b[3]-b[1]) >= cityW*cityH {
		t.Fatalf("map bounds %v are as wide as the city (%v × %v): not zoomed to the district", b, cityW, cityH)
	}
	if got := value[string](e, "document.getElementById('order-map').dataset.fitted"); got != "district" {
		t.Fatalf("map fitted to %q", got)
	}
	e.shot("supervisor-map")

	// A bar of the chart drills down like the table.
	e.do(chromedp.WaitVisible(chromedp.CSS("#unit-chart[data-bound='1']")))
	type target struct {
		X, Y float64
		Href string
	}
	tg := value[target](e, `(() => {
	  const el = document.getElementById('unit-chart'); el.scrollIntoView({block: 'center'});
	  const ch = echarts.getInstanceByDom(el), drill = JSON.parse(el.dataset.drill);
	  const r = el.getBoundingClientRect();
	  for (const s of [0, 1]) {
	    const data = ch.getModel().getSeriesByIndex(s).getData();
	    for (let i = data.count() - 1; i >= 0; i--) {
	      const l = data.getItemLayout(i);
	      if (!drill[s][i] || !drill[s][i].startsWith('/cases') || !l || Math.abs(l.width) < 4 || Math.abs(l.height) < 2) continue;
	      return {X: r.left + l.x + l.width / 2, Y: r.top + l.y + l.height / 2, Href: drill[s][i]};
	    }
	  }
	  return {X: 0, Y: 0, Href: ''};
	})()`)
	if tg.Href == "" {
		t.Fatal("no bar of a unit to click")
	}
	e.navigating(chromedp.MouseClickXY(tg.X, tg.Y))
	if loc := value[string](e, "location.pathname + location.search"); loc != tg.Href || !strings.Contains(loc, "/cases?unit=") {
		t.Fatalf("clicking the bar led to %q, want %q", loc, tg.Href)
	}
	e.do(chromedp.WaitVisible(chromedp.CSS("main table")))
}
