package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"

	"github.com/scimd/scimd/client/admin"
	"github.com/scimd/scimd/internal/tenant"
)

const setupLinkUsage = `Usage: scimd workspace setup-link SLUG [--expires DURATION] [--name NAME] [flags]

Makes a set-up link for the workspace and prints its URL alone on the
last line, to give the customer's IT administrator: whoever opens it,
with no admin token, sees the workspace's SCIM base URL, mints and
rotates its SCIM token, reads the set-up steps of their identity provider
and watches the first SCIM requests arrive. It reaches nothing else, and
everything done with it is audited with actor setup_link:<id>.

The link is shown once and expires after --expires: from 1h to 30d, 7d
by default. scimd setup-link list shows a workspace's links; revoke one
sooner with scimd setup-link revoke, or on the workspace's page in the
console.

With --server, the URL is on that server; on the database, it is the
path to append to the address of the server's console.

Examples:
  scimd workspace setup-link acme --expires 7d --name "Acme IT"
  scimd workspace setup-link acme --server https://scimd-admin.example.com | tail -n1
`

func workspaceSetupLink(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("workspace setup-link", setupLinkUsage, stderr)
	f := newCommandFlags(fs, onInstallation, jsonUsage)
	expires := fs.String("expires", "7d", "how long the link works: from 1h to 30d")
	name := fs.String("name", "", "whom the link is for, as listings show it (default \"set-up link\")")
	pos, err := parseArgs(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return errors.New("usage: scimd workspace setup-link SLUG [--expires DURATION] [--name NAME]")
	}
	// Checked here too, so that a typo is told before the database is
	// opened; the API checks it again.
	if _, err := tenant.ParseSetupLinkTTL(*expires); err != nil {
		return fmt.Errorf("--%s", strings.TrimSuffix(err.Error(), ": "+tenant.ErrInvalid.Error()))
	}
	defer f.close()
	var out admin.NewSetupLink
	raw, err := f.do(ctx, http.MethodPost, admin.Path("workspaces", pos[0], "setup-links"), nil,
		map[string]any{"name": *name, "expires_in": *expires}, &out)
	if err != nil {
		return err
	}
	if f.asJSON {
		return printRaw(stdout, raw)
	}
	link := out.URL
	if strings.HasPrefix(link, "/") && f.server != "" {
		if u, err := url.Parse(f.server); err == nil {
			link = u.Scheme + "://" + u.Host + link
		}
	}
	fmt.Fprintf(stdout, "made set-up link %s (%s) for workspace %s, expires %s\n", out.ID, out.Name, pos[0], formatWhen(out.Expires))
	if strings.HasPrefix(link, "/") {
		fmt.Fprintln(stdout, "Append this to the address of the server's console (its scheme and host), and give it to the customer's IT administrator; it is shown once:")
	} else {
		fmt.Fprintln(stdout, "Give this URL to the customer's IT administrator; it is shown once:")
	}
	fmt.Fprintln(stdout, link)
	return nil
}
