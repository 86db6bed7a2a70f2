package incident_test

import (
	"strings"
	"testing"
	"time"

	"hindsight/internal/incident"
)

func tm(hhmm string) *time.Time {
	t, err := time.Parse(time.RFC3339, "2024-01-25T"+hhmm+":00Z")
	if err != nil {
		panic(err)
	}
	return &t
}

func valid() incident.Incident {
	inc := incident.Incident{Title: "API server overloaded", StartedAt: tm("10:00")}
	inc.PrepareNew(*tm("10:05"))
	return inc
}

func TestValidate(t *testing.T) {
	cases := []struct {
		name   string
		mutate func(*incident.Incident)
		code   string
		field  string
	}{
		{"OK", func(*incident.Incident) {}, "", ""},
		{"OKAllMilestones", func(i *incident.Incident) {
			i.DetectedAt, i.AcknowledgedAt, i.MitigatedAt, i.ResolvedAt = tm("10:00"), tm("10:15"), tm("13:00"), tm("14:00")
		}, "", ""},
		{"OKGapsInMilestones", func(i *incident.Incident) { i.ResolvedAt = tm("14:00") }, "", ""},
		{"ErrTitleRequired", func(i *incident.Incident) { i.Title = "" }, incident.EINVALID, "title"},
		{"ErrTitleTooLong", func(i *incident.Incident) { i.Title = strings.Repeat("é", 201) }, incident.EINVALID, "title"},
		{"OKTitleAtLimit", func(i *incident.Incident) { i.Title = strings.Repeat("é", 200) }, "", ""},
		{"ErrTitleNotUTF8", func(i *incident.Incident) { i.Title = "bad \xff" }, incident.EINVALID, "title"},
		{"ErrSeverity", func(i *incident.Incident) { i.Severity = "SEV0" }, incident.EINVALID, "severity"},
		{"ErrStatus", func(i *incident.Incident) { i.Status = "done" }, incident.EINVALID, "status"},
		{"ErrPostmortemStatus", func(i *incident.Incident) { i.PostmortemStatus = "final" }, incident.EINVALID, "postmortem_status"},
		{"ErrImpactTooLong", func(i *incident.Incident) { i.Impact = strings.Repeat("a", incident.MaxTextLen+1) }, incident.EINVALID, "impact"},
		{"ErrTooManyServices", func(i *incident.Incident) { i.Services = make([]string, incident.MaxServices+1) }, incident.EINVALID, "services"},
		{"ErrDetectedBeforeStart", func(i *incident.Incident) { i.DetectedAt = tm("09:59") }, incident.EUNPROCESSABLE, "detected_at"},
		{"ErrAckBeforeDetected", func(i *incident.Incident) { i.DetectedAt, i.AcknowledgedAt = tm("10:30"), tm("10:20") }, incident.EUNPROCESSABLE, "acknowledged_at"},
		{"ErrResolvedBeforeMitigated", func(i *incident.Incident) { i.MitigatedAt, i.ResolvedAt = tm("13:00"), tm("12:00") }, incident.EUNPROCESSABLE, "resolved_at"},
		{"ErrResolvedBeforeStartAcrossGaps", func(i *incident.Incident) { i.ResolvedAt = tm("09:00") }, incident.EUNPROCESSABLE, "resolved_at"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			inc := valid()
			tc.mutate(&inc)
			err := inc.Validate()
			if incident.ErrorCode(err) != tc.code || incident.ErrorField(err) != tc.field {
				t.Fatalf("Validate() = %v (code %q field %q), want code %q field %q",
					err, incident.ErrorCode(err), incident.ErrorField(err), tc.code, tc.field)
			}
		})
	}
}

func TestPrepareNew(t *testing.T) {
	t.Run("DeclaredNow", func(t *testing.T) {
		inc := incident.Incident{Title: " Outage ", Services: []string{"api", " api ", ""}}
		inc.PrepareNew(*tm("10:05"))
		if inc.Title != "Outage" || inc.Severity != incident.SEV3 || inc.Status != incident.StatusInvestigating ||
			inc.PostmortemStatus != incident.PostmortemDraft || inc.Version != 1 {
			t.Fatalf("defaults: %+v", inc)
		}
		if !inc.StartedAt.Equal(*tm("10:05")) || !inc.DetectedAt.Equal(*tm("10:05")) {
			t.Fatalf("a declaration starts and detects now: %v %v", inc.StartedAt, inc.DetectedAt)
		}
		if len(inc.Services) != 1 || inc.Services[0] != "api" {
			t.Fatalf("services = %q", inc.Services)
		}
	})
	t.Run("RecordedAfterTheFact", func(t *testing.T) {
		inc := incident.Incident{Title: "x", StartedAt: tm("10:00"), ResolvedAt: tm("14:00"), Status: incident.StatusResolved}
		inc.PrepareNew(*tm("18:00"))
		if inc.DetectedAt != nil || inc.MitigatedAt != nil || !inc.ResolvedAt.Equal(*tm("14:00")) {
			t.Fatalf("invented milestones: %+v", inc)
		}
	})
	t.Run("ResolvedWithoutTime", func(t *testing.T) {
		inc := incident.Incident{Title: "x", StartedAt: tm("10:00"), Status: incident.StatusResolved}
		inc.PrepareNew(*tm("18:00"))
		if inc.ResolvedAt == nil || !inc.ResolvedAt.Equal(*tm("18:00")) {
			t.Fatalf("resolved_at = %v", inc.ResolvedAt)
		}
	})
}

func TestSetStatus(t *testing.T) {
	inc := valid()
	if ev := inc.SetStatus(incident.StatusInvestigating, *tm("10:10"), "ana"); ev != nil {
		t.Fatalf("no change must add no event, got %+v", ev)
	}
	ev := inc.SetStatus(incident.StatusIdentified, *tm("12:00"), "ana")
	if ev == nil || ev.Kind != incident.KindStatus || ev.Text != "Status changed from investigating to identified" || ev.Author != "ana" || !ev.At.Equal(*tm("12:00")) {
		t.Fatalf("event %+v", ev)
	}
	if !inc.AcknowledgedAt.Equal(*tm("12:00")) || inc.MitigatedAt != nil {
		t.Fatalf("identified fills acknowledged only: %+v", inc)
	}
	inc.SetStatus(incident.StatusResolved, *tm("14:00"), "ana")
	if !inc.AcknowledgedAt.Equal(*tm("12:00")) || !inc.MitigatedAt.Equal(*tm("14:00")) || !inc.ResolvedAt.Equal(*tm("14:00")) {
		t.Fatalf("resolved keeps set milestones and fills the rest: %+v", inc)
	}
	inc.SetStatus(incident.StatusInvestigating, *tm("15:00"), "ana")
	if inc.ResolvedAt != nil || inc.MitigatedAt == nil {
		t.Fatalf("reopening clears resolved_at only: %+v", inc)
	}
	if err := inc.Validate(); err != nil {
		t.Fatal(err)
	}
	t.Run("FillNeverBreaksOrder", func(t *testing.T) {
		inc := valid()
		inc.DetectedAt = tm("11:00") // typed ahead of the clock
		inc.SetStatus(incident.StatusMonitoring, *tm("10:30"), "")
		if err := inc.Validate(); err != nil {
			t.Fatalf("filled milestones out of order: %v", err)
		}
	})
}

func TestPatch(t *testing.T) {
	v := 1
	t.Run("ErrVersionRequired", func(t *testing.T) {
		inc := valid()
		_, err := (&incident.Patch{}).Apply(&inc, *tm("11:00"), "")
		if incident.ErrorCode(err) != incident.EINVALID || incident.ErrorField(err) != "version" {
			t.Fatal(err)
		}
	})
	t.Run("ErrStale", func(t *testing.T) {
		inc := valid()
		stale := 0
		_, err := (&incident.Patch{Version: &stale}).Apply(&inc, *tm("11:00"), "")
		if incident.ErrorCode(err) != incident.ECONFLICT {
			t.Fatal(err)
		}
	})
	t.Run("ErrClearStart", func(t *testing.T) {
		inc := valid()
		_, err := (&incident.Patch{Version: &v, StartedAt: incident.Optional[time.Time]{Set: true, Null: true}}).Apply(&inc, *tm("11:00"), "")
		if incident.ErrorField(err) != "started_at" {
			t.Fatal(err)
		}
	})
	t.Run("GivenMilestoneWinsOverFilled", func(t *testing.T) {
		inc := valid()
		ev, err := (&incident.Patch{Version: &v, Status: incident.Some(incident.StatusMonitoring), MitigatedAt: incident.Some(*tm("10:45"))}).Apply(&inc, *tm("11:00"), "bob")
		if err != nil || ev == nil {
			t.Fatal(err)
		}
		if !inc.MitigatedAt.Equal(*tm("10:45")) || inc.Version != 2 {
			t.Fatalf("%+v", inc)
		}
	})
}

func TestTaskStatus(t *testing.T) {
	task := incident.Task{Title: "Add config validation"}
	task.Normalize()
	if task.Status != incident.TaskOpen || task.Priority != "P3" || task.Kind != incident.TaskTask {
		t.Fatalf("defaults %+v", task)
	}
	task.SetStatus(incident.TaskDone, *tm("12:00"))
	if task.CompletedAt == nil || !task.CompletedAt.Equal(*tm("12:00")) {
		t.Fatalf("done: %+v", task)
	}
	task.SetStatus(incident.TaskOpen, *tm("13:00"))
	if task.CompletedAt != nil {
		t.Fatalf("reopened task keeps completed_at")
	}
	task.DueAt = tm("12:30")
	if !task.Overdue(*tm("13:00")) || task.Overdue(*tm("12:00")) {
		t.Fatal("overdue is unfinished and past due")
	}
	task.SetStatus(incident.TaskWontDo, *tm("13:00"))
	if task.Overdue(*tm("13:00")) {
		t.Fatal("a task nobody will do is not overdue")
	}
}

func TestDefaultHighlight(t *testing.T) {
	for _, tc := range []struct {
		kind   incident.EventKind
		source incident.EventSource
		want   bool
	}{
		{incident.KindNote, incident.SourceManual, true},
		{incident.KindMitigation, incident.SourceImport, true},
		{incident.KindAlert, incident.SourceWebhook, false},
		{incident.KindStatus, incident.SourceSystem, false},
		{incident.KindAlert, incident.SourceManual, false},
	} {
		if got := incident.DefaultHighlight(tc.kind, tc.source); got != tc.want {
			t.Errorf("%s/%s: %v, want %v", tc.kind, tc.source, got, tc.want)
		}
	}
}

// A default due date counts whole days on the team's calendar: across a
// change of daylight saving time, days of 24 hours landed a day late when
// a task was made in the last hour before summer time, a day early in the
// first hour before winter time.
func TestDefaultDueCountsCalendarDays(t *testing.T) {
	london, _ := time.LoadLocation("Europe/London")
	newYork, _ := time.LoadLocation("America/New_York")
	for _, c := range []struct {
		days int
		now  time.Time
		want string // the last second of the due day, in the team's zone
	}{
		{111, time.Date(2026, 12, 7, 23, 48, 0, 0, london), "2027-03-28 23:59:59 BST"},
		{2, time.Date(2026, 10, 31, 0, 30, 0, 0, newYork), "2026-11-02 23:59:59 EST"},
		{14, time.Date(2026, 6, 1, 12, 0, 0, 0, london), "2026-06-15 23:59:59 BST"},
	} {
		p := incident.DuePolicy{incident.SEV3: time.Duration(c.days) * 24 * time.Hour}
		got := p.DefaultDue(incident.SEV3, c.now)
		if got == nil || got.In(c.now.Location()).Format("2006-01-02 15:04:05 MST") != c.want {
			t.Errorf("%d days from %s: due %v, want %s", c.days, c.now, got, c.want)
		}
	}
}
