package console_test

import (
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/scimd/scimd/internal/store"
)

func TestAuditPage(t *testing.T) {
	e := newEnv(t)
	base := time.Unix(0, e.now.Load()).Add(-48 * time.Hour)
	var entries []store.AuditEntry
	for i := range 60 {
		entries = append(entries, store.AuditEntry{
			Time: base.Add(time.Duration(i) * time.Minute), WorkspaceID: e.acmeID, Channel: "scim", Action: "user.create",
			Actor: "token:" + e.scimID, Target: fmt.Sprintf("usr_%02d", i), CorrelationID: fmt.Sprintf("req-%02d", i), Status: 201,
			Payload: []byte(`{"method":"POST","diff":{"userName":{"new":"<i>x</i>"}}}`),
		})
	}
	if err := e.st.AppendAudit(e.ctx, entries); err != nil {
		t.Fatal(err)
	}
	e.signIn()
	e.post("/admin/workspaces", url.Values{"slug": {"beta"}}).redirects("/admin/workspaces/beta")

	t.Run("newest first, a page at a time", func(t *testing.T) {
		p := e.get("/admin/audit?channel=scim").want(http.StatusOK).
			has("usr_59", "usr_10", `<option value="scim" selected>`, "&lt;i&gt;x&lt;/i&gt;").lacks("usr_09", "workspace.create", "<i>x</i>")
		if i, j := strings.Index(p.body, "usr_59"), strings.Index(p.body, "usr_10"); i > j {
			t.Error("older entries before newer ones")
		}
		next := regexp.MustCompile(`href="(/admin/audit\?[^"]*cursor=[^"]+)">Next page`).FindStringSubmatch(p.body)
		if next == nil {
			t.Fatalf("no next page link:\n%s", p.body)
		}
		e.get(strings.ReplaceAll(next[1], "&amp;", "&")).want(http.StatusOK).
			has("usr_09", "usr_00", `href="/admin/audit?channel=scim">First page`).lacks("usr_10", "Next page", "workspace.create")
	})

	for _, tt := range []struct {
		query      string
		has, lacks []string
	}{
		{"channel=admin", []string{"workspace.create", "admin_token:" + e.adminID}, []string{"usr_59"}},
		{"action=workspace.*", []string{"workspace.create"}, []string{"user.create"}},
		{"actor=token:" + e.scimID, []string{"usr_59"}, []string{"workspace.create"}},
		{"target=usr_07", []string{"usr_07", `value="usr_07"`}, []string{"usr_08", "usr_06"}},
		{"correlation_id=req-33", []string{"usr_33"}, []string{"usr_32"}},
		{"since=1h", []string{"workspace.create"}, []string{"usr_59"}},
		{"workspace=beta", []string{"workspace.create"}, []string{"usr_59"}},
		{"workspace=acme&since=" + url.QueryEscape(base.Add(58*time.Minute).Format(time.RFC3339)), []string{"usr_58", "usr_59"}, []string{"usr_57", "workspace.create"}},
	} {
		t.Run(tt.query, func(t *testing.T) {
			e.get("/admin/audit?" + tt.query).want(http.StatusOK).has(tt.has...).lacks(tt.lacks...)
		})
	}

	// What the API refuses, it explains.
	e.get("/admin/audit?since=yesterday").want(http.StatusBadRequest).has("since=yesterday: want an RFC 3339 time", `value="yesterday"`)
	e.get("/admin/audit?workspace=nope").want(http.StatusNotFound).has("workspace &#34;nope&#34; does not exist")
	e.get("/admin/audit?cursor=bogus").want(http.StatusBadRequest).has("invalid_cursor")
}
