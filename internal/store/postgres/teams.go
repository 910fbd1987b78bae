package postgres

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/scimd/scimd/internal/store"
)

// teamGroup reads and locks the group a link is about, as a write to the
// group does (see groupChanges): its seq, displayName and externalId.
func teamGroup(ctx context.Context, tx pgx.Tx, ws, groupID string) (seq int64, name, externalID string, err error) {
	err = tx.QueryRow(ctx, `SELECT seq, name, COALESCE(external_id, '') FROM resources WHERE workspace_id = $1 AND id = $2 AND type = 'Group' FOR NO KEY UPDATE`,
		ws, groupID).Scan(&seq, &name, &externalID)
	if errors.Is(err, pgx.ErrNoRows) {
		return 0, "", "", fmt.Errorf("group %q: %w", groupID, store.ErrNotFound)
	}
	if err != nil {
		return 0, "", "", fmt.Errorf("group %q: %w", groupID, err)
	}
	return seq, name, externalID, nil
}

// LinkTeam implements store.TeamStore.
func (s *Store) LinkTeam(ctx context.Context, ws string, l store.TeamLink) (_ store.TeamLink, err error) {
	defer classify(&err)
	l.Updated = s.now().UTC().Truncate(timePrecision)
	err = s.txChanges(ctx, func(tx pgx.Tx) ([]store.Change, error) {
		seq, name, ext, err := teamGroup(ctx, tx, ws, l.GroupID)
		if err != nil {
			return nil, err
		}
		l.DisplayName, l.ExternalID = name, ext
		if _, err := tx.Exec(ctx, `INSERT INTO team_links (group_seq, workspace_id, team, role, updated) VALUES ($1, $2, $3, $4, $5)
			ON CONFLICT (group_seq) DO UPDATE SET team = excluded.team, role = excluded.role, updated = excluded.updated`,
			seq, ws, l.Team, l.Role, l.Updated); err != nil {
			return nil, fmt.Errorf("link team: %w", err)
		}
		return groupChanges(ctx, tx, ws, seq, true, nil)
	})
	return l, err
}

// UnlinkTeam implements store.TeamStore.
func (s *Store) UnlinkTeam(ctx context.Context, ws, groupID string) (_ store.TeamLink, err error) {
	defer classify(&err)
	l := store.TeamLink{GroupID: groupID}
	err = s.txChanges(ctx, func(tx pgx.Tx) ([]store.Change, error) {
		seq, name, ext, err := teamGroup(ctx, tx, ws, groupID)
		if err != nil {
			return nil, err
		}
		l.DisplayName, l.ExternalID = name, ext
		err = tx.QueryRow(ctx, `DELETE FROM team_links WHERE group_seq = $1 RETURNING team, role, updated`, seq).Scan(&l.Team, &l.Role, &l.Updated)
		if errors.Is(err, pgx.ErrNoRows) {
			return nil, fmt.Errorf("team of group %q: %w", groupID, store.ErrNotFound)
		}
		if err != nil {
			return nil, fmt.Errorf("unlink team: %w", err)
		}
		l.Updated = l.Updated.UTC()
		return groupChanges(ctx, tx, ws, seq, true, nil)
	})
	return l, err
}

// TeamLinks implements store.TeamStore.
func (s *Store) TeamLinks(ctx context.Context, ws string) (_ []store.TeamLink, err error) {
	defer classify(&err)
	rows, err := s.pool.Query(ctx, `SELECT g.id, g.name, COALESCE(g.external_id, ''), t.team, t.role, t.updated
		FROM team_links t JOIN resources g ON g.seq = t.group_seq WHERE t.workspace_id = $1`, ws)
	if err != nil {
		return nil, fmt.Errorf("team links: %w", err)
	}
	links := []store.TeamLink{}
	var l store.TeamLink
	if _, err := pgx.ForEachRow(rows, []any{&l.GroupID, &l.DisplayName, &l.ExternalID, &l.Team, &l.Role, &l.Updated}, func() error {
		l.Updated = l.Updated.UTC()
		links = append(links, l)
		return nil
	}); err != nil {
		return nil, fmt.Errorf("team links: %w", err)
	}
	store.SortTeamLinks(links)
	return links, nil
}
