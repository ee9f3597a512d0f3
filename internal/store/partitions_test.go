package store_test

import (
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"whistle/internal/lifecycle"
	"whistle/internal/pgtest"
	"whistle/internal/store"
)

// Monthly partitions on PostgreSQL (issue #14, migration 0033).

// migrateBefore applies the PostgreSQL migrations before version to a
// fresh database, as the runner would have, and returns a connection.
func migrateBefore(t testing.TB, dsn, version string) *sql.DB {
	t.Helper()
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	mustExec(t, db, "CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)")
	files, _ := filepath.Glob(filepath.Join("migrations", "postgres", "*.sql"))
	for _, f := range files {
		name := filepath.Base(f)
		if name >= version {
			break
		}
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		mustExec(t, db, string(b))
		var v int
		fmt.Sscanf(name, "%d", &v)
		mustExec(t, db, fmt.Sprintf("INSERT INTO schema_migrations VALUES (%d, '%s', 1)", v, name))
	}
	return db
}

func mustExec(t testing.TB, db *sql.DB, q string, args ...any) {
	t.Helper()
	if _, err := db.ExecContext(ctx, q, args...); err != nil {
		t.Fatalf("%.80s…: %v", q, err)
	}
}

func queryString(t *testing.T, db *sql.DB, q string, args ...any) string {
	t.Helper()
	var s sql.NullString
	if err := db.QueryRowContext(ctx, q, args...).Scan(&s); err != nil {
		t.Fatalf("%.80s…: %v", q, err)
	}
	return s.String
}

// tableDigest is a table's row count and a digest of all its rows in key
// order: equal digests, equal rows.
func tableDigest(t *testing.T, db *sql.DB, table, order string) string {
	t.Helper()
	return queryString(t, db, fmt.Sprintf("SELECT count(*) || ' ' || md5(COALESCE(string_agg(x::text, '|' ORDER BY %s), '')) FROM %s x", order, table))
}

// constraintsOf lists the constraints and indexes on table (and the
// foreign keys that reference it), as their definitions.
func constraintsOf(t *testing.T, db *sql.DB, table string) []string {
	t.Helper()
	rows, err := db.QueryContext(ctx, `
		SELECT conrelid::regclass || ' ' || conname || ' ' || pg_get_constraintdef(oid) FROM pg_constraint
		WHERE (conrelid = to_regclass($1) OR confrelid = to_regclass($1)) AND contype IN ('p', 'u', 'f') AND conparentid = 0
		UNION ALL
		SELECT 'index ' || indexrelid::regclass || ' ' || regexp_replace(pg_get_indexdef(indexrelid), ' ON (ONLY )?\S+ USING', ' USING')
		FROM pg_index WHERE indrelid = to_regclass($1)`, table)
	if err != nil {
		t.Fatal(err)
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
	sort.Strings(out)
	return out
}

// TestPartitionMigration converts a populated database (cases, their
// events over fourteen months, one event dated two years ahead, one dated
// 1970; the rollups of those months) in place: every row is kept (counts
// and digests of all rows compared before and after), every constraint
// and index is there again (the keys extended by the partition key), the
// months have their partitions, the odd dates sit in the default
// partition, the identity goes on where it stood, and the store reads and
// writes the tables as before.
func TestPartitionMigration(t *testing.T) {
	dsn := pgtest.NewDatabase(t)
	db := migrateBefore(t, dsn, "0033")
	now := time.Now()
	start := store.MonthStart(now, -13).UnixMilli()
	const nCases = 3000
	mustExec(t, db, `INSERT INTO cases(number, state, is_open, channel, type, category, urgency, district_id, lead_unit_id, created_at, updated_at, version, doc)
		SELECT 'N' || g, 'received', g % 2, 'phone', 'complaint', 'cat' || (g % 7), 'general', g % 5, g % 11, $1::bigint + g::bigint * 12000000, $1::bigint + g::bigint * 12000000, 1, '{}'
		FROM generate_series(1, $2::int) g`, start, nCases)
	mustExec(t, db, `INSERT INTO events(case_id, seq, action, at, doc, seal_key)
		SELECT c.id, s, 'act' || s, c.created_at + s * 3600000, '{"n":' || c.id || '}', CASE WHEN c.id % 3 = 0 THEN 'k1' ELSE '' END
		FROM cases c, generate_series(1, 3) s`)
	farAhead := now.AddDate(2, 0, 0).UnixMilli()
	mustExec(t, db, "INSERT INTO events(case_id, seq, action, at, doc) VALUES (1, 9, 'late', $1, '{}'), (2, 9, 'epoch', 5, '{}')", farAhead)
	mustExec(t, db, `INSERT INTO insight_daily(day, category, district_id, street_id, community_id, grid_id, unit_id, n, reopened, rated, unsatisfied, resolved)
		SELECT (created_at / 1000 + 28800) / 86400, category, district_id, 0, 0, 0, lead_unit_id, count(*), 0, count(*) / 2, 0, 1
		FROM cases GROUP BY 1, 2, 3, 7`)
	mustExec(t, db, "INSERT INTO insight_daily VALUES ($1, 'far', 0, 0, 0, 0, 0, 1, 0, 0, 0, 0)", (farAhead/1000+28800)/86400)

	digests := map[string]string{}
	order := map[string]string{"events": "x.id", "insight_daily": "x.day, x.category, x.district_id, x.unit_id", "cases": "x.id"}
	for tb, o := range order {
		digests[tb] = tableDigest(t, db, tb, o)
	}
	consBefore := map[string][]string{"events": constraintsOf(t, db, "events"), "insight_daily": constraintsOf(t, db, "insight_daily"), "cases": constraintsOf(t, db, "cases")}
	seqBefore := queryString(t, db, "SELECT last_value FROM events_id_seq")
	var lastID int64
	fmt.Sscan(seqBefore, &lastID)
	if !strings.HasPrefix(digests["events"], fmt.Sprint(nCases*3+2, " ")) {
		t.Fatalf("events before: %s", digests["events"])
	}

	s := openStore(t, dsn)
	for tb, o := range order {
		if got := tableDigest(t, db, tb, o); got != digests[tb] {
			t.Errorf("%s: rows %s after the migration, %s before", tb, got, digests[tb])
		}
	}
	if got := queryString(t, db, "SELECT last_value FROM events_id_seq"); got != seqBefore {
		t.Errorf("events' identity at %s after, %s before", got, seqBefore)
	}
	// The keys and indexes: those of before, the unique keys of events
	// extended by the partition key; cases unchanged.
	wantEvents := slices.Clone(consBefore["events"])
	for i, c := range wantEvents {
		if strings.Contains(c, "events_pkey") {
			c = strings.Replace(c, "(id)", "(id, at)", 1)
		}
		if strings.Contains(c, "events_case_id_seq_key") {
			c = strings.ReplaceAll(c, "events_case_id_seq_key", "events_case_id_seq_at_key")
			c = strings.Replace(c, "(case_id, seq)", "(case_id, seq, at)", 1)
		}
		wantEvents[i] = c
	}
	sort.Strings(wantEvents)
	if got := constraintsOf(t, db, "events"); !slices.Equal(got, wantEvents) {
		t.Errorf("events' constraints after:\n  %s\nwant:\n  %s", strings.Join(got, "\n  "), strings.Join(wantEvents, "\n  "))
	}
	for _, tb := range []string{"insight_daily", "cases"} {
		if got := constraintsOf(t, db, tb); !slices.Equal(got, consBefore[tb]) {
			t.Errorf("%s' constraints after:\n  %s\nbefore:\n  %s", tb, strings.Join(got, "\n  "), strings.Join(consBefore[tb], "\n  "))
		}
	}
	if len(consBefore["events"]) < 7 || len(consBefore["insight_daily"]) != 4 {
		t.Fatalf("constraints read wrong: %v %v", consBefore["events"], consBefore["insight_daily"])
	}

	// A partition for each month with rows (fourteen, the current one
	// among them) and the next month (the store's Open), plus the default.
	for _, tb := range []string{"events", "insight_daily"} {
		parts, err := s.Partitions(ctx, tb)
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, p := range parts {
			names = append(names, p.Name)
		}
		var want []string
		for i := -13; i <= 1; i++ {
			want = append(want, store.PartitionName(tb, store.MonthStart(now, i)))
		}
		want = append(want, store.PartitionName(tb, store.MonthStart(time.UnixMilli(farAhead), 0)), tb+"_default")
		sort.Strings(want)
		if !slices.Equal(names, want) {
			t.Errorf("%s partitions %v, want %v", tb, names, want)
		}
	}
	// The migration made partitions for the months with rows from 2000
	// to ten years ahead; the event dated 1970 is in the default one.
	if got := queryString(t, db, "SELECT string_agg(action, ',' ORDER BY action) FROM ONLY events_default"); got != "epoch" {
		t.Errorf("events_default holds %q", got)
	}
	if got := queryString(t, db, "SELECT tableoid::regclass::text FROM insight_daily WHERE category = 'far'"); got != store.PartitionName("insight_daily", store.MonthStart(time.UnixMilli(farAhead), 0)) {
		t.Errorf("the far rollup is in %q", got)
	}
	// Constraints hold on the partitioned table: the foreign key, the
	// unique (case_id, seq, at).
	if _, err := db.ExecContext(ctx, "INSERT INTO events(case_id, seq, action, at, doc) VALUES (999999, 1, 'x', $1, '{}')", now.UnixMilli()); err == nil {
		t.Error("an event of no case was stored")
	}
	if _, err := db.ExecContext(ctx, "INSERT INTO events(case_id, seq, action, at, doc) SELECT case_id, seq, action, at, doc FROM events WHERE case_id = 5 AND seq = 2"); err == nil {
		t.Error("a duplicate event was stored")
	}
	// The store reads and writes as before.
	evs, err := s.Events(ctx, 1)
	if err != nil || len(evs) != 4 || evs[3].Action != "late" {
		t.Fatalf("Events(1) = %d events, %v", len(evs), err)
	}
	e := &lifecycle.Event{CaseID: 1, Seq: 10, Action: "note", At: now}
	write(t, s, func(tx *store.Tx) error { return tx.AppendEvent(ctx, e) })
	if e.ID <= lastID || lastID < nCases*3+2 {
		t.Errorf("new event id %d, identity stood at %s", e.ID, seqBefore)
	}
	if got := queryString(t, db, "SELECT tableoid::regclass::text FROM events WHERE id = $1", e.ID); got != store.PartitionName("events", store.MonthStart(now, 0)) {
		t.Errorf("today's event in %s", got)
	}
}

// TestPartitionsFarAheadAndConcurrent: an event and a rollup dated two
// years ahead are stored in the default partitions and found; two stores
// creating the months ahead at once create each partition exactly once;
// the month's partition created later takes the far row over from the
// default partition, and it is still found.
func TestPartitionsFarAheadAndConcurrent(t *testing.T) {
	dsn := pgtest.NewDatabase(t)
	s1, s2 := openStore(t, dsn), openStore(t, dsn)
	db := rawDB(t, s1)
	now := time.Now()
	far := now.AddDate(2, 0, 0)
	c := testCase(1)
	insertCases(t, s1, c)
	e := &lifecycle.Event{CaseID: c.ID, Seq: 2, Action: "later", At: far}
	write(t, s1, func(tx *store.Tx) error { return tx.AppendEvent(ctx, e) })
	where := func() string {
		return queryString(t, db, "SELECT tableoid::regclass::text FROM events WHERE id = $1", e.ID)
	}
	if got := where(); got != "events_default" {
		t.Fatalf("the event two years ahead is in %s", got)
	}
	found := func() {
		t.Helper()
		evs, err := s2.Events(ctx, c.ID)
		if err != nil || len(evs) != 1 || evs[0].ID != e.ID || !msEqual(evs[0].At, far) {
			t.Fatalf("Events = %+v, %v", evs, err)
		}
	}
	found()

	// Two stores, the months up to three years ahead, at once.
	const ahead = 36
	var wg sync.WaitGroup
	start := make(chan struct{})
	created := make([][]string, 2)
	errc := make([]error, 2)
	for i, s := range []*store.Store{s1, s2} {
		wg.Go(func() {
			<-start
			created[i], errc[i] = s.EnsurePartitions(ctx, now, ahead)
		})
	}
	close(start)
	wg.Wait()
	if errc[0] != nil || errc[1] != nil {
		t.Fatalf("EnsurePartitions: %v, %v", errc[0], errc[1])
	}
	all := append(slices.Clone(created[0]), created[1]...)
	sort.Strings(all)
	var want []string
	for i := 2; i <= ahead; i++ { // this month and the next: made by Open
		for _, tb := range []string{"events", "insight_daily"} {
			want = append(want, store.PartitionName(tb, store.MonthStart(now, i)))
		}
	}
	sort.Strings(want)
	if !slices.Equal(all, want) {
		t.Fatalf("created %d partitions (%v and %v), want each of %d once", len(all), created[0], created[1], len(want))
	}
	if again, err := s1.EnsurePartitions(ctx, now, ahead); err != nil || len(again) != 0 {
		t.Fatalf("again: %v, %v", again, err)
	}
	if got, want := where(), store.PartitionName("events", store.MonthStart(far, 0)); got != want {
		t.Fatalf("after its month's partition: the event is in %s, want %s", got, want)
	}
	found()
	if got := queryString(t, db, "SELECT count(*) FROM ONLY events_default"); got != "0" {
		t.Fatalf("events_default keeps %s rows", got)
	}
}

// TestSplitDefaultPartitions: rows stored while their months had no
// partition (a history loaded into a fresh database) get their months'
// partitions, the rows moving; rows before 2000 stay in the default one.
func TestSplitDefaultPartitions(t *testing.T) {
	s := openStore(t, pgtest.NewDatabase(t))
	db := rawDB(t, s)
	old := time.Date(2021, 3, 31, 20, 0, 0, 0, time.UTC) // 2021-04-01 04:00 in Shanghai
	c := testCase(1)
	insertCases(t, s, c)
	write(t, s, func(tx *store.Tx) error {
		for i, at := range []time.Time{old, old.AddDate(0, 1, 0), time.UnixMilli(7)} {
			if err := tx.AppendEvent(ctx, &lifecycle.Event{CaseID: c.ID, Seq: i + 2, Action: "x", At: at}); err != nil {
				return err
			}
		}
		return nil
	})
	got, err := s.SplitDefaultPartitions(ctx, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	// testCase's rollup row is dated 2024-05 (base): its month too.
	want := []string{"events_p202104", "events_p202105", "insight_daily_p202405"}
	if !slices.Equal(got, want) {
		t.Fatalf("created %v, want %v", got, want)
	}
	if n := queryString(t, db, "SELECT count(*) FROM events_p202104"); n != "1" {
		t.Fatalf("events_p202104 holds %s rows", n)
	}
	if n := queryString(t, db, "SELECT count(*) FROM ONLY events_default"); n != "1" {
		t.Fatalf("events_default holds %s rows", n)
	}
	if evs, err := s.Events(ctx, c.ID); err != nil || len(evs) != 3 {
		t.Fatalf("Events = %d, %v", len(evs), err)
	}
	if again, err := s.SplitDefaultPartitions(ctx, time.Now()); err != nil || len(again) != 0 {
		t.Fatalf("again: %v, %v", again, err)
	}
}

// TestPartitionPruning: the rollups' reads by day range (the analysis, the
// dashboard) scan only the months of the range.
func TestPartitionPruning(t *testing.T) {
	s := openStore(t, pgtest.NewDatabase(t))
	db := rawDB(t, s)
	now := time.Now()
	if _, err := s.EnsurePartitions(ctx, store.MonthStart(now, -12), 14); err != nil {
		t.Fatal(err)
	}
	lo := store.PartitionedTables[1].Bound(store.MonthStart(now, -1))
	hi := lo + 10
	rows, err := db.QueryContext(ctx, "EXPLAIN SELECT day, SUM(n), SUM(reopened), SUM(rated), SUM(unsatisfied), SUM(resolved) FROM insight_daily WHERE day >= $1 AND day <= $2 GROUP BY day ORDER BY day", lo, hi)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var plan []string
	for rows.Next() {
		var l string
		if err := rows.Scan(&l); err != nil {
			t.Fatal(err)
		}
		plan = append(plan, l)
	}
	text := strings.Join(plan, "\n")
	scanned := map[string]bool{}
	for _, m := range regexp.MustCompile(`insight_daily_(p\d{6}|default)`).FindAllString(text, -1) {
		scanned[m] = true
	}
	if month := store.PartitionName("insight_daily", store.MonthStart(now, -1)); len(scanned) != 1 || !scanned[month] {
		t.Fatalf("the plan of a ten days' read scans %v, want %s only:\n%s", scanned, month, text)
	}
}
