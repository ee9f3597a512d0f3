package services_test

import (
	"bytes"
	"math"
	"os"
	"path/filepath"
	"testing"
	"time"

	"whistle/internal/casework"
	"whistle/internal/casework/testphotos"
	"whistle/internal/core"
	"whistle/internal/errs"
	"whistle/internal/lifecycle"
	"whistle/internal/scheduler"
	"whistle/internal/services"
)

// uploadWorld is a world whose service keeps attachments on disk in dir.
func uploadWorld(t *testing.T, dsn string) (*world, string) {
	t.Helper()
	w := openWorld(t, dsn, time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC))
	dir := t.TempDir()
	w.quotas(dir, 0, 0)
	return w, dir
}

// quotas replaces the world's service by one on the same store with the
// given upload quotas (0 = defaults).
func (w *world) quotas(dir string, user, ip int64) {
	w.t.Helper()
	svc, err := services.New(w.ctx, w.st, core.Config{Now: w.clk.Now, PhoneKey: []byte("assess-test-key"), ReopenLimit: 2,
		AttachmentDir: dir, UploadQuotaUser: user, UploadQuotaIP: ip})
	if err != nil {
		w.t.Fatal(err)
	}
	w.svc = svc
}

func photo(w, h int) []byte { return testphotos.JPEG(testphotos.Picture(w, h)) }

func (w *world) publicCase() casework.NewCase {
	w.phone++
	return casework.NewCase{Type: "complaint", Category: w.category, Description: "路灯不亮", CitizenPhone: "1390000" + itoa(1000+w.phone), PlaceID: w.street.PlaceID}
}

func storedFiles(t *testing.T, dir string) int {
	t.Helper()
	n := 0
	filepath.WalkDir(dir, func(_ string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			n++
		}
		return nil
	})
	return n
}

// TestUploadQuota: staff users and anonymous client addresses each have a
// daily quota in bytes, counting linked and unlinked uploads; over it the
// upload is refused (429, upload_quota) until the window has passed.
func TestUploadQuota(t *testing.T) {
	eachStore(t, func(t *testing.T, dsn string) {
		w, dir := uploadWorld(t, dsn)
		w.quotas(dir, 1, 1)
		a, err := w.svc.Cases.Upload(w.ctx, w.agent, "a.jpg", photo(64, 64))
		if errs.CodeOf(err) != errs.UploadQuota || errs.Status(errs.CodeOf(err)) != 429 {
			t.Fatalf("upload over a 1-byte quota: %+v, %v", a, err)
		}
		// What one upload stores (re-encoded): measured by another user.
		w.quotas(dir, 0, 0)
		m, err := w.svc.Cases.Upload(w.ctx, w.deptH, "m.jpg", photo(64, 64))
		if err != nil {
			t.Fatal(err)
		}
		size := m.Size
		w.quotas(dir, 2*size+size/2, size+size/2)
		if _, err := w.svc.Cases.Upload(w.ctx, w.agent, "1.jpg", photo(64, 64)); err != nil {
			t.Fatal(err)
		}
		att, err := w.svc.Cases.Upload(w.ctx, w.agent, "2.jpg", photo(64, 64))
		if err != nil {
			t.Fatal(err)
		}
		c := w.create()
		if _, _, err := w.svc.Cases.Act(w.ctx, w.agent, c.ID, casework.ActInput{Action: lifecycle.ActNote, Note: "照片", Attachments: []int64{att.ID}}); err != nil {
			t.Fatalf("linking: %v", err)
		}
		// Two uploads, one of them linked: the third is over the quota.
		if _, err := w.svc.Cases.Upload(w.ctx, w.agent, "3.jpg", photo(64, 64)); errs.CodeOf(err) != errs.UploadQuota {
			t.Fatalf("third upload: %v", err)
		}
		// Another user has a quota of their own.
		if _, err := w.svc.Cases.Upload(w.ctx, w.dispatcher, "d.jpg", photo(64, 64)); err != nil {
			t.Fatalf("another user: %v", err)
		}
		// Anonymous uploads are counted by client address.
		cit := core.Citizen()
		if _, err := w.svc.Cases.UploadFrom(w.ctx, cit, "p.jpg", photo(64, 64), "203.0.113.7"); err != nil {
			t.Fatal(err)
		}
		if _, err := w.svc.Cases.UploadFrom(w.ctx, cit, "p.jpg", photo(64, 64), "203.0.113.7"); errs.CodeOf(err) != errs.UploadQuota {
			t.Fatalf("second anonymous upload from one address: %v", err)
		}
		if _, err := w.svc.Cases.UploadFrom(w.ctx, cit, "p.jpg", photo(64, 64), "198.51.100.9"); err != nil {
			t.Fatalf("another address: %v", err)
		}
		// A day later the quota is free again.
		w.clk.Set(w.clk.Now().Add(24*time.Hour + time.Second))
		if _, err := w.svc.Cases.Upload(w.ctx, w.agent, "4.jpg", photo(64, 64)); err != nil {
			t.Fatalf("the next day: %v", err)
		}
		if _, err := w.svc.Cases.UploadFrom(w.ctx, cit, "p.jpg", photo(64, 64), "203.0.113.7"); err != nil {
			t.Fatalf("the next day, anonymous: %v", err)
		}
	})
}

// TestOrphansCollected: attachments never linked to a case are deleted
// after the grace period, rows and files, by the scheduler's job; a file
// shared with a linked attachment (same bytes) stays.
func TestOrphansCollected(t *testing.T) {
	eachStore(t, func(t *testing.T, dsn string) {
		w, dir := uploadWorld(t, dsn)
		t0 := w.clk.Now()
		lone, err := w.svc.Cases.Upload(w.ctx, w.agent, "lone.jpg", photo(40, 30))
		if err != nil {
			t.Fatal(err)
		}
		linked, err := w.svc.Cases.Upload(w.ctx, w.agent, "linked.jpg", photo(50, 30))
		if err != nil {
			t.Fatal(err)
		}
		twin, err := w.svc.Cases.Upload(w.ctx, w.agent, "twin.jpg", photo(50, 30)) // same bytes as linked, never linked
		if err != nil {
			t.Fatal(err)
		}
		if twin.Storage != linked.Storage {
			t.Fatalf("same bytes, different files: %q %q", twin.Storage, linked.Storage)
		}
		c := w.create()
		if _, _, err := w.svc.Cases.Act(w.ctx, w.agent, c.ID, casework.ActInput{Action: lifecycle.ActNote, Note: "照片", Attachments: []int64{linked.ID}}); err != nil {
			t.Fatal(err)
		}
		if n := storedFiles(t, dir); n != 2 {
			t.Fatalf("%d files stored, want 2", n)
		}
		sch := &scheduler.Scheduler{Svc: w.svc, Node: "t"}
		// Within the grace period nothing goes.
		w.clk.Set(t0.Add(23 * time.Hour))
		if err := sch.CollectOrphans(w.ctx); err != nil {
			t.Fatal(err)
		}
		if _, _, err := w.svc.Cases.Attachment(w.ctx, w.agent, lone.ID); err != nil {
			t.Fatalf("an orphan within the grace period: %v", err)
		}
		w.clk.Set(t0.Add(24*time.Hour + time.Minute))
		if err := sch.CollectOrphans(w.ctx); err != nil {
			t.Fatal(err)
		}
		for _, id := range []int64{lone.ID, twin.ID} {
			if _, _, err := w.svc.Cases.Attachment(w.ctx, w.agent, id); errs.CodeOf(err) != errs.NotFound {
				t.Fatalf("orphan %d after the grace period: %v", id, err)
			}
		}
		if _, b, err := w.svc.Cases.Attachment(w.ctx, w.agent, linked.ID); err != nil || len(b) == 0 {
			t.Fatalf("the linked attachment (sharing its file with a deleted orphan): %d bytes, %v", len(b), err)
		}
		if n := storedFiles(t, dir); n != 1 {
			t.Fatalf("%d files left, want 1 (the linked one)", n)
		}
		// Once more: nothing left to do.
		if n, _, err := w.svc.Cases.CollectOrphans(w.ctx, w.clk.Now()); n != 0 || err != nil {
			t.Fatalf("second pass: %d, %v", n, err)
		}
	})
}

// TestPublicPhotos: a citizen's retry with the same text and photos
// returns the first request and leaves no copies behind; other photos are
// another submission; the GPS position is used only when shared.
func TestPublicPhotos(t *testing.T) {
	eachStore(t, func(t *testing.T, dsn string) {
		w, dir := uploadWorld(t, dsn)
		lat, lon := 39.9, 116.4
		if _, err := w.svc.Locate(lat, lon); err != nil {
			t.Fatalf("the test point is not in the demo city: %v", err)
		}
		gps := testphotos.GPSJPEG(32, 24, lat, lon)
		in := w.publicCase()
		in.PlaceID = 0
		in.Address = ""
		// Not shared: no place, refused, nothing stored.
		pp := casework.PublicPhotos{Photos: []casework.Photo{{Name: "a.jpg", Data: gps}}, IP: "203.0.113.5"}
		if _, _, err := w.svc.Cases.SubmitPublicWith(w.ctx, in, pp, "k1"); errs.CodeOf(err) != errs.FieldRequired {
			t.Fatalf("without a place and without sharing: %v", err)
		}
		if n := storedFiles(t, dir); n != 0 {
			t.Fatalf("%d files stored for a refused submission", n)
		}
		pp.ShareLocation = true
		c, replayed, err := w.svc.Cases.SubmitPublicWith(w.ctx, in, pp, "k1")
		if err != nil || replayed {
			t.Fatalf("shared: %v, %v", err, replayed)
		}
		got, err := w.svc.Cases.Get(w.ctx, w.agent, c.ID)
		if err != nil {
			t.Fatal(err)
		}
		if l := got.Location; l.Lat == nil || math.Abs(*l.Lat-lat) > 1e-6 || math.Abs(*l.Lon-lon) > 1e-6 {
			t.Fatalf("point %v, %v; want the photo's", l.Lat, l.Lon)
		}
		// The retry uploads the photo again: same case, copy dropped.
		again, replayed, err := w.svc.Cases.SubmitPublicWith(w.ctx, in, pp, "k1")
		if err != nil || !replayed || again.ID != c.ID {
			t.Fatalf("retry: %v, replayed %v, case %+v vs %d", err, replayed, again, c.ID)
		}
		if n, _, err := w.svc.Cases.CollectOrphans(w.ctx, w.clk.Now().Add(48*time.Hour)); n != 0 || err != nil {
			t.Fatalf("orphans after a retry: %d, %v", n, err)
		}
		// Different photos with the same key: another submission.
		pp.Photos = []casework.Photo{{Name: "b.jpg", Data: testphotos.GPSJPEG(33, 24, lat, lon)}}
		if _, _, err := w.svc.Cases.SubmitPublicWith(w.ctx, in, pp, "k1"); errs.CodeOf(err) != errs.IdempotencyMismatch {
			t.Fatalf("other photos, same key: %v", err)
		}
		// The stored photo has no GPS position left.
		evs, err := w.svc.Cases.Timeline(w.ctx, w.agent, c.ID)
		if err != nil || len(evs) == 0 || len(evs[0].Attachments) != 1 {
			t.Fatalf("events: %v, %+v", err, evs)
		}
		_, b, err := w.svc.Cases.Attachment(w.ctx, w.agent, evs[0].Attachments[0])
		if err != nil {
			t.Fatal(err)
		}
		if _, _, ok := casework.PhotoPoint(b); ok || bytes.Contains(b, []byte("Exif")) {
			t.Fatal("the stored photo keeps its EXIF GPS position")
		}
	})
}
