package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/scimd/scimd/internal/schema"
	"github.com/scimd/scimd/internal/store"
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
		return []store.Change{{Kind: store.ChangeSchemas, WorkspaceID: e.WorkspaceID, ID: e.WorkspaceID}}, nil
	})
	if s.d.IsUniqueViolation(err) {
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
		return []store.Change{{Kind: store.ChangeSchemas, WorkspaceID: ws, ID: ws}}, nil
	})
	return e, err
}
