package main_test

import (
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// shutdownTimeout is serve's bound on finishing in-flight requests after
// SIGTERM (internal/cli/serve.go), which the README promises.
const shutdownTimeout = 20 * time.Second

// slowPost sends an Alertmanager notification of one new alert whose body
// takes about d to arrive, as from a sender on a slow link, and reports
// the status on the channel it returns (0 when no answer came).
func slowPost(base, token, name string, d time.Duration) <-chan int {
	body := fmt.Sprintf(`{"version":"4","status":"firing","receiver":"hindsight","groupKey":"slow","alerts":[`+
		`{"status":"firing","labels":{"alertname":%q,"severity":"critical","instance":"slow"},"startsAt":"2024-01-25T10:00:00Z","fingerprint":%q}]}`, name, name)
	pr, pw := io.Pipe()
	go func() {
		const parts = 10
		step := (len(body) + parts - 1) / parts
		for i := 0; i < len(body); i += step {
			pw.Write([]byte(body[i:min(i+step, len(body))]))
			time.Sleep(d / parts)
		}
		pw.Close()
	}()
	got := make(chan int, 1)
	go func() {
		req, _ := http.NewRequest("POST", base+"/hooks/alertmanager", pr)
		req.ContentLength = int64(len(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+token)
		resp, err := loadClient.Do(req)
		if err != nil {
			got <- 0
			return
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		got <- resp.StatusCode
	}()
	return got
}

// TestSIGTERMUnderLoad stops the server with SIGTERM while webhooks and
// API clients write to it and one sender is still uploading: every request
// the server took is answered, nothing is refused, every acknowledged
// alert and entry is stored, nothing unacknowledged is, and the server
// exits cleanly within its shutdown timeout.
func TestSIGTERMUnderLoad(t *testing.T) {
	db := filepath.Join(t.TempDir(), "hindsight.db")
	hookToken, editorToken := newToken(t, db, "webhook"), newToken(t, db, "editor")
	base, cmd, log := startServe(t, "--db", db)
	logs := log.drain()
	if status, _ := call(t, "POST", base+"/api/v1/incidents", editorToken, `{"title":"Deploy during an outage"}`); status != 201 {
		t.Fatalf("create INC-1: %d", status)
	}
	l := &ledger{}
	stopLoad := runLoad(base, hookToken, editorToken, "term", 6, 3, l)
	time.Sleep(500 * time.Millisecond)
	slow := slowPost(base, hookToken, "SlowSender", 1500*time.Millisecond)
	time.Sleep(300 * time.Millisecond) // the slow body is under way

	sent := time.Now()
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	var err error
	select {
	case err = <-exited:
	case <-time.After(shutdownTimeout + 5*time.Second):
		t.Fatalf("serve still runs %v after SIGTERM", shutdownTimeout+5*time.Second)
	}
	took := time.Since(sent)
	stopLoad()
	out := logs()
	if err != nil {
		t.Fatalf("serve exited with %v after SIGTERM:\n%s", err, out)
	}
	if took > shutdownTimeout {
		t.Errorf("serve took %v to stop, more than its shutdown timeout %v", took, shutdownTimeout)
	}
	_, shutdown, _ := strings.Cut(out, "shutting down")
	if !strings.Contains(shutdown, "msg=stopped") || strings.Contains(shutdown, "level=WARN") || strings.Contains(shutdown, "level=ERROR") {
		t.Errorf("log of the shutdown:\n%s", shutdown)
	}
	if status := <-slow; status != 200 {
		t.Errorf("the request uploading during SIGTERM got %d, want 200", status)
	} else {
		l.add(&l.alertsSent, "SlowSender")
		l.add(&l.alertsAcked, "SlowSender")
	}
	if len(l.refused) > 0 {
		t.Errorf("requests refused during shutdown: %v", l.refused)
	}
	checkStored(t, db, l, true)
	t.Logf("stopped %v after SIGTERM; %d alerts and %d timeline entries acknowledged, %d and %d sent",
		took.Round(time.Millisecond), len(l.alertsAcked), len(l.eventsAcked), len(l.alertsSent), len(l.eventsSent))
	if len(l.alertsAcked) < 10 || len(l.eventsAcked) < 10 {
		t.Fatalf("too little load to prove anything: %d alerts, %d entries acknowledged", len(l.alertsAcked), len(l.eventsAcked))
	}
}
