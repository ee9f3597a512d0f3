package store

import (
	"context"
	"database/sql/driver"
	"errors"

	"github.com/jackc/pgx/v5/pgconn"
	"modernc.org/sqlite"

	"whistle/internal/errs"
)

// SQLite's primary result codes for a read-only database, an I/O error
// and a full disk (sqlite3.h: SQLITE_READONLY, SQLITE_IOERR, SQLITE_FULL);
// extended codes carry them in their low byte. A file that turns read-only
// under a running server (a file system remounted read-only after errors,
// an immutable file) fails the writes of the connection already open with
// an I/O error (EROFS, EPERM), not SQLITE_READONLY, which only a connection
// opened on a read-only file gets: both are "cannot be written".
const (
	sqliteReadOnly = 8
	sqliteIOErr    = 10
	sqliteFull     = 13
)

// storageError gives a storage failure its own code — storage_full or
// storage_read_only (cannot be written: read-only or an I/O error), with
// the cause kept — so that users get a clear
// answer (507 or 503) rather than "internal error", and operators a log
// line that says what to fix. Other errors pass through unchanged.
func storageError(err error) error {
	if err == nil {
		return nil
	}
	if c := errs.CodeOf(err); c != errs.Internal {
		return err
	}
	var code errs.Code
	var se *sqlite.Error
	var pe *pgconn.PgError
	switch {
	case errors.As(err, &se):
		switch se.Code() & 0xff {
		case sqliteFull:
			code = errs.StorageFull
		case sqliteReadOnly, sqliteIOErr:
			code = errs.StorageReadOnly
		}
	case errors.As(err, &pe):
		switch pe.Code {
		case "53100": // disk_full
			code = errs.StorageFull
		case "25006": // read_only_sql_transaction (a standby, default_transaction_read_only)
			code = errs.StorageReadOnly
		}
	}
	if code == "" {
		return err
	}
	return &errs.Error{Code: code, Err: err}
}

// isStorageError reports whether err is a storage failure: not this
// write's fault, but the database's.
func isStorageError(err error) bool {
	c := errs.CodeOf(storageError(err))
	return c == errs.StorageFull || c == errs.StorageReadOnly
}

// SetWriterPragmaForTest runs a PRAGMA on the SQLite writer's connection
// (tests: "PRAGMA query_only = 1" makes the next writes fail with SQLite's
// own SQLITE_READONLY, "PRAGMA max_page_count = N" with SQLITE_FULL). The
// writer discards its connection after a storage failure, so a pragma set
// here lasts until the first one.
func (s *Store) SetWriterPragmaForTest(ctx context.Context, pragma string) error {
	if s.dialect != SQLite {
		return errors.New("store: SetWriterPragmaForTest is for SQLite")
	}
	return s.Write(ctx, func(tx *Tx) error {
		_, err := tx.exec(ctx, pragma)
		return err
	})
}

// errDiscardConn, returned from (*sql.Conn).Raw, makes database/sql close
// the connection instead of pooling it.
var errDiscardConn = driver.ErrBadConn
