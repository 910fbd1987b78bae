package main

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/scimd/scimd/internal/delivery"
	"github.com/scimd/scimd/internal/mail"
	"github.com/scimd/scimd/internal/natsevents"
	"github.com/scimd/scimd/internal/store"
	"github.com/scimd/scimd/internal/webhook"
)

// startOutbox starts the dispatcher that delivers events to webhooks,
// NATS and mail. The function it returns waits for the sends under way; call it
// before the store closes.
func (c *Config) startOutbox(ctx context.Context, st store.Store, reg prometheus.Registerer, log *slog.Logger) (func(), error) {
	var pub *natsevents.Publisher
	if c.NATSURL != "" {
		var err error
		if pub, err = natsevents.Open(ctx, c.NATSURL, natsevents.Options{}); err != nil {
			return nil, fmt.Errorf("--nats-url: %w", err)
		}
	}
	m, err := delivery.NewPrometheusMetrics(reg)
	if err != nil {
		return nil, err
	}
	d := delivery.New(delivery.Config{Metrics: m}, st, webhook.NewSender(webhook.Config{BlockPrivate: c.BlockPrivate}),
		pub, mail.NewMailer(c.Mail), log)
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
