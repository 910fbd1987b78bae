package audit

import (
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"testing"
)

func doc(t *testing.T, s string) map[string]any {
	t.Helper()
	if s == "" {
		return nil
	}
	var m map[string]any
	if err := json.Unmarshal([]byte(s), &m); err != nil {
		t.Fatalf("%v: %s", err, s)
	}
	return m
}

const enterprise = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"

func TestDiff(t *testing.T) {
	for _, tt := range []struct {
		name, before, after, want string
	}{
		{"no change", `{"userName":"a","active":true}`, `{"active":true,"userName":"a"}`, `null`},
		{"both nil", ``, ``, `null`},
		{"scalar", `{"active":true}`, `{"active":false}`, `{"active":{"old":true,"new":false}}`},
		{"added and removed", `{"title":"CEO"}`, `{"nickName":"Al"}`,
			`{"nickName":{"new":"Al"},"title":{"old":"CEO"}}`},
		{"complex by sub-attribute", `{"name":{"givenName":"A","familyName":"B"}}`, `{"name":{"givenName":"C","familyName":"B"}}`,
			`{"name.givenName":{"old":"A","new":"C"}}`},
		{"complex removed", `{"name":{"givenName":"A"}}`, `{}`, `{"name.givenName":{"old":"A"}}`},
		{"extension", `{"` + enterprise + `":{"department":"R&D","manager":{"value":"usr_1"}}}`,
			`{"` + enterprise + `":{"department":"Sales","manager":{"value":"usr_2"}}}`,
			`{"` + enterprise + `:department":{"old":"R&D","new":"Sales"},"` + enterprise + `:manager.value":{"old":"usr_1","new":"usr_2"}}`},
		{"multi-valued: one added", `{"emails":[{"value":"a@x","type":"work"}]}`,
			`{"emails":[{"type":"work","value":"a@x"},{"value":"b@x","type":"home"}]}`,
			`{"emails":{"added":[{"type":"home","value":"b@x"}]}}`},
		{"multi-valued: changed", `{"emails":[{"value":"a@x","primary":true}]}`, `{"emails":[{"value":"a@x"}]}`,
			`{"emails":{"added":[{"value":"a@x"}],"removed":[{"primary":true,"value":"a@x"}]}}`},
		{"multi-valued: multiset", `{"roles":["a","a","b"]}`, `{"roles":["a","b","c"]}`,
			`{"roles":{"added":["c"],"removed":["a"]}}`},
		{"multi-valued: reordered", `{"roles":["a","b"]}`, `{"roles":["b","a"]}`, `null`},
		{"create", ``, `{"userName":"a","name":{"givenName":"A"},"emails":[{"value":"a@x"}]}`,
			`{"emails":{"added":[{"value":"a@x"}]},"name.givenName":{"new":"A"},"userName":{"new":"a"}}`},
		{"delete", `{"userName":"a","active":false}`, ``, `{"active":{"old":false},"userName":{"old":"a"}}`},
		{"type changed", `{"x":{"a":1}}`, `{"x":"s"}`, `{"x":{"old":{"a":1},"new":"s"}}`},
		{"numbers", `{"n":1}`, `{"n":1.0}`, `null`},
		{"password never", `{"password":"old","userName":"a"}`, `{"PASSWORD":"new","userName":"a"}`, `null`},
		{"password in a complex value", `{"x":{"a":1}}`, `{"x":"s","y":[{"password":"p","v":1}],"urn:x:User:password":"p"}`,
			`{"x":{"old":{"a":1},"new":"s"},"y":{"added":[{"v":1}]}}`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			before, after := doc(t, tt.before), doc(t, tt.after)
			got, err := json.Marshal(Diff(before, after))
			if err != nil {
				t.Fatal(err)
			}
			var g, w any
			json.Unmarshal(got, &g)
			if err := json.Unmarshal([]byte(tt.want), &w); err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(g, w) {
				t.Errorf("Diff(%s, %s)\n got %s\nwant %s", tt.before, tt.after, got, tt.want)
			}
			if strings.Contains(string(got), `"p"`) || strings.Contains(string(got), "new\":\"new") {
				t.Errorf("a secret in %s", got)
			}
		})
	}
}

// TestDiffCopies checks that the diff does not share the documents' maps:
// it may be marshaled after they change.
func TestDiffCopies(t *testing.T) {
	before := doc(t, `{"emails":[{"value":"a@x"}]}`)
	after := doc(t, `{"emails":[{"value":"b@x"}]}`)
	c := Diff(before, after)
	after["emails"].([]any)[0].(map[string]any)["value"] = "changed"
	if v := c["emails"].Added[0].(map[string]any)["value"]; v != "b@x" {
		t.Errorf("diff changed with the document: %v", v)
	}
}

func TestDiffBoundsLists(t *testing.T) {
	var vals []string
	for i := range MaxListed + 20 {
		vals = append(vals, fmt.Sprintf("%q", fmt.Sprint("v", i)))
	}
	after := doc(t, `{"roles":[`+strings.Join(vals, ",")+`]}`)
	c := Diff(nil, after)
	if ch := c["roles"]; len(ch.Added) != MaxListed || ch.Omitted != 20 {
		t.Errorf("added %d, omitted %d; want %d and 20", len(ch.Added), ch.Omitted, MaxListed)
	}
}

func TestMembers(t *testing.T) {
	added, removed := MemberDelta([]string{"u1", "u2", "u3"}, []string{"u3", "u4", "u1"})
	if !reflect.DeepEqual(added, []string{"u4"}) || !reflect.DeepEqual(removed, []string{"u2"}) {
		t.Errorf("MemberDelta: added %v removed %v", added, removed)
	}
	var c Changes
	if c = c.WithMembers(nil, nil); c != nil {
		t.Errorf("no member change: %v", c)
	}
	c = Diff(doc(t, `{"displayName":"A"}`), doc(t, `{"displayName":"B"}`)).WithMembers(added, removed)
	got, _ := json.Marshal(c)
	if want := `{"displayName":{"old":"A","new":"B"},"members":{"added":["u4"],"removed":["u2"]}}`; string(got) != want {
		t.Errorf("got %s\nwant %s", got, want)
	}
}
