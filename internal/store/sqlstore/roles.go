package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/scimd/scimd/internal/store"
	"github.com/scimd/scimd/internal/store/sqlquery"
)

func readUserRoles(ctx context.Context, q Conn, ws, userID string) (store.UserRoles, bool, error) {
	var (
		r                    store.UserRoles
		roles, groups, teams []byte
	)
	err := q.QueryRowContext(ctx, `SELECT roles, groups, teams FROM user_roles WHERE workspace_id = ? AND user_id = ?`, ws, userID).Scan(&roles, &groups, &teams)
	if errors.Is(err, sql.ErrNoRows) {
		return r, false, nil
	}
	if err != nil {
		return r, false, fmt.Errorf("user roles: %w", err)
	}
	if err := decodeUserRoles(&r, roles, groups, teams); err != nil {
		return r, false, fmt.Errorf("user roles: %w", err)
	}
	return r, true, nil
}

// decodeUserRoles reads the columns of user_roles into r.
func decodeUserRoles(r *store.UserRoles, roles, groups, teams []byte) error {
	if err := json.Unmarshal(roles, &r.Roles); err != nil {
		return err
	}
	if err := json.Unmarshal(groups, &r.Groups); err != nil {
		return err
	}
	if teams != nil { // else stored before teams were
		return json.Unmarshal(teams, &r.Teams)
	}
	return nil
}

// UserRoles implements store.AccessStore.
func (s *Store) UserRoles(ctx context.Context, ws, userID string) (store.UserRoles, bool, error) {
	return readUserRoles(ctx, s.Read(), ws, userID)
}

// SetUserRoles implements store.AccessStore. Writers of one user's roles
// take a lock of the user's first (where the one writer does not exclude
// every other already), so that replicas recomputing the same user take
// turns and the second finds the first's roles stored.
func (s *Store) SetUserRoles(ctx context.Context, ws, userID string, r store.UserRoles, fx func(old store.UserRoles, had bool) store.Effects) (bool, error) {
	changed := false
	now := s.now()
	err := s.txChanges(ctx, func(tx Conn) ([]store.Change, error) {
		changed = false
		if err := tx.lockKey(ctx, "scimd roles "+userID); err != nil {
			return nil, fmt.Errorf("lock user roles: %w", err)
		}
		old, had, err := readUserRoles(ctx, tx, ws, userID)
		if err != nil {
			return nil, err
		}
		write, tell := r.Storing(old, had)
		if !write {
			return nil, nil
		}
		roles, err := json.Marshal(nonNil(r.Roles))
		if err != nil {
			return nil, err
		}
		groups, err := json.Marshal(nonNil(r.Groups))
		if err != nil {
			return nil, err
		}
		var teams any // NULL: not known
		if r.Teams != nil {
			b, err := json.Marshal(r.Teams)
			if err != nil {
				return nil, err
			}
			teams = string(b)
		}
		res, err := tx.ExecContext(ctx, `INSERT INTO user_roles (user_id, workspace_id, roles, groups, teams, updated)
			SELECT id, workspace_id, ?, ?, ?, ? FROM resources WHERE workspace_id = ? AND id = ? AND type = 'User'
			ON CONFLICT (user_id) DO UPDATE SET roles = excluded.roles, groups = excluded.groups, teams = excluded.teams, updated = excluded.updated`,
			roles, groups, teams, tx.time(now), ws, userID)
		if err != nil {
			return nil, fmt.Errorf("set user roles: %w", err)
		}
		if n, err := res.RowsAffected(); err != nil || n == 0 {
			return nil, fmt.Errorf("user %q: %w", userID, store.ErrNotFound)
		}
		if !tell {
			return nil, nil
		}
		changed = true
		if fx == nil {
			return nil, nil
		}
		return applyEffects(ctx, tx, ws, now, fx(old, had))
	})
	return changed, err
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// SweepUsers implements store.AccessStore in three statements a page:
// the users by key, the groups above them with their parents, and their
// stored roles.
func (s *Store) SweepUsers(ctx context.Context, ws, cursor string, limit int) ([]store.SweptUser, string, error) {
	after, err := sqlquery.DecodeCursor(cursor)
	if err != nil {
		return nil, "", err
	}
	q := s.Read()
	var seqs []int64
	users, err := collect(ctx, q, "sweep users", func(sc scanner) (store.SweptUser, error) {
		r, seq, err := scanResource(sc, ws)
		seqs = append(seqs, seq)
		return store.SweptUser{User: r}, err
	}, `SELECT `+resourceColumns+` FROM resources r WHERE r.workspace_id = ? AND r.type = 'User' AND r.seq > ? ORDER BY r.seq LIMIT ?`, ws, after, limit+1)
	if err != nil {
		return nil, "", err
	}
	next := ""
	if len(users) > limit {
		users, seqs = users[:limit], seqs[:limit]
		next = sqlquery.EncodeCursor(seqs[limit-1])
	}
	if len(users) == 0 {
		return nil, "", nil
	}

	// The groups the page's users are in, directly or through nested
	// groups, each with the seqs of the page's users directly in it.
	type node struct {
		g       store.GroupNode
		members []int64
	}
	nodes, err := collect(ctx, q, "sweep users' groups", func(sc scanner) (*node, error) {
		var (
			n       node
			members []byte
		)
		g, err := scanGroupNode(sc, &members)
		n.g = g
		if err == nil {
			err = unmarshalAgg(members, &n.members)
		}
		return &n, err
	}, `WITH RECURSIVE page(seq) AS (SELECT value FROM `+s.d.List("bigint")+`),
		up(g) AS (
			SELECT m.group_seq FROM members m WHERE m.member_seq IN (SELECT seq FROM page)
			UNION SELECT m.group_seq FROM up JOIN members m ON m.member_seq = up.g)
		SELECT `+groupNodeCols(s.d)+`,
			(SELECT `+s.d.JSONAgg("dm.member_seq", "dm.member_seq")+` FROM members dm WHERE dm.group_seq = g.seq AND dm.member_seq IN (SELECT seq FROM page))
		FROM up `+s.d.OuterJoin()+` resources g ON g.seq = up.g LEFT JOIN team_links t ON t.group_seq = g.seq ORDER BY g.seq`, q.list(seqs))
	if err != nil {
		return nil, "", err
	}
	// Each user is in the groups it is directly in and in all above
	// them, in the order UserGroups gives (by seq, as nodes are).
	byID := make(map[string]*node, len(nodes))
	for _, n := range nodes {
		byID[n.g.ID] = n
	}
	index := make(map[int64]int, len(seqs))
	for i, seq := range seqs {
		index[seq] = i
	}
	in := make([]map[string]bool, len(users))
	var mark func(i int, n *node)
	mark = func(i int, n *node) {
		if in[i][n.g.ID] {
			return
		}
		in[i][n.g.ID] = true
		for _, p := range n.g.Parents {
			if pn := byID[p]; pn != nil {
				mark(i, pn)
			}
		}
	}
	for _, n := range nodes {
		for _, m := range n.members {
			i, ok := index[m]
			if !ok {
				continue
			}
			if in[i] == nil {
				in[i] = map[string]bool{}
			}
			mark(i, n)
		}
	}
	for _, n := range nodes {
		for i := range users {
			if in[i][n.g.ID] {
				users[i].Groups = append(users[i].Groups, n.g)
			}
		}
	}

	ids := make([]string, len(users))
	byUser := make(map[string]int, len(users))
	for i, u := range users {
		ids[i], byUser[u.User.ID] = u.User.ID, i
	}
	_, err = collect(ctx, q, "sweep users' roles", func(sc scanner) (struct{}, error) {
		var (
			id                   string
			roles, groups, teams []byte
		)
		if err := sc.Scan(&id, &roles, &groups, &teams); err != nil {
			return struct{}{}, err
		}
		u := &users[byUser[id]]
		u.Had = true
		return struct{}{}, decodeUserRoles(&u.Roles, roles, groups, teams)
	}, `SELECT user_id, roles, groups, teams FROM user_roles WHERE workspace_id = ? AND user_id IN (SELECT value FROM `+s.d.List("text")+`)`, ws, q.list(ids))
	if err != nil {
		return nil, "", err
	}
	return users, next, nil
}
