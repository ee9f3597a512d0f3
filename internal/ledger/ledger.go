// Package ledger is 一本台账 (issue #15): every department's ledger is a
// view of the same records. A template names the department that asks for
// it, the source of its records (volunteer services, care visits, patrols,
// deliberations, projects, surveys), a filter, and its columns — detail
// columns, or groups with counts and sums for ledgers that must not name
// anyone. Build turns a period's source rows into the ledger's sheet.
//
// It is pure: the community service fills the rows from the store through
// a registry of sources and writes the sheet as XLSX or PDF.
package ledger

import (
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"whistle/internal/errs"
)

// Source is the kind of records a ledger is made of.
type Source string

// Sources.
const (
	Volunteer     Source = "volunteer_services"
	CareVisits    Source = "care_visits"
	Patrols       Source = "patrols"
	Deliberations Source = "deliberations"
	Projects      Source = "projects"
	Surveys       Source = "surveys"
)

// Sources lists every source kind.
var Sources = []Source{Volunteer, CareVisits, Patrols, Deliberations, Projects, Surveys}

// Dept is a department that asks the community for a ledger.
type Dept struct{ Key, ZH, EN string }

// Departments that ask for ledgers.
var Departments = []Dept{
	{"youth_league", "团委", "Youth League"},
	{"disabled_fed", "残联", "Disabled Persons' Federation"},
	{"women_fed", "妇联", "Women's Federation"},
	{"civil_affairs", "民政", "Civil Affairs"},
	{"street", "街道", "Street office"},
	{"city_mgmt", "城管", "City management"},
}

// DeptByKey finds a department.
func DeptByKey(k string) (Dept, bool) {
	i := slices.IndexFunc(Departments, func(d Dept) bool { return d.Key == k })
	if i < 0 {
		return Dept{}, false
	}
	return Departments[i], true
}

// Aggregations of a column.
const (
	Value    = ""         // the row's value: a detail column, or a group key
	Count    = "count"    // rows in the group
	Sum      = "sum"      // sum of Of over the group
	Distinct = "distinct" // distinct values of Of in the group
)

// Col is one column of a template: the field it shows (Key) and, in an
// aggregated template, how (Agg over field Of).
type Col struct {
	Key string `json:"key"`
	Agg string `json:"agg,omitempty"`
	Of  string `json:"of,omitempty"`
}

// Template is one department's ledger.
type Template struct {
	ID      string            `json:"id"`
	Dept    string            `json:"dept"`
	Source  Source            `json:"source"`
	TitleZH string            `json:"title_zh"`
	TitleEN string            `json:"title_en"`
	Filter  map[string]string `json:"filter,omitempty"` // field → value a row must have
	Cols    []Col             `json:"cols"`
}

// Aggregated reports whether the template groups rows (and so never shows
// one record's detail).
func (t Template) Aggregated() bool {
	return slices.ContainsFunc(t.Cols, func(c Col) bool { return c.Agg != Value })
}

// Title in lang.
func (t Template) Title(lang string) string {
	if strings.HasPrefix(lang, "en") {
		return t.TitleEN
	}
	return t.TitleZH
}

// Templates is the table of ledgers. Care-visit ledgers are aggregated by
// rule (TestCareNeverDetailed): a department outside the community learns
// counts, never who.
var Templates = []Template{
	{ID: "youth-volunteer", Dept: "youth_league", Source: Volunteer, TitleZH: "志愿服务记录台账", TitleEN: "Volunteer service record",
		Cols: []Col{{Key: "date"}, {Key: "task"}, {Key: "kind"}, {Key: "volunteer"}, {Key: "hours"}, {Key: "points"}}},
	{ID: "street-volunteer-points", Dept: "street", Source: Volunteer, TitleZH: "志愿者积分台账", TitleEN: "Volunteer points",
		Cols: []Col{{Key: "volunteer"}, {Key: "services", Agg: Count}, {Key: "hours", Agg: Sum, Of: "hours"}, {Key: "points", Agg: Sum, Of: "points"}}},
	{ID: "civil-volunteer-kinds", Dept: "civil_affairs", Source: Volunteer, TitleZH: "志愿服务分类统计", TitleEN: "Volunteer services by kind",
		Cols: []Col{{Key: "kind"}, {Key: "services", Agg: Count}, {Key: "volunteers", Agg: Distinct, Of: "volunteer_id"}, {Key: "hours", Agg: Sum, Of: "hours"}}},
	{ID: "disabled-care", Dept: "disabled_fed", Source: CareVisits, TitleZH: "残疾人探访服务台账", TitleEN: "Visits to disabled residents",
		Filter: map[string]string{"care_type": "disabled"},
		Cols:   []Col{{Key: "month"}, {Key: "visits", Agg: Count}, {Key: "subjects", Agg: Distinct, Of: "subject_id"}, {Key: "by_volunteers", Agg: Sum, Of: "by_volunteer"}}},
	{ID: "civil-elderly-care", Dept: "civil_affairs", Source: CareVisits, TitleZH: "独居老人探访台账", TitleEN: "Visits to elderly living alone",
		Filter: map[string]string{"care_type": "elderly_alone"},
		Cols:   []Col{{Key: "month"}, {Key: "visits", Agg: Count}, {Key: "subjects", Agg: Distinct, Of: "subject_id"}, {Key: "by_volunteers", Agg: Sum, Of: "by_volunteer"}}},
	{ID: "women-children-care", Dept: "women_fed", Source: CareVisits, TitleZH: "留守儿童关爱台账", TitleEN: "Care of children left behind",
		Filter: map[string]string{"care_type": "left_behind"},
		Cols:   []Col{{Key: "month"}, {Key: "visits", Agg: Count}, {Key: "subjects", Agg: Distinct, Of: "subject_id"}, {Key: "by_volunteers", Agg: Sum, Of: "by_volunteer"}}},
	{ID: "street-care", Dept: "street", Source: CareVisits, TitleZH: "关爱对象探访汇总", TitleEN: "Care visits by type",
		Cols: []Col{{Key: "care_type"}, {Key: "visits", Agg: Count}, {Key: "subjects", Agg: Distinct, Of: "subject_id"}, {Key: "by_volunteers", Agg: Sum, Of: "by_volunteer"}}},
	{ID: "city-patrols", Dept: "city_mgmt", Source: Patrols, TitleZH: "网格巡查统计台账", TitleEN: "Grid patrols by grid",
		Cols: []Col{{Key: "grid"}, {Key: "patrols", Agg: Count}, {Key: "findings", Agg: Sum, Of: "findings"}, {Key: "km", Agg: Sum, Of: "km"}}},
	{ID: "street-patrols", Dept: "street", Source: Patrols, TitleZH: "网格巡查明细台账", TitleEN: "Grid patrol record",
		Cols: []Col{{Key: "date"}, {Key: "grid"}, {Key: "walker"}, {Key: "km"}, {Key: "findings"}}},
	{ID: "street-deliberations", Dept: "street", Source: Deliberations, TitleZH: "议事协商台账", TitleEN: "Deliberations",
		Cols: []Col{{Key: "date"}, {Key: "topic"}, {Key: "decision"}, {Key: "tasks"}}},
	{ID: "civil-deliberations", Dept: "civil_affairs", Source: Deliberations, TitleZH: "居民议事统计", TitleEN: "Deliberations by month",
		Cols: []Col{{Key: "month"}, {Key: "meetings", Agg: Count}, {Key: "tasks", Agg: Sum, Of: "tasks"}}},
	{ID: "street-projects", Dept: "street", Source: Projects, TitleZH: "社区项目台账", TitleEN: "Community projects",
		Cols: []Col{{Key: "project"}, {Key: "state"}, {Key: "budget"}, {Key: "spent"}}},
	{ID: "civil-projects", Dept: "civil_affairs", Source: Projects, TitleZH: "社区项目资金统计", TitleEN: "Project funds by state",
		Cols: []Col{{Key: "state"}, {Key: "projects", Agg: Count}, {Key: "budget", Agg: Sum, Of: "budget"}, {Key: "spent", Agg: Sum, Of: "spent"}}},
	{ID: "street-surveys", Dept: "street", Source: Surveys, TitleZH: "民意征集台账", TitleEN: "Surveys",
		Cols: []Col{{Key: "date"}, {Key: "survey"}, {Key: "answers"}}},
}

// Lookup finds a template by id.
func Lookup(id string) (Template, bool) {
	i := slices.IndexFunc(Templates, func(t Template) bool { return t.ID == id })
	if i < 0 {
		return Template{}, false
	}
	return Templates[i], true
}

// Available lists the templates whose source is among have, in table order:
// the ledgers one set of records produces.
func Available(have []Source) []Template {
	var out []Template
	for _, t := range Templates {
		if slices.Contains(have, t.Source) {
			out = append(out, t)
		}
	}
	return out
}

// Period kinds.
const (
	Month   = "month"
	Quarter = "quarter"
	Year    = "year"
)

// Period is the span a ledger covers: a month, a quarter or a year.
type Period struct {
	Kind string `json:"kind"`
	Year int    `json:"year"`
	N    int    `json:"n,omitempty"` // month 1–12 or quarter 1–4
}

// ParsePeriod reads "2026-11" (a month), "2026-Q4" (a quarter) or "2026"
// (a year).
func ParsePeriod(s string) (Period, error) {
	bad := errs.F(errs.Invalid, "period")
	y, rest, has := strings.Cut(strings.TrimSpace(s), "-")
	year, err := strconv.Atoi(y)
	if err != nil || len(y) != 4 || year < 2000 || year > 2100 {
		return Period{}, bad
	}
	if !has {
		return Period{Kind: Year, Year: year}, nil
	}
	if q, ok := strings.CutPrefix(rest, "Q"); ok {
		n, err := strconv.Atoi(q)
		if err != nil || len(q) != 1 || n < 1 || n > 4 {
			return Period{}, bad
		}
		return Period{Kind: Quarter, Year: year, N: n}, nil
	}
	n, err := strconv.Atoi(rest)
	if err != nil || len(rest) != 2 || n < 1 || n > 12 {
		return Period{}, bad
	}
	return Period{Kind: Month, Year: year, N: n}, nil
}

// String is the period as ParsePeriod reads it.
func (p Period) String() string {
	switch p.Kind {
	case Month:
		return fmt.Sprintf("%04d-%02d", p.Year, p.N)
	case Quarter:
		return fmt.Sprintf("%04d-Q%d", p.Year, p.N)
	}
	return fmt.Sprintf("%04d", p.Year)
}

// Range is the period's [from, to) in loc.
func (p Period) Range(loc *time.Location) (from, to time.Time) {
	switch p.Kind {
	case Month:
		from = time.Date(p.Year, time.Month(p.N), 1, 0, 0, 0, 0, loc)
		return from, from.AddDate(0, 1, 0)
	case Quarter:
		from = time.Date(p.Year, time.Month(3*p.N-2), 1, 0, 0, 0, 0, loc)
		return from, from.AddDate(0, 3, 0)
	}
	from = time.Date(p.Year, 1, 1, 0, 0, 0, 0, loc)
	return from, from.AddDate(1, 0, 0)
}

// Row is one source record as named fields: strings, ints or float64s.
type Row map[string]any

// Sheet is a built ledger: the header keys and the rows' cells.
type Sheet struct {
	Template Template `json:"template"`
	Period   Period   `json:"period"`
	Unit     string   `json:"unit"`
	Keys     []string `json:"keys"`
	Rows     [][]any  `json:"rows"`
}

// Build makes the template's sheet from the period's source rows: rows
// failing the filter are left out; an aggregated template groups the rows
// by its value columns (in the order the groups first appear) and counts
// or sums the rest.
func Build(t Template, p Period, unit string, rows []Row) Sheet {
	sh := Sheet{Template: t, Period: p, Unit: unit, Rows: [][]any{}}
	for _, c := range t.Cols {
		sh.Keys = append(sh.Keys, c.Key)
	}
	var kept []Row
	for _, r := range rows {
		ok := true
		for k, v := range t.Filter {
			if fmt.Sprint(r[k]) != v {
				ok = false
				break
			}
		}
		if ok {
			kept = append(kept, r)
		}
	}
	if !t.Aggregated() {
		for _, r := range kept {
			line := make([]any, len(t.Cols))
			for i, c := range t.Cols {
				line[i] = cell(r[c.Key])
			}
			sh.Rows = append(sh.Rows, line)
		}
		return sh
	}
	type group struct {
		cells    []any
		distinct []map[string]bool
	}
	var order []string
	groups := map[string]*group{}
	for _, r := range kept {
		var key strings.Builder
		for _, c := range t.Cols {
			if c.Agg == Value {
				fmt.Fprintf(&key, "%v\x00", r[c.Key])
			}
		}
		g := groups[key.String()]
		if g == nil {
			g = &group{cells: make([]any, len(t.Cols)), distinct: make([]map[string]bool, len(t.Cols))}
			for i, c := range t.Cols {
				switch c.Agg {
				case Value:
					g.cells[i] = cell(r[c.Key])
				case Distinct:
					g.distinct[i] = map[string]bool{}
				}
			}
			groups[key.String()] = g
			order = append(order, key.String())
		}
		for i, c := range t.Cols {
			switch c.Agg {
			case Count:
				g.cells[i] = num(g.cells[i]) + 1
			case Sum:
				g.cells[i] = num(g.cells[i]) + num(r[c.Of])
			case Distinct:
				g.distinct[i][fmt.Sprint(r[c.Of])] = true
			}
		}
	}
	for _, k := range order {
		g := groups[k]
		for i, c := range t.Cols {
			switch c.Agg {
			case Distinct:
				g.cells[i] = float64(len(g.distinct[i]))
			case Count, Sum:
				g.cells[i] = round2(num(g.cells[i]))
			}
		}
		sh.Rows = append(sh.Rows, g.cells)
	}
	return sh
}

// Totals sums the sheet's numeric columns (nil for text columns).
func (sh Sheet) Totals() []any {
	out := make([]any, len(sh.Keys))
	for i := range sh.Keys {
		numeric, total := len(sh.Rows) > 0, 0.0
		for _, r := range sh.Rows {
			switch v := r[i].(type) {
			case float64:
				total += v
			default:
				numeric = false
			}
		}
		if numeric && sh.Template.Cols[i].Agg != Distinct {
			out[i] = round2(total)
		}
	}
	return out
}

func cell(v any) any {
	switch x := v.(type) {
	case int:
		return float64(x)
	case int64:
		return float64(x)
	case float64:
		return x
	case nil:
		return ""
	}
	return fmt.Sprint(v)
}

func num(v any) float64 {
	switch x := v.(type) {
	case int:
		return float64(x)
	case int64:
		return float64(x)
	case float64:
		return x
	}
	return 0
}

func round2(f float64) float64 { return float64(int64(f*100+0.5)) / 100 }

// Labels are the columns' names, zh-CN first and en.
var Labels = map[string][2]string{
	"date": {"日期", "Date"}, "task": {"任务", "Task"}, "kind": {"类别", "Kind"}, "volunteer": {"志愿者", "Volunteer"},
	"hours": {"时长（小时）", "Hours"}, "points": {"积分", "Points"}, "services": {"服务次数", "Services"},
	"volunteers": {"志愿者人数", "Volunteers"}, "month": {"月份", "Month"}, "visits": {"探访次数", "Visits"},
	"subjects": {"探访对象数", "People visited"}, "by_volunteers": {"志愿者探访次数", "Visits by volunteers"},
	"care_type": {"关爱类别", "Care type"}, "grid": {"网格", "Grid"}, "patrols": {"巡查次数", "Patrols"},
	"findings": {"发现问题数", "Findings"}, "km": {"巡查里程（公里）", "Distance (km)"}, "walker": {"巡查人", "Walker"},
	"topic": {"议题", "Topic"}, "decision": {"决定", "Decision"}, "tasks": {"任务数", "Tasks"}, "meetings": {"会议次数", "Meetings"},
	"project": {"项目", "Project"}, "state": {"状态", "State"}, "budget": {"预算（元）", "Budget (yuan)"}, "spent": {"支出（元）", "Spent (yuan)"},
	"projects": {"项目数", "Projects"}, "survey": {"征集", "Survey"}, "answers": {"答卷数", "Answers"},
}

// Label is a column's name in lang.
func Label(key, lang string) string {
	l, ok := Labels[key]
	if !ok {
		return key
	}
	if strings.HasPrefix(lang, "en") {
		return l[1]
	}
	return l[0]
}

// Keys of a template's filter, sorted (for showing it).
func (t Template) FilterKeys() []string { return slices.Sorted(maps.Keys(t.Filter)) }

// Values are the names of coded values in ledger cells (kinds of tasks,
// care types), zh-CN first and en.
var Values = map[string]map[string][2]string{
	"kind": {"patrol": {"巡逻", "Patrol"}, "care_visit": {"探访", "Care visit"}, "event": {"活动", "Event"}, "emergency": {"应急", "Emergency"}},
	"care_type": {"elderly_alone": {"独居老人", "Elderly living alone"}, "disabled": {"残疾人", "Disabled"},
		"left_behind": {"留守儿童", "Children left behind"}},
	"state": {"project_proposed": {"待审批", "Proposed"}, "project_approved": {"实施中", "Approved"},
		"project_rejected": {"未获批", "Rejected"}, "project_finished": {"已完成", "Finished"}},
	"decision": {"adopted": {"通过", "Adopted"}, "not_adopted": {"未通过", "Not adopted"}, "undecided": {"未决", "Undecided"}},
}

// Display is a cell of column key as a reader in lang sees it: coded
// values by name, the rest as they are.
func Display(key string, v any, lang string) any {
	s, ok := v.(string)
	if !ok {
		return v
	}
	if l, ok := Values[key][s]; ok {
		if strings.HasPrefix(lang, "en") {
			return l[1]
		}
		return l[0]
	}
	return v
}
