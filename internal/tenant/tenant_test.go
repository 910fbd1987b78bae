package tenant_test

import (
	"context"
	"errors"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/scimd/scimd/internal/store"
	"github.com/scimd/scimd/internal/store/sqlite"
	"github.com/scimd/scimd/internal/tenant"
	"github.com/scimd/scimd/internal/token"
)

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

func newService(t *testing.T, opts ...tenant.Option) (*tenant.Service, store.Store, *clock) {
	t.Helper()
	st, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "scimd.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	c := &clock{t: time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)}
	svc := tenant.New(st, token.NewHasher([]byte("0123456789abcdef0123456789abcdef")), append([]tenant.Option{tenant.WithClock(c.now)}, opts...)...)
	for _, slug := range []string{"acme", "beta"} {
		if _, err := svc.CreateWorkspace(context.Background(), slug); err != nil {
			t.Fatal(err)
		}
	}
	return svc, st, c
}

func TestValidateConfig(t *testing.T) {
	if err := tenant.ValidateConfig(store.DefaultWorkspaceConfig()); err != nil {
		t.Errorf("the defaults: %v", err)
	}
	zero, neg := 0, -5
	tests := []struct {
		name string
		edit func(*store.WorkspaceConfig)
		want string // in the message; "" for valid
	}{
		{"team", func(c *store.WorkspaceConfig) { c.DefaultTeam = "Platform Eng" }, ""},
		{"seats", func(c *store.WorkspaceConfig) { n := 25; c.SeatLimit = &n }, ""},
		{"hard", func(c *store.WorkspaceConfig) { c.DeleteMode = store.DeleteHard }, ""},
		{"grace bounds", func(c *store.WorkspaceConfig) { c.SoftDeleteGraceDays = 3650 }, ""},
		{"empty role", func(c *store.WorkspaceConfig) { c.DefaultRole = "" }, "defaultRole"},
		{"role with newline", func(c *store.WorkspaceConfig) { c.DefaultRole = "a\nb" }, "defaultRole"},
		{"team with leading space", func(c *store.WorkspaceConfig) { c.DefaultTeam = " eng" }, "defaultTeam"},
		{"empty team role", func(c *store.WorkspaceConfig) { c.DefaultTeamRole = "" }, "defaultTeamRole"},
		{"delete mode", func(c *store.WorkspaceConfig) { c.DeleteMode = "purge" }, `deleteMode "purge" must be "soft" or "hard"`},
		{"no grace", func(c *store.WorkspaceConfig) { c.SoftDeleteGraceDays = 0 }, "softDeleteGraceDays 0 must be from 1 to 3650"},
		{"long grace", func(c *store.WorkspaceConfig) { c.SoftDeleteGraceDays = 3651 }, "softDeleteGraceDays"},
		{"no seats", func(c *store.WorkspaceConfig) { c.SeatLimit = &zero }, "seatLimit 0 must be a positive number"},
		{"negative seats", func(c *store.WorkspaceConfig) { c.SeatLimit = &neg }, "seatLimit -5"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := store.DefaultWorkspaceConfig()
			tt.edit(&c)
			err := tenant.ValidateConfig(c)
			switch {
			case tt.want == "" && err != nil:
				t.Errorf("valid config refused: %v", err)
			case tt.want != "" && (err == nil || !errors.Is(err, tenant.ErrInvalid) || !strings.Contains(err.Error(), tt.want)):
				t.Errorf("got %v, want ErrInvalid saying %q", err, tt.want)
			}
		})
	}
	// Every problem is reported at once.
	c := store.DefaultWorkspaceConfig()
	c.DeleteMode, c.SoftDeleteGraceDays = "x", 0
	if err := tenant.ValidateConfig(c); err == nil || !strings.Contains(err.Error(), "deleteMode") || !strings.Contains(err.Error(), "softDeleteGraceDays") {
		t.Errorf("two problems: %v", err)
	}
}

func TestSetConfig(t *testing.T) {
	svc, _, _ := newService(t)
	ctx := context.Background()
	w, err := svc.SetConfig(ctx, "acme", "scimEnabled=false", "CREATEUSERS=0", "defaultTeam=eng", "seatLimit=100", "softDeleteGraceDays=7", "deleteMode=hard", "strictMode=true")
	if err != nil {
		t.Fatal(err)
	}
	want := store.DefaultWorkspaceConfig()
	seats := 100
	want.SCIMEnabled, want.CreateUsers, want.DefaultTeam, want.SeatLimit = false, false, "eng", &seats
	want.SoftDeleteGraceDays, want.DeleteMode, want.StrictMode = 7, store.DeleteHard, true
	if !reflect.DeepEqual(w.Config, want) {
		t.Errorf("after set: %+v\nwant %+v", w.Config, want)
	}
	if got, _ := svc.Workspace(ctx, "acme"); !reflect.DeepEqual(got.Config, want) {
		t.Errorf("stored: %+v", got.Config)
	}
	if w, err := svc.SetConfig(ctx, "acme", "seatLimit=none", "defaultTeam="); err != nil || w.Config.SeatLimit != nil || w.Config.DefaultTeam != "" {
		t.Errorf("clearing: %+v, %v", w.Config, err)
	}

	// All or nothing, with every problem named.
	for _, bad := range [][]string{
		{"scimEnabled=true", "softDeleteGraceDays=0"},
		{"scimEnabled=true", "colour=blue"},
		{"scimEnabled=true", "createUsers=maybe"},
		{"scimEnabled=true", "seatLimit=lots"},
		{"scimEnabled"},
		{},
	} {
		_, err := svc.SetConfig(ctx, "acme", bad...)
		if !errors.Is(err, tenant.ErrInvalid) {
			t.Errorf("SetConfig(%q): %v, want ErrInvalid", bad, err)
		}
	}
	if got, _ := svc.Workspace(ctx, "acme"); got.Config.SCIMEnabled {
		t.Error("a failed SetConfig changed the workspace")
	}
	_, err = svc.SetConfig(ctx, "acme", "colour=blue")
	if err == nil || !strings.Contains(err.Error(), "scimEnabled, createUsers") {
		t.Errorf("an unknown key should list the known ones: %v", err)
	}
	if _, err := svc.SetConfig(ctx, "gamma", "strictMode=true"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("unknown workspace: %v", err)
	}
}

func TestTokenLifetimes(t *testing.T) {
	svc, _, c := newService(t, tenant.WithDefaultTokenTTL(90*24*time.Hour))
	ctx := tenant.WithActor(context.Background(), "cli:alice")
	now := c.now()
	for _, tt := range []struct {
		ttl  time.Duration
		want time.Time
	}{
		{0, now.Add(90 * 24 * time.Hour)}, // the installation's default
		{time.Hour, now.Add(time.Hour)},
		{-1, time.Time{}},
	} {
		_, rec, err := svc.CreateToken(ctx, "acme", "t", tt.ttl)
		if err != nil {
			t.Fatal(err)
		}
		if !rec.Expires.Equal(tt.want) || rec.CreatedBy != "cli:alice" || rec.Kind != store.TokenSCIM {
			t.Errorf("ttl %v: %+v, want expiry %v", tt.ttl, rec, tt.want)
		}
	}
	never, _, _ := newService(t, tenant.WithDefaultTokenTTL(-1))
	if _, rec, err := never.CreateToken(ctx, "acme", "t", 0); err != nil || !rec.Expires.IsZero() {
		t.Errorf("with tokens that never expire by default: %+v, %v", rec, err)
	}
	for _, name := range []string{"", "  ", "a\tb", strings.Repeat("x", 101)} {
		if _, _, err := svc.CreateToken(ctx, "acme", name, 0); !errors.Is(err, tenant.ErrInvalid) {
			t.Errorf("name %q: %v, want ErrInvalid", name, err)
		}
	}
	if _, _, err := svc.CreateToken(ctx, "gamma", "t", 0); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("unknown workspace: %v", err)
	}
}

func TestListAndRevoke(t *testing.T) {
	svc, _, c := newService(t)
	ctx := context.Background()
	_, a, _ := svc.CreateToken(ctx, "acme", "a", 10*24*time.Hour+time.Hour)
	_, b, _ := svc.CreateToken(ctx, "acme", "b", time.Hour)
	_, other, _ := svc.CreateToken(ctx, "beta", "other", 0)
	_, adm, err := svc.CreateAdminToken(ctx, "ops", -1)
	if err != nil {
		t.Fatal(err)
	}
	c.advance(2 * time.Hour)

	infos, err := svc.ListTokens(ctx, "acme")
	if err != nil || len(infos) != 2 {
		t.Fatalf("ListTokens: %+v, %v", infos, err)
	}
	// Both were created at the same instant, so their order is by id.
	byID := map[string]tenant.TokenInfo{infos[0].ID: infos[0], infos[1].ID: infos[1]}
	if i := byID[a.ID]; i.State != tenant.StateActive || i.DaysLeft != 9 || i.Hash != nil {
		t.Errorf("active token listed as %+v", i)
	}
	if i := byID[b.ID]; i.State != tenant.StateExpired || i.DaysLeft != 0 {
		t.Errorf("expired token listed as %+v", i)
	}

	// A token is revoked only through its own workspace.
	if _, err := svc.RevokeToken(ctx, "acme", other.ID); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("revoking another workspace's token: %v, want ErrNotFound", err)
	}
	if _, err := svc.RevokeToken(ctx, "acme", adm.ID); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("revoking an admin token as a workspace's: %v, want ErrNotFound", err)
	}
	if _, err := svc.RevokeAdminToken(ctx, a.ID); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("revoking a workspace's token as an admin token: %v, want ErrNotFound", err)
	}
	rec, err := svc.RevokeToken(ctx, "acme", a.ID)
	if err != nil || !rec.Revoked.Equal(c.now()) {
		t.Fatalf("RevokeToken: %+v, %v", rec, err)
	}
	first := c.now()
	c.advance(time.Minute)
	if rec, err := svc.RevokeToken(ctx, "acme", a.ID); err != nil || !rec.Revoked.Equal(first) {
		t.Errorf("revoking again: %+v, %v; want the first time kept", rec, err)
	}
	infos, _ = svc.ListTokens(ctx, "acme")
	for _, i := range infos {
		if i.ID == a.ID && i.State != tenant.StateRevoked {
			t.Errorf("revoked token listed as %s", i.State)
		}
	}

	admins, err := svc.ListAdminTokens(ctx)
	if err != nil || len(admins) != 1 || admins[0].ID != adm.ID || admins[0].DaysLeft != -1 || admins[0].WorkspaceID != "" {
		t.Errorf("ListAdminTokens: %+v, %v", admins, err)
	}
	if rec, err := svc.RevokeAdminToken(ctx, adm.ID); err != nil || rec.Revoked.IsZero() {
		t.Errorf("RevokeAdminToken: %+v, %v", rec, err)
	}
}

func TestRotateKeepsEarlierExpiry(t *testing.T) {
	svc, _, c := newService(t)
	ctx := context.Background()
	_, rec, _ := svc.CreateToken(ctx, "acme", "okta", 2*time.Hour)
	c.advance(time.Hour)
	_, next, old, err := svc.RotateToken(ctx, "acme", rec.ID, 24*time.Hour, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	// An overlap past the old token's end does not extend it.
	if !old.Expires.Equal(rec.Expires) {
		t.Errorf("old token expires %v, want still %v", old.Expires, rec.Expires)
	}
	if !next.Expires.Equal(c.now().Add(2 * time.Hour)) {
		t.Errorf("new token expires %v, want the old lifetime from now", next.Expires)
	}
	if _, _, _, err := svc.RotateToken(ctx, "acme", rec.ID, -time.Second, time.Time{}); !errors.Is(err, tenant.ErrInvalid) {
		t.Errorf("negative overlap: %v", err)
	}
	if _, _, _, err := svc.RotateToken(ctx, "beta", rec.ID, 0, time.Time{}); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("rotating through another workspace: %v", err)
	}
	c.advance(2 * time.Hour)
	if _, _, _, err := svc.RotateToken(ctx, "acme", rec.ID, 0, time.Time{}); !errors.Is(err, tenant.ErrInvalid) {
		t.Errorf("rotating an expired token: %v", err)
	}
}

// failingStore fails TouchTokens while fail is set.
type failingStore struct {
	store.Store
	mu   sync.Mutex
	fail bool
	got  []map[string]time.Time
}

func (f *failingStore) TouchTokens(ctx context.Context, used map[string]time.Time) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.fail {
		return errors.New("database down")
	}
	f.got = append(f.got, used)
	return nil
}

func TestLastUsedBatches(t *testing.T) {
	f := &failingStore{}
	l := tenant.NewLastUsed(f, time.Hour, nil)
	t0 := time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)
	l.Record("tok_a", t0)
	l.Record("tok_a", t0.Add(time.Second))
	l.Record("tok_a", t0) // an older use arriving late
	l.Record("tok_b", t0)
	f.fail = true
	if err := l.Flush(context.Background()); err == nil {
		t.Fatal("Flush hid the store's error")
	}
	f.fail = false
	l.Record("tok_b", t0.Add(time.Minute)) // while the write failed
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	want := []map[string]time.Time{{"tok_a": t0.Add(time.Second), "tok_b": t0.Add(time.Minute)}}
	if !reflect.DeepEqual(f.got, want) {
		t.Errorf("written %v, want %v", f.got, want)
	}
	if err := l.Close(); err != nil {
		t.Errorf("closing twice: %v", err)
	}
}

func TestBootstrap(t *testing.T) {
	st, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "scimd.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	svc := tenant.New(st, token.NewHasher([]byte("0123456789abcdef0123456789abcdef")))
	tok, err := svc.Bootstrap(context.Background())
	if err != nil || !strings.HasPrefix(tok, token.Prefix) {
		t.Fatalf("Bootstrap: %q, %v", tok, err)
	}
	infos, err := svc.ListTokens(context.Background(), "default")
	if err != nil || len(infos) != 1 || infos[0].CreatedBy != "bootstrap" {
		t.Errorf("bootstrap token: %+v, %v", infos, err)
	}
	w, _ := svc.Workspace(context.Background(), "default")
	if !reflect.DeepEqual(w.Config, store.DefaultWorkspaceConfig()) {
		t.Errorf("bootstrap workspace config: %+v", w.Config)
	}
	if tok, err := svc.Bootstrap(context.Background()); tok != "" || err != nil {
		t.Errorf("second Bootstrap: %q, %v", tok, err)
	}
}

// BenchmarkLastUsedRecord measures what recording a token's use adds to
// a request.
func BenchmarkLastUsedRecord(b *testing.B) {
	l := tenant.NewLastUsed(&failingStore{}, time.Hour, nil)
	defer l.Close()
	now := time.Now()
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			l.Record("tok_aaaaaaaaaaaaaaaa", now)
		}
	})
}

// Application tokens belong to workspaces too, but are not SCIM tokens:
// the SCIM token commands neither list nor touch them.
func TestAppTokensAreNotSCIMTokens(t *testing.T) {
	ctx := context.Background()
	svc, st, _ := newService(t)
	w, err := svc.Workspace(ctx, "acme")
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := svc.CreateToken(ctx, "acme", "okta", 0); err != nil {
		t.Fatal(err)
	}
	app := store.Token{ID: "tok_app", Kind: store.TokenApp, WorkspaceID: w.ID, Name: "app", Hash: []byte("h"), Created: time.Now()}
	if err := st.CreateToken(ctx, app); err != nil {
		t.Fatal(err)
	}
	list, err := svc.ListTokens(ctx, "acme")
	if err != nil || len(list) != 1 || list[0].Name != "okta" {
		t.Errorf("ListTokens = %+v, %v; want the SCIM token only", list, err)
	}
	if _, err := svc.RevokeToken(ctx, "acme", "tok_app"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("RevokeToken(app token) = %v, want ErrNotFound", err)
	}
	if _, _, _, err := svc.RotateToken(ctx, "acme", "tok_app", 0, time.Time{}); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("RotateToken(app token) = %v, want ErrNotFound", err)
	}
}

// TestConfigValueRoundTrip checks that every setting's text form reads
// back as the value it came from.
func TestConfigValueRoundTrip(t *testing.T) {
	limit := 25
	configs := []store.WorkspaceConfig{store.DefaultWorkspaceConfig(), store.DefaultWorkspaceConfig()}
	c := &configs[1]
	c.SCIMEnabled, c.StrictMode, c.SeatLimit, c.DefaultTeam, c.DeleteMode = false, true, &limit, "eng", store.DeleteHard
	if err := tenant.SetConfigValue(c, "roles", "reader:5, boss:50"); err != nil {
		t.Fatal(err)
	}
	if err := tenant.SetConfigValue(c, "roleMappings", "Eng*:reader,externalId=00g1:boss"); err != nil {
		t.Fatal(err)
	}
	if err := tenant.SetConfigValue(c, "groupAllowlist", "Eng*,Admins"); err != nil {
		t.Fatal(err)
	}
	for _, c := range configs {
		var back store.WorkspaceConfig
		for _, k := range tenant.ConfigKeys() {
			v := tenant.ConfigValue(c, k)
			if err := tenant.SetConfigValue(&back, strings.ToUpper(k), v); err != nil {
				t.Errorf("%s=%s: %v", k, v, err)
			}
		}
		if !reflect.DeepEqual(back, c) {
			t.Errorf("read back %+v, want %+v", back, c)
		}
	}
	if got := tenant.ConfigValue(configs[1], "roleMappings"); got != "Eng*:reader,externalId=00g1:boss" {
		t.Errorf("roleMappings %q", got)
	}
	if got := tenant.ConfigValue(configs[0], "seatLimit"); got != "none" {
		t.Errorf("seatLimit %q", got)
	}
	if got := tenant.ConfigValue(configs[0], "colour"); got != "" {
		t.Errorf("unknown key: %q", got)
	}
}

// TestConfigDocs: every setting says what it does.
func TestConfigDocs(t *testing.T) {
	for _, k := range tenant.ConfigKeys() {
		if tenant.ConfigDoc(k) == "" {
			t.Errorf("setting %s has no doc", k)
		}
	}
	if d := tenant.ConfigDoc("colour"); d != "" {
		t.Errorf("unknown setting: %q", d)
	}
}
