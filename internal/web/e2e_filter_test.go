package web_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"whistle/internal/org"
)

// The agent screen's category filter leaves no empty group headings: one
// match shows under its own group alone; a group's name shows its
// categories.
func TestCategoryFilterHidesEmptyGroupsInTheBrowser(t *testing.T) {
	e := newE2E(t)
	// A leaf whose name is in no other leaf's, group's or code.
	var leaves, tops []string
	top := map[string]string{}
	for _, c := range e.app.Svc.Categories() {
		switch {
		case c.Active && c.Leaf:
			leaves = append(leaves, c.NameZH)
			top[c.NameZH] = strings.SplitN(c.Code, ".", 2)[0]
		case c.Parent == "":
			tops = append(tops, c.NameZH)
		}
	}
	unique := ""
	for _, n := range leaves {
		hits := 0
		for _, m := range append(leaves, tops...) {
			if strings.Contains(m, n) {
				hits++
			}
		}
		if hits == 1 {
			unique = n
			break
		}
	}
	if unique == "" {
		t.Fatal("no leaf category with a name of its own")
	}
	group, _ := e.app.Svc.Category(top[unique])
	// What typing the group's name should show, by the filter's rule: a
	// category whose name or code holds it, or whose group's name does.
	groups, options := map[string]bool{}, 0
	q := strings.ToLower(group.NameZH)
	for _, c := range e.app.Svc.Categories() {
		if !c.Active || !c.Leaf {
			continue
		}
		g, _ := e.app.Svc.Category(strings.SplitN(c.Code, ".", 2)[0])
		if strings.Contains(strings.ToLower(c.NameZH), q) || strings.Contains(c.Code, q) || strings.Contains(strings.ToLower(g.NameZH), q) {
			groups[g.Code] = true
			options++
		}
	}
	e.login(org.RoleAgent)
	e.do(chromedp.Navigate(e.base+"/agent"), chromedp.WaitVisible(chromedp.ID("category-filter")))
	shown := `[...document.querySelectorAll("#category optgroup")].filter(g => !g.hidden).length + "/" +
		[...document.querySelectorAll("#category option")].filter(o => !o.hidden && !(o.parentElement.hidden)).length`
	wait := func(want string) {
		t.Helper()
		e.do(chromedp.Poll[chromedp.Void](shown+" === "+fmt.Sprintf("%q", want), chromedp.WithPollingTimeout(0)))
	}
	e.do(chromedp.SendKeys(chromedp.ID("category-filter"), unique))
	wait("1/1")
	if label := e.text("#category optgroup:not([hidden])"); !strings.Contains(label, unique) {
		t.Errorf("the one group shown holds %q, want %q", label, unique)
	}
	e.eval(`document.getElementById("category-filter").value = ""`)
	e.do(chromedp.SendKeys(chromedp.ID("category-filter"), group.NameZH))
	if !groups[group.Code] {
		t.Fatalf("fixture: group %s not among its own matches", group.Code)
	}
	wait(fmt.Sprintf("%d/%d", len(groups), options))
}
