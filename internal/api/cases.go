package api

import (
	"context"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"whistle/internal/casework"
	"whistle/internal/errs"
	"whistle/internal/lifecycle"
	"whistle/internal/org"
)

func (s *Server) createCase(w http.ResponseWriter, r *http.Request, a org.Actor) {
	var in casework.NewCase
	if err := decode(w, r, &in); err != nil {
		s.fail(w, r, err)
		return
	}
	if a.User.Has(org.RoleGridWorker) && !a.User.Has(org.RoleAgent, org.RoleDispatcher) {
		in.Channel = "grid"
	}
	c, replayed, err := s.svc.Cases.Create(r.Context(), a, in, r.Header.Get("Idempotency-Key"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	status := http.StatusCreated
	if replayed {
		status = http.StatusOK
		w.Header().Set("Idempotent-Replayed", "true")
	}
	w.Header().Set("Location", "/api/v1/cases/"+strconv.FormatInt(c.ID, 10))
	writeJSON(w, status, c)
}

func filterFrom(r *http.Request) (lifecycle.CaseFilter, error) {
	q := r.URL.Query()
	f := lifecycle.CaseFilter{Category: q.Get("category"), Type: q.Get("type"), Channel: q.Get("channel"), Cursor: q.Get("cursor"), Sort: q.Get("sort")}
	if f.Sort != "" && f.Sort != "created" && f.Sort != "due" {
		return f, errs.F(errs.Invalid, "sort")
	}
	for _, st := range strings.Split(q.Get("state"), ",") {
		if st == "" {
			continue
		}
		if !isState(st) {
			return f, errs.F(errs.Invalid, "state")
		}
		f.States = append(f.States, lifecycle.State(st))
	}
	var err error
	for name, dst := range map[string]**bool{"open": &f.Open, "overdue": &f.Overdue, "supervised": &f.Supervised, "return_pending": &f.ReturnPending, "extension_pending": &f.ExtPending} {
		if *dst, err = queryBool(r, name); err != nil {
			return f, err
		}
	}
	for name, dst := range map[string]*int64{"unit_id": &f.LeadUnitID, "district_id": &f.DistrictID, "street_id": &f.StreetID, "community_id": &f.CommunityID, "grid_id": &f.GridID} {
		if v := q.Get(name); v != "" {
			if *dst, err = strconv.ParseInt(v, 10, 64); err != nil {
				return f, errs.F(errs.Invalid, name)
			}
		}
	}
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 200 {
			return f, &errs.Error{Code: errs.Invalid, Field: "limit", Detail: "1..200"}
		}
		f.Limit = n
	}
	for name, dst := range map[string]*time.Time{"from": &f.CreatedFrom, "to": &f.CreatedTo} {
		if v := q.Get(name); v != "" {
			t, err := time.Parse(time.RFC3339, v)
			if err != nil {
				return f, &errs.Error{Code: errs.Invalid, Field: name, Detail: "RFC 3339 time expected"}
			}
			*dst = t
		}
	}
	return f, nil
}

func isState(s string) bool {
	for _, st := range lifecycle.States {
		if string(st) == s {
			return true
		}
	}
	return false
}

func (s *Server) listCases(w http.ResponseWriter, r *http.Request, a org.Actor) {
	phone := r.URL.Query().Get("phone")
	byPhone := phone != ""
	if byPhone && !casework.MaySearchByPhone(a) { // the role before the input
		s.fail(w, r, errs.E(errs.PhoneSearchForbidden))
		return
	}
	f, err := filterFrom(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	var page lifecycle.ListPage
	if byPhone {
		page, err = s.svc.Cases.SearchByPhone(r.Context(), a, phone, f)
	} else {
		page, err = s.svc.Cases.List(r.Context(), a, f)
	}
	if err != nil {
		if errs.Is(err, errs.PhoneSearchLimited) {
			w.Header().Set("Retry-After", strconv.Itoa(casework.PhoneSearchRetryAfter()))
		}
		s.fail(w, r, err)
		return
	}
	page.Cases = nonNil(page.Cases)
	writeJSON(w, 200, page)
}

// inbox lists the actor's unit's open orders, nearest deadline first: the
// ones it leads, or with ?as=co the ones it co-handles (协办).
func (s *Server) inbox(w http.ResponseWriter, r *http.Request, a org.Actor) {
	f, err := filterFrom(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	f.LeadUnitID, f.Sort = a.Unit.ID, "due"
	if len(f.States) == 0 { // what the unit has to act on; replied cases wait for the centre
		f.States = []lifecycle.State{lifecycle.Dispatched, lifecycle.Signed, lifecycle.Contacted, lifecycle.Handling}
	}
	switch r.URL.Query().Get("as") {
	case "", "lead":
	case "co":
		f.LeadUnitID, f.CoUnitID = 0, a.Unit.ID
	default:
		s.fail(w, r, &errs.Error{Code: errs.Invalid, Field: "as", Detail: "lead or co"})
		return
	}
	t := true
	f.Open = &t
	page, err := s.svc.Cases.List(r.Context(), a, f)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	page.Cases = nonNil(page.Cases)
	writeJSON(w, 200, page)
}

func (s *Server) getCase(w http.ResponseWriter, r *http.Request, a org.Actor) {
	id, err := pathID(r, "id")
	if err == nil {
		var c *lifecycle.Case
		if c, err = s.svc.Cases.Get(r.Context(), a, id); err == nil {
			writeJSON(w, 200, c)
			return
		}
	}
	s.fail(w, r, err)
}

func (s *Server) getCaseByNumber(w http.ResponseWriter, r *http.Request, a org.Actor) {
	c, err := s.svc.Cases.GetByNumber(r.Context(), a, r.PathValue("number"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, 200, c)
}

// nonNil makes an empty list encode as [] rather than null.
func nonNil[T any](xs []T) []T {
	if xs == nil {
		return []T{}
	}
	return xs
}

// caseList answers GET /cases/{id}/<key> with a list read by get.
func caseList[T any](s *Server, key string, get func(context.Context, org.Actor, int64) ([]T, error)) func(http.ResponseWriter, *http.Request, org.Actor) {
	return func(w http.ResponseWriter, r *http.Request, a org.Actor) {
		id, err := pathID(r, "id")
		if err != nil {
			s.fail(w, r, err)
			return
		}
		xs, err := get(r.Context(), a, id)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		writeJSON(w, 200, map[string]any{key: nonNil(xs)})
	}
}

func (s *Server) caseEvents(w http.ResponseWriter, r *http.Request, a org.Actor) {
	caseList(s, "events", s.svc.Cases.Timeline)(w, r, a)
}

func (s *Server) caseLinks(w http.ResponseWriter, r *http.Request, a org.Actor) {
	caseList(s, "links", s.svc.Cases.Links)(w, r, a)
}

// caseID reads the case id of the path and checks the case is in the
// actor's scope, before anything reads the body: out of scope is 404
// whatever was sent.
func (s *Server) caseID(r *http.Request, a org.Actor) (int64, error) {
	id, err := pathID(r, "id")
	if err != nil {
		return 0, err
	}
	return id, s.svc.Cases.InScope(r.Context(), a, id)
}

func (s *Server) reveal(w http.ResponseWriter, r *http.Request, a org.Actor) {
	id, err := s.caseID(r, a)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	var in struct {
		Purpose string `json:"purpose"`
	}
	if r.ContentLength != 0 {
		if err := decode(w, r, &in); err != nil {
			s.fail(w, r, err)
			return
		}
	}
	cit, err := s.svc.Cases.Reveal(r.Context(), a, id, in.Purpose)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, 200, map[string]any{"name": cit.Name, "phone": cit.Phone, "confidential": cit.Confidential, "anonymous": cit.Anonymous})
}

func (s *Server) act(action lifecycle.Action) func(http.ResponseWriter, *http.Request, org.Actor) {
	return func(w http.ResponseWriter, r *http.Request, a org.Actor) {
		id, err := s.caseID(r, a)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		var in casework.ActInput
		if err := decode(w, r, &in); err != nil {
			s.fail(w, r, err)
			return
		}
		in.Action = action
		c, ev, err := s.svc.Cases.Act(r.Context(), a, id, in)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		writeJSON(w, 200, map[string]any{"case": c, "event": ev})
	}
}

func (s *Server) upload(w http.ResponseWriter, r *http.Request, a org.Actor) {
	limit := s.svc.Config().MaxAttachment
	r.Body = http.MaxBytesReader(w, r.Body, limit+1<<20)
	var name string
	var data []byte
	ct := r.Header.Get("Content-Type")
	if strings.HasPrefix(ct, "multipart/form-data") {
		if err := r.ParseMultipartForm(limit + 1<<20); err != nil {
			s.fail(w, r, &errs.Error{Code: errs.TooLarge, Field: "file", Err: err})
			return
		}
		f, hdr, err := r.FormFile("file")
		if err != nil {
			s.fail(w, r, errs.F(errs.FieldRequired, "file"))
			return
		}
		defer f.Close()
		buf := make([]byte, hdr.Size)
		if _, err := io.ReadFull(f, buf); err != nil {
			s.fail(w, r, errs.Wrap(err))
			return
		}
		name, data = hdr.Filename, buf
	} else {
		b, err := readAll(r, limit)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		name, data = r.URL.Query().Get("name"), b
	}
	att, err := s.svc.Cases.Upload(r.Context(), a, name, data)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, 201, att)
}

func (s *Server) download(w http.ResponseWriter, r *http.Request, a org.Actor) {
	id, err := pathID(r, "id")
	if err != nil {
		s.fail(w, r, err)
		return
	}
	att, data, err := s.svc.Cases.Attachment(r.Context(), a, id)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	w.Header().Set("Content-Type", att.ContentType)
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Header().Set("Content-Disposition", "inline; filename*=UTF-8''"+urlEscape(att.Name))
	w.Write(data)
}
