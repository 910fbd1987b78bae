// Package changefeed hands the changes a store commits, and those other
// stores on the same database commit, to the store's subscribers: the
// part of a store.Notifier that does not depend on the database.
package changefeed

import (
	"context"
	"sync"

	"github.com/scimd/scimd/internal/store"
)

// Broker hands changes to subscribers: the part of a Notifier that does
// not depend on the database. A backend publishes its own changes after
// they commit and those of other stores as its watcher finds them.
type Broker struct {
	watch func(ctx context.Context)

	mu      sync.Mutex
	subs    map[int]func(store.Change)
	next    int
	live    bool // the watcher sees changes made elsewhere
	started bool
	closed  bool
	cancel  context.CancelFunc
	done    chan struct{}

	deliver sync.Mutex // one delivery at a time, in order
}

// NewBroker returns a Broker that, from the first subscription until
// Close, runs watch, which finds the changes other stores make and
// publishes them. watch must call Live once it sees every change from then
// on, and again after each time it may have missed some.
func NewBroker(watch func(ctx context.Context)) *Broker {
	return &Broker{watch: watch, subs: make(map[int]func(store.Change))}
}

// Subscribe implements store.Notifier.
func (b *Broker) Subscribe(fn func(store.Change)) (unsubscribe func()) {
	b.deliver.Lock()
	defer b.deliver.Unlock()
	b.mu.Lock()
	k := b.next
	b.next++
	b.subs[k] = fn
	live := b.live
	if !b.started && !b.closed && b.watch != nil {
		b.started = true
		ctx, cancel := context.WithCancel(context.Background())
		b.cancel, b.done = cancel, make(chan struct{})
		go func() {
			defer close(b.done)
			b.watch(ctx)
		}()
	}
	b.mu.Unlock()
	if live {
		// The others had their reset when the watcher went live.
		fn(store.Change{Kind: store.ChangeReset})
	}
	return func() {
		b.deliver.Lock()
		defer b.deliver.Unlock()
		b.mu.Lock()
		delete(b.subs, k)
		b.mu.Unlock()
	}
}

// Publish delivers changes to every subscriber.
func (b *Broker) Publish(changes ...store.Change) {
	if len(changes) == 0 {
		return
	}
	b.deliver.Lock()
	defer b.deliver.Unlock()
	b.mu.Lock()
	subs := make([]func(store.Change), 0, len(b.subs))
	for _, fn := range b.subs {
		subs = append(subs, fn)
	}
	b.mu.Unlock()
	for _, c := range changes {
		for _, fn := range subs {
			fn(c)
		}
	}
}

// Live records that the watcher sees every change from now on, and tells
// subscribers to drop what they hold, since changes before may have been
// missed.
func (b *Broker) Live() {
	b.mu.Lock()
	b.live = true
	b.mu.Unlock()
	b.Publish(store.Change{Kind: store.ChangeReset})
}

// Lost records that the watcher no longer sees changes made elsewhere; it
// calls Live when it does again.
func (b *Broker) Lost() {
	b.mu.Lock()
	b.live = false
	b.mu.Unlock()
}

// Close stops the watcher and waits for it to return.
func (b *Broker) Close() {
	b.mu.Lock()
	b.closed = true
	cancel, done := b.cancel, b.done
	b.mu.Unlock()
	if cancel != nil {
		cancel()
		<-done
	}
}
