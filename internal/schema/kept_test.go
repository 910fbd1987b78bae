package schema_test

import (
	"bytes"
	"encoding/json"
	"reflect"
	"testing"

	"github.com/scimd/scimd/internal/schema"
)

// FuzzNormalizeKept normalises documents for a resource type that keeps
// undeclared extensions: what it accepts is within the bounds, and
// normalising it again changes nothing.
func FuzzNormalizeKept(f *testing.F) {
	for _, s := range []string{
		`{"userName": "a", "urn:x:2.0:User": {"a": 1, "b": "x", "c": [1, {"d": true}], "e": {"f": null}}}`,
		`{"urn:x:2.0:User:a.b": "x", "urn:x:2.0:User:a": {"c": 1}}`,
		`{"urn:x:2.0:User": {"a": {"b": {"c": 1}}}}`,
		`{"urn:x:2.0:User": "x", "urn:y:User": {"1": 2}}`,
		`{"urn:ietf:params:scim:schemas:core:2.0:User": {"userName": "b"}, "urn:scim:x:1.0": {"a": 1}}`,
	} {
		f.Add([]byte(s))
	}
	rt := schema.UserType.Keeping()
	f.Fuzz(func(t *testing.T, data []byte) {
		d := json.NewDecoder(bytes.NewReader(data))
		d.UseNumber()
		var in map[string]any
		if d.Decode(&in) != nil {
			return
		}
		out, err := rt.Normalize(in)
		if err != nil {
			return
		}
		if err := rt.CheckKept(out); err != nil {
			t.Fatalf("Normalize accepted what CheckKept refuses: %v", err)
		}
		b, err := json.Marshal(out)
		if err != nil {
			t.Fatal(err)
		}
		d = json.NewDecoder(bytes.NewReader(b))
		d.UseNumber()
		var back map[string]any
		if err := d.Decode(&back); err != nil {
			t.Fatal(err)
		}
		again, err := rt.Normalize(back)
		if err != nil {
			t.Fatalf("normalising %s again: %v", b, err)
		}
		if !reflect.DeepEqual(again, back) {
			a, _ := json.Marshal(again)
			t.Fatalf("normalising again changed\n%s\nto\n%s", b, a)
		}
	})
}

// FuzzInfer proposes declarations from what normalising a document
// keeps: every proposal is a schema document ParseDocument takes, and
// declares every attribute kept.
func FuzzInfer(f *testing.F) {
	for _, s := range []string{
		`{"urn:x:2.0:User": {"a": 1, "b": "x", "c": [1, {"d": true}], "e": {"f": 1.5}, "g": ["2024-01-02T03:04:05Z"]}}`,
		`{"urn:x:2.0:User": {"a": [{"$ref": "x", "v": 1}, "y"], "b": [true, "t", 2]}}`,
	} {
		f.Add([]byte(s))
	}
	rt := schema.UserType.Keeping()
	f.Fuzz(func(t *testing.T, data []byte) {
		d := json.NewDecoder(bytes.NewReader(data))
		d.UseNumber()
		var in map[string]any
		if d.Decode(&in) != nil {
			return
		}
		out, err := rt.Normalize(in)
		if err != nil {
			return
		}
		for _, urn := range rt.KeptURNs(out) {
			obj := out[urn].(map[string]any)
			s := schema.Infer(urn, []map[string]any{obj, obj})
			b, err := json.Marshal(s)
			if err != nil {
				t.Fatal(err)
			}
			back, err := schema.ParseDocument(b)
			if err != nil {
				t.Fatalf("the proposal for %v is refused: %v\n%s", obj, err, b)
			}
			for k := range obj {
				if back.Attr(k) == nil {
					t.Errorf("the proposal for %v lacks %s", obj, k)
				}
			}
		}
	})
}
