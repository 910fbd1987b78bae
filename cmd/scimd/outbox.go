package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"os"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/scimd/scimd/internal/delivery"
	"github.com/scimd/scimd/internal/mail"
	"github.com/scimd/scimd/internal/natsevents"
	"github.com/scimd/scimd/internal/store"
	"github.com/scimd/scimd/internal/webhook"
)

// outboxOptions are serve's flags for sending the outbox's events out.
type outboxOptions struct {
	blockPrivate bool
	natsURL      string
	mail         mail.Config
}

func outboxFlags(fs *flag.FlagSet) *outboxOptions {
	o := &outboxOptions{}
	fs.BoolVar(&o.blockPrivate, "webhook-block-private", env("SCIMD_WEBHOOK_BLOCK_PRIVATE", "false") == "true",
		"refuse to send webhooks to loopback, private and link-local addresses (env SCIMD_WEBHOOK_BLOCK_PRIVATE)")
	fs.StringVar(&o.natsURL, "nats-url", env("SCIMD_NATS_URL", ""),
		"publish every event to NATS JetStream at this URL, e.g. nats://127.0.0.1:4222; default: off (env SCIMD_NATS_URL)")
	fs.StringVar(&o.mail.Addr, "smtp-addr", env("SCIMD_SMTP_ADDR", ""),
		"send a welcome email to each user created, through this SMTP server (host:port); default: off (env SCIMD_SMTP_ADDR)")
	fs.StringVar(&o.mail.From, "smtp-from", env("SCIMD_SMTP_FROM", ""), "From address of welcome emails (env SCIMD_SMTP_FROM)")
	fs.StringVar(&o.mail.Username, "smtp-username", env("SCIMD_SMTP_USERNAME", ""), "SMTP user name; the password is read from SCIMD_SMTP_PASSWORD (env SCIMD_SMTP_USERNAME)")
	return o
}

// start starts the dispatcher that delivers events to webhooks, NATS and
// mail. The function it returns waits for the sends under way; call it
// before the store closes.
func (o *outboxOptions) start(ctx context.Context, st store.Store, reg prometheus.Registerer, log *slog.Logger) (func(), error) {
	var pub *natsevents.Publisher
	if o.natsURL != "" {
		var err error
		if pub, err = natsevents.Open(ctx, o.natsURL, natsevents.Options{}); err != nil {
			return nil, fmt.Errorf("--nats-url: %w", err)
		}
	}
	o.mail.Password = os.Getenv("SCIMD_SMTP_PASSWORD")
	if o.mail.Addr != "" {
		if err := o.mail.Validate(); err != nil {
			return nil, fmt.Errorf("--smtp-addr: %w", err)
		}
	}
	m, err := delivery.NewPrometheusMetrics(reg)
	if err != nil {
		return nil, err
	}
	d := delivery.New(delivery.Config{Metrics: m}, st, webhook.NewSender(webhook.Config{BlockPrivate: o.blockPrivate}),
		pub, mail.NewMailer(o.mail), log)
	// Before serving: events appended from then on are not skipped by a
	// consumer new to the database.
	if err := d.Start(ctx); err != nil {
		return nil, fmt.Errorf("start delivering events: %w", err)
	}
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		d.Run(ctx)
	}()
	return func() {
		cancel()
		<-done
		if pub != nil {
			pub.Close()
		}
	}, nil
}
