package delivery

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// prometheusMetrics are Metrics in Prometheus collectors.
type prometheusMetrics struct {
	attempts   *prometheus.CounterVec
	duration   *prometheus.HistogramVec
	events     prometheus.Counter
	deliveries prometheus.Counter
}

// NewPrometheusMetrics returns Metrics that count, in reg:
//
//	scimd_outbox_attempts_total{consumer, outcome}      attempts to deliver an event
//	scimd_outbox_attempt_duration_seconds{consumer}     how long they took
//	scimd_outbox_events_fanned_out_total                events fanned out to webhooks
//	scimd_webhook_deliveries_created_total              webhook deliveries made of them
//
// consumer is webhooks, nats or mail; outcome is delivered, retry, dead
// or skipped.
func NewPrometheusMetrics(reg prometheus.Registerer) (Metrics, error) {
	m := &prometheusMetrics{
		attempts: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "scimd_outbox_attempts_total",
			Help: "Attempts to deliver an outbox event, by consumer (webhooks, nats, mail) and outcome (delivered, retry, dead, skipped).",
		}, []string{"consumer", "outcome"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "scimd_outbox_attempt_duration_seconds",
			Help:    "Time taken by an attempt to deliver an outbox event.",
			Buckets: prometheus.ExponentialBuckets(0.001, 4, 9), // 1 ms to 65 s
		}, []string{"consumer"}),
		events: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "scimd_outbox_events_fanned_out_total",
			Help: "Outbox events fanned out to webhooks.",
		}),
		deliveries: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "scimd_webhook_deliveries_created_total",
			Help: "Webhook deliveries made of outbox events.",
		}),
	}
	for _, c := range []prometheus.Collector{m.attempts, m.duration, m.events, m.deliveries} {
		if err := reg.Register(c); err != nil {
			return nil, err
		}
	}
	return m, nil
}

func (m *prometheusMetrics) Attempted(consumer, outcome string, took time.Duration) {
	m.attempts.WithLabelValues(consumer, outcome).Inc()
	m.duration.WithLabelValues(consumer).Observe(took.Seconds())
}

func (m *prometheusMetrics) FannedOut(events, deliveries int) {
	m.events.Add(float64(events))
	m.deliveries.Add(float64(deliveries))
}
