package api

import (
	"net/http"

	"whistle/internal/errs"
	"whistle/internal/org"
)

// queue lists the centre's waiting online submissions with their
// suggestions (casework.WaitingQueue).
func (s *Server) queue(w http.ResponseWriter, r *http.Request, a org.Actor) {
	q, err := s.svc.Cases.WaitingQueue(r.Context(), a)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, 200, q)
}

// queueDispatch accepts and dispatches the named confident submissions,
// each in its own commit, and reports each (casework.AcceptAndDispatch).
func (s *Server) queueDispatch(w http.ResponseWriter, r *http.Request, a org.Actor) {
	var in struct {
		IDs []int64 `json:"ids"`
	}
	if err := decode(w, r, &in); err != nil {
		s.fail(w, r, err)
		return
	}
	res, err := s.svc.Cases.AcceptAndDispatch(r.Context(), a, in.IDs)
	if err != nil && len(res) == 0 {
		s.fail(w, r, err)
		return
	}
	type result struct {
		ID      int64  `json:"id"`
		Number  string `json:"number,omitempty"`
		Done    bool   `json:"done"`
		UnitID  int64  `json:"unit_id,omitempty"`
		Code    string `json:"code,omitempty"`
		Message string `json:"message,omitempty"`
		Detail  string `json:"detail,omitempty"`
	}
	out := struct {
		Results []result `json:"results"`
		Done    int      `json:"done"`
		Refused int      `json:"refused"`
		Stopped bool     `json:"stopped,omitempty"`
	}{Results: []result{}}
	for _, x := range res {
		rr := result{ID: x.ID, Number: x.Number, Done: x.Done, UnitID: x.UnitID, Detail: x.Detail}
		if x.Done {
			out.Done++
		} else {
			out.Refused++
			rr.Code, rr.Message = string(x.Code), errs.Message(x.Code, lang(r))
		}
		out.Results = append(out.Results, rr)
	}
	if err != nil {
		// An outage stopped the run part way: the cases reported were
		// decided, the rest were not tried.
		s.log.Error("bulk dispatch stopped", "err", err)
		out.Stopped = true
	}
	writeJSON(w, 200, out)
}
