package governance

import (
	"context"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"

	"github.com/xuri/excelize/v2"

	"whistle/internal/csvsafe"
	"whistle/internal/org"
)

// Export sheets, in order.
const (
	SheetCandidates = "候选 Candidates"
	SheetAnomalies  = "异常 Anomalies"
	SheetRising     = "上升词 Rising terms"
	SheetHotspots   = "热点 Hotspots"
	SheetRepeats    = "重复 Repeats"
)

// ExportXLSX writes the analysis f (the newest stored one when young
// enough) as a workbook: candidates, anomalies (flagged first), rising
// terms, hotspots and repeats, headers in Chinese and English. It holds
// no personal data: requests by number, callers and addresses by keyed
// hash; no cell starts as a formula would.
func (s *Service) ExportXLSX(ctx context.Context, a org.Actor, f Filter, w io.Writer) error {
	an, err := s.LatestAnalysis(ctx, a, f)
	if err != nil {
		return err
	}
	return WriteXLSX(an, w)
}

// WriteXLSX writes a finished analysis as a workbook (see ExportXLSX).
func WriteXLSX(an *Analysis, w io.Writer) error {
	x := excelize.NewFile()
	defer x.Close()
	rep := an.Report
	nm := func(id string) string {
		if n := an.Names[id]; n != "" {
			return n
		}
		return id
	}
	type sheet struct {
		name   string
		header []string
		rows   [][]any
	}
	var sheets []sheet

	cand := sheet{name: SheetCandidates, header: []string{"排名 Rank", "类型 Kind", "类别 Category", "类别名称 Category name", "关键词 Terms", "得分 Score",
		"诉求量 Volume", "预期 Expected", "环比 vs previous", "同比 vs last year", "重复占比 Repeat share", "不满意率 Dissatisfaction",
		"地点 Places", "承办单位 Units", "示例工单 Example requests", "说明 Why (zh)", "Why (en)"}}
	for _, c := range rep.Candidates {
		var places, units []string
		for _, p := range c.Places {
			places = append(places, nm(p.Place))
		}
		for _, u := range c.Units {
			units = append(units, nm(UnitKey(u.Key))+" ("+strconv.Itoa(u.N)+")")
		}
		terms := c.Phrases
		if len(terms) == 0 {
			terms = c.Terms
		}
		cand.rows = append(cand.rows, []any{c.Rank, c.Kind, c.Category, nm(c.Category), strings.Join(terms, "、"), num(c.Score),
			c.Volume, num(c.Expected), num(c.ChangePrev), num(c.ChangeYoY), num(c.RepeatShare), num(c.Dissatisfaction),
			strings.Join(places, "、"), strings.Join(units, "、"), strings.Join(c.Examples, " "), c.WhyZh, c.WhyEn})
	}
	sheets = append(sheets, cand)

	anom := sheet{name: SheetAnomalies, header: []string{"异常 Flagged", "类别 Category", "类别名称 Category name", "层级 Level", "地点 Place", "地点名称 Place name",
		"诉求量 Count", "预期 Expected", "上期 Previous", "环比 vs previous", "去年同期 Last year", "同比 vs last year", "p", "q"}}
	var flagged, rest [][]any
	for _, a := range rep.Anomalies {
		flag := "否 no"
		if a.Flag {
			flag = "是 yes"
		}
		ly := any(a.LastYear)
		if a.LastYear < 0 {
			ly = nil
		}
		row := []any{flag, a.Category, nm(a.Category), a.Level, a.Place, nm(a.Place), a.Count, num(a.Expected), a.Prev, num(a.ChangePrev), ly, num(a.ChangeYoY), num(a.P), num(a.Q)}
		if a.Flag {
			flagged = append(flagged, row)
		} else {
			rest = append(rest, row)
		}
	}
	anom.rows = append(flagged, rest...)
	if an.AnomaliesOmitted > 0 {
		anom.rows = append(anom.rows, []any{"…", fmt.Sprintf("另有 %d 个未标记的单元未列出 %d more cells tested and not flagged are not listed", an.AnomaliesOmitted, an.AnomaliesOmitted)})
	}
	sheets = append(sheets, anom)

	terms := sheet{name: SheetRising, header: []string{"方向 Direction", "词 Term", "本期件数 Requests now", "基线件数 Requests before", "本期占比 Share now", "基线占比 Share before", "倍数 Lift", "q"}}
	for _, t := range rep.Rising {
		terms.rows = append(terms.rows, []any{"上升 rising", t.Text, t.Cur, t.Base, num(t.CurShare), num(t.BaseShare), num(t.Lift), num(t.Q)})
	}
	for _, t := range rep.Falling {
		terms.rows = append(terms.rows, []any{"下降 falling", t.Text, t.Cur, t.Base, num(t.CurShare), num(t.BaseShare), num(t.Lift), num(t.Q)})
	}
	sheets = append(sheets, terms)

	hot := sheet{name: SheetHotspots, header: []string{"类别 Category", "类别名称 Category name", "网格 Grids", "街道 Streets", "诉求量 Count", "预期 Expected", "最大Gi* Max z", "最小q Min q", "关键词 Terms", "示例工单 Example requests"}}
	for _, h := range rep.Hotspots {
		var grids, streets []string
		for _, g := range h.Grids {
			grids = append(grids, nm(g))
		}
		for _, s := range h.Streets {
			streets = append(streets, nm(s.Key)+" ("+strconv.Itoa(s.N)+")")
		}
		hot.rows = append(hot.rows, []any{h.Category, nm(h.Category), strings.Join(grids, "、"), strings.Join(streets, "、"), h.Count, num(h.Expected), num(h.MaxZ), num(h.MinQ), strings.Join(h.Terms, "、"), strings.Join(h.Examples, " ")})
	}
	sheets = append(sheets, hot)

	rp := sheet{name: SheetRepeats, header: []string{"类型 Kind", "类别 Category", "地点 Place", "键 Key (keyed hash)", "次数 Times", "首次 First", "末次 Last", "工单 Requests"}}
	for _, p := range rep.PlaceRepeats {
		rp.rows = append(rp.rows, []any{"同一地点 same place", nm(p.Category), nm(p.Grid), short(p.AddressKey), p.N, p.FirstDay.String(), p.LastDay.String(), strings.Join(p.IDs, " ")})
	}
	for _, c := range rep.CallerRepeat {
		var cats []string
		for _, k := range c.Categories {
			cats = append(cats, nm(k.Key))
		}
		rp.rows = append(rp.rows, []any{"同一来电人 same caller", strings.Join(cats, "、"), "", short(c.PhoneKey), c.N, "", "", strings.Join(c.IDs, " ")})
	}
	for _, g := range rep.Reopened {
		rp.rows = append(rp.rows, []any{"不满意后重办 reopened", nm(g.Category), nm(UnitKey(g.Unit)), "", g.N, "", "", strings.Join(g.IDs, " ")})
	}
	sheets = append(sheets, rp)

	for i, sh := range sheets {
		if i == 0 {
			if err := x.SetSheetName("Sheet1", sh.name); err != nil {
				return err
			}
		} else if _, err := x.NewSheet(sh.name); err != nil {
			return err
		}
		sw, err := x.NewStreamWriter(sh.name)
		if err != nil {
			return err
		}
		head := make([]any, len(sh.header))
		for j, h := range sh.header {
			head[j] = h
		}
		if err := sw.SetRow("A1", head); err != nil {
			return err
		}
		for r, row := range sh.rows {
			for j, v := range row {
				if s, ok := v.(string); ok {
					row[j] = csvsafe.Cell(s)
				}
			}
			cell, _ := excelize.CoordinatesToCellName(1, r+2)
			if err := sw.SetRow(cell, row); err != nil {
				return err
			}
		}
		if err := sw.Flush(); err != nil {
			return err
		}
	}
	_, err := x.WriteTo(w)
	return err
}

// num is a finite number or an empty cell.
func num(f float64) any {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return nil
	}
	return f
}

// short is the first 12 characters of a keyed hash: enough to tell the
// rows apart, and nothing to look a phone up by.
func short(h string) string {
	if len(h) > 12 {
		return h[:12]
	}
	return h
}
