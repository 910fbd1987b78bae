package provision

import "context"

// Change describes what a write did, for the audit log: the document
// before and after, and the group members added and removed. Before is nil
// for a create, After nil for a delete. For member changes made without
// reading the group, Added and Removed are what was asked for, and a
// request that cleared the group is marked Cleared.
type Change struct {
	Before, After  map[string]any
	Added, Removed []string
	Cleared        bool
}

type changeKey struct{}

// WithChange returns a context in which writes describe what they did in
// c. Stores may run update closures more than once, so every field is
// assigned, never appended to.
func WithChange(ctx context.Context, c *Change) context.Context {
	return context.WithValue(ctx, changeKey{}, c)
}

// changeOf returns the Change to fill in, or a throwaway one.
func changeOf(ctx context.Context) *Change {
	if c, ok := ctx.Value(changeKey{}).(*Change); ok {
		return c
	}
	return &Change{}
}
