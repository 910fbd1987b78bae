package tenant

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/scimd/scimd/internal/store"
)

// ExpiryCheckInterval is how often an ExpiryNotifier looks for tokens
// that come within a threshold of their expiry.
const ExpiryCheckInterval = time.Hour

const day = 24 * time.Hour

// expiryThresholds are the lead times before a token's expiry at which
// its workspace is told, widest first, with the names token.expiring
// events give them (as the scimd_tokens_expiring metric does).
var expiryThresholds = []struct {
	within string
	lead   time.Duration
}{
	{"30d", 30 * day},
	{"7d", 7 * day},
}

// ExpiryStore is what an ExpiryNotifier reads and writes; store.Store is
// one.
type ExpiryStore interface {
	ExpiringTokens(ctx context.Context, at, before time.Time) ([]store.Token, error)
	AnnounceTokenExpiry(ctx context.Context, a store.ExpiryAnnouncement) (bool, error)
}

// ExpiryNotifier appends a token.expiring event to a workspace's outbox
// when one of its active SCIM or app tokens comes within 30 days of its
// expiry, and again within 7 days, so that the application can have it
// rotated before it stops working. It checks once at start and then
// every Interval. Every replica may run one: each announcement is
// recorded on the token in the transaction of its event, only if no one
// recorded it first, so each token is announced once per threshold.
type ExpiryNotifier struct {
	Store ExpiryStore
	// Interval overrides ExpiryCheckInterval.
	Interval time.Duration
	// Log receives what each check announced, and failures. Default:
	// discarded.
	Log *slog.Logger
	// Now is the clock; default time.Now.
	Now func() time.Time
}

// Run checks until ctx ends.
func (n *ExpiryNotifier) Run(ctx context.Context) {
	interval := n.Interval
	if interval <= 0 {
		interval = ExpiryCheckInterval
	}
	log := n.log()
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		if _, err := n.Check(ctx); err != nil && ctx.Err() == nil {
			// The next check tries again.
			log.Error("token expiry: check failed", "error", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// Check announces the tokens that have come within a threshold of their
// expiry since they were last announced, and returns how many it
// announced. A token already within 7 days when first seen gets the 7d
// event only.
func (n *ExpiryNotifier) Check(ctx context.Context) (int, error) {
	now := time.Now()
	if n.Now != nil {
		now = n.Now()
	}
	widest := expiryThresholds[0].lead
	ts, err := n.Store.ExpiringTokens(ctx, now, now.Add(widest))
	if err != nil {
		return 0, fmt.Errorf("token expiry: %w", err)
	}
	log := n.log()
	announced := 0
	for _, t := range ts {
		if t.Kind != store.TokenSCIM && t.Kind != store.TokenApp {
			continue
		}
		left := t.Expires.Sub(now)
		i := len(expiryThresholds) - 1
		for i > 0 && left > expiryThresholds[i].lead {
			i--
		}
		th := expiryThresholds[i]
		if t.ExpiryAnnounced != 0 && t.ExpiryAnnounced <= th.lead {
			continue // this threshold, or a closer one, is announced
		}
		daysLeft := int(left / day)
		ok, err := n.Store.AnnounceTokenExpiry(ctx, store.ExpiryAnnouncement{
			TokenID: t.ID, Expires: t.Expires, Prev: t.ExpiryAnnounced, Lead: th.lead, At: now,
			Event: store.TokenExpiringEvent(t, th.within, daysLeft),
		})
		if err != nil {
			return announced, fmt.Errorf("token expiry: announce %s: %w", t.ID, err)
		}
		if ok {
			announced++
			log.Info("token expiry announced", "workspace_id", t.WorkspaceID, "token", t.ID, "kind", t.Kind, "within", th.within, "days_left", daysLeft)
		}
	}
	return announced, nil
}

func (n *ExpiryNotifier) log() *slog.Logger {
	if n.Log == nil {
		return slog.New(slog.DiscardHandler)
	}
	return n.Log
}
