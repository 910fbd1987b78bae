package appapi

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/scimd/scimd/internal/access"
	"github.com/scimd/scimd/internal/httpapi"
	"github.com/scimd/scimd/internal/store"
)

// userJSON is who a valid credential stands for, with the access the
// application grants.
type userJSON struct {
	ID          string   `json:"id"`
	UserName    string   `json:"user_name"`
	DisplayName string   `json:"display_name,omitempty"`
	Active      bool     `json:"active"`
	Roles       []string `json:"roles"`
	Groups      []string `json:"groups"`
	Teams       any      `json:"teams"`
}

// verify answers whether a user's API key or session token is good, and
// whose it is: the application calls it on every request it serves, so it
// is served from memory (see access.Verifier), is not audited, and makes
// its response by hand into a reused buffer, with each user's part
// encoded once.
//
// Only credentials of the app token's own workspace verify; any other is
// "unknown", as if it did not exist.
//
// The request has no deadline of its own: what reads the store on a miss
// bounds its reads (see Config.RequestTimeout).
func (h *Handler) verify(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	app, err := h.authenticate(ctx, r)
	if err != nil {
		h.api.Fail(w, r, err)
		return
	}
	buf := h.buffer()
	defer h.bufs.Put(buf)
	secret, err := h.verifyInput(w, r, buf)
	if err != nil {
		h.api.Fail(w, r, err)
		return
	}
	res, err := h.verifier.VerifyIn(ctx, app.workspace.ID, secret)
	if err != nil {
		h.api.Fail(w, r, err)
		return
	}
	b := buf.AvailableBuffer()
	if !res.Valid {
		h.counts.inc(app.workspace.Slug, res.Reason)
		b = append(b, `{"valid":false,"reason":`...)
		b = appendString(b, res.Reason)
		buf.Write(append(b, "}\n"...)) // keeps the storage for the next
		h.api.WriteBody(w, http.StatusOK, buf.Bytes())
		return
	}
	h.counts.inc(app.workspace.Slug, "valid")
	user, err := h.users.encode(res.User)
	if err != nil {
		h.api.Fail(w, r, err)
		return
	}
	b = append(b, `{"valid":true,"workspace":`...)
	b = appendString(b, res.Workspace)
	b = append(b, `,"user":`...)
	b = append(b, user...)
	b = append(b, `,"credential":`...)
	b = appendCredential(b, res.Credential, h.now())
	buf.Write(append(b, "}\n"...))
	h.api.WriteBody(w, http.StatusOK, buf.Bytes())
}

// buffer returns an empty buffer from the Handler's pool.
func (h *Handler) buffer() *bytes.Buffer {
	buf, _ := h.bufs.Get().(*bytes.Buffer)
	if buf == nil || buf.Cap() > 4*maxBody {
		buf = new(bytes.Buffer)
	}
	buf.Reset()
	return buf
}

// verifyInput reads the secret to verify: {"token": "…"} in JSON, or
// token=… in a form, as RFC 7662 §2.1 sends it. token_type_hint, which
// the RFC allows, is accepted and ignored: the secret says its kind. The
// body is read into buf, which is left empty.
func (h *Handler) verifyInput(w http.ResponseWriter, r *http.Request, buf *bytes.Buffer) (string, error) {
	mt, err := h.api.ReadBody(w, r, buf, true)
	if err != nil {
		return "", err
	}
	defer buf.Reset()
	body := buf.Bytes()
	var in struct {
		Token         string `json:"token"`
		TokenTypeHint string `json:"token_type_hint"`
	}
	switch tok, ok := tokenOnly(body); {
	case mt == httpapi.MediaForm:
		if t := trimJSONSpace(body); len(t) > 0 && t[0] == '{' {
			// curl -d sends a JSON body as a form unless told otherwise.
			return "", newError(http.StatusUnsupportedMediaType, CodeUnsupportedMediaType, "the body is JSON but its Content-Type is %s (curl's default with -d); send Content-Type: application/json (with curl: -H 'Content-Type: application/json')", mt)
		}
		q, err := url.ParseQuery(string(body))
		if err != nil {
			return "", newError(http.StatusBadRequest, CodeInvalidValue, "the form is not valid: %v", err)
		}
		in.Token = q.Get("token")
	case ok:
		in.Token = tok
	default:
		if err := httpapi.DecodeJSON(body, &in); err != nil {
			return "", err
		}
	}
	if in.Token == "" {
		return "", badValue(`token is required: send {"token": "scimd_key_…"} or {"token": "scimd_sess_…"}`)
	}
	return in.Token, nil
}

// tokenOnly reads a body that is {"token": "…"} alone, with a value of
// printable ASCII and no escapes, as programs send it, without the
// reflection of encoding/json; anything else is for decodeJSON.
func tokenOnly(b []byte) (string, bool) {
	b = trimJSONSpace(b)
	if len(b) < 2 || b[0] != '{' || b[len(b)-1] != '}' {
		return "", false
	}
	b, ok := bytes.CutPrefix(trimJSONSpace(b[1:len(b)-1]), []byte(`"token"`))
	if !ok {
		return "", false
	}
	b, ok = bytes.CutPrefix(trimJSONSpace(b), []byte(":"))
	if !ok {
		return "", false
	}
	b = trimJSONSpace(b)
	if len(b) < 2 || b[0] != '"' || b[len(b)-1] != '"' {
		return "", false
	}
	v := b[1 : len(b)-1]
	for _, c := range v {
		if c < 0x20 || c > 0x7e || c == '"' || c == '\\' {
			return "", false
		}
	}
	return string(v), true
}

// trimJSONSpace trims the whitespace of RFC 8259 §2.
func trimJSONSpace(b []byte) []byte {
	isSpace := func(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }
	for len(b) > 0 && isSpace(b[0]) {
		b = b[1:]
	}
	for len(b) > 0 && isSpace(b[len(b)-1]) {
		b = b[:len(b)-1]
	}
	return b
}

// appendString appends s as a JSON string: as it is when it is printable
// ASCII without quotes or backslashes, as every id, slug and reason is,
// else as encoding/json writes it.
func appendString(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c > 0x7e || c == '"' || c == '\\' {
			q, _ := json.Marshal(s)
			return append(b, q...)
		}
	}
	b = append(b, '"')
	b = append(b, s...)
	return append(b, '"')
}

func appendTime(b []byte, t time.Time) []byte {
	if t.IsZero() {
		return append(b, "null"...)
	}
	b = append(b, '"')
	b = t.UTC().AppendFormat(b, time.RFC3339Nano)
	return append(b, '"')
}

// appendCredential appends what credentialJSON encodes, by hand.
func appendCredential(b []byte, c store.Credential, now time.Time) []byte {
	b = append(b, `{"id":`...)
	b = appendString(b, c.ID)
	b = append(b, `,"kind":`...)
	b = appendString(b, c.Kind)
	b = append(b, `,"name":`...)
	b = appendString(b, c.Name)
	b = append(b, `,"user_id":`...)
	b = appendString(b, c.UserID)
	b = append(b, `,"created":`...)
	b = appendTime(b, c.Created)
	b = append(b, `,"expires":`...)
	b = appendTime(b, c.Expires)
	b = append(b, `,"revoked":`...)
	b = appendTime(b, c.Revoked)
	if c.RevokedReason != "" {
		b = append(b, `,"revoked_reason":`...)
		b = appendString(b, c.RevokedReason)
	}
	b = append(b, `,"state":`...)
	b = appendString(b, credentialState(c, now))
	return append(b, '}')
}

// maxEncodedUsers bounds encodedUsers.
const maxEncodedUsers = 100_000

// encodedUsers holds the JSON of users, by the cached access.User it
// encodes: a User is never changed, and one read anew is another
// pointer, so an entry is never stale, only unused, until the map is
// dropped when full.
type encodedUsers struct {
	mu sync.RWMutex
	m  map[*access.User][]byte
}

func (c *encodedUsers) encode(u *access.User) ([]byte, error) {
	c.mu.RLock()
	b, ok := c.m[u]
	c.mu.RUnlock()
	if ok {
		return b, nil
	}
	j := userJSON{ID: u.ID, UserName: u.UserName, DisplayName: u.DisplayName, Active: u.Active,
		Roles: nonNil(u.Roles), Groups: nonNil(u.Groups), Teams: u.Teams}
	if j.Teams == nil {
		j.Teams = []any{}
	}
	b, err := json.Marshal(j)
	if err != nil {
		return nil, fmt.Errorf("encode user %s: %w", u.ID, err)
	}
	c.mu.Lock()
	if c.m == nil || len(c.m) >= maxEncodedUsers {
		c.m = make(map[*access.User][]byte)
	}
	c.m[u] = b
	c.mu.Unlock()
	return b, nil
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// counters holds the series of the verifications counter by label
// values, saving their hashing on each verification.
type counters struct {
	vec *prometheus.CounterVec
	mu  sync.RWMutex
	m   map[[2]string]prometheus.Counter
}

func newCounters(vec *prometheus.CounterVec) *counters {
	return &counters{vec: vec, m: make(map[[2]string]prometheus.Counter)}
}

// inc counts a verification. Both labels take values from small sets:
// the workspaces that have app tokens, and the results.
func (c *counters) inc(workspace, result string) {
	if c.vec == nil {
		return
	}
	k := [2]string{workspace, result}
	c.mu.RLock()
	n := c.m[k]
	c.mu.RUnlock()
	if n == nil {
		n = c.vec.WithLabelValues(workspace, result)
		c.mu.Lock()
		c.m[k] = n
		c.mu.Unlock()
	}
	n.Inc()
}

// credentialJSON is an API key or a session as listed: never its secret,
// nor its hash.
type credentialJSON struct {
	ID            string     `json:"id"`
	Kind          string     `json:"kind"` // api_key or session
	Name          string     `json:"name"`
	UserID        string     `json:"user_id"`
	Created       time.Time  `json:"created"`
	Expires       *time.Time `json:"expires"` // null: never
	Revoked       *time.Time `json:"revoked"` // null: not revoked
	RevokedReason string     `json:"revoked_reason,omitempty"`
	State         string     `json:"state"` // active, expired or revoked
}

// Credential states.
const (
	StateActive  = "active"
	StateExpired = "expired"
	StateRevoked = "revoked"
)

func optTime(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	t = t.UTC()
	return &t
}

func credentialOut(c store.Credential, now time.Time) credentialJSON {
	out := credentialJSON{
		ID: c.ID, Kind: c.Kind, Name: c.Name, UserID: c.UserID, Created: c.Created.UTC(),
		Expires: optTime(c.Expires), Revoked: optTime(c.Revoked), RevokedReason: c.RevokedReason, State: credentialState(c, now),
	}
	return out
}

func credentialState(c store.Credential, now time.Time) string {
	switch {
	case !c.Revoked.IsZero():
		return StateRevoked
	case !c.Expires.IsZero() && !now.Before(c.Expires):
		return StateExpired
	}
	return StateActive
}
