package publish_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/csv"
	"encoding/hex"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"whistle/internal/auth"
	"whistle/internal/calendar"
	"whistle/internal/casework"
	"whistle/internal/core"
	"whistle/internal/demo"
	"whistle/internal/errs"
	"whistle/internal/org"
	"whistle/internal/pgtest"
	"whistle/internal/publish"
	"whistle/internal/retention"
	"whistle/internal/seed"
	"whistle/internal/services"
	"whistle/internal/store"
)

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time  { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Set(t time.Time) { c.mu.Lock(); c.t = t; c.mu.Unlock() }

// TestNextRunAndPeriod: when a schedule is next due, and which period a
// run due then publishes (the month or ISO week before), in Shanghai time.
func TestNextRunAndPeriod(t *testing.T) {
	loc := calendar.ChinaStandardTime()
	at := func(y int, m time.Month, d, h, min int) time.Time { return time.Date(y, m, d, h, min, 0, 0, loc) }
	tests := []struct {
		period   string
		day      int
		now      time.Time
		next     time.Time
		label    string
		from, to time.Time
	}{
		{publish.Monthly, 1, at(2026, 3, 1, 0, 30), at(2026, 3, 1, 1, 0), "2026-02", at(2026, 2, 1, 0, 0), at(2026, 3, 1, 0, 0)},
		{publish.Monthly, 1, at(2026, 3, 1, 1, 0), at(2026, 4, 1, 1, 0), "2026-03", at(2026, 3, 1, 0, 0), at(2026, 4, 1, 0, 0)},
		{publish.Monthly, 5, at(2026, 12, 20, 9, 0), at(2027, 1, 5, 1, 0), "2026-12", at(2026, 12, 1, 0, 0), at(2027, 1, 1, 0, 0)},
		{publish.Monthly, 28, at(2026, 2, 28, 0, 59), at(2026, 2, 28, 1, 0), "2026-01", at(2026, 1, 1, 0, 0), at(2026, 2, 1, 0, 0)},
		// 2026-03-04 is a Wednesday; weekly on Monday (1) and Sunday (7).
		{publish.Weekly, 1, at(2026, 3, 4, 12, 0), at(2026, 3, 9, 1, 0), "2026-W10", at(2026, 3, 2, 0, 0), at(2026, 3, 9, 0, 0)},
		{publish.Weekly, 3, at(2026, 3, 4, 0, 10), at(2026, 3, 4, 1, 0), "2026-W09", at(2026, 2, 23, 0, 0), at(2026, 3, 2, 0, 0)},
		{publish.Weekly, 7, at(2026, 3, 4, 12, 0), at(2026, 3, 8, 1, 0), "2026-W09", at(2026, 2, 23, 0, 0), at(2026, 3, 2, 0, 0)},
		{publish.Weekly, 1, at(2026, 12, 30, 12, 0), at(2027, 1, 4, 1, 0), "2026-W53", at(2026, 12, 28, 0, 0), at(2027, 1, 4, 0, 0)},
	}
	for _, tt := range tests {
		next := publish.NextRun(tt.period, tt.day, tt.now, loc)
		if !next.Equal(tt.next) {
			t.Errorf("%s day %d after %v: next %v, want %v", tt.period, tt.day, tt.now, next, tt.next)
		}
		label, from, to := publish.PeriodBefore(tt.period, next, loc)
		if label != tt.label || !from.Equal(tt.from) || !to.Equal(tt.to) {
			t.Errorf("%s due %v: period %s [%v, %v), want %s [%v, %v)", tt.period, next, label, from, to, tt.label, tt.from, tt.to)
		}
	}
}

// pubWorld is a demo city on one database with two nodes' services (two
// stores on PostgreSQL, one store shared on SQLite) over one clock and
// one publication directory.
type pubWorld struct {
	nodes []*services.Services
	clk   *clock
	dir   string
	admin org.Actor
	agent org.Actor
}

func openPub(t *testing.T, dsn string) *pubWorld {
	t.Helper()
	ctx := t.Context()
	loc := calendar.ChinaStandardTime()
	w := &pubWorld{clk: &clock{t: time.Date(2026, 2, 20, 9, 0, 0, 0, loc)}, dir: t.TempDir()}
	stores := 1
	if store.IsPostgres(dsn) {
		stores = 2
	}
	var res seed.Result
	for i := range 2 {
		if i < stores {
			st, err := store.Open(ctx, dsn, store.Options{SQLiteSync: "normal"})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { st.Close() })
			svc, err := services.New(ctx, st, core.Config{Now: w.clk.Now, PhoneKey: []byte("publish-test")})
			if err != nil {
				t.Fatal(err)
			}
			w.nodes = append(w.nodes, svc)
		} else {
			svc, err := services.New(ctx, w.nodes[0].St, core.Config{Now: w.clk.Now, PhoneKey: []byte("publish-test")})
			if err != nil {
				t.Fatal(err)
			}
			w.nodes = append(w.nodes, svc)
		}
		if i == 0 {
			var err error
			if res, err = seed.Demo(ctx, w.nodes[0], demo.Options{Seed: 3, Requests: 40}, auth.FastHasher(), nil); err != nil {
				t.Fatal(err)
			}
		}
		w.nodes[i].Publish.Dir = w.dir
	}
	for _, n := range w.nodes[1:] {
		if err := n.Reload(ctx); err != nil {
			t.Fatal(err)
		}
	}
	for _, u := range res.Logins {
		user, _, err := w.nodes[0].St.UserByName(ctx, u.Username)
		if err != nil {
			t.Fatal(err)
		}
		a, err := w.nodes[0].Actor(user)
		if err != nil {
			t.Fatal(err)
		}
		switch {
		case user.Has(org.RoleAdmin) && w.admin.User.ID == 0:
			w.admin = a
		case user.Has(org.RoleAgent) && w.agent.User.ID == 0 && a.Unit.Kind == org.KindCityCentre:
			w.agent = a
		}
	}
	if w.admin.User.ID == 0 || w.agent.User.ID == 0 {
		t.Fatal("no admin or city agent in the demo")
	}
	return w
}

// TestScheduledPublication (SQLite and PostgreSQL): an administrator's
// monthly schedule, due on the 1st at 01:00, is run by two workers polling
// at once exactly once: one CSV, XLSX and JSONL file each of February's
// open data, recorded with period, rows and SHA-256 (both checked against
// the files), holding none of a planted citizen's name, phone, address or
// words; a poll before the due time and polls after the run do nothing;
// the next run is a month later; a category-limited schedule publishes
// only that category; a non-administrator may not keep schedules and bad
// settings are 422.
func TestScheduledPublication(t *testing.T) {
	for _, db := range []struct{ name, dsn string }{{"sqlite", ""}, {"postgres", "pg"}} {
		t.Run(db.name, func(t *testing.T) {
			dsn := filepath.Join(t.TempDir(), "w.db")
			if db.dsn == "pg" {
				dsn = pgtest.NewDatabase(t)
			}
			testScheduledPublication(t, openPub(t, dsn))
		})
	}
}

func testScheduledPublication(t *testing.T, w *pubWorld) {
	ctx := t.Context()
	svc := w.nodes[0]
	loc := svc.Location()
	var cat string
	for code, c := range svc.CategoryMap() {
		if c.Leaf && c.Active && strings.Contains(code, ".") && (cat == "" || code < cat) {
			cat = code
		}
	}
	planted, _, err := svc.Cases.Create(ctx, w.agent, casework.NewCase{Channel: "phone", Type: "complaint", Category: cat,
		Title: "欧阳铁柱反映噪音", Description: "市民欧阳铁柱来电，电话13912345678，住东华门大街88号。",
		Address: "东华门大街88号", CitizenName: "欧阳铁柱", CitizenPhone: "13912345678"}, "")
	if err != nil {
		t.Fatal(err)
	}

	if _, err := svc.Publish.SaveSchedule(ctx, w.agent, 0, publish.ScheduleInput{Name: "x", Period: "monthly", Day: 1, Formats: []string{"csv"}, Dir: "x"}); !errs.Is(err, errs.Forbidden) {
		t.Errorf("an agent saving a schedule: %v", err)
	}
	for _, bad := range []publish.ScheduleInput{
		{Name: "x", Period: "daily", Day: 1, Formats: []string{"csv"}, Dir: "x"},
		{Name: "x", Period: "monthly", Day: 31, Formats: []string{"csv"}, Dir: "x"},
		{Name: "x", Period: "monthly", Day: 1, Formats: []string{"pdf"}, Dir: "x"},
		{Name: "x", Period: "monthly", Day: 1, Formats: []string{"csv"}, Dir: "../etc"},
		{Name: "", Period: "weekly", Day: 1, Formats: []string{"csv"}, Dir: "x"},
	} {
		if _, err := svc.Publish.SaveSchedule(ctx, w.admin, 0, bad); errs.CodeOf(err) != errs.Invalid && errs.CodeOf(err) != errs.FieldRequired {
			t.Errorf("schedule %+v: %v", bad, err)
		}
	}

	w.clk.Set(time.Date(2026, 3, 1, 0, 30, 0, 0, loc))
	all, err := svc.Publish.SaveSchedule(ctx, w.admin, 0, publish.ScheduleInput{Name: "月度开放数据", Period: publish.Monthly, Day: 1,
		Formats: []string{"csv", "xlsx", "jsonl"}, Dir: "monthly", Enabled: true})
	if err != nil {
		t.Fatal(err)
	}
	prefix := strings.SplitN(cat, ".", 2)[0]
	byCat, err := svc.Publish.SaveSchedule(ctx, w.admin, 0, publish.ScheduleInput{Name: "分类", Period: publish.Monthly, Day: 1,
		Formats: []string{"csv"}, Categories: []string{prefix}, Dir: "by-category", Enabled: true})
	if err != nil {
		t.Fatal(err)
	}
	if want := time.Date(2026, 3, 1, 1, 0, 0, 0, loc); !all.NextRun.Equal(want) {
		t.Fatalf("next run %v, want %v", all.NextRun, want)
	}
	if n, err := svc.Publish.RunDue(ctx); n != 0 || err != nil {
		t.Fatalf("a poll before the due time ran %d: %v", n, err)
	}

	w.clk.Set(time.Date(2026, 3, 1, 1, 0, 5, 0, loc))
	var wg sync.WaitGroup
	runs := make([]int, len(w.nodes))
	for i, n := range w.nodes {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var err error
			if runs[i], err = n.Publish.RunDue(ctx); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if runs[0]+runs[1] != 2 {
		t.Fatalf("two due schedules, runs by node %v", runs)
	}
	for _, n := range w.nodes {
		if k, err := n.Publish.RunDue(ctx); k != 0 || err != nil {
			t.Errorf("a poll after the run ran %d: %v", k, err)
		}
	}
	scheds, err := svc.Publish.Schedules(ctx, w.admin)
	if err != nil || len(scheds) != 2 {
		t.Fatalf("schedules %v %v", scheds, err)
	}
	for _, s := range scheds {
		if want := time.Date(2026, 4, 1, 1, 0, 0, 0, loc); !s.NextRun.Equal(want) || s.LastError != "" {
			t.Errorf("schedule %d after its run: next %v, error %q", s.ID, s.NextRun, s.LastError)
		}
	}

	files, err := svc.Publish.Files(ctx)
	if err != nil || len(files) != 4 {
		t.Fatalf("%d files, want 4: %v", len(files), err)
	}
	feb := 0
	err = retention.NewOpenData(svc.Core).Month(ctx, "2026-02", func(retention.OpenCase) error { feb++; return nil })
	if err != nil || feb < 2 {
		t.Fatalf("February has %d requests: %v", feb, err)
	}
	mobile := regexp.MustCompile(`1[3-9]\d{9}`)
	for _, f := range files {
		if f.Period != "2026-02" {
			t.Errorf("%s: period %s", f.Path, f.Period)
		}
		b, err := os.ReadFile(filepath.Join(w.dir, f.Path))
		if err != nil {
			t.Fatal(err)
		}
		if sum := sha256.Sum256(b); hex.EncodeToString(sum[:]) != f.SHA256 || int64(len(b)) != f.Bytes {
			t.Errorf("%s: recorded sha256 %s, %d bytes; file %x, %d bytes", f.Path, f.SHA256, f.Bytes, sum, len(b))
		}
		rec, fh, err := svc.Publish.OpenFile(ctx, f.Path)
		if err != nil || rec.ID != f.ID {
			t.Errorf("open %s: %v", f.Path, err)
		} else {
			fh.Close()
		}
		var rows [][]string
		switch f.Format {
		case "csv":
			rows, err = csv.NewReader(bytes.NewReader(bytes.TrimPrefix(b, []byte("\uFEFF")))).ReadAll()
		case "xlsx":
			var x *excelize.File
			if x, err = excelize.OpenReader(bytes.NewReader(b)); err == nil {
				rows, err = x.GetRows("Sheet1")
				x.Close()
			}
		case "jsonl":
			rows = [][]string{retention.OpenColumns}
			for _, line := range strings.Split(strings.TrimSuffix(string(b), "\n"), "\n") {
				rows = append(rows, []string{line})
			}
		}
		if err != nil {
			t.Fatalf("%s: %v", f.Path, err)
		}
		if !slices.Equal(rows[0], retention.OpenColumns) {
			t.Errorf("%s: header %v", f.Path, rows[0])
		}
		text := ""
		for _, r := range rows {
			text += strings.Join(r, "\t") + "\n"
		}
		if m := mobile.FindString(text); m != "" {
			t.Errorf("%s holds a mobile number %s", f.Path, m)
		}
		for _, s := range []string{"欧阳", "铁柱", "13912345678", "东华门大街", "噪音"} {
			if strings.Contains(text, s) {
				t.Errorf("%s holds %q", f.Path, s)
			}
		}
		if !strings.Contains(text, planted.Number) && f.ScheduleID == all.ID {
			t.Errorf("%s lacks the planted request %s", f.Path, planted.Number)
		}
		if int64(len(rows)-1) != f.Rows {
			t.Errorf("%s: %d rows, recorded %d", f.Path, len(rows)-1, f.Rows)
		}
		switch f.ScheduleID {
		case all.ID:
			if f.Rows != int64(feb) {
				t.Errorf("%s: %d rows, February has %d", f.Path, f.Rows, feb)
			}
		case byCat.ID:
			if f.Rows == 0 || f.Rows >= int64(feb) && len(svc.CategoryMap()) > 2 {
				t.Logf("%s: %d of %d rows in %s", f.Path, f.Rows, feb, prefix)
			}
			for _, r := range rows[1:] {
				if !strings.HasPrefix(r[3], prefix+".") && r[3] != prefix {
					t.Errorf("%s: a row of category %q", f.Path, r[3])
				}
			}
		}
	}
	if _, _, err := svc.Publish.OpenFile(ctx, "../w.db"); !errs.Is(err, errs.NotFound) {
		t.Errorf("an unpublished path: %v", err)
	}
}
