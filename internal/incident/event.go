package incident

import (
	"strings"
	"time"
)

// EventKind says what a timeline entry records.
type EventKind string

const (
	KindDetection     EventKind = "detection"
	KindNotification  EventKind = "notification"
	KindInvestigation EventKind = "investigation"
	KindEscalation    EventKind = "escalation"
	KindRootCause     EventKind = "root_cause"
	KindMitigation    EventKind = "mitigation"
	KindResolution    EventKind = "resolution"
	KindAlert         EventKind = "alert"
	KindStatus        EventKind = "status"
	KindNote          EventKind = "note"
)

// EventKinds lists every kind of timeline entry.
var EventKinds = []EventKind{KindDetection, KindNotification, KindInvestigation, KindEscalation,
	KindRootCause, KindMitigation, KindResolution, KindAlert, KindStatus, KindNote}

// Valid reports whether k is one of EventKinds.
func (k EventKind) Valid() bool {
	for _, v := range EventKinds {
		if k == v {
			return true
		}
	}
	return false
}

// EventSource says where a timeline entry came from.
type EventSource string

const (
	SourceManual  EventSource = "manual"
	SourceWebhook EventSource = "webhook"
	SourceSystem  EventSource = "system"
	SourceImport  EventSource = "import"
)

// Valid reports whether s is a known source.
func (s EventSource) Valid() bool {
	return s == SourceManual || s == SourceWebhook || s == SourceSystem || s == SourceImport
}

// Event is one entry of an incident's timeline.
type Event struct {
	ID         int64       `json:"id"`
	IncidentID int64       `json:"incident_id"`
	At         time.Time   `json:"at"`
	Kind       EventKind   `json:"kind"`
	Text       string      `json:"text"`
	Author     string      `json:"author"`
	Source     EventSource `json:"source"`
	Highlight  bool        `json:"highlight"`
	CreatedAt  time.Time   `json:"created_at"`
	UpdatedAt  time.Time   `json:"updated_at"`
}

// DefaultHighlight says whether an entry of this kind and source is shown in
// the postmortem when nobody says otherwise: what people write is, what
// machines write (alerts, status changes) is not.
func DefaultHighlight(kind EventKind, source EventSource) bool {
	if kind == KindAlert || kind == KindStatus {
		return false
	}
	return source == SourceManual || source == SourceImport
}

// Normalize trims text and fills defaults.
func (e *Event) Normalize() {
	e.Text = strings.TrimSpace(e.Text)
	e.Author = OneLine(e.Author)
	if e.Kind == "" {
		e.Kind = KindNote
	}
	if e.Source == "" {
		e.Source = SourceManual
	}
	e.At = e.At.UTC().Truncate(time.Microsecond)
}

// Validate checks the entry's fields.
func (e *Event) Validate() error {
	if e.At.IsZero() {
		return FieldError(EINVALID, "at", "at is required")
	}
	if err := CheckTime("at", e.At); err != nil {
		return err
	}
	if e.Text == "" {
		return FieldError(EINVALID, "text", "text is required")
	}
	if err := checkLen("text", e.Text, MaxTextLen); err != nil {
		return err
	}
	if err := checkLen("author", e.Author, MaxNameLen); err != nil {
		return err
	}
	if !e.Kind.Valid() {
		return FieldError(EINVALID, "kind", "kind must be one of %s", joinKinds())
	}
	if !e.Source.Valid() {
		return FieldError(EINVALID, "source", "source must be one of manual, webhook, system, import")
	}
	return nil
}

func joinKinds() string {
	s := make([]string, len(EventKinds))
	for i, k := range EventKinds {
		s[i] = string(k)
	}
	return strings.Join(s, ", ")
}
