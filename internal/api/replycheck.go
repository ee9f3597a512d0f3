package api

import (
	"net/http"

	"whistle/internal/org"
)

// Reply quality (答复质量, issue #16): the check of a draft reply (nothing
// stored; the same rules score the reply when it is submitted, and the
// reply action's event carries that verdict as data.reply_check), the
// stored verdict of a case's latest reply, and the callback queue with
// its verdicts.

type replyCheckRequest struct {
	Note string `json:"note"`
}

// checkReply answers POST /cases/{id}/reply-check.
func (s *Server) checkReply(w http.ResponseWriter, r *http.Request, a org.Actor) {
	id, err := s.caseID(r, a) // out of scope: 404 before the body is read
	if err != nil {
		s.fail(w, r, err)
		return
	}
	var in replyCheckRequest
	if err := decode(w, r, &in); err != nil {
		s.fail(w, r, err)
		return
	}
	ch, err := s.svc.Cases.CheckReply(r.Context(), a, id, in.Note)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, 200, ch)
}

// getReplyCheck answers GET /cases/{id}/reply-check.
func (s *Server) getReplyCheck(w http.ResponseWriter, r *http.Request, a org.Actor) {
	id, err := pathID(r, "id")
	if err != nil {
		s.fail(w, r, err)
		return
	}
	rc, err := s.svc.Cases.ReplyCheckOf(r.Context(), a, id)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, 200, rc)
}

// callbacks answers GET /callbacks: the replied cases waiting for a
// callback, with the verdicts on their replies.
func (s *Server) callbacks(w http.ResponseWriter, r *http.Request, a org.Actor) {
	q := r.URL.Query()
	pg, err := s.svc.Cases.CallbackQueue(r.Context(), a, q.Get("number"), q.Get("cursor"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	pg.Cases = nonNil(pg.Cases)
	writeJSON(w, 200, pg)
}
