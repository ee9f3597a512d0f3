package web

import (
	"net/http"
	"strconv"
	"unicode/utf8"

	"whistle/internal/errs"
	"whistle/internal/org"
	"whistle/internal/replyquality"
)

// Reply quality (答复质量, issue #16) on the pages: the reply form's check
// (POST /cases/{id}/reply-check, an htmx fragment as the unit types or
// presses 检查), the verdict stored with a reply on the case page and the
// callback queue, and the month's figures by unit on /assess.

// replyCheckView is a verdict ready to render: the reasons in the page's
// language, the scores with two decimals.
type replyCheckView struct {
	Lang     string
	Overall  string
	Weak     bool
	NearCopy bool
	Rows     []replyRow
	Err      string // the check could not run (a blank reply)
	Chars    int    // the draft's length in characters (the form's check: which text was checked)
}

type replyRow struct {
	Dim, Level, Value, Reason string
}

func replyViewOf(lang string, ch *replyquality.Check) *replyCheckView {
	if ch == nil {
		return nil
	}
	v := &replyCheckView{Lang: lang, Overall: strconv.FormatFloat(ch.Overall, 'f', 2, 64), Weak: ch.Weak(), NearCopy: ch.NearCopy}
	for _, s := range ch.Scores {
		r := replyRow{Dim: s.Dim, Level: s.Level, Value: strconv.FormatFloat(s.Value, 'f', 2, 64), Reason: s.ReasonZH}
		if lang == "en" {
			r.Reason = s.ReasonEN
		}
		v.Rows = append(v.Rows, r)
	}
	return v
}

// replyCheck scores the draft reply of the reply form (nothing stored):
// the fragment replaces the form's #reply-check. A blank reply answers a
// hint in the fragment; a case out of scope, or one the user may not reply
// to now, its error.
func (s *Server) replyCheck(w http.ResponseWriter, r *http.Request, a org.Actor) {
	p := s.newPage(r, &a, "case.title")
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		http.Error(w, errs.Message(errs.NotFound, p.Lang), 404)
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, 1<<20)
	if err := r.ParseForm(); err != nil {
		http.Error(w, s.cat.T(p.Lang, "error.bad_form"), 400)
		return
	}
	ctx, cancel := ctxTimeout(r)
	defer cancel()
	note := r.PostFormValue("note")
	ch, err := s.svc.Cases.CheckReply(ctx, a, id, note)
	switch code := errs.CodeOf(err); {
	case err == nil:
		v := replyViewOf(p.Lang, &ch)
		v.Chars = utf8.RuneCountInString(note)
		p.Data = v
	case code == errs.FieldRequired || code == errs.FieldTooLong:
		p.Data = &replyCheckView{Lang: p.Lang, Err: errs.Message(code, p.Lang)}
	default:
		http.Error(w, errs.Message(code, p.Lang), errs.Status(code))
		return
	}
	s.partial(w, "case", "replycheck", p)
}

// callbackData is the callback queue: its rows and each reply's verdict.
type callbackData struct {
	listData
	Checks map[int64]*replyCheckView // by case id
}
