package agenda

import (
	"strings"
	"time"
	"unicode/utf8"

	"whistle/internal/errs"
)

// Limits of a topic and a task.
const (
	MaxTitle    = 80   // characters of a title
	MaxSummary  = 2000 // characters of a summary or a task's detail
	MaxKeywords = 20   // keywords of a topic's criteria
	MaxKeyword  = 20   // characters of one keyword
	MaxPartners = 20   // partner units of a topic
	MaxTasks    = 50   // tasks created with a topic at once
	MaxMonths   = 12   // months a goal may take
)

// Comparisons a goal may be measured against.
const (
	CompareLastYear = "last_year" // the same weeks a year earlier
	CompareBefore   = "before"    // the weeks before the start
)

// Normalize trims the topic's texts and its criteria (empty keywords and
// duplicates dropped) and fills the goal's default comparison ("before").
func (t *Topic) Normalize() {
	t.Title = strings.TrimSpace(t.Title)
	t.Summary = strings.TrimSpace(t.Summary)
	t.Criteria = t.Criteria.Normalize()
	if t.Goal.Comparison == "" {
		t.Goal.Comparison = CompareBefore
	}
}

// Normalize returns the criteria trimmed and without duplicates.
func (c Criteria) Normalize() Criteria {
	var out Criteria
	seenS := map[string]bool{}
	for _, s := range c.Categories {
		if s = strings.TrimSpace(s); s != "" && !seenS["c"+s] {
			seenS["c"+s] = true
			out.Categories = append(out.Categories, s)
		}
	}
	for _, s := range c.Keywords {
		if s = strings.TrimSpace(s); s != "" && !seenS["k"+s] {
			seenS["k"+s] = true
			out.Keywords = append(out.Keywords, s)
		}
	}
	seenP := map[int64]bool{}
	for _, p := range c.PlaceIDs {
		if p != 0 && !seenP[p] {
			seenP[p] = true
			out.PlaceIDs = append(out.PlaceIDs, p)
		}
	}
	return out
}

// Validate checks a goal: a reduction in (0, 1], 1–12 months, and a known
// comparison.
func (g Goal) Validate() error {
	var p []*errs.Error
	if !(g.Reduction > 0 && g.Reduction <= 1) {
		p = append(p, errs.F(errs.Invalid, "goal.reduction"))
	}
	if g.Months < 1 || g.Months > MaxMonths {
		p = append(p, errs.F(errs.Invalid, "goal.months"))
	}
	if g.Comparison != "" && g.Comparison != CompareLastYear && g.Comparison != CompareBefore {
		p = append(p, errs.F(errs.Invalid, "goal.comparison"))
	}
	return errs.All(p...)
}

// Validate checks criteria: at least a category or a keyword (places alone
// would be everything that happens there), keywords short and few.
func (c Criteria) Validate() error {
	var p []*errs.Error
	if len(c.Categories) == 0 && len(c.Keywords) == 0 {
		p = append(p, errs.F(errs.FieldRequired, "criteria"))
	}
	if len(c.Keywords) > MaxKeywords {
		p = append(p, errs.F(errs.Invalid, "criteria.keywords"))
	}
	for _, k := range c.Keywords {
		if utf8.RuneCountInString(k) > MaxKeyword {
			p = append(p, errs.F(errs.FieldTooLong, "criteria.keywords"))
			break
		}
	}
	for _, id := range c.PlaceIDs {
		if id < 0 {
			p = append(p, errs.F(errs.UnknownPlace, "criteria.place_ids"))
			break
		}
	}
	return errs.All(p...)
}

// Validate checks a normalised topic: title, summary, lead unit, partners,
// criteria and goal. It does not look units, places or categories up: the
// service does that against the catalogue.
func (t *Topic) Validate() error {
	var p []*errs.Error
	p = append(p, checkText("title", t.Title, MaxTitle, true)...)
	p = append(p, checkText("summary", t.Summary, MaxSummary, false)...)
	if t.LeadUnitID <= 0 {
		p = append(p, errs.F(errs.FieldRequired, "lead_unit_id"))
	}
	if len(t.PartnerUnitIDs) > MaxPartners {
		p = append(p, errs.F(errs.Invalid, "partner_unit_ids"))
	}
	for _, u := range t.PartnerUnitIDs {
		if u == t.LeadUnitID || u <= 0 {
			p = append(p, errs.F(errs.Invalid, "partner_unit_ids"))
			break
		}
	}
	p = append(p, errs.FieldsOf(t.Criteria.Validate())...)
	p = append(p, errs.FieldsOf(t.Goal.Validate())...)
	return errs.All(p...)
}

// Validate checks a task against its topic's start (or, for a proactive
// task, its creation): a unit, a title, a detail within bounds, and a due
// date after start.
func (t *Task) Validate(start time.Time) error {
	t.Title, t.Detail = strings.TrimSpace(t.Title), strings.TrimSpace(t.Detail)
	var p []*errs.Error
	if t.UnitID <= 0 {
		p = append(p, errs.F(errs.FieldRequired, "unit_id"))
	}
	p = append(p, checkText("title", t.Title, MaxTitle, true)...)
	p = append(p, checkText("detail", t.Detail, MaxSummary, false)...)
	if t.DueAt.IsZero() {
		p = append(p, errs.F(errs.FieldRequired, "due_at"))
	} else if !t.DueAt.After(start) {
		p = append(p, errs.F(errs.DeadlineInPast, "due_at"))
	}
	return errs.All(p...)
}

func checkText(field, s string, max int, required bool) []*errs.Error {
	switch {
	case s == "" && required:
		return []*errs.Error{errs.F(errs.FieldRequired, field)}
	case utf8.RuneCountInString(s) > max:
		return []*errs.Error{errs.F(errs.FieldTooLong, field)}
	case strings.ContainsFunc(s, func(r rune) bool { return r < 0x20 && r != '\n' && r != '\t' && r != '\r' }):
		return []*errs.Error{errs.F(errs.Invalid, field)}
	}
	return nil
}

// GoalBy is when a goal of months from start falls due.
func GoalBy(start time.Time, months int) time.Time { return start.AddDate(0, months, 0) }
