package web_test

import (
	"encoding/json"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"hindsight/internal/incident"
	"hindsight/internal/store"
	"hindsight/internal/store/storetest"
)

func fixture(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "..", "shared", "fixtures", "postmortems", "api-cache-outage.md"))
	if err != nil {
		t.Fatalf("the example postmortem lies in shared/fixtures beside the repository: %v", err)
	}
	return string(b)
}

func nonBlankLines(s string) []string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.TrimSpace(l) != "" {
			out = append(out, l)
		}
	}
	return out
}

func (e *env) send(role incident.Role, method, path, contentType, body string) *httptest.ResponseRecorder {
	e.t.Helper()
	req := httptest.NewRequest(method, path, strings.NewReader(body))
	req.Header.Set("Content-Type", contentType)
	req.Header.Set("Authorization", "Bearer "+e.tokens[role])
	w := httptest.NewRecorder()
	e.server.ServeHTTP(w, req)
	return w
}

func TestPostmortemRoundTripOverHTTP(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		e := newEnv(t, st)
		src := fixture(t)
		w := e.send(incident.RoleEditor, "POST", "/api/v1/postmortems/import", "text/markdown; charset=utf-8", src)
		var got struct {
			incident.Incident
			Warnings []struct{ Message string }
		}
		json.Unmarshal(w.Body.Bytes(), &got)
		if w.Code != 201 || got.Ref != "INC-1" || got.Title != "Outage Incident - Service Unavailability" {
			t.Fatalf("import: %d %s", w.Code, w.Body)
		}
		if w.Header().Get("Location") != "/api/v1/incidents/INC-1" {
			t.Errorf("Location = %q", w.Header().Get("Location"))
		}

		w = e.do(incident.RoleViewer, "GET", "/api/v1/incidents/INC-1/postmortem.md?download=1", "")
		if w.Code != 200 || w.Header().Get("Content-Type") != "text/markdown; charset=utf-8" {
			t.Fatalf("export: %d %v", w.Code, w.Header())
		}
		if cd := w.Header().Get("Content-Disposition"); cd != `attachment; filename=INC-1-postmortem.md` {
			t.Errorf("Content-Disposition = %q", cd)
		}
		want, have := nonBlankLines(src), nonBlankLines(w.Body.String())
		if strings.Join(want, "\n") != strings.Join(have, "\n") {
			t.Fatalf("export differs from the imported document:\n--- want\n%s\n--- have\n%s", strings.Join(want, "\n"), strings.Join(have, "\n"))
		}

		w = e.do(incident.RoleViewer, "GET", "/api/v1/incidents/INC-1/postmortem.md?template=sre&tz=Europe/Berlin", "")
		if w.Code != 200 || !strings.Contains(w.Body.String(), "## Action Items") {
			t.Fatalf("sre export: %d %s", w.Code, w.Body)
		}

		var checks struct {
			Complete bool
			Findings []struct{ Severity, Code string }
		}
		w = e.do(incident.RoleViewer, "GET", "/api/v1/incidents/INC-1/postmortem/checks", "")
		json.Unmarshal(w.Body.Bytes(), &checks)
		if w.Code != 200 || len(checks.Findings) == 0 {
			t.Fatalf("checks: %d %s", w.Code, w.Body)
		}
	})
}

func TestPostmortemRefusals(t *testing.T) {
	e := newEnv(t, storetest.SQLite(t))
	e.must(201, "POST", "/api/v1/incidents", `{"title":"Existing"}`, nil)
	for _, tc := range []struct {
		name, method, path, ctype, body string
		role                            incident.Role
		status                          int
		field                           string
	}{
		{"ErrContentType", "POST", "/api/v1/postmortems/import", "application/pdf", "%PDF-1.4", incident.RoleEditor, 415, ""},
		{"ErrBinary", "POST", "/api/v1/postmortems/import", "text/markdown", "\x00\x01\x02\xff\xfe binary", incident.RoleEditor, 415, ""},
		{"ErrEmpty", "POST", "/api/v1/postmortems/import", "text/markdown", "   \n", incident.RoleEditor, 400, ""},
		{"ErrViewerImports", "POST", "/api/v1/postmortems/import", "text/markdown", "# Postmortem: x\n", incident.RoleViewer, 403, ""},
		{"ErrTooLarge", "POST", "/api/v1/postmortems/import", "text/markdown", "# Big\n\n" + strings.Repeat("a", 5<<20), incident.RoleEditor, 413, ""},
		{"ErrTemplate", "GET", "/api/v1/incidents/INC-1/postmortem.md?template=nope", "", "", incident.RoleViewer, 400, "template"},
		{"ErrZone", "GET", "/api/v1/incidents/INC-1/postmortem.md?tz=Mars/Olympus", "", "", incident.RoleViewer, 400, "tz"},
		{"ErrIncident", "GET", "/api/v1/incidents/INC-9/postmortem.md", "", "", incident.RoleViewer, 404, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := e.send(tc.role, tc.method, tc.path, tc.ctype, tc.body)
			var got apiError
			json.Unmarshal(w.Body.Bytes(), &got)
			if w.Code != tc.status || got.Error.Field != tc.field {
				t.Fatalf("got %d %s, want %d field %q", w.Code, w.Body, tc.status, tc.field)
			}
		})
	}
	var page struct{ Items []incident.Incident }
	e.must(200, "GET", "/api/v1/incidents", "", &page)
	if len(page.Items) != 1 {
		t.Fatalf("refused imports created incidents: %d", len(page.Items))
	}
}
