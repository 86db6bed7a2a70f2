package store_test

import (
	"testing"
	"time"

	"hindsight/internal/incident"
	"hindsight/internal/store/storetest"
)

// A task created as done gets no default due date: finished tasks need no
// reminder. Reopened, it gets one, or it would never be overdue, in the
// digest or in the calendar feed.
func TestReopenedTaskGetsDefaultDue(t *testing.T) {
	s := storetest.SQLite(t)
	fixedClock(s, *ts("2024-02-01T15:00:00Z"))
	inc := declare(t, s, "Outage", func(i *incident.Incident) { i.Severity = incident.SEV1 })
	task := addTask(t, s, inc.Ref, &incident.Task{Title: "marked done by mistake", Status: incident.TaskDone})

	fixedClock(s, *ts("2024-02-02T09:00:00Z"))
	got, err := s.UpdateTask(ctx, task.ID, &incident.TaskPatch{Status: incident.Some(incident.TaskOpen)})
	if err != nil {
		t.Fatal(err)
	}
	if got.DueAt == nil {
		t.Errorf("a reopened SEV1 task has no due date: it will never be overdue or reminded (policy SEV1=14d)")
	}
	late, err := s.ListTasks(ctx, incident.TaskFilter{Overdue: true, Now: *ts("2024-06-01T00:00:00Z")})
	if err != nil {
		t.Fatal(err)
	}
	if len(late) != 1 {
		t.Errorf("four months later the reopened SEV1 task is not overdue: %d overdue tasks", len(late))
	}
}

// A default due date (SEV1: 14 days) is shown as a date, and is overdue,
// as a due date typed as that day, only from the next day; it was overdue
// from the hour of the day the task was created.
func TestDefaultDueNotOverdueOnItsDay(t *testing.T) {
	s := storetest.SQLite(t)
	fixedClock(s, *ts("2024-02-01T15:00:00Z"))
	inc := declare(t, s, "Outage", func(i *incident.Incident) { i.Severity = incident.SEV1 })
	task := addTask(t, s, inc.Ref, &incident.Task{Title: "default due"})
	if task.DueAt == nil || task.DueAt.UTC().Format("2006-01-02") != "2024-02-15" {
		t.Fatalf("due %v, want a due date on 2024-02-15", task.DueAt)
	}
	// 16:00 UTC on the 15th: still the due date, in UTC and in every zone
	// of the Americas and Europe.
	now := *ts("2024-02-15T16:00:00Z")
	late, err := s.ListTasks(ctx, incident.TaskFilter{Overdue: true, Now: now})
	if err != nil {
		t.Fatal(err)
	}
	if len(late) != 0 {
		t.Errorf("a task due on %s is listed overdue on that very day (at %s)", task.DueAt.Format("2006-01-02"), now.Format(time.RFC3339))
	}
}

// With the team's zone set (serve's --digest-tz), a default due date ends
// that zone's day: a Berlin team's SEV1 task due on the 15th shows as the
// 15th in Berlin, where the end of the UTC day is already the 16th.
func TestDefaultDueEndsTheTeamsDay(t *testing.T) {
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Skip("no zone database (tzdata) for Europe/Berlin")
	}
	s := storetest.SQLite(t)
	s.DueZone = berlin
	fixedClock(s, *ts("2024-02-01T15:00:00Z"))
	inc := declare(t, s, "Outage", func(i *incident.Incident) { i.Severity = incident.SEV1 })
	task := addTask(t, s, inc.Ref, &incident.Task{Title: "default due"})
	if task.DueAt == nil || !task.DueAt.Equal(*ts("2024-02-15T22:59:59Z")) {
		t.Fatalf("due %v, want the end of 2024-02-15 in Berlin (22:59:59 UTC)", task.DueAt)
	}
}
