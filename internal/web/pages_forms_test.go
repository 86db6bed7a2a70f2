package web_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/html"

	"hindsight/internal/incident"
	"hindsight/internal/store/storetest"
	"hindsight/internal/web"
)

// formValues returns what a browser would send for the form of page whose
// action is action, left as shown: inputs (checkboxes when checked),
// textareas and the selected options.
func formValues(t *testing.T, page, action string) url.Values {
	t.Helper()
	doc, err := html.Parse(strings.NewReader(page))
	if err != nil {
		t.Fatal(err)
	}
	attr := func(n *html.Node, key string) (string, bool) {
		for _, a := range n.Attr {
			if a.Key == key {
				return a.Val, true
			}
		}
		return "", false
	}
	var form *html.Node
	var find func(*html.Node)
	find = func(n *html.Node) {
		if a, _ := attr(n, "action"); n.Type == html.ElementNode && n.Data == "form" && a == action && form == nil {
			form = n
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			find(c)
		}
	}
	find(doc)
	if form == nil {
		t.Fatalf("no form to %s on the page", action)
	}
	v := url.Values{}
	var walk func(*html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.ElementNode {
			name, _ := attr(n, "name")
			switch n.Data {
			case "input":
				value, _ := attr(n, "value")
				typ, _ := attr(n, "type")
				_, checked := attr(n, "checked")
				if name != "" && typ != "submit" && (typ != "checkbox" || checked) {
					v.Add(name, value)
				}
			case "textarea":
				if n.FirstChild != nil {
					v.Add(name, strings.TrimPrefix(n.FirstChild.Data, "\n"))
				} else {
					v.Add(name, "")
				}
			case "select":
				for o := n.FirstChild; o != nil; o = o.NextSibling {
					if _, sel := attr(o, "selected"); sel {
						value, _ := attr(o, "value")
						v.Add(name, value)
					}
				}
			}
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(form)
	return v
}

// withCookies sends a page request with the session cookie and others,
// such as the tz cookie the page script sets.
func (e *env) withCookies(method, path string, values url.Values, cookies ...*http.Cookie) *httptest.ResponseRecorder {
	e.t.Helper()
	var body *strings.Reader
	if values != nil {
		body = strings.NewReader(values.Encode())
	} else {
		body = strings.NewReader("")
	}
	req := httptest.NewRequest(method, path, body)
	if method == "POST" {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Sec-Fetch-Site", "same-origin")
	}
	for _, c := range cookies {
		req.AddCookie(c)
	}
	w := httptest.NewRecorder()
	e.server.ServeHTTP(w, req)
	return w
}

// A sign-in link with next=/<TAB>/evil.example must not send the user to
// another site: browsers drop tabs and line breaks from a URL and read a
// backslash as a slash, so "/\t/evil.example" is "//evil.example".
func TestSignInNextStaysOnThisSite(t *testing.T) {
	e := newEnv(t, storetest.SQLite(t))
	addUser(t, e.store, "ana@example.com", incident.RoleEditor)
	asBrowser := func(loc string) string {
		return strings.NewReplacer("\t", "", "\n", "", "\r", "", `\`, "/").Replace(loc)
	}
	for _, next := range []string{"/\t/evil.example/", "/\t\\evil.example/", "/\\evil.example/", "/\n/evil.example/"} {
		w := e.form(nil, "/login", url.Values{"email": {"ana@example.com"}, "password": {testPassword}, "next": {next}})
		if w.Code != http.StatusSeeOther {
			t.Fatalf("sign in: %d", w.Code)
		}
		if loc := w.Header().Get("Location"); strings.HasPrefix(asBrowser(loc), "//") {
			t.Errorf("next=%q redirects to %q, another site in a browser", next, loc)
		}
		// Signed in, the sign-in link sends the user on at once.
		w = e.get(sessionCookie(w), "/login?next="+url.QueryEscape(next))
		if loc := w.Header().Get("Location"); w.Code == http.StatusSeeOther && strings.HasPrefix(asBrowser(loc), "//") {
			t.Errorf("GET /login?next=%q, signed in, redirects to %q, another site in a browser", next, loc)
		}
	}
	w := e.form(nil, "/login", url.Values{"email": {"ana@example.com"}, "password": {testPassword}, "next": {"/incidents/INC-1?show=highlights"}})
	if loc := w.Header().Get("Location"); loc != "/incidents/INC-1?show=highlights" {
		t.Errorf("a path on this site redirects to %q", loc)
	}
}

// The details form saves the fields the user changed, and only those:
// someone else's change to other fields meanwhile stays. Before, the form
// sent every field as it showed them, and saving it again after the
// conflict put back the severity and impact the other had just changed.
func TestDetailsFormKeepsOthersChanges(t *testing.T) {
	e := newEnv(t, storetest.SQLite(t))
	c := e.signIn("ana@example.com", incident.RoleEditor)
	e.must(201, "POST", "/api/v1/incidents", `{"title":"Checkout down","severity":"SEV2","started_at":"2024-01-25T10:00:00Z"}`, nil)
	typed := formValues(t, e.get(c, "/incidents/INC-1").Body.String(), "/incidents/INC-1")
	// Someone else, meanwhile: escalates, states the impact, and moves
	// the status, which fills a milestone the form shows empty.
	e.must(200, "PATCH", "/api/v1/incidents/INC-1", `{"version":1,"severity":"SEV1","impact":"All EU customers down","status":"identified"}`, nil)

	typed.Set("commander", "ana")
	if w := e.form(c, "/incidents/INC-1", typed); w.Code != http.StatusSeeOther {
		t.Fatalf("saving a field nobody else changed: %d", w.Code)
	}
	inc, _ := e.store.Incident(context.Background(), "INC-1")
	if inc.Commander != "ana" || inc.Severity != incident.SEV1 || inc.Impact != "All EU customers down" ||
		inc.Status != incident.StatusIdentified || inc.AcknowledgedAt == nil {
		t.Errorf("after the save: commander %q, severity %s, impact %q, status %s, acknowledged %v: want ana's commander and everything else the other saved",
			inc.Commander, inc.Severity, inc.Impact, inc.Status, inc.AcknowledgedAt)
	}
}

// A field that the user changed and someone else changed meanwhile is not
// overwritten unseen: the form comes back with what the user typed and a
// message saying what the field now holds; saving it again replaces it.
func TestDetailsConflictCanBeSavedAgain(t *testing.T) {
	e := newEnv(t, storetest.SQLite(t))
	c := e.signIn("ana@example.com", incident.RoleEditor)
	e.must(201, "POST", "/api/v1/incidents", `{"title":"Checkout down","severity":"SEV2","started_at":"2024-01-25T10:00:00Z"}`, nil)
	typed := formValues(t, e.get(c, "/incidents/INC-1").Body.String(), "/incidents/INC-1")
	e.must(200, "PATCH", "/api/v1/incidents/INC-1", `{"version":1,"impact":"Some card payments failed","severity":"SEV1","status":"identified"}`, nil) // someone else, meanwhile

	typed.Set("impact", "All card payments failed for 20 minutes")
	w := e.form(c, "/incidents/INC-1", typed)
	body := w.Body.String()
	if w.Code != http.StatusConflict || !strings.Contains(body, "All card payments failed for 20 minutes") ||
		!strings.Contains(body, `class="card edit-details" open`) || !strings.Contains(body, "Some card payments failed") {
		t.Fatalf("stale save: %d, or the form is not shown open with the typed impact and the other's", w.Code)
	}
	again := formValues(t, body, "/incidents/INC-1")
	if w = e.form(c, "/incidents/INC-1", again); w.Code != http.StatusSeeOther {
		t.Fatalf("saving the form shown after the conflict: %d", w.Code)
	}
	inc, _ := e.store.Incident(context.Background(), "INC-1")
	if inc.Impact != "All card payments failed for 20 minutes" || inc.Status != incident.StatusIdentified ||
		inc.Severity != incident.SEV1 || inc.AcknowledgedAt == nil {
		t.Errorf("impact %q, status %s, severity %s, acknowledged %v: want the typed impact and the other's status, severity and acknowledgement",
			inc.Impact, inc.Status, inc.Severity, inc.AcknowledgedAt)
	}
}

// A details form refused for a bad time comes back with the fields the
// user did not touch as they now are, and saved again keeps what someone
// else changed meanwhile.
func TestDetailsRefusedThenSavedKeepsOthersChanges(t *testing.T) {
	e := newEnv(t, storetest.SQLite(t))
	c := e.signIn("ana@example.com", incident.RoleEditor)
	e.must(201, "POST", "/api/v1/incidents", `{"title":"Checkout down","severity":"SEV2","started_at":"2024-01-25T10:00:00Z"}`, nil)
	typed := formValues(t, e.get(c, "/incidents/INC-1").Body.String(), "/incidents/INC-1")
	e.must(200, "PATCH", "/api/v1/incidents/INC-1", `{"version":1,"severity":"SEV1"}`, nil) // someone else, meanwhile

	typed.Set("commander", "ana")
	typed.Set("detected_at", "soon")
	w := e.form(c, "/incidents/INC-1", typed)
	if w.Code != http.StatusBadRequest || !strings.Contains(w.Body.String(), `value="SEV1" selected`) {
		t.Fatalf("bad time: %d, or the form does not show the severity as it now is", w.Code)
	}
	again := formValues(t, w.Body.String(), "/incidents/INC-1")
	again.Set("detected_at", "2024-01-25 10:05")
	if w = e.form(c, "/incidents/INC-1", again); w.Code != http.StatusSeeOther {
		t.Fatalf("saving the corrected form: %d", w.Code)
	}
	inc, _ := e.store.Incident(context.Background(), "INC-1")
	if inc.Severity != incident.SEV1 || inc.Commander != "ana" || inc.DetectedAt == nil {
		t.Errorf("severity %s, commander %q, detected %v: want the other's severity and ana's changes", inc.Severity, inc.Commander, inc.DetectedAt)
	}
}

// Two people who make the same change meet no conflict; a form that does
// not say what it showed (a page older than the server) is held to its
// version.
func TestDetailsSameChangeAndFormWithoutShown(t *testing.T) {
	e := newEnv(t, storetest.SQLite(t))
	c := e.signIn("ana@example.com", incident.RoleEditor)
	e.must(201, "POST", "/api/v1/incidents", `{"title":"Checkout down","severity":"SEV2","started_at":"2024-01-25T10:00:00Z"}`, nil)
	typed := formValues(t, e.get(c, "/incidents/INC-1").Body.String(), "/incidents/INC-1")
	e.must(200, "PATCH", "/api/v1/incidents/INC-1", `{"version":1,"severity":"SEV1"}`, nil)
	typed.Set("severity", "SEV1")
	if w := e.form(c, "/incidents/INC-1", typed); w.Code != http.StatusSeeOther {
		t.Errorf("the same change as the other's: %d", w.Code)
	}
	old := formValues(t, e.get(c, "/incidents/INC-1").Body.String(), "/incidents/INC-1")
	old.Del("shown")
	e.must(200, "PATCH", "/api/v1/incidents/INC-1", `{"version":2,"impact":"All checkouts fail"}`, nil)
	old.Set("commander", "ana")
	if w := e.form(c, "/incidents/INC-1", old); w.Code != http.StatusConflict {
		t.Errorf("a stale form without what it showed: %d, want 409", w.Code)
	}
	if inc, _ := e.store.Incident(context.Background(), "INC-1"); inc.Impact != "All checkouts fail" || inc.Commander != "" {
		t.Errorf("impact %q, commander %q after the refused save", inc.Impact, inc.Commander)
	}
}

// A details form refused for one of its long texts or its services shows
// the message beside the field, with the section unfolded; it came back
// folded and, for the texts, with no message anywhere.
func TestDetailsErrorIsShownBesideItsField(t *testing.T) {
	e := newEnv(t, storetest.SQLite(t))
	c := e.signIn("ana@example.com", incident.RoleEditor)
	e.must(201, "POST", "/api/v1/incidents", `{"title":"Outage","started_at":"2024-01-25T10:00:00Z"}`, nil)
	long := strings.Repeat("x", incident.MaxTextLen+1)
	many := make([]string, incident.MaxServices+1)
	for i := range many {
		many[i] = "svc" + itoa(int64(i))
	}
	for _, tc := range []struct{ field, value, msg string }{
		{"impact", long, "characters long"}, {"root_cause", long, "characters long"}, {"resolution", long, "characters long"},
		{"conclusion", long, "characters long"}, {"services", strings.Join(many, ", "), "at most 50 services"},
	} {
		v := formValues(t, e.get(c, "/incidents/INC-1").Body.String(), "/incidents/INC-1")
		v.Set(tc.field, tc.value)
		w := e.form(c, "/incidents/INC-1", v)
		body := w.Body.String()
		if w.Code != http.StatusBadRequest {
			t.Errorf("%s: %d", tc.field, w.Code)
			continue
		}
		if !strings.Contains(body, tc.msg) || !strings.Contains(body, `class="card edit-details" open`) {
			t.Errorf("%s refused, but the page shows the message: %v, the form unfolded: %v", tc.field,
				strings.Contains(body, tc.msg), strings.Contains(body, `class="card edit-details" open`))
		}
	}
}

// The times of a form are read in the zone it showed them in, not in the
// zone of the tz cookie when it is sent: when the two differed (the first
// page a browser sees, before its script set the cookie), renaming the
// incident moved every milestone by the difference.
func TestFormTimesAreReadInTheZoneTheyWereShownIn(t *testing.T) {
	if _, err := time.LoadLocation("America/New_York"); err != nil {
		t.Skip("no zone database (tzdata) for America/New_York")
	}
	e := newEnv(t, storetest.SQLite(t))
	c := e.signIn("ana@example.com", incident.RoleEditor)
	e.must(201, "POST", "/api/v1/incidents", `{"title":"Outage","started_at":"2024-01-25T10:00:00Z","detected_at":"2024-01-25T10:05:00Z"}`, nil)
	var ev incident.Event
	e.must(201, "POST", "/api/v1/incidents/INC-1/events", `{"text":"Paged","at":"2024-01-25T10:07:00Z"}`, &ev)
	newYork := &http.Cookie{Name: "tz", Value: "America/New_York"} // set by the script meanwhile

	v := formValues(t, e.get(c, "/incidents/INC-1").Body.String(), "/incidents/INC-1") // shown in UTC
	v.Set("title", "Checkout outage")
	if w := e.withCookies("POST", "/incidents/INC-1", v, c, newYork); w.Code != http.StatusSeeOther {
		t.Fatalf("details: %d", w.Code)
	}
	entry := "/incidents/INC-1/events/" + itoa(ev.ID)
	v = formValues(t, e.get(c, entry).Body.String(), entry)
	v.Set("text", "Paged the DBA")
	if w := e.withCookies("POST", entry, v, c, newYork); w.Code != http.StatusSeeOther {
		t.Fatalf("entry: %d", w.Code)
	}
	v = formValues(t, e.get(c, "/incidents/INC-1").Body.String(), "/incidents/INC-1/events")
	v.Set("text", "Rolled back")
	v.Set("at", "2024-01-25 10:30")
	if w := e.withCookies("POST", "/incidents/INC-1/events", v, c, newYork); w.Code != http.StatusSeeOther {
		t.Fatalf("new entry: %d", w.Code)
	}

	d, _ := e.store.IncidentDetail(context.Background(), "INC-1")
	if got := d.StartedAt.UTC().Format(time.RFC3339); got != "2024-01-25T10:00:00Z" {
		t.Errorf("renaming the incident moved started_at to %s", got)
	}
	for _, ev := range d.Events {
		switch ev.Text {
		case "Paged the DBA":
			if !ev.At.Equal(time.Date(2024, 1, 25, 10, 7, 0, 0, time.UTC)) {
				t.Errorf("editing the entry's text moved it to %s", ev.At.UTC())
			}
		case "Rolled back":
			if !ev.At.Equal(time.Date(2024, 1, 25, 10, 30, 0, 0, time.UTC)) {
				t.Errorf("10:30 typed in a form shown in UTC is %s", ev.At.UTC())
			}
		}
	}
}

// Editing a timeline entry changes only what the user changed: Bob's
// correction of the text, made while Ana had the form open, survives her
// unticking "Show in postmortem"; it was silently undone.
func TestEditEntryKeepsAConcurrentChange(t *testing.T) {
	e := newEnv(t, storetest.SQLite(t))
	c := e.signIn("ana@example.com", incident.RoleEditor)
	e.must(201, "POST", "/api/v1/incidents", `{"title":"Outage","started_at":"2024-01-25T10:00:00Z"}`, nil)
	var ev incident.Event
	e.must(201, "POST", "/api/v1/incidents/INC-1/events", `{"text":"Paged the DBA\nno answer","at":"2024-01-25T10:05:00Z","kind":"notification","highlight":true}`, &ev)
	path := "/incidents/INC-1/events/" + itoa(ev.ID)
	v := formValues(t, e.get(c, path).Body.String(), path)

	e.must(200, "PATCH", "/api/v1/incidents/INC-1/events/"+itoa(ev.ID), `{"text":"Paged the DBA on call (Bob)"}`, nil)
	v.Del("highlight")
	v.Set("text", strings.ReplaceAll(v.Get("text"), "\n", "\r\n")) // as browsers send a textarea
	if w := e.form(c, path, v); w.Code != http.StatusSeeOther {
		t.Fatalf("save: %d", w.Code)
	}
	got, _ := e.store.Event(context.Background(), ev.IncidentID, ev.ID)
	if got.Text != "Paged the DBA on call (Bob)" || got.Highlight {
		t.Errorf("text %q, highlight %v: want Bob's text and Ana's unticked highlight", got.Text, got.Highlight)
	}
}

// openEntryForm signs an editor in and opens the edit form of the one entry
// of an incident.
func openEntryForm(t *testing.T) (*env, *http.Cookie, incident.Event, string, url.Values) {
	t.Helper()
	e := newEnv(t, storetest.SQLite(t))
	c := e.signIn("ana@example.com", incident.RoleEditor)
	e.must(201, "POST", "/api/v1/incidents", `{"title":"Outage","started_at":"2024-01-25T10:00:00Z"}`, nil)
	var ev incident.Event
	e.must(201, "POST", "/api/v1/incidents/INC-1/events", `{"text":"Paged","at":"2024-01-25T10:05:00Z"}`, &ev)
	path := "/incidents/INC-1/events/" + itoa(ev.ID)
	v := formValues(t, e.get(c, path).Body.String(), path)
	return e, c, ev, path, v
}

// Two people rewrite the same entry: the second save does not silently
// undo the first. Its form comes back with what was typed and what the
// entry now reads; saving it again replaces it.
func TestEditEntrySameFieldConflict(t *testing.T) {
	e, c, ev, path, v := openEntryForm(t)
	e.must(200, "PATCH", "/api/v1/incidents/INC-1/events/"+itoa(ev.ID), `{"text":"Paged the DBA (Bob's version)","kind":"escalation"}`, nil)

	v.Set("text", "Paged the DBA and the SRE (Ana's version)")
	w := e.form(c, path, v)
	body := w.Body.String()
	if w.Code != http.StatusConflict || !strings.Contains(body, "Ana&#39;s version") || !strings.Contains(body, "Bob&#39;s version") {
		t.Fatalf("second save: %d, want 409 showing both versions\n%.2000s", w.Code, body)
	}
	got, _ := e.store.Event(context.Background(), ev.IncidentID, ev.ID)
	if got.Text != "Paged the DBA (Bob's version)" {
		t.Fatalf("the refused save changed the entry to %q", got.Text)
	}
	if w = e.form(c, path, formValues(t, body, path)); w.Code != http.StatusSeeOther {
		t.Fatalf("saving again: %d", w.Code)
	}
	got, _ = e.store.Event(context.Background(), ev.IncidentID, ev.ID)
	if got.Text != "Paged the DBA and the SRE (Ana's version)" || got.Kind != incident.KindEscalation {
		t.Errorf("after saving again: %q, %s: want Ana's text and Bob's kind", got.Text, got.Kind)
	}
}

// Saving an entry someone deleted meanwhile keeps what was typed: it comes
// back in the incident's new entry box, saying why.
func TestEditDeletedEntryKeepsTheText(t *testing.T) {
	e, c, ev, path, v := openEntryForm(t)
	e.must(204, "DELETE", "/api/v1/incidents/INC-1/events/"+itoa(ev.ID), "", nil)

	v.Set("text", "A long rewrite of what happened when we paged the DBA")
	w := e.form(c, path, v)
	body := w.Body.String()
	if !strings.Contains(body, `id="entry-text"`) || !strings.Contains(body, "A long rewrite of what happened") || !strings.Contains(body, "deleted meanwhile") {
		t.Fatalf("saving a deleted entry: %d, want the incident page with the text in the entry box\n%.2000s", w.Code, body)
	}
}

// A clock time typed during the hour that repeats when summer time ends
// is the one that has passed: "02:40" typed at the first 02:50 of the
// night is ten minutes ago, not fifty minutes ahead. One in the hour the
// clocks skip is refused rather than moved an hour on, unless yesterday's
// is meant, as a time more than an hour ahead is.
func TestClockTimesAroundDaylightSavingChanges(t *testing.T) {
	if _, err := time.LoadLocation("Europe/Berlin"); err != nil {
		t.Skip("no zone database (tzdata) for Europe/Berlin")
	}
	berlin := &http.Cookie{Name: "tz", Value: "Europe/Berlin"}
	for _, tc := range []struct {
		now       time.Time
		typed     string
		want      time.Time // zero: refused
		wantError string
	}{
		{time.Date(2024, 10, 27, 0, 50, 0, 0, time.UTC), "02:40", time.Date(2024, 10, 27, 0, 40, 0, 0, time.UTC), ""},            // first 02:50 (CEST)
		{time.Date(2024, 10, 27, 1, 50, 0, 0, time.UTC), "02:40", time.Date(2024, 10, 27, 1, 40, 0, 0, time.UTC), ""},            // second 02:50 (CET)
		{time.Date(2024, 10, 27, 1, 50, 0, 0, time.UTC), "2024-10-27 02:10", time.Date(2024, 10, 27, 1, 10, 0, 0, time.UTC), ""}, // the latest that passed
		{time.Date(2024, 10, 27, 0, 50, 0, 0, time.UTC), "02:55", time.Date(2024, 10, 27, 0, 55, 0, 0, time.UTC), ""},            // a little ahead: the first
		{time.Date(2024, 3, 31, 2, 0, 0, 0, time.UTC), "02:30", time.Time{}, "does not exist in Europe/Berlin"},                  // skipped
		{time.Date(2024, 3, 31, 2, 0, 0, 0, time.UTC), "2024-03-31 02:30", time.Time{}, "does not exist in Europe/Berlin"},       // skipped
		{time.Date(2024, 3, 31, 2, 0, 0, 0, time.UTC), "01:30", time.Date(2024, 3, 31, 0, 30, 0, 0, time.UTC), ""},
		{time.Date(2024, 3, 30, 23, 30, 0, 0, time.UTC), "02:30", time.Date(2024, 3, 30, 1, 30, 0, 0, time.UTC), ""}, // 00:30 on the day: yesterday's               // before the change
	} {
		st := storetest.SQLite(t)
		e := newHookEnv(t, st, web.Config{Now: func() time.Time { return tc.now }})
		c := e.signIn("ana@example.com", incident.RoleEditor)
		e.must(201, "POST", "/api/v1/incidents", `{"title":"Outage","started_at":"2024-01-25T10:00:00Z"}`, nil)
		w := e.withCookies("POST", "/incidents/INC-1/events", url.Values{"text": {"Failed over"}, "at": {tc.typed}, "kind": {"note"}}, c, berlin)
		if tc.want.IsZero() {
			if w.Code != http.StatusBadRequest || !strings.Contains(w.Body.String(), tc.wantError) {
				t.Errorf("%q at %s: %d, want 400 saying %q", tc.typed, tc.now, w.Code, tc.wantError)
			}
			continue
		}
		if w.Code != http.StatusSeeOther {
			t.Fatalf("%q at %s: %d", tc.typed, tc.now, w.Code)
		}
		d, _ := st.IncidentDetail(context.Background(), "INC-1")
		for _, ev := range d.Events {
			if ev.Text == "Failed over" && !ev.At.Equal(tc.want) {
				t.Errorf("%q typed at %s is %s, want %s", tc.typed, tc.now, ev.At.UTC(), tc.want)
			}
		}
	}
}

// A form that destroys something needs its box ticked, which the page's
// script does once the user confirms; without script, one click deleted
// at once.
func TestDeleteNeedsTheBoxTicked(t *testing.T) {
	e, c, ev, path, _ := openEntryForm(t)
	page := e.get(c, path).Body.String()
	if !strings.Contains(page, `name="sure" value="1" required`) {
		t.Fatal("the delete form has no box to tick")
	}
	if w := e.form(c, path+"/delete", url.Values{}); w.Code != http.StatusBadRequest || !strings.Contains(w.Body.String(), "tick the box") {
		t.Errorf("delete without the box: %d", w.Code)
	}
	if _, err := e.store.Event(context.Background(), ev.IncidentID, ev.ID); err != nil {
		t.Fatalf("the entry was deleted without the box ticked: %v", err)
	}
	if w := e.form(c, path+"/delete", url.Values{"sure": {"1"}}); w.Code != http.StatusSeeOther {
		t.Errorf("delete with the box ticked: %d", w.Code)
	}
	if _, err := e.store.Event(context.Background(), ev.IncidentID, ev.ID); err == nil {
		t.Error("the entry is still there")
	}
}

// Every field that both people changed is named, not only the first; and
// a time typed as the clock shows it is the same change as the full date
// someone else saved.
func TestDetailsConflictsAllNamed(t *testing.T) {
	e := newEnv(t, storetest.SQLite(t))
	c := e.signIn("ana@example.com", incident.RoleEditor)
	e.must(201, "POST", "/api/v1/incidents", `{"title":"Checkout down","started_at":"2024-01-25T10:00:00Z"}`, nil)
	typed := formValues(t, e.get(c, "/incidents/INC-1").Body.String(), "/incidents/INC-1")
	e.must(200, "PATCH", "/api/v1/incidents/INC-1", `{"version":1,"title":"Checkout down in the EU","impact":"Bob's impact","mitigated_at":"2024-01-25T10:30:00Z"}`, nil)

	typed.Set("title", "Checkout down (Ana)")
	typed.Set("impact", "Ana's impact")
	typed.Set("mitigated_at", "2024-01-25 10:30") // the same as Bob's
	w := e.form(c, "/incidents/INC-1", typed)
	body := w.Body.String()
	if w.Code != http.StatusConflict || !strings.Contains(body, "changed the title meanwhile") || !strings.Contains(body, "changed the impact meanwhile") ||
		strings.Contains(body, "changed the mitigated time") {
		t.Fatalf("both changed: %d, want 409 naming the title and the impact, not the mitigation both saved", w.Code)
	}
	if w = e.form(c, "/incidents/INC-1", formValues(t, body, "/incidents/INC-1")); w.Code != http.StatusSeeOther {
		t.Fatalf("saving again: %d", w.Code)
	}
	inc, _ := e.store.Incident(context.Background(), "INC-1")
	if inc.Title != "Checkout down (Ana)" || inc.Impact != "Ana's impact" {
		t.Errorf("title %q, impact %q: want Ana's, saved over Bob's once she was told", inc.Title, inc.Impact)
	}
}

// A form that does not say what it showed, refused, comes back so that
// its next save names what each changed field now holds before replacing
// it: saved again as it came back, it overwrote a change made meanwhile
// unseen.
func TestDetailsWithoutShownRefusedThenSaved(t *testing.T) {
	e := newEnv(t, storetest.SQLite(t))
	c := e.signIn("ana@example.com", incident.RoleEditor)
	e.must(201, "POST", "/api/v1/incidents", `{"title":"Checkout down","started_at":"2024-01-25T10:00:00Z"}`, nil)
	old := formValues(t, e.get(c, "/incidents/INC-1").Body.String(), "/incidents/INC-1")
	old.Del("shown")
	e.must(200, "PATCH", "/api/v1/incidents/INC-1", `{"version":1,"impact":"All checkouts fail"}`, nil)
	old.Set("commander", "ana")
	w := e.form(c, "/incidents/INC-1", old)
	if w.Code != http.StatusConflict {
		t.Fatalf("stale form without what it showed: %d", w.Code)
	}
	again := formValues(t, w.Body.String(), "/incidents/INC-1")
	w = e.form(c, "/incidents/INC-1", again)
	if inc, _ := e.store.Incident(context.Background(), "INC-1"); inc.Impact != "All checkouts fail" {
		t.Fatalf("saving the form as it came back (%d) replaced the other's impact unseen with %q", w.Code, inc.Impact)
	}
}

// An entry's form refused for a bad time comes back with the fields left
// alone as they now are.
func TestEditEntryRefusedShowsTheEntryAsItIs(t *testing.T) {
	e, c, ev, path, v := openEntryForm(t)
	e.must(200, "PATCH", "/api/v1/incidents/INC-1/events/"+itoa(ev.ID), `{"kind":"escalation"}`, nil)
	v.Set("at", "soon")
	w := e.form(c, path, v)
	if w.Code != http.StatusBadRequest || !strings.Contains(w.Body.String(), `value="escalation" selected`) || !strings.Contains(w.Body.String(), `value="soon"`) {
		t.Fatalf("bad time: %d, or the form does not show the kind as it now is and the time as typed", w.Code)
	}
	again := formValues(t, w.Body.String(), path)
	again.Set("at", "2024-01-25 10:06")
	if w = e.form(c, path, again); w.Code != http.StatusSeeOther {
		t.Fatalf("saving again: %d", w.Code)
	}
	got, _ := e.store.Event(context.Background(), ev.IncidentID, ev.ID)
	if got.Kind != incident.KindEscalation || got.At.UTC().Format("15:04") != "10:06" {
		t.Errorf("kind %s at %s: want Bob's kind and Ana's time", got.Kind, got.At.UTC())
	}
}
