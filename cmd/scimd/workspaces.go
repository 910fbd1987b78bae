package main

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"text/tabwriter"

	"github.com/scimd/scimd/client/admin"
	"github.com/scimd/scimd/internal/store"
	"github.com/scimd/scimd/internal/tenant"
)

// settingsJSON turns settings of the form key=value, as scimd workspace
// set takes them, into the JSON object of the settings that the admin
// API takes, with every key spelt as the API spells it. It reports every
// setting it cannot read.
func settingsJSON(settings []string) (map[string]json.RawMessage, error) {
	out := map[string]json.RawMessage{}
	var errs []error
	for _, kv := range settings {
		k, v, ok := strings.Cut(kv, "=")
		if !ok {
			errs = append(errs, fmt.Errorf("%q: want key=value", kv))
			continue
		}
		// The text forms are the tenant package's; the JSON is that of
		// the configuration with the one setting made.
		var c store.WorkspaceConfig
		if err := tenant.SetConfigValue(&c, strings.TrimSpace(k), v); err != nil {
			errs = append(errs, errors.New(strings.TrimSuffix(err.Error(), ": "+tenant.ErrInvalid.Error())))
			continue
		}
		var all map[string]json.RawMessage
		b, err := json.Marshal(c)
		if err == nil {
			err = json.Unmarshal(b, &all)
		}
		if err != nil {
			return nil, err
		}
		st, _ := tenant.LookupSetting(strings.TrimSpace(k))
		out[st.Key] = all[st.Key]
	}
	return out, errors.Join(errs...)
}

const workspaceCreateUsage = `Usage: scimd workspace create SLUG [KEY=VALUE...] [flags]

Creates a workspace with the default configuration, changed by the
settings given (see scimd workspace show -h). The slug is 1-63 lower-case
letters, digits or inner hyphens. Then mint its SCIM token with scimd
token create.

Examples:
  scimd workspace create acme
  scimd workspace create acme strictMode=true seatLimit=250
`

func workspaceCreate(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("workspace create", workspaceCreateUsage, stderr)
	f := newCommandFlags(fs, onInstallation, jsonUsage)
	f.mayCreate = true // the first workspace may come before the first serve
	pos, err := parseArgs(fs, args)
	if err != nil {
		return err
	}
	if len(pos) == 0 {
		return errors.New("usage: scimd workspace create SLUG [KEY=VALUE...]")
	}
	body := map[string]any{"slug": pos[0]}
	if len(pos) > 1 {
		cfg, err := settingsJSON(pos[1:])
		if err != nil {
			return err
		}
		body["config"] = cfg
	}
	defer f.close()
	var w admin.Workspace
	raw, err := f.do(ctx, http.MethodPost, "/workspaces", nil, body, &w)
	if err != nil {
		return err
	}
	if f.asJSON {
		return printRaw(stdout, raw)
	}
	fmt.Fprintf(stdout, "created workspace %s (%s)\n", w.Slug, w.ID)
	return nil
}

const workspaceListUsage = `Usage: scimd workspace list [--json] [flags]

Lists the workspaces by slug, with whether SCIM is enabled for each.

Examples:
  scimd workspace list
  scimd workspace list --json | jq -r '.workspaces[].slug'
`

func workspaceList(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("workspace list", workspaceListUsage, stderr)
	f := newCommandFlags(fs, onInstallation, "print the admin API's JSON, with each workspace's configuration")
	pos, err := parseArgs(fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return errors.New("usage: scimd workspace list [--json]")
	}
	defer f.close()
	var out struct {
		Workspaces []admin.Workspace `json:"workspaces"`
	}
	raw, err := f.do(ctx, http.MethodGet, "/workspaces", nil, nil, &out)
	if err != nil {
		return err
	}
	if f.asJSON {
		return printRaw(stdout, raw)
	}
	tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "SLUG\tID\tCREATED\tSCIM")
	for _, w := range out.Workspaces {
		scim := "enabled"
		if !w.Config.SCIMEnabled {
			scim = "disabled"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", w.Slug, w.ID, formatWhen(&w.Created), scim)
	}
	return tw.Flush()
}

// printConfig prints a workspace and its configuration, one setting a
// line, in the form scimd workspace set takes.
func printConfig(w io.Writer, ws admin.Workspace) error {
	fmt.Fprintf(w, "workspace %s (%s), created %s\n", ws.Slug, ws.ID, formatWhen(&ws.Created))
	// The text forms are the tenant package's, of the configuration as
	// stored, whose JSON the API's is.
	var cfg store.WorkspaceConfig
	b, err := json.Marshal(ws.Config)
	if err == nil {
		err = json.Unmarshal(b, &cfg)
	}
	if err != nil {
		return fmt.Errorf("workspace %s: %w", ws.Slug, err)
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	for _, st := range tenant.Settings() {
		v := st.Shown(cfg)
		if st.Kind() == tenant.RoleList && st.Value(cfg) == "" {
			v += " (the default)"
		}
		fmt.Fprintf(tw, "  %s\t%s\n", st.Key, v)
	}
	return tw.Flush()
}

// workspaceShowUsage is the help of workspace show, with every setting,
// what it does and its default.
func workspaceShowUsage() string {
	var b strings.Builder
	b.WriteString("Usage: scimd workspace show SLUG [--json] [flags]\n\nShows a workspace and its configuration. The settings, with their defaults:\n\n")
	tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
	def := store.DefaultWorkspaceConfig()
	for _, st := range tenant.Settings() {
		fmt.Fprintf(tw, "  %s\t%s\t%s\n", st.Key, st.Shown(def), st.Help())
	}
	tw.Flush()
	b.WriteString(`
Lists are written as scimd workspace set takes them: roles as
name:rank,... (viewer:10,admin:40), roleMappings as group:role,...
(Engineering*:developer,externalId=00g1:admin), groupAllowlist as
names or globs separated by commas.

Examples:
  scimd workspace show acme
  scimd workspace show acme --json | jq .config.seatLimit
`)
	return b.String()
}

func workspaceShow(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("workspace show", workspaceShowUsage(), stderr)
	f := newCommandFlags(fs, onInstallation, jsonUsage)
	pos, err := parseArgs(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return errors.New("usage: scimd workspace show SLUG [--json]")
	}
	defer f.close()
	var w admin.Workspace
	raw, err := f.do(ctx, http.MethodGet, admin.Path("workspaces", pos[0]), nil, nil, &w)
	if err != nil {
		return err
	}
	if f.asJSON {
		return printRaw(stdout, raw)
	}
	return printConfig(stdout, w)
}

const workspaceSetUsage = `Usage: scimd workspace set SLUG KEY=VALUE... [flags]

Changes settings of a workspace (see scimd workspace show -h for them), all
or none, and shows the result. Keys are case-insensitive; booleans are
true or false; seatLimit=none removes the limit. Every server on the
database applies the change from its next request.

Examples:
  scimd workspace set acme scimEnabled=false
  scimd workspace set acme createUsers=false seatLimit=250
  scimd workspace set acme deleteMode=hard defaultTeam=engineering defaultTeamRole=member
  scimd workspace set acme 'roleMappings=Engineering*:developer,Admins:admin' groupAllowlist='Engineering*,Admins'
`

func workspaceSet(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("workspace set", workspaceSetUsage, stderr)
	f := newCommandFlags(fs, onInstallation, jsonUsage)
	pos, err := parseArgs(fs, args)
	if err != nil {
		return err
	}
	if len(pos) < 2 {
		return fmt.Errorf("usage: scimd workspace set SLUG KEY=VALUE [KEY=VALUE]; the settings are %s", strings.Join(tenant.ConfigKeys(), ", "))
	}
	cfg, err := settingsJSON(pos[1:])
	if err != nil {
		return err
	}
	defer f.close()
	var w admin.Workspace
	raw, err := f.do(ctx, http.MethodPatch, admin.Path("workspaces", pos[0]), nil, map[string]any{"config": cfg}, &w)
	if err != nil {
		return err
	}
	if f.asJSON {
		return printRaw(stdout, raw)
	}
	return printConfig(stdout, w)
}

const workspaceResetUsage = `Usage: scimd workspace reset SLUG [flags]

Resets every setting of a workspace to its default and disables SCIM
(scimEnabled=false): its identity providers are refused until
scimd workspace set SLUG scimEnabled=true. Tokens are kept.

Example:
  scimd workspace reset acme
`

func workspaceReset(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("workspace reset", workspaceResetUsage, stderr)
	f := newCommandFlags(fs, onInstallation, jsonUsage)
	pos, err := parseArgs(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return errors.New("usage: scimd workspace reset SLUG")
	}
	defer f.close()
	raw, err := f.do(ctx, http.MethodDelete, admin.Path("workspaces", pos[0], "scim-config"), nil, nil, nil)
	if err != nil {
		return err
	}
	if f.asJSON {
		return printRaw(stdout, raw)
	}
	var w admin.Workspace
	if _, err := f.do(ctx, http.MethodGet, admin.Path("workspaces", pos[0]), nil, nil, &w); err != nil {
		return err
	}
	return printConfig(stdout, w)
}

const workspaceDeleteUsage = `Usage: scimd workspace delete SLUG --yes [flags]

Deletes a workspace with all its users, groups, tokens and webhooks. Its
tokens stop working at once on every server. It cannot be undone, hence
--yes.

Example:
  scimd workspace delete acme --yes
`

func workspaceDelete(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("workspace delete", workspaceDeleteUsage, stderr)
	f := newCommandFlags(fs, onInstallation, "")
	yes := fs.Bool("yes", false, "delete it: it cannot be undone")
	pos, err := parseArgs(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return errors.New("usage: scimd workspace delete SLUG --yes")
	}
	if !*yes {
		return fmt.Errorf("deleting workspace %s deletes its users, groups and tokens, and cannot be undone: add --yes to do it", pos[0])
	}
	defer f.close()
	if _, err := f.do(ctx, http.MethodDelete, admin.Path("workspaces", pos[0]), nil, nil, nil); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "deleted workspace %s\n", pos[0])
	return nil
}

const workspaceActivityUsage = `Usage: scimd workspace activity SLUG [--since DURATION] [--json] [flags]

Shows what provisioning does in a workspace: its SCIM requests since
--since (default 24h, at most 7d) and how many failed, and for each SCIM
token, so each identity provider, its requests, failures and last
request, with the identity provider its User-Agent names; then the SCIM
and app tokens that expire within 30 days. The requests are summed up
from the audit log.

Examples:
  scimd workspace activity acme
  scimd workspace activity acme --since 2h
`

func workspaceActivity(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("workspace activity", workspaceActivityUsage, stderr)
	f := newCommandFlags(fs, onInstallation, jsonUsage)
	since := fs.String("since", "", "the period: a duration back from now, such as 2h or 3d; default 24h")
	pos, err := parseArgs(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return errors.New("usage: scimd workspace activity SLUG [--since DURATION]")
	}
	defer f.close()
	var q url.Values
	if *since != "" {
		q = url.Values{"since": {*since}}
	}
	var a admin.Activity
	raw, err := f.do(ctx, http.MethodGet, admin.Path("workspaces", pos[0], "activity"), q, nil, &a)
	if err != nil {
		return err
	}
	if f.asJSON {
		return printRaw(stdout, raw)
	}
	fmt.Fprintf(stdout, "since %s: %d SCIM requests, %d failed\n\n", formatWhen(&a.Since), a.Requests, a.Errors)
	tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "TOKEN\tNAME\tIDP\tREQUESTS\tFAILED\tLAST REQUEST\tUSER AGENT")
	for _, t := range a.Tokens {
		last := formatWhen(&t.Last.At) + " " + t.Last.Action
		if t.Last.Status != 0 {
			last += fmt.Sprintf(" %d", t.Last.Status)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%d\t%s\t%s\n", t.TokenID, cmp.Or(t.TokenName, "-"), t.Last.IdentityProvider, t.Requests, t.Errors, last, cmp.Or(t.Last.UserAgent, "-"))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if len(a.Tokens) == 0 {
		fmt.Fprintln(stdout, "(no SCIM request)")
	}
	fmt.Fprintln(stdout, "\nexpiring within 30 days:")
	tw = tabwriter.NewWriter(stdout, 0, 0, 2, ' ', 0)
	for _, t := range a.Expiring {
		fmt.Fprintf(tw, "%s\t%s\t%s token\t%s\n", t.ID, t.Name, t.Kind, formatWhen(t.Expires))
	}
	if len(a.Expiring) == 0 {
		fmt.Fprintln(tw, "none")
	}
	return tw.Flush()
}
