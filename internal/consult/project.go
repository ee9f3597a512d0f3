package consult

import (
	"strings"
	"time"

	"whistle/internal/errs"
)

// Project states (项目制).
const (
	ProjectProposed = "proposed" // awaiting the street office
	ProjectApproved = "approved" // approved and funded: progress and spending are reported
	ProjectRejected = "rejected"
	ProjectFinished = "finished" // residents evaluate it
)

// Project is a community project: proposed by a community or street unit
// (or a social organisation, named in ProposerOrg), approved and funded by
// the street office of its place.
type Project struct {
	ID          int64     `json:"id"`
	UnitID      int64     `json:"unit_id"`   // the proposing unit
	StreetID    int64     `json:"street_id"` // the street office that decides (unit id)
	PlaceID     int64     `json:"place_id"`
	ProposerOrg string    `json:"proposer_org"` // a social organisation, when it proposed
	Title       string    `json:"title"`
	Need        string    `json:"need"`
	Plan        string    `json:"plan"`
	BudgetFen   int64     `json:"budget_fen"`   // asked for, in fen
	ApprovedFen int64     `json:"approved_fen"` // funded, in fen
	SpentFen    int64     `json:"spent_fen"`    // sum of the spending lines
	State       string    `json:"state"`
	Reason      string    `json:"reason"`            // of a rejection
	ItemID      int64     `json:"item_id,omitempty"` // the practical matter it came from
	ProposedBy  int64     `json:"proposed_by"`
	DecidedBy   int64     `json:"decided_by"`
	ProposedAt  time.Time `json:"proposed_at"`
	DecidedAt   time.Time `json:"decided_at,omitzero"`
	FinishedAt  time.Time `json:"finished_at,omitzero"`
	Version     int64     `json:"version"`
}

// Report is a progress report, with photos (attachment ids).
type Report struct {
	ID        int64     `json:"id"`
	ProjectID int64     `json:"project_id"`
	Note      string    `json:"note"`
	Percent   int       `json:"percent"` // progress, 0–100
	PhotoIDs  []int64   `json:"photo_ids,omitempty"`
	By        int64     `json:"by"`
	At        time.Time `json:"at"`
}

// Spending is one line of a project's spending.
type Spending struct {
	ID        int64     `json:"id"`
	ProjectID int64     `json:"project_id"`
	AmountFen int64     `json:"amount_fen"`
	Purpose   string    `json:"purpose"`
	By        int64     `json:"by"`
	At        time.Time `json:"at"`
}

// Evaluation is one resident's verdict on a finished project.
type Evaluation struct {
	ProjectID int64     `json:"project_id"`
	Stars     int       `json:"stars"`
	Comment   string    `json:"comment"`
	At        time.Time `json:"at"`
}

// MaxBudgetFen bounds a project's budget (¥100 million).
const MaxBudgetFen = 100_000_000_00

func (p *Project) transition(want, to string) error {
	if p.State != want {
		return &errs.Error{Code: errs.InvalidTransition, Detail: p.State + " → " + to}
	}
	p.State = to
	p.Version++
	return nil
}

// Validate checks a new project.
func (p *Project) Validate() error {
	p.Title, p.Need, p.Plan, p.ProposerOrg = strings.TrimSpace(p.Title), strings.TrimSpace(p.Need), strings.TrimSpace(p.Plan), strings.TrimSpace(p.ProposerOrg)
	switch {
	case p.Title == "":
		return field(errs.FieldRequired, "title")
	case tooLong(p.Title, MaxTitle):
		return field(errs.FieldTooLong, "title")
	case p.Need == "":
		return field(errs.FieldRequired, "need")
	case tooLong(p.Need, MaxIntro) || tooLong(p.Plan, MaxIntro):
		return field(errs.FieldTooLong, "plan")
	case tooLong(p.ProposerOrg, MaxTitle):
		return field(errs.FieldTooLong, "proposer_org")
	case p.BudgetFen < 0 || p.BudgetFen > MaxBudgetFen:
		return field(errs.Invalid, "budget_fen")
	case p.PlaceID == 0:
		return field(errs.FieldRequired, "place_id")
	}
	return nil
}

// Approve approves and funds a proposed project.
func Approve(p *Project, fen int64, by int64, now time.Time) error {
	if fen <= 0 || fen > MaxBudgetFen {
		return field(errs.Invalid, "approved_fen")
	}
	if err := p.transition(ProjectProposed, ProjectApproved); err != nil {
		return err
	}
	p.ApprovedFen, p.DecidedBy, p.DecidedAt = fen, by, now
	return nil
}

// Reject turns a proposed project down; the reason is required.
func Reject(p *Project, reason string, by int64, now time.Time) error {
	reason = strings.TrimSpace(reason)
	if reason == "" {
		return field(errs.FieldRequired, "reason")
	}
	if tooLong(reason, MaxIntro) {
		return field(errs.FieldTooLong, "reason")
	}
	if err := p.transition(ProjectProposed, ProjectRejected); err != nil {
		return err
	}
	p.Reason, p.DecidedBy, p.DecidedAt = reason, by, now
	return nil
}

// CheckReport checks a progress report on an approved project.
func CheckReport(p *Project, r *Report) error {
	if p.State != ProjectApproved {
		return &errs.Error{Code: errs.InvalidTransition, Detail: p.State}
	}
	r.Note = strings.TrimSpace(r.Note)
	switch {
	case r.Note == "":
		return field(errs.FieldRequired, "note")
	case tooLong(r.Note, MaxIntro):
		return field(errs.FieldTooLong, "note")
	case r.Percent < 0 || r.Percent > 100:
		return field(errs.Invalid, "percent")
	case len(r.PhotoIDs) > 9:
		return field(errs.Invalid, "photos")
	}
	return nil
}

// Spend records a spending line: on an approved project, a positive amount
// with its purpose, never past the approved budget.
func Spend(p *Project, s *Spending) error {
	if p.State != ProjectApproved {
		return &errs.Error{Code: errs.InvalidTransition, Detail: p.State}
	}
	s.Purpose = strings.TrimSpace(s.Purpose)
	switch {
	case s.AmountFen <= 0:
		return field(errs.Invalid, "amount_fen")
	case s.Purpose == "":
		return field(errs.FieldRequired, "purpose")
	case tooLong(s.Purpose, MaxQuestion):
		return field(errs.FieldTooLong, "purpose")
	case p.SpentFen+s.AmountFen > p.ApprovedFen:
		return &errs.Error{Code: errs.Invalid, Field: "amount_fen", Detail: "over the approved budget"}
	}
	p.SpentFen += s.AmountFen
	return nil
}

// Finish ends an approved project; residents may then evaluate it.
func Finish(p *Project, now time.Time) error {
	if err := p.transition(ProjectApproved, ProjectFinished); err != nil {
		return err
	}
	p.FinishedAt = now
	return nil
}

// CheckEvaluation checks a resident's evaluation of a finished project.
func CheckEvaluation(p *Project, e *Evaluation) error {
	if p.State != ProjectFinished {
		return &errs.Error{Code: errs.InvalidTransition, Detail: p.State}
	}
	e.Comment = strings.TrimSpace(e.Comment)
	if e.Stars < 1 || e.Stars > 5 {
		return field(errs.Invalid, "stars")
	}
	if tooLong(e.Comment, MaxText) {
		return field(errs.FieldTooLong, "comment")
	}
	return nil
}

// Yuan formats fen as yuan with two decimals.
func Yuan(fen int64) string {
	neg := fen < 0
	if neg {
		fen = -fen
	}
	s := itoa(fen/100) + "." + string('0'+byte(fen%100/10)) + string('0'+byte(fen%10))
	if neg {
		s = "-" + s
	}
	return s
}

func itoa(n int64) string {
	if n == 0 {
		return "0"
	}
	var b []byte
	for ; n > 0; n /= 10 {
		b = append([]byte{byte('0' + n%10)}, b...)
	}
	return string(b)
}

// ParseYuan reads an amount in yuan ("1200", "1200.5", "1,200.50") as fen.
func ParseYuan(s string) (int64, error) {
	s = strings.ReplaceAll(strings.TrimSpace(s), ",", "")
	bad := &errs.Error{Code: errs.Invalid, Detail: "amount in yuan"}
	whole, frac, _ := strings.Cut(s, ".")
	if whole == "" || len(frac) > 2 || len(whole) > 12 {
		return 0, bad
	}
	var n int64
	for _, c := range whole + (frac + "00")[:2] {
		if c < '0' || c > '9' {
			return 0, bad
		}
		n = n*10 + int64(c-'0')
	}
	return n, nil
}
