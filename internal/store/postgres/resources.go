package postgres

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/scimd/scimd/internal/schema"
	"github.com/scimd/scimd/internal/store"
	"github.com/scimd/scimd/internal/store/sqlquery"
)

// row holds the indexed columns derived from a resource's document.
type row struct {
	name, nameKey string
	displayName   *string
	externalID    *string
	active        *bool
	doc           []byte
}

// counts reports whether a user takes a seat: active, or not said.
func (r row) counts() bool { return r.active == nil || *r.active }

func derive(typ string, doc map[string]any) (row, error) {
	var r row
	str := func(k string) string { s, _ := doc[k].(string); return s }
	switch typ {
	case schema.UserType.ID:
		r.name = str("userName")
		if s := str("displayName"); s != "" {
			r.displayName = &s
		}
		if b, ok := doc["active"].(bool); ok {
			r.active = &b
		}
	case schema.GroupType.ID:
		r.name = str("displayName")
		r.displayName = &r.name
	default:
		return r, fmt.Errorf("unknown resource type %q", typ)
	}
	r.nameKey = sqlquery.Fold(r.name)
	if s := str("externalId"); s != "" {
		r.externalID = &s
	}
	var err error
	r.doc, err = json.Marshal(doc)
	return r, err
}

// CreateResource stores a new resource.
func (s *Store) CreateResource(ctx context.Context, r *store.Resource, fx store.Effects) (err error) {
	defer classify(&err)
	d, err := derive(r.Type, r.Doc)
	if err != nil {
		return err
	}
	now := s.now().UTC().Truncate(timePrecision)
	err = s.txChanges(ctx, func(tx pgx.Tx) ([]store.Change, error) {
		changes, err := createResource(ctx, tx, r, d, now)
		if err != nil {
			return nil, err
		}
		more, err := applyEffects(ctx, tx, r.WorkspaceID, now, fx)
		return append(changes, more...), err
	})
	if err != nil {
		return err
	}
	r.Version, r.Created, r.LastModified = 1, now, now
	return nil
}

func createResource(ctx context.Context, tx pgx.Tx, r *store.Resource, d row, now time.Time) ([]store.Change, error) {
	var changes []store.Change
	err := func() error {
		if r.Type == schema.UserType.ID {
			if err := localUserTaken(ctx, tx, r.WorkspaceID, d.nameKey); err != nil {
				return err
			}
		}
		var seq int64
		err := tx.QueryRow(ctx, `INSERT INTO resources (id, workspace_id, type, name, name_key, display_name, external_id, active, version, created, last_modified, doc, app_display_name)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 1, $9, $9, $10, $11) RETURNING seq`,
			r.ID, r.WorkspaceID, r.Type, d.name, d.nameKey, d.displayName, d.externalID, d.active, now, d.doc, r.AppDisplayName).Scan(&seq)
		if errCode(err) == codeUniqueViolation {
			return fmt.Errorf("%s %q: %w", r.Type, d.name, store.ErrAlreadyExists)
		}
		if err != nil {
			return fmt.Errorf("insert %s: %w", r.Type, err)
		}
		if r.Type == schema.UserType.ID {
			if err := writeEmails(ctx, tx, seq, r.WorkspaceID, emailKeys(r.Doc), false); err != nil {
				return err
			}
		}
		if len(r.Members) > 0 {
			ids := make([]string, len(r.Members))
			for i, m := range r.Members {
				ids[i] = m.Value
			}
			added, err := addMembers(ctx, tx, r.WorkspaceID, seq, r.ID, ids)
			if err != nil {
				return err
			}
			if changes, err = groupChanges(ctx, tx, r.WorkspaceID, seq, false, added); err != nil {
				return err
			}
		}
		if r.Type == schema.UserType.ID {
			changes = []store.Change{{Kind: store.ChangeUser, WorkspaceID: r.WorkspaceID, ID: r.ID}}
			if d.counts() {
				return checkSeats(ctx, tx, r.WorkspaceID)
			}
		}
		return nil
	}()
	return changes, err
}

// emails are a User's email values and types, folded, as kept in the
// emails table; nil for no value or type.
type emails struct {
	values, types []*string
}

func emailKeys(doc map[string]any) emails {
	var e emails
	list, _ := doc["emails"].([]any)
	for _, x := range list {
		m, _ := x.(map[string]any)
		var value, typ *string
		if v, ok := m["value"].(string); ok {
			v = sqlquery.Fold(v)
			value = &v
		}
		if t, ok := m["type"].(string); ok {
			t = sqlquery.Fold(t)
			typ = &t
		}
		e.values = append(e.values, value)
		e.types = append(e.types, typ)
	}
	return e
}

func (e emails) equal(f emails) bool {
	eq := func(a, b *string) bool { return a == b || a != nil && b != nil && *a == *b }
	return slices.EqualFunc(e.values, f.values, eq) && slices.EqualFunc(e.types, f.types, eq)
}

func writeEmails(ctx context.Context, tx pgx.Tx, seq int64, ws string, e emails, replace bool) error {
	if replace {
		if _, err := tx.Exec(ctx, `DELETE FROM emails WHERE resource_seq = $1`, seq); err != nil {
			return fmt.Errorf("delete emails: %w", err)
		}
	}
	if len(e.values) == 0 {
		return nil
	}
	_, err := tx.Exec(ctx, `INSERT INTO emails (resource_seq, workspace_id, value_key, type_key)
		SELECT $1, $2, v, t FROM unnest($3::text[], $4::text[]) AS x(v, t)`, seq, ws, e.values, e.types)
	if err != nil {
		return fmt.Errorf("insert emails: %w", err)
	}
	return nil
}

// addMembers adds members by id and returns those that were not members
// already. Each must be a resource of the workspace other than the group
// itself.
func addMembers(ctx context.Context, tx pgx.Tx, ws string, groupSeq int64, groupID string, ids []string) ([]member, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	if slices.Contains(ids, groupID) {
		return nil, fmt.Errorf("group %q cannot be a member of itself: %w", groupID, store.ErrInvalidMember)
	}
	rows, err := tx.Query(ctx, `SELECT id, seq, type = 'Group' FROM resources WHERE workspace_id = $1 AND id = ANY($2)`, ws, ids)
	if err != nil {
		return nil, fmt.Errorf("add members: %w", err)
	}
	byID := make(map[string]member, len(ids))
	var m member
	if _, err := pgx.ForEachRow(rows, []any{&m.ID, &m.Seq, &m.Group}, func() error { byID[m.ID] = m; return nil }); err != nil {
		return nil, fmt.Errorf("add members: %w", err)
	}
	list := make([]int64, 0, len(byID))
	bySeq := make(map[int64]member, len(byID))
	for _, id := range ids {
		m, ok := byID[id]
		if !ok {
			return nil, fmt.Errorf("member %q does not exist: %w", id, store.ErrInvalidMember)
		}
		list = append(list, m.Seq)
		bySeq[m.Seq] = m
	}
	rows, err = tx.Query(ctx, `INSERT INTO members (group_seq, member_seq) SELECT $1, unnest($2::bigint[])
		ON CONFLICT DO NOTHING RETURNING member_seq`, groupSeq, list)
	if err != nil {
		return nil, fmt.Errorf("add members: %w", err)
	}
	var (
		added []member
		seq   int64
	)
	_, err = pgx.ForEachRow(rows, []any{&seq}, func() error { added = append(added, bySeq[seq]); return nil })
	if errCode(err) == codeForeignKeyViolation {
		// A member was deleted since it was looked up.
		return nil, fmt.Errorf("add members: %w", store.ErrInvalidMember)
	}
	if err != nil {
		return nil, fmt.Errorf("add members: %w", err)
	}
	return added, nil
}

// removeMembers removes members by id and returns those that were
// members.
func removeMembers(ctx context.Context, tx pgx.Tx, ws string, groupSeq int64, ids []string) ([]member, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	rows, err := tx.Query(ctx, `DELETE FROM members m USING resources r
		WHERE m.group_seq = $1 AND m.member_seq = r.seq AND r.workspace_id = $2 AND r.id = ANY($3)
		RETURNING r.seq, r.id, r.type = 'Group'`, groupSeq, ws, ids)
	if err != nil {
		return nil, fmt.Errorf("remove members: %w", err)
	}
	var (
		removed []member
		m       member
	)
	if _, err := pgx.ForEachRow(rows, []any{&m.Seq, &m.ID, &m.Group}, func() error { removed = append(removed, m); return nil }); err != nil {
		return nil, fmt.Errorf("remove members: %w", err)
	}
	return removed, nil
}

// changeMembers makes the member change mc, if not nil, to a group and
// returns the members it added or removed in fact.
func changeMembers(ctx context.Context, tx pgx.Tx, ws string, groupSeq int64, groupID string, mc *store.MemberChange) ([]member, error) {
	switch {
	case mc == nil:
		return nil, nil
	case mc.Replace:
		return replaceMembers(ctx, tx, ws, groupSeq, groupID, mc.Add)
	}
	removed, err := removeMembers(ctx, tx, ws, groupSeq, mc.Remove)
	if err != nil {
		return nil, err
	}
	added, err := addMembers(ctx, tx, ws, groupSeq, groupID, mc.Add)
	if err != nil {
		return nil, err
	}
	return store.MemberDelta(removed, added), nil
}

// replaceMembers makes ids the members of a group and returns the members
// that it added or removed.
func replaceMembers(ctx context.Context, tx pgx.Tx, ws string, groupSeq int64, groupID string, ids []string) ([]member, error) {
	rows, err := tx.Query(ctx, `DELETE FROM members WHERE group_seq = $1 RETURNING member_seq`, groupSeq)
	if err != nil {
		return nil, fmt.Errorf("clear members: %w", err)
	}
	var (
		old []member
		seq int64
	)
	if _, err := pgx.ForEachRow(rows, []any{&seq}, func() error { old = append(old, member{Seq: seq}); return nil }); err != nil {
		return nil, fmt.Errorf("clear members: %w", err)
	}
	added, err := addMembers(ctx, tx, ws, groupSeq, groupID, ids)
	if err != nil {
		return nil, err
	}
	delta := store.MemberDelta(old, added)
	// Only the members removed for good need their ids and types read:
	// a replacement that keeps most members reads few.
	var gone []int64
	for _, m := range delta {
		if m.ID == "" {
			gone = append(gone, m.Seq)
		}
	}
	if len(gone) == 0 {
		return delta, nil
	}
	rows, err = tx.Query(ctx, `SELECT seq, id, type = 'Group' FROM resources WHERE seq = ANY($1)`, gone)
	if err != nil {
		return nil, fmt.Errorf("removed members: %w", err)
	}
	bySeq := make(map[int64]member, len(gone))
	var m member
	if _, err := pgx.ForEachRow(rows, []any{&m.Seq, &m.ID, &m.Group}, func() error { bySeq[m.Seq] = m; return nil }); err != nil {
		return nil, fmt.Errorf("removed members: %w", err)
	}
	for i, m := range delta {
		if m.ID == "" {
			delta[i] = bySeq[m.Seq]
		}
	}
	return delta, nil
}

const resourceColumns = `r.seq, r.id, r.type, r.version, r.created, r.last_modified, r.doc, r.app_display_name`

// queryer is a pool or a transaction.
type queryer interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

func scanResource(sc pgx.Row, ws string) (*store.Resource, int64, error) {
	var (
		r   store.Resource
		seq int64
		doc []byte
	)
	if err := sc.Scan(&seq, &r.ID, &r.Type, &r.Version, &r.Created, &r.LastModified, &doc, &r.AppDisplayName); err != nil {
		return nil, 0, err
	}
	r.WorkspaceID = ws
	r.Created, r.LastModified = r.Created.UTC(), r.LastModified.UTC()
	dec := json.NewDecoder(bytes.NewReader(doc))
	dec.UseNumber()
	if err := dec.Decode(&r.Doc); err != nil {
		return nil, 0, fmt.Errorf("decode %s %s: %w", r.Type, r.ID, err)
	}
	return &r, seq, nil
}

// getResource reads a resource, with lock (a locking clause such as "FOR
// UPDATE") if not empty.
func getResource(ctx context.Context, q queryer, ws, typ, id, lock string) (*store.Resource, int64, error) {
	row := q.QueryRow(ctx, `SELECT `+resourceColumns+` FROM resources r WHERE r.workspace_id = $1 AND r.id = $2 AND r.type = $3 `+lock, ws, id, typ)
	r, seq, err := scanResource(row, ws)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, 0, fmt.Errorf("%s %q: %w", typ, id, store.ErrNotFound)
	}
	if err != nil {
		return nil, 0, fmt.Errorf("get %s: %w", typ, err)
	}
	return r, seq, nil
}

// Resource returns one resource.
func (s *Store) Resource(ctx context.Context, ws, typ, id string, load bool) (_ *store.Resource, err error) {
	defer classify(&err)
	r, seq, err := getResource(ctx, s.pool, ws, typ, id, "")
	if err != nil {
		return nil, err
	}
	if load {
		if err := loadRelations(ctx, s.pool, typ, []*store.Resource{r}, []int64{seq}); err != nil {
			return nil, err
		}
	}
	return r, nil
}

// loadRelations reads the members of groups or the groups of users, for a
// page of resources in one query.
func loadRelations(ctx context.Context, q queryer, typ string, rs []*store.Resource, seqs []int64) error {
	if len(rs) == 0 {
		return nil
	}
	bySeq := make(map[int64]*store.Resource, len(rs))
	for i, seq := range seqs {
		bySeq[seq] = rs[i]
	}
	var query string
	if typ == schema.GroupType.ID {
		for _, r := range rs {
			r.Members = []store.Member{}
		}
		query = `SELECT m.group_seq, e.id, e.type, COALESCE(e.display_name, e.name), TRUE
			FROM members m JOIN resources e ON e.seq = m.member_seq
			WHERE m.group_seq = ANY($1) ORDER BY m.group_seq, e.seq`
	} else {
		// Direct groups and the groups those are members of, transitively;
		// UNION (not UNION ALL) ends cycles.
		query = `WITH RECURSIVE up(member_seq, group_seq, direct) AS (
				SELECT member_seq, group_seq, TRUE FROM members WHERE member_seq = ANY($1)
				UNION
				SELECT up.member_seq, m.group_seq, FALSE FROM up JOIN members m ON m.member_seq = up.group_seq
			)
			SELECT up.member_seq, g.id, g.type, COALESCE(g.display_name, g.name), bool_or(up.direct)
			FROM up JOIN resources g ON g.seq = up.group_seq
			GROUP BY up.member_seq, g.seq ORDER BY up.member_seq, g.seq`
	}
	rows, err := q.Query(ctx, query, seqs)
	if err != nil {
		return fmt.Errorf("load relations: %w", err)
	}
	var (
		seq                int64
		id, rtype, display string
		direct             bool
	)
	_, err = pgx.ForEachRow(rows, []any{&seq, &id, &rtype, &display, &direct}, func() error {
		r := bySeq[seq]
		if typ == schema.GroupType.ID {
			r.Members = append(r.Members, store.Member{Value: id, Type: rtype, Display: display})
		} else {
			r.Groups = append(r.Groups, store.GroupRef{Value: id, Display: display, Direct: direct})
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("load relations: %w", err)
	}
	return nil
}

// UpdateResource runs fn on the current resource in a transaction and
// stores its result. The resource's row stays locked from the read to the
// commit, so concurrent updates run one after the other and each sees the
// one before.
func (s *Store) UpdateResource(ctx context.Context, ws, typ, id string, load bool, fn func(*store.Resource) (*store.Update, error)) (_ *store.Resource, err error) {
	defer classify(&err)
	var out *store.Resource
	now := s.now().UTC().Truncate(timePrecision)
	err = s.txChanges(ctx, func(tx pgx.Tx) (changes []store.Change, err error) {
		out, changes, err = updateResource(ctx, tx, ws, typ, id, load, now, fn)
		return changes, err
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

func updateResource(ctx context.Context, tx pgx.Tx, ws, typ, id string, load bool, now time.Time, fn func(*store.Resource) (*store.Update, error)) (out *store.Resource, changes []store.Change, err error) {
	err = func() error {
		// FOR NO KEY UPDATE rather than FOR UPDATE: it excludes the
		// other updates all the same, but not the key-share locks that
		// adding this resource to a group takes (seq never changes).
		cur, seq, err := getResource(ctx, tx, ws, typ, id, "FOR NO KEY UPDATE")
		if err != nil {
			return err
		}
		if load && typ == schema.GroupType.ID {
			if err := loadRelations(ctx, tx, typ, []*store.Resource{cur}, []int64{seq}); err != nil {
				return err
			}
		}
		var before emails
		wasInactive, oldName := cur.Doc["active"] == false, cur.Doc["userName"]
		oldKeys := groupKeys(cur.Doc)
		if typ == schema.UserType.ID {
			before = emailKeys(cur.Doc) // fn may change cur.Doc in place
		}
		up, err := fn(cur)
		if err != nil {
			return err
		}
		if up == nil {
			out = cur
			if load && typ == schema.UserType.ID {
				return loadRelations(ctx, tx, typ, []*store.Resource{out}, []int64{seq})
			}
			return nil
		}
		keep := up.Doc == nil
		if keep {
			up.Doc = cur.Doc
		}
		if up.Delete != nil {
			gone := *cur
			gone.Doc, gone.Version, gone.LastModified = up.Doc, cur.Version+1, now.UTC().Truncate(timePrecision)
			if up.AppDisplayName != nil {
				gone.AppDisplayName = *up.AppDisplayName
			}
			out = &gone
			changes, err = deleteResource(ctx, tx, ws, typ, id, out, seq, up.Delete, now)
			return err
		}
		var delta []member
		if typ == schema.GroupType.ID {
			if delta, err = changeMembers(ctx, tx, ws, seq, id, up.Members); err != nil {
				return err
			}
			if keep && len(delta) == 0 {
				out = cur // nothing changed: keep the version
				return nil
			}
		}
		d, err := derive(typ, up.Doc)
		if err != nil {
			return err
		}
		appName := cur.AppDisplayName
		if up.AppDisplayName != nil {
			appName = *up.AppDisplayName
		}
		_, err = tx.Exec(ctx, `UPDATE resources SET name = $1, name_key = $2, display_name = $3, external_id = $4, active = $5,
			version = version + 1, last_modified = $6, doc = $7, app_display_name = $8 WHERE seq = $9`,
			d.name, d.nameKey, d.displayName, d.externalID, d.active, now, d.doc, appName, seq)
		if errCode(err) == codeUniqueViolation {
			return fmt.Errorf("%s %q: %w", typ, d.name, store.ErrAlreadyExists)
		}
		if err != nil {
			return fmt.Errorf("update %s: %w", typ, err)
		}
		if typ == schema.UserType.ID {
			if d.name != oldName {
				if err := localUserTaken(ctx, tx, ws, d.nameKey); err != nil {
					return err
				}
			}
			if after := emailKeys(up.Doc); !after.equal(before) {
				if err := writeEmails(ctx, tx, seq, ws, after, true); err != nil {
					return err
				}
			}
			if d.counts() && wasInactive {
				if err := checkSeats(ctx, tx, ws); err != nil {
					return err
				}
			}
			changes = []store.Change{{Kind: store.ChangeUser, WorkspaceID: ws, ID: id}}
		} else {
			if changes, err = groupChanges(ctx, tx, ws, seq, groupKeys(up.Doc) != oldKeys, delta); err != nil {
				return err
			}
		}
		out = &store.Resource{
			Type: typ, ID: id, WorkspaceID: ws,
			Version:        cur.Version + 1,
			Created:        cur.Created,
			LastModified:   now,
			Doc:            up.Doc,
			AppDisplayName: appName,
		}
		fx := up.Effects
		if up.MemberEffects != nil {
			fx = fx.Join(up.MemberEffects(store.MemberIDs(delta)))
		}
		more, err := applyEffects(ctx, tx, ws, now, fx)
		if err != nil {
			return err
		}
		changes = append(changes, more...)
		if load {
			return loadRelations(ctx, tx, typ, []*store.Resource{out}, []int64{seq})
		}
		return nil
	}()
	return out, changes, err
}

// groupKeys returns what of a group's document its members' roles and
// group keys depend on: its name and externalId.
func groupKeys(doc map[string]any) [2]string {
	name, _ := doc["displayName"].(string)
	ext, _ := doc["externalId"].(string)
	return [2]string{name, ext}
}

// DeleteResource deletes a resource and its memberships, or keeps a
// soft-deleted user in deleted_users.
func (s *Store) DeleteResource(ctx context.Context, ws, typ, id string, fn func(*store.Resource) (*store.Deletion, error)) (err error) {
	defer classify(&err)
	now := s.now().UTC().Truncate(timePrecision)
	return s.txChanges(ctx, func(tx pgx.Tx) ([]store.Change, error) {
		// Locked, so that what fn approves is what is deleted.
		cur, seq, err := getResource(ctx, tx, ws, typ, id, "FOR UPDATE")
		if err != nil {
			return nil, err
		}
		del := &store.Deletion{}
		if fn != nil {
			if del, err = fn(cur); err != nil {
				return nil, err
			}
			if del == nil {
				del = &store.Deletion{}
			}
		}
		return deleteResource(ctx, tx, ws, typ, id, cur, seq, del, now)
	})
}

// deleteResource deletes the resource cur, whose row is seq, as del says,
// in the transaction tx, and returns the changes to publish.
func deleteResource(ctx context.Context, tx pgx.Tx, ws, typ, id string, cur *store.Resource, seq int64, del *store.Deletion, now time.Time) ([]store.Change, error) {
	changes, err := applyEffects(ctx, tx, ws, now, del.Effects)
	if err != nil {
		return nil, err
	}
	if typ == schema.UserType.ID {
		if !del.PurgeAt.IsZero() {
			if err := parkUser(ctx, tx, cur, now, del.PurgeAt); err != nil {
				return nil, err
			}
		} else if err := deleteUserCredentials(ctx, tx, ws, id); err != nil {
			return nil, err
		}
		changes = append(changes, store.Change{Kind: store.ChangeUser, WorkspaceID: ws, ID: id})
	} else {
		// Its users, found before the group goes, lose it.
		more, err := groupChanges(ctx, tx, ws, seq, true, nil)
		if err != nil {
			return nil, err
		}
		changes = append(changes, more...)
	}
	if _, err := tx.Exec(ctx, `DELETE FROM resources WHERE seq = $1`, seq); err != nil {
		return nil, fmt.Errorf("delete %s: %w", typ, err)
	}
	return changes, nil
}

// listSQL is the statements that answer a listing: count for the total,
// page for the resources on the page.
type listSQL struct {
	count     string
	countArgs []any
	page      string
	pageArgs  []any
}

// listQuery returns the statements that list the resources of type typ
// in workspace ws that q selects.
func (s *Store) listQuery(ws, typ string, q store.Query) (listSQL, error) {
	rt := schema.UserType
	if typ == schema.GroupType.ID {
		rt = schema.GroupType
	}
	where := "r.workspace_id = $1 AND r.type = $2"
	args := []any{ws, typ}
	if q.Filter != nil {
		cond, fargs, err := sqlquery.Filter(s.d, rt, q.Filter, len(args))
		if err != nil {
			return listSQL{}, err
		}
		where += " AND " + cond
		args = append(args, fargs...)
	}
	l := listSQL{count: `SELECT count(*) FROM resources r WHERE ` + where, countArgs: args}
	order := sqlquery.OrderBy(s.d, rt, q.SortBy, q.Descending)
	// LIMIT and OFFSET are arguments, so that the statement's text, which
	// pgx prepares and caches per connection, is the same on every page.
	var limit string
	pageArgs := slices.Clip(args)
	arg := func(v any) string {
		pageArgs = append(pageArgs, v)
		return "$" + strconv.Itoa(len(pageArgs))
	}
	if q.Cursor != nil {
		if q.SortBy != nil {
			return l, fmt.Errorf("cursor paging with sortBy: %w", store.ErrInvalidCursor)
		}
		after, err := sqlquery.DecodeCursor(*q.Cursor)
		if err != nil {
			return l, err
		}
		op := ">"
		if q.Descending {
			op = "<"
			if after == 0 {
				after = 1 << 62
			}
		}
		where += " AND r.seq " + op + " " + arg(after)
		limit = " LIMIT " + arg(int64(q.Count+1))
	} else {
		limit = " LIMIT " + arg(int64(max(q.Count, 0))) + " OFFSET " + arg(int64(max(q.Offset, 0)))
	}
	l.page = `SELECT ` + resourceColumns + ` FROM resources r WHERE ` + where + ` ORDER BY ` + order + limit
	l.pageArgs = pageArgs
	return l, nil
}

// ListResources returns one page of the resources matching q.
func (s *Store) ListResources(ctx context.Context, ws, typ string, q store.Query) (page store.Page, err error) {
	defer classify(&err)
	l, err := s.listQuery(ws, typ, q)
	if err != nil {
		return page, err
	}
	if err := s.pool.QueryRow(ctx, l.count, l.countArgs...).Scan(&page.Total); err != nil {
		return page, fmt.Errorf("count %s: %w", typ, err)
	}
	if q.Count <= 0 || page.Total == 0 || q.Cursor == nil && q.Offset >= page.Total {
		return page, nil
	}
	rows, err := s.pool.Query(ctx, l.page, l.pageArgs...)
	if err != nil {
		return page, fmt.Errorf("list %s: %w", typ, err)
	}
	var seqs []int64
	for rows.Next() {
		r, seq, err := scanResource(rows, ws)
		if err != nil {
			rows.Close()
			return page, fmt.Errorf("list %s: %w", typ, err)
		}
		page.Resources = append(page.Resources, r)
		seqs = append(seqs, seq)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return page, fmt.Errorf("list %s: %w", typ, err)
	}
	if q.Cursor != nil && len(page.Resources) > q.Count {
		page.Resources, seqs = page.Resources[:q.Count], seqs[:q.Count]
		page.NextCursor = sqlquery.EncodeCursor(seqs[len(seqs)-1])
	}
	if q.Load {
		if err := loadRelations(ctx, s.pool, typ, page.Resources, seqs); err != nil {
			return page, err
		}
	}
	return page, nil
}
