// Package scimdtest runs scimd in a test, over HTTP on the loopback
// interface and a fresh SQLite database, with its SCIM, application and
// admin APIs as the server serves them: for the tests of clients, which
// should meet the real handlers rather than imitations of them.
package scimdtest

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"time"

	"github.com/scimd/scimd/internal/access"
	"github.com/scimd/scimd/internal/admin"
	"github.com/scimd/scimd/internal/appapi"
	"github.com/scimd/scimd/internal/auth"
	"github.com/scimd/scimd/internal/front"
	"github.com/scimd/scimd/internal/server"
	"github.com/scimd/scimd/internal/store"
	"github.com/scimd/scimd/internal/store/sqlite"
	"github.com/scimd/scimd/internal/tenant"
	"github.com/scimd/scimd/internal/token"
)

// Server is a running scimd.
type Server struct {
	// URL is the server's: http://127.0.0.1:PORT.
	URL string
	// AdminToken is an admin token of the installation that never
	// expires, so that it can mint tokens that never do.
	AdminToken string
	// Store is the server's database.
	Store store.Store

	t      T
	hasher *token.Hasher
	ten    *tenant.Service
}

// T is what Start needs of a test: a *testing.T, or what a TestMain
// makes for examples, which have none.
type T interface {
	Helper()
	Fatal(args ...any)
	Fatalf(format string, args ...any)
	TempDir() string
	Cleanup(func())
}

// Start starts a server that stops when the test ends.
func Start(t T) *Server {
	t.Helper()
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "scimd.db"))
	if err != nil {
		t.Fatal(err)
	}
	s := &Server{Store: st, t: t, hasher: token.NewHasher([]byte(rand.Text() + rand.Text()))}
	s.ten = tenant.New(st, s.hasher)
	if s.AdminToken, _, err = s.ten.CreateAdminToken(ctx, "test", -1); err != nil {
		t.Fatal(err)
	}
	// The surfaces share one authenticator, as scimd serve has them.
	cfg := server.DefaultConfig()
	authn := auth.New(auth.Config{Store: st, Hasher: s.hasher, StoreTimeout: cfg.RequestTimeout})
	cfg.Authenticator = authn
	scim := server.New(cfg, st, s.hasher, nil)
	app := appapi.New(appapi.Config{Store: st, Hasher: s.hasher, Authenticator: authn})
	adm := admin.New(admin.Config{Store: st, Hasher: s.hasher, Tenant: s.ten, Authenticator: authn})
	// The surfaces as scimd serve puts them together, with the same
	// routing and middleware.
	root, err := front.New(front.Config{SCIM: scim, App: app, Admin: adm})
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(root)
	s.URL = hs.URL
	t.Cleanup(func() {
		hs.Close()
		app.Close()
		adm.Close()
		scim.Close()
		authn.Close()
		st.Close()
	})
	return s
}

// Workspace is a workspace made by NewWorkspace, with its tokens.
type Workspace struct {
	Slug string
	// SCIMToken is what its identity provider would send.
	SCIMToken string
	// AppToken is what its application sends.
	AppToken string
}

// NewWorkspace creates a workspace with a SCIM token and an app token.
func (s *Server) NewWorkspace(slug string) Workspace {
	s.t.Helper()
	ctx := context.Background()
	w, err := s.ten.CreateWorkspace(ctx, slug)
	if err != nil {
		s.t.Fatal(err)
	}
	scimTok, _, err := s.ten.CreateToken(ctx, slug, "idp", 0)
	if err != nil {
		s.t.Fatal(err)
	}
	iss := access.NewIssuer(access.Config{Store: s.Store, Hasher: s.hasher})
	appTok, _, err := iss.CreateAppToken(ctx, w.ID, "app", time.Time{})
	if err != nil {
		s.t.Fatal(err)
	}
	return Workspace{Slug: slug, SCIMToken: scimTok, AppToken: appTok}
}

// SCIM sends a SCIM request as the workspace's identity provider would,
// with body as JSON unless nil, and returns the status and the decoded
// answer.
func (s *Server) SCIM(w Workspace, method, path string, body any) (int, map[string]any) {
	s.t.Helper()
	var r io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			s.t.Fatal(err)
		}
		r = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, s.URL+"/scim/v2"+path, r)
	if err != nil {
		s.t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+w.SCIMToken)
	req.Header.Set("Content-Type", "application/scim+json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		s.t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	if b, _ := io.ReadAll(resp.Body); len(b) > 0 {
		if err := json.Unmarshal(b, &out); err != nil {
			s.t.Fatalf("%s %s: %d %s", method, path, resp.StatusCode, b)
		}
	}
	return resp.StatusCode, out
}

// CreateUser provisions an active user as an identity provider would,
// and returns its id.
func (s *Server) CreateUser(w Workspace, userName string) string {
	s.t.Helper()
	status, u := s.SCIM(w, http.MethodPost, "/Users", map[string]any{
		"schemas":  []string{"urn:ietf:params:scim:schemas:core:2.0:User"},
		"userName": userName,
		"active":   true,
	})
	if status != http.StatusCreated {
		s.t.Fatalf("create user %s: %d %v", userName, status, u)
	}
	return fmt.Sprint(u["id"])
}

// SetActive deactivates or reactivates a user with a SCIM PATCH, as
// identity providers do (RFC 7644 §3.5.2).
func (s *Server) SetActive(w Workspace, id string, active bool) {
	s.t.Helper()
	status, u := s.SCIM(w, http.MethodPatch, "/Users/"+id, map[string]any{
		"schemas":    []string{"urn:ietf:params:scim:api:messages:2.0:PatchOp"},
		"Operations": []map[string]any{{"op": "replace", "value": map[string]any{"active": active}}},
	})
	if status != http.StatusOK {
		s.t.Fatalf("set active %v on %s: %d %v", active, id, status, u)
	}
}
