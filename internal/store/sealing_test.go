package store_test

import (
	"context"
	"fmt"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"whistle/internal/audit"
	"whistle/internal/lifecycle"
	"whistle/internal/org"
	"whistle/internal/pgtest"
	"whistle/internal/sealed"
	"whistle/internal/store"
)

var phoneLike = regexp.MustCompile(`1[3-9]\d{9}`)

func openKeyed(t *testing.T, dsn string, ring *sealed.Ring) *store.Store {
	t.Helper()
	s, err := store.Open(context.Background(), dsn, store.Options{Keys: ring})
	if err != nil {
		t.Fatalf("store.Open(%q): %v", dsn, err)
	}
	backends.Store(s, backend{dialect: s.Dialect(), dsn: dsn})
	t.Cleanup(func() {
		s.Close()
		backends.Delete(s)
	})
	return s
}

// keyedStore is a new store sealing under k1, its ring's only key, for
// the tests of what a key rotation re-seals.
type keyedStore struct {
	*store.Store
	dsn  string
	ring *sealed.Ring
	k1   sealed.Key
}

// eachKeyedBackend runs fn on SQLite and on PostgreSQL, each with a new
// keyed store.
func eachKeyedBackend(t *testing.T, fn func(t *testing.T, ks keyedStore)) {
	for _, backendName := range []string{"sqlite", "postgres"} {
		t.Run(backendName, func(t *testing.T) {
			dsn := filepath.Join(t.TempDir(), "whistle.db")
			if backendName == "postgres" {
				dsn = pgtest.NewDatabase(t)
			}
			k1 := sealed.Key{ID: "k1", Secret: sealed.NewSecret()}
			ring, err := sealed.NewRing("k1", []sealed.Key{k1})
			if err != nil {
				t.Fatal(err)
			}
			fn(t, keyedStore{Store: openKeyed(t, dsn, ring), dsn: dsn, ring: ring, k1: k1})
		})
	}
}

// rotate makes a new key, k2, the primary; k1 stays to open old values.
func (ks keyedStore) rotate(t *testing.T) sealed.Key {
	t.Helper()
	k2 := sealed.Key{ID: "k2", Secret: sealed.NewSecret()}
	if err := ks.ring.Set("k2", []sealed.Key{ks.k1, k2}); err != nil {
		t.Fatal(err)
	}
	return k2
}

// reopenWith closes the store and opens it again with key alone.
func (ks keyedStore) reopenWith(t *testing.T, key sealed.Key) (*store.Store, *sealed.Ring) {
	t.Helper()
	ks.Close()
	ring, err := sealed.NewRing(key.ID, []sealed.Key{key})
	if err != nil {
		t.Fatal(err)
	}
	return openKeyed(t, ks.dsn, ring), ring
}

// insertUserIn stores a place, a unit in it and a user of that unit.
func insertUserIn(tx *store.Tx, place *org.Place, unit *org.Unit, user *org.User) error {
	if err := tx.InsertPlace(ctx, place); err != nil {
		return err
	}
	unit.PlaceID = place.ID
	if err := tx.InsertUnit(ctx, unit); err != nil {
		return err
	}
	user.UnitID = unit.ID
	return tx.InsertUser(ctx, user, "hash", base)
}

// personal is case i with its personal data: name, phone, exact address,
// and a description in which the citizen typed a phone number.
func personal(i int) *lifecycle.Case {
	c := testCase(i)
	c.Citizen = lifecycle.Citizen{Name: fmt.Sprintf("张%d", i), Phone: fmt.Sprintf("139%08d", i), PhoneHash: fmt.Sprintf("ph%d", i)}
	c.Location.Address = fmt.Sprintf("幸福路%d号3单元501", i)
	c.Description = fmt.Sprintf("请回电 158%08d，门口摆摊", i)
	c.Title = fmt.Sprintf("占道经营 %d", i)
	return c
}

// staffNote is an event on case id in which a member of staff wrote the
// citizen's phone number, in the note and in a free-text reason.
func staffNote(id int64, i int) *lifecycle.Event {
	return &lifecycle.Event{CaseID: id, Seq: 100, Action: lifecycle.ActNote, ActorName: "坐席", ActorRole: "agent",
		At: time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC), Note: fmt.Sprintf("已致电13%09d，无人接听", i),
		Data: map[string]any{"reason": fmt.Sprintf("回电 186%08d", i), "unit_id": float64(i)}}
}

type clearFields struct{ name, phone, hash, title, desc, addr string }

func fieldsOf(c *lifecycle.Case) clearFields {
	return clearFields{c.Citizen.Name, c.Citizen.Phone, c.Citizen.PhoneHash, c.Title, c.Description, c.Location.Address}
}

// rawCases returns every case row's stored text (personal columns and doc)
// and seal_key, read behind the store's back.
func rawCases(t *testing.T, s *store.Store) map[int64][2]string {
	t.Helper()
	rows, err := rawDB(t, s).Query("SELECT id, citizen_name || ' ' || citizen_phone || ' ' || doc, seal_key FROM cases")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	out := map[int64][2]string{}
	for rows.Next() {
		var id int64
		var text, key string
		if err := rows.Scan(&id, &text, &key); err != nil {
			t.Fatal(err)
		}
		out[id] = [2]string{text, key}
	}
	return out
}

// TestSealedAtRest: a case's personal data is stored sealed and reads back
// as written; rows written in clear before sealing are sealed by the
// Resealer; after a key rotation the Resealer re-seals every row under the
// new key, every row reads back the same, and the old key is no longer
// needed.
func TestSealedAtRest(t *testing.T) {
	for _, backendName := range []string{"sqlite", "postgres"} {
		t.Run(backendName, func(t *testing.T) {
			dsn := filepath.Join(t.TempDir(), "whistle.db")
			if backendName == "postgres" {
				dsn = pgtest.NewDatabase(t)
			}
			want := map[int64]clearFields{}
			wantEv := map[int64]*lifecycle.Event{}
			// A database from before sealing: rows in clear.
			old, err := store.Open(ctx, dsn, store.Options{})
			if err != nil {
				t.Fatal(err)
			}
			for i := 1; i <= 4; i++ {
				c := personal(i)
				if err := old.Write(ctx, func(tx *store.Tx) error {
					if err := tx.InsertCase(ctx, c); err != nil {
						return err
					}
					return tx.AppendEvent(ctx, staffNote(c.ID, i))
				}); err != nil {
					t.Fatal(err)
				}
				want[c.ID] = fieldsOf(c)
				wantEv[c.ID] = staffNote(c.ID, i)
			}
			old.Close()

			k1 := sealed.Key{ID: "k1", Secret: sealed.NewSecret()}
			ring, err := sealed.NewRing("k1", []sealed.Key{k1})
			if err != nil {
				t.Fatal(err)
			}
			s := openKeyed(t, dsn, ring)
			for i := 5; i <= 8; i++ {
				c := personal(i)
				write(t, s, func(tx *store.Tx) error {
					if err := tx.InsertCase(ctx, c); err != nil {
						return err
					}
					return tx.AppendEvent(ctx, staffNote(c.ID, i))
				})
				want[c.ID] = fieldsOf(c)
				wantEv[c.ID] = staffNote(c.ID, i)
			}
			// The intake path: encoded and sealed ahead, numbered by the
			// writer.
			intake := func(i int, nd store.NewCaseDoc, nc *lifecycle.Case) {
				t.Helper()
				write(t, s, func(tx *store.Tx) error {
					if err := tx.InsertNewCase(ctx, nc, nd); err != nil {
						return err
					}
					ev := staffNote(nc.ID, i)
					ed, err := store.EncodeEvent(ev)
					if err != nil {
						return err
					}
					return tx.AppendEncodedEvent(ctx, ev, ed)
				})
				want[nc.ID] = fieldsOf(nc)
				wantEv[nc.ID] = staffNote(nc.ID, i)
			}
			encode := func(nc *lifecycle.Case) store.NewCaseDoc {
				t.Helper()
				nd, err := store.EncodeNewCase(nc)
				if err != nil {
					t.Fatal(err)
				}
				return s.SealNewCase(nd)
			}
			nc := personal(9)
			intake(9, encode(nc), nc)
			// An update of a clear row seals it.
			c1, err := s.Case(ctx, 1, org.Scope{All: true})
			if err != nil {
				t.Fatal(err)
			}
			prev := *c1
			c1.Version++
			write(t, s, func(tx *store.Tx) error { return tx.UpdateCase(ctx, c1, &prev) })

			check := func(stage string, s *store.Store, key string) {
				t.Helper()
				for id, w := range want {
					c, err := s.Case(ctx, id, org.Scope{All: true})
					if err != nil {
						t.Fatalf("%s: case %d: %v", stage, id, err)
					}
					if got := fieldsOf(c); got != w {
						t.Errorf("%s: case %d reads %+v, want %+v", stage, id, got, w)
					}
					if we := wantEv[id]; we != nil {
						evs, err := s.Events(ctx, id)
						if err != nil {
							t.Fatalf("%s: events of case %d: %v", stage, id, err)
						}
						found := false
						for _, e := range evs {
							if e.Seq == we.Seq {
								found = true
								if e.Note != we.Note || e.ActorName != we.ActorName || fmt.Sprint(e.Data) != fmt.Sprint(we.Data) {
									t.Errorf("%s: case %d's note reads %q %q %v, want %q %q %v", stage, id, e.Note, e.ActorName, e.Data, we.Note, we.ActorName, we.Data)
								}
							}
						}
						if !found {
							t.Errorf("%s: case %d lost its note", stage, id)
						}
					}
					page, err := s.Cases(ctx, org.Scope{All: true}, lifecycle.CaseFilter{PhoneHash: w.hash})
					if err != nil || len(page.Cases) != 1 || page.Cases[0].Citizen.Phone != w.phone {
						t.Errorf("%s: look-up by phone hash %s: %v %v", stage, w.hash, page.Cases, err)
					}
				}
				if key == "" {
					return
				}
				for id, r := range rawCases(t, s) {
					w := want[id]
					for _, clear := range []string{w.name, w.phone, w.addr, w.title, w.desc} {
						if strings.Contains(r[0], clear) {
							t.Errorf("%s: case %d stores %q in clear: %s", stage, id, clear, r[0])
						}
					}
					if m := phoneLike.FindString(r[0]); m != "" {
						t.Errorf("%s: case %d stores a phone number %s", stage, id, m)
					}
					if r[1] != key || !strings.Contains(r[0], sealed.Prefix+key+":") {
						t.Errorf("%s: case %d sealed under %q, want %q", stage, id, r[1], key)
					}
				}
				rows, err := rawDB(t, s).Query("SELECT case_id, doc FROM events WHERE seq = 100")
				if err != nil {
					t.Fatal(err)
				}
				defer rows.Close()
				n := 0
				for rows.Next() {
					var id int64
					var doc string
					if err := rows.Scan(&id, &doc); err != nil {
						t.Fatal(err)
					}
					n++
					if m := phoneLike.FindString(doc); m != "" || !strings.Contains(doc, `"sealed":"`+sealed.Prefix+key+":") || !strings.Contains(doc, "坐席") {
						t.Errorf("%s: case %d's note is stored as %s", stage, id, doc)
					}
				}
				if n != len(wantEv) {
					t.Errorf("%s: %d notes stored, want %d", stage, n, len(wantEv))
				}
			}
			check("before re-sealing", s, "")
			counts, err := s.SealCounts(ctx)
			if err != nil || counts[""] != 3 || counts["k1"] != 6 {
				t.Fatalf("seal counts before re-sealing: %v %v", counts, err)
			}

			rs := &store.Resealer{St: s, Batch: 2}
			if n, err := rs.Pass(ctx); err != nil || n != 3 {
				t.Fatalf("first pass re-sealed %d: %v", n, err)
			}
			check("after the upgrade's pass", s, "k1")

			// Retention rewrites an event's document: it is written sealed.
			evs, err := s.Events(ctx, 2)
			if err != nil {
				t.Fatal(err)
			}
			for _, e := range evs {
				if e.Seq == 100 {
					e.Note = "已匿名 13800000000"
					write(t, s, func(tx *store.Tx) error { return tx.RewriteEventDoc(ctx, &e) })
					wantEv[2].Note = e.Note
				}
			}
			check("after a rewrite", s, "k1")

			// Rotation: k2 becomes the primary, k1 stays to open old rows.
			// A case sealed ahead under k1 and written after the rotation
			// is sealed again by the writer, under k2 (its seal_key).
			nc10 := personal(10)
			nd10 := encode(nc10)
			k2 := sealed.Key{ID: "k2", Secret: sealed.NewSecret()}
			if err := ring.Set("k2", []sealed.Key{k1, k2}); err != nil {
				t.Fatal(err)
			}
			intake(10, nd10, nc10)
			check("rotated, not re-sealed", s, "")
			if n, err := rs.Pass(ctx); err != nil || n != len(want)-1 {
				t.Fatalf("rotation pass re-sealed %d of %d: %v", n, len(want)-1, err)
			}
			if counts, err := s.SealCounts(ctx); err != nil || len(counts) != 1 || counts["k2"] != len(want) {
				t.Fatalf("seal counts after rotation: %v %v", counts, err)
			}
			if counts, err := s.EventSealCounts(ctx); err != nil || counts[""] != 0 || counts["k1"] != 0 || counts["k2"] < len(wantEv) {
				t.Fatalf("event seal counts after rotation: %v %v", counts, err)
			}
			check("after rotation", s, "k2")
			if n, err := rs.Pass(ctx); err != nil || n != 0 {
				t.Fatalf("a pass with nothing to do re-sealed %d: %v", n, err)
			}
			s.Close()

			// k1 is no longer needed; without any key the sealed rows are
			// an error, not garbage.
			only2, _ := sealed.NewRing("k2", []sealed.Key{k2})
			check("reopened with k2 only", openKeyed(t, dsn, only2), "k2")
			if _, err := openKeyed(t, dsn, nil).Case(ctx, 1, org.Scope{All: true}); err == nil {
				t.Error("a store without keys read a sealed case")
			}
		})
	}
}

// TestAuditMasksPhones: an audit entry whose detail holds a phone number
// (a failed login with a phone as user name) keeps it masked.
func TestAuditMasksPhones(t *testing.T) {
	s := openStore(t, filepath.Join(t.TempDir(), "w.db"))
	write(t, s, func(tx *store.Tx) error {
		return tx.Audit(ctx, audit.Entry{At: base, UserID: 0, Action: "login_failed", Target: "user:13812345678", Detail: `{"username":"13812345678","client":"1.2.3.4"}`})
	})
	var target, detail string
	if err := rawDB(t, s).QueryRow("SELECT target, detail FROM audit").Scan(&target, &detail); err != nil {
		t.Fatal(err)
	}
	if phoneLike.MatchString(target+detail) || !strings.Contains(detail, "138****5678") {
		t.Errorf("audit stores %q %q", target, detail)
	}
	if rep, err := s.VerifyAudit(ctx, 100); err != nil || rep.Break != nil {
		t.Errorf("chain after masking: %+v %v", rep, err)
	}
}
