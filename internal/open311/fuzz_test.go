package open311

import (
	"net/url"
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzOpen311Post: any form body parses to a request or a 400 of the
// spec's format; an accepted request has a valid service code, a location,
// coordinates in range, attribute codes that are valid and values without
// control characters other than line breaks and tabs; parsing is
// deterministic.
func FuzzOpen311Post(f *testing.F) {
	for _, s := range []string{
		"service_code=pothole&lat=39.9&long=116.4&description=hole",
		"service_code=x&address_string=%E4%B8%9C%E5%9B%9B&attribute[kind][]=a&attribute[kind][]=b",
		"service_code=x&address_id=1&attribute[size]=big&media_url=https://example.org/a.jpg",
		"service_code=x&lat=91&long=0",
		"attribute[=1",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, body string) {
		form, err := url.ParseQuery(body)
		if err != nil {
			return
		}
		p, e := ParsePost(form)
		p2, e2 := ParsePost(form)
		if (e == nil) != (e2 == nil) {
			t.Fatal("not deterministic")
		}
		if e != nil {
			if e.Code != 400 || e.Description == "" || !utf8.ValidString(e.Description) {
				t.Fatalf("refusal %+v", e)
			}
			return
		}
		if len(p.Attributes) != len(p2.Attributes) {
			t.Fatal("not deterministic")
		}
		if !ValidCode(p.ServiceCode) {
			t.Fatalf("service code %q", p.ServiceCode)
		}
		if p.Lat == nil && p.AddressString == "" && p.AddressID == "" {
			t.Fatal("no location")
		}
		if p.Lat != nil && (*p.Lat < -90 || *p.Lat > 90 || *p.Long < -180 || *p.Long > 180) {
			t.Fatal("coordinates out of range")
		}
		if len(p.Attributes) > MaxAttributes {
			t.Fatal("too many attributes")
		}
		for code, vals := range p.Attributes {
			if !ValidCode(code) || len(vals) > MaxValues {
				t.Fatalf("attribute %q", code)
			}
			for _, v := range vals {
				if !utf8.ValidString(v) || strings.ContainsFunc(v, func(r rune) bool { return r < 0x20 && r != '\n' && r != '\t' && r != '\r' }) {
					t.Fatalf("value %q", v)
				}
			}
		}
	})
}
