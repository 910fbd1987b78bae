// Package mail sends the emails scimd writes to people: for now, a
// welcome message to each user an identity provider creates.
//
// Messages are plain text in UTF-8, quoted-printable (RFC 2045 §6.7), with
// the headers of RFC 5322 and, as they are sent by a program, RFC 3834's
// Auto-Submitted. Whatever comes from the identity provider (names, user
// names) is stripped of control characters before it goes into a header,
// so that a name cannot add headers or recipients.
package mail

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/tls"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"mime"
	"mime/quotedprintable"
	"net"
	"net/mail"
	"net/smtp"
	"regexp"
	"strings"
	"text/template"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/scimd/scimd/internal/eventtype"
	"github.com/scimd/scimd/internal/store"
)

// ErrNoAddress is returned for a user without an email address that mail
// can be sent to; there is nobody to welcome, and nothing to retry.
var ErrNoAddress = errors.New("no email address to send to")

// EventUserCreated is the type of event Welcome sends mail for.
const EventUserCreated = eventtype.UserCreated

// Config configures a Mailer.
type Config struct {
	// Addr is the SMTP server's host:port, usually port 587 (RFC 6409
	// submission). Empty: no mail is sent.
	Addr string
	// From is the sender, as "Name <address>" or a bare address; it is
	// the envelope sender too.
	From string
	// Username and Password authenticate with AUTH PLAIN when Username
	// is set. They are sent only over TLS, or to a server on loopback.
	Username, Password string
	// StartTLS requires the server to offer STARTTLS (RFC 3207), and
	// refuses to send otherwise. Without it, STARTTLS is still used
	// whenever the server offers it. Either way the server's certificate
	// is verified: a failed handshake fails the send rather than going
	// on in the clear.
	StartTLS bool
	// TLS, if set, is the TLS configuration for STARTTLS, e.g. to trust
	// a private certificate authority. Its ServerName defaults to Addr's
	// host.
	TLS *tls.Config
	// Subject is a text/template for the subject, over a Recipient.
	// Default "Welcome, {{.Name}}".
	Subject string
	// Template is a text/template for the body, over a Recipient.
	// Default: a short greeting that gives the user name.
	Template string
}

const (
	defaultSubject  = "Welcome, {{.Name}}"
	defaultTemplate = `Hello {{.Name}},

an account has been created for you. Your user name is {{.UserName}}.

This message was sent automatically; replies are not read.
`
	// defaultTimeout bounds a send whose context has no deadline: a
	// server that stops answering must not hold its caller forever.
	defaultTimeout = time.Minute
	// maxField is the most characters of a name kept for a message, so
	// that no header line grows past RFC 5322's limit (§2.1.1).
	maxField = 256
)

// Recipient is what the subject and body templates are executed with.
// Every field is free of control characters.
type Recipient struct {
	// Name is what to call the person: the given name, else the display
	// name, else the user name.
	Name        string
	DisplayName string
	GivenName   string
	FamilyName  string
	UserName    string
	Email       string
}

// Mailer sends mail through one SMTP server. It is safe for concurrent
// use; each message is sent on a connection of its own.
//
// The methods of a nil *Mailer send nothing and return nil, so that mail
// can be off.
type Mailer struct {
	cfg     Config
	host    string
	from    *mail.Address
	subject *template.Template
	body    *template.Template
	// err is what is wrong with cfg; every send returns it.
	err error
}

// NewMailer returns a Mailer for cfg, or nil if cfg.Addr is empty. A
// Mailer whose Config is invalid fails every send; Validate tells
// beforehand.
func NewMailer(cfg Config) *Mailer {
	if cfg.Addr == "" {
		return nil
	}
	m := &Mailer{cfg: cfg}
	m.err = m.init()
	return m
}

// Validate reports what is wrong with c, if anything.
func (c Config) Validate() error {
	if c.Addr == "" {
		return nil
	}
	return (&Mailer{cfg: c}).init()
}

func (m *Mailer) init() error {
	host, _, err := net.SplitHostPort(m.cfg.Addr)
	if err != nil {
		return fmt.Errorf("SMTP address %q: want host:port: %w", m.cfg.Addr, err)
	}
	m.host = host
	if m.from, err = mail.ParseAddress(m.cfg.From); err != nil {
		return fmt.Errorf("sender %q: %w", m.cfg.From, err)
	}
	subject, body := m.cfg.Subject, m.cfg.Template
	if subject == "" {
		subject = defaultSubject
	}
	if body == "" {
		body = defaultTemplate
	}
	if m.subject, err = template.New("subject").Parse(subject); err != nil {
		return fmt.Errorf("subject template: %w", err)
	}
	if m.body, err = template.New("body").Parse(body); err != nil {
		return fmt.Errorf("body template: %w", err)
	}
	return nil
}

// user is what Welcome reads of a SCIM User resource (RFC 7643 §4.1).
type user struct {
	UserName    string `json:"userName"`
	DisplayName string `json:"displayName"`
	Name        struct {
		Formatted  string `json:"formatted"`
		GivenName  string `json:"givenName"`
		FamilyName string `json:"familyName"`
	} `json:"name"`
	Emails []struct {
		Value   string `json:"value"`
		Type    string `json:"type"`
		Primary bool   `json:"primary"`
	} `json:"emails"`
}

// Welcome sends the welcome message for a user.created event, whose data
// is {"user": <the SCIM User resource>}, to the user's primary email
// address, else the first work address, else the first one. A user
// without one yields ErrNoAddress. An error the server answered with is
// a *textproto.Error in the chain, whose code tells a temporary failure
// (4xx) from a permanent one (5xx).
func (m *Mailer) Welcome(ctx context.Context, e store.Event) error {
	if m == nil {
		return nil
	}
	if m.err != nil {
		return m.err
	}
	if e.Type != EventUserCreated {
		return fmt.Errorf("event %s is %s, not %s", e.ID, e.Type, EventUserCreated)
	}
	var data struct {
		User *user `json:"user"`
	}
	if err := json.Unmarshal(e.Data, &data); err != nil {
		return fmt.Errorf("event %s: %w", e.ID, err)
	}
	if data.User == nil {
		return fmt.Errorf("event %s: no user in its data", e.ID)
	}
	r, err := recipient(data.User)
	if err != nil {
		return fmt.Errorf("user %s: %w", e.Subject, err)
	}
	msg, err := m.compose(r, e.ID)
	if err != nil {
		return fmt.Errorf("user %s: %w", e.Subject, err)
	}
	if err := m.send(ctx, r.Email, msg); err != nil {
		return fmt.Errorf("welcome %s: %w", e.Subject, err)
	}
	return nil
}

// recipient picks the address to write to and cleans the names.
func recipient(u *user) (Recipient, error) {
	pick := choose(u)
	if pick < 0 {
		return Recipient{}, ErrNoAddress
	}
	value := strings.TrimSpace(u.Emails[pick].Value)
	// The value must be a bare addr-spec: a display name or a line break
	// in it is not an address of the user's.
	a, err := mail.ParseAddress(value)
	if err != nil || a.Name != "" || a.Address != value {
		return Recipient{}, fmt.Errorf("email %q: %w", clean(value), ErrNoAddress)
	}
	r := Recipient{
		DisplayName: clean(u.DisplayName),
		GivenName:   clean(u.Name.GivenName),
		FamilyName:  clean(u.Name.FamilyName),
		UserName:    clean(u.UserName),
		Email:       a.Address,
	}
	if r.DisplayName == "" {
		r.DisplayName = clean(u.Name.Formatted)
	}
	if r.DisplayName == "" {
		r.DisplayName = strings.TrimSpace(r.GivenName + " " + r.FamilyName)
	}
	switch {
	case r.GivenName != "":
		r.Name = r.GivenName
	case r.DisplayName != "":
		r.Name = r.DisplayName
	default:
		r.Name = r.UserName
	}
	return r, nil
}

// choose returns the index of the email to write to, or -1: the primary
// one, else the first of type work, else the first.
func choose(u *user) int {
	for _, prefer := range []func(i int) bool{
		func(i int) bool { return u.Emails[i].Primary },
		func(i int) bool { return strings.EqualFold(u.Emails[i].Type, "work") },
		func(i int) bool { return true },
	} {
		for i, em := range u.Emails {
			if strings.TrimSpace(em.Value) != "" && prefer(i) {
				return i
			}
		}
	}
	return -1
}

// clean turns runs of white space and control characters, line breaks
// among them, into single spaces, trims the ends and keeps at
// most maxField characters.
func clean(s string) string {
	if !utf8.ValidString(s) {
		s = strings.ToValidUTF8(s, "\uFFFD")
	}
	var b strings.Builder
	space := false
	n := 0
	for _, c := range s {
		if unicode.IsSpace(c) || unicode.IsControl(c) {
			space = b.Len() > 0
			continue
		}
		if space {
			if n+2 > maxField {
				break
			}
			b.WriteByte(' ')
			n++
			space = false
		}
		if n+1 > maxField {
			break
		}
		b.WriteRune(c)
		n++
	}
	return b.String()
}

// messageIDPart is what an event id may hold to appear in a Message-ID.
var messageIDPart = regexp.MustCompile(`^[A-Za-z0-9_-]{1,64}$`)

// compose renders the message, with CRLF line endings.
func (m *Mailer) compose(r Recipient, eventID string) ([]byte, error) {
	var subject, body bytes.Buffer
	if err := m.subject.Execute(&subject, r); err != nil {
		return nil, fmt.Errorf("subject template: %w", err)
	}
	if err := m.body.Execute(&body, r); err != nil {
		return nil, fmt.Errorf("body template: %w", err)
	}
	// RFC 5322 §3.6.4: a unique id, with a domain the sender controls.
	// One made from the event's id is the same when a send is retried,
	// so that a receiver can tell the copies are one message.
	local := "welcome." + eventID
	if !messageIDPart.MatchString(eventID) {
		b := make([]byte, 16)
		rand.Read(b)
		local = hex.EncodeToString(b)
	}
	domain := m.from.Address[strings.LastIndexByte(m.from.Address, '@')+1:]

	var msg bytes.Buffer
	headers := []struct{ name, value string }{
		{"Date", time.Now().Format(time.RFC1123Z)},
		{"Message-ID", "<" + local + "@" + domain + ">"},
		{"From", m.from.String()},
		{"To", (&mail.Address{Name: r.DisplayName, Address: r.Email}).String()},
		{"Subject", mime.QEncoding.Encode("utf-8", clean(subject.String()))},
		{"Auto-Submitted", "auto-generated"},
		{"MIME-Version", "1.0"},
		{"Content-Type", "text/plain; charset=utf-8"},
		{"Content-Transfer-Encoding", "quoted-printable"},
	}
	for _, h := range headers {
		// The last guard against header injection: every value above is
		// built from cleaned or encoded parts, and must stay one line.
		if strings.ContainsAny(h.value, "\r\n") {
			return nil, fmt.Errorf("header %s: line break in %q", h.name, h.value)
		}
		msg.WriteString(header(h.name, h.value))
	}
	msg.WriteString("\r\n")
	// The quoted-printable writer ends lines with CRLF and wraps those
	// longer than 76 characters (RFC 2045 §6.7).
	qp := quotedprintable.NewWriter(&msg)
	text := strings.ReplaceAll(body.String(), "\r\n", "\n")
	if _, err := qp.Write([]byte(strings.ReplaceAll(text, "\r", "\n"))); err != nil {
		return nil, err
	}
	if err := qp.Close(); err != nil {
		return nil, err
	}
	return msg.Bytes(), nil
}

// header renders one header field, folded at spaces so that its lines
// keep to 78 characters where they can (RFC 5322 §2.2.3). Between RFC
// 2047 encoded words, as mime's encoder separates them, the space is not
// part of the text (RFC 2047 §6.2), so folding there changes nothing.
func header(name, value string) string {
	const limit = 78
	var b strings.Builder
	line := name + ": " + value
	// The first fold may come right after the colon: an encoded word
	// may be 75 characters long, too long for a line it shares with the
	// field's name.
	start := len(name) + 1
	for len(line) > limit {
		i := strings.LastIndexByte(line[:limit+1], ' ')
		if i < start {
			// A word longer than a line: break after it instead.
			j := strings.IndexByte(line[start:], ' ')
			if j < 0 {
				break
			}
			i = start + j
		}
		b.WriteString(line[:i])
		b.WriteString("\r\n")
		line = line[i:] // keeps the space, which starts the next line
		start = 1
	}
	b.WriteString(line)
	b.WriteString("\r\n")
	return b.String()
}

// send delivers msg to one recipient.
func (m *Mailer) send(ctx context.Context, to string, msg []byte) error {
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, defaultTimeout)
		defer cancel()
	}
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", m.cfg.Addr)
	if err != nil {
		return err
	}
	// net/smtp takes no context: a deadline in the past stops whatever
	// read or write is under way when ctx ends, and ctx.Err says why.
	stop := context.AfterFunc(ctx, func() { conn.SetDeadline(time.Unix(1, 0)) })
	defer stop()
	err = m.converse(conn, to, msg)
	if err != nil && ctx.Err() != nil {
		// What ended the conversation is the context, not the server.
		return fmt.Errorf("%w (%v)", ctx.Err(), err)
	}
	return err
}

func (m *Mailer) converse(conn net.Conn, to string, msg []byte) error {
	c, err := smtp.NewClient(conn, m.host)
	if err != nil {
		conn.Close()
		return fmt.Errorf("greeting: %w", err)
	}
	defer c.Close()
	if ok, _ := c.Extension("STARTTLS"); ok {
		cfg := &tls.Config{}
		if m.cfg.TLS != nil {
			cfg = m.cfg.TLS.Clone()
		}
		if cfg.ServerName == "" {
			cfg.ServerName = m.host
		}
		if err := c.StartTLS(cfg); err != nil {
			return fmt.Errorf("STARTTLS: %w", err)
		}
	} else if m.cfg.StartTLS {
		return fmt.Errorf("server %s does not offer STARTTLS, which is required", m.cfg.Addr)
	}
	if m.cfg.Username != "" {
		if err := c.Auth(smtp.PlainAuth("", m.cfg.Username, m.cfg.Password, m.host)); err != nil {
			return fmt.Errorf("AUTH: %w", err)
		}
	}
	if err := c.Mail(m.from.Address); err != nil {
		return fmt.Errorf("MAIL FROM: %w", err)
	}
	if err := c.Rcpt(to); err != nil {
		return fmt.Errorf("RCPT TO: %w", err)
	}
	w, err := c.Data()
	if err != nil {
		return fmt.Errorf("DATA: %w", err)
	}
	if _, err := w.Write(msg); err != nil {
		return fmt.Errorf("DATA: %w", err)
	}
	if err := w.Close(); err != nil {
		return fmt.Errorf("DATA: %w", err)
	}
	// The message is accepted; a failed QUIT does not unsend it.
	c.Quit()
	return nil
}
