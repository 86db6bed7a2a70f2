package web_test

import (
	"context"
	"fmt"
	"net/http/httptest"
	"runtime"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"hindsight/internal/incident"
	"hindsight/internal/store"
	"hindsight/internal/store/storetest"
	"hindsight/internal/web"
)

// benchEnv is newEnv for benchmarks, on a SQLite file.
func benchEnv(b *testing.B) *env {
	b.Helper()
	return newEnv(b, storetest.SQLite(b))
}

func (e *env) bench(b *testing.B, method, path, body string, want int) {
	b.Helper()
	req := httptest.NewRequest(method, path, strings.NewReader(body))
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Authorization", "Bearer "+e.tokens[incident.RoleEditor])
	w := httptest.NewRecorder()
	e.server.ServeHTTP(w, req)
	if w.Code != want {
		b.Fatalf("%s %s: %d %s", method, path, w.Code, w.Body)
	}
}

func BenchmarkCreateIncident(b *testing.B) {
	e := benchEnv(b)
	body := `{"title":"API server overloaded","severity":"SEV2","services":["api","api-cache"],"impact":"30% of users"}`
	for b.Loop() {
		e.bench(b, "POST", "/api/v1/incidents", body, 201)
	}
}

func BenchmarkCreateEvent(b *testing.B) {
	e := benchEnv(b)
	e.bench(b, "POST", "/api/v1/incidents", `{"title":"API server overloaded"}`, 201)
	body := `{"at":"2024-01-25T10:15:00Z","kind":"notification","text":"Engineering team notified of the issue and began investigation."}`
	for b.Loop() {
		e.bench(b, "POST", "/api/v1/incidents/INC-1/events", body, 201)
	}
}

func BenchmarkGetIncident5000Events(b *testing.B) {
	e := benchEnv(b)
	start := time.Date(2024, 1, 25, 10, 0, 0, 0, time.UTC)
	d := &incident.Detail{Incident: incident.Incident{Title: "Long incident", StartedAt: &start}}
	for i := range 5000 {
		d.Events = append(d.Events, incident.Event{At: start.Add(time.Duration(i) * time.Second),
			Kind: incident.KindNote, Source: incident.SourceManual, Highlight: i%10 == 0,
			Text: fmt.Sprintf("Timeline entry %d: checked the cache hit ratio and the API error rate", i)})
	}
	if err := e.store.CreateIncident(context.Background(), d); err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		e.bench(b, "GET", "/api/v1/incidents/INC-1", "", 200)
	}
}

// BenchmarkAlertmanagerStorm is the load of `make bench-ingest` without the
// network: 32 goroutines at a time post notifications of one new alert
// each, all of one group. Profile the ingest path with -cpuprofile.
func BenchmarkAlertmanagerStorm(b *testing.B) {
	b.Run("sqlite", func(b *testing.B) { alertStorm(b, storetest.SQLite(b)) })
	b.Run("postgres", func(b *testing.B) { alertStorm(b, storetest.Postgres(b)) })
}

func alertStorm(b *testing.B, st *store.Store) {
	e := newHookEnv(b, st, web.Config{})
	auth := "Bearer " + e.tokens[incident.RoleWebhook]
	var seq atomic.Int64
	b.SetParallelism(max(1, 32/runtime.GOMAXPROCS(0)))
	cpu0 := cpuTime()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			n := seq.Add(1)
			body := fmt.Sprintf(`{"receiver":"hindsight","status":"firing","alerts":[{"status":"firing",`+
				`"labels":{"alertname":"BenchHighLatency","instance":"api-%d:8080","service":"api","severity":"critical"},`+
				`"annotations":{"summary":"API p99 latency above 2s"},"startsAt":%q,"fingerprint":"%016x"}],`+
				`"groupLabels":{"alertname":"BenchHighLatency"},"commonLabels":{"alertname":"BenchHighLatency","service":"api","severity":"critical"},`+
				`"version":"4","groupKey":"{}:{alertname=\"BenchHighLatency\"}"}`,
				n, time.Now().UTC().Format(time.RFC3339Nano), n)
			req := httptest.NewRequest("POST", "/hooks/alertmanager", strings.NewReader(body))
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("Authorization", auth)
			w := httptest.NewRecorder()
			e.server.ServeHTTP(w, req)
			if w.Code != 200 {
				b.Errorf("status %d: %s", w.Code, w.Body)
				return
			}
		}
	})
	// CPU time tells more than wall time on a machine others share.
	b.ReportMetric(float64((cpuTime()-cpu0).Microseconds())/float64(b.N), "cpu-µs/op")
}

// cpuTime is the CPU time the process has used.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
