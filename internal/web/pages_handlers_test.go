package web_test

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"hindsight/internal/incident"
	"hindsight/internal/store"
	"hindsight/internal/store/storetest"
	"hindsight/internal/web"
)

const testPassword = "correct horse battery staple"

// addUser creates a user with a cheap hash, to keep the tests quick.
func addUser(t testing.TB, st *store.Store, email string, role incident.Role) {
	t.Helper()
	hash, _ := bcrypt.GenerateFromPassword([]byte(testPassword), bcrypt.MinCost)
	if _, err := st.CreateUser(context.Background(), email, role, string(hash)); err != nil {
		t.Fatal(err)
	}
}

// form posts a form as a browser on the same site would, with cookie.
func (e *env) form(cookie *http.Cookie, path string, values url.Values) *httptest.ResponseRecorder {
	e.t.Helper()
	req := httptest.NewRequest("POST", path, strings.NewReader(values.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	req.Header.Set("Origin", "http://example.com")
	if cookie != nil {
		req.AddCookie(cookie)
	}
	w := httptest.NewRecorder()
	e.server.ServeHTTP(w, req)
	return w
}

func (e *env) get(cookie *http.Cookie, path string) *httptest.ResponseRecorder {
	e.t.Helper()
	req := httptest.NewRequest("GET", path, nil)
	if cookie != nil {
		req.AddCookie(cookie)
	}
	w := httptest.NewRecorder()
	e.server.ServeHTTP(w, req)
	return w
}

func sessionCookie(w *httptest.ResponseRecorder) *http.Cookie {
	for _, c := range w.Result().Cookies() {
		if c.Name == "hindsight_session" {
			return c
		}
	}
	return nil
}

// signIn signs a new user of the role in and returns the session cookie.
func (e *env) signIn(email string, role incident.Role) *http.Cookie {
	e.t.Helper()
	addUser(e.t, e.store, email, role)
	w := e.form(nil, "/login", url.Values{"email": {email}, "password": {testPassword}})
	c := sessionCookie(w)
	if w.Code != http.StatusSeeOther || c == nil {
		e.t.Fatalf("sign in: %d %s", w.Code, w.Body)
	}
	return c
}

func TestLogin(t *testing.T) {
	e := newEnv(t, storetest.SQLite(t))
	addUser(t, e.store, "ana@example.com", incident.RoleEditor)
	t.Run("RedirectsToLogin", func(t *testing.T) {
		w := e.get(nil, "/tasks?owner=ana")
		if w.Code != http.StatusSeeOther || w.Header().Get("Location") != "/login?next=%2Ftasks%3Fowner%3Dana" {
			t.Fatalf("%d %s", w.Code, w.Header().Get("Location"))
		}
	})
	t.Run("OK", func(t *testing.T) {
		w := e.form(nil, "/login", url.Values{"email": {"Ana@Example.com"}, "password": {testPassword}, "next": {"/tasks"}})
		c := sessionCookie(w)
		if w.Code != http.StatusSeeOther || w.Header().Get("Location") != "/tasks" || c == nil {
			t.Fatalf("%d %v", w.Code, w.Header())
		}
		if !c.HttpOnly || c.SameSite != http.SameSiteLaxMode || c.Secure {
			t.Errorf("cookie over http: %+v", c)
		}
		if w := e.get(c, "/"); w.Code != 200 || !strings.Contains(w.Body.String(), "ana@example.com") {
			t.Fatalf("signed-in list: %d", w.Code)
		}
		w = e.form(c, "/logout", nil)
		if w.Code != http.StatusSeeOther {
			t.Fatalf("sign out: %d", w.Code)
		}
		if w := e.get(c, "/"); w.Code != http.StatusSeeOther {
			t.Fatalf("the session outlived sign-out: %d", w.Code)
		}
	})
	t.Run("SecureBehindHTTPS", func(t *testing.T) {
		req := httptest.NewRequest("POST", "/login", strings.NewReader(url.Values{"email": {"ana@example.com"}, "password": {testPassword}}.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("X-Forwarded-Proto", "https")
		w := httptest.NewRecorder()
		e.server.ServeHTTP(w, req)
		if c := sessionCookie(w); c == nil || !c.Secure {
			t.Fatalf("cookie behind https: %+v", c)
		}
	})
	t.Run("ErrNoOpenRedirect", func(t *testing.T) {
		for _, next := range []string{"https://evil.example/", "//evil.example/x", "/\\evil.example"} {
			w := e.form(nil, "/login", url.Values{"email": {"ana@example.com"}, "password": {testPassword}, "next": {next}})
			if loc := w.Header().Get("Location"); loc != "/" {
				t.Errorf("next=%s went to %s", next, loc)
			}
		}
	})
	t.Run("ErrWrongPassword", func(t *testing.T) {
		w := e.form(nil, "/login", url.Values{"email": {"ana@example.com"}, "password": {"guess"}})
		if w.Code != http.StatusUnauthorized || sessionCookie(w) != nil {
			t.Fatalf("%d", w.Code)
		}
		body := w.Body.String()
		if !strings.Contains(body, "Wrong email or password.") || !strings.Contains(body, `value="ana@example.com"`) || strings.Contains(body, "guess") {
			t.Fatalf("the form must come back with the email and without the password: %s", body)
		}
	})
	t.Run("ErrUnknownUser", func(t *testing.T) {
		w := e.form(nil, "/login", url.Values{"email": {"nobody@example.com"}, "password": {"guess"}})
		if w.Code != http.StatusUnauthorized || !strings.Contains(w.Body.String(), "Wrong email or password.") {
			t.Fatalf("%d", w.Code)
		}
	})
}

// TestLoginThrottle: the 6th failed sign-in for an account within five
// minutes gets 429, on whichever replica it lands, because the count is in
// the database.
func TestLoginThrottle(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		a := newEnv(t, st)
		b := &env{t: t, store: st, server: web.New(st, web.Config{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})}
		addUser(t, st, "ana@example.com", incident.RoleEditor)
		bad := url.Values{"email": {"ana@example.com"}, "password": {"wrong"}}
		for i, replica := range []*env{a, b, a, b, a} {
			if w := replica.form(nil, "/login", bad); w.Code != http.StatusUnauthorized {
				t.Fatalf("failure %d: %d", i+1, w.Code)
			}
		}
		w := b.form(nil, "/login", bad)
		if w.Code != http.StatusTooManyRequests || w.Header().Get("Retry-After") == "" {
			t.Fatalf("6th failure: %d", w.Code)
		}
		// Even the right password waits: otherwise the answer would tell a
		// guesser when a guess was right.
		good := url.Values{"email": {"ana@example.com"}, "password": {testPassword}}
		if w := a.form(nil, "/login", good); w.Code != http.StatusTooManyRequests {
			t.Fatalf("right password while throttled: %d", w.Code)
		}
		if w := a.form(nil, "/login", url.Values{"email": {"bob@example.com"}, "password": {"wrong"}}); w.Code != http.StatusUnauthorized {
			t.Fatalf("another account is not throttled: %d", w.Code)
		}
		st.Now = func() time.Time { return time.Now().Add(6 * time.Minute) }
		defer func() { st.Now = time.Now }()
		if w := a.form(nil, "/login", good); w.Code != http.StatusSeeOther {
			t.Fatalf("after five minutes: %d", w.Code)
		}
	})
}

func TestSetupLink(t *testing.T) {
	e := newEnv(t, storetest.SQLite(t))
	link, err := e.server.SetupLink(context.Background(), "http://127.0.0.1:8080")
	if err != nil || !strings.HasPrefix(link, "http://127.0.0.1:8080/setup?token=") {
		t.Fatalf("%q %v", link, err)
	}
	path := strings.TrimPrefix(link, "http://127.0.0.1:8080")
	token := path[strings.Index(path, "=")+1:]
	if w := e.get(nil, path); w.Code != 200 || !strings.Contains(w.Body.String(), "Create admin account") {
		t.Fatalf("set-up page: %d", w.Code)
	}
	t.Run("ErrShortPassword", func(t *testing.T) {
		w := e.form(nil, "/setup", url.Values{"token": {token}, "email": {"root@example.com"}, "password": {"short"}, "confirm": {"short"}})
		if w.Code != http.StatusBadRequest || !strings.Contains(w.Body.String(), "at least 12") || !strings.Contains(w.Body.String(), `value="root@example.com"`) {
			t.Fatalf("%d %s", w.Code, w.Body)
		}
	})
	w := e.form(nil, "/setup", url.Values{"token": {token}, "email": {"root@example.com"}, "password": {testPassword}, "confirm": {testPassword}})
	if w.Code != http.StatusSeeOther || sessionCookie(w) == nil {
		t.Fatalf("set up: %d %s", w.Code, w.Body)
	}
	if w := e.get(sessionCookie(w), "/settings"); !strings.Contains(w.Body.String(), "Users and roles") {
		t.Fatal("the first user is not an admin")
	}
	if w := e.get(nil, path); w.Code != http.StatusNotFound {
		t.Fatalf("the link works twice: %d", w.Code)
	}
	if again, _ := e.server.SetupLink(context.Background(), "http://x"); again != "" {
		t.Fatalf("a set-up link although a user exists: %s", again)
	}
}

// TestCrossSiteRefused: a form posted from another site is refused before
// it changes anything, even with a valid session cookie.
func TestCrossSiteRefused(t *testing.T) {
	e := newEnv(t, storetest.SQLite(t))
	c := e.signIn("ana@example.com", incident.RoleEditor)
	e.must(201, "POST", "/api/v1/incidents", `{"title":"Outage"}`, nil)
	for name, headers := range map[string]map[string]string{
		"SecFetchSite":        {"Sec-Fetch-Site": "cross-site"},
		"SameSiteOtherOrigin": {"Sec-Fetch-Site": "same-site"},
		"Origin":              {"Origin": "https://evil.example"},
	} {
		t.Run(name, func(t *testing.T) {
			req := httptest.NewRequest("POST", "/incidents/INC-1/events", strings.NewReader("text=forged"))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			for k, v := range headers {
				req.Header.Set(k, v)
			}
			req.AddCookie(c)
			w := httptest.NewRecorder()
			e.server.ServeHTTP(w, req)
			if w.Code != http.StatusForbidden || !strings.Contains(w.Body.String(), "refused") {
				t.Fatalf("%d %s", w.Code, w.Body)
			}
		})
	}
	var d incident.Detail
	e.must(200, "GET", "/api/v1/incidents/INC-1", "", &d)
	if len(d.Events) != 0 {
		t.Fatalf("a refused request wrote: %+v", d.Events)
	}
	t.Run("NoStateChangeOnGet", func(t *testing.T) {
		if w := e.get(c, "/logout"); w.Code == http.StatusSeeOther {
			t.Fatal("GET /logout signed out")
		}
		if w := e.get(c, "/"); w.Code != 200 {
			t.Fatalf("session gone after a GET: %d", w.Code)
		}
	})
}

func TestForms(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		e := newEnv(t, st)
		c := e.signIn("ana@example.com", incident.RoleEditor)
		t.Run("DeclareErrTitleRequired", func(t *testing.T) {
			w := e.form(c, "/incidents", url.Values{"title": {" "}, "severity": {"SEV1"}, "impact": {"Checkout <b>down</b>"}, "services": {"checkout"}})
			body := w.Body.String()
			if w.Code != http.StatusBadRequest || !strings.Contains(body, "title is required") ||
				!strings.Contains(body, "Checkout &lt;b&gt;down&lt;/b&gt;") || !strings.Contains(body, `value="SEV1" selected`) || !strings.Contains(body, `value="checkout"`) {
				t.Fatalf("%d %s", w.Code, body)
			}
		})
		t.Run("DeclareErrStartTime", func(t *testing.T) {
			w := e.form(c, "/incidents", url.Values{"title": {"Checkout down"}, "started_at": {"yesterday-ish"}})
			if w.Code != http.StatusBadRequest || !strings.Contains(w.Body.String(), "is not a time") || !strings.Contains(w.Body.String(), `value="Checkout down"`) {
				t.Fatalf("%d", w.Code)
			}
		})
		t.Run("Declare", func(t *testing.T) {
			w := e.form(c, "/incidents", url.Values{"title": {"Checkout down"}, "severity": {"SEV1"}, "services": {"checkout, payments"}, "started_at": {"-15m"}})
			if w.Code != http.StatusSeeOther || w.Header().Get("Location") != "/incidents/INC-1" {
				t.Fatalf("%d %s", w.Code, w.Body)
			}
			inc, _ := st.Incident(context.Background(), "INC-1")
			if inc.Severity != incident.SEV1 || len(inc.Services) != 2 || time.Since(*inc.StartedAt) < 14*time.Minute || inc.Commander != "" {
				t.Fatalf("%+v", inc)
			}
		})
		t.Run("EntryErrKeepsInput", func(t *testing.T) {
			w := e.form(c, "/incidents/INC-1/events", url.Values{"text": {"Paged the payments team"}, "at": {"half past ten"}, "kind": {"notification"}})
			body := w.Body.String()
			if w.Code != http.StatusBadRequest || !strings.Contains(body, "is not a time") || !strings.Contains(body, "Paged the payments team") ||
				!strings.Contains(body, `value="notification" selected`) {
				t.Fatalf("%d %s", w.Code, body)
			}
		})
		t.Run("Entry", func(t *testing.T) {
			w := e.form(c, "/incidents/INC-1/events", url.Values{"text": {"Paged the payments team"}, "at": {"-5m"}, "kind": {"notification"}, "highlight": {"1"}})
			if w.Code != http.StatusSeeOther {
				t.Fatalf("%d %s", w.Code, w.Body)
			}
			d, _ := st.IncidentDetail(context.Background(), "INC-1")
			ev := d.Events[len(d.Events)-1]
			if ev.Text != "Paged the payments team" || ev.Author != "ana@example.com" || !ev.Highlight || time.Since(ev.At) < 4*time.Minute {
				t.Fatalf("%+v", ev)
			}
		})
		t.Run("StatusErrStale", func(t *testing.T) {
			// A button of a page that had not caught up: back to the page,
			// which says so, not a page at the form's address that a
			// reload would post again.
			w := e.form(c, "/incidents/INC-1/status", url.Values{"status": {"resolved"}, "version": {"0"}})
			if w.Code != http.StatusSeeOther || w.Header().Get("Location") != "/incidents/INC-1" {
				t.Fatalf("%d %s", w.Code, w.Header().Get("Location"))
			}
			page := e.get(c, "/incidents/INC-1").Body.String()
			if !strings.Contains(page, "INC-1 was changed meanwhile and is now investigating: it was not moved to resolved") {
				t.Fatal("no message on the page after a stale status change")
			}
			if inc, _ := st.Incident(context.Background(), "INC-1"); inc.Status != incident.StatusInvestigating || inc.Version != 1 {
				t.Fatalf("a stale status change changed the incident: %s, version %d", inc.Status, inc.Version)
			}
		})
		t.Run("Status", func(t *testing.T) {
			w := e.form(c, "/incidents/INC-1/status", url.Values{"status": {"monitoring"}, "version": {"1"}})
			if w.Code != http.StatusSeeOther {
				t.Fatalf("%d %s", w.Code, w.Body)
			}
		})
		t.Run("DetailsErrOrder", func(t *testing.T) {
			w := e.form(c, "/incidents/INC-1", url.Values{"version": {"2"}, "title": {"Checkout down"}, "severity": {"SEV1"},
				"started_at": {"2020-01-01 10:00"}, "resolved_at": {"2019-01-01 10:00"}, "impact": {"typed impact"}})
			if w.Code != http.StatusUnprocessableEntity || !strings.Contains(w.Body.String(), "typed impact") {
				t.Fatalf("%d %s", w.Code, w.Body)
			}
		})
		t.Run("RootCauseErrRequired", func(t *testing.T) {
			w := e.form(c, "/incidents/INC-1/root-causes", url.Values{"description": {""}, "category": {"code"}})
			if w.Code != http.StatusBadRequest || !strings.Contains(w.Body.String(), "description is required") || !strings.Contains(w.Body.String(), `value="code" selected`) {
				t.Fatalf("%d", w.Code)
			}
		})
		t.Run("RootCauseAndTask", func(t *testing.T) {
			if w := e.form(c, "/incidents/INC-1/root-causes", url.Values{"description": {"Expired certificate"}, "category": {"dependency"}, "primary": {"1"}}); w.Code != http.StatusSeeOther {
				t.Fatalf("%d %s", w.Code, w.Body)
			}
			d, _ := st.IncidentDetail(context.Background(), "INC-1")
			w := e.form(c, "/incidents/INC-1/tasks", url.Values{"title": {"Alert before certificates expire"}, "owner": {"ana"}, "due": {"2020-02-01"},
				"priority": {"P2"}, "kind": {"task"}, "root_cause_id": {itoa(d.RootCauses[0].ID)}})
			if w.Code != http.StatusSeeOther {
				t.Fatalf("%d %s", w.Code, w.Body)
			}
			page := e.get(c, "/tasks?overdue=true").Body.String()
			if !strings.Contains(page, "Alert before certificates expire") || !strings.Contains(page, "overdue") {
				t.Fatalf("overdue task not on /tasks?overdue=true")
			}
			d, _ = st.IncidentDetail(context.Background(), "INC-1")
			w = e.form(c, "/tasks/"+itoa(d.Tasks[0].ID), url.Values{"status": {"done"}, "return": {"/tasks"}})
			if w.Code != http.StatusSeeOther || w.Header().Get("Location") != "/tasks" {
				t.Fatalf("%d %s", w.Code, w.Body)
			}
			if page := e.get(c, "/tasks?status=done").Body.String(); !strings.Contains(page, "is now done") {
				t.Fatal("no flash after the status change")
			}
		})
		t.Run("TaskErrDue", func(t *testing.T) {
			w := e.form(c, "/incidents/INC-1/tasks", url.Values{"title": {"Write runbook"}, "due": {"soon"}})
			if w.Code != http.StatusBadRequest || !strings.Contains(w.Body.String(), "is not a date") || !strings.Contains(w.Body.String(), `value="Write runbook"`) {
				t.Fatalf("%d", w.Code)
			}
		})
		t.Run("EditAndDeleteEntry", func(t *testing.T) {
			d, _ := st.IncidentDetail(context.Background(), "INC-1")
			id := itoa(d.Events[0].ID)
			if w := e.get(c, "/incidents/INC-1/events/"+id); w.Code != 200 || !strings.Contains(w.Body.String(), "Paged the payments team") {
				t.Fatalf("edit page: %d", w.Code)
			}
			w := e.form(c, "/incidents/INC-1/events/"+id, url.Values{"at": {"2024-01-25 10:15"}, "kind": {"escalation"}, "text": {"Escalated to payments"}})
			if w.Code != http.StatusSeeOther {
				t.Fatalf("%d %s", w.Code, w.Body)
			}
			ev, _ := st.Event(context.Background(), d.ID, d.Events[0].ID)
			if ev.Text != "Escalated to payments" || ev.Kind != incident.KindEscalation || ev.Highlight || ev.At.Format(time.RFC3339) != "2024-01-25T10:15:00Z" {
				t.Fatalf("%+v", ev)
			}
			if w := e.form(c, "/incidents/INC-1/events/"+id+"/delete", url.Values{"sure": {"1"}}); w.Code != http.StatusSeeOther {
				t.Fatalf("delete: %d", w.Code)
			}
			if _, err := st.Event(context.Background(), d.ID, d.Events[0].ID); incident.ErrorCode(err) != incident.ENOTFOUND {
				t.Fatalf("deleted entry: %v", err)
			}
		})
		t.Run("PostmortemStatus", func(t *testing.T) {
			inc, _ := st.Incident(context.Background(), "INC-1")
			w := e.form(c, "/incidents/INC-1/postmortem", url.Values{"postmortem_status": {"in_review"}, "version": {itoa(int64(inc.Version))}})
			if w.Code != http.StatusSeeOther {
				t.Fatalf("%d %s", w.Code, w.Body)
			}
			if w := e.form(c, "/incidents/INC-1/postmortem", url.Values{"postmortem_status": {"bogus"}, "version": {itoa(int64(inc.Version + 1))}}); w.Code != http.StatusBadRequest {
				t.Fatalf("bad status: %d", w.Code)
			}
		})
	})
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

func TestPageRoles(t *testing.T) {
	e := newEnv(t, storetest.SQLite(t))
	e.must(201, "POST", "/api/v1/incidents", `{"title":"Outage"}`, nil)
	viewer := e.signIn("vic@example.com", incident.RoleViewer)
	editor := e.signIn("ed@example.com", incident.RoleEditor)
	admin := e.signIn("ada@example.com", incident.RoleAdmin)
	t.Run("ViewerReads", func(t *testing.T) {
		w := e.get(viewer, "/incidents/INC-1")
		if w.Code != 200 || strings.Contains(w.Body.String(), `id="entry-form"`) {
			t.Fatalf("a viewer sees the entry form: %d", w.Code)
		}
		if w := e.form(viewer, "/incidents/INC-1/events", url.Values{"text": {"x"}}); w.Code != http.StatusForbidden {
			t.Fatalf("a viewer wrote: %d", w.Code)
		}
	})
	t.Run("EditorIsNoAdmin", func(t *testing.T) {
		if w := e.form(editor, "/settings/tokens", url.Values{"name": {"x"}, "role": {"admin"}}); w.Code != http.StatusForbidden {
			t.Fatalf("an editor made a token: %d", w.Code)
		}
		if body := e.get(editor, "/settings").Body.String(); strings.Contains(body, "Users and roles") || !strings.Contains(body, "/hooks/alertmanager") {
			t.Fatal("settings for editors")
		}
	})
	t.Run("AdminTokenShownOnce", func(t *testing.T) {
		w := e.form(admin, "/settings/tokens", url.Values{"name": {"alertmanager"}, "role": {"webhook"}})
		if w.Code != http.StatusSeeOther {
			t.Fatalf("%d %s", w.Code, w.Body)
		}
		first := e.get(admin, "/settings").Body.String()
		i := strings.Index(first, `value="hst_`)
		if i < 0 {
			t.Fatal("the new token is not shown")
		}
		secret := first[i+7 : i+7+strings.Index(first[i+7:], `"`)]
		if !strings.Contains(first, "credentials: "+secret) {
			t.Error("the Alertmanager configuration lacks the new token")
		}
		if again := e.get(admin, "/settings").Body.String(); strings.Contains(again, secret) {
			t.Fatal("the token is shown twice")
		}
		tok, err := e.store.TokenBySecret(context.Background(), secret)
		if err != nil || tok.Role != incident.RoleWebhook {
			t.Fatalf("%+v %v", tok, err)
		}
	})
	t.Run("AdminAddsUser", func(t *testing.T) {
		w := e.form(admin, "/settings/users", url.Values{"email": {"new@example.com"}, "role": {"viewer"}, "password": {"short"}})
		if w.Code != http.StatusBadRequest || !strings.Contains(w.Body.String(), `value="new@example.com"`) {
			t.Fatalf("%d", w.Code)
		}
		w = e.form(admin, "/settings/users", url.Values{"email": {"new@example.com"}, "role": {"viewer"}, "password": {testPassword}})
		if w.Code != http.StatusSeeOther {
			t.Fatalf("%d %s", w.Code, w.Body)
		}
	})
}

func TestStaticAssets(t *testing.T) {
	e := newEnv(t, storetest.SQLite(t))
	c := e.signIn("ana@example.com", incident.RoleViewer)
	page := e.get(c, "/").Body.String()
	i := strings.Index(page, "/static/app.")
	css := page[i : i+strings.Index(page[i:], `"`)]
	w := e.get(nil, css)
	if w.Code != 200 || !strings.Contains(w.Header().Get("Cache-Control"), "max-age=31536000") || !strings.HasPrefix(w.Header().Get("Content-Type"), "text/css") {
		t.Fatalf("%s: %d %v", css, w.Code, w.Header())
	}
	if w := e.get(nil, "/static/app.css"); w.Code != 404 {
		t.Fatalf("unhashed name served: %d", w.Code)
	}
	if csp := w.Header().Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'self'") || strings.Contains(csp, "unsafe-inline") {
		t.Fatalf("CSP %q", csp)
	}
}

// TestStreams: an entry added through the API reaches both the API stream
// (bearer token) and the page's stream (session cookie).
func TestStreams(t *testing.T) {
	e := newEnv(t, storetest.SQLite(t))
	c := e.signIn("ana@example.com", incident.RoleViewer)
	e.must(201, "POST", "/api/v1/incidents", `{"title":"Outage"}`, nil)
	srv := httptest.NewServer(e.server)
	defer srv.Close()
	open := func(path string, auth func(*http.Request)) *bufio.Reader {
		req, _ := http.NewRequest("GET", srv.URL+path, nil)
		auth(req)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { resp.Body.Close() })
		if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "text/event-stream" {
			t.Fatalf("%s: %d %s", path, resp.StatusCode, resp.Header.Get("Content-Type"))
		}
		r := bufio.NewReader(resp.Body)
		for { // up to the first blank line: the stream is subscribed
			line, err := r.ReadString('\n')
			if err != nil {
				t.Fatal(err)
			}
			if line == "\n" {
				return r
			}
		}
	}
	api := open("/api/v1/incidents/INC-1/stream", func(r *http.Request) { r.Header.Set("Authorization", "Bearer "+e.tokens[incident.RoleViewer]) })
	page := open("/incidents/INC-1/stream", func(r *http.Request) { r.AddCookie(c) })
	sessionAPI := open("/api/v1/incidents/INC-1/stream", func(r *http.Request) { r.AddCookie(c) })
	e.must(201, "POST", "/api/v1/incidents/INC-1/events", `{"text":"Rolled back"}`, nil)
	next := func(r *bufio.Reader) string {
		done := make(chan string, 1)
		go func() {
			var msg strings.Builder
			for {
				line, err := r.ReadString('\n')
				if err != nil || line == "\n" {
					done <- msg.String()
					return
				}
				msg.WriteString(line)
			}
		}()
		select {
		case m := <-done:
			return m
		case <-time.After(2 * time.Second):
			t.Fatal("no event within 2s")
			return ""
		}
	}
	if m := next(api); !strings.Contains(m, "event: event.created") || !strings.Contains(m, `"text":"Rolled back"`) || !strings.Contains(m, `"incident":"INC-1"`) {
		t.Fatalf("API stream: %q", m)
	}
	if m := next(page); !strings.Contains(m, "event: change") || !strings.Contains(m, `"kind":"event.created"`) {
		t.Fatalf("page stream: %q", m)
	}
	if m := next(sessionAPI); !strings.Contains(m, "Rolled back") {
		t.Fatalf("API stream with a session: %q", m)
	}
	req, _ := http.NewRequest("GET", srv.URL+"/api/v1/incidents/INC-1/stream", nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("stream without credentials: %d", resp.StatusCode)
	}
	// Alerts that join the incident reach its live views as well.
	hook := func(body string) string {
		req, _ := http.NewRequest("POST", srv.URL+"/hooks/alertmanager", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+e.tokens[incident.RoleWebhook])
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var res struct{ Incident string }
		json.NewDecoder(resp.Body).Decode(&res)
		if resp.StatusCode != 200 {
			t.Fatalf("hook: %d", resp.StatusCode)
		}
		return res.Incident
	}
	am := func(fingerprints ...string) string {
		var alerts []string
		for _, fp := range fingerprints {
			alerts = append(alerts, `{"status":"firing","labels":{"alertname":"DiskFull","instance":"`+fp+`","severity":"critical"},"annotations":{},"startsAt":"2024-01-25T10:00:00Z","endsAt":"0001-01-01T00:00:00Z","fingerprint":"`+fp+`"}`)
		}
		return `{"version":"4","status":"firing","receiver":"hindsight","groupKey":"{}:{alertname=\"DiskFull\"}","groupLabels":{"alertname":"DiskFull"},"commonLabels":{},"commonAnnotations":{},"externalURL":"http://am","truncatedAlerts":0,"alerts":[` + strings.Join(alerts, ",") + `]}`
	}
	ref := hook(am("db-1"))
	alertStream := open("/api/v1/incidents/"+ref+"/stream", func(r *http.Request) { r.Header.Set("Authorization", "Bearer "+e.tokens[incident.RoleViewer]) })
	hook(am("db-1", "db-2"))
	if m := next(alertStream); !strings.Contains(m, "event: alerts.received") {
		t.Fatalf("alert stream: %q", m)
	}
	// Closing the server ends the streams, so that shutdown does not wait.
	e.server.CloseStreams()
	if _, err := io.ReadAll(api); err != nil {
		t.Fatalf("stream after close: %v", err)
	}
}

type stubPostmortems struct{}

func (stubPostmortems) Templates() []string { return []string{"default", "brief"} }
func (stubPostmortems) Markdown(d *incident.Detail, tmpl string, loc *time.Location) ([]byte, error) {
	return []byte("# Postmortem: " + d.Title + "\n\nTemplate " + tmpl + ", zone " + loc.String() + "\n"), nil
}
func (stubPostmortems) HTML(md []byte) ([]byte, error) {
	return []byte(`<h1>Postmortem</h1><p onclick="x()">text</p><script>alert(1)</script>` +
		`<ul><li><input type="checkbox" checked disabled> done</li></ul><input type="text" name="x"><a href="javascript:alert(2)">x</a>`), nil
}
func (stubPostmortems) Check(d *incident.Detail) []web.Finding {
	return []web.Finding{{Severity: "error", Field: "impact", Message: "The impact is missing."}}
}

func TestPostmortemPage(t *testing.T) {
	st := storetest.SQLite(t)
	e := &env{t: t, store: st, tokens: map[incident.Role]string{},
		server: web.New(st, web.Config{Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), Postmortems: stubPostmortems{}})}
	c := e.signIn("ana@example.com", incident.RoleEditor)
	if err := st.CreateIncident(context.Background(), &incident.Detail{Incident: incident.Incident{Title: "Cache outage"}}); err != nil {
		t.Fatal(err)
	}
	c2 := &http.Cookie{Name: "tz", Value: "Europe/Berlin"}
	req := httptest.NewRequest("GET", "/incidents/INC-1/postmortem?template=brief", nil)
	req.AddCookie(c)
	req.AddCookie(c2)
	w := httptest.NewRecorder()
	e.server.ServeHTTP(w, req)
	body := w.Body.String()
	if w.Code != 200 || !strings.Contains(body, "<h3>Postmortem</h3>") || !strings.Contains(body, "The impact is missing.") ||
		!strings.Contains(body, `value="brief" selected`) || !strings.Contains(body, "postmortem.md?template=brief") {
		t.Fatalf("%d %s", w.Code, body)
	}
	if strings.Contains(body, "onclick") || strings.Contains(body, "alert(1)") || strings.Contains(body, "javascript:") || strings.Contains(body, `type="text" name="x"`) {
		t.Fatal("the preview was not sanitized")
	}
	if !strings.Contains(body, `<input type="checkbox" checked="" disabled=""`) {
		t.Fatal("the preview lost the task list's checkbox")
	}
	req = httptest.NewRequest("GET", "/incidents/INC-1/postmortem.md?template=brief", nil)
	req.AddCookie(c)
	req.AddCookie(c2)
	w = httptest.NewRecorder()
	e.server.ServeHTTP(w, req)
	if w.Code != 200 || w.Header().Get("Content-Type") != "text/markdown; charset=utf-8" ||
		!strings.Contains(w.Header().Get("Content-Disposition"), `filename="INC-1-postmortem.md"`) ||
		w.Body.String() != "# Postmortem: Cache outage\n\nTemplate brief, zone Europe/Berlin\n" {
		t.Fatalf("download: %d %v %q", w.Code, w.Header(), w.Body)
	}
}
