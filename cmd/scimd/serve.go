package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/scimd/scimd/internal/admin"
	"github.com/scimd/scimd/internal/duration"
	"github.com/scimd/scimd/internal/store"
	"github.com/scimd/scimd/internal/tenant"
	"github.com/scimd/scimd/internal/token"
)

// connectTimeout bounds each attempt to connect to PostgreSQL, unless
// the --db URL sets connect_timeout itself: without one a server that
// does not answer would hold serve past --db-wait.
const connectTimeout = "10"

// openWaiting opens the store as open does, trying again for up to
// --db-wait while a PostgreSQL server cannot be reached, as when it
// starts with scimd. Refused credentials and a missing database are not
// waited for: they will not mend.
func (c *Config) openWaiting(ctx context.Context, log *slog.Logger) (store.Store, *token.Hasher, error) {
	if isPostgres(c.db) {
		if u, err := url.Parse(c.db); err == nil && !u.Query().Has("connect_timeout") {
			q := u.Query()
			q.Set("connect_timeout", connectTimeout)
			u.RawQuery = q.Encode()
			c.db = u.String()
		}
	}
	deadline := time.Now().Add(c.DBWait)
	pause := 500 * time.Millisecond
	for attempt := 1; ; attempt++ {
		st, h, err := c.open(ctx)
		if err == nil || c.DBWait == 0 || !errors.Is(err, store.ErrUnavailable) || lasting(err) {
			return st, h, err
		}
		left := time.Until(deadline)
		if left <= 0 {
			return nil, nil, fmt.Errorf("the database %s could not be reached within --db-wait %s (%d attempts): %w",
				redact(c.db), duration.Format(c.DBWait), attempt, err)
		}
		pause = min(pause, left)
		log.Warn("waiting for the database", "db", redact(c.db), "attempt", attempt, "retry_in", pause, "err", err)
		select {
		case <-ctx.Done():
			return nil, nil, fmt.Errorf("waiting for the database: %w", ctx.Err())
		case <-time.After(pause):
		}
		pause = min(2*pause, 5*time.Second)
	}
}

// lasting reports whether PostgreSQL refused the connection for a
// reason that waiting does not change: credentials (class 28) or a
// database that does not exist (3D000).
func lasting(err error) bool {
	var pgErr *pgconn.PgError
	return errors.As(err, &pgErr) && (strings.HasPrefix(pgErr.Code, "28") || pgErr.Code == "3D000")
}

// listen opens the listeners of --addr and, if set, --admin-addr (nil
// otherwise).
func (c *Config) listen() (scim, adm net.Listener, err error) {
	if scim, err = net.Listen("tcp", c.Addr); err != nil {
		return nil, nil, fmt.Errorf("--addr: %w", err)
	}
	if c.AdminAddr != "" {
		if adm, err = net.Listen("tcp", c.AdminAddr); err != nil {
			scim.Close()
			return nil, nil, fmt.Errorf("--admin-addr: %w", err)
		}
	}
	return scim, adm, nil
}

// serveHTTP serves srv on ln: HTTPS with certs' certificate if certs is
// set, else HTTP.
func serveHTTP(srv *http.Server, ln net.Listener, certs *certFiles) error {
	if certs == nil {
		return srv.Serve(ln)
	}
	srv.TLSConfig = certs.tlsConfig()
	return srv.ServeTLS(ln, "", "")
}

// firstRun holds the tokens the first run on an empty database makes.
type firstRun struct {
	scim  string // workspace "default"'s
	admin string
}

// bootstrap makes, on an empty database, workspace "default" with a SCIM
// token, and an admin token so that the admin API can be used at once;
// nil on any other. With --bootstrap-token-file it writes them there:
// the file is created before they are made, so that one that exists or
// cannot be created stops serve before there are tokens nobody sees.
func (c *Config) bootstrap(ctx context.Context, st store.Store, ten *tenant.Service) (_ *firstRun, err error) {
	var f *os.File
	if path := c.BootstrapTokenFile; path != "" {
		ws, err := st.Workspaces(ctx)
		if err != nil {
			return nil, fmt.Errorf("bootstrap: %w", err)
		}
		if len(ws) == 0 {
			f, err = os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
			if err != nil {
				return nil, fmt.Errorf("--bootstrap-token-file: %w; the first run writes its tokens to a file it creates", err)
			}
			defer func() {
				if f != nil { // not written
					f.Close()
					os.Remove(path)
				}
			}()
		}
	}
	tok, err := ten.Bootstrap(ctx)
	if err != nil || tok == "" {
		if err != nil {
			err = fmt.Errorf("bootstrap: %w", err)
		}
		return nil, err
	}
	first := &firstRun{scim: tok}
	if first.admin, _, err = ten.CreateAdminToken(tenant.WithActor(ctx, "scimd:first-run"), "first-run", 0); err != nil {
		return nil, fmt.Errorf("bootstrap: %w", err)
	}
	if f == nil {
		return first, nil
	}
	_, err = fmt.Fprintf(f, `# The first run's tokens, shown nowhere else. Keep them; then delete this file.
# Workspace "default"'s SCIM token, for its identity provider:
SCIM_TOKEN=%s
# An admin token, for the admin API, the console and scimd --server:
SCIMD_ADMIN_TOKEN=%s
`, first.scim, first.admin)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return nil, fmt.Errorf("--bootstrap-token-file: %w; revoke the first run's tokens (scimd token list --workspace default, scimd admin-token list) and make new ones", err)
	}
	f = nil
	return first, nil
}

// printFirstRun tells what the first run made: its tokens, or with
// --bootstrap-token-file where they are.
func (c *Config) printFirstRun(w io.Writer, first *firstRun, base, consoleURL string) {
	if c.BootstrapTokenFile != "" {
		fmt.Fprintf(w, "\nCreated workspace \"default\" with a SCIM token, and an admin token for the admin API (%s) and the console at %s (each %s).\n"+
			"They are in %s, readable by this user only, and shown nowhere else.\n\n", admin.Prefix, consoleURL, c.lifetime(), c.BootstrapTokenFile)
		return
	}
	fmt.Fprintf(w, "\nCreated workspace \"default\" and its SCIM token (shown once, %s):\n\n  %s\n\n", c.lifetime(), first.scim)
	fmt.Fprintf(w, "Try it:\n\n  curl -H 'Authorization: Bearer %s' %s/Users\n\n", first.scim, base)
	fmt.Fprintf(w, "And an admin token for the admin API (%s) and the console at %s (shown once, %s):\n\n  %s\n\n", admin.Prefix, consoleURL, c.lifetime(), first.admin)
}
