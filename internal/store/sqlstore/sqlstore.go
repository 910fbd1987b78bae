// Package sqlstore is scimd's store written once in SQL, over
// database/sql, for every database it runs on: SQLite and PostgreSQL.
// What differs between them is a Dialect (placeholders, locking clauses,
// lists as arguments, error codes, time encoding); where an algorithm
// truly differs (walking nested groups, claiming deliveries, numbering
// events) the Dialect says which to take, and both are here, side by
// side.
//
// The backend packages open the database, supply the Dialect, run the
// migrations and watch for the changes of other processes; they build a
// Store with New.
package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/scimd/scimd/internal/changefeed"
	"github.com/scimd/scimd/internal/store"
)

// Config is what a backend gives New.
type Config struct {
	// Writer runs write transactions and Reader everything else; they
	// may be one pool.
	Writer, Reader *sql.DB
	Dialect        Dialect
	// OneWriter runs write transactions one at a time, for a database
	// that allows one writer: they queue here rather than in the
	// database's busy handler, and those that wait together share a
	// transaction and its commit (see groupWriter).
	OneWriter bool
	// Prepare keeps statements prepared, by their SQL, for a driver that
	// would otherwise prepare every statement anew.
	Prepare bool
	// Now is the clock that stamps what is stored.
	Now func() time.Time
	// Changes publishes the changes of committed transactions in this
	// process; the backend's watcher publishes those of others.
	Changes *changefeed.Broker
	// Record, if not nil, runs in each transaction that changed
	// something, to tell other processes (a changes table, a NOTIFY).
	Record func(ctx context.Context, tx Conn, changes []store.Change) error
}

// Store is a store.Store over database/sql.
type Store struct {
	w, r      *sql.DB
	d         Dialect
	wc, rc    *stmtCache
	group     *groupWriter // nil: a transaction per caller
	clock     func() time.Time
	changes   *changefeed.Broker
	record    func(ctx context.Context, tx Conn, changes []store.Change) error
	rebind    sync.Map // SQL with ? placeholders → the dialect's
	filter    sqlFilterDialect
	positions pagePositions

	// Statements made with the dialect.
	userWithGroups, linkByEmail string
}

// New returns a Store on the databases of c.
func New(c Config) *Store {
	s := &Store{w: c.Writer, r: c.Reader, d: c.Dialect, clock: c.Now,
		changes: c.Changes, record: c.Record, filter: sqlFilterDialect{c.Dialect},
		userWithGroups: userWithGroups(c.Dialect), linkByEmail: linkByEmail(c.Dialect)}
	if s.clock == nil {
		s.clock = time.Now
	}
	if c.Prepare {
		s.wc, s.rc = newStmtCache(c.Writer), newStmtCache(c.Reader)
	}
	if c.OneWriter {
		s.group = newGroupWriter(s)
	}
	return s
}

// Close closes the statements kept prepared and ends the subscriptions;
// the backend closes the databases.
func (s *Store) Close() error {
	if s.group != nil {
		s.group.close()
	}
	s.changes.Close()
	if s.rc != nil {
		s.rc.close()
		s.wc.close()
	}
	return nil
}

// Ping checks that the database answers.
func (s *Store) Ping(ctx context.Context) error {
	if err := s.r.PingContext(ctx); err != nil {
		return s.classify(fmt.Errorf("ping: %w", err))
	}
	return nil
}

// Subscribe implements store.Notifier.
func (s *Store) Subscribe(fn func(store.Change)) (unsubscribe func()) {
	return s.changes.Subscribe(fn)
}

// timePrecision is the precision of stored times: microseconds, both of
// SQLite's fixed-width text and of PostgreSQL's timestamptz.
const timePrecision = time.Microsecond

// now returns the time to stamp, as it will read back.
func (s *Store) now() time.Time { return s.clock().UTC().Truncate(timePrecision) }

// Read returns a Conn for statements outside transactions.
func (s *Store) Read() Conn { return Conn{s: s, db: s.r, cache: s.rc} }

// MaxAttempts bounds how often a write transaction runs when the
// database aborts it for a deadlock or a serialization failure.
const MaxAttempts = 5

// Tx runs fn in a write transaction, again (fn included) if the database
// aborts it for a deadlock or a serialization failure, which another
// attempt may not meet. Its error is classified (see Dialect.Unavailable).
func (s *Store) Tx(ctx context.Context, fn func(Conn) error) error {
	for attempt := 1; ; attempt++ {
		err := s.tx1(ctx, fn)
		if err == nil || attempt == MaxAttempts || !s.d.Retryable(err) {
			return s.classify(err)
		}
		// Jittered backoff, so that the transactions that collided do
		// not collide again.
		wait := time.Duration(attempt) * time.Duration(1+rand.IntN(10)) * time.Millisecond
		select {
		case <-time.After(wait):
		case <-ctx.Done():
			return s.classify(err)
		}
	}
}

// RollbackTimeout bounds the rollback of a failed transaction. The
// rollback runs even when the caller's context is done, so that the
// connection stays usable, but without a bound a database that stopped
// answering would hold the caller, and Close, which waits for the
// connection, until TCP gives up. When it times out the transaction's
// context is cancelled, which closes the connection, and the database
// rolls the transaction back itself.
const RollbackTimeout = time.Second

func (s *Store) tx1(ctx context.Context, fn func(Conn) error) error {
	if s.group != nil {
		return s.group.tx(ctx, fn)
	}
	// The transaction's own context, which a rollback that does not
	// answer cancels.
	tctx, cancel := context.WithCancel(ctx)
	defer cancel()
	tx, err := s.w.BeginTx(tctx, nil)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	if err := fn(Conn{s: s, db: s.w, cache: s.wc, tx: tx}); err != nil {
		rollback(tx, cancel)
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}

// rollback rolls tx back, waiting RollbackTimeout at the most; then it
// cancels the transaction's context.
func rollback(tx *sql.Tx, cancel func()) {
	done := make(chan struct{})
	go func() {
		tx.Rollback()
		close(done)
	}()
	t := time.NewTimer(RollbackTimeout)
	defer t.Stop()
	select {
	case <-done:
	case <-t.C:
		cancel()
	}
}

// txChanges runs fn in a write transaction that also records the changes
// fn returns, and publishes them in this process once committed.
func (s *Store) txChanges(ctx context.Context, fn func(Conn) ([]store.Change, error)) error {
	var changes []store.Change
	err := s.Tx(ctx, func(tx Conn) error {
		var err error
		if changes, err = fn(tx); err != nil || len(changes) == 0 {
			return err
		}
		store.Correlate(ctx, changes)
		if s.record == nil {
			return nil
		}
		return s.record(ctx, tx, changes)
	})
	if err != nil {
		return err
	}
	s.changes.Publish(changes...)
	return nil
}

// classify classifies err for the store's dialect (see Classify), so
// that every error leaving the package is classified in one place.
func (s *Store) classify(err error) error { return Classify(s.d, err) }

// Classify wraps err with store.ErrUnavailable, once, when d says it is a
// failure to reach the database rather than of what was asked.
func Classify(d Dialect, err error) error {
	if err != nil && d.Unavailable(err) && !errors.Is(err, store.ErrUnavailable) {
		return fmt.Errorf("%w: %w", store.ErrUnavailable, err)
	}
	return err
}
