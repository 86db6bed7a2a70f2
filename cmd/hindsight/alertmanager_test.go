package main_test

import (
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestAlertmanagerEndToEnd points a real Prometheus Alertmanager at a real
// server with the configuration the README shows, and follows two alerts
// from firing to resolved onto the incident's timeline.
func TestAlertmanagerEndToEnd(t *testing.T) {
	am := ""
	for _, name := range []string{"prometheus-alertmanager", "alertmanager"} {
		if p, err := exec.LookPath(name); err == nil {
			am = p
			break
		}
	}
	if am == "" {
		t.Skip("needs Prometheus Alertmanager on the PATH (Debian package prometheus-alertmanager)")
	}
	dir := t.TempDir()
	db := filepath.Join(dir, "hindsight.db")
	newToken := func(name, role string) string {
		out, stderr, code := hindsight(t, "", "token", "create", "--db", db, "--name", name, "--role", role)
		if code != 0 {
			t.Fatalf("token create: %s", stderr)
		}
		return strings.TrimSpace(out)
	}
	hookToken, viewer := newToken("alertmanager", "webhook"), newToken("viewer", "viewer")
	base, _, logs := startServe(t, "--db", db)

	tokenFile := filepath.Join(dir, "hindsight-token")
	if err := os.WriteFile(tokenFile, []byte(hookToken), 0o600); err != nil {
		t.Fatal(err)
	}
	config := fmt.Sprintf(`route:
  receiver: hindsight
  group_by: [alertname, service]
  group_wait: 1s
  group_interval: 1s
  repeat_interval: 1h
receivers:
  - name: hindsight
    webhook_configs:
      - url: %s/hooks/alertmanager
        send_resolved: true
        max_alerts: 10000
        http_config:
          authorization:
            type: Bearer
            credentials_file: %s
`, base, tokenFile)
	configFile := filepath.Join(dir, "alertmanager.yml")
	if err := os.WriteFile(configFile, []byte(config), 0o644); err != nil {
		t.Fatal(err)
	}
	amURL := "http://" + freeAddr(t)
	cmd := exec.Command(am, "--config.file="+configFile, "--storage.path="+filepath.Join(dir, "am"),
		"--web.listen-address="+strings.TrimPrefix(amURL, "http://"), "--cluster.listen-address=")
	amLog := &lockedBuffer{}
	cmd.Stdout, cmd.Stderr = amLog, amLog
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	waitFor(t, "Alertmanager to be ready", func() bool {
		resp, err := http.Get(amURL + "/-/ready")
		if err == nil {
			resp.Body.Close()
		}
		return err == nil && resp.StatusCode == 200
	}, func() string { return amLog.String() })

	alert := func(instance, startsAt, endsAt string) string {
		ends := ""
		if endsAt != "" {
			ends = `,"endsAt":"` + endsAt + `"`
		}
		return `{"labels":{"alertname":"APIHighLatency","instance":"` + instance + `","service":"api","severity":"critical"},` +
			`"annotations":{"summary":"API p99 latency above 2s"},"startsAt":"` + startsAt + `"` + ends + `}`
	}
	post := func(alerts ...string) {
		t.Helper()
		resp, err := http.Post(amURL+"/api/v2/alerts", "application/json", strings.NewReader("["+strings.Join(alerts, ",")+"]"))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Fatalf("post alerts to Alertmanager: %d", resp.StatusCode)
		}
	}
	timeline := func() []string {
		status, inc := call(t, "GET", base+"/api/v1/incidents/INC-1", viewer, "")
		if status != 200 {
			return nil
		}
		var out []string
		events, _ := inc["events"].([]any)
		for _, e := range events {
			ev := e.(map[string]any)
			out = append(out, fmt.Sprint(ev["at"], " ", ev["text"]))
		}
		return out
	}
	diagnose := func() string {
		return "hindsight:\n" + strings.Join(logs.all, "\n") + "\nalertmanager:\n" + amLog.String()
	}

	post(alert("api-1:8080", "2024-01-25T10:00:00Z", ""), alert("api-2:8080", "2024-01-25T10:00:30Z", ""))
	// Alerts that started long ago end Alertmanager's group_wait at once:
	// its first notification may hold only the first of the two, and the
	// next one both.
	waitFor(t, "the incident with both alerts", func() bool {
		return strings.Join(timeline(), "\n") == "2024-01-25T10:00:00Z APIHighLatency firing on 2 instances"
	}, func() string { return "timeline:\n" + strings.Join(timeline(), "\n") + "\n" + diagnose() })
	_, inc := call(t, "GET", base+"/api/v1/incidents/INC-1", viewer, "")
	if inc["title"] != "API p99 latency above 2s" || inc["severity"] != "SEV1" || inc["detected_at"] != "2024-01-25T10:00:00Z" {
		t.Fatalf("incident %v", inc)
	}

	post(alert("api-1:8080", "2024-01-25T10:00:00Z", "2024-01-25T13:58:00Z"), alert("api-2:8080", "2024-01-25T10:00:30Z", "2024-01-25T13:59:00Z"))
	want := strings.Join([]string{
		"2024-01-25T10:00:00Z APIHighLatency firing on 2 instances",
		"2024-01-25T13:58:00Z APIHighLatency resolved on 2 instances",
		"2024-01-25T13:59:00Z All 2 alerts of this incident have resolved",
	}, "\n")
	waitFor(t, "the resolution entries", func() bool { return strings.Join(timeline(), "\n") == want }, func() string {
		return "timeline:\n" + strings.Join(timeline(), "\n") + "\n" + diagnose()
	})
}

// freeAddr returns a loopback address nobody listens on, for a program
// that must be told its port.
func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

func waitFor(t *testing.T, what string, ok func() bool, diagnose func() string) {
	t.Helper()
	for deadline := time.Now().Add(30 * time.Second); !ok(); time.Sleep(100 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s\n%s", what, diagnose())
		}
	}
}

// lockedBuffer collects a child's output, which exec copies from another
// goroutine, so that a failing test can print it.
type lockedBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}
