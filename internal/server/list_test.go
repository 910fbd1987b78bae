package server_test

import (
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/scimd/scimd/internal/server"
)

func userNames(r response) []string {
	var names []string
	for _, u := range r.list() {
		names = append(names, u["userName"].(string))
	}
	return names
}

func TestListPagingAndSorting(t *testing.T) {
	e := newEnv(t)
	for i, n := range []string{"delta", "Alpha", "charlie", "bravo", "echo"} {
		e.createUser(n, map[string]any{"title": fmt.Sprintf("t%d", 5-i)})
	}
	tests := []struct {
		query      string
		total      int
		startIndex int
		want       []string
	}{
		{"", 5, 1, []string{"delta", "Alpha", "charlie", "bravo", "echo"}},
		{"startIndex=2&count=2", 5, 2, []string{"Alpha", "charlie"}},
		{"startIndex=0&count=1", 5, 1, []string{"delta"}},
		{"startIndex=5&count=10", 5, 5, []string{"echo"}},
		{"startIndex=9", 5, 9, nil},
		{"count=0", 5, 1, nil},
		{"count=-3", 5, 1, nil},
		{"sortBy=userName", 5, 1, []string{"Alpha", "bravo", "charlie", "delta", "echo"}},
		{"sortBy=userName&sortOrder=descending&count=2", 5, 1, []string{"echo", "delta"}},
		{"sortBy=title", 5, 1, []string{"echo", "bravo", "charlie", "Alpha", "delta"}},
		{"sortBy=urn:ietf:params:scim:schemas:core:2.0:User:userName&startIndex=4", 5, 4, []string{"delta", "echo"}},
		{"filter=" + q(`userName sw "b" or userName sw "C"`) + "&sortBy=userName", 2, 1, []string{"bravo", "charlie"}},
		{"filter=" + q(`userName eq "nobody"`), 0, 1, nil},
	}
	for _, tt := range tests {
		t.Run(tt.query, func(t *testing.T) {
			r := e.must(http.StatusOK, "GET", "/scim/v2/Users?"+tt.query, nil)
			if r.body["totalResults"] != jsonInt(tt.total) || r.body["startIndex"] != jsonInt(tt.startIndex) ||
				r.body["itemsPerPage"] != jsonInt(len(tt.want)) {
				t.Errorf("totalResults %v startIndex %v itemsPerPage %v", r.body["totalResults"], r.body["startIndex"], r.body["itemsPerPage"])
			}
			if _, ok := r.body["Resources"].([]any); !ok {
				t.Errorf("Resources missing or not a list: %s", r.raw)
			}
			if got := userNames(r); !slices.Equal(got, tt.want) {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
}

func TestCursorPaging(t *testing.T) {
	e := newEnv(t)
	var want []string
	for i := range 7 {
		n := fmt.Sprintf("user%d", i)
		e.createUser(n, nil)
		want = append(want, n)
	}
	var got []string
	cursor := ""
	for pages := 0; ; pages++ {
		if pages > 10 {
			t.Fatal("cursor paging does not end")
		}
		r := e.must(http.StatusOK, "GET", "/scim/v2/Users?count=3&cursor="+q(cursor), nil)
		if r.body["totalResults"] != jsonInt(7) {
			t.Errorf("totalResults %v", r.body["totalResults"])
		}
		got = append(got, userNames(r)...)
		next, _ := r.body["nextCursor"].(string)
		if next == "" {
			break
		}
		cursor = next
	}
	if !slices.Equal(got, want) {
		t.Errorf("pages gave %v, want %v", got, want)
	}
}

func TestAttributeSelection(t *testing.T) {
	e := newEnv(t)
	u := e.createUser("frank", map[string]any{
		"name":        map[string]any{"givenName": "Frank", "familyName": "Herbert"},
		"title":       "Author",
		"emails":      []any{map[string]any{"value": "f@example.com", "type": "work"}},
		enterpriseURN: map[string]any{"department": "Books", "costCenter": "42"},
	})
	id := u.str("id")
	tests := []struct {
		query   string
		present []string
		absent  []string
	}{
		{"attributes=userName", []string{"id", "schemas", "userName"}, []string{"title", "name", "meta", "emails"}},
		{"attributes=name.givenName", []string{"id", "name.givenName"}, []string{"name.familyName", "userName"}},
		{"attributes=emails.value", []string{"emails"}, []string{"title"}},
		{"attributes=" + enterpriseURN + ":department", []string{enterpriseURN + ".department"}, []string{enterpriseURN + ".costCenter", "userName"}},
		{"excludedAttributes=title,name.familyName", []string{"userName", "name.givenName", "meta"}, []string{"title", "name.familyName"}},
		{"excludedAttributes=id", []string{"id"}, nil}, // id is returned always
		{"excludedAttributes=" + enterpriseURN, []string{"userName"}, []string{enterpriseURN}},
	}
	for _, tt := range tests {
		t.Run(tt.query, func(t *testing.T) {
			for _, path := range []string{"/scim/v2/Users/" + id + "?", "/scim/v2/Users?filter=" + q(`userName eq "frank"`) + "&"} {
				r := e.must(http.StatusOK, "GET", path+tt.query, nil)
				doc := r.body
				if rs := r.list(); rs != nil {
					doc = rs[0]
				}
				for _, p := range tt.present {
					if lookup(doc, p) == nil {
						t.Errorf("%s: %s missing: %v", path, p, doc)
					}
				}
				for _, p := range tt.absent {
					if lookup(doc, p) != nil {
						t.Errorf("%s: %s present: %v", path, p, doc)
					}
				}
			}
		})
	}
}

// lookup follows a dotted path; the enterprise URN contains dots, so it is
// matched as a whole first.
func lookup(doc map[string]any, path string) any {
	if v, ok := doc[path]; ok {
		return v
	}
	if rest, ok := cutPrefix(path, enterpriseURN+"."); ok {
		m, _ := doc[enterpriseURN].(map[string]any)
		return m[rest]
	}
	for i := 0; i < len(path); i++ {
		if path[i] == '.' {
			m, _ := doc[path[:i]].(map[string]any)
			if m == nil {
				return nil
			}
			return lookup(m, path[i+1:])
		}
	}
	return nil
}

func cutPrefix(s, p string) (string, bool) {
	if len(s) >= len(p) && s[:len(p)] == p {
		return s[len(p):], true
	}
	return s, false
}

func TestSearch(t *testing.T) {
	e := newEnv(t)
	e.createUser("grace", map[string]any{"displayName": "Grace Hopper"})
	e.createUser("heidi", nil)
	e.createGroup("Grace Fans")
	r := e.must(http.StatusOK, "POST", "/scim/v2/Users/.search", map[string]any{
		"schemas":    []string{"urn:ietf:params:scim:api:messages:2.0:SearchRequest"},
		"filter":     `userName sw "g"`,
		"attributes": []string{"userName"},
		"startIndex": 1,
		"count":      10,
	})
	if got := userNames(r); !slices.Equal(got, []string{"grace"}) || r.list()[0]["displayName"] != nil {
		t.Errorf("users search: %s", r.raw)
	}
	// The root search spans resource types.
	r = e.must(http.StatusOK, "POST", "/scim/v2/.search", map[string]any{"filter": `displayName sw "Grace"`})
	if r.body["totalResults"] != jsonInt(2) || len(r.list()) != 2 {
		t.Errorf("root search: %s", r.raw)
	}
	r = e.must(http.StatusOK, "POST", "/scim/v2/.search", map[string]any{"count": 1, "startIndex": 3})
	if r.body["totalResults"] != jsonInt(3) || len(r.list()) != 1 || r.list()[0]["displayName"] != "Grace Fans" {
		t.Errorf("root search paging: %s", r.raw)
	}
	wantError(t, e.do("GET", "/scim/v2/.search", nil), http.StatusMethodNotAllowed, "")
}

// TestListRefusedBeyondMaxExamined: a listing that would read more
// resources than Config.MaxExamined is refused with tooMany and a detail
// that says the limit and what to send instead; listings that an index
// narrows are answered, whatever the workspace's size.
func TestListRefusedBeyondMaxExamined(t *testing.T) {
	t.Parallel()
	cfg := server.DefaultConfig()
	cfg.MaxExamined = 3
	e := newEnvConfig(t, cfg)
	for _, n := range []string{"ann", "anna", "bob", "carl", "dora"} {
		e.createUser(n, map[string]any{"title": "t", "emails": []any{map[string]any{"value": n + "@example.com", "type": "work"}}})
	}
	e.createGroup("Admins")
	tests := []struct {
		query string
		total int      // answered with this totalResults
		says  []string // or refused, the detail saying these
	}{
		{query: "", total: 5},
		{query: "sortBy=userName&sortOrder=descending&startIndex=4", total: 5},
		{query: "filter=" + q(`userName eq "bob"`), total: 1},
		{query: "filter=" + q(`userName sw "ann"`) + "&sortBy=title", total: 2},
		{query: "filter=" + q(`emails[type eq "work"].value eq "dora@example.com" and title eq "t"`), total: 1},
		{query: "filter=" + q(`externalId eq "x" or id eq "y"`), total: 0},
		{query: "sortBy=title", says: []string{"sorting by title", "more than 3 Users", "sort by userName"}},
		{query: "filter=" + q(`title eq "t"`), says: []string{"no comparison an index answers", "more than 3 Users", `add one with "and"`, "sw", "emails.value"}},
		{query: "filter=" + q(`userName gt "a"`), says: []string{"selects more than 3 Users", "narrow it"}},
		{query: "filter=" + q(`not (userName eq "bob")`) + "&count=0", says: []string{"no comparison an index answers"}},
	}
	for _, tt := range tests {
		t.Run(tt.query, func(t *testing.T) {
			r := e.do("GET", "/scim/v2/Users?"+tt.query, nil)
			if tt.says == nil {
				if r.status != http.StatusOK || r.body["totalResults"] != jsonInt(tt.total) {
					t.Errorf("%d %s, want totalResults %d", r.status, r.raw, tt.total)
				}
				return
			}
			wantError(t, r, http.StatusBadRequest, "tooMany")
			for _, s := range tt.says {
				if d := r.str("detail"); !strings.Contains(d, s) {
					t.Errorf("detail %q lacks %q", d, s)
				}
			}
		})
	}
	// Far into the listing, pages are answered, in order as identity
	// providers read every user, and straight to one too (as on another
	// replica).
	if got := userNames(e.must(http.StatusOK, "GET", "/scim/v2/Users?startIndex=5&count=1", nil)); !slices.Equal(got, []string{"dora"}) {
		t.Errorf("startIndex=5: %v, want [dora]", got)
	}
	var names []string
	for start := 1; start <= 5; start += 2 {
		names = append(names, userNames(e.must(http.StatusOK, "GET", fmt.Sprintf("/scim/v2/Users?startIndex=%d&count=2", start), nil))...)
	}
	if want := []string{"ann", "anna", "bob", "carl", "dora"}; !slices.Equal(names, want) {
		t.Errorf("pages in order: %v, want %v", names, want)
	}

	// The same through POST .search, and for Groups in their own terms.
	r := e.do("POST", "/scim/v2/Users/.search", map[string]any{"filter": `title eq "t"`})
	wantError(t, r, http.StatusBadRequest, "tooMany")
	e.must(http.StatusOK, "GET", "/scim/v2/Groups?filter="+q(`displayName co "dm"`), nil)
}

// TestMaxExaminedDocumented: docs/scim.md states the bound a listing is
// held to, as the server applies it by default.
func TestMaxExaminedDocumented(t *testing.T) {
	t.Parallel()
	doc, err := os.ReadFile(filepath.Join("..", "..", "docs", "scim.md"))
	if err != nil {
		t.Fatal(err)
	}
	n := server.DefaultConfig().MaxExamined
	want := fmt.Sprintf("at most %d,%03d resources of its type", n/1000, n%1000)
	if !strings.Contains(string(doc), want) {
		t.Errorf("docs/scim.md does not say %q", want)
	}
}
