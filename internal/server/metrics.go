package server

import (
	"cmp"
	"context"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/scimd/scimd/internal/audit"
	"github.com/scimd/scimd/internal/schema"
	"github.com/scimd/scimd/internal/store"
	"github.com/scimd/scimd/internal/tenant"
)

// metrics are the server's Prometheus metrics. They live in a registry of
// the server's own rather than the process-wide default, so that several
// servers in one process (as in tests) count separately and nothing
// outside the server can change what it exposes.
//
// Every label takes its values from a small set fixed by the code or the
// operator (route patterns, methods, statuses, workspaces, tokens), never
// from what a client puts in a path or a header, so that the number of
// series stays bounded whatever the traffic.
type metrics struct {
	reg        *prometheus.Registry
	handler    http.Handler
	basePath   string
	operations *prometheus.CounterVec
	throttled  *prometheus.CounterVec
	actions    map[string]bool // the values the action label may take
}

func newMetrics(s *Server) *metrics {
	m := &metrics{
		reg:      prometheus.NewRegistry(),
		basePath: s.cfg.BasePath,
		operations: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "scimd_scim_operations_total",
			Help: "Authenticated SCIM requests, by workspace, identity provider (from the User-Agent) and action.",
		}, []string{"workspace", "idp", "action"}),
		throttled: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "scimd_rate_limited_total",
			Help: "SCIM requests refused with 429 because their token exceeded the rate limit, by workspace.",
		}, []string{"workspace"}),
		actions: map[string]bool{"search": true, "bulk": true, "request": true},
	}
	for _, rt := range schema.ResourceTypes {
		for _, verb := range []string{"list", "get", "create", "replace", "patch", "delete", "search"} {
			m.actions[resourceAction(rt, verb)] = true
		}
	}
	m.reg.MustRegister(
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		m.operations, m.throttled,
		newTokenCollector(s.store, s.now, s.log),
	)
	if w := s.cfg.Audit; w != nil {
		registerAuditStats(m.reg, w)
	}
	m.handler = promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{
		// A collector that fails leaves its metrics out of the scrape
		// rather than failing the whole of it.
		ErrorHandling: promhttp.ContinueOnError,
		Registry:      m.reg,
	})
	return m
}

// MetricsHandler serves the server's metrics in the Prometheus text
// format. The server serves it at GET /metrics too; this is for serving
// it on another listener as well.
func (s *Server) MetricsHandler() http.Handler { return s.metrics.handler }

// Registerer is where the parts that run beside the server register
// their metrics, so that /metrics serves them too.
func (s *Server) Registerer() prometheus.Registerer { return s.metrics.reg }

// observe counts a finished SCIM operation: request.Wrap counts every
// request, these only the authenticated ones, by workspace.
func (m *metrics) observe(r *http.Request, rec *record) {
	if rec.auth == nil {
		return
	}
	action := rec.action
	if action == "" && m.endpoint(r.Pattern) == "/Bulk" {
		action = "bulk"
	}
	action = cmp.Or(action, "request")
	if !m.actions[action] {
		// audit.Action makes a verb of any method a client sends.
		action = "other"
	}
	m.operations.WithLabelValues(rec.auth.workspace.Slug, audit.IdentityProvider(r.UserAgent()), action).Inc()
}

// endpoint turns the pattern that routed a request into the endpoint
// label: "/Users/{id}" for "/scim/v2/Users/{id}", "/healthz" for
// "GET /healthz", and "unmatched" for what no endpoint serves.
func (m *metrics) endpoint(pattern string) string {
	if _, p, ok := strings.Cut(pattern, " "); ok {
		pattern = p
	}
	if pattern == "/" || pattern == "" {
		return "unmatched"
	}
	if p, ok := strings.CutPrefix(pattern, m.basePath); ok && strings.HasPrefix(p, "/") {
		return p
	}
	return pattern
}

// registerAuditStats exposes the audit writer's counters, read when
// scraped.
func registerAuditStats(reg *prometheus.Registry, w *audit.Writer) {
	counter := func(name, help string, v func(audit.Stats) uint64) prometheus.Collector {
		return prometheus.NewCounterFunc(prometheus.CounterOpts{Name: name, Help: help},
			func() float64 { return float64(v(w.Stats())) })
	}
	reg.MustRegister(
		counter("scimd_audit_entries_written_total", "Audit log entries stored in the background: those of reads and failed requests. A successful write stores its entry in its own transaction.",
			func(s audit.Stats) uint64 { return s.Written }),
		counter("scimd_audit_entries_dropped_total", "Audit log entries dropped because the writer's buffer was full.",
			func(s audit.Stats) uint64 { return s.Dropped }),
		counter("scimd_audit_entries_failed_total", "Audit log entries lost because the database failed to store them.",
			func(s audit.Stats) uint64 { return s.Failed }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "scimd_audit_queue_length",
			Help: "Audit log entries waiting to be stored.",
		}, func() float64 { return float64(w.Stats().Queued) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "scimd_audit_write_lag_seconds",
			Help: "How far the audit log trails the requests: how long the oldest entry not yet stored has waited, or else how long the last batch stored waited.",
		}, func() float64 { return w.Stats().Lag.Seconds() }),
	)
}

// tokenListTTL is how long the token collector reuses a listing, so that
// frequent scrapes, or several Prometheus servers, cost the database one
// listing per workspace every 30 seconds at most.
const tokenListTTL = 30 * time.Second

// tokenExpiryWindows are the windows of scimd_tokens_expiring, for alerts
// that need no arithmetic.
var tokenExpiryWindows = []struct {
	label string
	d     time.Duration
}{
	{"7d", 7 * 24 * time.Hour},
	{"30d", 30 * 24 * time.Hour},
}

// tokenCollector exposes when the active SCIM tokens expire, listing them
// from the store when scraped, so that an identity provider's token can be
// rotated before provisioning stops, and when each was last used, so that
// an identity provider that stopped provisioning shows.
type tokenCollector struct {
	store store.Store
	now   func() time.Time
	log   *slog.Logger

	expiresIn, expiring, lastUsed *prometheus.Desc

	mu         sync.Mutex
	fetched    time.Time
	workspaces []string // slugs
	tokens     []activeToken
	failing    bool // the last listing failed; logged once until it works
}

type activeToken struct {
	workspace, id, name string
	expires             time.Time // zero: never
	lastUsed            time.Time // zero: never used
}

func newTokenCollector(st store.Store, now func() time.Time, log *slog.Logger) *tokenCollector {
	return &tokenCollector{
		store: st, now: now, log: log,
		expiresIn: prometheus.NewDesc("scimd_token_expires_in_seconds",
			"Seconds until an active SCIM token expires; tokens that never expire are left out.",
			[]string{"workspace", "token", "name"}, nil),
		expiring: prometheus.NewDesc("scimd_tokens_expiring",
			"Active SCIM tokens of a workspace that expire within the window.",
			[]string{"workspace", "within"}, nil),
		lastUsed: prometheus.NewDesc("scimd_token_last_used_timestamp_seconds",
			"When an active SCIM token was last used, as recorded every few seconds, in seconds since 1970; tokens never used are left out.",
			[]string{"workspace", "token", "name"}, nil),
	}
}

func (c *tokenCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- c.expiresIn
	ch <- c.expiring
	ch <- c.lastUsed
}

func (c *tokenCollector) Collect(ch chan<- prometheus.Metric) {
	now := c.now()
	workspaces, tokens := c.list(now)
	expiring := make(map[string][]float64, len(workspaces))
	for _, ws := range workspaces {
		expiring[ws] = make([]float64, len(tokenExpiryWindows))
	}
	for _, t := range tokens {
		if !t.lastUsed.IsZero() {
			ch <- prometheus.MustNewConstMetric(c.lastUsed, prometheus.GaugeValue, float64(t.lastUsed.UnixMilli())/1000, t.workspace, t.id, t.name)
		}
		if t.expires.IsZero() {
			continue
		}
		left := t.expires.Sub(now)
		if left <= 0 {
			continue // expired since it was listed
		}
		ch <- prometheus.MustNewConstMetric(c.expiresIn, prometheus.GaugeValue, left.Seconds(), t.workspace, t.id, t.name)
		for i, w := range tokenExpiryWindows {
			if left <= w.d {
				expiring[t.workspace][i]++
			}
		}
	}
	for _, ws := range workspaces {
		for i, w := range tokenExpiryWindows {
			ch <- prometheus.MustNewConstMetric(c.expiring, prometheus.GaugeValue, expiring[ws][i], ws, w.label)
		}
	}
}

// list returns the workspaces and their active tokens, from a
// listing at most tokenListTTL old. A listing that fails leaves the last
// one in use until the next attempt, tokenListTTL later.
func (c *tokenCollector) list(now time.Time) ([]string, []activeToken) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.fetched.IsZero() && now.Sub(c.fetched) < tokenListTTL {
		return c.workspaces, c.tokens
	}
	c.fetched = now
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	workspaces, tokens, err := c.fetch(ctx, now)
	if err != nil {
		if !c.failing {
			c.log.Warn("metrics: cannot list tokens", "err", err)
		}
		c.failing = true
		return c.workspaces, c.tokens
	}
	c.failing = false
	c.workspaces, c.tokens = workspaces, tokens
	return workspaces, tokens
}

func (c *tokenCollector) fetch(ctx context.Context, now time.Time) ([]string, []activeToken, error) {
	ws, err := c.store.Workspaces(ctx)
	if err != nil {
		return nil, nil, err
	}
	var (
		slugs  = make([]string, len(ws))
		tokens []activeToken
	)
	for i, w := range ws {
		slugs[i] = w.Slug
		ts, err := c.store.Tokens(ctx, w.ID)
		if err != nil {
			return nil, nil, err
		}
		for _, t := range ts {
			if t.Kind != store.TokenSCIM || tenant.Describe(t, now).State != tenant.StateActive {
				continue
			}
			tokens = append(tokens, activeToken{workspace: w.Slug, id: t.ID, name: t.Name, expires: t.Expires, lastUsed: t.LastUsed})
		}
	}
	return slugs, tokens, nil
}
