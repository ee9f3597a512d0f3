package store_test

import (
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"net"
	"syscall"
	"testing"

	"github.com/jackc/pgx/v5/pgconn"

	"whistle/internal/errs"
	"whistle/internal/store"
)

// Which failures are a database outage (503 store_unavailable) and which
// are not (the request's own fault, or a bug).
func TestUnreachable(t *testing.T) {
	refused := &net.OpError{Op: "dial", Net: "tcp", Err: &net.DNSError{Err: "x"}}
	for _, c := range []struct {
		name string
		err  error
		want bool
	}{
		{"nil", nil, false},
		{"dial refused", fmt.Errorf("store: %w", refused), true},
		{"ECONNREFUSED", fmt.Errorf("dial: %w", syscall.ECONNREFUSED), true},
		{"ECONNRESET", syscall.ECONNRESET, true},
		{"admin shutdown", &pgconn.PgError{Code: "57P01", Message: "terminating connection due to administrator command"}, true},
		{"starting up", &pgconn.PgError{Code: "57P03"}, true},
		{"connection failure", &pgconn.PgError{Code: "08006"}, true},
		{"bad conn", fmt.Errorf("begin: %w", driver.ErrBadConn), true},
		{"conn closed", fmt.Errorf("q: %w", pgconn.ErrConnClosed), true},
		{"unexpected EOF", io.ErrUnexpectedEOF, true},
		{"wrapped as internal", errs.Wrap(fmt.Errorf("x: %w", syscall.ECONNREFUSED)), true},
		{"unique violation", &pgconn.PgError{Code: "23505"}, false},
		{"serialization", &pgconn.PgError{Code: "40001"}, false},
		{"no rows", sql.ErrNoRows, false},
		{"not found", errs.E(errs.NotFound), false},
		{"a bug", errors.New("nil map"), false},
		{"fenced", store.ErrFenced, false},
	} {
		if got := store.Unreachable(c.err); got != c.want {
			t.Errorf("%s: Unreachable(%v) = %v, want %v", c.name, c.err, got, c.want)
		}
	}
}
