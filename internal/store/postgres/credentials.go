package postgres

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/scimd/scimd/internal/schema"
	"github.com/scimd/scimd/internal/store"
)

// credentialCols are the columns scanCredential reads, in its order, but
// for the hash, which only CredentialByHash returns.
const credentialCols = `id, workspace_id, user_id, kind, name, created, expires, revoked, coalesce(revoked_reason, '')`

func scanCredential(row pgx.Row, extra ...any) (store.Credential, error) {
	var (
		c                store.Credential
		expires, revoked *time.Time
	)
	dest := append([]any{&c.ID, &c.WorkspaceID, &c.UserID, &c.Kind, &c.Name, &c.Created, &expires, &revoked, &c.RevokedReason}, extra...)
	if err := row.Scan(dest...); err != nil {
		return c, err
	}
	c.Created = c.Created.UTC()
	if expires != nil {
		c.Expires = expires.UTC()
	}
	if revoked != nil {
		c.Revoked = revoked.UTC()
	}
	return c, nil
}

// createCredential inserts a credential if its user or local user exists
// and is active. The user's row is share-locked until the commit, so that
// a transaction that deletes, deactivates, soft-deletes or links the user
// either runs first, and the insert finds no user or finds it
// deactivated, or after, and finds the credential to revoke or keep.
const createCredential = `WITH scim AS (
		SELECT active FROM resources WHERE workspace_id = $2 AND type = $11 AND id = $3 FOR SHARE
	), invited AS (
		SELECT true AS active FROM local_users WHERE workspace_id = $2 AND id = $3 FOR SHARE
	), u AS (
		SELECT active FROM scim UNION ALL SELECT active FROM invited LIMIT 1
	)
	INSERT INTO credentials (id, workspace_id, user_id, kind, name, hash, created, expires, revoked, revoked_reason)
	SELECT $1, $2, $3, $4, $5, $6::bytea, $7::timestamptz, $8::timestamptz, $9::timestamptz, $10 FROM u WHERE active IS NOT FALSE`

// userActive reads whether a user or local user is active: found is false
// if the workspace has neither.
const userActive = `SELECT active IS NOT FALSE FROM resources WHERE workspace_id = $1 AND type = $2 AND id = $3
	UNION ALL SELECT true FROM local_users WHERE workspace_id = $1 AND id = $3 LIMIT 1`

// CreateCredential stores a credential of a user of the workspace, with
// its creation event.
func (s *Store) CreateCredential(ctx context.Context, c store.Credential) (err error) {
	defer classify(&err)
	if err := store.CheckCredentialKind(c.Kind); err != nil {
		return err
	}
	ev, err := store.CreationEvent(c)
	if err != nil {
		return err
	}
	now := s.now()
	return s.txChanges(ctx, func(tx pgx.Tx) ([]store.Change, error) {
		for attempt := 1; ; attempt++ {
			tag, err := tx.Exec(ctx, createCredential, c.ID, c.WorkspaceID, c.UserID, c.Kind, c.Name, c.Hash,
				c.Created, optTime(c.Expires), optTime(c.Revoked), nullString(c.RevokedReason), schema.UserType.ID)
			if errCode(err) == codeUniqueViolation {
				return nil, fmt.Errorf("credential: %w", store.ErrAlreadyExists)
			}
			if err != nil {
				return nil, fmt.Errorf("create credential: %w", err)
			}
			if tag.RowsAffected() > 0 {
				break
			}
			var active bool
			err = tx.QueryRow(ctx, userActive, c.WorkspaceID, schema.UserType.ID, c.UserID).Scan(&active)
			switch {
			case errors.Is(err, pgx.ErrNoRows):
				return nil, fmt.Errorf("user %q: %w", c.UserID, store.ErrNotFound)
			case err != nil:
				return nil, fmt.Errorf("create credential: %w", err)
			case !active:
				return nil, fmt.Errorf("user %q: %w", c.UserID, store.ErrUserInactive)
			case attempt == 3:
				return nil, fmt.Errorf("create credential: user %q keeps changing", c.UserID)
			}
			// Active now: the insert ran while a link moved the local
			// user into resources, and saw it in neither table. Again.
		}
		// A new credential is in no cache: the event is the only news.
		return applyEffects(ctx, tx, c.WorkspaceID, now, store.Effects{Events: []store.NewEvent{ev}})
	})
}

// CredentialByHash returns the credential with hash h in the workspace.
func (s *Store) CredentialByHash(ctx context.Context, ws string, h []byte) (_ store.Credential, err error) {
	defer classify(&err)
	var hash []byte
	c, err := scanCredential(s.pool.QueryRow(ctx, `SELECT `+credentialCols+`, hash FROM credentials WHERE workspace_id = $1 AND hash = $2`, ws, h), &hash)
	if errors.Is(err, pgx.ErrNoRows) {
		return c, fmt.Errorf("credential: %w", store.ErrNotFound)
	}
	if err != nil {
		return c, fmt.Errorf("get credential: %w", err)
	}
	c.Hash = hash
	return c, nil
}

// Credentials lists a user's credentials without their hashes.
func (s *Store) Credentials(ctx context.Context, ws, userID string) (_ []store.Credential, err error) {
	defer classify(&err)
	rows, err := s.pool.Query(ctx, `SELECT `+credentialCols+` FROM credentials WHERE workspace_id = $1 AND user_id = $2 ORDER BY created, id`, ws, userID)
	if err != nil {
		return nil, fmt.Errorf("list credentials: %w", err)
	}
	cs, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (store.Credential, error) { return scanCredential(row) })
	if err != nil {
		return nil, fmt.Errorf("list credentials: %w", err)
	}
	return cs, nil
}

// RevokeCredential revokes one credential unless it already is, keeping
// the time and reason of an earlier revocation.
func (s *Store) RevokeCredential(ctx context.Context, ws, id, reason string) (err error) {
	defer classify(&err)
	now := s.now()
	return s.txChanges(ctx, func(tx pgx.Tx) ([]store.Change, error) {
		// A concurrent revocation waits for this one's row lock, then
		// finds the credential revoked: one event, whoever wins.
		revoked, err := revokeWhere(ctx, tx, now, reason, `workspace_id = $3 AND id = $4`, ws, id)
		if err != nil {
			return nil, err
		}
		if len(revoked) == 0 {
			var exists bool
			if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM credentials WHERE workspace_id = $1 AND id = $2)`, ws, id).Scan(&exists); err != nil {
				return nil, fmt.Errorf("revoke credential: %w", err)
			}
			if !exists {
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
func revokeUserCredentials(ctx context.Context, tx pgx.Tx, ws string, rv store.Revocation, now time.Time) ([]store.Change, []store.NewEvent, error) {
	revoked, err := revokeWhere(ctx, tx, now, rv.Reason, `workspace_id = $3 AND user_id = $4 AND (kind = $5 OR $6)`,
		ws, rv.UserID, store.CredentialSession, rv.APIKeys)
	if err != nil {
		return nil, nil, err
	}
	return store.RevocationEffects(ws, revoked, rv.Reason)
}

// deleteUserCredentials deletes a user's credentials, for a user that is
// deleted for good.
func deleteUserCredentials(ctx context.Context, tx pgx.Tx, ws, userID string) error {
	if _, err := tx.Exec(ctx, `DELETE FROM credentials WHERE workspace_id = $1 AND user_id = $2`, ws, userID); err != nil {
		return fmt.Errorf("delete credentials: %w", err)
	}
	return nil
}

// revokeWhere revokes the credentials that cond, whose parameters start
// at $3, selects among those not revoked yet, and returns them in creation
// order, without their hashes.
func revokeWhere(ctx context.Context, tx pgx.Tx, now time.Time, reason, cond string, args ...any) ([]store.Credential, error) {
	rows, err := tx.Query(ctx, `UPDATE credentials SET revoked = $1, revoked_reason = $2 WHERE revoked IS NULL AND `+cond+`
		RETURNING `+credentialCols, append([]any{now, reason}, args...)...)
	if err != nil {
		return nil, fmt.Errorf("revoke credentials: %w", err)
	}
	cs, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (store.Credential, error) { return scanCredential(row) })
	if err != nil {
		return nil, fmt.Errorf("revoke credentials: %w", err)
	}
	// RETURNING gives rows in no particular order.
	slices.SortFunc(cs, func(a, b store.Credential) int {
		return cmp.Or(a.Created.Compare(b.Created), cmp.Compare(a.ID, b.ID))
	})
	return cs, nil
}
