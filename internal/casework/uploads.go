package casework

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"whistle/internal/core"
	"whistle/internal/errs"
	"whistle/internal/lifecycle"
	"whistle/internal/store"
)

// MaxPublicPhotos bounds the photos sent with one citizen submission.
const MaxPublicPhotos = 3

// Photo is a file a citizen sends with a submission.
type Photo struct {
	Name string
	Data []byte
}

// PublicPhotos are the photos sent with a citizen's submission.
type PublicPhotos struct {
	Photos []Photo
	// ShareLocation: the citizen chose to share where the photos were
	// taken. Only then is a photo's GPS position read (before it is
	// dropped with the rest of the metadata), and used as the request's
	// point when the citizen gave none.
	ShareLocation bool
	IP            string // the client's address, for the upload quota
}

// PlaceFromPhotos sets a submission's point from the first photo with a
// GPS position inside the city, when the citizen chose to share it and gave
// no point of their own.
func (s *Service) PlaceFromPhotos(in *NewCase, p PublicPhotos) {
	if !p.ShareLocation || in.Lat != nil || in.Lon != nil || in.PlaceID != 0 {
		return
	}
	for _, ph := range p.Photos {
		lat, lon, ok := PhotoPoint(ph.Data)
		if !ok {
			continue
		}
		if _, err := s.Locate(lat, lon); err != nil {
			continue // outside the city: not a place to send anyone
		}
		in.Lat, in.Lon = &lat, &lon
		return
	}
}

// SubmitPublicWith takes a citizen's submission with its photos (the
// portal page, the public API): the photos' location is used if shared
// (PlaceFromPhotos), the submission is checked before anything is stored,
// the photos are stored (re-encoded, counted against the address's quota)
// and linked to the new request. A retry with the same idempotency key, the
// same text and the same photos returns the first request; the retry's own
// copies of the photos are deleted at once.
func (s *Service) SubmitPublicWith(ctx context.Context, in NewCase, p PublicPhotos, idemKey string) (*lifecycle.Case, bool, error) {
	if len(p.Photos) > MaxPublicPhotos {
		return nil, false, &errs.Error{Code: errs.Invalid, Field: "photos", Detail: fmt.Sprintf("at most %d photos", MaxPublicPhotos)}
	}
	in.Attachments = nil // only the photos sent now
	s.PlaceFromPhotos(&in, p)
	probe := in
	if err := s.preparePublic(ctx, &probe); err != nil {
		return nil, false, err // nothing stored for a submission that will be refused
	}
	var atts []lifecycle.Attachment
	for _, ph := range p.Photos {
		att, err := s.UploadFrom(ctx, core.Citizen(), ph.Name, ph.Data, p.IP)
		if err != nil {
			s.dropUploads(ctx, atts)
			return nil, false, err
		}
		atts = append(atts, att)
		in.Attachments = append(in.Attachments, att.ID)
	}
	c, replayed, err := s.SubmitPublic(ctx, in, idemKey)
	if err != nil || replayed {
		s.dropUploads(ctx, atts)
	}
	return c, replayed, err
}

// dropUploads deletes fresh uploads that no request took.
func (s *Service) dropUploads(ctx context.Context, atts []lifecycle.Attachment) {
	for _, a := range atts {
		if _, err := s.dropOrphan(ctx, store.OrphanAttachment{ID: a.ID, Storage: a.Storage, Size: a.Size}); err != nil {
			s.Log.Warn("dropping an unused upload", "id", a.ID, "err", err)
		}
	}
}

// idemBody is what a creation's idempotency hash is computed over: the
// input with its attachments named by their content (SHA-256 of the stored
// bytes), not by their ids, which a retry uploading the same photos again
// gets anew.
func (s *Service) idemBody(ctx context.Context, in NewCase) ([]byte, error) {
	if len(in.Attachments) == 0 {
		return json.Marshal(in)
	}
	sums, err := s.St.AttachmentSums(ctx, in.Attachments)
	if err != nil {
		return nil, err
	}
	for i, sum := range sums {
		if sum == "" {
			sums[i] = fmt.Sprintf("id:%d", in.Attachments[i]) // unknown: refused later
		}
	}
	bare := in
	bare.Attachments = nil
	return json.Marshal(struct {
		NewCase
		Photos []string `json:"attachment_sha256"`
	}{bare, sums})
}

// CollectOrphans deletes the attachments never linked to a case that were
// stored longer than the grace period (core.Config.OrphanGrace) before
// now: their rows, and their files when no other row shares them. It
// returns how many were deleted and their bytes. It is safe to run beside
// uploads, in this process or another.
func (s *Service) CollectOrphans(ctx context.Context, now time.Time) (n int, size int64, err error) {
	cutoff := now.Add(-s.Cfg.OrphanGrace)
	for ctx.Err() == nil {
		list, err := s.St.OrphanAttachments(ctx, cutoff, 200)
		if err != nil {
			return n, size, err
		}
		for _, o := range list {
			done, err := s.dropOrphan(ctx, o)
			if err != nil {
				return n, size, err
			}
			if done {
				n++
				size += o.Size
			}
		}
		if len(list) < 200 {
			return n, size, nil
		}
	}
	return n, size, ctx.Err()
}

// dropOrphan deletes an attachment if it is still not linked to a case,
// and then its file if no row refers to it any more. A file is first moved
// aside and the rows checked again: an upload of the same bytes committed
// meanwhile finds the file missing and writes it again (see UploadFrom), or
// is seen here and the file is put back.
func (s *Service) dropOrphan(ctx context.Context, o store.OrphanAttachment) (bool, error) {
	var deleted bool
	err := s.St.Write(ctx, func(tx *store.Tx) error {
		var err error
		deleted, err = tx.DeleteOrphanAttachment(ctx, o.ID)
		return err
	})
	if err != nil || !deleted {
		return false, err
	}
	rel, ok := strings.CutPrefix(o.Storage, "disk:")
	if !ok || s.Cfg.AttachmentDir == "" {
		return true, nil
	}
	used, err := s.St.StorageUsed(ctx, o.Storage)
	if err != nil || used {
		return true, err
	}
	path := filepath.Join(s.Cfg.AttachmentDir, rel)
	b := make([]byte, 6)
	rand.Read(b)
	aside := path + ".gc-" + hex.EncodeToString(b)
	if err := os.Rename(path, aside); err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return true, nil // gone already
		}
		return true, err
	}
	used, err = s.St.StorageUsed(ctx, o.Storage)
	if err != nil || used {
		if rerr := os.Rename(aside, path); rerr != nil {
			err = errors.Join(err, rerr)
		}
		return true, err
	}
	return true, os.Remove(aside)
}
