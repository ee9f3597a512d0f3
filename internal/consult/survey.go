// Package consult is 问需于民 and 项目制 as rules (issue #15): surveys
// (民意征集) with their questions, answers and tallies; the annual list of
// practical matters (民生实事) with proposals, a shortlist, votes and the
// items adopted; community projects (项目制) from proposal through
// approval, progress, spending and the residents' evaluation. No SQL, no
// HTTP: the participation service stores and scopes them.
package consult

import (
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"whistle/internal/errs"
)

// Survey states.
const (
	Draft     = "draft"
	Published = "published"
	Closed    = "closed"
)

// Question kinds.
const (
	Single = "single" // one option
	Multi  = "multi"  // any options
	Scale  = "scale"  // 1–5
	Text   = "text"   // free text
)

// Kinds lists the question kinds in the order the forms offer them.
var Kinds = []string{Single, Multi, Scale, Text}

// Limits of a survey.
const (
	MaxQuestions = 30
	MaxOptions   = 12
	MaxTitle     = 100
	MaxIntro     = 2000
	MaxQuestion  = 300
	MaxOption    = 100
	MaxText      = 1000 // a free-text answer
)

// Question is one question; its place in Survey.Questions is its order.
type Question struct {
	Kind     string   `json:"kind"`
	Text     string   `json:"text"`
	Options  []string `json:"options,omitempty"` // single and multi
	Required bool     `json:"required"`
}

// Survey is a 民意征集 of a street or community unit.
type Survey struct {
	ID             int64      `json:"id"`
	UnitID         int64      `json:"unit_id"`
	CreatedBy      int64      `json:"created_by"`
	Title          string     `json:"title"`
	Intro          string     `json:"intro"`
	Questions      []Question `json:"questions"`
	PlaceIDs       []int64    `json:"place_ids"` // the audience: these places and everything below them
	OpensAt        time.Time  `json:"opens_at"`
	ClosesAt       time.Time  `json:"closes_at"`
	AllowAnonymous bool       `json:"allow_anonymous"`
	State          string     `json:"state"`
	CreatedAt      time.Time  `json:"created_at"`
	PublishedAt    time.Time  `json:"published_at,omitzero"`
	ClosedAt       time.Time  `json:"closed_at,omitzero"`
	Answers        int        `json:"answers"` // how many were given (filled by the store)
	Version        int64      `json:"version"`
}

func tooLong(s string, n int) bool { return utf8.RuneCountInString(s) > n }

func field(code errs.Code, name string) error { return &errs.Error{Code: code, Field: name} }

// Validate checks a survey's text, questions and period.
func (s *Survey) Validate() error {
	s.Title, s.Intro = strings.TrimSpace(s.Title), strings.TrimSpace(s.Intro)
	switch {
	case s.Title == "":
		return field(errs.FieldRequired, "title")
	case tooLong(s.Title, MaxTitle):
		return field(errs.FieldTooLong, "title")
	case tooLong(s.Intro, MaxIntro):
		return field(errs.FieldTooLong, "intro")
	case len(s.Questions) == 0:
		return field(errs.FieldRequired, "questions")
	case len(s.Questions) > MaxQuestions:
		return &errs.Error{Code: errs.Invalid, Field: "questions", Detail: fmt.Sprintf("at most %d questions", MaxQuestions)}
	case len(s.PlaceIDs) == 0:
		return field(errs.FieldRequired, "place_ids")
	case s.OpensAt.IsZero() || s.ClosesAt.IsZero():
		return field(errs.FieldRequired, "closes_at")
	case !s.ClosesAt.After(s.OpensAt):
		return &errs.Error{Code: errs.InvalidPeriod, Field: "closes_at"}
	}
	for i := range s.Questions {
		q := &s.Questions[i]
		name := fmt.Sprintf("questions[%d]", i)
		q.Text = strings.TrimSpace(q.Text)
		if q.Text == "" {
			return field(errs.FieldRequired, name+".text")
		}
		if tooLong(q.Text, MaxQuestion) {
			return field(errs.FieldTooLong, name+".text")
		}
		switch q.Kind {
		case Single, Multi:
			var opts []string
			for _, o := range q.Options {
				if o = strings.TrimSpace(o); o != "" {
					opts = append(opts, o)
				}
			}
			q.Options = opts
			if len(opts) < 2 || len(opts) > MaxOptions {
				return &errs.Error{Code: errs.Invalid, Field: name + ".options", Detail: fmt.Sprintf("2 to %d options", MaxOptions)}
			}
			for _, o := range opts {
				if tooLong(o, MaxOption) {
					return field(errs.FieldTooLong, name+".options")
				}
			}
		case Scale, Text:
			q.Options = nil
		default:
			return &errs.Error{Code: errs.Invalid, Field: name + ".kind", Detail: q.Kind}
		}
	}
	return nil
}

// Publish puts a draft survey before the residents.
func Publish(s *Survey, now time.Time) error {
	if s.State != Draft {
		return &errs.Error{Code: errs.InvalidTransition, Detail: s.State + " → " + Published}
	}
	if err := s.Validate(); err != nil {
		return err
	}
	if !s.ClosesAt.After(now) {
		return &errs.Error{Code: errs.DeadlineInPast, Field: "closes_at"}
	}
	s.State, s.PublishedAt = Published, now
	s.Version++
	return nil
}

// Close ends a published survey early (or on time).
func Close(s *Survey, now time.Time) error {
	if s.State != Published {
		return &errs.Error{Code: errs.InvalidTransition, Detail: s.State + " → " + Closed}
	}
	s.State, s.ClosedAt = Closed, now
	s.Version++
	return nil
}

// Edit replaces a draft's content; a published survey is not changed under
// the residents answering it.
func Edit(s *Survey, next Survey) error {
	if s.State != Draft {
		return &errs.Error{Code: errs.InvalidTransition, Detail: s.State}
	}
	s.Title, s.Intro, s.Questions, s.PlaceIDs = next.Title, next.Intro, next.Questions, next.PlaceIDs
	s.OpensAt, s.ClosesAt, s.AllowAnonymous = next.OpensAt, next.ClosesAt, next.AllowAnonymous
	if err := s.Validate(); err != nil {
		return err
	}
	s.Version++
	return nil
}

// Listed reports whether residents see the survey on the portal: published
// (open or ended) or closed.
func (s *Survey) Listed() bool { return s.State == Published || s.State == Closed }

// OpenAt reports whether the survey takes answers at now.
func (s *Survey) OpenAt(now time.Time) bool {
	return s.State == Published && !now.Before(s.OpensAt) && now.Before(s.ClosesAt)
}

// Reply is the answer to one question: the options picked (indexes), the
// scale (1–5) or the text. A question left out has a zero Reply.
type Reply struct {
	Choices []int  `json:"choices,omitempty"`
	Scale   int    `json:"scale,omitempty"`
	Text    string `json:"text,omitempty"`
}

func (r Reply) empty() bool {
	return len(r.Choices) == 0 && r.Scale == 0 && strings.TrimSpace(r.Text) == ""
}

// CheckAnswer checks one person's replies against the survey: one reply
// per question, in range, the required ones given. It trims texts.
func CheckAnswer(s *Survey, rs []Reply, now time.Time) error {
	if !s.OpenAt(now) {
		return &errs.Error{Code: errs.InvalidTransition, Detail: "survey not open"}
	}
	if len(rs) != len(s.Questions) {
		return &errs.Error{Code: errs.Invalid, Field: "replies", Detail: fmt.Sprintf("%d replies for %d questions", len(rs), len(s.Questions))}
	}
	for i, q := range s.Questions {
		r := &rs[i]
		name := fmt.Sprintf("q%d", i)
		r.Text = strings.TrimSpace(r.Text)
		if r.empty() {
			if q.Required {
				return field(errs.FieldRequired, name)
			}
			*r = Reply{}
			continue
		}
		switch q.Kind {
		case Single, Multi:
			if r.Scale != 0 || r.Text != "" || (q.Kind == Single && len(r.Choices) != 1) {
				return field(errs.Invalid, name)
			}
			seen := map[int]bool{}
			for _, c := range r.Choices {
				if c < 0 || c >= len(q.Options) || seen[c] {
					return field(errs.Invalid, name)
				}
				seen[c] = true
			}
		case Scale:
			if r.Scale < 1 || r.Scale > 5 || len(r.Choices) != 0 || r.Text != "" {
				return field(errs.Invalid, name)
			}
		case Text:
			if len(r.Choices) != 0 || r.Scale != 0 {
				return field(errs.Invalid, name)
			}
			if tooLong(r.Text, MaxText) {
				return field(errs.FieldTooLong, name)
			}
		}
	}
	return nil
}

// QuestionResult is the tally of one question.
type QuestionResult struct {
	Question
	Answered int      `json:"answered"`         // replies given
	Counts   []int    `json:"counts,omitempty"` // per option (choices) or per step 1–5 (scale)
	Mean     float64  `json:"mean,omitempty"`   // scale
	Texts    []string `json:"texts,omitempty"`  // free text, in the order given
}

// Result is a survey's tally.
type Result struct {
	Answers   int              `json:"answers"`
	Questions []QuestionResult `json:"questions"`
}

// Tally counts the answers: per option, per scale step with the mean, and
// the texts. Answers that do not fit the questions (never stored) are
// skipped reply by reply.
func Tally(s *Survey, answers [][]Reply) Result {
	res := Result{Answers: len(answers), Questions: make([]QuestionResult, len(s.Questions))}
	for i, q := range s.Questions {
		qr := QuestionResult{Question: q}
		switch q.Kind {
		case Single, Multi:
			qr.Counts = make([]int, len(q.Options))
		case Scale:
			qr.Counts = make([]int, 5)
		}
		sum := 0
		for _, a := range answers {
			if i >= len(a) || a[i].empty() {
				continue
			}
			r := a[i]
			switch q.Kind {
			case Single, Multi:
				ok := false
				for _, c := range r.Choices {
					if c >= 0 && c < len(qr.Counts) {
						qr.Counts[c]++
						ok = true
					}
				}
				if ok {
					qr.Answered++
				}
			case Scale:
				if r.Scale >= 1 && r.Scale <= 5 {
					qr.Counts[r.Scale-1]++
					sum += r.Scale
					qr.Answered++
				}
			case Text:
				if r.Text != "" {
					qr.Texts = append(qr.Texts, r.Text)
					qr.Answered++
				}
			}
		}
		if q.Kind == Scale && qr.Answered > 0 {
			qr.Mean = float64(sum) / float64(qr.Answered)
		}
		res.Questions[i] = qr
	}
	return res
}
