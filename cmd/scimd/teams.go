package main

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"text/tabwriter"

	"github.com/scimd/scimd/client/admin"
)

// teamCommands are the commands on the teams a workspace's groups are
// linked to.
func teamCommands() map[string]func(context.Context, []string, io.Writer, io.Writer) error {
	return map[string]func(context.Context, []string, io.Writer, io.Writer) error{
		"team list":   teamList,
		"team link":   teamLink,
		"team unlink": teamUnlink,
	}
}

const teamListUsage = `Usage: scimd team list --workspace SLUG [--json] [flags]

Lists the teams a workspace's groups are linked to, each with its groups
and their members' role there. A synced group that is not linked is a
team of its own, keyed by its group key (group:engineering/platform), and
is not listed.

Example:
  scimd team list --workspace acme
`

func teamList(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("team list", teamListUsage, stderr)
	f := newCommandFlags(fs, onWorkspace, jsonUsage)
	pos, err := parseArgs(fs, args)
	if err != nil {
		return err
	}
	if f.slug == "" || len(pos) > 0 {
		return errors.New("usage: scimd team list --workspace SLUG [--json]")
	}
	defer f.close()
	var out admin.TeamList
	raw, err := f.do(ctx, http.MethodGet, admin.Path("workspaces", f.slug, "teams"), nil, nil, &out)
	if err != nil {
		return err
	}
	if f.asJSON {
		return printRaw(stdout, raw)
	}
	tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "TEAM\tGROUP ID\tGROUP\tEXTERNAL ID\tROLE\tLINKED")
	for _, t := range out.Teams {
		for _, g := range t.Groups {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", t.Key, g.ID, g.DisplayName, cmp.Or(g.ExternalID, "-"),
				cmp.Or(g.Role, out.DefaultRole+" (default)"), formatWhen(&g.Linked))
		}
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if len(out.Teams) == 0 {
		fmt.Fprintln(stdout, "(no group is linked to a team: each synced group is a team of its own)")
	}
	if out.DefaultTeam != "" {
		fmt.Fprintf(stdout, "every provisioned user is also in team %s as %s (defaultTeam)\n", out.DefaultTeam, out.DefaultRole)
	}
	return nil
}

const teamLinkUsage = `Usage: scimd team link --workspace SLUG GROUP --team KEY [--role ROLE] [flags]

Links a group, named by its id or its externalId, to a team: a new one,
or one other groups are linked to. Its members are then in that team,
with --role or else the workspace's defaultTeamRole, instead of a team of
its own. The link holds whatever the identity provider renames the group
to. Linking a linked group again replaces its link.

Examples:
  scimd team link --workspace acme grp_5xq2m7kd3c9wefha --team engineering
  scimd team link --workspace acme 00g1emaxq2Zk8Jv5d7 --team engineering --role lead
`

func teamLink(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("team link", teamLinkUsage, stderr)
	f := newCommandFlags(fs, onWorkspace, jsonUsage)
	team := fs.String("team", "", "the team's key, as the application knows it")
	role := fs.String("role", "", "the group's members' role in the team; default: the workspace's defaultTeamRole")
	pos, err := parseArgs(fs, args)
	if err != nil {
		return err
	}
	if f.slug == "" || *team == "" || len(pos) != 1 {
		return errors.New("usage: scimd team link --workspace SLUG GROUP --team KEY [--role ROLE]")
	}
	defer f.close()
	var l admin.TeamLink
	raw, err := f.do(ctx, http.MethodPut, admin.Path("workspaces", f.slug, "groups", pos[0], "team"), nil,
		map[string]string{"team": *team, "role": *role}, &l)
	if err != nil {
		return err
	}
	if f.asJSON {
		return printRaw(stdout, raw)
	}
	fmt.Fprintf(stdout, "linked group %s %q to team %s as %s\n", l.Group.ID, l.Group.DisplayName, l.Team, cmp.Or(l.Role, "the default team role"))
	return nil
}

const teamUnlinkUsage = `Usage: scimd team unlink --workspace SLUG GROUP [flags]

Unlinks a group, named by its id or its externalId, from its team: it is
a team of its own again, keyed by its group key.

Example:
  scimd team unlink --workspace acme grp_5xq2m7kd3c9wefha
`

func teamUnlink(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("team unlink", teamUnlinkUsage, stderr)
	f := newCommandFlags(fs, onWorkspace, "")
	pos, err := parseArgs(fs, args)
	if err != nil {
		return err
	}
	if f.slug == "" || len(pos) != 1 {
		return errors.New("usage: scimd team unlink --workspace SLUG GROUP")
	}
	defer f.close()
	if _, err := f.do(ctx, http.MethodDelete, admin.Path("workspaces", f.slug, "groups", pos[0], "team"), nil, nil, nil); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "unlinked group %s of workspace %s from its team\n", pos[0], f.slug)
	return nil
}
