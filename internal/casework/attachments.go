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

	"whistle/internal/core"
	"whistle/internal/errs"
	"whistle/internal/lifecycle"
	"whistle/internal/org"
	"whistle/internal/store"
)

// AllowedMedia are the attachment types accepted, detected from content.
var AllowedMedia = []string{"image/jpeg", "image/png", "image/gif", "image/webp", "application/pdf"}

// Upload stores an attachment not yet linked to a case. The type is
// detected from the bytes, not trusted from the client.
func (s *Service) Upload(ctx context.Context, a org.Actor, name string, data []byte) (lifecycle.Attachment, error) {
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
	sum := sha256.Sum256(data)
	att := lifecycle.Attachment{Name: name, ContentType: ct, Size: int64(len(data)), SHA256: hex.EncodeToString(sum[:]), Storage: "db", CreatedBy: a.User.ID, CreatedAt: s.Now()}
	if s.Cfg.AttachmentDir != "" {
		rel := filepath.Join(att.SHA256[:2], att.SHA256)
		if err := writeFileSync(filepath.Join(s.Cfg.AttachmentDir, rel), data); err != nil {
			return att, errs.Wrap(err)
		}
		att.Storage = "disk:" + rel
	}
	err := s.St.Write(ctx, func(tx *store.Tx) error { return tx.InsertAttachment(ctx, &att, data) })
	return att, err
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
