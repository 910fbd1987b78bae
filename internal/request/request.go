// Package request wraps every HTTP request the process serves, whatever
// the listener and the surface (SCIM, application API, admin API,
// console), in the same things: an id, sent back in X-Request-Id; one
// log line; recovery from panics; and the request metrics.
package request

import (
	"context"
	"log/slog"
	"net/http"
	"runtime/debug"
	"strings"
	"time"

	"github.com/scimd/scimd/internal/audit"
	"github.com/scimd/scimd/internal/id"
)

// Config configures Wrap.
type Config struct {
	// Log receives a line for each request; nil discards them.
	Log *slog.Logger
	// Metrics, if set, counts and times each request.
	Metrics *Metrics
	// Internal answers a request whose handler panicked before it wrote
	// a response, in the language of the surface it was for. nil: a
	// plain 500.
	Internal http.HandlerFunc
}

// info is what Wrap knows of a request, shared with the handlers
// through its context.
type info struct {
	id       string
	endpoint string
}

type infoKey struct{}

// ID returns the id of the request that ctx belongs to: the client's
// own correlation id if it sent one (audit.CorrelationID), else one made
// for it. It is "" outside Wrap.
func ID(ctx context.Context) string {
	if in, ok := ctx.Value(infoKey{}).(*info); ok {
		return in.id
	}
	return ""
}

// SetEndpoint names, for the metrics, the endpoint that serves the
// request of ctx: a route pattern, never a path as a client sent it,
// so that the number of series stays bounded.
func SetEndpoint(ctx context.Context, endpoint string) {
	if in, ok := ctx.Value(infoKey{}).(*info); ok {
		in.endpoint = endpoint
	}
}

// Wrap returns h wrapped in the request id, the log line, panic
// recovery and the metrics.
func Wrap(h http.Handler, cfg Config) http.Handler {
	log := cfg.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	internal := cfg.Internal
	if internal == nil {
		internal = func(w http.ResponseWriter, r *http.Request) {
			http.Error(w, "internal server error", http.StatusInternalServerError)
		}
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		in := &info{id: audit.CorrelationID(r.Header), endpoint: "unmatched"}
		if in.id == "" {
			in.id = id.New(id.Request)
		}
		w.Header().Set("X-Request-Id", in.id)
		rec := NewRecorder(w)
		r = r.WithContext(context.WithValue(r.Context(), infoKey{}, in))
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					// The handler asks for the connection to be
					// dropped, as net/http does, without a log.
					panic(v)
				}
				log.Error("panic", "method", r.Method, "path", r.URL.Path, "request_id", in.id, "panic", v, "stack", string(debug.Stack()))
				if !rec.wrote {
					internal(rec, r)
				} else {
					rec.status = http.StatusInternalServerError
				}
			}
			d := time.Since(start)
			log.LogAttrs(r.Context(), slog.LevelInfo, "request",
				slog.String("method", r.Method),
				slog.String("path", r.URL.Path),
				slog.Int("status", rec.status),
				slog.Duration("duration", d),
				slog.String("request_id", in.id),
			)
			cfg.Metrics.observe(in.endpoint, r.Method, rec.status, d)
		}()
		h.ServeHTTP(rec, r)
	})
}

// Recorder is a ResponseWriter that remembers the status of the response
// it writes, for the log line, the metrics and the audit log.
type Recorder struct {
	http.ResponseWriter
	status int
	wrote  bool
}

// NewRecorder returns a Recorder writing to w.
func NewRecorder(w http.ResponseWriter) *Recorder {
	return &Recorder{ResponseWriter: w, status: http.StatusOK}
}

// Status is the response's status: 200 until one was written.
func (r *Recorder) Status() int { return r.status }

func (r *Recorder) WriteHeader(code int) {
	if !r.wrote {
		r.status, r.wrote = code, true
	}
	r.ResponseWriter.WriteHeader(code)
}

func (r *Recorder) Write(b []byte) (int, error) {
	r.wrote = true
	return r.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the connection (flushes of
// the event feed, deadlines).
func (r *Recorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }

// Scheme returns the scheme by which the client reached the server:
// what the proxy nearest to the client says in X-Forwarded-Proto (the
// first of its values), if it says http or https in any case; else https
// for a request over TLS, else http. A forged header changes only the
// URLs in the forger's own responses, and makes a browser that signs in
// to the console over plain HTTP drop its Secure cookie.
func Scheme(r *http.Request) string {
	first, _, _ := strings.Cut(r.Header.Get("X-Forwarded-Proto"), ",")
	switch p := strings.ToLower(strings.TrimSpace(first)); p {
	case "http", "https":
		return p
	}
	if r.TLS != nil {
		return "https"
	}
	return "http"
}
