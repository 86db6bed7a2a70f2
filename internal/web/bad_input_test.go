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
