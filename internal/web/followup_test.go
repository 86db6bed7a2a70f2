package web_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"hindsight/internal/incident"
	"hindsight/internal/store"
	"hindsight/internal/store/storetest"
	"hindsight/internal/web"
)

func TestTaskListFilters(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		e := newEnv(t, st)
		e.must(201, "POST", "/api/v1/incidents", `{"title":"Big","severity":"SEV1"}`, nil)
		e.must(201, "POST", "/api/v1/incidents", `{"title":"Small","severity":"SEV4"}`, nil)
		e.must(201, "POST", "/api/v1/incidents/INC-1/tasks", `{"title":"big fix","owner":"ana"}`, nil)
		e.must(201, "POST", "/api/v1/incidents/INC-2/tasks", `{"title":"small fix","owner":"ana","due_at":"2020-01-01T00:00:00Z"}`, nil)
		var list struct{ Items []incident.Task }
		for _, tc := range []struct{ query, want string }{
			{"severity=SEV1", "big fix"},
			{"severity=sev4&owner=ana", "small fix"},
			{"incident=INC-2", "small fix"},
			{"incident=INC-1&overdue=true", ""},
			{"overdue=true&severity=SEV4", "small fix"},
		} {
			e.must(200, "GET", "/api/v1/tasks?"+tc.query, "", &list)
			var got []string
			for _, x := range list.Items {
				got = append(got, x.Title)
			}
			if strings.Join(got, ",") != tc.want {
				t.Errorf("%s: %v, want %s", tc.query, got, tc.want)
			}
		}
		// A task created without a due date got the default of its severity.
		e.must(200, "GET", "/api/v1/tasks?severity=SEV1", "", &list)
		if d := list.Items[0].DueAt; d == nil || d.UTC().Format("2006-01-02 15:04:05") != time.Now().UTC().AddDate(0, 0, 14).Format("2006-01-02")+" 23:59:59" {
			t.Errorf("SEV1 task due %v, want at the end of the day 14 days on", d)
		}
		for _, q := range []string{"severity=SEV9", "format=xml"} {
			if w := e.do(incident.RoleViewer, "GET", "/api/v1/tasks?"+q, ""); w.Code != 400 {
				t.Errorf("%s: %d", q, w.Code)
			}
		}
	})
}

// readCSV checks the headers of a CSV answer and reads it back.
func readCSV(t *testing.T, w *httptest.ResponseRecorder, name string) [][]string {
	t.Helper()
	if w.Code != 200 {
		t.Fatalf("status %d: %s", w.Code, w.Body)
	}
	if ct := w.Header().Get("Content-Type"); ct != "text/csv; charset=utf-8" {
		t.Errorf("Content-Type %q", ct)
	}
	if cd := w.Header().Get("Content-Disposition"); !strings.HasPrefix(cd, `attachment; filename="`+name+"-") || !strings.HasSuffix(cd, `.csv"`) {
		t.Errorf("Content-Disposition %q", cd)
	}
	rows, err := csv.NewReader(bytes.NewReader(w.Body.Bytes())).ReadAll()
	if err != nil {
		t.Fatalf("not CSV: %v\n%s", err, w.Body)
	}
	return rows
}

func column(t *testing.T, rows [][]string, name string) int {
	t.Helper()
	for i, h := range rows[0] {
		if h == name {
			return i
		}
	}
	t.Fatalf("no column %q in %v", name, rows[0])
	return -1
}

func TestCSVExport(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		e := newEnv(t, st)
		tricky := "Cache \"hot\", then cold; again"
		body, _ := json.Marshal(map[string]any{"title": tricky, "severity": "SEV2", "services": []string{"api", "cache"},
			"started_at": "2024-01-25T10:00:00Z", "impact": "=HYPERLINK(\"http://evil\")"})
		e.must(201, "POST", "/api/v1/incidents", string(body), nil)
		e.must(201, "POST", "/api/v1/incidents", `{"title":"Second","started_at":"2024-01-26T10:00:00Z"}`, nil)
		e.must(201, "POST", "/api/v1/incidents", `{"title":"Third","started_at":"2024-01-27T10:00:00Z"}`, nil)
		e.must(201, "POST", "/api/v1/incidents/INC-1/tasks", `{"title":"Fix, then\ntest","owner":"ana","due_at":"2020-02-01T00:00:00Z","priority":"P1"}`, nil)

		t.Run("Incidents", func(t *testing.T) {
			rows := readCSV(t, e.do(incident.RoleViewer, "GET", "/api/v1/incidents?format=csv", ""), "incidents")
			if len(rows) != 4 || rows[0][0] != "id" || rows[0][1] != "ref" {
				t.Fatalf("rows %q", rows)
			}
			last := rows[3] // newest first, as the list
			if last[column(t, rows, "ref")] != "INC-1" || last[column(t, rows, "title")] != tricky ||
				last[column(t, rows, "services")] != "api;cache" || last[column(t, rows, "started_at")] != "2024-01-25T10:00:00Z" ||
				last[column(t, rows, "severity")] != "SEV2" || last[column(t, rows, "resolved_at")] != "" {
				t.Errorf("INC-1 row %q", last)
			}
			if got := last[column(t, rows, "impact")]; got != "'=HYPERLINK(\"http://evil\")" {
				t.Errorf("a formula must stay text: %q", got)
			}
		})
		t.Run("IncidentsFiltered", func(t *testing.T) {
			rows := readCSV(t, e.do(incident.RoleViewer, "GET", "/api/v1/incidents?format=csv&severity=SEV2", ""), "incidents")
			if len(rows) != 2 || rows[1][1] != "INC-1" {
				t.Fatalf("rows %q", rows)
			}
			rows = readCSV(t, e.do(incident.RoleViewer, "GET", "/api/v1/incidents?format=csv&limit=2", ""), "incidents")
			if len(rows) != 3 || rows[1][1] != "INC-3" {
				t.Fatalf("limit 2: %q", rows)
			}
		})
		t.Run("Tasks", func(t *testing.T) {
			rows := readCSV(t, e.do(incident.RoleViewer, "GET", "/api/v1/tasks?format=csv&owner=ana", ""), "tasks")
			if len(rows) != 2 {
				t.Fatalf("rows %q", rows)
			}
			r := rows[1]
			if r[column(t, rows, "title")] != "Fix, then\ntest" || r[column(t, rows, "incident_ref")] != "INC-1" ||
				r[column(t, rows, "overdue")] != "true" || r[column(t, rows, "due_at")] != "2020-02-01T00:00:00Z" ||
				r[column(t, rows, "priority")] != "P1" || r[column(t, rows, "completed_at")] != "" {
				t.Errorf("task row %q", r)
			}
			if !strings.Contains(e.do(incident.RoleViewer, "GET", "/api/v1/tasks?format=csv", "").Body.String(), "\r\n") {
				t.Error("CSV lines must end in CRLF")
			}
		})
		t.Run("ErrFormat", func(t *testing.T) {
			if w := e.do(incident.RoleViewer, "GET", "/api/v1/incidents?format=xlsx", ""); w.Code != 400 {
				t.Fatalf("%d", w.Code)
			}
			if w := e.do(incident.RoleViewer, "GET", "/api/v1/incidents?format=csv&severity=SEV9", ""); w.Code != 400 ||
				!strings.HasPrefix(w.Header().Get("Content-Type"), "application/json") {
				t.Fatalf("a refused export answers JSON: %d %s", w.Code, w.Header().Get("Content-Type"))
			}
		})
	})
}

func TestCSVExportSpansPages(t *testing.T) {
	e := newEnv(t, storetest.SQLite(t))
	start := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	n := incident.MaxPageLen + 3
	for i := range n {
		at := start.Add(time.Duration(i) * time.Hour)
		if err := e.store.CreateIncident(context.Background(), &incident.Detail{Incident: incident.Incident{Title: fmt.Sprint("outage ", i), StartedAt: &at}}); err != nil {
			t.Fatal(err)
		}
	}
	rows := readCSV(t, e.do(incident.RoleViewer, "GET", "/api/v1/incidents?format=csv", ""), "incidents")
	seen := map[string]bool{}
	for _, r := range rows[1:] {
		seen[r[1]] = true
	}
	if len(rows) != n+1 || len(seen) != n {
		t.Fatalf("%d rows, %d distinct, want %d", len(rows)-1, len(seen), n)
	}
}

type statsJSON struct {
	Incidents  int
	BySeverity map[string]int `json:"by_severity"`
	MTTD       durationJSON   `json:"mttd_seconds"`
	MTTA       durationJSON   `json:"mtta_seconds"`
	MTTM       durationJSON   `json:"mttm_seconds"`
	MTTR       durationJSON   `json:"mttr_seconds"`
	Tasks      struct {
		Total, Open, Done, Overdue int
		InProgress                 int      `json:"in_progress"`
		WontDo                     int      `json:"wont_do"`
		CompletionRate             *float64 `json:"completion_rate"`
		MedianDaysToDone           *float64 `json:"median_days_to_done"`
	}
	OpenRisks int `json:"open_risks"`
	ByMonth   []struct {
		Month     string
		Incidents int
		MTTR      durationJSON `json:"mttr_seconds"`
	} `json:"by_month"`
}

type durationJSON struct {
	Mean, Median *float64
	Count        int
}

func TestStatsAPI(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		e := newEnv(t, st)
		// Three incidents in January and March; one in 2023 outside the range.
		e.must(201, "POST", "/api/v1/incidents", `{"title":"A","severity":"SEV1","services":["api"],"started_at":"2024-01-10T10:00:00Z",
			"detected_at":"2024-01-10T10:05:00Z","acknowledged_at":"2024-01-10T10:15:00Z","mitigated_at":"2024-01-10T11:00:00Z","resolved_at":"2024-01-10T12:00:00Z"}`, nil)
		e.must(201, "POST", "/api/v1/incidents", `{"title":"B","severity":"SEV2","services":["db"],"started_at":"2024-01-20T00:00:00Z",
			"detected_at":"2024-01-20T00:15:00Z","resolved_at":"2024-01-20T04:00:00Z"}`, nil)
		e.must(201, "POST", "/api/v1/incidents", `{"title":"C","severity":"SEV2","services":["api"],"started_at":"2024-03-01T00:00:00Z"}`, nil)
		e.must(201, "POST", "/api/v1/incidents", `{"title":"Old","severity":"SEV1","started_at":"2023-06-01T00:00:00Z","resolved_at":"2023-06-02T00:00:00Z"}`, nil)
		var rc incident.RootCause
		e.must(201, "POST", "/api/v1/incidents/INC-1/root-causes", `{"description":"cache"}`, &rc)
		var done incident.Task
		e.must(201, "POST", "/api/v1/incidents/INC-1/tasks", fmt.Sprintf(`{"title":"fix","root_cause_id":%d}`, rc.ID), &done)
		e.must(200, "PATCH", fmt.Sprintf("/api/v1/tasks/%d", done.ID), `{"status":"done"}`, nil)
		e.must(201, "POST", "/api/v1/incidents/INC-2/root-causes", `{"description":"disk"}`, nil)
		e.must(201, "POST", "/api/v1/incidents/INC-2/tasks", `{"title":"late","due_at":"2024-02-01T00:00:00Z"}`, nil)
		e.must(201, "POST", "/api/v1/incidents/INC-2/tasks", `{"title":"skip","status":"wont_do"}`, nil)

		var s statsJSON
		e.must(200, "GET", "/api/v1/stats?from=2024-01-01&to=2024-03-31", "", &s)
		if s.Incidents != 3 || s.BySeverity["SEV1"] != 1 || s.BySeverity["SEV2"] != 2 || s.BySeverity["SEV3"] != 0 {
			t.Errorf("counts %+v", s)
		}
		// TTD: A 300, B 900 -> mean 600, median 600. C was declared with a
		// start only, so it has no detection time.
		checkDuration(t, "mttd", s.MTTD, 600, 600, 2)
		checkDuration(t, "mtta", s.MTTA, 600, 600, 1)     // A: 10:05 -> 10:15
		checkDuration(t, "mttm", s.MTTM, 3600, 3600, 1)   // A
		checkDuration(t, "mttr", s.MTTR, 10800, 10800, 2) // A 7200, B 14400
		if s.Tasks.Total != 3 || s.Tasks.Done != 1 || s.Tasks.Open != 1 || s.Tasks.WontDo != 1 || s.Tasks.Overdue != 1 {
			t.Errorf("tasks %+v", s.Tasks)
		}
		if s.Tasks.CompletionRate == nil || *s.Tasks.CompletionRate != 0.5 || s.Tasks.MedianDaysToDone == nil {
			t.Errorf("completion %v, median days %v", s.Tasks.CompletionRate, s.Tasks.MedianDaysToDone)
		}
		if s.OpenRisks != 1 {
			t.Errorf("open risks %d", s.OpenRisks)
		}
		if len(s.ByMonth) != 3 || s.ByMonth[0].Month != "2024-01" || s.ByMonth[0].Incidents != 2 || s.ByMonth[1].Incidents != 0 ||
			s.ByMonth[1].MTTR.Mean != nil || s.ByMonth[2].Incidents != 1 {
			t.Errorf("by month %+v", s.ByMonth)
		}

		e.must(200, "GET", "/api/v1/stats?severity=SEV1&to=2024-12-31", "", &s)
		if s.Incidents != 2 || len(s.ByMonth) != 19 || s.ByMonth[0].Month != "2023-06" {
			t.Errorf("SEV1 since the first incident: %d incidents, %d months", s.Incidents, len(s.ByMonth))
		}
		checkDuration(t, "SEV1 mttr", s.MTTR, (86400+7200)/2.0, (86400+7200)/2.0, 2)
		e.must(200, "GET", "/api/v1/stats?service=db&from=2024-01-01T00:00:00Z&to=2024-02-01T00:00:00Z", "", &s)
		if s.Incidents != 1 || s.BySeverity["SEV2"] != 1 || len(s.ByMonth) != 1 {
			t.Errorf("service db in January: %+v", s)
		}
		e.must(200, "GET", "/api/v1/stats?from=2022-01-01&to=2022-12-31", "", &s)
		if s.Incidents != 0 || s.MTTR.Mean != nil || s.Tasks.CompletionRate != nil || len(s.ByMonth) != 12 {
			t.Errorf("empty year: %+v", s)
		}

		var risks struct {
			Count int
			Items []incident.OpenRisk
		}
		e.must(200, "GET", "/api/v1/open-risks", "", &risks)
		if risks.Count != 1 || risks.Items[0].Description != "disk" || risks.Items[0].IncidentRef != "INC-2" {
			t.Errorf("open risks %+v", risks)
		}

		for _, tc := range []struct{ query, field string }{
			{"from=yesterday", "from"}, {"to=2024-13-01", "to"}, {"from=2024-02-01&to=2024-01-01", "to"},
			{"severity=SEV0", "severity"}, {"from=0001-01-01", "from"},
		} {
			w := e.do(incident.RoleViewer, "GET", "/api/v1/stats?"+tc.query, "")
			var got apiError
			json.Unmarshal(w.Body.Bytes(), &got)
			if w.Code != 400 || got.Error.Field != tc.field {
				t.Errorf("%s: %d %+v", tc.query, w.Code, got)
			}
		}
		if w := e.do(incident.RoleWebhook, "GET", "/api/v1/stats", ""); w.Code != 403 {
			t.Errorf("webhook token reads stats: %d", w.Code)
		}
	})
}

func checkDuration(t *testing.T, name string, d durationJSON, mean, median float64, count int) {
	t.Helper()
	if d.Count != count || d.Mean == nil || d.Median == nil || *d.Mean != mean || *d.Median != median {
		t.Errorf("%s: %+v (mean %v median %v), want mean %v median %v count %d", name, d, deref(d.Mean), deref(d.Median), mean, median, count)
	}
}

func deref(p *float64) any {
	if p == nil {
		return nil
	}
	return *p
}

// syncBuffer is a log sink the server may write from several requests.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// unfoldICS checks the stream's line format and returns its unfolded lines.
func unfoldICS(t *testing.T, body string) []string {
	t.Helper()
	if !strings.HasSuffix(body, "\r\n") {
		t.Fatal("the stream must end with CRLF")
	}
	raw := strings.Split(strings.TrimSuffix(body, "\r\n"), "\r\n")
	var lines []string
	for _, l := range raw {
		if strings.ContainsAny(l, "\r\n") {
			t.Fatalf("bare CR or LF in %q", l)
		}
		if len(l) > 75 {
			t.Errorf("line of %d octets: %q", len(l), l)
		}
		if !utf8.ValidString(l) {
			t.Errorf("folding split a character: %q", l)
		}
		if strings.HasPrefix(l, " ") {
			lines[len(lines)-1] += l[1:]
			continue
		}
		lines = append(lines, l)
	}
	return lines
}

// icsEvents returns each VEVENT's properties, by name with parameters.
func icsEvents(t *testing.T, body string) []map[string]string {
	t.Helper()
	var events []map[string]string
	var cur map[string]string
	for _, l := range unfoldICS(t, body) {
		name, value, ok := strings.Cut(l, ":")
		if !ok {
			t.Fatalf("line without a colon: %q", l)
		}
		switch {
		case l == "BEGIN:VEVENT":
			cur = map[string]string{}
		case l == "END:VEVENT":
			events = append(events, cur)
			cur = nil
		case cur != nil:
			cur[name] = value
		}
	}
	return events
}

func icsUnescape(s string) string {
	return strings.NewReplacer(`\\`, `\`, `\;`, ";", `\,`, ",", `\n`, "\n", `\N`, "\n").Replace(s)
}

func TestTaskFeed(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		e := newEnv(t, st)
		var logs syncBuffer
		srv := web.New(st, web.Config{Logger: slog.New(slog.NewTextHandler(&logs, nil))})
		get := func(path, bearer string) *httptest.ResponseRecorder {
			req := httptest.NewRequest("GET", path, nil)
			if bearer != "" {
				req.Header.Set("Authorization", "Bearer "+bearer)
			}
			w := httptest.NewRecorder()
			srv.ServeHTTP(w, req)
			return w
		}

		e.must(201, "POST", "/api/v1/incidents", `{"title":"Outage","severity":"SEV2"}`, nil)
		long := strings.TrimSpace(strings.Repeat("Überprüfung der Cache-Konfiguration ", 6))
		tricky := `Fix a;b, c\d` + "\nthen deploy"
		var t1, t2, t3, t4 incident.Task
		e.must(201, "POST", "/api/v1/incidents/INC-1/tasks", mustJSON(map[string]any{"title": tricky, "owner": "ana", "due_at": "2024-02-15T00:00:00Z", "external_url": "https://tracker.example/T-1?a=1,2"}), &t1)
		e.must(201, "POST", "/api/v1/incidents/INC-1/tasks", mustJSON(map[string]any{"title": long, "owner": "bob", "due_at": "2024-02-01T23:30:00Z", "status": "in_progress"}), &t2)
		e.must(201, "POST", "/api/v1/incidents/INC-1/tasks", `{"title":"already done","status":"done"}`, &t3)
		e.must(201, "POST", "/api/v1/incidents/INC-1/tasks", `{"title":"done later","due_at":"2024-03-01T00:00:00Z"}`, &t4)
		e.must(200, "PATCH", fmt.Sprintf("/api/v1/tasks/%d", t4.ID), `{"status":"done"}`, nil)

		var created struct {
			ID    int64
			Token string
		}
		w := e.do(incident.RoleAdmin, "POST", "/api/v1/tokens", `{"name":"ana's calendar","role":"feed"}`)
		json.Unmarshal(w.Body.Bytes(), &created)
		if w.Code != 201 || created.Token == "" {
			t.Fatalf("create feed token: %d %s", w.Code, w.Body)
		}
		feed := created.Token

		w = get("/api/v1/tasks.ics?feed="+feed, "")
		if w.Code != 200 || w.Header().Get("Content-Type") != "text/calendar; charset=utf-8" {
			t.Fatalf("feed: %d %s %s", w.Code, w.Header().Get("Content-Type"), w.Body)
		}
		body := w.Body.String()
		lines := unfoldICS(t, body)
		if lines[0] != "BEGIN:VCALENDAR" || lines[len(lines)-1] != "END:VCALENDAR" || !strings.Contains(body, "\r\nVERSION:2.0\r\n") ||
			!strings.Contains(body, "\r\nPRODID:") {
			t.Fatalf("not a calendar:\n%s", body)
		}
		events := icsEvents(t, body)
		if len(events) != 2 {
			t.Fatalf("%d events, want the 2 unfinished tasks with a due date:\n%s", len(events), body)
		}
		// Earliest due first: t2, then t1.
		ev2, ev1 := events[0], events[1]
		if ev1["UID"] != fmt.Sprintf("task-%d@hindsight", t1.ID) || ev2["UID"] != fmt.Sprintf("task-%d@hindsight", t2.ID) {
			t.Errorf("UIDs %q %q", ev1["UID"], ev2["UID"])
		}
		if got := icsUnescape(ev1["SUMMARY"]); got != "INC-1: "+tricky {
			t.Errorf("SUMMARY %q unescapes to %q", ev1["SUMMARY"], got)
		}
		if !strings.Contains(ev1["SUMMARY"], `a\;b\, c\\d\nthen`) {
			t.Errorf("SUMMARY not escaped: %q", ev1["SUMMARY"])
		}
		if got := icsUnescape(ev2["SUMMARY"]); got != "INC-1: "+long {
			t.Errorf("folded SUMMARY unfolds to %q", got)
		}
		if ev1["DTSTART;VALUE=DATE"] != "20240215" || ev1["DTEND;VALUE=DATE"] != "20240216" || ev2["DTSTART;VALUE=DATE"] != "20240201" {
			t.Errorf("dates %v %v", ev1, ev2)
		}
		if ev1["URL"] != "https://tracker.example/T-1?a=1,2" || ev1["DTSTAMP"] == "" || !strings.Contains(icsUnescape(ev1["DESCRIPTION"]), "Owner: ana\n") {
			t.Errorf("event %v", ev1)
		}

		t.Run("Stable", func(t *testing.T) {
			if again := get("/api/v1/tasks.ics?feed="+feed, "").Body.String(); again != body {
				t.Fatalf("the feed changed without a change of tasks")
			}
			e.must(200, "PATCH", fmt.Sprintf("/api/v1/tasks/%d", t1.ID), `{"title":"Renamed"}`, nil)
			evs := icsEvents(t, get("/api/v1/tasks.ics?feed="+feed, "").Body.String())
			if evs[1]["UID"] != ev1["UID"] || evs[1]["SUMMARY"] != "INC-1: Renamed" {
				t.Fatalf("after a rename: %v", evs[1])
			}
		})
		t.Run("Filters", func(t *testing.T) {
			evs := icsEvents(t, get("/api/v1/tasks.ics?owner=bob&feed="+feed, "").Body.String())
			if len(evs) != 1 || evs[0]["UID"] != ev2["UID"] {
				t.Fatalf("owner=bob: %v", evs)
			}
		})
		t.Run("BearerReaders", func(t *testing.T) {
			for _, tok := range []string{e.tokens[incident.RoleViewer], feed} {
				if w := get("/api/v1/tasks.ics", tok); w.Code != 200 {
					t.Errorf("with the header: %d", w.Code)
				}
			}
			if w := get("/api/v1/tasks.ics", e.tokens[incident.RoleWebhook]); w.Code != 403 {
				t.Errorf("webhook token: %d", w.Code)
			}
		})
		t.Run("ErrFeedTokenReadsNothingElse", func(t *testing.T) {
			for _, p := range []string{"/api/v1/incidents", "/api/v1/tasks", "/api/v1/stats", "/api/v1/incidents/INC-1"} {
				if w := get(p, feed); w.Code != 403 {
					t.Errorf("%s with a feed token: %d", p, w.Code)
				}
				if w := get(p+"?feed="+feed, ""); w.Code != 401 {
					t.Errorf("%s?feed=: %d", p, w.Code)
				}
			}
			if w := get("/api/v1/tokens", feed); w.Code != 403 {
				t.Errorf("tokens with a feed token: %d", w.Code)
			}
		})
		t.Run("ErrOtherTokensNotInURL", func(t *testing.T) {
			for _, r := range []incident.Role{incident.RoleViewer, incident.RoleAdmin} {
				if w := get("/api/v1/tasks.ics?feed="+e.tokens[r], ""); w.Code != 401 {
					t.Errorf("%s token in the URL: %d", r, w.Code)
				}
			}
			if w := get("/api/v1/tasks.ics", ""); w.Code != 401 {
				t.Errorf("no token: %d", w.Code)
			}
			if w := get("/api/v1/tasks.ics?feed=hst_nonsense", ""); w.Code != 401 {
				t.Errorf("unknown token: %d", w.Code)
			}
		})
		t.Run("ErrRevoked", func(t *testing.T) {
			if w := e.do(incident.RoleAdmin, "DELETE", fmt.Sprintf("/api/v1/tokens/%d", created.ID), ""); w.Code != 204 {
				t.Fatalf("revoke: %d", w.Code)
			}
			if w := get("/api/v1/tasks.ics?feed="+feed, ""); w.Code != 401 {
				t.Fatalf("revoked feed token: %d", w.Code)
			}
		})
		if l := logs.String(); !strings.Contains(l, "path=/api/v1/tasks.ics") || strings.Contains(l, feed) || strings.Contains(l, "feed=") {
			t.Errorf("the request log must name the path and never the token:\n%s", l)
		}
	})
}

func mustJSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return string(b)
}

func TestFeedRoleIsForTokensOnly(t *testing.T) {
	e := newEnv(t, storetest.SQLite(t))
	if w := e.do(incident.RoleAdmin, "POST", "/api/v1/users", `{"email":"a@b.c","role":"feed","password":"correct horse battery"}`); w.Code != 400 {
		t.Fatalf("user with role feed: %d %s", w.Code, w.Body)
	}
}
