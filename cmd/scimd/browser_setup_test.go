package main

import (
	"context"
	"net/http"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// TestSetupLinkInBrowser: an operator makes a set-up link in the console
// and hands it to a customer, who opens it in a browser of their own,
// without JavaScript's help or any sign-in: reads the SCIM base URL and
// their identity provider's steps, mints a SCIM token, and sees the
// request their identity provider makes with it arrive, by refreshing and
// by watching. The customer reaches nothing of the console; once the
// operator revokes the link, it opens a page that says so. Every page
// fits a phone's screen.
func TestSetupLinkInBrowser(t *testing.T) {
	t.Parallel()
	exe := chromium(t)
	p := startProc(t, nil, "serve", "--addr", "127.0.0.1:0", "--db", "sqlite:"+filepath.Join(t.TempDir(), "scimd.db"))
	m := p.await(t, firstRunRE)
	root, adminToken := m[1], m[3]

	op := newBrowser(t, exe, root)
	t.Logf("screenshots in %s", op.shots)
	op.visit("/admin/login", http.StatusOK)
	op.fill("#token", adminToken)
	op.press("form.card button", http.StatusOK)
	op.visit("/admin/workspaces/default", http.StatusOK)
	op.navigate("click Set-up links", chromedp.Click(chromedp.CSS(`a[href="/admin/workspaces/default/setup-links"]`)), http.StatusOK)
	op.sees("Set-up links of default", "No set-up link.")
	op.fill(`input[name="name"]`, "Acme IT")
	op.fill(`input[name="expires_in"]`, "7d")
	op.press(`form[action="/admin/workspaces/default/setup-links"] button`, http.StatusCreated)
	linkURL := op.text("code.secret")
	linkID := tokenIDRE.FindString(op.text("dl"))
	if !strings.HasPrefix(linkURL, root+"/admin/setup?link=scimd_setup_") || linkID == "" {
		t.Fatalf("the new link's page shows %q (%q)", linkURL, linkID)
	}
	op.look("setup-link-created")
	op.visit("/admin/workspaces/default/setup-links", http.StatusOK)
	op.sees("Acme IT", "active", "by admin_token:")
	op.look("setup-links")

	// The customer, in a browser of their own.
	cu := newBrowser(t, exe, root)
	cu.shots = op.shots
	cu.n = 10
	linkPath := strings.TrimPrefix(linkURL, root)
	cu.visit(linkPath, http.StatusOK)
	cu.sees("Set up provisioning for default", root+"/scim/v2", "No request has arrived yet.")
	cu.look("setup-page")
	inTab(cu, "choose Okta", chromedp.SetValue(chromedp.CSS(`select[name="idp"]`), "okta"))
	cu.press(`form[method="get"] button`, http.StatusOK)
	cu.sees("SCIM connector base URL", "Test Connector Configuration")
	if got := cu.text("pre.guide"); !strings.HasPrefix(got, "# Okta") {
		t.Errorf("the guide shows %.40q, want Okta's Markdown as text", got)
	}
	cu.look("setup-guide")

	cu.fill(`form[action="/admin/setup/tokens"] input[name="name"]`, "okta")
	cu.press(`form[action="/admin/setup/tokens"] button`, http.StatusCreated)
	scim := cu.text("code.secret")
	if !strings.HasPrefix(scim, "scim_") {
		t.Fatalf("the customer's new token: %q", scim)
	}
	cu.look("setup-token")

	idp := func(method, path, body string) {
		t.Helper()
		req, _ := http.NewRequest(method, root+"/scim/v2"+path, strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+scim)
		req.Header.Set("Content-Type", "application/scim+json")
		req.Header.Set("User-Agent", "Okta SCIM Client 1.0.0")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusCreated {
			t.Fatalf("%s %s: %d", method, path, resp.StatusCode)
		}
	}
	idp("POST", "/Users", `{"schemas": ["`+userURN+`"], "userName": "kim@example.com"}`)
	cu.visit(linkPath, http.StatusOK)
	cu.press(`#requests button`, http.StatusOK)
	if rows := cu.text("ol.requests"); !strings.Contains(rows, "POST /scim/v2/Users") || !strings.Contains(rows, "201") || !strings.Contains(rows, "Okta SCIM Client 1.0.0") {
		t.Errorf("the set-up page shows %q; want the request that arrived", rows)
	}
	cu.look("setup-request-arrived")

	// Watching, the page reloads itself and shows the next request
	// without a click.
	cu.navigate("click Watch", chromedp.Click(chromedp.CSS(`a[href*="watch=1"]`)), http.StatusOK)
	idp("POST", "/Groups", `{"schemas": ["`+groupURN+`"], "displayName": "Engineering"}`)
	// Read as the page may be reloading: a read that fails then, with
	// the page between two documents, is tried again.
	requests := func() string {
		ctx, cancel := context.WithTimeout(cu.ctx, 5*time.Second)
		defer cancel()
		s, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`(document.querySelector('ol.requests') || {}).textContent || ''`))
		return s
	}
	for deadline := time.Now().Add(patience); !strings.Contains(requests(), "POST /scim/v2/Groups"); time.Sleep(200 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("watching, the page never showed the group's request: %s", requests())
		}
	}
	cu.look("setup-watching") // within the 5 seconds before the next reload
	// Where Stop watching leads; gone to rather than clicked, which
	// could race a reload.
	cu.visit(linkPath+"#requests", http.StatusOK)
	if strings.Contains(cu.text("#requests"), "reloads every 5 seconds") {
		t.Error("the page still reloads itself after Stop watching")
	}

	cu.press(`form[action$="/rotate"] button`, http.StatusCreated)
	if rotated := cu.text("code.secret"); !strings.HasPrefix(rotated, "scim_") || rotated == scim {
		t.Errorf("the rotated token: %q", rotated)
	}
	cu.sees("Old token", "works until")
	cu.look("setup-rotated")

	// The link opens nothing of the console.
	cu.visit("/admin/workspaces/default?link="+url.QueryEscape(strings.TrimPrefix(linkPath, "/admin/setup?link=")), http.StatusOK)
	if got := cu.path(); got != "/admin/login" {
		t.Errorf("the customer reached %s; want the sign-in page", got)
	}

	// The operator sees what the link did, and revokes it.
	op.visit("/admin/audit?actor="+url.QueryEscape("setup_link:"+linkID), http.StatusOK)
	op.sees("token.create", "token.rotate")
	op.look("audit-setup-link")
	op.visit("/admin/workspaces/default/setup-links/"+linkID+"/revoke", http.StatusOK)
	op.press("button.danger", http.StatusOK)
	op.sees("Revoked set-up link")
	cu.visit(linkPath, http.StatusGone)
	cu.sees("has been revoked")
	if body := cu.text("body"); strings.Contains(body, "okta") || strings.Contains(body, root+"/scim/v2") {
		t.Errorf("the revoked link's page shows the workspace's: %s", body)
	}
	cu.look("setup-link-revoked")
}
