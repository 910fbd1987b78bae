package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"time"

	"github.com/scimd/scimd/internal/admin"
	"github.com/scimd/scimd/internal/auth"
	"github.com/scimd/scimd/internal/console"
	"github.com/scimd/scimd/internal/front"
	"github.com/scimd/scimd/internal/store"
	"github.com/scimd/scimd/internal/tenant"
	"github.com/scimd/scimd/internal/token"
)

// startAdmin serves the admin API and the admin console, a client of the API
// under console.Prefix that shows scimURL as the SCIM endpoints' base
// URL: on srv's listener, by routing them ahead of srv's handler, or
// on ln, the listener of --admin-addr, with metrics, which srv
// then does not serve them on: srv serves only the console's set-up
// page, which customers open. It returns the function that stops them,
// to call before the store closes, and the console's URL.
func (c *Config) startAdmin(ctx context.Context, srv *http.Server, ln net.Listener, certs *certFiles, root front.Config, st store.Store, hasher *token.Hasher, ten *tenant.Service, authn *auth.Authenticator, log *slog.Logger, stdout io.Writer, scimURL string) (func(), string, error) {
	// Set-up links open the set-up page where identity providers reach
	// the server, which serves it even when the console is on
	// --admin-addr's listener: at --public-url, if set. Else, with the
	// console on the same listener, the API answers with the page's
	// path, which the console and scimd --server put on the host they
	// reached, rather than on a listening address that a proxy may
	// hide; with --admin-addr, that host is the wrong listener's, and
	// the SCIM listener's address is the better guess.
	setupURL := c.Server.PublicURL
	if setupURL == "" && c.AdminAddr != "" {
		setupURL = scimURL
	}
	api := admin.New(admin.Config{Store: st, Hasher: hasher, Tenant: ten, Log: log, Authenticator: authn, PublicURL: setupURL})
	con, err := console.New(console.Config{API: api, Key: hasher.Key("console session"), SCIMURL: scimURL, Log: log})
	if err != nil {
		api.Close()
		return nil, "", err
	}
	if tokens, err := ten.ListAdminTokens(ctx); err == nil && len(tokens) == 0 {
		fmt.Fprintf(stdout, "The admin API (%s) and console (%s) need an admin token: scimd admin-token create --name NAME\n", admin.Prefix, console.Prefix)
	}
	if c.AdminAddr == "" {
		root.Admin, root.Console = api, con
	} else {
		root.Setup = con.Setup()
	}
	h, err := front.New(root)
	if err != nil {
		api.Close()
		return nil, "", err
	}
	srv.Handler = h
	if c.AdminAddr == "" {
		// The console is at the root of the SCIM endpoints' URL.
		u, err := url.Parse(scimURL)
		if err != nil {
			api.Close()
			return nil, "", err
		}
		u.Path, u.RawPath = console.Prefix, ""
		return func() { api.Close() }, u.String(), nil
	}
	ah, err := front.New(front.Config{Admin: api, Console: con, MetricsHandler: root.SCIM.MetricsHandler(), Log: root.Log, Metrics: root.Metrics})
	if err != nil {
		api.Close()
		return nil, "", err
	}
	asrv := &http.Server{
		Handler:           ah,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       60 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       120 * time.Second,
	}
	at := c.scheme() + "://" + ln.Addr().String()
	fmt.Fprintf(stdout, "scimd is serving the admin API at %s%s, its console at %s%s and metrics at /metrics\n", at, admin.Prefix, at, console.Prefix)
	go func() {
		if err := serveHTTP(asrv, ln, certs); err != nil && !errors.Is(err, http.ErrServerClosed) {
			log.Error("admin API listener failed", "err", err)
		}
	}()
	return func() {
		sctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
		defer cancel()
		asrv.Shutdown(sctx)
		api.Close()
	}, at + console.Prefix, nil
}
