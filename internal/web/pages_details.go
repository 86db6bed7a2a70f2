package web

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"slices"
	"strings"
	"time"

	"hindsight/internal/incident"
)

// detailsFields are the fields of the details form, by their names in the
// form and the API: where a detailsForm holds each, and where a patch
// takes it, as text or, for a milestone, as a time.
var detailsFields = []struct {
	name string
	of   func(*detailsForm) *string
	text func(*incident.Patch, string)
	at   func(*incident.Patch) *incident.Optional[time.Time]
}{
	{"title", func(f *detailsForm) *string { return &f.Title }, func(p *incident.Patch, v string) { p.Title = incident.Some(v) }, nil},
	{"severity", func(f *detailsForm) *string { return &f.Severity }, func(p *incident.Patch, v string) { p.Severity = incident.Some(incident.Severity(v)) }, nil},
	{"commander", func(f *detailsForm) *string { return &f.Commander }, func(p *incident.Patch, v string) { p.Commander = incident.Some(v) }, nil},
	{"services", func(f *detailsForm) *string { return &f.Services }, func(p *incident.Patch, v string) { p.Services = incident.Some(splitServices(v)) }, nil},
	{"impact", func(f *detailsForm) *string { return &f.Impact }, func(p *incident.Patch, v string) { p.Impact = incident.Some(v) }, nil},
	{"root_cause", func(f *detailsForm) *string { return &f.RootCause }, func(p *incident.Patch, v string) { p.RootCause = incident.Some(v) }, nil},
	{"resolution", func(f *detailsForm) *string { return &f.Resolution }, func(p *incident.Patch, v string) { p.Resolution = incident.Some(v) }, nil},
	{"conclusion", func(f *detailsForm) *string { return &f.Conclusion }, func(p *incident.Patch, v string) { p.Conclusion = incident.Some(v) }, nil},
	{"started_at", func(f *detailsForm) *string { return &f.StartedAt }, nil, func(p *incident.Patch) *incident.Optional[time.Time] { return &p.StartedAt }},
	{"detected_at", func(f *detailsForm) *string { return &f.DetectedAt }, nil, func(p *incident.Patch) *incident.Optional[time.Time] { return &p.DetectedAt }},
	{"acknowledged_at", func(f *detailsForm) *string { return &f.AcknowledgedAt }, nil, func(p *incident.Patch) *incident.Optional[time.Time] { return &p.AcknowledgedAt }},
	{"mitigated_at", func(f *detailsForm) *string { return &f.MitigatedAt }, nil, func(p *incident.Patch) *incident.Optional[time.Time] { return &p.MitigatedAt }},
	{"resolved_at", func(f *detailsForm) *string { return &f.ResolvedAt }, nil, func(p *incident.Patch) *incident.Optional[time.Time] { return &p.ResolvedAt }},
}

// normalField is a field's value as compared: trimmed, with a browser's
// line ends, and services as a list.
func normalField(name, v string) string {
	v = strings.TrimSpace(normalizeNewlines(v))
	if name == "services" {
		v = strings.Join(splitServices(v), ", ")
	}
	return v
}

// shownFields fingerprints each field of a details form as it was shown.
// Fingerprints rather than the texts: a form of four long texts sent
// twice would pass the limit of a request's body.
type shownFields map[string]string

func fingerprint(name, v string) string {
	sum := sha256.Sum256([]byte(normalField(name, v)))
	return hex.EncodeToString(sum[:12])
}

// shownOf fingerprints the fields of f.
func shownOf(f detailsForm) shownFields {
	out := make(shownFields, len(detailsFields))
	for _, fd := range detailsFields {
		out[fd.name] = fingerprint(fd.name, *fd.of(&f))
	}
	return out
}

// Encoded is the fingerprints as JSON, for a hidden field.
func (s shownFields) Encoded() string {
	b, _ := json.Marshal(s)
	return string(b)
}

// parseShown reads the hidden field back; nil when absent or not one this
// server wrote.
func parseShown(raw string) shownFields {
	var s shownFields
	if raw == "" || json.Unmarshal([]byte(raw), &s) != nil || len(s) != len(detailsFields) {
		return nil
	}
	return s
}

// detailsEdit is what a posted details form changes, worked out against
// the incident as it is now and as the form showed it.
type detailsEdit struct {
	changed   map[string]bool // the fields the user changed
	conflicts []string        // those of them someone else changed meanwhile, in the form's order
}

// diffDetails compares the typed form f (its times as the form shows
// them) with the incident as it is now and the fingerprints of what the
// form showed (nil: a form that does not say; then what differs from now
// is what changed, and the version tells conflicts). A field typed as it
// was shown is left alone, and so is one typed as it now is.
func diffDetails(f, now detailsForm, shown shownFields) detailsEdit {
	e := detailsEdit{changed: map[string]bool{}}
	for _, fd := range detailsFields {
		typed, is := normalField(fd.name, *fd.of(&f)), normalField(fd.name, *fd.of(&now))
		if typed == is || (shown != nil && fingerprint(fd.name, typed) == shown[fd.name]) {
			continue
		}
		e.changed[fd.name] = true
		if shown != nil && fingerprint(fd.name, is) != shown[fd.name] {
			e.conflicts = append(e.conflicts, fd.name)
		}
	}
	return e
}

// again is the form to show after a refusal, and what it showed, for the
// next save. The fields the user changed are as typed; the others as they
// now are, and shown so. A changed field whose conflict the user was told
// of is shown as it now is, so that saving again replaces it. The other
// changed fields keep what the form showed at first, so that a change
// someone makes meanwhile is still seen; where the form did not say, as
// nothing, so that the next save names what each holds now before it
// replaces it.
func (e detailsEdit) again(f, now detailsForm, shown shownFields, told []string) (detailsForm, shownFields) {
	form, next := now, shownOf(now)
	for _, fd := range detailsFields {
		if !e.changed[fd.name] {
			continue
		}
		*fd.of(&form) = *fd.of(&f)
		switch {
		case slices.Contains(told, fd.name):
		case shown != nil:
			next[fd.name] = shown[fd.name]
		default:
			next[fd.name] = ""
		}
	}
	return form, next
}
