package web_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"hindsight/internal/incident"
	"hindsight/internal/store"
	"hindsight/internal/store/storetest"
)

func userID(t testing.TB, e *env, email string) int64 {
	t.Helper()
	u, _, err := e.store.UserPasswordHash(context.Background(), email)
	if err != nil {
		t.Fatal(err)
	}
	return u.ID
}

// signedOut checks that a session cookie opens nothing any more: pages
// send it to sign in, forms are refused.
func signedOut(t *testing.T, e *env, c *http.Cookie) {
	t.Helper()
	if w := e.get(c, "/"); w.Code != http.StatusSeeOther || !strings.HasPrefix(w.Header().Get("Location"), "/login") {
		t.Errorf("page with the old session: %d %s", w.Code, w.Header().Get("Location"))
	}
	if w := e.form(c, "/incidents/INC-1/events", url.Values{"text": {"still here"}}); w.Code != http.StatusUnauthorized {
		t.Errorf("form with the old session: %d", w.Code)
	}
}

// TestSessionsEnd: a session ends when it expires, when its user is
// removed (every session of theirs, at once), and a change of role holds
// from the next request on.
func TestSessionsEnd(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) { testSessionsEnd(t, newEnv(t, st)) })
}

func testSessionsEnd(t *testing.T, e *env) {
	e.must(201, "POST", "/api/v1/incidents", `{"title":"Outage"}`, nil)
	admin := e.signIn("ada@example.com", incident.RoleAdmin)
	laptop := e.signIn("ed@example.com", incident.RoleEditor)
	phone := e.form(nil, "/login", url.Values{"email": {"ed@example.com"}, "password": {testPassword}})
	phoneCookie := sessionCookie(phone)
	ed := userID(t, e, "ed@example.com")

	t.Run("RoleChangeHoldsAtOnce", func(t *testing.T) {
		if w := e.form(laptop, "/incidents/INC-1/events", url.Values{"text": {"Paged the DBA"}}); w.Code != http.StatusSeeOther {
			t.Fatalf("editor writes: %d", w.Code)
		}
		if w := e.form(admin, fmt.Sprintf("/settings/users/%d", ed), url.Values{"role": {"viewer"}}); w.Code != http.StatusSeeOther {
			t.Fatalf("change role: %d", w.Code)
		}
		if w := e.form(laptop, "/incidents/INC-1/events", url.Values{"text": {"again"}}); w.Code != http.StatusForbidden {
			t.Fatalf("viewer now, but wrote: %d", w.Code)
		}
		if w := e.form(admin, fmt.Sprintf("/settings/users/%d", ed), url.Values{"role": {"feed"}}); w.Code != http.StatusSeeOther {
			t.Fatalf("role feed: %d", w.Code)
		}
		if u, _, _ := e.store.UserPasswordHash(context.Background(), "ed@example.com"); u.Role != incident.RoleViewer {
			t.Fatalf("a person got role %s, which is for tokens", u.Role)
		}
	})
	t.Run("RemovedUserSignedOutEverywhere", func(t *testing.T) {
		w := e.form(admin, fmt.Sprintf("/settings/users/%d/delete", ed), url.Values{"sure": {"1"}})
		if w.Code != http.StatusSeeOther {
			t.Fatalf("remove: %d %s", w.Code, w.Body)
		}
		if page := e.get(admin, "/settings").Body.String(); !strings.Contains(page, "Removed ed@example.com") || strings.Contains(page, `<span class="who">ed@example.com`) {
			t.Fatalf("settings after removing:\n%s", page)
		}
		signedOut(t, e, laptop)
		signedOut(t, e, phoneCookie)
		if w := e.form(nil, "/login", url.Values{"email": {"ed@example.com"}, "password": {testPassword}}); sessionCookie(w) != nil {
			t.Fatal("a removed user signed in again")
		}
	})
	t.Run("RemovedThroughAPI", func(t *testing.T) {
		c := e.signIn("vic@example.com", incident.RoleViewer)
		if w := e.do(incident.RoleAdmin, "DELETE", fmt.Sprintf("/api/v1/users/%d", userID(t, e, "vic@example.com")), ""); w.Code != http.StatusNoContent {
			t.Fatalf("DELETE user: %d %s", w.Code, w.Body)
		}
		signedOut(t, e, c)
		if w := e.do(incident.RoleAdmin, "DELETE", "/api/v1/users/424242", ""); w.Code != http.StatusNotFound {
			t.Fatalf("DELETE a user that is not there: %d", w.Code)
		}
	})
	t.Run("ErrLastAdmin", func(t *testing.T) {
		id := userID(t, e, "ada@example.com")
		if w := e.do(incident.RoleAdmin, "DELETE", fmt.Sprintf("/api/v1/users/%d", id), ""); w.Code != http.StatusUnprocessableEntity {
			t.Fatalf("removing the last admin: %d", w.Code)
		}
		e.form(admin, fmt.Sprintf("/settings/users/%d/delete", id), url.Values{"sure": {"1"}})
		if page := e.get(admin, "/settings"); page.Code != 200 || !strings.Contains(page.Body.String(), "last admin") {
			t.Fatalf("the last admin removed themselves: %d", page.Code)
		}
	})
	t.Run("Expired", func(t *testing.T) {
		c := e.signIn("old@example.com", incident.RoleEditor)
		e.store.Now = func() time.Time { return time.Now().Add(15 * 24 * time.Hour) }
		defer func() { e.store.Now = time.Now }()
		signedOut(t, e, c)
	})
}
