package web_test

import (
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"hindsight/internal/incident"
	"hindsight/internal/store"
	"hindsight/internal/store/storetest"
	"hindsight/internal/web"
)

// TestTokensNeverInURLsOrLogs sends tokens every way a client might, the
// wrong ones included: only a feed token is taken from a URL, and only by
// the feed; no token shows up in the log or in a response header.
func TestTokensNeverInURLsOrLogs(t *testing.T) {
	var logs syncBuffer
	e := newEnv(t, storetest.SQLite(t))
	e.server = newServerLoggingTo(e.store, &logs)
	feedToken, _, err := e.store.CreateToken(t.Context(), "calendar", incident.RoleFeed)
	if err != nil {
		t.Fatal(err)
	}
	e.tokens[incident.RoleFeed] = feedToken
	revoked, tok, err := e.store.CreateToken(t.Context(), "old", incident.RoleAdmin)
	if err != nil {
		t.Fatal(err)
	}
	if err := e.store.RevokeToken(t.Context(), tok.ID); err != nil {
		t.Fatal(err)
	}
	e.must(201, "POST", "/api/v1/incidents", `{"title":"Leaky"}`, nil)

	send := func(method, target, auth, body string) *httptest.ResponseRecorder {
		t.Helper()
		req := httptest.NewRequest(method, target, strings.NewReader(body))
		if body != "" {
			req.Header.Set("Content-Type", "application/json")
		}
		if auth != "" {
			req.Header.Set("Authorization", auth)
		}
		w := httptest.NewRecorder()
		e.server.ServeHTTP(w, req)
		for name, values := range w.Header() {
			for _, v := range values {
				for _, secret := range append(allTokens(e), revoked) {
					if strings.Contains(v, strings.TrimPrefix(secret, "hst_")) {
						t.Errorf("%s %s: response header %s holds a token", method, target, name)
					}
				}
			}
		}
		return w
	}
	expect := func(w *httptest.ResponseRecorder, status int, what string) {
		t.Helper()
		if w.Code != status {
			t.Errorf("%s: %d, want %d: %s", what, w.Code, status, w.Body)
		}
	}

	// The ways that work: a header, basic auth, a feed token in the feed's URL.
	for role, secret := range e.tokens {
		switch role {
		case incident.RoleWebhook:
			expect(send("POST", "/hooks/generic", "Bearer "+secret, `{"title":"Disk full"}`), 200, "webhook by header")
			req := "Basic " + basic("alertmanager", secret)
			expect(send("POST", "/hooks/generic", req, `{"title":"Disk full"}`), 200, "webhook by basic auth")
		case incident.RoleFeed:
			expect(send("GET", "/api/v1/tasks.ics?feed="+secret, "", ""), 200, "feed token in the feed URL")
		default:
			expect(send("GET", "/api/v1/incidents", "Bearer "+secret, ""), 200, string(role)+" by header")
		}
	}
	// Tokens in URLs are refused everywhere else, whatever the parameter.
	for role, secret := range e.tokens {
		for _, param := range []string{"token", "access_token", "api_key", "feed", "auth"} {
			for _, target := range []string{"/api/v1/incidents", "/api/v1/tasks", "/api/v1/tokens"} {
				expect(send("GET", target+"?"+param+"="+secret, "", ""), 401, fmt.Sprintf("%s token as ?%s= on %s", role, param, target))
			}
			expect(send("POST", "/hooks/generic?"+param+"="+secret, "", `{"title":"Disk full"}`), 401, fmt.Sprintf("%s token as ?%s= on a webhook", role, param))
		}
		if role != incident.RoleFeed {
			expect(send("GET", "/api/v1/tasks.ics?feed="+secret, "", ""), 401, string(role)+" token in the feed URL")
		}
	}
	// Mistakes and attacks: a token in the path, a revoked or mangled one.
	admin := e.tokens[incident.RoleAdmin]
	expect(send("GET", "/api/v1/incidents/"+admin, "Bearer "+admin, ""), 404, "token in the path")
	expect(send("GET", "/"+admin, "", ""), 404, "token as the path")
	expect(send("GET", "/api/v1/incidents", "Bearer "+revoked, ""), 401, "revoked token")
	expect(send("GET", "/api/v1/tasks.ics?feed="+revoked, "", ""), 401, "revoked token in the feed URL")
	expect(send("GET", "/api/v1/incidents", "Bearer "+admin+"x", ""), 401, "mangled token")
	expect(send("GET", "/api/v1/incidents", "Token "+admin, ""), 401, "token under another scheme")

	// A token made on the settings page is shown once in the page, never
	// in the URL it redirects to.
	admin2 := e.signIn("ada@example.com", incident.RoleAdmin)
	w := e.form(admin2, "/settings/tokens", url.Values{"name": {"grafana"}, "role": {"webhook"}})
	page := e.get(admin2, "/settings").Body.String()
	i := strings.Index(page, `value="hst_`)
	if w.Code != http.StatusSeeOther || i < 0 {
		t.Fatalf("token from the settings page: %d", w.Code)
	}
	pageToken := page[i+7 : i+7+strings.Index(page[i+7:], `"`)]
	if strings.Contains(w.Header().Get("Location"), pageToken) {
		t.Errorf("redirected to a URL with the token: %s", w.Header().Get("Location"))
	}

	out := logs.String()
	if !strings.Contains(out, "status=401") || !strings.Contains(out, "path=/api/v1/tasks.ics") {
		t.Fatalf("the test reads the wrong log:\n%s", out)
	}
	for _, secret := range append(allTokens(e), revoked, pageToken) {
		if strings.Contains(out, strings.TrimPrefix(secret, "hst_")) {
			t.Errorf("a token is in the log:\n%s", out)
		}
	}
}

func allTokens(e *env) []string {
	var out []string
	for _, s := range e.tokens {
		out = append(out, s)
	}
	return out
}

func basic(user, password string) string {
	req, _ := http.NewRequest("GET", "/", nil)
	req.SetBasicAuth(user, password)
	return strings.TrimPrefix(req.Header.Get("Authorization"), "Basic ")
}

// TestRevokedTokenRefusedAtOnce revokes tokens of each kind through the
// API while their holders stay connected: the very next request on the
// same connection is refused, on every database.
func TestRevokedTokenRefusedAtOnce(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		e := newEnv(t, st)
		srv := httptest.NewServer(e.server)
		defer srv.Close()
		client := srv.Client() // keeps its connection open between requests
		do := func(method, target, token, body string) int {
			t.Helper()
			req, _ := http.NewRequest(method, srv.URL+target, strings.NewReader(body))
			if body != "" {
				req.Header.Set("Content-Type", "application/json")
			}
			if token != "" {
				req.Header.Set("Authorization", "Bearer "+token)
			}
			resp, err := client.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			return resp.StatusCode
		}
		admin := e.tokens[incident.RoleAdmin]
		for _, tc := range []struct {
			role                 incident.Role
			method, target, body string
			token                bool // as Bearer; else in the URL
		}{
			{incident.RoleViewer, "GET", "/api/v1/incidents", "", true},
			{incident.RoleEditor, "POST", "/api/v1/incidents", `{"title":"x"}`, true},
			{incident.RoleAdmin, "GET", "/api/v1/tokens", "", true},
			{incident.RoleWebhook, "POST", "/hooks/generic", `{"title":"Disk full"}`, true},
			{incident.RoleFeed, "GET", "/api/v1/tasks.ics?feed=", "", false},
		} {
			t.Run(string(tc.role), func(t *testing.T) {
				var created struct {
					ID    int64
					Token string
				}
				w := e.do(incident.RoleAdmin, "POST", "/api/v1/tokens", fmt.Sprintf(`{"name":"short-lived","role":%q}`, tc.role))
				if err := json.Unmarshal(w.Body.Bytes(), &created); err != nil || w.Code != 201 {
					t.Fatalf("create: %d %s", w.Code, w.Body)
				}
				request := func() int {
					if tc.token {
						return do(tc.method, tc.target, created.Token, tc.body)
					}
					return do(tc.method, tc.target+created.Token, "", tc.body)
				}
				if got := request(); got/100 != 2 {
					t.Fatalf("before revoking: %d", got)
				}
				if got := do("DELETE", fmt.Sprintf("/api/v1/tokens/%d", created.ID), admin, ""); got != 204 {
					t.Fatalf("revoke: %d", got)
				}
				if got := request(); got != 401 {
					t.Fatalf("right after revoking: %d, want 401", got)
				}
				if got := do("DELETE", fmt.Sprintf("/api/v1/tokens/%d", created.ID), admin, ""); got != 404 {
					t.Fatalf("revoking again: %d, want 404", got)
				}
			})
		}
	})
}

// TestClientAddress: the request log names the peer, not whatever
// X-Forwarded-For a client sends, unless the peer is a trusted proxy.
func TestClientAddress(t *testing.T) {
	st := storetest.SQLite(t)
	for _, tc := range []struct {
		name    string
		proxies []string
		want    string
	}{
		{"NoProxyTrusted", nil, "remote=192.0.2.7"},
		{"TrustedProxy", []string{"192.0.2.0/24"}, "remote=203.0.113.9"},
		{"OtherProxy", []string{"198.51.100.1"}, "remote=192.0.2.7"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var logs syncBuffer
			srv := web.New(st, web.Config{Logger: slog.New(slog.NewTextHandler(&logs, nil)), TrustedProxies: tc.proxies})
			defer srv.Close(t.Context())
			req := httptest.NewRequest("GET", "/healthz", nil)
			req.RemoteAddr = "192.0.2.7:40000"
			req.Header.Set("X-Forwarded-For", "203.0.113.9")
			req.Header.Set("X-Real-IP", "203.0.113.10")
			srv.ServeHTTP(httptest.NewRecorder(), req)
			if !strings.Contains(logs.String(), tc.want+"\n") {
				t.Fatalf("log %q lacks %s", logs.String(), tc.want)
			}
		})
	}
}
