// Command healthcheck asks a URL and exits 0 if it answers 200 within five
// seconds, 1 otherwise. The container image runs it as its HEALTHCHECK on
// scimd's /healthz: the image has no shell or curl to do it with.
//
//	healthcheck http://127.0.0.1:8080/healthz
//	healthcheck https://127.0.0.1:8080/healthz   # with --tls-cert
package main

import (
	"crypto/tls"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"time"
)

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: healthcheck URL")
		os.Exit(2)
	}
	if err := check(os.Args[1]); err != nil {
		fmt.Fprintln(os.Stderr, "healthcheck:", err)
		os.Exit(1)
	}
}

func check(raw string) error {
	u, err := url.Parse(raw)
	if err != nil {
		return err
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	// scimd's certificate names its public host, not the loopback address
	// that the probe asks from inside the container. The probe sends
	// nothing and reads only the status, so there it need not know whom it
	// talks to.
	if ip := net.ParseIP(u.Hostname()); u.Scheme == "https" && (ip.IsLoopback() || u.Hostname() == "localhost") {
		tr.TLSClientConfig = &tls.Config{InsecureSkipVerify: true}
	}
	c := &http.Client{Transport: tr, Timeout: 5 * time.Second}
	resp, err := c.Get(u.String())
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%s: %s", raw, resp.Status)
	}
	return nil
}
