package incident

import (
	"bytes"
	"encoding/json"
	"slices"
	"time"
)

// Optional is a field of a partial update: Set when the request named it,
// Null when it named it as null (which clears it), Value otherwise.
type Optional[T any] struct {
	Set   bool
	Null  bool
	Value T
}

// UnmarshalJSON records that the field was present, and whether as null.
func (o *Optional[T]) UnmarshalJSON(b []byte) error {
	o.Set = true
	if bytes.Equal(bytes.TrimSpace(b), []byte("null")) {
		o.Null = true
		return nil
	}
	return json.Unmarshal(b, &o.Value)
}

// refuseNull refuses the first field, in name order, that a patch named
// as null where null means nothing: a field that always has a value. Left
// to its zero value, it would silently become the default.
func refuseNull(nulled map[string]bool) error {
	names := make([]string, 0, len(nulled))
	for name, null := range nulled {
		if null {
			names = append(names, name)
		}
	}
	if len(names) == 0 {
		return nil
	}
	slices.Sort(names)
	return FieldError(EINVALID, names[0], "%s cannot be null", names[0])
}

// Some returns an Optional holding v.
func Some[T any](v T) Optional[T] { return Optional[T]{Set: true, Value: v} }

func applyString(dst *string, o Optional[string]) {
	if o.Set {
		*dst = o.Value // null clears to ""
	}
}

func applyTime(dst **time.Time, o Optional[time.Time]) {
	if !o.Set {
		return
	}
	if o.Null {
		*dst = nil
		return
	}
	*dst = inUTC(&o.Value)
}

// Patch is a partial update of an incident. Version must equal the stored
// version: a stale one means somebody else changed the incident first.
type Patch struct {
	Version          *int                       `json:"version"`
	Title            Optional[string]           `json:"title"`
	Severity         Optional[Severity]         `json:"severity"`
	Status           Optional[Status]           `json:"status"`
	Impact           Optional[string]           `json:"impact"`
	RootCause        Optional[string]           `json:"root_cause"`
	Resolution       Optional[string]           `json:"resolution"`
	Conclusion       Optional[string]           `json:"conclusion"`
	Extra            Optional[string]           `json:"extra"`
	Commander        Optional[string]           `json:"commander"`
	Services         Optional[[]string]         `json:"services"`
	PostmortemStatus Optional[PostmortemStatus] `json:"postmortem_status"`
	StartedAt        Optional[time.Time]        `json:"started_at"`
	DetectedAt       Optional[time.Time]        `json:"detected_at"`
	AcknowledgedAt   Optional[time.Time]        `json:"acknowledged_at"`
	MitigatedAt      Optional[time.Time]        `json:"mitigated_at"`
	ResolvedAt       Optional[time.Time]        `json:"resolved_at"`
}

// Apply changes inc as the patch says, at now, and validates the result. It
// returns the status event to add to the timeline, if the status changed.
// Milestones given in the patch win over those a status change would fill.
func (p *Patch) Apply(inc *Incident, now time.Time, author string) (*Event, error) {
	if p.Version == nil {
		return nil, FieldError(EINVALID, "version", "version is required, to detect concurrent changes")
	}
	if *p.Version != inc.Version {
		return nil, FieldError(ECONFLICT, "version", "incident %s was changed by someone else (version %d, not %d): reload it and try again", inc.Ref, inc.Version, *p.Version)
	}
	if p.StartedAt.Set && p.StartedAt.Null {
		return nil, FieldError(EINVALID, "started_at", "started_at cannot be cleared")
	}
	if err := refuseNull(map[string]bool{"title": p.Title.Null, "severity": p.Severity.Null, "status": p.Status.Null, "postmortem_status": p.PostmortemStatus.Null}); err != nil {
		return nil, err
	}
	applyString(&inc.Title, p.Title)
	if p.Severity.Set {
		inc.Severity = p.Severity.Value
	}
	applyString(&inc.Impact, p.Impact)
	applyString(&inc.RootCause, p.RootCause)
	applyString(&inc.Resolution, p.Resolution)
	applyString(&inc.Conclusion, p.Conclusion)
	applyString(&inc.Extra, p.Extra)
	applyString(&inc.Commander, p.Commander)
	if p.Services.Set {
		inc.Services = p.Services.Value
	}
	if p.PostmortemStatus.Set {
		inc.PostmortemStatus = p.PostmortemStatus.Value
	}
	applyTime(&inc.StartedAt, p.StartedAt)
	applyTime(&inc.DetectedAt, p.DetectedAt)
	applyTime(&inc.AcknowledgedAt, p.AcknowledgedAt)
	applyTime(&inc.MitigatedAt, p.MitigatedAt)
	applyTime(&inc.ResolvedAt, p.ResolvedAt)
	// The milestones as given, before a status change fills others around
	// them: a conflict is named by a field the patch sent, not by one
	// filled in between.
	given := inc.Milestones()
	if p.Status.Set && p.Status.Value.Open() && !inc.Status.Open() {
		if p.ResolvedAt.Set && !p.ResolvedAt.Null {
			return nil, FieldError(EINVALID, "resolved_at", "resolved_at cannot be set while reopening the incident, which clears it")
		}
		given[len(given)-1].At = nil // reopening clears the resolution
	}
	if err := checkMilestoneOrder(given, p.givenMilestones()); err != nil {
		return nil, err
	}
	// The status goes last, so that it fills only the milestones the patch
	// left empty, around the ones it gave.
	var ev *Event
	if p.Status.Set {
		ev = inc.SetStatus(p.Status.Value, now, author)
	}
	inc.Normalize()
	if inc.Services == nil {
		inc.Services = []string{}
	}
	if err := inc.Validate(); err != nil {
		return nil, err
	}
	inc.Version++
	inc.UpdatedAt = now.UTC().Truncate(time.Microsecond)
	return ev, nil
}

// givenMilestones returns the milestones the patch sets.
func (p *Patch) givenMilestones() map[string]bool {
	return map[string]bool{"started_at": p.StartedAt.Set, "detected_at": p.DetectedAt.Set,
		"acknowledged_at": p.AcknowledgedAt.Set, "mitigated_at": p.MitigatedAt.Set, "resolved_at": p.ResolvedAt.Set}
}

// EventPatch is a partial update of a timeline entry.
type EventPatch struct {
	At        Optional[time.Time] `json:"at"`
	Kind      Optional[EventKind] `json:"kind"`
	Text      Optional[string]    `json:"text"`
	Author    Optional[string]    `json:"author"`
	Highlight Optional[bool]      `json:"highlight"`
}

// Apply changes e as the patch says and validates the result.
func (p *EventPatch) Apply(e *Event, now time.Time) error {
	if p.At.Set {
		if p.At.Null {
			return FieldError(EINVALID, "at", "at cannot be null")
		}
		e.At = p.At.Value
	}
	if err := refuseNull(map[string]bool{"kind": p.Kind.Null, "highlight": p.Highlight.Null}); err != nil {
		return err
	}
	if p.Kind.Set {
		e.Kind = p.Kind.Value
	}
	applyString(&e.Text, p.Text)
	applyString(&e.Author, p.Author)
	if p.Highlight.Set {
		e.Highlight = p.Highlight.Value
	}
	e.Normalize()
	if err := e.Validate(); err != nil {
		return err
	}
	e.UpdatedAt = now.UTC().Truncate(time.Microsecond)
	return nil
}

// TaskPatch is a partial update of a task.
type TaskPatch struct {
	Title       Optional[string]     `json:"title"`
	Kind        Optional[TaskKind]   `json:"kind"`
	Owner       Optional[string]     `json:"owner"`
	DueAt       Optional[time.Time]  `json:"due_at"`
	Priority    Optional[Priority]   `json:"priority"`
	Status      Optional[TaskStatus] `json:"status"`
	ExternalURL Optional[string]     `json:"external_url"`
	RootCauseID Optional[int64]      `json:"root_cause_id"`
}

// Apply changes t as the patch says, at now, and validates the result.
func (p *TaskPatch) Apply(t *Task, now time.Time) error {
	if err := refuseNull(map[string]bool{"title": p.Title.Null, "kind": p.Kind.Null, "priority": p.Priority.Null, "status": p.Status.Null}); err != nil {
		return err
	}
	applyString(&t.Title, p.Title)
	if p.Kind.Set {
		t.Kind = p.Kind.Value
	}
	applyString(&t.Owner, p.Owner)
	applyTime(&t.DueAt, p.DueAt)
	if p.Priority.Set {
		t.Priority = p.Priority.Value
	}
	applyString(&t.ExternalURL, p.ExternalURL)
	if p.RootCauseID.Set {
		if p.RootCauseID.Null {
			t.RootCauseID = nil
		} else {
			id := p.RootCauseID.Value
			t.RootCauseID = &id
		}
	}
	if p.Status.Set {
		if !p.Status.Value.Valid() {
			return FieldError(EINVALID, "status", "status must be one of open, in_progress, done, wont_do")
		}
		t.SetStatus(p.Status.Value, now)
	}
	t.Normalize()
	if err := t.Validate(); err != nil {
		return err
	}
	t.UpdatedAt = now.UTC().Truncate(time.Microsecond)
	return nil
}
