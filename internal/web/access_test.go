package web_test

import (
	"context"
	"fmt"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"hindsight/internal/incident"
	"hindsight/internal/store/storetest"
	"hindsight/internal/web"
)

// Callers of the access table: a token of each role, a revoked admin
// token, and no credentials at all.
const (
	roleRevoked incident.Role = "revoked"
	roleNobody  incident.Role = ""
)

var callers = []incident.Role{incident.RoleAdmin, incident.RoleEditor, incident.RoleViewer,
	incident.RoleWebhook, incident.RoleFeed, roleRevoked, roleNobody}

// access is the status each caller gets.
type access map[incident.Role]int

func public() access {
	return access{incident.RoleAdmin: 200, incident.RoleEditor: 200, incident.RoleViewer: 200,
		incident.RoleWebhook: 200, incident.RoleFeed: 200, roleRevoked: 200, roleNobody: 200}
}

// reads: viewers, editors and admins.
func reads() access {
	return access{incident.RoleAdmin: 200, incident.RoleEditor: 200, incident.RoleViewer: 200,
		incident.RoleWebhook: 403, incident.RoleFeed: 403, roleRevoked: 401, roleNobody: 401}
}

// writes: editors and admins, answering ok.
func writes(ok int) access {
	return access{incident.RoleAdmin: ok, incident.RoleEditor: ok, incident.RoleViewer: 403,
		incident.RoleWebhook: 403, incident.RoleFeed: 403, roleRevoked: 401, roleNobody: 401}
}

func adminOnly(ok int) access {
	return access{incident.RoleAdmin: ok, incident.RoleEditor: 403, incident.RoleViewer: 403,
		incident.RoleWebhook: 403, incident.RoleFeed: 403, roleRevoked: 401, roleNobody: 401}
}

// hooks: webhook tokens and admins.
func hooks() access {
	return access{incident.RoleAdmin: 200, incident.RoleEditor: 403, incident.RoleViewer: 403,
		incident.RoleWebhook: 200, incident.RoleFeed: 403, roleRevoked: 401, roleNobody: 401}
}

// feed: whoever reads, and feed tokens.
func feed() access {
	return access{incident.RoleAdmin: 200, incident.RoleEditor: 200, incident.RoleViewer: 200,
		incident.RoleWebhook: 403, incident.RoleFeed: 200, roleRevoked: 401, roleNobody: 401}
}

// accessEnv is a server with an incident, a timeline entry, a task and a
// token of every role, one of them revoked.
type accessEnv struct {
	*env
	task  int64
	users int
}

func newAccessEnv(t *testing.T) *accessEnv {
	t.Helper()
	e := newHookEnv(t, storetest.SQLite(t), web.Config{})
	ctx := context.Background()
	for _, r := range []incident.Role{incident.RoleFeed, roleRevoked} {
		role := r
		if r == roleRevoked {
			role = incident.RoleAdmin
		}
		secret, tok, err := e.store.CreateToken(ctx, string(r), role)
		if err != nil {
			t.Fatal(err)
		}
		e.tokens[r] = secret
		if r == roleRevoked {
			if err := e.store.RevokeToken(ctx, tok.ID); err != nil {
				t.Fatal(err)
			}
		}
	}
	a := &accessEnv{env: e}
	e.must(201, "POST", "/api/v1/incidents", `{"title":"Access","severity":"SEV2"}`, nil)
	var task incident.Task
	e.must(201, "POST", "/api/v1/incidents/INC-1/tasks", `{"title":"Review access","due_at":"2030-01-01T00:00:00Z"}`, &task)
	a.task = task.ID
	return a
}

// event adds a timeline entry for one request to use up.
func (a *accessEnv) event() int64 {
	a.t.Helper()
	ev := &incident.Event{At: time.Now(), Kind: incident.KindNote, Text: "to change", Source: incident.SourceManual}
	if err := a.store.AddEvent(context.Background(), "INC-1", ev); err != nil {
		a.t.Fatal(err)
	}
	return ev.ID
}

func (a *accessEnv) version() int {
	a.t.Helper()
	inc, err := a.store.Incident(context.Background(), "INC-1")
	if err != nil {
		a.t.Fatal(err)
	}
	return inc.Version
}

// routeCase is what the table expects of one route, and how to make a
// request of it that succeeds for a caller who may make it.
type routeCase struct {
	method, route string
	access        access
	request       func(a *accessEnv) (path, body string)
	contentType   string // of the body; JSON when empty
}

func path(p string) func(*accessEnv) (string, string) {
	return func(*accessEnv) (string, string) { return p, "" }
}

func post(p, body string) func(*accessEnv) (string, string) {
	return func(*accessEnv) (string, string) { return p, body }
}

func accessTable(t *testing.T) []routeCase {
	am, grafana, pd := hookFixture(t, "alertmanager-firing.json"), hookFixture(t, "grafana-firing.json"), hookFixture(t, "pagerduty-incident-triggered.json")
	return []routeCase{
		{"GET", "/healthz", public(), path("/healthz"), ""},
		{"GET", "/readyz", public(), path("/readyz"), ""},
		{"GET", "/metrics", public(), path("/metrics"), ""},
		{"GET", "/api/v1/tasks.ics", feed(), path("/api/v1/tasks.ics"), ""},

		{"GET", "/api/v1/incidents", reads(), path("/api/v1/incidents"), ""},
		{"POST", "/api/v1/incidents", writes(201), post("/api/v1/incidents", `{"title":"Declared"}`), ""},
		{"GET", "/api/v1/incidents/:ref", reads(), path("/api/v1/incidents/INC-1"), ""},
		{"PATCH", "/api/v1/incidents/:ref", writes(200), func(a *accessEnv) (string, string) {
			return "/api/v1/incidents/INC-1", fmt.Sprintf(`{"version":%d,"commander":"ana"}`, a.version())
		}, ""},
		{"GET", "/api/v1/incidents/:ref/audit", reads(), path("/api/v1/incidents/INC-1/audit"), ""},
		{"POST", "/api/v1/incidents/:ref/events", writes(201), post("/api/v1/incidents/INC-1/events", `{"text":"Paged the database team"}`), ""},
		{"PATCH", "/api/v1/incidents/:ref/events/:id", writes(200), func(a *accessEnv) (string, string) {
			return fmt.Sprintf("/api/v1/incidents/INC-1/events/%d", a.event()), `{"text":"changed"}`
		}, ""},
		{"DELETE", "/api/v1/incidents/:ref/events/:id", writes(204), func(a *accessEnv) (string, string) {
			return fmt.Sprintf("/api/v1/incidents/INC-1/events/%d", a.event()), ""
		}, ""},
		{"POST", "/api/v1/incidents/:ref/root-causes", writes(201), post("/api/v1/incidents/INC-1/root-causes", `{"description":"Cache misconfiguration"}`), ""},
		{"POST", "/api/v1/incidents/:ref/tasks", writes(201), post("/api/v1/incidents/INC-1/tasks", `{"title":"Add a config check"}`), ""},
		{"GET", "/api/v1/tasks", reads(), path("/api/v1/tasks"), ""},
		{"PATCH", "/api/v1/tasks/:id", writes(200), func(a *accessEnv) (string, string) {
			return fmt.Sprintf("/api/v1/tasks/%d", a.task), `{"owner":"ana"}`
		}, ""},
		{"GET", "/api/v1/open-risks", reads(), path("/api/v1/open-risks"), ""},
		{"GET", "/api/v1/stats", reads(), path("/api/v1/stats"), ""},
		{"GET", "/api/v1/digests", reads(), path("/api/v1/digests"), ""},
		{"GET", "/api/v1/incidents/:ref/postmortem.md", reads(), path("/api/v1/incidents/INC-1/postmortem.md?tz=Europe/Berlin"), ""},
		{"GET", "/api/v1/incidents/:ref/postmortem/checks", reads(), path("/api/v1/incidents/INC-1/postmortem/checks"), ""},
		{"POST", "/api/v1/postmortems/import", writes(201), post("/api/v1/postmortems/import", postmortemDoc), "text/markdown"},

		{"POST", "/hooks/alertmanager", hooks(), post("/hooks/alertmanager", am), ""},
		{"POST", "/hooks/grafana", hooks(), post("/hooks/grafana", grafana), ""},
		{"POST", "/hooks/pagerduty", hooks(), post("/hooks/pagerduty", pd), ""},
		{"POST", "/hooks/generic", hooks(), post("/hooks/generic", `{"title":"Nightly backup failed","severity":"error"}`), ""},

		{"GET", "/api/v1/tokens", adminOnly(200), path("/api/v1/tokens"), ""},
		{"POST", "/api/v1/tokens", adminOnly(201), post("/api/v1/tokens", `{"name":"ci","role":"viewer"}`), ""},
		{"DELETE", "/api/v1/tokens/:id", adminOnly(204), func(a *accessEnv) (string, string) {
			_, tok, err := a.store.CreateToken(context.Background(), "to revoke", incident.RoleViewer)
			if err != nil {
				a.t.Fatal(err)
			}
			return fmt.Sprintf("/api/v1/tokens/%d", tok.ID), ""
		}, ""},
		{"POST", "/api/v1/users", adminOnly(201), func(a *accessEnv) (string, string) {
			a.users++
			return "/api/v1/users", fmt.Sprintf(`{"email":"user%d@example.com","role":"viewer","password":"correct horse battery"}`, a.users)
		}, ""},
	}
}

// postmortemDoc is a small postmortem to import.
const postmortemDoc = "# Postmortem: Cache outage\n\n## Issue Summary\n\nThe API returned errors for 30 minutes.\n\n" +
	"## Timeline\n\n- **10:00 AM (UTC):** Alert fired\n- **10:30 AM (UTC):** Rolled back\n"

// send is env.do with a content type of the case's choosing.
func (a *accessEnv) send(role incident.Role, method, target, body, contentType string) *httptest.ResponseRecorder {
	a.t.Helper()
	req := httptest.NewRequest(method, target, strings.NewReader(body))
	if body != "" {
		if contentType == "" {
			contentType = "application/json"
		}
		req.Header.Set("Content-Type", contentType)
	}
	if role != "" {
		req.Header.Set("Authorization", "Bearer "+a.tokens[role])
	}
	w := httptest.NewRecorder()
	a.server.ServeHTTP(w, req)
	return w
}

// changes counts the rows a request could add or change, to check that a
// refused one wrote nothing.
func (a *accessEnv) changes() string {
	a.t.Helper()
	var b strings.Builder
	for _, q := range []string{"SELECT COUNT(*) FROM incidents", "SELECT COALESCE(SUM(version), 0) FROM incidents",
		"SELECT COUNT(*) FROM events", "SELECT COUNT(*) FROM alerts", "SELECT COUNT(*) FROM tasks",
		"SELECT COUNT(*) FROM root_causes", "SELECT COUNT(*) FROM users", "SELECT COUNT(*) FROM api_tokens",
		"SELECT COUNT(*) FROM api_tokens WHERE revoked_at IS NOT NULL", "SELECT COUNT(*) FROM audit_log",
		"SELECT COALESCE(MAX(updated_at), '') FROM tasks"} {
		var v string
		if err := a.store.QueryRow(context.Background(), q, &v); err != nil {
			a.t.Fatal(err)
		}
		b.WriteString(v + " ")
	}
	return b.String()
}

// TestAccess sends a request to every route of the server as every kind of
// caller and checks the exact status; a refused request changes nothing.
// A route the server has and the table does not fails the test: whoever
// adds a route says here who may use it.
func TestAccess(t *testing.T) {
	a := newAccessEnv(t)
	table := accessTable(t)
	listed := map[string]bool{}
	for _, c := range table {
		key := c.method + " " + c.route
		if listed[key] {
			t.Fatalf("%s is in the access table twice", key)
		}
		listed[key] = true
		for _, who := range callers {
			if _, ok := c.access[who]; !ok {
				t.Fatalf("%s: no status for caller %q", key, who)
			}
		}
	}
	served := map[string]bool{}
	for _, r := range a.server.Routes() {
		key := r.Method + " " + r.Path
		served[key] = true
		if !listed[key] {
			t.Errorf("route %s has no row in the access table: say who may use it", key)
		}
	}
	for key := range listed {
		if !served[key] {
			t.Errorf("the access table lists %s, which the server does not serve", key)
		}
	}

	pairs := 0
	for _, c := range table {
		for _, who := range callers {
			name := string(who)
			if name == "" {
				name = "nobody"
			}
			t.Run(c.method+" "+c.route+" as "+name, func(t *testing.T) {
				a.t = t
				p, body := c.request(a)
				before := a.changes()
				w := a.send(who, c.method, p, body, c.contentType)
				if want := c.access[who]; w.Code != want {
					t.Fatalf("%s %s as %s: %d, want %d: %s", c.method, p, name, w.Code, want, w.Body)
				}
				if w.Code >= 400 {
					if after := a.changes(); after != before {
						t.Fatalf("refused with %d but changed the database: %s -> %s", w.Code, before, after)
					}
				}
				if w.Code == 401 && w.Header().Get("WWW-Authenticate") == "" {
					t.Errorf("401 without WWW-Authenticate")
				}
			})
			pairs++
		}
	}
	a.t = t
	t.Logf("%d route-caller pairs checked: %d routes × %d callers", pairs, len(table), len(callers))
}
