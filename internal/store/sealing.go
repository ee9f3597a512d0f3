package store

import (
	"context"
	"database/sql"
	"errors"
	"log/slog"
	"regexp"
	"time"

	"whistle/internal/lifecycle"
	"whistle/internal/sealed"
)

// Personal data at rest. A case's citizen name and phone (their columns)
// and its title, description and exact address (in the doc) are sealed
// under the primary key of Options.Keys on every write and opened on every
// read, so the services never see a sealed value. cases.seal_key records
// the key a row was sealed under ("" for a row written in clear, before
// migration 0012); the Resealer re-seals the rows whose key is not the
// primary. The phone hash (phone_hash) stays the search key.

var errNoKeys = errors.New("store: the database holds sealed personal data and no data key was given (WHISTLE_KEY_FILE or WHISTLE_DATA_KEY)")

// seal encrypts s under the primary key. Without keys (tests that open a
// store with no Options.Keys) values are stored as they are.
func (q Queries) seal(s string) string {
	if q.ring == nil {
		return s
	}
	return q.ring.Seal(s)
}

// open decrypts s; clear values (rows from before sealing) are returned as
// they are.
func (q Queries) open(s string) (string, error) {
	if !sealed.IsSealed(s) {
		return s, nil
	}
	if q.ring == nil {
		return "", errNoKeys
	}
	return q.ring.Open(s)
}

// sealKey is the key id written to cases.seal_key.
func (q Queries) sealKey() string {
	if q.ring == nil {
		return ""
	}
	return q.ring.Primary()
}

// Keys returns the store's key ring (nil when it stores in clear).
func (s *Store) Keys() *sealed.Ring { return s.ring }

var phoneRun = regexp.MustCompile(`(^|\D)(1[3-9]\d)\d{4}(\d{4})($|\D)`)

// maskPhones masks mobile numbers in audit text (a login attempt with a
// phone number as the user name, say): 138****5678.
func maskPhones(s string) string {
	for i := 0; i < 2; i++ { // twice: adjacent matches share a separator
		s = phoneRun.ReplaceAllString(s, "${1}${2}****${3}${4}")
	}
	return s
}

// SealCounts returns how many cases are sealed under each key id ("" for
// rows still in clear).
func (q Queries) SealCounts(ctx context.Context) (map[string]int, error) {
	return q.sealCounts(ctx, "cases")
}

// sealCounts counts the rows of table (cases or events) per seal_key.
func (q Queries) sealCounts(ctx context.Context, table string) (map[string]int, error) {
	rows, err := q.query(ctx, "SELECT seal_key, COUNT(*) FROM "+table+" GROUP BY seal_key")
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]int{}
	for rows.Next() {
		var k string
		var n int
		if err := rows.Scan(&k, &n); err != nil {
			return nil, err
		}
		out[k] = n
	}
	return out, rows.Err()
}

// Reseal re-seals under the primary key up to batch cases with id > after
// whose seal_key is not the primary (clear rows included), in one write
// transaction. It returns how many it re-sealed and the last id it looked
// at (0 when there were none left after after); a row that does not open
// (its key is missing from the ring) is logged and skipped.
func (s *Store) Reseal(ctx context.Context, after int64, batch int) (n int, last int64, err error) {
	if s.ring == nil {
		return 0, 0, nil
	}
	primary := s.ring.Primary()
	err = s.Write(ctx, func(tx *Tx) error {
		n, last = 0, 0
		rows, err := tx.query(ctx, "SELECT id, citizen_name, citizen_phone, phone_hash, doc, version FROM cases WHERE seal_key <> ? AND id > ? ORDER BY id LIMIT ?"+tx.forUpdate(),
			primary, after, batch)
		if err != nil {
			return err
		}
		type row struct {
			id, version            int64
			name, phone, hash, doc string
		}
		var todo []row
		for rows.Next() {
			var r row
			if err := rows.Scan(&r.id, &r.name, &r.phone, &r.hash, &r.doc, &r.version); err != nil {
				rows.Close()
				return err
			}
			todo = append(todo, r)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		for _, r := range todo {
			last = r.id
			c, err := tx.decodeCase(r.id, r.name, r.phone, r.hash, r.doc)
			if err != nil {
				s.log.Warn("reseal: case does not open; skipped", "case", r.id, "err", err)
				continue
			}
			doc, err := tx.caseDoc(c)
			if err != nil {
				return err
			}
			if _, err := tx.exec(ctx, "UPDATE cases SET citizen_name = ?, citizen_phone = ?, doc = ?, seal_key = ? WHERE id = ? AND version = ?",
				tx.seal(c.Citizen.Name), tx.seal(c.Citizen.Phone), doc, primary, r.id, r.version); err != nil {
				return err
			}
			n++
		}
		return nil
	})
	return n, last, err
}

// EventSealCounts returns how many case events are sealed under each key
// id ("" for events in clear, from before sealing).
func (q Queries) EventSealCounts(ctx context.Context) (map[string]int, error) {
	return q.sealCounts(ctx, "events")
}

// ResealEvents is Reseal for case events: it re-seals the note and data of
// up to batch events with id > after whose seal_key is not the primary
// (events in clear included; an event with nothing to seal only gets the
// primary's id), in one write transaction. An event that does not open is
// logged and skipped.
func (s *Store) ResealEvents(ctx context.Context, after int64, batch int) (n int, last int64, err error) {
	if s.ring == nil {
		return 0, 0, nil
	}
	primary := s.ring.Primary()
	err = s.Write(ctx, func(tx *Tx) error {
		n, last = 0, 0
		rows, err := tx.query(ctx, "SELECT id, doc FROM events WHERE seal_key <> ? AND id > ? ORDER BY id LIMIT ?"+tx.forUpdate(), primary, after, batch)
		if err != nil {
			return err
		}
		type ev struct {
			id  int64
			doc string
		}
		var todo []ev
		for rows.Next() {
			var e ev
			if err := rows.Scan(&e.id, &e.doc); err != nil {
				rows.Close()
				return err
			}
			todo = append(todo, e)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		for _, r := range todo {
			last = r.id
			var e lifecycle.Event
			if err := tx.decodeEventDoc(r.doc, &e); err != nil {
				s.log.Warn("reseal: event does not open; skipped", "event", r.id, "err", err)
				continue
			}
			ed, err := EncodeEvent(&e)
			if err != nil {
				return err
			}
			doc, err := tx.eventDoc(ed)
			if err != nil {
				return err
			}
			if _, err := tx.exec(ctx, "UPDATE events SET doc = ?, seal_key = ? WHERE id = ?", doc, primary, r.id); err != nil {
				return err
			}
			n++
		}
		return nil
	})
	return n, last, err
}

// Resealer is the background job that keeps every case sealed under the
// primary key: after an upgrade it seals the rows written in clear, after a
// key rotation it re-seals the rows under older keys, a small batch per
// write so that it never holds the writer long. It is fed from the
// database (seal_key), so a restart resumes where it stopped.
type Resealer struct {
	St    *Store
	Batch int           // rows per write transaction (default 200)
	Every time.Duration // pause when nothing is left (default 1 min)
	// Reload, when set, is called before each pass: it re-reads the key
	// file, so that a rotation is picked up without a restart.
	Reload func() error
	Log    *slog.Logger
}

// Pass re-seals every case and every case event not under the primary key,
// batch by batch, then the TOTP secrets and the other sealed columns
// (ResealText); it returns how many cases it re-sealed.
func (r *Resealer) Pass(ctx context.Context) (int, error) {
	batch := r.Batch
	if batch <= 0 {
		batch = 200
	}
	total := 0
	if r.St.ring == nil {
		return 0, nil
	}
	// Most passes find nothing to do: ask the read pool, through the
	// cases_seal and events_seal indexes, before taking the writer.
	for _, step := range []struct {
		table  string
		reseal func(context.Context, int64, int) (int, int64, error)
	}{{"cases", r.St.Reseal}, {"events", r.St.ResealEvents}} {
		var one int
		err := r.St.row(ctx, "SELECT 1 FROM "+step.table+" WHERE seal_key < ? OR seal_key > ? LIMIT 1", r.St.ring.Primary(), r.St.ring.Primary()).Scan(&one)
		if errors.Is(err, sql.ErrNoRows) {
			continue
		} else if err != nil {
			return total, err
		}
		var after int64
		for ctx.Err() == nil {
			n, last, err := step.reseal(ctx, after, batch)
			if err != nil {
				return total, err
			}
			if step.table == "cases" {
				total += n
			}
			if last == 0 {
				break
			}
			after = last
		}
	}
	if ctx.Err() == nil {
		// Two-step verification secrets (a small table, one write).
		if _, err := r.St.ResealTOTP(ctx); err != nil {
			return total, err
		}
		// The other personal data: volunteers, the care list,
		// deliberations' proposers and residents, webhook secrets.
		if _, err := r.St.ResealText(ctx, batch); err != nil {
			return total, err
		}
	}
	return total, ctx.Err()
}

// Run makes passes until ctx ends.
func (r *Resealer) Run(ctx context.Context) {
	log := r.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	every := r.Every
	if every <= 0 {
		every = time.Minute
	}
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		if r.Reload != nil {
			if err := r.Reload(); err != nil {
				log.Error("reseal: key file not reloaded", "err", err)
			}
		}
		n, err := r.Pass(ctx)
		if err != nil && ctx.Err() == nil {
			log.Error("reseal", "err", err, "resealed", n)
		} else if n > 0 {
			log.Info("personal data re-sealed under the primary key", "cases", n, "key", r.St.ring.Primary())
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
