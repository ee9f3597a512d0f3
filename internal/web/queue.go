package web

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"whistle/internal/casework"
	"whistle/internal/errs"
	"whistle/internal/lifecycle"
	"whistle/internal/org"
)

// queueRow is one waiting submission on the queue page; C, Now and Lang
// let it use the "due" countdown partial like the inbox rows.
type queueRow struct {
	C    *lifecycle.Case
	Now  any
	Lang string
	It   casework.QueueItem
	Pct  string // the classifier's probability in per cent
}

// queueResult is one case of a bulk dispatch as the page reports it.
type queueResult struct {
	ID     int64
	Number string
	Done   bool
	UnitID int64
	Msg    string
}

type queueData struct {
	Rows      []queueRow
	Total     int
	Confident int
	Results   []queueResult
	Done      int
}

// queuePage is the centre's queue of waiting online submissions with the
// classifier's and the duty list's suggestions (casework.WaitingQueue).
func (s *Server) queuePage(w http.ResponseWriter, r *http.Request, a org.Actor) {
	s.renderQueue(w, r, a, nil)
}

// queueDispatch accepts and dispatches the ticked confident submissions,
// each on its own (casework.AcceptAndDispatch), and shows what became of
// each above the queue as it is now.
func (s *Server) queueDispatch(w http.ResponseWriter, r *http.Request, a org.Actor) {
	p := s.newPage(r, &a, "queue.title")
	if err := r.ParseForm(); err != nil {
		s.errorPage(w, r, 400, s.cat.T(p.Lang, "error.bad_form"))
		return
	}
	var ids []int64
	for _, v := range r.PostForm["id"] {
		id, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
		if err != nil {
			s.errorPage(w, r, 400, errs.Message(errs.Invalid, p.Lang))
			return
		}
		ids = append(ids, id)
	}
	ctx, cancel := ctxTimeout(r)
	defer cancel()
	res, err := s.svc.Cases.AcceptAndDispatch(ctx, a, ids)
	if err != nil && len(res) == 0 {
		if errs.Is(err, errs.Forbidden) {
			s.errorPage(w, r, 403, errs.Message(errs.Forbidden, p.Lang))
			return
		}
		if errs.Is(err, errs.FieldRequired) {
			s.renderQueue(w, r, a, []queueResult{})
			return
		}
		s.render(w, s.explain(p, err), "queue", p)
		return
	}
	if err != nil {
		// An outage stopped the run part way: what was decided is shown,
		// the rest stays in the queue.
		s.log.Error("bulk dispatch stopped", "err", err)
	}
	out := make([]queueResult, 0, len(res))
	for _, x := range res {
		q := queueResult{ID: x.ID, Number: x.Number, Done: x.Done, UnitID: x.UnitID}
		if !x.Done {
			q.Msg = errs.Message(x.Code, p.Lang)
			if x.Detail != "" {
				if why := s.cat.T(p.Lang, "queue.why."+x.Detail); why != "queue.why."+x.Detail {
					q.Msg += ": " + why
				}
			}
		}
		out = append(out, q)
	}
	s.renderQueue(w, r, a, out)
}

func (s *Server) renderQueue(w http.ResponseWriter, r *http.Request, a org.Actor, results []queueResult) {
	p := s.newPage(r, &a, "queue.title")
	ctx, cancel := ctxTimeout(r)
	defer cancel()
	q, err := s.svc.Cases.WaitingQueue(ctx, a)
	if err != nil {
		if errs.Is(err, errs.Forbidden) {
			s.errorPage(w, r, 403, errs.Message(errs.Forbidden, p.Lang))
			return
		}
		s.render(w, s.explain(p, err), "queue", p)
		return
	}
	d := queueData{Total: q.Total, Results: results}
	for _, it := range q.Items {
		d.Rows = append(d.Rows, queueRow{C: it.Case, Now: p.Now, Lang: p.Lang, It: it, Pct: fmt.Sprintf("%.0f%%", it.Probability*100)})
		if it.Confident {
			d.Confident++
		}
	}
	for _, x := range results {
		if x.Done {
			d.Done++
		}
	}
	p.Data = d
	s.render(w, 200, "queue", p)
}
