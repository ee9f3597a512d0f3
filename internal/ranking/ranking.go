// Package ranking is the monthly exam paper (一份卷子) as the centre runs
// it: each unit's three rates (response, resolution, satisfaction) and
// composite under the versioned rule set, exemptions requested and
// decided, extra items, publishing a month, exports and the public ranking.
// The arithmetic lives in package assessment.
package ranking

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/xuri/excelize/v2"

	"whistle/internal/assessment"
	"whistle/internal/core"
	"whistle/internal/csvsafe"
	"whistle/internal/errs"
	"whistle/internal/org"
	"whistle/internal/store"
)

// Service is the ranking service over the shared core.
type Service struct {
	*core.Core
}

// New builds the ranking service.
func New(c *core.Core) *Service { return &Service{Core: c} }

// Ranking is the assessment of every ranked unit for a period.
type Ranking struct {
	Period assessment.Period `json:"period"`
	Rules  assessment.Rules  `json:"rules"`
	// Published is set for a published month; Frozen means the results are
	// the stored ones (not recomputed).
	Published *assessment.PublishedMonth `json:"published,omitempty"`
	Frozen    bool                       `json:"frozen"`
	Units     []assessment.Score         `json:"units"`
	// Replies are the period's reply checks by unit (答复质量,
	// replyquality.go): beside the ranking, not in it.
	Replies []ReplyQuality `json:"reply_quality"`
}

// AssessOptions select what Assess returns.
type AssessOptions struct {
	Kind      string // one of assessment.RankedKinds; "" = all
	Recompute bool   // a published month: recompute under its stored rule set instead of returning the frozen results
}

// AssessMonthPeriod parses a YYYY-MM month in the service's time zone.
func (s *Service) AssessMonthPeriod(month string) (assessment.Period, error) {
	p, err := assessment.Month(month, s.Cfg.Loc)
	if err != nil {
		return p, &errs.Error{Code: errs.Invalid, Field: "month", Detail: err.Error()}
	}
	return p, nil
}

// AssessRangePeriod parses an inclusive YYYY-MM-DD range.
func (s *Service) AssessRangePeriod(from, to string) (assessment.Period, error) {
	p, err := assessment.Range(from, to, s.Cfg.Loc)
	if err != nil {
		return p, &errs.Error{Code: errs.Invalid, Field: "from", Detail: err.Error()}
	}
	return p, nil
}

// Assess returns the ranking of a period. A published month returns its
// frozen results unless opts.Recompute, which recomputes it under the
// rule-set version stored with it; any other period is computed under the
// rules in force now.
func (s *Service) Assess(ctx context.Context, a org.Actor, p assessment.Period, opts AssessOptions) (Ranking, error) {
	if !a.IsSystem() && !org.CentreStaff(a) && !a.User.Has(org.RoleHandler, org.RoleLeader, org.RoleSupervisor) {
		return Ranking{}, errs.E(errs.Forbidden)
	}
	if opts.Kind != "" && !slices.Contains(assessment.RankedKinds, opts.Kind) {
		return Ranking{}, errs.F(errs.Invalid, "kind")
	}
	r, err := s.assess(ctx, p, opts.Recompute)
	if err != nil {
		return r, err
	}
	if p.IsMonth() {
		prev, err := s.assess(ctx, p.Previous(), false)
		if err != nil {
			return r, err
		}
		assessment.Compare(r.Units, prev.Units)
	}
	if opts.Kind != "" {
		r.Units = slices.DeleteFunc(r.Units, func(x assessment.Score) bool { return x.Kind != opts.Kind })
	}
	if r.Replies, err = s.replyQuality(ctx, p, opts.Kind); err != nil {
		return r, err
	}
	return r, nil
}

func (s *Service) assess(ctx context.Context, p assessment.Period, recompute bool) (Ranking, error) {
	out := Ranking{Period: p}
	version := 0
	if p.IsMonth() {
		pm, found, err := s.St.AssessMonth(ctx, p.Label)
		if err != nil {
			return out, err
		}
		if found {
			out.Published, version = &pm, pm.RulesVersion
			if !recompute {
				rules, err := s.St.AssessRules(ctx, version)
				if err != nil {
					return out, err
				}
				out.Rules, out.Frozen = rules, true
				if err := json.Unmarshal([]byte(pm.Results), &out.Units); err != nil {
					return out, fmt.Errorf("cases: published month %s: %w", p.Label, err)
				}
				return out, nil
			}
		}
	}
	rules, err := s.St.AssessRules(ctx, version)
	if err != nil {
		return out, err
	}
	out.Rules = rules
	out.Units, err = s.computeScores(ctx, p, rules)
	return out, err
}

// computeScores counts and scores every ranked unit for p under rules.
func (s *Service) computeScores(ctx context.Context, p assessment.Period, rules assessment.Rules) ([]assessment.Score, error) {
	counts, err := s.St.AssessCounts(ctx, p.From, p.To, time.Duration(rules.ContactMinutes)*time.Minute)
	if err != nil {
		return nil, err
	}
	if p.IsMonth() {
		items, err := s.St.AssessItems(ctx, p.Label)
		if err != nil {
			return nil, err
		}
		for _, it := range items {
			if it.Kind == ItemTopic {
				c := counts[it.UnitID]
				if c == nil {
					c = &assessment.Counts{UnitID: it.UnitID}
					counts[it.UnitID] = c
				}
				c.Topics++
			}
		}
	}
	if err := s.addSummonsRatings(ctx, p, counts); err != nil {
		return nil, err
	}
	var out []assessment.Score
	for _, u := range s.UnitsList() {
		if !slices.Contains(assessment.RankedKinds, u.Kind) {
			continue
		}
		c := assessment.Counts{UnitID: u.ID}
		if x := counts[u.ID]; x != nil {
			c = *x
		}
		sc := assessment.Compute(c, rules, u.Kind)
		sc.UnitName = u.Name
		out = append(out, sc)
	}
	assessment.Rank(out)
	return out, nil
}

// PublishMonth freezes a month under the rules in force (city centre).
func (s *Service) PublishMonth(ctx context.Context, a org.Actor, month string) (Ranking, error) {
	if !org.CityDecider(a) {
		return Ranking{}, errs.E(errs.Forbidden)
	}
	p, err := s.AssessMonthPeriod(month)
	if err != nil {
		return Ranking{}, err
	}
	if !s.Now().After(p.To) {
		return Ranking{}, errs.D(errs.Invalid, "month %s has not ended", month)
	}
	rules, err := s.St.AssessRules(ctx, 0)
	if err != nil {
		return Ranking{}, err
	}
	scores, err := s.computeScores(ctx, p, rules)
	if err != nil {
		return Ranking{}, err
	}
	b, err := json.Marshal(scores)
	if err != nil {
		return Ranking{}, err
	}
	pm := assessment.PublishedMonth{Period: month, RulesVersion: rules.Version, Results: string(b), PublishedBy: a.User.ID, PublishedAt: s.Now()}
	err = s.St.Write(ctx, func(tx *store.Tx) error {
		if err := tx.PublishAssessMonth(ctx, pm); err != nil {
			return err
		}
		return s.Audit(ctx, tx, a, "assess_publish", "assess:"+month, map[string]any{"rules_version": rules.Version, "units": len(scores)})
	})
	if err != nil {
		return Ranking{}, err
	}
	return Ranking{Period: p, Rules: rules, Published: &pm, Frozen: true, Units: scores}, nil
}

// PublishedMonths lists the published months.
func (s *Service) PublishedMonths(ctx context.Context, a org.Actor) ([]assessment.PublishedMonth, error) {
	out, err := s.St.AssessMonths(ctx)
	if out == nil {
		out = []assessment.PublishedMonth{}
	}
	return out, err
}

// AssessRules returns a rule-set version (0 = the one in force).
func (s *Service) AssessRules(ctx context.Context, a org.Actor, version int) (assessment.Rules, error) {
	if !org.CentreStaff(a) && !a.User.Has(org.RoleHandler, org.RoleLeader) {
		return assessment.Rules{}, errs.E(errs.Forbidden)
	}
	return s.St.AssessRules(ctx, version)
}

// SetAssessRules stores a new rule-set version, in force from now on for
// every month not yet published (city centre).
func (s *Service) SetAssessRules(ctx context.Context, a org.Actor, r assessment.Rules) (assessment.Rules, error) {
	if !org.CityDecider(a) {
		return r, errs.E(errs.Forbidden)
	}
	if err := r.Validate(); err != nil {
		return r, &errs.Error{Code: errs.Invalid, Field: "rules", Detail: err.Error()}
	}
	err := s.St.Write(ctx, func(tx *store.Tx) error {
		if err := tx.InsertAssessRules(ctx, &r, a.User.ID, s.Now()); err != nil {
			return err
		}
		return s.Audit(ctx, tx, a, "assess_rules", "assess_rules:"+strconv.Itoa(r.Version), r)
	})
	return r, err
}

// ItemTopic is an extra item: a 主动治理 topic credited to a unit.
const ItemTopic = "topic"

// AddAssessItem credits an extra item to a unit for a month (city centre).
func (s *Service) AddAssessItem(ctx context.Context, a org.Actor, it assessment.Item) (assessment.Item, error) {
	if !org.CityDecider(a) {
		return it, errs.E(errs.Forbidden)
	}
	if it.Kind != ItemTopic {
		return it, errs.F(errs.Invalid, "kind")
	}
	if _, err := s.AssessMonthPeriod(it.Period); err != nil {
		return it, err
	}
	if u, ok := s.Unit(it.UnitID); !ok || !slices.Contains(assessment.RankedKinds, u.Kind) {
		return it, errs.F(errs.UnknownUnit, "unit_id")
	}
	it.Note = strings.TrimSpace(it.Note)
	if it.Note == "" {
		return it, errs.F(errs.FieldRequired, "note")
	}
	if core.TooLong(it.Note, s.Cfg.MaxNote) {
		return it, errs.F(errs.FieldTooLong, "note")
	}
	if pm, found, err := s.St.AssessMonth(ctx, it.Period); err != nil {
		return it, err
	} else if found {
		return it, errs.D(errs.Exists, "month %s is already published", pm.Period)
	}
	it.CreatedBy, it.CreatedAt = a.User.ID, s.Now()
	err := s.St.Write(ctx, func(tx *store.Tx) error {
		if err := tx.InsertAssessItem(ctx, &it); err != nil {
			return err
		}
		return s.Audit(ctx, tx, a, "assess_item", "unit:"+strconv.FormatInt(it.UnitID, 10), it)
	})
	return it, err
}

// AssessItems lists a month's extra items.
func (s *Service) AssessItems(ctx context.Context, a org.Actor, month string) ([]assessment.Item, error) {
	if !org.CentreStaff(a) && !a.User.Has(org.RoleHandler, org.RoleLeader) {
		return nil, errs.E(errs.Forbidden)
	}
	if _, err := s.AssessMonthPeriod(month); err != nil {
		return nil, err
	}
	return s.St.AssessItems(ctx, month)
}

// unitDistrict is the district a unit belongs to (0 for city level).
func (s *Service) unitDistrict(u org.Unit) int64 {
	ch, _ := s.Chain(u.PlaceID)
	return ch[0]
}

// AssessCases lists the case ids behind one number of one unit: city
// centre staff for any unit, a district centre's staff for the units of
// their district, a unit's own handlers and leaders for their unit.
func (s *Service) AssessCases(ctx context.Context, a org.Actor, p assessment.Period, unitID int64, measure string) ([]int64, error) {
	own := a.User.Has(org.RoleHandler, org.RoleLeader) && a.Unit.ID == unitID
	if !org.CentreStaff(a) && !own {
		return nil, errs.E(errs.Forbidden)
	}
	u, ok := s.Unit(unitID)
	if !ok {
		return nil, errs.F(errs.UnknownUnit, "unit_id")
	}
	if !own && !org.CentreStaffIn(a, s.unitDistrict(u)) {
		return nil, errs.E(errs.Forbidden)
	}
	if !slices.Contains(assessment.Measures, measure) {
		return nil, errs.F(errs.Invalid, "measure")
	}
	version := 0
	if p.IsMonth() {
		pm, found, err := s.St.AssessMonth(ctx, p.Label)
		if err != nil {
			return nil, err
		}
		if found {
			version = pm.RulesVersion
		}
	}
	rules, err := s.St.AssessRules(ctx, version)
	if err != nil {
		return nil, err
	}
	ids, err := s.St.AssessCaseIDs(ctx, unitID, p.From, p.To, time.Duration(rules.ContactMinutes)*time.Minute, measure, 100000)
	if ids == nil {
		ids = []int64{}
	}
	return ids, err
}

// ExemptedCases lists the approved exemptions behind a unit's exempted
// count in p, with their reasons.
func (s *Service) ExemptedCases(ctx context.Context, a org.Actor, p assessment.Period, unitID int64) ([]assessment.Exemption, error) {
	ids, err := s.AssessCases(ctx, a, p, unitID, assessment.MeasureExempted)
	if err != nil {
		return nil, err
	}
	out := []assessment.Exemption{}
	for _, id := range ids {
		xs, err := s.St.Exemptions(ctx, assessment.ExemptionFilter{CaseID: id, UnitID: unitID, State: assessment.ExemptApproved, Limit: 1})
		if err != nil {
			return nil, err
		}
		out = append(out, xs...)
	}
	return out, nil
}

// ---- exemptions (免考核) ----

// ExemptionInput is a unit's request to leave a case out of its score.
type ExemptionInput struct {
	CaseID      int64   `json:"case_id"`
	Reason      string  `json:"reason"`
	Evidence    string  `json:"evidence"`
	Attachments []int64 `json:"attachments,omitempty"`
}

// RequestExemption files a request for the actor's unit, which must have
// led the case.
func (s *Service) RequestExemption(ctx context.Context, a org.Actor, in ExemptionInput) (assessment.Exemption, error) {
	if !a.User.Has(org.RoleHandler, org.RoleLeader) {
		return assessment.Exemption{}, errs.E(errs.Forbidden)
	}
	if !slices.Contains(assessment.Reasons, in.Reason) {
		return assessment.Exemption{}, errs.F(errs.Invalid, "reason")
	}
	ev := strings.TrimSpace(in.Evidence)
	if ev == "" {
		return assessment.Exemption{}, errs.F(errs.FieldRequired, "evidence")
	}
	if core.TooLong(ev, s.Cfg.MaxNote) {
		return assessment.Exemption{}, errs.F(errs.FieldTooLong, "evidence")
	}
	if len(in.Attachments) > 20 {
		return assessment.Exemption{}, errs.F(errs.TooLarge, "attachments")
	}
	x := assessment.Exemption{CaseID: in.CaseID, UnitID: a.Unit.ID, Reason: in.Reason, Evidence: ev, Attachments: in.Attachments,
		RequestedBy: a.User.ID, RequestedAt: s.Now()}
	err := s.St.Write(ctx, func(tx *store.Tx) error {
		led, err := tx.HasAssessOrder(ctx, in.CaseID, a.Unit.ID)
		if err != nil {
			return err
		}
		if !led {
			return &errs.Error{Code: errs.NotFound, Field: "case_id"}
		}
		for _, id := range in.Attachments {
			att, _, err := tx.GetAttachment(ctx, id)
			if err != nil || (att.CaseID != 0 && att.CaseID != in.CaseID) {
				return &errs.Error{Code: errs.NotFound, Field: "attachments", Detail: strconv.FormatInt(id, 10)}
			}
		}
		if err := tx.InsertExemption(ctx, &x); err != nil {
			return err
		}
		return s.Audit(ctx, tx, a, "exemption_request", "case:"+strconv.FormatInt(in.CaseID, 10), map[string]any{"exemption": x.ID, "reason": x.Reason})
	})
	return x, err
}

// DecideExemption approves or rejects a pending request (city centre).
func (s *Service) DecideExemption(ctx context.Context, a org.Actor, id int64, approve bool, note string) (assessment.Exemption, error) {
	if !org.CityDecider(a) {
		return assessment.Exemption{}, errs.E(errs.Forbidden)
	}
	note = strings.TrimSpace(note)
	if core.TooLong(note, s.Cfg.MaxNote) {
		return assessment.Exemption{}, errs.F(errs.FieldTooLong, "note")
	}
	if !approve && note == "" {
		return assessment.Exemption{}, errs.F(errs.FieldRequired, "note")
	}
	var x assessment.Exemption
	err := s.St.Write(ctx, func(tx *store.Tx) error {
		var err error
		if x, err = tx.GetExemption(ctx, id); err != nil {
			return err
		}
		if x.State != assessment.ExemptPending {
			return errs.D(errs.InvalidTransition, "exemption is %s", x.State)
		}
		x.State = assessment.ExemptRejected
		if approve {
			x.State = assessment.ExemptApproved
		}
		x.DecidedBy, x.DecidedAt, x.DecisionNote = a.User.ID, s.Now(), note
		if err := tx.DecideExemption(ctx, x); err != nil {
			return err
		}
		return s.Audit(ctx, tx, a, "exemption_"+x.State, "case:"+strconv.FormatInt(x.CaseID, 10), map[string]any{"exemption": x.ID, "unit_id": x.UnitID, "note": note})
	})
	return x, err
}

// Exemptions lists requests: the city centre sees all, a district centre
// those of its district's units, a unit its own.
func (s *Service) Exemptions(ctx context.Context, a org.Actor, f assessment.ExemptionFilter) ([]assessment.Exemption, error) {
	district := false
	switch {
	case org.CityStaff(a):
	case org.CentreStaff(a):
		district = true
	case a.User.Has(org.RoleHandler, org.RoleLeader):
		f.UnitID = a.Unit.ID
	default:
		return nil, errs.E(errs.Forbidden)
	}
	if f.State != "" && !slices.Contains([]string{assessment.ExemptPending, assessment.ExemptApproved, assessment.ExemptRejected}, f.State) {
		return nil, errs.F(errs.Invalid, "state")
	}
	xs, err := s.St.Exemptions(ctx, f)
	if err != nil || !district {
		return xs, err
	}
	return slices.DeleteFunc(xs, func(x assessment.Exemption) bool {
		u, _ := s.Unit(x.UnitID)
		return !org.CentreStaffIn(a, s.unitDistrict(u))
	}), nil
}

// ---- public view and exports ----

// PublicScore is what citizens may see of a published ranking.
type PublicScore struct {
	Rank         int      `json:"rank"`
	Unit         string   `json:"unit"`
	Kind         string   `json:"kind"`
	Response     *float64 `json:"response"`
	Resolution   *float64 `json:"resolution"`
	Satisfaction *float64 `json:"satisfaction"`
	Composite    *float64 `json:"composite"`
	Unranked     string   `json:"unranked,omitempty"` // why not ranked (rank 0, composite null)
}

// PublicRanking returns a published month's ranking without internal
// detail (no counts, no case ids): the ranked units, then those with too
// few cases to rank (rank 0, no composite, Unranked set), as the ranking
// page lists them.
func (s *Service) PublicRanking(ctx context.Context, month string) ([]PublicScore, error) {
	p, err := s.AssessMonthPeriod(month)
	if err != nil {
		return nil, err
	}
	r, err := s.assess(ctx, p, false)
	if err != nil {
		return nil, err
	}
	if r.Published == nil {
		return nil, errs.E(errs.NotFound)
	}
	out, apart := []PublicScore{}, []PublicScore{}
	for _, u := range r.Units {
		x := PublicScore{Rank: u.Rank, Unit: u.UnitName, Kind: u.Kind, Response: u.Response, Resolution: u.Resolution,
			Satisfaction: u.Satisfaction, Composite: u.Composite}
		if u.Rank > 0 {
			out = append(out, x)
			continue
		}
		x.Unranked, x.Composite = assessment.UnrankedTooFew, nil // frozen results from before reasons were kept have none
		apart = append(apart, x)
	}
	return append(out, apart...), nil
}

// exportColumns are the columns of ranking exports: a code (stable, for
// programs: ExportColumns) and the header offices read, in Chinese and
// English. Offices exchange these files, so the header is in words.
var exportColumns = []struct{ code, zh, en string }{
	{"period", "考核期", "Period"},
	{"kind", "单位类别", "Unit type"},
	{"rank", "排名", "Rank"},
	{"unit_id", "单位编号", "Unit ID"},
	{"unit", "单位名称", "Unit"},
	{"orders", "受理派单", "Orders received"},
	{"responded", "及时响应", "Responded in time"},
	{"response", "响应率", "Response rate"},
	{"callbacks", "回访", "Callbacks"},
	{"resolved", "已解决", "Resolved"},
	{"resolution", "解决率", "Resolution rate"},
	{"satisfied", "满意", "Satisfied"},
	{"fairly_satisfied", "基本满意", "Fairly satisfied"},
	{"satisfaction", "满意率", "Satisfaction rate"},
	{"overdue", "超期", "Overdue"},
	{"exempted", "免考核", "Exempted"},
	{"topics", "主动治理", "Governance topics"},
	{"bonus", "加分", "Bonus"},
	{"deduction", "减分", "Deduction"},
	{"summons", "吹哨报到评价", "Whistle rating"},
	{"composite", "综合得分", "Composite score"},
	{"change", "环比", "Change"},
	{"rules_version", "考核规则版本", "Rule set version"},
	{"status", "备注", "Note"},
}

// exportWords are the words exports write in their cells.
var exportWords = map[string][2]string{ // zh, en
	"street":                  {"街道乡镇", "Street or township"},
	"department":              {"市区部门", "Department"},
	"enterprise":              {"公共服务企业", "Public service enterprise"},
	"property":                {"物业服务企业", "Property service company"},
	assessment.UnrankedTooFew: {"样本不足，不参与排名", "too few cases to rank"},
	"not_ranked":              {"不参与排名", "not ranked"},
	"sheet":                   {"考核排名", "Ranking"},
	"file":                    {"考核排名", "ranking"},
}

func exportWord(lang, key string) string {
	w, ok := exportWords[key]
	if !ok {
		return key
	}
	if lang == "en" {
		return w[1]
	}
	return w[0]
}

// ExportColumns are the codes of the export columns, in order.
func ExportColumns() []string {
	out := make([]string, len(exportColumns))
	for i, c := range exportColumns {
		out[i] = c.code
	}
	return out
}

// ExportHeader is the header row of ranking exports in lang ("zh" or
// "en"; anything else is Chinese).
func ExportHeader(lang string) []string {
	out := make([]string, len(exportColumns))
	for i, c := range exportColumns {
		out[i] = c.zh
		if lang == "en" {
			out[i] = c.en
		}
	}
	return out
}

// ExportFilename is the download name of a ranking export without its
// extension ("考核排名-2026-03" / "ranking-2026-03").
func ExportFilename(lang string, r Ranking) string {
	return exportWord(lang, "file") + "-" + strings.ReplaceAll(r.Period.Label, "..", "_")
}

// NoValue stands for a rate or score that does not exist (no
// denominator, or a unit not ranked): never 0, never full marks.
const NoValue = "—"

// ExportRows turns a ranking into rows under ExportHeader: ranked units
// first, then — listed apart, without rank or composite — the units with
// too few cases, each kind in the order of the ranking.
func ExportRows(r Ranking, lang string) [][]string {
	f := func(p *float64, dec int) string {
		if p == nil {
			return NoValue
		}
		return strconv.FormatFloat(*p, 'f', dec, 64)
	}
	i := func(n int64) string { return strconv.FormatInt(n, 10) }
	var ranked, apart [][]string
	for _, u := range r.Units {
		rank, status, bonus, ded := NoValue, "", f(&u.Bonus, 2), f(&u.Deduction, 2)
		if u.Rank > 0 {
			rank = strconv.Itoa(u.Rank)
		} else {
			// Results frozen before reasons were kept have none: their
			// unranked units had no cases at all.
			status = exportWord(lang, assessment.UnrankedTooFew)
			if u.Composite == nil {
				bonus, ded = NoValue, NoValue
			}
		}
		change := ""
		if u.Change != nil {
			change = f(u.Change, 2)
		}
		row := []string{r.Period.Label, exportWord(lang, u.Kind), rank, i(u.UnitID), u.UnitName, i(u.Orders), i(u.Responded), f(u.Response, 4),
			i(u.Callbacks), i(u.Resolved), f(u.Resolution, 4), i(u.Satisfied), i(u.Fairly), f(u.Satisfaction, 4), i(u.Overdue),
			i(u.Exempted), i(u.Topics), bonus, ded, f(u.Summons, 2), f(u.Composite, 2), change,
			strconv.Itoa(u.RulesVersion), status}
		if u.Rank > 0 {
			ranked = append(ranked, row)
		} else {
			apart = append(apart, row)
		}
	}
	return append(ranked, apart...)
}

// WriteRankingCSV writes a ranking as CSV in lang through csvsafe: UTF-8
// with a byte-order mark and CRLF line ends, as spreadsheets (Excel)
// expect, and no cell a spreadsheet would run as a formula (a unit's name
// is typed by an administrator).
func WriteRankingCSV(w io.Writer, r Ranking, lang string) error {
	cw, err := csvsafe.NewWriter(w)
	if err != nil {
		return err
	}
	if err := cw.Write(ExportHeader(lang)); err != nil {
		return err
	}
	return cw.WriteAll(ExportRows(r, lang))
}

// WriteRankingXLSX writes a ranking as an XLSX workbook in lang, numbers
// as numbers (the period, unit ids and "—" stay text).
func WriteRankingXLSX(w io.Writer, r Ranking, lang string) error {
	f := excelize.NewFile()
	defer f.Close()
	sheet := exportWord(lang, "sheet")
	if err := f.SetSheetName("Sheet1", sheet); err != nil {
		return err
	}
	put := func(row int, vals []string) error {
		for col, v := range vals {
			cell, err := excelize.CoordinatesToCellName(col+1, row)
			if err != nil {
				return err
			}
			var x any = v
			if row > 1 && v != "" && col != 0 {
				if n, err := strconv.ParseFloat(v, 64); err == nil {
					x = n
				}
			}
			if err := f.SetCellValue(sheet, cell, x); err != nil {
				return err
			}
		}
		return nil
	}
	if err := put(1, ExportHeader(lang)); err != nil {
		return err
	}
	for i, row := range ExportRows(r, lang) {
		if err := put(i+2, row); err != nil {
			return err
		}
	}
	return f.Write(w)
}

// addSummonsRatings adds the street ratings given in p to the counts.
func (s *Service) addSummonsRatings(ctx context.Context, p assessment.Period, counts map[int64]*assessment.Counts) error {
	rs, err := s.St.SummonsRatings(ctx, p.From, p.To)
	if err != nil {
		return err
	}
	ids := make([]int64, 0, len(rs))
	for id := range rs {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	for _, id := range ids {
		c := counts[id]
		if c == nil {
			c = &assessment.Counts{UnitID: id}
			counts[id] = c
		}
		c.SummonsRatings, c.SummonsPoints = int64(rs[id][0]), rs[id][1]
	}
	return nil
}
