package web

import (
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

type caseData struct {
	C       *lifecycle.Case
	Now     time.Time
	Lang    string
	Events  []lifecycle.Event
	Links   []lifecycle.Link
	Offered []lifecycle.Action
	Units   []org.Unit
	Citizen *lifecycle.Citizen // revealed personal data (audited)
	MayPII  bool               // the actor may reveal the citizen (audited)
	// How much of the citizen the actor sees, by the one rule
	// (lifecycle.CitizenVisibility): nothing (analysts), withheld
	// (confidential, outside the centre) or masked.
	PIIHidden, PIIWithheld bool
	Results                []string
	Means                  []string
	OpenForm               string          // the action whose form failed validation
	AnonymisedAt           time.Time       // when the retention period anonymised the case (zero: not)
	ReplyCheck             *replyCheckView // the verdict on the latest reply (答复质量; nil: none)
}

// offered is what the case page offers: the actions the lifecycle allows
// the actor now (casework's View.Actions, by lifecycle.Allowed), less the
// callback, which agents record from their own queue (/callbacks).
func offered(allowed []lifecycle.Action) []lifecycle.Action {
	var out []lifecycle.Action
	for _, act := range allowed {
		if act != lifecycle.ActCallback {
			out = append(out, act)
		}
	}
	return out
}

func (s *Server) loadCase(w http.ResponseWriter, r *http.Request, a org.Actor, p *page) (*caseData, bool) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		s.errorPage(w, r, 404, errs.Message(errs.NotFound, p.Lang))
		return nil, false
	}
	ctx, cancel := ctxTimeout(r)
	defer cancel()
	v, err := s.svc.Cases.CaseView(ctx, a, id)
	if err != nil {
		s.errorPage(w, r, errs.Status(errs.CodeOf(err)), errs.Message(errs.CodeOf(err), p.Lang))
		return nil, false
	}
	c := v.Case
	return &caseData{C: c, Now: p.Now, Lang: p.Lang, Events: v.Events, Links: v.Links, Offered: offered(v.Actions), Units: s.handlingUnits(),
		MayPII: v.MayReveal, PIIHidden: v.Visibility == lifecycle.CitizenHidden, PIIWithheld: v.Visibility == lifecycle.CitizenWithheld,
		Results: lifecycle.Results, Means: []string{"phone", "visit", "sms"}, AnonymisedAt: v.AnonymisedAt,
		ReplyCheck: replyViewOf(p.Lang, v.ReplyCheck)}, true
}

func (s *Server) casePage(w http.ResponseWriter, r *http.Request, a org.Actor) {
	p := s.newPage(r, &a, "case.title")
	d, ok := s.loadCase(w, r, a, p)
	if !ok {
		return
	}
	p.Title = s.cat.T(p.Lang, "case.title") + " " + d.C.Number
	p.Data = d
	s.render(w, 200, "case", p)
}

// caseReveal shows the citizen's name and phone to a role that needs them;
// every reveal is written to the audit log by the service.
func (s *Server) caseReveal(w http.ResponseWriter, r *http.Request, a org.Actor) {
	p := s.newPage(r, &a, "case.title")
	d, ok := s.loadCase(w, r, a, p)
	if !ok {
		return
	}
	cit, err := s.svc.Cases.Reveal(r.Context(), a, d.C.ID, r.FormValue("purpose"))
	if err != nil {
		http.Error(w, errs.Message(errs.CodeOf(err), p.Lang), errs.Status(errs.CodeOf(err)))
		return
	}
	d.Citizen = &cit
	p.Data = d
	s.partial(w, "case", "citizen", p)
}

// maxUploadMemory bounds multipart parsing in memory (the rest spills to disk).
const maxUploadMemory = 8 << 20

// uploads stores the photos of a form field and returns their ids.
func (s *Server) uploads(r *http.Request, a org.Actor, field string) ([]int64, error) {
	if r.MultipartForm == nil {
		return nil, nil
	}
	var ids []int64
	for _, fh := range r.MultipartForm.File[field] {
		if fh.Size == 0 {
			continue
		}
		f, err := fh.Open()
		if err != nil {
			return nil, err
		}
		data, err := io.ReadAll(io.LimitReader(f, s.svc.Config().MaxAttachment+1))
		f.Close()
		if err != nil {
			return nil, err
		}
		att, err := s.svc.Cases.Upload(r.Context(), a, fh.Filename, data)
		if err != nil {
			return nil, err
		}
		ids = append(ids, att.ID)
	}
	return ids, nil
}

func parseForm(r *http.Request) error {
	if strings.HasPrefix(r.Header.Get("Content-Type"), "multipart/") {
		if err := r.ParseMultipartForm(maxUploadMemory); err != nil {
			return err
		}
		return cleanMultipart(r.MultipartForm) // URL-encoded forms: cleanInput
	}
	return r.ParseForm()
}

// caseAct applies one lifecycle action from a case page form.
func (s *Server) caseAct(w http.ResponseWriter, r *http.Request, a org.Actor) {
	p := s.newPage(r, &a, "case.title")
	// The case first: out of scope is 404 whatever the form.
	d, ok := s.loadCase(w, r, a, p)
	if !ok {
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, s.svc.Config().MaxAttachment*4+1<<20)
	if err := parseForm(r); err != nil {
		s.errorPage(w, r, 400, s.cat.T(p.Lang, "error.bad_form"))
		return
	}
	p.Form = r.PostForm
	action := lifecycle.Action(r.PostFormValue("action"))
	in := casework.ActInput{Action: action, Note: r.PostFormValue("note"), Reason: r.PostFormValue("reason"),
		Result: r.PostFormValue("result"), Means: r.PostFormValue("means"), Article: r.PostFormValue("article")}
	if v := r.PostFormValue("unit_id"); v != "" {
		id, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			p.Fields["unit_id"] = errs.Message(errs.Invalid, p.Lang)
		}
		in.UnitID = id
	}
	if v := r.PostFormValue("parent_number"); v != "" {
		parent, err := s.svc.Cases.GetByNumber(r.Context(), a, strings.TrimSpace(v))
		if err != nil {
			p.Fields["parent_number"] = errs.Message(errs.NotFound, p.Lang)
		} else {
			in.ParentID = parent.ID
		}
	}
	if v := r.PostFormValue("reply_by"); v != "" {
		t, err := time.ParseInLocation("2006-01-02T15:04", v, s.svc.Location())
		if err != nil {
			p.Fields["reply_by"] = errs.Message(errs.Invalid, p.Lang)
		}
		in.ReplyBy = t
	}
	if len(p.Fields) == 0 {
		ids, err := s.uploads(r, a, "photos")
		if err != nil {
			s.explain(p, err)
		}
		in.Attachments = ids
	}
	if len(p.Fields) > 0 || p.Err != "" {
		if p.Err == "" {
			p.Err = s.cat.T(p.Lang, "form.check_fields")
		}
		d.OpenForm = string(action)
		p.Data = d
		s.render(w, 422, "case", p)
		return
	}
	if _, _, err := s.svc.Cases.Act(r.Context(), a, d.C.ID, in); err != nil {
		status := s.explain(p, err)
		d.OpenForm = string(action)
		p.Title = s.cat.T(p.Lang, "case.title") + " " + d.C.Number
		p.Data = d
		s.render(w, status, "case", p)
		return
	}
	msg := s.cat.T(p.Lang, "case.done", s.cat.T(p.Lang, "action."+string(action)), d.C.Number)
	http.Redirect(w, r, withFlash(backTo(r, "/cases/"+strconv.FormatInt(d.C.ID, 10)), msg), http.StatusSeeOther)
}

// callbackSubmit records a callback from the agents' queue.
func (s *Server) callbackSubmit(w http.ResponseWriter, r *http.Request, a org.Actor) {
	p := s.newPage(r, &a, "callbacks.title")
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		err = errs.E(errs.NotFound)
	} else {
		// The case first: out of scope is 404 whatever the form.
		err = s.svc.Cases.InScope(r.Context(), a, id)
	}
	if err != nil {
		s.errorPage(w, r, errs.Status(errs.CodeOf(err)), errs.Message(errs.CodeOf(err), p.Lang))
		return
	}
	if err := r.ParseForm(); err != nil {
		s.errorPage(w, r, 400, s.cat.T(p.Lang, "error.bad_form"))
		return
	}
	in := casework.ActInput{Action: lifecycle.ActCallback, Satisfaction: r.PostFormValue("satisfaction"), Note: r.PostFormValue("note"),
		Reopen: r.PostFormValue("reopen") == "1"}
	switch r.PostFormValue("resolved") {
	case "yes":
		in.Resolved = ptr(true)
	case "no":
		in.Resolved = ptr(false)
	}
	c, _, err := s.svc.Cases.Act(r.Context(), a, id, in)
	if err != nil {
		http.Redirect(w, r, withFlash("/callbacks", s.cat.T(p.Lang, "callback.failed")+errs.Message(errs.CodeOf(err), p.Lang)), http.StatusSeeOther)
		return
	}
	key := "callback.closed"
	if c.State != lifecycle.Closed {
		key = "callback.reopened"
	}
	http.Redirect(w, r, withFlash("/callbacks", s.cat.T(p.Lang, key, c.Number)), http.StatusSeeOther)
}

func ptr[T any](v T) *T { return &v }

func (s *Server) attachment(w http.ResponseWriter, r *http.Request, a org.Actor) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		http.NotFound(w, r)
		return
	}
	att, data, err := s.svc.Cases.Attachment(r.Context(), a, id)
	if err != nil {
		http.Error(w, errs.Message(errs.CodeOf(err), langOf(r)), errs.Status(errs.CodeOf(err)))
		return
	}
	w.Header().Set("Content-Type", att.ContentType)
	w.Header().Set("Content-Disposition", "inline")
	w.Header().Set("Content-Security-Policy", "default-src 'none'")
	_, _ = w.Write(data)
}
