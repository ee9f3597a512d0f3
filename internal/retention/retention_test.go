package retention_test

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"whistle/internal/assessment"
	"whistle/internal/auth"
	"whistle/internal/calendar"
	"whistle/internal/casework"
	"whistle/internal/compound"
	"whistle/internal/core"
	"whistle/internal/deliberation"
	"whistle/internal/demo"
	"whistle/internal/lifecycle"
	"whistle/internal/org"
	"whistle/internal/pgtest"
	"whistle/internal/ranking"
	"whistle/internal/retention"
	"whistle/internal/seed"
	"whistle/internal/services"
	"whistle/internal/store"
	"whistle/internal/summons"
	"whistle/internal/volunteering"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time  { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Set(t time.Time) { c.mu.Lock(); c.t = t; c.mu.Unlock() }

func eachStore(t *testing.T, fn func(t *testing.T, dsn string)) {
	t.Run("sqlite", func(t *testing.T) { fn(t, filepath.Join(t.TempDir(), "w.db")) })
	t.Run("postgres", func(t *testing.T) { fn(t, pgtest.NewDatabase(t)) })
}

type world struct {
	t          *testing.T
	ctx        context.Context
	svc        *services.Services
	st         *store.Store
	clk        *clock
	loc        *time.Location
	dsn        string
	attDir     string
	agent      org.Actor
	dispatcher org.Actor
	street     org.Unit
	streetH    org.Actor
	category   string
	photo      map[int64]int64 // case → its attachment
	exempt     map[int64]int64 // case → its exemption request's photo
}

func openWorld(t *testing.T, dsn string) *world {
	t.Helper()
	ctx := t.Context()
	st, err := store.Open(ctx, dsn, store.Options{SQLiteSync: "normal"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	clk := &clock{t: time.Date(2026, 3, 2, 8, 0, 0, 0, calendar.ChinaStandardTime())}
	dir := t.TempDir()
	svc, err := services.New(ctx, st, core.Config{Now: clk.Now, PhoneKey: []byte("retention-test"), AttachmentDir: dir, ReopenLimit: 2})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := seed.Demo(ctx, svc, demo.Options{Seed: 5, Requests: 60}, auth.FastHasher(), nil); err != nil {
		t.Fatal(err)
	}
	w := &world{t: t, ctx: ctx, svc: svc, st: st, clk: clk, loc: svc.Location(), dsn: dsn, attDir: dir, photo: map[int64]int64{}, exempt: map[int64]int64{}}
	find := func(kind, role string) (org.Unit, org.Actor) {
		for _, u := range svc.UnitsList() {
			if u.Kind != kind {
				continue
			}
			users, err := st.Users(ctx, u.ID)
			if err != nil {
				t.Fatal(err)
			}
			for _, us := range users {
				if us.Has(role) {
					a, err := svc.Actor(us)
					if err != nil {
						t.Fatal(err)
					}
					return u, a
				}
			}
		}
		t.Fatalf("no %s in a %s unit", role, kind)
		return org.Unit{}, org.Actor{}
	}
	_, w.agent = find(org.KindCityCentre, org.RoleAgent)
	_, w.dispatcher = find(org.KindCityCentre, org.RoleDispatcher)
	w.street, w.streetH = find(org.KindStreet, org.RoleHandler)
	for _, c := range svc.Categories() {
		if c.Leaf && c.Active && (c.Urgency == "" || c.Urgency == "general") {
			w.category = c.Code
			break
		}
	}
	return w
}

func (w *world) at(day, hh, mm int) { w.clk.Set(time.Date(2026, 3, day, hh, mm, 0, 0, w.loc)) }

func (w *world) act(a org.Actor, id int64, in casework.ActInput) *lifecycle.Case {
	w.t.Helper()
	c, _, err := w.svc.Cases.Act(w.ctx, a, id, in)
	if err != nil {
		w.t.Fatalf("%s on case %d: %v", in.Action, id, err)
	}
	return c
}

// citizen is one seeded caller whose data must disappear.
type citizen struct{ name, phone, idcard string }

var citizens = []citizen{
	{"王小明", "13912345678", "11010119900307123X"},
	{"李秀英", "15800001111", "110101198001011234"},
	{"赵大海", "18611112222", "110101197512125678"},
}

// play takes a request from a citizen through the whole loop on day d;
// closed reports whether it is closed (else it stays with the street).
func (w *world) play(d int, who citizen, confidential, closed bool) *lifecycle.Case {
	w.t.Helper()
	w.at(d, 8, 30)
	att, err := w.svc.Cases.Upload(w.ctx, w.agent, "photo.png", pngOf("photo"+who.phone))
	if err != nil {
		w.t.Fatal(err)
	}
	c, _, err := w.svc.Cases.Create(w.ctx, w.agent, casework.NewCase{Channel: "phone", Type: "complaint", Category: w.category,
		Title:       who.name + "反映路灯不亮",
		Description: fmt.Sprintf("市民%s（%s女士/先生）来电，电话%s，备用 %s-%s-%s，身份证%s，座机010-65123456，邮箱 %s@example.com。", who.name, string([]rune(who.name)[:1]), who.phone, who.phone[:3], who.phone[3:7], who.phone[7:], who.idcard, "caller"),
		Address:     "东华门大街" + who.phone[7:] + "号" + who.name + "家门口",
		CitizenName: who.name, CitizenPhone: who.phone, Confidential: confidential,
		PlaceID: w.street.PlaceID, Attachments: []int64{att.ID}}, "idem-"+who.phone)
	if err != nil {
		w.t.Fatal(err)
	}
	w.photo[c.ID] = att.ID
	w.at(d, 9, 0)
	w.act(w.dispatcher, c.ID, casework.ActInput{Action: lifecycle.ActDispatch, UnitID: w.street.ID})
	w.at(d, 9, 30)
	w.act(w.streetH, c.ID, casework.ActInput{Action: lifecycle.ActSign})
	w.at(d, 10, 0)
	w.act(w.streetH, c.ID, casework.ActInput{Action: lifecycle.ActContact, Means: "phone", Note: "已致电" + who.phone + "联系" + string([]rune(who.name)[:1]) + "先生"})
	// The street asks for an exemption quoting the caller, with a photo.
	ex, err := w.svc.Cases.Upload(w.ctx, w.streetH, "exempt.png", pngOf("exempt"+who.phone))
	if err != nil {
		w.t.Fatal(err)
	}
	err = w.st.Write(w.ctx, func(tx *store.Tx) error {
		return tx.InsertExemption(w.ctx, &assessment.Exemption{CaseID: c.ID, UnitID: w.street.ID, RequestedBy: w.streetH.User.ID, RequestedAt: w.clk.Now(),
			Reason: who.name + "（" + who.phone + "）要求的事项不属本街道", Evidence: "见" + who.idcard + "的证明，邮箱 caller@example.com", Attachments: []int64{ex.ID}})
	})
	if err != nil {
		w.t.Fatal(err)
	}
	w.exempt[c.ID] = ex.ID
	if !closed {
		return c
	}
	w.at(d+1, 10, 0)
	w.act(w.streetH, c.ID, casework.ActInput{Action: lifecycle.ActReply, Result: lifecycle.ResultResolved, Note: "已修复，告知" + who.name + "（" + who.phone + "）"})
	w.at(d+1, 15, 0)
	yes := true
	return w.act(w.agent, c.ID, casework.ActInput{Action: lifecycle.ActCallback, Resolved: &yes, Satisfaction: lifecycle.Satisfied, Note: "回访" + who.name + "满意"})
}

// rows returns every row of the tables that hold a case's data, as text.
func (w *world) rows(caseID int64) string {
	w.t.Helper()
	driver, mark := "sqlite", "?"
	if store.IsPostgres(w.dsn) {
		driver, mark = "pgx", "$1"
	}
	db, err := sql.Open(driver, w.dsn)
	if err != nil {
		w.t.Fatal(err)
	}
	defer db.Close()
	var b strings.Builder
	for _, q := range []string{"SELECT * FROM cases WHERE id = " + mark, "SELECT * FROM events WHERE case_id = " + mark,
		"SELECT * FROM attachments WHERE case_id = " + mark, "SELECT * FROM timers WHERE case_id = " + mark,
		"SELECT * FROM case_flags WHERE case_id = " + mark, "SELECT * FROM assess_orders WHERE case_id = " + mark,
		"SELECT * FROM assess_callbacks WHERE case_id = " + mark, "SELECT * FROM assess_exemptions WHERE case_id = " + mark,
		"SELECT * FROM idempotency WHERE case_id = " + mark,
		"SELECT * FROM whistles WHERE case_ids = " + castText(w.dsn, mark),
		"SELECT r.* FROM whistle_reports r JOIN whistles x ON x.id = r.whistle_id WHERE x.case_ids = " + castText(w.dsn, mark),
		"SELECT l.* FROM whistle_log l JOIN whistles x ON x.id = l.whistle_id WHERE x.case_ids = " + castText(w.dsn, mark)} {
		rs, err := db.QueryContext(w.ctx, q, caseID)
		if err != nil {
			w.t.Fatal(err)
		}
		cols, _ := rs.Columns()
		for rs.Next() {
			vals := make([]any, len(cols))
			ptrs := make([]any, len(cols))
			for i := range vals {
				ptrs[i] = &vals[i]
			}
			if err := rs.Scan(ptrs...); err != nil {
				w.t.Fatal(err)
			}
			for i, v := range vals {
				if bs, ok := v.([]byte); ok {
					v = string(bs)
				}
				fmt.Fprintf(&b, "%s=%v\t", cols[i], v)
			}
			b.WriteString("\n")
		}
		rs.Close()
	}
	return b.String()
}

// pngOf is a small PNG whose pixels spell seed (uploads are decoded and
// re-encoded, so distinct seeds make distinct files).
func pngOf(seed string) []byte {
	img := image.NewRGBA(image.Rect(0, 0, 16, 16))
	for i := 0; i < len(seed) && i < 256; i++ {
		img.Set(i%16, i/16, color.RGBA{seed[i], byte(i), 255 - seed[i], 255})
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		panic(err)
	}
	return b.Bytes()
}

// castText compares a text column with an integer parameter.
func castText(dsn, mark string) string {
	return "CAST(CAST(" + mark + " AS BIGINT) AS TEXT)"
}

// whistle raises and closes, on the clock's day, a whistle for the case
// quoting its caller in every free text.
// With no case it is the street's own whistle (source own).
func (w *world) whistle(c *lifecycle.Case, who citizen) int64 {
	w.t.Helper()
	raise := summons.Raise{Source: summons.SourceOwn}
	if c != nil {
		raise = summons.Raise{Source: summons.SourceCases, CaseIDs: []int64{c.ID}}
	}
	units := w.svc.UnitsList()
	var dept int64
	for _, u := range units {
		if u.Kind == org.KindDepartment {
			dept = u.ID
			break
		}
	}
	now := w.clk.Now()
	raise.Address, raise.Need, raise.UnitIDs = "东华门大街"+who.phone[7:]+"号"+who.name+"家门口", "市民"+who.name+"（"+who.phone+"）反映，请到场", []int64{dept}
	wh, err := summons.New(raise, w.street.ID, w.streetH.User.ID, now, summons.DefaultConfig())
	if err != nil {
		w.t.Fatal(err)
	}
	err = w.st.Write(w.ctx, func(tx *store.Tx) error {
		if err := tx.InsertWhistle(w.ctx, &wh); err != nil {
			return err
		}
		if err := tx.AppendWhistleLog(w.ctx, &summons.LogEntry{WhistleID: wh.ID, UnitID: w.street.ID, Action: "raise", ActorUserID: w.streetH.User.ID, At: now, Note: wh.Need}); err != nil {
			return err
		}
		prev := wh.Version
		wh.Version++
		wh.State, wh.ClosedAt, wh.ClosedBy, wh.Summary = summons.Closed, now.Add(time.Hour), w.streetH.User.ID, "已告知"+who.name+"，电话"+who.phone
		wh.Reports[0].ArrivedPlace, wh.Reports[0].Report = who.name+"家门口", "与"+string([]rune(who.name)[:1])+"先生当面沟通"
		wh.Reports[0].Rated, wh.Reports[0].RatingNote = true, "联系了"+who.phone
		return tx.UpdateWhistle(w.ctx, &wh, prev)
	})
	if err != nil {
		w.t.Fatal(err)
	}
	return wh.ID
}

var regexp1 = regexp.MustCompile(`1[3-9]\d{9}`)

var mobile = regexp.MustCompile(`(?:^|\D)1[3-9]\d{9}(?:\D|$)`)

// personal lists what must not remain of a citizen.
func personal(who citizen) []string {
	return []string{who.name, who.phone, who.idcard, who.phone[3:7] + "-" + who.phone[7:], string([]rune(who.name)[:1]) + "先生",
		"65123456", "caller@example.com", "东华门大街", "家门口"}
}

type figures struct {
	Ranking ranking.Ranking
	Month   store.MonthCounts
	Feb     ranking.Ranking
	Stats   map[string]int64
}

func (w *world) figures() string {
	w.t.Helper()
	var f figures
	for _, m := range []string{"2026-03", "2025-12"} {
		p, err := w.svc.Ranking.AssessMonthPeriod(m)
		if err != nil {
			w.t.Fatal(err)
		}
		r, err := w.svc.Ranking.Assess(w.ctx, w.dispatcher, p, ranking.AssessOptions{})
		if err != nil {
			w.t.Fatal(err)
		}
		if m == "2026-03" {
			f.Ranking = r
		} else {
			f.Feb = r
		}
	}
	var err error
	f.Month, err = w.st.MonthFigures(w.ctx, time.Date(2025, 1, 1, 0, 0, 0, 0, w.loc), time.Date(2026, 4, 1, 0, 0, 0, 0, w.loc))
	if err != nil {
		w.t.Fatal(err)
	}
	f.Stats, err = w.st.CountByState(w.ctx)
	if err != nil {
		w.t.Fatal(err)
	}
	b, _ := json.Marshal(f)
	return string(b)
}

// TestRetentionAnonymises plays requests whose every free-text field
// carries the caller's name, phone and ID number, closes them, and runs
// retention past the period: the anonymised cases keep no trace of the
// citizen in any of their rows (case, events, attachments and their files),
// the analytics (the months' 三率 ranking, the monthly figures, counts by
// state) are the same as before, open cases are untouched, one audit entry
// is written per batch, and a second run does nothing.
func TestRetentionAnonymises(t *testing.T) {
	eachStore(t, func(t *testing.T, dsn string) {
		w := openWorld(t, dsn)
		var closed []*lifecycle.Case
		for i, who := range citizens {
			closed = append(closed, w.play(3+2*i, who, i == 2, true))
		}
		for i, c := range closed {
			w.whistle(c, citizens[i])
		}
		// The street's own whistles quoting a caller: one closed with the
		// cases (due), one closed later (not due).
		ownDue := w.whistle(nil, citizen{"周大福", "13311112222", ""})
		open := w.play(10, citizen{"孙悟空", "13700009999", "110101199912319999"}, false, false)
		ownLater := w.whistle(nil, citizen{"周大福", "13322223333", ""})
		for i, c := range closed {
			// The citizen's columns and the case's text are sealed at rest;
			// the staff's notes on events still carry the name and number.
			if rows := w.rows(c.ID); !strings.Contains(rows, citizens[i].name) || !strings.Contains(rows, citizens[i].phone) {
				t.Fatalf("the test's seeded data is not in the rows of case %d:\n%s", c.ID, rows)
			}
			if got, err := w.svc.Core.St.Case(w.ctx, c.ID, org.Scope{All: true}); err != nil || !strings.Contains(got.Location.Address, "东华门大街") {
				t.Fatalf("case %d as the store reads it: %v, %v", c.ID, got, err)
			}
		}
		before := w.figures()
		files, _ := filepath.Glob(filepath.Join(w.attDir, "*", "*"))
		if len(files) != 8 {
			t.Fatalf("attachment files %v, want 8 (a photo and an exemption's photo per case)", files)
		}

		svc := retention.New(w.svc.Core, 1095)
		// A day short of the period: nothing of ours is due.
		lastClose := closed[len(closed)-1].ClosedAt
		early := lastClose.AddDate(0, 0, 1095)
		rep, err := svc.Run(w.ctx, early, 2)
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range closed[:len(closed)-1] {
			if at, _ := w.st.AnonymisedAt(w.ctx, c.ID); at.IsZero() {
				t.Errorf("case %d closed before the cut-off %v not anonymised (%+v)", c.ID, rep.Cutoff, rep)
			}
		}
		if at, _ := w.st.AnonymisedAt(w.ctx, closed[len(closed)-1].ID); !at.IsZero() {
			t.Errorf("case closed exactly at the cut-off anonymised: %+v", rep)
		}

		now := lastClose.AddDate(0, 0, 1096)
		w.clk.Set(now)
		dry, err := svc.DryRun(w.ctx, now)
		if err != nil || dry.Due < 1 || dry.Anonymised != 0 {
			t.Fatalf("dry run %+v, %v", dry, err)
		}
		auditBefore, _ := w.st.AuditLog(w.ctx, 0, 1000)
		rep, err = svc.Run(w.ctx, now, 2)
		if err != nil {
			t.Fatal(err)
		}
		if rep.Anonymised != dry.Due || rep.Batches != (dry.Due+1)/2 {
			t.Errorf("run %+v after dry run %+v: want every due case, two per batch", rep, dry)
		}
		auditAfter, _ := w.st.AuditLog(w.ctx, 0, 1000)
		var entries, whistleEntries int
		for _, e := range auditAfter[:len(auditAfter)-len(auditBefore)] {
			if e.Action != "retention_anonymise" || !strings.Contains(e.Detail, `"count"`) || !strings.Contains(e.Detail, `"cutoff"`) {
				t.Errorf("audit entry %+v", e)
			}
			if e.Target == "whistles" {
				whistleEntries++
			} else {
				entries++
			}
		}
		if entries != rep.Batches || whistleEntries != (rep.Whistles+1)/2 {
			t.Errorf("%d audit entries for %d batches, %d for %d whistles", entries, rep.Batches, whistleEntries, rep.Whistles)
		}
		t.Logf("run %+v", rep)
		if rep.Whistles < 1 || rep.Exemptions != rep.Anonymised || rep.Keys != rep.Anonymised {
			t.Errorf("run %+v: want the whistles, an exemption and a key per case", rep)
		}
		for _, e := range auditAfter {
			for _, who := range citizens {
				if strings.Contains(e.Detail, who.phone) || strings.Contains(e.Detail, who.name) {
					t.Errorf("audit entry %d holds personal data: %s", e.ID, e.Detail)
				}
			}
		}
		if v, err := w.st.VerifyAudit(w.ctx, 0); err != nil || v.Break != nil {
			t.Errorf("audit chain after retention: %+v, %v", v, err)
		}

		for i, c := range closed {
			rows := w.rows(c.ID)
			for _, p := range personal(citizens[i]) {
				if strings.Contains(rows, p) {
					t.Errorf("case %d still holds %q:\n%s", c.ID, p, rows)
				}
			}
			if m := mobile.FindString(rows); m != "" {
				t.Errorf("case %d still holds a mobile number %s", c.ID, m)
			}
			got, err := w.st.Case(w.ctx, c.ID, org.Scope{All: true})
			if err != nil {
				t.Fatal(err)
			}
			if got.Citizen.Name != "" || got.Citizen.Phone != "" || got.Citizen.PhoneHash != "" {
				t.Errorf("citizen %+v", got.Citizen)
			}
			if got.Category != c.Category || got.State != lifecycle.Closed || got.Location.StreetID != c.Location.StreetID ||
				!got.ClosedAt.Equal(c.ClosedAt) || got.Satisfaction != c.Satisfaction || got.Citizen.Confidential != c.Citizen.Confidential {
				t.Errorf("analytics fields changed:\n%+v\n%+v", got, c)
			}
			if got.Location.Address == "" || !strings.Contains(got.Description, retention.Redacted) {
				t.Errorf("address %q, description %q", got.Location.Address, got.Description)
			}
			if _, _, err := w.st.GetAttachment(w.ctx, w.photo[c.ID]); err == nil {
				t.Errorf("case %d's attachment still there", c.ID)
			}
			if _, _, err := w.st.GetAttachment(w.ctx, w.exempt[c.ID]); err == nil {
				t.Errorf("case %d's exemption photo still there", c.ID)
			}
		}
		if files, _ := filepath.Glob(filepath.Join(w.attDir, "*", "*")); len(files) != 2 {
			t.Errorf("attachment files left %v, want only the open case's two", files)
		}
		if rows := w.rows(open.ID); !strings.Contains(rows, "孙悟空") || !strings.Contains(rows, "13700009999") {
			t.Error("the open case lost its personal data")
		}
		if at, _ := w.st.AnonymisedAt(w.ctx, open.ID); !at.IsZero() {
			t.Error("open case marked anonymised")
		}
		if after := w.figures(); after != before {
			t.Errorf("analytics changed by anonymisation:\nbefore %s\nafter  %s", before, after)
		}

		for id, due := range map[int64]bool{ownDue: true, ownLater: false} {
			x, err := w.st.Whistle(w.ctx, id)
			if err != nil {
				t.Fatal(err)
			}
			redacted := !strings.Contains(x.Need, "1331111") && !strings.Contains(x.Need, "1332222") && !strings.Contains(x.Summary, "1331111") &&
				!strings.Contains(x.Summary, "1332222") && x.Address == "" && !strings.Contains(x.Reports[0].RatingNote, "133")
			if redacted != due {
				t.Errorf("own whistle %d (due %v): need %q, summary %q, address %q, rating note %q", id, due, x.Need, x.Summary, x.Address, x.Reports[0].RatingNote)
			}
		}
		again, err := svc.Run(w.ctx, now.Add(time.Hour), 2)
		if err != nil || again.Anonymised != 0 || again.Due != 0 {
			t.Errorf("second run %+v, %v: want nothing to do", again, err)
		}
		if n, _ := w.st.AuditLog(w.ctx, 0, 1000); len(n) != len(auditAfter) {
			t.Errorf("second run wrote %d audit entries", len(n)-len(auditAfter))
		}
		if off, err := retention.New(w.svc.Core, 0).Run(w.ctx, now.AddDate(10, 0, 0), 2); err != nil || !off.Disabled || off.Anonymised != 0 {
			t.Errorf("disabled retention ran: %+v, %v", off, err)
		}
	})
}

// TestRetentionAnonymisesPropertyRatings: residents' property ratings
// given before the cut-off lose the rater's phone hash (each becomes a
// hash of its own, so the one-a-quarter key holds and two ratings by one
// phone can no longer be linked) and the phone numbers in their comments;
// score, compound, unit and quarter stay for the rankings; later ratings
// are untouched, a second run changes nothing, one audit entry a batch.
func TestRetentionAnonymisesPropertyRatings(t *testing.T) {
	eachStore(t, func(t *testing.T, dsn string) {
		w := openWorld(t, dsn)
		old := time.Date(2022, 3, 1, 9, 0, 0, 0, time.UTC)
		recent := old.AddDate(3, 0, 10)
		ratings := []*compound.Rating{
			{CompoundID: 1, UnitID: 5, Score: 2, Comment: "保洁差，联系我 13912345678", PhoneHash: "ph-a", Quarter: "2022-Q1", CreatedAt: old},
			{CompoundID: 2, UnitID: 5, Score: 4, Comment: "", PhoneHash: "ph-a", Quarter: "2022-Q1", CreatedAt: old.Add(time.Hour)},
			{CompoundID: 1, UnitID: 5, Score: 3, Comment: "电梯常坏", PhoneHash: "ph-b", Quarter: "2022-Q1", CreatedAt: old.Add(2 * time.Hour)},
			{CompoundID: 1, UnitID: 5, Score: 5, Comment: "很好 13800001111", PhoneHash: "ph-a", Quarter: "2025-Q1", CreatedAt: recent},
		}
		if err := w.st.Write(w.ctx, func(tx *store.Tx) error {
			for _, r := range ratings {
				if err := tx.InsertPropertyRating(w.ctx, r); err != nil {
					return err
				}
			}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		svc := retention.New(w.svc.Core, 1095)
		now := recent.AddDate(0, 0, 1)
		rep, err := svc.Run(w.ctx, now, 2)
		if err != nil || rep.Ratings != 3 {
			t.Fatalf("run %+v %v: want the three ratings before the cut-off", rep, err)
		}
		got := map[int64][3]string{}
		driver := "sqlite"
		if store.IsPostgres(w.dsn) {
			driver = "pgx"
		}
		db, err := sql.Open(driver, w.dsn)
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		rows, err := db.Query("SELECT id, phone_hash, comment, score FROM property_ratings")
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var id int64
			var hash, comment, score string
			if err := rows.Scan(&id, &hash, &comment, &score); err != nil {
				t.Fatal(err)
			}
			got[id] = [3]string{hash, comment, score}
		}
		rows.Close()
		for i, r := range ratings {
			g := got[r.ID]
			if g[2] != fmt.Sprint(r.Score) {
				t.Errorf("rating %d: score %s, want %d", i, g[2], r.Score)
			}
			if i < 3 {
				if g[0] != fmt.Sprintf("anon:%d", r.ID) || strings.Contains(g[1], "13912345678") {
					t.Errorf("rating %d before the cut-off kept %q / %q", i, g[0], g[1])
				}
			} else if g[0] != "ph-a" || g[1] != r.Comment {
				t.Errorf("the recent rating changed: %q / %q", g[0], g[1])
			}
		}
		if got[ratings[2].ID][1] != "电梯常坏" {
			t.Errorf("a comment without personal data changed: %q", got[ratings[2].ID][1])
		}
		if rep, err := svc.Run(w.ctx, now, 2); err != nil || rep.Ratings != 0 {
			t.Errorf("second run %+v %v", rep, err)
		}
	})
}

// Volunteers who left or were refused, and deliberations that ended, keep
// their personal data only for the retention period (issue #15's records
// had no rule of their own).
func TestRetentionErasesDepartedVolunteersAndEndedDeliberations(t *testing.T) {
	eachStore(t, func(t *testing.T, dsn string) {
		w := openWorld(t, dsn)
		old := time.Date(2022, 3, 1, 9, 0, 0, 0, time.UTC)
		recent := old.AddDate(3, 0, 10)
		now := recent.AddDate(0, 0, 1)
		var unit int64 // a community: the demo's own records there are recent, so not due
		for _, u := range w.svc.UnitsList() {
			if u.Kind == org.KindCommunity {
				unit = u.ID
				break
			}
		}
		account := org.User{Username: "vol-left-2022", DisplayName: "李志愿", UnitID: unit, Roles: []string{org.RoleVolunteer}, Disabled: true}
		vols := []*volunteering.Volunteer{
			{UnitID: unit, Name: "李志愿", Phone: "13911112222", Duty: volunteering.DutyVolunteer, State: volunteering.Left, CreatedAt: old, ApprovedAt: old, LeftAt: old.Add(time.Hour)},
			{UnitID: unit, Name: "赵拒绝", Phone: "13933334444", Duty: volunteering.DutyVolunteer, State: volunteering.Rejected, CreatedAt: old, ApprovedAt: old},
			{UnitID: unit, Name: "钱近退", Phone: "13977778888", Duty: volunteering.DutyVolunteer, State: volunteering.Left, CreatedAt: old, ApprovedAt: old, LeftAt: recent},
			{UnitID: unit, Name: "孙在册", Phone: "13900001111", Duty: volunteering.DutyVolunteer, State: volunteering.Active, CreatedAt: old, ApprovedAt: old},
		}
		meeting := func() *deliberation.Meeting {
			return &deliberation.Meeting{At: old, Venue: "社区活动室", Minutes: "周提议发言，留电话13955556666。",
				Participants: []deliberation.Participant{{Kind: deliberation.PartResident, Name: "吴居民"}, {Kind: deliberation.PartDeputy, Name: "郑代表"}}}
		}
		item := func(state string, at time.Time) *deliberation.Item {
			return &deliberation.Item{Title: "加装电梯", Summary: "周提议：楼里老人多，联系13955556666", State: state, Source: deliberation.FromResident,
				UnitID: unit, PlaceID: 1, Proposer: deliberation.Proposer{Name: "周提议", Phone: "13955556666"}, Meeting: meeting(),
				Decision:  &deliberation.Decision{Motion: "同意周提议的方案", Votes: deliberation.Votes{For: 9, Against: 1}, Adopted: true, At: at},
				CreatedAt: old, UpdatedAt: at, Version: 1}
		}
		items := []*deliberation.Item{item(deliberation.Closed, old), item(deliberation.Declined, old.Add(time.Minute)), item(deliberation.Decided, old), item(deliberation.Closed, recent)}
		if err := w.st.Write(w.ctx, func(tx *store.Tx) error {
			if err := tx.InsertUser(w.ctx, &account, "", old); err != nil {
				return err
			}
			vols[0].UserID = account.ID
			for _, v := range vols {
				if err := tx.InsertVolunteer(w.ctx, v); err != nil {
					return err
				}
				if err := tx.UpdateVolunteer(w.ctx, *v); err != nil { // left_at
					return err
				}
			}
			for _, it := range items {
				if err := tx.InsertDeliberation(w.ctx, it, "hash-of-the-phone"); err != nil {
					return err
				}
			}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		svc := retention.New(w.svc.Core, 1095)
		rep, err := svc.Run(w.ctx, now, 1)
		if err != nil || rep.Volunteers != 2 || rep.Deliberations != 2 {
			t.Fatalf("run %+v %v: want 2 volunteers (left and refused before the cut-off) and 2 ended items", rep, err)
		}
		for i, v := range vols {
			got, err := w.st.Volunteer(w.ctx, v.ID)
			if err != nil {
				t.Fatal(err)
			}
			erased := i < 2
			if volunteering.Erased(got) != erased || (!erased && (got.Name != v.Name || got.Phone != v.Phone)) {
				t.Errorf("volunteer %d (%s): name %q phone %q, erased want %v", i, v.State, got.Name, got.Phone, erased)
			}
			if got.State != v.State || !got.LeftAt.Equal(v.LeftAt) {
				t.Errorf("volunteer %d: state %s left %v changed", i, got.State, got.LeftAt)
			}
		}
		if u, err := w.st.User(w.ctx, account.ID); err != nil || u.DisplayName == "李志愿" || !u.Disabled {
			t.Errorf("the departed volunteer's account: %+v %v", u, err)
		}
		for i, it := range items {
			got, err := w.st.Deliberation(w.ctx, it.ID)
			if err != nil {
				t.Fatal(err)
			}
			text := got.Title + got.Summary + got.Meeting.Minutes + got.Decision.Motion + got.Proposer.Name + got.Proposer.Phone
			for _, p := range got.Meeting.Participants {
				text += p.Name
			}
			ended := i < 2
			for _, s := range []string{"周提议", "13955556666", "吴居民"} {
				if strings.Contains(text, s) == ended {
					t.Errorf("item %d (%s, ended before the cut-off %v): %q in %q", i, it.State, ended, s, text)
				}
			}
			if got.State != it.State || got.Decision.Votes.For != 9 || !strings.Contains(text, "郑代表") || !strings.Contains(got.Title, "加装电梯") {
				t.Errorf("item %d: what is not personal changed: %+v", i, got)
			}
			if hash := rawString(t, w.dsn, "SELECT phone_hash FROM deliberations WHERE id = ?", it.ID); (hash == "") != ended {
				t.Errorf("item %d: phone hash %q", i, hash)
			}
		}
		if rep, err := svc.Run(w.ctx, now, 1); err != nil || rep.Volunteers != 0 || rep.Deliberations != 0 {
			t.Errorf("second run %+v %v", rep, err)
		}
	})
}

// rawString reads one text value with a connection of its own (outside the
// store, so nothing is opened or masked on the way).
func rawString(t *testing.T, dsn, query string, arg any) string {
	t.Helper()
	driver := "sqlite"
	if store.IsPostgres(dsn) {
		driver, query = "pgx", strings.ReplaceAll(query, "?", "$1")
	}
	db, err := sql.Open(driver, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var v string
	if err := db.QueryRow(query, arg).Scan(&v); err != nil {
		t.Fatal(err)
	}
	return v
}
