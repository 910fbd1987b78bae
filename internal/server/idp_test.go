package server_test

import (
	"bytes"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/scimd/scimd/internal/server"
)

// The identity-provider compatibility test replays the request sequences of
// testdata/idp/fixtures.json and testdata/idp/guides.json, written in the
// shapes Okta, Entra ID, OneLogin, Google Workspace, JumpCloud, the Keycloak
// SCIM plugins and the Auth0 Action of docs/idp/auth0.md send, against the
// real handler.
//
// Each scenario runs on a fresh server. Its steps use placeholders such as
// {{userId}}: a step whose expectation reads "id -> {{userId}}" captures the
// id of the resource it returns. A value a scenario uses before capturing it
// is one the identity provider already holds, so it is set up first by
// replaying the earlier scenario of the same identity provider that captures
// it, or, when no fixture does, from idpSeeds.
//
// Every step is checked generically: the status (200 and 204 are
// interchangeable for PATCH), the SCIM media type, error and ListResponse
// shapes, full resources without passwords, values stored as sent, and the
// parts of the prose expectation that follow a fixed pattern
// ("active=false", "totalResults=0", `scimType "uniqueness"`). After every
// successful write the resource is read back, so that a change the server
// acknowledged is one it kept. What the generic checks cannot express is in
// idpExtras.

const (
	groupURN        = "urn:ietf:params:scim:schemas:core:2.0:Group"
	listResponseURN = "urn:ietf:params:scim:api:messages:2.0:ListResponse"
	errorURN        = "urn:ietf:params:scim:api:messages:2.0:Error"
)

// idpScenario is one request sequence of an identity provider.
type idpScenario struct {
	IdP      string `json:"idp"`
	Scenario string `json:"scenario"`
	// Source says where the shapes come from, when the file does not.
	Source string    `json:"source,omitempty"`
	Steps  []idpStep `json:"steps"`
}

func (s idpScenario) name() string { return s.IdP + "/" + s.Scenario }

// idpStep is one request and what the identity provider expects of the
// answer, in prose.
type idpStep struct {
	Method       string            `json:"method"`
	Path         string            `json:"path"`
	Headers      map[string]string `json:"headers"`
	Body         json.RawMessage   `json:"body"`
	ExpectStatus int               `json:"expect_status"`
	Expect       string            `json:"expect"`
}

var (
	placeholderRE  = regexp.MustCompile(`\{\{(\w+)\}\}`)
	captureRE      = regexp.MustCompile(`->\s*\{\{(\w+)\}\}`)
	activeRE       = regexp.MustCompile(`\bactive=(true|false)\b`)
	totalResultsRE = regexp.MustCompile(`\btotalResults=(\d+)\b`)
	scimTypeRE     = regexp.MustCompile(`\bscimType "(\w+)"`)
)

// capture returns the placeholder that takes the id of the step's result.
func (st idpStep) capture() string {
	if m := captureRE.FindStringSubmatch(st.Expect); m != nil {
		return m[1]
	}
	return ""
}

func (st idpStep) hasBody() bool {
	return len(st.Body) > 0 && string(st.Body) != "null"
}

// placeholders returns the names of the placeholders the request uses.
func (st idpStep) placeholders() []string {
	text := st.Path + " " + string(st.Body)
	for _, k := range sortedKeys(st.Headers) {
		text += " " + st.Headers[k]
	}
	var names []string
	for _, m := range placeholderRE.FindAllStringSubmatch(text, -1) {
		if !slices.Contains(names, m[1]) {
			names = append(names, m[1])
		}
	}
	return names
}

// statusOK reports whether status is what the step expects. RFC 7644
// §3.5.2 lets a PATCH answer 200 with the resource or 204, and the
// identity providers accept both.
func (st idpStep) statusOK(status int) bool {
	if st.Method == http.MethodPatch && st.ExpectStatus < 300 {
		return status == http.StatusOK || status == http.StatusNoContent
	}
	return status == st.ExpectStatus
}

// inputs returns the placeholders that steps use before one of them
// captures it: values the identity provider holds from earlier.
func inputs(steps []idpStep) []string {
	captured := map[string]bool{}
	var names []string
	for _, st := range steps {
		for _, n := range st.placeholders() {
			if !captured[n] && !slices.Contains(names, n) {
				names = append(names, n)
			}
		}
		if c := st.capture(); c != "" {
			captured[c] = true
		}
	}
	return names
}

// idpSeeds make the values that no fixture step captures: ids the identity
// provider generates itself, and users and groups it is assumed to have
// provisioned before the scenario.
var idpSeeds = map[string]func(e *env) string{
	"randomGuid":     func(*env) string { return newGUID() },
	"keycloakUserId": func(*env) string { return newGUID() },
	"userId":         func(e *env) string { return e.createUser("seeded.user@example.com", nil).str("id") },
	"userId2":        func(e *env) string { return e.createUser("second.user@example.com", nil).str("id") },
	"managerId":      func(e *env) string { return e.createUser("manager@example.com", nil).str("id") },
	"groupId":        func(e *env) string { return e.createGroup("Seeded group").str("id") },
}

// idpCheck checks the state a step left: the resource or list it returned,
// or, after a write, the resource read back. got is nil if there is none.
type idpCheck func(t *testing.T, r *idpRun, got map[string]any)

// idpExtra is what a scenario needs beyond the generic replay.
type idpExtra struct {
	// needs lists placeholders to set up although no step uses them.
	needs []string
	// before holds set-up by the number of the step it precedes, from 1;
	// it runs after the placeholders are set up.
	before map[int]func(t *testing.T, r *idpRun)
	// checks holds checks by step number, from 1.
	checks map[int]idpCheck
}

// idpExtras holds the checks of each scenario's prose expectation that the
// generic ones cannot express, by "idp/scenario".
var idpExtras = map[string]idpExtra{
	"okta/profile update via PUT (App Integration Wizard apps; OIN apps too except (de)activation)": {
		checks: map[int]idpCheck{
			1: wantAttrs(map[string]any{
				"userName":                "test.user@okta.local",
				"name.givenName":          "Test",
				"emails[type=work].value": "test.user@okta.local",
				"active":                  true,
				"meta.resourceType":       "User",
			}),
			2: wantAttrs(map[string]any{"name.givenName": "Another", "name.middleName": "Excited"}),
		},
	},
	"okta/import users with pagination": {
		before: map[int]func(*testing.T, *idpRun){
			1: func(t *testing.T, r *idpRun) {
				e := r.env(t)
				for i := range 105 {
					e.createUser(fmt.Sprintf("import.%03d@okta.local", i), nil)
				}
			},
		},
		checks: map[int]idpCheck{
			1: wantPage(105, 100),
			2: allOf(wantPage(105, 5), wantPagesPartition(105)),
		},
	},
	// The group gets a member first, so that clearing it would show.
	"okta/group push: rename (PATCH replace, no path, value carries id+displayName; also sent on every membership push)": {
		needs:  []string{"userId"},
		before: map[int]func(*testing.T, *idpRun){1: addMembers("groupId", "userId")},
		checks: map[int]idpCheck{
			1: allOf(wantAttrs(map[string]any{"displayName": "Test SCIMv2 renamed"}), wantMembers("userId")),
		},
	},
	// A bystander member shows that the add appends rather than replaces.
	"okta/group push: membership change (remove by filter + add) in one PATCH": {
		before: map[int]func(*testing.T, *idpRun){
			1: func(t *testing.T, r *idpRun) {
				r.vars["bystanderId"] = r.env(t).createUser("bystander@okta.local", nil).str("id")
				addMembers("groupId", "userId2", "bystanderId")(t, r)
			},
		},
		checks: map[int]idpCheck{
			1: wantMembers("bystanderId", "userId"),
		},
	},
	"entra/matching on externalId (alternate matching attribute) and duplicate create": {
		needs: []string{"userId"},
		checks: map[int]idpCheck{
			1: wantListed("userId"),
		},
	},
	"entra/update user, legacy (no flag) multi-op PATCH with capitalized ops and filtered/urn paths": {
		checks: map[int]idpCheck{
			1: wantAttrs(map[string]any{
				"emails[type=work].value":         "updatedEmail@contoso.com",
				"emails[type=work].primary":       true,
				"name.familyName":                 "updatedFamilyName",
				"name.givenName":                  "givenName",
				"addresses[type=work].formatted":  "18/2111",
				enterpriseURN + ":department":     "Retail",
				enterpriseURN + ":employeeNumber": "1234",
			}),
		},
	},
	"entra/update userName (single-valued) and add nickName, legacy Add": {
		checks: map[int]idpCheck{
			1: allOf(
				wantAttrs(map[string]any{"userName": "renamed@contoso.com", "nickName": "Babs"}),
				wantUserNameTaken("renamed@contoso.com"),
			),
		},
	},
	// The group gets a member before it is read without members, so that
	// leaving them out shows.
	"entra/group create: match by displayName excluding members, then POST": {
		needs:  []string{"userId"},
		before: map[int]func(*testing.T, *idpRun){3: addMembers("groupId", "userId")},
	},
	"entra/group membership legacy: Add members / Remove members with value list (no filter)": {
		checks: map[int]idpCheck{
			1: wantMembers("userId", "userId2"),
			2: wantMembers("userId"),
			3: wantMembers("userId"),
		},
	},
	"entra/group rename and delete": {
		needs:  []string{"userId"},
		before: map[int]func(*testing.T, *idpRun){1: addMembers("groupId", "userId")},
		checks: map[int]idpCheck{
			1: allOf(wantAttrs(map[string]any{"displayName": "Sales EMEA"}), wantMembers("userId")),
		},
	},
	"onelogin/profile update and deprovision (suspend = active false; delete = DELETE)": {
		checks: map[int]idpCheck{
			1: wantAttrs(map[string]any{"title": "Staff Engineer"}),
		},
	},
	"onelogin/group membership add/remove": {
		checks: map[int]idpCheck{
			1: wantMembers("userId"),
			2: wantMembers(),
		},
	},
	"jumpcloud/activate connection then create user": {
		checks: map[int]idpCheck{
			3: wantAttrs(map[string]any{
				"phoneNumbers[type=work].value": "tel:+1-555-555-5555",
				"externalId":                    "66e2d689590450d073d2df3b",
			}),
		},
	},
	"jumpcloud/update and deactivate via full PUT (schemas order: extension first)": {
		checks: map[int]idpCheck{
			1: allOf(
				wantAttrs(map[string]any{"userName": "john.doe@example.com", "title": "Captain", enterpriseURN + ":department": "C-Suite"}),
				wantAbsent("addresses", "phoneNumbers"),
			),
		},
	},
	// The user joins the group first, so that the removal by filter shows.
	"entra/with the aadOptscim062020 flag: lower-case ops, path-less replace with dotted and URN keys, boolean active, member removal by filter": {
		before: map[int]func(*testing.T, *idpRun){3: addMembers("groupId", "userId")},
		checks: map[int]idpCheck{
			1: wantAttrs(map[string]any{"displayName": "Jo Smith", "name.givenName": "Jo", enterpriseURN + ":employeeNumber": "701984"}),
			3: wantMembers(),
		},
	},
	"google-workspace/connection probe, listing, then create with the SCIM 1.1 core URN beside 2.0's": {
		checks: map[int]idpCheck{
			3: wantAttrs(map[string]any{"userName": "li.wei@example.com", "name.familyName": "Wei"}),
		},
	},
	"keycloak-scim (libre.sh / mitodl event-listener plugin)/group with members referenced as Users/<id>, emptied by a PUT without members, then deleted": {
		checks: map[int]idpCheck{
			2: wantMembers("memberId"),
			3: allOf(wantAttrs(map[string]any{"displayName": "developers"}), wantMembers()),
		},
	},
	"auth0/post-login Action, later login: look up by externalId, then replace": {
		checks: map[int]idpCheck{
			1: wantListed("userId"),
			2: wantAttrs(map[string]any{"name.familyName": "Lima Souza", "externalId": "auth0|6571c0ffee0000000000a0a0"}),
		},
	},
	// The operator declared the extensions beforehand (docs/custom-attributes.md).
	"entra/custom extension attribute: create with the extension object, then legacy PATCH by URN-qualified path": {
		before: map[int]func(*testing.T, *idpRun){1: declare("User", `{"id": "urn:ietf:params:scim:schemas:extension:CustomExtensionName:2.0:User",
			"attributes": [{"name": "CustomAttribute", "type": "string"}]}`)},
		checks: map[int]idpCheck{
			1: wantAttrs(map[string]any{"urn:ietf:params:scim:schemas:extension:CustomExtensionName:2.0:User:CustomAttribute": "701984", enterpriseURN + ":department": "Retail"}),
			2: wantAttrs(map[string]any{"urn:ietf:params:scim:schemas:extension:CustomExtensionName:2.0:User:CustomAttribute": "701985"}),
			3: wantAbsent("urn:ietf:params:scim:schemas:extension:CustomExtensionName:2.0:User"),
		},
	},
	"okta/custom attribute with an external namespace: create and PUT carry the namespace object": {
		before: map[int]func(*testing.T, *idpRun){1: declare("User", `{"id": "urn:ietf:params:scim:schemas:extension:acme:2.0:User",
			"attributes": [{"name": "costCenter", "type": "string"}, {"name": "badgeNumber", "type": "integer"}]}`)},
		checks: map[int]idpCheck{
			1: wantAttrs(map[string]any{"urn:ietf:params:scim:schemas:extension:acme:2.0:User:costCenter": "CC-42"}),
			2: wantAttrs(map[string]any{"urn:ietf:params:scim:schemas:extension:acme:2.0:User:costCenter": "CC-43"}),
			3: wantListed("customUserId"),
		},
	},
	"keycloak-scim (libre.sh / mitodl event-listener plugin)/create without pre-check, then PUT replace, disable, delete": {
		checks: map[int]idpCheck{
			1: wantResendConflict(1),
			2: wantAttrs(map[string]any{"displayName": "Johnny Doe"}),
		},
	},
}

func TestIdPFixtures(t *testing.T) {
	all := loadIdPFixtures(t)
	seen := map[string]bool{}
	for _, sc := range all {
		if seen[sc.name()] {
			t.Errorf("scenario %q appears twice", sc.name())
		}
		seen[sc.name()] = true
	}
	for name := range idpExtras {
		if !seen[name] {
			t.Errorf("idpExtras has %q, which is not a scenario of the fixtures", name)
		}
	}
	for i, sc := range all {
		t.Run(sc.name(), func(t *testing.T) {
			r := &idpRun{all: all, at: i, sc: sc, extra: idpExtras[sc.name()], after: map[int]map[string]any{}}
			r.run(t)
		})
	}
}

// idpFixtureFiles hold the scenarios: fixtures.json, a copy of the
// research on what identity providers send, and guides.json, the
// scenarios the guides in docs/idp rely on beyond it, each with its source.
var idpFixtureFiles = []string{"fixtures.json", "guides.json"}

func loadIdPFixtures(t *testing.T) []idpScenario {
	t.Helper()
	var all []idpScenario
	for _, name := range idpFixtureFiles {
		raw, err := os.ReadFile(filepath.Join("testdata", "idp", name))
		if err != nil {
			t.Fatal(err)
		}
		dec := json.NewDecoder(bytes.NewReader(raw))
		dec.DisallowUnknownFields()
		var scs []idpScenario
		if err := dec.Decode(&scs); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if len(scs) == 0 {
			t.Fatalf("%s has no scenarios", name)
		}
		all = append(all, scs...)
	}
	return all
}

// idpRun is one scenario replayed on its own server.
type idpRun struct {
	all   []idpScenario
	at    int // index of sc in all
	sc    idpScenario
	extra idpExtra
	e     *env
	vars  map[string]string
	// after holds the state each step left, by step number.
	after map[int]map[string]any
}

// env returns the run's env reporting to t.
func (r *idpRun) env(t *testing.T) *env {
	e := *r.e
	e.t = t
	return &e
}

// idpBasePath is where the replays find the SCIM endpoints: below the
// application API's /v1, so that the whole SCIM surface is shown to work
// there beside it, as scimd serve --base-path /v1/auth/scim/v2 runs it.
const idpBasePath = "/v1/auth/scim/v2"

func (r *idpRun) run(t *testing.T) {
	cfg := server.DefaultConfig()
	cfg.BasePath = idpBasePath
	r.e = newEnvConfig(t, cfg)
	r.vars = map[string]string{"token": r.e.token}
	for _, name := range append(inputs(r.sc.Steps), r.extra.needs...) {
		r.provide(t, name, r.at)
	}
	for i, st := range r.sc.Steps {
		n := i + 1
		if before := r.extra.before[n]; before != nil {
			before(t, r)
		}
		t.Run(fmt.Sprintf("step%d_%s", n, st.Method), func(t *testing.T) {
			r.step(t, n, st)
		})
	}
}

// provide sets the placeholder name to what the identity provider holds
// before the scenario at index before runs: the capture of the nearest
// earlier scenario of the same identity provider that captures it, replayed
// up to that step, or else a seed.
func (r *idpRun) provide(t *testing.T, name string, before int) {
	t.Helper()
	if _, ok := r.vars[name]; ok {
		return
	}
	for j := before - 1; j >= 0; j-- {
		prev := r.all[j]
		if prev.IdP != r.sc.IdP {
			continue
		}
		for k, st := range prev.Steps {
			if st.capture() == name {
				r.replay(t, j, k)
				return
			}
		}
	}
	seed, ok := idpSeeds[name]
	if !ok {
		t.Fatalf("setup: nothing provides {{%s}}: no earlier %s scenario captures it and idpSeeds has no entry", name, r.sc.IdP)
	}
	r.vars[name] = seed(r.env(t))
	t.Logf("setup: seeded {{%s}}", name)
}

// replay sends the steps of scenario j up to step k (from 0) as setup.
func (r *idpRun) replay(t *testing.T, j, k int) {
	t.Helper()
	prev := r.all[j]
	steps := prev.Steps[:k+1]
	t.Logf("setup: replaying %s up to step %d", prev.name(), k+1)
	for _, name := range inputs(steps) {
		r.provide(t, name, j)
	}
	for i, st := range steps {
		res, path, _ := r.send(t, st)
		if !st.statusOK(res.status) {
			t.Fatalf("setup: replaying %s step %d: %s %s: status %d, want %d\n%s",
				prev.name(), i+1, st.Method, path, res.status, st.ExpectStatus, res.raw)
		}
		if c := st.capture(); c != "" {
			id, _ := res.body["id"].(string)
			if id == "" {
				t.Fatalf("setup: replaying %s step %d: no id for {{%s}}\n%s", prev.name(), i+1, c, res.raw)
			}
			r.vars[c] = id
		}
	}
}

// subst replaces the placeholders of s.
func (r *idpRun) subst(t *testing.T, s string) string {
	t.Helper()
	return placeholderRE.ReplaceAllStringFunc(s, func(m string) string {
		name := m[2 : len(m)-2]
		v, ok := r.vars[name]
		if !ok {
			t.Fatalf("{{%s}} has no value: the step that captures it failed", name)
		}
		return v
	})
}

// send sends a step's request as the fixture has it, under the server's
// base path. It returns the response, the path and the body sent.
func (r *idpRun) send(t *testing.T, st idpStep) (response, string, map[string]any) {
	t.Helper()
	path, ok := rebase(r.subst(t, st.Path))
	if !ok {
		t.Fatalf("%s: no SCIM endpoint in the path", st.Path)
	}
	var headers []string
	for _, k := range sortedKeys(st.Headers) {
		headers = append(headers, k, r.subst(t, st.Headers[k]))
	}
	var body any
	var sent map[string]any
	if st.hasBody() {
		s := r.subst(t, string(st.Body))
		dec := json.NewDecoder(strings.NewReader(s))
		dec.UseNumber()
		if err := dec.Decode(&sent); err != nil {
			t.Fatalf("fixture body of %s %s: %v", st.Method, st.Path, err)
		}
		body = s
	}
	// The fixture's own Authorization header carries the token.
	return r.env(t).doToken("", st.Method, path, body, headers...), path, sent
}

// step replays step n and checks the answer.
func (r *idpRun) step(t *testing.T, n int, st idpStep) {
	res, path, sent := r.send(t, st)
	t.Logf("%s %s -> %d", st.Method, path, res.status)
	if !st.statusOK(res.status) {
		t.Fatalf("%s %s: status %d, want %d (fixture expects: %s)\n%s", st.Method, path, res.status, st.ExpectStatus, st.Expect, res.raw)
	}
	switch {
	case res.status == http.StatusNoContent:
		if len(res.raw) != 0 {
			t.Errorf("204 with a body: %s", res.raw)
		}
	case len(res.raw) == 0:
		t.Errorf("status %d with an empty body (fixture expects: %s)", res.status, st.Expect)
	case res.status >= 400:
		var scimType string
		if m := scimTypeRE.FindStringSubmatch(st.Expect); m != nil {
			scimType = m[1]
		}
		detail := strings.Contains(st.Expect, "detail") && !strings.Contains(st.Expect, "detail optional")
		checkError(t, res, scimType, detail)
	}
	endpoint, id := target(path)
	var got map[string]any
	if res.status < 300 && res.body != nil {
		got = res.body
		if st.Method == http.MethodGet && id == "" {
			checkList(t, st, path, res)
		} else {
			checkResource(t, "response", st, path, id, got)
			if st.Method == http.MethodPost || st.Method == http.MethodPut {
				checkStored(t, "response", sent, got)
			}
		}
	}
	if st.Method == http.MethodPost && res.status < 300 {
		id, _ = res.body["id"].(string)
	}
	if c := st.capture(); c != "" {
		if id == "" {
			t.Fatalf("no id to capture as {{%s}}: %s", c, res.raw)
		}
		r.vars[c] = id
	}
	if res.status < 300 && st.Method != http.MethodGet && id != "" {
		got = r.readBack(t, st, endpoint, id, sent)
	}
	r.after[n] = got
	if check := r.extra.checks[n]; check != nil {
		check(t, r, got)
	}
}

// readBack reads a resource after a write and checks that it shows the
// write: gone after a DELETE, as sent after a POST or PUT, and in the
// state the expectation names.
func (r *idpRun) readBack(t *testing.T, st idpStep, endpoint, id string, sent map[string]any) map[string]any {
	t.Helper()
	path := idpBasePath + "/" + endpoint + "/" + id
	res := r.env(t).do(http.MethodGet, path, nil)
	if st.Method == http.MethodDelete {
		if res.status != http.StatusNotFound {
			t.Errorf("GET %s after DELETE: status %d, want 404\n%s", path, res.status, res.raw)
		} else {
			checkError(t, res, "", false)
		}
		return nil
	}
	if res.status != http.StatusOK {
		t.Errorf("GET %s after %s: status %d, want 200\n%s", path, st.Method, res.status, res.raw)
		return nil
	}
	checkResource(t, "read back", st, path, id, res.body)
	if st.Method == http.MethodPost || st.Method == http.MethodPut {
		checkStored(t, "read back", sent, res.body)
	}
	return res.body
}

// checkError checks a SCIM error response (RFC 7644 §3.12) and, if not
// empty, its scimType.
func checkError(t *testing.T, res response, scimType string, detail bool) {
	t.Helper()
	if s, _ := res.body["schemas"].([]any); !slices.Contains(s, any(errorURN)) {
		t.Errorf("error schemas %v, want [%s]", res.body["schemas"], errorURN)
	}
	if got, want := res.body["status"], strconv.Itoa(res.status); got != want {
		t.Errorf("error status %v (%T), want the string %q", got, got, want)
	}
	if got := res.body["scimType"]; scimType != "" && got != scimType {
		t.Errorf("scimType %#v, want %q\n%s", got, scimType, res.raw)
	}
	if d, _ := res.body["detail"].(string); detail && d == "" {
		t.Errorf("error without detail: %s", res.raw)
	}
}

// checkList checks a ListResponse (RFC 7644 §3.4.2).
func checkList(t *testing.T, st idpStep, path string, res response) {
	t.Helper()
	if s, _ := res.body["schemas"].([]any); !slices.Equal(s, []any{listResponseURN}) {
		t.Errorf("list schemas %v, want [%s]", res.body["schemas"], listResponseURN)
	}
	ints := map[string]int{}
	for _, k := range []string{"totalResults", "startIndex", "itemsPerPage"} {
		n, ok := jsonInteger(res.body[k])
		if !ok {
			t.Errorf("%s is %v (%T), want a JSON integer", k, res.body[k], res.body[k])
		}
		ints[k] = n
	}
	list, ok := res.body["Resources"].([]any)
	if !ok {
		t.Errorf("Resources is %#v, want an array (even when empty)", res.body["Resources"])
	}
	if ints["itemsPerPage"] != len(list) {
		t.Errorf("itemsPerPage %d, but %d Resources", ints["itemsPerPage"], len(list))
	}
	q := queryOf(path)
	wantStart := 1
	if s, err := strconv.Atoi(q.Get("startIndex")); err == nil && s > 1 {
		wantStart = s
	}
	if ints["startIndex"] != wantStart {
		t.Errorf("startIndex %d, want %d", ints["startIndex"], wantStart)
	}
	if c, err := strconv.Atoi(q.Get("count")); err == nil && len(list) > c {
		t.Errorf("%d Resources for count=%d", len(list), c)
	}
	if m := totalResultsRE.FindStringSubmatch(st.Expect); m != nil {
		if want, _ := strconv.Atoi(m[1]); ints["totalResults"] != want {
			t.Errorf("totalResults %d, want %d\n%s", ints["totalResults"], want, res.raw)
		}
	}
	for _, x := range list {
		doc, _ := x.(map[string]any)
		checkResource(t, "listed resource", st, path, "", doc)
	}
}

// checkResource checks a resource the server returned for a request to
// path: id, schemas and meta.resourceType present, no password, attributes
// excluded as asked, and active as the step's expectation names.
func checkResource(t *testing.T, what string, st idpStep, path, id string, doc map[string]any) {
	t.Helper()
	endpoint, _ := target(path)
	rtype, urn := "User", userURN
	if endpoint == "Groups" {
		rtype, urn = "Group", groupURN
	}
	got, _ := doc["id"].(string)
	if got == "" || (id != "" && got != id) {
		t.Errorf("%s: id %#v, want %q", what, doc["id"], id)
	}
	if s, _ := doc["schemas"].([]any); !slices.Contains(s, any(urn)) {
		t.Errorf("%s: schemas %v lack %s", what, doc["schemas"], urn)
	}
	if got := attrAt(doc, "meta.resourceType"); got != rtype {
		t.Errorf("%s: meta.resourceType %#v, want %q", what, got, rtype)
	}
	if hasKey(doc, "password") {
		t.Errorf("%s: the password is returned: %v", what, doc)
	}
	for a := range strings.SplitSeq(queryOf(path).Get("excludedAttributes"), ",") {
		if a != "" && doc[a] != nil {
			t.Errorf("%s: excluded attribute %s is returned", what, a)
		}
	}
	if m := activeRE.FindStringSubmatch(st.Expect); m != nil {
		if got, want := doc["active"], m[1] == "true"; got != want {
			t.Errorf("%s: active %#v, want %v (a boolean)", what, got, want)
		}
	}
}

// checkStored checks that got holds what a POST or PUT sent: values stored
// exactly as sent, and an empty list clearing an attribute. Attributes that
// clients may send but the server does not keep as sent are skipped: id,
// meta and schemas, the write-only password, the read-only groups,
// members.display and manager.displayName (RFC 7643 §4, §4.3), and
// members.$ref, which the server renders as an absolute URI.
func checkStored(t *testing.T, what string, sent, got map[string]any) {
	t.Helper()
	for k, v := range sent {
		switch k {
		case "id", "meta", "schemas", "password", "groups":
			continue
		}
		for _, d := range storedDiff(k, v, got[k]) {
			t.Errorf("%s: %s", what, d)
		}
	}
}

// storedDiff describes how got, at path, fails to hold what was sent.
func storedDiff(path string, sent, got any) []string {
	switch s := sent.(type) {
	case nil:
		return nil
	case string:
		if s == "" || got == s {
			return nil
		}
	case bool, json.Number:
		if got == s {
			return nil
		}
	case map[string]any:
		g, ok := got.(map[string]any)
		if !ok {
			break
		}
		parent := path[strings.LastIndex(path, ".")+1:]
		var diffs []string
		for k, v := range s {
			switch parent + "." + k {
			case "members.display", "members.$ref", "manager.displayName":
				continue
			}
			diffs = append(diffs, storedDiff(path+"."+k, v, g[k])...)
		}
		return diffs
	case []any:
		g, _ := got.([]any)
		if len(s) == 0 {
			if len(g) == 0 {
				return nil
			}
			return []string{fmt.Sprintf("%s: sent [], but it holds %v", path, got)}
		}
		var diffs []string
		for _, el := range s {
			if !slices.ContainsFunc(g, func(x any) bool { return storedDiff(path, el, x) == nil }) {
				diffs = append(diffs, fmt.Sprintf("%s: sent %v, but it holds %v", path, el, got))
			}
		}
		return diffs
	}
	return []string{fmt.Sprintf("%s: sent %#v, but it holds %#v", path, sent, got)}
}

// wantAttrs checks attributes by path (see attrAt).
func wantAttrs(want map[string]any) idpCheck {
	return func(t *testing.T, r *idpRun, got map[string]any) {
		t.Helper()
		for _, p := range sortedKeys(want) {
			if v := attrAt(got, p); v != want[p] {
				t.Errorf("%s is %#v, want %#v", p, v, want[p])
			}
		}
	}
}

// wantAbsent checks that attributes are unassigned.
func wantAbsent(attrs ...string) idpCheck {
	return func(t *testing.T, r *idpRun, got map[string]any) {
		t.Helper()
		for _, a := range attrs {
			if l, ok := got[a].([]any); got[a] != nil && (!ok || len(l) > 0) {
				t.Errorf("%s is %v, want it cleared", a, got[a])
			}
		}
	}
}

// wantMembers checks a group's members by the placeholders of their ids.
func wantMembers(names ...string) idpCheck {
	return func(t *testing.T, r *idpRun, got map[string]any) {
		t.Helper()
		var want []string
		for _, n := range names {
			want = append(want, r.vars[n])
		}
		slices.Sort(want)
		var ids []string
		ms, _ := got["members"].([]any)
		for _, m := range ms {
			v, _ := m.(map[string]any)["value"].(string)
			ids = append(ids, v)
		}
		slices.Sort(ids)
		if !slices.Equal(ids, want) {
			t.Errorf("members %v, want %v (%s)", ids, want, strings.Join(names, ", "))
		}
	}
}

// wantListed checks that a list holds exactly the resource of a placeholder.
func wantListed(name string) idpCheck {
	return func(t *testing.T, r *idpRun, got map[string]any) {
		t.Helper()
		ids := listIDs(got)
		if !slices.Equal(ids, []string{r.vars[name]}) {
			t.Errorf("listed %v, want only {{%s}} = %s", ids, name, r.vars[name])
		}
	}
}

// wantPage checks the counts of one page of a list.
func wantPage(total, items int) idpCheck {
	return func(t *testing.T, r *idpRun, got map[string]any) {
		t.Helper()
		gotTotal, _ := jsonInteger(got["totalResults"])
		gotItems, _ := jsonInteger(got["itemsPerPage"])
		if gotTotal != total || gotItems != items || len(listIDs(got)) != items {
			t.Errorf("totalResults %d, itemsPerPage %d, %d Resources; want %d, %d, %d",
				gotTotal, gotItems, len(listIDs(got)), total, items, items)
		}
	}
}

// wantPagesPartition checks that the pages of the steps so far list every
// resource once, and that reading the first page again gives the same
// order.
func wantPagesPartition(total int) idpCheck {
	return func(t *testing.T, r *idpRun, got map[string]any) {
		t.Helper()
		seen := map[string]bool{}
		for n := 1; n <= len(r.after); n++ {
			for _, id := range listIDs(r.after[n]) {
				if seen[id] {
					t.Errorf("%s is listed on two pages", id)
				}
				seen[id] = true
			}
		}
		if len(seen) != total {
			t.Errorf("the pages list %d resources, want %d", len(seen), total)
		}
		first, _ := rebase(r.subst(t, r.sc.Steps[0].Path))
		again := r.env(t).must(http.StatusOK, http.MethodGet, first, nil)
		if !slices.Equal(listIDs(again.body), listIDs(r.after[1])) {
			t.Error("the first page changed order when read again")
		}
	}
}

// wantUserNameTaken checks that another user cannot take userName, which
// the scenario's user now has: PATCH re-checks uniqueness.
func wantUserNameTaken(userName string) idpCheck {
	return func(t *testing.T, r *idpRun, got map[string]any) {
		t.Helper()
		e := r.env(t)
		other := e.createUser("other.user@contoso.com", nil).str("id")
		res := e.do(http.MethodPatch, idpBasePath+"/Users/"+other, patchOps(
			map[string]any{"op": "Replace", "path": "userName", "value": userName}))
		if res.status != http.StatusConflict {
			t.Errorf("PATCH another user's userName to the taken %q: status %d, want 409\n%s", userName, res.status, res.raw)
			return
		}
		checkError(t, res, "uniqueness", true)
	}
}

// wantResendConflict checks that sending step n again, as a client without
// a pre-check does on a retry, is refused as a duplicate.
func wantResendConflict(n int) idpCheck {
	return func(t *testing.T, r *idpRun, got map[string]any) {
		t.Helper()
		res, path, _ := r.send(t, r.sc.Steps[n-1])
		if res.status != http.StatusConflict {
			t.Errorf("sending step %d again: %s: status %d, want 409\n%s", n, path, res.status, res.raw)
			return
		}
		checkError(t, res, "uniqueness", true)
	}
}

func allOf(checks ...idpCheck) idpCheck {
	return func(t *testing.T, r *idpRun, got map[string]any) {
		t.Helper()
		for _, c := range checks {
			c(t, r, got)
		}
	}
}

// addMembers returns a set-up that adds users to a group, by placeholder.
// declare declares an extension schema for the run's workspace, as its
// operator would before connecting the identity provider.
func declare(resourceType, doc string) func(*testing.T, *idpRun) {
	return func(t *testing.T, r *idpRun) {
		r.env(t).declare("acme", resourceType, doc, false)
	}
}

func addMembers(group string, users ...string) func(*testing.T, *idpRun) {
	return func(t *testing.T, r *idpRun) {
		t.Helper()
		var value []any
		for _, u := range users {
			value = append(value, map[string]any{"value": r.vars[u]})
		}
		res := r.env(t).do(http.MethodPatch, idpBasePath+"/Groups/"+r.vars[group],
			patchOps(map[string]any{"op": "add", "path": "members", "value": value}))
		if res.status != http.StatusOK && res.status != http.StatusNoContent {
			t.Fatalf("setup: adding members: status %d\n%s", res.status, res.raw)
		}
	}
}

// idpEndpoints are the first path segments of the SCIM endpoints.
var idpEndpoints = []string{"Users", "Groups", "Me", "Bulk", ".search", "ServiceProviderConfig", "ResourceTypes", "Schemas"}

// rebase moves a path from the base path the fixture was written against to
// the server's.
func rebase(p string) (string, bool) {
	path, query, hasQuery := strings.Cut(p, "?")
	segs := strings.Split(path, "/")
	for i, s := range segs {
		if slices.Contains(idpEndpoints, s) {
			out := idpBasePath + "/" + strings.Join(segs[i:], "/")
			if hasQuery {
				out += "?" + query
			}
			return out, true
		}
	}
	return "", false
}

// target splits a rebased path into its endpoint ("Users") and resource id.
func target(path string) (endpoint, id string) {
	path, _, _ = strings.Cut(path, "?")
	path = strings.TrimPrefix(path, idpBasePath+"/")
	endpoint, id, _ = strings.Cut(path, "/")
	return endpoint, id
}

func queryOf(path string) url.Values {
	_, query, _ := strings.Cut(path, "?")
	v, _ := url.ParseQuery(query)
	return v
}

// attrAt returns the value at a path such as "name.familyName",
// "emails[type=work].value" or "urn:...:enterprise:2.0:User:department".
func attrAt(doc map[string]any, path string) any {
	if strings.HasPrefix(path, "urn:") {
		for k, v := range doc {
			if rest, ok := strings.CutPrefix(path, k+":"); ok {
				m, _ := v.(map[string]any)
				return attrAt(m, rest)
			}
		}
		return nil
	}
	var cur any = doc
	for seg := range strings.SplitSeq(path, ".") {
		name, sel, _ := strings.Cut(strings.TrimSuffix(seg, "]"), "[")
		m, _ := cur.(map[string]any)
		cur = m[name]
		if sel == "" {
			continue
		}
		k, v, _ := strings.Cut(sel, "=")
		list, _ := cur.([]any)
		cur = nil
		for _, x := range list {
			if el, _ := x.(map[string]any); el[k] == v {
				cur = el
				break
			}
		}
	}
	return cur
}

func listIDs(list map[string]any) []string {
	var ids []string
	rs, _ := list["Resources"].([]any)
	for _, x := range rs {
		id, _ := x.(map[string]any)["id"].(string)
		ids = append(ids, id)
	}
	return ids
}

// jsonInteger returns a JSON number that is an integer; a string holding
// digits is not one.
func jsonInteger(v any) (int, bool) {
	n, ok := v.(json.Number)
	if !ok {
		return 0, false
	}
	i, err := strconv.Atoi(n.String())
	return i, err == nil
}

// hasKey reports whether a key occurs anywhere in a JSON value,
// case-insensitively.
func hasKey(v any, key string) bool {
	switch v := v.(type) {
	case map[string]any:
		for k, x := range v {
			if strings.EqualFold(k, key) || hasKey(x, key) {
				return true
			}
		}
	case []any:
		return slices.ContainsFunc(v, func(x any) bool { return hasKey(x, key) })
	}
	return false
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// newGUID returns a random UUID, as identity providers make for their own
// ids.
func newGUID() string {
	b := make([]byte, 16)
	rand.Read(b)
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:])
}
