package web_test

import (
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
	"testing"

	"hindsight/internal/incident"
	"hindsight/internal/store"
	"hindsight/internal/store/storetest"
)

// A root cause whose evidence lists more ids than the database takes as
// parameters of one statement must be refused as bad input naming the
// field, not answered with 500.
func TestRootCauseEvidenceTooManyIDs(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		e := newEnv(t, st)
		e.must(201, "POST", "/api/v1/incidents", `{"title":"Outage"}`, nil)
		ids := make([]string, 70000) // past SQLite's 32766 and PostgreSQL's 65535 parameters
		for i := range ids {
			ids[i] = fmt.Sprint(i + 1)
		}
		body := `{"description":"cache stampede","evidence":[` + strings.Join(ids, ",") + `]}`
		w := e.do(incident.RoleEditor, "POST", "/api/v1/incidents/INC-1/root-causes", body)
		var got apiError
		json.Unmarshal(w.Body.Bytes(), &got)
		if w.Code != 400 || got.Error.Field != "evidence" {
			t.Fatalf("got %d %s, want 400 with field evidence", w.Code, w.Body)
		}
	})
}

// Query parameters that are not UTF-8 are bad input: 400 naming the
// parameter, on every database, not a PostgreSQL error answered as 500.
func TestQueryNotUTF8(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		e := newEnv(t, st)
		e.must(201, "POST", "/api/v1/incidents", `{"title":"Outage","services":["api"]}`, nil)
		for path, field := range map[string]string{
			"/api/v1/incidents?q=%ff": "q", "/api/v1/incidents?service=%ff": "service",
			"/api/v1/incidents?format=csv&q=%ff": "q", "/api/v1/tasks?owner=%ff": "owner",
			"/api/v1/stats?service=%ff": "service", "/api/v1/tasks.ics?owner=%ff": "owner",
		} {
			w := e.do(incident.RoleEditor, "GET", path, "")
			var got apiError
			json.Unmarshal(w.Body.Bytes(), &got)
			if w.Code != 400 || got.Error.Field != field {
				t.Errorf("GET %s: %d %s, want 400 naming %s", path, w.Code, w.Body, field)
			}
		}
	})
}

// started_at cannot be cleared; "0001-01-01T00:00:00Z" (Go's zero time)
// must not clear it either. An incident without a start then breaks the
// list: PostgreSQL sorts it first and the cursor of a page ending on it
// dereferences nil (500); SQLite sorts it last and no cursor reaches it.
func TestPatchZeroStartedAt(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		e := newEnv(t, st)
		e.must(201, "POST", "/api/v1/incidents", `{"title":"A","started_at":"2024-01-25T10:00:00Z"}`, nil)
		e.must(201, "POST", "/api/v1/incidents", `{"title":"B","started_at":"2024-01-26T10:00:00Z"}`, nil)
		w := e.do(incident.RoleEditor, "PATCH", "/api/v1/incidents/INC-1", `{"version":1,"started_at":"0001-01-01T00:00:00Z"}`)
		var got apiError
		json.Unmarshal(w.Body.Bytes(), &got)
		if w.Code != 400 || got.Error.Field != "started_at" {
			t.Errorf("PATCH started_at 0001-01-01: got %d %.200s, want 400 with field started_at", w.Code, w.Body)
		}
		seen := map[string]bool{}
		cursor := ""
		for range 5 {
			var page struct {
				Items      []incident.Incident
				NextCursor string `json:"next_cursor"`
			}
			e.must(200, "GET", "/api/v1/incidents?limit=1&cursor="+url.QueryEscape(cursor), "", &page)
			for _, it := range page.Items {
				seen[it.Ref] = true
			}
			if cursor = page.NextCursor; cursor == "" {
				break
			}
		}
		if !seen["INC-1"] || !seen["INC-2"] {
			t.Fatalf("paging with limit=1 shows %v, want INC-1 and INC-2", seen)
		}
	})
}

// A field that always has a value, named as null in a PATCH, is refused
// naming it, on events and tasks as on incidents: read as its zero value,
// a mitigation would silently become a note and a P1 a P3.
func TestPatchNullRefused(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		e := newEnv(t, st)
		e.must(201, "POST", "/api/v1/incidents", `{"title":"Outage"}`, nil)
		var ev incident.Event
		e.must(201, "POST", "/api/v1/incidents/INC-1/events", `{"text":"Rolled back","kind":"mitigation","highlight":true}`, &ev)
		var task incident.Task
		e.must(201, "POST", "/api/v1/incidents/INC-1/tasks", `{"title":"Fix TTL","kind":"improvement","priority":"P1"}`, &task)
		for _, c := range []struct{ path, body, field string }{
			{fmt.Sprintf("/api/v1/incidents/INC-1/events/%d", ev.ID), `{"kind":null}`, "kind"},
			{fmt.Sprintf("/api/v1/incidents/INC-1/events/%d", ev.ID), `{"highlight":null}`, "highlight"},
			{fmt.Sprintf("/api/v1/tasks/%d", task.ID), `{"priority":null}`, "priority"},
			{fmt.Sprintf("/api/v1/tasks/%d", task.ID), `{"kind":null}`, "kind"},
			{fmt.Sprintf("/api/v1/tasks/%d", task.ID), `{"title":null}`, "title"},
		} {
			w := e.do(incident.RoleEditor, "PATCH", c.path, c.body)
			var got apiError
			json.Unmarshal(w.Body.Bytes(), &got)
			if w.Code != 400 || got.Error.Field != c.field {
				t.Errorf("PATCH %s %s: %d %.200s, want 400 naming %s", c.path, c.body, w.Code, w.Body, c.field)
			}
		}
		var d incident.Detail
		e.must(200, "GET", "/api/v1/incidents/INC-1", "", &d)
		if len(d.Events) != 1 || d.Events[0].Kind != incident.KindMitigation || !d.Events[0].Highlight {
			t.Errorf("after refused patches the entry is %+v", d.Events)
		}
		if len(d.Tasks) != 1 || d.Tasks[0].Priority != "P1" || d.Tasks[0].Kind != "improvement" || d.Tasks[0].Title != "Fix TTL" {
			t.Errorf("after refused patches the task is %+v", d.Tasks)
		}
	})
}

// The list of incidents reads its parameters as the other lists and the
// incidents themselves do: a limit past the most a page holds is refused,
// not cut down unsaid, and a severity in lower case is the same severity.
func TestIncidentListParameters(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		e := newEnv(t, st)
		e.must(201, "POST", "/api/v1/incidents", `{"title":"Outage","severity":"sev1"}`, nil)
		e.must(201, "POST", "/api/v1/incidents", `{"title":"Blip","severity":"SEV4"}`, nil)
		for _, limit := range []string{"0", "501", "x"} {
			w := e.do(incident.RoleViewer, "GET", "/api/v1/incidents?limit="+limit, "")
			var got apiError
			json.Unmarshal(w.Body.Bytes(), &got)
			if w.Code != 400 || got.Error.Field != "limit" {
				t.Errorf("limit=%s: %d %.200s, want 400 naming limit", limit, w.Code, w.Body)
			}
		}
		var page struct{ Items []incident.Incident }
		e.must(200, "GET", "/api/v1/incidents?severity=sev1&limit=500", "", &page)
		if len(page.Items) != 1 || page.Items[0].Title != "Outage" {
			t.Errorf("severity=sev1 lists %+v, want the SEV1 outage alone", page.Items)
		}
	})
}

// A title or a name is one line: line breaks and other control characters
// in it, from a client or an alert's annotations and labels, are folded
// into spaces. Kept, a line break in a title wrote a section of its own
// into the postmortem, and an import of it lost the rest of the title.
func TestOneLineFieldsFolded(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		e := newEnv(t, st)
		var inc incident.Incident
		e.must(201, "POST", "/api/v1/incidents", `{"title":"Outage\n## Timeline\r\n- **10:00 AM (UTC):** injected","commander":"ana\u2028bob","services":["api\ncache"]}`, &inc)
		if inc.Title != "Outage ## Timeline - **10:00 AM (UTC):** injected" || inc.Commander != "ana bob" || len(inc.Services) != 1 || inc.Services[0] != "api cache" {
			t.Fatalf("stored %q, commander %q, services %q", inc.Title, inc.Commander, inc.Services)
		}
		w := e.do(incident.RoleViewer, "GET", "/api/v1/incidents/INC-1/postmortem.md", "")
		if n := strings.Count(w.Body.String(), "\n## Timeline\n"); w.Code != 200 || n != 1 || !strings.HasPrefix(w.Body.String(), "# Postmortem: Outage ## Timeline - ") {
			t.Fatalf("postmortem (%d, %d timeline sections):\n%.300s", w.Code, n, w.Body)
		}
		if w := e.do(incident.RoleWebhook, "POST", "/hooks/generic", `{"title":"Disk\nfilling","severity":"critical","fingerprint":"disk-1","service":"db\n1"}`); w.Code != 200 {
			t.Fatalf("generic alert: %d %s", w.Code, w.Body)
		}
		var opened incident.Incident
		e.must(200, "GET", "/api/v1/incidents/INC-2", "", &opened)
		if opened.Title != "Disk filling" || len(opened.Services) != 1 || opened.Services[0] != "db 1" {
			t.Fatalf("opened by the webhook: title %q, services %q", opened.Title, opened.Services)
		}
	})
}

// A body that names a field twice, or is not UTF-8, is refused: read as
// encoding/json reads it, the last value would win where a check in front
// may have read the first, and each bad byte would be stored as U+FFFD.
func TestBodyRepeatsOrBadUTF8Refused(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		e := newEnv(t, st)
		e.must(201, "POST", "/api/v1/incidents", `{"title":"Outage"}`, nil)
		for _, c := range []struct{ method, path, body, field string }{
			{"POST", "/api/v1/incidents", `{"title":"x","severity":"SEV1","title":"y"}`, "title"},
			{"PATCH", "/api/v1/incidents/INC-1", `{"version":1,"version":99,"title":"z"}`, "version"},
			{"POST", "/api/v1/incidents", "{\"title\":\"bad \xff\xfe utf8\"}", ""},
		} {
			w := e.do(incident.RoleEditor, c.method, c.path, c.body)
			var got apiError
			json.Unmarshal(w.Body.Bytes(), &got)
			if w.Code != 400 || got.Error.Field != c.field {
				t.Errorf("%s %s %q: %d %.200s, want 400 naming %q", c.method, c.path, c.body, w.Code, w.Body, c.field)
			}
		}
		var page struct{ Items []incident.Incident }
		e.must(200, "GET", "/api/v1/incidents", "", &page)
		if len(page.Items) != 1 || page.Items[0].Title != "Outage" || page.Items[0].Version != 1 {
			t.Errorf("after refused requests: %+v", page.Items)
		}
	})
}
