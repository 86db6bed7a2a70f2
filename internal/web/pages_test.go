package web

import (
	"io"
	"log/slog"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/gin-gonic/gin"

	"hindsight/internal/incident"
)

// pageServer is a server with its templates and no database: enough to
// render pages from typed data.
func pageServer(t *testing.T) *Server {
	t.Helper()
	s := &Server{cfg: Config{Now: func() time.Time { return testNow }}, log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	s.files = defaultFiles()
	var err error
	if s.pages, err = s.loadPages(); err != nil {
		t.Fatal(err)
	}
	return s
}

func init() { gin.SetMode(gin.ReleaseMode) }

var testNow = time.Date(2024, 1, 25, 15, 0, 0, 0, time.UTC)

func tp(hhmm string) *time.Time {
	t, _ := time.Parse(time.RFC3339, "2024-01-25T"+hhmm+":00Z")
	return &t
}

const evil = `<script>alert("x")</script>`

// sampleDetail is an incident with a bit of everything, user text that
// tries to inject markup included.
func sampleDetail() *incident.Detail {
	rcID := int64(1)
	d := &incident.Detail{Incident: incident.Incident{ID: 1, Ref: "INC-7", Title: "API down " + evil, Severity: incident.SEV1,
		Status: incident.StatusMonitoring, Commander: "ana", Services: []string{"api", "api-cache"}, Impact: "30% of users",
		PostmortemStatus: incident.PostmortemDraft, StartedAt: tp("10:00"), DetectedAt: tp("10:05"), AcknowledgedAt: tp("10:15"),
		MitigatedAt: tp("13:00"), Version: 3}}
	kinds := []incident.EventKind{incident.KindDetection, incident.KindNotification, incident.KindAlert, incident.KindAlert,
		incident.KindAlert, incident.KindInvestigation, incident.KindStatus, incident.KindRootCause, incident.KindAlert, incident.KindNote}
	for i, k := range kinds {
		at := tp("10:00").Add(time.Duration(i) * 20 * time.Minute)
		d.Events = append(d.Events, incident.Event{ID: int64(i + 1), IncidentID: 1, At: at, Kind: k, Text: "entry " + string(k) + "\nsecond line " + evil,
			Author: "ana", Source: incident.SourceManual, Highlight: k != incident.KindAlert, UpdatedAt: at})
	}
	d.Events = append(d.Events, incident.Event{ID: 99, IncidentID: 1, At: tp("10:00").Add(20 * time.Hour), Kind: incident.KindNote, Text: "next day"})
	d.RootCauses = []incident.RootCause{{ID: rcID, Description: "Cache TTL of 0 " + evil, Category: incident.CategoryConfiguration, Primary: true},
		{ID: 2, Description: "No alert on cache hit ratio", Category: incident.CategoryProcess}}
	d.Tasks = []incident.Task{{ID: 1, IncidentID: 1, IncidentRef: "INC-7", Title: "Validate config " + evil, Owner: "ana", DueAt: tp("12:00"),
		Priority: "P1", Status: incident.TaskOpen, Kind: incident.TaskTask, RootCauseID: &rcID, ExternalURL: "https://tracker.example/T-1"},
		{ID: 2, IncidentID: 1, IncidentRef: "INC-7", Title: "Runbook", Priority: "P3", Status: incident.TaskDone, Kind: incident.TaskImprovement}}
	end := tp("11:00")
	d.Alerts = []incident.Alert{{ID: 1, Source: "alertmanager", Name: "APIHighErrorRate", Status: incident.AlertResolved, StartsAt: *tp("10:01"), EndsAt: end,
		Labels: map[string]string{"instance": "api-1", "service": "api"}, Annotations: map[string]string{"summary": "Error rate " + evil}}}
	return d
}

type fakePostmortems struct{}

func (fakePostmortems) Templates() []string { return []string{"default", "short"} }
func (fakePostmortems) Markdown(d *incident.Detail, tmpl string, loc *time.Location) ([]byte, error) {
	return []byte("# Postmortem: " + d.Title + "\n"), nil
}
func (fakePostmortems) HTML(md []byte) ([]byte, error) {
	return []byte("<h1>Postmortem</h1><p>" + evil + "</p>"), nil
}
func (fakePostmortems) Check(d *incident.Detail) []Finding {
	return []Finding{{Severity: "error", Field: "root_cause", Message: "No root cause summary"}, {Severity: "warning", Message: "Task without owner"}}
}

var (
	inlineScript = regexp.MustCompile(`<script(?:\s[^>]*)?>\s*[^<\s]`)
	inlineAttrs  = regexp.MustCompile(`\s(?:style|on[a-z]+)=`)
)

// TestPagesRender renders every page from typed data: a template that
// fails, or markup that the Content-Security-Policy would block, fails
// here and not in front of a user.
func TestPagesRender(t *testing.T) {
	s := pageServer(t)
	admin := &sessionUser{User: incident.User{ID: 1, Email: "ana@example.com", Role: incident.RoleAdmin}}
	viewer := &sessionUser{User: incident.User{ID: 2, Email: "vic@example.com", Role: incident.RoleViewer}}
	berlin, _ := time.LoadLocation("Europe/Berlin")
	incidentData := func(u *sessionUser, show string, loc *time.Location) *incidentView {
		p := &incidentView{Layout: Layout{Title: "INC-7", User: u, Zone: loc, Stream: "/incidents/INC-7/stream"}, Show: show}
		p.build(sampleDetail(), testNow)
		p.Return = "/incidents/INC-7"
		p.Errors["entry.text"] = "text is required"
		p.Errors["details.title"] = "title is required"
		p.Entry.Text = "typed " + evil
		p.FormError = "changed by someone else"
		return p
	}
	d := sampleDetail()
	pm := &postmortemPage{Layout: Layout{Title: "Postmortem", User: admin}, Inc: d.Incident, States: postmortemStates}
	s.cfg.Postmortems = fakePostmortems{}
	if err := s.fillPostmortem(pm, d, "short", time.UTC); err != nil {
		t.Fatal(err)
	}
	s.cfg.Postmortems = nil
	items := []incidentItem{{Incident: d.Incident, Started: d.StartedAt.In(time.UTC), Span: "open for 5 hours"}}
	tasks := []taskView{viewTask(d.Tasks[0], testNow, time.UTC), viewTask(d.Tasks[1], testNow, time.UTC)}
	cases := []struct {
		name, page string
		data       page
		want       []string
	}{
		{"Login", "login", &loginPage{Layout: Layout{Title: "Sign in"}, Form: loginForm{Email: "ana@example.com"}, Error: "Wrong email or password."},
			[]string{`name="email"`, `name="password"`, `value="ana@example.com"`, "Wrong email or password."}},
		{"Setup", "setup", &setupPage{Layout: Layout{Title: "Set up"}, Form: setupForm{Token: "abc"}, Errors: map[string]string{"password": "too short"}},
			[]string{`name="token" value="abc"`, "too short"}},
		{"Error", "error", &errorPage{Layout: Layout{Title: "Not Found"}, Status: 404, Message: "no " + evil}, []string{"no &lt;script&gt;"}},
		{"Incidents", "incidents", &incidentsPage{Layout: Layout{Title: "Incidents", User: admin}, Items: items, NextURL: "/?cursor=x",
			FirstURL: "/", Statuses: incident.Statuses, Severities: incident.Severities, Filter: incident.Filter{Query: "cache"}, Filtered: true},
			[]string{"INC-7", "sev-SEV1", "open for 5 hours", `href="/?cursor=x"`, "Declare an incident", "api, api-cache"}},
		{"IncidentsEmpty", "incidents", &incidentsPage{Layout: Layout{Title: "Incidents", User: viewer}, Statuses: incident.Statuses, Severities: incident.Severities},
			[]string{"No incidents yet"}},
		{"NewIncident", "new_incident", &newIncidentPage{Layout: Layout{Title: "Declare", User: admin}, Form: incidentForm{Title: evil, Severity: "SEV2"},
			Errors: map[string]string{"title": "title is required"}, Severities: incident.Severities},
			[]string{`value="SEV2" selected`, "title is required", "&lt;script&gt;"}},
		{"Incident", "incident", incidentData(admin, "", time.UTC),
			[]string{`id="entry-form"`, "3 alert entries", "Thursday, 25 January 2024", "Friday, 26 January 2024", "Root cause", "Contributing factor",
				"overdue", "No task addresses this cause yet.", "APIHighErrorRate", "Time to mitigate", "3 hours", `data-stream="/incidents/INC-7/stream"`,
				"text is required", "changed by someone else", `name="status" value="identified"`, "instance api-1"}},
		{"IncidentViewer", "incident", incidentData(viewer, "", berlin), []string{`data-tz="Europe/Berlin"`, "11:00"}},
		{"IncidentAlertsOnly", "incident", incidentData(admin, "alerts", time.UTC), []string{"entry alert", "Alerts (4)"}},
		{"IncidentHighlights", "incident", incidentData(admin, "highlights", time.UTC), []string{"Highlights (6)"}},
		{"EditEvent", "edit_event", &editEventPage{Layout: Layout{Title: "Edit", User: admin}, Inc: d.Incident, Event: d.Events[0],
			Form: entryForm{At: "2024-01-25 10:00:00", Kind: "detection", Text: evil, Highlight: true}, Kinds: incident.EventKinds,
			Errors: map[string]string{"at": "not a time"}}, []string{`value="detection" selected`, "not a time", "Delete entry"}},
		{"Postmortem", "postmortem", pm, []string{"<h3>Postmortem</h3>", "No root cause summary", `value="short" selected`, "Download .md", "INC-7-postmortem.md"}},
		{"PostmortemUnavailable", "postmortem", &postmortemPage{Layout: Layout{Title: "Postmortem", User: admin}, Inc: d.Incident, States: postmortemStates},
			[]string{"not part of this build", `name="postmortem_status"`}},
		{"Tasks", "tasks", &tasksPage{Layout: Layout{Title: "Follow-ups", User: admin}, Tasks: tasks, Owners: []string{"ana"}, TaskStates: taskStates, Overdue: true, Return: "/tasks?overdue=true"},
			[]string{"overdue", `href="/incidents/INC-7#t1"`, `value="/tasks?overdue=true"`, `<option value="ana">`}},
		{"Settings", "settings", &settingsPage{Layout: Layout{Title: "Settings", User: admin, Flash: &flash{Message: "Created", Token: "hst_secret", Role: "webhook"}},
			Users: []incident.User{admin.User}, Tokens: []incident.Token{{ID: 1, Name: "am", Role: incident.RoleWebhook, CreatedAt: testNow}},
			Errors: map[string]string{"token.name": "name is required"}, Alertmanager: alertmanagerConfig("https://h.example", "hst_secret"),
			Grafana: grafanaConfig("https://h.example", "hst_secret"), UserRoles: []incident.Role{incident.RoleViewer}, TokenRoles: []incident.Role{incident.RoleWebhook}},
			[]string{"hst_secret", "https://h.example/hooks/alertmanager", "https://h.example/hooks/grafana", "name is required", "Revoke"}},
		{"Insights", "insights", insightsData(t, admin), []string{"Mean time to resolve", "<svg", "chart-data", "Incidents per month by severity"}},
		{"SettingsViewer", "settings", &settingsPage{Layout: Layout{Title: "Settings", User: viewer}, Errors: map[string]string{}}, []string{"Send alerts to Hindsight"}},
	}
	rendered := map[string]bool{}
	for _, tc := range cases {
		rendered[tc.page] = true
		t.Run(tc.name, func(t *testing.T) {
			w := httptest.NewRecorder()
			c, _ := gin.CreateTestContext(w)
			c.Request = httptest.NewRequest("GET", "/", nil)
			if err := s.render(c, 200, tc.page, tc.data); err != nil {
				t.Fatal(err)
			}
			body := w.Body.String()
			for _, want := range tc.want {
				if !strings.Contains(body, want) {
					t.Errorf("page lacks %q", want)
				}
			}
			if strings.Contains(body, evil) {
				t.Error("user text reached the page unescaped")
			}
			if m := inlineScript.FindString(body); m != "" {
				t.Errorf("inline script: %q", m)
			}
			if m := inlineAttrs.FindString(body); m != "" {
				t.Errorf("inline style or handler: %q", m)
			}
			if !strings.Contains(body, "/static/app.") || !strings.HasPrefix(body, "<!doctype html>") {
				t.Error("page lacks the layout")
			}
		})
	}
	for _, name := range pageNames {
		if !rendered[name] {
			t.Errorf("page %s is not rendered by this test", name)
		}
	}
}

func TestEveryPageIsRendered(t *testing.T) {
	// The cases of TestPagesRender name their page; this keeps the list
	// of page templates and the list the handlers use the same.
	s := pageServer(t)
	if len(s.pages.byName) != len(pageNames) {
		t.Fatalf("templates %d, pages the handlers know %d: a page template is neither rendered nor tested", len(s.pages.byName), len(pageNames))
	}
}

func insightsData(t *testing.T, u *sessionUser) *insightsPage {
	t.Helper()
	d := sampleDetail()
	d.ResolvedAt = tp("14:00")
	from := time.Date(2023, 12, 1, 0, 0, 0, 0, time.UTC)
	r, err := incident.ComputeReport(incident.StatsData{Incidents: []incident.Incident{d.Incident}, Tasks: d.Tasks, RootCauses: d.RootCauses}, &from, testNow, testNow)
	if err != nil {
		t.Fatal(err)
	}
	p := &insightsPage{Layout: Layout{Title: "Insights", User: u}, Severities: incident.Severities, Incidents: r.Incidents,
		Figures: []labelled{{"Incidents", "1"}, {"Mean time to resolve", "4 hours"}}}
	for _, ch := range InsightCharts(&r) {
		p.Charts = append(p.Charts, insightChart{Title: ch.Title, SVG: ch.SVG(), Table: ch.Table().HTML()})
	}
	return p
}

// A share of tasks done reads 100% only when all are done, and 0% only
// when none is.
func TestPercent(t *testing.T) {
	for f, want := range map[float64]string{0: "0%", 0.001: "1%", 0.5: "50%", 0.994: "99%", 199.0 / 200: "99%", 1: "100%"} {
		if got := percent(f); got != want {
			t.Errorf("percent(%v) = %s, want %s", f, got, want)
		}
	}
}
