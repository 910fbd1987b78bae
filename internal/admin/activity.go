package admin

import (
	"cmp"
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/scimd/scimd/internal/audit"
	"github.com/scimd/scimd/internal/tenant"
)

// Bounds of a workspace's activity: the period it reads by default and
// at most, and how soon a token expires to be named.
const (
	activityPeriod    = 24 * time.Hour
	maxActivityPeriod = 7 * 24 * time.Hour
	expiringWithin    = 30 * 24 * time.Hour
)

// getActivity tells what provisioning does in a workspace: the SCIM
// requests of each token over the period, from the audit log, read as a
// range of its index on time, and the tokens that expire soon.
func getActivity(h *Handler, c *call) (int, any, error) {
	ctx := c.r.Context()
	slug := c.pathValue("slug")
	w, err := h.workspace(ctx, slug)
	if err != nil {
		return 0, nil, err
	}
	now := h.now()
	since := now.Add(-activityPeriod)
	if s := c.query("since"); s != "" {
		if since, err = parseWhen("since", s, now); err != nil {
			return 0, nil, err
		}
		if since.Before(now.Add(-maxActivityPeriod)) {
			return 0, nil, badParam("since=%s: at most 7d back; the audit log answers longer questions (GET %s/audit)", s, Prefix)
		}
	}
	acts, err := h.store.AuditActivity(ctx, w.ID, audit.ChannelSCIM, since)
	if err != nil {
		return 0, nil, err
	}
	out := Activity{Since: since.UTC(), Tokens: []TokenActivity{}, Expiring: []ExpiringToken{}}
	for _, a := range acts {
		out.Requests += a.Entries
		out.Errors += a.Errors
		var p struct {
			TokenID   string            `json:"token_id"`
			TokenName string            `json:"token_name"`
			Headers   map[string]string `json:"headers"`
		}
		// A payload that is not as the SCIM API writes it says less.
		_ = json.Unmarshal(a.Last.Payload, &p)
		ua := p.Headers["user-agent"] // as audit.Headers names it
		out.Tokens = append(out.Tokens, TokenActivity{
			Actor: a.Actor, TokenID: cmp.Or(p.TokenID, strings.TrimPrefix(a.Actor, "token:")), TokenName: p.TokenName,
			Requests: a.Entries, Errors: a.Errors,
			Last: LastRequest{At: a.Last.Time.UTC(), Action: a.Last.Action, Status: a.Last.Status, UserAgent: ua,
				IdentityProvider: audit.IdentityProvider(ua), AuditID: a.Last.ID},
		})
	}

	infos, err := h.tenant.ListTokens(ctx, slug)
	if err != nil {
		return 0, nil, workspaceErr(slug, err)
	}
	apps, err := h.appTokens().AppTokens(ctx, w.ID)
	if err != nil {
		return 0, nil, err
	}
	soon := func(i tenant.TokenInfo, kind string) {
		if i.State == tenant.StateActive && !i.Expires.IsZero() && i.Expires.Before(now.Add(expiringWithin)) {
			out.Expiring = append(out.Expiring, ExpiringToken{Token: tokenOut(i), Kind: kind})
		}
	}
	for _, i := range infos {
		soon(i, "scim")
	}
	for _, t := range apps {
		soon(tenant.Describe(t, now), "app")
	}
	slices.SortFunc(out.Expiring, func(a, b ExpiringToken) int { return a.Expires.Compare(*b.Expires) })
	return http.StatusOK, out, nil
}
