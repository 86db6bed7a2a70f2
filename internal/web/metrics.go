package web

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"hindsight/internal/store"
)

// metrics are served at /metrics, on a registry of the server's own so that
// tests can run several servers in one process.
type metrics struct {
	registry *prometheus.Registry
	requests *prometheus.CounterVec
	latency  *prometheus.HistogramVec
	dbErrors prometheus.Counter
	// alertBatch counts the deliveries each alert transaction held: how
	// well group commit is working.
	alertBatch prometheus.Histogram
	// alertBatchTook is how long each alert transaction took to write
	// and commit, every delivery in it waiting all along.
	alertBatchTook prometheus.Histogram
}

func newMetrics() *metrics {
	m := &metrics{
		registry: prometheus.NewRegistry(),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "hindsight_http_requests_total",
			Help: "HTTP requests by route, method and status code.",
		}, []string{"route", "method", "code"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "hindsight_http_request_duration_seconds",
			Help:    "Time to answer HTTP requests, by route and method.",
			Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5},
		}, []string{"route", "method"}),
		dbErrors: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "hindsight_db_errors_total",
			Help: "Database operations that failed for another reason than a missing row.",
		}),
	}
	m.alertBatch = prometheus.NewHistogram(prometheus.HistogramOpts{
		Name:    "hindsight_alert_batch_deliveries",
		Help:    "Webhook deliveries written per alert transaction.",
		Buckets: []float64{1, 2, 4, 8, 16, 32, 64, 128, 256},
	})
	m.alertBatchTook = prometheus.NewHistogram(prometheus.HistogramOpts{
		Name:    "hindsight_alert_batch_seconds",
		Help:    "Time to write and commit one alert transaction, before the sync that makes it durable.",
		Buckets: []float64{.0001, .00025, .0005, .001, .0025, .005, .01, .025, .05, .1, .25, 1},
	})
	m.registry.MustRegister(m.requests, m.latency, m.dbErrors, m.alertBatch, m.alertBatchTook,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

func (m *metrics) observeAlertBatch(deliveries int, took time.Duration) {
	m.alertBatch.Observe(float64(deliveries))
	m.alertBatchTook.Observe(took.Seconds())
}

// watchLogSyncs exports the syncs of SQLite's write-ahead log, which every
// write waits for: the disk's share of the time to answer. PostgreSQL
// syncs its own.
func (m *metrics) watchLogSyncs(st *store.Store) {
	if _, ok := st.LogSyncs(); !ok {
		return
	}
	m.registry.MustRegister(
		prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "hindsight_db_log_syncs_total",
			Help: "Syncs of the SQLite write-ahead log that made commits durable."},
			func() float64 { s, _ := st.LogSyncs(); return float64(s.Syncs) }),
		prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "hindsight_db_log_sync_seconds_total",
			Help: "Time spent in syncs of the SQLite write-ahead log."},
			func() float64 { s, _ := st.LogSyncs(); return s.Took.Seconds() }),
	)
}

// watchAlertWriter exports the writer's counters, read when scraped.
func (m *metrics) watchAlertWriter(w *store.AlertWriter) {
	counter := func(name, help string, v func(store.AlertWriterStats) int64) prometheus.Collector {
		return prometheus.NewCounterFunc(prometheus.CounterOpts{Name: name, Help: help},
			func() float64 { return float64(v(w.Stats())) })
	}
	m.registry.MustRegister(
		counter("hindsight_alerts_received_total", "Alerts in webhook deliveries accepted for writing.",
			func(s store.AlertWriterStats) int64 { return s.Received }),
		counter("hindsight_alerts_deduplicated_total", "Alerts written that were already known and changed nothing.",
			func(s store.AlertWriterStats) int64 { return s.Deduplicated }),
		counter("hindsight_alert_deliveries_refused_total", "Webhook deliveries refused with 503 because the write queue was full or the server was stopping.",
			func(s store.AlertWriterStats) int64 { return s.Refused }),
		counter("hindsight_alert_deliveries_failed_total", "Webhook deliveries whose write failed.",
			func(s store.AlertWriterStats) int64 { return s.Failed }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "hindsight_alert_queue_depth",
			Help: "Webhook deliveries waiting to be written."},
			func() float64 { return float64(w.QueueDepth()) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "hindsight_alert_queue_capacity",
			Help: "Webhook deliveries that may wait before new ones are refused."},
			func() float64 { return float64(w.QueueCapacity()) }),
	)
}
