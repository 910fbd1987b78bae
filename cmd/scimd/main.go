// Command scimd is a SCIM 2.0 provisioning server.
//
//	scimd serve [--addr HOST:PORT] [--db URL] [--base-path PATH]
//	scimd workspace create|list|show|set|reset|delete …
//	scimd token create|list|revoke|rotate --workspace SLUG …
//	scimd app-token …, scimd admin-token …, scimd user …, scimd team …, scimd schema …, scimd webhook …
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
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/scimd/scimd/internal/appapi"
	"github.com/scimd/scimd/internal/audit"
	"github.com/scimd/scimd/internal/auth"
	"github.com/scimd/scimd/internal/duration"
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
  scimd workspace setup-link SLUG [--expires 7d]
                                               a link for the customer's IT administrator
  scimd setup-link list|revoke --workspace SLUG [ID]
                                               a workspace's set-up links
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
  scimd user reactivate|restore|purge|uninvite|delete --workspace SLUG ID
                                               a workspace's users
  scimd user show --workspace SLUG ID          a user's groups, roles and why, credentials
  scimd group list|show --workspace SLUG [GROUP]
                                               a workspace's groups and the roles they grant
  scimd team list|link|unlink --workspace SLUG [GROUP --team KEY [--role ROLE]]
                                               teams the workspace's groups are linked to
  scimd schema set --workspace SLUG --resource-type User|Group [--required] FILE.json
  scimd schema list|show|delete --workspace SLUG [URN]
                                               a workspace's extension schemas (custom attributes)
  scimd webhook list|create|show|set|delete|rotate-secret|deliveries|redeliver --workspace SLUG
                                               a workspace's webhooks
  scimd audit [flags]                          print the audit log
  scimd version                                print the version, commit and Go version

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
		"workspace create":   workspaceCreate,
		"workspace list":     workspaceList,
		"workspace show":     workspaceShow,
		"workspace set":      workspaceSet,
		"workspace reset":    workspaceReset,
		"workspace delete":   workspaceDelete,
		"workspace activity": workspaceActivity,

		"workspace setup-link": workspaceSetupLink,
	}
	for _, more := range []map[string]func(context.Context, []string, io.Writer, io.Writer) error{
		tokenCommands(), userCommands(), groupCommands(), teamCommands(), schemaCommands(), webhookCommands(),
	} {
		maps.Copy(m, more)
	}
	return m
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	err := dispatch(ctx, args, stdout, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return nil // -h printed the help asked for
	}
	return err
}

func dispatch(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		fmt.Fprint(stdout, usage)
		return nil
	}
	switch args[0] {
	case "serve":
		return serve(ctx, args[1:], stdout, stderr)
	case "audit":
		return auditCmd(ctx, args[1:], stdout, stderr)
	case "version":
		return versionCmd(args[1:], stdout)
	}
	cmds := commands()
	if len(args) > 1 {
		if cmd := cmds[args[0]+" "+args[1]]; cmd != nil {
			return cmd(ctx, args[2:], stdout, stderr)
		}
	}
	if help := groupHelp(cmds, args[0]); help != "" {
		if len(args) == 1 || args[1] == "-h" || args[1] == "--help" || args[1] == "help" {
			fmt.Fprint(stdout, help)
			return nil
		}
		fmt.Fprint(stderr, help)
	} else {
		fmt.Fprint(stderr, usage)
	}
	return fmt.Errorf("unknown command %q", strings.Join(args, " "))
}

// groupHelp returns the help of a command that has subcommands, such as
// "token": the lines of the usage about it, and its subcommands; "" if
// group has none.
func groupHelp(cmds map[string]func(context.Context, []string, io.Writer, io.Writer) error, group string) string {
	var subs []string
	for name := range cmds {
		if g, sub, _ := strings.Cut(name, " "); g == group {
			subs = append(subs, sub)
		}
	}
	if len(subs) == 0 {
		return ""
	}
	if group == "webhook" {
		return webhookUsage
	}
	slices.Sort(subs)
	var b strings.Builder
	fmt.Fprintf(&b, "Usage: scimd %s SUBCOMMAND [flags]\n\n", group)
	in := false
	for line := range strings.Lines(usage) {
		if strings.HasPrefix(line, "  scimd "+group+" ") {
			in = true
		} else if !strings.HasPrefix(line, "      ") {
			in = false
		}
		if in {
			b.WriteString(line)
		}
	}
	fmt.Fprintf(&b, "\nSubcommands: %s\n\nRun \"scimd %s SUBCOMMAND -h\" for one's flags and examples.\n", strings.Join(subs, ", "), group)
	return b.String()
}

// newFlags returns a flag set whose -h prints usage (a synopsis, what the
// command does and examples) and then the flags.
func newFlags(name, usage string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), usage)
		fmt.Fprintln(fs.Output(), "\nFlags:")
		printFlags(fs)
	}
	return fs
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

func (c *common) register(fs *flag.FlagSet) {
	fs.StringVar(&c.db, "db", "sqlite:scimd.db", "database URL: sqlite:PATH or postgres://USER@HOST/DB")
	fs.StringVar(&c.secretFile, "secret-file", "",
		"file with the installation secret that keys token hashes; default with SQLite: the database path + \".key\", created on first use")
	fs.DurationVar(&c.tokenTTL, "token-ttl", defaultTokenTTL, "lifetime of tokens created without one, e.g. 720h or 90d; 0: they never expire")
	bindEnv(fs, "db", "secret-file", "token-ttl")
}

// validate checks the settings of the database and of tokens.
func (c *common) validate() error {
	var errs []error
	if !isPostgres(c.db) {
		if _, err := sqlitePath(c.db); err != nil {
			errs = append(errs, err)
		}
	}
	if c.tokenTTL < 0 {
		errs = append(errs, fmt.Errorf("--token-ttl %v: must not be negative (0: tokens never expire)", duration.Format(c.tokenTTL)))
	}
	return errors.Join(errs...)
}

// open opens the store and the token hasher.
func (c *common) open(ctx context.Context) (store.Store, *token.Hasher, error) {
	if err := c.validate(); err != nil {
		return nil, nil, err
	}
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
func (c *common) tenant(st store.Store, h *token.Hasher) *tenant.Service {
	if c.tokenTTL == 0 {
		return tenant.New(st, h, tenant.WithDefaultTokenTTL(-1))
	}
	return tenant.New(st, h, tenant.WithDefaultTokenTTL(c.tokenTTL))
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
	c, err := parseServe(args, stderr)
	if err != nil {
		return err
	}
	var log *slog.Logger
	if c.LogFormat == "json" {
		log = slog.New(slog.NewJSONHandler(stderr, nil))
	} else {
		log = slog.New(slog.NewTextHandler(stderr, nil))
	}

	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	st, hasher, err := c.openWaiting(ctx, log)
	if err != nil {
		return err
	}
	defer st.Close()
	// Listen before the first run makes its tokens, so that an address
	// in use cannot leave behind tokens that nobody saw.
	ln, adminLn, err := c.listen()
	if err != nil {
		return err
	}
	defer ln.Close()
	if adminLn != nil {
		defer adminLn.Close()
	}
	var certs *certFiles
	if c.TLSCert != "" {
		if certs, err = loadCertFiles(c.TLSCert, c.TLSKey, log); err != nil {
			return err
		}
	}
	// SIGHUP reads the certificate again; without one it does nothing,
	// rather than end the server as it would by default.
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)
	go func() {
		for {
			select {
			case <-hup:
				if certs != nil {
					certs.reload()
				} else {
					log.Info("SIGHUP: nothing to reload without --tls-cert")
				}
			case <-ctx.Done():
				return
			}
		}
	}()
	ten := c.tenant(st, hasher)
	first, err := c.bootstrap(ctx, st, ten)
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
	go (&audit.Pruner{Store: st, Retention: c.AuditRetention, Log: log}).Run(ctx)
	go provision.New(st).RunPurger(ctx, 0, log)
	go reconcile.New(st, reconcile.Config{Log: log}).Run(ctx)
	go (&tenant.ExpiryNotifier{Store: st, Log: log}).Run(ctx)
	cfg := c.Server
	cfg.Audit, cfg.AuditReads = aw, c.AuditReads
	// Metrics name workspaces and tokens: with a private listener for
	// administration, they are served there only.
	cfg.MetricsElsewhere = c.AdminAddr != ""
	// One authenticator for the SCIM, application and admin APIs: one
	// cache of tokens, one record of their use.
	authn := auth.New(auth.Config{Store: st, Hasher: hasher, StoreTimeout: cfg.RequestTimeout, Log: log})
	defer authn.Close() // after the surfaces, before the store closes
	cfg.Authenticator = authn
	handler := server.New(cfg, st, hasher, log)
	defer handler.Close() // before the store closes
	stopOutbox, err := c.startOutbox(ctx, st, handler.Registerer(), log)
	if err != nil {
		return err
	}
	defer stopOutbox()
	verifications := appapi.NewVerificationsCounter()
	if err := handler.Registerer().Register(verifications); err != nil {
		return err
	}
	app := appapi.New(appapi.Config{Store: st, Hasher: hasher, Log: log, RequestTimeout: cfg.RequestTimeout, Verifications: verifications, Authenticator: authn})
	defer app.Close()
	reqMetrics := request.NewMetrics()
	if err := handler.Registerer().Register(reqMetrics); err != nil {
		return err
	}
	root := front.Config{SCIM: handler, App: app, Log: log, Metrics: reqMetrics}
	srv := &http.Server{ // its Handler is the root handler, made by startAdmin
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       60 * time.Second,
		// A long poll of the event feed writes its answer only after
		// waiting up to appapi.MaxWait.
		WriteTimeout: appapi.MaxWait + 30*time.Second,
		IdleTimeout:  120 * time.Second,
	}
	base := cfg.PublicURL
	if base == "" {
		base = strings.TrimSuffix(c.scheme()+"://"+ln.Addr().String()+"/"+strings.Trim(cfg.BasePath, "/"), "/")
	}
	stopAdmin, consoleURL, err := c.startAdmin(ctx, srv, adminLn, certs, root, st, hasher, ten, authn, log, stdout, base)
	if err != nil {
		return err
	}
	defer stopAdmin()
	fmt.Fprintf(stdout, "scimd is serving SCIM 2.0 at %s (database %s)\n", base, redact(c.db))
	if first != nil {
		c.printFirstRun(stdout, first, base, consoleURL)
	}
	errc := make(chan error, 1)
	go func() { errc <- serveHTTP(srv, ln, certs) }()
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
