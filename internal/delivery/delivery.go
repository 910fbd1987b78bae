// Package delivery delivers each workspace's outbox: to its webhooks,
// signed as Standard Webhooks, and, when they are configured, to a NATS
// JetStream stream and as welcome mail to users created.
//
// Every scimd process runs a Dispatcher, and the processes on one
// database share the work through the store's claims: each event is
// fanned out once into a delivery for each webhook that wants it, and
// each delivery, and each consumer's place in each workspace's outbox, is
// held by one dispatcher at a time, under a lease that another takes over
// if the holder dies. An event therefore reaches each destination once,
// unless a dispatcher stops between sending and recording that it sent,
// or a send outlasts the lease: then it is sent again, with the same
// webhook-id, Nats-Msg-Id or Message-ID, by which receivers (and
// JetStream, within its duplicate window) tell a repeat.
package delivery

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"time"

	"github.com/scimd/scimd/internal/mail"
	"github.com/scimd/scimd/internal/natsevents"
	"github.com/scimd/scimd/internal/store"
	"github.com/scimd/scimd/internal/webhook"
)

// Consumers of the outbox besides webhooks, by the names their cursors
// are kept under.
const (
	ConsumerNATS = "nats"
	ConsumerMail = "mail"
)

// Config configures a Dispatcher. Zero fields take the defaults.
type Config struct {
	// Concurrency is the most webhook requests in flight at once.
	// Default 4.
	Concurrency int
	// Timeout bounds one webhook request, one publish to NATS and one
	// mail. Default 15 s.
	Timeout time.Duration
	// Lease is how long a claim on a delivery or on a consumer's place
	// in an outbox holds: a dispatcher that dies leaves its claims to
	// others once their leases run out. It must be well above Timeout,
	// or a slow send may be taken over and sent again. Default 4 times
	// Timeout.
	Lease time.Duration
	// Poll is how often the dispatcher looks for work that nothing woke
	// it for: retries falling due, claims lapsing, events that other
	// processes appended while this one was not listening. Default 1 s.
	Poll time.Duration
	// Schedule is the retry schedule of webhooks and of welcome mail.
	// Default webhook.DefaultSchedule(): ten attempts over about three
	// days.
	Schedule webhook.Schedule
	// Batch is the most events fanned out, or published to NATS, per
	// claim. Default 100.
	Batch int
	// Owner names this dispatcher in its claims, for people looking at
	// the database. Default: the host name, the process id and a random
	// suffix.
	Owner string
	// Metrics, if not nil, is told what the dispatcher does.
	Metrics Metrics
}

func (c Config) withDefaults() Config {
	if c.Concurrency <= 0 {
		c.Concurrency = 4
	}
	if c.Timeout <= 0 {
		c.Timeout = 15 * time.Second
	}
	if c.Lease <= 0 {
		c.Lease = 4 * c.Timeout
	}
	if c.Poll <= 0 {
		c.Poll = time.Second
	}
	if len(c.Schedule) == 0 {
		c.Schedule = webhook.DefaultSchedule()
	}
	if c.Batch <= 0 {
		c.Batch = 100
	}
	if c.Owner == "" {
		host, _ := os.Hostname()
		b := make([]byte, 4)
		rand.Read(b)
		c.Owner = fmt.Sprintf("%s/%d/%s", host, os.Getpid(), hex.EncodeToString(b))
	}
	if c.Metrics == nil {
		c.Metrics = noMetrics{}
	}
	return c
}

// Metrics is told what a Dispatcher does. Its methods must be quick and
// safe for concurrent use.
type Metrics interface {
	// Attempted counts an attempt to deliver an event: consumer is
	// "webhooks", ConsumerNATS or ConsumerMail; outcome is "delivered",
	// "retry", "dead" or, for mail that has no one to go to, "skipped".
	Attempted(consumer, outcome string, took time.Duration)
	// FannedOut counts events fanned out, and the webhook deliveries made
	// of them.
	FannedOut(events, deliveries int)
}

type noMetrics struct{}

func (noMetrics) Attempted(string, string, time.Duration) {}
func (noMetrics) FannedOut(int, int)                      {}

// Attempt outcomes, for Metrics.
const (
	outcomeDelivered = "delivered"
	outcomeRetry     = "retry"
	outcomeDead      = "dead"
	outcomeSkipped   = "skipped"
)

// Dispatcher delivers the outboxes of the workspaces of one store.
type Dispatcher struct {
	cfg       Config
	st        store.Store
	sender    *webhook.Sender
	publisher *natsevents.Publisher
	mailer    *mail.Mailer
	log       *slog.Logger

	// wakes are the loops' wake-up calls: one slot each, so that any
	// number of events while a loop is busy make one more round.
	wakes []chan struct{}

	mu      sync.Mutex
	started bool
	slugs   map[string]string // workspace id to slug, which never changes
}

// New returns a Dispatcher of st's outboxes. sender sends webhooks;
// publisher, if not nil, publishes every event to NATS; mailer, if not
// nil, sends welcome mail for each user created. log receives failures;
// nil discards them.
func New(cfg Config, st store.Store, sender *webhook.Sender, publisher *natsevents.Publisher, mailer *mail.Mailer, log *slog.Logger) *Dispatcher {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if sender == nil {
		sender = webhook.NewSender(webhook.Config{Timeout: cfg.Timeout})
	}
	return &Dispatcher{
		cfg:       cfg.withDefaults(),
		st:        st,
		sender:    sender,
		publisher: publisher,
		mailer:    mailer,
		log:       log,
		slugs:     map[string]string{},
	}
}

// Start sets where the consumers that are new to the database begin: at
// the end of each workspace's outbox as it is now, so that a destination
// added to an installation gets what happens from then on, not its
// history. Run starts them too, but a server should call Start before it
// serves requests, so that no event of theirs comes before the start.
// Consumers the database knows keep their place.
func (d *Dispatcher) Start(ctx context.Context) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.started {
		return nil
	}
	for _, c := range d.consumers() {
		if err := d.st.StartConsumer(ctx, c); err != nil {
			return fmt.Errorf("start outbox consumer %s: %w", c, err)
		}
	}
	d.started = true
	return nil
}

// consumers returns the names of the outbox consumers configured.
func (d *Dispatcher) consumers() []string {
	c := []string{store.ConsumerWebhooks}
	if d.publisher != nil {
		c = append(c, ConsumerNATS)
	}
	if d.mailer != nil {
		c = append(c, ConsumerMail)
	}
	return c
}

// Run delivers until ctx is done, then lets the sends under way finish,
// each within Timeout, and records how they went before it returns. It
// calls Start if need be, again each poll until it succeeds. It runs
// once.
func (d *Dispatcher) Run(ctx context.Context) {
	var failing errorLog
	for {
		err := d.Start(ctx)
		if ctx.Err() != nil {
			return
		}
		failing.report(d.log, "start delivery", err)
		if err == nil {
			break
		}
		t := time.NewTimer(d.cfg.Poll)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
	}
	var loops []func(ctx context.Context, wake <-chan struct{})
	loops = append(loops, d.runWebhooks)
	if d.publisher != nil {
		c := &consumer{d: d, name: ConsumerNATS, handle: d.publish, retryForever: true}
		loops = append(loops, c.run)
	}
	if d.mailer != nil {
		c := &consumer{d: d, name: ConsumerMail, handle: d.welcome, checkpointEach: true}
		loops = append(loops, c.run)
	}
	d.wakes = make([]chan struct{}, len(loops))
	for i := range d.wakes {
		d.wakes[i] = make(chan struct{}, 1)
	}
	unsubscribe := d.st.Subscribe(func(c store.Change) {
		// A reset may hide appends: look.
		if c.Kind == store.ChangeEvents || c.Kind == store.ChangeReset {
			d.wakeAll()
		}
	})
	defer unsubscribe()
	var wg sync.WaitGroup
	for i, loop := range loops {
		wg.Go(func() { loop(ctx, d.wakes[i]) })
	}
	wg.Wait()
}

func (d *Dispatcher) wakeAll() {
	for _, w := range d.wakes {
		wake(w)
	}
}

func wake(w chan<- struct{}) {
	select {
	case w <- struct{}{}:
	default:
	}
}

// idle waits for a wake-up, the poll interval or the end of ctx, and
// reports whether to go on.
func (d *Dispatcher) idle(ctx context.Context, w <-chan struct{}) bool {
	t := time.NewTimer(d.cfg.Poll)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-w:
	case <-t.C:
	}
	return true
}

// slug returns a workspace's slug.
func (d *Dispatcher) slug(ctx context.Context, workspaceID string) (string, error) {
	d.mu.Lock()
	s, ok := d.slugs[workspaceID]
	d.mu.Unlock()
	if ok {
		return s, nil
	}
	w, err := d.st.WorkspaceByID(ctx, workspaceID)
	if err != nil {
		return "", err
	}
	d.mu.Lock()
	d.slugs[workspaceID] = w.Slug
	d.mu.Unlock()
	return w.Slug, nil
}

// errorLog logs a failure that repeats, such as a database that is down,
// when it starts, at most once a minute while it lasts, and when it ends,
// rather than on every poll.
type errorLog struct {
	since, last time.Time
	n           int
}

func (e *errorLog) report(log *slog.Logger, msg string, err error, args ...any) {
	now := time.Now()
	if err == nil {
		if e.n > 0 {
			log.Info(msg+": recovered", append(args, "failures", e.n, "for", now.Sub(e.since).Round(time.Millisecond))...)
		}
		*e = errorLog{}
		return
	}
	if e.n == 0 {
		e.since = now
	}
	e.n++
	if e.n == 1 || now.Sub(e.last) >= time.Minute {
		e.last = now
		log.Error(msg, append(args, "err", err, "failures", e.n)...)
	}
}
