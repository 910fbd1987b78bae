package main

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/scimd/scimd/client/admin"
)

// groupCommands are the commands on a workspace's groups, and the one
// that shows a user's whole picture.
func groupCommands() map[string]func(context.Context, []string, io.Writer, io.Writer) error {
	return map[string]func(context.Context, []string, io.Writer, io.Writer) error{
		"group list":    groupList,
		"group show":    groupShow,
		"group matches": groupMatches,
		"user show":     userShow,
	}
}

// list joins a list for a table cell: "-" for none.
func list(items []string) string {
	if len(items) == 0 {
		return "-"
	}
	return strings.Join(items, ",")
}

// groupTeam says which team a group is in.
func groupTeam(g admin.Group) string {
	if g.Team == nil {
		return "-"
	}
	return g.Team.Key + " as " + cmp.Or(g.Team.Role, "the default team role")
}

const groupListUsage = `Usage: scimd group list --workspace SLUG [--filter FILTER] [--limit N] [flags]

Lists a workspace's groups in creation order: each with its member count,
whether the workspace's groupAllowlist syncs it, the roles its members get
from it and the groups it is nested in, the team it is linked to and its
paths. --filter takes a SCIM filter (RFC 7644). With more groups than
--limit, the last line says how to ask for the next ones.

Examples:
  scimd group list --workspace acme
  scimd group list --workspace acme --filter 'displayName sw "eng"'
  scimd group list --workspace acme --json | jq -r '.groups[] | select(.synced | not) | .display_name'
`

func groupList(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("group list", groupListUsage, stderr)
	f := newCommandFlags(fs, onWorkspace, "print the admin API's JSON: groups, total and next_cursor")
	filter := fs.String("filter", "", `a SCIM filter, e.g. 'displayName sw "eng"' or 'externalId eq "00g1"'`)
	limit := fs.Int("limit", 100, "list at most this many groups (1 to 1000)")
	cursor := fs.String("cursor", "", "start after the groups listed already, as the last line of the listing before says")
	pos, err := parseArgs(fs, args)
	if err != nil {
		return err
	}
	if f.slug == "" || len(pos) > 0 {
		return errors.New("usage: scimd group list --workspace SLUG [--filter FILTER] [--limit N]")
	}
	defer f.close()
	api, err := f.client(ctx)
	if err != nil {
		return err
	}
	page, err := api.Groups(ctx, f.slug, admin.GroupQuery{Filter: *filter, Limit: *limit, Cursor: *cursor})
	if err != nil {
		return cliError(err)
	}
	if f.asJSON {
		return printJSON(stdout, page)
	}
	tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tDISPLAY NAME\tEXTERNAL ID\tMEMBERS\tSYNCED\tROLES\tTEAM\tPATHS")
	for _, g := range page.Groups {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%s\t%s\t%s\t%s\n", g.ID, g.DisplayName, cmp.Or(g.ExternalID, "-"), g.MemberCount,
			synced(g.Synced), list(g.Roles), groupTeam(g), list(g.Paths))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if page.NextCursor != "" {
		fmt.Fprintf(stdout, "(%d of %d; more with --cursor %s)\n", len(page.Groups), page.Total, page.NextCursor)
	}
	return nil
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

// synced says whether the groupAllowlist lets a group act, and why not.
func synced(b bool) string {
	if b {
		return "yes"
	}
	return "no (not in groupAllowlist)"
}

const groupShowUsage = `Usage: scimd group show --workspace SLUG GROUP [--limit N] [flags]

Shows a group, named by its id or its externalId: whether the workspace's
groupAllowlist syncs it, the roles its members get with the role mapping
behind each, its team, paths and parents, and its direct members, users
and groups.

Examples:
  scimd group show --workspace acme grp_5xq2m7kd3c9wefha
  scimd group show --workspace acme 00g1emaxq2Zk8Jv5d7 --json
`

func groupShow(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("group show", groupShowUsage, stderr)
	f := newCommandFlags(fs, onWorkspace, jsonUsage)
	limit := fs.Int("limit", 100, "show at most this many members (1 to 1000)")
	cursor := fs.String("cursor", "", "show the members after those shown already, as the last line before says")
	pos, err := parseArgs(fs, args)
	if err != nil {
		return err
	}
	if f.slug == "" || len(pos) != 1 {
		return errors.New("usage: scimd group show --workspace SLUG GROUP")
	}
	defer f.close()
	api, err := f.client(ctx)
	if err != nil {
		return err
	}
	g, err := api.Group(ctx, f.slug, pos[0], admin.GroupQuery{Limit: *limit, Cursor: *cursor})
	if err != nil {
		return cliError(err)
	}
	if f.asJSON {
		return printJSON(stdout, g)
	}
	var parents []string
	for _, p := range g.Parents {
		parents = append(parents, fmt.Sprintf("%s (%s)", p.DisplayName, p.ID))
	}
	tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "id:\t%s\n", g.ID)
	fmt.Fprintf(tw, "display name:\t%s\n", g.DisplayName)
	fmt.Fprintf(tw, "external id:\t%s\n", cmp.Or(g.ExternalID, "-"))
	fmt.Fprintf(tw, "synced:\t%s\n", synced(g.Synced))
	fmt.Fprintf(tw, "team:\t%s\n", groupTeam(g.Group))
	fmt.Fprintf(tw, "paths:\t%s\n", list(g.Paths))
	fmt.Fprintf(tw, "parents:\t%s\n", list(parents))
	fmt.Fprintf(tw, "members:\t%d\n", g.MemberCount)
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintln(stdout, "\nRoles its members get:")
	if len(g.Grants) == 0 {
		fmt.Fprintln(stdout, "  none: no role mapping matches it or a group it is nested in")
	}
	for _, gr := range g.Grants {
		fmt.Fprintf(stdout, "  %s: %s\n", gr.Role, gr.Why)
	}
	fmt.Fprintln(stdout, "\nMembers:")
	tw = tabwriter.NewWriter(stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "  TYPE\tID\tNAME")
	for _, m := range g.Members {
		fmt.Fprintf(tw, "  %s\t%s\t%s\n", m.Type, m.ID, cmp.Or(m.Display, "-"))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if g.NextCursor != "" {
		fmt.Fprintf(stdout, "(%d of %d members; more with --cursor %s)\n", len(g.Members), g.MemberCount, g.NextCursor)
	}
	return nil
}

const userShowUsage = `Usage: scimd user show --workspace SLUG ID [flags]

Shows a user's whole picture: its state and SCIM attributes, the groups
it is in (directly or through nesting) with their paths, its roles with
why it has each and the roles refused it (strict mode, the allowlist),
its teams, its API keys and sessions (never their secrets), and what
POST /v1/verify answers for it now, with the reasoning.

Examples:
  scimd user show --workspace acme usr_2b7x9kq4m5n8p3rt
  scimd user show --workspace acme usr_2b7x9kq4m5n8p3rt --json | jq '.roles'
`

func userShow(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("user show", userShowUsage, stderr)
	f := newCommandFlags(fs, onWorkspace, "print the admin API's JSON of the user (GET …/users/{id})")
	pos, err := parseArgs(fs, args)
	if err != nil {
		return err
	}
	if f.slug == "" || len(pos) != 1 {
		return errors.New("usage: scimd user show --workspace SLUG ID")
	}
	defer f.close()
	api, err := f.client(ctx)
	if err != nil {
		return err
	}
	u, err := api.User(ctx, f.slug, pos[0])
	if err != nil {
		return cliError(err)
	}
	if f.asJSON {
		return printJSON(stdout, u)
	}
	a, err := api.UserAccess(ctx, f.slug, pos[0])
	if err != nil {
		return cliError(err)
	}
	tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "id:\t%s\n", u.ID)
	fmt.Fprintf(tw, "user name:\t%s\n", u.UserName)
	fmt.Fprintf(tw, "display name:\t%s\n", cmp.Or(u.DisplayName, "-"))
	fmt.Fprintf(tw, "email:\t%s\n", cmp.Or(u.Email, "-"))
	fmt.Fprintf(tw, "external id:\t%s\n", cmp.Or(u.ExternalID, "-"))
	fmt.Fprintf(tw, "state:\t%s\n", u.State)
	seat, limit := "takes no seat", "no seat limit"
	if u.Seat.Taken {
		seat = "takes a seat"
	}
	if u.Seat.Limit != nil {
		limit = fmt.Sprintf("of %d", *u.Seat.Limit)
	}
	fmt.Fprintf(tw, "seat:\t%s (%s)\n", seat, limit)
	fmt.Fprintf(tw, "group keys:\t%s\n", list(u.GroupKeys))
	var teams []string
	for _, t := range u.Teams {
		teams = append(teams, t.Key+" as "+t.Role)
	}
	fmt.Fprintf(tw, "teams:\t%s\n", list(teams))
	if err := tw.Flush(); err != nil {
		return err
	}

	fmt.Fprintln(stdout, "\nRoles:")
	for _, r := range u.Roles {
		for _, g := range r.Grants {
			fmt.Fprintf(stdout, "  %s: %s\n", r.Role, g.Why)
		}
	}
	for _, r := range u.Refused {
		fmt.Fprintf(stdout, "  not %s: %s\n", r.Role, r.Why)
	}

	fmt.Fprintln(stdout, "\nGroups:")
	tw = tabwriter.NewWriter(stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "  ID\tDISPLAY NAME\tMEMBER\tSYNCED\tPATHS")
	for _, g := range u.Groups {
		member := "through nesting"
		if g.Direct {
			member = "direct"
		}
		fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\t%s\n", g.ID, g.DisplayName, member, synced(g.Synced), list(g.Paths))
	}
	if err := tw.Flush(); err != nil {
		return err
	}

	fmt.Fprintln(stdout, "\nCredentials:")
	tw = tabwriter.NewWriter(stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "  ID\tKIND\tNAME\tSTATE\tCREATED\tEXPIRES")
	for _, c := range u.Credentials {
		fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\t%s\t%s\n", c.ID, c.Kind, cmp.Or(c.Name, "-"), c.State, formatWhen(&c.Created), formatWhen(c.Expires))
	}
	if err := tw.Flush(); err != nil {
		return err
	}

	fmt.Fprintln(stdout, "\nWhat POST /v1/verify answers now:")
	for _, s := range a.Reasoning {
		fmt.Fprintf(stdout, "  %s\n", s)
	}
	fmt.Fprintf(stdout, "\nAudit entries: scimd audit --workspace %s --target %s\n", f.slug, u.ID)
	return nil
}

const groupMatchesUsage = `Usage: scimd group matches --workspace SLUG [flags]

Shows, for each of the workspace's role mappings and groupAllowlist
entries, the groups it matches, as provisioning matches them: a mapping
by displayName, path (which reaches the groups nested in one) or
externalId, an allowlist entry by displayName. The workspace's first 500
groups are checked. A pattern that matches no group is likely a typo.

Examples:
  scimd group matches --workspace acme
  scimd group matches --workspace acme --json | jq '.role_mappings[] | select(.count == 0)'
`

func groupMatches(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("group matches", groupMatchesUsage, stderr)
	f := newCommandFlags(fs, onWorkspace, jsonUsage)
	pos, err := parseArgs(fs, args)
	if err != nil {
		return err
	}
	if f.slug == "" || len(pos) > 0 {
		return errors.New("usage: scimd group matches --workspace SLUG")
	}
	defer f.close()
	api, err := f.client(ctx)
	if err != nil {
		return err
	}
	m, err := api.GroupMatches(ctx, f.slug, nil, nil, nil)
	if err != nil {
		return cliError(err)
	}
	if f.asJSON {
		return printJSON(stdout, m)
	}
	names := func(count int, gs []admin.GroupMatch) string {
		if count == 0 {
			return "no group"
		}
		out := make([]string, len(gs))
		for i, g := range gs {
			out[i] = g.DisplayName
		}
		s := strings.Join(out, ", ")
		if count > len(gs) {
			s += fmt.Sprintf(" and %d more", count-len(gs))
		}
		return s
	}
	tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "SETTING\tPATTERN\tROLE\tMATCHES")
	for _, r := range m.RoleMappings {
		pattern := r.Group
		if r.ExternalID != "" {
			pattern = "externalId=" + r.ExternalID
		}
		fmt.Fprintf(tw, "roleMappings\t%s\t%s\t%s\n", pattern, r.Role, names(r.Count, r.Groups))
	}
	for _, a := range m.GroupAllowlist {
		fmt.Fprintf(tw, "groupAllowlist\t%s\t-\t%s\n", a.Pattern, names(a.Count, a.Groups))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if m.Checked < m.Total {
		fmt.Fprintf(stdout, "(the first %d of %d groups checked)\n", m.Checked, m.Total)
	}
	return nil
}
