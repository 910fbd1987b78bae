package mail_test

import (
	"bufio"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"io"
	"math/big"
	"net"
	"net/textproto"
	"strings"
	"sync"
	"testing"
	"time"
)

// smtpServer is the receiving end of RFC 5321, as much of it as a
// submission client needs: EHLO, STARTTLS, AUTH PLAIN, MAIL, RCPT, DATA,
// RSET, NOOP and QUIT. It records what each session did.
type smtpServer struct {
	Addr string
	// TLS, when set, makes the server offer STARTTLS.
	TLS *tls.Config
	// Auth makes the server offer AUTH PLAIN.
	Auth bool
	// RcptReply, when set, is the reply to RCPT instead of 250.
	RcptReply string

	ln       net.Listener
	wg       sync.WaitGroup
	mu       sync.Mutex
	sessions []*session
}

// session is what one connection did.
type session struct {
	TLS   bool   // STARTTLS succeeded
	Auth  string // "identity\x00user\x00password", from AUTH PLAIN
	From  string // MAIL FROM's address
	Rcpts []string
	Data  string // the message as received, dot-unstuffed, line ends kept
}

// startSMTP starts srv on a loopback port; the test's end stops it.
func startSMTP(t *testing.T, srv *smtpServer) *smtpServer {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv.ln = ln
	srv.Addr = ln.Addr().String()
	srv.wg.Go(func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			srv.wg.Go(func() { srv.serve(conn) })
		}
	})
	t.Cleanup(func() {
		ln.Close()
		srv.wg.Wait()
	})
	return srv
}

// Sessions returns a copy of what the sessions so far did.
func (srv *smtpServer) Sessions() []session {
	srv.mu.Lock()
	defer srv.mu.Unlock()
	var ss []session
	for _, s := range srv.sessions {
		c := *s
		c.Rcpts = append([]string(nil), s.Rcpts...)
		ss = append(ss, c)
	}
	return ss
}

func (srv *smtpServer) serve(conn net.Conn) {
	defer func() { conn.Close() }()
	conn.SetDeadline(time.Now().Add(30 * time.Second))
	s := &session{}
	srv.mu.Lock()
	srv.sessions = append(srv.sessions, s)
	srv.mu.Unlock()
	record := func(f func()) {
		srv.mu.Lock()
		defer srv.mu.Unlock()
		f()
	}

	tc := textproto.NewConn(conn)
	tc.PrintfLine("220 test.invalid ESMTP")
	for {
		line, err := tc.ReadLine()
		if err != nil {
			return
		}
		verb, arg, _ := strings.Cut(line, " ")
		switch strings.ToUpper(verb) {
		case "EHLO":
			ext := []string{"test.invalid", "8BITMIME"}
			if srv.TLS != nil && !s.TLS {
				ext = append(ext, "STARTTLS")
			}
			if srv.Auth {
				ext = append(ext, "AUTH PLAIN")
			}
			for i, e := range ext {
				sep := "-"
				if i == len(ext)-1 {
					sep = " "
				}
				tc.PrintfLine("250%s%s", sep, e)
			}
		case "HELO", "NOOP", "RSET":
			tc.PrintfLine("250 OK")
		case "STARTTLS":
			if srv.TLS == nil {
				tc.PrintfLine("502 5.5.1 not offered")
				continue
			}
			tc.PrintfLine("220 2.0.0 go ahead")
			tlsConn := tls.Server(conn, srv.TLS)
			if err := tlsConn.Handshake(); err != nil {
				return
			}
			conn = tlsConn
			tc = textproto.NewConn(conn)
			record(func() { s.TLS = true })
		case "AUTH":
			mech, resp, _ := strings.Cut(arg, " ")
			b, err := base64.StdEncoding.DecodeString(resp)
			if !srv.Auth || mech != "PLAIN" || err != nil {
				tc.PrintfLine("504 5.5.4 unrecognised authentication")
				continue
			}
			record(func() { s.Auth = string(b) })
			tc.PrintfLine("235 2.7.0 authenticated")
		case "MAIL":
			from, _, _ := strings.Cut(strings.TrimPrefix(arg, "FROM:"), " ")
			record(func() { s.From = strings.Trim(from, "<>") })
			tc.PrintfLine("250 2.1.0 OK")
		case "RCPT":
			if srv.RcptReply != "" {
				tc.PrintfLine("%s", srv.RcptReply)
				continue
			}
			record(func() { s.Rcpts = append(s.Rcpts, strings.Trim(strings.TrimPrefix(arg, "TO:"), "<>")) })
			tc.PrintfLine("250 2.1.5 OK")
		case "DATA":
			if len(s.Rcpts) == 0 {
				tc.PrintfLine("554 5.5.1 no valid recipients")
				continue
			}
			tc.PrintfLine("354 go ahead")
			data, err := readData(tc.R)
			if err != nil {
				return
			}
			record(func() { s.Data = data })
			tc.PrintfLine("250 2.0.0 queued")
		case "QUIT":
			tc.PrintfLine("221 2.0.0 bye")
			return
		default:
			tc.PrintfLine("502 5.5.2 unknown command")
		}
	}
}

// readData reads a message up to the line with a lone dot and undoes the
// dot-stuffing (RFC 5321 §4.5.2). Unlike textproto's DotReader it keeps
// line endings as they came, so that tests can see them.
func readData(r *bufio.Reader) (string, error) {
	var b strings.Builder
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			return "", err
		}
		if line == ".\r\n" {
			return b.String(), nil
		}
		b.WriteString(strings.TrimPrefix(line, "."))
	}
}

// silentServer accepts connections and never answers.
func silentServer(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	wg.Go(func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			wg.Go(func() {
				io.Copy(io.Discard, bufio.NewReader(conn))
				conn.Close()
			})
		}
	})
	t.Cleanup(func() {
		ln.Close()
		wg.Wait()
	})
	return ln.Addr().String()
}

// testCert returns a TLS configuration for a server at 127.0.0.1 and a
// pool of roots that trusts it.
func testCert(t *testing.T) (*tls.Config, *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(time.Hour),
		IPAddresses:           []net.IP{net.IPv4(127, 0, 0, 1)},
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	roots := x509.NewCertPool()
	roots.AddCert(cert)
	return &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key}}}, roots
}
