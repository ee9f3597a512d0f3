package importer_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"whistle/internal/importer"
)

func TestParseOpen311(t *testing.T) {
	const ok = `"service_request_id":"101","status":"closed","service_name":"Abandoned Vehicle","service_code":"AV","description":"car","requested_datetime":"2015-01-05T12:40:41-05:00","updated_datetime":"2015-01-06T09:00:00-05:00","address":"25 Sheridan St"`
	for _, tc := range []struct {
		name, line string
		reason     string // "" = accepted
		check      func(t *testing.T, r importer.Row)
	}{
		{"closed with coordinates", `{` + ok + `,"lat":42.32,"long":-71.10}`, "", func(t *testing.T, r importer.Row) {
			if r.ExternalID != "101" || r.Status != importer.StatusClosed || r.CategoryCode != "AV" || r.CategoryName != "Abandoned Vehicle" || r.Channel != "open311" {
				t.Errorf("row %+v", r)
			}
			if want := time.Date(2015, 1, 5, 17, 40, 41, 0, time.UTC); !r.Created.Equal(want) {
				t.Errorf("created %v, want %v", r.Created, want)
			}
			if !r.Closed.Equal(r.Updated) || r.Closed.IsZero() {
				t.Errorf("closed %v, updated %v: a closed request closes at its update", r.Closed, r.Updated)
			}
			if r.Lat == nil || *r.Lat != 42.32 || *r.Lon != -71.10 {
				t.Errorf("coordinates %v %v", r.Lat, r.Lon)
			}
		}},
		{"open, numeric id, string coordinates", `{"service_request_id":7,"status":"Open","service_code":"X","requested_datetime":"2015-01-05T12:40:41Z","lat":"42.1","long":"-71.2"}`, "", func(t *testing.T, r importer.Row) {
			if r.ExternalID != "7" || r.Status != importer.StatusOpen || !r.Closed.IsZero() || r.Lat == nil || *r.Lat != 42.1 {
				t.Errorf("row %+v", r)
			}
		}},
		{"null coordinates: none", `{` + ok + `,"lat":null,"long":null}`, "", func(t *testing.T, r importer.Row) {
			if r.Lat != nil || r.Lon != nil {
				t.Errorf("coordinates %v %v", r.Lat, r.Lon)
			}
		}},
		{"0,0: none", `{` + ok + `,"lat":0,"long":0}`, "", func(t *testing.T, r importer.Row) {
			if r.Lat != nil {
				t.Errorf("coordinates %v", *r.Lat)
			}
		}},
		{"closed before it was opened: closed when opened", `{"service_request_id":"9","status":"closed","service_code":"X","requested_datetime":"2015-01-05T12:00:00Z","updated_datetime":"2015-01-04T12:00:00Z"}`, "", func(t *testing.T, r importer.Row) {
			if !r.Closed.Equal(r.Created) {
				t.Errorf("closed %v, created %v", r.Closed, r.Created)
			}
		}},
		{"bad JSON", `{"service_request_id":"1",`, importer.ReasonBadJSON, nil},
		{"missing id", `{"status":"open","service_code":"X","requested_datetime":"2015-01-05T12:40:41Z"}`, importer.ReasonMissingID, nil},
		{"missing time", `{"service_request_id":"1","status":"open","service_code":"X"}`, importer.ReasonMissingTime, nil},
		{"time without a zone", `{"service_request_id":"1","status":"open","service_code":"X","requested_datetime":"2015-01-05 12:40"}`, importer.ReasonBadTime, nil},
		{"unknown status", `{"service_request_id":"1","status":"pending","service_code":"X","requested_datetime":"2015-01-05T12:40:41Z"}`, importer.ReasonUnknownStatus, nil},
		{"no service", `{"service_request_id":"1","status":"open","requested_datetime":"2015-01-05T12:40:41Z"}`, importer.ReasonMissingCategory, nil},
		{"latitude out of range", `{` + ok + `,"lat":142.3,"long":-71.1}`, importer.ReasonBadCoordinates, nil},
		{"coordinate not a number", `{` + ok + `,"lat":"north","long":-71.1}`, importer.ReasonBadCoordinates, nil},
		{"one coordinate only", `{` + ok + `,"lat":42.3}`, importer.ReasonBadCoordinates, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r, bad := importer.ParseOpen311([]byte(tc.line))
			if tc.reason == "" {
				if bad != nil {
					t.Fatalf("refused: %v", bad)
				}
				tc.check(t, r)
				return
			}
			if bad == nil || bad.Reason != tc.reason {
				t.Fatalf("got %v, want refusal %s", bad, tc.reason)
			}
		})
	}
}

const testMapping = `
source: city_old
time_format: "01/02/2006 03:04:05 PM"
zone: America/New_York
columns:
  id: ID
  created: OPENED
  closed: CLOSED
  status: STATUS
  category_name: TYPE
  description: [NOTE1, NOTE2]
  address: ADDR
  lat: LAT
  lon: LON
  channel: SRC
status: {Open: open, Closed: closed}
channels: {Call: phone, App: app}
`

func TestCSVRows(t *testing.T) {
	m, err := importer.ParseMapping(strings.NewReader(testMapping))
	if err != nil {
		t.Fatal(err)
	}
	csv := "ID,OPENED,CLOSED,STATUS,TYPE,NOTE1,NOTE2,ADDR,LAT,LON,SRC\n" +
		"1,01/05/2015 12:40:41 PM,01/06/2015 01:00:00 AM,Closed,Pot Hole,a,b,1 Main St,42.35,-71.08,App\n" +
		"2,01/05/2015 12:40:41 PM,,Open,Pot Hole,,,2 Main St,,,Walk-in\n" +
		"3,,,Open,Pot Hole,,,,,,Call\n" +
		"4,2015-01-05,,Open,Pot Hole,,,,,,Call\n" +
		"5,01/05/2015 12:40:41 PM,,Pending,Pot Hole,,,,,,Call\n" +
		"6,01/05/2015 12:40:41 PM,,Open,Pot Hole,,,,91,10,Call\n" +
		"7,01/05/2015 12:40:41 PM,,Open,,,,,,,Call\n" +
		",01/05/2015 12:40:41 PM,,Open,Pot Hole,,,,,,Call\n" +
		"9,01/05/2015 12:40:41 PM,,Open,Pot Hole,\"two\nlines\",,,,,Call\n" +
		"10,01/05/2015 12:40:41 PM,,Open,Pot \"Hole,,,,,,Call\n" +
		"11,01/05/2015 12:40:41 PM,,Open,Pot Hole,,,,x,y,Call\n"
	rd, err := importer.NewCSVReader(strings.NewReader(csv), m, 0)
	if err != nil {
		t.Fatal(err)
	}
	type got struct {
		line   int64
		id     string
		reason string
	}
	var gots []got
	var first, second importer.Row
	for {
		r, line, err := rd.Next()
		if err != nil && !errorsIsRefusal(err) {
			break
		}
		g := got{line: line, id: r.ExternalID}
		if err != nil {
			g.reason = err.(*importer.Refusal).Reason
		}
		if r.ExternalID == "1" && err == nil {
			first = r
		}
		if r.ExternalID == "2" && err == nil {
			second = r
		}
		gots = append(gots, g)
	}
	want := []got{{2, "1", ""}, {3, "2", ""}, {4, "3", importer.ReasonMissingTime}, {5, "4", importer.ReasonBadTime},
		{6, "5", importer.ReasonUnknownStatus}, {7, "6", importer.ReasonBadCoordinates}, {8, "7", importer.ReasonMissingCategory},
		{9, "", importer.ReasonMissingID}, {11, "9", ""}, {12, "", importer.ReasonBadCSV}, {13, "11", importer.ReasonBadCoordinates}}
	if len(gots) != len(want) {
		t.Fatalf("rows %+v\nwant %+v", gots, want)
	}
	for i := range want {
		if gots[i] != want[i] {
			t.Errorf("row %d: %+v, want %+v", i, gots[i], want[i])
		}
	}
	if want := time.Date(2015, 1, 5, 17, 40, 41, 0, time.UTC); !first.Created.Equal(want) {
		t.Errorf("created %v, want %v (New York time)", first.Created.UTC(), want)
	}
	if want := time.Date(2015, 1, 6, 6, 0, 0, 0, time.UTC); first.Status != importer.StatusClosed || !first.Closed.Equal(want) {
		t.Errorf("closed %v %v, want %v", first.Status, first.Closed.UTC(), want)
	}
	if first.Description != "a\nb" || first.Address != "1 Main St" || first.Channel != "app" || first.CategoryName != "Pot Hole" || first.Lat == nil {
		t.Errorf("first row %+v", first)
	}
	if second.Status != importer.StatusOpen || second.Channel != "phone" || second.Lat != nil {
		t.Errorf("second row %+v (unknown channel: the default)", second)
	}
}

func errorsIsRefusal(err error) bool {
	var r *importer.Refusal
	return errors.As(err, &r)
}

func TestMappingErrors(t *testing.T) {
	for name, y := range map[string]string{
		"unknown key":        testMapping + "colour: red\n",
		"no source":          strings.Replace(testMapping, "source: city_old", "", 1),
		"status to nowhere":  strings.Replace(testMapping, "Closed: closed", "Closed: done", 1),
		"bad channel":        strings.Replace(testMapping, "Call: phone", "Call: pigeon", 1),
		"bad zone":           strings.Replace(testMapping, "America/New_York", "Mars/Olympus", 1),
		"lat without lon":    strings.Replace(testMapping, "  lon: LON\n", "", 1),
		"status without map": strings.Replace(testMapping, "status: {Open: open, Closed: closed}", "", 1),
	} {
		if _, err := importer.ParseMapping(strings.NewReader(y)); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	m, err := importer.ParseMapping(strings.NewReader(testMapping))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := importer.NewCSVReader(strings.NewReader("ID,OPENED\n1,2\n"), m, 0); err == nil || !strings.Contains(err.Error(), "STATUS") {
		t.Errorf("header without the mapped columns: %v", err)
	}
}

func TestSlugAndCategory(t *testing.T) {
	for in, want := range map[string]string{"Abandoned Vehicle": "abandoned_vehicle", "4f389210e75084437f0001de": "4f389210e75084437f0001de",
		"  Pot--Hole! ": "pot_hole", "": ""} {
		if got := importer.Slug(in); got != want {
			t.Errorf("Slug(%q) = %q, want %q", in, got, want)
		}
	}
	if s := importer.Slug("路灯"); !strings.HasPrefix(s, "x") || len(s) != 13 {
		t.Errorf("Slug of a name without ASCII: %q", s)
	}
	c := importer.CategoryOf("open311", importer.Row{CategoryCode: "AV", CategoryName: "Abandoned Vehicle"})
	if c.Code != "open311.av" || c.Parent != "open311" || c.NameEN != "Abandoned Vehicle" || !c.Leaf {
		t.Errorf("category %+v", c)
	}
	if c := importer.CategoryOf("b", importer.Row{CategoryName: "Pot Hole"}); c.Code != "b.pot_hole" || c.NameZH != "Pot Hole" {
		t.Errorf("category of a name %+v", c)
	}
}
