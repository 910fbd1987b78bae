package audit

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"
)

type fakePruneStore struct {
	mu     sync.Mutex
	before []time.Time
	err    error
	called chan struct{}
}

func (f *fakePruneStore) PruneAudit(_ context.Context, before time.Time) (int64, error) {
	f.mu.Lock()
	f.before = append(f.before, before)
	f.mu.Unlock()
	select {
	case f.called <- struct{}{}:
	default:
	}
	return 3, f.err
}

func TestPruner(t *testing.T) {
	now := time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC)
	f := &fakePruneStore{called: make(chan struct{}, 10)}
	p := &Pruner{Store: f, Retention: DefaultRetention, Now: func() time.Time { return now }, Interval: time.Millisecond}
	if n := p.Prune(context.Background()); n != 3 {
		t.Errorf("Prune: %d", n)
	}
	if want := now.Add(-90 * 24 * time.Hour); len(f.before) != 1 || !f.before[0].Equal(want) {
		t.Errorf("pruned before %v, want %v", f.before, want)
	}

	// Run prunes at once, then every interval, until ctx ends.
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { p.Run(ctx); close(done) }()
	for range 3 {
		select {
		case <-f.called:
		case <-time.After(5 * time.Second):
			t.Fatal("Run did not prune")
		}
	}
	cancel()
	<-done

	// Failures are logged, and the next round tries again.
	f.err = errors.New("boom")
	if n := p.Prune(context.Background()); n != 3 {
		t.Errorf("Prune after a failure: %d", n)
	}
}

func TestPrunerKeepsForever(t *testing.T) {
	f := &fakePruneStore{}
	p := &Pruner{Store: f}
	p.Run(context.Background()) // returns at once
	if n := p.Prune(context.Background()); n != 0 || len(f.before) != 0 {
		t.Errorf("retention 0 pruned: %d, %v", n, f.before)
	}
}
