package sqlstore

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/scimd/scimd/internal/schema"
	"github.com/scimd/scimd/internal/store"
)

// credentialCols are the columns scanCredential reads, in its order, but
// for the hash, which only CredentialByHash returns.
const credentialCols = `id, workspace_id, user_id, kind, name, created, expires, revoked, coalesce(revoked_reason, '')`

func scanCredential(sc scanner) (store.Credential, error) { return scanCredentialWith(sc) }

// scanCredentialWith scans extra columns after those of scanCredential.
func scanCredentialWith(sc scanner, extra ...any) (store.Credential, error) {
	var (
		c store.Credential
	)
	dest := append([]any{&c.ID, &c.WorkspaceID, &c.UserID, &c.Kind, &c.Name, scanTime{&c.Created},
		scanOptTime{&c.Expires}, scanOptTime{&c.Revoked}, &c.RevokedReason}, extra...)
	err := sc.Scan(dest...)
	return c, err
}

// CreateCredential stores a credential of a user of the workspace, with
// its creation event.
func (s *Store) CreateCredential(ctx context.Context, c store.Credential) error {
	if err := store.CheckCredentialKind(c.Kind); err != nil {
		return err
	}
	ev, err := store.CreationEvent(c)
	if err != nil {
		return err
	}
	now := s.now()
	return s.txChanges(ctx, func(tx Conn) ([]store.Change, error) {
		active, err := userActive(ctx, tx, c.WorkspaceID, c.UserID)
		if err != nil {
			return nil, err
		}
		if !active {
			return nil, fmt.Errorf("user %q: %w", c.UserID, store.ErrUserInactive)
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO credentials (id, workspace_id, user_id, kind, name, hash, created, expires, revoked, revoked_reason)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			c.ID, c.WorkspaceID, c.UserID, c.Kind, c.Name, c.Hash, tx.time(c.Created), tx.optTime(c.Expires), tx.optTime(c.Revoked), nullString(c.RevokedReason))
		if s.d.IsUniqueViolation(err) {
			return nil, fmt.Errorf("credential: %w", store.ErrAlreadyExists)
		}
		if err != nil {
			return nil, fmt.Errorf("create credential: %w", err)
		}
		// A new credential is in no cache: the event is the only news.
		return applyEffects(ctx, tx, c.WorkspaceID, now, store.Effects{Events: []store.NewEvent{ev}})
	})
}

// userActive reads whether the user or invited user of a credential about
// to be created is active, and keeps its row share-locked until the
// commit (where the one writer does not exclude every other already), so
// that a transaction that deletes, deactivates, soft-deletes or links the
// user either runs first, and this finds no user or finds it deactivated,
// or after, and finds the credential to revoke or keep. Invited users are
// active.
func userActive(ctx context.Context, tx Conn, ws, userID string) (bool, error) {
	for attempt := 1; ; attempt++ {
		var active sql.NullBool
		err := tx.QueryRowContext(ctx, `SELECT active FROM resources WHERE workspace_id = ? AND type = ? AND id = ?`+tx.lock("FOR SHARE"),
			ws, schema.UserType.ID, userID).Scan(&active)
		if err == nil {
			return !active.Valid || active.Bool, nil
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return false, fmt.Errorf("create credential: %w", err)
		}
		var one int
		err = tx.QueryRowContext(ctx, `SELECT 1 FROM local_users WHERE workspace_id = ? AND id = ?`+tx.lock("FOR SHARE"), ws, userID).Scan(&one)
		switch {
		case err == nil:
			return true, nil
		case !errors.Is(err, sql.ErrNoRows):
			return false, fmt.Errorf("create credential: %w", err)
		case tx.s.d.OneWriter() || attempt == 3:
			return false, fmt.Errorf("user %q: %w", userID, store.ErrNotFound)
		}
		// Under READ COMMITTED a link may have moved the invited user
		// into resources between the two reads, which then saw it in
		// neither table. Again.
	}
}

// CredentialByHash returns the credential with hash h in the workspace.
func (s *Store) CredentialByHash(ctx context.Context, ws string, h []byte) (store.Credential, error) {
	var hash []byte
	c, err := scanCredentialWith(s.Read().QueryRowContext(ctx, `SELECT `+credentialCols+`, hash FROM credentials WHERE workspace_id = ? AND hash = ?`, ws, h), &hash)
	c.Hash = hash
	return c, rowErr(err, "credential")
}

// Credentials lists a user's credentials without their hashes.
func (s *Store) Credentials(ctx context.Context, ws, userID string) ([]store.Credential, error) {
	return collect(ctx, s.Read(), "list credentials", scanCredential, `SELECT `+credentialCols+` FROM credentials WHERE workspace_id = ? AND user_id = ? ORDER BY created, id`, ws, userID)
}

// RevokeCredential revokes one credential unless it already is, keeping
// the time and reason of an earlier revocation.
func (s *Store) RevokeCredential(ctx context.Context, ws, id, reason string) error {
	now := s.now()
	return s.txChanges(ctx, func(tx Conn) ([]store.Change, error) {
		revoked, err := revokeWhere(ctx, tx, now, reason, `workspace_id = ? AND id = ?`, ws, id)
		if err != nil {
			return nil, err
		}
		if len(revoked) == 0 {
			var n int
			if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM credentials WHERE workspace_id = ? AND id = ?`, ws, id).Scan(&n); err != nil {
				return nil, fmt.Errorf("revoke credential: %w", err)
			}
			if n == 0 {
				return nil, fmt.Errorf("credential %s: %w", id, store.ErrNotFound)
			}
			return nil, nil
		}
		changes, events, err := store.RevocationEffects(ws, revoked, reason)
		if err != nil {
			return nil, err
		}
		if _, err := appendEvents(ctx, tx, ws, now, events); err != nil {
			return nil, err
		}
		return append(changes, store.Change{Kind: store.ChangeEvents, WorkspaceID: ws}), nil
	})
}

// revokeUserCredentials revokes the credentials of a user that are not
// revoked yet: sessions always, API keys with rv.APIKeys. It returns a
// ChangeCredential for each, and a ChangeUser if there was any, and their
// revocation events for the caller to append with the transaction's
// others.
func revokeUserCredentials(ctx context.Context, tx Conn, ws string, rv store.Revocation, now time.Time) ([]store.Change, []store.NewEvent, error) {
	revoked, err := revokeWhere(ctx, tx, now, rv.Reason, `workspace_id = ? AND user_id = ? AND (kind = ? OR ?)`,
		ws, rv.UserID, store.CredentialSession, rv.APIKeys)
	if err != nil {
		return nil, nil, err
	}
	return store.RevocationEffects(ws, revoked, rv.Reason)
}

// deleteUserCredentials deletes a user's credentials, for a user that is
// deleted for good.
func deleteUserCredentials(ctx context.Context, tx Conn, ws, userID string) error {
	if _, err := tx.ExecContext(ctx, `DELETE FROM credentials WHERE workspace_id = ? AND user_id = ?`, ws, userID); err != nil {
		return fmt.Errorf("delete credentials: %w", err)
	}
	return nil
}

// revokeWhere revokes the credentials that cond selects among those not
// revoked yet, and returns them in creation order, without their hashes.
func revokeWhere(ctx context.Context, tx Conn, now time.Time, reason, cond string, args ...any) ([]store.Credential, error) {
	cs, err := collect(ctx, tx, "revoke credentials", scanCredential, `UPDATE credentials SET revoked = ?, revoked_reason = ? WHERE revoked IS NULL AND `+cond+`
		RETURNING `+credentialCols, append([]any{tx.time(now), reason}, args...)...)
	if err != nil {
		return nil, err
	}
	// RETURNING gives rows in no particular order.
	slices.SortFunc(cs, func(a, b store.Credential) int {
		return cmp.Or(a.Created.Compare(b.Created), cmp.Compare(a.ID, b.ID))
	})
	return cs, nil
}
