package postgres

import (
	"context"
	"errors"
	"io"
	"net"
	"strings"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/puddle/v2"
)

// SQLSTATE codes that say the server is going away or not yet there
// (class 57, operator intervention); class 08, connection exception, is
// matched whole.
const (
	codeAdminShutdown    = "57P01"
	codeCrashShutdown    = "57P02"
	codeCannotConnectNow = "57P03"
)

// unreachable reports whether err means that the database could not be
// reached, dropped the connection, is shutting down or starting up, or did
// not answer before the deadline: a failure of the connection rather than
// of what was asked, so that the same request may succeed later and the
// client should be told to retry (503), not that the server failed (500).
func unreachable(err error) bool {
	if err == nil || errors.Is(err, context.Canceled) {
		// Cancelled: the caller gave up, which says nothing about the
		// database.
		return false
	}
	var (
		connectErr *pgconn.ConnectError
		pgErr      *pgconn.PgError
		netErr     net.Error
	)
	switch {
	case errors.As(err, &connectErr):
		// Whatever the cause (refused, timed out, too many connections,
		// a server starting up), a replica that cannot connect cannot
		// serve; /readyz must fail so that traffic goes elsewhere.
		return true
	case errors.As(err, &pgErr):
		return strings.HasPrefix(pgErr.Code, "08") ||
			pgErr.Code == codeAdminShutdown || pgErr.Code == codeCrashShutdown || pgErr.Code == codeCannotConnectNow
	}
	// pgconn.Timeout wraps context.DeadlineExceeded; a deadline that
	// passed while waiting for a connection from the pool is not wrapped.
	return pgconn.Timeout(err) ||
		errors.Is(err, context.DeadlineExceeded) ||
		errors.As(err, &netErr) ||
		errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.Is(err, pgconn.ErrConnClosed) ||
		errors.Is(err, puddle.ErrClosedPool)
}
