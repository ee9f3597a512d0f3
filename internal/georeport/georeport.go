// Package georeport is Open311 GeoReport v2 as a service of the
// application layer: discovery, the service list and definitions (the
// service-code mapping onto categories), requests posted through the
// citizens' intake (casework.SubmitPublic: placed, suggested, flagged,
// auto-dispatched), tokens, the public lists and single requests (never a
// citizen's name, phone or e-mail), mySociety's servicerequestupdates, API
// keys and the mapping's administration, audited. The API renders what it
// returns (package open311 holds the shapes and rules).
package georeport

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"whistle/internal/casework"
	"whistle/internal/core"
	"whistle/internal/errs"
	"whistle/internal/lifecycle"
	"whistle/internal/open311"
	"whistle/internal/org"
	"whistle/internal/store"
)

// Defaults of the request lists.
const (
	DefaultWindow = 90 * 24 * time.Hour // GET requests without dates
	MaxResults    = 1000                // at most this many in one answer
	MaxIDs        = 200                 // service_request_id values in one query
	KeyPrefix     = "w311_"
)

// Service serves Open311.
type Service struct {
	*core.Core
	cases *casework.Service
}

// New builds the service over the core and the intake it submits through.
func New(c *core.Core, cw *casework.Service) *Service { return &Service{Core: c, cases: cw} }

// E is a refusal of the spec's format (400, 403, 404).
func E(code int, format string, a ...any) *open311.Error {
	return &open311.Error{Code: code, Description: fmt.Sprintf(format, a...)}
}

// ---- jurisdictions ----

// Jurisdictions are the ids a client may name: the codes of the
// city-level places (one server may hold several cities).
func (s *Service) Jurisdictions() []string {
	var out []string
	for _, p := range s.PlaceMap() {
		if p.Level == org.LevelCity && p.Code != "" {
			out = append(out, p.Code)
		}
	}
	sort.Strings(out)
	return out
}

// Jurisdiction checks a request's jurisdiction_id: an unknown one is 404;
// none is fine for a server of one city (400 when it holds several). The
// answer is the districts of the named city (nil: every case).
func (s *Service) Jurisdiction(id string) ([]int64, error) {
	js := s.Jurisdictions()
	if id == "" {
		if len(js) > 1 {
			return nil, E(400, "jurisdiction_id is required: this server serves %s", strings.Join(js, ", "))
		}
		return nil, nil
	}
	if !slices.Contains(js, id) {
		return nil, E(404, "jurisdiction_id %q is not served here", id)
	}
	if len(js) == 1 {
		return nil, nil
	}
	var city int64
	for _, p := range s.PlaceMap() {
		if p.Level == org.LevelCity && p.Code == id {
			city = p.ID
		}
	}
	districts := []int64{}
	for _, p := range s.PlaceMap() {
		if p.Level == org.LevelDistrict && p.ParentID == city {
			districts = append(districts, p.ID)
		}
	}
	return districts, nil
}

// ---- discovery ----

// Discovery is the discovery document for a server at base (scheme and
// host, no trailing slash).
func (s *Service) Discovery(base string) open311.Discovery {
	return open311.Discovery{
		Changeset:  "2026-12-06T00:00:00+08:00",
		Contact:    "12345 hotline centre",
		KeyService: "Ask the hotline centre's administrators for an API key (whistle apikey create).",
		Endpoints: []open311.Endpoint{{
			Specification: open311.Specification,
			URL:           base + "/open311/v2",
			Changeset:     "2026-12-06T00:00:00+08:00",
			Type:          "production",
			Formats:       open311.Formats,
		}},
	}
}

// ---- services and the mapping ----

// Mapped is a service of the list with its category and definition.
type Mapped struct {
	store.Open311Service
	Definition []open311.Attribute `json:"definition"`
	Default    bool                `json:"default"` // not in the mapping table: every active category is a service
}

// services is the effective list: the mapping's rows, and a default
// service (its own code, its names) for every active leaf category no row
// names. Inactive ones are included (active false).
func (s *Service) services(ctx context.Context) ([]Mapped, error) {
	rows, err := s.St.Open311Services(ctx)
	if err != nil {
		return nil, err
	}
	named := map[string]bool{}
	var out []Mapped
	for _, r := range rows {
		named[r.Category] = true
		var defs []open311.Attribute
		if r.Attributes != "" {
			if err := json.Unmarshal([]byte(r.Attributes), &defs); err != nil {
				return nil, err
			}
		}
		out = append(out, Mapped{Open311Service: r, Definition: defs})
	}
	for code, c := range s.CategoryMap() {
		if !c.Active || !c.Leaf || named[code] {
			continue
		}
		out = append(out, Mapped{Default: true, Open311Service: store.Open311Service{Code: code, Category: code, Name: c.NameZH,
			Description: c.NameEN, Group: groupOf(s, code), Active: true, Attributes: "[]"}})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Code < out[j].Code })
	return out, nil
}

func groupOf(s *Service, code string) string {
	if p, ok := s.Category(org.ParentCode(code)); ok {
		return p.NameZH
	}
	return ""
}

func (s *Service) service(ctx context.Context, code string) (Mapped, bool, error) {
	all, err := s.services(ctx)
	if err != nil {
		return Mapped{}, false, err
	}
	for _, m := range all {
		if m.Code == code && m.Active {
			return m, true, nil
		}
	}
	return Mapped{}, false, nil
}

// name is a service's name in the language.
func (m Mapped) name(s *Service, en bool) string {
	if en && m.Default {
		if c, ok := s.Category(m.Category); ok && c.NameEN != "" {
			return c.NameEN
		}
	}
	return m.Name
}

// Services is the service list (active services).
func (s *Service) Services(ctx context.Context, lang string) ([]open311.Service, error) {
	all, err := s.services(ctx)
	if err != nil {
		return nil, err
	}
	var out []open311.Service
	for _, m := range all {
		if !m.Active {
			continue
		}
		out = append(out, open311.Service{Code: m.Code, Name: m.name(s, lang == "en"), Description: m.Description,
			Metadata: len(m.Definition) > 0, Type: "realtime", Keywords: m.Keywords, Group: m.Group})
	}
	return out, nil
}

// Definition is a service's definition (404 for an unknown or inactive
// service).
func (s *Service) Definition(ctx context.Context, code string) (open311.Definition, error) {
	m, ok, err := s.service(ctx, code)
	if err != nil {
		return open311.Definition{}, err
	}
	if !ok {
		return open311.Definition{}, E(404, "service_code %q not found", code)
	}
	attrs := m.Definition
	if attrs == nil {
		attrs = []open311.Attribute{}
	}
	return open311.Definition{Code: m.Code, Attributes: attrs}, nil
}

// Mapping is the effective service list for the administrators, defaults
// included.
func (s *Service) Mapping(ctx context.Context, a org.Actor) ([]Mapped, error) {
	if err := core.RequireAdmin(a); err != nil {
		return nil, err
	}
	return s.services(ctx)
}

// MappingInput is one mapping row as an administrator edits it.
type MappingInput struct {
	Code        string              `json:"service_code"`
	Category    string              `json:"category"`
	Name        string              `json:"service_name"`
	Description string              `json:"description"`
	Group       string              `json:"group"`
	Keywords    string              `json:"keywords"`
	Attributes  []open311.Attribute `json:"attributes"`
	Active      bool                `json:"active"`
}

// PutMapping creates or replaces a mapping row (admin; audited): a valid
// code, an existing category, a name, attribute definitions that check.
func (s *Service) PutMapping(ctx context.Context, a org.Actor, in MappingInput) error {
	if err := core.RequireAdmin(a); err != nil {
		return err
	}
	in.Code, in.Category, in.Name = strings.TrimSpace(in.Code), strings.TrimSpace(in.Category), strings.TrimSpace(in.Name)
	if !open311.ValidCode(in.Code) {
		return &errs.Error{Code: errs.Invalid, Field: "service_code", Detail: "letters, digits, _ . : - (at most 100)"}
	}
	if _, ok := s.Category(in.Category); !ok {
		return errs.F(errs.UnknownCategory, "category")
	}
	if in.Name == "" {
		return errs.F(errs.FieldRequired, "service_name")
	}
	for _, f := range []struct{ name, v string }{{"service_name", in.Name}, {"description", in.Description}, {"group", in.Group}, {"keywords", in.Keywords}} {
		if core.TooLong(f.v, 1000) {
			return &errs.Error{Code: errs.FieldTooLong, Field: f.name, Detail: "max 1000 characters"}
		}
	}
	attrs, err := open311.CheckDefinition(in.Attributes)
	if err != nil {
		return &errs.Error{Code: errs.Invalid, Field: "attributes", Detail: err.Error()}
	}
	if attrs == nil {
		attrs = []open311.Attribute{}
	}
	b, _ := json.Marshal(attrs)
	row := store.Open311Service{Code: in.Code, Category: in.Category, Name: in.Name, Description: in.Description, Group: in.Group,
		Keywords: in.Keywords, Attributes: string(b), Active: in.Active, UpdatedAt: s.Now()}
	return s.St.Write(ctx, func(tx *store.Tx) error {
		if err := tx.PutOpen311Service(ctx, row); err != nil {
			return err
		}
		return s.Audit(ctx, tx, a, "open311_service_put", "open311_service:"+in.Code, map[string]any{"category": in.Category, "active": in.Active, "attributes": len(attrs)})
	})
}

// DeleteMapping removes a mapping row (admin; audited): its category
// becomes a default service again.
func (s *Service) DeleteMapping(ctx context.Context, a org.Actor, code string) error {
	if err := core.RequireAdmin(a); err != nil {
		return err
	}
	return s.St.Write(ctx, func(tx *store.Tx) error {
		if err := tx.DeleteOpen311Service(ctx, code); err != nil {
			return err
		}
		return s.Audit(ctx, tx, a, "open311_service_delete", "open311_service:"+code, nil)
	})
}

// ---- keys ----

func hashKey(k string) string {
	sum := sha256.Sum256([]byte(k))
	return hex.EncodeToString(sum[:])
}

// CreateKey makes a new API key (admin; audited) and returns it in clear,
// once: only its hash is stored.
func (s *Service) CreateKey(ctx context.Context, a org.Actor, name string) (string, store.Open311Key, error) {
	if err := core.RequireAdmin(a); err != nil && !a.IsSystem() {
		return "", store.Open311Key{}, err
	}
	name = strings.TrimSpace(name)
	if name == "" {
		return "", store.Open311Key{}, errs.F(errs.FieldRequired, "name")
	}
	if core.TooLong(name, 100) {
		return "", store.Open311Key{}, &errs.Error{Code: errs.FieldTooLong, Field: "name", Detail: "max 100 characters"}
	}
	var raw [24]byte
	if _, err := rand.Read(raw[:]); err != nil {
		return "", store.Open311Key{}, err
	}
	clear := KeyPrefix + hex.EncodeToString(raw[:])
	k := store.Open311Key{Name: name, Prefix: clear[:len(KeyPrefix)+6], CreatedAt: s.Now(), CreatedBy: a.User.ID}
	err := s.St.Write(ctx, func(tx *store.Tx) error {
		id, err := tx.InsertOpen311Key(ctx, name, hashKey(clear), k.Prefix, a.User.ID, k.CreatedAt)
		if err != nil {
			return err
		}
		k.ID = id
		return s.Audit(ctx, tx, a, "open311_key_create", fmt.Sprintf("open311_key:%d", id), map[string]any{"name": name, "prefix": k.Prefix})
	})
	return clear, k, err
}

// Keys lists the keys (admin), never their values.
func (s *Service) Keys(ctx context.Context, a org.Actor) ([]store.Open311Key, error) {
	if err := core.RequireAdmin(a); err != nil {
		return nil, err
	}
	return s.St.Open311Keys(ctx)
}

// RevokeKey revokes a key (admin; audited): it is refused from then on.
func (s *Service) RevokeKey(ctx context.Context, a org.Actor, id int64) error {
	if err := core.RequireAdmin(a); err != nil {
		return err
	}
	return s.St.Write(ctx, func(tx *store.Tx) error {
		if err := tx.RevokeOpen311Key(ctx, id, s.Now()); err != nil {
			return err
		}
		return s.Audit(ctx, tx, a, "open311_key_revoke", fmt.Sprintf("open311_key:%d", id), nil)
	})
}

// Key checks an API key: 403 for none, an unknown or a revoked one.
func (s *Service) Key(ctx context.Context, clear string) (store.Open311Key, error) {
	if clear == "" {
		return store.Open311Key{}, E(403, "api_key is required")
	}
	k, err := s.St.Open311KeyByHash(ctx, hashKey(clear))
	if errs.Is(err, errs.NotFound) || (err == nil && !k.Active()) {
		return store.Open311Key{}, E(403, "api_key is not valid")
	}
	return k, err
}

// ---- submitting ----

// Submit takes a POSTed request from a client holding key: the service
// code picks the category, the attributes are checked against the
// definition, and the case goes through the citizens' intake
// (casework.SubmitPublic, channel open311). The phone is required (the
// hotline follows every request up by phone). Its extras (token, service
// code, attributes, media URL) are recorded beside it.
func (s *Service) Submit(ctx context.Context, key store.Open311Key, p open311.PostRequest) (open311.Posted, error) {
	m, ok, err := s.service(ctx, p.ServiceCode)
	if err != nil {
		return open311.Posted{}, err
	}
	if !ok {
		return open311.Posted{}, E(400, "service_code %q is not a service of this server", p.ServiceCode)
	}
	attrs, bad := open311.CheckAttributes(m.Definition, p.Attributes)
	if bad != nil {
		return open311.Posted{}, bad
	}
	if p.Phone == "" {
		return open311.Posted{}, E(400, "phone is required: the hotline follows every request up by phone")
	}
	if _, err := core.NormalizePhone(p.Phone); err != nil {
		return open311.Posted{}, E(400, "phone is not a valid phone number")
	}
	desc := p.Description
	if strings.TrimSpace(desc) == "" {
		desc = m.Name
	}
	if len(attrs) > 0 {
		var lines []string
		for _, d := range m.Definition {
			if v, ok := attrs[d.Code]; ok {
				label := d.Description
				if label == "" {
					label = d.Code
				}
				lines = append(lines, label+": "+strings.Join(valueNames(d, v), ", "))
			}
		}
		desc += "\n\n" + strings.Join(lines, "\n")
	}
	in := casework.NewCase{Channel: "open311", Type: "help", Category: m.Category, Title: m.Name, Description: desc,
		Lat: p.Lat, Lon: p.Long, Address: p.AddressString,
		CitizenName: strings.TrimSpace(p.FirstName + " " + p.LastName), CitizenPhone: p.Phone}
	if in.Address == "" && p.AddressID != "" {
		in.Address = p.AddressID
	}
	if p.Lat != nil {
		if _, err := s.Locate(*p.Lat, *p.Long); err != nil {
			if p.AddressString == "" {
				return open311.Posted{}, E(400, "lat/long is outside the city")
			}
			in.Lat, in.Lon = nil, nil // placed by its address instead
		}
	}
	c, _, err := s.cases.SubmitPublic(ctx, in, "")
	if err != nil {
		return open311.Posted{}, err
	}
	var raw [12]byte
	if _, err := rand.Read(raw[:]); err != nil {
		return open311.Posted{}, err
	}
	token := hex.EncodeToString(raw[:])
	ab, _ := json.Marshal(attrs)
	err = s.St.Write(ctx, func(tx *store.Tx) error {
		if err := tx.InsertOpen311Request(ctx, store.Open311Request{CaseID: c.ID, Token: token, ServiceCode: m.Code,
			Attributes: string(ab), MediaURL: p.MediaURL, KeyID: key.ID, CreatedAt: s.Now()}); err != nil {
			return err
		}
		return s.Audit(ctx, tx, core.Citizen(), "open311_request", fmt.Sprintf("case:%d", c.ID), map[string]any{"key": key.ID, "service_code": m.Code})
	})
	if err != nil {
		// The request is taken; only its token and extras are missing.
		s.Log.Warn("open311 request extras", "case", c.ID, "err", err)
		token = ""
	}
	return open311.Posted{ID: c.Number, Token: token, AccountID: p.AccountID}, nil
}

func valueNames(d open311.Attribute, vals []string) []string {
	out := slices.Clone(vals)
	for i, v := range out {
		for _, x := range d.Values {
			if x.Key == v && x.Name != "" {
				out[i] = x.Name
			}
		}
	}
	return out
}

// Token answers GET tokens/{token} (404 for an unknown token).
func (s *Service) Token(ctx context.Context, token string) (open311.TokenAnswer, error) {
	r, err := s.St.Open311RequestByToken(ctx, token)
	if errs.Is(err, errs.NotFound) {
		return open311.TokenAnswer{}, E(404, "token not found")
	}
	if err != nil {
		return open311.TokenAnswer{}, err
	}
	return open311.TokenAnswer{ID: r.Number, Token: r.Token}, nil
}

// ---- reading ----

// Query is a GET requests query, parsed.
type Query struct {
	Districts    []int64  // from the jurisdiction (nil: all)
	IDs          []string // service_request_id (when given, the other filters are ignored)
	ServiceCodes []string
	Statuses     []string // open, closed
	Start, End   time.Time
	Page         int // from 1
	PageSize     int // at most MaxResults
	Extensions   bool
	Lang         string
	KeyID        int64 // the caller's valid key, if any: its own requests are shown in full
}

// ParseQuery reads a GET requests query's parameters (get returns a
// parameter's value).
func (s *Service) ParseQuery(get func(string) string) (Query, error) {
	var q Query
	split := func(v string) []string {
		var out []string
		for _, p := range strings.Split(v, ",") {
			if p = strings.TrimSpace(p); p != "" {
				out = append(out, p)
			}
		}
		return out
	}
	q.IDs = split(get("service_request_id"))
	if len(q.IDs) > MaxIDs {
		return q, E(400, "service_request_id: at most %d ids", MaxIDs)
	}
	q.ServiceCodes = split(get("service_code"))
	for _, st := range split(strings.ToLower(get("status"))) {
		if st != open311.StatusOpen && st != open311.StatusClosed {
			return q, E(400, "status must be open or closed")
		}
		q.Statuses = append(q.Statuses, st)
	}
	for _, d := range []struct {
		name string
		dst  *time.Time
	}{{"start_date", &q.Start}, {"end_date", &q.End}} {
		if v := get(d.name); v != "" {
			t, ok := open311.ParseTime(v, s.Location())
			if !ok {
				return q, E(400, "%s must be a W3C date and time (e.g. 2026-03-02T00:00:00+08:00)", d.name)
			}
			*d.dst = t
		}
	}
	if !q.Start.IsZero() && !q.End.IsZero() && q.End.Before(q.Start) {
		return q, E(400, "end_date is before start_date")
	}
	q.Page, q.PageSize = 1, MaxResults
	for _, d := range []struct {
		name string
		dst  *int
		max  int
	}{{"page", &q.Page, math.MaxInt32}, {"page_size", &q.PageSize, MaxResults}} {
		if v := get(d.name); v != "" {
			n, err := strconv.Atoi(v)
			if err != nil || n < 1 || n > d.max {
				return q, E(400, "%s must be a whole number from 1 to %d", d.name, d.max)
			}
			*d.dst = n
		}
	}
	q.Extensions = get("extensions") == "true"
	return q, nil
}

// List answers GET requests: newest first, within the window (the last
// 90 days unless dates are given; with only one date, 90 days from or to
// it), at most page_size (1,000) a page.
func (s *Service) List(ctx context.Context, q Query) ([]open311.Request, error) {
	f := store.Open311Filter{Districts: q.Districts, Limit: q.PageSize, Offset: (q.Page - 1) * q.PageSize}
	if len(q.IDs) > 0 {
		f.Numbers = q.IDs
	} else {
		start, end := q.Start, q.End
		switch {
		case start.IsZero() && end.IsZero():
			end = s.Now().Add(time.Millisecond)
			start = end.Add(-DefaultWindow)
		case start.IsZero():
			start = end.Add(-DefaultWindow)
		case end.IsZero():
			end = start.Add(DefaultWindow)
		}
		f.From, f.To = start, end.Add(time.Millisecond) // end_date is inclusive
		if len(q.ServiceCodes) > 0 {
			all, err := s.services(ctx)
			if err != nil {
				return nil, err
			}
			f.Categories = []string{}
			for _, m := range all {
				if slices.Contains(q.ServiceCodes, m.Code) && !slices.Contains(f.Categories, m.Category) {
					f.Categories = append(f.Categories, m.Category)
				}
			}
		}
		if len(q.Statuses) == 1 {
			open := q.Statuses[0] == open311.StatusOpen
			f.Open = &open
		}
	}
	cases, err := s.St.Open311Cases(ctx, f)
	if err != nil {
		return nil, err
	}
	return s.render(ctx, cases, q)
}

// Get answers GET requests/{id} (404 for an unknown number).
func (s *Service) Get(ctx context.Context, id string, q Query) (open311.Request, error) {
	cases, err := s.St.Open311Cases(ctx, store.Open311Filter{Numbers: []string{id}, Districts: q.Districts, Limit: 1})
	if err != nil {
		return open311.Request{}, err
	}
	if len(cases) == 0 {
		return open311.Request{}, E(404, "service_request_id %q not found", id)
	}
	out, err := s.render(ctx, cases, q)
	if err != nil {
		return open311.Request{}, err
	}
	return out[0], nil
}

// render writes cases as Open311 requests. Free text and the exact place
// are the public's only for requests the caller's own key posted (the
// client already holds them); others show the street and a point rounded
// to 0.001° (about 100 m), a confidential one no place at all, and no
// description — as the open data (docs/OPENDATA.md). Citizens' names,
// phones and e-mails are never shown.
func (s *Service) render(ctx context.Context, cases []*lifecycle.Case, q Query) ([]open311.Request, error) {
	ids := make([]int64, len(cases))
	for i, c := range cases {
		ids[i] = c.ID
	}
	extras, err := s.St.Open311RequestsOf(ctx, ids)
	if err != nil {
		return nil, err
	}
	all, err := s.services(ctx)
	if err != nil {
		return nil, err
	}
	byCategory := map[string]Mapped{}
	byCode := map[string]Mapped{}
	for _, m := range all {
		byCode[m.Code] = m
		if prev, ok := byCategory[m.Category]; !ok || (!prev.Active && m.Active) {
			byCategory[m.Category] = m
		}
	}
	loc, en := s.Location(), q.Lang == "en"
	out := make([]open311.Request, 0, len(cases))
	for _, c := range cases {
		x, posted := extras[c.ID]
		m, ok := byCode[x.ServiceCode]
		if !posted || !ok {
			m, ok = byCategory[c.Category]
		}
		r := open311.Request{ID: c.Number, Status: open311.Status(c.State), RequestedDatetime: open311.FormatTime(c.CreatedAt, loc),
			UpdatedDatetime: open311.FormatTime(c.UpdatedAt, loc)}
		if ok {
			r.ServiceCode, r.ServiceName = m.Code, m.name(s, en)
		} else {
			r.ServiceCode = c.Category
			if cat, ok := s.Category(c.Category); ok {
				r.ServiceName = cat.NameZH
				if en && cat.NameEN != "" {
					r.ServiceName = cat.NameEN
				}
			}
		}
		unit := ""
		if u, ok := s.Unit(c.LeadUnitID); ok && c.LeadUnitID != 0 {
			unit = u.Name
		}
		r.AgencyResponsible = unit
		r.StatusNotes = open311.StatusNotes(open311.NoteFacts{State: c.State, Unit: unit, Merged: c.MergedInto != 0,
			Answered: c.State == lifecycle.Closed && c.LeadUnitID == 0 && c.MergedInto == 0}, en)
		if c.State.Open() {
			due := c.ReplyBy
			if due.IsZero() {
				due = store.DueAt(c)
			}
			r.ExpectedDatetime = open311.FormatTime(due, loc)
		}
		own := posted && q.KeyID != 0 && x.KeyID == q.KeyID
		switch {
		case own:
			r.Description, r.Address, r.MediaURL = c.Description, c.Location.Address, x.MediaURL
			r.Lat, r.Long = c.Location.Lat, c.Location.Lon
		case !c.Citizen.Confidential:
			if p, ok := s.Place(c.Location.StreetID); ok && c.Location.StreetID != 0 {
				r.Address = p.Name
			}
			if c.Location.Lat != nil && c.Location.Lon != nil {
				la, lo := round3(*c.Location.Lat), round3(*c.Location.Lon)
				r.Lat, r.Long = &la, &lo
			}
		}
		if q.Extensions {
			ext := &open311.Extended{Number: c.Number, Channel: c.Channel, State: string(c.State), Category: c.Category,
				ClosedDatetime: open311.FormatTime(c.ClosedAt, loc), Attributes: []open311.AttributeItem{}}
			if p, ok := s.Place(c.Location.DistrictID); ok && c.Location.DistrictID != 0 {
				ext.District = p.Name
			}
			if p, ok := s.Place(c.Location.StreetID); ok && c.Location.StreetID != 0 && !c.Citizen.Confidential {
				ext.Street = p.Name
			}
			if own && x.Attributes != "" {
				var attrs map[string][]string
				if json.Unmarshal([]byte(x.Attributes), &attrs) == nil {
					for _, k := range slices.Sorted(mapsKeys(attrs)) {
						ext.Attributes = append(ext.Attributes, open311.AttributeItem{Code: k, Values: attrs[k]})
					}
				}
			}
			r.Extended = ext
		}
		out = append(out, r)
	}
	return out, nil
}

func mapsKeys(m map[string][]string) func(func(string) bool) {
	return func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}

func round3(v float64) float64 { return math.Round(v*1000) / 1000 }

// ---- updates (mySociety's servicerequestupdates) ----

// UpdatesQuery is a GET servicerequestupdates query.
type UpdatesQuery struct {
	Districts  []int64
	IDs        []string // service_request_id
	Start, End time.Time
	Lang       string
}

// Updates lists the requests' updates in the window (the last 90 days by
// default), oldest first, at most 1,000: every step the citizen's own
// timeline shows (written for citizens, no internal notes or staff names),
// with the status after it (OPEN or CLOSED, as mySociety's extension
// writes them).
func (s *Service) Updates(ctx context.Context, q UpdatesQuery) ([]open311.Update, error) {
	start, end := q.Start, q.End
	switch {
	case start.IsZero() && end.IsZero():
		end = s.Now().Add(time.Millisecond)
		start = end.Add(-DefaultWindow)
	case start.IsZero():
		start = end.Add(-DefaultWindow)
	case end.IsZero():
		end = start.Add(DefaultWindow)
	}
	var caseIDs []int64
	if len(q.IDs) > 0 {
		cases, err := s.St.Open311Cases(ctx, store.Open311Filter{Numbers: q.IDs, Districts: q.Districts, Limit: MaxIDs})
		if err != nil {
			return nil, err
		}
		caseIDs = []int64{}
		for _, c := range cases {
			caseIDs = append(caseIDs, c.ID)
		}
	}
	evs, err := s.St.CaseEventsBetween(ctx, start, end.Add(time.Millisecond), caseIDs, MaxResults)
	if err != nil {
		return nil, err
	}
	ids := make([]int64, 0, len(evs))
	for _, e := range evs {
		ids = append(ids, e.CaseID)
	}
	numbers, err := s.St.CaseNumbers(ctx, ids)
	if err != nil {
		return nil, err
	}
	var districts map[int64]bool
	if q.Districts != nil && caseIDs == nil {
		districts = map[int64]bool{}
		for _, d := range q.Districts {
			districts[d] = true
		}
	}
	out := []open311.Update{}
	for _, e := range evs {
		steps := s.cases.CitizenTimeline([]lifecycle.Event{e}, q.Lang)
		if len(steps) == 0 {
			continue
		}
		if districts != nil {
			// Rare (several cities on one server): check the case's district.
			c, err := s.St.Case(ctx, e.CaseID, org.Scope{All: true})
			if err != nil || !districts[c.Location.DistrictID] {
				continue
			}
		}
		st := e.ToState
		if st == "" {
			st = e.FromState
		}
		out = append(out, open311.Update{UpdateID: strconv.FormatInt(e.ID, 10), RequestID: numbers[e.CaseID], Status: strings.ToUpper(open311.Status(st)),
			UpdatedDatetime: open311.FormatTime(e.At, s.Location()), Description: steps[0].Text})
	}
	return out, nil
}

// UpdateInput is a POSTed update (mySociety's extension).
type UpdateInput struct {
	RequestID   string // service_request_id
	UpdateID    string // the client's id of the update
	Status      string // open or closed (the client's view)
	Description string
	Updated     time.Time
}

// PostUpdate records an update a client posts on a request (key required;
// audited): once per key and client update id (a repeat answers the first
// one's id). The client's status is recorded, never applied: only the
// hotline closes a request.
func (s *Service) PostUpdate(ctx context.Context, key store.Open311Key, in UpdateInput) (open311.UpdateAck, error) {
	if in.RequestID == "" {
		return open311.UpdateAck{}, E(400, "service_request_id is required")
	}
	if in.UpdateID == "" || !open311.ValidCode(in.UpdateID) {
		return open311.UpdateAck{}, E(400, "update_id is required (letters, digits, _ . : -)")
	}
	st := strings.ToLower(in.Status)
	if st != open311.StatusOpen && st != open311.StatusClosed {
		return open311.UpdateAck{}, E(400, "status must be OPEN or CLOSED")
	}
	if in.Updated.IsZero() {
		return open311.UpdateAck{}, E(400, "updated_datetime is required (W3C date and time)")
	}
	if strings.TrimSpace(in.Description) == "" {
		return open311.UpdateAck{}, E(400, "description is required")
	}
	if core.TooLong(in.Description, open311.MaxValueLen) {
		return open311.UpdateAck{}, E(400, "description is longer than %d characters", open311.MaxValueLen)
	}
	c, err := s.St.CaseByNumber(ctx, in.RequestID, org.Scope{All: true})
	if errs.Is(err, errs.NotFound) {
		return open311.UpdateAck{}, E(404, "service_request_id %q not found", in.RequestID)
	}
	if err != nil {
		return open311.UpdateAck{}, err
	}
	var id int64
	err = s.St.Write(ctx, func(tx *store.Tx) error {
		var fresh bool
		var err error
		id, fresh, err = tx.InsertOpen311Update(ctx, store.Open311Update{KeyID: key.ID, ExtID: in.UpdateID, CaseID: c.ID, Status: st,
			Description: in.Description, UpdatedAt: in.Updated, CreatedAt: s.Now()})
		if err != nil || !fresh {
			return err
		}
		return s.Audit(ctx, tx, core.Citizen(), "open311_update", fmt.Sprintf("case:%d", c.ID), map[string]any{"key": key.ID, "update_id": in.UpdateID, "status": st})
	})
	if err != nil {
		return open311.UpdateAck{}, err
	}
	return open311.UpdateAck{UpdateID: strconv.FormatInt(id, 10)}, nil
}

// Key is an API key as stored (never its value).
type Key = store.Open311Key
