package admin

import (
	"fmt"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/scimd/scimd/internal/store"
)

func TestAdminWritesAreAudited(t *testing.T) {
	e := newEnv(t)
	e.do("POST", "workspaces", `{"slug":"globex"}`).want(http.StatusCreated)
	created := e.audit("workspace.create")
	if len(created) != 1 {
		t.Fatalf("entries %+v", created)
	}
	a := created[0]
	if a.Channel != "admin" || a.Actor != "admin_token:"+e.adminID || a.Status != 201 || a.WorkspaceID == "" || a.Target != a.WorkspaceID {
		t.Errorf("entry %+v", a)
	}
	p := payload(t, a)
	if p["method"] != "POST" || p["path"] != Prefix+"/workspaces" || p["token_id"] != e.adminID || p["slug"] != "globex" {
		t.Errorf("payload %v", p)
	}
	// Reads are not recorded.
	e.do("GET", "workspaces", "").want(http.StatusOK)
	if all := e.audit(""); len(all) != 1 {
		t.Errorf("%d entries, want only the create", len(all))
	}
}

func TestQueryAudit(t *testing.T) {
	e := newEnv(t)
	base := e.now.UTC().Truncate(time.Second)
	err := e.st.AppendAudit(e.ctx, []store.AuditEntry{
		{Time: base.Add(-3 * time.Hour), WorkspaceID: e.acmeID, Channel: "scim", Action: "user.create", Actor: "token:" + e.scimID, Target: "usr_a", CorrelationID: "req-1", Status: 201},
		{Time: base.Add(-2 * time.Hour), WorkspaceID: e.acmeID, Channel: "scim", Action: "user.patch", Actor: "token:" + e.scimID, Target: "usr_a", Status: 200},
		{Time: base.Add(-time.Hour), WorkspaceID: "ws_gone", Channel: "scim", Action: "group.create", Target: "grp_b", Status: 201},
	})
	if err != nil {
		t.Fatal(err)
	}
	ids := func(query string) []string {
		t.Helper()
		r := e.do("GET", "audit?"+query, "").want(http.StatusOK)
		var out []string
		for _, x := range r["entries"].([]any) {
			m := x.(map[string]any)
			out = append(out, m["action"].(string))
		}
		return out
	}
	for _, tt := range []struct{ query, want string }{
		{"", "[group.create user.patch user.create]"},
		{"workspace=acme", "[user.patch user.create]"},
		{"workspace=ws_gone", "[group.create]"},
		{"channel=scim&action=" + url.QueryEscape("user.*"), "[user.patch user.create]"},
		{"actor=token:" + e.scimID + "&target=usr_a", "[user.patch user.create]"},
		{"correlation_id=req-1", "[user.create]"},
		{"since=150m", "[group.create user.patch]"},
		{"since=" + url.QueryEscape(base.Add(-150*time.Minute).Format(time.RFC3339)) + "&until=90m", "[user.patch]"},
		{"channel=admin", "[]"},
	} {
		if got := ids(tt.query); fmt.Sprint(got) != tt.want {
			t.Errorf("%s: %v, want %s", tt.query, got, tt.want)
		}
	}
	r := e.do("GET", "audit?workspace=acme", "").want(http.StatusOK)
	if first := r["entries"].([]any)[0].(map[string]any); first["workspace"] != "acme" || first["workspace_id"] != e.acmeID {
		t.Errorf("entry %v", first)
	}

	// Paging.
	r = e.do("GET", "audit?limit=2", "").want(http.StatusOK)
	next, _ := r["next_cursor"].(string)
	if len(r["entries"].([]any)) != 2 || next == "" {
		t.Fatalf("first page %v", r)
	}
	r = e.do("GET", "audit?limit=2&cursor="+url.QueryEscape(next), "").want(http.StatusOK)
	if len(r["entries"].([]any)) != 1 || r["next_cursor"] != nil {
		t.Errorf("last page %v", r)
	}
}

func TestQueryAuditErrors(t *testing.T) {
	e := newEnv(t)
	contains(t, e.do("GET", "audit?since=yesterday", "").wantError(http.StatusBadRequest, CodeInvalidParameter), "since=yesterday")
	e.do("GET", "audit?until=2025-13-01", "").wantError(http.StatusBadRequest, CodeInvalidParameter)
	e.do("GET", "audit?limit=5000", "").wantError(http.StatusBadRequest, CodeInvalidParameter)
	e.do("GET", "audit?limit=ten", "").wantError(http.StatusBadRequest, CodeInvalidParameter)
	e.do("GET", "audit?cursor=bogus", "").wantError(http.StatusBadRequest, CodeInvalidCursor)
	e.do("GET", "audit?workspace=nope", "").wantError(http.StatusNotFound, CodeWorkspaceNotFound)
}
