package tenant

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/scimd/scimd/internal/tokenexpiry"
)

// ExpiryCheckInterval is how often an ExpiryNotifier looks for tokens
// that come within a threshold of their expiry.
const ExpiryCheckInterval = time.Hour

// ExpiryNotifier appends a token.expiring event to a workspace's outbox
// when one of its active SCIM or app tokens comes within 30 days of its
// expiry, and again within 7 days, so that the application can have it
// rotated before it stops working. It checks once at start and then
// every Interval. Every replica may run one: each announcement is
// recorded on the token in the transaction of its event, only if no one
// recorded it first, so each token is announced once per threshold.
type ExpiryNotifier struct {
	Store tokenexpiry.Store
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
// expiry since they were last announced (see tokenexpiry.Announce), and
// returns how many it announced.
func (n *ExpiryNotifier) Check(ctx context.Context) (int, error) {
	now := time.Now()
	if n.Now != nil {
		now = n.Now()
	}
	done, err := tokenexpiry.Announce(ctx, n.Store, now)
	log := n.log()
	for _, a := range done {
		log.Info("token expiry announced", "workspace_id", a.Token.WorkspaceID, "token", a.TokenID, "kind", a.Token.Kind, "within", a.Within, "days_left", a.DaysLeft)
	}
	if err != nil {
		return len(done), fmt.Errorf("token expiry: %w", err)
	}
	return len(done), nil
}

func (n *ExpiryNotifier) log() *slog.Logger {
	if n.Log == nil {
		return slog.New(slog.DiscardHandler)
	}
	return n.Log
}
