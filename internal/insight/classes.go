package insight

import "slices"

// DayClasses tells which days an analysis with options opt, over data
// starting on dataFrom, treats alike. Analyze reads a cell's day only to
// ask which of its windows hold it (the period, the preceding period, the
// same weeks last year, the baseline and the placebo baseline), so cells
// of the same category, place and unit whose days fall in the same class
// may be summed into one before Analyze without changing its report —
// provided opt.DataFrom is set, since the first day of the cells would
// otherwise be taken for the start of the data.
//
// The function returns the first day of d's class, and false for a day in
// no window (its cells do not count at all). Classes are runs of days
// between window edges: at most eleven.
func DayClasses(opt Options, dataFrom Day) func(d Day) (Day, bool) {
	o := opt.withDefaults()
	w := makeWindows(o, dataFrom)
	ws := []window{w.cur, w.prev, w.ly, w.base, w.pbase}
	var edges []Day
	for _, x := range ws {
		if x.ok() {
			edges = append(edges, x.from, x.to+1)
		}
	}
	slices.Sort(edges)
	edges = slices.Compact(edges)
	return func(d Day) (Day, bool) {
		in := false
		for _, x := range ws {
			if x.has(d) {
				in = true
				break
			}
		}
		if !in {
			return 0, false
		}
		// The last edge at or before d starts d's run (d is in a window,
		// so some window's start is at or before it).
		i, found := slices.BinarySearch(edges, d)
		if !found {
			i--
		}
		return edges[i], true
	}
}
