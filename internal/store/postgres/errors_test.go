package postgres

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/puddle/v2"

	"github.com/scimd/scimd/internal/store"
	"github.com/scimd/scimd/internal/store/sqlstore"
)

func TestClassify(t *testing.T) {
	refused := &net.OpError{Op: "dial", Net: "tcp", Err: syscall.ECONNREFUSED}
	tests := []struct {
		name string
		err  error
		want bool
	}{
		{"nil", nil, false},
		{"not found", fmt.Errorf("token: %w", store.ErrNotFound), false},
		{"unique violation", &pgconn.PgError{Code: codeUniqueViolation}, false},
		{"deadlock", &pgconn.PgError{Code: codeDeadlockDetected}, false},
		{"syntax error", &pgconn.PgError{Code: "42601"}, false},
		{"cancelled", fmt.Errorf("get token: %w", context.Canceled), false},
		{"connection failure", &pgconn.PgError{Code: "08006"}, true},
		{"admin shutdown", fmt.Errorf("get User: %w", &pgconn.PgError{Severity: "FATAL", Code: codeAdminShutdown}), true},
		{"crash shutdown", &pgconn.PgError{Code: codeCrashShutdown}, true},
		{"starting up", &pgconn.PgError{Code: codeCannotConnectNow}, true},
		{"deadline", fmt.Errorf("begin: %w", context.DeadlineExceeded), true},
		{"refused", fmt.Errorf("list User: %w", refused), true},
		{"EOF", fmt.Errorf("failed to receive message: %w", io.ErrUnexpectedEOF), true},
		{"bare EOF", io.EOF, true},
		{"conn closed", fmt.Errorf("commit: %w", pgconn.ErrConnClosed), true},
		{"closed pool", fmt.Errorf("postgres: %w", puddle.ErrClosedPool), true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := sqlstore.Classify(dialect{}, tt.err)
			if got := errors.Is(err, store.ErrUnavailable); got != tt.want {
				t.Errorf("%v: unavailable = %v, want %v", err, got, tt.want)
			}
			if tt.err != nil && !errors.Is(err, tt.err) {
				t.Errorf("%v: the original error %v is lost", err, tt.err)
			}
			before := err
			if err = sqlstore.Classify(dialect{}, err); err != before {
				t.Errorf("classified twice: %v", err)
			}
		})
	}
}

// TestOpenUnreachable opens a database nothing listens for: the error must
// say the database is unavailable and keep pgx's connect error.
func TestOpenUnreachable(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close() // a port that refuses connections
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_, err = Open(ctx, "postgres://postgres@"+addr+"/test?sslmode=disable&connect_timeout=1")
	var ce *pgconn.ConnectError
	if !errors.Is(err, store.ErrUnavailable) || !errors.As(err, &ce) {
		t.Errorf("Open: %v; want store.ErrUnavailable wrapping a *pgconn.ConnectError", err)
	}
}

// TestTerminatedConnection ends the store's connection from the server
// side, as a restart or an administrator does: the next call fails with
// store.ErrUnavailable, and the one after succeeds on a new connection.
func TestTerminatedConnection(t *testing.T) {
	t.Parallel()
	dbURL := testDB(t)
	// One connection, so that the one terminated is the one used next.
	oneConn := dbURL + " pool_max_conns=1"
	if u, err := url.Parse(dbURL); err == nil && u.Scheme != "" {
		q := u.Query()
		q.Set("pool_max_conns", "1")
		u.RawQuery = q.Encode()
		oneConn = u.String()
	}
	st := openTest(t, oneConn)
	admin := openTest(t, dbURL)
	ctx := context.Background()
	var pid int32
	if err := st.pool.QueryRow(ctx, `SELECT pg_backend_pid()`).Scan(&pid); err != nil {
		t.Fatal(err)
	}
	var ok bool
	if err := admin.pool.QueryRow(ctx, `SELECT pg_terminate_backend($1)`, pid).Scan(&ok); err != nil || !ok {
		t.Fatalf("pg_terminate_backend: %v, %v", ok, err)
	}
	_, err := st.WorkspaceBySlug(ctx, "default")
	if !errors.Is(err, store.ErrUnavailable) {
		t.Errorf("on a terminated connection: %v; want store.ErrUnavailable", err)
	}
	if _, err := st.WorkspaceBySlug(ctx, "default"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("after reconnecting: %v; want store.ErrNotFound", err)
	}
}

// silentProxy forwards TCP connections to the database until silence is
// set; from then on it drops all it reads, as a network losing every
// packet does, while the connections stay open.
type silentProxy struct {
	ln      net.Listener
	silence atomic.Bool
	mu      sync.Mutex
	closed  bool
	conns   []net.Conn
	wg      sync.WaitGroup
}

func newSilentProxy(t *testing.T, target string) *silentProxy {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &silentProxy{ln: ln}
	t.Cleanup(p.close)
	p.wg.Go(func() {
		for {
			client, err := ln.Accept()
			if err != nil {
				return
			}
			server, err := net.Dial("tcp", target)
			if err != nil {
				client.Close()
				continue
			}
			p.mu.Lock()
			closed := p.closed
			p.conns = append(p.conns, client, server)
			p.mu.Unlock()
			if closed { // while dialling
				client.Close()
				server.Close()
				continue
			}
			p.wg.Go(func() { p.pipe(server, client) })
			p.wg.Go(func() { p.pipe(client, server) })
		}
	})
	return p
}

// close closes the listener and every connection.
func (p *silentProxy) close() {
	p.ln.Close()
	p.mu.Lock()
	p.closed = true
	for _, c := range p.conns {
		c.Close()
	}
	p.mu.Unlock()
	p.wg.Wait()
}

func (p *silentProxy) pipe(dst, src net.Conn) {
	defer dst.Close()
	buf := make([]byte, 32<<10)
	for {
		n, err := src.Read(buf)
		if n > 0 && !p.silence.Load() {
			if _, err := dst.Write(buf[:n]); err != nil {
				return
			}
		}
		if err != nil {
			return
		}
	}
}

// TestRollbackBounded fails an update in its closure just as the database
// falls silent: the rollback that follows must give up rather than wait
// for an answer that never comes.
func TestRollbackBounded(t *testing.T) {
	t.Parallel()
	dbURL := testDB(t)
	u, err := url.Parse(dbURL)
	if err != nil || u.Scheme == "" {
		t.Skip("needs a postgres:// URL to route through a proxy")
	}
	cfg, err := pgconn.ParseConfig(dbURL)
	if err != nil {
		t.Fatal(err)
	}
	proxy := newSilentProxy(t, net.JoinHostPort(cfg.Host, strconv.Itoa(int(cfg.Port))))
	u.Host = proxy.ln.Addr().String()
	st := openTest(t, u.String())
	ctx := context.Background()
	if err := st.CreateWorkspace(ctx, store.Workspace{ID: "ws_a", Slug: "alpha", Created: time.Now()}); err != nil {
		t.Fatal(err)
	}
	if err := st.CreateResource(ctx, &store.Resource{Type: "User", ID: "usr_1", WorkspaceID: "ws_a", Doc: map[string]any{"userName": "ada"}}, store.Effects{}); err != nil {
		t.Fatal(err)
	}
	refused := errors.New("precondition failed")
	errc := make(chan error, 1)
	start := time.Now()
	go func() {
		_, err := st.UpdateResource(ctx, "ws_a", "User", "usr_1", false, func(*store.Resource) (*store.Update, error) {
			proxy.silence.Store(true)
			return nil, refused
		})
		errc <- err
	}()
	select {
	case err := <-errc:
		if !errors.Is(err, refused) {
			t.Errorf("UpdateResource: %v; want the closure's error", err)
		}
		if d := time.Since(start); d > sqlstore.RollbackTimeout+time.Second {
			t.Errorf("UpdateResource returned after %v", d)
		}
		// pgx, closing the connection, sends PostgreSQL a cancel request
		// over a new one, which the silent proxy would hold for 15s, and
		// the store's Close would wait for it.
		proxy.close()
	case <-time.After(sqlstore.RollbackTimeout + 10*time.Second):
		proxy.close() // else the store's Close waits for the connection too
		t.Fatal("UpdateResource still waits for the rollback")
	}
}
