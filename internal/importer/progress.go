package importer

import (
	"fmt"
	"io"
	"strings"
	"time"
)

// ProgressPrinter returns a Progress callback that draws a bar on a
// terminal (redrawn in place at most five times a second) or, when w is
// not a terminal, prints a plain line every every (10 s if zero) and at
// the end.
func ProgressPrinter(w io.Writer, terminal bool, every time.Duration) func(Progress) {
	if every <= 0 {
		every = 10 * time.Second
	}
	if terminal {
		every = 200 * time.Millisecond
	}
	var last time.Time
	return func(p Progress) {
		now := time.Now()
		if !p.Done && now.Sub(last) < every {
			return
		}
		last = now
		rate := 0.0
		if s := p.Elapsed.Seconds(); s > 0 {
			rate = float64(p.Rows) / s
		}
		pct := ""
		if p.Total > 0 {
			f := float64(p.Bytes) / float64(p.Total)
			if f > 1 {
				f = 1
			}
			pct = fmt.Sprintf("%5.1f%% ", 100*f)
			if terminal {
				const width = 30
				k := int(f * width)
				pct = "[" + strings.Repeat("#", k) + strings.Repeat(".", width-k) + "] " + pct
			}
		}
		line := fmt.Sprintf("%s%d rows (%d imported, %d refused, %d duplicates)  %.0f rows/s  %s",
			pct, p.Rows, p.Imported, p.Refused, p.Duplicates, rate, p.Elapsed.Round(100*time.Millisecond))
		if terminal {
			end := ""
			if p.Done {
				end = "\n"
			}
			fmt.Fprintf(w, "\r%s\x1b[K%s", line, end)
			return
		}
		fmt.Fprintln(w, "import:", line)
	}
}
