package sqlstore

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/scimd/scimd/internal/schema"
	"github.com/scimd/scimd/internal/store"
	"github.com/scimd/scimd/internal/store/sqlquery"
)

const schemaExtCols = `workspace_id, resource_type, required, document, created, updated`

func scanSchemaExt(sc scanner) (store.SchemaExtension, error) {
	var e store.SchemaExtension
	var doc []byte
	if err := sc.Scan(&e.WorkspaceID, &e.ResourceType, &e.Required, &doc, scanTime{&e.Created}, scanTime{&e.Updated}); err != nil {
		return e, err
	}
	e.Schema = new(schema.Schema)
	if err := json.Unmarshal(doc, e.Schema); err != nil {
		return e, fmt.Errorf("schema document: %w", err)
	}
	return e, nil
}

// PutSchemaExtension implements store.SchemaStore.
func (s *Store) PutSchemaExtension(ctx context.Context, e store.SchemaExtension) (store.SchemaExtension, *store.SchemaExtension, error) {
	doc, err := json.Marshal(e.Schema)
	if err != nil {
		return e, nil, fmt.Errorf("schema document: %w", err)
	}
	var old *store.SchemaExtension
	urn := e.Schema.ID
	err = s.txChanges(ctx, func(tx Conn) ([]store.Change, error) {
		old = nil
		now := s.now()
		e.Created, e.Updated = now, now
		prev, err := scanSchemaExt(tx.QueryRowContext(ctx, `SELECT `+schemaExtCols+` FROM schema_extensions WHERE workspace_id = ? AND urn_key = ?`+tx.lock("FOR UPDATE"),
			e.WorkspaceID, strings.ToLower(urn)))
		switch {
		case errors.Is(err, sql.ErrNoRows):
		case err != nil:
			return nil, err
		case prev.ResourceType != e.ResourceType:
			return nil, fmt.Errorf("schema %s is declared for %s: %w", prev.Schema.ID, prev.ResourceType, store.ErrAlreadyExists)
		default:
			old, e.Created = &prev, prev.Created
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO schema_extensions (workspace_id, urn_key, resource_type, required, document, created, updated) VALUES (?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT (workspace_id, urn_key) DO UPDATE SET required = excluded.required, document = excluded.document, updated = excluded.updated`,
			e.WorkspaceID, strings.ToLower(urn), e.ResourceType, e.Required, doc, tx.time(e.Created), tx.time(e.Updated)); err != nil {
			return nil, err
		}
		if err := syncIndexes(ctx, tx, old, &e); err != nil {
			return nil, err
		}
		return []store.Change{{Kind: store.ChangeSchemas, WorkspaceID: e.WorkspaceID, ID: e.WorkspaceID}}, nil
	})
	var taken *store.ValueTakenError
	if !errors.As(err, &taken) && s.d.IsUniqueViolation(err) {
		// A concurrent declaration of the URN for another type.
		err = fmt.Errorf("schema %s: %w", urn, store.ErrAlreadyExists)
	}
	if err != nil {
		return e, nil, fmt.Errorf("declare schema %s: %w", urn, err)
	}
	return e, old, nil
}

// SchemaExtensions implements store.SchemaStore.
func (s *Store) SchemaExtensions(ctx context.Context, ws string) ([]store.SchemaExtension, error) {
	es, err := collect(ctx, s.Read(), "schema extensions", scanSchemaExt, `SELECT `+schemaExtCols+` FROM schema_extensions WHERE workspace_id = ? ORDER BY resource_type, urn_key`, ws)
	if err != nil {
		return nil, err
	}
	if es == nil {
		es = []store.SchemaExtension{}
	}
	return es, nil
}

// DeleteSchemaExtension implements store.SchemaStore.
func (s *Store) DeleteSchemaExtension(ctx context.Context, ws, urn string) (store.SchemaExtension, error) {
	var e store.SchemaExtension
	err := s.txChanges(ctx, func(tx Conn) ([]store.Change, error) {
		var err error
		e, err = scanSchemaExt(tx.QueryRowContext(ctx, `DELETE FROM schema_extensions WHERE workspace_id = ? AND urn_key = ? RETURNING `+schemaExtCols,
			ws, strings.ToLower(urn)))
		if err != nil {
			return nil, rowErr(err, "schema %s", urn)
		}
		if err := syncIndexes(ctx, tx, &e, nil); err != nil {
			return nil, err
		}
		return []store.Change{{Kind: store.ChangeSchemas, WorkspaceID: ws, ID: ws}}, nil
	})
	return e, err
}

// A declaration makes, in the transaction that stores it, an index on
// the value of each attribute sqlquery.IndexedAttributes lists, as eq
// compares it (sqlquery.Key), partial to the workspace and resource type
// of the declaration; changing or deleting the declaration drops those it
// no longer needs. The filter compiler writes the same expression, so
// the planners find a value of the attribute in its index, and
// sqlquery.Narrowing counts such comparisons as answered by an index.
//
// For an attribute declared unique (uniqueness "server") the index is
// unique: the database keeps its values unique, as userName's, so
// concurrent writes cannot both take a value, whatever the isolation.

// uniquePrefix begins the name of every unique index, indexPrefix that
// of the others.
const (
	uniquePrefix = "ext_unique_"
	indexPrefix  = "ext_index_"
)

var uniqueName = regexp.MustCompile(uniquePrefix + `[0-9a-f]{16}`)

// extIndexes returns the indexes e needs, by name, with the attribute
// each is on. A name is the same for the same workspace, type, URN and
// attribute, and changes with what decides the index's expression and
// uniqueness, so that a declaration retyping an attribute replaces it.
func extIndexes(e store.SchemaExtension) map[string]*schema.Attribute {
	out := map[string]*schema.Attribute{}
	for _, a := range sqlquery.IndexedAttributes(e.Schema) {
		prefix := indexPrefix
		if a.Uniqueness != schema.None {
			prefix = uniquePrefix
		}
		h := sha256.Sum256([]byte(e.WorkspaceID + "\x00" + e.ResourceType + "\x00" + strings.ToLower(e.Schema.ID) + "\x00" + strings.ToLower(a.Name) +
			"\x00" + string(a.Type) + "\x00" + strconv.FormatBool(a.CaseExact)))
		out[prefix+hex.EncodeToString(h[:8])] = a
	}
	return out
}

// syncIndexes drops the indexes of old (nil for none) that e (nil for
// none) does not need and makes those it needs, in tx. A value two
// resources share already fails a unique one with a
// *store.ValueTakenError.
func syncIndexes(ctx context.Context, tx Conn, old *store.SchemaExtension, e *store.SchemaExtension) error {
	var have, want map[string]*schema.Attribute
	if old != nil {
		have = extIndexes(*old)
	}
	if e != nil {
		want = extIndexes(*e)
	}
	for name := range have {
		if _, ok := want[name]; !ok {
			if _, err := tx.ExecContext(ctx, `DROP INDEX IF EXISTS `+name); err != nil {
				return fmt.Errorf("drop index %s: %w", name, err)
			}
		}
	}
	for name, a := range want {
		if _, ok := have[name]; ok {
			continue
		}
		unique := ""
		if strings.HasPrefix(name, uniquePrefix) {
			unique = "UNIQUE "
		}
		key := sqlquery.Key(tx.s.d, schema.Path{Schema: e.Schema, Attr: a, Extension: true})
		_, err := tx.ExecContext(ctx, `CREATE `+unique+`INDEX IF NOT EXISTS `+name+` ON resources ((`+key+`)) WHERE workspace_id = `+sqlquery.Quote(e.WorkspaceID)+` AND type = `+sqlquery.Quote(e.ResourceType))
		if tx.s.d.IsUniqueViolation(err) {
			return fmt.Errorf("%s cannot be unique, as resources share values of it: %w", a.Name, &store.ValueTakenError{Attribute: a.Name})
		}
		if err != nil {
			return fmt.Errorf("create index %s: %w", name, err)
		}
	}
	return nil
}

// valueTaken turns the unique violation err of a write to a resource
// into a *store.ValueTakenError when one of the indexes of
// syncIndexes refused it, with the index's name for the attribute's
// until nameTaken, outside the transaction, names the attribute; else it
// returns nil.
func valueTaken(err error) *store.ValueTakenError {
	if name := uniqueName.FindString(err.Error()); name != "" {
		return &store.ValueTakenError{Attribute: name}
	}
	return nil
}

// nameTaken names the attribute of a *store.ValueTakenError of valueTaken
// in err, from the declarations of workspace ws, and returns err. It reads
// them after the write's transaction, which the violation may have ended,
// and whose connection it must not wait for another beside.
func (s *Store) nameTaken(ctx context.Context, ws string, err error) error {
	var vt *store.ValueTakenError
	if !errors.As(err, &vt) || !strings.HasPrefix(vt.Attribute, uniquePrefix) {
		return err
	}
	if es, rerr := s.SchemaExtensions(ctx, ws); rerr == nil {
		for _, e := range es {
			if a := extIndexes(e)[vt.Attribute]; a != nil {
				vt.Attribute = a.Name
				return err
			}
		}
	}
	vt.Attribute = "value declared unique"
	return err
}
