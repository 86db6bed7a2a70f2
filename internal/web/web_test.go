package web_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"

	"hindsight/internal/incident"
	"hindsight/internal/store"
	"hindsight/internal/store/storetest"
	"hindsight/internal/web"
)

// env is a server over a real store with one token per role.
type env struct {
	t      testing.TB
	store  *store.Store
	server *web.Server
	tokens map[incident.Role]string
}

func newEnv(t testing.TB, st *store.Store) *env {
	t.Helper()
	e := &env{t: t, store: st, tokens: map[incident.Role]string{}}
	e.server = web.New(st, web.Config{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	for _, r := range []incident.Role{incident.RoleAdmin, incident.RoleEditor, incident.RoleViewer, incident.RoleWebhook} {
		secret, _, err := st.CreateToken(context.Background(), string(r), r)
		if err != nil {
			t.Fatal(err)
		}
		e.tokens[r] = secret
	}
	return e
}

// do sends a request as role ("" for none) with a JSON body ("" for none).
func (e *env) do(role incident.Role, method, path, body string) *httptest.ResponseRecorder {
	e.t.Helper()
	var r io.Reader
	if body != "" {
		r = strings.NewReader(body)
	}
	req := httptest.NewRequest(method, path, r)
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if role != "" {
		req.Header.Set("Authorization", "Bearer "+e.tokens[role])
	}
	w := httptest.NewRecorder()
	e.server.ServeHTTP(w, req)
	return w
}

// must sends the request as an editor and decodes the answer into out,
// failing unless the status is want.
func (e *env) must(want int, method, path, body string, out any) {
	e.t.Helper()
	w := e.do(incident.RoleEditor, method, path, body)
	if w.Code != want {
		e.t.Fatalf("%s %s: status %d, want %d: %s", method, path, w.Code, want, w.Body)
	}
	if out != nil {
		if err := json.Unmarshal(w.Body.Bytes(), out); err != nil {
			e.t.Fatalf("%s %s: decode %s: %v", method, path, w.Body, err)
		}
	}
}

type apiError struct {
	Error struct {
		Code, Message, Field string
	}
}

func TestIncidentLifecycle(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		e := newEnv(t, st)
		var inc incident.Incident
		w := e.do(incident.RoleEditor, "POST", "/api/v1/incidents",
			`{"title":"API server overloaded","severity":"SEV2","services":["api"],"started_at":"2024-01-25T10:00:00Z","commander":"ana"}`)
		if w.Code != 201 || w.Header().Get("Location") != "/api/v1/incidents/INC-1" {
			t.Fatalf("create: %d %s %s", w.Code, w.Header().Get("Location"), w.Body)
		}
		json.Unmarshal(w.Body.Bytes(), &inc)
		if inc.Ref != "INC-1" || inc.Version != 1 || inc.Status != incident.StatusInvestigating {
			t.Fatalf("created %+v", inc)
		}

		var ev incident.Event
		e.must(201, "POST", "/api/v1/incidents/INC-1/events", `{"at":"2024-01-25T10:15:00Z","kind":"notification","text":"Engineering team notified"}`, &ev)
		if !ev.Highlight || ev.Source != incident.SourceManual || ev.Author != "token:editor" {
			t.Errorf("manual entry defaults: %+v", ev)
		}
		e.must(200, "PATCH", fmt.Sprintf("/api/v1/incidents/INC-1/events/%d", ev.ID), `{"text":"Engineering team paged"}`, &ev)
		if ev.Text != "Engineering team paged" {
			t.Errorf("patched event %+v", ev)
		}
		var gone incident.Event
		e.must(201, "POST", "/api/v1/incidents/inc-1/events", `{"at":"2024-01-25T11:00:00Z","text":"Suspected the database","highlight":false}`, &gone)
		e.must(204, "DELETE", fmt.Sprintf("/api/v1/incidents/INC-1/events/%d", gone.ID), "", nil)

		var rc incident.RootCause
		e.must(201, "POST", "/api/v1/incidents/INC-1/root-causes", fmt.Sprintf(`{"description":"Cache misconfiguration","category":"configuration","primary":true,"evidence":[%d]}`, ev.ID), &rc)
		var task incident.Task
		e.must(201, "POST", "/api/v1/incidents/INC-1/tasks", fmt.Sprintf(`{"title":"Validate cache config","owner":"ana","due_at":"2024-02-01T00:00:00Z","root_cause_id":%d}`, rc.ID), &task)
		e.must(200, "PATCH", fmt.Sprintf("/api/v1/tasks/%d", task.ID), `{"status":"done"}`, &task)
		if task.CompletedAt == nil {
			t.Errorf("done task has no completed_at: %+v", task)
		}

		e.must(200, "PATCH", "/api/v1/incidents/INC-1", `{"version":1,"status":"resolved","resolved_at":"2024-01-25T14:00:00Z","mitigated_at":"2024-01-25T13:00:00Z","acknowledged_at":"2024-01-25T10:15:00Z"}`, &inc)
		if inc.Version != 2 || inc.ResolvedAt == nil || inc.ResolvedAt.Format("15:04") != "14:00" {
			t.Fatalf("resolved: %+v", inc)
		}

		var d incident.Detail
		e.must(200, "GET", "/api/v1/incidents/INC-1", "", &d)
		if len(d.Events) != 2 || d.Events[0].Text != "Engineering team paged" || d.Events[1].Kind != incident.KindStatus {
			t.Errorf("timeline: %+v", d.Events)
		}
		if len(d.RootCauses) != 1 || len(d.Tasks) != 1 || d.Tasks[0].Status != incident.TaskDone || d.Alerts == nil {
			t.Errorf("detail: %+v", d)
		}
		var tasks struct{ Items []incident.Task }
		e.must(200, "GET", "/api/v1/tasks?status=done&owner=ana&incident=INC-1", "", &tasks)
		if len(tasks.Items) != 1 || tasks.Items[0].IncidentRef != "INC-1" {
			t.Errorf("tasks: %+v", tasks)
		}
		e.must(200, "GET", "/api/v1/tasks?overdue=true", "", &tasks)
		if len(tasks.Items) != 0 {
			t.Errorf("a done task is overdue: %+v", tasks)
		}
	})
}

func TestListIncidentsAPI(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		e := newEnv(t, st)
		for i := range 5 {
			sev := "SEV3"
			if i == 2 {
				sev = "SEV1"
			}
			e.must(201, "POST", "/api/v1/incidents", fmt.Sprintf(`{"title":"Outage %d","severity":"%s","services":["svc-%d"],"started_at":"2024-01-2%dT10:00:00Z"}`, i, sev, i%2, i), nil)
		}
		var page struct {
			Items      []incident.Incident
			NextCursor string `json:"next_cursor"`
		}
		e.must(200, "GET", "/api/v1/incidents?limit=2", "", &page)
		if len(page.Items) != 2 || page.Items[0].Title != "Outage 4" || page.NextCursor == "" {
			t.Fatalf("first page: %+v", page)
		}
		e.must(200, "GET", "/api/v1/incidents?limit=2&cursor="+page.NextCursor, "", &page)
		if len(page.Items) != 2 || page.Items[0].Title != "Outage 2" {
			t.Fatalf("second page: %+v", page)
		}
		e.must(200, "GET", "/api/v1/incidents?severity=SEV1", "", &page)
		if len(page.Items) != 1 || page.Items[0].Title != "Outage 2" || page.NextCursor != "" {
			t.Fatalf("severity filter: %+v", page)
		}
		e.must(200, "GET", "/api/v1/incidents?service=svc-1&q=outage", "", &page)
		if len(page.Items) != 2 {
			t.Fatalf("service+q filter: %+v", page)
		}
		e.must(200, "GET", "/api/v1/incidents?status=resolved", "", &page)
		if len(page.Items) != 0 || page.Items == nil {
			t.Fatalf("empty list must be [], got %+v", page)
		}
	})
}

// TestRefusals sends bad requests; each must get its status, code and
// field, and none may change anything.
func TestRefusals(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		e := newEnv(t, st)
		e.must(201, "POST", "/api/v1/incidents", `{"title":"Existing","started_at":"2024-01-25T10:00:00Z"}`, nil)
		before := e.do(incident.RoleEditor, "GET", "/api/v1/incidents/INC-1", "").Body.String()

		cases := []struct {
			name, method, path, body string
			role                     incident.Role
			status                   int
			code, field              string
		}{
			{"ErrTitleRequired", "POST", "/api/v1/incidents", `{"severity":"SEV1"}`, incident.RoleEditor, 400, "invalid", "title"},
			{"ErrTitleTooLong", "POST", "/api/v1/incidents", `{"title":"` + strings.Repeat("x", 201) + `"}`, incident.RoleEditor, 400, "invalid", "title"},
			{"ErrSeverity", "POST", "/api/v1/incidents", `{"title":"x","severity":"SEV5"}`, incident.RoleEditor, 400, "invalid", "severity"},
			{"ErrStatus", "POST", "/api/v1/incidents", `{"title":"x","status":"panicking"}`, incident.RoleEditor, 400, "invalid", "status"},
			{"ErrUnknownField", "POST", "/api/v1/incidents", `{"title":"x","ref":"INC-99"}`, incident.RoleEditor, 400, "invalid", "ref"},
			{"ErrWrongType", "POST", "/api/v1/incidents", `{"title":"x","services":"api"}`, incident.RoleEditor, 400, "invalid", "services"},
			{"ErrBadTime", "POST", "/api/v1/incidents", `{"title":"x","started_at":"10:00"}`, incident.RoleEditor, 400, "invalid", "started_at"},
			{"ErrMalformed", "POST", "/api/v1/incidents", `{"title":`, incident.RoleEditor, 400, "invalid", ""},
			{"ErrNotObject", "POST", "/api/v1/incidents", `["title"]`, incident.RoleEditor, 400, "invalid", ""},
			{"ErrEmpty", "POST", "/api/v1/incidents", ` `, incident.RoleEditor, 400, "invalid", ""},
			{"ErrOrder", "POST", "/api/v1/incidents", `{"title":"x","started_at":"2024-01-25T10:00:00Z","resolved_at":"2024-01-25T09:00:00Z"}`, incident.RoleEditor, 422, "unprocessable", "resolved_at"},
			{"ErrPatchNoVersion", "PATCH", "/api/v1/incidents/INC-1", `{"title":"y"}`, incident.RoleEditor, 400, "invalid", "version"},
			{"ErrPatchStale", "PATCH", "/api/v1/incidents/INC-1", `{"version":7,"title":"y"}`, incident.RoleEditor, 409, "conflict", "version"},
			{"ErrPatchOrder", "PATCH", "/api/v1/incidents/INC-1", `{"version":1,"detected_at":"2024-01-25T09:00:00Z"}`, incident.RoleEditor, 422, "unprocessable", "detected_at"},
			{"ErrPatchNullTitle", "PATCH", "/api/v1/incidents/INC-1", `{"version":1,"title":null}`, incident.RoleEditor, 400, "invalid", "title"},
			{"ErrEventText", "POST", "/api/v1/incidents/INC-1/events", `{"text":""}`, incident.RoleEditor, 400, "invalid", "text"},
			{"ErrEventKind", "POST", "/api/v1/incidents/INC-1/events", `{"text":"x","kind":"rumour"}`, incident.RoleEditor, 400, "invalid", "kind"},
			{"ErrEventHighlightType", "POST", "/api/v1/incidents/INC-1/events", `{"text":"x","highlight":"yes"}`, incident.RoleEditor, 400, "invalid", "highlight"},
			{"ErrEventIncident", "POST", "/api/v1/incidents/INC-404/events", `{"text":"x"}`, incident.RoleEditor, 404, "not_found", ""},
			{"ErrEventID", "PATCH", "/api/v1/incidents/INC-1/events/abc", `{"text":"x"}`, incident.RoleEditor, 404, "not_found", ""},
			{"ErrRootCauseCategory", "POST", "/api/v1/incidents/INC-1/root-causes", `{"description":"x","category":"bad luck"}`, incident.RoleEditor, 400, "invalid", "category"},
			{"ErrEvidence", "POST", "/api/v1/incidents/INC-1/root-causes", `{"description":"x","evidence":[424242]}`, incident.RoleEditor, 400, "invalid", "evidence"},
			{"ErrTaskPriority", "POST", "/api/v1/incidents/INC-1/tasks", `{"title":"x","priority":"P0"}`, incident.RoleEditor, 400, "invalid", "priority"},
			{"ErrTaskURL", "POST", "/api/v1/incidents/INC-1/tasks", `{"title":"x","external_url":"javascript:alert(1)"}`, incident.RoleEditor, 400, "invalid", "external_url"},
			{"ErrTaskMissing", "PATCH", "/api/v1/tasks/4242", `{"status":"done"}`, incident.RoleEditor, 404, "not_found", ""},
			{"ErrListStatus", "GET", "/api/v1/incidents?status=bogus", "", incident.RoleViewer, 400, "invalid", "status"},
			{"ErrListLimit", "GET", "/api/v1/incidents?limit=-3", "", incident.RoleViewer, 400, "invalid", "limit"},
			{"ErrListCursor", "GET", "/api/v1/incidents?cursor=zzz", "", incident.RoleViewer, 400, "invalid", "cursor"},
			{"ErrTasksOverdue", "GET", "/api/v1/tasks?overdue=maybe", "", incident.RoleViewer, 400, "invalid", "overdue"},
			{"ErrNoToken", "POST", "/api/v1/incidents", `{"title":"x"}`, "", 401, "unauthorized", ""},
			{"ErrViewerWrites", "POST", "/api/v1/incidents", `{"title":"x"}`, incident.RoleViewer, 403, "forbidden", ""},
			{"ErrWebhookReads", "GET", "/api/v1/incidents", "", incident.RoleWebhook, 403, "forbidden", ""},
			{"ErrWebhookWrites", "POST", "/api/v1/incidents", `{"title":"x"}`, incident.RoleWebhook, 403, "forbidden", ""},
			{"ErrEditorMakesTokens", "POST", "/api/v1/tokens", `{"name":"x","role":"admin"}`, incident.RoleEditor, 403, "forbidden", ""},
			{"ErrTokenRole", "POST", "/api/v1/tokens", `{"name":"x","role":"root"}`, incident.RoleAdmin, 400, "invalid", "role"},
			{"ErrUserPassword", "POST", "/api/v1/users", `{"email":"a@b.c","role":"viewer","password":"short"}`, incident.RoleAdmin, 400, "invalid", "password"},
			{"ErrNoRoute", "GET", "/api/v1/nothing", "", incident.RoleViewer, 404, "not_found", ""},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				w := e.do(tc.role, tc.method, tc.path, tc.body)
				var got apiError
				if err := json.Unmarshal(w.Body.Bytes(), &got); err != nil {
					t.Fatalf("answer is not the JSON error format: %s", w.Body)
				}
				if w.Code != tc.status || got.Error.Code != tc.code || got.Error.Field != tc.field || got.Error.Message == "" {
					t.Fatalf("got %d %+v, want %d %s field %q", w.Code, got.Error, tc.status, tc.code, tc.field)
				}
			})
		}
		t.Run("ErrContentType", func(t *testing.T) {
			req := httptest.NewRequest("POST", "/api/v1/incidents", strings.NewReader(`{"title":"x"}`))
			req.Header.Set("Content-Type", "text/plain")
			req.Header.Set("Authorization", "Bearer "+e.tokens[incident.RoleEditor])
			w := httptest.NewRecorder()
			e.server.ServeHTTP(w, req)
			if w.Code != 415 {
				t.Fatalf("got %d %s", w.Code, w.Body)
			}
		})
		t.Run("ErrTooLarge", func(t *testing.T) {
			big := `{"title":"x","impact":"` + strings.Repeat("a", 2<<20) + `"}`
			w := e.do(incident.RoleEditor, "POST", "/api/v1/incidents", big)
			if w.Code != 413 {
				t.Fatalf("declared length: got %d", w.Code)
			}
			// Without a declared length the limit stops the read itself.
			req := httptest.NewRequest("POST", "/api/v1/incidents", io.MultiReader(strings.NewReader(big)))
			req.ContentLength = -1
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("Authorization", "Bearer "+e.tokens[incident.RoleEditor])
			rec := httptest.NewRecorder()
			e.server.ServeHTTP(rec, req)
			if rec.Code != 413 {
				t.Fatalf("streamed: got %d %s", rec.Code, rec.Body)
			}
		})
		after := e.do(incident.RoleEditor, "GET", "/api/v1/incidents/INC-1", "").Body.String()
		if after != before {
			t.Fatalf("refused requests changed INC-1:\nbefore %s\nafter  %s", before, after)
		}
		var page struct{ Items []incident.Incident }
		e.must(200, "GET", "/api/v1/incidents", "", &page)
		if len(page.Items) != 1 {
			t.Fatalf("refused requests created incidents: %d", len(page.Items))
		}
	})
}

func TestConcurrentCreates(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		e := newEnv(t, st)
		srv := httptest.NewServer(e.server)
		defer srv.Close()
		const n = 100
		refs := make(chan string, n)
		errs := make(chan error, n)
		for i := range n {
			go func() {
				req, _ := http.NewRequest("POST", srv.URL+"/api/v1/incidents", strings.NewReader(fmt.Sprintf(`{"title":"storm %d"}`, i)))
				req.Header.Set("Content-Type", "application/json")
				req.Header.Set("Authorization", "Bearer "+e.tokens[incident.RoleEditor])
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					errs <- err
					return
				}
				defer resp.Body.Close()
				var inc incident.Incident
				json.NewDecoder(resp.Body).Decode(&inc)
				if resp.StatusCode != 201 {
					errs <- fmt.Errorf("status %d", resp.StatusCode)
					return
				}
				refs <- inc.Ref
			}()
		}
		seen := map[string]bool{}
		for range n {
			select {
			case err := <-errs:
				t.Fatal(err)
			case r := <-refs:
				if seen[r] {
					t.Fatalf("ref %s given twice", r)
				}
				seen[r] = true
			}
		}
		if len(seen) != n || !seen["INC-1"] || !seen[fmt.Sprintf("INC-%d", n)] {
			t.Fatalf("refs are not INC-1..INC-%d: %d distinct", n, len(seen))
		}
	})
}

func TestTokensAPI(t *testing.T) {
	e := newEnv(t, storetest.SQLite(t))
	w := e.do(incident.RoleAdmin, "POST", "/api/v1/tokens", `{"name":"alertmanager","role":"webhook"}`)
	var created struct {
		ID    int64
		Token string
	}
	json.Unmarshal(w.Body.Bytes(), &created)
	if w.Code != 201 || !strings.HasPrefix(created.Token, "hst_") {
		t.Fatalf("create token: %d %s", w.Code, w.Body)
	}
	list := e.do(incident.RoleAdmin, "GET", "/api/v1/tokens", "").Body.String()
	if strings.Contains(list, created.Token) || !strings.Contains(list, "alertmanager") {
		t.Fatalf("token list must name tokens without their secret: %s", list)
	}
	if w := e.do(incident.RoleAdmin, "DELETE", fmt.Sprintf("/api/v1/tokens/%d", created.ID), ""); w.Code != 204 {
		t.Fatalf("revoke: %d", w.Code)
	}
	req := httptest.NewRequest("GET", "/api/v1/incidents", nil)
	req.Header.Set("Authorization", "Bearer "+e.tokens[incident.RoleViewer])
	req.SetBasicAuth("anyone", e.tokens[incident.RoleViewer])
	rec := httptest.NewRecorder()
	e.server.ServeHTTP(rec, req)
	if rec.Code != 200 {
		t.Fatalf("basic auth with the token as password: %d", rec.Code)
	}
}

func TestOperationalEndpoints(t *testing.T) {
	e := newEnv(t, storetest.SQLite(t))
	for _, p := range []string{"/healthz", "/readyz"} {
		if w := e.do("", "GET", p, ""); w.Code != 200 {
			t.Errorf("%s: %d", p, w.Code)
		}
	}
	e.do(incident.RoleViewer, "GET", "/api/v1/incidents", "")
	w := e.do("", "GET", "/metrics", "")
	for _, want := range []string{
		`hindsight_http_requests_total{code="200",method="GET",route="/api/v1/incidents"} 1`,
		`hindsight_http_request_duration_seconds_bucket{method="GET",route="/api/v1/incidents"`,
		"hindsight_db_errors_total 0",
	} {
		if !strings.Contains(w.Body.String(), want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
	if csp := w.Header().Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'self'") {
		t.Errorf("CSP = %q", csp)
	}
	e.store.Close()
	if w := e.do("", "GET", "/readyz", ""); w.Code != 503 {
		t.Errorf("readyz with the database closed: %d", w.Code)
	}
}

func TestAuditAPI(t *testing.T) {
	e := newEnv(t, storetest.SQLite(t))
	e.must(201, "POST", "/api/v1/incidents", `{"title":"Cache outage"}`, nil)
	e.must(200, "PATCH", "/api/v1/incidents/INC-1", `{"version":1,"commander":"ana"}`, nil)
	var log struct{ Items []incident.AuditEntry }
	w := e.do(incident.RoleViewer, "GET", "/api/v1/incidents/INC-1/audit", "")
	json.Unmarshal(w.Body.Bytes(), &log)
	if w.Code != 200 || len(log.Items) != 2 || log.Items[1].Actor != "token:editor" || log.Items[1].Changes["commander"].New != "ana" {
		t.Fatalf("audit: %d %s", w.Code, w.Body)
	}
	for _, m := range []string{"POST", "PATCH", "PUT", "DELETE"} {
		if w := e.do(incident.RoleAdmin, m, "/api/v1/incidents/INC-1/audit", `{}`); w.Code != 405 {
			t.Errorf("%s on the audit trail: %d, want 405", m, w.Code)
		}
	}
}

// TestSecretsStoredHashed reads the raw database files: neither a token nor
// a password may be found in them.
func TestSecretsStoredHashed(t *testing.T) {
	path := t.TempDir() + "/h.db"
	st, err := store.Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	e := newEnv(t, st)
	w := e.do(incident.RoleAdmin, "POST", "/api/v1/tokens", `{"name":"grafana","role":"webhook"}`)
	var created struct{ Token string }
	json.Unmarshal(w.Body.Bytes(), &created)
	const password = "correct horse battery staple"
	if w := e.do(incident.RoleAdmin, "POST", "/api/v1/users", `{"email":"ic@example.com","role":"editor","password":"`+password+`"}`); w.Code != 201 {
		t.Fatalf("create user: %d %s", w.Code, w.Body)
	}
	secrets := []string{created.Token, password}
	for _, tok := range e.tokens {
		secrets = append(secrets, tok)
	}
	var raw []byte
	for _, f := range []string{path, path + "-wal"} {
		b, err := os.ReadFile(f)
		if err != nil && !os.IsNotExist(err) {
			t.Fatal(err)
		}
		raw = append(raw, b...)
	}
	if !bytes.Contains(raw, []byte("ic@example.com")) {
		t.Fatal("the test reads the wrong files: the user's email is not in them")
	}
	for _, s := range secrets {
		if s == "" || bytes.Contains(raw, []byte(s)) || bytes.Contains(raw, []byte(strings.TrimPrefix(s, "hst_"))) {
			t.Fatalf("secret %q found in the database files", s)
		}
	}
}

func newServerLoggingTo(st *store.Store, w io.Writer) *web.Server {
	// Debug level: webhook deliveries taken are logged at debug.
	return web.New(st, web.Config{Logger: slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: slog.LevelDebug}))})
}
