package web_test

import (
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"hindsight/internal/incident"
	"hindsight/internal/store/storetest"
)

// The incident page's "Time to acknowledge" and the insights page's "Mean
// time to acknowledge" (the API's mtta_seconds) must measure the same
// span: for a set of one incident, the mean is that incident's time.
func TestTimeToAcknowledgeAgreesWithMTTA(t *testing.T) {
	e := newEnv(t, storetest.SQLite(t))
	admin := e.signIn("ada@example.com", incident.RoleAdmin)
	e.must(201, "POST", "/api/v1/incidents", `{"title":"A","severity":"SEV2","started_at":"2024-01-10T10:00:00Z",
		"detected_at":"2024-01-10T10:30:00Z","acknowledged_at":"2024-01-10T10:40:00Z"}`, nil)

	var s struct {
		MTTA struct{ Mean *float64 } `json:"mtta_seconds"`
	}
	e.must(200, "GET", "/api/v1/stats?from=2024-01-01&to=2024-01-31", "", &s)
	if s.MTTA.Mean == nil || *s.MTTA.Mean != 600 {
		t.Fatalf("mtta %v, want 600 s (detected 10:30 -> acknowledged 10:40)", s.MTTA.Mean)
	}

	w := e.get(admin, "/incidents/INC-1")
	if w.Code != 200 {
		t.Fatalf("incident page: %d", w.Code)
	}
	m := regexp.MustCompile(`<dt>Time to acknowledge</dt><dd>([^<]*)</dd>`).FindStringSubmatch(w.Body.String())
	if m == nil {
		t.Fatalf("no time to acknowledge on the incident page")
	}
	if m[1] != "10 minutes" {
		t.Errorf("incident page: time to acknowledge %q, but the stats' MTTA of this one incident is 10 minutes", m[1])
	}
}

// The insights page picks "from" itself when none is given: twelve months
// up to "to", not up to now, which a "to" of last year came before.
func TestInsightsWithOnlyTo(t *testing.T) {
	e := newEnv(t, storetest.SQLite(t))
	viewer := e.signIn("vic@example.com", incident.RoleViewer)
	e.must(201, "POST", "/api/v1/incidents", `{"title":"Old","severity":"SEV2","started_at":"2022-03-01T00:00:00Z","resolved_at":"2022-03-01T02:00:00Z"}`, nil)
	w := e.get(viewer, "/insights?from=&to=2022-12-31")
	if w.Code != 200 {
		t.Fatalf("/insights?to=2022-12-31: %d, want 200 with the figures up to that day", w.Code)
	}
	if !strings.Contains(w.Body.String(), "2022-03") {
		t.Errorf("the incident of March 2022 is not shown")
	}
}

// A due date typed in New York is the end of that day there, the next day
// in UTC: the feed's days are those of ?tz=, so that a subscriber there
// sees the task on the day it was typed for.
func TestFeedDaysInTheSubscribersZone(t *testing.T) {
	if _, err := time.LoadLocation("America/New_York"); err != nil {
		t.Skip("no zone database (tzdata) for America/New_York")
	}
	e := newEnv(t, storetest.SQLite(t))
	editor := e.signIn("ed@example.com", incident.RoleEditor)
	e.must(201, "POST", "/api/v1/incidents", `{"title":"Outage","severity":"SEV2"}`, nil)
	newYork := &http.Cookie{Name: "tz", Value: "America/New_York"}
	v := formValues(t, e.withCookies("GET", "/incidents/INC-1", nil, editor, newYork).Body.String(), "/incidents/INC-1/tasks")
	v.Set("title", "Fix the cache")
	v.Set("due", "2024-02-15")
	if w := e.withCookies("POST", "/incidents/INC-1/tasks", v, editor, newYork); w.Code != http.StatusSeeOther {
		t.Fatalf("add task: %d %s", w.Code, w.Body)
	}
	for query, want := range map[string]string{"?tz=America/New_York": "DTSTART;VALUE=DATE:20240215\r\n", "": "DTSTART;VALUE=DATE:20240216\r\n"} {
		w := e.do(incident.RoleViewer, "GET", "/api/v1/tasks.ics"+query, "")
		if w.Code != 200 || !strings.Contains(w.Body.String(), want) {
			t.Errorf("feed%s: %d, want %q in\n%s", query, w.Code, want, w.Body)
		}
	}
	if w := e.do(incident.RoleViewer, "GET", "/api/v1/tasks.ics?tz=Mars/Olympus", ""); w.Code != 400 || !strings.Contains(w.Body.String(), `"field":"tz"`) {
		t.Errorf("unknown zone: %d %s", w.Code, w.Body)
	}
}

// Without ?tz=, the feed's days are those of the team's zone (--digest-tz),
// where default due dates end too.
func TestFeedDaysInTheTeamsZone(t *testing.T) {
	newYork, err := time.LoadLocation("America/New_York")
	if err != nil {
		t.Skip("no zone database (tzdata) for America/New_York")
	}
	st := storetest.SQLite(t)
	st.DueZone = newYork
	e := newEnv(t, st)
	e.must(201, "POST", "/api/v1/incidents", `{"title":"Outage","severity":"SEV2"}`, nil)
	e.must(201, "POST", "/api/v1/incidents/INC-1/tasks", `{"title":"Fix the cache","due_at":"2024-02-15T23:59:59-05:00"}`, nil)
	for query, want := range map[string]string{"": "DTSTART;VALUE=DATE:20240215\r\n", "?tz=UTC": "DTSTART;VALUE=DATE:20240216\r\n"} {
		w := e.do(incident.RoleViewer, "GET", "/api/v1/tasks.ics"+query, "")
		if w.Code != 200 || !strings.Contains(w.Body.String(), want) {
			t.Errorf("feed%s: %d, want %q in\n%s", query, w.Code, want, w.Body)
		}
	}
}

// A task's link is written into the feed as a URI: a space in it, which
// the API takes, is encoded, or the feed breaks RFC 5545; what was encoded
// already stays as it was.
func TestFeedLinkIsAURI(t *testing.T) {
	e := newEnv(t, storetest.SQLite(t))
	e.must(201, "POST", "/api/v1/incidents", `{"title":"Outage","severity":"SEV2"}`, nil)
	e.must(201, "POST", "/api/v1/incidents/INC-1/tasks", `{"title":"Fix","due_at":"2024-02-15T12:00:00Z","external_url":"https://gitlab.example.com/ops%2Fapi/-/issues/7 b?q=c d"}`, nil)
	w := e.do(incident.RoleViewer, "GET", "/api/v1/tasks.ics", "")
	if w.Code != 200 || !strings.Contains(w.Body.String(), "URL:https://gitlab.example.com/ops%2Fapi/-/issues/7%20b?q=c%20d\r\n") {
		t.Errorf("feed: %d, want the link encoded, its %%2F kept, in\n%s", w.Code, w.Body)
	}
}
