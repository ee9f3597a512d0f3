package api

import (
	"net/http"
	"time"

	"whistle/internal/cases"
	"whistle/internal/errs"
	"whistle/internal/lifecycle"
)

// publicCreate takes a citizen's submission from the web portal.
func (s *Server) publicCreate(w http.ResponseWriter, r *http.Request) {
	ip := clientIP(r)
	if !s.submits.Allowed(ip, time.Now()) {
		s.fail(w, r, errs.E(errs.RateLimited))
		return
	}
	var in cases.NewCase
	if err := decode(w, r, &in); err != nil {
		s.fail(w, r, err)
		return
	}
	in.Channel = "web"
	in.Attachments, in.RelatedTo = nil, nil // citizens upload through their own case later
	if in.Anonymous && in.CitizenPhone == "" {
		s.fail(w, r, errs.F(errs.FieldRequired, "citizen_phone")) // needed to follow the request
		return
	}
	in.Anonymous = false
	c, replayed, err := s.svc.Create(r.Context(), cases.Citizen(), in, r.Header.Get("Idempotency-Key"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	status := http.StatusCreated
	if replayed {
		status = http.StatusOK
	} else {
		s.submits.Fail(ip, time.Now()) // counts submissions, not failures
	}
	writeJSON(w, status, map[string]any{"number": c.Number, "state": c.State, "created_at": c.CreatedAt, "accept_by": c.AcceptBy})
}

// CitizenStep is one line of the timeline a citizen sees: no internal
// notes, no staff names.
type CitizenStep struct {
	At   time.Time `json:"at"`
	Text string    `json:"text"`
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
	c, evs, err := s.svc.Lookup(r.Context(), in.Number, in.Phone)
	if err != nil {
		if errs.Is(err, errs.NotFound) {
			s.lookups.Fail(ip, time.Now())
		}
		s.fail(w, r, err)
		return
	}
	en := lang(r) == "en"
	var steps []CitizenStep
	for _, e := range evs {
		if t := s.citizenText(e, en); t != "" {
			steps = append(steps, CitizenStep{At: e.At.In(s.svc.Location()), Text: t})
		}
	}
	writeJSON(w, 200, map[string]any{
		"number": c.Number, "title": c.Title, "state": c.State, "created_at": c.CreatedAt.In(s.svc.Location()),
		"result": c.Result, "reply": c.ReplyText, "timeline": steps,
	})
}

func (s *Server) citizenText(e lifecycle.Event, en bool) string {
	unitName := func() string {
		if id, ok := e.Data["unit_id"].(float64); ok {
			if u, ok := s.svc.Unit(int64(id)); ok {
				return u.Name
			}
		}
		return ""
	}
	pick := func(zh, eng string) string {
		if en {
			return eng
		}
		return zh
	}
	switch e.Action {
	case lifecycle.ActCreate:
		return pick("您的诉求已提交", "Your request was submitted")
	case lifecycle.ActAccept:
		return pick("热线中心已受理", "The hotline centre accepted your request")
	case lifecycle.ActAnswer:
		return pick("热线中心已直接答复：", "The hotline centre answered: ") + e.Note
	case lifecycle.ActDispatch:
		return pick("已派至 ", "Sent to ") + unitName() + pick(" 办理", " for handling")
	case lifecycle.ActApproveReturn:
		if n := unitName(); n != "" {
			return pick("已改派至 ", "Re-sent to ") + n + pick(" 办理", " for handling")
		}
		return pick("热线中心正在重新派单", "The centre is re-dispatching your request")
	case lifecycle.ActSign:
		return pick("承办单位已签收", "The handling unit signed for it")
	case lifecycle.ActContact:
		if e.FromState == lifecycle.Signed {
			return pick("承办单位已与您联系", "The handling unit contacted you")
		}
	case lifecycle.ActApproveExtension:
		return pick("办理期限已延长", "The reply deadline was extended")
	case lifecycle.ActReply:
		return pick("承办单位已答复：", "The handling unit replied: ") + e.Note
	case lifecycle.ActCallback:
		if e.Data["reopen"] == true {
			return pick("根据您的回访意见，已重新交办", "Sent back for another round after your feedback")
		}
		return pick("回访完成，诉求已办结", "Callback done; the request is closed")
	case lifecycle.ActClose:
		return pick("诉求已办结", "The request is closed")
	case lifecycle.ActMerge:
		return pick("与相同诉求合并办理", "Merged with the same request from others; you will get its answer")
	}
	return ""
}
