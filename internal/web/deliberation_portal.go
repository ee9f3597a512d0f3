package web

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"whistle/internal/deliberations"
	"whistle/internal/errs"
	"whistle/internal/org"
)

// 议事协商 on the citizen portal (phone first): the decisions of a
// community and their progress, one page per item — without personal data
// — and the form by which residents propose an item (rate-limited per
// address like the portal's requests).

func init() {
	pageNames = append(pageNames, "deliberation_portal", "deliberation_public")
}

type delibPortalData struct {
	Items     []deliberations.PublicItem
	Places    []org.Place // places with public items (the filter)
	Place     int64
	Proposals []org.Place // communities residents may propose for
	Proposed  int64       // the id of a proposal just received
}

func (s *Server) deliberationPortal(w http.ResponseWriter, r *http.Request) {
	p := s.newPage(r, nil, "delib.portal_title")
	s.renderDelibPortal(w, r, p, 200, 0)
}

func (s *Server) renderDelibPortal(w http.ResponseWriter, r *http.Request, p *page, status int, proposed int64) {
	ctx, cancel := ctxTimeout(r)
	defer cancel()
	d := delibPortalData{Proposals: s.svc.Deliberations.ProposalPlaces(), Proposed: proposed}
	d.Place, _ = strconv.ParseInt(r.URL.Query().Get("place"), 10, 64)
	var err error
	if d.Places, err = s.svc.Deliberations.PublicPlaces(ctx); err == nil {
		d.Items, err = s.svc.Deliberations.PublicList(ctx, d.Place)
	}
	p.Data = d
	if err != nil {
		if st := s.explain(p, err); status < 400 {
			status = st
		}
	}
	s.render(w, status, "deliberation_portal", p)
}

func (s *Server) deliberationPublic(w http.ResponseWriter, r *http.Request) {
	p := s.newPage(r, nil, "delib.portal_title")
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		s.errorPage(w, r, 404, errs.Message(errs.NotFound, p.Lang))
		return
	}
	ctx, cancel := ctxTimeout(r)
	defer cancel()
	it, err := s.svc.Deliberations.PublicGet(ctx, id)
	if err != nil {
		st := s.explain(p, err)
		s.errorPage(w, r, st, p.Err)
		return
	}
	p.Title = it.Title
	p.Data = it
	s.render(w, 200, "deliberation_public", p)
}

// deliberationPropose receives a residents' proposal.
func (s *Server) deliberationPropose(w http.ResponseWriter, r *http.Request) {
	p := s.newPage(r, nil, "delib.portal_title")
	ip, ok := s.portalForm(w, r, p, func(status int) { s.renderDelibPortal(w, r, p, status, 0) })
	if !ok {
		return
	}
	get := func(k string) string { return strings.TrimSpace(r.PostFormValue(k)) }
	in := deliberations.ProposeInput{Title: get("title"), Summary: get("summary"), Name: get("name"), Phone: get("phone")}
	in.PlaceID, _ = strconv.ParseInt(get("place_id"), 10, 64)
	ctx, cancel := ctxTimeout(r)
	defer cancel()
	id, err := s.svc.Deliberations.Propose(ctx, in)
	if err != nil {
		s.renderDelibPortal(w, r, p, s.delibFail(p, err), 0)
		return
	}
	s.submits.Fail(ip, time.Now()) // counts submissions
	p.Form = nil
	s.renderDelibPortal(w, r, p, 201, id)
}
