package console

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/scimd/scimd/internal/request"
)

// The cookies of the console. Both are sealed (see sealer), HttpOnly,
// SameSite=Strict and limited to Prefix.
const (
	// sessionCookie holds the sign-in's id and the operator's admin
	// token until the sign-in ends.
	sessionCookie = "scimd_console"
	// noticeCookie carries a notice from an action to the page it
	// redirects to.
	noticeCookie = "scimd_console_notice"
	noticeTTL    = 5 * time.Minute
)

// sealer encrypts and authenticates cookie values with AES-256-GCM. The
// session cookie holds the admin token itself, so that every page can
// call the API with it; sealed, the browser's cookie store never holds
// the token in the clear, and the sign-in ends at the expiry sealed in
// with it even if a browser keeps the cookie longer. The cookie's name is
// the additional data, so that a notice cannot be passed off as a
// session.
type sealer struct {
	aead cipher.AEAD
}

func newSealer(key []byte) (*sealer, error) {
	if len(key) != 32 {
		return nil, fmt.Errorf("console: the key has %d bytes; want 32", len(key))
	}
	b, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("console: %w", err)
	}
	aead, err := cipher.NewGCM(b)
	if err != nil {
		return nil, fmt.Errorf("console: %w", err)
	}
	return &sealer{aead: aead}, nil
}

// seal returns value, to be stored in the cookie name until expires.
func (s *sealer) seal(name string, value string, expires time.Time) string {
	plain := binary.BigEndian.AppendUint64(nil, uint64(expires.Unix()))
	plain = append(plain, value...)
	nonce := make([]byte, s.aead.NonceSize())
	rand.Read(nonce)
	return base64.RawURLEncoding.EncodeToString(s.aead.Seal(nonce, nonce, plain, []byte(name)))
}

// open returns the value sealed in the cookie name, if it was sealed by
// this key and has not expired.
func (s *sealer) open(name, sealed string, now time.Time) (string, bool) {
	b, err := base64.RawURLEncoding.DecodeString(sealed)
	if err != nil || len(b) < s.aead.NonceSize() {
		return "", false
	}
	n := s.aead.NonceSize()
	plain, err := s.aead.Open(nil, b[:n], b[n:], []byte(name))
	if err != nil || len(plain) < 8 {
		return "", false
	}
	if expires := time.Unix(int64(binary.BigEndian.Uint64(plain)), 0); !now.Before(expires) {
		return "", false
	}
	return string(plain[8:]), true
}

// sessionIDLen is the length of a session id: 16 random bytes, base64url.
const sessionIDLen = 22

// newSessionID returns a random session id.
func newSessionID() string {
	b := make([]byte, 16)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// session returns the id and the admin token of the request's sign-in,
// or "", "" if there is none: no cookie, one this console did not seal,
// one expired, or one signed out.
func (c *Console) session(r *http.Request) (id, token string) {
	ck, err := r.Cookie(sessionCookie)
	if err != nil {
		return "", ""
	}
	v, ok := c.cookies.open(sessionCookie, ck.Value, c.now())
	if !ok || len(v) <= sessionIDLen {
		return "", ""
	}
	id, token = v[:sessionIDLen], v[sessionIDLen:]
	if c.signedOut.has(id, c.now()) {
		return "", ""
	}
	return id, token
}

// signOuts remembers the sessions signed out before they expired, so
// that a copy of the cookie, which stays sealed and unexpired, signs no
// one in either. It is kept in memory: a sign-out holds on the server
// that served it, until that server restarts (see docs/console.md).
type signOuts struct {
	mu sync.Mutex
	// until maps a session id to when it can be forgotten, because its
	// cookie has expired by then.
	until map[string]time.Time
}

// add ends the session id, which expires by until.
func (s *signOuts) add(id string, until, now time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.until == nil {
		s.until = map[string]time.Time{}
	}
	// Forget the sessions that have expired since, so that the map holds
	// only those that could still be used.
	for k, t := range s.until {
		if !now.Before(t) {
			delete(s.until, k)
		}
	}
	s.until[id] = until
}

// has reports whether the session id has been signed out.
func (s *signOuts) has(id string, now time.Time) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	t, ok := s.until[id]
	return ok && now.Before(t)
}

// setCookie sets one of the console's cookies; maxAge < 0 deletes it.
func (q *req) setCookie(name, value string, maxAge time.Duration) {
	ck := &http.Cookie{
		Name:     name,
		Value:    value,
		Path:     Prefix,
		HttpOnly: true,
		Secure:   overTLS(q.r),
		SameSite: http.SameSiteStrictMode,
	}
	if maxAge < 0 {
		ck.MaxAge = -1
	} else {
		ck.MaxAge = int(maxAge / time.Second)
		ck.Expires = q.c.now().Add(maxAge)
	}
	http.SetCookie(q.w, ck)
}

// overTLS reports whether the browser reached the console over TLS:
// directly, or through a proxy that says so. Believing a forged header
// costs only the forger: a browser that reached the console over plain
// HTTP keeps no Secure cookie, and so cannot sign in.
func overTLS(r *http.Request) bool {
	return request.Scheme(r) == "https"
}

// setFlash keeps a notice for the next page.
func (q *req) setFlash(notice string) {
	q.setCookie(noticeCookie, q.c.cookies.seal(noticeCookie, notice, q.c.now().Add(noticeTTL)), noticeTTL)
}

// takeFlash returns the notice kept for this page, if any, and drops it.
func (q *req) takeFlash() string {
	ck, err := q.r.Cookie(noticeCookie)
	if err != nil {
		return ""
	}
	q.setCookie(noticeCookie, "", -1)
	notice, _ := q.c.cookies.open(noticeCookie, ck.Value, q.c.now())
	return notice
}

// endSession signs the operator out and sends them to sign in, with a
// notice that says why.
func (q *req) endSession(notice string) {
	q.setCookie(sessionCookie, "", -1)
	q.setFlash(notice)
	http.Redirect(q.w, q.r, Prefix+"login", http.StatusSeeOther)
}

// maxForm bounds the body of a form: the largest, a workspace's
// configuration, is well under this.
const maxForm = 64 << 10

// form parses the request's form.
func (q *req) form() bool {
	q.r.Body = http.MaxBytesReader(q.w, q.r.Body, maxForm)
	if err := q.r.ParseForm(); err != nil {
		q.fail(http.StatusBadRequest, "invalid_form", "The form could not be read: "+err.Error())
		return false
	}
	return true
}

func signInForm(q *req) {
	if q.token != "" {
		q.redirect(Prefix, "")
		return
	}
	q.render(http.StatusOK, "login", view{Title: "Sign in"})
}

// signIn checks the admin token pasted by the operator against the API,
// and keeps it for the session if the API accepts it. Whatever was
// pasted is never shown again, not even in the form after a refusal.
func signIn(q *req) {
	if !q.form() {
		return
	}
	tok := strings.TrimSpace(q.r.PostForm.Get("token"))
	if e := q.c.call(q.r, tok, "GET", "/workspaces", nil, nil, nil); e != nil {
		q.render(e.Status, "login", view{Title: "Sign in", Error: e})
		return
	}
	q.token = tok
	q.setCookie(sessionCookie, q.c.cookies.seal(sessionCookie, newSessionID()+tok, q.c.now().Add(q.c.ttl)), q.c.ttl)
	q.redirect(Prefix, "Signed in.")
}

// signOut ends the sign-in on the server as well as in the browser, so
// that a copy of the cookie taken before is refused from now on.
func signOut(q *req) {
	if q.session != "" {
		// The cookie expires at most ttl after now.
		q.c.signedOut.add(q.session, q.c.now().Add(q.c.ttl), q.c.now())
	}
	q.setCookie(sessionCookie, "", -1)
	q.token = ""
	q.redirect(Prefix+"login", "Signed out.")
}
