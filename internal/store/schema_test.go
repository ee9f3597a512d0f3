package store_test

import (
	"bufio"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"

	"whistle/internal/lifecycle"
	"whistle/internal/pgtest"
	"whistle/internal/store"
)

// ---- migrations are append-only ----

// TestMigrationsAppendOnly fails when an existing migration file's content
// changes, when one is removed, or when one is added without its line in
// migrations/SUMS. A migration that has been applied somewhere must never
// change: the runner applies each version once and never reads its text
// again, so an edit only reaches fresh databases and leaves the others in
// another shape. Change the schema with a new migration instead, then add
// its line:
//
//	cd internal/store/migrations && sha256sum */*.sql > SUMS
func TestMigrationsAppendOnly(t *testing.T) {
	f, err := os.Open(filepath.Join("migrations", "SUMS"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	want := map[string]string{}
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		sum, name, ok := strings.Cut(line, "  ")
		if !ok || len(sum) != 64 {
			t.Fatalf("SUMS line %d: want \"<sha256>  <dialect>/<file>.sql\", got %q", n, line)
		}
		if _, dup := want[name]; dup {
			t.Fatalf("SUMS line %d: %s listed twice", n, name)
		}
		want[name] = sum
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	files, err := filepath.Glob(filepath.Join("migrations", "*", "*.sql"))
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	perDialect := map[string][]string{}
	for _, p := range files {
		rel, _ := filepath.Rel("migrations", p)
		rel = filepath.ToSlash(rel)
		seen[rel] = true
		dialect, name, _ := strings.Cut(rel, "/")
		perDialect[dialect] = append(perDialect[dialect], name)
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		h := sha256.Sum256(b)
		got := hex.EncodeToString(h[:])
		switch sum, ok := want[rel]; {
		case !ok:
			t.Errorf("%s has no line in migrations/SUMS: a new migration needs one (sha256sum */*.sql > SUMS)", rel)
		case sum != got:
			t.Errorf("%s changed after it was committed (sha256 %s, SUMS has %s): migrations are append-only, add a new one instead", rel, got, sum)
		}
	}
	for name := range want {
		if !seen[name] {
			t.Errorf("%s is listed in migrations/SUMS but missing: applied migrations must not be removed", name)
		}
	}
	// Both dialects have the same versions under the same names.
	if a, b := perDialect["sqlite"], perDialect["postgres"]; !slices.Equal(a, b) {
		t.Errorf("migration files differ between dialects:\nsqlite   %v\npostgres %v", a, b)
	}
}

// ---- both dialects have the same schema ----

// schemaFacts describes a database's schema as sorted lines, one per fact
// ("table.column: integer not null", "table: primary key (a, b)", …), so
// two schemas compare as sets and differ line by line.
//
// Column types are compared by class (integer, text, real, blob, bool).
// Primary key columns count as NOT NULL on both sides: PostgreSQL implies
// it, and SQLite enforces it for INTEGER PRIMARY KEY and WITHOUT ROWID
// tables (its rowid tables accept NULL in other key columns, a historical
// quirk the store never relies on). Unique constraints and unique indexes
// are one kind of fact, named by their columns (their names are generated
// differently by each dialect); other indexes are named.
func schemaFacts(t *testing.T, db *sql.DB, dialect store.Dialect) []string {
	t.Helper()
	if dialect == store.Postgres {
		return pgFacts(t, db)
	}
	return sqliteFacts(t, db)
}

func typeClass(decl string) string {
	d := strings.ToLower(decl)
	switch {
	case strings.Contains(d, "bool"):
		return "bool"
	case strings.Contains(d, "int"): // integer, bigint, smallint
		return "integer"
	case strings.Contains(d, "char"), strings.Contains(d, "text"), strings.Contains(d, "clob"):
		return "text"
	case strings.Contains(d, "real"), strings.Contains(d, "floa"), strings.Contains(d, "doub"), strings.Contains(d, "numeric"):
		return "real"
	case strings.Contains(d, "blob"), strings.Contains(d, "bytea"):
		return "blob"
	}
	return "other(" + d + ")"
}

func colFact(table, col, class string, notNull bool) string {
	s := table + "." + col + ": " + class
	if notNull {
		s += " not null"
	}
	return s
}

func idxFact(table, name string, unique, partial bool, cols []string) string {
	kind := "index " + name
	if unique {
		kind = "unique"
	}
	s := fmt.Sprintf("%s: %s (%s)", table, kind, strings.Join(cols, ", "))
	if partial {
		s += " partial"
	}
	return s
}

func queryStrings(t *testing.T, db *sql.DB, q string, args ...any) []string {
	t.Helper()
	rows, err := db.QueryContext(ctx, q, args...)
	if err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			t.Fatal(err)
		}
		out = append(out, s)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

func sqliteFacts(t *testing.T, db *sql.DB) []string {
	t.Helper()
	var facts []string
	tables := queryStrings(t, db, "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name")
	for _, tb := range tables {
		var ddl string
		if err := db.QueryRowContext(ctx, "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?", tb).Scan(&ddl); err != nil {
			t.Fatal(err)
		}
		if strings.Contains(strings.ToUpper(ddl), "WITHOUT ROWID") {
			facts = append(facts, tb+": without rowid")
		}
		// columns and primary key
		rows, err := db.QueryContext(ctx, "SELECT name, type, \"notnull\", pk FROM pragma_table_info(?)", tb)
		if err != nil {
			t.Fatal(err)
		}
		pk := map[int]string{}
		for rows.Next() {
			var name, typ string
			var notNull, pkPos int
			if err := rows.Scan(&name, &typ, &notNull, &pkPos); err != nil {
				t.Fatal(err)
			}
			if pkPos > 0 {
				pk[pkPos] = name
			}
			facts = append(facts, colFact(tb, name, typeClass(typ), notNull == 1 || pkPos > 0))
		}
		rows.Close()
		if len(pk) > 0 {
			cols := make([]string, len(pk))
			for i := range cols {
				cols[i] = pk[i+1]
			}
			facts = append(facts, fmt.Sprintf("%s: primary key (%s)", tb, strings.Join(cols, ", ")))
		}
		// indexes, unique constraints (origin "u") and unique indexes
		type idx struct {
			name, origin    string
			unique, partial bool
		}
		var idxs []idx
		rows, err = db.QueryContext(ctx, "SELECT name, \"unique\", origin, partial FROM pragma_index_list(?)", tb)
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var x idx
			var u, p int
			if err := rows.Scan(&x.name, &u, &x.origin, &p); err != nil {
				t.Fatal(err)
			}
			x.unique, x.partial = u == 1, p == 1
			idxs = append(idxs, x)
		}
		rows.Close()
		for _, x := range idxs {
			if x.origin == "pk" {
				continue // the primary key, listed above
			}
			rows, err := db.QueryContext(ctx, "SELECT coalesce(name, '<expr>') FROM pragma_index_info(?) ORDER BY seqno", x.name)
			if err != nil {
				t.Fatal(err)
			}
			var cols []string
			for rows.Next() {
				var c string
				if err := rows.Scan(&c); err != nil {
					t.Fatal(err)
				}
				cols = append(cols, c)
			}
			rows.Close()
			facts = append(facts, idxFact(tb, x.name, x.unique, x.partial, cols))
		}
		// foreign keys
		rows, err = db.QueryContext(ctx, "SELECT id, \"table\", \"from\", coalesce(\"to\", '') FROM pragma_foreign_key_list(?) ORDER BY id, seq", tb)
		if err != nil {
			t.Fatal(err)
		}
		type fk struct {
			ref      string
			from, to []string
		}
		fks := map[int]*fk{}
		var ids []int
		for rows.Next() {
			var id int
			var ref, from, to string
			if err := rows.Scan(&id, &ref, &from, &to); err != nil {
				t.Fatal(err)
			}
			f := fks[id]
			if f == nil {
				f = &fk{ref: ref}
				fks[id] = f
				ids = append(ids, id)
			}
			f.from, f.to = append(f.from, from), append(f.to, to)
		}
		rows.Close()
		for _, id := range ids {
			f := fks[id]
			facts = append(facts, fmt.Sprintf("%s: foreign key (%s) references %s(%s)", tb, strings.Join(f.from, ", "), f.ref, strings.Join(f.to, ", ")))
		}
	}
	sort.Strings(facts)
	return facts
}

func pgFacts(t *testing.T, db *sql.DB) []string {
	t.Helper()
	var facts []string
	rows, err := db.QueryContext(ctx, `
		SELECT c.table_name, c.column_name, c.data_type, c.is_nullable = 'NO'
		FROM information_schema.columns c
		JOIN information_schema.tables t ON t.table_schema = c.table_schema AND t.table_name = c.table_name
		WHERE c.table_schema = current_schema() AND t.table_type = 'BASE TABLE'
		  AND c.table_name NOT IN (SELECT relname FROM pg_class WHERE relispartition)`) // a partitioned table's months (0033) are the table
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var tb, col, typ string
		var notNull bool
		if err := rows.Scan(&tb, &col, &typ, &notNull); err != nil {
			t.Fatal(err)
		}
		facts = append(facts, colFact(tb, col, typeClass(typ), notNull))
	}
	rows.Close()
	// Every index (primary keys, unique constraints, unique and plain
	// indexes) with its key columns in order.
	rows, err = db.QueryContext(ctx, `
		SELECT t.relname, i.relname, x.indisprimary, x.indisunique, x.indpred IS NOT NULL,
		       array_to_string(ARRAY(SELECT pg_get_indexdef(x.indexrelid, k, true) FROM generate_series(1, x.indnkeyatts) k ORDER BY k), ',')
		FROM pg_index x
		JOIN pg_class i ON i.oid = x.indexrelid
		JOIN pg_class t ON t.oid = x.indrelid
		JOIN pg_namespace n ON n.oid = t.relnamespace
		WHERE n.nspname = current_schema() AND NOT t.relispartition`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var tb, name, cols string
		var primary, unique, partial bool
		if err := rows.Scan(&tb, &name, &primary, &unique, &partial, &cols); err != nil {
			t.Fatal(err)
		}
		list := strings.Split(cols, ",")
		if primary {
			facts = append(facts, fmt.Sprintf("%s: primary key (%s)", tb, strings.Join(list, ", ")))
			continue
		}
		facts = append(facts, idxFact(tb, name, unique, partial, list))
	}
	rows.Close()
	rows, err = db.QueryContext(ctx, `
		SELECT t.relname, r.relname,
		       array_to_string(ARRAY(SELECT a.attname FROM unnest(c.conkey) WITH ORDINALITY k(n, o) JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = k.n ORDER BY k.o), ', '),
		       array_to_string(ARRAY(SELECT a.attname FROM unnest(c.confkey) WITH ORDINALITY k(n, o) JOIN pg_attribute a ON a.attrelid = c.confrelid AND a.attnum = k.n ORDER BY k.o), ', ')
		FROM pg_constraint c
		JOIN pg_class t ON t.oid = c.conrelid
		JOIN pg_class r ON r.oid = c.confrelid
		JOIN pg_namespace n ON n.oid = t.relnamespace
		WHERE c.contype = 'f' AND n.nspname = current_schema() AND NOT t.relispartition`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var tb, ref, from, to string
		if err := rows.Scan(&tb, &ref, &from, &to); err != nil {
			t.Fatal(err)
		}
		facts = append(facts, fmt.Sprintf("%s: foreign key (%s) references %s(%s)", tb, from, ref, to))
	}
	rows.Close()
	sort.Strings(facts)
	return facts
}

// dialectOnly lists the schema facts that are meant to exist in one
// dialect only. Every entry says why; anything else that differs fails
// TestSchemaDialectsAgree.
var dialectOnly = map[string]string{
	// case_flags rows are their key on SQLite: no rowid b-tree beside the
	// (flag, created_at, case_id) key, one index less to keep on every
	// flagged create (see docs/BENCHMARKS.md, intake). PostgreSQL has no
	// rowid; its heap plays that part.
	"sqlite: case_flags: without rowid": "storage layout only",
	// insight_daily likewise: a period's rollup rows are one sweep of the
	// key's b-tree, not an index walk plus a row look-up each (issue #12,
	// docs/INSIGHT.md "Rollups"). PostgreSQL reads its heap in day order.
	"sqlite: insight_daily: without rowid": "storage layout only",
	// events is partitioned by month of at on PostgreSQL (migration 0033):
	// a partitioned table's keys must contain the partition key. id stays
	// unique by its identity, (case_id, seq) by the case's version check.
	"sqlite: events: primary key (id)":            "partitioned on PostgreSQL",
	"sqlite: events: unique (case_id, seq)":       "partitioned on PostgreSQL",
	"postgres: events: primary key (id, at)":      "partitioned on PostgreSQL",
	"postgres: events: unique (case_id, seq, at)": "partitioned on PostgreSQL",
	// Not listed, because the comparison does not see them: PostgreSQL's
	// per-day case-number sequences (created at run time by numbering in
	// cases.go, not by migrations) and its identity defaults where SQLite
	// has INTEGER PRIMARY KEY (both are "integer not null" keys here).
}

// TestSchemaDialectsAgree migrates a fresh SQLite and a fresh PostgreSQL
// database and compares tables, columns (type class, NOT NULL), primary
// keys, unique constraints and indexes, other indexes (columns and whether
// they are partial) and foreign keys.
func TestSchemaDialectsAgree(t *testing.T) {
	lite := openStore(t, filepath.Join(t.TempDir(), "schema.db"))
	pg := openStore(t, pgtest.NewDatabase(t))
	a := schemaFacts(t, rawDB(t, lite), store.SQLite)
	b := schemaFacts(t, rawDB(t, pg), store.Postgres)
	var diff []string
	used := map[string]bool{}
	note := func(prefix string, only []string) {
		for _, f := range only {
			key := prefix + ": " + f
			if _, ok := dialectOnly[key]; ok {
				used[key] = true
				continue
			}
			diff = append(diff, key)
		}
	}
	note("sqlite", minus(a, b))
	note("postgres", minus(b, a))
	if len(diff) > 0 {
		t.Errorf("the dialects' schemas differ (fix with a migration in both dirs, or allow-list with a reason in dialectOnly):\n  %s", strings.Join(diff, "\n  "))
	}
	for key := range dialectOnly {
		if !used[key] {
			t.Errorf("dialectOnly entry %q no longer differs: remove it", key)
		}
	}
	if len(a) < 100 || !slices.Contains(a, "case_flags: unique (case_id, flag)") {
		t.Fatalf("schema facts look wrong: %d lines: %v", len(a), a)
	}
}

// minus returns the lines of a that are not in b.
func minus(a, b []string) []string {
	in := map[string]bool{}
	for _, s := range b {
		in[s] = true
	}
	var out []string
	for _, s := range a {
		if !in[s] {
			out = append(out, s)
		}
	}
	return out
}

// ---- databases migrated by earlier texts of edited migrations ----

// oldShapes turns a database migrated by today's 0001–0006 into one
// migrated by their first texts: 0004, 0005 and 0006 were edited in place
// after they had been applied (see 0008_edited_in_place.sql).
const oldShapes = `
DROP INDEX cases_open_cat;
CREATE INDEX cases_open_cat ON cases(category, district_id, created_at) WHERE is_open = 1;
DROP INDEX cases_street_cat;
CREATE INDEX cases_street_cat ON cases(street_id, category, closed_at);
DROP INDEX cases_supervising;
CREATE INDEX cases_supervising ON cases(supervising_unit_id, created_at);
CREATE INDEX cases_grid ON cases(grid_id, created_at);
CREATE INDEX cases_community_cat ON cases(community_id, category, created_at);
DROP INDEX assess_orders_unit;
CREATE INDEX assess_orders_unit ON assess_orders(unit_id, dispatched_at);
CREATE INDEX assess_orders_at ON assess_orders(dispatched_at, unit_id);
DROP INDEX assess_callbacks_unit;
DROP INDEX assess_callbacks_case;
CREATE INDEX assess_callbacks_unit ON assess_callbacks(unit_id, at);
CREATE INDEX assess_callbacks_at ON assess_callbacks(at, unit_id);
DROP TABLE findings;
DROP TABLE patrol_points;
DROP TABLE patrols;
DROP TABLE grid_assignments;
`

// sqliteFirstFlags is SQLite's case_flags as 0004 first created it.
const sqliteFirstFlags = `
DROP TABLE case_flags;
CREATE TABLE case_flags (
  case_id INTEGER NOT NULL REFERENCES cases(id),
  flag TEXT NOT NULL,
  n INTEGER NOT NULL,
  created_at INTEGER NOT NULL,
  PRIMARY KEY (case_id, flag)
);
CREATE INDEX case_flags_flag ON case_flags(flag, created_at, case_id);
`

// TestMigrationsUpgradeOldShapes migrates databases left by 0001–0006 in
// their earlier shapes (and SQLite case_flags rows the old key let through
// twice) with 0007 and 0008, and checks they end up with the schema of a
// fresh database and keep their rows.
func TestMigrationsUpgradeOldShapes(t *testing.T) {
	for _, tc := range []struct {
		name    string
		dialect store.Dialect
		extra   string // further old-shape SQL
		dup     bool   // add a second row for (case 1, repeat_place)
	}{
		{"sqlite", store.SQLite, "", true},
		{"sqlite-first-flags", store.SQLite, sqliteFirstFlags, false},
		{"postgres", store.Postgres, "", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var dsn, freshDSN string
			var db *sql.DB
			var err error
			if tc.dialect == store.Postgres {
				dsn, freshDSN = pgtest.NewDatabase(t), pgtest.NewDatabase(t)
				db, err = sql.Open("pgx", dsn)
			} else {
				dsn, freshDSN = filepath.Join(t.TempDir(), "old.db"), filepath.Join(t.TempDir(), "fresh.db")
				db, err = sql.Open("sqlite", "file:"+dsn+"?_pragma=foreign_keys(1)")
			}
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			exec := func(q string, args ...any) {
				t.Helper()
				if _, err := db.ExecContext(ctx, q, args...); err != nil {
					t.Fatalf("%.60s…: %v", q, err)
				}
			}
			exec("CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)")
			files, _ := filepath.Glob(filepath.Join("migrations", tc.dialect.String(), "*.sql"))
			for i, f := range files[:6] {
				b, err := os.ReadFile(f)
				if err != nil {
					t.Fatal(err)
				}
				exec(string(b))
				exec(fmt.Sprintf("INSERT INTO schema_migrations VALUES (%d, '%s', 1)", i+1, filepath.Base(f)))
			}
			exec(oldShapes + tc.extra)
			exec(`INSERT INTO cases(id, number, state, is_open, channel, type, category, urgency, created_at, updated_at, version, doc)
				VALUES (1, 'n1', 'new', 1, 'phone', 'complaint', 'c', 'normal', 1000, 1000, 1, '{}'),
				       (2, 'n2', 'new', 1, 'phone', 'complaint', 'c', 'normal', 2000, 2000, 1, '{}')`)
			exec(`INSERT INTO case_flags(case_id, flag, n, created_at)
				VALUES (1, 'repeat_caller', 2, 1000), (1, 'repeat_place', 3, 1000), (2, 'repeat_place', 4, 2000)`)
			if tc.dup {
				exec(`INSERT INTO case_flags(case_id, flag, n, created_at) VALUES (1, 'repeat_place', 9, 5000)`)
			}
			db.Close()

			up := openStore(t, dsn)
			fresh := openStore(t, freshDSN)
			got, want := schemaFacts(t, rawDB(t, up), tc.dialect), schemaFacts(t, rawDB(t, fresh), tc.dialect)
			if extra, missing := minus(got, want), minus(want, got); len(extra)+len(missing) > 0 {
				t.Errorf("upgraded schema differs from a fresh one:\n  only upgraded: %s\n  only fresh:    %s",
					strings.Join(extra, "\n                 "), strings.Join(missing, "\n                 "))
			}
			rows, err := rawDB(t, up).QueryContext(ctx, "SELECT case_id, flag, n, created_at FROM case_flags ORDER BY case_id, flag")
			if err != nil {
				t.Fatal(err)
			}
			defer rows.Close()
			var flags []string
			for rows.Next() {
				var id, n, at int64
				var flag string
				if err := rows.Scan(&id, &flag, &n, &at); err != nil {
					t.Fatal(err)
				}
				flags = append(flags, fmt.Sprintf("%d %s %d %d", id, flag, n, at))
			}
			// Of duplicates, the first recorded row is kept.
			if want := []string{"1 repeat_caller 2 1000", "1 repeat_place 3 1000", "2 repeat_place 4 2000"}; !slices.Equal(flags, want) {
				t.Errorf("case_flags after upgrade = %q, want %q", flags, want)
			}
			if n := len(migrationRows(t, up)); n != len(files) {
				t.Errorf("%d migrations recorded, want %d", n, len(files))
			}
			// The key now holds on both dialects, whatever the time.
			err = up.Write(ctx, func(tx *store.Tx) error {
				return tx.InsertCaseFlag(ctx, 2, lifecycle.FlagRepeatPlace, 5, base)
			})
			if err == nil {
				t.Error("a second repeat_place flag for case 2 (another time) was accepted")
			}
		})
	}
}
