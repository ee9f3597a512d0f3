package governance

import (
	"context"
	"time"

	"whistle/internal/agenda"
	"whistle/internal/errs"
	"whistle/internal/insight"
	"whistle/internal/org"
)

// ReportTopic is one topic of the monthly report with its tracking up to
// the month's end (or yesterday) and its tasks' progress.
type ReportTopic struct {
	Topic     *agenda.Topic  `json:"topic"`
	LeadName  string         `json:"lead_name"`
	Tracking  *TopicTracking `json:"tracking"`
	TasksOpen int            `json:"tasks_open"`
	TasksDone int            `json:"tasks_done"`
	TasksLate int            `json:"tasks_late"` // open past their due date
	JudgedNow bool           `json:"judged_now"` // judged during the month
}

// Report is the monthly report on the topics: those in progress during
// the month and those judged in it.
type Report struct {
	Month      string        `json:"month"` // YYYY-MM
	From, To   time.Time     `json:"-"`
	InProgress []ReportTopic `json:"in_progress"`
	Judged     []ReportTopic `json:"judged"`
	Met        int           `json:"met"`
	Missed     int           `json:"missed"`
	CreatedAt  time.Time     `json:"created_at"`
}

// ReportData gathers the monthly report for month (YYYY-MM) over the
// topics the actor may see.
func (s *Service) ReportData(ctx context.Context, a org.Actor, month string) (*Report, error) {
	if !agenda.MayListTopics(a) {
		return nil, errs.E(errs.Forbidden)
	}
	from, err := time.ParseInLocation("2006-01", month, s.Cfg.Loc)
	if err != nil {
		return nil, errs.F(errs.Invalid, "month")
	}
	to := from.AddDate(0, 1, 0)
	now := s.Now()
	if from.After(now) {
		return nil, errs.D(errs.Invalid, "month %s has not begun", month)
	}
	topics, err := s.Topics(ctx, a)
	if err != nil {
		return nil, err
	}
	rep := &Report{Month: month, From: from, To: to, CreatedAt: now}
	until := min(insight.DayOf(to)-1, insight.DayOf(now)-1)
	for _, t := range topics {
		if !t.StartedAt.Before(to) {
			continue // started after the month
		}
		judged := t.Outcome != nil
		if judged && t.Outcome.JudgedAt.Before(from) || t.State == agenda.Closed && t.UpdatedAt.Before(from) {
			continue // over before the month
		}
		tr, err := s.track(ctx, t, until)
		if err != nil {
			return nil, err
		}
		rt := ReportTopic{Topic: t, Tracking: tr}
		if u, ok := s.Unit(t.LeadUnitID); ok {
			rt.LeadName = u.Name
		}
		tasks, err := s.St.Tasks(ctx, agenda.TaskFilter{TopicID: t.ID})
		if err != nil {
			return nil, err
		}
		for _, k := range tasks {
			switch k.State {
			case agenda.TaskOpen:
				rt.TasksOpen++
				if k.DueAt.Before(now) {
					rt.TasksLate++
				}
			case agenda.TaskDone:
				rt.TasksDone++
			}
		}
		if judged && t.Outcome.JudgedAt.Before(to) {
			rt.JudgedNow = true
			rep.Judged = append(rep.Judged, rt)
			if t.Outcome.Met {
				rep.Met++
			} else {
				rep.Missed++
			}
			continue
		}
		if t.State == agenda.Active || judged {
			rep.InProgress = append(rep.InProgress, rt)
		}
	}
	return rep, nil
}
