package delivery_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/textproto"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/scimd/scimd/internal/delivery"
	"github.com/scimd/scimd/internal/id"
	"github.com/scimd/scimd/internal/mail"
	"github.com/scimd/scimd/internal/natsevents"
	"github.com/scimd/scimd/internal/pgtest"
	"github.com/scimd/scimd/internal/store"
	"github.com/scimd/scimd/internal/store/postgres"
	"github.com/scimd/scimd/internal/store/sqlite"
	"github.com/scimd/scimd/internal/webhook"
)

// patience bounds every wait for something the dispatcher does, so that
// a test that would hang fails instead. It says nothing of speed.
const patience = 30 * time.Second

// testConfig makes the dispatcher quick to notice retries falling due,
// with a schedule of milliseconds.
func testConfig() delivery.Config {
	return delivery.Config{
		Poll:     10 * time.Millisecond,
		Timeout:  5 * time.Second,
		Schedule: webhook.Schedule{0, 10 * time.Millisecond, 20 * time.Millisecond},
	}
}

func openSQLite(t testing.TB) store.Store {
	t.Helper()
	st, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "scimd.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// postgresURL returns the URL of a new, empty schema in the test database.
func postgresURL(t testing.TB) string { return pgtest.URL(t) }

func openPostgres(t testing.TB, url string) store.Store {
	t.Helper()
	st, err := postgres.Open(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

func mustWorkspace(t testing.TB, st store.Store, slug string) string {
	t.Helper()
	w := store.Workspace{ID: id.New(id.Workspace), Slug: slug, Created: time.Now()}
	if err := st.CreateWorkspace(context.Background(), w); err != nil {
		t.Fatal(err)
	}
	return w.ID
}

// mustWebhook registers url as a webhook of the workspace and returns it
// with its secret.
func mustWebhook(t testing.TB, st store.Store, ws, url string, types ...string) store.Webhook {
	t.Helper()
	w := store.Webhook{ID: id.New(id.Webhook), WorkspaceID: ws, URL: url, Secret: webhook.NewSecret(), EventTypes: types, Enabled: true}
	if err := st.CreateWebhook(context.Background(), &w); err != nil {
		t.Fatal(err)
	}
	return w
}

func mustAppend(t testing.TB, st store.Store, ws string, evs ...store.NewEvent) []store.Event {
	t.Helper()
	out, err := st.AppendEvents(context.Background(), ws, evs)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func event(typ, subject string) store.NewEvent {
	return store.NewEvent{Type: typ, Subject: subject, Data: json.RawMessage(fmt.Sprintf(`{"subject": %q}`, subject))}
}

// run runs a dispatcher until the test ends, or until the returned stop
// is called, which waits for Run to return.
func run(t testing.TB, cfg delivery.Config, st store.Store, pub *natsevents.Publisher, mailer *mail.Mailer) (stop func()) {
	t.Helper()
	d := delivery.New(cfg, st, nil, pub, mailer, slog.New(slog.NewTextHandler(t.Output(), nil)))
	ctx, cancel := context.WithCancel(context.Background())
	if err := d.Start(ctx); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		d.Run(ctx)
	}()
	var once sync.Once
	stop = func() {
		once.Do(func() {
			cancel()
			<-done
		})
	}
	t.Cleanup(stop)
	return stop
}

// waitFor waits until cond holds, failing the test after patience.
func waitFor(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(patience)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("gave up waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// hit is a request a receiver got.
type hit struct {
	path   string
	id     string // webhook-id
	header http.Header
	body   []byte
	at     time.Time
	// verified is the outcome of webhook.Verify with the path's secret.
	verified error
}

// receiver is a webhook endpoint on loopback that checks signatures and
// answers as told.
type receiver struct {
	srv *httptest.Server

	mu      sync.Mutex
	secrets map[string][]byte // by path
	hits    []hit
	// answer, if set, gives the status for a request, which is the
	// attempt-th (from 1) with its webhook-id; else 204.
	answer func(h hit, attempt int) int
	// arrived, if set, is called with each request.
	arrived func(h hit)
}

func newReceiver(t testing.TB) *receiver {
	t.Helper()
	rc := &receiver{secrets: map[string][]byte{}}
	rc.srv = httptest.NewServer(http.HandlerFunc(rc.serve))
	t.Cleanup(rc.srv.Close)
	return rc
}

// endpoint returns the URL of a path of the receiver, whose requests are
// checked against secret.
func (rc *receiver) endpoint(t testing.TB, path, secret string) string {
	t.Helper()
	key, err := webhook.ParseSecret(secret)
	if err != nil {
		t.Fatal(err)
	}
	rc.mu.Lock()
	rc.secrets[path] = key
	rc.mu.Unlock()
	return rc.srv.URL + path
}

// hook registers a webhook that points at a path of the receiver.
func (rc *receiver) hook(t testing.TB, st store.Store, ws, path string, types ...string) store.Webhook {
	t.Helper()
	w := mustWebhook(t, st, ws, rc.srv.URL+path, types...)
	rc.endpoint(t, path, w.Secret)
	return w
}

func (rc *receiver) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	h := hit{path: r.URL.Path, id: r.Header.Get(webhook.HeaderID), header: r.Header.Clone(), body: body, at: time.Now()}
	rc.mu.Lock()
	h.verified = webhook.Verify(rc.secrets[h.path], r.Header, body, time.Now())
	rc.hits = append(rc.hits, h)
	attempt := 0
	for _, x := range rc.hits {
		if x.id == h.id && x.path == h.path {
			attempt++
		}
	}
	answer, arrived := rc.answer, rc.arrived
	rc.mu.Unlock()
	if arrived != nil {
		arrived(h)
	}
	status := http.StatusNoContent
	if answer != nil {
		status = answer(h, attempt)
	}
	w.WriteHeader(status)
	if status >= 300 {
		fmt.Fprintf(w, "refused attempt %d", attempt)
	}
}

// got returns the requests so far.
func (rc *receiver) got() []hit {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return append([]hit(nil), rc.hits...)
}

// count returns how many requests came for each path and webhook-id.
func (rc *receiver) count() map[string]int {
	n := map[string]int{}
	for _, h := range rc.got() {
		n[h.path+" "+h.id]++
	}
	return n
}

// deliveries returns every delivery of a webhook.
func deliveries(t testing.TB, st store.Store, w store.Webhook) []store.Delivery {
	t.Helper()
	page, err := st.Deliveries(context.Background(), store.DeliveryQuery{WorkspaceID: w.WorkspaceID, WebhookID: w.ID, Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	return page.Deliveries
}

// smtpServer accepts mail on loopback and records each message's
// recipient and text; it refuses recipients whose address starts with
// "refused" with 550.
type smtpServer struct {
	addr string
	ln   net.Listener
	wg   sync.WaitGroup

	mu   sync.Mutex
	mail []smtpMessage
}

type smtpMessage struct {
	to   string
	data string
}

func startSMTP(t testing.TB) *smtpServer {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &smtpServer{addr: ln.Addr().String(), ln: ln}
	srv.wg.Go(func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			srv.wg.Go(func() { srv.serve(conn) })
		}
	})
	t.Cleanup(func() {
		ln.Close()
		srv.wg.Wait()
	})
	return srv
}

func (srv *smtpServer) messages() []smtpMessage {
	srv.mu.Lock()
	defer srv.mu.Unlock()
	return append([]smtpMessage(nil), srv.mail...)
}

// serve speaks as much of RFC 5321 as net/smtp needs.
func (srv *smtpServer) serve(conn net.Conn) {
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(patience))
	tc := textproto.NewConn(conn)
	tc.PrintfLine("220 test.invalid ESMTP")
	var to string
	for {
		line, err := tc.ReadLine()
		if err != nil {
			return
		}
		verb, arg, _ := strings.Cut(line, " ")
		switch strings.ToUpper(verb) {
		case "EHLO", "HELO", "MAIL", "RSET", "NOOP":
			tc.PrintfLine("250 OK")
		case "RCPT":
			to = strings.Trim(strings.TrimPrefix(strings.ToUpper(arg), "TO:"), "<> ")
			to = strings.ToLower(to)
			if strings.HasPrefix(to, "refused") {
				tc.PrintfLine("550 5.1.1 no such mailbox")
				continue
			}
			tc.PrintfLine("250 OK")
		case "DATA":
			tc.PrintfLine("354 go ahead")
			data, err := tc.ReadDotBytes()
			if err != nil {
				return
			}
			srv.mu.Lock()
			srv.mail = append(srv.mail, smtpMessage{to: to, data: string(data)})
			srv.mu.Unlock()
			tc.PrintfLine("250 OK")
		case "QUIT":
			tc.PrintfLine("221 bye")
			return
		default:
			tc.PrintfLine("502 not implemented")
		}
	}
}
