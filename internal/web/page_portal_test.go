package web_test

import (
	"encoding/json"
	"net/url"
	"regexp"
	"strings"
	"testing"
)

// invalid reports whether the page marks the form control id as invalid.
func invalid(page, id string) bool {
	return regexp.MustCompile(`id="` + regexp.QuoteMeta(id) + `"[^>]*aria-invalid="true"`).MatchString(page)
}

// The portal marks every wrong field at once, each on itself; the
// category, which citizens may leave to the classifier, is never blamed
// for a missing description.
func TestPortalMarksEveryWrongField(t *testing.T) {
	s := newSite(t)
	c := s.client("")
	res, err := c.PostForm(s.base+"/portal", url.Values{"idem": {"p1"}, "type": {"complaint"}, "category": {""}, "description": {"  "},
		"citizen_phone": {""}, "address": {""}, "lat": {"north"}, "lon": {"116.4"}})
	if err != nil {
		t.Fatal(err)
	}
	page := body(t, res)
	if res.StatusCode != 422 {
		t.Fatalf("status %d, want 422", res.StatusCode)
	}
	for _, id := range []string{"description", "citizen_phone", "address"} {
		if !invalid(page, id) {
			t.Errorf("%s is not marked", id)
		}
	}
	if invalid(page, "category") || invalid(page, "type") {
		t.Errorf("the category (optional) or the type is marked")
	}
	if n := strings.Count(page, `class="field-error"`); n != 4 { // description, place, point, phone
		t.Errorf("%d field errors, want 4 (description, address, coordinates, phone)", n)
	}
	for _, want := range []string{"经纬度无效", "缺少必填项"} {
		if !strings.Contains(page, want) {
			t.Errorf("page lacks %q", want)
		}
	}
	// A bad phone and no place, with a description and a category: both,
	// nothing else.
	res, err = c.PostForm(s.base+"/portal", url.Values{"idem": {"p2"}, "type": {"complaint"}, "category": {"urban.stall"}, "description": {"路口占道经营"}, "citizen_phone": {"12345"}})
	if err != nil {
		t.Fatal(err)
	}
	page = body(t, res)
	if res.StatusCode != 422 || !invalid(page, "citizen_phone") || !invalid(page, "address") || invalid(page, "description") || invalid(page, "category") {
		t.Fatalf("bad phone, no place: status %d, marks phone=%v address=%v description=%v category=%v", res.StatusCode,
			invalid(page, "citizen_phone"), invalid(page, "address"), invalid(page, "description"), invalid(page, "category"))
	}
	if !strings.Contains(page, "电话号码格式不正确") {
		t.Error("the phone's message is not the invalid-phone one")
	}
}

// The public API reports the same problems: the first in "field" as
// before, every one in "fields".
func TestPublicAPIListsEveryWrongField(t *testing.T) {
	s := newSite(t)
	res, err := s.client("").Post(s.base+"/api/v1/public/cases", "application/json", strings.NewReader(`{"type":"complaint","description":" ","citizen_phone":""}`))
	if err != nil {
		t.Fatal(err)
	}
	var e struct {
		Code   string `json:"code"`
		Field  string `json:"field"`
		Fields []struct {
			Code, Field, Message string
		} `json:"fields"`
	}
	if err := json.NewDecoder(res.Body).Decode(&e); err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	var got []string
	for _, f := range e.Fields {
		got = append(got, f.Field+":"+f.Code)
	}
	if res.StatusCode != 422 || e.Field != "citizen_phone" || e.Code != "field_required" ||
		strings.Join(got, " ") != "citizen_phone:field_required address:field_required description:field_required" {
		t.Fatalf("status %d, %s/%s, fields %v", res.StatusCode, e.Field, e.Code, got)
	}
}
