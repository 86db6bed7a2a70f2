package web_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"hindsight/internal/incident"
	"hindsight/internal/store/storetest"
	"hindsight/internal/web"
	"hindsight/internal/xsstest"
)

// pageHTML is what a page may hold: its own scripts from /static/, and
// nothing else that runs.
var pageHTML = xsstest.Policy{ScriptSrcPrefix: "/static/"}

func clipTo(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:n])
}

// TestPagesXSS puts every attack of the corpus into every field a page
// shows: the incident's texts, its timeline, causes and tasks, the labels
// and annotations of its alerts, token names, user emails, flash messages,
// the filters and search a page echoes, the input a refused form shows
// again, and the postmortem preview. No page holds anything that runs.
func TestPagesXSS(t *testing.T) {
	e := newHookEnv(t, storetest.SQLite(t), web.Config{})
	ctx := context.Background()
	admin := e.signIn("ada@example.com", incident.RoleAdmin)
	pages := 0
	check := func(what, body string) {
		t.Helper()
		pages++
		if bad := pageHTML.Unsafe([]byte(body)); bad != "" {
			i := max(0, strings.Index(body, "alert(")-200)
			t.Errorf("%s holds %s:\n…%s…", what, bad, body[i:min(len(body), i+400)])
		}
	}
	get := func(what, path string, want int) {
		t.Helper()
		w := e.get(admin, path)
		if w.Code != want {
			t.Fatalf("%s: GET %s: %d, want %d", what, path, w.Code, want)
		}
		check(what+" "+path, w.Body.String())
	}

	vectors := xsstest.Vectors()
	start := time.Date(2024, 1, 25, 10, 0, 0, 0, time.UTC)
	for i, v := range vectors {
		short := clipTo(v, incident.MaxNameLen)
		d := &incident.Detail{Incident: incident.Incident{Title: clipTo(v, incident.MaxTitleLen), Severity: incident.SEV2,
			Impact: v, RootCause: v, Resolution: v, Conclusion: v, Commander: short, Services: []string{short},
			StartedAt: &start},
			Events: []incident.Event{{At: start.Add(time.Minute), Kind: incident.KindInvestigation, Text: v, Author: short,
				Source: incident.SourceManual, Highlight: true}},
			RootCauses: []incident.RootCause{{Description: v, Category: incident.CategoryCode, Primary: true}},
			Tasks: []incident.Task{{Title: v, Owner: short, Kind: incident.TaskTask,
				ExternalURL: "https://tracker.example.com/?q=" + url.QueryEscape(v)}}}
		if err := e.store.CreateIncident(ctx, d); err != nil {
			t.Fatalf("vector %d %q: %v", i, v, err)
		}
		// An alert whose every label and annotation is the attack, on the
		// incident it opens.
		labels := map[string]string{"alertname": short, "severity": "critical", "instance": short, "service": short, "job": v}
		annotations := map[string]string{"summary": v, "description": v, "runbook_url": v}
		body, _ := json.Marshal(map[string]any{"version": "4", "status": "firing", "receiver": v, "groupKey": fmt.Sprintf("xss-%d", i),
			"commonAnnotations": annotations, "alerts": []map[string]any{{"status": "firing", "labels": labels,
				"annotations": annotations, "startsAt": start.Add(2 * time.Minute), "fingerprint": fmt.Sprintf("xss%d", i)}}})
		res := ingestResult(t, e.hook("/hooks/alertmanager", string(body), e.bearer(incident.RoleWebhook)))
		// And one below the open-at threshold, which the incident pages
		// offer to attach.
		labels["severity"] = "info"
		body, _ = json.Marshal(map[string]any{"version": "4", "status": "firing", "receiver": v, "groupKey": fmt.Sprintf("xss-low-%d", i),
			"alerts": []map[string]any{{"status": "firing", "labels": labels, "annotations": annotations,
				"startsAt": start.Add(3 * time.Minute), "fingerprint": fmt.Sprintf("xss-low%d", i)}}})
		ingestResult(t, e.hook("/hooks/alertmanager", string(body), e.bearer(incident.RoleWebhook)))

		// The attack is shown, as text: the checks below see it.
		if text := xsstest.Text(e.get(admin, "/incidents/"+d.Ref).Body.Bytes()); !strings.Contains(text, strings.TrimSpace(strings.Split(v, "\n")[0])) {
			t.Fatalf("the incident page does not show %q as text", v)
		}
		for _, ref := range []string{d.Ref, res.IncidentRef} {
			get("incident page", "/incidents/"+ref, 200)
			get("postmortem preview", "/incidents/"+ref+"/postmortem", 200)
			get("postmortem preview, sre template", "/incidents/"+ref+"/postmortem?template=sre", 200)
		}
		get("entry editor", fmt.Sprintf("/incidents/%s/events/%d", d.Ref, d.Events[0].ID), 200)

		// What pages echo from the request.
		q := url.QueryEscape(v)
		get("incident list search", "/?q="+q+"&service="+q+"&status=investigating", 200)
		get("follow-ups filter", "/tasks?owner="+q, 200)
		get("insights filter", "/insights?service="+q+"&from=2024-01-01", 200)
		get("sign-in page", "/login?next="+q, http.StatusSeeOther)
		w := e.get(nil, "/login?next="+q)
		check("sign-in page without session", w.Body.String())
		w = e.get(admin, "/incidents/"+url.PathEscape(v))
		check("not-found page", w.Body.String())

		// Forms refused and shown again with the input kept.
		w = e.form(admin, "/incidents", url.Values{"title": {v}, "severity": {"SEV9"}, "commander": {v}, "services": {v}, "impact": {v}})
		check("refused declaration", w.Body.String())
		w = e.form(admin, "/incidents/"+d.Ref+"/events", url.Values{"text": {v}, "at": {v}, "kind": {v}})
		check("refused entry", w.Body.String())
		w = e.form(admin, "/incidents/"+d.Ref+"/tasks", url.Values{"title": {v}, "owner": {v}, "due": {v}, "priority": {"P9"}})
		check("refused task", w.Body.String())
		w = e.form(admin, "/incidents/"+d.Ref+"/root-causes", url.Values{"description": {v}, "category": {v}})
		check("refused cause", w.Body.String())
		w = e.form(admin, "/settings/users", url.Values{"email": {v}, "role": {"viewer"}, "password": {"short"}})
		check("refused user", w.Body.String())

		// Settings: a token named by the attack, shown in the flash and the
		// list; a user whose address holds it.
		if w := e.form(admin, "/settings/tokens", url.Values{"name": {short}, "role": {"webhook"}}); w.Code != http.StatusSeeOther {
			check("refused token", w.Body.String())
		}
		if _, err := e.store.CreateUser(ctx, clipTo(strings.ReplaceAll(v, "@", ""), 200)+"@example.com", incident.RoleViewer, "x"); err != nil &&
			incident.ErrorCode(err) != incident.EINVALID && incident.ErrorCode(err) != incident.ECONFLICT {
			t.Fatal(err)
		}
		get("settings", "/settings", 200)
	}
	// The lists, with every attack on them at once.
	get("incident list", "/", 200)
	get("incident list, all", "/?status=", 200)
	get("follow-ups", "/tasks", 200)
	get("insights", "/insights?from=2024-01-01", 200)
	get("settings", "/settings", 200)
	t.Logf("%d XSS vectors, %d pages and forms checked", len(vectors), pages)
}
