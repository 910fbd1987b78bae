package store_test

import (
	"testing"

	"github.com/scimd/scimd/internal/store"
)

func TestWebhookWants(t *testing.T) {
	for _, tt := range []struct {
		types []string
		typ   string
		want  bool
	}{
		{nil, "user.created", true},
		{[]string{}, "user.created", true},
		{[]string{"user.created"}, "user.created", true},
		{[]string{"user.created"}, "user.created.later", false},
		{[]string{"user.created"}, "user.deleted", false},
		{[]string{"group.*", "user.deleted"}, "user.deleted", true},
		{[]string{"user.*"}, "user.deactivated", true},
		{[]string{"user.*"}, "users.created", false},
		{[]string{"user.*"}, "user", false},
		{[]string{"api_key.*"}, "api_key.revoked", true},
		{[]string{"*"}, "user.created", false},
	} {
		w := store.Webhook{EventTypes: tt.types}
		if got := w.Wants(tt.typ); got != tt.want {
			t.Errorf("webhook for %q wants %s: %v, want %v", tt.types, tt.typ, got, tt.want)
		}
	}
}
