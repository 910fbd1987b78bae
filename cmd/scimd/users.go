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
	"strconv"
	"text/tabwriter"

	"github.com/scimd/scimd/client/admin"
)

// userCommands are the commands on a workspace's users.
func userCommands() map[string]func(context.Context, []string, io.Writer, io.Writer) error {
	return map[string]func(context.Context, []string, io.Writer, io.Writer) error{
		"user list":       userList,
		"user invite":     userInvite,
		"user invited":    userListOf("invited", userInvitedUsage),
		"user deleted":    userListOf("deleted", userDeletedUsage),
		"user reactivate": userAction("reactivate", userReactivateUsage, false),
		"user restore":    userAction("restore", userRestoreUsage, false),
		"user purge":      userAction("purge", userPurgeUsage, true),
		"user uninvite":   userUninvite,
		"user delete":     userDelete,
	}
}

func printUsers(w io.Writer, users []admin.User) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tUSERNAME\tSTATE\tDISPLAY NAME\tEMAIL\tEXTERNAL ID\tCREATED")
	for _, u := range users {
		state := u.State
		if u.PurgeAt != nil {
			state += ", purged " + formatWhen(u.PurgeAt)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", u.ID, u.UserName, state,
			cmp.Or(u.DisplayName, "-"), cmp.Or(u.Email, "-"), cmp.Or(u.ExternalID, "-"), formatWhen(&u.Created))
	}
	return tw.Flush()
}

const userListUsage = `Usage: scimd user list --workspace SLUG [--filter FILTER] [--limit N] [flags]

Lists a workspace's users in creation order, with their state: active, or
suspended when the identity provider deactivated them. --filter takes a
SCIM filter (RFC 7644). With more users than --limit, the last line says
how to ask for the next ones.

Examples:
  scimd user list --workspace acme
  scimd user list --workspace acme --filter 'active eq false'
  scimd user list --workspace acme --filter 'userName sw "a"' --json | jq -r '.users[].id'
`

func userList(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("user list", userListUsage, stderr)
	f := newCommandFlags(fs, onWorkspace, "print JSON: the admin API's users, total and next_cursor")
	filter := fs.String("filter", "", `a SCIM filter, e.g. 'active eq false' or 'userName sw "a"'`)
	limit := fs.Int("limit", 100, "list at most this many users")
	cursor := fs.String("cursor", "", "start after the users listed already, as the last line of the listing before says")
	pos, err := parseArgs(fs, args)
	if err != nil {
		return err
	}
	if f.slug == "" || len(pos) > 0 {
		return errors.New("usage: scimd user list --workspace SLUG [--filter FILTER] [--limit N]")
	}
	if *limit < 1 {
		return errors.New("--limit must be at least 1")
	}
	defer f.close()
	var all struct {
		Users      []json.RawMessage `json:"users"`
		Total      int               `json:"total"`
		NextCursor string            `json:"next_cursor,omitempty"`
	}
	all.Users = []json.RawMessage{}
	all.NextCursor = *cursor
	for first := true; len(all.Users) < *limit && (first || all.NextCursor != ""); first = false {
		q := url.Values{"limit": {strconv.Itoa(min(*limit-len(all.Users), 1000))}}
		if *filter != "" {
			q.Set("filter", *filter)
		}
		if all.NextCursor != "" {
			q.Set("cursor", all.NextCursor)
		}
		var page struct {
			Users      []json.RawMessage `json:"users"`
			Total      int               `json:"total"`
			NextCursor string            `json:"next_cursor"`
		}
		if _, err := f.do(ctx, http.MethodGet, admin.Path("workspaces", f.slug, "users"), q, nil, &page); err != nil {
			return err
		}
		all.Users = append(all.Users, page.Users...)
		all.Total, all.NextCursor = page.Total, page.NextCursor
	}
	if f.asJSON {
		return printJSON(stdout, all)
	}
	users := make([]admin.User, len(all.Users))
	for i, raw := range all.Users {
		if err := json.Unmarshal(raw, &users[i]); err != nil {
			return err
		}
	}
	if err := printUsers(stdout, users); err != nil {
		return err
	}
	if all.NextCursor != "" {
		fmt.Fprintf(stdout, "(%d of %d; more with --cursor %s)\n", len(users), all.Total, all.NextCursor)
	}
	return nil
}

const userInviteUsage = `Usage: scimd user invite --workspace SLUG --user-name NAME [--display-name NAME] [--email ADDRESS] [flags]

Creates a user outside SCIM, for an application that invites people
itself. Identity providers do not see it, but cannot take its userName,
unless the workspace's allowLinking is on: then the user an identity
provider creates with that userName becomes this one, with its id.

Example:
  scimd user invite --workspace acme --user-name ada@example.com --display-name 'Ada Lovelace' --email ada@example.com
`

func userInvite(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("user invite", userInviteUsage, stderr)
	f := newCommandFlags(fs, onWorkspace, jsonUsage)
	name := fs.String("user-name", "", "the userName, unique in the workspace")
	display := fs.String("display-name", "", "the name to show")
	email := fs.String("email", "", "the email address")
	pos, err := parseArgs(fs, args)
	if err != nil {
		return err
	}
	if f.slug == "" || *name == "" || len(pos) > 0 {
		return errors.New("usage: scimd user invite --workspace SLUG --user-name NAME [--display-name NAME] [--email ADDRESS]")
	}
	defer f.close()
	body := map[string]any{"user_name": *name}
	if *display != "" {
		body["display_name"] = *display
	}
	if *email != "" {
		body["email"] = *email
	}
	var u admin.User
	raw, err := f.do(ctx, http.MethodPost, admin.Path("workspaces", f.slug, "users"), nil, body, &u)
	if err != nil {
		return err
	}
	if f.asJSON {
		return printRaw(stdout, raw)
	}
	fmt.Fprintf(stdout, "invited user %s %q to workspace %s\n", u.ID, u.UserName, f.slug)
	return nil
}

const userInvitedUsage = `Usage: scimd user invited --workspace SLUG [--json] [flags]

Lists the users invited with scimd user invite (or the admin API) that no
identity provider has provisioned, oldest first.

Example:
  scimd user invited --workspace acme
`

const userDeletedUsage = `Usage: scimd user deleted --workspace SLUG [--json] [flags]

Lists the users an identity provider deleted from a workspace whose
deleteMode is soft, oldest deletion first, with when each is purged. Until
then, scimd user restore brings one back and scimd user purge removes it.

Example:
  scimd user deleted --workspace acme
`

// userListOf returns the command that lists the users at
// /workspaces/{slug}/users/{which}.
func userListOf(which, usage string) func(context.Context, []string, io.Writer, io.Writer) error {
	return func(ctx context.Context, args []string, stdout, stderr io.Writer) error {
		fs := newFlags("user "+which, usage, stderr)
		f := newCommandFlags(fs, onWorkspace, jsonUsage)
		pos, err := parseArgs(fs, args)
		if err != nil {
			return err
		}
		if f.slug == "" || len(pos) > 0 {
			return fmt.Errorf("usage: scimd user %s --workspace SLUG [--json]", which)
		}
		defer f.close()
		var out struct {
			Users []admin.User `json:"users"`
		}
		raw, err := f.do(ctx, http.MethodGet, admin.Path("workspaces", f.slug, "users", which), nil, nil, &out)
		if err != nil {
			return err
		}
		if f.asJSON {
			return printRaw(stdout, raw)
		}
		return printUsers(stdout, out.Users)
	}
}

const userReactivateUsage = `Usage: scimd user reactivate --workspace SLUG ID [flags]

Makes a suspended user active again, as if its identity provider had
(which may suspend it again at its next sync if it still thinks so). Its
revoked API keys and sessions stay revoked: the user signs in again. Fails
when the workspace's seat limit leaves no seat free.

Example:
  scimd user reactivate --workspace acme usr_5xq2m7kd3c9wefha
`

const userRestoreUsage = `Usage: scimd user restore --workspace SLUG ID [flags]

Brings back a soft-deleted user within its grace period, without its
former group memberships or credentials. Fails if another user has its
userName now, or if it is active and no seat is free.

Example:
  scimd user restore --workspace acme usr_5xq2m7kd3c9wefha
`

const userPurgeUsage = `Usage: scimd user purge --workspace SLUG ID --yes [flags]

Removes a soft-deleted user and its credentials now, rather than at the end
of its grace period. It cannot be undone, hence --yes.

Example:
  scimd user purge --workspace acme usr_5xq2m7kd3c9wefha --yes
`

// userAction returns the command that POSTs to
// /workspaces/{slug}/users/{id}/{action}; confirm makes it ask for --yes.
func userAction(action, usage string, confirm bool) func(context.Context, []string, io.Writer, io.Writer) error {
	return func(ctx context.Context, args []string, stdout, stderr io.Writer) error {
		fs := newFlags("user "+action, usage, stderr)
		f := newCommandFlags(fs, onWorkspace, jsonUsage)
		var yes *bool
		if confirm {
			yes = fs.Bool("yes", false, action+" the user: it cannot be undone")
		}
		pos, err := parseArgs(fs, args)
		if err != nil {
			return err
		}
		if f.slug == "" || len(pos) != 1 {
			return fmt.Errorf("usage: scimd user %s --workspace SLUG ID", action)
		}
		if confirm && !*yes {
			return fmt.Errorf("%s cannot be undone: add --yes to %s user %s", action, action, pos[0])
		}
		defer f.close()
		var u admin.User
		raw, err := f.do(ctx, http.MethodPost, admin.Path("workspaces", f.slug, "users", pos[0], action), nil, nil, &u)
		if err != nil {
			return err
		}
		if f.asJSON && len(raw) > 0 {
			return printRaw(stdout, raw)
		}
		switch action {
		case "purge":
			fmt.Fprintf(stdout, "purged user %s of workspace %s\n", pos[0], f.slug)
		case "restore":
			fmt.Fprintf(stdout, "restored user %s %q of workspace %s: %s\n", u.ID, u.UserName, f.slug, u.State)
		default:
			fmt.Fprintf(stdout, "user %s %q of workspace %s is %s\n", u.ID, u.UserName, f.slug, u.State)
		}
		return nil
	}
}

const userUninviteUsage = `Usage: scimd user uninvite --workspace SLUG ID --yes [flags]

Deletes a user invited with scimd user invite (or the admin API), and
revokes its API keys and sessions, at once; its userName becomes free.
It cannot be undone, hence --yes. Provisioned users are deleted by their
identity provider.

Example:
  scimd user uninvite --workspace acme usr_5xq2m7kd3c9wefha --yes
`

func userUninvite(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("user uninvite", userUninviteUsage, stderr)
	f := newCommandFlags(fs, onWorkspace, "")
	yes := fs.Bool("yes", false, "delete the user: it cannot be undone")
	pos, err := parseArgs(fs, args)
	if err != nil {
		return err
	}
	if f.slug == "" || len(pos) != 1 {
		return errors.New("usage: scimd user uninvite --workspace SLUG ID --yes")
	}
	if !*yes {
		return fmt.Errorf("deleting an invited user cannot be undone: add --yes to delete user %s", pos[0])
	}
	defer f.close()
	if _, err := f.do(ctx, http.MethodDelete, admin.Path("workspaces", f.slug, "users", "invited", pos[0]), nil, nil, nil); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "deleted invited user %s of workspace %s\n", pos[0], f.slug)
	return nil
}

const userDeleteUsage = `Usage: scimd user delete --workspace SLUG ID --yes [flags]

Deletes a suspended (deactivated) user an identity provider provisioned,
at once and for good whatever the workspace's deleteMode, with its API
keys and sessions. Its user.deleted event names the placeholder identity
(deleted-ID, "Deleted user") to which the application re-points what it
attributes to the user. An active user is refused: deactivate it in its
identity provider first. It cannot be undone, hence --yes.

Example:
  scimd user delete --workspace acme usr_5xq2m7kd3c9wefha --yes
`

func userDelete(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("user delete", userDeleteUsage, stderr)
	f := newCommandFlags(fs, onWorkspace, "")
	yes := fs.Bool("yes", false, "delete the user: it cannot be undone")
	pos, err := parseArgs(fs, args)
	if err != nil {
		return err
	}
	if f.slug == "" || len(pos) != 1 {
		return errors.New("usage: scimd user delete --workspace SLUG ID --yes")
	}
	if !*yes {
		return fmt.Errorf("deleting a user cannot be undone: add --yes to delete user %s", pos[0])
	}
	defer f.close()
	if _, err := f.do(ctx, http.MethodDelete, admin.Path("workspaces", f.slug, "users", "suspended", pos[0]), nil, nil, nil); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "deleted user %s of workspace %s for good\n", pos[0], f.slug)
	return nil
}
