package insight

// Analyze runs the whole analysis over one period.
func Analyze(in Input, opt Options) (*Report, error) {
	if opt.To < opt.From {
		return nil, ErrPeriod
	}
	o := opt.withDefaults()
	dataFrom := o.DataFrom
	if dataFrom == 0 && len(in.Cells) == 0 {
		dataFrom = o.From // nothing before the period
	}
	if dataFrom == 0 && len(in.Cells) > 0 {
		dataFrom = in.Cells[0].Day
		for i := range in.Cells {
			dataFrom = min(dataFrom, in.Cells[i].Day)
		}
	}
	w := makeWindows(o, dataFrom)
	cells, tot := aggregate(in.Cells, w)
	rep := &Report{From: o.From, To: o.To, Baseline: w.mode}
	if w.base.ok() {
		rep.BaselinePeriods = int((w.base.to - w.base.from + 1) / (o.To - o.From + 1))
	}
	var ntested int
	rep.Anomalies, rep.Trend, rep.Dispersion, ntested = anomalies(cells, tot, w, o)
	rep.Tested = ntested

	parent := map[string][4]string{}
	for i := range in.Cells {
		c := &in.Cells[i]
		if c.Grid != "" {
			if _, ok := parent[c.Grid]; !ok {
				parent[c.Grid] = [4]string{c.District, c.Street, c.Community, c.Grid}
			}
		}
	}

	termBase := window{o.From - Day(o.TermBaselineDays), o.From - 1}
	counts, curDocs, baseDocs := termStats(in.Reqs, w.cur, termBase, o.MaxTermDocs)
	rep.Rising, rep.Falling = terms(counts, len(curDocs), len(baseDocs), o)
	rep.Topics = topics(in.Reqs, curDocs, baseDocs, rep.Rising, parent, o)
	rep.PlaceRepeats, rep.CallerRepeat, rep.Reopened = repeats(in.Reqs, w.cur, o)
	rep.Units = unitTrends(in.Cells, w, o)
	rep.Hotspots = hotspots(cells, rep.Trend, rep.Dispersion, w.mode, in.Neighbours, o)
	describeHotspots(rep.Hotspots, in.Reqs, curDocs, counts, len(curDocs), parent)
	rep.Candidates = candidates(candInput{anoms: rep.Anomalies, reqs: in.Reqs, cur: w.cur, cells: in.Cells,
		topics: rep.Topics, rising: rep.Rising, places: rep.PlaceRepeats, callers: rep.CallerRepeat,
		parent: parent, names: in.Names, baseline: w.mode}, o)
	return rep, nil
}
