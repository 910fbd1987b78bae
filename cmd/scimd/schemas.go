package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"

	"github.com/scimd/scimd/client/admin"
)

// schemaCommands are the commands on a workspace's extension schemas.
func schemaCommands() map[string]func(context.Context, []string, io.Writer, io.Writer) error {
	return map[string]func(context.Context, []string, io.Writer, io.Writer) error{
		"schema set":    schemaSet,
		"schema list":   schemaList,
		"schema show":   schemaShow,
		"schema delete": schemaDelete,
		"schema infer":  schemaInfer,
	}
}

const schemaSetUsage = `Usage: scimd schema set --workspace SLUG --resource-type User|Group [--required] FILE.json [flags]

Declares an extension schema for a workspace's Users or Groups, from an
RFC 7643 §7 schema document in FILE.json, or changes the declaration with
its URN (the document's id), whose resource type cannot change. The
workspace's identity providers may then send attributes under the URN,
which scimd validates, stores, returns and filters on as it does core
attributes. With --required, resources of the type must carry the
extension.

Adding attributes changes nothing stored. Values of an attribute no
longer declared, or no longer of its declared type, stay stored but are
neither returned nor filterable, and come back if it is declared again
as it was; the command says which.

Example:
  scimd schema set --workspace acme --resource-type User acme-user.json
`

func schemaSet(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("schema set", schemaSetUsage, stderr)
	f := newCommandFlags(fs, onWorkspace, jsonUsage)
	rt := fs.String("resource-type", "", "the resource type the schema extends: User or Group")
	required := fs.Bool("required", false, "refuse resources of the type without the extension")
	pos, err := parseArgs(fs, args)
	if err != nil {
		return err
	}
	if f.slug == "" || *rt == "" || len(pos) != 1 {
		return errors.New("usage: scimd schema set --workspace SLUG --resource-type User|Group [--required] FILE.json")
	}
	doc, err := os.ReadFile(pos[0])
	if err != nil {
		return err
	}
	if !json.Valid(doc) {
		return fmt.Errorf("%s is not JSON: give an RFC 7643 §7 schema document", pos[0])
	}
	defer f.close()
	api, err := f.client(ctx)
	if err != nil {
		return err
	}
	e, err := api.SetSchema(ctx, f.slug, admin.SchemaExtensionSet{ResourceType: *rt, Required: *required, Schema: doc})
	if err != nil {
		return cliError(err)
	}
	if f.asJSON {
		return printJSON(stdout, e)
	}
	verb := "declared"
	if !e.Created.Equal(e.Updated) {
		verb = "changed"
	}
	fmt.Fprintf(stdout, "%s %s for %s of workspace %s%s\n", verb, e.URN, e.ResourceType, f.slug, map[bool]string{true: " (required)"}[e.Required])
	for _, n := range e.Notes {
		fmt.Fprintf(stdout, "note: %s\n", n)
	}
	return nil
}

const schemaListUsage = `Usage: scimd schema list --workspace SLUG [--json] [flags]

Lists the extension schemas declared for a workspace, by resource type
and URN, with their attributes.

Example:
  scimd schema list --workspace acme
`

func schemaList(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("schema list", schemaListUsage, stderr)
	f := newCommandFlags(fs, onWorkspace, jsonUsage)
	pos, err := parseArgs(fs, args)
	if err != nil {
		return err
	}
	if f.slug == "" || len(pos) > 0 {
		return errors.New("usage: scimd schema list --workspace SLUG [--json]")
	}
	defer f.close()
	api, err := f.client(ctx)
	if err != nil {
		return err
	}
	l, err := api.Schemas(ctx, f.slug)
	if err != nil {
		return cliError(err)
	}
	if f.asJSON {
		return printJSON(stdout, l)
	}
	tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "RESOURCE TYPE\tURN\tREQUIRED\tATTRIBUTES\tUPDATED")
	for _, e := range l.Schemas {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", e.ResourceType, e.URN, yesNo(e.Required), list(attributeNames(e)), formatWhen(&e.Updated))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if len(l.Schemas) == 0 {
		fmt.Fprintln(stdout, "(no extension schema is declared)")
	}
	return nil
}

// attributeNames lists a declaration's attributes, with the
// sub-attributes of complex ones: licenses.sku.
func attributeNames(e admin.SchemaExtension) []string {
	type attr struct {
		Name          string `json:"name"`
		SubAttributes []attr `json:"subAttributes"`
	}
	var doc struct{ Attributes []attr }
	json.Unmarshal(e.Schema, &doc)
	var names []string
	for _, a := range doc.Attributes {
		names = append(names, a.Name)
		for _, s := range a.SubAttributes {
			names = append(names, a.Name+"."+s.Name)
		}
	}
	return names
}

const schemaShowUsage = `Usage: scimd schema show --workspace SLUG URN [flags]

Shows an extension schema declared for a workspace: its resource type,
whether it is required, and its schema document as scimd reads it, every
characteristic spelt out.

Example:
  scimd schema show --workspace acme urn:ietf:params:scim:schemas:extension:acme:2.0:User
`

func schemaShow(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("schema show", schemaShowUsage, stderr)
	f := newCommandFlags(fs, onWorkspace, jsonUsage)
	pos, err := parseArgs(fs, args)
	if err != nil {
		return err
	}
	if f.slug == "" || len(pos) != 1 {
		return errors.New("usage: scimd schema show --workspace SLUG URN")
	}
	defer f.close()
	api, err := f.client(ctx)
	if err != nil {
		return err
	}
	e, err := api.Schema(ctx, f.slug, pos[0])
	if err != nil {
		return cliError(err)
	}
	if f.asJSON {
		return printJSON(stdout, e)
	}
	fmt.Fprintf(stdout, "urn:            %s\nresource type:  %s\nrequired:       %s\ndeclared:       %s\nupdated:        %s\nschema:\n",
		e.URN, e.ResourceType, yesNo(e.Required), formatWhen(&e.Created), formatWhen(&e.Updated))
	var b strings.Builder
	enc := json.NewEncoder(&b)
	enc.SetIndent("", "  ")
	var doc any
	json.Unmarshal(e.Schema, &doc)
	enc.Encode(doc)
	_, err = io.WriteString(stdout, b.String())
	return err
}

const schemaDeleteUsage = `Usage: scimd schema delete --workspace SLUG URN [flags]

Deletes the declaration of an extension schema. Values stored under its
URN are kept, neither returned nor filterable, and come back if it is
declared again.

Example:
  scimd schema delete --workspace acme urn:ietf:params:scim:schemas:extension:acme:2.0:User
`

func schemaDelete(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("schema delete", schemaDeleteUsage, stderr)
	f := newCommandFlags(fs, onWorkspace, "")
	pos, err := parseArgs(fs, args)
	if err != nil {
		return err
	}
	if f.slug == "" || len(pos) != 1 {
		return errors.New("usage: scimd schema delete --workspace SLUG URN")
	}
	defer f.close()
	api, err := f.client(ctx)
	if err != nil {
		return err
	}
	if err := api.DeleteSchema(ctx, f.slug, pos[0]); err != nil {
		return cliError(err)
	}
	fmt.Fprintf(stdout, "deleted %s of workspace %s; values stored under it are kept\n", pos[0], f.slug)
	return nil
}

const schemaInferUsage = `Usage: scimd schema infer --workspace SLUG [--resource-type User|Group] [URN] [flags]

Proposes a declaration for each extension the workspace's users (or
groups) carry without one, kept as sent with the workspace's setting
undeclaredExtensions=keep: an RFC 7643 §7 schema document made from the
values of the newest 1,000 resources of the type, ready for scimd schema
set. Each attribute is multiValued if a value of it is an array, complex
with the sub-attributes seen if a value is an object, and otherwise of
the type its values share: boolean, integer, decimal, dateTime or string
(also where values of several types were seen, as its description says).
Review it, then declare it.

With a URN, or when one extension is found, the document alone is
printed; with several, one after another, each to be saved to its own
file.

Example:
  scimd schema infer --workspace acme urn:ietf:params:scim:schemas:extension:acme:2.0:User > acme-user.json
  scimd schema set --workspace acme --resource-type User acme-user.json
`

func schemaInfer(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("schema infer", schemaInferUsage, stderr)
	var f clientFlags
	f.register(fs)
	slug := fs.String("workspace", "", "workspace slug")
	rt := fs.String("resource-type", "", "only extensions of User or Group")
	asJSON := fs.Bool("json", false, "print the admin API's JSON")
	pos, err := parseArgs(fs, args)
	if err != nil {
		return err
	}
	if *slug == "" || len(pos) > 1 {
		return errors.New("usage: scimd schema infer --workspace SLUG [--resource-type User|Group] [URN]")
	}
	urn := ""
	if len(pos) == 1 {
		urn = pos[0]
	}
	defer f.close()
	api, err := f.client(ctx)
	if err != nil {
		return err
	}
	l, err := api.InferSchemas(ctx, *slug, *rt, urn)
	if err != nil {
		return cliError(err)
	}
	if *asJSON {
		return printJSON(stdout, l)
	}
	switch {
	case len(l.Schemas) == 0 && urn != "":
		return fmt.Errorf("the newest resources of workspace %s carry no attribute under %s without its declaration (URNs are compared as spelt)", *slug, urn)
	case len(l.Schemas) == 0:
		return fmt.Errorf("the newest resources of workspace %s carry no extension without its declaration; is its undeclaredExtensions keep?", *slug)
	}
	for _, u := range l.Schemas {
		if len(l.Schemas) > 1 {
			fmt.Fprintf(stderr, "%s (%s): carried by %d of the %d newest resources\n", u.URN, u.ResourceType, u.Resources, u.Sampled)
		}
		var b bytes.Buffer
		if err := json.Indent(&b, u.Schema, "", "  "); err != nil {
			return err
		}
		b.WriteByte('\n')
		if _, err := b.WriteTo(stdout); err != nil {
			return err
		}
	}
	return nil
}
