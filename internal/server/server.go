// Package server is scimd's HTTP surface: the SCIM 2.0 endpoints of RFC 7644
// under a base path, authenticated by workspace bearer tokens.
package server

import (
	"cmp"
	"context"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/scimd/scimd/internal/audit"
	"github.com/scimd/scimd/internal/auth"
	"github.com/scimd/scimd/internal/id"
	"github.com/scimd/scimd/internal/provision"
	"github.com/scimd/scimd/internal/request"
	"github.com/scimd/scimd/internal/schema"
	"github.com/scimd/scimd/internal/scimerr"
	"github.com/scimd/scimd/internal/store"
	"github.com/scimd/scimd/internal/token"
)

// Config configures a Server.
type Config struct {
	// BasePath is where the SCIM endpoints live, e.g. "/scim/v2".
	BasePath string
	// PublicURL, if set, is the externally visible URL of BasePath, used in
	// meta.location; otherwise it is derived from each request.
	PublicURL string
	// DefaultPageSize and MaxPageSize bound list responses.
	DefaultPageSize, MaxPageSize int
	// MaxExamined bounds the resources a listing reads
	// (store.Query.MaxExamined); more is refused with tooMany.
	MaxExamined int
	// MaxBodyBytes caps request bodies (413 beyond).
	MaxBodyBytes int64
	// MaxBulkOperations caps the operations of one bulk request.
	MaxBulkOperations int
	// RequestTimeout bounds the work on one request, so that a database
	// that does not answer yields a 503 rather than a hung client.
	RequestTimeout time.Duration
	// Clock, if set, replaces time.Now for token expiry and last use
	// (for tests).
	Clock func() time.Time
	// Audit, if set, receives an audit log entry for SCIM requests: every
	// write and failure, and reads too with AuditReads.
	Audit      *audit.Writer
	AuditReads bool
	// RateLimit is how many requests a second each SCIM token may make,
	// with bursts of RateBurst (0: what RateLimit adds up to in five
	// minutes, enough for an identity provider's first sync); beyond it
	// requests get 429. 0 disables the limit.
	RateLimit float64
	RateBurst int
	// AuthFailureLimit is how many failed authentications a second a
	// client address may make, with bursts of AuthFailureBurst (0: twice
	// AuthFailureLimit); beyond it every request from the address gets
	// 429 until its budget refills, before its token is even looked at.
	// 0 disables the limit.
	AuthFailureLimit float64
	AuthFailureBurst int
	// MetricsElsewhere keeps GET /metrics off this handler, for a server
	// that serves MetricsHandler on a private listener instead.
	MetricsElsewhere bool
	// Authenticator, if set, authenticates SCIM tokens, shared with the
	// other surfaces; nil: one of the server's own, with Clock, which
	// Close closes.
	Authenticator *auth.Authenticator
}

// DefaultConfig returns the defaults documented in docs/configuration.md.
func DefaultConfig() Config {
	return Config{
		BasePath:          "/scim/v2",
		DefaultPageSize:   100,
		MaxPageSize:       1000,
		MaxExamined:       store.DefaultMaxExamined,
		MaxBodyBytes:      1 << 20,
		MaxBulkOperations: 1000,
		RequestTimeout:    30 * time.Second,
		RateLimit:         200,
		AuthFailureLimit:  1,
		AuthFailureBurst:  20,
	}
}

// Server serves SCIM over HTTP.
type Server struct {
	cfg   Config
	store store.Store
	svc   *provision.Service
	log   *slog.Logger
	now   func() time.Time
	mux   *http.ServeMux
	authn *auth.Authenticator
	// ownAuthn says that authn is the server's own, for Close to close.
	ownAuthn bool

	metrics      *metrics
	limiter      *rateLimiter // nil: no limit
	authFailures *rateLimiter // by client address; nil: no limit
	refused      *refusals    // nil: not audited
	types        *typeCache
	users        *userCache
}

// New returns a Server. log may be nil to discard request logs. Close
// stops what it runs in the background.
func New(cfg Config, st store.Store, hasher *token.Hasher, log *slog.Logger) *Server {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	cfg.BasePath = "/" + strings.Trim(cfg.BasePath, "/")
	if cfg.BasePath == "/" {
		cfg.BasePath = ""
	}
	d := DefaultConfig()
	if cfg.DefaultPageSize <= 0 {
		cfg.DefaultPageSize = d.DefaultPageSize
	}
	if cfg.MaxPageSize <= 0 {
		cfg.MaxPageSize = d.MaxPageSize
	}
	cfg.DefaultPageSize = min(cfg.DefaultPageSize, cfg.MaxPageSize)
	if cfg.MaxExamined <= 0 {
		cfg.MaxExamined = d.MaxExamined
	}
	if cfg.MaxBodyBytes <= 0 {
		cfg.MaxBodyBytes = d.MaxBodyBytes
	}
	if cfg.MaxBulkOperations <= 0 {
		cfg.MaxBulkOperations = d.MaxBulkOperations
	}
	if cfg.RequestTimeout <= 0 {
		cfg.RequestTimeout = d.RequestTimeout
	}
	s := &Server{
		cfg:   cfg,
		store: st,
		svc:   provision.New(st),
		log:   log,
		now:   time.Now,
		mux:   http.NewServeMux(),
		authn: cfg.Authenticator,
	}
	if cfg.Clock != nil {
		s.now = cfg.Clock
	}
	if s.authn == nil {
		s.authn = auth.New(auth.Config{Store: st, Hasher: hasher, Clock: cfg.Clock, Log: log})
		s.ownAuthn = true
	}
	s.metrics = newMetrics(s)
	s.limiter = newRateLimiter(cfg.RateLimit, cfg.RateBurst, tokenBurstWindow)
	if s.authFailures = newRateLimiter(cfg.AuthFailureLimit, cfg.AuthFailureBurst, authFailureBurstWindow); s.authFailures != nil {
		s.authFailures.max = maxAuthFailureAddresses
	}
	s.refused = newRefusals(cfg.Audit, s.now)
	s.types = newTypeCache(st, time.Now)
	s.users = newUserCache(st, time.Now)
	s.routes()
	return s
}

// Close writes the refusals counted for the audit log and, with an
// Authenticator of its own, when tokens were last used. The store must
// still be open.
func (s *Server) Close() error {
	s.refused.flush()
	s.types.close()
	s.users.close()
	if s.ownAuthn {
		return s.authn.Close()
	}
	return nil
}

func (s *Server) routes() {
	b := s.cfg.BasePath
	for _, rt := range schema.ResourceTypes {
		s.mux.Handle(b+rt.Endpoint, s.auth(s.serve(s.collection(rt))))
		s.mux.Handle(b+rt.Endpoint+"/{id}", s.auth(s.serve(s.item(rt))))
		s.mux.Handle(b+rt.Endpoint+"/.search", s.auth(s.serve(only(http.MethodPost, s.search(rt)))))
	}
	s.mux.Handle(b+"/.search", s.auth(s.serve(only(http.MethodPost, s.search(nil)))))
	s.mux.Handle(b+"/Bulk", s.auth(s.serve(only(http.MethodPost, s.bulk))))
	s.mux.Handle(b+"/ServiceProviderConfig", s.serve(only(http.MethodGet, s.serviceProviderConfig)))
	s.mux.Handle(b+"/ResourceTypes", s.maybeAuth(s.serve(only(http.MethodGet, s.resourceTypes))))
	s.mux.Handle(b+"/ResourceTypes/{id}", s.maybeAuth(s.serve(only(http.MethodGet, s.resourceType))))
	s.mux.Handle(b+"/Schemas", s.maybeAuth(s.serve(only(http.MethodGet, s.schemas))))
	s.mux.Handle(b+"/Schemas/{id}", s.maybeAuth(s.serve(only(http.MethodGet, s.schema))))
	s.mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte("ok\n"))
	})
	s.mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
		defer cancel()
		if err := s.store.Ping(ctx); err != nil {
			s.fail(w, r, provision.Unavailable(err))
			return
		}
		w.Write([]byte("ok\n"))
	})
	if !s.cfg.MetricsElsewhere {
		s.mux.Handle("GET /metrics", s.metrics.handler)
	}
	s.mux.Handle("/", s.serve(func(r *http.Request) (response, error) {
		return response{}, scimerr.NotFound("no endpoint at %s", r.URL.Path)
	}))
}

// ServeHTTP serves a request. The request id, the log line, panic
// recovery and the request metrics are request.Wrap's, around the whole
// process; here are the SCIM surface's own: the paths it accepts, the
// request timeout, the audit log and the operation metrics.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	rec := request.NewRecorder(w)
	ar := &record{correlationID: request.ID(r.Context()), start: start}
	if ar.correlationID == "" {
		// Served without request.Wrap.
		ar.correlationID = cmp.Or(audit.CorrelationID(r.Header), id.New(id.Request))
	}
	ctx, cancel := context.WithTimeout(r.Context(), s.cfg.RequestTimeout)
	defer cancel()
	ctx = context.WithValue(ctx, recordKey{}, ar)
	ctx = store.WithCorrelationID(ctx, ar.correlationID)
	r = r.WithContext(ctx)
	defer func() {
		v := recover()
		status := rec.Status()
		if v != nil {
			status = http.StatusInternalServerError
		}
		request.SetEndpoint(ctx, s.metrics.endpoint(r.Pattern))
		s.audit(r, ar, status, start)
		s.metrics.observe(r, ar)
		if v != nil {
			panic(v) // for request.Wrap to log and answer
		}
	}()
	p, ok := cleanPath(r.URL.Path, s.cfg.BasePath)
	if !ok {
		s.fail(rec, r, scimerr.NotFound("no endpoint at %s: paths with . or .. segments are not served", r.URL.Path))
		return
	}
	if p != r.URL.Path {
		u := *r.URL
		u.Path, u.RawPath = p, ""
		r2 := *r
		r2.URL = &u
		r = &r2
	}
	s.mux.ServeHTTP(rec, r)
}

// cleanPath returns the path that routes a request for path: under the
// base path, repeated slashes count as one and a trailing slash is
// dropped, so that /Users/ and //Users (from an identity provider
// configured with a base URL ending in /) reach /Users, as http.ServeMux
// would otherwise answer with a redirect, which clients do not all follow
// and which a POST cannot follow safely. Paths with . or .. segments are
// refused (ok false), rather than redirected.
func cleanPath(path, base string) (p string, ok bool) {
	if !strings.HasPrefix(path, base+"/") && path != base {
		return path, true
	}
	if !strings.Contains(path, "//") && !strings.HasSuffix(path, "/") && !strings.Contains(path, "/.") {
		return path, true // the common case, without allocating
	}
	var b strings.Builder
	for seg := range strings.SplitSeq(path, "/") {
		switch seg {
		case "":
			continue
		case ".", "..":
			return "", false
		}
		b.WriteByte('/')
		b.WriteString(seg)
	}
	if b.Len() == 0 {
		return "/", true
	}
	return b.String(), true
}

// InternalError answers a request that failed unexpectedly with a SCIM
// error (500), for request.Wrap to answer a panic with.
func (s *Server) InternalError(w http.ResponseWriter, r *http.Request) {
	s.fail(w, r, scimerr.Internal(nil))
}

// BasePath is where the SCIM endpoints are: "" or a path such as
// "/scim/v2", without a trailing slash.
func (s *Server) BasePath() string { return s.cfg.BasePath }
