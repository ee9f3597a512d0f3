package open311

import (
	"net/url"
	"reflect"
	"strings"
	"testing"
	"time"

	"whistle/internal/lifecycle"
)

func TestParsePost(t *testing.T) {
	base := "service_code=pothole&lat=39.9&long=116.4&description=hole&api_key=k"
	for _, tc := range []struct {
		name, form, err string
		attrs           map[string][]string
	}{
		{name: "point", form: base},
		{name: "address only", form: "service_code=pothole&address_string=" + url.QueryEscape("东城区 东四十条 1号")},
		{name: "address id only", form: "service_code=pothole&address_id=123"},
		{name: "no code", form: "lat=1&long=2", err: "service_code is required"},
		{name: "bad code", form: "service_code=a%20b&lat=1&long=2", err: "service_code is not a valid"},
		{name: "no location", form: "service_code=x", err: "a location is required"},
		{name: "lat alone", form: "service_code=x&lat=1", err: "together"},
		{name: "lat out of range", form: "service_code=x&lat=91&long=2", err: "lat must"},
		{name: "long not a number", form: "service_code=x&lat=1&long=east", err: "long must"},
		{name: "nan", form: "service_code=x&lat=NaN&long=1", err: "lat must"},
		{name: "control", form: base + "&first_name=a%00b", err: "control character"},
		{name: "media scheme", form: base + "&media_url=javascript:alert(1)", err: "media_url"},
		{name: "single", form: base + "&attribute[size]=big", attrs: map[string][]string{"size": {"big"}}},
		{name: "multi", form: base + "&attribute[kind][]=a&attribute[kind][]=b", attrs: map[string][]string{"kind": {"a", "b"}}},
		{name: "single twice", form: base + "&attribute[size]=a&attribute[size]=b", err: "given 2 times"},
		{name: "bad bracket", form: base + "&attribute[size=a", err: "want attribute[code]"},
		{name: "bad attr code", form: base + "&attribute[a%20b]=1", err: "not a valid attribute code"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			form, err := url.ParseQuery(tc.form)
			if err != nil {
				t.Fatal(err)
			}
			p, e := ParsePost(form)
			if tc.err != "" {
				if e == nil || e.Code != 400 || !strings.Contains(e.Description, tc.err) {
					t.Fatalf("got %+v, want 400 %q", e, tc.err)
				}
				return
			}
			if e != nil {
				t.Fatalf("refused: %v", e.Description)
			}
			if tc.attrs != nil && !reflect.DeepEqual(p.Attributes, tc.attrs) {
				t.Fatalf("attributes = %v, want %v", p.Attributes, tc.attrs)
			}
		})
	}
}

func TestCheckAttributes(t *testing.T) {
	defs, err := CheckDefinition([]Attribute{
		{Variable: true, Code: "kind", Datatype: MultiValueList, Order: 3, Values: []Value{{Key: "a", Name: "A"}, {Key: "b", Name: "B"}}},
		{Variable: true, Code: "size", Datatype: SingleValueList, Required: true, Order: 1, Values: []Value{{Key: "s", Name: "S"}, {Key: "l", Name: "L"}}},
		{Variable: true, Code: "depth", Datatype: Number, Order: 2},
		{Variable: true, Code: "seen", Datatype: Datetime, Order: 4},
		{Variable: true, Code: "note", Datatype: Text, Order: 5},
		{Variable: false, Code: "info", Datatype: String, Order: 0},
	})
	if err != nil {
		t.Fatal(err)
	}
	if defs[0].Code != "info" || defs[1].Code != "size" {
		t.Fatalf("not sorted by order: %v", defs)
	}
	for _, tc := range []struct {
		name string
		in   map[string][]string
		want map[string][]string
		err  string
	}{
		{"ok", map[string][]string{"size": {"s"}, "depth": {"2.50"}, "kind": {"a", "b", "a"}, "seen": {"2026-03-02T10:00:00+08:00"}, "other": {"x"}},
			map[string][]string{"size": {"s"}, "depth": {"2.5"}, "kind": {"a", "b"}, "seen": {"2026-03-02T10:00:00+08:00"}}, ""},
		{"missing required", map[string][]string{"depth": {"1"}}, nil, "attribute[size] is required"},
		{"not in list", map[string][]string{"size": {"xl"}}, nil, "not one of its values"},
		{"multi not in list", map[string][]string{"size": {"s"}, "kind": {"a", "z"}}, nil, "not one of its values"},
		{"number", map[string][]string{"size": {"s"}, "depth": {"deep"}}, nil, "must be a number"},
		{"datetime", map[string][]string{"size": {"s"}, "seen": {"yesterday"}}, nil, "date and time"},
		{"two for single", map[string][]string{"size": {"s", "l"}}, nil, "takes one value"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, e := CheckAttributes(defs, tc.in)
			if tc.err != "" {
				if e == nil || e.Code != 400 || !strings.Contains(e.Description, tc.err) {
					t.Fatalf("got %+v, want %q", e, tc.err)
				}
				return
			}
			if e != nil || !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("got %v %+v, want %v", got, e, tc.want)
			}
		})
	}
}

func TestCheckDefinitionRefuses(t *testing.T) {
	for name, attrs := range map[string][]Attribute{
		"bad code":      {{Code: "a b", Datatype: String}},
		"twice":         {{Code: "a", Datatype: String}, {Code: "a", Datatype: Text}},
		"datatype":      {{Code: "a", Datatype: "bool"}},
		"list no value": {{Code: "a", Datatype: SingleValueList}},
		"values on str": {{Code: "a", Datatype: String, Values: []Value{{Key: "x"}}}},
		"dup key":       {{Code: "a", Datatype: MultiValueList, Values: []Value{{Key: "x"}, {Key: "x"}}}},
		"negative":      {{Code: "a", Datatype: String, Order: -1}},
	} {
		if _, err := CheckDefinition(attrs); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

func TestStatus(t *testing.T) {
	for _, s := range lifecycle.States {
		want := StatusOpen
		if s == lifecycle.Closed {
			want = StatusClosed
		}
		if got := Status(s); got != want {
			t.Errorf("Status(%s) = %s", s, got)
		}
		for _, en := range []bool{false, true} {
			if StatusNotes(NoteFacts{State: s, Unit: "城管委"}, en) == "" {
				t.Errorf("no note for %s", s)
			}
		}
	}
	if n := StatusNotes(NoteFacts{State: lifecycle.Dispatched, Unit: "城管委"}, false); !strings.Contains(n, "城管委") {
		t.Errorf("note does not name the unit: %s", n)
	}
}

func TestEncodings(t *testing.T) {
	b, err := EncodeList(XML, RootErrors, Errors(403, "api_key & more"))
	if err != nil {
		t.Fatal(err)
	}
	want := `<?xml version="1.0" encoding="UTF-8"?>` + "\n" + `<errors><error><code>403</code><description>api_key &amp; more</description></error></errors>` + "\n"
	if string(b) != want {
		t.Fatalf("xml = %s", b)
	}
	b, _ = EncodeList(JSON, RootErrors, Errors(404, "x"))
	if string(b) != `[{"code":404,"description":"x"}]`+"\n" {
		t.Fatalf("json = %s", b)
	}
	b, _ = EncodeList[Request](JSON, RootRequests, nil)
	if string(b) != "[]\n" {
		t.Fatalf("empty list = %s", b)
	}
	loc, _ := time.LoadLocation("Asia/Shanghai")
	if s := FormatTime(time.Date(2026, 3, 2, 1, 0, 0, 0, time.UTC), loc); s != "2026-03-02T09:00:00+08:00" {
		t.Fatalf("time = %s", s)
	}
	if _, f, ok := SplitFormat("services.XML"); !ok || f != XML {
		t.Fatal("SplitFormat")
	}
}
