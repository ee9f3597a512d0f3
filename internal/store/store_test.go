package store_test

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"whistle/internal/audit"
	"whistle/internal/errs"
	"whistle/internal/org"
	"whistle/internal/pgtest"
	"whistle/internal/store"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }

// backend remembers how a test store was opened, so tests can reopen it or
// look at its tables behind the Store's back.
type backend struct {
	dialect store.Dialect
	dsn     string
}

var backends sync.Map // *store.Store → backend

// eachBackend runs fn against a fresh SQLite store and a fresh PostgreSQL
// store, as subtests "sqlite" and "postgres".
func eachBackend(t *testing.T, fn func(t *testing.T, s *store.Store)) {
	t.Helper()
	t.Run("sqlite", func(t *testing.T) {
		fn(t, openStore(t, filepath.Join(t.TempDir(), "whistle.db")))
	})
	t.Run("postgres", func(t *testing.T) {
		fn(t, openStore(t, pgtest.NewDatabase(t)))
	})
}

func openStore(t testing.TB, dsn string) *store.Store {
	t.Helper()
	s, err := store.Open(context.Background(), dsn, store.Options{})
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

func backendOf(t testing.TB, s *store.Store) backend {
	t.Helper()
	b, ok := backends.Load(s)
	if !ok {
		t.Fatal("store not opened by openStore")
	}
	return b.(backend)
}

// rawDB opens a second, plain connection pool on the store's database.
func rawDB(t testing.TB, s *store.Store) *sql.DB {
	t.Helper()
	b := backendOf(t, s)
	var db *sql.DB
	var err error
	if b.dialect == store.Postgres {
		db, err = sql.Open("pgx", b.dsn)
	} else {
		db, err = sql.Open("sqlite", "file:"+b.dsn+"?_pragma=busy_timeout(10000)")
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// rebind turns ? placeholders into $n on PostgreSQL.
func rebind(s *store.Store, q string) string {
	if s.Dialect() != store.Postgres {
		return q
	}
	var b strings.Builder
	n := 0
	for _, r := range q {
		if r == '?' {
			n++
			b.WriteString("$" + strconv.Itoa(n))
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

var ctx = context.Background()

// write runs fn in a write transaction and fails the test on error.
func write(t testing.TB, s *store.Store, fn func(tx *store.Tx) error) {
	t.Helper()
	if err := s.Write(ctx, fn); err != nil {
		t.Fatalf("Write: %v", err)
	}
}

// wantCode fails unless err carries code.
func wantCode(t testing.TB, err error, code errs.Code) {
	t.Helper()
	if !errs.Is(err, code) {
		t.Fatalf("error = %v (code %q), want code %q", err, errs.CodeOf(err), code)
	}
}

func wantField(t testing.TB, err error, code errs.Code, field string) {
	t.Helper()
	wantCode(t, err, code)
	var e *errs.Error
	if !errors.As(err, &e) || e.Field != field {
		t.Fatalf("error = %v, want field %q", err, field)
	}
}

// base is the suite's clock; its sub-millisecond part checks that times
// survive the store's millisecond columns.
var base = time.Date(2024, 5, 6, 9, 30, 0, 123456789, time.UTC)

func msEqual(a, b time.Time) bool { return a.UnixMilli() == b.UnixMilli() && a.IsZero() == b.IsZero() }

// ---- migrations ----

type migrationRow struct {
	Version   int
	Name      string
	AppliedAt int64
}

func migrationRows(t *testing.T, s *store.Store) []migrationRow {
	t.Helper()
	rows, err := rawDB(t, s).QueryContext(ctx, "SELECT version, name, applied_at FROM schema_migrations ORDER BY version")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []migrationRow
	for rows.Next() {
		var r migrationRow
		if err := rows.Scan(&r.Version, &r.Name, &r.AppliedAt); err != nil {
			t.Fatal(err)
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

func TestMigrations(t *testing.T) {
	eachBackend(t, func(t *testing.T, s *store.Store) {
		dir := filepath.Join("migrations", s.Dialect().String())
		files, err := filepath.Glob(filepath.Join(dir, "*.sql"))
		if err != nil || len(files) == 0 {
			t.Fatalf("no migrations in %s: %v", dir, err)
		}
		first := migrationRows(t, s)
		if len(first) != len(files) {
			t.Fatalf("schema_migrations has %d rows, want %d (one per file): %+v", len(first), len(files), first)
		}
		for i, r := range first {
			if r.Name != filepath.Base(files[i]) || r.AppliedAt == 0 {
				t.Errorf("row %d = %+v, want name %s", i, r, filepath.Base(files[i]))
			}
		}
		write(t, s, func(tx *store.Tx) error { return tx.PutSetting(ctx, "k", "kept", base) })

		dsn := backendOf(t, s).dsn
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
		// Reopening applies nothing: the runner logs every migration it
		// applies (no clock involved: a re-applied one could get the same
		// applied_at within a millisecond).
		var logged bytes.Buffer
		s2, err := store.Open(ctx, dsn, store.Options{Logger: slog.New(slog.NewTextHandler(&logged, nil))})
		if err != nil {
			t.Fatal(err)
		}
		backends.Store(s2, backend{dialect: s2.Dialect(), dsn: dsn})
		t.Cleanup(func() { s2.Close(); backends.Delete(s2) })
		if strings.Contains(logged.String(), "migration applied") {
			t.Fatalf("reopen applied migrations again:\n%s", logged.String())
		}
		if got := migrationRows(t, s2); !reflect.DeepEqual(got, first) {
			t.Fatalf("after reopen schema_migrations = %+v, want unchanged %+v", got, first)
		}
		if v, err := s2.Setting(ctx, "k"); err != nil || v != "kept" {
			t.Fatalf("data after reopen: %q, %v", v, err)
		}

		if s.Dialect() == store.Postgres {
			// Nodes starting together: the advisory lock lets one migrate.
			fresh := pgtest.NewDatabase(t)
			var wg sync.WaitGroup
			stores := make([]*store.Store, 4)
			errc := make([]error, 4)
			for i := range stores {
				wg.Go(func() { stores[i], errc[i] = store.Open(ctx, fresh, store.Options{}) })
			}
			wg.Wait()
			for i, err := range errc {
				if err != nil {
					t.Fatalf("concurrent Open %d: %v", i, err)
				}
				defer stores[i].Close()
			}
			backends.Store(stores[0], backend{store.Postgres, fresh})
			if got := migrationRows(t, stores[0]); len(got) != len(files) {
				t.Fatalf("concurrent opens: schema_migrations = %+v", got)
			}
		}
	})
}

// ---- places, units, users, categories ----

func TestOrgRoundTrip(t *testing.T) {
	eachBackend(t, func(t *testing.T, s *store.Store) {
		city := org.Place{Level: org.LevelCity, Code: "110000", Name: "北京市", Boundary: `{"type":"Polygon","coordinates":[]}`}
		dist := org.Place{Level: org.LevelDistrict, Code: "110105", Name: "朝阳区"}
		street := org.Place{ID: 500, Level: org.LevelStreet, Code: "110105001", Name: "建外街道"}
		write(t, s, func(tx *store.Tx) error {
			if err := tx.InsertPlace(ctx, &city); err != nil {
				return err
			}
			dist.ParentID = city.ID
			if err := tx.InsertPlace(ctx, &dist); err != nil {
				return err
			}
			street.ParentID = dist.ID
			return tx.InsertPlace(ctx, &street)
		})
		if city.ID == 0 || dist.ID == 0 || street.ID != 500 {
			t.Fatalf("ids: city %d dist %d street %d", city.ID, dist.ID, street.ID)
		}
		places, err := s.Places(ctx, true)
		if err != nil {
			t.Fatal(err)
		}
		if want := []org.Place{city, dist, street}; !reflect.DeepEqual(places, want) {
			t.Fatalf("Places(true) = %+v, want %+v", places, want)
		}
		places, err = s.Places(ctx, false)
		if err != nil || len(places) != 3 || places[0].Boundary != "" {
			t.Fatalf("Places(false) = %+v, %v", places, err)
		}
		write(t, s, func(tx *store.Tx) error { return tx.UpdatePlaceBoundary(ctx, dist.ID, `{"type":"MultiPolygon"}`) })
		places, _ = s.Places(ctx, true)
		if places[1].Boundary != `{"type":"MultiPolygon"}` {
			t.Fatalf("boundary not updated: %+v", places[1])
		}
		wantCode(t, s.Write(ctx, func(tx *store.Tx) error { return tx.UpdatePlaceBoundary(ctx, 9999, "x") }), errs.NotFound)
		dup := org.Place{Level: org.LevelDistrict, Code: "110105", Name: "dup"}
		wantField(t, s.Write(ctx, func(tx *store.Tx) error { return tx.InsertPlace(ctx, &dup) }), errs.Exists, "code")
		dupID := org.Place{ID: 501, Level: org.LevelDistrict, Code: "110105", Name: "dup"}
		wantField(t, s.Write(ctx, func(tx *store.Tx) error { return tx.InsertPlace(ctx, &dupID) }), errs.Exists, "code")

		centre := org.Unit{Code: "C", Name: "市12345中心", Kind: org.KindCityCentre, PlaceID: city.ID}
		office := org.Unit{ID: 77, Code: "S1", Name: "建外街道办", Kind: org.KindStreet, PlaceID: street.ID}
		write(t, s, func(tx *store.Tx) error {
			if err := tx.InsertUnit(ctx, &centre); err != nil {
				return err
			}
			office.SupervisorID = centre.ID
			return tx.InsertUnit(ctx, &office)
		})
		units, err := s.Units(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if want := []org.Unit{centre, office}; !reflect.DeepEqual(units, want) {
			t.Fatalf("Units = %+v, want %+v", units, want)
		}
		dupU := org.Unit{Code: "S1", Name: "x", Kind: org.KindStreet, PlaceID: street.ID}
		wantField(t, s.Write(ctx, func(tx *store.Tx) error { return tx.InsertUnit(ctx, &dupU) }), errs.Exists, "code")

		alice := org.User{Username: "alice", DisplayName: "爱丽丝", UnitID: office.ID, Roles: []string{org.RoleHandler, org.RoleLeader}}
		grid := org.User{ID: 900, Username: "gw", DisplayName: "网格员", UnitID: office.ID, Roles: []string{org.RoleGridWorker}, GridIDs: []int64{11, 12}, Disabled: true}
		write(t, s, func(tx *store.Tx) error {
			if err := tx.InsertUser(ctx, &alice, "hash-a", base); err != nil {
				return err
			}
			return tx.InsertUser(ctx, &grid, "hash-g", base)
		})
		u, hash, err := s.UserByName(ctx, "gw")
		if err != nil || hash != "hash-g" || !reflect.DeepEqual(u, grid) {
			t.Fatalf("UserByName = %+v, %q, %v; want %+v", u, hash, err, grid)
		}
		u, err = s.User(ctx, alice.ID)
		if err != nil || !reflect.DeepEqual(u, alice) {
			t.Fatalf("User = %+v, %v; want %+v", u, err, alice)
		}
		_, err = s.User(ctx, 12345)
		wantCode(t, err, errs.NotFound)
		_, _, err = s.UserByName(ctx, "nobody")
		wantCode(t, err, errs.NotFound)
		users, err := s.Users(ctx, office.ID)
		if err != nil || len(users) != 2 || users[0].ID != alice.ID || users[1].ID != 900 {
			t.Fatalf("Users(office) = %+v, %v", users, err)
		}
		if users, _ := s.Users(ctx, centre.ID); len(users) != 0 {
			t.Fatalf("Users(centre) = %+v", users)
		}
		dupUser := org.User{Username: "alice", DisplayName: "x", UnitID: office.ID, Roles: []string{org.RoleAgent}}
		wantField(t, s.Write(ctx, func(tx *store.Tx) error { return tx.InsertUser(ctx, &dupUser, "", base) }), errs.Exists, "username")

		cats := []org.Category{
			{Code: "urban", NameZH: "城市管理", NameEN: "Urban", Active: true},
			{Code: "urban.stall", Parent: "urban", NameZH: "占道经营", Urgency: "general", Leaf: true, Active: true},
		}
		write(t, s, func(tx *store.Tx) error {
			for _, c := range cats {
				if err := tx.UpsertCategory(ctx, c); err != nil {
					return err
				}
			}
			return nil
		})
		cats[1].NameEN, cats[1].Active = "Street stalls", false
		write(t, s, func(tx *store.Tx) error { return tx.UpsertCategory(ctx, cats[1]) })
		got, err := s.Categories(ctx)
		if err != nil || !reflect.DeepEqual(got, cats) {
			t.Fatalf("Categories = %+v, %v; want %+v", got, err, cats)
		}
	})
}

// seedUser inserts a place, a unit and a user, returning the user.
func seedUser(t *testing.T, s *store.Store, name string) org.User {
	t.Helper()
	u := org.User{Username: name, DisplayName: name, Roles: []string{org.RoleHandler}}
	write(t, s, func(tx *store.Tx) error {
		p := org.Place{Level: org.LevelCity, Code: "p-" + name, Name: "p"}
		if err := tx.InsertPlace(ctx, &p); err != nil {
			return err
		}
		un := org.Unit{Code: "u-" + name, Name: "u", Kind: org.KindStreet, PlaceID: p.ID}
		if err := tx.InsertUnit(ctx, &un); err != nil {
			return err
		}
		u.UnitID = un.ID
		return tx.InsertUser(ctx, &u, "", base)
	})
	return u
}

func TestTokens(t *testing.T) {
	eachBackend(t, func(t *testing.T, s *store.Store) {
		u := seedUser(t, s, "bob")
		write(t, s, func(tx *store.Tx) error {
			if err := tx.InsertToken(ctx, "live", u.ID, "session", "", base, base.Add(time.Hour)); err != nil {
				return err
			}
			return tx.InsertToken(ctx, "old", u.ID, "api", "ci", base.Add(-2*time.Hour), base.Add(-time.Hour))
		})
		got, kind, err := s.TokenUser(ctx, "live", base)
		if err != nil || kind != "session" || got.ID != u.ID || got.Username != "bob" {
			t.Fatalf("TokenUser(live) = %+v, %q, %v", got, kind, err)
		}
		_, _, err = s.TokenUser(ctx, "live", base.Add(time.Hour)) // expires_at is exclusive
		wantCode(t, err, errs.NotFound)
		_, _, err = s.TokenUser(ctx, "old", base)
		wantCode(t, err, errs.NotFound)
		_, _, err = s.TokenUser(ctx, "nope", base)
		wantCode(t, err, errs.NotFound)

		var n int64
		write(t, s, func(tx *store.Tx) (err error) { n, err = tx.DeleteExpiredTokens(ctx, base); return err })
		if n != 1 {
			t.Fatalf("DeleteExpiredTokens = %d, want 1", n)
		}
		write(t, s, func(tx *store.Tx) error { return tx.DeleteToken(ctx, "live") })
		_, _, err = s.TokenUser(ctx, "live", base)
		wantCode(t, err, errs.NotFound)
	})
}

// ---- settings and audit ----

func TestSettings(t *testing.T) {
	eachBackend(t, func(t *testing.T, s *store.Store) {
		if v, err := s.Setting(ctx, "missing"); v != "" || err != nil {
			t.Fatalf("Setting(missing) = %q, %v", v, err)
		}
		write(t, s, func(tx *store.Tx) error {
			for k, v := range map[string]string{"sla.accept": "1h", "sla.reply": "7d", "slb": "x"} {
				if err := tx.PutSetting(ctx, k, v, base); err != nil {
					return err
				}
			}
			return nil
		})
		write(t, s, func(tx *store.Tx) error { return tx.PutSetting(ctx, "sla.reply", "5d", base.Add(time.Hour)) })
		if v, err := s.Setting(ctx, "sla.reply"); v != "5d" || err != nil {
			t.Fatalf("Setting = %q, %v", v, err)
		}
		m, err := s.Settings(ctx, "sla.")
		if want := map[string]string{"sla.accept": "1h", "sla.reply": "5d"}; err != nil || !reflect.DeepEqual(m, want) {
			t.Fatalf("Settings(sla.) = %v, %v; want %v", m, err, want)
		}
	})
}

func TestAuditLog(t *testing.T) {
	eachBackend(t, func(t *testing.T, s *store.Store) {
		if got, err := s.AuditLog(ctx, 0, 10); err != nil || len(got) != 0 {
			t.Fatalf("empty AuditLog = %+v, %v", got, err)
		}
		const n = 23
		write(t, s, func(tx *store.Tx) error {
			for i := range n {
				e := audit.Entry{At: base.Add(time.Duration(i) * time.Second), UserID: int64(i % 3), Action: "case.view", Target: fmt.Sprintf("case/%d", i)}
				if i%2 == 0 {
					e.Detail = "reveal phone"
				}
				if err := tx.Audit(ctx, e); err != nil {
					return err
				}
			}
			return nil
		})
		var all []audit.Entry
		before := int64(0)
		for {
			page, err := s.AuditLog(ctx, before, 10)
			if err != nil {
				t.Fatal(err)
			}
			if len(page) == 0 {
				break
			}
			if len(page) > 10 {
				t.Fatalf("page of %d > limit", len(page))
			}
			all = append(all, page...)
			before = page[len(page)-1].ID
		}
		if len(all) != n {
			t.Fatalf("paged %d entries, want %d", len(all), n)
		}
		for i, e := range all {
			k := n - 1 - i // newest first
			if i > 0 && e.ID >= all[i-1].ID {
				t.Fatalf("not newest first at %d: %d after %d", i, e.ID, all[i-1].ID)
			}
			if e.Target != fmt.Sprintf("case/%d", k) || e.UserID != int64(k%3) || e.Action != "case.view" ||
				!msEqual(e.At, base.Add(time.Duration(k)*time.Second)) || (e.Detail != "") != (k%2 == 0) {
				t.Fatalf("entry %d = %+v", i, e)
			}
		}
	})
}

// ---- ids ----

func TestResetSequences(t *testing.T) {
	eachBackend(t, func(t *testing.T, s *store.Store) {
		// A bulk load with explicit ids, as the demo loader does.
		p := org.Place{ID: 1000, Level: org.LevelCity, Code: "c", Name: "c"}
		u := org.Unit{ID: 2000, Code: "u", Name: "u", Kind: org.KindCityCentre, PlaceID: 1000}
		usr := org.User{ID: 3000, Username: "x", DisplayName: "x", UnitID: 2000, Roles: []string{org.RoleAdmin}}
		c := testCase(1)
		c.ID = 4000
		write(t, s, func(tx *store.Tx) error {
			if err := tx.InsertPlace(ctx, &p); err != nil {
				return err
			}
			if err := tx.InsertUnit(ctx, &u); err != nil {
				return err
			}
			if err := tx.InsertUser(ctx, &usr, "", base); err != nil {
				return err
			}
			if err := tx.InsertCase(ctx, c); err != nil {
				return err
			}
			return tx.ResetSequences(ctx)
		})
		p2 := org.Place{Level: org.LevelCity, Code: "c2", Name: "c2"}
		u2 := org.Unit{Code: "u2", Name: "u2", Kind: org.KindCityCentre, PlaceID: 1000}
		usr2 := org.User{Username: "y", DisplayName: "y", UnitID: 2000, Roles: []string{org.RoleAdmin}}
		c2 := testCase(2)
		write(t, s, func(tx *store.Tx) error {
			if err := tx.InsertPlace(ctx, &p2); err != nil {
				return err
			}
			if err := tx.InsertUnit(ctx, &u2); err != nil {
				return err
			}
			if err := tx.InsertUser(ctx, &usr2, "", base); err != nil {
				return err
			}
			return tx.InsertCase(ctx, c2)
		})
		if p2.ID <= p.ID || u2.ID <= u.ID || usr2.ID <= usr.ID || c2.ID <= c.ID {
			t.Fatalf("new ids not above loaded ones: place %d unit %d user %d case %d", p2.ID, u2.ID, usr2.ID, c2.ID)
		}
	})
}

// ---- write semantics ----

func TestWriteIsolation(t *testing.T) {
	eachBackend(t, func(t *testing.T, s *store.Store) {
		const n = 200
		errFail := errors.New("deliberate failure")
		var wg sync.WaitGroup
		results := make([]error, n)
		for i := range n {
			wg.Go(func() {
				results[i] = s.Write(ctx, func(tx *store.Tx) error {
					if err := tx.PutSetting(ctx, fmt.Sprintf("gc.%03d", i), strconv.Itoa(i), base); err != nil {
						return err
					}
					if i%7 == 0 {
						return fmt.Errorf("write %d: %w", i, errFail)
					}
					return nil
				})
			})
		}
		wg.Wait()
		for i, err := range results {
			if i%7 == 0 && !errors.Is(err, errFail) {
				t.Errorf("write %d: err = %v, want the write's own error", i, err)
			}
			if i%7 != 0 && err != nil {
				t.Errorf("write %d: %v", i, err)
			}
		}
		got, err := s.Settings(ctx, "gc.")
		if err != nil {
			t.Fatal(err)
		}
		for i := range n {
			_, ok := got[fmt.Sprintf("gc.%03d", i)]
			if ok != (i%7 != 0) {
				t.Errorf("row of write %d present = %v", i, ok)
			}
		}
		if want := n - (n+6)/7; len(got) != want {
			t.Errorf("%d rows, want %d", len(got), want)
		}
	})
}

// A caller that gives up (its context cancelled, as when a client
// disconnects or the server shuts down) must not take other writes of the
// same group commit down with it: every write that reported success is
// stored, and every stored row belongs to a write that reported success.
// Every third write is cancelled at a point of its own, chosen by its
// number rather than by a timer: before it is sent, before one of its five
// statements, or after the last one, just before it returns.
func TestWriteCancelledCallers(t *testing.T) {
	eachBackend(t, func(t *testing.T, s *store.Store) {
		const n = 300
		var wg sync.WaitGroup
		results := make([]error, n)
		for i := range n {
			wg.Go(func() {
				wctx := ctx
				at := -2 // never cancelled
				var cancel context.CancelFunc = func() {}
				if i%3 == 0 {
					var c context.Context
					c, cancel = context.WithCancel(ctx)
					defer cancel()
					wctx = c
					at = (i/3)%7 - 1 // -1: before Write, 0–4: before statement at, 5: after the last
				}
				if at == -1 {
					cancel()
				}
				results[i] = s.Write(wctx, func(tx *store.Tx) error {
					for j := range 5 { // several statements, so a cancel can land mid-write
						if j == at {
							cancel()
						}
						if err := tx.PutSetting(wctx, fmt.Sprintf("cx.%03d.%d", i, j), strconv.Itoa(i), base); err != nil {
							return err
						}
					}
					if at == 5 {
						cancel()
					}
					return nil
				})
			})
		}
		wg.Wait()
		got, err := s.Settings(ctx, "cx.")
		if err != nil {
			t.Fatal(err)
		}
		for i, werr := range results {
			rows := 0
			for j := range 5 {
				if _, ok := got[fmt.Sprintf("cx.%03d.%d", i, j)]; ok {
					rows++
				}
			}
			switch {
			case werr == nil && rows != 5:
				t.Errorf("write %d reported success but %d of 5 rows are stored", i, rows)
			case werr != nil && rows != 0:
				t.Errorf("write %d failed (%v) but %d rows are stored", i, werr, rows)
			case werr != nil && i%3 != 0:
				t.Errorf("write %d was never cancelled but failed: %v", i, werr)
			case werr == nil && i%3 == 0 && (i/3)%7 == 0:
				t.Errorf("write %d was cancelled before it was sent but succeeded", i)
			}
		}
	})
}

func TestWritePanic(t *testing.T) {
	eachBackend(t, func(t *testing.T, s *store.Store) {
		err := s.Write(ctx, func(tx *store.Tx) error {
			if err := tx.PutSetting(ctx, "p.alone", "x", base); err != nil {
				return err
			}
			panic("boom")
		})
		if err == nil || !strings.Contains(err.Error(), "panic") {
			t.Fatalf("panicking write returned %v", err)
		}
		// Panics among concurrent writes (sharing a group commit on SQLite).
		var wg sync.WaitGroup
		var panicked atomic.Int32
		for i := range 40 {
			wg.Go(func() {
				err := s.Write(ctx, func(tx *store.Tx) error {
					if err := tx.PutSetting(ctx, fmt.Sprintf("p.%02d", i), "x", base); err != nil {
						return err
					}
					if i%10 == 3 {
						panic(fmt.Sprintf("boom %d", i))
					}
					return nil
				})
				if i%10 == 3 {
					if err == nil {
						t.Errorf("write %d panicked but returned nil", i)
					}
					panicked.Add(1)
				} else if err != nil {
					t.Errorf("write %d: %v", i, err)
				}
			})
		}
		wg.Wait()
		// The writer survived.
		write(t, s, func(tx *store.Tx) error { return tx.PutSetting(ctx, "p.after", "y", base) })
		got, err := s.Settings(ctx, "p.")
		if err != nil {
			t.Fatal(err)
		}
		if _, ok := got["p.alone"]; ok {
			t.Error("panicking write's row was committed")
		}
		for i := range 40 {
			if _, ok := got[fmt.Sprintf("p.%02d", i)]; ok != (i%10 != 3) {
				t.Errorf("row %d present = %v", i, ok)
			}
		}
		if got["p.after"] != "y" || panicked.Load() != 4 {
			t.Errorf("after panics: %v (panicked %d)", got, panicked.Load())
		}
	})
}

func TestWriteAfterClose(t *testing.T) {
	s := openStore(t, filepath.Join(t.TempDir(), "whistle.db"))
	write(t, s, func(tx *store.Tx) error { return tx.PutSetting(ctx, "a", "b", base) })
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	for i := range 100 {
		done := make(chan error, 1)
		go func() { done <- s.Write(ctx, func(tx *store.Tx) error { return nil }) }()
		select {
		case err := <-done:
			if !errors.Is(err, store.ErrClosed) {
				t.Fatalf("Write %d after Close = %v, want ErrClosed", i, err)
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("Write %d after Close hangs", i)
		}
	}
}

// Close while writes are in flight: every Write returns (nil or ErrClosed), none hangs.
func TestCloseDuringWrites(t *testing.T) {
	s := openStore(t, filepath.Join(t.TempDir(), "whistle.db"))
	var wg sync.WaitGroup
	var ok, closed atomic.Int32
	for i := range 200 {
		wg.Go(func() {
			err := s.Write(ctx, func(tx *store.Tx) error { return tx.PutSetting(ctx, fmt.Sprint(i), "v", base) })
			switch {
			case err == nil:
				ok.Add(1)
			case errors.Is(err, store.ErrClosed):
				closed.Add(1)
			default:
				t.Errorf("write %d: %v", i, err)
			}
		})
		if i == 100 {
			go s.Close()
		}
	}
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(20 * time.Second):
		t.Fatal("writes hang after Close")
	}
	if ok.Load()+closed.Load() != 200 {
		t.Fatalf("ok %d + closed %d != 200", ok.Load(), closed.Load())
	}
}
