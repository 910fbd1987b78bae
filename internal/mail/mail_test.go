package mail_test

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"mime/quotedprintable"
	"net/mail"
	"net/textproto"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	scimdmail "github.com/scimd/scimd/internal/mail"
	"github.com/scimd/scimd/internal/store"
)

const sender = "noreply@scimd.example"

// userCreated is a user.created event for the SCIM User resource u,
// given as JSON.
func userCreated(id, u string) store.Event {
	return store.Event{
		Seq:      1,
		ID:       id,
		Type:     "user.created",
		Occurred: time.Now(),
		Subject:  "usr_1",
		Data:     json.RawMessage(`{"user":` + u + `}`),
	}
}

// received is a message as it arrived, parsed.
type received struct {
	header  mail.Header
	subject string // decoded
	body    string // decoded, with LF line ends
	raw     string
}

func parse(t *testing.T, data string) received {
	t.Helper()
	if !strings.HasSuffix(data, "\r\n") || strings.Contains(strings.ReplaceAll(data, "\r\n", ""), "\n") {
		t.Errorf("message has lines not ended by CRLF:\n%q", data)
	}
	msg, err := mail.ReadMessage(strings.NewReader(data))
	if err != nil {
		t.Fatalf("%v\n%s", err, data)
	}
	subject, err := new(mime.WordDecoder).DecodeHeader(msg.Header.Get("Subject"))
	if err != nil {
		t.Fatal(err)
	}
	body, err := io.ReadAll(quotedprintable.NewReader(msg.Body))
	if err != nil {
		t.Fatal(err)
	}
	return received{msg.Header, subject, strings.ReplaceAll(string(body), "\r\n", "\n"), data}
}

func send(t *testing.T, cfg scimdmail.Config, e store.Event) error {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	return scimdmail.NewMailer(cfg).Welcome(ctx, e)
}

func TestWelcome(t *testing.T) {
	long := strings.Repeat("Zoë Ünal-Çelik ", 30)
	// A name is cut to 256 characters.
	cut := func(s string) string { return strings.TrimRight(string([]rune(s)[:256]), " ") }
	for _, tt := range []struct {
		name      string
		user      string
		eventID   string // default evt_1
		rcpt      string
		to        mail.Address
		subject   string
		hello     string // the body's first line
		userName  string
		messageID string // a regexp
	}{
		{
			name: "primary address",
			user: `{"id":"usr_1","userName":"bjensen","displayName":"Barbara Jensen","name":{"givenName":"Barbara","familyName":"Jensen"},
				"emails":[{"value":"home@example.com","type":"home"},{"value":"bjensen@example.com","type":"work"},
				{"value":"babs@example.org","type":"other","primary":true}],"active":true}`,
			rcpt:     "babs@example.org",
			to:       mail.Address{Name: "Barbara Jensen", Address: "babs@example.org"},
			subject:  "Welcome, Barbara",
			hello:    "Hello Barbara,",
			userName: "bjensen",
		},
		{
			name:     "work address before others",
			user:     `{"userName":"kim","displayName":"Kim Lee","emails":[{"value":"kim@home.example","type":"home"},{"value":"kim@corp.example","type":"Work"}]}`,
			rcpt:     "kim@corp.example",
			to:       mail.Address{Name: "Kim Lee", Address: "kim@corp.example"},
			subject:  "Welcome, Kim Lee",
			hello:    "Hello Kim Lee,",
			userName: "kim",
		},
		{
			name:     "first address with a value",
			user:     `{"userName":"ann","name":{"givenName":"Ann","familyName":"Oki"},"emails":[{"value":"","type":"work","primary":true},{"value":" ann@one.example ","type":"home"},{"value":"ann@two.example"}]}`,
			rcpt:     "ann@one.example",
			to:       mail.Address{Name: "Ann Oki", Address: "ann@one.example"},
			subject:  "Welcome, Ann",
			hello:    "Hello Ann,",
			userName: "ann",
		},
		{
			name:     "formatted name",
			user:     `{"userName":"ms","name":{"formatted":"Ms. Barbara J Jensen, III"},"emails":[{"value":"bj@example.com"}]}`,
			rcpt:     "bj@example.com",
			to:       mail.Address{Name: "Ms. Barbara J Jensen, III", Address: "bj@example.com"},
			subject:  "Welcome, Ms. Barbara J Jensen, III",
			hello:    "Hello Ms. Barbara J Jensen, III,",
			userName: "ms",
		},
		{
			name:     "user name only",
			user:     `{"userName":"jdoe@example.com","emails":[{"value":"jdoe@example.com"}]}`,
			rcpt:     "jdoe@example.com",
			to:       mail.Address{Address: "jdoe@example.com"},
			subject:  "Welcome, jdoe@example.com",
			hello:    "Hello jdoe@example.com,",
			userName: "jdoe@example.com",
		},
		{
			name:     "non-ASCII name",
			user:     `{"userName":"zoe","displayName":"Zoë Ünal-Çelik","name":{"givenName":"Zoë"},"emails":[{"value":"zoe@example.com"}]}`,
			rcpt:     "zoe@example.com",
			to:       mail.Address{Name: "Zoë Ünal-Çelik", Address: "zoe@example.com"},
			subject:  "Welcome, Zoë",
			hello:    "Hello Zoë,",
			userName: "zoe",
		},
		{
			// Header lines are folded.
			name:     "long name",
			user:     `{"userName":"zoe","displayName":"` + long + `","emails":[{"value":"zoe@example.com"}]}`,
			rcpt:     "zoe@example.com",
			to:       mail.Address{Name: cut(long), Address: "zoe@example.com"},
			subject:  cut("Welcome, " + cut(long)),
			hello:    "Hello " + cut(long) + ",",
			userName: "zoe",
		},
		{
			name:     "long ASCII name",
			user:     `{"userName":"bj","displayName":"` + strings.Repeat("Barbara, Jensen ", 20) + `","emails":[{"value":"bj@example.com"}]}`,
			rcpt:     "bj@example.com",
			to:       mail.Address{Name: cut(strings.Repeat("Barbara, Jensen ", 20)), Address: "bj@example.com"},
			subject:  cut("Welcome, " + cut(strings.Repeat("Barbara, Jensen ", 20))),
			hello:    "Hello " + cut(strings.Repeat("Barbara, Jensen ", 20)) + ",",
			userName: "bj",
		},
		{
			name:      "event id unfit for a message id",
			user:      `{"userName":"ann","emails":[{"value":"ann@example.com"}]}`,
			eventID:   "evt/1@x",
			rcpt:      "ann@example.com",
			to:        mail.Address{Address: "ann@example.com"},
			subject:   "Welcome, ann",
			hello:     "Hello ann,",
			userName:  "ann",
			messageID: `^<[0-9a-f]{32}@scimd\.example>$`,
		},
	} {
		t.Run(tt.name, func(t *testing.T) {
			srv := startSMTP(t, &smtpServer{})
			if tt.eventID == "" {
				tt.eventID = "evt_1"
			}
			if tt.messageID == "" {
				tt.messageID = `^<welcome\.evt_1@scimd\.example>$`
			}
			before := time.Now().Add(-time.Second)
			if err := send(t, scimdmail.Config{Addr: srv.Addr, From: "scimd <" + sender + ">"}, userCreated(tt.eventID, tt.user)); err != nil {
				t.Fatal(err)
			}
			ss := srv.Sessions()
			if len(ss) != 1 {
				t.Fatalf("%d sessions, want 1", len(ss))
			}
			s := ss[0]
			if s.From != sender || !slices.Equal(s.Rcpts, []string{tt.rcpt}) {
				t.Errorf("envelope from %q to %q, want from %q to %q", s.From, s.Rcpts, sender, tt.rcpt)
			}
			m := parse(t, s.Data)
			for i, line := range strings.Split(m.raw[:strings.Index(m.raw, "\r\n\r\n")], "\r\n") {
				if len(line) > 78 {
					t.Errorf("header line %d has %d characters: %q", i, len(line), line)
				}
			}
			if from, err := m.header.AddressList("From"); err != nil || len(from) != 1 || *from[0] != (mail.Address{Name: "scimd", Address: sender}) {
				t.Errorf("From: %q (%v)", m.header.Get("From"), err)
			}
			if to, err := m.header.AddressList("To"); err != nil || len(to) != 1 || *to[0] != tt.to {
				t.Errorf("To: %q = %v (%v), want %v", m.header.Get("To"), to, err, tt.to)
			}
			if m.subject != tt.subject {
				t.Errorf("Subject %q, want %q", m.subject, tt.subject)
			}
			if date, err := m.header.Date(); err != nil || date.Before(before) || date.After(time.Now().Add(time.Second)) {
				t.Errorf("Date: %q (%v)", m.header.Get("Date"), err)
			}
			if id := m.header.Get("Message-ID"); !regexp.MustCompile(tt.messageID).MatchString(id) {
				t.Errorf("Message-ID %q, want one matching %s", id, tt.messageID)
			}
			for k, want := range map[string]string{
				"MIME-Version":              "1.0",
				"Content-Type":              "text/plain; charset=utf-8",
				"Content-Transfer-Encoding": "quoted-printable",
				"Auto-Submitted":            "auto-generated",
			} {
				if got := m.header.Get(k); got != want {
					t.Errorf("%s: %q, want %q", k, got, want)
				}
			}
			if first, _, _ := strings.Cut(m.body, "\n"); first != tt.hello {
				t.Errorf("body begins %q, want %q\n%s", first, tt.hello, m.body)
			}
			if !strings.Contains(m.body, "Your user name is "+tt.userName+".") {
				t.Errorf("body does not give the user name %q:\n%s", tt.userName, m.body)
			}
		})
	}
}

func TestWelcomeTemplates(t *testing.T) {
	srv := startSMTP(t, &smtpServer{})
	cfg := scimdmail.Config{
		Addr:     srv.Addr,
		From:     sender,
		Subject:  "Bienvenue {{.Name}} ({{.UserName}})",
		Template: "Bonjour {{.DisplayName}},\r\nton identifiant : {{.UserName}}, ton adresse : {{.Email}}. " + strings.Repeat("Très long. ", 10) + "\n",
	}
	u := `{"userName":"zoe","displayName":"Zoë Ünal","name":{"givenName":"Zoë"},"emails":[{"value":"zoe@example.com"}]}`
	if err := send(t, cfg, userCreated("evt_1", u)); err != nil {
		t.Fatal(err)
	}
	m := parse(t, srv.Sessions()[0].Data)
	if want := "Bienvenue Zoë (zoe)"; m.subject != want {
		t.Errorf("Subject %q, want %q", m.subject, want)
	}
	if want := "Bonjour Zoë Ünal,\nton identifiant : zoe, ton adresse : zoe@example.com. " + strings.Repeat("Très long. ", 10) + "\n"; m.body != want {
		t.Errorf("body\n%q\nwant\n%q", m.body, want)
	}
}

func TestWelcomeNoAddress(t *testing.T) {
	for _, tt := range []struct{ name, user string }{
		{"no emails", `{"userName":"a"}`},
		{"empty emails", `{"userName":"a","emails":[]}`},
		{"empty values", `{"userName":"a","emails":[{"value":"","primary":true},{"value":"  "}]}`},
		{"not an address", `{"userName":"a","emails":[{"value":"a at example.com"}]}`},
		{"address with a name", `{"userName":"a","emails":[{"value":"Eve <eve@example.com>"}]}`},
		{"two addresses", `{"userName":"a","emails":[{"value":"a@example.com, eve@example.com"}]}`},
		{"line break", `{"userName":"a","emails":[{"value":"a@example.com\r\nBcc: eve@example.com"}]}`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			srv := startSMTP(t, &smtpServer{})
			err := send(t, scimdmail.Config{Addr: srv.Addr, From: sender}, userCreated("evt_1", tt.user))
			if !errors.Is(err, scimdmail.ErrNoAddress) {
				t.Errorf("Welcome = %v, want ErrNoAddress", err)
			}
			if n := len(srv.Sessions()); n != 0 {
				t.Errorf("%d SMTP sessions, want none", n)
			}
		})
	}
}

// TestWelcomeHeaderInjection gives names with line breaks, as a hostile
// identity provider could: they must stay inside their own headers.
func TestWelcomeHeaderInjection(t *testing.T) {
	srv := startSMTP(t, &smtpServer{})
	u := `{"userName":"eve\r\n.\r\nMAIL FROM:<x@y>","displayName":"Eve\r\nBcc: victim@example.com",
		"name":{"givenName":"Eve\nSubject: pwned\u2028X-Evil: 1"},"emails":[{"value":"eve@example.com"}]}`
	cfg := scimdmail.Config{Addr: srv.Addr, From: sender, Subject: "Hi {{.Name}}\r\nX-Evil: {{.UserName}}"}
	if err := send(t, cfg, userCreated("evt_1", u)); err != nil {
		t.Fatal(err)
	}
	ss := srv.Sessions()
	if len(ss) != 1 || !slices.Equal(ss[0].Rcpts, []string{"eve@example.com"}) || ss[0].From != sender {
		t.Fatalf("sessions %+v, want one from %s to eve@example.com", ss, sender)
	}
	m := parse(t, ss[0].Data)
	var keys []string
	for k := range m.header {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	want := []string{"Auto-Submitted", "Content-Transfer-Encoding", "Content-Type", "Date", "From", "Message-Id", "Mime-Version", "Subject", "To"}
	if !slices.Equal(keys, want) {
		t.Errorf("headers %q, want %q\n%s", keys, want, m.raw)
	}
	if to, err := m.header.AddressList("To"); err != nil || len(to) != 1 || *to[0] != (mail.Address{Name: "Eve Bcc: victim@example.com", Address: "eve@example.com"}) {
		t.Errorf("To: %q = %v (%v)", m.header.Get("To"), to, err)
	}
	if want := "Hi Eve Subject: pwned X-Evil: 1 X-Evil: eve . MAIL FROM:<x@y>"; m.subject != want {
		t.Errorf("Subject %q, want %q", m.subject, want)
	}
	if !strings.Contains(m.body, "Your user name is eve . MAIL FROM:<x@y>.") {
		t.Errorf("body:\n%s", m.body)
	}
}

func TestWelcomeRefused(t *testing.T) {
	srv := startSMTP(t, &smtpServer{RcptReply: "550 5.1.1 no such user"})
	err := send(t, scimdmail.Config{Addr: srv.Addr, From: sender}, userCreated("evt_1", `{"userName":"a","emails":[{"value":"a@example.com"}]}`))
	var te *textproto.Error
	if !errors.As(err, &te) || te.Code != 550 {
		t.Fatalf("Welcome = %v, want the server's 550", err)
	}
	if ss := srv.Sessions(); len(ss) != 1 || ss[0].Data != "" {
		t.Errorf("sessions %+v, want one without a message", ss)
	}
}

func TestWelcomeTLSAndAuth(t *testing.T) {
	serverTLS, roots := testCert(t)
	const u = `{"userName":"a","emails":[{"value":"a@example.com"}]}`
	for _, tt := range []struct {
		name      string
		offerTLS  bool
		offerAuth bool
		cfg       scimdmail.Config
		wantErr   bool
		wantTLS   bool
		wantAuth  string
		wantTried bool // a MAIL FROM was sent
	}{
		{
			name:      "STARTTLS offered and used, then AUTH",
			offerTLS:  true,
			offerAuth: true,
			cfg:       scimdmail.Config{Username: "scimd", Password: "s3cret", TLS: &tls.Config{RootCAs: roots}},
			wantTLS:   true,
			wantAuth:  "\x00scimd\x00s3cret",
			wantTried: true,
		},
		{
			name:      "STARTTLS required and offered",
			offerTLS:  true,
			cfg:       scimdmail.Config{StartTLS: true, TLS: &tls.Config{RootCAs: roots}},
			wantTLS:   true,
			wantTried: true,
		},
		{
			name:      "STARTTLS required, not offered",
			offerAuth: true,
			cfg:       scimdmail.Config{StartTLS: true, Username: "scimd", Password: "s3cret"},
			wantErr:   true,
		},
		{
			// No falling back to the clear when the certificate fails.
			name:      "certificate not trusted",
			offerTLS:  true,
			offerAuth: true,
			cfg:       scimdmail.Config{Username: "scimd", Password: "s3cret"},
			wantErr:   true,
		},
		{
			// net/smtp sends a password in the clear to loopback only.
			name:      "no TLS on loopback",
			offerAuth: true,
			cfg:       scimdmail.Config{Username: "scimd", Password: "s3cret"},
			wantAuth:  "\x00scimd\x00s3cret",
			wantTried: true,
		},
		{
			name:    "AUTH not offered",
			cfg:     scimdmail.Config{Username: "scimd", Password: "s3cret"},
			wantErr: true,
		},
	} {
		t.Run(tt.name, func(t *testing.T) {
			srv := &smtpServer{Auth: tt.offerAuth}
			if tt.offerTLS {
				srv.TLS = serverTLS
			}
			startSMTP(t, srv)
			tt.cfg.Addr, tt.cfg.From = srv.Addr, sender
			err := send(t, tt.cfg, userCreated("evt_1", u))
			if (err != nil) != tt.wantErr {
				t.Errorf("Welcome = %v, want error: %v", err, tt.wantErr)
			}
			ss := srv.Sessions()
			if len(ss) != 1 {
				t.Fatalf("%d sessions, want 1", len(ss))
			}
			s := ss[0]
			if s.TLS != tt.wantTLS || s.Auth != tt.wantAuth || (s.From != "") != tt.wantTried || (s.Data != "") != !tt.wantErr {
				t.Errorf("session: TLS %v, AUTH %q, MAIL FROM %q, message %v; want TLS %v, AUTH %q, MAIL FROM sent %v, message %v",
					s.TLS, s.Auth, s.From, s.Data != "", tt.wantTLS, tt.wantAuth, tt.wantTried, !tt.wantErr)
			}
		})
	}
}

func TestWelcomeBadEvents(t *testing.T) {
	srv := startSMTP(t, &smtpServer{})
	good := userCreated("evt_1", `{"userName":"a","emails":[{"value":"a@example.com"}]}`)
	for _, tt := range []struct {
		name string
		edit func(*store.Event)
	}{
		{"another type", func(e *store.Event) { e.Type = "user.deleted" }},
		{"no data", func(e *store.Event) { e.Data = nil }},
		{"not JSON", func(e *store.Event) { e.Data = json.RawMessage(`{"user":`) }},
		{"no user", func(e *store.Event) { e.Data = json.RawMessage(`{"group":{}}`) }},
		{"user not an object", func(e *store.Event) { e.Data = json.RawMessage(`{"user":"a"}`) }},
	} {
		t.Run(tt.name, func(t *testing.T) {
			e := good
			tt.edit(&e)
			err := send(t, scimdmail.Config{Addr: srv.Addr, From: sender}, e)
			if err == nil || errors.Is(err, scimdmail.ErrNoAddress) {
				t.Errorf("Welcome = %v, want an error other than ErrNoAddress", err)
			}
		})
	}
	if n := len(srv.Sessions()); n != 0 {
		t.Errorf("%d SMTP sessions, want none", n)
	}
	if err := send(t, scimdmail.Config{Addr: srv.Addr, From: sender}, good); err != nil {
		t.Errorf("Welcome of a good event: %v", err)
	}
}

func TestConfig(t *testing.T) {
	srv := startSMTP(t, &smtpServer{})
	ok := scimdmail.Config{Addr: srv.Addr, From: "scimd <" + sender + ">"}
	for _, tt := range []struct {
		name        string
		edit        func(*scimdmail.Config)
		wantInvalid bool // Validate fails
		wantErr     bool // Welcome fails
	}{
		{"valid", func(*scimdmail.Config) {}, false, false},
		{"no port", func(c *scimdmail.Config) { c.Addr = "127.0.0.1" }, true, true},
		{"no sender", func(c *scimdmail.Config) { c.From = "" }, true, true},
		{"bad sender", func(c *scimdmail.Config) { c.From = "scimd" }, true, true},
		{"bad subject", func(c *scimdmail.Config) { c.Subject = "{{.Name" }, true, true},
		{"bad template", func(c *scimdmail.Config) { c.Template = "{{if}}" }, true, true},
		// Found only when executed.
		{"unknown field", func(c *scimdmail.Config) { c.Template = "{{.Password}}" }, false, true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			cfg := ok
			tt.edit(&cfg)
			if err := cfg.Validate(); (err != nil) != tt.wantInvalid {
				t.Errorf("Validate = %v, want error: %v", err, tt.wantInvalid)
			}
			err := send(t, cfg, userCreated("evt_1", `{"userName":"a","emails":[{"value":"a@example.com"}]}`))
			if (err != nil) != tt.wantErr {
				t.Errorf("Welcome = %v, want error: %v", err, tt.wantErr)
			}
		})
	}
	if n := len(srv.Sessions()); n != 1 {
		t.Errorf("%d SMTP sessions, want 1, of the valid configuration", n)
	}
}

// TestMailOff: without an address there is no Mailer, and its Welcome
// sends nothing.
func TestMailOff(t *testing.T) {
	cfg := scimdmail.Config{From: sender}
	m := scimdmail.NewMailer(cfg)
	if m != nil {
		t.Fatalf("NewMailer without Addr = %v, want nil", m)
	}
	if err := cfg.Validate(); err != nil {
		t.Errorf("Validate = %v", err)
	}
	if err := m.Welcome(context.Background(), userCreated("evt_1", `{"emails":[{"value":"a@example.com"}]}`)); err != nil {
		t.Errorf("Welcome = %v", err)
	}
}

// TestWelcomeContext: a server that never answers holds Welcome as long
// as its context allows, and no longer.
func TestWelcomeContext(t *testing.T) {
	addr := silentServer(t)
	m := scimdmail.NewMailer(scimdmail.Config{Addr: addr, From: sender})
	e := userCreated("evt_1", `{"userName":"a","emails":[{"value":"a@example.com"}]}`)

	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if err := m.Welcome(ctx, e); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Welcome with a deadline = %v, want DeadlineExceeded", err)
	}

	ctx, cancel = context.WithCancel(context.Background())
	time.AfterFunc(50*time.Millisecond, cancel)
	if err := m.Welcome(ctx, e); !errors.Is(err, context.Canceled) {
		t.Errorf("Welcome cancelled = %v, want Canceled", err)
	}
}
