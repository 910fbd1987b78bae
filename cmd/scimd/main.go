// Command scimd is a SCIM 2.0 provisioning server.
//
//	scimd serve [--addr HOST:PORT] [--db URL] [--base-path PATH]
//	scimd workspace create|list|show|set|reset|delete …
//	scimd token create|list|revoke|rotate --workspace SLUG …
//	scimd app-token …, scimd admin-token …, scimd user …, scimd webhook …
//	scimd audit [--workspace SLUG] [--channel C] [--action A] [--since T] [--json] [--follow]
//
// Every command but serve works on the database, or with --server on a
// running server's admin API.
package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/scimd/scimd/internal/admin"
	"github.com/scimd/scimd/internal/appapi"
	"github.com/scimd/scimd/internal/audit"
	"github.com/scimd/scimd/internal/front"
	"github.com/scimd/scimd/internal/provision"
	"github.com/scimd/scimd/internal/reconcile"
	"github.com/scimd/scimd/internal/request"
	"github.com/scimd/scimd/internal/server"
	"github.com/scimd/scimd/internal/store"
	"github.com/scimd/scimd/internal/store/postgres"
	"github.com/scimd/scimd/internal/store/sqlite"
	"github.com/scimd/scimd/internal/tenant"
	"github.com/scimd/scimd/internal/token"
)

const usage = `scimd is a SCIM 2.0 provisioning server.

Usage:
  scimd serve [flags]                          run the server
  scimd workspace create SLUG [KEY=VALUE...]   create a workspace
  scimd workspace list|show|set|reset|delete   list, show, change, reset or delete workspaces
  scimd token create --workspace SLUG --name NAME [--expires DURATION]
                                               mint a SCIM token (printed last)
  scimd token list --workspace SLUG            list a workspace's SCIM tokens
  scimd token revoke --workspace SLUG ID       revoke one at once
  scimd token rotate --workspace SLUG [ID] [--overlap 24h]
                                               replace one (the new one printed last)
  scimd app-token create|list|revoke --workspace SLUG
                                               the application's tokens for /v1
  scimd admin-token create|list|revoke         tokens for the admin API
  scimd user list|invite|invited|deleted --workspace SLUG
  scimd user reactivate|restore|purge|uninvite --workspace SLUG ID
                                               a workspace's users
  scimd webhook list|create|show|set|delete|rotate-secret|deliveries|redeliver --workspace SLUG
                                               a workspace's webhooks
  scimd audit [flags]                          print the audit log

Every command but serve works on the database (--db, SCIMD_DB) by default,
or on a running server's admin API with --server URL and an admin token
in SCIMD_ADMIN_TOKEN; it does the same either way, and is audited alike.
Tables are for people; --json prints the admin API's JSON, for scripts.

Run "scimd COMMAND [SUBCOMMAND] -h" for a command's flags and examples.
Every flag can also be set with an environment variable: --db is
SCIMD_DB, --server SCIMD_SERVER, --base-path SCIMD_BASE_PATH.
`

func main() {
	if err := run(context.Background(), os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "scimd:", err)
		os.Exit(1)
	}
}

// commands are the commands of two words, such as "token list".
func commands() map[string]func(context.Context, []string, io.Writer, io.Writer) error {
	m := map[string]func(context.Context, []string, io.Writer, io.Writer) error{
		"workspace create": workspaceCreate,
		"workspace list":   workspaceList,
		"workspace show":   workspaceShow,
		"workspace set":    workspaceSet,
		"workspace reset":  workspaceReset,
		"workspace delete": workspaceDelete,
	}
	for _, more := range []map[string]func(context.Context, []string, io.Writer, io.Writer) error{
		tokenCommands(), userCommands(), webhookCommands(),
	} {
		maps.Copy(m, more)
	}
	return m
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		fmt.Fprint(stdout, usage)
		return nil
	}
	switch args[0] {
	case "serve":
		return serve(ctx, args[1:], stdout, stderr)
	case "audit":
		return auditCmd(ctx, args[1:], stdout, stderr)
	}
	if len(args) > 1 {
		if cmd := commands()[args[0]+" "+args[1]]; cmd != nil {
			return cmd(ctx, args[2:], stdout, stderr)
		}
	}
	if args[0] == "webhook" {
		fmt.Fprint(stderr, webhookUsage)
	} else {
		fmt.Fprint(stderr, usage)
	}
	return fmt.Errorf("unknown command %q", strings.Join(args, " "))
}

// newFlags returns a flag set whose -h prints usage (a synopsis, what the
// command does and examples) and then the flags.
func newFlags(name, usage string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), usage)
		fmt.Fprintln(fs.Output(), "\nFlags:")
		fs.PrintDefaults()
	}
	return fs
}

// parseArgs parses flags wherever they are among the positional
// arguments, which it returns: "revoke ID --workspace W" works as well as
// "revoke --workspace W ID".
func parseArgs(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		if fs.NArg() == 0 {
			return pos, nil
		}
		pos = append(pos, fs.Arg(0))
		args = fs.Args()[1:]
	}
}

// printJSON prints v as indented JSON.
func printJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// common holds the flags every command has.
type common struct {
	db         string
	secretFile string
	tokenTTL   time.Duration
	// mayCreate lets open create a SQLite database that does not exist:
	// for the commands that start an installation. For the others, a
	// missing file is a mistyped --db.
	mayCreate bool
}

func env(name, def string) string {
	if v, ok := os.LookupEnv(name); ok {
		return v
	}
	return def
}

// envDuration reads a duration from the environment, or returns def.
func envDuration(name string, def time.Duration) time.Duration {
	if v, err := time.ParseDuration(os.Getenv(name)); err == nil {
		return v
	}
	return def
}

// envFloat reads a number from the environment, or returns def.
func envFloat(name string, def float64) float64 {
	if v, err := strconv.ParseFloat(os.Getenv(name), 64); err == nil {
		return v
	}
	return def
}

// envInt reads an integer from the environment, or returns def.
func envInt(name string, def int) int {
	if v, err := strconv.Atoi(os.Getenv(name)); err == nil {
		return v
	}
	return def
}

func (c *common) register(fs *flag.FlagSet) {
	fs.StringVar(&c.db, "db", env("SCIMD_DB", "sqlite:scimd.db"), "database URL: sqlite:PATH or postgres://USER@HOST/DB (env SCIMD_DB)")
	fs.StringVar(&c.secretFile, "secret-file", env("SCIMD_SECRET_FILE", ""),
		"file with the installation secret that keys token hashes; default with SQLite: the database path + \".key\", created on first use (env SCIMD_SECRET_FILE)")
	fs.DurationVar(&c.tokenTTL, "token-ttl", envDuration("SCIMD_TOKEN_TTL", defaultTokenTTL),
		"lifetime of tokens created without one, e.g. 720h; 0: they never expire (env SCIMD_TOKEN_TTL)")
}

// open opens the store and the token hasher.
func (c *common) open(ctx context.Context) (store.Store, *token.Hasher, error) {
	var (
		st         store.Store
		secretFile = c.secretFile
		create     bool // the secret file, if missing
		err        error
	)
	if strings.HasPrefix(c.db, "postgres://") || strings.HasPrefix(c.db, "postgresql://") {
		// Replicas share the database, so they must share the secret
		// too; there is no database file for a default to sit beside.
		if secretFile == "" && os.Getenv("SCIMD_SECRET") == "" {
			return nil, nil, errors.New("with a PostgreSQL database, give the installation secret that keys token hashes: --secret-file (SCIMD_SECRET_FILE) or SCIMD_SECRET, the same for every replica")
		}
		st, err = postgres.Open(ctx, c.db)
	} else {
		path, perr := sqlitePath(c.db)
		if perr != nil {
			return nil, nil, perr
		}
		if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) && !c.mayCreate {
			return nil, nil, fmt.Errorf("--db %s: there is no database at %s; scimd serve or scimd workspace create makes one", c.db, path)
		}
		if secretFile == "" {
			secretFile, create = path+".key", true
		}
		st, err = sqlite.Open(ctx, path)
	}
	if err != nil {
		return nil, nil, err
	}
	secret, err := loadSecret(secretFile, create)
	if err != nil {
		st.Close()
		return nil, nil, err
	}
	return st, token.NewHasher(secret), nil
}

// tenant returns the tenant service with the installation's token
// lifetime.
func (c *common) tenant(st store.Store, h *token.Hasher) (*tenant.Service, error) {
	switch {
	case c.tokenTTL < 0:
		return nil, fmt.Errorf("--token-ttl %v: must not be negative (0: tokens never expire)", c.tokenTTL)
	case c.tokenTTL == 0:
		return tenant.New(st, h, tenant.WithDefaultTokenTTL(-1)), nil
	}
	return tenant.New(st, h, tenant.WithDefaultTokenTTL(c.tokenTTL)), nil
}

// lifetime describes the installation's token lifetime, for messages.
func (c *common) lifetime() string {
	if c.tokenTTL <= 0 {
		return "never expires"
	}
	if c.tokenTTL%(24*time.Hour) == 0 {
		return fmt.Sprintf("expires in %d days", c.tokenTTL/(24*time.Hour))
	}
	return "expires in " + c.tokenTTL.String()
}

// sqlitePath returns the file of a sqlite: database URL.
func sqlitePath(db string) (string, error) {
	path, ok := strings.CutPrefix(db, "sqlite:")
	if !ok {
		return "", fmt.Errorf("--db %q: want sqlite:PATH or postgres://USER@HOST/DB", redact(db))
	}
	return strings.TrimPrefix(path, "//"), nil
}

// redact hides the password in a database URL, for printing.
func redact(db string) string {
	if u, err := url.Parse(db); err == nil && u.User != nil {
		return u.Redacted()
	}
	return db
}

// loadSecret reads the installation secret, creating the file if it does
// not exist and create is set. Keeping it out of the database means a copy
// of the database alone cannot be used to check guessed tokens. Replicas
// never create it: one that made its own would refuse the others' tokens.
func loadSecret(path string, create bool) ([]byte, error) {
	if v := os.Getenv("SCIMD_SECRET"); v != "" {
		if len(v) < 32 {
			return nil, errors.New("SCIMD_SECRET must be at least 32 bytes")
		}
		return []byte(v), nil
	}
	b, err := os.ReadFile(path)
	if err == nil {
		s, err := hex.DecodeString(strings.TrimSpace(string(b)))
		if err != nil || len(s) < 32 {
			return nil, fmt.Errorf("secret file %s: want at least 32 bytes as hex", path)
		}
		return s, nil
	}
	if !errors.Is(err, os.ErrNotExist) || !create {
		return nil, fmt.Errorf("installation secret: %w", err)
	}
	s := make([]byte, 32)
	rand.Read(s)
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, err
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, os.ErrExist) {
		return loadSecret(path, false) // another process created it first
	}
	if err != nil {
		return nil, fmt.Errorf("create secret file: %w", err)
	}
	defer f.Close()
	if _, err := fmt.Fprintln(f, hex.EncodeToString(s)); err != nil {
		return nil, fmt.Errorf("write secret file: %w", err)
	}
	return s, f.Sync()
}

func serve(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	c := common{mayCreate: true}
	c.register(fs)
	cfg := server.DefaultConfig()
	fs.Float64Var(&cfg.RateLimit, "rate-limit", envFloat("SCIMD_RATE_LIMIT", cfg.RateLimit), "requests a second each SCIM token may make, beyond which it gets 429; 0: no limit (env SCIMD_RATE_LIMIT)")
	fs.IntVar(&cfg.RateBurst, "rate-burst", envInt("SCIMD_RATE_BURST", cfg.RateBurst), "requests a SCIM token may make at once, above --rate-limit; 0: twice --rate-limit (env SCIMD_RATE_BURST)")
	addr := fs.String("addr", env("SCIMD_ADDR", "127.0.0.1:8080"), "listen address (env SCIMD_ADDR)")
	fs.StringVar(&cfg.BasePath, "base-path", env("SCIMD_BASE_PATH", cfg.BasePath), "path of the SCIM endpoints (env SCIMD_BASE_PATH)")
	auditReads := fs.Bool("audit-reads", env("SCIMD_AUDIT_READS", "true") == "true", "audit SCIM reads too, not only writes, searches and failures (env SCIMD_AUDIT_READS)")
	auditRetention := fs.Duration("audit-retention", envDuration("SCIMD_AUDIT_RETENTION", audit.DefaultRetention), "how long audit log entries are kept; 0 keeps them forever (env SCIMD_AUDIT_RETENTION)")
	fs.StringVar(&cfg.PublicURL, "public-url", env("SCIMD_PUBLIC_URL", ""), "external URL of the SCIM base path, for meta.location; default: from each request (env SCIMD_PUBLIC_URL)")
	fs.DurationVar(&cfg.RequestTimeout, "request-timeout", envDuration("SCIMD_REQUEST_TIMEOUT", cfg.RequestTimeout), "longest time spent on one request (env SCIMD_REQUEST_TIMEOUT)")
	logFormat := fs.String("log-format", env("SCIMD_LOG_FORMAT", "text"), "log format: text or json (env SCIMD_LOG_FORMAT)")
	adminOpts := adminFlags(fs)
	outOpts := outboxFlags(fs)
	if err := fs.Parse(args); err != nil {
		return err
	}
	var log *slog.Logger
	switch *logFormat {
	case "json":
		log = slog.New(slog.NewJSONHandler(stderr, nil))
	case "text":
		log = slog.New(slog.NewTextHandler(stderr, nil))
	default:
		return fmt.Errorf("--log-format must be text or json")
	}

	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	st, hasher, err := c.open(ctx)
	if err != nil {
		return err
	}
	defer st.Close()
	ten, err := c.tenant(st, hasher)
	if err != nil {
		return err
	}
	tok, err := ten.Bootstrap(ctx)
	if err != nil {
		return fmt.Errorf("bootstrap: %w", err)
	}
	var adminTok string
	if tok != "" {
		// The first run also makes an admin token, so that the admin
		// API can be used at once.
		if adminTok, _, err = ten.CreateAdminToken(tenant.WithActor(ctx, "scimd:first-run"), "first-run", 0); err != nil {
			return fmt.Errorf("bootstrap: %w", err)
		}
	}

	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return err
	}
	aw := audit.NewWriter(st, audit.Config{Log: log})
	defer func() {
		// After the server: requests still running write entries.
		actx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		aw.Close(actx)
	}()
	go (&audit.Pruner{Store: st, Retention: *auditRetention, Log: log}).Run(ctx)
	go provision.New(st).RunPurger(ctx, 0, log)
	go reconcile.New(st, reconcile.Config{Log: log}).Run(ctx)
	go (&tenant.ExpiryNotifier{Store: st, Log: log}).Run(ctx)
	cfg.Audit, cfg.AuditReads = aw, *auditReads
	// Metrics name workspaces and tokens: with a private listener for
	// administration, they are served there only.
	cfg.MetricsElsewhere = adminOpts.addr != ""
	handler := server.New(cfg, st, hasher, log)
	defer handler.Close() // before the store closes
	stopOutbox, err := outOpts.start(ctx, st, handler.Registerer(), log)
	if err != nil {
		return err
	}
	defer stopOutbox()
	verifications := appapi.NewVerificationsCounter()
	if err := handler.Registerer().Register(verifications); err != nil {
		return err
	}
	app := appapi.New(appapi.Config{Store: st, Hasher: hasher, Log: log, RequestTimeout: cfg.RequestTimeout, Verifications: verifications})
	defer app.Close()
	reqMetrics := request.NewMetrics()
	if err := handler.Registerer().Register(reqMetrics); err != nil {
		return err
	}
	root := front.Config{SCIM: handler, App: app, Log: log, Metrics: reqMetrics}
	srv := &http.Server{ // its Handler is the root handler, made by adminOpts.start
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       60 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       120 * time.Second,
	}
	base := cfg.PublicURL
	if base == "" {
		base = "http://" + ln.Addr().String() + "/" + strings.Trim(cfg.BasePath, "/")
	}
	stopAdmin, consoleURL, err := adminOpts.start(ctx, srv, root, st, hasher, ten, log, stdout, base)
	if err != nil {
		return err
	}
	defer stopAdmin()
	fmt.Fprintf(stdout, "scimd is serving SCIM 2.0 at %s (database %s)\n", base, redact(c.db))
	if tok != "" {
		fmt.Fprintf(stdout, "\nCreated workspace \"default\" and its SCIM token (shown once, %s):\n\n  %s\n\n", c.lifetime(), tok)
		fmt.Fprintf(stdout, "Try it:\n\n  curl -H 'Authorization: Bearer %s' %s/Users\n\n", tok, base)
		fmt.Fprintf(stdout, "And an admin token for the admin API (%s) and the console at %s (shown once, %s):\n\n  %s\n\n", admin.Prefix, consoleURL, c.lifetime(), adminTok)
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	log.Info("shutting down")
	sctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	return srv.Shutdown(sctx)
}
