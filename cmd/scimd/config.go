package main

import (
	"crypto/tls"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/scimd/scimd/internal/admin"
	"github.com/scimd/scimd/internal/audit"
	"github.com/scimd/scimd/internal/front"
	"github.com/scimd/scimd/internal/mail"
	"github.com/scimd/scimd/internal/server"
)

// Config is the configuration of scimd serve. Each setting is a flag,
// which its environment variable (SCIMD_ and the flag's name in
// capitals: SCIMD_TOKEN_TTL for --token-ttl) sets when the command line
// does not. A setting is added in three places: a field here, its flag in
// register, and its checks in Validate; docs/configuration.md lists it
// (TestConfigurationReference fails until it does).
type Config struct {
	common // --db, --secret-file, --token-ttl

	// Addr is the SCIM listener's address, which also serves the
	// application API, and the admin API unless AdminAddr is set.
	Addr string
	// AdminAddr, if set, is a listener of its own for the admin API,
	// the console and metrics.
	AdminAddr string
	LogFormat string
	// Server holds the SCIM handler's settings: base path, public URL,
	// rate limit, request timeout.
	Server         server.Config
	AuditReads     bool
	AuditRetention time.Duration
	// BlockPrivate refuses webhooks to loopback, private and link-local
	// addresses.
	BlockPrivate bool
	NATSURL      string
	// Mail sends welcome emails; its password comes from
	// SCIMD_SMTP_PASSWORD alone, which no flag shows in ps.
	Mail mail.Config
	// TLSCert and TLSKey, if set, are the PEM files of the certificate
	// that every listener serves HTTPS with, reloaded when they change.
	TLSCert, TLSKey string
	// BootstrapTokenFile, if set, receives the first run's tokens
	// instead of stdout, which a service manager keeps in its journal.
	BootstrapTokenFile string
	// DBWait is how long serve waits for a PostgreSQL server that cannot
	// be reached yet, as when both start at once.
	DBWait time.Duration
}

// defaultConfig returns serve's defaults.
func defaultConfig() Config {
	return Config{
		common:         common{db: "sqlite:scimd.db", tokenTTL: defaultTokenTTL, mayCreate: true},
		Addr:           "127.0.0.1:8080",
		LogFormat:      "text",
		Server:         server.DefaultConfig(),
		AuditReads:     true,
		AuditRetention: audit.DefaultRetention,
		DBWait:         time.Minute,
	}
}

// register registers c's flags, with c's values as their defaults, and
// binds every one to its environment variable.
func (c *Config) register(fs *flag.FlagSet) {
	c.common.register(fs)
	fs.StringVar(&c.Addr, "addr", c.Addr, "listen address of the SCIM endpoints and the application API")
	fs.StringVar(&c.AdminAddr, "admin-addr", c.AdminAddr,
		"serve the admin API ("+admin.Prefix+"), the console and metrics on this address instead of --addr, e.g. 127.0.0.1:8081 to keep them off the public listener")
	fs.StringVar(&c.Server.BasePath, "base-path", c.Server.BasePath, "path of the SCIM endpoints")
	fs.StringVar(&c.Server.PublicURL, "public-url", c.Server.PublicURL,
		"external URL of the SCIM base path, for meta.location and the banner; default: from each request (Host, X-Forwarded-Proto)")
	fs.Float64Var(&c.Server.RateLimit, "rate-limit", c.Server.RateLimit, "requests a second each SCIM token may make, beyond which it gets 429; 0: no limit")
	fs.IntVar(&c.Server.RateBurst, "rate-burst", c.Server.RateBurst, "requests a SCIM token may make at once, above --rate-limit; 0: five minutes of --rate-limit")
	fs.Float64Var(&c.Server.AuthFailureLimit, "auth-failure-limit", c.Server.AuthFailureLimit,
		"failed SCIM authentications a second a client address may make (in bursts of 20), beyond which its requests get 429 unread; 0: no limit")
	fs.DurationVar(&c.Server.RequestTimeout, "request-timeout", c.Server.RequestTimeout, "longest time spent on one request")
	fs.BoolVar(&c.AuditReads, "audit-reads", c.AuditReads, "audit SCIM reads too, not only writes, searches and failures")
	fs.DurationVar(&c.AuditRetention, "audit-retention", c.AuditRetention, "how long audit log entries are kept; 0 keeps them forever")
	fs.StringVar(&c.LogFormat, "log-format", c.LogFormat, "log format: text or json")
	fs.BoolVar(&c.BlockPrivate, "webhook-block-private", c.BlockPrivate, "refuse to send webhooks to loopback, private and link-local addresses")
	fs.StringVar(&c.NATSURL, "nats-url", c.NATSURL, "publish every event to NATS JetStream at this URL, e.g. nats://127.0.0.1:4222; default: off")
	fs.StringVar(&c.Mail.Addr, "smtp-addr", c.Mail.Addr, "send a welcome email to each user created, through this SMTP server (host:port); default: off")
	fs.StringVar(&c.Mail.From, "smtp-from", c.Mail.From, "From address of welcome emails")
	fs.StringVar(&c.Mail.Username, "smtp-username", c.Mail.Username, "SMTP user name; the password is read from SCIMD_SMTP_PASSWORD")
	fs.StringVar(&c.TLSCert, "tls-cert", c.TLSCert,
		"serve HTTPS on every listener with the certificate (and its chain) in this PEM file, reloaded when it changes or on SIGHUP; needs --tls-key")
	fs.StringVar(&c.TLSKey, "tls-key", c.TLSKey, "the PEM file of --tls-cert's private key")
	fs.StringVar(&c.BootstrapTokenFile, "bootstrap-token-file", c.BootstrapTokenFile,
		"write the first run's SCIM token and admin token to this new file (mode 0600) rather than to stdout, which a service manager keeps in its journal")
	fs.DurationVar(&c.DBWait, "db-wait", c.DBWait, "how long to wait at start for a PostgreSQL server that cannot be reached yet, trying again every few seconds; 0: fail at once")
	bindEnv(fs)
}

// Validate reports every problem of c at once.
func (c *Config) Validate() error {
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	if err := c.common.validate(); err != nil {
		errs = append(errs, err)
	}
	if _, _, err := net.SplitHostPort(c.Addr); err != nil {
		bad("--addr %q: want HOST:PORT, such as 127.0.0.1:8080 or :8080", c.Addr)
	}
	if c.AdminAddr != "" {
		if _, port, err := net.SplitHostPort(c.AdminAddr); err != nil {
			bad("--admin-addr %q: want HOST:PORT, such as 127.0.0.1:8081", c.AdminAddr)
		} else if c.AdminAddr == c.Addr && port != "0" {
			bad("--admin-addr %q: the same as --addr; leave it out to serve the admin API there", c.AdminAddr)
		}
	}
	if !strings.HasPrefix(c.Server.BasePath, "/") {
		bad("--base-path %q: want a path starting with /, such as /scim/v2", c.Server.BasePath)
	} else if err := front.CheckBasePath(c.Server.BasePath, c.AdminAddr == ""); err != nil {
		bad("--base-path %q: %w", c.Server.BasePath, err)
	}
	if p := c.Server.PublicURL; p != "" {
		if u, err := url.Parse(p); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			bad("--public-url %q: want an absolute http or https URL, such as https://scim.example.com/scim/v2", p)
		}
	}
	if c.Server.RateLimit < 0 {
		bad("--rate-limit %v: must not be negative (0: no limit)", c.Server.RateLimit)
	}
	if c.Server.AuthFailureLimit < 0 {
		bad("--auth-failure-limit %v: must not be negative (0: no limit)", c.Server.AuthFailureLimit)
	}
	if c.Server.RateBurst < 0 {
		bad("--rate-burst %d: must not be negative (0: five minutes of --rate-limit)", c.Server.RateBurst)
	}
	if c.Server.RequestTimeout <= 0 {
		bad("--request-timeout %v: must be positive", c.Server.RequestTimeout)
	}
	if c.AuditRetention < 0 {
		bad("--audit-retention %v: must not be negative (0: forever)", c.AuditRetention)
	}
	if c.LogFormat != "text" && c.LogFormat != "json" {
		bad("--log-format %q: want text or json", c.LogFormat)
	}
	if c.NATSURL != "" {
		if u, err := url.Parse(c.NATSURL); err != nil || u.Host == "" {
			bad("--nats-url %q: want a URL such as nats://127.0.0.1:4222", c.NATSURL)
		}
	}
	if c.Mail.Addr != "" {
		if err := c.Mail.Validate(); err != nil {
			bad("--smtp-addr: %w", err)
		}
	} else if c.Mail.From != "" || c.Mail.Username != "" {
		bad("--smtp-from and --smtp-username need --smtp-addr")
	}
	switch {
	case (c.TLSCert == "") != (c.TLSKey == ""):
		bad("--tls-cert and --tls-key go together: give both, or neither")
	case c.TLSCert != "":
		if _, err := tls.LoadX509KeyPair(c.TLSCert, c.TLSKey); err != nil {
			bad("--tls-cert %s, --tls-key %s: %w", c.TLSCert, c.TLSKey, err)
		}
	}
	if f := c.BootstrapTokenFile; f != "" {
		if fi, err := os.Stat(filepath.Dir(f)); err != nil || !fi.IsDir() {
			bad("--bootstrap-token-file %s: its directory %s does not exist", f, filepath.Dir(f))
		}
	}
	if c.DBWait < 0 {
		bad("--db-wait %v: must not be negative (0: do not wait)", c.DBWait)
	}
	return errors.Join(errs...)
}

// scheme is the scheme of the listeners' URLs.
func (c *Config) scheme() string {
	if c.TLSCert != "" {
		return "https"
	}
	return "http"
}

// parseServe reads serve's configuration from args and the environment,
// and checks it.
func parseServe(args []string, stderr io.Writer) (*Config, error) {
	c := defaultConfig()
	fs := newFlags("serve", serveUsage, stderr)
	c.register(fs)
	pos, err := parseArgs(fs, args)
	if err != nil {
		return nil, err
	}
	if len(pos) > 0 {
		return nil, fmt.Errorf("serve: unexpected argument %q (see scimd serve -h)", pos[0])
	}
	c.Mail.Password = os.Getenv("SCIMD_SMTP_PASSWORD")
	if err := c.Validate(); err != nil {
		return nil, err
	}
	return &c, nil
}

const serveUsage = `Usage: scimd serve [flags]

Serves the SCIM endpoints, the application API (/v1), the admin API
(` + admin.Prefix + `) and its console. The first run on an empty database creates
workspace "default" with a SCIM token, and an admin token, and prints
them once.

Every flag can be set by its environment variable instead, as each says;
the command line wins. Durations take days too: 30d, 1d12h.

Examples:
  scimd serve
  scimd serve --addr :8080 --admin-addr 127.0.0.1:8081 --public-url https://scim.example.com/scim/v2
  SCIMD_DB=postgres://scimd@db/scimd SCIMD_SECRET_FILE=/etc/scimd/secret scimd serve
`
