package web_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"hindsight/internal/incident"
	"hindsight/internal/store"
	"hindsight/internal/web"
)

// hookPaths are the webhook endpoints FuzzWebhooks posts to.
var hookPaths = []string{"/hooks/alertmanager", "/hooks/grafana", "/hooks/pagerduty", "/hooks/generic"}

// FuzzWebhooks posts what a hostile or broken sender might to every
// webhook endpoint of a server over a real SQLite database: each answer is
// 200 or a 400, never a 5xx that would make the sender retry forever (or a
// panic), and posting an accepted payload again changes nothing.
func FuzzWebhooks(f *testing.F) {
	paths, _ := filepath.Glob(filepath.Join("..", "..", "..", "shared", "fixtures", "webhooks", "*.json"))
	if len(paths) == 0 {
		f.Fatal("no fixtures in ../shared/fixtures/webhooks")
	}
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		for i := range hookPaths {
			f.Add(uint8(i), b, "")
		}
	}
	f.Add(uint8(2), []byte(`{"event":{"event_type":"incident.acknowledged","occurred_at":"2024-01-25T10:05:00Z",`+
		`"agent":{"summary":"Ana"},"data":{"id":"PX","created_at":"2024-01-25T10:00:00Z","priority":{"summary":"P1"}}}}`), "01WH")
	f.Add(uint8(3), []byte(`{"title":"Nightly backup failed","severity":"error","service":"backup","text":"exit status 1"}`), "")
	f.Add(uint8(3), []byte(`{"title":"Nightly backup failed","service":"backup","status":"resolved"}`), "")
	f.Add(uint8(0), []byte(`{"alerts":[{"status":"resolved","startsAt":"2024-01-25T10:00:00Z","endsAt":"2024-01-25T09:00:00Z","labels":{"alertname":"A","severity":"critical"}},`+
		`{"status":"firing","startsAt":"2024-01-25T10:00:00Z","labels":{"alertname":"A","severity":"critical"}}]}`), "")

	// Times JSON reads but cannot write: year 10000 in UTC.
	f.Add(uint8(0), []byte(`{"groupKey":"g","alerts":[{"status":"resolved","startsAt":"2024-01-25T10:00:00Z","endsAt":"9999-12-31T23:59:59-23:59",`+
		`"labels":{"alertname":"A","severity":"critical"}}]}`), "")
	f.Add(uint8(3), []byte(`{"title":"t","severity":"critical","at":"0000-01-01T00:00:00+23:59"}`), "")

	dir := f.TempDir()
	st, err := store.Open(context.Background(), filepath.Join(dir, "fuzz.db"))
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { st.Close() })
	// Speed over durability: this database is thrown away.
	if err := st.Exec(context.Background(), "PRAGMA synchronous=OFF"); err != nil {
		f.Fatal(err)
	}
	e := newHookEnv(f, st, web.Config{})
	f.Fuzz(func(t *testing.T, which uint8, body []byte, webhookID string) {
		e.t = t // the env's helpers report to the input's test
		// The fuzzer has no time limit per input; a request that hangs
		// crashes the worker instead, which keeps the input as a crasher.
		hung := time.AfterFunc(10*time.Second, func() {
			panic(fmt.Sprintf("a request hung for 10s: %d %q %q", which, body, webhookID))
		})
		defer hung.Stop()
		path := hookPaths[int(which)%len(hookPaths)]
		headers := e.bearer(incident.RoleWebhook)
		if webhookID != "" {
			headers["X-Webhook-Id"] = webhookID
		}
		w := e.hook(path, string(body), headers)
		switch w.Code {
		case 200:
		case 400:
			var got apiError
			if err := json.Unmarshal(w.Body.Bytes(), &got); err != nil || got.Error.Code != incident.EINVALID || got.Error.Message == "" {
				t.Fatalf("%s: 400 without the error format: %s", path, w.Body)
			}
			return
		default:
			t.Fatalf("%s: status %d: %s", path, w.Code, w.Body)
		}
		again := e.hook(path, string(body), headers)
		if again.Code != 200 {
			t.Fatalf("%s: accepted once, then %d: %s", path, again.Code, again.Body)
		}
		var res incident.IngestResult
		if err := json.Unmarshal(again.Body.Bytes(), &res); err != nil {
			t.Fatal(err)
		}
		if res.Added != 0 || res.Resolved != 0 || res.Opened {
			t.Fatalf("%s: the same payload again changed something: %+v", path, res)
		}
		// What was stored can be shown.
		if res.IncidentRef != "" {
			w := e.do(incident.RoleViewer, "GET", "/api/v1/incidents/"+res.IncidentRef, "")
			if w.Code != 200 || !json.Valid(w.Body.Bytes()) {
				t.Fatalf("%s: the incident it fed does not show: %d %q", path, w.Code, w.Body)
			}
		}
	})
}

// pageForms are the forms FuzzPageForms fills, with the names of the three
// fields it varies.
var pageForms = []struct {
	path   string
	fields [3]string
}{
	{"/incidents", [3]string{"title", "services", "started_at"}},
	{"/incidents/INC-1/events", [3]string{"text", "at", "kind"}},
	{"/incidents/INC-1/tasks", [3]string{"title", "due", "priority"}},
	{"/incidents/INC-1/root-causes", [3]string{"description", "category", "primary"}},
	{"/incidents/INC-1/status", [3]string{"status", "version", "x"}},
	{"/incidents/INC-1", [3]string{"title", "resolved_at", "services"}},
}

// FuzzPageForms fills the forms of the pages with whatever a person (or
// a script posing as one) might type: each is taken, or shown again with
// an error, never answered with a 5xx, and the incident still shows.
func FuzzPageForms(f *testing.F) {
	for i := range pageForms {
		f.Add(uint8(i), "Cache outage", "2024-01-25 10:15", "SEV2")
		f.Add(uint8(i), "a\x00b", "9999-12-31T23:59:59-23:59", "-5m")
		f.Add(uint8(i), "<script>alert(1)</script>", "10:15", "api, api,  ,db")
	}
	st, err := store.Open(context.Background(), filepath.Join(f.TempDir(), "fuzz.db"))
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { st.Close() })
	if err := st.Exec(context.Background(), "PRAGMA synchronous=OFF"); err != nil {
		f.Fatal(err)
	}
	e := newHookEnv(f, st, web.Config{})
	e.must(201, "POST", "/api/v1/incidents", `{"title":"Outage","started_at":"2024-01-25T10:00:00Z"}`, nil)
	cookie := e.signIn("ana@example.com", incident.RoleEditor)
	f.Fuzz(func(t *testing.T, which uint8, a, b, c string) {
		e.t = t
		form := pageForms[int(which)%len(pageForms)]
		values := url.Values{form.fields[0]: {a}, form.fields[1]: {b}, form.fields[2]: {c}}
		if form.path == "/incidents/INC-1" {
			inc, err := st.Incident(context.Background(), "INC-1")
			if err != nil {
				t.Fatal(err)
			}
			values.Set("version", strconv.Itoa(inc.Version))
			values.Set("severity", "SEV2")
			values.Set("started_at", inc.StartedAt.UTC().Format("2006-01-02 15:04"))
			if inc.DetectedAt != nil {
				values.Set("detected_at", inc.DetectedAt.UTC().Format("2006-01-02 15:04"))
			}
		}
		w := e.form(cookie, form.path, values)
		if w.Code >= 500 {
			t.Fatalf("%s %v: %d", form.path, values, w.Code)
		}
		if w := e.get(cookie, "/incidents/INC-1"); w.Code != 200 {
			t.Fatalf("after %s %v the incident page answers %d", form.path, values, w.Code)
		}
		if w := e.do(incident.RoleViewer, "GET", "/api/v1/incidents", ""); w.Code != 200 || !json.Valid(w.Body.Bytes()) {
			t.Fatalf("after %s %v the incident list answers %d %q", form.path, values, w.Code, w.Body)
		}
	})
}
