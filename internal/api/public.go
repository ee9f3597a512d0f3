package api

import (
	"net/http"
	"time"

	"whistle/internal/casework"
	"whistle/internal/errs"
	"whistle/internal/lifecycle"
)

// publicCreate takes a citizen's submission from the web portal.
func (s *Server) publicCreate(w http.ResponseWriter, r *http.Request) {
	// Photos come inline (base64 in JSON), at most casework.MaxPublicPhotos;
	// "attachments" (ids) are ignored: a citizen links only what they send.
	var in struct {
		casework.NewCase
		Photos []struct {
			Name string `json:"name"`
			Data []byte `json:"data"`
		} `json:"photos"`
		SharePhotoLocation bool `json:"share_photo_location"`
	}
	limit := maxJSON + (s.svc.Config().MaxAttachment*4/3+1024)*casework.MaxPublicPhotos
	ip, ok := s.publicBody(w, r, &in, limit)
	if !ok {
		return
	}
	photos := casework.PublicPhotos{IP: ip, ShareLocation: in.SharePhotoLocation}
	for _, p := range in.Photos {
		photos.Photos = append(photos.Photos, casework.Photo{Name: p.Name, Data: p.Data})
	}
	c, replayed, err := s.svc.Cases.SubmitPublicWith(r.Context(), in.NewCase, photos, r.Header.Get("Idempotency-Key"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	status := http.StatusCreated
	if replayed {
		status = http.StatusOK
	} else {
		s.submitted(ip)
	}
	writeJSON(w, status, map[string]any{"number": c.Number, "state": c.State, "created_at": c.CreatedAt, "accept_by": c.AcceptBy})
}

func (s *Server) publicLookup(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Number string `json:"number"`
		Phone  string `json:"phone"`
	}
	if err := decode(w, r, &in); err != nil {
		s.fail(w, r, err)
		return
	}
	// Numbers are sequential: wrong guesses per address are limited, so a
	// known phone number cannot be used to walk through a day's requests.
	ip := clientIP(r)
	if !s.lookups.Allowed(ip, time.Now()) {
		s.fail(w, r, errs.E(errs.RateLimited))
		return
	}
	c, evs, err := s.svc.Cases.Lookup(r.Context(), in.Number, in.Phone)
	if err != nil {
		if errs.Is(err, errs.NotFound) {
			s.lookups.Fail(ip, time.Now())
		}
		s.fail(w, r, err)
		return
	}
	steps := s.svc.Cases.CitizenTimeline(evs, lang(r))
	writeJSON(w, 200, map[string]any{
		"number": c.Number, "title": c.Title, "state": c.State, "created_at": c.CreatedAt.In(s.svc.Location()),
		"result": c.Result, "reply": c.ReplyText, "timeline": steps,
	})
}

// publicRate records the citizen's own callback on a replied request.
func (s *Server) publicRate(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Number       string `json:"number"`
		Phone        string `json:"phone"`
		Resolved     *bool  `json:"resolved"`
		Satisfaction string `json:"satisfaction"`
	}
	if err := decode(w, r, &in); err != nil {
		s.fail(w, r, err)
		return
	}
	ip := clientIP(r)
	if !s.lookups.Allowed(ip, time.Now()) {
		s.fail(w, r, errs.E(errs.RateLimited))
		return
	}
	if in.Resolved == nil {
		s.fail(w, r, errs.F(errs.FieldRequired, "resolved"))
		return
	}
	c, err := s.svc.Cases.RateAnswer(r.Context(), in.Number, in.Phone, *in.Resolved, in.Satisfaction)
	if err != nil {
		if errs.Is(err, errs.NotFound) {
			s.lookups.Fail(ip, time.Now())
		}
		s.fail(w, r, err)
		return
	}
	writeJSON(w, 200, map[string]any{"number": c.Number, "state": c.State, "reopened": c.State != lifecycle.Closed})
}
