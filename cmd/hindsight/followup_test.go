package main_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// TestDigestAndFeedJourney: a team configures the daily digest and a
// calendar subscription; the digest goes out once, even when serve restarts.
func TestDigestAndFeedJourney(t *testing.T) {
	db := filepath.Join(t.TempDir(), "hindsight.db")
	admin, _, _ := hindsight(t, "", "token", "create", "--db", db, "--name", "me", "--role", "admin")
	admin = strings.TrimSpace(admin)
	feed, stderr, code := hindsight(t, "", "token", "create", "--db", db, "--name", "calendar", "--role", "feed")
	feed = strings.TrimSpace(feed)
	if code != 0 || !strings.HasPrefix(feed, "hst_") {
		t.Fatalf("feed token: %d %q %s", code, feed, stderr)
	}

	var posts atomic.Int32
	var lastBody atomic.Value
	receiver := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		lastBody.Store(string(b))
		posts.Add(1)
	}))
	defer receiver.Close()
	hookURL := receiver.URL + "/services/T000/B000/secretpart"

	// First without the digest, to record an overdue task.
	base, cmd, log := startServe(t, "--db", db, "--task-due", "SEV2=3d")
	if status, _ := call(t, "POST", base+"/api/v1/incidents", admin, `{"title":"Cache outage","severity":"SEV2"}`); status != 201 {
		t.Fatalf("incident: %d", status)
	}
	if status, _ := call(t, "POST", base+"/api/v1/incidents/INC-1/tasks", admin, `{"title":"Validate cache config","due_at":"2020-01-01T00:00:00Z"}`); status != 201 {
		t.Fatalf("task: %d", status)
	}
	status, task := call(t, "POST", base+"/api/v1/incidents/INC-1/tasks", admin, `{"title":"Add an alert"}`)
	due, _ := time.Parse(time.RFC3339, task["due_at"].(string))
	// Three days on, at the end of that day (UTC).
	if want := time.Now().UTC().AddDate(0, 0, 3).Format("2006-01-02") + "T23:59:59Z"; status != 201 || due.Format(time.RFC3339) != want {
		t.Fatalf("--task-due SEV2=3d: %d, due %v, want %s", status, task["due_at"], want)
	}
	resp, err := http.Get(base + "/api/v1/tasks.ics?feed=" + feed)
	if err != nil {
		t.Fatal(err)
	}
	ics, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || strings.Count(string(ics), "BEGIN:VEVENT") != 2 {
		t.Fatalf("feed: %d\n%s", resp.StatusCode, ics)
	}
	cmd.Process.Signal(syscall.SIGTERM)
	logs := log.rest()
	cmd.Wait()
	if strings.Contains(logs, feed) {
		t.Fatalf("the log shows the feed token:\n%s", logs)
	}

	// With the digest: sent at start (the hour has passed), then never again that day.
	for i := range 2 {
		_, cmd, log := startServe(t, "--db", db, "--digest-url", hookURL, "--digest-hour", "0")
		deadline := time.Now().Add(10 * time.Second)
		for posts.Load() == 0 && time.Now().Before(deadline) {
			time.Sleep(20 * time.Millisecond)
		}
		time.Sleep(300 * time.Millisecond)
		cmd.Process.Signal(syscall.SIGTERM)
		logs := log.rest()
		if err := cmd.Wait(); err != nil {
			t.Fatalf("serve %d: %v\n%s", i, err, logs)
		}
		if n := posts.Load(); n != 1 {
			t.Fatalf("start %d: %d digests posted\n%s", i, n, logs)
		}
		if strings.Contains(logs, "secretpart") {
			t.Fatalf("the log shows the webhook URL:\n%s", logs)
		}
	}
	if body, _ := lastBody.Load().(string); !strings.Contains(body, `"text":`) || !strings.Contains(body, "Validate cache config") {
		t.Fatalf("digest body %s", body)
	}
}

func TestServeRefusesBadFollowUpSettings(t *testing.T) {
	db := filepath.Join(t.TempDir(), "h.db")
	for _, tc := range []struct{ args []string }{
		{[]string{"--task-due", "SEV1=soon"}},
		{[]string{"--digest-url", "hooks.example/x"}},
		{[]string{"--digest-url", "https://hooks.example/x", "--digest-hour", "24"}},
		{[]string{"--digest-url", "https://hooks.example/x", "--digest-tz", "Mars/Olympus"}},
		{[]string{"--trusted-proxies", "10.0.0.0/8,proxy.internal"}},
	} {
		_, stderr, code := hindsight(t, "", append([]string{"serve", "--db", db, "--addr", "127.0.0.1:0"}, tc.args...)...)
		if code != 2 || strings.Count(strings.TrimSpace(stderr), "\n") != 0 || strings.Contains(stderr, "hooks.example") {
			t.Errorf("%v: exit %d, %q", tc.args, code, stderr)
		}
	}
}
