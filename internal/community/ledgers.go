package community

import (
	"context"
	"fmt"
	"io"
	"strconv"
	"time"

	"github.com/xuri/excelize/v2"

	"whistle/internal/errs"
	"whistle/internal/ledger"
	"whistle/internal/org"
	"whistle/internal/store"
	"whistle/internal/volunteering"
)

// Scope is what a ledger covers: community units, their places and grids.
type Scope struct {
	Units   []org.Unit
	UnitIDs []int64
	Places  []int64 // the communities' places
	Grids   []int64 // the grids in them
}

// Source fills a ledger's rows for a scope and [from, to). Other services
// plug theirs in with RegisterSource, e.g. deliberations:
//
//	svc.Community.RegisterSource(ledger.Deliberations, func(ctx context.Context, sc community.Scope, from, to time.Time) ([]ledger.Row, error) {
//		ds, err := st.DeliberationsForLedger(ctx, sc.UnitIDs, from, to)
//		… one ledger.Row per meeting: "date", "topic", "decision", "tasks", "month"
//	})
type Source func(ctx context.Context, sc Scope, from, to time.Time) ([]ledger.Row, error)

// RegisterSource plugs a source of ledger rows in (at start-up, before
// the service is used).
func (s *Service) RegisterSource(src ledger.Source, fn Source) { s.sources[src] = fn }

// SourcesAvailable lists the sources plugged in, in ledger.Sources order.
func (s *Service) SourcesAvailable() []ledger.Source {
	var out []ledger.Source
	for _, src := range ledger.Sources {
		if s.sources[src] != nil {
			out = append(out, src)
		}
	}
	return out
}

// LedgerCount is how many distinct ledgers one set of records produces:
// the templates whose source is plugged in (for each community and period).
func (s *Service) LedgerCount() int { return len(ledger.Available(s.SourcesAvailable())) }

// ledgerScope: a community's staff get their community; a street office's
// handlers and leaders every community it supervises. Anyone else: 404.
func (s *Service) ledgerScope(a org.Actor) (Scope, error) {
	var sc Scope
	switch {
	case org.CommunityStaff(a):
		sc.Units = []org.Unit{a.Unit}
	case a.Unit.Kind == org.KindStreet && a.User.Has(org.RoleHandler, org.RoleLeader):
		for _, u := range s.Communities() {
			if u.SupervisorID == a.Unit.ID {
				sc.Units = append(sc.Units, u)
			}
		}
	default:
		return sc, errs.E(errs.NotFound)
	}
	for _, u := range sc.Units {
		sc.UnitIDs = append(sc.UnitIDs, u.ID)
		sc.Places = append(sc.Places, u.PlaceID)
		for _, g := range s.Children(u.PlaceID) {
			if g.Level == org.LevelGrid {
				sc.Grids = append(sc.Grids, g.ID)
			}
		}
	}
	return sc, nil
}

// LedgerTemplates lists the ledgers the actor may produce.
func (s *Service) LedgerTemplates(ctx context.Context, a org.Actor) ([]ledger.Template, error) {
	if _, err := s.ledgerScope(a); err != nil {
		return nil, err
	}
	return ledger.Available(s.SourcesAvailable()), nil
}

// Ledger builds one ledger for the actor's scope and a period ("2026-11",
// "2026-Q4", "2026").
func (s *Service) Ledger(ctx context.Context, a org.Actor, templateID, period string) (ledger.Sheet, error) {
	sc, err := s.ledgerScope(a)
	if err != nil {
		return ledger.Sheet{}, err
	}
	t, ok := ledger.Lookup(templateID)
	if !ok || s.sources[t.Source] == nil {
		return ledger.Sheet{}, errs.E(errs.NotFound)
	}
	p, err := ledger.ParsePeriod(period)
	if err != nil {
		return ledger.Sheet{}, err
	}
	from, to := p.Range(s.Cfg.Loc)
	rows, err := s.sources[t.Source](ctx, sc, from, to)
	if err != nil {
		return ledger.Sheet{}, err
	}
	name := a.Unit.Name
	sh := ledger.Build(t, p, name, rows)
	err = s.St.Write(ctx, func(tx *store.Tx) error {
		return s.Audit(ctx, tx, a, "ledger_view", "ledger:"+t.ID, map[string]any{"period": p.String(), "rows": len(sh.Rows)})
	})
	return sh, err
}

// WriteLedgerXLSX writes a built ledger as an XLSX workbook: a title line,
// the header, the rows and a totals line.
func WriteLedgerXLSX(sh ledger.Sheet, lang string, w io.Writer) error {
	x := excelize.NewFile()
	defer x.Close()
	const sheet = "Sheet1"
	dept, _ := ledger.DeptByKey(sh.Template.Dept)
	deptName := dept.ZH
	if lang == "en" {
		deptName = dept.EN
	}
	title := fmt.Sprintf("%s · %s · %s · %s", sh.Template.Title(lang), deptName, sh.Unit, sh.Period)
	if err := x.SetCellValue(sheet, "A1", title); err != nil {
		return err
	}
	header := make([]any, len(sh.Keys))
	for i, k := range sh.Keys {
		header[i] = ledger.Label(k, lang)
	}
	if err := x.SetSheetRow(sheet, "A2", &header); err != nil {
		return err
	}
	for r, row := range sh.Rows {
		cells := make([]any, len(row))
		for i, v := range row {
			cells[i] = ledger.Display(sh.Keys[i], v, lang)
		}
		cell, _ := excelize.CoordinatesToCellName(1, r+3)
		if err := x.SetSheetRow(sheet, cell, &cells); err != nil {
			return err
		}
	}
	tot := sh.Totals()
	tot[0] = map[bool]string{true: "Total", false: "合计"}[lang == "en"]
	cell, _ := excelize.CoordinatesToCellName(1, len(sh.Rows)+3)
	if err := x.SetSheetRow(sheet, cell, &tot); err != nil {
		return err
	}
	_, err := x.WriteTo(w)
	return err
}

// LedgerXLSX builds a ledger and writes it as XLSX.
func (s *Service) LedgerXLSX(ctx context.Context, a org.Actor, templateID, period, lang string, w io.Writer) error {
	sh, err := s.Ledger(ctx, a, templateID, period)
	if err != nil {
		return err
	}
	return WriteLedgerXLSX(sh, lang, w)
}

// ---- the sources built here ----

func (s *Service) volunteerRows(ctx context.Context, sc Scope, from, to time.Time) ([]ledger.Row, error) {
	vs, err := s.St.VolunteerServicesForLedger(ctx, sc.UnitIDs, from, to)
	if err != nil {
		return nil, err
	}
	out := make([]ledger.Row, 0, len(vs))
	for _, v := range vs {
		out = append(out, ledger.Row{
			"date": v.CheckIn.In(s.Cfg.Loc).Format("2006-01-02"), "month": v.CheckIn.In(s.Cfg.Loc).Format("2006-01"),
			"task": v.TaskTitle, "kind": v.TaskKind, "volunteer": org.MaskName(v.Name), "volunteer_id": v.VolunteerID,
			"hours": volunteering.Hours(v.Minutes), "points": v.Points,
		})
	}
	return out, nil
}

// careRows: the visits with no name, phone, address or note — the ledger
// templates of care visits only count them.
func (s *Service) careRows(ctx context.Context, sc Scope, from, to time.Time) ([]ledger.Row, error) {
	cs, err := s.St.CareVisitsForLedger(ctx, sc.UnitIDs, from, to)
	if err != nil {
		return nil, err
	}
	out := make([]ledger.Row, 0, len(cs))
	for _, c := range cs {
		out = append(out, ledger.Row{"month": c.At.In(s.Cfg.Loc).Format("2006-01"), "care_type": c.CareType,
			"subject_id": strconv.FormatInt(c.SubjectID, 10), "by_volunteer": map[bool]int{true: 1}[c.ByVolunteer]})
	}
	return out, nil
}

func (s *Service) patrolRows(ctx context.Context, sc Scope, from, to time.Time) ([]ledger.Row, error) {
	ps, err := s.St.PatrolsForLedger(ctx, sc.Grids, from, to)
	if err != nil {
		return nil, err
	}
	walkers := map[int64]string{}
	out := make([]ledger.Row, 0, len(ps))
	for _, p := range ps {
		name, ok := walkers[p.UserID]
		if !ok {
			if u, err := s.St.User(ctx, p.UserID); err == nil {
				name = org.MaskName(u.DisplayName)
			}
			walkers[p.UserID] = name
		}
		g, _ := s.Place(p.GridID)
		out = append(out, ledger.Row{"date": p.StartedAt.In(s.Cfg.Loc).Format("2006-01-02"), "month": p.StartedAt.In(s.Cfg.Loc).Format("2006-01"),
			"grid": g.Name, "walker": name, "km": float64(int64(p.Meters/10+0.5)) / 100, "findings": p.Findings})
	}
	return out, nil
}
