package schema_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"reflect"
	"testing"

	"github.com/scimd/scimd/internal/schema"
	"github.com/scimd/scimd/internal/scimerr"
)

func decode(t testing.TB, s string) map[string]any {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader([]byte(s)))
	dec.UseNumber()
	var m map[string]any
	if err := dec.Decode(&m); err != nil {
		t.Fatal(err)
	}
	return m
}

func TestNormalize(t *testing.T) {
	const ent = schema.EnterpriseUserURN
	tests := []struct {
		name string
		in   string
		want string // "" for an error
	}{
		{"canonical names", `{"USERNAME":"a","Name":{"GIVENNAME":"A"}}`, `{"userName":"a","name":{"givenName":"A"}}`},
		{"read-only and common dropped", `{"userName":"a","id":"x","meta":{"version":"1"},"groups":[{"value":"g"}],"schemas":["` + schema.UserURN + `"]}`, `{"userName":"a"}`},
		{"password discarded", `{"userName":"a","password":"secret"}`, `{"userName":"a"}`},
		{"unknown attributes and schemas ignored", `{"userName":"a","shoeSize":44,"urn:scim:schemas:core:1.0":{"x":1},"urn:example:ext":{"y":2}}`, `{"userName":"a"}`},
		{"boolean strings", `{"userName":"a","active":"False","emails":[{"value":"e","primary":"TRUE"}]}`, `{"userName":"a","active":false,"emails":[{"value":"e","primary":true}]}`},
		{"nulls and empty lists unassigned", `{"userName":"a","title":null,"emails":[],"name":{"givenName":null}}`, `{"userName":"a"}`},
		{"single value for multi-valued", `{"userName":"a","emails":{"value":"e"}}`, `{"userName":"a","emails":[{"value":"e"}]}`},
		{"plain string for complex", `{"userName":"a","emails":["e@x"]}`, `{"userName":"a","emails":[{"value":"e@x"}]}`},
		{"manager as bare id", `{"userName":"a","` + ent + `":{"manager":"usr_1"}}`, `{"userName":"a","` + ent + `":{"manager":{"value":"usr_1"}}}`},
		{"manager displayName is read-only", `{"userName":"a","` + ent + `":{"manager":{"value":"usr_1","displayName":"Boss"}}}`, `{"userName":"a","` + ent + `":{"manager":{"value":"usr_1"}}}`},
		{"extension URN case-insensitive", `{"userName":"a","URN:IETF:PARAMS:SCIM:SCHEMAS:EXTENSION:ENTERPRISE:2.0:USER":{"Department":"R"}}`, `{"userName":"a","` + ent + `":{"department":"R"}}`},
		{"qualified keys", `{"userName":"a","` + ent + `:department":"R","urn:ietf:params:scim:schemas:core:2.0:User:title":"T"}`, `{"userName":"a","title":"T","` + ent + `":{"department":"R"}}`},
		{"externalId kept", `{"userName":"a","externalId":"x"}`, `{"userName":"a","externalId":"x"}`},
		{"valid dateTime and binary", `{"userName":"a","x509Certificates":[{"value":"aGVsbG8="}]}`, `{"userName":"a","x509Certificates":[{"value":"aGVsbG8="}]}`},
		{"number for string", `{"userName":5}`, ""},
		{"string for boolean", `{"userName":"a","active":"yes"}`, ""},
		{"bad binary", `{"userName":"a","x509Certificates":[{"value":"%%%"}]}`, ""},
		{"two primaries", `{"userName":"a","emails":[{"value":"1","primary":true},{"value":"2","primary":true}]}`, ""},
		{"list for single complex", `{"userName":"a","name":[{"givenName":"A"}]}`, ""},
		{"extension not an object", `{"userName":"a","` + ent + `":"x"}`, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := schema.UserType.Normalize(decode(t, tt.in))
			if tt.want == "" {
				var se *scimerr.Error
				if !errors.As(err, &se) || se.Status != 400 || se.ScimType != scimerr.InvalidValue {
					t.Fatalf("got %v, %v; want a 400 invalidValue", got, err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			want := decode(t, tt.want)
			gj, _ := json.Marshal(got)
			wj, _ := json.Marshal(want)
			if !bytes.Equal(gj, wj) {
				t.Errorf("got  %s\nwant %s", gj, wj)
			}
		})
	}
}

func TestCheckRequired(t *testing.T) {
	for _, doc := range []string{`{}`, `{"userName":""}`, `{"displayName":"x"}`} {
		if err := schema.UserType.CheckRequired(decode(t, doc)); err == nil {
			t.Errorf("%s: no error", doc)
		}
	}
	if err := schema.UserType.CheckRequired(decode(t, `{"userName":"a"}`)); err != nil {
		t.Error(err)
	}
}

func TestParsePath(t *testing.T) {
	tests := []struct {
		in, want string
	}{
		{"userName", "userName"},
		{"NAME.givenname", "name.givenName"},
		{"urn:ietf:params:scim:schemas:core:2.0:User:emails.value", "emails.value"},
		{"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value", schema.EnterpriseUserURN + ":manager.value"},
		{"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User", schema.EnterpriseUserURN},
		{"meta.lastModified", "meta.lastModified"},
		{"externalId", "externalId"},
		{"id", "id"},
		{"shoeSize", ""},
		{"name.shoeSize", ""},
		{"userName.x", ""},
		{"urn:example:x:title", ""},
		{"", ""},
	}
	for _, tt := range tests {
		p, err := schema.UserType.ParsePath(tt.in)
		if tt.want == "" {
			if err == nil {
				t.Errorf("ParsePath(%q) = %v, want an error", tt.in, p)
			}
			continue
		}
		if err != nil || p.String() != tt.want {
			t.Errorf("ParsePath(%q) = %q, %v; want %q", tt.in, p.String(), err, tt.want)
		}
	}
}

func TestSelection(t *testing.T) {
	doc := decode(t, `{"schemas":["s"],"id":"1","userName":"u","title":"t","name":{"givenName":"g","familyName":"f"},
		"emails":[{"value":"e","type":"work"}],"meta":{"version":"v"},"`+schema.EnterpriseUserURN+`":{"department":"d"}}`)
	tests := []struct {
		attrs, excluded string
		want            string
	}{
		{"", "", `{"schemas":["s"],"id":"1","userName":"u","title":"t","name":{"givenName":"g","familyName":"f"},"emails":[{"value":"e","type":"work"}],"meta":{"version":"v"},"` + schema.EnterpriseUserURN + `":{"department":"d"}}`},
		{"userName", "", `{"schemas":["s"],"id":"1","userName":"u"}`},
		{"name.familyName,emails.type", "", `{"schemas":["s"],"id":"1","name":{"familyName":"f"},"emails":[{"type":"work"}]}`},
		{"", "name,meta,emails.type," + schema.EnterpriseUserURN, `{"schemas":["s"],"id":"1","userName":"u","title":"t","emails":[{"value":"e"}]}`},
		{schema.EnterpriseUserURN + ":department", "", `{"schemas":["s"],"id":"1","` + schema.EnterpriseUserURN + `":{"department":"d"}}`},
	}
	for _, tt := range tests {
		sel, err := schema.UserType.ParseSelection(tt.attrs, tt.excluded)
		if err != nil {
			t.Fatal(err)
		}
		got := sel.Apply(schema.UserType, doc)
		if want := decode(t, tt.want); !reflect.DeepEqual(got, want) {
			t.Errorf("attributes=%q excludedAttributes=%q:\n got %v\nwant %v", tt.attrs, tt.excluded, got, want)
		}
	}
	if _, err := schema.UserType.ParseSelection("shoeSize", ""); err == nil {
		t.Error("unknown attribute selected without error")
	}
}

// FuzzNormalize checks that normalising any JSON object never panics, that
// failures are 400 SCIM errors, and that normalising is idempotent.
func FuzzNormalize(f *testing.F) {
	f.Add(`{"userName":"a","emails":[{"value":"x","primary":"True"}],"name":{"givenName":"A"}}`)
	f.Add(`{"userName":"a","urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":{"manager":"m"}}`)
	f.Add(`{"USERNAME":"a","active":"false","x509Certificates":"aGk=","urn:ietf:params:scim:schemas:core:2.0:User:title":"t"}`)
	f.Fuzz(func(t *testing.T, s string) {
		dec := json.NewDecoder(bytes.NewReader([]byte(s)))
		dec.UseNumber()
		var in map[string]any
		if dec.Decode(&in) != nil || in == nil {
			return
		}
		for _, rt := range schema.ResourceTypes {
			out, err := rt.Normalize(in)
			if err != nil {
				var se *scimerr.Error
				if !errors.As(err, &se) || se.Status != 400 {
					t.Fatalf("error %v is not a 400 SCIM error", err)
				}
				continue
			}
			again, err := rt.Normalize(out)
			if err != nil {
				t.Fatalf("normalised document fails normalisation: %v", err)
			}
			if !reflect.DeepEqual(out, again) {
				t.Fatalf("not idempotent:\n%v\n%v", out, again)
			}
		}
	})
}
