// Package incident is Hindsight's domain: incidents, their timelines, root
// causes, corrective tasks and alerts, with the rules that keep them
// consistent. It imports the standard library only.
package incident

import (
	"fmt"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Limits on user text, so that one request cannot store megabytes in a field.
const (
	MaxTitleLen    = 200
	MaxTextLen     = 64 * 1024
	MaxExtraLen    = 1024 * 1024 // a whole imported document may land in Extra
	MaxNameLen     = 200
	MaxServices    = 50
	DefaultPageLen = 50
	MaxPageLen     = 500
)

// Severity ranks how bad an incident is; SEV1 is the worst.
type Severity string

const (
	SEV1 Severity = "SEV1"
	SEV2 Severity = "SEV2"
	SEV3 Severity = "SEV3"
	SEV4 Severity = "SEV4"
)

// Severities lists every severity, most severe first.
var Severities = []Severity{SEV1, SEV2, SEV3, SEV4}

// Valid reports whether s is one of Severities.
func (s Severity) Valid() bool { return s == SEV1 || s == SEV2 || s == SEV3 || s == SEV4 }

// Rank is 1 for SEV1 up to 4 for SEV4, 0 for an unknown severity.
func (s Severity) Rank() int {
	if !s.Valid() {
		return 0
	}
	return int(s[3] - '0')
}

// Status is where an incident stands in its lifecycle.
type Status string

const (
	StatusInvestigating Status = "investigating"
	StatusIdentified    Status = "identified"
	StatusMonitoring    Status = "monitoring"
	StatusResolved      Status = "resolved"
	StatusClosed        Status = "closed"
)

// Statuses lists the lifecycle in order.
var Statuses = []Status{StatusInvestigating, StatusIdentified, StatusMonitoring, StatusResolved, StatusClosed}

// Valid reports whether s is one of Statuses.
func (s Status) Valid() bool { return s.step() >= 0 }

// Open reports whether the incident is still being worked on.
func (s Status) Open() bool { return s.step() >= 0 && s.step() < 3 }

func (s Status) step() int {
	for i, st := range Statuses {
		if s == st {
			return i
		}
	}
	return -1
}

// PostmortemStatus tracks the written postmortem, apart from the incident.
type PostmortemStatus string

const (
	PostmortemDraft     PostmortemStatus = "draft"
	PostmortemInReview  PostmortemStatus = "in_review"
	PostmortemPublished PostmortemStatus = "published"
)

// Valid reports whether p is a known postmortem status.
func (p PostmortemStatus) Valid() bool {
	return p == PostmortemDraft || p == PostmortemInReview || p == PostmortemPublished
}

// Incident is one outage or degradation, from its start to its postmortem.
//
// Extra is Markdown of an imported postmortem that maps onto no other field
// (unknown sections, timeline entries without a time, notes), under "## "
// headings naming where it stood, so that exporting the postmortem again
// loses nothing. People may edit it like the other texts.
type Incident struct {
	ID               int64            `json:"id"`
	Ref              string           `json:"ref"`
	Title            string           `json:"title"`
	Severity         Severity         `json:"severity"`
	Status           Status           `json:"status"`
	Impact           string           `json:"impact"`
	RootCause        string           `json:"root_cause"`
	Resolution       string           `json:"resolution"`
	Conclusion       string           `json:"conclusion"`
	Extra            string           `json:"extra"`
	Commander        string           `json:"commander"`
	Services         []string         `json:"services"`
	PostmortemStatus PostmortemStatus `json:"postmortem_status"`
	StartedAt        *time.Time       `json:"started_at"`
	DetectedAt       *time.Time       `json:"detected_at"`
	AcknowledgedAt   *time.Time       `json:"acknowledged_at"`
	MitigatedAt      *time.Time       `json:"mitigated_at"`
	ResolvedAt       *time.Time       `json:"resolved_at"`
	CreatedAt        time.Time        `json:"created_at"`
	UpdatedAt        time.Time        `json:"updated_at"`
	Version          int              `json:"version"`
}

// Detail is an incident with everything that hangs off it, as the detail
// view and the postmortem need it.
type Detail struct {
	Incident
	Events     []Event     `json:"events"`
	RootCauses []RootCause `json:"root_causes"`
	Tasks      []Task      `json:"tasks"`
	Alerts     []Alert     `json:"alerts"`
}

// Milestone names a timestamp of the incident, in the order they must keep.
type Milestone struct {
	Field string
	At    *time.Time
}

// Milestones returns the incident's timestamps in their required order.
func (inc *Incident) Milestones() []Milestone {
	return []Milestone{
		{"started_at", inc.StartedAt},
		{"detected_at", inc.DetectedAt},
		{"acknowledged_at", inc.AcknowledgedAt},
		{"mitigated_at", inc.MitigatedAt},
		{"resolved_at", inc.ResolvedAt},
	}
}

func (inc *Incident) milestonePtrs() []**time.Time {
	return []**time.Time{&inc.StartedAt, &inc.DetectedAt, &inc.AcknowledgedAt, &inc.MitigatedAt, &inc.ResolvedAt}
}

// Normalize trims text, drops empty and duplicate services and puts every
// time in UTC, so that what is validated is what is stored.
func (inc *Incident) Normalize() {
	inc.Title = OneLine(inc.Title)
	inc.Commander = OneLine(inc.Commander)
	inc.Severity = Severity(strings.ToUpper(strings.TrimSpace(string(inc.Severity))))
	inc.Services = NormalizeNames(inc.Services)
	for _, p := range inc.milestonePtrs() {
		*p = inUTC(*p)
	}
}

// NormalizeNames trims names and drops empty ones and repeats, keeping order.
func NormalizeNames(names []string) []string {
	out := make([]string, 0, len(names))
	seen := make(map[string]bool, len(names))
	for _, n := range names {
		n = OneLine(n)
		if n == "" || seen[n] {
			continue
		}
		seen[n] = true
		out = append(out, n)
	}
	return out
}

// OneLine trims s and folds each run of line breaks and other control
// characters in it into one space: a title or a name is one line, in the
// pages and in the postmortem, where a line break in a title would start a
// section of its own. Tabs stay. Alert labels and annotations, which titles
// and services come from, may carry any of these.
func OneLine(s string) string {
	if strings.IndexFunc(s, breaksLine) < 0 {
		return strings.TrimSpace(s)
	}
	var b strings.Builder
	folding := false
	for _, r := range s {
		if breaksLine(r) {
			folding = true
			continue
		}
		if folding {
			b.WriteByte(' ')
			folding = false
		}
		b.WriteRune(r)
	}
	return strings.TrimSpace(b.String())
}

// breaksLine reports whether r is a control character other than a tab
// or NUL (which Validate refuses), or one of Unicode's line and paragraph
// separators.
func breaksLine(r rune) bool {
	return (unicode.IsControl(r) && r != '\t' && r != 0) || r == '\u2028' || r == '\u2029'
}

// UTC returns a copy of t in UTC, truncated to microseconds (the precision
// both SQLite and PostgreSQL keep), or nil.
func UTC(t *time.Time) *time.Time {
	if t == nil || t.IsZero() {
		return nil
	}
	u := t.UTC().Truncate(time.Microsecond)
	return &u
}

// inUTC is UTC for a time a user gave, which keeps Go's zero time for
// validation to refuse as out of range: read as none, "0001-01-01T00:00:00Z"
// cleared a milestone that only null may clear.
func inUTC(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	u := t.UTC().Truncate(time.Microsecond)
	return &u
}

// Validate checks every field of the incident. It returns an *Error with
// code EINVALID for bad input and EUNPROCESSABLE for milestones out of order.
func (inc *Incident) Validate() error {
	if inc.Title == "" {
		return FieldError(EINVALID, "title", "title is required")
	}
	if err := checkLen("title", inc.Title, MaxTitleLen); err != nil {
		return err
	}
	if !inc.Severity.Valid() {
		return FieldError(EINVALID, "severity", "severity must be one of SEV1, SEV2, SEV3, SEV4")
	}
	if !inc.Status.Valid() {
		return FieldError(EINVALID, "status", "status must be one of investigating, identified, monitoring, resolved, closed")
	}
	if !inc.PostmortemStatus.Valid() {
		return FieldError(EINVALID, "postmortem_status", "postmortem_status must be one of draft, in_review, published")
	}
	if err := checkLen("commander", inc.Commander, MaxNameLen); err != nil {
		return err
	}
	for field, text := range map[string]string{"impact": inc.Impact, "root_cause": inc.RootCause, "resolution": inc.Resolution, "conclusion": inc.Conclusion} {
		if err := checkLen(field, text, MaxTextLen); err != nil {
			return err
		}
	}
	if err := checkLen("extra", inc.Extra, MaxExtraLen); err != nil {
		return err
	}
	if len(inc.Services) > MaxServices {
		return FieldError(EINVALID, "services", "at most %d services", MaxServices)
	}
	for _, s := range inc.Services {
		if err := checkLen("services", s, MaxNameLen); err != nil {
			return err
		}
	}
	for _, m := range inc.Milestones() {
		if m.At != nil {
			if err := CheckTime(m.Field, *m.At); err != nil {
				return err
			}
		}
	}
	return checkMilestoneOrder(inc.Milestones(), nil)
}

// checkMilestoneOrder refuses milestones out of order, naming the later of
// the two unless only the earlier is among those given (the fields a
// client sent; nil for none).
func checkMilestoneOrder(ms []Milestone, given map[string]bool) error {
	var prev *Milestone
	for i := range ms {
		m := &ms[i]
		if m.At == nil {
			continue
		}
		if prev != nil && m.At.Before(*prev.At) {
			if given[prev.Field] && !given[m.Field] {
				return FieldError(EUNPROCESSABLE, prev.Field, "%s (%s) is after %s (%s)",
					prev.Field, prev.At.Format(time.RFC3339Nano), m.Field, m.At.Format(time.RFC3339Nano))
			}
			return FieldError(EUNPROCESSABLE, m.Field, "%s (%s) is before %s (%s)",
				m.Field, m.At.Format(time.RFC3339Nano), prev.Field, prev.At.Format(time.RFC3339Nano))
		}
		prev = m
	}
	return nil
}

// The times Hindsight keeps run from MinTime to before MaxTime. JSON writes
// only the years 0 to 9999, in whatever offset a time was given, so a time
// of year 9999 at -23:59 would be stored and then break every answer that
// shows it; and no incident happened before 1970 or is due after 2999.
var (
	MinTime = time.Date(1970, 1, 1, 0, 0, 0, 0, time.UTC)
	MaxTime = time.Date(3000, 1, 1, 0, 0, 0, 0, time.UTC)
)

// CheckTime refuses a time outside [MinTime, MaxTime).
func CheckTime(field string, t time.Time) error {
	if t.Before(MinTime) || !t.Before(MaxTime) {
		return FieldError(EINVALID, field, "%s must be a time from 1970 to 2999", field)
	}
	return nil
}

// checkLen checks a text field: valid UTF-8 without NUL characters, which
// JSON can carry and PostgreSQL's text refuses, and at most max characters.
func checkLen(field, s string, max int) error {
	if !utf8.ValidString(s) {
		return FieldError(EINVALID, field, "%s is not valid UTF-8", field)
	}
	if strings.IndexByte(s, 0) >= 0 {
		return FieldError(EINVALID, field, "%s contains a NUL character", field)
	}
	if n := utf8.RuneCountInString(s); n > max {
		return FieldError(EINVALID, field, "%s is %d characters long, at most %d are allowed", field, n, max)
	}
	return nil
}

// SetStatus moves the incident to status s at time now and fills, when they
// are empty, the milestones the new status implies: working on an incident
// acknowledges it, monitoring means it is mitigated, resolving it resolves
// it. Reopening (going back to an open status) clears resolved_at, so that
// the next resolution is measured. It returns the timeline event recording
// the change, or nil when the status did not change.
func (inc *Incident) SetStatus(s Status, now time.Time, author string) *Event {
	if s == inc.Status {
		return nil
	}
	old := inc.Status
	inc.Status = s
	now = now.UTC().Truncate(time.Microsecond)
	if s.Open() && !old.Open() {
		// Reopened: the next resolution is measured. Between open
		// statuses the resolution stays, as one recorded after the fact.
		inc.ResolvedAt = nil
	}
	fill := func(p **time.Time) { inc.fill(p, now) }
	switch s {
	case StatusIdentified:
		fill(&inc.AcknowledgedAt)
	case StatusMonitoring:
		fill(&inc.AcknowledgedAt)
		fill(&inc.MitigatedAt)
	case StatusResolved, StatusClosed:
		fill(&inc.AcknowledgedAt)
		fill(&inc.MitigatedAt)
		fill(&inc.ResolvedAt)
	}
	return &Event{
		At:     now,
		Kind:   KindStatus,
		Text:   fmt.Sprintf("Status changed from %s to %s", old, s),
		Author: author,
		Source: SourceSystem,
	}
}

// fill sets the empty milestone *p to now, kept between the milestones
// already set around it (a time typed ahead of the clock, a later milestone
// given in the same change), so that filling never breaks the order.
func (inc *Incident) fill(p **time.Time, now time.Time) {
	if *p != nil {
		return
	}
	t := now
	before := true
	for _, q := range inc.milestonePtrs() {
		switch {
		case q == p:
			before = false
		case *q == nil:
		case before && (*q).After(t):
			t = **q
		case !before && (*q).Before(t):
			t = **q
		}
	}
	*p = &t
}

// Ref formats the human reference of the n-th incident.
func Ref(n int64) string { return fmt.Sprintf("INC-%d", n) }

// PrepareNew fills the defaults of an incident being declared at now:
// investigating (resolved when given resolved_at), SEV3 when no severity
// is given, a draft postmortem. An
// incident declared without a start time starts, and is detected, now; one
// given a start time is being recorded after the fact, and gets no detection
// time it was not told.
func (inc *Incident) PrepareNew(now time.Time) {
	now = now.UTC().Truncate(time.Microsecond)
	inc.Normalize()
	if inc.Status == "" {
		inc.Status = StatusInvestigating
		if inc.ResolvedAt != nil {
			// Recorded after the fact, with its resolution.
			inc.Status = StatusResolved
		}
	}
	if inc.Severity == "" {
		inc.Severity = SEV3
	}
	if inc.PostmortemStatus == "" {
		inc.PostmortemStatus = PostmortemDraft
	}
	if inc.StartedAt == nil {
		t := now
		inc.StartedAt = &t
		if inc.DetectedAt == nil && inc.AcknowledgedAt == nil && inc.MitigatedAt == nil && inc.ResolvedAt == nil {
			d := now
			inc.DetectedAt = &d
		}
	}
	// Only the milestone of the status itself is filled: an incident
	// recorded after the fact has no other times to invent.
	switch inc.Status {
	case StatusIdentified:
		inc.fill(&inc.AcknowledgedAt, now)
	case StatusMonitoring:
		inc.fill(&inc.MitigatedAt, now)
	case StatusResolved, StatusClosed:
		inc.fill(&inc.ResolvedAt, now)
	}
	if inc.Services == nil {
		inc.Services = []string{}
	}
	inc.Version = 1
	inc.CreatedAt = now
	inc.UpdatedAt = now
}
