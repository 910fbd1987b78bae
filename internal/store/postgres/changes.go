package postgres

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/scimd/scimd/internal/store"
	"github.com/scimd/scimd/internal/store/sqlstore"
)

// Replicas hear of each other's changes through NOTIFY, which PostgreSQL
// delivers at commit, and only then, to every session that LISTENs on the
// channel: one dedicated connection per subscribed store.
const (
	// defaultListenIdle is how long the listening connection may stay
	// silent before it is checked: a connection that a network fault
	// left open but dead would otherwise hear nothing, and say nothing,
	// forever.
	defaultListenIdle = 5 * time.Second
	// listenCheck bounds the check, and closing a connection.
	listenCheck = 2 * time.Second
	// Reconnecting waits from listenRetryMin, doubling up to
	// listenRetryMax, so that a database that is down is not hammered.
	listenRetryMin = 100 * time.Millisecond
	listenRetryMax = 5 * time.Second
)

// notification is the payload of a NOTIFY: one change, or several.
type notification struct {
	Origin      string           `json:"o"`
	Kind        store.ChangeKind `json:"k,omitempty"`
	WorkspaceID string           `json:"w,omitempty"`
	ID          string           `json:"i,omitempty"`
	// Changes are the changes of a notification of several, each as
	// kind, workspace and id, and correlation id if not "". Kind is then
	// empty, so that a store that reads one change a notification drops
	// everything rather than miss the rest.
	Changes [][]string `json:"c,omitempty"`
	// CorrelationID is that of the single change.
	CorrelationID string `json:"r,omitempty"`
}

// maxPayload bounds the payload of a notification: PostgreSQL refuses
// one of 8000 bytes or more. Each notification costs every listening
// replica a wake-up, so a transaction's changes share as few as fit.
const maxPayload = 7900

// payloads returns the payloads of the notifications of changes made by
// the store of origin: one that holds a single change as before, or
// changes packed into notifications of at most maxPayload bytes.
func payloads(origin string, changes []store.Change) ([]string, error) {
	if len(changes) == 1 {
		c := changes[0]
		b, err := json.Marshal(notification{Origin: origin, Kind: c.Kind, WorkspaceID: c.WorkspaceID, ID: c.ID, CorrelationID: c.CorrelationID})
		return []string{string(b)}, err
	}
	o, err := json.Marshal(origin)
	if err != nil {
		return nil, err
	}
	head := `{"o":` + string(o) + `,"c":[`
	var (
		out []string
		buf = []byte(head)
		n   int
	)
	for _, c := range changes {
		fields := []string{string(c.Kind), c.WorkspaceID, c.ID}
		if c.CorrelationID != "" {
			fields = append(fields, c.CorrelationID)
		}
		item, err := json.Marshal(fields)
		if err != nil {
			return nil, err
		}
		if n > 0 && len(buf)+1+len(item)+len("]}") > maxPayload {
			out = append(out, string(buf)+"]}")
			buf, n = []byte(head), 0
		}
		if n > 0 {
			buf = append(buf, ',')
		}
		buf, n = append(buf, item...), n+1
	}
	return append(out, string(buf)+"]}"), nil
}

// channelName returns the NOTIFY channel of the tables in schema: the
// channel is the database's, so stores on different schemas must not
// share it. Names are at most 63 bytes.
func channelName(schema string) string {
	name := "scimd_changes:" + schema
	if len(name) > 63 {
		sum := sha256.Sum256([]byte(schema))
		name = "scimd_changes:" + hex.EncodeToString(sum[:12])
	}
	return name
}

// notify notifies changes in the transaction tx, all in one statement and
// in order; PostgreSQL delivers them at commit.
func (s *Store) notify(ctx context.Context, tx sqlstore.Conn, changes []store.Change) error {
	ps, err := payloads(s.origin, changes)
	if err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `SELECT pg_notify(?, p) FROM unnest(?::text[]) WITH ORDINALITY AS x(p, i) ORDER BY i`, s.channel, ps); err != nil {
		return fmt.Errorf("notify: %w", err)
	}
	return nil
}

// watch listens for the changes of other stores until ctx is done,
// connecting again whenever the connection fails.
func (s *Store) watch(ctx context.Context) {
	wait := listenRetryMin
	for {
		if s.listen(ctx) {
			wait = listenRetryMin
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(wait):
		}
		wait = min(2*wait, listenRetryMax)
	}
}

// listen opens a connection, listens on it and publishes what it hears
// until it fails or ctx is done, and reports whether it got as far as
// listening. Why it failed does not matter: the next attempt tells
// whether the database is back.
func (s *Store) listen(ctx context.Context) (live bool) {
	cfg := s.pool.Config().ConnConfig // a copy
	if cfg.RuntimeParams == nil {
		cfg.RuntimeParams = map[string]string{}
	}
	if cfg.RuntimeParams["application_name"] == "" {
		// For pg_stat_activity: the connection idles by design.
		cfg.RuntimeParams["application_name"] = "scimd listen"
	}
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return false
	}
	s.listenPID.Store(conn.PgConn().PID())
	defer func() {
		cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), listenCheck)
		defer cancel()
		conn.Close(cctx)
	}()
	if _, err := conn.Exec(ctx, `LISTEN `+pgx.Identifier{s.channel}.Sanitize()); err != nil {
		return false
	}
	// Listening from now on; what happened before, or while the last
	// connection was down, is unknown.
	s.changes.Live()
	defer s.changes.Lost()
	for {
		wctx, cancel := context.WithTimeout(ctx, s.listenIdle)
		n, err := conn.WaitForNotification(wctx)
		cancel()
		switch {
		case ctx.Err() != nil:
			return true
		case err == nil:
			s.deliver(n.Payload)
		case errors.Is(err, context.DeadlineExceeded) && !conn.IsClosed():
			// Silent for listenIdle: check that the connection
			// still works. The deadline left it usable.
			pctx, cancel := context.WithTimeout(ctx, listenCheck)
			err := conn.Ping(pctx)
			cancel()
			if err != nil {
				return true
			}
		default:
			return true
		}
	}
}

// deliver publishes a notification from another store. One it cannot read
// drops everything, since what changed is unknown.
func (s *Store) deliver(payload string) {
	var n notification
	if err := json.Unmarshal([]byte(payload), &n); err != nil || n.Kind == "" && len(n.Changes) == 0 {
		s.changes.Publish(store.Change{Kind: store.ChangeReset})
		return
	}
	if n.Origin == s.origin {
		return // published when it committed
	}
	if len(n.Changes) == 0 {
		s.changes.Publish(store.Change{Kind: n.Kind, WorkspaceID: n.WorkspaceID, ID: n.ID, CorrelationID: n.CorrelationID})
		return
	}
	changes := make([]store.Change, len(n.Changes))
	for i, c := range n.Changes {
		if len(c) < 3 || len(c) > 4 || c[0] == "" {
			s.changes.Publish(store.Change{Kind: store.ChangeReset})
			return
		}
		changes[i] = store.Change{Kind: store.ChangeKind(c[0]), WorkspaceID: c[1], ID: c[2]}
		if len(c) == 4 {
			changes[i].CorrelationID = c[3]
		}
	}
	s.changes.Publish(changes...)
}
