package main

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/scimd/scimd/client/admin"
	"github.com/scimd/scimd/internal/duration"
)

// defaultTokenTTL is the default of --token-ttl.
const defaultTokenTTL = 365 * 24 * time.Hour

// tokenKind is one of the kinds of tokens the commands manage: what the
// commands are called, where the API keeps them, and what the help of
// create says of them.
type tokenKind struct {
	command string // "token"
	noun    string // "SCIM token"
	// workspace says whether the tokens belong to a workspace.
	workspace bool
	// path is where the API lists them.
	path func(slug string) string
	// listed is the member of the API's listing that holds them, if not
	// "tokens".
	listed          string
	about, examples string
}

var (
	scimTokens = tokenKind{
		command: "token", noun: "SCIM token", workspace: true,
		path:     func(slug string) string { return admin.Path("workspaces", slug, "tokens") },
		about:    "Give it, with the SCIM base URL, to the workspace's identity provider.",
		examples: "  scimd token create --workspace acme --name okta\n  scimd token create --workspace acme --name entra --expires 90d | tail -n1",
	}
	appTokens = tokenKind{
		command: "app-token", noun: "app token", workspace: true,
		path:     func(slug string) string { return admin.Path("workspaces", slug, "app-tokens") },
		about:    "The application uses it for the application API (/v1): issuing and\nverifying its users' API keys and sessions, reading the workspace's events.",
		examples: "  scimd app-token create --workspace acme --name backend",
	}
	// Set-up links are made by scimd workspace setup-link, which says
	// what they are; these commands list and revoke them.
	setupLinks = tokenKind{
		command: "setup-link", noun: "set-up link", workspace: true, listed: "setup_links",
		path: func(slug string) string { return admin.Path("workspaces", slug, "setup-links") },
	}
	// Admin tokens belong to the installation.
	adminTokens = tokenKind{
		command: "admin-token", noun: "admin token",
		path:     func(string) string { return "/admin-tokens" },
		about:    "Admin tokens start with scimd_admin_, belong to no workspace and are\nrefused by the SCIM endpoints, as SCIM tokens are refused by the admin API.",
		examples: "  scimd admin-token create --name ops\n  scimd admin-token create --name ci --expires 720h | tail -n1 > admin.token",
	}
)

// tokenCommands are the commands on tokens of every kind.
func tokenCommands() map[string]func(context.Context, []string, io.Writer, io.Writer) error {
	m := map[string]func(context.Context, []string, io.Writer, io.Writer) error{
		"token rotate": tokenRotate,
	}
	for _, k := range []tokenKind{scimTokens, appTokens, adminTokens} {
		m[k.command+" create"] = k.create
		m[k.command+" list"] = k.list
		m[k.command+" revoke"] = k.revoke
	}
	m[setupLinks.command+" list"] = setupLinks.list
	m[setupLinks.command+" revoke"] = setupLinks.revoke
	return m
}

// listing is the member of the API's listing that holds the tokens.
func (k tokenKind) listing() string {
	if k.listed != "" {
		return k.listed
	}
	return "tokens"
}

// usage returns the synopsis of a command on tokens of the kind.
func (k tokenKind) usage(verb, rest string) string {
	ws := ""
	if k.workspace {
		ws = " --workspace SLUG"
	}
	return "usage: scimd " + k.command + " " + verb + ws + rest
}

// help returns a command's -h text.
func (k tokenKind) help(verb string) string {
	ws, wsArg, of := "", "", ""
	if k.workspace {
		ws, wsArg, of = " --workspace SLUG", " --workspace acme", " of a workspace"
	}
	switch verb {
	case "create":
		return fmt.Sprintf(`Usage: scimd %s create%s --name NAME [--expires DURATION] [flags]

Mints %s and prints it alone on the last line: it is shown once, and
scimd keeps only a keyed hash of it. Without --expires it lives as long
as the installation's token lifetime says (--token-ttl, 365 days by
default; the server's with --server).
%s

Examples:
%s
`, k.command, ws, article(k.noun), k.about, k.examples)
	case "list":
		return fmt.Sprintf(`Usage: scimd %s list%s [--json] [flags]

Lists the %ss%s, oldest first: id, name, when and by whom each
was created, when it expires, when it was last used (recorded every few
seconds) and its state: active, expired or revoked. Tokens themselves are
never shown again after they are created.

Examples:
  scimd %s list%s
  scimd %s list%s --json | jq -r '.%s[] | select(.state == "active") | .id'
`, k.command, ws, k.noun, of, k.command, wsArg, k.command, wsArg, k.listing())
	}
	return fmt.Sprintf(`Usage: scimd %s revoke%s ID [flags]

Revokes %s. Servers refuse it from their next request: at once
in the one that revokes it, within a fraction of a second in every other
on the database. Revoking a revoked token changes nothing.

Example:
  scimd %s revoke%s tok_5xq2m7kd3c9wefha
`, k.command, ws, article(k.noun), k.command, wsArg)
}

func article(noun string) string {
	if strings.IndexByte("aeiou", noun[0]) >= 0 {
		return "an " + noun
	}
	return "a " + noun
}

// flags returns the flag set of a command on tokens of kind k, with the
// flags the commands share (--workspace if the kind has it).
func (k tokenKind) flags(verb string, stderr io.Writer) (*flag.FlagSet, *commandFlags) {
	fs := newFlags(k.command+" "+verb, k.help(verb), stderr)
	scope := onInstallation
	if k.workspace {
		scope = onWorkspace
	}
	return fs, newCommandFlags(fs, scope, jsonUsage)
}

func (k tokenKind) create(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs, f := k.flags("create", stderr)
	// An installation may start with its first admin token.
	f.mayCreate = !k.workspace
	name := fs.String("name", "", "token name, e.g. who or what it is for")
	expires := fs.Duration("expires", 0, "lifetime: 720h, 90d; 0 for a token that never expires; default: --token-ttl")
	pos, err := parseArgs(fs, args)
	if err != nil {
		return err
	}
	if *name == "" || len(pos) > 0 || (k.workspace && f.slug == "") {
		return errors.New(k.usage("create", " --name NAME [--expires DURATION]"))
	}
	body := map[string]any{"name": *name}
	if f.set("expires") {
		if *expires < 0 {
			return fmt.Errorf("--expires %s: must not be negative (0: the token never expires)", duration.Format(*expires))
		}
		body["expires_in"] = duration.Format(*expires)
	}
	defer f.close()
	var t admin.NewToken
	raw, err := f.do(ctx, http.MethodPost, k.path(f.slug), nil, body, &t)
	if err != nil {
		return err
	}
	if f.asJSON {
		return printRaw(stdout, raw)
	}
	of := ""
	if k.workspace {
		of = " for workspace " + f.slug
	}
	fmt.Fprintf(stdout, "%s %s %q%s, expires %s; shown once:\n%s\n", k.noun, t.ID, t.Name, of, formatTime(t.Expires), t.Secret)
	return nil
}

func (k tokenKind) list(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs, f := k.flags("list", stderr)
	pos, err := parseArgs(fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 || (k.workspace && f.slug == "") {
		return errors.New(k.usage("list", " [--json]"))
	}
	defer f.close()
	var out map[string]json.RawMessage
	raw, err := f.do(ctx, http.MethodGet, k.path(f.slug), nil, nil, &out)
	if err != nil {
		return err
	}
	if f.asJSON {
		return printRaw(stdout, raw)
	}
	var tokens []admin.Token
	if err := json.Unmarshal(out[k.listing()], &tokens); err != nil {
		return fmt.Errorf("list %ss: %w", k.noun, err)
	}
	return printTokens(stdout, tokens)
}

func (k tokenKind) revoke(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs, f := k.flags("revoke", stderr)
	pos, err := parseArgs(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 || (k.workspace && f.slug == "") {
		return errors.New(k.usage("revoke", " ID"))
	}
	defer f.close()
	var t admin.Token
	raw, err := f.do(ctx, http.MethodDelete, k.path(f.slug)+admin.Path(pos[0]), nil, nil, &t)
	if err != nil {
		return err
	}
	if f.asJSON {
		return printRaw(stdout, raw)
	}
	of := ""
	if k.workspace {
		of = " of workspace " + f.slug
	}
	fmt.Fprintf(stdout, "%s %s %q%s revoked at %s\n", k.noun, t.ID, t.Name, of, formatTime(t.Revoked))
	return nil
}

const tokenRotateUsage = `Usage: scimd token rotate --workspace SLUG [ID] [--overlap DURATION] [flags]

Replaces a SCIM token, or without ID the workspace's newest active one:
mints a new token with the same name and lifetime and prints it alone on
the last line (shown once). The old token stops working at once, or with
--overlap after that long (30 days at most, and no later than it would
have expired), so that the identity provider can be given the new token
in the meantime.

Examples:
  scimd token rotate --workspace acme tok_5xq2m7kd3c9wefha
  scimd token rotate --workspace acme --overlap 24h
  NEW=$(scimd token rotate --workspace acme tok_5xq2m7kd3c9wefha --overlap 1h | tail -n1)
`

func tokenRotate(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("token rotate", tokenRotateUsage, stderr)
	f := newCommandFlags(fs, onWorkspace, jsonUsage)
	overlap := fs.Duration("overlap", 0, "how long the old token keeps working, e.g. 24h or 7d; 0 ends it at once")
	pos, err := parseArgs(fs, args)
	if err != nil {
		return err
	}
	if f.slug == "" || len(pos) > 1 {
		return errors.New("usage: scimd token rotate --workspace SLUG [ID] [--overlap DURATION]")
	}
	defer f.close()
	path, body := admin.Path("workspaces", f.slug, "scim-config", "rotate-token"), map[string]any{"overlap": duration.Format(*overlap)}
	if len(pos) == 1 {
		path = admin.Path("workspaces", f.slug, "tokens", pos[0], "rotate")
	}
	var t admin.NewToken
	raw, err := f.do(ctx, http.MethodPost, path, nil, body, &t)
	if err != nil {
		return err
	}
	if f.asJSON {
		return printRaw(stdout, raw)
	}
	old, when := "", "now"
	if p := t.Previous; p != nil {
		old = p.ID
		if p.Revoked == nil {
			when = "at " + formatTime(p.Expires)
		}
	}
	fmt.Fprintf(stdout, "token %s %q for workspace %s, expires %s; it replaces %s, which stops working %s; shown once:\n%s\n",
		t.ID, t.Name, f.slug, formatTime(t.Expires), old, when, t.Secret)
	return nil
}

// formatWhen formats a time for tables: to the minute, in UTC.
func formatWhen(t *time.Time) string {
	if t == nil || t.IsZero() {
		return "never"
	}
	return t.UTC().Format("2006-01-02 15:04Z")
}

// formatTime formats a time for messages.
func formatTime(t *time.Time) string {
	if t == nil || t.IsZero() {
		return "never"
	}
	return t.UTC().Format(time.RFC3339)
}

// expiry describes when a token expires, for tables.
func expiry(t admin.Token) string {
	switch {
	case t.Expires == nil:
		return "never"
	case t.State == "expired":
		return formatWhen(t.Expires) + " (expired)"
	case t.DaysLeft != nil && *t.DaysLeft == 1:
		return formatWhen(t.Expires) + " (1 day left)"
	case t.DaysLeft != nil:
		return formatWhen(t.Expires) + " (" + strconv.Itoa(*t.DaysLeft) + " days left)"
	}
	return formatWhen(t.Expires)
}

func printTokens(w io.Writer, tokens []admin.Token) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tNAME\tCREATED\tCREATED BY\tEXPIRES\tLAST USED\tSTATE")
	for _, t := range tokens {
		state := t.State
		if t.Revoked != nil {
			state += " " + formatWhen(t.Revoked)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", t.ID, t.Name, formatWhen(&t.Created), cmp.Or(t.CreatedBy, "-"), expiry(t), formatWhen(t.LastUsed), state)
	}
	return tw.Flush()
}
