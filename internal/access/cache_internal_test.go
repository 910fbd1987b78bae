package access

import (
	"fmt"
	"testing"
	"time"

	"github.com/scimd/scimd/internal/store"
)

// TestCacheBound checks that the cache holds at most its bound of
// credentials and users, and that the indexes of what it evicts go with
// them.
func TestCacheBound(t *testing.T) {
	c := newCache(10, time.Minute)
	now := time.Now()
	for i := range 50 {
		p := pending{
			hash: []byte(fmt.Sprintf("hash%d", i)),
			cred: &store.Credential{ID: fmt.Sprintf("cred_%d", i), WorkspaceID: "ws_a", UserID: fmt.Sprintf("usr_%d", i%20)},
			ws:   &store.Workspace{ID: "ws_a", Slug: "a"},
			user: &User{ID: fmt.Sprintf("usr_%d", i%20)},
			load: loadCred | loadWorkspace | loadUser,
		}
		c.install(&p, now)
	}
	creds, users := c.size()
	if creds != 10 || users != 10 {
		t.Errorf("%d credentials, %d users cached; want 10 each", creds, users)
	}
	n := 0
	for _, keys := range c.userCreds {
		n += len(keys)
	}
	if len(c.credKeys) != 10 || n != 10 {
		t.Errorf("indexes hold %d credential ids, %d keys by user; want 10 each", len(c.credKeys), n)
	}
	for key, e := range c.creds {
		if c.credKeys[e.cred.ID] != key {
			t.Errorf("credential %s is not indexed", e.cred.ID)
		}
	}
}
