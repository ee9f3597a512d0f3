package web_test

import (
	"bytes"
	"fmt"
	"image"
	"image/png"
	"io"
	"mime/multipart"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"whistle/internal/consult"
	"whistle/internal/org"
	"whistle/internal/store"
)

// A street officer reports a project's progress with a photo from the
// project page's form (multipart); the photo is shown on the staff page
// and, the project being approved, on the portal, where anyone may open
// it; another project's path does not serve it.
func TestProjectReportWithPhotosOverHTTP(t *testing.T) {
	s := newSite(t)
	ctx := t.Context()
	svc := s.app.Svc
	officer := s.actor(s.logins[org.RoleHandler])
	ps, err := svc.St.Projects(ctx, store.ProjectFilter{})
	if err != nil {
		t.Fatal(err)
	}
	var mine consult.Project
	for _, p := range ps {
		if p.StreetID == officer.Unit.ID && (p.State == consult.ProjectApproved || p.State == consult.ProjectProposed) {
			mine = p
		}
	}
	if mine.ID == 0 {
		prop, err := svc.Consult.ProposeProject(ctx, officer, consult.Project{PlaceID: officer.Unit.PlaceID, Title: "楼道照明改造", Need: "楼道太暗", Plan: "更换灯具", BudgetFen: 3000_00})
		if err != nil {
			t.Fatal(err)
		}
		mine = *prop
	}
	if mine.State == consult.ProjectProposed {
		if _, err := svc.Consult.DecideProject(ctx, officer, mine.ID, true, mine.BudgetFen, ""); err != nil {
			t.Fatal(err)
		}
	}
	img := image.NewRGBA(image.Rect(0, 0, 8, 8))
	for i := range img.Pix {
		img.Pix[i] = 0x80
	}
	var pic bytes.Buffer
	if err := png.Encode(&pic, img); err != nil {
		t.Fatal(err)
	}
	var form bytes.Buffer
	mw := multipart.NewWriter(&form)
	mw.WriteField("note", "路灯已安装一半")
	mw.WriteField("percent", "50")
	fw, _ := mw.CreateFormFile("photos", "site.png")
	fw.Write(pic.Bytes())
	mw.Close()
	staff := s.client(org.RoleHandler)
	res, err := staff.Post(fmt.Sprintf("%s/projects/%d/report", s.base, mine.ID), mw.FormDataContentType(), &form)
	if err != nil {
		t.Fatal(err)
	}
	page := body(t, res)
	src := regexp.MustCompile(fmt.Sprintf(`/projects/%d/photos/(\d+)`, mine.ID)).FindStringSubmatch(page)
	if res.StatusCode != 200 || src == nil || !strings.Contains(page, "路灯已安装一半") {
		t.Fatalf("the project page after the report: %d, photo %v", res.StatusCode, src)
	}
	anon := s.client("")
	portal := body(t, getRes(t, anon, fmt.Sprintf("%s/portal/projects/%d", s.base, mine.ID)))
	if !strings.Contains(portal, fmt.Sprintf("/portal/projects/%d/photos/%s", mine.ID, src[1])) {
		t.Fatalf("the portal page shows no photo")
	}
	for _, c := range []struct {
		who    *http.Client
		path   string
		status int
	}{
		{anon, fmt.Sprintf("/portal/projects/%d/photos/%s", mine.ID, src[1]), 200},
		{staff, fmt.Sprintf("/projects/%d/photos/%s", mine.ID, src[1]), 200},
		{anon, fmt.Sprintf("/portal/projects/%d/photos/%s", mine.ID+1, src[1]), 404},
		{anon, fmt.Sprintf("/portal/projects/%d/photos/x", mine.ID), 404},
	} {
		res := getRes(t, c.who, s.base+c.path)
		b, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != c.status || c.status == 200 && (res.Header.Get("Content-Type") != "image/png" || !bytes.HasPrefix(b, []byte("\x89PNG"))) {
			t.Errorf("GET %s: %d %s, want %d", c.path, res.StatusCode, res.Header.Get("Content-Type"), c.status)
		}
	}
}

func getRes(t *testing.T, c *http.Client, url string) *http.Response {
	t.Helper()
	res, err := c.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	return res
}
