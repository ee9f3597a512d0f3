package summons

import (
	"testing"
	"time"

	"whistle/internal/errs"
)

var t0 = time.Date(2026, 3, 10, 9, 0, 0, 0, time.UTC)

func TestNew(t *testing.T) {
	cfg := Config{ReportMinutes: map[string]int{KindUrgent: 15}}
	ok := Raise{Source: SourceOwn, Address: "幸福路", Need: "占道", UnitIDs: []int64{5, 6, 5}}
	for _, tc := range []struct {
		name string
		mod  func(*Raise)
		code errs.Code
		by   time.Duration
	}{
		{"ordinary by default, 30 min", func(r *Raise) {}, "", 30 * time.Minute},
		{"urgent configured 15 min", func(r *Raise) { r.Kind = KindUrgent }, "", 15 * time.Minute},
		{"explicit report-by", func(r *Raise) { r.ReportBy = t0.Add(2 * time.Hour) }, "", 2 * time.Hour},
		{"report-by in the past", func(r *Raise) { r.ReportBy = t0 }, errs.DeadlineInPast, 0},
		{"unknown source", func(r *Raise) { r.Source = "rumour" }, errs.Invalid, 0},
		{"cases without ids", func(r *Raise) { r.Source = SourceCases }, errs.FieldRequired, 0},
		{"finding without id", func(r *Raise) { r.Source = SourceFinding }, errs.FieldRequired, 0},
		{"unknown kind", func(r *Raise) { r.Kind = "party" }, errs.Invalid, 0},
		{"no need", func(r *Raise) { r.Need = " " }, errs.FieldRequired, 0},
		{"no place", func(r *Raise) { r.Address = "" }, errs.FieldRequired, 0},
		{"no departments", func(r *Raise) { r.UnitIDs = nil }, errs.FieldRequired, 0},
		{"summoning itself", func(r *Raise) { r.UnitIDs = []int64{1} }, errs.SameUnit, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := ok
			tc.mod(&r)
			w, err := New(r, 1, 9, t0, cfg)
			if tc.code != "" {
				if errs.CodeOf(err) != tc.code {
					t.Fatalf("err %v, want %s", err, tc.code)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !w.ReportBy.Equal(t0.Add(tc.by)) || len(w.Reports) != 2 || w.State != Open {
				t.Fatalf("report by %v, %d reports, state %s", w.ReportBy, len(w.Reports), w.State)
			}
		})
	}
}

func TestDepartmentSteps(t *testing.T) {
	min := func(m int) time.Time { return t0.Add(time.Duration(m) * time.Minute) }
	for _, tc := range []struct {
		name  string
		steps []string // action[@minute]
		code  errs.Code
		state string
		late  bool
	}{
		{"on time", []string{ActAck, ActArrive, ActAct, ActReport}, "", Reported, false},
		{"arrive without ack", []string{ActArrive}, "", Arrived, false},
		{"late", []string{"arrive@45"}, "", Arrived, true},
		{"act before arriving", []string{ActAck, ActAct}, errs.InvalidTransition, "", false},
		{"report before arriving", []string{ActReport}, errs.InvalidTransition, "", false},
		{"ack twice", []string{ActAck, ActAck}, errs.InvalidTransition, "", false},
		{"arrive twice", []string{ActArrive, ActArrive}, errs.InvalidTransition, "", false},
		{"leave while open", []string{ActArrive, ActReport, ActLeave}, errs.InvalidTransition, "", false},
		{"unknown", []string{"dance"}, errs.Invalid, "", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w, err := New(Raise{Source: SourceOwn, Address: "a", Need: "n", UnitIDs: []int64{5}}, 1, 9, t0, DefaultConfig())
			if err != nil {
				t.Fatal(err)
			}
			var last error
			for i, s := range tc.steps {
				at := min(i + 1)
				action := s
				if s == "arrive@45" {
					action, at = ActArrive, min(45)
				}
				last = DeptAct(&w, 5, action, Input{Note: "n", Place: "p"}, at)
				if last != nil {
					break
				}
			}
			if tc.code != "" {
				if errs.CodeOf(last) != tc.code {
					t.Fatalf("err %v, want %s", last, tc.code)
				}
				return
			}
			if last != nil {
				t.Fatal(last)
			}
			r, _ := w.Report(5)
			if r.State != tc.state || r.Late != tc.late {
				t.Fatalf("state %s late %v, want %s %v", r.State, r.Late, tc.state, tc.late)
			}
		})
	}
}

func TestCloseMissedLeave(t *testing.T) {
	w, _ := New(Raise{Source: SourceOwn, Address: "a", Need: "n", UnitIDs: []int64{5, 6}}, 1, 9, t0, DefaultConfig())
	if err := DeptAct(&w, 7, ActAck, Input{}, t0); errs.CodeOf(err) != errs.NotFound {
		t.Errorf("unsummoned unit: %v", err)
	}
	if err := DeptAct(&w, 5, ActArrive, Input{Place: "p"}, t0.Add(10*time.Minute)); err != nil {
		t.Fatal(err)
	}
	due := t0.Add(30 * time.Minute)
	if Missed(&w, 5, due) {
		t.Error("an arrived department was flagged")
	}
	if Missed(&w, 6, due.Add(time.Minute)) {
		t.Error("a timer for another deadline flagged")
	}
	if !Missed(&w, 6, due) || Missed(&w, 6, due) {
		t.Error("the missing department is flagged exactly once")
	}
	for _, tc := range []struct {
		name    string
		in      Input
		code    errs.Code
		wantErr bool
	}{
		{"no summary", Input{Ratings: []Rating{{UnitID: 5, Score: 3, Scale: ScaleStars}, {UnitID: 6, Score: 0}}}, errs.FieldRequired, true},
		{"one unrated", Input{Note: "s", Ratings: []Rating{{UnitID: 5, Score: 3, Scale: ScaleStars}}}, errs.FieldRequired, true},
		{"stars out of range", Input{Note: "s", Ratings: []Rating{{UnitID: 5, Score: 6, Scale: ScaleStars}, {UnitID: 6, Score: 0}}}, errs.Invalid, true},
		{"half a star", Input{Note: "s", Ratings: []Rating{{UnitID: 5, Score: 2.5, Scale: ScaleStars}, {UnitID: 6, Score: 0}}}, errs.Invalid, true},
		{"points out of range", Input{Note: "s", Ratings: []Rating{{UnitID: 5, Score: 101, Scale: ScalePoints}, {UnitID: 6, Score: 0}}}, errs.Invalid, true},
		{"rated twice", Input{Note: "s", Ratings: []Rating{{UnitID: 5, Score: 1, Scale: ScaleStars}, {UnitID: 5, Score: 2, Scale: ScaleStars}}}, errs.Invalid, true},
		{"stranger rated", Input{Note: "s", Ratings: []Rating{{UnitID: 5, Score: 1, Scale: ScaleStars}, {UnitID: 8, Score: 2, Scale: ScaleStars}}}, errs.Invalid, true},
	} {
		c := w
		c.Reports = append([]Report(nil), w.Reports...)
		if err := Close(&c, 9, tc.in, t0.Add(time.Hour)); errs.CodeOf(err) != tc.code {
			t.Errorf("%s: %v, want %s", tc.name, err, tc.code)
		}
	}
	if err := Close(&w, 9, Input{Note: "done", Ratings: []Rating{{UnitID: 5, Score: 4, Scale: ScaleStars}, {UnitID: 6, Score: 30, Scale: ScalePoints}}}, t0.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	r5, _ := w.Report(5)
	r6, _ := w.Report(6)
	if w.State != Closed || r5.Rating != 80 || r6.Rating != 30 || !r5.Rated {
		t.Fatalf("closed %+v", w)
	}
	if err := DeptAct(&w, 5, ActLeave, Input{}, t0.Add(2*time.Hour)); err != nil {
		t.Fatalf("leaving after close: %v", err)
	}
	if err := DeptAct(&w, 5, ActLeave, Input{}, t0.Add(2*time.Hour)); errs.CodeOf(err) != errs.InvalidTransition {
		t.Errorf("leaving twice: %v", err)
	}
	if Missed(&w, 6, due) {
		t.Error("flagged on a closed whistle")
	}
	if err := Close(&w, 9, Input{Note: "again"}, t0); errs.CodeOf(err) != errs.InvalidTransition {
		t.Errorf("closing twice: %v", err)
	}
}

func TestConfig(t *testing.T) {
	if err := DefaultConfig().Validate(); err != nil {
		t.Fatal(err)
	}
	for _, c := range []Config{{ReportMinutes: map[string]int{"party": 10}}, {ReportMinutes: map[string]int{KindUrgent: 0}}, {ReportMinutes: map[string]int{KindUrgent: 20000}}} {
		if c.Validate() == nil {
			t.Errorf("%+v accepted", c)
		}
	}
	if d := (Config{}).Within(KindJoint); d != 30*time.Minute {
		t.Errorf("default %v", d)
	}
}

func TestWhistleIn(t *testing.T) {
	sh := time.FixedZone("CST", 8*3600)
	at := time.UnixMilli(1773200000000).UTC()
	w := Whistle{RaisedAt: at, ReportBy: at, Reports: []Report{{ReportBy: at, ArrivedAt: at}}}
	w.In(sh)
	if w.RaisedAt.Location() != sh || !w.RaisedAt.Equal(at) || w.Reports[0].ArrivedAt.Location() != sh || !w.ClosedAt.IsZero() || !w.Reports[0].AckedAt.IsZero() {
		t.Errorf("whistle in +08:00: %+v", w)
	}
	log := []LogEntry{{At: at}}
	LogIn(log, sh)
	if log[0].At.Location() != sh {
		t.Errorf("log in %v", log[0].At.Location())
	}
}
