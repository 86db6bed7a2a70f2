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
	"hindsight/internal/web"
)

// TestTimesOutOfRange: JSON takes a time of year 9999 at -23:59, which is
// year 10000 in UTC and cannot be written back as JSON. Stored, it made
// every answer showing it fail (an empty 200 on PostgreSQL), the incident
// list included. Times are kept from 1970 to 2999; others are refused.
func TestTimesOutOfRange(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		e := newHookEnv(t, st, web.Config{})
		e.must(201, "POST", "/api/v1/incidents", `{"title":"Outage","started_at":"2024-01-25T10:00:00Z"}`, nil)
		var task incident.Task
		e.must(201, "POST", "/api/v1/incidents/INC-1/tasks", `{"title":"Fix it"}`, &task)
		for _, at := range []string{"9999-12-31T23:59:59-23:59", "0000-01-01T00:00:00+23:59", "1969-12-31T23:59:59Z", "3000-01-01T00:00:00Z"} {
			for _, tc := range []struct{ method, path, body, field string }{
				{"POST", "/api/v1/incidents", `{"title":"x","started_at":"` + at + `"}`, "started_at"},
				{"PATCH", "/api/v1/incidents/INC-1", `{"version":1,"resolved_at":"` + at + `"}`, "resolved_at"},
				{"POST", "/api/v1/incidents/INC-1/events", `{"text":"x","at":"` + at + `"}`, "at"},
				{"POST", "/api/v1/incidents/INC-1/tasks", `{"title":"x","due_at":"` + at + `"}`, "due_at"},
				{"PATCH", fmt.Sprintf("/api/v1/tasks/%d", task.ID), `{"due_at":"` + at + `"}`, "due_at"},
			} {
				w := e.do(incident.RoleEditor, tc.method, tc.path, tc.body)
				var got apiError
				json.Unmarshal(w.Body.Bytes(), &got)
				if w.Code != 400 && w.Code != 422 || got.Error.Field != tc.field {
					t.Errorf("%s %s %s: %d %s", tc.method, tc.path, tc.body, w.Code, w.Body)
				}
			}
			hooks := map[string]string{
				"/hooks/alertmanager": `{"groupKey":"g","status":"firing","alerts":[{"status":"firing","labels":{"alertname":"A","severity":"critical"},"startsAt":"` + at + `","fingerprint":"f"}]}`,
				"/hooks/generic":      `{"title":"Backup failed","at":"` + at + `"}`,
				"/hooks/pagerduty":    `{"event":{"id":"E1","event_type":"incident.triggered","occurred_at":"` + at + `","data":{"id":"P1","title":"x"}}}`,
			}
			for path, body := range hooks {
				if w := e.hook(path, body, e.bearer(incident.RoleWebhook)); w.Code != 400 {
					t.Errorf("%s at %s: %d %s", path, at, w.Code, w.Body)
				}
			}
			if w := e.do(incident.RoleViewer, "GET", "/api/v1/stats?to="+url.QueryEscape(at), ""); w.Code != 400 {
				t.Errorf("stats to %s: %d", at, w.Code)
			}
		}
		// Pages take typed times too.
		c := e.signIn("ana@example.com", incident.RoleEditor)
		if w := e.form(c, "/incidents/INC-1/events", url.Values{"text": {"x"}, "at": {"9999-12-31T23:59:59-23:59"}}); w.Code != 400 {
			t.Errorf("page entry at year 10000: %d", w.Code)
		}
		for _, path := range []string{"/api/v1/incidents", "/api/v1/incidents/INC-1", "/api/v1/tasks"} {
			w := e.do(incident.RoleViewer, "GET", path, "")
			if w.Code != 200 || !json.Valid(w.Body.Bytes()) || strings.TrimSpace(w.Body.String()) == "" {
				t.Errorf("GET %s: %d %q", path, w.Code, w.Body)
			}
		}
	})
}
