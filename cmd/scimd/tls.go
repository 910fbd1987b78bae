package main

import (
	"crypto/tls"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"time"
)

// certCheckInterval is how often, at most, the certificate files are
// checked for a change: on a handshake, so an idle server reads nothing.
const certCheckInterval = 2 * time.Second

// certFiles serves the certificate in a pair of PEM files that may be
// replaced while the server runs, as certbot and cert-manager renew
// them: a handshake at least certCheckInterval after the last check
// reloads them if either file's modification time changed, and reload
// does at once (on SIGHUP). A pair that does not load, such as a new
// certificate whose new key is not written yet, leaves the one loaded
// before in use, and is tried again at the next check.
type certFiles struct {
	certFile, keyFile string
	log               *slog.Logger

	mu      sync.Mutex
	cert    *tls.Certificate
	loaded  [2]time.Time // the files' modification times when loaded
	checked time.Time
}

// loadCertFiles loads the pair of files, which must load.
func loadCertFiles(certFile, keyFile string, log *slog.Logger) (*certFiles, error) {
	c := &certFiles{certFile: certFile, keyFile: keyFile, log: log}
	if err := c.load(); err != nil {
		return nil, err
	}
	return c, nil
}

// tlsConfig returns the TLS configuration of the listeners.
func (c *certFiles) tlsConfig() *tls.Config {
	return &tls.Config{MinVersion: tls.VersionTLS12, GetCertificate: c.getCertificate}
}

func (c *certFiles) getCertificate(*tls.ClientHelloInfo) (*tls.Certificate, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if now := time.Now(); now.Sub(c.checked) >= certCheckInterval {
		c.checked = now
		if mt, err := c.modTimes(); err == nil && mt != c.loaded {
			c.loadLogged()
		}
	}
	return c.cert, nil
}

// reload loads the files again, changed or not.
func (c *certFiles) reload() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.loadLogged()
}

func (c *certFiles) loadLogged() {
	if err := c.load(); err != nil {
		c.log.Error("TLS certificate not reloaded; still serving the one loaded before", "err", err)
		return
	}
	c.log.Info("TLS certificate loaded", "cert", c.certFile, "not_after", c.cert.Leaf.NotAfter)
}

// load loads the pair; c.mu is held, or c is not shared yet.
func (c *certFiles) load() error {
	mt, err := c.modTimes()
	if err != nil {
		return err
	}
	cert, err := tls.LoadX509KeyPair(c.certFile, c.keyFile)
	if err != nil {
		return fmt.Errorf("--tls-cert %s, --tls-key %s: %w", c.certFile, c.keyFile, err)
	}
	c.cert, c.loaded = &cert, mt
	return nil
}

func (c *certFiles) modTimes() ([2]time.Time, error) {
	var mt [2]time.Time
	for i, f := range []string{c.certFile, c.keyFile} {
		fi, err := os.Stat(f)
		if err != nil {
			return mt, err
		}
		mt[i] = fi.ModTime()
	}
	return mt, nil
}
