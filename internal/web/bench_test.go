package web_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
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

// serverRequest is a request as net/http gives it to a handler, with a
// context that ends when the client goes away. Database drivers treat
// such a context differently from one that never ends (go-sqlite3 runs
// each row on a goroutine of its own, to interrupt it), so benchmarks use
// one. Call cancel once the request is served, as net/http does.
func serverRequest(method, path string, body io.Reader) (req *http.Request, cancel func()) {
	ctx, cancel := context.WithCancel(context.Background())
	return httptest.NewRequestWithContext(ctx, method, path, body), cancel
}

func (e *env) bench(b *testing.B, method, path, body string, want int) {
	b.Helper()
	req, cancel := serverRequest(method, path, strings.NewReader(body))
	defer cancel()
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

// pageBench signs a viewer in and returns a function that GETs a page
// with the session cookie, failing on any status but 200.
func pageBench(b *testing.B, e *env) func(path string, acceptEncoding ...string) {
	c := e.signIn("ana@example.com", incident.RoleEditor)
	return func(path string, acceptEncoding ...string) {
		req, cancel := serverRequest("GET", path, nil)
		defer cancel()
		req.AddCookie(c)
		for _, enc := range acceptEncoding {
			req.Header.Set("Accept-Encoding", enc)
		}
		w := httptest.NewRecorder()
		e.server.ServeHTTP(w, req)
		if w.Code != 200 {
			b.Fatalf("GET %s: %d", path, w.Code)
		}
	}
}

// BenchmarkIncidentPage2000 renders the page of an incident with 2,000
// timeline entries (a tenth of them alerts), root causes and tasks: the
// whole request, session and database included.
func BenchmarkIncidentPage2000(b *testing.B) {
	e := benchEnv(b)
	start := time.Date(2024, 1, 25, 10, 0, 0, 0, time.UTC)
	d := &incident.Detail{Incident: incident.Incident{Title: "Long incident", StartedAt: &start, Commander: "ana", Services: []string{"api", "api-cache"}}}
	for i := range 2000 {
		kind, hl := incident.KindInvestigation, i%3 == 0
		if i%10 < 1 {
			kind, hl = incident.KindAlert, false
		}
		d.Events = append(d.Events, incident.Event{At: start.Add(time.Duration(i) * 47 * time.Second), Kind: kind, Source: incident.SourceManual,
			Highlight: hl, Author: "ana@example.com", Text: fmt.Sprintf("Timeline entry %d: checked the cache hit ratio and the API error rate", i)})
	}
	for i := range 5 {
		d.RootCauses = append(d.RootCauses, incident.RootCause{Description: fmt.Sprintf("Cause %d", i), Category: incident.CategoryCode})
		d.Tasks = append(d.Tasks, incident.Task{Title: fmt.Sprintf("Task %d", i), Owner: "ana"})
	}
	if err := e.store.CreateIncident(context.Background(), d); err != nil {
		b.Fatal(err)
	}
	get := pageBench(b, e)
	b.Run("plain", func(b *testing.B) {
		for b.Loop() {
			get("/incidents/INC-1")
		}
	})
	b.Run("gzip", func(b *testing.B) { // as browsers ask for it
		for b.Loop() {
			get("/incidents/INC-1", "gzip, deflate, br")
		}
	})
}

// BenchmarkIncidentList10000 renders the first page of the list over
// 10,000 incidents, unfiltered and filtered.
func BenchmarkIncidentList10000(b *testing.B) {
	e := benchEnv(b)
	ctx := context.Background()
	start := time.Date(2023, 1, 1, 0, 0, 0, 0, time.UTC)
	const n, batch = 10000, 500
	for from := 0; from < n; from += batch {
		var rows, svc []string
		var args, svcArgs []any
		for i := from; i < from+batch; i++ {
			at := start.Add(time.Duration(i) * 47 * time.Minute)
			status, resolved := "resolved", any(at.Add(2*time.Hour))
			if i%7 == 0 {
				status, resolved = "investigating", nil
			}
			rows = append(rows, "(?, ?, ?, ?, ?, ?, 'draft', ?, ?, ?, ?, 1)")
			args = append(args, incident.Ref(int64(i+1)), fmt.Sprintf("Checkout errors after deploy %d", i), fmt.Sprintf("SEV%d", 1+i%4), status,
				"About 10% of requests failed", "ana", at, resolved, at, at)
			svc = append(svc, "(?, ?, 0)")
			svcArgs = append(svcArgs, int64(i+1), fmt.Sprintf("service-%d", i%20))
		}
		if err := e.store.Exec(ctx, `INSERT INTO incidents (ref, title, severity, status, impact, commander, postmortem_status,
			started_at, resolved_at, created_at, updated_at, version) VALUES `+strings.Join(rows, ","), args...); err != nil {
			b.Fatal(err)
		}
		if err := e.store.Exec(ctx, "INSERT INTO incident_services (incident_id, name, position) VALUES "+strings.Join(svc, ","), svcArgs...); err != nil {
			b.Fatal(err)
		}
	}
	get := pageBench(b, e)
	b.Run("All", func(b *testing.B) {
		for b.Loop() {
			get("/")
		}
	})
	b.Run("Filtered", func(b *testing.B) {
		for b.Loop() {
			get("/?status=resolved&severity=SEV2&service=service-3&q=deploy")
		}
	})
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
			req, cancel := serverRequest("POST", "/hooks/alertmanager", strings.NewReader(body))
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("Authorization", auth)
			w := httptest.NewRecorder()
			e.server.ServeHTTP(w, req)
			cancel()
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
