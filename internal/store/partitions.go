package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// Monthly partitions of the large tables on PostgreSQL (issue #14,
// migration 0033, docs/BENCHMARKS.md "PostgreSQL partitions (issue #14)"):
// events by month of at, insight_daily by month of day, a month being a
// civil month in Asia/Shanghai. Each table has a DEFAULT partition, so a
// row whose month has no partition yet is still stored (and found); a
// month's partition created later takes over its rows from the default
// partition (whistle_add_partition, in the migration). The store creates
// the current and the next month's partitions when it opens, and the
// partitions job (scheduler.PartitionJob) the months ahead. With SQLite
// there is nothing to do.

// partitionLock is the advisory lock under which partitions are created,
// so that stores creating them at once create each exactly once.
const partitionLock = 7363625

// shanghai is UTC+8, the civil time of the months (no daylight saving).
var shanghai = time.FixedZone("Asia/Shanghai", 8*3600)

// PartitionedTable is a table partitioned by month and the column (its
// partition key) with the bounds of a month.
type PartitionedTable struct {
	Table, Column string
	// Bound is the column's value at the start of the month starting at m
	// (00:00 on its first day, Asia/Shanghai).
	Bound func(m time.Time) int64
	// month is the SQL date of the first day of a row's month.
	month string
}

// PartitionedTables are the tables partitioned by month on PostgreSQL.
var PartitionedTables = []PartitionedTable{
	{Table: "events", Column: "at", Bound: func(m time.Time) int64 { return m.UnixMilli() },
		month: "date_trunc('month', date '1970-01-01' + ((at / 1000 + 28800) / 86400)::int)::date"},
	{Table: "insight_daily", Column: "day", Bound: func(m time.Time) int64 { return (m.Unix() + 8*3600) / 86400 },
		month: "date_trunc('month', date '1970-01-01' + day::int)::date"},
}

// MonthStart returns the start of the civil month (Asia/Shanghai) of t
// moved by add months.
func MonthStart(t time.Time, add int) time.Time {
	l := t.In(shanghai)
	return time.Date(l.Year(), l.Month()+time.Month(add), 1, 0, 0, 0, 0, shanghai)
}

// PartitionName is the name of table's partition of the month starting
// at m: events_p202612.
func PartitionName(table string, m time.Time) string {
	return table + "_" + monthSuffix(m)
}

func monthSuffix(m time.Time) string {
	return fmt.Sprintf("p%04d%02d", m.Year(), int(m.Month()))
}

// EnsurePartitions creates the partitions of every partitioned table for
// the month of now and the ahead months after it, those missing only, and
// returns the names of those it created (with SQLite: none). Stores doing
// it at once serialise on an advisory lock, so each partition is created
// once; rows of a new month that the default partition holds move into
// its partition in the same transaction. Under a job lease (WithFence) the
// transaction checks the fence first.
func (s *Store) EnsurePartitions(ctx context.Context, now time.Time, ahead int) ([]string, error) {
	if s.dialect != Postgres {
		return nil, nil
	}
	return s.addPartitions(ctx, func(tx *Tx, p PartitionedTable) ([]time.Time, error) {
		var months []time.Time
		for i := 0; i <= ahead; i++ {
			months = append(months, MonthStart(now, i))
		}
		return months, nil
	})
}

// SplitDefaultPartitions gives every month that has rows in a default
// partition its own partition, the rows moving into it (rows dated before
// 2000 or more than ten years after now stay in the default partition),
// and returns the names of the partitions it created. Rows land in the
// default partition when their month had no partition yet: a history
// loaded into a fresh database, a date far ahead. The default partition
// is scanned, and locked while a month's rows move: each month moves in a
// transaction of its own, so a first split of a large load locks the
// default partition a month's copy at a time.
func (s *Store) SplitDefaultPartitions(ctx context.Context, now time.Time) ([]string, error) {
	if s.dialect != Postgres {
		return nil, nil
	}
	var created []string
	for _, p := range PartitionedTables {
		lo, hi := time.Date(2000, 1, 1, 0, 0, 0, 0, shanghai), MonthStart(now, 120)
		var months []time.Time
		err := s.scanRows(ctx, "SELECT DISTINCT "+p.month+" FROM ONLY "+p.Table+"_default WHERE "+p.Column+" >= ? AND "+p.Column+" < ? ORDER BY 1",
			[]any{p.Bound(lo), p.Bound(hi)}, func(r *sql.Rows) error {
				var d time.Time
				if err := r.Scan(&d); err != nil {
					return err
				}
				months = append(months, time.Date(d.Year(), d.Month(), 1, 0, 0, 0, 0, shanghai))
				return nil
			})
		if err != nil {
			return created, fmt.Errorf("store: partitions of %s: %w", p.Table, err)
		}
		for _, m := range months {
			made, err := s.addPartitions(ctx, func(_ *Tx, q PartitionedTable) ([]time.Time, error) {
				if q.Table != p.Table {
					return nil, nil
				}
				return []time.Time{m}, nil
			})
			created = append(created, made...)
			if err != nil {
				return created, err
			}
		}
	}
	return created, nil
}

// addPartitions creates, in one transaction under the advisory lock, the
// missing partitions of the months that months returns for each table.
func (s *Store) addPartitions(ctx context.Context, months func(*Tx, PartitionedTable) ([]time.Time, error)) ([]string, error) {
	var created []string
	err := s.Write(ctx, func(tx *Tx) error {
		created = created[:0]
		// DDL waits for the tables' locks behind long readers and makes
		// every later reader wait behind it: give up rather than stall
		// the service; the job tries again.
		if _, err := tx.exec(ctx, "SET LOCAL lock_timeout = '10s'"); err != nil {
			return err
		}
		if _, err := tx.exec(ctx, "SELECT pg_advisory_xact_lock(?)", int64(partitionLock)); err != nil {
			return err
		}
		for _, p := range PartitionedTables {
			ms, err := months(tx, p)
			if err != nil {
				return fmt.Errorf("store: partitions of %s: %w", p.Table, err)
			}
			for _, m := range ms {
				var made bool
				err := tx.row(ctx, "SELECT whistle_add_partition(?, ?, ?, ?, ?)",
					p.Table, p.Column, p.Bound(m), p.Bound(MonthStart(m, 1)), monthSuffix(m)).Scan(&made)
				if err != nil {
					return fmt.Errorf("store: partition %s: %w", PartitionName(p.Table, m), err)
				}
				if made {
					created = append(created, PartitionName(p.Table, m))
				}
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return created, nil
}

// Partition is one partition of a partitioned table as the database holds
// it: its name and bounds (Default: the DEFAULT partition).
type Partition struct {
	Name    string
	Bounds  string // FOR VALUES FROM (…) TO (…), or DEFAULT
	Default bool
}

// Partitions lists table's partitions in name order (SQLite: none).
func (s *Store) Partitions(ctx context.Context, table string) ([]Partition, error) {
	if s.dialect != Postgres {
		return nil, nil
	}
	rows, err := s.writeDB.QueryContext(ctx, `SELECT c.relname, pg_get_expr(c.relpartbound, c.oid)
		FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
		WHERE i.inhparent = to_regclass($1) ORDER BY c.relname`, table)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Partition
	for rows.Next() {
		var p Partition
		if err := rows.Scan(&p.Name, &p.Bounds); err != nil {
			return nil, err
		}
		p.Default = p.Bounds == "DEFAULT"
		out = append(out, p)
	}
	return out, rows.Err()
}
