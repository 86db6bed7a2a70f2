package main_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"hindsight/internal/store"
)

// drain keeps reading the server's log in the background, so that a busy
// server never blocks on a full pipe; the function it returns waits until
// the process has closed its log and returns all of it.
func (l *logTail) drain() func() string {
	done := make(chan string, 1)
	go func() { done <- l.rest() }()
	return func() string { return <-done }
}

// newToken creates a token with the command line and returns it.
func newToken(t *testing.T, db, role string) string {
	t.Helper()
	out, stderr, code := hindsight(t, "", "token", "create", "--db", db, "--name", role, "--role", role)
	if code != 0 {
		t.Fatalf("token create --role %s: %d %s", role, code, stderr)
	}
	return strings.TrimSpace(out)
}

// loadClient is the HTTP client of the load generators: a server killed
// mid-request must show up as an error, not as a test that hangs.
var loadClient = &http.Client{Timeout: 15 * time.Second}

// post sends body as JSON with a bearer token and returns the status, or
// an error when no answer came.
func post(url, token, body string) (int, error) {
	req, err := http.NewRequest("POST", url, strings.NewReader(body))
	if err != nil {
		return 0, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := loadClient.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	if _, err := io.Copy(io.Discard, resp.Body); err != nil {
		return 0, err // the status arrived, but not the whole answer
	}
	return resp.StatusCode, nil
}

// ledger records what the load sent and what the server acknowledged
// with a 2xx.
type ledger struct {
	mu          sync.Mutex
	alertsSent  []string // alert names, one alert each
	alertsAcked []string
	eventsSent  []string // texts of timeline entries
	eventsAcked []string
	refused     []string // answers other than 2xx, with what was sent
}

func (l *ledger) add(list *[]string, v ...string) {
	l.mu.Lock()
	*list = append(*list, v...)
	l.mu.Unlock()
}

// webhookLoad posts Alertmanager notifications of one alert group, as
// Alertmanager does: each is a snapshot holding the group's earlier alerts
// again and one or two new ones. It stops when stop closes.
func webhookLoad(base, token, group string, l *ledger, stop <-chan struct{}) {
	type amAlert struct {
		Status      string            `json:"status"`
		Labels      map[string]string `json:"labels"`
		Annotations map[string]string `json:"annotations"`
		StartsAt    time.Time         `json:"startsAt"`
		Fingerprint string            `json:"fingerprint"`
	}
	start := time.Date(2024, 1, 25, 10, 0, 0, 0, time.UTC)
	var alerts []amAlert
	for n := 0; ; {
		select {
		case <-stop:
			return
		default:
		}
		var fresh []string
		for range 1 + n%2 {
			name := fmt.Sprintf("%s-n%04d", group, n)
			alerts = append(alerts, amAlert{Status: "firing", Fingerprint: name,
				Labels:      map[string]string{"alertname": name, "severity": "critical", "service": "crash", "instance": group},
				Annotations: map[string]string{"summary": "crash test alert"},
				StartsAt:    start.Add(time.Duration(n) * time.Second)})
			fresh = append(fresh, name)
			n++
		}
		snapshot := alerts[max(0, len(alerts)-5):]
		body, _ := json.Marshal(map[string]any{"version": "4", "status": "firing", "receiver": "hindsight",
			"groupKey": "{}:{group=\"" + group + "\"}", "groupLabels": map[string]string{"group": group},
			"commonLabels": map[string]string{"severity": "critical"}, "alerts": snapshot})
		l.add(&l.alertsSent, fresh...)
		status, err := post(base+"/hooks/alertmanager", token, string(body))
		switch {
		case err != nil:
			return // the server is gone
		case status/100 == 2:
			l.add(&l.alertsAcked, fresh...)
		default:
			l.add(&l.refused, fmt.Sprintf("alerts %v: %d", fresh, status))
		}
	}
}

// eventLoad adds timeline entries to INC-1 through the API until stop
// closes.
func eventLoad(base, token, prefix string, l *ledger, stop <-chan struct{}) {
	for n := 0; ; n++ {
		select {
		case <-stop:
			return
		default:
		}
		text := fmt.Sprintf("%s-n%04d", prefix, n)
		l.add(&l.eventsSent, text)
		status, err := post(base+"/api/v1/incidents/INC-1/events", token, `{"kind":"investigation","text":"`+text+`"}`)
		switch {
		case err != nil:
			return
		case status == http.StatusCreated:
			l.add(&l.eventsAcked, text)
		default:
			l.add(&l.refused, fmt.Sprintf("event %s: %d", text, status))
		}
	}
}

// runLoad starts webhooks webhook senders and events API writers against
// base; the function it returns stops them and waits until they are done.
func runLoad(base, hookToken, editorToken, tag string, webhooks, events int, l *ledger) func() {
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for w := range webhooks {
		wg.Go(func() { webhookLoad(base, hookToken, fmt.Sprintf("%s-w%d", tag, w), l, stop) })
	}
	for w := range events {
		wg.Go(func() { eventLoad(base, editorToken, fmt.Sprintf("%s-e%d", tag, w), l, stop) })
	}
	return func() { close(stop); wg.Wait() }
}

// checkStored opens the database (beside the server, if one runs) and
// checks that it is intact, that every acknowledged alert and timeline
// entry is in it exactly once, and that nothing the load sent is in it
// twice. With exact, nothing that went unacknowledged may be stored either:
// a server that stops gracefully answers every request it took.
func checkStored(t *testing.T, db string, l *ledger, exact bool) {
	t.Helper()
	ctx := context.Background()
	st, err := store.Open(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	var ok string
	if err := st.QueryRow(ctx, "PRAGMA integrity_check", &ok); err != nil || ok != "ok" {
		t.Fatalf("integrity_check: %q %v", ok, err)
	}
	var fkProblems int
	if err := st.QueryRow(ctx, "SELECT COUNT(*) FROM pragma_foreign_key_check", &fkProblems); err != nil || fkProblems != 0 {
		t.Fatalf("foreign_key_check: %d rows, %v", fkProblems, err)
	}
	count := func(query string, list []string) (n int) {
		t.Helper()
		b, _ := json.Marshal(list)
		if err := st.QueryRow(ctx, query, &n, string(b)); err != nil {
			t.Fatalf("%s: %v", query, err)
		}
		return n
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	const (
		alertRows     = "SELECT COUNT(*) FROM alerts WHERE source = 'alertmanager' AND fingerprint IN (SELECT value FROM json_each(?))"
		alertDistinct = "SELECT COUNT(DISTINCT fingerprint) FROM alerts WHERE source = 'alertmanager' AND fingerprint IN (SELECT value FROM json_each(?))"
		// Each alert has a name of its own, so it has a timeline entry of
		// its own: "NAME firing on INSTANCE: summary".
		alertEntries  = "SELECT COUNT(*) FROM events WHERE kind = 'alert' AND substr(text, 1, instr(text, ' firing') - 1) IN (SELECT value FROM json_each(?))"
		alertEntryIDs = "SELECT COUNT(DISTINCT substr(text, 1, instr(text, ' firing') - 1)) FROM events WHERE kind = 'alert' AND substr(text, 1, instr(text, ' firing') - 1) IN (SELECT value FROM json_each(?))"
		eventRows     = "SELECT COUNT(*) FROM events WHERE text IN (SELECT value FROM json_each(?))"
		eventDistinct = "SELECT COUNT(DISTINCT text) FROM events WHERE text IN (SELECT value FROM json_each(?))"
	)
	for _, c := range []struct {
		what        string
		acked, sent []string
		rows, dist  string
	}{
		{"alerts", l.alertsAcked, l.alertsSent, alertRows, alertDistinct},
		{"alert timeline entries", l.alertsAcked, l.alertsSent, alertEntries, alertEntryIDs},
		{"timeline entries", l.eventsAcked, l.eventsSent, eventRows, eventDistinct},
	} {
		if n, d := count(c.rows, c.acked), count(c.dist, c.acked); n != len(c.acked) || d != len(c.acked) {
			t.Errorf("%d %s acknowledged: %d rows of %d of them stored", len(c.acked), c.what, n, d)
		}
		if n, d := count(c.rows, c.sent), count(c.dist, c.sent); n != d {
			t.Errorf("%s stored twice: %d rows for %d sent items", c.what, n, d)
		} else if exact && n != len(c.acked) {
			t.Errorf("%d %s stored but only %d acknowledged: requests went unanswered", n, c.what, len(c.acked))
		}
	}
}

// TestKillNine kills the server with SIGKILL at a random moment while
// webhooks and API clients write to it, restarts it, and checks that
// everything it acknowledged is stored exactly once in an intact
// database; several times over, on one database.
func TestKillNine(t *testing.T) {
	const cycles = 5
	db := filepath.Join(t.TempDir(), "hindsight.db")
	hookToken, editorToken := newToken(t, db, "webhook"), newToken(t, db, "editor")
	seed := time.Now().UnixNano()
	rng := rand.New(rand.NewPCG(uint64(seed), 0))
	t.Logf("random seed %d", seed)

	l := &ledger{}
	for cycle := range cycles + 1 {
		base, cmd, log := startServe(t, "--db", db)
		logs := log.drain()
		if cycle > 0 {
			checkStored(t, db, l, false) // what the killed server acknowledged survived
		} else if status, _ := call(t, "POST", base+"/api/v1/incidents", editorToken, `{"title":"Timeline under fire"}`); status != 201 {
			t.Fatalf("create INC-1: %d", status)
		}
		if cycle == cycles {
			break
		}
		ackedBefore := len(l.alertsAcked) + len(l.eventsAcked)
		stopLoad := runLoad(base, hookToken, editorToken, fmt.Sprintf("c%d", cycle), 6, 3, l)
		time.Sleep(time.Duration(300+rng.IntN(1200)) * time.Millisecond)
		if err := cmd.Process.Kill(); err != nil { // SIGKILL
			t.Fatal(err)
		}
		cmd.Wait()
		stopLoad()
		logs()
		l.mu.Lock()
		acked := len(l.alertsAcked) + len(l.eventsAcked) - ackedBefore
		refused := l.refused
		l.mu.Unlock()
		if len(refused) > 0 {
			t.Fatalf("cycle %d: requests refused under load: %v", cycle, refused)
		}
		t.Logf("cycle %d: killed after %d acknowledged writes", cycle, acked)
	}
	t.Logf("survived %d kills: %d alerts and %d timeline entries acknowledged, %d and %d sent",
		cycles, len(l.alertsAcked), len(l.eventsAcked), len(l.alertsSent), len(l.eventsSent))
	if len(l.alertsAcked) < 10*cycles || len(l.eventsAcked) < 10*cycles {
		t.Fatalf("too little load to prove anything: %d alerts, %d entries acknowledged", len(l.alertsAcked), len(l.eventsAcked))
	}
}
