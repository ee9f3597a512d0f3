package api_test

import (
	"archive/zip"
	"bytes"
	"fmt"
	"math"
	"net/url"
	"testing"

	"whistle/internal/casework"
	"whistle/internal/casework/testphotos"
	"whistle/internal/errs"
	"whistle/internal/lifecycle"
)

// A citizen's submission over the public API with photos: a retry (same
// key, same text, same photos uploaded again) returns the first request;
// other photos under the key are refused; the photo's GPS position is the
// point only when the citizen shares it; the stored photo has no EXIF.
func TestAPIPublicPhotos(t *testing.T) {
	e := apiOpen(t, "")
	phone := e.apiPhone()
	gps := testphotos.GPSJPEG(48, 32, e.gridA.Lat, e.gridA.Lon)
	in := e.apiCaseIn(e.gridA, phone)
	delete(in, "lat")
	delete(in, "lon")
	delete(in, "address")
	in["channel"] = "web"
	in["photos"] = []map[string]any{{"name": "现场.jpg", "data": gps}}
	key := "Idempotency-Key"

	// Not shared: the photo says nothing about the place.
	apiRefused(t, e.apiDo("", "POST", "/api/v1/public/cases", in, key, "p1"), 422, errs.FieldRequired)
	in["share_photo_location"] = true
	var first struct {
		Number string `json:"number"`
	}
	apiWant(t, e.apiDo("", "POST", "/api/v1/public/cases", in, key, "p1"), 201, &first)
	var again struct {
		Number string `json:"number"`
	}
	apiWant(t, e.apiDo("", "POST", "/api/v1/public/cases", in, key, "p1"), 200, &again)
	if again.Number != first.Number {
		t.Fatalf("retry made %s, first was %s", again.Number, first.Number)
	}
	cases := e.apiList(e.agent, "limit=10&phone="+url.QueryEscape(phone)).Cases
	if len(cases) != 1 {
		t.Fatalf("%d cases for the phone after a retry, want 1", len(cases))
	}
	c := cases[0]
	if l := c.Location; l.Lat == nil || math.Abs(*l.Lat-e.gridA.Lat) > 1e-5 || math.Abs(*l.Lon-e.gridA.Lon) > 1e-5 {
		t.Fatalf("point %v, %v, want the photo's %v, %v", l.Lat, l.Lon, e.gridA.Lat, e.gridA.Lon)
	}
	// Other photos under the same key: another submission, refused.
	in["photos"] = []map[string]any{{"name": "别的.jpg", "data": testphotos.GPSJPEG(49, 32, e.gridA.Lat, e.gridA.Lon)}}
	apiRefused(t, e.apiDo("", "POST", "/api/v1/public/cases", in, key, "p1"), 422, errs.IdempotencyMismatch)

	evs := e.apiEvents(e.agent, c.ID)
	if len(evs) == 0 || len(evs[0].Attachments) != 1 {
		t.Fatalf("the request's first event has attachments %+v", evs)
	}
	r := e.apiDo(e.agent, "GET", fmt.Sprintf("/api/v1/attachments/%d", evs[0].Attachments[0]), nil)
	if r.Status != 200 || r.Header.Get("Content-Type") != "image/jpeg" {
		t.Fatalf("download: %v", r.Status)
	}
	if _, _, ok := casework.PhotoPoint(r.Body); ok || bytes.Contains(r.Body, []byte("Exif")) {
		t.Fatal("the stored photo keeps its EXIF position")
	}
	// Anything but a photo is refused.
	in["lat"], in["lon"] = e.gridA.Lat, e.gridA.Lon
	in["photos"] = []map[string]any{{"name": "x.png", "data": testphotos.PNGBomb(100000, 100000)}}
	apiRefused(t, e.apiDo("", "POST", "/api/v1/public/cases", in, key, "p2"), 422, errs.ImageTooLarge)
}

// Staff uploads are re-encoded: a JPEG+ZIP polyglot and a PNG with HTML
// after it are stored without their payloads; a pixel bomb is refused;
// a user's daily quota ends in 429.
func TestAPIUploadsReencodedAndLimited(t *testing.T) {
	e := apiOpen(t, "")
	upload := func(name string, data []byte) apiResp {
		return e.apiDo(e.agent, "POST", "/api/v1/attachments?name="+url.QueryEscape(name), data, "Content-Type", "application/octet-stream")
	}
	download := func(id int64) []byte {
		r := e.apiDo(e.agent, "GET", fmt.Sprintf("/api/v1/attachments/%d", id), nil)
		if r.Status != 200 {
			t.Fatalf("download %d: %v", id, r)
		}
		return r.Body
	}
	var att lifecycle.Attachment
	apiWant(t, upload("poly.jpg", testphotos.ZipPolyglot(24, 24)), 201, &att)
	used := att.Size
	b := download(att.ID)
	if _, err := zip.NewReader(bytes.NewReader(b), int64(len(b))); err == nil || bytes.Contains(b, []byte("<script")) {
		t.Fatal("the stored polyglot still holds its ZIP")
	}
	html := append(testphotos.PNG(testphotos.Picture(10, 10)), "<html><script>alert(1)</script></html>"...)
	apiWant(t, upload("page.png", html), 201, &att)
	if b := download(att.ID); bytes.Contains(b, []byte("<script")) || att.ContentType != "image/png" {
		t.Fatal("the stored PNG still holds its HTML")
	}
	apiRefused(t, upload("bomb.png", testphotos.PNGBomb(50000, 50000)), 422, errs.ImageTooLarge)
	apiRefused(t, upload("broken.jpg", []byte("\xFF\xD8\xFF\xE0 nothing more")), 422, errs.InvalidImage)

	used += att.Size
	e.app.Svc.Cases.Cfg.UploadQuotaUser = used + att.Size + att.Size/2 // room for one more such PNG
	apiWant(t, upload("ok.png", testphotos.PNG(testphotos.Picture(10, 10))), 201, &att)
	apiRefused(t, upload("over.png", testphotos.PNG(testphotos.Picture(10, 10))), 429, errs.UploadQuota)
}
