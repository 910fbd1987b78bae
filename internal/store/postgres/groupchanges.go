package postgres

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/scimd/scimd/internal/store"
	"github.com/scimd/scimd/internal/store/sqlquery"
)

// member is a member a group write added or removed.
type member = store.GroupMember

// groupChanges returns the changes that tell of a write to the group
// groupSeq of workspace ws, within the write's transaction: after its
// members changed by delta, or, with self (the group renamed, or deleted
// and not yet gone), for every user under the group as well. They are a
// ChangeUser for each user whose access may have changed; beyond
// store.MaxUserChanges, a ChangeGroups naming a record of them; beyond
// store.MaxRecordedUsers, a ChangeGroups for the whole workspace.
//
// The group written is locked already (FOR NO KEY UPDATE, or FOR UPDATE
// to delete it), and each group under it is locked FOR SHARE before its
// members are read. A concurrent write to the members of one of them
// either committed before, and is read, or waits for this one to commit,
// and then recomputes users who see it. Without the locks, under READ
// COMMITTED, a user added to a subgroup while its parent is renamed could
// be missed by both writes.
func groupChanges(ctx context.Context, tx pgx.Tx, ws string, groupSeq int64, self bool, delta []member) ([]store.Change, error) {
	var (
		users  []member
		groups []int64
	)
	if self {
		groups = append(groups, groupSeq)
	}
	for _, m := range delta {
		if m.Group {
			groups = append(groups, m.Seq)
		} else {
			users = append(users, m)
		}
	}
	if len(groups) == 0 && len(users) == 0 {
		return nil, nil
	}
	if len(groups) > 0 {
		locked := map[int64]bool{groupSeq: true}
		found, complete, err := usersUnder(ctx, tx, groups, locked, store.MaxRecordedUsers)
		if err != nil {
			return nil, err
		}
		if !complete {
			return []store.Change{{Kind: store.ChangeGroups, WorkspaceID: ws}}, nil
		}
		users = append(users, found...)
	}
	ids := make([]string, len(users))
	for i, m := range users {
		ids[i] = m.ID
	}
	if changes := store.UserChanges(ws, ids); len(changes) <= store.MaxUserChanges {
		return changes, nil
	}
	return recordGroupChange(ctx, tx, ws, users)
}

// lockGroups locks FOR SHARE the groups of seqs not yet locked, in seq
// order, so that writers locking several do so in one order.
func lockGroups(ctx context.Context, tx pgx.Tx, seqs []int64, locked map[int64]bool) error {
	var unlocked []int64
	for _, g := range seqs {
		if !locked[g] {
			unlocked = append(unlocked, g)
			locked[g] = true
		}
	}
	if len(unlocked) == 0 {
		return nil
	}
	if _, err := tx.Exec(ctx, `SELECT 1 FROM resources WHERE seq = ANY($1) ORDER BY seq FOR SHARE`, unlocked); err != nil {
		return fmt.Errorf("lock changed groups: %w", err)
	}
	return nil
}

// usersUnder returns the users under groups, transitively, reading at
// most budget memberships, and whether it read them all. The groups'
// own members are read by one plain query, an index scan, which is all
// a flat group needs. The subgroups found there are walked by one
// recursive query, so that a deep chain of groups costs a few statements
// rather than one a level; since FOR SHARE cannot lock rows of a
// recursive query, the walk is run again after the groups it found are
// locked, until it finds none that is not: then no membership it read
// can change before this transaction commits. Each membership is read
// once (the walk's UNION drops a pair met again), so cycles end.
func usersUnder(ctx context.Context, tx pgx.Tx, groups []int64, locked map[int64]bool, budget int) (users []member, complete bool, err error) {
	if err := lockGroups(ctx, tx, groups, locked); err != nil {
		return nil, false, err
	}
	seen := make(map[int64]bool, len(groups))
	for _, g := range groups {
		seen[g] = true
	}
	rows, err := tx.Query(ctx, `SELECT m.member_seq, r.id, r.type = 'Group'
		FROM members m JOIN resources r ON r.seq = m.member_seq
		WHERE m.group_seq = ANY($1) LIMIT $2`, groups, budget+1)
	users, subgroups, n, err := readMembers(rows, err, users, seen)
	if err != nil || n > budget {
		return users, false, err
	}
	if len(subgroups) == 0 {
		return users, true, nil
	}
	budget -= n
	for {
		if err := lockGroups(ctx, tx, subgroups, locked); err != nil {
			return nil, false, err
		}
		rows, err := tx.Query(ctx, `WITH RECURSIVE walk (grp, member, id, is_group) AS (
				SELECT NULL::bigint, s, NULL::text COLLATE "C", true FROM unnest($1::bigint[]) s
				UNION
				SELECT m.group_seq, m.member_seq, r.id, r.type = 'Group'
					FROM walk JOIN members m ON m.group_seq = walk.member
					JOIN resources r ON r.seq = m.member_seq
					WHERE walk.is_group AND NOT walk.member = ANY($2)
			)
			SELECT member, id, is_group FROM walk WHERE grp IS NOT NULL LIMIT $3`, subgroups, groups, budget+1)
		found, more, n, err := readMembers(rows, err, users, seen)
		if err != nil {
			return nil, false, err
		}
		var unlocked []int64
		for _, g := range more {
			if !locked[g] {
				unlocked = append(unlocked, g)
			}
		}
		if len(unlocked) == 0 {
			return found, n <= budget, nil
		}
		subgroups = append(subgroups, unlocked...)
	}
}

// readMembers reads rows of (seq, id, is a group) into users and the
// groups not yet seen, which it marks seen, and counts them.
func readMembers(rows pgx.Rows, err error, users []member, seen map[int64]bool) ([]member, []int64, int, error) {
	if err != nil {
		return nil, nil, 0, fmt.Errorf("members of changed groups: %w", err)
	}
	var (
		groups []int64
		n      int
		m      member
	)
	_, err = pgx.ForEachRow(rows, []any{&m.Seq, &m.ID, &m.Group}, func() error {
		n++
		switch {
		case !m.Group:
			users = append(users, m)
		case !seen[m.Seq]:
			seen[m.Seq] = true
			groups = append(groups, m.Seq)
		}
		return nil
	})
	if err != nil {
		return nil, nil, 0, fmt.Errorf("members of changed groups: %w", err)
	}
	return users, groups, n, nil
}

// recordGroupChange records users as a group change of workspace ws and
// returns the ChangeGroups that names the record. Records are stamped
// with the database's clock, which every replica shares, so that they
// are pruned in the order they were made.
func recordGroupChange(ctx context.Context, tx pgx.Tx, ws string, users []member) ([]store.Change, error) {
	var id int64
	if err := tx.QueryRow(ctx, `INSERT INTO group_changes (workspace_id, at) VALUES ($1, now()) RETURNING id`, ws).Scan(&id); err != nil {
		return nil, fmt.Errorf("record group change: %w", err)
	}
	seqs := make([]int64, len(users))
	for i, u := range users {
		seqs[i] = u.Seq
	}
	// A user under two of the groups is in the list twice.
	if _, err := tx.Exec(ctx, `INSERT INTO group_change_users (change_id, user_seq)
		SELECT $1, unnest($2::bigint[]) ON CONFLICT DO NOTHING`, id, seqs); err != nil {
		return nil, fmt.Errorf("record group change: %w", err)
	}
	return []store.Change{{Kind: store.ChangeGroups, WorkspaceID: ws, ID: strconv.FormatInt(id, 10)}}, nil
}

// pruneGroupChangesBatch bounds the records one transaction of
// PruneGroupChanges deletes, with their users.
const pruneGroupChangesBatch = 10

// PruneGroupChanges implements store.GroupChangeStore. A record's users
// go with it (ON DELETE CASCADE). before is compared with the database's
// clock, which stamped the records.
func (s *Store) PruneGroupChanges(ctx context.Context, before time.Time) (_ int, err error) {
	defer classify(&err)
	age := time.Since(before)
	total := 0
	for {
		tag, err := s.pool.Exec(ctx, `DELETE FROM group_changes WHERE id IN (
			SELECT id FROM group_changes WHERE at < now() - $1 * interval '1 second' ORDER BY id LIMIT $2)`,
			age.Seconds(), pruneGroupChangesBatch)
		if err != nil {
			return total, fmt.Errorf("prune group changes: %w", err)
		}
		n := int(tag.RowsAffected())
		total += n
		if n < pruneGroupChangesBatch {
			return total, nil
		}
	}
}

// GroupChangeUsers implements store.GroupChangeStore.
func (s *Store) GroupChangeUsers(ctx context.Context, ws, changeID, cursor string, limit int) (_ []string, _ string, err error) {
	defer classify(&err)
	id, err := strconv.ParseInt(changeID, 10, 64)
	if err != nil {
		return nil, "", fmt.Errorf("group change %q: %w", changeID, store.ErrNotFound)
	}
	after, err := sqlquery.DecodeCursor(cursor)
	if err != nil {
		return nil, "", err
	}
	limit = max(limit, 1)
	// One statement, so that a record pruned between pages reads as gone
	// rather than as ended: a record without the page's users gives one
	// row of NULLs. Users deleted since give no id.
	// LATERAL reads the page by the index, rather than sorting all that
	// is left of the record for each page.
	rows, err := s.pool.Query(ctx, `SELECT u.user_seq, r.id FROM group_changes c
		LEFT JOIN LATERAL (SELECT user_seq FROM group_change_users
			WHERE change_id = c.id AND user_seq > $1 ORDER BY user_seq LIMIT $4) u ON true
		LEFT JOIN resources r ON r.seq = u.user_seq AND r.workspace_id = c.workspace_id AND r.type = 'User'
		WHERE c.id = $2 AND c.workspace_id = $3 ORDER BY u.user_seq`, after, id, ws, limit)
	if err != nil {
		return nil, "", fmt.Errorf("group change users: %w", err)
	}
	var (
		users []string
		n     int
		last  int64
		seq   *int64
		u     *string
	)
	if _, err := pgx.ForEachRow(rows, []any{&seq, &u}, func() error {
		n++
		if seq != nil {
			last = *seq
		}
		if u != nil {
			users = append(users, *u)
		}
		return nil
	}); err != nil {
		return nil, "", fmt.Errorf("group change users: %w", err)
	}
	if n == 0 {
		return nil, "", fmt.Errorf("group change %q: %w", changeID, store.ErrNotFound)
	}
	var next string
	if n == limit && last != 0 {
		next = sqlquery.EncodeCursor(last)
	}
	return users, next, nil
}
