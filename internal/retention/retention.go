// Package retention applies the retention period to personal data (issue
// #11): closed cases older than the period are anonymised — the citizen's
// name, phone and phone hash erased, the address reduced to its place, free
// text redacted, attachments deleted — while everything the analytics need
// (category, places, times, states, assessment facts) stays. It also
// builds the open-data export, which never carries personal data.
package retention

import (
	"context"
	"errors"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"whistle/internal/core"
	"whistle/internal/deliberation"
	"whistle/internal/lifecycle"
	"whistle/internal/org"
	"whistle/internal/store"
)

// DefaultDays is the default retention period after closing: three years.
const DefaultDays = 1095

// DefaultBatch is how many cases one transaction anonymises.
const DefaultBatch = 200

// Service anonymises closed cases past the retention period.
type Service struct {
	*core.Core
	Days int // retention period in days after closing; 0 = retention disabled
}

// New builds the service over the core; days is the retention period.
func New(c *core.Core, days int) *Service { return &Service{Core: c, Days: days} }

// Report is the outcome of a run.
type Report struct {
	Disabled    bool      `json:"disabled,omitempty"` // Days is 0: nothing done
	DryRun      bool      `json:"dry_run,omitempty"`
	Cutoff      time.Time `json:"cutoff"`      // cases closed before this are due
	Due         int       `json:"due"`         // due before the run
	Anonymised  int       `json:"anonymised"`  // cases anonymised by the run
	Events      int       `json:"events"`      // event documents rewritten
	Attachments int       `json:"attachments"` // attachments deleted
	Files       int       `json:"files"`       // attachment files removed from disk
	Batches     int       `json:"batches"`     // transactions (one audit entry each)
	Exemptions  int       `json:"exemptions"`  // exemption requests of the cases redacted
	Keys        int       `json:"keys"`        // idempotency keys of the cases deleted
	Whistles    int       `json:"whistles"`    // closed whistles redacted
	Ratings     int       `json:"ratings"`     // residents' property ratings anonymised
	// Volunteers counts the records of volunteers who left or were refused
	// before the cut-off whose name and phone were erased.
	Volunteers int `json:"volunteers"`
	// Deliberations counts the items ended (closed or declined) before the
	// cut-off whose proposer and residents' names were erased.
	Deliberations int `json:"deliberations"`
}

// whistlesUntil is the setting holding how far whistles are anonymised,
// "closed_at,id" (Unix ms): every whistle before it in the order of
// closing time and id has been redacted.
const whistlesUntil = "retention.whistles_until"

// Cutoff is the moment before which a case must have closed to be due.
func (s *Service) Cutoff(now time.Time) time.Time { return now.AddDate(0, 0, -s.Days) }

// Run anonymises every case closed before now minus the retention period,
// batch cases per transaction, each transaction with one audit entry
// (retention_anonymise: count and cut-off, never the data). It is
// idempotent: anonymised cases are marked and not touched again.
func (s *Service) Run(ctx context.Context, now time.Time, batch int) (Report, error) {
	return s.run(ctx, now, batch, false)
}

// DryRun counts what Run would anonymise, changing nothing.
func (s *Service) DryRun(ctx context.Context, now time.Time) (Report, error) {
	return s.run(ctx, now, 0, true)
}

func (s *Service) run(ctx context.Context, now time.Time, batch int, dry bool) (Report, error) {
	rep := Report{DryRun: dry}
	if s.Days <= 0 {
		rep.Disabled = true
		return rep, nil
	}
	if batch <= 0 {
		batch = DefaultBatch
	}
	rep.Cutoff = s.Cutoff(now)
	due, err := s.St.CountToAnonymise(ctx, rep.Cutoff)
	if err != nil {
		return rep, err
	}
	rep.Due = due
	if dry {
		return rep, nil
	}
	for due > 0 && ctx.Err() == nil {
		var b Report
		var files []string
		err := s.St.Write(ctx, func(tx *store.Tx) error {
			b, files = Report{}, nil // a retried transaction starts afresh
			cases, err := tx.CasesToAnonymise(ctx, rep.Cutoff, batch)
			if err != nil || len(cases) == 0 {
				return err
			}
			ids := make([]int64, 0, len(cases))
			for _, c := range cases {
				f, err := s.anonymise(ctx, tx, c, now, &b)
				if err != nil {
					return err
				}
				files = append(files, f...)
				ids = append(ids, c.ID)
			}
			b.Anonymised = len(cases)
			return s.Audit(ctx, tx, org.Actor{}, "retention_anonymise", "cases", map[string]any{
				"count": len(cases), "cutoff": rep.Cutoff.UTC().Format(time.RFC3339), "days": s.Days,
				"first_id": ids[0], "last_id": ids[len(ids)-1],
			})
		})
		if err != nil {
			return rep, err
		}
		if b.Anonymised == 0 {
			break
		}
		rep.Batches++
		rep.Anonymised += b.Anonymised
		rep.Events += b.Events
		rep.Attachments += b.Attachments
		rep.Exemptions += b.Exemptions
		rep.Keys += b.Keys
		n, err := s.removeFiles(ctx, files)
		rep.Files += n
		if err != nil {
			return rep, err
		}
		if b.Anonymised < batch {
			break
		}
	}
	if err := s.whistles(ctx, rep.Cutoff, batch, &rep); err != nil {
		return rep, err
	}
	if err := s.ratings(ctx, rep.Cutoff, batch, &rep); err != nil {
		return rep, err
	}
	if err := s.volunteers(ctx, rep.Cutoff, batch, &rep); err != nil {
		return rep, err
	}
	if err := s.deliberations(ctx, rep.Cutoff, batch, &rep); err != nil {
		return rep, err
	}
	return rep, ctx.Err()
}

// departedName is the display name left on the disabled account of a
// volunteer whose record was erased.
const departedName = "已退出的志愿者"

// volunteers erases the name and phone of the volunteers who left before
// cutoff or were refused before it (the hours and points stay for the
// ledger), and the name on the account disabled when they left, batch per
// transaction with one audit entry each.
func (s *Service) volunteers(ctx context.Context, cutoff time.Time, batch int, rep *Report) error {
	return s.inBatches(ctx, batch, &rep.Volunteers, func(tx *store.Tx) (int, error) {
		vs, err := tx.VolunteersToErase(ctx, cutoff, batch)
		if err != nil || len(vs) == 0 {
			return 0, err
		}
		for _, v := range vs {
			if err := tx.EraseVolunteer(ctx, v.ID); err != nil {
				return 0, err
			}
			if v.UserID == 0 {
				continue
			}
			u, err := tx.User(ctx, v.UserID)
			if err != nil {
				return 0, err
			}
			if u.Disabled && len(u.Roles) == 1 && u.Has(org.RoleVolunteer) && u.DisplayName != departedName {
				if err := tx.SetUserDisplayName(ctx, u.ID, departedName); err != nil {
					return 0, err
				}
			}
		}
		return len(vs), s.audit(ctx, tx, "volunteers", cutoff, len(vs), vs[0].ID, vs[len(vs)-1].ID)
	})
}

// deliberationsUntil is the setting holding how far ended deliberations
// are anonymised, "updated_at,id" (Unix ms), as whistlesUntil.
const deliberationsUntil = "retention.deliberations_until"

// deliberations anonymises the items that ended (closed or declined)
// before cutoff: AnonymiseDeliberation, batch per transaction with one
// audit entry each, moving the setting deliberationsUntil on.
func (s *Service) deliberations(ctx context.Context, cutoff time.Time, batch int, rep *Report) error {
	return s.inBatches(ctx, batch, &rep.Deliberations, func(tx *store.Tx) (int, error) {
		v, err := tx.Setting(ctx, deliberationsUntil)
		if err != nil {
			return 0, err
		}
		at, id := splitMark(v)
		items, err := tx.DeliberationsEndedAfter(ctx, time.UnixMilli(at), id, cutoff, batch)
		if err != nil || len(items) == 0 {
			return 0, err
		}
		for _, it := range items {
			AnonymiseDeliberation(it)
			if err := tx.AnonymiseDeliberation(ctx, it); err != nil {
				return 0, err
			}
		}
		last := items[len(items)-1]
		mark := strconv.FormatInt(last.UpdatedAt.UnixMilli(), 10) + "," + strconv.FormatInt(last.ID, 10)
		if err := tx.PutSetting(ctx, deliberationsUntil, mark, s.Now()); err != nil {
			return 0, err
		}
		return len(items), s.audit(ctx, tx, "deliberations", cutoff, len(items), items[0].ID, last.ID)
	})
}

// AnonymiseDeliberation erases what identifies people in an ended item:
// the proposer (name and phone), the residents' names among the meeting's
// participants, and in the title, summary, minutes, motion and reason the
// phone and ID numbers and the proposer's name (Redact). Units, places,
// states, times, votes and tasks stay.
func AnonymiseDeliberation(it *deliberation.Item) {
	name := it.Proposer.Name
	it.Proposer = deliberation.Proposer{}
	it.Title, it.Summary, it.Reason = Redact(it.Title, name), Redact(it.Summary, name), Redact(it.Reason, name)
	if it.Meeting != nil {
		m := *it.Meeting
		m.Minutes = Redact(m.Minutes, name)
		m.Participants = slices.Clone(m.Participants)
		for i, p := range m.Participants {
			if p.Kind == deliberation.PartResident {
				m.Participants[i].Name = ""
			}
		}
		it.Meeting = &m
	}
	if it.Decision != nil {
		d := *it.Decision
		d.Motion = Redact(d.Motion, name)
		it.Decision = &d
	}
}

// ratings anonymises the residents' property ratings given before cutoff
// (the rater's phone hash and the comment's phones), batch per transaction
// with one audit entry each.
func (s *Service) ratings(ctx context.Context, cutoff time.Time, batch int, rep *Report) error {
	return s.inBatches(ctx, batch, &rep.Ratings, func(tx *store.Tx) (int, error) {
		n, err := tx.AnonymisePropertyRatings(ctx, cutoff, batch, func(t string) string { return Redact(t, "") })
		if err != nil || n == 0 {
			return 0, err
		}
		return n, s.audit(ctx, tx, "property_ratings", cutoff, n, 0, 0)
	})
}

// whistles redacts the free text of whistles closed before cutoff and not
// yet redacted (closed at or after the setting whistlesUntil), batch per
// transaction with one audit entry each, and moves the setting on.
func (s *Service) whistles(ctx context.Context, cutoff time.Time, batch int, rep *Report) error {
	return s.inBatches(ctx, batch, &rep.Whistles, func(tx *store.Tx) (int, error) {
		v, err := tx.Setting(ctx, whistlesUntil)
		if err != nil {
			return 0, err
		}
		// "closed_at ms,id": every whistle before it in the order of
		// closing time and id is done.
		at, id := splitMark(v)
		ids, ats, err := tx.WhistlesClosedAfter(ctx, time.UnixMilli(at), id, cutoff, batch)
		if err != nil || len(ids) == 0 {
			return 0, err
		}
		for _, id := range ids {
			if err := tx.AnonymiseWhistle(ctx, id, func(t string) string { return Redact(t, "") }, s.placeName); err != nil {
				return 0, err
			}
		}
		mark := strconv.FormatInt(ats[len(ats)-1].UnixMilli(), 10) + "," + strconv.FormatInt(ids[len(ids)-1], 10)
		if err := tx.PutSetting(ctx, whistlesUntil, mark, s.Now()); err != nil {
			return 0, err
		}
		return len(ids), s.audit(ctx, tx, "whistles", cutoff, len(ids), ids[0], ids[len(ids)-1])
	})
}

// inBatches runs fn in one transaction after another, each doing up to
// batch records and returning how many it did, until one does fewer than
// batch; it adds the counts to *total.
func (s *Service) inBatches(ctx context.Context, batch int, total *int, fn func(tx *store.Tx) (int, error)) error {
	for ctx.Err() == nil {
		n := 0
		err := s.St.Write(ctx, func(tx *store.Tx) error {
			var err error
			n, err = fn(tx)
			return err
		})
		if err != nil {
			return err
		}
		*total += n
		if n < batch {
			return nil
		}
	}
	return ctx.Err()
}

// audit writes a batch's one audit entry, retention_anonymise on target:
// counts, the cut-off and the ids it spans (when given), never the data.
func (s *Service) audit(ctx context.Context, tx *store.Tx, target string, cutoff time.Time, n int, first, last int64) error {
	detail := map[string]any{"count": n, "cutoff": cutoff.UTC().Format(time.RFC3339), "days": s.Days}
	if first != 0 {
		detail["first_id"], detail["last_id"] = first, last
	}
	return s.Audit(ctx, tx, org.Actor{}, "retention_anonymise", target, detail)
}

func splitMark(v string) (int64, int64) {
	a, b, _ := strings.Cut(v, ",")
	at, _ := strconv.ParseInt(a, 10, 64)
	id, _ := strconv.ParseInt(b, 10, 64)
	return at, id
}

// placeName is the names of a place and the places above it down from the
// district ("" without a place): a whistle's address once anonymised.
func (s *Service) placeName(id int64) string {
	var names []string
	for id != 0 {
		p, ok := s.Place(id)
		if !ok || p.Level == org.LevelCity {
			break
		}
		names = append([]string{p.Name}, names...)
		id = p.ParentID
	}
	return strings.Join(names, "")
}

// anonymise erases the personal data of one case, its events and its
// attachments inside tx. It returns the disk storages of the deleted
// attachments.
func (s *Service) anonymise(ctx context.Context, tx *store.Tx, c *lifecycle.Case, now time.Time, b *Report) ([]string, error) {
	name := c.Citizen.Name
	prev := c.Version
	Anonymise(c, name)
	s.generalise(&c.Location)
	c.Version++
	if err := tx.SaveAnonymisedCase(ctx, c, prev, now); err != nil {
		return nil, err
	}
	evs, err := tx.Events(ctx, c.ID)
	if err != nil {
		return nil, err
	}
	for i := range evs {
		if AnonymiseEvent(&evs[i], name) {
			if err := tx.RewriteEventDoc(ctx, &evs[i]); err != nil {
				return nil, err
			}
			b.Events++
		}
	}
	files, n, err := tx.DeleteCaseAttachments(ctx, c.ID)
	b.Attachments += n
	if err != nil {
		return nil, err
	}
	redact := func(t string) string { return Redact(t, name) }
	more, ex, keys, err := tx.AnonymiseCaseRecords(ctx, c.ID, redact)
	b.Attachments += len(more)
	b.Exemptions += ex
	b.Keys += keys
	if err != nil {
		return nil, err
	}
	// Whistles raised from the case may quote its caller: redacted now,
	// with the caller's name (the whistle pass below does not know it).
	ws, err := tx.WhistlesOfCase(ctx, c.ID)
	if err != nil {
		return nil, err
	}
	for _, id := range ws {
		if err := tx.AnonymiseWhistle(ctx, id, redact, s.placeName); err != nil {
			return nil, err
		}
	}
	return append(files, more...), nil
}

// Anonymise erases a case's personal data in place: the citizen's name,
// phone and phone hash; the exact address (generalised separately to the
// place); and, in the free text (title, description, reply, reasons),
// phone-like numbers, ID numbers, e-mail addresses and the citizen's name
// (see Redact). Category, places, times, states, results, satisfaction,
// flags and counters are kept: the analytics are computed from them.
func Anonymise(c *lifecycle.Case, name string) {
	c.Citizen.Name, c.Citizen.Phone, c.Citizen.PhoneHash = "", "", ""
	c.Location.Address = ""
	c.Title = Redact(c.Title, name)
	c.Description = Redact(c.Description, name)
	c.ReplyText = Redact(c.ReplyText, name)
	c.ReturnReason = Redact(c.ReturnReason, name)
	c.ExtensionReason = Redact(c.ExtensionReason, name)
}

// AnonymiseEvent redacts an event's note and the text in its data (reasons,
// contact means) and drops its attachment ids (the files are deleted). The
// actor (a member of staff or "市民"), action, states and times are kept.
// It reports whether the event changed.
func AnonymiseEvent(e *lifecycle.Event, name string) bool {
	changed := false
	if n := Redact(e.Note, name); n != e.Note {
		e.Note, changed = n, true
	}
	if e.Data != nil {
		if _, ok := redactAny(e.Data, name); ok {
			changed = true
		}
	}
	if len(e.Attachments) > 0 {
		e.Attachments, changed = nil, true
	}
	return changed
}

// generalise replaces an exact location by its place: the address becomes
// the names of the district, street and community, and the point the
// representative point of the grid or community (else the coordinates
// rounded to 0.01°, about 1 km).
func (s *Service) generalise(l *lifecycle.Location) {
	var names []string
	for _, id := range []int64{l.DistrictID, l.StreetID, l.CommunityID} {
		if p, ok := s.Place(id); ok && id != 0 {
			names = append(names, p.Name)
		}
	}
	l.Address = strings.Join(names, "")
	if l.Lat == nil || l.Lon == nil {
		return
	}
	for _, id := range []int64{l.GridID, l.CommunityID, l.StreetID} {
		if id == 0 {
			continue
		}
		if p, ok := s.ApproxLocation(id, ""); ok && p.Lat != nil && p.Lon != nil {
			l.Lat, l.Lon, l.Approximate = p.Lat, p.Lon, true
			return
		}
	}
	lat, lon := round(*l.Lat, 2), round(*l.Lon, 2)
	l.Lat, l.Lon, l.Approximate = &lat, &lon, true
}

func round(v float64, digits int) float64 {
	p := math.Pow(10, float64(digits))
	return math.Round(v*p) / p
}

// removeFiles deletes attachment files no remaining attachment uses.
// Files are removed after the commit: a crash in between leaves files
// without rows (listed in docs/SECURITY.md), never rows without files.
func (s *Service) removeFiles(ctx context.Context, storages []string) (int, error) {
	dir := s.Cfg.AttachmentDir
	n := 0
	var errsAll error
	seen := map[string]bool{}
	for _, st := range storages {
		rel, ok := strings.CutPrefix(st, "disk:")
		if !ok || seen[st] || dir == "" {
			continue
		}
		seen[st] = true
		used, err := s.St.StorageInUse(ctx, st)
		if err != nil {
			errsAll = errors.Join(errsAll, err)
			continue
		}
		if used {
			continue
		}
		p := filepath.Join(dir, filepath.Clean("/"+rel))
		if err := os.Remove(p); err == nil {
			n++
		} else if !errors.Is(err, os.ErrNotExist) {
			errsAll = errors.Join(errsAll, err)
		}
	}
	return n, errsAll
}
