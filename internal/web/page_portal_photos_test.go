package web_test

import (
	"bytes"
	"math"
	"mime/multipart"
	"net/http"
	"regexp"
	"testing"
	"time"

	"whistle/internal/casework"
	"whistle/internal/casework/testphotos"
	"whistle/internal/org"
)

// The portal form with photos: a retry (the same form, idempotency key and
// photos, sent again after a lost answer) returns the first request and
// leaves no stored copies behind; other photos under the key are refused;
// the photo's GPS position is the point only when the box is ticked, and
// the stored photo keeps none of its metadata.
func TestPortalPhotosRetryAndLocation(t *testing.T) {
	s := newSite(t)
	c := s.client("")
	lat, lon := 39.9, 116.4
	if _, err := s.app.Svc.Locate(lat, lon); err != nil {
		t.Fatalf("the test point is not in the demo city: %v", err)
	}
	post := func(idem string, share bool, photos ...[]byte) (int, string) {
		t.Helper()
		var b bytes.Buffer
		mw := multipart.NewWriter(&b)
		for k, v := range map[string]string{"idem": idem, "type": "complaint", "category": "urban.stall",
			"description": "路口有流动摊贩占道经营", "citizen_phone": "13912345678"} {
			mw.WriteField(k, v)
		}
		if share {
			mw.WriteField("share_location", "1")
		}
		for _, p := range photos {
			w, _ := mw.CreateFormFile("photo", "现场.jpg")
			w.Write(p)
		}
		mw.Close()
		req, _ := http.NewRequestWithContext(t.Context(), "POST", s.base+"/portal", &b)
		req.Header.Set("Content-Type", mw.FormDataContentType())
		res, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		return res.StatusCode, body(t, res)
	}
	number := regexp.MustCompile(`id="request-number">([0-9]+)<`)
	gps := testphotos.GPSJPEG(40, 30, lat, lon)

	// The box not ticked: the photo's position is not used, and the form
	// asks for a place.
	if st, page := post("w1", false, gps); st != 422 || !invalid(page, "address") {
		t.Fatalf("not shared: status %d, address marked %v", st, invalid(page, "address"))
	}
	st, page := post("w1", true, gps)
	m := number.FindStringSubmatch(page)
	if st != 201 || m == nil {
		t.Fatalf("shared: status %d, no number", st)
	}
	st, page = post("w1", true, gps)
	m2 := number.FindStringSubmatch(page)
	if st != 201 || m2 == nil || m2[1] != m[1] {
		t.Fatalf("retry: status %d, number %v, first %s", st, m2, m[1])
	}
	if st, _ := post("w1", true, testphotos.GPSJPEG(41, 30, lat, lon)); st != 422 {
		t.Fatalf("other photos under the same key: status %d, want 422", st)
	}
	cs, _, err := s.app.Svc.Cases.Lookup(t.Context(), m[1], "13912345678")
	if err != nil {
		t.Fatal(err)
	}
	full, err := s.app.Svc.Cases.Get(t.Context(), agentActor(t, s), cs.ID)
	if err != nil {
		t.Fatal(err)
	}
	if l := full.Location; l.Lat == nil || math.Abs(*l.Lat-lat) > 1e-6 || math.Abs(*l.Lon-lon) > 1e-6 {
		t.Fatalf("point %v, %v; want the photo's", l.Lat, l.Lon)
	}
	evs, err := s.app.Svc.Cases.Timeline(t.Context(), agentActor(t, s), cs.ID)
	if err != nil || len(evs) == 0 || len(evs[0].Attachments) != 1 {
		t.Fatalf("attachments of the first event: %v %+v", err, evs)
	}
	_, data, err := s.app.Svc.Cases.Attachment(t.Context(), agentActor(t, s), evs[0].Attachments[0])
	if err != nil {
		t.Fatal(err)
	}
	if _, _, ok := casework.PhotoPoint(data); ok || bytes.Contains(data, []byte("Exif")) {
		t.Fatal("the stored photo keeps its EXIF position")
	}
	// The retries' copies are gone already: nothing for the collector.
	if n, _, err := s.app.Svc.Cases.CollectOrphans(t.Context(), s.app.Svc.Cases.Now().Add(72*time.Hour)); n != 0 || err != nil {
		t.Fatalf("orphans left by retries: %d, %v", n, err)
	}
}

func agentActor(t *testing.T, s *site) org.Actor {
	t.Helper()
	u, _, err := s.app.Svc.St.UserByName(t.Context(), s.logins[org.RoleAgent])
	if err != nil {
		t.Fatal(err)
	}
	a, err := s.app.Svc.Actor(u)
	if err != nil {
		t.Fatal(err)
	}
	return a
}
