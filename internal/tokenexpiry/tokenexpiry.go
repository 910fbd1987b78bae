// Package tokenexpiry announces to workspaces that their tokens come
// near their expiry, so that applications have them rotated in time.
package tokenexpiry

import (
	"context"
	"fmt"
	"time"

	"github.com/scimd/scimd/internal/store"
)

// expiryThresholds are the lead times before a token's expiry at which
// its workspace is told, widest first, with the names token.expiring
// events give them (as the scimd_tokens_expiring metric does).
var expiryThresholds = []struct {
	within string
	lead   time.Duration
}{
	{"30d", 30 * 24 * time.Hour},
	{"7d", 7 * 24 * time.Hour},
}

// Store is what Announce reads and writes; store.Store is one.
type Store interface {
	ExpiringTokens(ctx context.Context, at, before time.Time) ([]store.Token, error)
	AnnounceTokenExpiry(ctx context.Context, a store.ExpiryAnnouncement) (bool, error)
}

// Announce announces, with a token.expiring event, each active
// SCIM or app token of st that has come within 30 days of its expiry, or
// 7, since it was last announced, and returns the announcements it made.
// A token already within 7 days when first seen gets the 7d event only.
// Each announcement is recorded on the token in the transaction of its
// event, only if no one recorded it first, so that checkers running at
// once announce each token once per threshold.
func Announce(ctx context.Context, st Store, now time.Time) ([]store.ExpiryAnnouncement, error) {
	const day = 24 * time.Hour
	ts, err := st.ExpiringTokens(ctx, now, now.Add(expiryThresholds[0].lead))
	if err != nil {
		return nil, err
	}
	var done []store.ExpiryAnnouncement
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
		a := store.ExpiryAnnouncement{
			TokenID: t.ID, Expires: t.Expires, Prev: t.ExpiryAnnounced, Lead: th.lead, At: now,
			Event: store.TokenExpiringEvent(t, th.within, int(left/day)),
			Token: t, Within: th.within, DaysLeft: int(left / day),
		}
		ok, err := st.AnnounceTokenExpiry(ctx, a)
		if err != nil {
			return done, fmt.Errorf("announce %s: %w", t.ID, err)
		}
		if ok {
			done = append(done, a)
		}
	}
	return done, nil
}
