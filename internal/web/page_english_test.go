package web_test

import (
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"whistle/internal/casework"
	"whistle/internal/org"
)

var han = regexp.MustCompile(`\p{Han}+`)

// fragment returns the element of page that starts with open, up to the
// first close after it.
func fragment(t *testing.T, page, open, close string) string {
	t.Helper()
	i := strings.Index(page, open)
	if i < 0 {
		t.Fatalf("page lacks %s", open)
	}
	j := strings.Index(page[i:], close)
	if j < 0 {
		t.Fatalf("%s is not closed by %s", open, close)
	}
	return page[i : i+j]
}

// untranslated removes from s the data that has no English name (units,
// places, users, the duty list's own names, labels and keywords, texts
// citizens wrote), longest first.
func untranslated(s string, data []string) string {
	slices.SortFunc(data, func(a, b string) int { return len(b) - len(a) })
	for _, d := range data {
		if d != "" {
			s = strings.ReplaceAll(s, d, "")
		}
	}
	return s
}

// In English the case page's duty-rule reason, the agent screen's
// suggestion panel and the duty-list page hold no Chinese but data that
// has no translation.
func TestEnglishPagesSpeakEnglish(t *testing.T) {
	s := newSite(t)
	ctx := t.Context()
	svc := s.app.Svc
	var data []string
	for _, u := range svc.UnitsList() {
		data = append(data, u.Name)
	}
	l, err := svc.St.PublishedDutyList(ctx)
	if err != nil {
		t.Fatal(err)
	}
	data = append(data, l.Name)
	cats := map[string]bool{}
	for _, c := range svc.Categories() {
		cats[c.NameZH] = c.NameEN != ""
	}
	for _, r := range l.Rules {
		if !cats[r.Label] { // a label that is a category's name has one in English
			data = append(data, r.Label)
		}
		data = append(data, r.Keywords...)
	}
	for _, level := range []string{org.LevelDistrict, org.LevelStreet, org.LevelCommunity, org.LevelGrid} {
		places, err := svc.Places(ctx, level)
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range places {
			data = append(data, p.Name)
		}
	}
	users := map[string]string{}
	for _, role := range []string{org.RoleAgent, org.RoleAdmin} {
		u, _, err := svc.St.UserByName(ctx, s.logins[role])
		if err != nil {
			t.Fatal(err)
		}
		users[role] = u.DisplayName
		data = append(data, u.DisplayName)
	}
	check := func(where, text string) {
		t.Helper()
		if left := han.FindAllString(untranslated(text, data), -1); len(left) > 0 {
			t.Errorf("%s in English holds Chinese: %q", where, left)
		}
	}

	// The agent screen's suggestion panel.
	agent := s.client(org.RoleAgent)
	form := url.Values{"type": {"complaint"}, "category": {"urban.stall"}, "description": {"路口有人占道经营"}, "address": {"同心大道1号"}}
	res, err := agent.PostForm(s.base+"/agent/suggest?lang=en", form)
	if err != nil {
		t.Fatal(err)
	}
	page := body(t, res)
	reason := fragment(t, page, `id="route-reason"`, "</div>")
	if !strings.Contains(reason, "Rule ") {
		t.Errorf("route reason %q is not worded in English", reason)
	}
	check("the route reason", reason)
	check("the suggestion panel", fragment(t, page, `id="suggest"`, `<label for="unit_id"`))

	// The case page's duty rule.
	au, _, _ := svc.St.UserByName(ctx, s.logins[org.RoleAgent])
	a, err := svc.Actor(au)
	if err != nil {
		t.Fatal(err)
	}
	c, _, err := svc.Cases.TakeCall(ctx, a, casework.NewCase{Channel: "phone", Type: "complaint", Category: "urban.stall",
		Description: "路口有人占道经营", Address: "同心大道1号", CitizenPhone: "13800005678"}, casework.CallOutcome{}, "")
	if err != nil {
		t.Fatal(err)
	}
	if c.Suggestion == nil || c.Suggestion.Why == nil {
		t.Fatalf("the new case has no coded suggestion: %+v", c.Suggestion)
	}
	res, err = agent.Get(s.base + "/cases/" + strconv.FormatInt(c.ID, 10) + "?lang=en")
	if err != nil {
		t.Fatal(err)
	}
	page = body(t, res)
	check("the case's duty rule", fragment(t, page, `id="duty-rule"`, "</dd>"))

	// The duty-list page, all of its main part.
	res, err = s.client(org.RoleAdmin).Get(s.base + "/admin/duty?lang=en")
	if err != nil {
		t.Fatal(err)
	}
	page = body(t, res)
	check("the duty-list page", fragment(t, page, `<main id="main">`, "</main>"))
}
