package incident

import (
	"net/url"
	"strings"
	"time"
)

// TaskKind separates the broad improvements from the concrete tasks, as a
// postmortem lists them.
type TaskKind string

const (
	TaskImprovement TaskKind = "improvement"
	TaskTask        TaskKind = "task"
)

// Priority of a task, P1 the most urgent.
type Priority string

// Valid reports whether p is P1 to P4.
func (p Priority) Valid() bool { return p == "P1" || p == "P2" || p == "P3" || p == "P4" }

// TaskStatus tracks a task to its end.
type TaskStatus string

const (
	TaskOpen       TaskStatus = "open"
	TaskInProgress TaskStatus = "in_progress"
	TaskDone       TaskStatus = "done"
	TaskWontDo     TaskStatus = "wont_do"
)

// Valid reports whether s is a known task status.
func (s TaskStatus) Valid() bool {
	return s == TaskOpen || s == TaskInProgress || s == TaskDone || s == TaskWontDo
}

// Finished reports whether nothing more will be done on the task.
func (s TaskStatus) Finished() bool { return s == TaskDone || s == TaskWontDo }

// Task is a corrective or preventive action that follows an incident.
type Task struct {
	ID          int64      `json:"id"`
	IncidentID  int64      `json:"incident_id"`
	IncidentRef string     `json:"incident_ref,omitempty"`
	Title       string     `json:"title"`
	Kind        TaskKind   `json:"kind"`
	Owner       string     `json:"owner"`
	DueAt       *time.Time `json:"due_at"`
	Priority    Priority   `json:"priority"`
	Status      TaskStatus `json:"status"`
	ExternalURL string     `json:"external_url"`
	CompletedAt *time.Time `json:"completed_at"`
	RootCauseID *int64     `json:"root_cause_id"`
	CreatedAt   time.Time  `json:"created_at"`
	UpdatedAt   time.Time  `json:"updated_at"`
}

// Normalize trims text and fills defaults.
func (t *Task) Normalize() {
	t.Title = strings.TrimSpace(t.Title)
	t.Owner = OneLine(t.Owner)
	t.ExternalURL = strings.TrimSpace(t.ExternalURL)
	t.Priority = Priority(strings.ToUpper(string(t.Priority)))
	if t.Kind == "" {
		t.Kind = TaskTask
	}
	if t.Priority == "" {
		t.Priority = "P3"
	}
	if t.Status == "" {
		t.Status = TaskOpen
	}
	t.DueAt = UTC(t.DueAt)
	t.CompletedAt = UTC(t.CompletedAt)
}

// SetStatus changes the task's status at now: finishing it as done records
// when, anything else clears that.
func (t *Task) SetStatus(s TaskStatus, now time.Time) {
	t.Status = s
	if s == TaskDone {
		if t.CompletedAt == nil {
			now = now.UTC().Truncate(time.Microsecond)
			t.CompletedAt = &now
		}
		return
	}
	t.CompletedAt = nil
}

// Overdue reports whether the task is unfinished past its due date.
func (t *Task) Overdue(now time.Time) bool {
	return !t.Status.Finished() && t.DueAt != nil && t.DueAt.Before(now)
}

// Validate checks the task's fields.
func (t *Task) Validate() error {
	if t.Title == "" {
		return FieldError(EINVALID, "title", "title is required")
	}
	if err := checkLen("title", t.Title, MaxTextLen); err != nil {
		return err
	}
	if err := checkLen("owner", t.Owner, MaxNameLen); err != nil {
		return err
	}
	if t.Kind != TaskImprovement && t.Kind != TaskTask {
		return FieldError(EINVALID, "kind", "kind must be improvement or task")
	}
	if !t.Priority.Valid() {
		return FieldError(EINVALID, "priority", "priority must be one of P1, P2, P3, P4")
	}
	if !t.Status.Valid() {
		return FieldError(EINVALID, "status", "status must be one of open, in_progress, done, wont_do")
	}
	for field, at := range map[string]*time.Time{"due_at": t.DueAt, "completed_at": t.CompletedAt} {
		if at != nil {
			if err := CheckTime(field, *at); err != nil {
				return err
			}
		}
	}
	if t.ExternalURL != "" {
		u, err := url.Parse(t.ExternalURL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return FieldError(EINVALID, "external_url", "external_url must be an http or https URL")
		}
		if err := checkLen("external_url", t.ExternalURL, 2048); err != nil {
			return err
		}
	}
	return nil
}
