package web_test

import (
	"encoding/json"
	"strconv"
	"strings"
	"testing"

	"hindsight/internal/incident"
	"hindsight/internal/store"
	"hindsight/internal/store/storetest"
	"hindsight/internal/web"
)

// TestNULRefused: JSON can carry the NUL character and PostgreSQL's text
// cannot hold it, which made these requests fail with 500 there. Each is
// refused with 400 and the field, on every database, and changes nothing.
func TestNULRefused(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		e := newHookEnv(t, st, web.Config{})
		e.must(201, "POST", "/api/v1/incidents", `{"title":"Clean"}`, nil)
		var ev incident.Event
		e.must(201, "POST", "/api/v1/incidents/INC-1/events", `{"text":"clean"}`, &ev)
		var task incident.Task
		e.must(201, "POST", "/api/v1/incidents/INC-1/tasks", `{"title":"clean"}`, &task)
		before := e.do(incident.RoleEditor, "GET", "/api/v1/incidents/INC-1", "").Body.String()
		for _, tc := range []struct{ method, path, body, field string }{
			{"POST", "/api/v1/incidents", `{"title":"a\u0000b"}`, "title"},
			{"POST", "/api/v1/incidents", `{"title":"a","impact":"x\u0000"}`, "impact"},
			{"POST", "/api/v1/incidents", `{"title":"a","services":["api\u0000"]}`, "services"},
			{"PATCH", "/api/v1/incidents/INC-1", `{"version":1,"commander":"a\u0000b"}`, "commander"},
			{"POST", "/api/v1/incidents/INC-1/events", `{"text":"a\u0000b"}`, "text"},
			{"PATCH", "/api/v1/incidents/INC-1/events/" + strconv.FormatInt(ev.ID, 10), `{"text":"a\u0000b"}`, "text"},
			{"POST", "/api/v1/incidents/INC-1/tasks", `{"title":"a","owner":"\u0000"}`, "owner"},
			{"PATCH", "/api/v1/tasks/" + strconv.FormatInt(task.ID, 10), `{"title":"a\u0000b"}`, "title"},
			{"POST", "/api/v1/incidents/INC-1/root-causes", `{"description":"a\u0000b"}`, "description"},
			{"POST", "/api/v1/tokens", `{"name":"a\u0000b","role":"viewer"}`, "name"},
			{"POST", "/api/v1/users", `{"email":"a\u0000@b.c","role":"viewer","password":"correct horse battery"}`, "email"},
			{"GET", "/api/v1/incidents?q=a%00b", "", "q"},
			{"GET", "/api/v1/incidents?service=a%00b", "", "service"},
			{"GET", "/api/v1/tasks?owner=a%00b", "", "owner"},
			{"GET", "/api/v1/stats?service=a%00b", "", "service"},
		} {
			w := e.do(incident.RoleAdmin, tc.method, tc.path, tc.body)
			var got apiError
			json.Unmarshal(w.Body.Bytes(), &got)
			if w.Code != 400 || got.Error.Field != tc.field || !strings.Contains(got.Error.Message, "NUL") && tc.field != "email" {
				t.Errorf("%s %s %s: %d %s, want 400 on %s", tc.method, tc.path, tc.body, w.Code, w.Body, tc.field)
			}
		}
		if after := e.do(incident.RoleEditor, "GET", "/api/v1/incidents/INC-1", "").Body.String(); after != before {
			t.Errorf("refused requests changed INC-1:\n%s\n%s", before, after)
		}
		// An alert's summary becomes an incident title: the NUL is dropped
		// rather than the alert refused, since Alertmanager does not retry a 4xx.
		body := `{"version":"4","status":"firing","receiver":"r","groupKey":"g","alerts":[{"status":"firing",` +
			`"labels":{"alertname":"A","severity":"critical"},"annotations":{"summary":"disk\u0000full"},"startsAt":"2024-01-25T10:00:00Z","fingerprint":"f"}]}`
		res := ingestResult(t, e.hook("/hooks/alertmanager", body, e.bearer(incident.RoleWebhook)))
		var inc incident.Incident
		e.must(200, "GET", "/api/v1/incidents/"+res.IncidentRef, "", &inc)
		if !res.Opened || inc.Title != "diskfull" {
			t.Errorf("incident opened by an alert with a NUL in its summary: %+v", inc)
		}
	})
}
