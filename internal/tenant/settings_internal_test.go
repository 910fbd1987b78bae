package tenant

import (
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/scimd/scimd/internal/store"
)

// TestSettingsAreTheConfig: the table has one row for each field of
// store.WorkspaceConfig, keyed by the field's JSON name, in which Set
// and Value read and write that field and no other.
func TestSettingsAreTheConfig(t *testing.T) {
	t.Parallel()
	var c store.WorkspaceConfig
	v := reflect.ValueOf(&c).Elem()
	fields := map[uintptr]string{} // address: JSON name
	var names []string
	for i := range v.NumField() {
		name, _, _ := strings.Cut(v.Type().Field(i).Tag.Get("json"), ",")
		fields[v.Field(i).Addr().Pointer()] = name
		names = append(names, name)
	}
	var keys []string
	for _, s := range settings {
		keys = append(keys, s.Key)
		if got := fields[reflect.ValueOf(s.field(&c)).Pointer()]; got != s.Key {
			t.Errorf("setting %s is the field whose JSON name is %q", s.Key, got)
		}
		if s.Doc == "" || s.Label == "" {
			t.Errorf("setting %s has no doc or no label", s.Key)
		}
		if s.OfRoles && s.Kind() != Text {
			t.Errorf("setting %s is one of the roles, but not text", s.Key)
		}
		s.Kind() // panics on a field of a type with no text form
	}
	slices.Sort(keys)
	slices.Sort(names)
	if !slices.Equal(keys, names) {
		t.Errorf("settings %v, want one for each field of store.WorkspaceConfig: %v", keys, names)
	}
}

// TestSettingsDefaults: the defaults of the table are those of
// store.DefaultWorkspaceConfig, which the backends give workspaces
// stored without a configuration.
func TestSettingsDefaults(t *testing.T) {
	t.Parallel()
	var c store.WorkspaceConfig
	def := store.DefaultWorkspaceConfig()
	for _, s := range settings {
		if err := s.Set(&c, s.Default); err != nil {
			t.Errorf("%s: default %q: %v", s.Key, s.Default, err)
		}
		if got := s.Value(def); got != s.Default {
			t.Errorf("%s: store.DefaultWorkspaceConfig has %q, the table says %q", s.Key, got, s.Default)
		}
	}
	if !reflect.DeepEqual(c, def) {
		t.Errorf("the table's defaults make %+v, want store.DefaultWorkspaceConfig %+v", c, def)
	}
}

// TestSettingsBounds: ValidateConfig takes each setting's bounds and
// allowed values from the table, with a message that names the setting.
func TestSettingsBounds(t *testing.T) {
	t.Parallel()
	type value struct {
		text string
		ok   bool
	}
	for _, s := range settings {
		var values []value
		switch s.Kind() {
		case Text:
			for _, e := range s.Enum {
				values = append(values, value{e, true})
			}
			if s.Enum != nil {
				values = append(values, value{"not " + s.Enum[0], false})
			}
			if s.Name != "" {
				// A role must be one of the policy's too.
				name := "Platform Eng"
				if s.Name == "role" {
					name = s.Default
				}
				values = append(values, value{name, true}, value{" eng", false}, value{"a\nb", false})
			}
			values = append(values, value{"", s.None != "" || s.Enum == nil && s.Name == ""})
		case Number:
			values = append(values, value{strconv.Itoa(s.Min), true}, value{strconv.Itoa(s.Min - 1), false})
			if s.Max > 0 {
				values = append(values, value{strconv.Itoa(s.Max), true}, value{strconv.Itoa(s.Max + 1), false})
			}
		case OptionalNumber:
			values = append(values, value{"none", true}, value{strconv.Itoa(s.Min), true}, value{strconv.Itoa(s.Min - 1), false})
		}
		for _, v := range values {
			c := store.DefaultWorkspaceConfig()
			if err := s.Set(&c, v.text); err != nil {
				t.Errorf("%s=%q: %v", s.Key, v.text, err)
				continue
			}
			err := ValidateConfig(c)
			switch {
			case v.ok && err != nil:
				t.Errorf("%s=%q refused: %v", s.Key, v.text, err)
			case !v.ok && (err == nil || !strings.HasPrefix(err.Error(), s.Key+" ")):
				t.Errorf("%s=%q: %v, want it refused, naming %s", s.Key, v.text, err, s.Key)
			}
		}
	}
}
