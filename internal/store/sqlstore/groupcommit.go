package sqlstore

import (
	"context"
	"errors"
	"fmt"
	"sync"
)

// maxGroup bounds how many write transactions' functions share one
// transaction, so that the first of them does not wait for the commit
// behind an unbounded queue.
const maxGroup = 64

// errClosed is the error of a write transaction asked of a closed store.
var errClosed = errors.New("store closed")

// groupWriter runs the write transactions of a database with one writer,
// several at a time: the functions waiting when the writer is free run,
// in order, in one database transaction, each in a savepoint of its own,
// and share its commit. A function that fails is rolled back to its
// savepoint and fails alone. Each caller is answered once the commit is
// durable, as it would be with a transaction of its own.
//
// On SQLite a commit is most of a small write's cost: the WAL frames of
// every page the transaction touched, their checksums and the page
// cache's bookkeeping. Writes of one kind touch the same pages (the
// tables' and indexes' last leaves), so a commit for several costs
// little more than a commit for one.
type groupWriter struct {
	reqs chan *writeReq
	// mu is held shared by senders and exclusively by close, so that no
	// request is sent once the queue is closed.
	mu     sync.RWMutex
	closed bool
	done   chan struct{}
}

// writeReq is a write transaction's function waiting for the writer.
type writeReq struct {
	ctx  context.Context
	fn   func(Conn) error
	done chan writeResult
}

// writeResult is what became of a writeReq: its error, or the value it
// panicked with, which the caller panics with again, on its own goroutine.
type writeResult struct {
	err      error
	panicked bool
	value    any
}

func newGroupWriter(s *Store) *groupWriter {
	g := &groupWriter{reqs: make(chan *writeReq, maxGroup), done: make(chan struct{})}
	go g.run(s)
	return g
}

// tx runs fn in a write transaction shared with others.
func (g *groupWriter) tx(ctx context.Context, fn func(Conn) error) error {
	r := &writeReq{ctx: ctx, fn: fn, done: make(chan writeResult, 1)}
	g.mu.RLock()
	if g.closed {
		g.mu.RUnlock()
		return errClosed
	}
	g.reqs <- r
	g.mu.RUnlock()
	// Once queued, the function runs or is skipped for its context: the
	// answer always comes, and only then is the function done with.
	res := <-r.done
	if res.panicked {
		panic(res.value)
	}
	return res.err
}

// close answers what is queued and stops the writer.
func (g *groupWriter) close() {
	g.mu.Lock()
	if !g.closed {
		g.closed = true
		close(g.reqs)
	}
	g.mu.Unlock()
	<-g.done
}

func (g *groupWriter) run(s *Store) {
	defer close(g.done)
	batch := make([]*writeReq, 0, maxGroup)
	for r := range g.reqs {
		batch = append(batch[:0], r)
	more:
		for len(batch) < maxGroup {
			select {
			case r, ok := <-g.reqs:
				if !ok {
					break more
				}
				batch = append(batch, r)
			default:
				break more
			}
		}
		s.runGroup(batch)
		clear(batch)
	}
}

// runGroup runs the functions of batch in one transaction and answers
// each.
func (s *Store) runGroup(batch []*writeReq) {
	results := make([]writeResult, len(batch))
	defer func() {
		for i, r := range batch {
			r.done <- results[i]
		}
	}()
	// Those whose callers have given up are not begun.
	live := make([]int, 0, len(batch))
	for i, r := range batch {
		if err := r.ctx.Err(); err != nil {
			results[i].err = err
			continue
		}
		live = append(live, i)
	}
	if len(live) == 0 {
		return
	}
	failAll := func(err error) {
		for _, i := range live {
			if results[i].err == nil && !results[i].panicked {
				results[i].err = err
			}
		}
	}
	// The transaction's own context: no caller's cancellation may end
	// the transaction of all (see Conn.detached); a rollback that does
	// not answer cancels it.
	tctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	tx, err := s.w.BeginTx(tctx, nil)
	if err != nil {
		failAll(fmt.Errorf("begin: %w", err))
		return
	}
	c := Conn{s: s, db: s.w, cache: s.wc, tx: tx, detached: true}
	if len(live) == 1 {
		// Alone: the transaction is the function's, as without grouping.
		i := live[0]
		results[i] = call(batch[i], c)
		if results[i].err != nil || results[i].panicked {
			rollback(tx, cancel)
			return
		}
		if err := tx.Commit(); err != nil {
			results[i].err = fmt.Errorf("commit: %w", err)
		}
		return
	}
	for _, i := range live {
		if _, err := c.ExecContext(tctx, `SAVEPOINT grouped`); err != nil {
			rollback(tx, cancel)
			failAll(fmt.Errorf("savepoint: %w", err))
			return
		}
		results[i] = call(batch[i], c)
		if results[i].err != nil || results[i].panicked {
			if _, err := c.ExecContext(tctx, `ROLLBACK TO grouped`); err != nil {
				// The database ended the transaction itself (as SQLite
				// does on some errors): what the others did is gone
				// with it.
				rollback(tx, cancel)
				failAll(fmt.Errorf("write failed and ended the transaction of %d writes: %w", len(live), err))
				return
			}
		}
		if _, err := c.ExecContext(tctx, `RELEASE grouped`); err != nil {
			rollback(tx, cancel)
			failAll(fmt.Errorf("release savepoint: %w", err))
			return
		}
	}
	if err := tx.Commit(); err != nil {
		failAll(fmt.Errorf("commit: %w", err))
	}
}

// call runs the function of r, turning a panic into a result.
func call(r *writeReq, c Conn) (res writeResult) {
	defer func() {
		if v := recover(); v != nil {
			res = writeResult{panicked: true, value: v}
		}
	}()
	return writeResult{err: r.fn(c)}
}
