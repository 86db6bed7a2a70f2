package web_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"hindsight/internal/incident"
	"hindsight/internal/store/storetest"
	"hindsight/internal/web"
)

// Callers of the access table: a token of each role, a revoked admin
// token, no credentials at all, and a browser session of each role a
// person may have.
const (
	roleRevoked   incident.Role = "revoked"
	roleNobody    incident.Role = ""
	sessionAdmin  incident.Role = "session:admin"
	sessionEditor incident.Role = "session:editor"
	sessionViewer incident.Role = "session:viewer"
)

var callers = []incident.Role{incident.RoleAdmin, incident.RoleEditor, incident.RoleViewer,
	incident.RoleWebhook, incident.RoleFeed, roleRevoked, roleNobody, sessionAdmin, sessionEditor, sessionViewer}

// access is the status each caller gets.
type access map[incident.Role]int

// all gives every caller the same status.
func all(status int) access {
	a := access{}
	for _, c := range callers {
		a[c] = status
	}
	return a
}

// with returns a copy of a with the statuses of m.
func (a access) with(m access) access {
	out := access{}
	for k, v := range a {
		out[k] = v
	}
	for k, v := range m {
		out[k] = v
	}
	return out
}

func public() access { return all(200) }

// api is what the API answers those it does not let in: 403 to tokens of
// other roles, 401 without a token (a session is no token).
func api(admin, editor, viewer, webhook, feed int) access {
	return all(401).with(access{incident.RoleAdmin: admin, incident.RoleEditor: editor, incident.RoleViewer: viewer,
		incident.RoleWebhook: webhook, incident.RoleFeed: feed})
}

// reads: viewers, editors and admins.
func reads() access { return api(200, 200, 200, 403, 403) }

// writes: editors and admins, answering ok.
func writes(ok int) access { return api(ok, ok, 403, 403, 403) }

func adminOnly(ok int) access { return api(ok, 403, 403, 403, 403) }

// hooks: webhook tokens and admins.
func hooks() access { return api(200, 403, 403, 200, 403) }

// feed: whoever reads, and feed tokens.
func feed() access { return api(200, 200, 200, 403, 200) }

// pageReads: signed-in people of any role; everyone else is sent to sign
// in, tokens too.
func pageReads() access {
	return all(http.StatusSeeOther).with(access{sessionAdmin: 200, sessionEditor: 200, sessionViewer: 200})
}

// pageWrites: forms of editors and admins, answering ok; a viewer is
// refused, and a form without a session is refused with 401.
func pageWrites(ok int) access {
	return all(401).with(access{sessionAdmin: ok, sessionEditor: ok, sessionViewer: 403})
}

// adminPageWrites: the forms of the settings page that manage users and
// tokens.
func adminPageWrites(ok int) access {
	return all(401).with(access{sessionAdmin: ok, sessionEditor: 403, sessionViewer: 403})
}

// accessEnv is a server with an incident, a timeline entry, a task and a
// token of every role, one of them revoked.
type accessEnv struct {
	*env
	task   int64
	users  int
	alerts int
	// people are the user ids behind the session callers.
	people map[incident.Role]int64
	asset  string // URL of a static file
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
	a := &accessEnv{env: e, people: map[incident.Role]int64{}}
	for caller, role := range map[incident.Role]incident.Role{sessionAdmin: incident.RoleAdmin,
		sessionEditor: incident.RoleEditor, sessionViewer: incident.RoleViewer} {
		email := string(role) + "@example.com"
		addUser(t, e.store, email, role)
		a.people[caller] = userID(t, e, email)
	}
	addUser(t, e.store, "login@example.com", incident.RoleViewer)
	e.must(201, "POST", "/api/v1/incidents", `{"title":"Access","severity":"SEV2"}`, nil)
	var task incident.Task
	e.must(201, "POST", "/api/v1/incidents/INC-1/tasks", `{"title":"Review access","due_at":"2030-01-01T00:00:00Z"}`, &task)
	a.task = task.ID
	page := a.send(sessionViewer, "GET", "/", "", "").Body.String()
	i := strings.Index(page, `"/static/`)
	if i < 0 {
		t.Fatal("no static file on the incident list")
	}
	a.asset = page[i+1 : i+1+strings.Index(page[i+1:], `"`)]
	return a
}

// person adds a user for one request to use up.
func (a *accessEnv) person() int64 {
	a.t.Helper()
	a.users++
	email := fmt.Sprintf("temp%d@example.com", a.users)
	addUser(a.t, a.store, email, incident.RoleViewer)
	return userID(a.t, a.env, email)
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

// unattachedAlert stores an alert that feeds no incident, for one request
// to attach.
func (a *accessEnv) unattachedAlert() int64 {
	a.t.Helper()
	a.alerts++
	res, err := a.store.IngestAlerts(context.Background(), &incident.AlertBatch{Source: "generic", GroupKey: "access",
		Alerts: []incident.Alert{{Fingerprint: fmt.Sprintf("access-%d", a.alerts), Name: "DiskFilling",
			Status: incident.AlertFiring, StartsAt: time.Now().Add(-time.Minute)}}})
	if err != nil || res.Added != 1 {
		a.t.Fatalf("store an unattached alert: %+v %v", res, err)
	}
	un, err := a.store.UnattachedAlerts(context.Background(), 1)
	if err != nil || len(un) != 1 {
		a.t.Fatalf("unattached alerts: %+v %v", un, err)
	}
	return un[0].ID
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
		{"POST", "/api/v1/incidents/:ref/alerts", writes(200), func(a *accessEnv) (string, string) {
			return "/api/v1/incidents/INC-1/alerts", fmt.Sprintf(`{"alert_ids":[%d]}`, a.unattachedAlert())
		}, ""},
		{"GET", "/api/v1/alerts/unattached", reads(), path("/api/v1/alerts/unattached"), ""},
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
		{"PUT", "/hooks/grafana", hooks(), post("/hooks/grafana", grafana), ""},
		{"POST", "/hooks/pagerduty", hooks(), post("/hooks/pagerduty", pd), ""},
		{"POST", "/hooks/generic", hooks(), post("/hooks/generic", `{"title":"Nightly backup failed","severity":"error"}`), ""},

		{"GET", "/api/v1/incidents/:ref/stream", api(200, 200, 200, 403, 403).with(access{sessionAdmin: 200, sessionEditor: 200, sessionViewer: 200}),
			path("/api/v1/incidents/INC-1/stream"), ""},

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
		{"DELETE", "/api/v1/users/:id", adminOnly(204), func(a *accessEnv) (string, string) {
			return fmt.Sprintf("/api/v1/users/%d", a.person()), ""
		}, ""},

		// The browser pages.
		{"GET", "/static/*file", public(), func(a *accessEnv) (string, string) { return a.asset, "" }, ""},
		{"HEAD", "/static/*file", public(), func(a *accessEnv) (string, string) { return a.asset, "" }, ""},
		{"GET", "/favicon.ico", all(http.StatusMovedPermanently), path("/favicon.ico"), ""},
		{"GET", "/login", all(200).with(access{sessionAdmin: 303, sessionEditor: 303, sessionViewer: 303}), path("/login?next=/tasks"), ""},
		{"POST", "/login", all(303), post("/login", "email=login%40example.com&password=correct+horse+battery+staple"), "form"},
		{"POST", "/logout", all(303), post("/logout", "x=1"), "form"},
		// With users, the set-up link is used up: nobody gets the page.
		{"GET", "/setup", all(404), path("/setup?token=anything"), ""},
		{"POST", "/setup", all(404), post("/setup", "token=anything&email=x%40example.com&password=correct+horse+battery+staple&confirm=correct+horse+battery+staple"), "form"},

		{"GET", "/", pageReads(), path("/"), ""},
		{"GET", "/incidents/new", pageReads(), path("/incidents/new"), ""},
		{"POST", "/incidents", pageWrites(303), post("/incidents", "title=Declared+on+a+page&severity=SEV3"), "form"},
		{"GET", "/incidents/:ref", pageReads(), path("/incidents/INC-1"), ""},
		{"POST", "/incidents/:ref", pageWrites(303), func(a *accessEnv) (string, string) {
			inc, err := a.store.Incident(context.Background(), "INC-1")
			if err != nil {
				a.t.Fatal(err)
			}
			// The form sends the milestones back as it shows them.
			return "/incidents/INC-1", fmt.Sprintf("version=%d&title=Access&severity=SEV2&commander=ana&started_at=%s&detected_at=%s",
				inc.Version, url.QueryEscape(inc.StartedAt.UTC().Format("2006-01-02 15:04")), url.QueryEscape(inc.DetectedAt.UTC().Format("2006-01-02 15:04")))
		}, "form"},
		{"GET", "/incidents/:ref/stream", pageReads(), path("/incidents/INC-1/stream"), ""},
		{"POST", "/incidents/:ref/status", pageWrites(303), func(a *accessEnv) (string, string) {
			return "/incidents/INC-1/status", fmt.Sprintf("version=%d&status=identified", a.version())
		}, "form"},
		{"POST", "/incidents/:ref/events", pageWrites(303), post("/incidents/INC-1/events", "text=Paged+the+database+team"), "form"},
		{"GET", "/incidents/:ref/events/:id", pageReads(), func(a *accessEnv) (string, string) {
			return fmt.Sprintf("/incidents/INC-1/events/%d", a.event()), ""
		}, ""},
		{"POST", "/incidents/:ref/events/:id", pageWrites(303), func(a *accessEnv) (string, string) {
			return fmt.Sprintf("/incidents/INC-1/events/%d", a.event()), "kind=note&text=changed"
		}, "form"},
		{"POST", "/incidents/:ref/events/:id/delete", pageWrites(303), func(a *accessEnv) (string, string) {
			return fmt.Sprintf("/incidents/INC-1/events/%d/delete", a.event()), "sure=1"
		}, "form"},
		{"POST", "/incidents/:ref/root-causes", pageWrites(303), post("/incidents/INC-1/root-causes", "description=Cache+misconfiguration&category=configuration"), "form"},
		{"POST", "/incidents/:ref/tasks", pageWrites(303), post("/incidents/INC-1/tasks", "title=Add+a+config+check"), "form"},
		{"POST", "/incidents/:ref/alerts", pageWrites(303), func(a *accessEnv) (string, string) {
			return "/incidents/INC-1/alerts", fmt.Sprintf("alert_id=%d", a.unattachedAlert())
		}, "form"},
		{"GET", "/incidents/:ref/postmortem", pageReads(), path("/incidents/INC-1/postmortem"), ""},
		{"POST", "/incidents/:ref/postmortem", pageWrites(303), func(a *accessEnv) (string, string) {
			return "/incidents/INC-1/postmortem", fmt.Sprintf("version=%d&postmortem_status=in_review", a.version())
		}, "form"},
		{"GET", "/incidents/:ref/postmortem.md", pageReads(), path("/incidents/INC-1/postmortem.md"), ""},
		{"GET", "/tasks", pageReads(), path("/tasks"), ""},
		{"POST", "/tasks/:id", pageWrites(303), func(a *accessEnv) (string, string) {
			return fmt.Sprintf("/tasks/%d", a.task), "status=in_progress&return=%2Ftasks"
		}, "form"},
		{"GET", "/insights", pageReads(), path("/insights"), ""},
		{"GET", "/settings", pageReads(), path("/settings"), ""},
		{"POST", "/settings/users", adminPageWrites(303), func(a *accessEnv) (string, string) {
			a.users++
			return "/settings/users", fmt.Sprintf("email=page%d%%40example.com&role=viewer&password=correct+horse+battery", a.users)
		}, "form"},
		{"POST", "/settings/users/:id", adminPageWrites(303), func(a *accessEnv) (string, string) {
			return fmt.Sprintf("/settings/users/%d", a.person()), "role=editor"
		}, "form"},
		{"POST", "/settings/users/:id/delete", adminPageWrites(303), func(a *accessEnv) (string, string) {
			return fmt.Sprintf("/settings/users/%d/delete", a.person()), "sure=1"
		}, "form"},
		{"POST", "/settings/tokens", adminPageWrites(303), post("/settings/tokens", "name=ci&role=viewer"), "form"},
		{"POST", "/settings/tokens/:id/revoke", adminPageWrites(303), func(a *accessEnv) (string, string) {
			_, tok, err := a.store.CreateToken(context.Background(), "to revoke", incident.RoleViewer)
			if err != nil {
				a.t.Fatal(err)
			}
			return fmt.Sprintf("/settings/tokens/%d/revoke", tok.ID), "sure=1"
		}, "form"},
	}
}

// postmortemDoc is a small postmortem to import.
const postmortemDoc = "# Postmortem: Cache outage\n\n## Issue Summary\n\nThe API returned errors for 30 minutes.\n\n" +
	"## Timeline\n\n- **10:00 AM (UTC):** Alert fired\n- **10:30 AM (UTC):** Rolled back\n"

// send makes a request as who: with its token, or with a new session of
// its person as a browser on this site would send it. Streams are cut
// short, once they have answered.
func (a *accessEnv) send(who incident.Role, method, target, body, contentType string) *httptest.ResponseRecorder {
	a.t.Helper()
	req := httptest.NewRequest(method, target, strings.NewReader(body))
	if body != "" {
		switch contentType {
		case "":
			contentType = "application/json"
		case "form":
			contentType = "application/x-www-form-urlencoded"
		}
		req.Header.Set("Content-Type", contentType)
	}
	if id, ok := a.people[who]; ok {
		secret, err := a.store.CreateSession(context.Background(), id, time.Hour)
		if err != nil {
			a.t.Fatal(err)
		}
		req.AddCookie(&http.Cookie{Name: "hindsight_session", Value: secret})
		req.Header.Set("Sec-Fetch-Site", "same-origin")
	} else if who != "" {
		req.Header.Set("Authorization", "Bearer "+a.tokens[who])
	}
	if strings.HasSuffix(req.URL.Path, "/stream") {
		ctx, cancel := context.WithTimeout(req.Context(), 100*time.Millisecond)
		defer cancel()
		req = req.WithContext(ctx)
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
			name := strings.ReplaceAll(string(who), ":", " ")
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
				if w.Code == 401 && (strings.HasPrefix(c.route, "/api/") || strings.HasPrefix(c.route, "/hooks/")) && w.Header().Get("WWW-Authenticate") == "" {
					t.Errorf("401 without WWW-Authenticate")
				}
			})
			pairs++
		}
	}
	a.t = t
	t.Logf("%d route-caller pairs checked: %d routes × %d callers", pairs, len(table), len(callers))
}
