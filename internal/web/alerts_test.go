package web_test

import (
	"fmt"
	"net/url"
	"strings"
	"testing"

	"hindsight/internal/incident"
	"hindsight/internal/store"
	"hindsight/internal/store/storetest"
)

// Alerts below the open-at threshold are listed as unattached and
// attached by hand, over the API and from the incident page; bad requests
// are refused with the field named and change nothing.
func TestAttachAlertsAPI(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		e := newEnv(t, st)
		e.must(201, "POST", "/api/v1/incidents", `{"title":"Disk trouble","severity":"SEV2"}`, nil)
		e.must(201, "POST", "/api/v1/incidents", `{"title":"Other","severity":"SEV3"}`, nil)
		for _, host := range []string{"db-1", "db-2"} {
			w := e.do(incident.RoleWebhook, "POST", "/hooks/generic",
				`{"title":"DiskFilling","severity":"info","fingerprint":"disk-`+host+`","service":"db","text":"disk 90% on `+host+`"}`)
			if w.Code != 200 {
				t.Fatalf("generic alert: %d %s", w.Code, w.Body)
			}
		}
		var un struct{ Items []incident.Alert }
		e.must(200, "GET", "/api/v1/alerts/unattached?limit=10", "", &un)
		if len(un.Items) != 2 {
			t.Fatalf("unattached %+v", un.Items)
		}
		ids := fmt.Sprintf("%d, %d", un.Items[0].ID, un.Items[1].ID)

		for _, c := range []struct {
			status            int
			path, body, field string
		}{
			{400, "/api/v1/incidents/INC-1/alerts", `{"alert_ids":"all"}`, "alert_ids"},
			{400, "/api/v1/incidents/INC-1/alerts", `{"alert_ids":[]}`, "alert_ids"},
			{400, "/api/v1/incidents/INC-1/alerts", `{"alert_ids":[` + ids + `, 424242]}`, "alert_ids"},
			{404, "/api/v1/incidents/INC-9/alerts", `{"alert_ids":[` + ids + `]}`, ""},
			{400, "/api/v1/alerts/unattached?limit=0", "", "limit"},
		} {
			method := "POST"
			if c.body == "" {
				method = "GET"
			}
			w := e.do(incident.RoleEditor, method, c.path, c.body)
			if w.Code != c.status || (c.field != "" && !strings.Contains(w.Body.String(), `"field":"`+c.field+`"`)) {
				t.Errorf("%s %s: %d %s; want %d naming %q", c.path, c.body, w.Code, w.Body, c.status, c.field)
			}
		}
		if w := e.do(incident.RoleViewer, "POST", "/api/v1/incidents/INC-1/alerts", `{"alert_ids":[`+ids+`]}`); w.Code != 403 {
			t.Errorf("a viewer attached alerts: %d", w.Code)
		}
		e.must(200, "GET", "/api/v1/alerts/unattached", "", &un)
		if len(un.Items) != 2 {
			t.Fatalf("refused requests attached alerts: %d left", len(un.Items))
		}

		var got struct {
			IncidentRef string  `json:"incident_ref"`
			Attached    []int64 `json:"attached"`
		}
		e.must(200, "POST", "/api/v1/incidents/INC-1/alerts", `{"alert_ids":[`+ids+`]}`, &got)
		if got.IncidentRef != "INC-1" || len(got.Attached) != 2 {
			t.Fatalf("attach: %+v", got)
		}
		e.must(200, "POST", "/api/v1/incidents/INC-1/alerts", `{"alert_ids":[`+ids+`]}`, &got)
		if len(got.Attached) != 0 {
			t.Errorf("a repeat attached %v again", got.Attached)
		}
		if w := e.do(incident.RoleEditor, "POST", "/api/v1/incidents/INC-2/alerts", `{"alert_ids":[`+ids+`]}`); w.Code != 409 {
			t.Errorf("alerts of INC-1 attached to INC-2: %d %s", w.Code, w.Body)
		}
		var d incident.Detail
		e.must(200, "GET", "/api/v1/incidents/INC-1", "", &d)
		if len(d.Alerts) != 2 || !hasEntry(d.Events, "DiskFilling firing on 2 instances") {
			t.Fatalf("INC-1: %d alerts, timeline %+v", len(d.Alerts), d.Events)
		}
	})
}

func hasEntry(evs []incident.Event, text string) bool {
	for _, e := range evs {
		if e.Text == text {
			return true
		}
	}
	return false
}

// The incident page offers editors the unattached alerts, and ticking one
// attaches it.
func TestAttachAlertsPage(t *testing.T) {
	e := newEnv(t, storetest.SQLite(t))
	e.must(201, "POST", "/api/v1/incidents", `{"title":"Disk trouble","severity":"SEV2"}`, nil)
	if w := e.do(incident.RoleWebhook, "POST", "/hooks/generic", `{"title":"DiskFilling","severity":"info","fingerprint":"disk-1"}`); w.Code != 200 {
		t.Fatalf("generic alert: %d %s", w.Code, w.Body)
	}
	var un struct{ Items []incident.Alert }
	e.must(200, "GET", "/api/v1/alerts/unattached", "", &un)
	id := fmt.Sprint(un.Items[0].ID)

	viewer := e.signIn("viewer@example.com", incident.RoleViewer)
	if page := e.get(viewer, "/incidents/INC-1").Body.String(); strings.Contains(page, "attach-form") {
		t.Error("a viewer is offered to attach alerts")
	}
	editor := e.signIn("editor@example.com", incident.RoleEditor)
	page := e.get(editor, "/incidents/INC-1").Body.String()
	if !strings.Contains(page, `id="attach-form"`) || !strings.Contains(page, `name="alert_id" type="checkbox" value="`+id+`"`) {
		t.Fatalf("the page offers no unattached alert:\n%s", page)
	}
	if w := e.form(editor, "/incidents/INC-1/alerts", url.Values{"alert_id": {"x"}}); w.Code != 400 || !strings.Contains(w.Body.String(), "pick alerts from the list") {
		t.Errorf("a bad id: %d", w.Code)
	}
	if w := e.form(editor, "/incidents/INC-1/alerts", url.Values{"alert_id": {id}}); w.Code != 303 {
		t.Fatalf("attach: %d %s", w.Code, w.Body)
	}
	page = e.get(editor, "/incidents/INC-1").Body.String()
	if strings.Contains(page, `id="attach-form"`) || !strings.Contains(page, "DiskFilling") {
		t.Errorf("after attaching, the page still offers it or does not show it")
	}
}
