package casework

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"whistle/internal/core"
	"whistle/internal/errs"
	"whistle/internal/lifecycle"
	"whistle/internal/org"
	"whistle/internal/store"
)

// AllowedMedia are the attachment types accepted, detected from content.
// Images are decoded and encoded again (see reencode); PDF documents are
// taken from staff only, as they are.
var AllowedMedia = []string{"image/jpeg", "image/png", "image/gif", "image/webp", "application/pdf"}

// decoding bounds how many images are decoded at once: a 40-megapixel
// image takes some 160 MB while it is re-encoded.
var decoding = make(chan struct{}, 2)

// Upload stores an attachment not yet linked to a case. The type is
// detected from the bytes, not trusted from the client.
func (s *Service) Upload(ctx context.Context, a org.Actor, name string, data []byte) (lifecycle.Attachment, error) {
	return s.UploadFrom(ctx, a, name, data, "")
}

// UploadFrom stores an attachment not yet linked to a case, sent from the
// client address ip. The type is detected from the bytes, not trusted from
// the client; an image is decoded and encoded again, and the new bytes are
// stored, so that nothing but its pixels is kept (no EXIF, no GPS position,
// no document hidden in or after it). What a staff user, or an anonymous
// client address, stored in the last 24 hours counts against a quota
// (core.Config.UploadQuotaUser, UploadQuotaIP), linked to a case or not.
func (s *Service) UploadFrom(ctx context.Context, a org.Actor, name string, data []byte, ip string) (lifecycle.Attachment, error) {
	if int64(len(data)) > s.Cfg.MaxAttachment {
		return lifecycle.Attachment{}, &errs.Error{Code: errs.TooLarge, Field: "file", Detail: fmt.Sprintf("max %d bytes", s.Cfg.MaxAttachment)}
	}
	if len(data) == 0 {
		return lifecycle.Attachment{}, errs.F(errs.FieldRequired, "file")
	}
	ct := http.DetectContentType(data)
	if i := strings.IndexByte(ct, ';'); i >= 0 {
		ct = ct[:i]
	}
	if !slices.Contains(AllowedMedia, ct) {
		return lifecycle.Attachment{}, &errs.Error{Code: errs.UnsupportedMedia, Field: "file", Detail: ct}
	}
	name = filepath.Base(strings.TrimSpace(name))
	if name == "" || name == "." || name == "/" {
		name = "attachment"
	}
	if core.TooLong(name, 200) {
		name = string([]rune(name)[:200])
	}
	uploader, quota := "", s.Cfg.UploadQuotaUser
	if a.User.ID == 0 {
		uploader, quota = uploaderKey(ip), s.Cfg.UploadQuotaIP
	}
	now := s.Now()
	used, err := s.St.UploadedSince(ctx, a.User.ID, uploader, now.Add(-24*time.Hour))
	if err != nil {
		return lifecycle.Attachment{}, err
	}
	overQuota := func(size int64) error {
		if used+size > quota {
			return &errs.Error{Code: errs.UploadQuota, Field: "file", Detail: fmt.Sprintf("%d of %d bytes used", used, quota)}
		}
		return nil
	}
	if err := overQuota(1); err != nil {
		return lifecycle.Attachment{}, err // nothing decoded for a client over its quota
	}
	if ct == "application/pdf" {
		if a.User.ID == 0 {
			// Citizens send photos.
			return lifecycle.Attachment{}, &errs.Error{Code: errs.InvalidImage, Field: "file", Detail: ct}
		}
	} else {
		select {
		case decoding <- struct{}{}:
		case <-ctx.Done():
			return lifecycle.Attachment{}, errs.Wrap(ctx.Err())
		}
		var newCT string
		data, newCT, err = reencode(ct, data)
		<-decoding
		if err != nil {
			return lifecycle.Attachment{}, err
		}
		if newCT != ct {
			name = strings.TrimSuffix(name, filepath.Ext(name)) + ".png"
			ct = newCT
		}
	}
	if err := overQuota(int64(len(data))); err != nil {
		return lifecycle.Attachment{}, err // the stored size counts
	}
	sum := sha256.Sum256(data)
	att := lifecycle.Attachment{Name: name, ContentType: ct, Size: int64(len(data)), SHA256: hex.EncodeToString(sum[:]), Storage: "db", CreatedBy: a.User.ID, CreatedAt: now}
	var path string
	if s.Cfg.AttachmentDir != "" {
		rel := filepath.Join(att.SHA256[:2], att.SHA256)
		path = filepath.Join(s.Cfg.AttachmentDir, rel)
		if err := writeFileSync(path, data); err != nil {
			return att, errs.Wrap(err)
		}
		att.Storage = "disk:" + rel
	}
	err = s.St.Write(ctx, func(tx *store.Tx) error { return tx.InsertUpload(ctx, &att, uploader, data) })
	if err == nil && path != "" {
		// The orphan collector (maybe another process) may have taken
		// the file between its writing and the row's commit; it checks
		// for rows after moving a file aside, so a file missing now is
		// written again and stays.
		if _, serr := os.Stat(path); serr != nil {
			err = errs.Wrap(writeFileSync(path, data))
		}
	}
	return att, err
}

// uploaderKey is what anonymous uploads are counted by: a hash of the
// client address, not the address itself.
func uploaderKey(ip string) string {
	sum := sha256.Sum256([]byte("upload-quota\x00" + ip))
	return "ip:" + hex.EncodeToString(sum[:16])
}

// writeFileSync writes a content-addressed file durably (file and directory
// fsynced) before its row is committed.
func writeFileSync(path string, data []byte) error {
	if _, err := os.Stat(path); err == nil {
		return nil // same content already stored
	}
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(dir, ".up-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return err
	}
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}

// Attachment returns an attachment's metadata and bytes if the actor may
// see it: the uploader, or anyone who can see its case.
func (s *Service) Attachment(ctx context.Context, a org.Actor, id int64) (lifecycle.Attachment, []byte, error) {
	att, data, err := s.St.GetAttachment(ctx, id)
	if err != nil {
		return att, nil, err
	}
	if att.CaseID == 0 {
		if att.CreatedBy != a.User.ID || a.User.ID == 0 {
			return att, nil, errs.E(errs.NotFound)
		}
	} else if _, err := s.Get(ctx, a, att.CaseID); err != nil {
		return att, nil, err
	}
	if rel, ok := strings.CutPrefix(att.Storage, "disk:"); ok {
		data, err = os.ReadFile(filepath.Join(s.Cfg.AttachmentDir, rel))
		if err != nil {
			return att, nil, errs.Wrap(err)
		}
	}
	return att, data, nil
}

// CitizenAttachment returns an attachment of a citizen's own case.
func (s *Service) CitizenAttachment(ctx context.Context, c *lifecycle.Case, id int64) (lifecycle.Attachment, []byte, error) {
	att, data, err := s.St.GetAttachment(ctx, id)
	if err != nil || att.CaseID != c.ID {
		return att, nil, errs.E(errs.NotFound)
	}
	if rel, ok := strings.CutPrefix(att.Storage, "disk:"); ok {
		data, err = os.ReadFile(filepath.Join(s.Cfg.AttachmentDir, rel))
		if err != nil {
			return att, nil, errs.Wrap(err)
		}
	}
	return att, data, nil
}
