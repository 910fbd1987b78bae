package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/accessibility"
	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
)

// The browser tests drive headless Chromium against "scimd serve", as an
// operator uses the console. They need Chromium (Debian's package
// chromium, which .ci/run installs); without it they fail in CI and are
// skipped elsewhere.
const (
	// chromiumEnv names the Chromium to run, if not the one on PATH.
	chromiumEnv = "SCIMD_TEST_CHROMIUM"
	// screenshotsEnv names the folder the tests save a screenshot of
	// each page they visit into, for people to look at; unset, they go
	// to a temporary folder removed after the test.
	screenshotsEnv = "SCIMD_TEST_SCREENSHOTS"
)

// phoneWidth is the width of a phone's screen in CSS pixels: every page
// must fit it without scrolling sideways.
const phoneWidth = 390

// browser is a headless Chromium with one tab, signed in to nothing yet.
type browser struct {
	t     *testing.T
	ctx   context.Context // the tab's
	root  string          // the server's root URL: http://127.0.0.1:port
	shots string          // where screenshots go
	n     int             // screenshots taken
}

// chromium returns the path of the Chromium to run, failing t in CI and
// skipping it elsewhere if there is none.
func chromium(t *testing.T) string {
	t.Helper()
	if p := os.Getenv(chromiumEnv); p != "" {
		return p
	}
	for _, name := range []string{"chromium", "chromium-browser"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	msg := "no Chromium: install Debian's chromium package (apt-get install chromium), or name one in " + chromiumEnv
	if os.Getenv("CI") == "true" {
		t.Fatal(msg)
	}
	t.Skip(msg)
	return ""
}

// newBrowser starts Chromium exe, with a profile of its own that is
// removed when t ends, on a phone-sized window, for the server at root.
func newBrowser(t *testing.T, exe, root string) *browser {
	t.Helper()
	shots := os.Getenv(screenshotsEnv)
	if shots == "" {
		shots = t.TempDir()
	} else {
		shots = filepath.Join(shots, t.Name())
		if err := os.MkdirAll(shots, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(),
		chromedp.ExecPath(exe),
		chromedp.Headless,
		chromedp.NoSandbox, // root in CI's containers has no user namespace for it
		chromedp.DisableGPU,
		chromedp.Flag("disable-background-networking", true),
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(phoneWidth, 844),
	)
	ctx, cancel := chromedp.NewContext(alloc)
	t.Cleanup(func() {
		cancel()
		cancelAlloc()
	})
	b := &browser{t: t, ctx: ctx, root: root, shots: shots}
	// The first action starts the browser; it must not run under a
	// deadline, which would end the browser with it.
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(phoneWidth, 844, chromedp.EmulateMobile)); err != nil {
		t.Fatalf("starting %s: %v", exe, err)
	}
	return b
}

// inTab runs an action in the tab; a minute bounds it, so that a page that
// never comes fails the test rather than hanging it.
func inTab[T any](b *browser, what string, a chromedp.Action[T]) T {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, time.Minute)
	defer cancel()
	v, err := chromedp.Run(ctx, a)
	if err != nil {
		b.t.Fatalf("%s: %v (at %s)", what, err, b.location())
	}
	return v
}

// location returns the URL of the tab, or why it has none.
func (b *browser) location() string {
	ctx, cancel := context.WithTimeout(b.ctx, 5*time.Second)
	defer cancel()
	u, err := chromedp.Run(ctx, chromedp.Location())
	if err != nil {
		return err.Error()
	}
	return u
}

// path returns the path and query of the page the tab shows.
func (b *browser) path() string {
	b.t.Helper()
	u, err := url.Parse(inTab(b, "location", chromedp.Location()))
	if err != nil {
		b.t.Fatal(err)
	}
	return u.RequestURI()
}

// visit loads a page of the server and checks that it answered status.
func (b *browser) visit(path string, status int64) {
	b.t.Helper()
	resp := inTab(b, "visit "+path, chromedp.NavigateResponse(b.root+path))
	// A page that reloads itself (the set-up page, watching) can finish
	// loading between our navigation's start and its response, which
	// then goes unseen: go again.
	for try := 1; resp == nil && try < 3; try++ {
		resp = inTab(b, "visit "+path, chromedp.NavigateResponse(b.root+path))
	}
	if resp == nil {
		b.t.Fatalf("visit %s: no response seen (at %s)", path, b.location())
	}
	if resp.Status != status {
		b.t.Fatalf("visit %s: %d at %s, want %d", path, resp.Status, resp.URL, status)
	}
}

// fill types value into the field that sel selects, as a person does.
func (b *browser) fill(sel, value string) {
	b.t.Helper()
	inTab(b, "fill "+sel, chromedp.SendKeys(chromedp.CSS(sel), value))
}

// press clicks the button that sel selects and waits for the page it
// leads to, which must answer status.
func (b *browser) press(sel string, status int64) {
	b.t.Helper()
	b.navigate("press "+sel, chromedp.Click(chromedp.CSS(sel)), status)
}

// navigate runs an action that leads to another page, and waits for the
// page, which must answer status.
func (b *browser) navigate(what string, a chromedp.Action[chromedp.Void], status int64) {
	b.t.Helper()
	resp, err := func() (*network.Response, error) {
		ctx, cancel := context.WithTimeout(b.ctx, time.Minute)
		defer cancel()
		return chromedp.RunResponse(ctx, a)
	}()
	if err != nil {
		b.t.Fatalf("%s: %v (at %s)", what, err, b.location())
	}
	if resp == nil {
		b.t.Fatalf("%s: no response seen (at %s)", what, b.location())
	}
	if resp.Status != status {
		b.t.Fatalf("%s: %d at %s, want %d", what, resp.Status, resp.URL, status)
	}
}

// focused describes the element that has the keyboard's focus.
func (b *browser) focused() string {
	b.t.Helper()
	return inTab(b, "focused element", chromedp.Evaluate[string](
		`(e => e.tagName.toLowerCase() + (e.id ? '#' + e.id : '') + ' ' + e.textContent.trim())(document.activeElement)`))
}

// text returns the text of the element that sel selects.
func (b *browser) text(sel string) string {
	b.t.Helper()
	return inTab(b, "text of "+sel, chromedp.Text(chromedp.CSS(sel)))
}

// sees checks that the page shows each of texts.
func (b *browser) sees(texts ...string) {
	b.t.Helper()
	body := b.text("body")
	for _, s := range texts {
		if !strings.Contains(body, s) {
			b.t.Errorf("%s does not show %q:\n%s", b.path(), s, body)
		}
	}
}

// overflowJS lists the elements that reach past the right edge of the
// page, to say what makes a page scroll sideways.
const overflowJS = `(() => {
	const w = document.documentElement.clientWidth;
	const out = [];
	for (const el of document.body.querySelectorAll('*')) {
		const r = el.getBoundingClientRect();
		if (r.right > w + 0.5 && !(el.parentElement && el.parentElement.getBoundingClientRect().right > w + 0.5)) {
			out.push(el.tagName.toLowerCase() + (el.className ? '.' + el.className.split(' ').join('.') : '') + ' (' + Math.round(r.right) + 'px)');
		}
	}
	return out.slice(0, 10).join(', ');
})()`

// controls are the roles of what a person operates, which must each
// have a name that a screen reader says.
var controls = map[string]bool{
	"button": true, "link": true, "textbox": true, "combobox": true, "checkbox": true,
	"radio": true, "searchbox": true, "spinbutton": true, "listbox": true,
}

// unnamed lists the controls of the page that have no accessible name,
// as Chromium computes it for screen readers.
func (b *browser) unnamed() []string {
	b.t.Helper()
	nodes := inTab(b, "accessibility tree", func(ctx context.Context, t *chromedp.Target) ([]*accessibility.Node, error) {
		res, err := cdp.Call(ctx, t, accessibility.GetFullAXTree, accessibility.GetFullAXTreeParams{})
		return res.Nodes, err
	})
	str := func(v *accessibility.Value) string {
		var s string
		if v != nil {
			json.Unmarshal(v.Value, &s)
		}
		return s
	}
	var out []string
	for _, n := range nodes {
		if role := str(n.Role); !n.Ignored && controls[role] && strings.TrimSpace(str(n.Name)) == "" {
			out = append(out, fmt.Sprintf("a %s (DOM node %d)", role, n.BackendDOMNodeID))
		}
	}
	return out
}

// look checks that the page fits a phone's screen without scrolling
// sideways and that each of its controls has a name, and saves a
// screenshot of it, whole, as name.
func (b *browser) look(name string) {
	b.t.Helper()
	if u := b.unnamed(); len(u) > 0 {
		b.t.Errorf("%s (%s) has controls without an accessible name: %s", b.path(), name, strings.Join(u, ", "))
	}
	width := inTab(b, "scrollWidth", chromedp.Evaluate[int]("document.documentElement.scrollWidth"))
	if width > phoneWidth {
		b.t.Errorf("%s (%s) is %d px wide on a %d px screen; too wide: %s", b.path(), name, width, phoneWidth,
			inTab(b, "overflow", chromedp.Evaluate[string](overflowJS)))
	}
	b.n++
	png := inTab(b, "screenshot", chromedp.FullScreenshot(100))
	file := filepath.Join(b.shots, fmt.Sprintf("%02d-%s.png", b.n, name))
	if err := os.WriteFile(file, png, 0o644); err != nil {
		b.t.Fatal(err)
	}
}

// cookies returns the browser's cookies for the console.
func (b *browser) cookies() []*network.Cookie {
	b.t.Helper()
	return inTab(b, "get cookies", func(ctx context.Context, t *chromedp.Target) ([]*network.Cookie, error) {
		res, err := cdp.Call(ctx, t, network.GetCookies, network.GetCookiesParams{URLs: []string{b.root + "/admin/"}})
		return res.Cookies, err
	})
}

// setCookie puts a cookie back into the browser, as someone who copied
// it would.
func (b *browser) setCookie(ck *network.Cookie) {
	b.t.Helper()
	inTab(b, "set cookie", chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		_, err := cdp.Call(ctx, t, network.SetCookies, network.SetCookiesParams{Cookies: []*network.CookieParam{{
			Name: ck.Name, Value: ck.Value, URL: b.root + ck.Path, Path: ck.Path,
			HTTPOnly: ck.HTTPOnly, SameSite: ck.SameSite, Expires: cdp.TimeSinceEpoch(ck.Expires),
		}}})
		return err
	}))
}

// TestConsoleInBrowser: an operator signs in to the console of a new
// installation with its first admin token, creates a workspace, mints
// and rotates its SCIM token, sees a SCIM request made with the new
// token in the audit log, and signs out, after which a copy of the
// session cookie signs no one in. Every page fits a phone's screen.
func TestConsoleInBrowser(t *testing.T) {
	t.Parallel()
	exe := chromium(t)
	p := startProc(t, nil, "serve", "--addr", "127.0.0.1:0", "--db", "sqlite:"+filepath.Join(t.TempDir(), "scimd.db"))
	m := p.await(t, firstRunRE)
	root, adminToken := m[1], m[3]
	b := newBrowser(t, exe, root)
	t.Logf("screenshots in %s", b.shots)

	b.visit("/admin/", http.StatusOK)
	if got := b.path(); got != "/admin/login" {
		t.Fatalf("signed out, /admin/ shows %s; want /admin/login", got)
	}
	b.look("sign-in")
	// By keyboard alone: the token's field has the focus, and Enter
	// sends the form.
	if got := b.focused(); got != "input#token " {
		t.Errorf("the sign-in page has the focus on %q, want the token's field", got)
	}
	inTab(b, "type the token", chromedp.KeyEvent(adminToken))
	b.navigate("press Enter", chromedp.KeyEvent(kb.Enter), http.StatusOK)
	b.sees("Signed in.", "default")
	b.look("workspaces")
	// The first Tab offers to skip the navigation.
	inTab(b, "press Tab", chromedp.KeyEvent(kb.Tab))
	if got := b.focused(); got != "a Skip to content" {
		t.Errorf("the first Tab focuses %q, want the link that skips to the content", got)
	}
	inTab(b, "press Enter", chromedp.KeyEvent(kb.Enter))
	if got := b.focused(); !strings.HasPrefix(got, "main#main ") {
		t.Errorf("skipping to the content focuses %.40q, want main", got)
	}

	b.fill(`input[name="slug"]`, "acme")
	b.press(`form[action="/admin/workspaces"] button`, http.StatusOK)
	if got := b.path(); got != "/admin/workspaces/acme" {
		t.Fatalf("after creating acme: at %s", got)
	}
	b.sees("Created workspace acme.", "No token: no identity provider can connect yet.")
	b.look("workspace")

	b.fill(`form[action$="/tokens"] input[name="name"]`, "okta")
	b.press(`form[action$="/tokens"] button`, http.StatusCreated)
	first := b.text("code.secret")
	if !strings.HasPrefix(first, "scim_") {
		t.Fatalf("the new token's page shows %q, want a SCIM token", first)
	}
	b.look("token-created")
	b.visit("/admin/workspaces/acme", http.StatusOK)
	b.sees("okta", "active")
	if strings.Contains(b.text("body"), first) {
		t.Error("the workspace page shows the token's secret again")
	}

	inTab(b, "click Rotate", chromedp.Click(chromedp.CSS(`a[href$="/rotate"]`)))
	inTab(b, "rotate page", chromedp.WaitVisible(chromedp.CSS(`select[name="overlap"]`)))
	b.look("token-rotate")
	b.press("button.danger", http.StatusCreated)
	second := b.text("code.secret")
	if !strings.HasPrefix(second, "scim_") || second == first {
		t.Fatalf("the rotated token's page shows %q; want a new SCIM token", second)
	}
	b.look("token-rotated")

	scim := func(tok string) int {
		req, _ := http.NewRequest("GET", root+"/scim/v2/Users?filter="+url.QueryEscape(`userName eq "ada@example.com"`), nil)
		req.Header.Set("Authorization", "Bearer "+tok)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if got := scim(first); got != http.StatusUnauthorized {
		t.Errorf("the token rotated without overlap: %d, want 401", got)
	}
	if got := scim(second); got != http.StatusOK {
		t.Fatalf("the new token: %d, want 200", got)
	}
	b.visit("/admin/audit?workspace=acme&channel=scim", http.StatusOK)
	if rows := b.text("table.audit tbody"); !strings.Contains(rows, "user.list") || !strings.Contains(rows, "200") {
		t.Errorf("the audit log of acme's SCIM requests shows %q; want the user.list answered 200", rows)
	}
	b.look("audit")

	// An extension schema declared by pasting its document is used by
	// SCIM at once, and its attributes show on the user's page.
	const urn = "urn:ietf:params:scim:schemas:extension:acme:2.0:User"
	b.visit("/admin/workspaces/acme", http.StatusOK)
	b.press(`a[href="/admin/workspaces/acme/schemas"]`, http.StatusOK)
	b.sees("No extension schema is declared")
	// A document the admin API refuses comes back with its errors above
	// it, at the form.
	b.fill(`textarea[name="document"]`, `{"id": "`+urn+`", "attributes": [{"name": "costCenter", "type": "strng"}]}`)
	b.press(`form.schema-form button`, http.StatusBadRequest)
	b.sees(`attributes[0].type: "strng" is not one of`)
	if kept := inTab(b, "the document", chromedp.Evaluate[string](`document.querySelector('textarea[name="document"]').value`)); !strings.Contains(kept, `"strng"`) {
		t.Errorf("the refused document is not kept in its box: %q", kept)
	}
	if loc := b.location(); !strings.HasSuffix(loc, "/schemas#declare") {
		t.Errorf("the refusal opens at %s, not at the form (#declare)", loc)
	}
	b.look("schema-refused")
	inTab(b, "clear the document", chromedp.Clear(chromedp.CSS(`textarea[name="document"]`)))
	b.fill(`textarea[name="document"]`, `{"id": "`+urn+`", "name": "AcmeUser", "attributes": [`+
		`{"name": "costCenter", "type": "string", "canonicalValues": ["CC-42", "CC-7"]}, `+
		`{"name": "desk", "type": "complex", "subAttributes": [{"name": "floor", "type": "integer"}]}]}`)
	b.look("schemas")
	b.press(`form.schema-form button`, http.StatusOK)
	if got, want := b.path(), "/admin/workspaces/acme/schemas/"+urn; got != want {
		t.Fatalf("after declaring the extension: at %s, want %s", got, want)
	}
	if loc := b.location(); !strings.HasSuffix(loc, "#main") {
		t.Errorf("the declared extension's page opens at %s, not at its notice (#main)", loc)
	}
	b.sees("Declared "+urn+" for User.", "costCenter", "CC-42, CC-7", "desk.floor", "integer", "readWrite")
	b.look("schema")
	b.visit("/admin/workspaces/acme/schemas", http.StatusOK)
	if row, n := b.text("table.reflow tbody tr"), b.text(`table.reflow tbody td[data-label="Attributes"]`); !strings.Contains(row, urn) || n != "2" {
		t.Errorf("the list of extension schemas shows %q with %q attributes; want %s with 2", row, n, urn)
	}
	b.look("schemas-declared")

	body := `{"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User", "` + urn + `"], "userName": "ada@example.com", "` +
		urn + `": {"costCenter": "CC-42", "desk": {"floor": 3}}}`
	req, _ := http.NewRequest("POST", root+"/scim/v2/Users", strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+second)
	req.Header.Set("Content-Type", "application/scim+json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var user struct {
		ID string `json:"id"`
	}
	json.NewDecoder(resp.Body).Decode(&user)
	resp.Body.Close()
	if resp.StatusCode != http.StatusCreated || user.ID == "" {
		t.Fatalf("creating a user with the extension over SCIM: %d, id %q", resp.StatusCode, user.ID)
	}
	b.visit("/admin/workspaces/acme/users/"+user.ID, http.StatusOK)
	b.sees("ada@example.com", "Extension "+urn, "costCenter", "CC-42", `{"floor":3}`)
	b.look("user-extension")

	var session *network.Cookie
	for _, ck := range b.cookies() {
		if ck.Name == "scimd_console" {
			session = ck
		}
	}
	if session == nil {
		t.Fatal("no session cookie while signed in")
	}
	b.press(`form[action="/admin/logout"] button`, http.StatusOK)
	b.sees("Signed out.")
	b.look("signed-out")
	b.setCookie(session)
	b.visit("/admin/workspaces/acme", http.StatusOK)
	if got := b.path(); got != "/admin/login" {
		t.Errorf("the session cookie copied before signing out shows %s; want /admin/login", got)
	}
}
