package web

import (
	"net/http"
	"strconv"

	"whistle/internal/delivery"
	"whistle/internal/errs"
	"whistle/internal/org"
)

// ---- webhooks (事件订阅, issue #13) ----

func init() { pageNames = append(pageNames, "admin_webhooks") }

type webhooksData struct {
	Tabs       []adminLink
	Hooks      []delivery.Webhook
	Hook       *delivery.Webhook // the one shown (GET /admin/webhooks/{id})
	Secret     string            // shown once, after a create or a rotation
	State      string
	States     []string
	Deliveries []delivery.DeliveryView
}

func webhookTabs(a org.Actor) []adminLink {
	return append(dispatchTabs(a, ""), adminLink{Href: "/admin/webhooks", Key: "events.title", Active: true})
}

func (s *Server) webhooksRender(w http.ResponseWriter, r *http.Request, a org.Actor, p *page, status int, d *webhooksData) {
	if d == nil {
		d = &webhooksData{}
	}
	d.Tabs = webhookTabs(a)
	p.Data = d
	hs, err := s.svc.Events.Webhooks(r.Context(), a)
	if err != nil && status < 400 {
		status = s.explain(p, err)
	}
	d.Hooks = hs
	s.render(w, status, "admin_webhooks", p)
}

func (s *Server) webhooksPage(w http.ResponseWriter, r *http.Request, a org.Actor) {
	if !a.User.Has(org.RoleAdmin) {
		s.forbidden(w, r)
		return
	}
	s.webhooksRender(w, r, a, s.newPage(r, &a, "events.title"), 200, nil)
}

func webhookForm(r *http.Request) delivery.WebhookInput {
	active := r.PostFormValue("active") == "1"
	return delivery.WebhookInput{Name: r.PostFormValue("name"), URL: r.PostFormValue("url"), Types: r.PostFormValue("types"),
		Active: &active, RotateSecret: r.PostFormValue("rotate") == "1"}
}

func (s *Server) webhookCreate(w http.ResponseWriter, r *http.Request, a org.Actor) {
	if !a.User.Has(org.RoleAdmin) {
		s.forbidden(w, r)
		return
	}
	p := s.newPage(r, &a, "events.title")
	if err := parseForm(r); err != nil {
		s.errorPage(w, r, 400, s.cat.T(p.Lang, "error.bad_form"))
		return
	}
	p.Form = r.PostForm
	h, err := s.svc.Events.CreateWebhook(r.Context(), a, webhookForm(r))
	if err != nil {
		s.webhooksRender(w, r, a, p, s.explain(p, err), nil)
		return
	}
	// The secret is shown here once (never in a redirect URL).
	p.Form = nil
	p.Flash = s.cat.T(p.Lang, "events.created", h.Name)
	s.webhooksRender(w, r, a, p, 201, &webhooksData{Secret: h.Secret})
}

func (s *Server) webhookID(w http.ResponseWriter, r *http.Request, p *page) (int64, bool) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		s.errorPage(w, r, 400, s.cat.T(p.Lang, "error.bad_form"))
		return 0, false
	}
	return id, true
}

func (s *Server) webhookRender(w http.ResponseWriter, r *http.Request, a org.Actor, p *page, status int, id int64, secret string) {
	d := &webhooksData{Secret: secret, State: r.URL.Query().Get("state"), States: []string{"", "pending", "done", "dead"}}
	if r.Method != http.MethodGet {
		d.State = "dead"
	}
	h, err := s.svc.Events.Webhook(r.Context(), a, id)
	if err != nil {
		s.errorPage(w, r, errs.Status(errs.CodeOf(err)), errs.Message(errs.CodeOf(err), p.Lang))
		return
	}
	d.Hook = &h
	if len(p.Form) == 0 {
		p.Form.Set("name", h.Name)
		p.Form.Set("url", h.URL)
		p.Form.Set("types", h.Types)
		if h.Active {
			p.Form.Set("active", "1")
		}
	}
	ds, err := s.svc.Events.Deliveries(r.Context(), a, id, d.State, 100)
	if err != nil && status < 400 {
		status = s.explain(p, err)
	}
	d.Deliveries = ds
	s.webhooksRender(w, r, a, p, status, d)
}

func (s *Server) webhookPage(w http.ResponseWriter, r *http.Request, a org.Actor) {
	if !a.User.Has(org.RoleAdmin) {
		s.forbidden(w, r)
		return
	}
	p := s.newPage(r, &a, "events.title")
	id, ok := s.webhookID(w, r, p)
	if !ok {
		return
	}
	s.webhookRender(w, r, a, p, 200, id, "")
}

func (s *Server) webhookUpdate(w http.ResponseWriter, r *http.Request, a org.Actor) {
	if !a.User.Has(org.RoleAdmin) {
		s.forbidden(w, r)
		return
	}
	p := s.newPage(r, &a, "events.title")
	id, ok := s.webhookID(w, r, p)
	if !ok {
		return
	}
	if err := parseForm(r); err != nil {
		s.errorPage(w, r, 400, s.cat.T(p.Lang, "error.bad_form"))
		return
	}
	p.Form = r.PostForm
	h, err := s.svc.Events.UpdateWebhook(r.Context(), a, id, webhookForm(r))
	if err != nil {
		s.webhookRender(w, r, a, p, s.explain(p, err), id, "")
		return
	}
	if h.Secret != "" {
		p.Form = nil
		p.Flash = s.cat.T(p.Lang, "events.rotated")
		s.webhookRender(w, r, a, s.newPage(r, &a, "events.title"), 200, id, h.Secret)
		return
	}
	http.Redirect(w, r, withFlash("/admin/webhooks/"+strconv.FormatInt(id, 10), s.cat.T(p.Lang, "events.saved")), http.StatusSeeOther)
}

func (s *Server) webhookDelete(w http.ResponseWriter, r *http.Request, a org.Actor) {
	if !a.User.Has(org.RoleAdmin) {
		s.forbidden(w, r)
		return
	}
	p := s.newPage(r, &a, "events.title")
	id, ok := s.webhookID(w, r, p)
	if !ok {
		return
	}
	if err := s.svc.Events.DeleteWebhook(r.Context(), a, id); err != nil {
		s.webhooksRender(w, r, a, p, s.explain(p, err), nil)
		return
	}
	http.Redirect(w, r, withFlash("/admin/webhooks", s.cat.T(p.Lang, "events.deleted")), http.StatusSeeOther)
}

// webhookReplay replays one dead letter (delivery_id) or all of them.
func (s *Server) webhookReplay(w http.ResponseWriter, r *http.Request, a org.Actor) {
	if !a.User.Has(org.RoleAdmin) {
		s.forbidden(w, r)
		return
	}
	p := s.newPage(r, &a, "events.title")
	id, ok := s.webhookID(w, r, p)
	if !ok {
		return
	}
	if err := parseForm(r); err != nil {
		s.errorPage(w, r, 400, s.cat.T(p.Lang, "error.bad_form"))
		return
	}
	var did int64
	if v := r.PostFormValue("delivery_id"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n <= 0 {
			s.errorPage(w, r, 400, s.cat.T(p.Lang, "error.bad_form"))
			return
		}
		did = n
	}
	n, err := s.svc.Events.Replay(r.Context(), a, id, did)
	if err != nil {
		s.webhookRender(w, r, a, p, s.explain(p, err), id, "")
		return
	}
	http.Redirect(w, r, withFlash("/admin/webhooks/"+strconv.FormatInt(id, 10)+"?state=dead", s.cat.T(p.Lang, "events.replayed", n)), http.StatusSeeOther)
}
