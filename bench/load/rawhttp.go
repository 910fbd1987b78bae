package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"time"
)

// rawClient sends HTTP/1.1 requests over kept-alive connections with as
// little work as it can: each request is written in one piece and each
// response read by its Content-Length, without the header maps, goroutines
// and bookkeeping of Go's http.Client. On one machine every cycle the
// client spends is taken from the server, so the less it spends, the
// nearer the numbers come to what the server alone can do.
type rawClient struct {
	addr   string // host:port
	prefix string // path of the base URL
	head   []byte // the request's headers after the request line, but Content-Length
	conns  chan *rawConn
}

type rawConn struct {
	net.Conn
	rd  *bufio.Reader
	req []byte // reused for each request
}

// rawTimeout bounds one request, so that a server that stops answering
// cannot hold the tool forever.
const rawTimeout = 30 * time.Second

// newRawClient returns a client of the server at base (an http URL) that
// sends auth as the Authorization header and bodies as contentType. It
// keeps up to conns idle connections.
func newRawClient(base, auth, contentType string, conns int) (*rawClient, error) {
	u, err := url.Parse(base)
	if err != nil {
		return nil, err
	}
	if u.Scheme != "http" {
		return nil, fmt.Errorf("%s: the raw client speaks plain http only", base)
	}
	head := fmt.Appendf(nil, "Host: %s\r\nAuthorization: %s\r\nContent-Type: %s\r\n", u.Host, auth, contentType)
	return &rawClient{addr: u.Host, prefix: u.Path, head: head, conns: make(chan *rawConn, conns)}, nil
}

// do sends a request on an idle connection, or a new one, and reads the
// response's body into buf.
func (c *rawClient) do(ctx context.Context, method, path string, body []byte, buf *bytes.Buffer) (int, error) {
	var conn *rawConn
	select {
	case conn = <-c.conns:
	default:
		nc, err := (&net.Dialer{Timeout: 5 * time.Second}).DialContext(ctx, "tcp", c.addr)
		if err != nil {
			return 0, err
		}
		conn = &rawConn{Conn: nc, rd: bufio.NewReaderSize(nc, 4096)}
	}
	status, keep, err := conn.roundTrip(c, method, path, body, buf)
	if err != nil || !keep {
		conn.Close()
		return status, err
	}
	select {
	case c.conns <- conn:
	default:
		conn.Close()
	}
	return status, nil
}

func (conn *rawConn) roundTrip(c *rawClient, method, path string, body []byte, buf *bytes.Buffer) (status int, keep bool, err error) {
	r := append(conn.req[:0], method...)
	r = append(r, ' ')
	r = append(r, c.prefix...)
	r = append(r, path...)
	r = append(r, " HTTP/1.1\r\n"...)
	r = append(r, c.head...)
	r = append(r, "Content-Length: "...)
	r = strconv.AppendInt(r, int64(len(body)), 10)
	r = append(r, "\r\n\r\n"...)
	r = append(r, body...)
	conn.req = r
	if err := conn.SetDeadline(time.Now().Add(rawTimeout)); err != nil {
		return 0, false, err
	}
	if _, err := conn.Write(r); err != nil {
		return 0, false, err
	}

	line, err := conn.rd.ReadSlice('\n')
	if err != nil {
		return 0, false, err
	}
	code, ok := bytes.CutPrefix(line, []byte("HTTP/1.1 "))
	if !ok || len(code) < 3 {
		return 0, false, fmt.Errorf("bad status line %q", line)
	}
	if status, err = strconv.Atoi(string(code[:3])); err != nil {
		return 0, false, fmt.Errorf("bad status line %q", line)
	}
	n, keep := -1, true
	for {
		line, err := conn.rd.ReadSlice('\n')
		if err != nil {
			return status, false, err
		}
		line = bytes.TrimRight(line, "\r\n")
		if len(line) == 0 {
			break
		}
		name, value, _ := bytes.Cut(line, []byte(":"))
		value = bytes.TrimSpace(value)
		switch {
		case bytes.EqualFold(name, []byte("Content-Length")):
			if n, err = strconv.Atoi(string(value)); err != nil || n < 0 {
				return status, false, fmt.Errorf("bad Content-Length %q", value)
			}
		case bytes.EqualFold(name, []byte("Transfer-Encoding")):
			return status, false, fmt.Errorf("Transfer-Encoding %s is not supported", value)
		case bytes.EqualFold(name, []byte("Connection")) && bytes.EqualFold(value, []byte("close")):
			keep = false
		}
	}
	if n < 0 && (status == http.StatusNoContent || status == http.StatusNotModified) {
		n = 0 // RFC 9110 §6.4.1: no content
	}
	if n < 0 {
		return status, false, errors.New("response without Content-Length")
	}
	buf.Reset()
	if _, err := io.CopyN(buf, conn.rd, int64(n)); err != nil {
		return status, false, err
	}
	return status, keep, nil
}

// close closes the idle connections.
func (c *rawClient) close() {
	for {
		select {
		case conn := <-c.conns:
			conn.Close()
		default:
			return
		}
	}
}
