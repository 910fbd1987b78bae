package sqlstore

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/scimd/scimd/internal/schema"
	"github.com/scimd/scimd/internal/store"
	"github.com/scimd/scimd/internal/store/sqlquery"
)

// row holds the indexed columns derived from a resource's document.
type row struct {
	name, nameKey string
	displayName   sql.NullString
	externalID    sql.NullString
	active        sql.NullBool
	doc           []byte
}

// counts reports whether a user takes a seat: active, or not said.
func (r row) counts() bool { return !r.active.Valid || r.active.Bool }

func derive(typ string, doc map[string]any) (row, error) {
	var r row
	str := func(k string) string { s, _ := doc[k].(string); return s }
	switch typ {
	case schema.UserType.ID:
		r.name = str("userName")
		if s := str("displayName"); s != "" {
			r.displayName = sql.NullString{String: s, Valid: true}
		}
		if b, ok := doc["active"].(bool); ok {
			r.active = sql.NullBool{Bool: b, Valid: true}
		}
	case schema.GroupType.ID:
		r.name = str("displayName")
		r.displayName = sql.NullString{String: r.name, Valid: true}
	default:
		return r, fmt.Errorf("unknown resource type %q", typ)
	}
	r.nameKey = sqlquery.Fold(r.name)
	if s := str("externalId"); s != "" {
		r.externalID = sql.NullString{String: s, Valid: true}
	}
	var err error
	r.doc, err = json.Marshal(doc)
	return r, err
}

// CreateResource stores a new resource.
func (s *Store) CreateResource(ctx context.Context, r *store.Resource, fx store.Effects) error {
	d, err := derive(r.Type, r.Doc)
	if err != nil {
		return err
	}
	now := s.now()
	err = s.txChanges(ctx, func(tx Conn) ([]store.Change, error) {
		changes, err := createResource(ctx, tx, r, d, now)
		if err != nil {
			return nil, err
		}
		more, err := applyEffects(ctx, tx, r.WorkspaceID, now, fx)
		return append(changes, more...), err
	})
	return s.nameTaken(ctx, r.WorkspaceID, err)
}

func createResource(ctx context.Context, tx Conn, r *store.Resource, d row, now time.Time) ([]store.Change, error) {
	var changes []store.Change
	err := func() error {
		if r.Type == schema.UserType.ID {
			if err := invitedUserTaken(ctx, tx, r.WorkspaceID, d.nameKey); err != nil {
				return err
			}
		}
		seq, err := insertResource(ctx, tx, r, d, 1, now, now)
		if err != nil {
			return err
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
				if err := checkSeats(ctx, tx, r.WorkspaceID); err != nil {
					return err
				}
			}
		}
		r.Version, r.Created, r.LastModified = 1, now, now
		return nil
	}()
	return changes, err
}

// insertResource inserts the row of r, with the indexed columns d, and
// for a User its emails, and returns its seq.
func insertResource(ctx context.Context, tx Conn, r *store.Resource, d row, version int64, created, now time.Time) (int64, error) {
	var seq int64
	err := tx.QueryRowContext(ctx, `INSERT INTO resources (id, workspace_id, type, name, name_key, display_name, external_id, active, version, created, last_modified, doc, app_display_name)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING seq`,
		r.ID, r.WorkspaceID, r.Type, d.name, d.nameKey, d.displayName, d.externalID, d.active, version, tx.time(created), tx.time(now), d.doc, r.AppDisplayName).Scan(&seq)
	if tx.s.d.IsUniqueViolation(err) {
		if taken := valueTaken(err); taken != nil {
			return 0, fmt.Errorf("%s %q: %w", r.Type, d.name, taken)
		}
		return 0, fmt.Errorf("%s %q: %w", r.Type, d.name, store.ErrAlreadyExists)
	}
	if err != nil {
		return 0, fmt.Errorf("insert %s: %w", r.Type, err)
	}
	if r.Type == schema.UserType.ID {
		return seq, writeEmails(ctx, tx, seq, r.WorkspaceID, emailKeys(r.Doc), false)
	}
	return seq, nil
}

// decodeDoc decodes a stored document, with numbers as json.Number.
func decodeDoc(b []byte) (map[string]any, error) {
	var doc map[string]any
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	err := dec.Decode(&doc)
	return doc, err
}

// emailKey is a User's email value and type, folded, as kept in the
// emails table; NULL for no value or type.
type emailKey struct{ value, typ sql.NullString }

func emailKeys(doc map[string]any) []emailKey {
	var keys []emailKey
	list, _ := doc["emails"].([]any)
	for _, x := range list {
		m, _ := x.(map[string]any)
		var k emailKey
		if v, ok := m["value"].(string); ok {
			k.value = sql.NullString{String: sqlquery.Fold(v), Valid: true}
		}
		if t, ok := m["type"].(string); ok {
			k.typ = sql.NullString{String: sqlquery.Fold(t), Valid: true}
		}
		keys = append(keys, k)
	}
	return keys
}

// writeEmails stores the email keys of the user of seq, in place of
// those it had with replace.
func writeEmails(ctx context.Context, tx Conn, seq int64, ws string, keys []emailKey, replace bool) error {
	if replace {
		if _, err := tx.ExecContext(ctx, `DELETE FROM emails WHERE resource_seq = ?`, seq); err != nil {
			return fmt.Errorf("delete emails: %w", err)
		}
	}
	if len(keys) == 0 {
		return nil
	}
	// One statement for all, with a row of arguments each: a user has
	// few emails, so the statements of every count stay prepared.
	args := make([]any, 0, 4*len(keys))
	for _, k := range keys {
		args = append(args, seq, ws, k.value, k.typ)
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO emails (resource_seq, workspace_id, value_key, type_key) VALUES `+
		strings.Repeat(`(?, ?, ?, ?), `, len(keys)-1)+`(?, ?, ?, ?)`, args...); err != nil {
		return fmt.Errorf("insert emails: %w", err)
	}
	return nil
}

// addMembers adds members by id and returns those that were not members
// already, in the order of ids. Each must be a resource of the workspace
// other than the group itself.
func addMembers(ctx context.Context, tx Conn, ws string, groupSeq int64, groupID string, ids []string) ([]member, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	if slices.Contains(ids, groupID) {
		return nil, fmt.Errorf("group %q cannot be a member of itself: %w", groupID, store.ErrInvalidMember)
	}
	found, err := collect(ctx, tx, "add members", scanMember, `SELECT seq, id, type = 'Group' FROM resources
		WHERE workspace_id = ? AND id IN (SELECT value FROM `+tx.s.d.List("text")+`)`, ws, tx.list(ids))
	if err != nil {
		return nil, err
	}
	byID := make(map[string]member, len(found))
	for _, m := range found {
		byID[m.ID] = m
	}
	seqs := make([]int64, 0, len(byID))
	for _, id := range ids {
		m, ok := byID[id]
		if !ok {
			return nil, fmt.Errorf("member %q does not exist: %w", id, store.ErrInvalidMember)
		}
		seqs = append(seqs, m.Seq)
	}
	// WHERE true tells SQLite's parser that ON CONFLICT is the upsert's.
	inserted := make(map[int64]bool, len(seqs))
	_, err = collect(ctx, tx, "add members", func(sc scanner) (seq int64, err error) {
		err = sc.Scan(&seq)
		inserted[seq] = true
		return seq, err
	}, `INSERT INTO members (group_seq, member_seq) SELECT ?, value FROM `+tx.s.d.List("bigint")+` WHERE true
		ON CONFLICT DO NOTHING RETURNING member_seq`, groupSeq, tx.list(seqs))
	if tx.s.d.IsForeignKeyViolation(err) {
		// A member was deleted since it was looked up.
		return nil, fmt.Errorf("add members: %w", store.ErrInvalidMember)
	}
	if err != nil {
		return nil, err
	}
	var added []member
	for _, id := range ids {
		if m := byID[id]; inserted[m.Seq] {
			added = append(added, m)
			delete(inserted, m.Seq)
		}
	}
	return added, nil
}

// scanMember scans a member's seq, id and whether it is a group.
func scanMember(sc scanner) (m member, err error) {
	err = sc.Scan(&m.Seq, &m.ID, &m.Group)
	return m, err
}

// removeMembers removes members by id and returns those that were
// members.
func removeMembers(ctx context.Context, tx Conn, ws string, groupSeq int64, ids []string) ([]member, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	return collect(ctx, tx, "remove members", scanMember, `DELETE FROM members WHERE group_seq = ? AND member_seq IN (
			SELECT seq FROM resources WHERE workspace_id = ? AND id IN (SELECT value FROM `+tx.s.d.List("text")+`))
		RETURNING member_seq, (SELECT id FROM resources WHERE seq = member_seq), (SELECT type = 'Group' FROM resources WHERE seq = member_seq)`,
		groupSeq, ws, tx.list(ids))
}

// changeMembers makes the member change mc, if not nil, to a group and
// returns the members it added or removed in fact.
func changeMembers(ctx context.Context, tx Conn, ws string, groupSeq int64, groupID string, mc *store.MemberChange) ([]member, error) {
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
func replaceMembers(ctx context.Context, tx Conn, ws string, groupSeq int64, groupID string, ids []string) ([]member, error) {
	old, err := collect(ctx, tx, "clear members", func(sc scanner) (m member, err error) {
		err = sc.Scan(&m.Seq)
		return m, err
	}, `DELETE FROM members WHERE group_seq = ? RETURNING member_seq`, groupSeq)
	if err != nil {
		return nil, err
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
	ms, err := collect(ctx, tx, "removed members", scanMember, `SELECT seq, id, type = 'Group' FROM resources WHERE seq IN (SELECT value FROM `+tx.s.d.List("bigint")+`)`, tx.list(gone))
	if err != nil {
		return nil, err
	}
	bySeq := make(map[int64]member, len(ms))
	for _, m := range ms {
		bySeq[m.Seq] = m
	}
	for i, m := range delta {
		if m.ID == "" {
			delta[i] = bySeq[m.Seq]
		}
	}
	return delta, nil
}

const resourceColumns = `r.seq, r.id, r.type, r.version, r.created, r.last_modified, r.doc, r.app_display_name`

func scanResource(sc scanner, ws string, extra ...any) (*store.Resource, int64, error) {
	return scanResourceUnless(sc, ws, nil, extra...)
}

// scanResourceUnless is scanResource, leaving the document undecoded
// (nil) if held says the caller holds the resource at its version.
func scanResourceUnless(sc scanner, ws string, held func(string, int64) bool, extra ...any) (*store.Resource, int64, error) {
	var (
		r   store.Resource
		seq int64
		doc []byte
	)
	if err := sc.Scan(append([]any{&seq, &r.ID, &r.Type, &r.Version, scanTime{&r.Created}, scanTime{&r.LastModified}, &doc, &r.AppDisplayName}, extra...)...); err != nil {
		return nil, 0, err
	}
	r.WorkspaceID = ws
	if held != nil && held(r.ID, r.Version) {
		return &r, seq, nil
	}
	var err error
	if r.Doc, err = decodeDoc(doc); err != nil {
		return nil, 0, fmt.Errorf("decode %s %s: %w", r.Type, r.ID, err)
	}
	return &r, seq, nil
}

// getResource reads a resource, locked until the commit with lock (a
// strength for Dialect.Lock) if not "".
func getResource(ctx context.Context, q Conn, ws, typ, id, lock string) (*store.Resource, int64, error) {
	row := q.QueryRowContext(ctx, `SELECT `+resourceColumns+` FROM resources r WHERE r.workspace_id = ? AND r.id = ? AND r.type = ?`+q.lock(lock), ws, id, typ)
	r, seq, err := scanResource(row, ws)
	return r, seq, rowErr(err, "%s %q", typ, id)
}

// Resource returns one resource.
func (s *Store) Resource(ctx context.Context, ws, typ, id string, load bool) (*store.Resource, error) {
	if load && typ == schema.UserType.ID {
		return getUserWithGroups(ctx, s.Read(), ws, id)
	}
	r, seq, err := getResource(ctx, s.Read(), ws, typ, id, "")
	if err != nil {
		return nil, err
	}
	if load {
		if err := loadRelations(ctx, s.Read(), typ, []*store.Resource{r}, []int64{seq}); err != nil {
			return nil, err
		}
	}
	return r, nil
}

// userWithGroups reads a user and its groups in one statement: reading
// one user is the commonest request there is.
func userWithGroups(d Dialect) string {
	return `SELECT ` + resourceColumns + `, (
		WITH RECURSIVE up(g, d) AS (
			SELECT group_seq, 1 FROM members WHERE member_seq = r.seq
			UNION SELECT m.group_seq, 0 FROM up JOIN members m ON m.member_seq = up.g)
		SELECT ` + d.JSONAgg(d.JSONArray("e.id, COALESCE(e.display_name, e.name), x.direct"), "e.seq") + `
		FROM (SELECT g, max(d) AS direct FROM up GROUP BY g) AS x JOIN resources e ON e.seq = x.g)
	FROM resources r WHERE r.workspace_id = ? AND r.id = ? AND r.type = 'User'`
}

func getUserWithGroups(ctx context.Context, q Conn, ws, id string) (*store.Resource, error) {
	var groups []byte
	r, _, err := scanResource(q.QueryRowContext(ctx, q.s.userWithGroups, ws, id), ws, &groups)
	if err != nil {
		return nil, rowErr(err, "%s %q", schema.UserType.ID, id)
	}
	var list [][3]any // id, display, direct
	if err := unmarshalAgg(groups, &list); err != nil {
		return nil, fmt.Errorf("get user groups: %w", err)
	}
	for _, g := range list {
		id, _ := g[0].(string)
		display, _ := g[1].(string)
		direct, _ := g[2].(float64)
		r.Groups = append(r.Groups, store.GroupRef{Value: id, Display: display, Direct: direct == 1})
	}
	return r, nil
}

// loadRelations reads the members of groups or the groups of users, for a
// page of resources in one query.
func loadRelations(ctx context.Context, q Conn, typ string, rs []*store.Resource, seqs []int64) error {
	if len(rs) == 0 {
		return nil
	}
	bySeq := make(map[int64]*store.Resource, len(rs))
	for i, seq := range seqs {
		bySeq[seq] = rs[i]
	}
	// The seqs go as one argument, so that one prepared statement
	// serves every page size.
	in := `(SELECT value FROM ` + q.s.d.List("bigint") + `)`
	var query string
	if typ == schema.GroupType.ID {
		for _, r := range rs {
			r.Members = []store.Member{}
		}
		query = `SELECT m.group_seq, e.id, e.type, COALESCE(e.display_name, e.name), 1
			FROM members m JOIN resources e ON e.seq = m.member_seq
			WHERE m.group_seq IN ` + in + ` ORDER BY m.group_seq, e.seq`
	} else {
		// Direct groups and the groups those are members of, transitively;
		// UNION (not UNION ALL) ends cycles.
		query = `WITH RECURSIVE up(member_seq, group_seq, direct) AS (
				SELECT member_seq, group_seq, 1 FROM members WHERE member_seq IN ` + in + `
				UNION
				SELECT up.member_seq, m.group_seq, 0 FROM up JOIN members m ON m.member_seq = up.group_seq
			)
			SELECT up.member_seq, g.id, g.type, COALESCE(g.display_name, g.name), max(up.direct)
			FROM up JOIN resources g ON g.seq = up.group_seq
			GROUP BY up.member_seq, g.seq ORDER BY up.member_seq, g.seq`
	}
	_, err := collect(ctx, q, "load relations", func(sc scanner) (seq int64, err error) {
		var (
			id, rtype, display string
			direct             bool
		)
		if err := sc.Scan(&seq, &id, &rtype, &display, &direct); err != nil {
			return 0, err
		}
		r := bySeq[seq]
		if typ == schema.GroupType.ID {
			r.Members = append(r.Members, store.Member{Value: id, Type: rtype, Display: display})
		} else {
			r.Groups = append(r.Groups, store.GroupRef{Value: id, Display: display, Direct: direct})
		}
		return seq, nil
	}, query, q.list(seqs))
	return err
}

// UpdateResource runs fn on the current resource in a transaction and
// stores its result. The resource's row stays locked from the read to the
// commit, so concurrent updates run one after the other and each sees the
// one before.
func (s *Store) UpdateResource(ctx context.Context, ws, typ, id string, load bool, fn func(*store.Resource) (*store.Update, error)) (*store.Resource, error) {
	var out *store.Resource
	now := s.now()
	err := s.txChanges(ctx, func(tx Conn) (changes []store.Change, err error) {
		out, changes, err = updateResource(ctx, tx, ws, typ, id, load, now, fn)
		return changes, err
	})
	return out, s.nameTaken(ctx, ws, err)
}

func updateResource(ctx context.Context, tx Conn, ws, typ, id string, load bool, now time.Time, fn func(*store.Resource) (*store.Update, error)) (out *store.Resource, changes []store.Change, err error) {
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
		// fn may change cur.Doc in place.
		var before []emailKey
		if typ == schema.UserType.ID {
			before = emailKeys(cur.Doc)
		}
		wasInactive, oldName := cur.Doc["active"] == false, cur.Doc["userName"]
		oldKeys := groupKeys(cur.Doc)
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
			gone.Doc, gone.Version, gone.LastModified = up.Doc, cur.Version+1, now
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
		_, err = tx.ExecContext(ctx, `UPDATE resources SET name = ?, name_key = ?, display_name = ?, external_id = ?, active = ?,
			version = version + 1, last_modified = ?, doc = ?, app_display_name = ? WHERE seq = ?`,
			d.name, d.nameKey, d.displayName, d.externalID, d.active, tx.time(now), d.doc, appName, seq)
		if tx.s.d.IsUniqueViolation(err) {
			if taken := valueTaken(err); taken != nil {
				return fmt.Errorf("%s %q: %w", typ, d.name, taken)
			}
			return fmt.Errorf("%s %q: %w", typ, d.name, store.ErrAlreadyExists)
		}
		if err != nil {
			return fmt.Errorf("update %s: %w", typ, err)
		}
		if typ == schema.UserType.ID {
			if d.name != oldName {
				if err := invitedUserTaken(ctx, tx, ws, d.nameKey); err != nil {
					return err
				}
			}
			// The email index is rewritten only when the emails
			// changed, which most updates leave alone.
			if after := emailKeys(up.Doc); !slices.Equal(after, before) {
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
func (s *Store) DeleteResource(ctx context.Context, ws, typ, id string, fn func(*store.Resource) (*store.Deletion, error)) error {
	now := s.now()
	return s.txChanges(ctx, func(tx Conn) ([]store.Change, error) {
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
func deleteResource(ctx context.Context, tx Conn, ws, typ, id string, cur *store.Resource, seq int64, del *store.Deletion, now time.Time) ([]store.Change, error) {
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
	if _, err := tx.ExecContext(ctx, `DELETE FROM resources WHERE seq = ?`, seq); err != nil {
		return nil, fmt.Errorf("delete %s: %w", typ, err)
	}
	return changes, nil
}

// ListSQL is what answers a listing: the statement that counts and the
// one that reads the page, with their arguments, and with
// Query.MaxExamined the statement that counts what the listing would
// read, up to one more than the bound.
type ListSQL struct {
	Count       string
	CountArgs   []any
	Page        string
	PageArgs    []any
	Examine     string // "" for no bound
	ExamineArgs []any

	// exact: what Examine counts is the total; narrowed: it counts what
	// the filter's indexed comparisons select; sort: the attribute of a
	// sort that reads every result, if there is one.
	exact, narrowed bool
	sort            string
}

// ListStatements returns the statements, in the dialect's SQL, that list
// the resources of type typ in workspace ws that q selects, for checking
// their plans.
func (s *Store) ListStatements(ws, typ string, q store.Query) (ListSQL, error) {
	l, err := s.listQuery(ws, typ, q)
	c := s.Read()
	l.Count, l.Page = c.sql(l.Count), c.sql(l.Page)
	if l.Examine != "" {
		l.Examine = c.sql(l.Examine)
	}
	return l, err
}

// countSQL reads the number of a workspace's resources of a type, which
// the writes keep, rather than counting them.
const countSQL = `SELECT COALESCE((SELECT n FROM resource_counts WHERE workspace_id = ? AND type = ?), 0)`

// examine sets what l.Examine counts for q: what the filter's indexed
// comparisons select, else every resource of the type.
func (s *Store) examine(l *ListSQL, rt *schema.ResourceType, ws, typ string, q store.Query) error {
	_, sorted := sqlquery.OrderKey(s.filter, rt, q.SortBy)
	if q.Filter == nil {
		if !sorted {
			l.Examine, l.ExamineArgs, l.exact, l.sort = countSQL, []any{ws, typ}, true, q.SortBy.String()
		}
		return nil
	}
	part, exact := sqlquery.Narrowing(rt, q.Filter)
	if part == nil {
		l.Examine, l.ExamineArgs = countSQL, []any{ws, typ}
		return nil
	}
	cond, args, err := sqlquery.Filter(s.filter, rt, ws, part, 2)
	if err != nil {
		return err
	}
	l.Examine = `SELECT count(*) FROM (SELECT 1 FROM resources r WHERE r.workspace_id = ? AND r.type = ? AND ` + cond + ` LIMIT ?) AS x`
	l.ExamineArgs = append(append([]any{ws, typ}, args...), int64(q.MaxExamined)+1)
	l.exact, l.narrowed = exact, true
	return nil
}

// listQuery returns the statements that list the resources of type typ in
// workspace ws that q selects.
func (s *Store) listQuery(ws, typ string, q store.Query) (ListSQL, error) {
	rt := resourceType(typ)
	if q.Type != nil && q.Type.ID == typ {
		rt = q.Type
	}
	where := "r.workspace_id = ? AND r.type = ?"
	args := []any{ws, typ}
	if q.Filter != nil {
		cond, fargs, err := sqlquery.Filter(s.filter, rt, ws, q.Filter, len(args))
		if err != nil {
			return ListSQL{}, err
		}
		where += " AND " + cond
		args = append(args, fargs...)
	}
	l := ListSQL{Count: `SELECT count(*) FROM resources r WHERE ` + where, CountArgs: args}
	if q.Filter == nil {
		l.Count = countSQL
	}
	if q.MaxExamined > 0 {
		if err := s.examine(&l, rt, ws, typ, q); err != nil {
			return l, err
		}
	}
	order := sqlquery.OrderBy(s.filter, rt, q.SortBy, q.Descending)
	// LIMIT and OFFSET are arguments, so that the statement's text, which
	// is prepared and kept, is the same on every page.
	var limit string
	args = slices.Clip(args)
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
		where += " AND r.seq " + op + " ?"
		limit = " LIMIT ?"
		args = append(args, after, int64(q.Count+1))
	} else if key, ok := sqlquery.OrderKey(s.filter, rt, q.SortBy); ok && q.Filter == nil && q.Offset > 0 {
		// Far into a listing, OFFSET would read every resource it
		// skips; the first of the page is found in the index alone.
		op, order := ">=", key
		if q.Descending {
			op, order = "<=", key+" DESC"
		}
		where += " AND " + key + " " + op + ` (SELECT ` + key + ` FROM resources r WHERE r.workspace_id = ? AND r.type = ? ORDER BY ` + order + ` LIMIT 1 OFFSET ?)`
		limit = " LIMIT ?"
		args = append(args, ws, typ, int64(q.Offset), int64(max(q.Count, 0)))
	} else {
		limit = " LIMIT ? OFFSET ?"
		args = append(args, int64(max(q.Count, 0)), int64(max(q.Offset, 0)))
	}
	l.Page = `SELECT ` + resourceColumns + ` FROM resources r WHERE ` + where + ` ORDER BY ` + order + limit
	l.PageArgs = args
	return l, nil
}

// ListResources returns one page of the resources matching q.
func (s *Store) ListResources(ctx context.Context, ws, typ string, q store.Query) (store.Page, error) {
	var page store.Page
	l, err := s.listQuery(ws, typ, q)
	if err != nil {
		return page, err
	}
	var deep *pagePos // a page far into a whole listing in an index order
	if key, ok := sqlquery.OrderKey(s.filter, resourceType(typ), q.SortBy); ok && q.Filter == nil && q.Cursor == nil && q.Offset > 0 {
		if q.Descending {
			key += " DESC"
		}
		deep = &pagePos{ws: ws, typ: typ, order: key, offset: q.Offset}
	}
	counted := false
	if l.Examine != "" {
		var n int
		if err := s.Read().QueryRowContext(ctx, l.Examine, l.ExamineArgs...).Scan(&n); err != nil {
			return page, fmt.Errorf("count %s: %w", typ, err)
		}
		if n > q.MaxExamined {
			return page, &store.TooManyError{Type: typ, Limit: q.MaxExamined, Indexed: l.narrowed, Sort: l.sort}
		}
		page.Total, counted = n, l.exact
	}
	if !counted {
		if err := s.Read().QueryRowContext(ctx, l.Count, l.CountArgs...).Scan(&page.Total); err != nil {
			return page, fmt.Errorf("count %s: %w", typ, err)
		}
	}
	if q.Count <= 0 || page.Total == 0 || q.Cursor == nil && q.Offset >= page.Total {
		return page, nil
	}
	if deep != nil {
		deep.total = page.Total
		// Elsewhere (another replica, or the listing changed size) the
		// page is found by skipping index entries: slower far in, but
		// answered, since identity providers page with startIndex.
		if after, ok := s.positions.get(*deep); ok {
			l.Page, l.PageArgs = s.pageAfter(ws, typ, q, after)
		}
	}
	held := q.Held
	if deep != nil {
		held = nil
	}
	var seqs []int64
	page.Resources, err = collect(ctx, s.Read(), "list "+typ, func(sc scanner) (*store.Resource, error) {
		r, seq, err := scanResourceUnless(sc, ws, held)
		seqs = append(seqs, seq)
		return r, err
	}, l.Page, l.PageArgs...)
	if err != nil {
		return page, err
	}
	if q.Cursor != nil && len(page.Resources) > q.Count {
		page.Resources, seqs = page.Resources[:q.Count], seqs[:q.Count]
		page.NextCursor = sqlquery.EncodeCursor(seqs[len(seqs)-1])
	}
	if deep != nil && len(page.Resources) > 0 {
		last := len(page.Resources) - 1
		var after any = seqs[last]
		if q.SortBy != nil {
			after = nameKey(page.Resources[last])
		}
		s.positions.put(pagePos{ws: ws, typ: typ, order: deep.order, offset: q.Offset + len(page.Resources), total: page.Total}, after)
	}
	if q.Load {
		rs, rseqs := page.Resources, seqs
		if held != nil {
			// The relations of what the caller holds are not read.
			rs, rseqs = nil, nil
			for i, r := range page.Resources {
				if r.Doc != nil {
					rs, rseqs = append(rs, r), append(rseqs, seqs[i])
				}
			}
		}
		if err := loadRelations(ctx, s.Read(), typ, rs, rseqs); err != nil {
			return page, err
		}
	}
	return page, nil
}

// nameKey is a resource's name_key, as derive computes it.
func nameKey(r *store.Resource) string {
	k := "userName"
	if r.Type == schema.GroupType.ID {
		k = "displayName"
	}
	name, _ := r.Doc[k].(string)
	return sqlquery.Fold(name)
}

// pageAfter returns the statement that reads the page of a whole
// listing in an index order that starts after the resource whose key is
// after.
func (s *Store) pageAfter(ws, typ string, q store.Query, after any) (string, []any) {
	key, _ := sqlquery.OrderKey(s.filter, resourceType(typ), q.SortBy)
	op, order := " > ?", key
	if q.Descending {
		op, order = " < ?", key+" DESC"
	}
	return `SELECT ` + resourceColumns + ` FROM resources r WHERE r.workspace_id = ? AND r.type = ? AND ` + key + op + ` ORDER BY ` + order + ` LIMIT ?`,
		[]any{ws, typ, after, int64(q.Count)}
}

// resourceType is the type named typ.
func resourceType(typ string) *schema.ResourceType {
	if typ == schema.GroupType.ID {
		return schema.GroupType
	}
	return schema.UserType
}

// pagePos is where a page of a whole listing in an index order (order:
// OrderKey's column, with " DESC" for descending) starts, in a listing of
// total resources.
type pagePos struct {
	ws, typ, order string
	offset, total  int
}

// pagePositions remembers the index key of the last resource of the
// pages of whole listings this store answered, so that a client reading
// a large listing page after page with startIndex gets each page from
// the index key on, as fast as the first, rather than by skipping every
// resource before it. A position is used only while the listing has the
// total it had: a listing that lost and gained as many resources between
// two pages continues after the client's last resource, which RFC 7644
// §3.4.2.4 allows of pages read while resources change.
type pagePositions struct {
	mu   sync.Mutex
	ends map[pagePos]any
}

// maxPagePositions bounds what pagePositions keeps: as many clients
// reading large listings at once.
const maxPagePositions = 4096

func (p *pagePositions) get(at pagePos) (any, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	v, ok := p.ends[at]
	return v, ok
}

func (p *pagePositions) put(at pagePos, key any) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.ends == nil || len(p.ends) >= maxPagePositions {
		p.ends = make(map[pagePos]any)
	}
	p.ends[at] = key
}
