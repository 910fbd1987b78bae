package delivery_test

import (
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/scimd/scimd/internal/delivery"
	"github.com/scimd/scimd/internal/store"
)

// TestMetrics counts a delivery that succeeds at once and one that dies.
func TestMetrics(t *testing.T) {
	reg := prometheus.NewRegistry()
	m, err := delivery.NewPrometheusMetrics(reg)
	if err != nil {
		t.Fatal(err)
	}
	st := openSQLite(t)
	rc := newReceiver(t)
	rc.answer = func(h hit, _ int) int {
		if h.path == "/down" {
			return 500
		}
		return 200
	}
	ws := mustWorkspace(t, st, "acme")
	down := rc.hook(t, st, ws, "/down")
	rc.hook(t, st, ws, "/up")
	cfg := testConfig()
	cfg.Metrics = m
	stop := run(t, cfg, st, nil, nil)
	mustAppend(t, st, ws, event("user.created", "usr_1"))
	waitFor(t, "the dead letter", func() bool {
		ds := deliveries(t, st, down)
		return len(ds) == 1 && ds[0].Status == store.DeliveryDead
	})
	stop()
	got := map[string]float64{}
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range families {
		for _, m := range f.GetMetric() {
			name := f.GetName()
			for _, l := range m.GetLabel() {
				name += " " + l.GetName() + "=" + l.GetValue()
			}
			got[name] = m.GetCounter().GetValue()
		}
	}
	for name, want := range map[string]float64{
		"scimd_outbox_attempts_total consumer=webhooks outcome=delivered": 1,
		"scimd_outbox_attempts_total consumer=webhooks outcome=retry":     2,
		"scimd_outbox_attempts_total consumer=webhooks outcome=dead":      1,
		"scimd_outbox_events_fanned_out_total":                            1,
		"scimd_webhook_deliveries_created_total":                          2,
	} {
		if got[name] != want {
			t.Errorf("%s = %v, want %v", name, got[name], want)
		}
	}
}
