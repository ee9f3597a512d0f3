package web_test

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"whistle/internal/consult"
	"whistle/internal/org"
	"whistle/internal/store"
)

// The demo city's surveys, practical matters and projects on every page
// that shows them, for residents and staff; another street's project is
// 404; a resident votes and evaluates on the portal.
func TestConsultPages(t *testing.T) {
	s := newSite(t)
	ctx := t.Context()
	svc := s.app.Svc
	ps, err := svc.St.Projects(ctx, store.ProjectFilter{})
	if err != nil || len(ps) != 4 {
		t.Fatalf("demo projects %d %v", len(ps), err)
	}
	var finished, mine, other consult.Project
	for _, p := range ps {
		if p.State == consult.ProjectFinished {
			finished = p
		}
	}
	handler, _, err := svc.St.UserByName(ctx, s.logins[org.RoleHandler])
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range ps {
		if p.StreetID == handler.UnitID {
			mine = p
		} else {
			other = p
		}
	}
	if mine.ID == 0 || other.ID == 0 || finished.ID == 0 {
		t.Fatalf("the demo's projects: %+v", ps)
	}
	rounds, _ := svc.Consult.Rounds(ctx)
	surveys, _ := svc.Consult.PublicSurveys(ctx, 0)
	anon, staff, centre := s.client(""), s.client(org.RoleHandler), s.client(org.RoleDispatcher)
	for _, c := range []struct {
		who    *http.Client
		path   string
		status int
		want   string
	}{
		{anon, "/portal/surveys", 200, surveys[0].Title},
		{anon, fmt.Sprintf("/portal/surveys/%d/results", surveys[0].ID), 200, "data-chart"},
		{anon, fmt.Sprintf("/portal/surveys/%d/print", surveys[0].ID), 200, "poster-url"},
		{anon, "/portal/practical", 200, "practical/items/"},
		{anon, fmt.Sprintf("/portal/practical?round=%d", rounds[1].ID), 200, "/portal/projects/"},
		{anon, "/portal/projects", 200, finished.Title},
		{anon, fmt.Sprintf("/portal/projects/%d", finished.ID), 200, "evaluate-form"},
		{anon, "/surveys", 200, "username"}, // the login page
		{staff, "/surveys", 200, "survey-form"},
		{staff, "/projects", 200, "project-form"},
		{staff, fmt.Sprintf("/projects/%d", mine.ID), 200, mine.Title},
		{staff, fmt.Sprintf("/projects/%d", other.ID), 404, ""},
		{centre, "/practical", 200, "round-form"},
		{centre, "/projects", 200, other.Title},
	} {
		res, err := c.who.Get(s.base + c.path)
		if err != nil {
			t.Fatal(err)
		}
		b := body(t, res)
		if res.StatusCode != c.status || !strings.Contains(b, c.want) {
			t.Errorf("GET %s: %d, want %d with %q", c.path, res.StatusCode, c.status, c.want)
		}
	}
	// A resident rates the finished project once.
	form := url.Values{"stars": {"4"}, "comment": {"很好"}, "phone": {"13512345678"}}
	for i, want := range []string{"感谢您的评价", "已存在"} {
		res, err := anon.PostForm(fmt.Sprintf("%s/portal/projects/%d/evaluate", s.base, finished.ID), form)
		if err != nil {
			t.Fatal(err)
		}
		if b := body(t, res); !strings.Contains(b, want) {
			t.Errorf("evaluation %d: %d, no %q", i, res.StatusCode, want)
		}
	}
}
