package store

import (
	"encoding/json"
	"time"

	"hindsight/internal/incident"
)

// The models mirror the tables of the migrations; gorm never creates or
// alters a table. Conversions to and from the domain live beside them.
// Timestamps are set by the domain (one clock, microsecond precision), so
// gorm's automatic CreatedAt/UpdatedAt are turned off.

type incidentRow struct {
	ID               int64
	Ref              string
	Title            string
	Severity         string
	Status           string
	Impact           string
	RootCause        string
	Resolution       string
	Conclusion       string
	Extra            string
	Commander        string
	PostmortemStatus string
	StartedAt        *time.Time
	DetectedAt       *time.Time
	AcknowledgedAt   *time.Time
	MitigatedAt      *time.Time
	ResolvedAt       *time.Time
	CreatedAt        time.Time `gorm:"autoCreateTime:false"`
	UpdatedAt        time.Time `gorm:"autoUpdateTime:false"`
	Version          int
}

func (incidentRow) TableName() string { return "incidents" }

// incidentColumns are the columns an update writes: every one but the
// identity, named so that zero values are written too.
var incidentColumns = []string{"title", "severity", "status", "impact", "root_cause", "resolution",
	"conclusion", "extra", "commander", "postmortem_status", "started_at", "detected_at", "acknowledged_at",
	"mitigated_at", "resolved_at", "updated_at", "version"}

func toIncidentRow(inc *incident.Incident) *incidentRow {
	return &incidentRow{
		ID: inc.ID, Ref: inc.Ref, Title: inc.Title, Severity: string(inc.Severity),
		Status: string(inc.Status), Impact: inc.Impact, RootCause: inc.RootCause,
		Resolution: inc.Resolution, Conclusion: inc.Conclusion, Extra: inc.Extra, Commander: inc.Commander,
		PostmortemStatus: string(inc.PostmortemStatus), StartedAt: inc.StartedAt,
		DetectedAt: inc.DetectedAt, AcknowledgedAt: inc.AcknowledgedAt, MitigatedAt: inc.MitigatedAt,
		ResolvedAt: inc.ResolvedAt, CreatedAt: inc.CreatedAt, UpdatedAt: inc.UpdatedAt, Version: inc.Version,
	}
}

func (r *incidentRow) toDomain(services []string) incident.Incident {
	if services == nil {
		services = []string{}
	}
	return incident.Incident{
		ID: r.ID, Ref: r.Ref, Title: r.Title, Severity: incident.Severity(r.Severity),
		Status: incident.Status(r.Status), Impact: r.Impact, RootCause: r.RootCause,
		Resolution: r.Resolution, Conclusion: r.Conclusion, Extra: r.Extra, Commander: r.Commander,
		Services: services, PostmortemStatus: incident.PostmortemStatus(r.PostmortemStatus),
		StartedAt: utcPtr(r.StartedAt), DetectedAt: utcPtr(r.DetectedAt),
		AcknowledgedAt: utcPtr(r.AcknowledgedAt), MitigatedAt: utcPtr(r.MitigatedAt),
		ResolvedAt: utcPtr(r.ResolvedAt), CreatedAt: r.CreatedAt.UTC(), UpdatedAt: r.UpdatedAt.UTC(),
		Version: r.Version,
	}
}

type serviceRow struct {
	IncidentID int64
	Name       string
	Position   int
}

func (serviceRow) TableName() string { return "incident_services" }

type eventRow struct {
	ID         int64
	IncidentID int64
	At         time.Time
	Kind       string
	Text       string
	Author     string
	Source     string
	Highlight  bool
	CreatedAt  time.Time `gorm:"autoCreateTime:false"`
	UpdatedAt  time.Time `gorm:"autoUpdateTime:false"`
}

func (eventRow) TableName() string { return "events" }

var eventColumns = []string{"at", "kind", "text", "author", "highlight", "updated_at"}

func toEventRow(e *incident.Event) *eventRow {
	return &eventRow{ID: e.ID, IncidentID: e.IncidentID, At: e.At, Kind: string(e.Kind), Text: e.Text,
		Author: e.Author, Source: string(e.Source), Highlight: e.Highlight, CreatedAt: e.CreatedAt, UpdatedAt: e.UpdatedAt}
}

func (r *eventRow) toDomain() incident.Event {
	return incident.Event{ID: r.ID, IncidentID: r.IncidentID, At: r.At.UTC(), Kind: incident.EventKind(r.Kind),
		Text: r.Text, Author: r.Author, Source: incident.EventSource(r.Source), Highlight: r.Highlight,
		CreatedAt: r.CreatedAt.UTC(), UpdatedAt: r.UpdatedAt.UTC()}
}

type rootCauseRow struct {
	ID          int64
	IncidentID  int64
	Description string
	Category    string
	IsPrimary   bool
	CreatedAt   time.Time `gorm:"autoCreateTime:false"`
}

func (rootCauseRow) TableName() string { return "root_causes" }

type evidenceRow struct {
	RootCauseID int64
	EventID     int64
}

func (evidenceRow) TableName() string { return "root_cause_evidence" }

type taskRow struct {
	ID          int64
	IncidentID  int64
	Title       string
	Kind        string
	Owner       string
	DueAt       *time.Time
	Priority    string
	Status      string
	ExternalURL string
	CompletedAt *time.Time
	RootCauseID *int64
	CreatedAt   time.Time `gorm:"autoCreateTime:false"`
	UpdatedAt   time.Time `gorm:"autoUpdateTime:false"`
	IncidentRef string    `gorm:"->;column:incident_ref"` // joined from incidents, never written
}

func (taskRow) TableName() string { return "tasks" }

var taskColumns = []string{"title", "kind", "owner", "due_at", "priority", "status", "external_url",
	"completed_at", "root_cause_id", "updated_at"}

func toTaskRow(t *incident.Task) *taskRow {
	return &taskRow{ID: t.ID, IncidentID: t.IncidentID, Title: t.Title, Kind: string(t.Kind), Owner: t.Owner,
		DueAt: t.DueAt, Priority: string(t.Priority), Status: string(t.Status), ExternalURL: t.ExternalURL,
		CompletedAt: t.CompletedAt, RootCauseID: t.RootCauseID, CreatedAt: t.CreatedAt, UpdatedAt: t.UpdatedAt}
}

func (r *taskRow) toDomain() incident.Task {
	return incident.Task{ID: r.ID, IncidentID: r.IncidentID, Title: r.Title, Kind: incident.TaskKind(r.Kind),
		Owner: r.Owner, DueAt: utcPtr(r.DueAt), Priority: incident.Priority(r.Priority),
		Status: incident.TaskStatus(r.Status), ExternalURL: r.ExternalURL, CompletedAt: utcPtr(r.CompletedAt),
		RootCauseID: r.RootCauseID, CreatedAt: r.CreatedAt.UTC(), UpdatedAt: r.UpdatedAt.UTC(), IncidentRef: r.IncidentRef}
}

type alertRow struct {
	ID          int64
	Source      string
	Fingerprint string
	GroupKey    string
	Name        string
	Labels      string
	Annotations string
	Status      string
	StartsAt    time.Time
	EndsAt      *time.Time
	IncidentID  *int64
	ReceivedAt  time.Time
}

func (alertRow) TableName() string { return "alerts" }

func (r *alertRow) toDomain() incident.Alert {
	return incident.Alert{ID: r.ID, Source: r.Source, Fingerprint: r.Fingerprint, GroupKey: r.GroupKey, Name: r.Name,
		Labels: decodeMap(r.Labels), Annotations: decodeMap(r.Annotations), Status: incident.AlertStatus(r.Status),
		StartsAt: r.StartsAt.UTC(), EndsAt: utcPtr(r.EndsAt), IncidentID: r.IncidentID, ReceivedAt: r.ReceivedAt.UTC()}
}

type tokenRow struct {
	ID        int64
	Name      string
	Role      string
	TokenHash string
	CreatedAt time.Time `gorm:"autoCreateTime:false"`
	RevokedAt *time.Time
}

func (tokenRow) TableName() string { return "api_tokens" }

func (r *tokenRow) toDomain() incident.Token {
	return incident.Token{ID: r.ID, Name: r.Name, Role: incident.Role(r.Role), CreatedAt: r.CreatedAt.UTC(), RevokedAt: utcPtr(r.RevokedAt)}
}

type userRow struct {
	ID           int64
	Email        string
	Role         string
	PasswordHash string
	CreatedAt    time.Time `gorm:"autoCreateTime:false"`
}

func (userRow) TableName() string { return "users" }

func (r *userRow) toDomain() incident.User {
	return incident.User{ID: r.ID, Email: r.Email, Role: incident.Role(r.Role), CreatedAt: r.CreatedAt.UTC()}
}

func encodeMap(m map[string]string) string {
	if len(m) == 0 {
		return "{}"
	}
	b, _ := json.Marshal(m) // a map of strings always encodes
	return string(b)
}

func decodeMap(s string) map[string]string {
	m := map[string]string{}
	_ = json.Unmarshal([]byte(s), &m) // written by encodeMap
	return m
}

func utcPtr(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	u := t.UTC()
	return &u
}
