package web_test

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"whistle/internal/lifecycle"
	"whistle/internal/org"
)

// The compounds page: the centre's dispatcher lists the demo compounds and
// adds one (a wrong property company is named on its field and the form
// keeps what was typed); an agent may not open it; the property board
// lists the companies; the portal's rating form lists the compounds.
func TestCompoundPages(t *testing.T) {
	s := newSite(t)
	ctx := t.Context()
	cs, err := s.app.Svc.Property.Compounds(ctx, org.System())
	if err != nil || len(cs) < 4 {
		t.Fatalf("demo compounds %d %v", len(cs), err)
	}
	disp := s.client(org.RoleDispatcher)
	res, err := disp.Get(s.base + "/admin/compounds")
	if err != nil {
		t.Fatal(err)
	}
	page := body(t, res)
	if res.StatusCode != 200 || !strings.Contains(page, cs[0].Name) || !strings.Contains(page, cs[0].PropertyName) || !strings.Contains(page, `id="compound-form"`) {
		t.Fatalf("compounds page %d", res.StatusCode)
	}
	form := url.Values{"name": {"试点新村"}, "address": {"试点路9号"}, "aliases": {"试点新村北区\n试点新村南区"},
		"community_id": {strconv.FormatInt(cs[0].CommunityID, 10)}, "property_unit_id": {"1"}, "active": {"1"}}
	res, err = disp.PostForm(s.base+"/admin/compounds", form)
	if err != nil {
		t.Fatal(err)
	}
	page = body(t, res)
	if res.StatusCode != 422 || !strings.Contains(page, `id="c-property" name="property_unit_id" aria-invalid="true"`) || !strings.Contains(page, "试点新村南区") {
		t.Fatalf("a centre as property company: %d", res.StatusCode)
	}
	form.Set("property_unit_id", strconv.FormatInt(cs[0].PropertyUnitID, 10))
	res, err = disp.PostForm(s.base+"/admin/compounds", form)
	if err != nil {
		t.Fatal(err)
	}
	page = body(t, res)
	if res.StatusCode != 200 || !strings.Contains(page, "试点新村") || res.Request.URL.Path != "/admin/compounds" {
		t.Fatalf("after saving: %d %s", res.StatusCode, res.Request.URL)
	}
	after, _ := s.app.Svc.Property.Compounds(ctx, org.System())
	if len(after) != len(cs)+1 || after[len(after)-1].Aliases[1] != "试点新村南区" {
		t.Fatalf("stored: %+v", after[len(after)-1])
	}
	// routing knows it at once
	if m, ok, err := s.app.Svc.Dispatch.CompoundOf(ctx, lifecycle.Location{Address: "江川市试点新村北区3号楼"}); err != nil || !ok || m.Compound.Name != "试点新村" {
		t.Fatalf("routing does not see the new compound: %+v %v %v", m, ok, err)
	}
	if res, err := s.client(org.RoleAgent).Get(s.base + "/admin/compounds"); err != nil || res.StatusCode != http.StatusForbidden {
		t.Fatalf("agent on the compounds page: %v %v", res.StatusCode, err)
	}
	res, err = disp.Get(s.base + "/property")
	if err != nil {
		t.Fatal(err)
	}
	page = body(t, res)
	if res.StatusCode != 200 || !strings.Contains(page, `id="property-board"`) || !strings.Contains(page, cs[0].PropertyName) {
		t.Fatalf("property board %d", res.StatusCode)
	}
	res, err = s.client("").Get(s.base + "/portal/property")
	if err != nil {
		t.Fatal(err)
	}
	page = body(t, res)
	if res.StatusCode != 200 || !strings.Contains(page, cs[0].Name) || !strings.Contains(page, "试点新村（") {
		t.Fatalf("portal rating form %d", res.StatusCode)
	}
}
