package alerts

import (
	"strings"
	"time"
	"unicode/utf8"

	"hindsight/internal/incident"
)

// genericAlert is the small format of DESIGN.md for scripts and tools
// without a format of their own.
type genericAlert struct {
	Title       string `json:"title"`
	Severity    string `json:"severity"`
	Status      string `json:"status"`
	Fingerprint string `json:"fingerprint"`
	Service     string `json:"service"`
	Text        string `json:"text"`
	At          string `json:"at"` // read by parseTime, to name the field
}

// genericFields name the fields of a generic batch as the payload does.
var genericFields = map[string]string{
	"group_key":              "fingerprint",
	"alerts[0].fingerprint":  "fingerprint",
	"resolve[0].fingerprint": "fingerprint",
	"alerts[0].starts_at":    "at",
	"resolve[0].at":          "at",
	"alerts[0].name":         "title",
	"alerts[0].annotations":  "text",
	"services":               "service",
}

func genericField(field string) string { return genericFields[field] }

// maxGenericText is the most bytes of text: it becomes the alert's
// description annotation, and an alert's annotations hold at most
// incident.MaxLabelsLen bytes, keys included.
const maxGenericText = incident.MaxLabelsLen - len("description")

// ParseGeneric reads {"title","severity","status","fingerprint","service",
// "text","at"}. Only title is required: status defaults to firing, at to
// now, the fingerprint to one made of title and service. Scripts tend to
// post "firing, now" on every run, so a firing alert whose fingerprint
// already fires is a repeat, and "resolved" ends whatever fires under the
// fingerprint. Each fingerprint is its own group.
func ParseGeneric(body []byte, now time.Time, r Rules) (*incident.AlertBatch, error) {
	var g genericAlert
	if err := decodeJSON(body, &g); err != nil {
		return nil, err
	}
	g.Title, g.Service, g.Fingerprint = strings.TrimSpace(g.Title), strings.TrimSpace(g.Service), strings.TrimSpace(g.Fingerprint)
	if g.Title == "" {
		return nil, incident.FieldError(incident.EINVALID, "title", "title is required")
	}
	if n := utf8.RuneCountInString(g.Title); n > incident.MaxTitleLen {
		return nil, incident.FieldError(incident.EINVALID, "title", "title is %d characters long, at most %d are allowed", n, incident.MaxTitleLen)
	}
	if n := utf8.RuneCountInString(g.Service); n > incident.MaxNameLen {
		return nil, incident.FieldError(incident.EINVALID, "service", "service is %d characters long, at most %d are allowed", n, incident.MaxNameLen)
	}
	if n := len(g.Text); n > maxGenericText {
		return nil, incident.FieldError(incident.EINVALID, "text", "text is %d bytes long, at most %d are allowed", n, maxGenericText)
	}
	status, err := alertStatus("status", g.Status, string(incident.AlertFiring))
	if err != nil {
		return nil, err
	}
	at, err := parseTime("at", g.At)
	if err != nil {
		return nil, err
	}
	if at.IsZero() {
		at = now
	}
	labels := map[string]string{"alertname": g.Title}
	if g.Service != "" {
		labels["service"] = g.Service
	}
	if s := strings.TrimSpace(g.Severity); s != "" {
		labels["severity"] = s
	}
	fp := g.Fingerprint
	if fp == "" {
		fp = LabelsFingerprint(map[string]string{"title": g.Title, "service": g.Service})
	}
	b := &incident.AlertBatch{Source: SourceGeneric, GroupKey: fp, FireOnce: true, PayloadField: genericField}
	if status == incident.AlertResolved {
		b.Resolve = []incident.AlertEnd{{Fingerprint: fp, At: at}}
		return b, nil
	}
	annotations := map[string]string{}
	if t := strings.TrimSpace(g.Text); t != "" {
		annotations["description"] = t
	}
	b.Alerts = []incident.Alert{{Fingerprint: fp, Name: g.Title, Labels: labels, Annotations: annotations,
		Status: incident.AlertFiring, StartsAt: at}}
	b.Open = r.incidentFor(b.Alerts, nil, nil)
	return b, nil
}
