package store

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"whistle/internal/pgtest"
)

// inline replaces each ? with a literal (for EXPLAIN without parameters).
func inline(q string, args ...any) string {
	var b strings.Builder
	i := 0
	for _, r := range q {
		if r == '?' {
			switch v := args[i].(type) {
			case string:
				fmt.Fprintf(&b, "'%s'", v)
			default:
				fmt.Fprint(&b, v)
			}
			i++
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

// TestRoutingQueriesUseIndexes checks that the repeat, duplicate and
// tie-break queries can be answered from the 0004 indexes (and the phone
// index of 0001) rather than by scanning cases. On PostgreSQL sequential
// scans are disabled for the EXPLAIN, so the plan shows whether an index
// can serve the query at all.
func TestRoutingQueriesUseIndexes(t *testing.T) {
	queries := []struct {
		sql   string
		index string
	}{
		{inline(qRepeatPhone, "ph:x", 1, 2, 100), "cases_phone_hash"},
		{inline(qRepeatGrid, 5, "urban.stall", 1, 2, 100), "cases_grid_cat"},
		{inline(qRepeatCommunity, 3, 1, 2, 4, "urban.stall", 100), "cases_district"},
		{inline(qFinalLeads+"(?,?) GROUP BY lead_unit_id", 3, "urban.stall", 1, "closed", 10, 11), "cases_street_cat"},
		{inline(openCasesSQL(2, true), "urban.stall", "urban.bbq", 1, 2, 50), "cases_open_cat"},
	}
	for _, dsn := range []string{"sqlite", "postgres"} {
		t.Run(dsn, func(t *testing.T) {
			ctx := context.Background()
			path := filepath.Join(t.TempDir(), "w.db")
			if dsn == "postgres" {
				path = pgtest.NewDatabase(t)
			}
			s, err := Open(ctx, path, Options{})
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			conn, err := s.readDB.Conn(ctx)
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			explain := "EXPLAIN QUERY PLAN "
			if s.dialect == Postgres {
				explain = "EXPLAIN "
				if _, err := conn.ExecContext(ctx, "SET enable_seqscan = off"); err != nil {
					t.Fatal(err)
				}
			}
			for _, q := range queries {
				rows, err := conn.QueryContext(ctx, explain+q.sql)
				if err != nil {
					t.Fatalf("%s: %v", q.sql, err)
				}
				cols, _ := rows.Columns()
				var plan []string
				for rows.Next() {
					vals := make([]any, len(cols))
					ptrs := make([]any, len(cols))
					for i := range vals {
						ptrs[i] = &vals[i]
					}
					if err := rows.Scan(ptrs...); err != nil {
						t.Fatal(err)
					}
					plan = append(plan, fmt.Sprint(vals[len(vals)-1]))
				}
				rows.Close()
				text := strings.Join(plan, "\n")
				if !strings.Contains(text, q.index) {
					t.Errorf("%s\nplan does not use %s:\n%s", q.sql, q.index, text)
				}
			}
		})
	}
}
