package web

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"whistle/internal/agenda"
	"whistle/internal/deliberation"
	"whistle/internal/deliberations"
	"whistle/internal/errs"
	"whistle/internal/lifecycle"
	"whistle/internal/org"
)

// 议事协商 pages for staff: the list with the form that raises an item
// (from the unit's requests or a topic), and an item's page with the step
// its state allows — accept or decline a residents' proposal, schedule the
// meeting, record minutes and the vote, hand out follow-up tasks, close —
// and the tasks' progress. Residents' names are masked until revealed
// (audited) by the owner unit's staff.

func init() {
	pageNames = append(pageNames, "deliberations", "deliberation")
}

// Rows of the repeated parts of the forms.
const (
	delibParticipantRows = 6
	delibTaskRows        = 3
)

type delibListData struct {
	Items    []deliberations.Summary
	MayRaise bool
	Places   []org.Place
	Cases    []*lifecycle.Case
	Topics   []*agenda.Topic
	State    string
	States   []string
}

func (s *Server) deliberationsPage(w http.ResponseWriter, r *http.Request, a org.Actor) {
	p := s.newPage(r, &a, "delib.title")
	s.renderDeliberations(w, r, a, p, 200)
}

func (s *Server) renderDeliberations(w http.ResponseWriter, r *http.Request, a org.Actor, p *page, status int) {
	ctx, cancel := ctxTimeout(r)
	defer cancel()
	d := delibListData{MayRaise: deliberation.MayRaise(a), State: r.URL.Query().Get("state"), States: deliberation.States}
	var states []string
	if d.State != "" {
		states = []string{d.State}
	}
	items, err := s.svc.Deliberations.List(ctx, a, states...)
	d.Items = items
	if d.MayRaise {
		d.Places = s.svc.Deliberations.Places(a)
		if pg, err := s.svc.Cases.List(ctx, a, lifecycle.CaseFilter{LeadUnitID: a.Unit.ID, Limit: 30}); err == nil {
			d.Cases = pg.Cases
		}
		if ts, err := s.svc.Insight.Topics(ctx, a, agenda.Active); err == nil {
			d.Topics = ts
		}
	}
	p.Data = d
	if err != nil {
		status = s.explain(p, err)
	}
	s.render(w, status, "deliberations", p)
}

// deliberationRaise raises an item from the ticked requests (and case
// numbers or ids typed) or from a topic.
func (s *Server) deliberationRaise(w http.ResponseWriter, r *http.Request, a org.Actor) {
	p := s.newPage(r, &a, "delib.title")
	if err := r.ParseForm(); err != nil {
		s.errorPage(w, r, 400, s.cat.T(p.Lang, "error.bad_form"))
		return
	}
	p.Form = r.PostForm
	ctx, cancel := ctxTimeout(r)
	defer cancel()
	in := deliberations.RaiseInput{Title: r.PostFormValue("title"), Summary: r.PostFormValue("summary")}
	in.PlaceID, _ = strconv.ParseInt(r.PostFormValue("place_id"), 10, 64)
	for _, v := range r.PostForm["case"] {
		if id, err := strconv.ParseInt(v, 10, 64); err == nil {
			in.CaseIDs = append(in.CaseIDs, id)
		}
	}
	for _, v := range splitTopicList(r.PostFormValue("case_numbers")) {
		if len(v) >= 13 { // a case number (YYYYMMDD + 5 digits)
			c, err := s.svc.Cases.GetByNumber(ctx, a, v)
			if err != nil {
				p.Fields["case_numbers"] = errs.Message(errs.NotFound, p.Lang) + "（" + v + "）"
				continue
			}
			in.CaseIDs = append(in.CaseIDs, c.ID)
		} else if id, err := strconv.ParseInt(v, 10, 64); err == nil {
			in.CaseIDs = append(in.CaseIDs, id)
		} else {
			p.Fields["case_numbers"] = errs.Message(errs.Invalid, p.Lang)
		}
	}
	in.TopicID, _ = strconv.ParseInt(r.PostFormValue("topic_id"), 10, 64)
	if r.PostFormValue("source") == deliberation.FromTopic {
		in.CaseIDs = nil
	} else {
		in.TopicID = 0
	}
	if len(p.Fields) > 0 {
		p.Err = s.cat.T(p.Lang, "form.check_fields")
		s.renderDeliberations(w, r, a, p, 422)
		return
	}
	v, err := s.svc.Deliberations.Raise(ctx, a, in)
	if err != nil {
		status := s.delibFail(p, err)
		if f, ok := p.Fields["case_ids"]; ok {
			p.Fields["case_numbers"] = f
		}
		s.renderDeliberations(w, r, a, p, status)
		return
	}
	http.Redirect(w, r, withFlash("/deliberations/"+strconv.FormatInt(v.Item.ID, 10), s.cat.T(p.Lang, "delib.raised")), http.StatusSeeOther)
}

// delibFail marks every field an error names and returns its status.
func (s *Server) delibFail(p *page, err error) int {
	status := s.explain(p, err)
	for _, e := range errs.FieldsOf(err) {
		p.Fields[e.Field] = errs.Message(e.Code, p.Lang)
	}
	return status
}

type delibData struct {
	V                *deliberations.View
	Units            []org.Unit
	Kinds            []string
	ParticipantRows  []int
	TaskRows         []int
	Cases            []delibCase
	DefaultMeetingAt string
}

type delibCase struct {
	ID     int64
	Number string
}

func (s *Server) deliberationPage(w http.ResponseWriter, r *http.Request, a org.Actor) {
	s.showDeliberation(w, r, a, s.newPage(r, &a, "delib.title"), 200, false)
}

// showDeliberation renders an item's page (revealed: names in clear).
func (s *Server) showDeliberation(w http.ResponseWriter, r *http.Request, a org.Actor, p *page, status int, reveal bool) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		s.errorPage(w, r, 404, errs.Message(errs.NotFound, p.Lang))
		return
	}
	ctx, cancel := ctxTimeout(r)
	defer cancel()
	var v *deliberations.View
	if reveal {
		v, err = s.svc.Deliberations.Reveal(ctx, a, id)
	} else {
		v, err = s.svc.Deliberations.Get(ctx, a, id)
	}
	if err != nil {
		st := s.explain(p, err)
		s.errorPage(w, r, st, p.Err)
		return
	}
	p.Title = v.Item.Title
	d := delibData{V: v, Kinds: deliberation.ParticipantKinds}
	for _, u := range s.svc.UnitsList() {
		if !u.IsCentre() { // the 12345 centres neither sit at a council nor take its tasks
			d.Units = append(d.Units, u)
		}
	}
	for i := range delibParticipantRows {
		d.ParticipantRows = append(d.ParticipantRows, i)
	}
	for i := range delibTaskRows {
		d.TaskRows = append(d.TaskRows, i)
	}
	for _, cid := range v.Item.CaseIDs {
		dc := delibCase{ID: cid}
		if c, err := s.svc.Cases.Get(ctx, a, cid); err == nil {
			dc.Number = c.Number
		}
		d.Cases = append(d.Cases, dc)
	}
	if m := v.Item.Meeting; m != nil && p.F("at") == "" && status < 400 {
		p.Form.Set("at", m.At.In(s.svc.Location()).Format("2006-01-02T15:04"))
		p.Form.Set("venue", m.Venue)
		for i, pt := range m.Participants {
			if i >= delibParticipantRows {
				break
			}
			n := strconv.Itoa(i)
			p.Form.Set("p_kind_"+n, pt.Kind)
			if pt.UnitID != 0 {
				p.Form.Set("p_unit_"+n, strconv.FormatInt(pt.UnitID, 10))
			}
			if pt.Kind != deliberation.PartResident || reveal {
				p.Form.Set("p_name_"+n, pt.Name)
			}
		}
	}
	p.Data = d
	s.render(w, status, "deliberation", p)
}

// deliberationAct runs one step of an item from its page's forms.
func (s *Server) deliberationAct(w http.ResponseWriter, r *http.Request, a org.Actor) {
	p := s.newPage(r, &a, "delib.title")
	if err := r.ParseForm(); err != nil {
		s.errorPage(w, r, 400, s.cat.T(p.Lang, "error.bad_form"))
		return
	}
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		s.errorPage(w, r, 404, errs.Message(errs.NotFound, p.Lang))
		return
	}
	p.Form = r.PostForm
	f := func(k string) string { return strings.TrimSpace(r.PostFormValue(k)) }
	version, _ := strconv.ParseInt(f("version"), 10, 64)
	num := func(k string) int {
		if f(k) == "" {
			return 0
		}
		n, err := strconv.Atoi(f(k))
		if err != nil {
			p.Fields[k] = errs.Message(errs.Invalid, p.Lang)
		}
		return n
	}
	loc := s.svc.Location()
	ctx, cancel := ctxTimeout(r)
	defer cancel()
	d := s.svc.Deliberations
	step := r.PathValue("step")
	var call func() (*deliberations.View, error)
	switch step {
	case deliberation.ActAccept:
		call = func() (*deliberations.View, error) { return d.Accept(ctx, a, id, version) }
	case deliberation.ActDecline:
		call = func() (*deliberations.View, error) { return d.Decline(ctx, a, id, version, f("reason")) }
	case deliberation.ActSchedule:
		in := deliberations.MeetingInput{Version: version, Venue: f("venue")}
		if t, err := time.ParseInLocation("2006-01-02T15:04", f("at"), loc); err == nil {
			in.At = t
		} else if f("at") != "" {
			p.Fields["at"] = errs.Message(errs.Invalid, p.Lang)
		}
		for i := range delibParticipantRows {
			n := strconv.Itoa(i)
			kind, unit, name := f("p_kind_"+n), f("p_unit_"+n), f("p_name_"+n)
			if kind == "" && unit == "" && name == "" {
				continue
			}
			pt := deliberation.Participant{Kind: kind, Name: name}
			pt.UnitID, _ = strconv.ParseInt(unit, 10, 64)
			in.Participants = append(in.Participants, pt)
		}
		call = func() (*deliberations.View, error) { return d.Schedule(ctx, a, id, in) }
	case deliberation.ActDecide:
		in := deliberations.DecisionInput{Version: version, Minutes: f("minutes"), Motion: f("motion"),
			Votes: deliberation.Votes{For: num("votes.for"), Against: num("votes.against"), Abstain: num("votes.abstain")}, Quorum: num("quorum")}
		call = func() (*deliberations.View, error) { return d.Decide(ctx, a, id, in) }
	case deliberation.ActTasks:
		var in []deliberations.TaskInput
		for i := range delibTaskRows {
			n := strconv.Itoa(i)
			unit, title, due := f("task_unit_"+n), f("task_title_"+n), f("task_due_"+n)
			if unit == "" && title == "" && due == "" {
				continue
			}
			ti := deliberations.TaskInput{Title: title, Detail: f("task_detail_" + n)}
			ti.UnitID, _ = strconv.ParseInt(unit, 10, 64)
			if t, err := time.ParseInLocation("2006-01-02", due, loc); err == nil {
				ti.DueAt = t.Add(18 * time.Hour) // the end of the working day
			} else if due != "" {
				p.Fields["task_due_"+n] = errs.Message(errs.Invalid, p.Lang)
			}
			in = append(in, ti)
		}
		call = func() (*deliberations.View, error) { return d.AddTasks(ctx, a, id, version, in) }
	case deliberation.ActClose:
		call = func() (*deliberations.View, error) { return d.Close(ctx, a, id, version) }
	default:
		s.errorPage(w, r, 404, errs.Message(errs.NotFound, p.Lang))
		return
	}
	if len(p.Fields) > 0 {
		p.Err = s.cat.T(p.Lang, "form.check_fields")
		s.showDeliberation(w, r, a, p, 422, false)
		return
	}
	if _, err := call(); err != nil {
		status := s.delibFail(p, err)
		if status == 404 {
			s.errorPage(w, r, 404, errs.Message(errs.NotFound, p.Lang))
			return
		}
		// tasks.1.unit_id → task_unit_1; participants.2.name → p_name_2
		for k, msg := range p.Fields {
			parts := strings.Split(k, ".")
			if len(parts) == 3 && parts[0] == "tasks" {
				p.Fields["task_"+strings.TrimSuffix(strings.TrimSuffix(parts[2], "_id"), "_at")+"_"+parts[1]] = msg
			}
			if len(parts) == 3 && parts[0] == "participants" {
				p.Fields["p_"+strings.TrimSuffix(parts[2], "_id")+"_"+parts[1]] = msg
			}
		}
		s.showDeliberation(w, r, a, p, status, false)
		return
	}
	http.Redirect(w, r, withFlash("/deliberations/"+strconv.FormatInt(id, 10), s.cat.T(p.Lang, "delib.done."+step)), http.StatusSeeOther)
}

// deliberationReveal shows the page with the residents' names in clear
// (the service records the view in the audit log).
func (s *Server) deliberationReveal(w http.ResponseWriter, r *http.Request, a org.Actor) {
	s.showDeliberation(w, r, a, s.newPage(r, &a, "delib.title"), 200, true)
}
