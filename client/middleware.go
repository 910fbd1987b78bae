package client

import (
	"context"
	"net/http"
	"strings"
)

type verificationKey struct{}

// Middleware returns a handler that verifies each request's bearer token
// ("Authorization: Bearer scimd_key_…" or a session token) before
// passing the request to next, with the verification in its context
// (see UserFrom and VerificationFrom). It answers 401 itself to a
// request without a valid token, and 503 when the server cannot say
// whether the token is valid: it never lets a request through unverified.
func (c *Client) Middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		tok, ok := bearer(r)
		if !ok {
			// RFC 6750 §3.1: no error code for a request without
			// credentials.
			w.Header().Set("WWW-Authenticate", `Bearer realm="scimd"`)
			http.Error(w, "a bearer token is required", http.StatusUnauthorized)
			return
		}
		v, err := c.Verify(r.Context(), tok)
		if err != nil {
			c.log.Error("scimd client: cannot verify a request's token", "err", err)
			http.Error(w, "the token cannot be verified now; try again shortly", http.StatusServiceUnavailable)
			return
		}
		if !v.Valid {
			w.Header().Set("WWW-Authenticate", `Bearer realm="scimd", error="invalid_token", error_description="`+v.Reason+`"`)
			http.Error(w, "the bearer token is not valid: "+v.Reason, http.StatusUnauthorized)
			return
		}
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), verificationKey{}, &v)))
	})
}

// bearer returns the token of an Authorization header (RFC 6750 §2.1),
// whose scheme is case-insensitive (RFC 9110 §11.1).
func bearer(r *http.Request) (string, bool) {
	scheme, tok, ok := strings.Cut(r.Header.Get("Authorization"), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return "", false
	}
	tok = strings.TrimSpace(tok)
	return tok, tok != ""
}

// UserFrom returns the user Middleware verified the request's token as,
// and whether it did.
func UserFrom(ctx context.Context) (User, bool) {
	v, ok := ctx.Value(verificationKey{}).(*Verification)
	if !ok {
		return User{}, false
	}
	return v.User, true
}

// VerificationFrom returns the whole verification Middleware made of
// the request's token: the user, and the credential it used.
func VerificationFrom(ctx context.Context) (Verification, bool) {
	v, ok := ctx.Value(verificationKey{}).(*Verification)
	if !ok {
		return Verification{}, false
	}
	return *v, true
}
