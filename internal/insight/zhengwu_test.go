package insight

import (
	"bufio"
	"math"
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"whistle/internal/shareddata"
)

var placeRe = regexp.MustCompile(`[A-Z][0-9]{1,2}[区县市]`)

// loadZhengwu reads the message board (../shared/data/zhengwu/messages.tsv):
// one request per message, its place the first anonymised district or
// county named (A3区, K4县), its "caller" the board's user id, no category
// (the board publishes none for these messages).
func loadZhengwu(t *testing.T) Input {
	f, err := os.Open(shareddata.Data(t, "zhengwu", "messages.tsv"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<22)
	var in Input
	cells := map[[2]string]*Cell{}
	var order [][2]string
	for line := 0; sc.Scan(); line++ {
		col := strings.Split(sc.Text(), "\t")
		if line == 0 || len(col) != 7 {
			continue
		}
		day, ok := boardDay(col[3])
		if !ok {
			continue
		}
		text := col[2] + "。" + col[4]
		place := placeRe.FindString(text)
		in.Reqs = append(in.Reqs, Req{ID: col[0], Day: day, Category: "留言", Grid: place, Text: text, PhoneKey: col[1]})
		k := [2]string{strconv.Itoa(int(day)), place}
		c := cells[k]
		if c == nil {
			c = &Cell{Day: day, Category: "留言", District: place, Grid: place}
			cells[k] = c
			order = append(order, k)
		}
		c.N++
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	for _, k := range order {
		in.Cells = append(in.Cells, *cells[k])
	}
	return in
}

// boardDay reads "2019/2/28 11:25:05" or a spreadsheet serial (days since
// 1899-12-30, as some rows were exported).
func boardDay(s string) (Day, bool) {
	s = strings.TrimSpace(s)
	if v, err := strconv.ParseFloat(s, 64); err == nil {
		base := time.Date(1899, 12, 30, 0, 0, 0, 0, time.UTC)
		return DateDay(base.Year(), base.Month(), base.Day()) + Day(math.Floor(v)), true
	}
	date := strings.Fields(s)
	if len(date) == 0 {
		return 0, false
	}
	ymd := strings.Split(date[0], "/")
	if len(ymd) != 3 {
		ymd = strings.Split(date[0], "-")
	}
	if len(ymd) != 3 {
		return 0, false
	}
	y, e1 := strconv.Atoi(ymd[0])
	m, e2 := strconv.Atoi(ymd[1])
	d, e3 := strconv.Atoi(ymd[2])
	if e1 != nil || e2 != nil || e3 != nil {
		return 0, false
	}
	return DateDay(y, time.Month(m), d), true
}

// TestZhengwu runs the analysis on the real message board, month by month
// over the second half of 2019 (baseline: the three preceding months), and
// logs what it finds. It fails (never skips) without the data when CI is set.
func TestZhengwu(t *testing.T) {
	in := loadZhengwu(t)
	if len(in.Reqs) < 4000 {
		t.Fatalf("only %d messages read", len(in.Reqs))
	}
	for _, m := range []time.Month{time.July, time.August, time.September, time.October, time.November, time.December} {
		from := DateDay(2019, m, 1)
		to := DateDay(2019, m+1, 1) - 1
		r, err := Analyze(in, Options{From: from, To: to, MinTermDocs: 6, DataFrom: DateDay(2019, 1, 1)})
		if err != nil {
			t.Fatal(err)
		}
		if r.Baseline != "recent" {
			t.Errorf("%s: baseline %s", from, r.Baseline)
		}
		var rising []string
		for _, x := range r.Rising {
			if stopTerm(x.Text) {
				t.Errorf("stop term %q rising", x.Text)
			}
			if len(rising) < 12 {
				rising = append(rising, x.Text+"("+strconv.Itoa(x.Base)+"→"+strconv.Itoa(x.Cur)+")")
			}
		}
		t.Logf("%s: %d messages, rising %v", from.String()[:7], flagged(r, "", City, "").Count, rising)
		for _, a := range r.Anomalies {
			if a.Flag && a.Level == District && a.Category == "" {
				t.Logf("  anomaly: %s %d (expected %.1f, q=%.2g)", a.Place, a.Count, a.Expected, a.Q)
			}
		}
		for _, tp := range r.Topics {
			if tp.Emerging {
				t.Logf("  topic %v: %d messages (%d in baseline), places %v, examples %v", tp.Phrases, tp.Cur, tp.Base, tp.Places, tp.Examples)
			}
		}
		// the board's two best-known stories of 2019 (the TipDM problem's
		// hot issues): bundled parking at 伊景园滨河苑 in August, the
		// concrete mixing plant by 丽发新城 in November
		want := map[time.Month]string{time.August: "滨河苑", time.November: "搅拌"}[m]
		found := want == ""
		for _, c := range r.Candidates[:min(3, len(r.Candidates))] {
			found = found || c.Kind == "topic" && strings.Contains(strings.Join(c.Phrases, ""), want)
		}
		if !found {
			t.Errorf("%s: %s not among the first three candidates", from, want)
		}
		for _, c := range r.CallerRepeat[:min(3, len(r.CallerRepeat))] {
			t.Logf("  same user again: %s %d messages %v", c.PhoneKey, c.N, c.IDs[:min(5, len(c.IDs))])
		}
		for _, c := range r.Candidates[:min(3, len(r.Candidates))] {
			if c.WhyZh == "" || c.WhyEn == "" || len(c.Examples) == 0 {
				t.Errorf("candidate without evidence: %+v", c)
			}
			t.Logf("  %s", c.WhyZh)
		}
	}
}
