package sqlstore

import (
	"context"
	"fmt"

	"github.com/scimd/scimd/internal/store"
)

// teamGroup reads the group a link is about, in tx, locked as a write to
// the group locks it (see groupChanges): its seq, displayName and
// externalId.
func teamGroup(ctx context.Context, tx Conn, ws, groupID string) (seq int64, name, externalID string, err error) {
	err = tx.QueryRowContext(ctx, `SELECT seq, name, COALESCE(external_id, '') FROM resources WHERE workspace_id = ? AND id = ? AND type = 'Group'`+tx.lock("FOR NO KEY UPDATE"),
		ws, groupID).Scan(&seq, &name, &externalID)
	return seq, name, externalID, rowErr(err, "group %q", groupID)
}

// LinkTeam implements store.TeamStore.
func (s *Store) LinkTeam(ctx context.Context, ws string, l store.TeamLink) (store.TeamLink, error) {
	l.Updated = s.now().UTC().Truncate(timePrecision)
	err := s.txChanges(ctx, func(tx Conn) ([]store.Change, error) {
		seq, name, ext, err := teamGroup(ctx, tx, ws, l.GroupID)
		if err != nil {
			return nil, err
		}
		l.DisplayName, l.ExternalID = name, ext
		if _, err := tx.ExecContext(ctx, `INSERT INTO team_links (group_seq, workspace_id, team, role, updated) VALUES (?, ?, ?, ?, ?)
			ON CONFLICT (group_seq) DO UPDATE SET team = excluded.team, role = excluded.role, updated = excluded.updated`,
			seq, ws, l.Team, l.Role, tx.time(l.Updated)); err != nil {
			return nil, fmt.Errorf("link team: %w", err)
		}
		return groupChanges(ctx, tx, ws, seq, true, nil)
	})
	return l, err
}

// UnlinkTeam implements store.TeamStore.
func (s *Store) UnlinkTeam(ctx context.Context, ws, groupID string) (store.TeamLink, error) {
	l := store.TeamLink{GroupID: groupID}
	err := s.txChanges(ctx, func(tx Conn) ([]store.Change, error) {
		seq, name, ext, err := teamGroup(ctx, tx, ws, groupID)
		if err != nil {
			return nil, err
		}
		l.DisplayName, l.ExternalID = name, ext
		err = tx.QueryRowContext(ctx, `DELETE FROM team_links WHERE group_seq = ? RETURNING team, role, updated`, seq).Scan(&l.Team, &l.Role, scanTime{&l.Updated})
		if err != nil {
			return nil, rowErr(err, "team of group %q", groupID)
		}
		return groupChanges(ctx, tx, ws, seq, true, nil)
	})
	return l, err
}

// TeamLinks implements store.TeamStore.
func (s *Store) TeamLinks(ctx context.Context, ws string) ([]store.TeamLink, error) {
	links, err := collect(ctx, s.Read(), "team links", func(sc scanner) (l store.TeamLink, err error) {
		err = sc.Scan(&l.GroupID, &l.DisplayName, &l.ExternalID, &l.Team, &l.Role, scanTime{&l.Updated})
		return l, err
	}, `SELECT g.id, g.name, COALESCE(g.external_id, ''), t.team, t.role, t.updated
		FROM team_links t JOIN resources g ON g.seq = t.group_seq WHERE t.workspace_id = ?`, ws)
	if err != nil {
		return nil, err
	}
	if links == nil {
		links = []store.TeamLink{}
	}
	store.SortTeamLinks(links)
	return links, nil
}
