package participation_test

import (
	"bytes"
	"image"
	"image/png"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"whistle/internal/auth"
	"whistle/internal/consult"
	"whistle/internal/core"
	"whistle/internal/demo"
	"whistle/internal/errs"
	"whistle/internal/org"
	"whistle/internal/participation"
	"whistle/internal/pgtest"
	"whistle/internal/seed"
	"whistle/internal/services"
	"whistle/internal/store"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

type world struct {
	svc        *services.Services
	clk        *clock
	streets    []org.Actor // a handler of each of two streets
	districtOf map[int64]int64
	dispatcher org.Actor // the city centre
	analyst    org.Actor
}

func eachStore(t *testing.T, fn func(t *testing.T, w *world)) {
	for _, b := range []string{"sqlite", "postgres"} {
		t.Run(b, func(t *testing.T) {
			dsn := filepath.Join(t.TempDir(), "w.db")
			if b == "postgres" {
				dsn = pgtest.NewDatabase(t)
			}
			fn(t, open(t, dsn))
		})
	}
}

func open(t *testing.T, dsn string) *world {
	t.Helper()
	ctx := t.Context()
	st, err := store.Open(ctx, dsn, store.Options{SQLiteSync: "normal"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	loc := time.FixedZone("Asia/Shanghai", 8*3600)
	clk := &clock{t: time.Date(2026, 10, 12, 10, 0, 0, 0, loc)}
	svc, err := services.New(ctx, st, core.Config{Now: clk.Now, PhoneKey: []byte("consult-test-key"), ReopenLimit: 2})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := seed.Demo(ctx, svc, demo.Options{Seed: 5, Requests: 20}, auth.FastHasher(), nil); err != nil {
		t.Fatal(err)
	}
	w := &world{svc: svc, clk: clk}
	seen := map[int64]bool{}
	for _, u := range svc.UnitsList() {
		users, err := st.Users(ctx, u.ID)
		if err != nil {
			t.Fatal(err)
		}
		for _, us := range users {
			a, err := svc.Actor(us)
			if err != nil {
				t.Fatal(err)
			}
			switch {
			case u.Kind == org.KindCityCentre && us.Has(org.RoleDispatcher) && w.dispatcher.User.ID == 0:
				w.dispatcher = a
			case us.Has(org.RoleAnalyst) && w.analyst.User.ID == 0:
				w.analyst = a
			case u.Kind == org.KindStreet && us.Has(org.RoleHandler) && !seen[u.ID] && len(w.streets) < 2:
				seen[u.ID] = true
				w.streets = append(w.streets, a)
			}
		}
	}
	if w.dispatcher.User.ID == 0 || len(w.streets) < 2 {
		t.Fatalf("demo city: dispatcher %d, streets %d", w.dispatcher.User.ID, len(w.streets))
	}
	return w
}

// placeIn returns a place below a street (a community), or the street.
func (w *world) placeIn(street org.Actor) int64 {
	for _, p := range w.svc.Children(street.Unit.PlaceID) {
		return p.ID
	}
	return street.Unit.PlaceID
}

func survey(place int64, now time.Time) consult.Survey {
	return consult.Survey{Title: "社区停车意见征集", Questions: []consult.Question{
		{Kind: consult.Single, Text: "是否支持错时停车", Options: []string{"支持", "反对"}, Required: true},
		{Kind: consult.Scale, Text: "停车难程度"},
		{Kind: consult.Text, Text: "建议"},
	}, PlaceIDs: []int64{place}, OpensAt: now, ClosesAt: now.Add(14 * 24 * time.Hour)}
}

func TestSurveyScopeAndOneAnswerPerPhone(t *testing.T) {
	eachStore(t, func(t *testing.T, w *world) {
		ctx := t.Context()
		p := w.svc.Consult
		own, other := w.streets[0], w.streets[1]
		now := w.svc.Now()
		// A place of another street is outside the area.
		if _, err := p.CreateSurvey(ctx, own, survey(w.placeIn(other), now)); !errs.Is(err, errs.OutsideArea) {
			t.Fatalf("survey for another street's place: %v", err)
		}
		if _, err := p.CreateSurvey(ctx, w.dispatcher, survey(w.placeIn(own), now)); !errs.Is(err, errs.Forbidden) {
			t.Fatalf("the centre drafts a survey: %v", err)
		}
		sv, err := p.CreateSurvey(ctx, own, survey(w.placeIn(own), now))
		if err != nil {
			t.Fatal(err)
		}
		// Another street: 404 to see, publish or read results; the centre sees it but may not publish.
		if _, err := p.Survey(ctx, other, sv.ID); !errs.Is(err, errs.NotFound) {
			t.Errorf("another street sees it: %v", err)
		}
		if _, err := p.PublishSurvey(ctx, other, sv.ID); !errs.Is(err, errs.NotFound) {
			t.Errorf("another street publishes it: %v", err)
		}
		if _, err := p.SurveyResults(ctx, other, sv.ID); !errs.Is(err, errs.NotFound) {
			t.Errorf("another street reads results: %v", err)
		}
		if _, err := p.Survey(ctx, w.dispatcher, sv.ID); err != nil {
			t.Errorf("the city centre: %v", err)
		}
		if _, err := p.PublishSurvey(ctx, w.dispatcher, sv.ID); !errs.Is(err, errs.Forbidden) {
			t.Errorf("the centre publishes it: %v", err)
		}
		if list, _ := p.Surveys(ctx, other); has(list, sv.ID) {
			t.Errorf("another street's list holds it: %+v", list)
		}
		if list, _ := p.Surveys(ctx, own); !has(list, sv.ID) {
			t.Errorf("its street's list lacks it: %+v", list)
		}
		// A draft is not on the portal and takes no answers.
		if _, err := p.PublicSurvey(ctx, sv.ID); !errs.Is(err, errs.NotFound) {
			t.Errorf("draft on the portal: %v", err)
		}
		replies := []consult.Reply{{Choices: []int{0}}, {Scale: 4}, {Text: "增加停车位"}}
		if err := p.Answer(ctx, sv.ID, participationPhone("13800138000"), replies); !errs.Is(err, errs.NotFound) {
			t.Errorf("answer to a draft: %v", err)
		}
		if _, err := p.PublishSurvey(ctx, own, sv.ID); err != nil {
			t.Fatal(err)
		}
		if list, _ := p.PublicSurveys(ctx, own.Unit.PlaceID); !has(list, sv.ID) {
			t.Errorf("portal list for the street: %+v", list)
		}
		if list, _ := p.PublicSurveys(ctx, other.Unit.PlaceID); has(list, sv.ID) {
			t.Errorf("portal list for another street: %+v", list)
		}
		// One answer per phone, however it is written.
		if err := p.Answer(ctx, sv.ID, participationPhone("138-0013-8000"), replies); err != nil {
			t.Fatal(err)
		}
		for _, ph := range []string{"13800138000", "+86 138 0013 8000"} {
			if err := p.Answer(ctx, sv.ID, participationPhone(ph), replies); !errs.Is(err, errs.Exists) {
				t.Errorf("second answer from %s: %v", ph, err)
			}
		}
		if err := p.Answer(ctx, sv.ID, participationPhone("12345"), replies); !errs.Is(err, errs.InvalidPhone) {
			t.Errorf("bad phone: %v", err)
		}
		// Anonymous answers only where allowed.
		if err := p.Answer(ctx, sv.ID, cookie("abc"), replies); !errs.Is(err, errs.FieldRequired) {
			t.Errorf("anonymous answer not allowed: %v", err)
		}
		if err := p.Answer(ctx, sv.ID, participationPhone("13900139000"), []consult.Reply{{Choices: []int{1}}, {Scale: 2}, {Text: "停车位太少"}}); err != nil {
			t.Fatal(err)
		}
		if !p.Answered(ctx, sv.ID, participationPhone("13800138000")) || p.Answered(ctx, sv.ID, participationPhone("13700137000")) {
			t.Error("Answered")
		}
		res, err := p.PublicResults(ctx, sv.ID)
		if err != nil || res.Answers != 2 || res.Questions[0].Counts[0] != 1 || res.Questions[1].Mean != 3 || len(res.Groups[2]) == 0 || len(res.Groups[2][0].Texts) != 2 {
			t.Fatalf("results %+v %v", res, err)
		}
		// After closing, nothing more.
		if _, err := p.CloseSurvey(ctx, own, sv.ID); err != nil {
			t.Fatal(err)
		}
		if err := p.Answer(ctx, sv.ID, participationPhone("13700137000"), replies); !errs.Is(err, errs.InvalidTransition) {
			t.Errorf("answer after closing: %v", err)
		}
		// An anonymous survey: one per cookie.
		anon := survey(w.placeIn(own), w.svc.Now())
		anon.AllowAnonymous = true
		sv2, err := p.CreateSurvey(ctx, own, anon)
		if err == nil {
			_, err = p.PublishSurvey(ctx, own, sv2.ID)
		}
		if err != nil {
			t.Fatal(err)
		}
		if err := p.Answer(ctx, sv2.ID, cookie("abc"), replies); err != nil {
			t.Fatal(err)
		}
		if err := p.Answer(ctx, sv2.ID, cookie("abc"), replies); !errs.Is(err, errs.Exists) {
			t.Errorf("second anonymous answer from one browser: %v", err)
		}
	})
}

func participationPhone(p string) participationRespondent { return participationRespondent{Phone: p} }
func cookie(c string) participationRespondent             { return participationRespondent{Cookie: c} }

func TestPracticalMattersBecomeProjects(t *testing.T) {
	eachStore(t, func(t *testing.T, w *world) {
		ctx := t.Context()
		p := w.svc.Consult
		own, other := w.streets[0], w.streets[1]
		if _, err := p.OpenRound(ctx, own, 2030, "", 0); !errs.Is(err, errs.Forbidden) {
			t.Fatalf("a street opens a round: %v", err)
		}
		r, err := p.OpenRound(ctx, w.dispatcher, 2030, "2030年民生实事", 2)
		if err != nil {
			t.Fatal(err)
		}
		var items []*consult.Item
		for i, title := range []string{"老楼加装电梯", "口袋公园", "增设充电桩"} {
			place := w.placeIn(own)
			if i == 1 {
				place = w.placeIn(other)
			}
			it, err := p.Propose(ctx, r.ID, "13800138000", title, "", place)
			if err != nil {
				t.Fatal(err)
			}
			items = append(items, it)
		}
		for _, it := range items {
			if _, err := p.Shortlist(ctx, w.dispatcher, it.ID, true, "可行"); err != nil {
				t.Fatal(err)
			}
		}
		if err := p.Vote(ctx, items[0].ID, "13800138000"); !errs.Is(err, errs.InvalidTransition) {
			t.Errorf("vote before voting opens: %v", err)
		}
		if _, err := p.OpenVoting(ctx, w.dispatcher, r.ID); err != nil {
			t.Fatal(err)
		}
		for _, v := range []struct {
			item  int
			phone string
			code  errs.Code
		}{{0, "13800138000", ""}, {0, "13800138000", errs.Exists}, {1, "13800138000", ""}, {2, "13800138000", errs.RateLimited},
			{1, "13900139000", ""}, {1, "13700137000", ""}, {0, "13700137000", ""}} {
			if err := p.Vote(ctx, items[v.item].ID, v.phone); errs.CodeOf(err) != v.code {
				t.Errorf("vote %d by %s: %v, want %q", v.item, v.phone, err, v.code)
			}
		}
		projects, err := p.Adopt(ctx, w.dispatcher, r.ID, 2)
		if err != nil || len(projects) != 2 {
			t.Fatalf("adopt: %+v %v", projects, err)
		}
		if projects[0].Title != "口袋公园" || projects[0].StreetID != other.Unit.ID || projects[1].StreetID != own.Unit.ID || projects[0].State != consult.ProjectProposed {
			t.Errorf("projects %+v", projects)
		}
		view, _ := p.Round(ctx, r.ID)
		if view.Round.State != consult.RoundDecided || view.Items[0].ProjectID != projects[1].ID || view.Items[2].State != consult.ItemNotAdopted {
			t.Errorf("round after adoption %+v", view)
		}
		// The street decides its own project only; the other street gets 404.
		pid := projects[1].ID
		if _, err := p.DecideProject(ctx, other, pid, true, 100_00, ""); !errs.Is(err, errs.NotFound) {
			t.Errorf("another street decides: %v", err)
		}
		if _, err := p.Project(ctx, other, pid); !errs.Is(err, errs.NotFound) {
			t.Errorf("another street sees it: %v", err)
		}
		if _, err := p.DecideProject(ctx, w.dispatcher, pid, true, 100_00, ""); !errs.Is(err, errs.Forbidden) {
			t.Errorf("the centre decides: %v", err)
		}
		if _, err := p.DecideProject(ctx, own, pid, true, 2000_00, ""); err != nil {
			t.Fatal(err)
		}
		if _, err := p.Spend(ctx, own, pid, consult.Spending{AmountFen: 2500_00, Purpose: "设备"}); !errs.Is(err, errs.Invalid) {
			t.Errorf("overspending: %v", err)
		}
		if _, err := p.Spend(ctx, own, pid, consult.Spending{AmountFen: 1500_00, Purpose: "设备"}); err != nil {
			t.Fatal(err)
		}
		if _, err := p.ReportProgress(ctx, own, pid, consult.Report{Note: "已完工", Percent: 100}); err != nil {
			t.Fatal(err)
		}
		if err := p.Evaluate(ctx, pid, "13800138000", consult.Evaluation{Stars: 5}); !errs.Is(err, errs.InvalidTransition) {
			t.Errorf("evaluate before the end: %v", err)
		}
		if _, err := p.FinishProject(ctx, own, pid); err != nil {
			t.Fatal(err)
		}
		if err := p.Evaluate(ctx, pid, "13800138000", consult.Evaluation{Stars: 5, Comment: "好"}); err != nil {
			t.Fatal(err)
		}
		if err := p.Evaluate(ctx, pid, "13800138000", consult.Evaluation{Stars: 1}); !errs.Is(err, errs.Exists) {
			t.Errorf("second evaluation: %v", err)
		}
		v, err := p.PublicProject(ctx, pid)
		if err != nil || v.Project.SpentFen != 1500_00 || len(v.Reports) != 1 || v.StarsMean != 5 {
			t.Fatalf("public view %+v %v", v, err)
		}
		if _, err := p.PublicProject(ctx, projects[0].ID); !errs.Is(err, errs.NotFound) {
			t.Errorf("an undecided project on the portal: %v", err)
		}
	})
}

type participationRespondent = participation.Respondent

func has(list []consult.Survey, id int64) bool {
	for _, sv := range list {
		if sv.ID == id {
			return true
		}
	}
	return false
}

// A progress report's photos: the reporter's own uploaded images, linked to
// the project in the report's transaction (no longer orphans, never a
// case's), shown with the project — publicly once it is approved — and
// with nothing else.
func TestProjectReportPhotos(t *testing.T) {
	eachStore(t, func(t *testing.T, w *world) {
		ctx := t.Context()
		p := w.svc.Consult
		own, other := w.streets[0], w.streets[1]
		proj, err := p.ProposeProject(ctx, own, consult.Project{PlaceID: w.placeIn(own), Title: "口袋公园", Need: "缺少休闲场地", Plan: "改造空地", BudgetFen: 5000_00})
		if err != nil {
			t.Fatal(err)
		}
		upload := func(a org.Actor, shade uint8) int64 {
			img := image.NewRGBA(image.Rect(0, 0, 4, 4))
			for i := range img.Pix {
				img.Pix[i] = shade
			}
			var b bytes.Buffer
			if err := png.Encode(&b, img); err != nil {
				t.Fatal(err)
			}
			att, err := w.svc.Cases.Upload(ctx, a, "site.png", b.Bytes())
			if err != nil {
				t.Fatal(err)
			}
			return att.ID
		}
		mine, theirs := upload(own, 10), upload(other, 200)
		// Before approval the project is not public: neither are photos.
		if _, _, err := p.ProjectPhoto(ctx, nil, proj.ID, mine); !errs.Is(err, errs.NotFound) {
			t.Errorf("a photo of an undecided project on the portal: %v", err)
		}
		if _, err := p.DecideProject(ctx, own, proj.ID, true, 5000_00, ""); err != nil {
			t.Fatal(err)
		}
		if _, err := p.ReportProgress(ctx, own, proj.ID, consult.Report{Note: "动工", Percent: 10, PhotoIDs: []int64{mine, theirs}}); errs.CodeOf(err) != errs.NotFound {
			t.Fatalf("a report with another street's upload: %v", err)
		}
		if _, err := p.ReportProgress(ctx, own, proj.ID, consult.Report{Note: "动工", Percent: 10, PhotoIDs: []int64{mine}}); err != nil {
			t.Fatal(err)
		}
		v, err := p.PublicProject(ctx, proj.ID)
		if err != nil || len(v.Reports) != 1 || len(v.Reports[0].PhotoIDs) != 1 || v.Reports[0].PhotoIDs[0] != mine {
			t.Fatalf("the reports (the refused one must not be there): %+v %v", v, err)
		}
		att, data, err := p.ProjectPhoto(ctx, nil, proj.ID, mine)
		if err != nil || att.ContentType != "image/png" || int64(len(data)) != att.Size {
			t.Fatalf("the public photo: %+v (%d bytes) %v", att, len(data), err)
		}
		if _, _, err := p.ProjectPhoto(ctx, &own, proj.ID, mine); err != nil {
			t.Errorf("the owner street's page: %v", err)
		}
		for _, tc := range []struct {
			name     string
			a        *org.Actor
			pid, aid int64
		}{{"another street's unlinked upload", nil, proj.ID, theirs}, {"a photo under another project", nil, proj.ID + 1000, mine},
			{"staff who may not see the project", &other, proj.ID, mine}} {
			if _, _, err := p.ProjectPhoto(ctx, tc.a, tc.pid, tc.aid); !errs.Is(err, errs.NotFound) {
				t.Errorf("%s: %v", tc.name, err)
			}
		}
		orphans, err := p.St.OrphanAttachments(ctx, w.clk.Now().Add(48*time.Hour), 100)
		if err != nil {
			t.Fatal(err)
		}
		var ids []int64
		for _, o := range orphans {
			ids = append(ids, o.ID)
		}
		if slices.Contains(ids, mine) || !slices.Contains(ids, theirs) {
			t.Errorf("orphans %v: the linked photo %d must not be one, the unlinked %d must", ids, mine, theirs)
		}
		err = p.St.Write(ctx, func(tx *store.Tx) error { return tx.AttachToCase(ctx, 1, own.User.ID, []int64{mine}) })
		if !errs.Is(err, errs.NotFound) {
			t.Errorf("a project's photo moved to a case: %v", err)
		}
	})
}
