package store

import (
	"context"
	"fmt"
	"strings"
)

// Deferred indexes of a bulk import (SQLite). Each case row of a new store
// costs an insert into every secondary index of cases (14 of them), events
// and import_keys; together they are half the single writer's time, most of
// it B-tree page splits of indexes written out of order. An import into a
// store with few cases drops them for its duration and builds them again
// in one pass at its end (CREATE INDEX sorts the table once per index). The
// unique indexes stay (case numbers, import keys, event sequences): what
// they refuse is still refused, row by row.
//
// Crash safety: the indexes are dropped in one transaction that also lists
// them in import_deferred_indexes, and built again in one transaction that
// unlists them. Between the two the store answers every query correctly,
// only more slowly; a process killed there leaves the list, and the next
// import run continues without them and builds them at its end, or the
// next Open builds them (RestoreImportIndexes).

// importIndexTables are the tables whose secondary indexes an import defers.
var importIndexTables = []string{"cases", "events", "import_keys"}

// ImportIndexesDeferred reports whether indexes are listed as deferred.
func (q Queries) ImportIndexesDeferred(ctx context.Context) (bool, error) {
	var n int
	err := q.row(ctx, "SELECT COUNT(*) FROM import_deferred_indexes").Scan(&n)
	return n > 0, err
}

// DeferImportIndexes drops the secondary, non-unique indexes of the tables
// an import fills and lists them, in the caller's write transaction, when
// the store holds at most maxCases cases; it returns how many it dropped
// (0 on PostgreSQL, on a larger store, or when they are already deferred).
func (q Queries) DeferImportIndexes(ctx context.Context, maxCases int64) (int, error) {
	if q.dialect != SQLite {
		return 0, nil
	}
	var n int64
	if err := q.row(ctx, "SELECT COUNT(*) FROM cases").Scan(&n); err != nil || n > maxCases {
		return 0, err
	}
	rows, err := q.query(ctx, "SELECT name, tbl_name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL AND tbl_name IN ("+marks(len(importIndexTables))+") ORDER BY name",
		anySlice(importIndexTables)...)
	if err != nil {
		return 0, err
	}
	type index struct{ name, tbl, sql string }
	var drop []index
	for rows.Next() {
		var ix index
		if err := rows.Scan(&ix.name, &ix.tbl, &ix.sql); err != nil {
			rows.Close()
			return 0, err
		}
		if !strings.HasPrefix(strings.ToUpper(ix.sql), "CREATE UNIQUE") {
			drop = append(drop, ix)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, err
	}
	for _, ix := range drop {
		if _, err := q.exec(ctx, "INSERT INTO import_deferred_indexes(name, tbl, sql) VALUES (?,?,?)", ix.name, ix.tbl, ix.sql); err != nil {
			return 0, err
		}
		if _, err := q.exec(ctx, `DROP INDEX "`+strings.ReplaceAll(ix.name, `"`, `""`)+`"`); err != nil {
			return 0, err
		}
	}
	return len(drop), nil
}

// BuildImportIndexes builds the deferred indexes again and unlists them,
// in the caller's write transaction; it returns how many it built.
func (q Queries) BuildImportIndexes(ctx context.Context) (int, error) {
	if q.dialect != SQLite {
		return 0, nil
	}
	rows, err := q.query(ctx, "SELECT name, sql FROM import_deferred_indexes ORDER BY name")
	if err != nil {
		return 0, err
	}
	var names, sqls []string
	for rows.Next() {
		var name, sql string
		if err := rows.Scan(&name, &sql); err != nil {
			rows.Close()
			return 0, err
		}
		names, sqls = append(names, name), append(sqls, sql)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, err
	}
	for i, sql := range sqls {
		// The statement as it was created; one already there (built by
		// hand, say) is kept.
		var have int
		if err := q.row(ctx, "SELECT COUNT(*) FROM sqlite_master WHERE type = 'index' AND name = ?", names[i]).Scan(&have); err != nil {
			return 0, err
		}
		if have == 0 {
			if _, err := q.exec(ctx, sql); err != nil {
				return 0, err
			}
		}
		if _, err := q.exec(ctx, "DELETE FROM import_deferred_indexes WHERE name = ?", names[i]); err != nil {
			return 0, err
		}
	}
	return len(sqls), nil
}

// RestoreImportIndexes builds the indexes an interrupted import left
// deferred (SQLite; nothing when none are). Open calls it.
func (s *Store) RestoreImportIndexes(ctx context.Context) error {
	if s.dialect != SQLite {
		return nil
	}
	deferred, err := s.ImportIndexesDeferred(ctx)
	if err != nil || !deferred {
		return err
	}
	s.log.Info("building the indexes an interrupted import deferred")
	_, err = s.BuildImportIndexes(ctx)
	return err
}

// importMmap is the writer's memory map while it builds deferred indexes:
// each CREATE INDEX reads the whole table, and read through the map its
// pages cost no read call and no copy each.
const importMmap = 1 << 40

// BuildImportIndexes builds the deferred indexes in one write transaction
// (Queries.BuildImportIndexes) with the writer's connection reading the
// database file through a memory map meanwhile; it returns how many it
// built.
func (s *Store) BuildImportIndexes(ctx context.Context) (int, error) {
	if s.dialect != SQLite {
		return 0, nil
	}
	if deferred, err := s.ImportIndexesDeferred(ctx); err != nil || !deferred {
		return 0, err
	}
	if err := s.writerPragma(ctx, fmt.Sprintf("PRAGMA mmap_size = %d", int64(importMmap))); err != nil {
		return 0, err
	}
	defer s.writerPragma(context.Background(), "PRAGMA mmap_size = 0")
	var n int
	err := s.Write(ctx, func(tx *Tx) error {
		var err error
		n, err = tx.BuildImportIndexes(ctx)
		return err
	})
	return n, err
}

func anySlice(ss []string) []any {
	out := make([]any, len(ss))
	for i, s := range ss {
		out[i] = s
	}
	return out
}
