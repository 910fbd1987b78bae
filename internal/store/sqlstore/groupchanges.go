package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"strconv"
	"time"

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
// The users found must be those under the groups when the transaction
// commits. With one writer (SQLite) nothing else can change them before.
// Otherwise the group written is locked already (FOR NO KEY UPDATE, or
// FOR UPDATE to delete it), and each group under it is locked FOR SHARE
// before its members are read: a concurrent write to the members of one
// of them either committed before, and is read, or waits for this one to
// commit, and then recomputes users who see it. Without the locks, under
// READ COMMITTED, a user added to a subgroup while its parent is renamed
// could be missed by both writes.
func groupChanges(ctx context.Context, tx Conn, ws string, groupSeq int64, self bool, delta []member) ([]store.Change, error) {
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
// order, so that writers locking several do so in one order. With one
// writer it does nothing.
func lockGroups(ctx context.Context, tx Conn, seqs []int64, locked map[int64]bool) error {
	if tx.s.d.OneWriter() {
		return nil
	}
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
	if _, err := tx.ExecContext(ctx, `SELECT 1 FROM resources WHERE seq IN (SELECT value FROM `+tx.s.d.List("bigint")+`) ORDER BY seq`+tx.lock("FOR SHARE"),
		tx.list(unlocked)); err != nil {
		return fmt.Errorf("lock changed groups: %w", err)
	}
	return nil
}

// usersUnder returns the users under groups, transitively, reading at
// most budget memberships, and whether it read them all. The groups'
// own members are read by one plain query, an index scan, which is all a
// flat group needs; the subgroups found there are walked by one recursive
// query, so that a deep chain of groups costs a few statements rather
// than one a level (see walkOneWriter and walkLocked). Each membership is
// read once (the walk's UNION drops a pair met again, and does not go
// back into groups), so cycles end. A user under several of the groups
// is returned once for each membership, as it is counted.
func usersUnder(ctx context.Context, tx Conn, groups []int64, locked map[int64]bool, budget int) (users []member, complete bool, err error) {
	if err := lockGroups(ctx, tx, groups, locked); err != nil {
		return nil, false, err
	}
	// The join keeps members, found by group, as the outer loop.
	ms, err := collect(ctx, tx, "members of changed groups", scanMember, `SELECT m.member_seq, r.id, r.type = 'Group'
		FROM members m `+tx.s.d.OuterJoin()+` resources r ON r.seq = m.member_seq
		WHERE m.group_seq IN (SELECT value FROM `+tx.s.d.List("bigint")+`) LIMIT ?`, tx.list(groups), budget+1)
	seen := make(map[int64]bool, len(groups))
	for _, g := range groups {
		seen[g] = true
	}
	users, subgroups, n, err := readMembers(ms, err, users, seen)
	if err != nil || n > budget {
		return users, false, err
	}
	if len(subgroups) == 0 {
		return users, true, nil
	}
	budget -= n
	if tx.s.d.OneWriter() {
		ms, err := collect(ctx, tx, "members of changed groups", scanMember, walkOneWriter, tx.list(subgroups), tx.list(groups), len(subgroups)+budget+1)
		users, _, n, err = readMembers(ms, err, users, seen)
		return users, err == nil && n <= budget, err
	}
	// FOR SHARE cannot lock the rows of a recursive query: the walk runs
	// again after the groups it found are locked, until it finds none
	// that is not; then no membership it read can change before this
	// transaction commits.
	for {
		if err := lockGroups(ctx, tx, subgroups, locked); err != nil {
			return nil, false, err
		}
		ms, err := collect(ctx, tx, "members of changed groups", scanMember, walkLocked, tx.list(subgroups), tx.list(groups), budget+1)
		found, more, n, err := readMembers(ms, err, users, seen)
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

// walkOneWriter walks the subgroups ?1, not going back into the groups
// ?2, reading at most ?3 rows, on SQLite: json_each lists, CROSS JOIN to
// keep the walk as the outer loop, LIMIT within the recursion.
const walkOneWriter = `WITH RECURSIVE walk (grp, member, is_group) AS (
		SELECT NULL, value, 1 FROM json_each(?1)
		UNION
		SELECT m.group_seq, m.member_seq, r.type = 'Group'
			FROM walk CROSS JOIN members m ON m.group_seq = walk.member
			CROSS JOIN resources r ON r.seq = m.member_seq
			WHERE walk.is_group AND walk.member NOT IN (SELECT value FROM json_each(?2))
		LIMIT ?3
	)
	SELECT w.member, r.id, w.is_group FROM walk w CROSS JOIN resources r ON r.seq = w.member
	WHERE w.grp IS NOT NULL`

// walkLocked is walkOneWriter on PostgreSQL, run again as groups are
// locked: array arguments, typed NULLs for the UNION, LIMIT outside.
const walkLocked = `WITH RECURSIVE walk (grp, member, id, is_group) AS (
		SELECT NULL::bigint, s, NULL::text COLLATE "C", true FROM unnest(?1::bigint[]) s
		UNION
		SELECT m.group_seq, m.member_seq, r.id, r.type = 'Group'
			FROM walk JOIN members m ON m.group_seq = walk.member
			JOIN resources r ON r.seq = m.member_seq
			WHERE walk.is_group AND NOT walk.member = ANY(?2)
	)
	SELECT member, id, is_group FROM walk WHERE grp IS NOT NULL LIMIT ?3`

// readMembers reads members of (seq, id, is a group) into users and the
// groups not yet seen, which it marks seen, and counts them.
func readMembers(ms []member, err error, users []member, seen map[int64]bool) ([]member, []int64, int, error) {
	if err != nil {
		return nil, nil, 0, err
	}
	var groups []int64
	for _, m := range ms {
		switch {
		case !m.Group:
			users = append(users, m)
		case !seen[m.Seq]:
			seen[m.Seq] = true
			groups = append(groups, m.Seq)
		}
	}
	return users, groups, len(ms), nil
}

// recordGroupChange records users as a group change of workspace ws and
// returns the ChangeGroups that names the record.
func recordGroupChange(ctx context.Context, tx Conn, ws string, users []member) ([]store.Change, error) {
	// Wall-clock time, as for the changes table: pruning is about how
	// long consumers take, whatever clock the data is stamped with.
	var id int64
	if err := tx.QueryRowContext(ctx, `INSERT INTO group_changes (workspace_id, at) VALUES (?, ?) RETURNING id`, ws, tx.time(time.Now())).Scan(&id); err != nil {
		return nil, fmt.Errorf("record group change: %w", err)
	}
	seqs := make([]int64, len(users))
	for i, u := range users {
		seqs[i] = u.Seq
	}
	// A user under two of the groups is in the list twice. WHERE true
	// tells SQLite's parser that ON CONFLICT is the upsert's.
	if _, err := tx.ExecContext(ctx, `INSERT INTO group_change_users (change_id, user_seq)
		SELECT ?, value FROM `+tx.s.d.List("bigint")+` WHERE true ON CONFLICT DO NOTHING`, id, tx.list(seqs)); err != nil {
		return nil, fmt.Errorf("record group change: %w", err)
	}
	return []store.Change{{Kind: store.ChangeGroups, WorkspaceID: ws, ID: strconv.FormatInt(id, 10)}}, nil
}

// pruneGroupChangesBatch bounds the records one transaction of
// PruneGroupChanges deletes, with their users, so that it holds the
// writer briefly.
const pruneGroupChangesBatch = 10

// PruneGroupChanges implements store.GroupChangeStore. A record's users
// go with it (ON DELETE CASCADE).
func (s *Store) PruneGroupChanges(ctx context.Context, before time.Time) (int, error) {
	total := 0
	for {
		var n int64
		err := s.Tx(ctx, func(tx Conn) error {
			var err error
			n, err = tx.exec(ctx, `DELETE FROM group_changes WHERE id IN (SELECT id FROM group_changes WHERE at < ? ORDER BY id LIMIT ?)`,
				tx.time(before), pruneGroupChangesBatch)
			return err
		})
		if err != nil {
			return total, fmt.Errorf("prune group changes: %w", err)
		}
		total += int(n)
		if n < pruneGroupChangesBatch {
			return total, nil
		}
	}
}

// GroupChangeUsers implements store.GroupChangeStore.
func (s *Store) GroupChangeUsers(ctx context.Context, ws, changeID, cursor string, limit int) ([]string, string, error) {
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
	// row of NULLs. Users deleted since give no id; the resource of a
	// seq taken again is another user's only if it is a user of the
	// workspace, recomputed for nothing.
	var (
		users []string
		last  int64
	)
	rows, err := collect(ctx, s.Read(), "group change users", func(sc scanner) (u sql.NullString, err error) {
		var seq sql.NullInt64
		if err = sc.Scan(&seq, &u); seq.Valid {
			last = seq.Int64
		}
		if u.Valid {
			users = append(users, u.String)
		}
		return u, err
	}, `SELECT u.user_seq, r.id FROM group_changes c
		LEFT JOIN group_change_users u ON u.change_id = c.id AND u.user_seq > ?
		LEFT JOIN resources r ON r.seq = u.user_seq AND r.workspace_id = c.workspace_id AND r.type = 'User'
		WHERE c.id = ? AND c.workspace_id = ? ORDER BY u.user_seq LIMIT ?`, after, id, ws, limit)
	if err != nil {
		return nil, "", err
	}
	n := len(rows)
	if n == 0 {
		return nil, "", fmt.Errorf("group change %q: %w", changeID, store.ErrNotFound)
	}
	var next string
	if n == limit && last != 0 {
		next = sqlquery.EncodeCursor(last)
	}
	return users, next, nil
}
