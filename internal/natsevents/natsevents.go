// Package natsevents publishes scimd's events to a NATS JetStream stream,
// so that other services can act on what identity providers change.
//
// An event of type "user.created" in the workspace "acme" goes to the
// subject "scimd.events.acme.user.created", so that a consumer can filter
// on a workspace ("scimd.events.acme.>"), on a kind of change in every
// workspace ("scimd.events.*.user.>") or both. Each message carries the
// event's id as its Nats-Msg-Id, so that JetStream stores an event once
// however often a publisher that did not see the acknowledgement sends it
// again within the stream's duplicate window; consumers that must never
// act twice dedupe on the same id, which the body carries too.
package natsevents

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/scimd/scimd/internal/store"
)

// Options configures a Publisher. Zero fields take the defaults.
type Options struct {
	// Stream is the JetStream stream the events are stored in. Default
	// "SCIMD_EVENTS".
	Stream string
	// SubjectPrefix is the subject the events are published under, as
	// SubjectPrefix.<workspace>.<type>. Default "scimd.events".
	SubjectPrefix string
	// DuplicateWindow is how long JetStream remembers the ids of the
	// messages it stored, and so how late a repeated publish is still
	// dropped. It costs the server memory for each message within it.
	// Default 10 minutes: long enough for a publisher to restart and send
	// again what it had not recorded as sent.
	DuplicateWindow time.Duration
	// Name is the connection's name, shown by the server's monitoring.
	// Default "scimd".
	Name string
}

func (o Options) withDefaults() Options {
	if o.Stream == "" {
		o.Stream = "SCIMD_EVENTS"
	}
	if o.SubjectPrefix == "" {
		o.SubjectPrefix = "scimd.events"
	}
	if o.DuplicateWindow <= 0 {
		o.DuplicateWindow = 10 * time.Minute
	}
	if o.Name == "" {
		o.Name = "scimd"
	}
	return o
}

// Publisher publishes events to one stream. It is safe for concurrent use.
type Publisher struct {
	nc     *nats.Conn
	js     jetstream.JetStream
	stream string
	prefix string
}

// Open connects to the NATS server at url (a nats:// URL, or several
// separated by commas) and makes sure the stream exists: it creates it
// with file storage, or, if it exists, adds the subjects and sets the
// duplicate window, leaving the limits an operator may have set as they
// are. ctx bounds the connection and the stream's set-up.
func Open(ctx context.Context, url string, opts Options) (*Publisher, error) {
	opts = opts.withDefaults()
	if !validSubject(opts.SubjectPrefix) {
		return nil, fmt.Errorf("subject prefix %q: want dot-separated tokens without spaces or wildcards", opts.SubjectPrefix)
	}
	copts := []nats.Option{
		nats.Name(opts.Name),
		// Once connected, keep trying: a NATS restart should delay
		// events, not end the publisher.
		nats.MaxReconnects(-1),
	}
	if d, ok := ctx.Deadline(); ok {
		copts = append(copts, nats.Timeout(time.Until(d)))
	}
	nc, err := nats.Connect(url, copts...)
	if err != nil {
		// The URL is left out: it may hold a password.
		return nil, fmt.Errorf("connect to NATS: %w", err)
	}
	js, err := jetstream.New(nc)
	if err != nil {
		nc.Close()
		return nil, fmt.Errorf("JetStream: %w", err)
	}
	if err := ensureStream(ctx, js, opts); err != nil {
		nc.Close()
		return nil, err
	}
	return &Publisher{nc: nc, js: js, stream: opts.Stream, prefix: opts.SubjectPrefix}, nil
}

// ensureStream creates the stream, or brings an existing one's subjects
// and duplicate window in line with opts.
func ensureStream(ctx context.Context, js jetstream.JetStream, opts Options) error {
	subjects := opts.SubjectPrefix + ".>"
	_, err := js.CreateStream(ctx, jetstream.StreamConfig{
		Name:        opts.Stream,
		Description: "scimd events",
		Subjects:    []string{subjects},
		Storage:     jetstream.FileStorage,
		Duplicates:  opts.DuplicateWindow,
	})
	if err == nil {
		return nil
	}
	if !errors.Is(err, jetstream.ErrStreamNameAlreadyInUse) {
		return fmt.Errorf("create stream %s: %w", opts.Stream, err)
	}
	// It exists, made by another replica or by an operator who may have
	// set limits, replicas or placement: change only what publishing
	// depends on.
	s, err := js.Stream(ctx, opts.Stream)
	if err != nil {
		return fmt.Errorf("stream %s: %w", opts.Stream, err)
	}
	cfg := s.CachedInfo().Config
	want := cfg
	if !slices.Contains(cfg.Subjects, subjects) {
		want.Subjects = append(slices.Clone(cfg.Subjects), subjects)
	}
	want.Duplicates = opts.DuplicateWindow
	if want.MaxAge > 0 && want.Duplicates > want.MaxAge {
		// The server refuses a window longer than the messages live.
		want.Duplicates = want.MaxAge
	}
	if want.Duplicates == cfg.Duplicates && len(want.Subjects) == len(cfg.Subjects) {
		return nil
	}
	if _, err := js.UpdateStream(ctx, want); err != nil {
		return fmt.Errorf("update stream %s: %w", opts.Stream, err)
	}
	return nil
}

// Message is the body of a published event, in JSON.
type Message struct {
	ID        string          `json:"id"`
	Type      string          `json:"type"`
	Workspace string          `json:"workspace"` // the workspace's slug
	Seq       int64           `json:"seq"`       // the event's place in its workspace's outbox
	Occurred  time.Time       `json:"occurred"`  // in UTC
	Subject   string          `json:"subject"`   // the id of the object the event is about
	Data      json.RawMessage `json:"data"`
}

// Publish stores e in the stream under the subject
// <prefix>.<workspaceSlug>.<e.Type>, and returns once JetStream has
// acknowledged it. Publishing an event again is safe: within the
// duplicate window JetStream keeps the first copy only. A ctx without a
// deadline waits 5 seconds for the acknowledgement.
func (p *Publisher) Publish(ctx context.Context, e store.Event, workspaceSlug string) error {
	if e.ID == "" {
		return errors.New("event without an id")
	}
	// A slug is one subject token, so that a wildcard stands for exactly
	// one workspace.
	if strings.Contains(workspaceSlug, ".") || !validSubject(workspaceSlug) {
		return fmt.Errorf("event %s: workspace %q is not a subject token", e.ID, workspaceSlug)
	}
	if !validSubject(e.Type) {
		return fmt.Errorf("event %s: type %q is not a subject", e.ID, e.Type)
	}
	data := e.Data
	if len(data) == 0 {
		data = json.RawMessage("{}")
	}
	body, err := json.Marshal(Message{
		ID:        e.ID,
		Type:      e.Type,
		Workspace: workspaceSlug,
		Seq:       e.Seq,
		Occurred:  e.Occurred.UTC(),
		Subject:   e.Subject,
		Data:      data,
	})
	if err != nil {
		return fmt.Errorf("event %s: %w", e.ID, err)
	}
	subject := p.prefix + "." + workspaceSlug + "." + e.Type
	// WithExpectStream makes a publish fail rather than land in another
	// stream that also listens on the subject.
	// An acknowledgement that says duplicate is success too: the first
	// copy is stored.
	if _, err := p.js.Publish(ctx, subject, body, jetstream.WithMsgID(e.ID), jetstream.WithExpectStream(p.stream)); err != nil {
		return fmt.Errorf("publish event %s to %s: %w", e.ID, subject, err)
	}
	return nil
}

// Close closes the connection to NATS.
func (p *Publisher) Close() {
	p.nc.Close()
}

// validSubject reports whether s is a subject to publish to: tokens
// separated by dots, none empty, none holding white space or a wildcard.
func validSubject(s string) bool {
	if s == "" {
		return false
	}
	for tok := range strings.SplitSeq(s, ".") {
		if tok == "" || strings.ContainsAny(tok, "*> \t\r\n\f\v\x00") {
			return false
		}
	}
	return true
}
