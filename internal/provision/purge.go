package provision

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/scimd/scimd/internal/store"
)

// PurgeInterval is how often RunPurger looks for soft-deleted users whose
// grace period is over.
const PurgeInterval = time.Minute

// RunPurger purges soft-deleted users whose grace period is over, at once
// and then every interval (PurgeInterval if 0), until ctx ends, and
// writes an audit entry for each. Every replica may run one: the stores
// purge each user once.
func (s *Service) RunPurger(ctx context.Context, interval time.Duration, log *slog.Logger) {
	if interval <= 0 {
		interval = PurgeInterval
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		if _, err := s.PurgeDue(ctx); err != nil && ctx.Err() == nil {
			log.Error("purging soft-deleted users failed", "error", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// PurgeDue purges the soft-deleted users of every workspace whose grace
// period is over, writes an audit entry for each, and returns their ids.
func (s *Service) PurgeDue(ctx context.Context) ([]string, error) {
	var entries []store.AuditEntry
	ids, err := s.store.PurgeUsers(ctx, "", "", s.now(), func(u *store.DeletedUser) store.NewEvent {
		entries = append(entries, store.AuditEntry{
			WorkspaceID: u.Resource.WorkspaceID, Channel: "effect", Action: "user.purge",
			Actor: "scimd:purger", Target: u.Resource.ID,
		})
		return purgedEvent(u)
	})
	if err != nil || len(ids) == 0 {
		return ids, err
	}
	// The closure may also have run for attempts that were rolled back.
	entries = entries[len(entries)-len(ids):]
	if err := s.store.AppendAudit(ctx, entries); err != nil {
		return ids, fmt.Errorf("audit purged users: %w", err)
	}
	return ids, nil
}
