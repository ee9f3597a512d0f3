package web

import (
	"crypto/rand"
	"encoding/hex"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"whistle/internal/casework"
	"whistle/internal/classify"
	"whistle/internal/core"
	"whistle/internal/dedup"
	"whistle/internal/dispatch"
	"whistle/internal/dutylist"
	"whistle/internal/errs"
	"whistle/internal/httpx"
	"whistle/internal/knowledge"
	"whistle/internal/lifecycle"
	"whistle/internal/org"
	"whistle/internal/timelimit"
)

// catGroup is one top-level category with its leaves (the searchable tree).
type catGroup struct {
	Parent org.Category
	Leaves []org.Category
}

type agentData struct {
	Types, Urgencies []string
	Groups           []catGroup
	Idem             string
	Suggest          *suggestion
	History          []*lifecycle.Case
	// HistoryIncomplete: the phone typed is not yet one complete number
	// (nothing was searched); HistoryErr: why the search was refused.
	HistoryIncomplete bool
	HistoryErr        string
}

// suggestion is what the agent screen shows beside the form as it is
// filled in: where the request is, who would get it and by when.
type suggestion struct {
	Loc       lifecycle.Location
	LocErr    string
	Unit      org.Unit
	UnitID    int64 // selected unit (the agent's choice, else the suggestion)
	Units     []org.Unit
	Limits    timelimit.Limits
	Rule      string
	SignBy    time.Time
	ReplyBy   time.Time
	HasLimits bool
	Geo       *core.GeocodeResult   // the address read against the gazetteer
	Classes   []classify.Suggestion // the classifier's top three categories
	Route     *dutylist.Decision    // the duty list's answer for category × place × text
	CoUnits   []org.Unit            // co-handlers the duty list names
	Dups      []dedup.Match         // likely duplicates among open requests nearby
	Articles  []knowledge.Hit       // knowledge articles for an answer
}

func newIdem() string {
	var b [12]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

func (s *Server) categoryGroups(lang string) []catGroup {
	cats := s.svc.Categories()
	byCode := map[string]*catGroup{}
	var order []string
	for _, c := range cats {
		if !c.Active || !c.Leaf {
			continue
		}
		top := c.Code
		if i := strings.IndexByte(top, '.'); i >= 0 {
			top = top[:i]
		}
		g, ok := byCode[top]
		if !ok {
			p, _ := s.svc.Category(top)
			g = &catGroup{Parent: p}
			byCode[top] = g
			order = append(order, top)
		}
		g.Leaves = append(g.Leaves, c)
	}
	slices.Sort(order)
	out := make([]catGroup, 0, len(order))
	for _, k := range order {
		g := byCode[k]
		slices.SortFunc(g.Leaves, func(a, b org.Category) int { return strings.Compare(a.Code, b.Code) })
		out = append(out, *g)
	}
	return out
}

// handlingUnits are the units an order can go to (not the city centre).
func (s *Server) handlingUnits() []org.Unit {
	var out []org.Unit
	for _, u := range s.svc.UnitsList() {
		if u.Kind != org.KindCityCentre {
			out = append(out, u)
		}
	}
	slices.SortFunc(out, func(a, b org.Unit) int {
		if a.Kind != b.Kind {
			return strings.Compare(kindOrder(a.Kind), kindOrder(b.Kind))
		}
		return int(a.ID - b.ID)
	})
	return out
}

func kindOrder(k string) string {
	switch k {
	case org.KindStreet:
		return "1"
	case org.KindDepartment:
		return "2"
	case org.KindEnterprise:
		return "3"
	}
	return "4"
}

func (s *Server) agentData(p *page) *agentData {
	return &agentData{Types: lifecycle.Types, Urgencies: lifecycle.Urgencies, Groups: s.categoryGroups(p.Lang), Idem: newIdem()}
}

func (s *Server) agentPage(w http.ResponseWriter, r *http.Request, a org.Actor) {
	if !a.User.Has(org.RoleAgent, org.RoleDispatcher) {
		s.errorPage(w, r, 403, errs.Message(errs.Forbidden, langOf(r)))
		return
	}
	p := s.newPage(r, &a, "agent.title")
	d := s.agentData(p)
	p.Form.Set("type", "complaint")
	p.Form.Set("urgency", "")
	d.Suggest = s.suggest(r, a, p.Form)
	p.Data = d
	s.render(w, 200, "agent", p)
}

func parseCoord(v string) (*float64, bool) {
	v = strings.TrimSpace(v)
	if v == "" {
		return nil, true
	}
	f, err := strconv.ParseFloat(v, 64)
	if err != nil {
		return nil, false
	}
	return &f, true
}

// suggest works out the place, the suggested unit and the time limits from
// what has been typed so far.
func (s *Server) suggest(r *http.Request, a org.Actor, form map[string][]string) *suggestion {
	get := func(k string) string {
		if v := form[k]; len(v) > 0 {
			return strings.TrimSpace(v[0])
		}
		return ""
	}
	sg := &suggestion{Units: s.handlingUnits()}
	lat, ok1 := parseCoord(get("lat"))
	lon, ok2 := parseCoord(get("lon"))
	if ok1 && ok2 && lat != nil && lon != nil {
		loc, err := s.svc.Locate(*lat, *lon)
		if err != nil {
			sg.LocErr = errs.Message(errs.CodeOf(err), langOf(r))
		} else {
			sg.Loc = loc
		}
	} else if addr := get("address"); addr != "" {
		// No pin: read the address against the gazetteer. A confident
		// match places the request; otherwise the agent picks a candidate.
		if res, err := s.svc.Geocode(r.Context(), addr, 5); err == nil {
			sg.Geo = &res
			if res.Match != nil {
				if loc, ok := s.svc.LocationOf(res.Match.PlaceID); ok {
					sg.Loc = loc
				}
			}
		}
	}
	// A candidate the agent picked (or a place chosen otherwise) wins over
	// the gazetteer's own guess, but not over a pin.
	pinned := sg.Loc.DistrictID != 0 && sg.Geo == nil
	if pid, err := strconv.ParseInt(get("place_id"), 10, 64); err == nil && pid > 0 && !pinned {
		if loc, ok := s.svc.LocationOf(pid); ok {
			sg.Loc = loc
		}
	}
	if u, ok := s.svc.HandlingUnitFor(sg.Loc); ok {
		sg.Unit = u
	}
	ctx := r.Context()
	text := strings.TrimSpace(get("title") + " " + get("description"))
	category := get("category")
	if len([]rune(text)) >= 4 {
		if cl, err := s.svc.Dispatch.Suggest(ctx, text, 3); err == nil {
			sg.Classes = cl
		}
	}
	if category == "" && len(sg.Classes) > 0 {
		category = sg.Classes[0].Code
	}
	place := sg.Loc.GridID
	for _, id := range []int64{sg.Loc.CommunityID, sg.Loc.StreetID, sg.Loc.DistrictID} {
		if place == 0 {
			place = id
		}
	}
	if _, ok := s.svc.Category(category); ok {
		if d, err := s.svc.Dispatch.RouteSuggestionAt(ctx, category, place, text, lifecycle.Location{Lat: lat, Lon: lon, Address: get("address"), CommunityID: sg.Loc.CommunityID}); err == nil {
			sg.Route = &d
			if u, ok := s.svc.Unit(d.LeadUnitID); ok && d.Matched {
				sg.Unit = u
			}
			for _, id := range d.CoUnitIDs {
				if u, ok := s.svc.Unit(id); ok {
					sg.CoUnits = append(sg.CoUnits, u)
				}
			}
		}
		if place != 0 || lat != nil {
			draft := dispatch.DraftRequest{Category: category, Title: get("title"), Description: get("description"), Lat: lat, Lon: lon, PlaceID: place, Address: get("address")}
			if lat != nil {
				draft.PlaceID = 0
			}
			if m, err := s.svc.Dispatch.CheckDuplicates(ctx, a, draft, s.svc.Dispatch.DuplicateConfig()); err == nil {
				if len(m) > 5 {
					m = m[:5]
				}
				sg.Dups = m
			}
		}
	}
	if text != "" {
		cat := ""
		if _, ok := s.svc.Category(category); ok {
			cat = category
		}
		if hits, err := s.svc.Dispatch.SuggestArticles(ctx, a, text, cat, 3); err == nil {
			sg.Articles = hits
		}
	}
	sg.UnitID = sg.Unit.ID
	if get("unit_touched") == "1" {
		if id, err := strconv.ParseInt(get("unit_id"), 10, 64); err == nil {
			sg.UnitID = id
		}
	}
	typ, cat, urg := get("type"), get("category"), get("urgency")
	if urg == "" {
		if c, ok := s.svc.Category(cat); ok {
			urg = c.Urgency
		}
	}
	if urg == "" {
		urg = "general"
	}
	if timelimit.ValidType(typ) && cat != "" {
		sg.Limits, sg.Rule = s.svc.Policy().For(urg, typ, cat)
		now := s.svc.Now()
		d := sg.Limits.Compute(s.svc.Calendar(), now, now)
		sg.SignBy, sg.ReplyBy, sg.HasLimits = d.SignBy, d.ReplyBy, true
	}
	return sg
}

func (s *Server) agentSuggest(w http.ResponseWriter, r *http.Request, a org.Actor) {
	if err := r.ParseForm(); err != nil {
		http.Error(w, "bad form", 400)
		return
	}
	p := s.newPage(r, &a, "agent.title")
	p.Form = r.PostForm
	p.Data = &agentData{Suggest: s.suggest(r, a, r.PostForm)}
	s.partial(w, "agent", "suggest", p)
}

// agentHistory is the agent screen's caller history: the requests of the
// number being typed, found by casework.SearchByPhone (roles that take
// calls only, rate-limited, audited, confidential citizens of other units
// never matched). Other roles get 403 before the number is read; an
// incomplete number (while it is typed, or masked) answers 422 and a spent
// allowance 429, each with the panel (app.js swaps these in too).
func (s *Server) agentHistory(w http.ResponseWriter, r *http.Request, a org.Actor) {
	p := s.newPage(r, &a, "agent.title")
	d := &agentData{}
	p.Data = d
	if !casework.MaySearchByPhone(a) { // the role first: the number is not even read
		d.HistoryErr = errs.Message(errs.PhoneSearchForbidden, p.Lang)
		s.historyPanel(w, errs.Status(errs.PhoneSearchForbidden), p)
		return
	}
	phone := strings.TrimSpace(r.URL.Query().Get("citizen_phone"))
	status := http.StatusOK
	found, err := s.svc.Cases.SearchByPhone(r.Context(), a, phone, lifecycle.CaseFilter{Limit: 10})
	switch {
	case err == nil:
		d.History = found.Cases
	case errs.Is(err, errs.InvalidPhone):
		status, d.HistoryIncomplete = errs.Status(errs.InvalidPhone), true
	default:
		status = s.explain(p, err)
		d.HistoryErr = p.Err
		if errs.Is(err, errs.PhoneSearchLimited) {
			w.Header().Set("Retry-After", strconv.Itoa(casework.PhoneSearchRetryAfter()))
		}
	}
	p.Form.Set("citizen_phone", phone)
	s.historyPanel(w, status, p)
}

// historyPanel answers with the caller-history panel in status.
func (s *Server) historyPanel(w http.ResponseWriter, status int, p *page) {
	if status == httpx.StatusClientClosed {
		w.WriteHeader(status)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	s.partial(w, "agent", "history", p)
}

func (s *Server) agentSubmit(w http.ResponseWriter, r *http.Request, a org.Actor) {
	p := s.newPage(r, &a, "agent.title")
	if err := r.ParseForm(); err != nil {
		p.Err = s.cat.T(p.Lang, "error.bad_form")
		s.render(w, 400, "error", p)
		return
	}
	p.Form = r.PostForm
	d := s.agentData(p)
	if idem := r.PostFormValue("idem"); idem != "" && len(idem) <= 64 {
		d.Idem = idem
	}
	fail := func(status int) {
		d.Suggest = s.suggest(r, a, r.PostForm)
		p.Data = d
		s.render(w, status, "agent", p)
	}
	get := func(k string) string { return strings.TrimSpace(r.PostFormValue(k)) }
	lat, ok1 := parseCoord(get("lat"))
	lon, ok2 := parseCoord(get("lon"))
	if !ok1 {
		p.Fields["lat"] = errs.Message(errs.Invalid, p.Lang)
	}
	if !ok2 {
		p.Fields["lon"] = errs.Message(errs.Invalid, p.Lang)
	}
	do := get("do")
	var unitID int64
	switch do {
	case "dispatch":
		id, err := strconv.ParseInt(get("unit_id"), 10, 64)
		if err != nil || id <= 0 {
			p.Fields["unit_id"] = errs.Message(errs.FieldRequired, p.Lang)
		} else if _, ok := s.svc.Unit(id); !ok {
			p.Fields["unit_id"] = errs.Message(errs.UnknownUnit, p.Lang)
		}
		unitID = id
	case "answer":
		if get("answer") == "" {
			p.Fields["answer"] = errs.Message(errs.FieldRequired, p.Lang)
		}
	case "receive":
	default:
		p.Err = s.cat.T(p.Lang, "error.bad_form")
		fail(400)
		return
	}
	if len(p.Fields) > 0 {
		p.Err = s.cat.T(p.Lang, "form.check_fields")
		fail(422)
		return
	}
	in := casework.NewCase{Channel: "phone", Type: get("type"), Category: get("category"), Urgency: get("urgency"),
		Title: get("title"), Description: get("description"), Address: get("address"), Lat: lat, Lon: lon,
		CitizenName: get("citizen_name"), CitizenPhone: get("citizen_phone"),
		Confidential: r.PostFormValue("confidential") == "1", Anonymous: r.PostFormValue("anonymous") == "1"}
	if pid, err := strconv.ParseInt(get("place_id"), 10, 64); err == nil && lat == nil {
		in.PlaceID = pid
	}
	var out casework.CallOutcome
	parent, _ := strconv.ParseInt(get("merge_parent"), 10, 64)
	switch {
	case parent > 0:
		// A duplicate: it follows its parent, and its citizen gets the
		// parent's answer.
		out.MergeInto, out.MergeNote = parent, get("answer")
	case do == "dispatch":
		out.Dispatch, out.UnitID = true, unitID
		for _, v := range r.PostForm["co_unit_ids"] {
			if id, err := strconv.ParseInt(v, 10, 64); err == nil && id > 0 && id != unitID {
				out.CoUnitIDs = append(out.CoUnitIDs, id)
			}
		}
	case do == "answer":
		out.Answer, out.AnswerNote, out.Article = true, get("answer"), get("article")
	}
	c, _, err := s.svc.Cases.TakeCall(r.Context(), a, in, out, "web-agent:"+d.Idem)
	if err != nil {
		fail(s.explain(p, err))
		return
	}
	msg := s.cat.T(p.Lang, "agent.created", c.Number)
	switch {
	case c.MergedInto != 0:
		http.Redirect(w, r, withFlash("/agent", s.cat.T(p.Lang, "agent.merged", c.Number)), http.StatusSeeOther)
		return
	case c.State == lifecycle.Dispatched:
		u, _ := s.svc.Unit(unitID)
		msg = s.cat.T(p.Lang, "agent.dispatched", c.Number, u.Name)
	case out.Answer:
		msg = s.cat.T(p.Lang, "agent.answered", c.Number)
	}
	http.Redirect(w, r, withFlash("/agent", msg), http.StatusSeeOther)
}
