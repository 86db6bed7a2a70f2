package web_test

import (
	"fmt"
	"io"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"hindsight/internal/incident"
	"hindsight/internal/store"
	"hindsight/internal/store/storetest"
	"hindsight/internal/web"
)

// largeGroup is an Alertmanager notification of n firing alerts of one
// group, each about as large as a real one with its generator URL.
func largeGroup(n int) string {
	var b strings.Builder
	b.WriteString(`{"version":"4","status":"firing","receiver":"hindsight","groupKey":"{}:{alertname=\"APIHighLatency\"}",` +
		`"groupLabels":{"alertname":"APIHighLatency"},"commonLabels":{"alertname":"APIHighLatency","severity":"critical"},"alerts":[`)
	start := time.Date(2024, 1, 25, 10, 0, 0, 0, time.UTC)
	for i := range n {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `{"status":"firing","labels":{"alertname":"APIHighLatency","instance":"api-%d.prod.internal:8080",`+
			`"job":"api","namespace":"prod","service":"api","severity":"critical"},`+
			`"annotations":{"summary":"API p99 latency above 2s on api-%[1]d","description":"The 99th percentile of request latency has been above 2 seconds for 5 minutes."},`+
			`"startsAt":%q,"endsAt":"0001-01-01T00:00:00Z",`+
			`"generatorURL":"http://prometheus.prod.internal:9090/graph?g0.expr=histogram_quantile%%280.99%%2C+sum+by+%%28le%%2C+instance%%29%%28rate%%28http_request_duration_seconds_bucket%%7Bjob%%3D%%22api%%22%%7D%%5B5m%%5D%%29%%29%%29+%%3E+2&g0.tab=1",`+
			`"fingerprint":"%016x"}`, i, start.Add(time.Duration(i)*time.Millisecond).Format(time.RFC3339Nano), i)
	}
	b.WriteString(`]}`)
	return b.String()
}

// An alert storm is when groups are largest, and Alertmanager does not send
// a notification again after a 413: a group of thousands of alerts, well
// over the 1 MiB of other bodies, is taken whole.
func TestHookTakesLargeGroups(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		e := newHookEnv(t, st, web.Config{})
		body := largeGroup(5000)
		if len(body) < 2<<20 {
			t.Fatalf("the group is only %d bytes", len(body))
		}
		res := ingestResult(t, e.hook("/hooks/alertmanager", body, e.bearer(incident.RoleWebhook)))
		if !res.Opened || res.Added != 5000 {
			t.Fatalf("result %+v, want an incident opened with 5000 alerts", res)
		}
		if n := rowCount(t, st, "alerts"); n != 5000 {
			t.Fatalf("%d alerts stored, want 5000", n)
		}
	})
}

// Webhook bodies beyond the general limit count against a budget shared by
// all: while others hold it, a large body gets 503 with Retry-After and
// nothing is stored; once they end, the same body goes through.
func TestHookBodyBudget(t *testing.T) {
	st := storetest.SQLite(t)
	const free, max = 1 << 10, 8 << 10 // a budget of 4 bodies of 8 KiB, counted beyond their first KiB
	e := newHookEnv(t, st, web.Config{MaxBodyBytes: free, MaxHookBodyBytes: max})
	auth := "Bearer " + e.tokens[incident.RoleWebhook]
	post := func(body io.Reader) *httptest.ResponseRecorder {
		req := httptest.NewRequest("POST", "/hooks/generic", body)
		req.ContentLength = -1 // streamed: the budget counts what is read
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", auth)
		w := httptest.NewRecorder()
		e.server.ServeHTTP(w, req)
		return w
	}
	big := `{"title":"Disk almost full","severity":"critical","service":"db","text":"` + strings.Repeat("x", max-150) + `"}`
	last := len(big) - 1

	// Four senders each hold a body of almost 8 KiB, read but for its
	// last byte: a fifth does not fit.
	var wg sync.WaitGroup
	pipes := make([]*io.PipeWriter, 4)
	held := make([]int, len(pipes))
	for i := range pipes {
		pr, pw := io.Pipe()
		pipes[i] = pw
		wg.Go(func() { held[i] = post(pr).Code })
		if _, err := pw.Write([]byte(big[:last-1])); err != nil {
			t.Fatal(err)
		}
		// This write returns once the server reads again, after it counted
		// the bytes of the first.
		if _, err := pw.Write([]byte(big[last-1 : last])); err != nil {
			t.Fatal(err)
		}
	}
	w := post(strings.NewReader(big))
	wantStatus(t, w, 503, "unavailable")
	if w.Header().Get("Retry-After") == "" {
		t.Error("503 without Retry-After")
	}
	if n := rowCount(t, st, "alerts"); n != 0 {
		t.Fatalf("a refused body stored %d alerts", n)
	}
	// A small body needs no budget.
	if res := ingestResult(t, post(strings.NewReader(`{"title":"Backup failed","severity":"error","service":"backup"}`))); res.Added != 1 {
		t.Fatalf("small body: %+v", res)
	}
	for _, pw := range pipes {
		pw.Write([]byte(big[last:]))
		pw.Close()
	}
	wg.Wait()
	for i, code := range held {
		if code != 200 {
			t.Errorf("held body %d: status %d", i, code)
		}
	}
	// The same alert as the held ones: it goes through, and is one of them.
	if res := ingestResult(t, post(strings.NewReader(big))); res.Duplicates != 1 {
		t.Fatalf("after the others ended: %+v", res)
	}
}
