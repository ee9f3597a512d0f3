package web

import (
	"encoding/json"
	"fmt"
	"html"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"whistle/internal/casework"
	"whistle/internal/errs"
	"whistle/internal/lifecycle"
	"whistle/internal/org"
)

// Citizens choose among these types on the portal (praise and suggestions
// included; the agent refines the type later if needed).
var portalTypes = []string{"complaint", "help", "consultation", "report", "suggestion", "praise"}

type portalData struct {
	Types  []string
	Groups []catGroup
	Done   *lifecycle.Case
	Idem   string
}

func (s *Server) portalPage(w http.ResponseWriter, r *http.Request) {
	p := s.newPage(r, nil, "portal.title")
	p.Form.Set("type", "complaint")
	p.Data = portalData{Types: portalTypes, Groups: s.categoryGroups(p.Lang), Idem: newIdem()}
	s.render(w, 200, "portal", p)
}

func (s *Server) portalSubmit(w http.ResponseWriter, r *http.Request) {
	p := s.newPage(r, nil, "portal.title")
	d := portalData{Types: portalTypes, Groups: s.categoryGroups(p.Lang), Idem: newIdem()}
	r.Body = http.MaxBytesReader(w, r.Body, s.svc.Config().MaxAttachment*3+1<<20)
	if err := parseForm(r); err != nil {
		p.Err = s.cat.T(p.Lang, "error.bad_form")
		p.Data = d
		s.render(w, 400, "portal", p)
		return
	}
	p.Form = r.PostForm
	if v := r.PostFormValue("idem"); v != "" && len(v) <= 64 {
		d.Idem = v
	}
	fail := func(status int) {
		p.Data = d
		s.render(w, status, "portal", p)
	}
	ip := clientIP(r)
	if !s.submits.Allowed(ip, time.Now()) {
		p.Err = errs.Message(errs.RateLimited, p.Lang)
		fail(429)
		return
	}
	get := func(k string) string { return strings.TrimSpace(r.PostFormValue(k)) }
	typ := get("type")
	if !slices.Contains(portalTypes, typ) {
		p.Fields["type"] = errs.Message(errs.InvalidType, p.Lang)
	}
	lat, ok1 := parseCoord(get("lat"))
	lon, ok2 := parseCoord(get("lon"))
	if !ok1 || !ok2 || (lat == nil) != (lon == nil) {
		p.Fields["lat"] = errs.Message(errs.InvalidLocation, p.Lang)
		lat, lon = nil, nil
	}
	in := casework.NewCase{Channel: "web", Type: typ, Category: get("category"), Description: get("description"), Title: get("title"),
		Address: get("address"), Lat: lat, Lon: lon, CitizenName: get("citizen_name"), CitizenPhone: get("citizen_phone")}
	photos, err := s.portalPhotos(r, ip)
	if err != nil {
		fail(s.portalFail(p, err))
		return
	}
	// The photos' GPS position, only if the citizen ticked the box, is the
	// point when none was marked on the map.
	s.svc.Cases.PlaceFromPhotos(&in, photos)
	// Check everything before storing photos, so a bad form leaves nothing
	// behind; every wrong field is marked at once.
	if err := s.svc.Cases.CheckPublic(r.Context(), in); err != nil || len(p.Fields) > 0 {
		status := 422
		if err != nil {
			status = s.portalFail(p, err)
		}
		if p.Err == "" {
			p.Err = s.cat.T(p.Lang, "form.check_fields")
		}
		fail(status)
		return
	}
	// The photos are stored re-encoded (no metadata kept), counted against
	// the address's daily quota; a retry of the same form with the same
	// photos returns the first request.
	c, replayed, err := s.svc.Cases.SubmitPublicWith(r.Context(), in, photos, "web-portal:"+d.Idem)
	if err != nil {
		fail(s.portalFail(p, err))
		return
	}
	if !replayed {
		s.submits.Fail(ip, time.Now()) // counts submissions
	}
	p.Form = nil
	d.Done = c
	p.Data = d
	s.render(w, 201, "portal", p)
}

// portalPhotos reads the photos of a portal form (at most
// casework.MaxPublicPhotos) and the citizen's choice to share their location.
func (s *Server) portalPhotos(r *http.Request, ip string) (casework.PublicPhotos, error) {
	out := casework.PublicPhotos{IP: ip, ShareLocation: r.PostFormValue("share_location") != ""}
	if r.MultipartForm == nil {
		return out, nil
	}
	for _, fh := range r.MultipartForm.File["photo"] {
		if fh.Size == 0 {
			continue
		}
		if len(out.Photos) == casework.MaxPublicPhotos {
			return out, &errs.Error{Code: errs.Invalid, Field: "file", Detail: fmt.Sprintf("at most %d photos", casework.MaxPublicPhotos)}
		}
		if fh.Size > s.svc.Config().MaxAttachment {
			return out, &errs.Error{Code: errs.TooLarge, Field: "file"}
		}
		f, err := fh.Open()
		if err != nil {
			return out, errs.Wrap(err)
		}
		data, err := io.ReadAll(io.LimitReader(f, s.svc.Config().MaxAttachment+1))
		f.Close()
		if err != nil {
			return out, errs.Wrap(err)
		}
		out.Photos = append(out.Photos, casework.Photo{Name: fh.Filename, Data: data})
	}
	return out, nil
}

// portalFail explains a refused submission on the form, every wrong field
// at once; a missing place or phone is said in the portal's own words.
func (s *Server) portalFail(p *page, err error) int {
	fields := errs.FieldsOf(err)
	if len(fields) == 0 {
		return s.explain(p, err)
	}
	for _, e := range fields {
		field := e.Field
		if field == "place_id" || field == "lon" {
			field = "lat" // the map's point
		}
		if _, done := p.Fields[field]; done {
			continue
		}
		msg := errs.Message(e.Code, p.Lang)
		if d := pageDetail(e.Detail, p.Lang, ""); d != "" {
			msg += "（" + d + "）"
		}
		switch {
		case e.Code == errs.FieldRequired && field == "address":
			msg = s.cat.T(p.Lang, "portal.where_needed")
		case e.Code == errs.FieldRequired && field == "citizen_phone":
			msg = s.cat.T(p.Lang, "portal.phone_needed")
		case e.Code == errs.FieldRequired && field == "category":
			msg = s.cat.T(p.Lang, "ux.portal.category_needed") // described, but not to be classified
		}
		p.Fields[field] = msg
	}
	p.Err = s.cat.T(p.Lang, "form.check_fields")
	return errs.Status(fields[0].Code)
}

type trackData struct {
	C        *lifecycle.Case
	Steps    []casework.CitizenStep
	CanRate  bool
	Number   string
	Phone    string
	Rated    bool
	RateDone string
}

func (s *Server) trackPage(w http.ResponseWriter, r *http.Request) {
	p := s.newPage(r, nil, "track.title")
	p.Data = trackData{Number: r.URL.Query().Get("number")}
	s.render(w, 200, "track", p)
}

func (s *Server) lookupInto(r *http.Request, p *page, number, phone string) (trackData, int) {
	d := trackData{Number: number, Phone: phone}
	ip := clientIP(r)
	if !s.lookups.Allowed(ip, time.Now()) {
		p.Err = errs.Message(errs.RateLimited, p.Lang)
		return d, 429
	}
	if number == "" {
		p.Fields["number"] = errs.Message(errs.FieldRequired, p.Lang)
	}
	if phone == "" {
		p.Fields["phone"] = errs.Message(errs.FieldRequired, p.Lang)
	}
	if len(p.Fields) > 0 {
		p.Err = s.cat.T(p.Lang, "form.check_fields")
		return d, 422
	}
	c, evs, err := s.svc.Cases.Lookup(r.Context(), number, phone)
	if err != nil {
		if errs.Is(err, errs.NotFound) {
			s.lookups.Fail(ip, time.Now())
			p.Err = s.cat.T(p.Lang, "track.not_found")
			return d, 404
		}
		return d, s.explain(p, err)
	}
	d.C, d.Steps = c, s.svc.Cases.CitizenTimeline(evs, p.Lang)
	d.CanRate = c.State == lifecycle.Replied && c.MergedInto == 0
	return d, 200
}

func (s *Server) trackSubmit(w http.ResponseWriter, r *http.Request) {
	p := s.newPage(r, nil, "track.title")
	if err := r.ParseForm(); err != nil {
		s.errorPage(w, r, 400, s.cat.T(p.Lang, "error.bad_form"))
		return
	}
	p.Form = r.PostForm
	d, status := s.lookupInto(r, p, strings.TrimSpace(r.PostFormValue("number")), strings.TrimSpace(r.PostFormValue("phone")))
	p.Data = d
	s.render(w, status, "track", p)
}

func (s *Server) rateSubmit(w http.ResponseWriter, r *http.Request) {
	p := s.newPage(r, nil, "track.title")
	if err := r.ParseForm(); err != nil {
		s.errorPage(w, r, 400, s.cat.T(p.Lang, "error.bad_form"))
		return
	}
	p.Form = r.PostForm
	number, phone := strings.TrimSpace(r.PostFormValue("number")), strings.TrimSpace(r.PostFormValue("phone"))
	sat := r.PostFormValue("satisfaction")
	res := r.PostFormValue("resolved")
	if !slices.Contains(lifecycle.Satisfactions, sat) {
		p.Fields["satisfaction"] = errs.Message(errs.FieldRequired, p.Lang)
	}
	if res != "yes" && res != "no" {
		p.Fields["resolved"] = errs.Message(errs.FieldRequired, p.Lang)
	}
	if len(p.Fields) == 0 {
		if _, err := s.svc.Cases.RateAnswer(r.Context(), number, phone, res == "yes", sat); err != nil {
			s.explain(p, err)
		} else {
			p.Flash = s.cat.T(p.Lang, "track.thanks")
		}
	} else {
		p.Err = s.cat.T(p.Lang, "form.check_fields")
	}
	d, status := s.lookupInto(r, p, number, phone)
	if p.Err != "" && status == 200 {
		status = 422
	}
	p.Data = d
	s.render(w, status, "track", p)
}

func (s *Server) portalLocate(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	p := s.newPage(r, nil, "portal.title")
	lat, ok1 := parseCoord(q.Get("lat"))
	lon, ok2 := parseCoord(q.Get("lon"))
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	if !ok1 || !ok2 || lat == nil || lon == nil {
		return
	}
	loc, err := s.svc.Locate(*lat, *lon)
	if err != nil {
		_, _ = w.Write([]byte(`<span class="field-error">` + errs.Message(errs.CodeOf(err), p.Lang) + `</span>`))
		return
	}
	var parts []string
	for _, id := range []int64{loc.DistrictID, loc.StreetID, loc.CommunityID} {
		if pl, ok := s.svc.Place(id); ok {
			parts = append(parts, pl.Name)
		}
	}
	_, _ = w.Write([]byte(html.EscapeString(strings.Join(parts, " › "))))
}

// boundaries serves the city's polygons of one level as GeoJSON: the base
// layer of every map (no remote tiles).
func (s *Server) boundaries(w http.ResponseWriter, r *http.Request) {
	level := r.URL.Query().Get("level")
	if !slices.Contains([]string{org.LevelDistrict, org.LevelStreet, org.LevelCommunity, org.LevelGrid}, level) {
		level = org.LevelStreet
	}
	key := level + "/" + strconv.FormatUint(s.svc.Generation(), 10)
	doc, err := s.geo.get(key, func() ([]byte, error) { return s.boundaryDoc(r, level) })
	if err != nil {
		http.Error(w, errs.Message(errs.CodeOf(err), langOf(r)), 500)
		return
	}
	// Hundreds of kilobytes of polygons: gzipped for phones that accept it,
	// revalidated by ETag.
	doc.serve(w, r, "application/geo+json", "public, max-age=300")
}

// boundaryDoc is the GeoJSON of the places of a level that have boundaries.
func (s *Server) boundaryDoc(r *http.Request, level string) ([]byte, error) {
	type feature struct {
		Type       string          `json:"type"`
		Properties map[string]any  `json:"properties"`
		Geometry   json.RawMessage `json:"geometry"`
	}
	fc := struct {
		Type     string    `json:"type"`
		Features []feature `json:"features"`
	}{Type: "FeatureCollection", Features: []feature{}}
	places, err := s.svc.Places(r.Context(), level)
	if err != nil {
		return nil, err
	}
	for _, pl := range places {
		if pl.Boundary == "" {
			continue
		}
		fc.Features = append(fc.Features, feature{Type: "Feature", Properties: map[string]any{"id": pl.ID, "name": pl.Name, "code": pl.Code},
			Geometry: json.RawMessage(pl.Boundary)})
	}
	b, err := json.Marshal(fc)
	return append(b, '\n'), err
}

type figuresData struct {
	F     casework.PublicFigures
	Chart any
	Prev  casework.PublicFigures
}

func (s *Server) figuresPage(w http.ResponseWriter, r *http.Request) {
	p := s.newPage(r, nil, "figures.title")
	ctx, cancel := ctxTimeout(r)
	defer cancel()
	now := s.svc.Now()
	f, err := s.svc.Cases.MonthFigures(ctx, now)
	if err != nil {
		p.Data = figuresData{} // the page, with its message and no figures
		s.render(w, s.explain(p, err), "figures", p)
		return
	}
	prev, _ := s.svc.Cases.MonthFigures(ctx, time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, s.svc.Location()).AddDate(0, -1, 0))
	var names []string
	var vals []int
	for _, t := range lifecycle.Types {
		names = append(names, s.cat.T(p.Lang, "type."+t))
		vals = append(vals, f.ByType[t])
	}
	chart := map[string]any{
		"tooltip": map[string]any{},
		"xAxis":   map[string]any{"type": "category", "data": names},
		"yAxis":   map[string]any{"type": "value"},
		"series":  []any{map[string]any{"type": "bar", "data": vals, "itemStyle": map[string]any{"color": "#c8102e"}}},
	}
	b, _ := json.Marshal(chart)
	p.Data = figuresData{F: f, Prev: prev, Chart: string(b)}
	s.render(w, 200, "figures", p)
}

// portalForm starts a public (portal) form submission: it parses the form
// onto p and applies the submission limit per client address. When it
// returns false the answer is written: 400 for a form that does not parse,
// or the page again (again, with 429 and the message on p) when the limit
// is reached. A handler counts a successful submission with
// s.submits.Fail(ip, …).
func (s *Server) portalForm(w http.ResponseWriter, r *http.Request, p *page, again func(status int)) (ip string, ok bool) {
	if err := r.ParseForm(); err != nil {
		s.errorPage(w, r, 400, s.cat.T(p.Lang, "error.bad_form"))
		return "", false
	}
	p.Form = r.PostForm
	ip = clientIP(r)
	if !s.submits.Allowed(ip, time.Now()) {
		p.Err = errs.Message(errs.RateLimited, p.Lang)
		again(429)
		return "", false
	}
	return ip, true
}
