package api

import (
	"net/http"
	"strconv"
	"time"

	"whistle/internal/dedup"
	"whistle/internal/dispatch"
	"whistle/internal/errs"
	"whistle/internal/org"
)

// queryTime reads an RFC 3339 time or a date (YYYY-MM-DD, midnight in loc).
func queryTime(r *http.Request, name string, loc *time.Location) (time.Time, error) {
	v := r.URL.Query().Get(name)
	if v == "" {
		return time.Time{}, nil
	}
	if t, err := time.Parse(time.RFC3339, v); err == nil {
		return t, nil
	}
	if t, err := time.ParseInLocation("2006-01-02", v, loc); err == nil {
		return t, nil
	}
	return time.Time{}, &errs.Error{Code: errs.Invalid, Field: name, Detail: "RFC 3339 time or YYYY-MM-DD expected"}
}

func queryInt(r *http.Request, name string, lo, hi int) (int, error) {
	v := r.URL.Query().Get(name)
	if v == "" {
		return 0, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < lo || n > hi {
		return 0, &errs.Error{Code: errs.Invalid, Field: name, Detail: strconv.Itoa(lo) + ".." + strconv.Itoa(hi)}
	}
	return n, nil
}

func queryFloat(r *http.Request, name string, lo, hi float64) (float64, error) {
	v := r.URL.Query().Get(name)
	if v == "" {
		return 0, nil
	}
	f, err := strconv.ParseFloat(v, 64)
	if err != nil || f < lo || f > hi || f != f {
		return 0, &errs.Error{Code: errs.Invalid, Field: name, Detail: strconv.FormatFloat(lo, 'g', -1, 64) + ".." + strconv.FormatFloat(hi, 'g', -1, 64)}
	}
	return f, nil
}

func (s *Server) listDutyLists(w http.ResponseWriter, r *http.Request, a org.Actor) {
	ls, err := s.svc.Dispatch.DutyLists(r.Context(), a)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, 200, map[string]any{"duty_lists": ls})
}

func (s *Server) createDutyList(w http.ResponseWriter, r *http.Request, a org.Actor) {
	var in dispatch.DutyListInput
	if err := decode(w, r, &in); err != nil {
		s.fail(w, r, err)
		return
	}
	l, err := s.svc.Dispatch.CreateDutyList(r.Context(), a, in)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	w.Header().Set("Location", "/api/v1/duty-lists/"+strconv.FormatInt(l.Version, 10))
	writeJSON(w, http.StatusCreated, l)
}

func (s *Server) getDutyList(w http.ResponseWriter, r *http.Request, a org.Actor) {
	v, err := pathID(r, "version")
	if err != nil {
		s.fail(w, r, err)
		return
	}
	l, err := s.svc.Dispatch.DutyList(r.Context(), a, v)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, 200, l)
}

func (s *Server) putDutyList(w http.ResponseWriter, r *http.Request, a org.Actor) {
	v, err := pathID(r, "version")
	if err != nil {
		s.fail(w, r, err)
		return
	}
	var in dispatch.DutyListInput
	if err := decode(w, r, &in); err != nil {
		s.fail(w, r, err)
		return
	}
	l, err := s.svc.Dispatch.UpdateDutyList(r.Context(), a, v, in)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, 200, l)
}

func (s *Server) publishDutyList(w http.ResponseWriter, r *http.Request, a org.Actor) {
	v, err := pathID(r, "version")
	if err != nil {
		s.fail(w, r, err)
		return
	}
	l, err := s.svc.Dispatch.PublishDutyList(r.Context(), a, v)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, 200, l)
}

// dryRun re-routes the requests created in [from, to) (default: the
// previous calendar month) under a version.
func (s *Server) dryRun(w http.ResponseWriter, r *http.Request, a org.Actor) {
	v, err := pathID(r, "version")
	if err != nil {
		s.fail(w, r, err)
		return
	}
	loc := s.svc.Location()
	from, err := queryTime(r, "from", loc)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	to, err := queryTime(r, "to", loc)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if from.IsZero() && to.IsZero() {
		now := s.svc.Now()
		to = time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, loc)
		from = to.AddDate(0, -1, 0)
	} else if to.IsZero() {
		to = s.svc.Now()
	}
	out, err := s.svc.Dispatch.DryRun(r.Context(), a, v, from, to)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, 200, map[string]any{"from": from, "to": to, "result": out})
}

// routeSuggestion is the agent screen's suggestion for a request being
// registered.
func (s *Server) routeSuggestion(w http.ResponseWriter, r *http.Request, a org.Actor) {
	var in struct {
		Category string   `json:"category"`
		PlaceID  int64    `json:"place_id,omitempty"`
		Lat      *float64 `json:"lat,omitempty"`
		Lon      *float64 `json:"lon,omitempty"`
		Text     string   `json:"text,omitempty"`
	}
	if err := decode(w, r, &in); err != nil {
		s.fail(w, r, err)
		return
	}
	if !a.User.Has(org.RoleAgent, org.RoleDispatcher, org.RoleSupervisor, org.RoleAdmin) {
		s.fail(w, r, errs.E(errs.Forbidden))
		return
	}
	if (in.Lat == nil) != (in.Lon == nil) {
		s.fail(w, r, errs.F(errs.InvalidLocation, "lat"))
		return
	}
	place := in.PlaceID
	if in.Lat != nil && place == 0 {
		loc, err := s.svc.Locate(*in.Lat, *in.Lon)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		for _, id := range []int64{loc.GridID, loc.CommunityID, loc.StreetID, loc.DistrictID} {
			if id != 0 {
				place = id
				break
			}
		}
	}
	if len([]rune(in.Text)) > 10000 {
		s.fail(w, r, errs.F(errs.FieldTooLong, "text"))
		return
	}
	d, err := s.svc.Dispatch.RouteSuggestion(r.Context(), in.Category, place, in.Text)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, 200, d)
}

func dedupOverrides(r *http.Request) (dedup.Config, error) {
	var c dedup.Config
	var err error
	if c.RadiusM, err = queryFloat(r, "radius_m", 1, 5000); err != nil {
		return c, err
	}
	if c.MinText, err = queryFloat(r, "min_text", 0.01, 1); err != nil {
		return c, err
	}
	if c.MinScore, err = queryFloat(r, "min_score", 0.01, 1); err != nil {
		return c, err
	}
	c.Limit, err = queryInt(r, "limit", 1, 100)
	return c, err
}

func (s *Server) caseDuplicates(w http.ResponseWriter, r *http.Request, a org.Actor) {
	id, err := pathID(r, "id")
	if err != nil {
		s.fail(w, r, err)
		return
	}
	cfg, err := dedupOverrides(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	ms, err := s.svc.Dispatch.Duplicates(r.Context(), a, id, cfg)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, 200, map[string]any{"duplicates": ms, "config": s.effective(cfg)})
}

func (s *Server) checkDuplicates(w http.ResponseWriter, r *http.Request, a org.Actor) {
	var in dispatch.DraftRequest
	if err := decode(w, r, &in); err != nil {
		s.fail(w, r, err)
		return
	}
	cfg, err := dedupOverrides(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	ms, err := s.svc.Dispatch.CheckDuplicates(r.Context(), a, in, cfg)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, 200, map[string]any{"duplicates": ms, "config": s.effective(cfg)})
}

// effective is the configuration a duplicate check ran with.
func (s *Server) effective(over dedup.Config) dedup.Config {
	c := s.svc.Dispatch.DuplicateConfig()
	if over.RadiusM > 0 {
		c.RadiusM = over.RadiusM
	}
	if over.MinText > 0 {
		c.MinText = over.MinText
	}
	if over.MinScore > 0 {
		c.MinScore = over.MinScore
	}
	if over.Limit > 0 {
		c.Limit = over.Limit
	}
	return c
}

func (s *Server) listRepeats(w http.ResponseWriter, r *http.Request, a org.Actor) {
	loc := s.svc.Location()
	from, err := queryTime(r, "from", loc)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	to, err := queryTime(r, "to", loc)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	limit, err := queryInt(r, "limit", 1, 200)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	p, err := s.svc.Dispatch.Repeats(r.Context(), a, r.URL.Query().Get("flag"), from, to, r.URL.Query().Get("cursor"), limit)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, 200, p)
}
