package roles_test

import (
	"fmt"
	"testing"

	"github.com/scimd/scimd/internal/roles"
)

// benchPolicy maps 20 groups: exact names, paths, globs and externalIds,
// as a workspace with a few departments might.
func benchPolicy() roles.Policy {
	p := roles.Policy{Allowlist: []string{"Engineering*", "Team *", "Oncall *", "Support*", "All Staff"}}
	for i := range 5 {
		p.Mappings = append(p.Mappings,
			roles.Mapping{Group: fmt.Sprintf("Engineering/Team %d", i), Role: "developer"},
			roles.Mapping{Group: fmt.Sprintf("Finance %d", i), Role: "billing"},
			roles.Mapping{Group: fmt.Sprintf("Support-?%d*", i), Role: "auditor"},
			roles.Mapping{ExternalID: fmt.Sprintf("00g%d", i), Role: "editor"},
		)
	}
	return p
}

// benchInput is a user in 20 groups, nested up to three deep, of which
// the four projects are not synced.
func benchInput() roles.Input {
	in := roles.Input{Groups: []roles.Group{
		{ID: "eng", DisplayName: "Engineering"},
		{ID: "all", DisplayName: "All Staff"},
		{ID: "sup", DisplayName: "Support"},
	}}
	for i := range 8 {
		in.Groups = append(in.Groups, roles.Group{
			ID: fmt.Sprint("t", i), DisplayName: fmt.Sprintf("Team %d", i), ExternalID: fmt.Sprint("ext-t", i), Parents: []string{"eng"},
		})
	}
	for i := range 5 {
		in.Groups = append(in.Groups, roles.Group{
			ID: fmt.Sprint("o", i), DisplayName: fmt.Sprintf("Oncall %d", i), Parents: []string{fmt.Sprint("t", i), "sup"},
		})
	}
	for i := range 4 {
		in.Groups = append(in.Groups, roles.Group{
			ID: fmt.Sprint("x", i), DisplayName: fmt.Sprintf("Project %d", i), ExternalID: fmt.Sprint("00g", i+3), Parents: []string{"all"},
		})
	}
	in.DirectRoles = []string{"Viewer", "superuser"}
	return in
}

func BenchmarkCompute(b *testing.B) {
	c := compile(b, benchPolicy())
	in := benchInput()
	if n := len(in.Groups); n != 20 {
		b.Fatalf("%d groups, want 20", n)
	}
	b.ReportAllocs()
	for b.Loop() {
		c.Compute(in)
	}
}

func BenchmarkCheck(b *testing.B) {
	p := benchPolicy()
	p.Strict = true
	c := compile(b, p)
	in := benchInput()
	requested := []string{"developer"}
	b.ReportAllocs()
	for b.Loop() {
		c.Check(in, requested)
	}
}

func BenchmarkExplain(b *testing.B) {
	c := compile(b, benchPolicy())
	in := benchInput()
	b.ReportAllocs()
	for b.Loop() {
		c.Explain(in)
	}
}
