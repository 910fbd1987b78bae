package request

import (
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Metrics count and time requests, by endpoint, method and status. It is
// a prometheus.Collector, to register where the process serves its
// metrics.
//
// Every label takes its values from a small set fixed by the code
// (endpoints named with SetEndpoint, methods, statuses), never from what
// a client puts in a path or a header, so that the number of series
// stays bounded whatever the traffic.
type Metrics struct {
	requests *prometheus.CounterVec
	duration *prometheus.HistogramVec
	// routes holds the series of each endpoint, method and status seen,
	// saving the hashing and validation of label values on each request.
	routes sync.Map // routeKey → *routeMetrics
}

type routeKey struct {
	endpoint, method string
	status           int
}

type routeMetrics struct {
	requests prometheus.Counter
	duration prometheus.Observer
}

// durationBuckets cover a GET served from memory (0.1 ms) up to the
// default request timeout (30 s).
var durationBuckets = []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30}

// NewMetrics returns request metrics with nothing counted.
func NewMetrics() *Metrics {
	return &Metrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "scimd_http_requests_total",
			Help: "HTTP requests served, by endpoint (route pattern), method and status.",
		}, []string{"endpoint", "method", "status"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "scimd_http_request_duration_seconds",
			Help:    "Time spent serving HTTP requests, by endpoint (route pattern) and method.",
			Buckets: durationBuckets,
		}, []string{"endpoint", "method"}),
	}
}

// Describe implements prometheus.Collector.
func (m *Metrics) Describe(ch chan<- *prometheus.Desc) {
	m.requests.Describe(ch)
	m.duration.Describe(ch)
}

// Collect implements prometheus.Collector.
func (m *Metrics) Collect(ch chan<- prometheus.Metric) {
	m.requests.Collect(ch)
	m.duration.Collect(ch)
}

// observe counts a finished request; a nil m counts nothing.
func (m *Metrics) observe(endpoint, method string, status int, d time.Duration) {
	if m == nil {
		return
	}
	k := routeKey{endpoint, methodLabel(method), status}
	v, ok := m.routes.Load(k)
	if !ok {
		v, _ = m.routes.LoadOrStore(k, &routeMetrics{
			requests: m.requests.WithLabelValues(k.endpoint, k.method, statusLabel(status)),
			duration: m.duration.WithLabelValues(k.endpoint, k.method),
		})
	}
	rm := v.(*routeMetrics)
	rm.requests.Inc()
	rm.duration.Observe(d.Seconds())
}

// methodLabel bounds the method label: clients may send any token as a
// method.
func methodLabel(method string) string {
	switch method {
	case http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut,
		http.MethodPatch, http.MethodDelete, http.MethodOptions:
		return method
	}
	return "other"
}

// statusLabels holds the labels of the statuses the server answers, so
// that counting a request does not format one.
var statusLabels = func() map[int]string {
	m := make(map[int]string)
	for _, c := range []int{200, 201, 204, 304, 400, 401, 403, 404, 405, 409, 412, 413, 415, 429, 500, 501, 503} {
		m[c] = strconv.Itoa(c)
	}
	return m
}()

func statusLabel(code int) string {
	if s, ok := statusLabels[code]; ok {
		return s
	}
	return strconv.Itoa(code)
}
