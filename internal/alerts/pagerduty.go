package alerts

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"strconv"
	"strings"
	"time"

	"hindsight/internal/incident"
)

// PagerDuty v3 webhook: one event per delivery, see
// https://developer.pagerduty.com/docs/webhooks/v3-overview/.
type pdWebhook struct {
	Event struct {
		ID           string          `json:"id"`
		EventType    string          `json:"event_type"`
		ResourceType string          `json:"resource_type"`
		OccurredAt   string          `json:"occurred_at"` // read by parseTime, to name the field
		Agent        *pdRef          `json:"agent"`
		Data         json.RawMessage `json:"data"`
	} `json:"event"`
}

type pdRef struct {
	ID      string `json:"id"`
	Type    string `json:"type"`
	Summary string `json:"summary"`
	HTMLURL string `json:"html_url"`
}

type pdIncident struct {
	ID          string `json:"id"`
	Title       string `json:"title"`
	Status      string `json:"status"`
	Number      int    `json:"number"`
	IncidentKey string `json:"incident_key"`
	HTMLURL     string `json:"html_url"`
	CreatedAt   string `json:"created_at"`
	Urgency     string `json:"urgency"`
	Service     *pdRef `json:"service"`
	Priority    *pdRef `json:"priority"`
}

type pdNote struct {
	Incident pdRef  `json:"incident"`
	Content  string `json:"content"`
}

// ParsePagerDuty reads a PagerDuty v3 webhook. webhookID is the
// X-Webhook-Id header, the same on every delivery attempt of one webhook:
// a second delivery is recognised and ignored, as is the same event
// (event.id) delivered to a second subscription. Each PagerDuty incident is
// one alert group; event types Hindsight does not follow give an empty
// batch, to be answered with success, since PagerDuty disables a
// subscription whose deliveries keep failing.
func ParsePagerDuty(body []byte, webhookID string, r Rules) (*incident.AlertBatch, error) {
	var w pdWebhook
	if err := decodeJSON(body, &w); err != nil {
		return nil, err
	}
	ev := &w.Event
	if ev.EventType == "" {
		return nil, incident.FieldError(incident.EINVALID, "event.event_type", "event.event_type is required")
	}
	b := &incident.AlertBatch{Source: SourcePagerDuty,
		DeliveryID: firstNonEmpty(webhookID, ev.ID, bodyDigest(body)), EventID: strings.TrimSpace(ev.ID)}
	at, err := parseTime("event.occurred_at", ev.OccurredAt)
	if err != nil {
		return nil, err
	}
	fields := &pdFields{delivery: "event.id", at: "event.occurred_at"}
	if strings.TrimSpace(webhookID) != "" {
		fields.delivery = PagerDutyWebhookIDHeader
	}
	b.PayloadField = fields.name
	switch ev.EventType {
	case "incident.triggered", "incident.acknowledged", "incident.reopened", "incident.resolved":
		var inc pdIncident
		if err := decodeData(ev.Data, &inc); err != nil {
			return nil, err
		}
		if inc.ID == "" {
			return nil, incident.FieldError(incident.EINVALID, "event.data.id", "event.data.id is required")
		}
		created, err := parseTime("event.data.created_at", inc.CreatedAt)
		if err != nil {
			return nil, err
		}
		if at.IsZero() {
			at, fields.at = created, "event.data.created_at"
		}
		if at.IsZero() {
			return nil, incident.FieldError(incident.EINVALID, "event.occurred_at", "event.occurred_at is required")
		}
		b.GroupKey, fields.group = inc.ID, "event.data.id"
		// The incident's first occurrence starts when it was created,
		// whichever event tells of it first; a reopened incident fires
		// anew, a new occurrence.
		start := created
		fields.start = "event.data.created_at"
		if ev.EventType == "incident.reopened" {
			start, fields.start = at, fields.at
		} else if start.IsZero() {
			// Without its creation time, an event can only date the
			// occurrence by itself: while one fires, it is a repeat.
			start, fields.start, b.FireOnce = at, fields.at, true
		}
		switch ev.EventType {
		case "incident.resolved":
			// Only what had started by then: a reopening that came first
			// fires still.
			b.Resolve = []incident.AlertEnd{{Fingerprint: inc.ID, At: at, OnlyStarted: true}}
			if !created.IsZero() {
				// The occurrence itself, resolved, as well: PagerDuty does
				// not promise the order of its deliveries. A "triggered"
				// that comes after finds it ended, and the incident it
				// would have opened is open already.
				a := pdAlert(&inc, created)
				a.Status, a.EndsAt = incident.AlertResolved, &at
				b.Alerts = []incident.Alert{a}
				b.Open, b.OpenResolved = pdOpen(&inc, r), true
			}
		default:
			b.Alerts = []incident.Alert{pdAlert(&inc, start)}
			b.Open = pdOpen(&inc, r)
		}
		if ev.EventType == "incident.acknowledged" {
			b.AcknowledgedAt = &at
			b.Entries = []incident.Event{{At: at, Kind: incident.KindAlert, Author: SourcePagerDuty,
				Text: "Acknowledged in PagerDuty" + by(ev.Agent)}}
		}
	case "incident.annotated":
		var note pdNote
		if err := decodeData(ev.Data, &note); err != nil {
			return nil, err
		}
		b.GroupKey, fields.group = strings.TrimSpace(note.Incident.ID), "event.data.incident.id"
		if b.GroupKey == "" {
			return nil, incident.FieldError(incident.EINVALID, "event.data.incident.id", "event.data.incident.id is required")
		}
		if at.IsZero() {
			return nil, incident.FieldError(incident.EINVALID, "event.occurred_at", "event.occurred_at is required")
		}
		// An empty note says nothing to show.
		if text := strings.TrimSpace(note.Content); text != "" {
			b.Entries = []incident.Event{{At: at, Kind: incident.KindNote, Author: SourcePagerDuty,
				Text: incident.Clip("Note in PagerDuty"+by(ev.Agent)+": "+text, incident.MaxTextLen)}}
		}
	}
	return b, nil
}

// pdFields names the fields of a batch as the PagerDuty event it was made
// of does, which depends on where the batch's values came from.
type pdFields struct {
	delivery string // the X-Webhook-Id header, or else event.id
	group    string // the incident's id
	at       string // the event's time: occurred_at, or else the incident's created_at
	start    string // the alert's start: the incident's created_at, or else at
}

func (f *pdFields) name(field string) string {
	switch field {
	case "delivery_id":
		return f.delivery
	case "event_id":
		return "event.id"
	case "group_key":
		return f.group
	case "alerts[0].fingerprint", "resolve[0].fingerprint":
		return "event.data.id"
	case "alerts[0].starts_at":
		return f.start
	case "alerts[0].ends_at", "resolve[0].at", "acknowledged_at", "entries[0].at":
		return f.at
	case "alerts[0].name", "title":
		return "event.data.title"
	case "services":
		return "event.data.service.summary"
	}
	return ""
}

func decodeData(data json.RawMessage, v any) error {
	data = bytes.TrimSpace(data)
	if len(data) == 0 || string(data) == "null" {
		return incident.FieldError(incident.EINVALID, "event.data", "event.data is required")
	}
	if data[0] != '{' {
		// Decoded alone, it would be refused as if it were the body.
		return incident.FieldError(incident.EINVALID, "event.data", "event.data must be an object")
	}
	return incident.RenameField(decodeJSON(data, v), func(field string) string { return "event.data." + field })
}

// pdAlert is the alert a PagerDuty incident stands for: the incident's id
// is its fingerprint, and only one occurrence of it fires at a time.
func pdAlert(inc *pdIncident, start time.Time) incident.Alert {
	labels := map[string]string{}
	set := func(k, v string) {
		if v = strings.TrimSpace(v); v != "" {
			labels[k] = v
		}
	}
	if inc.Service != nil {
		set("service", inc.Service.Summary)
	}
	if inc.Priority != nil {
		set("priority", inc.Priority.Summary)
	}
	set("urgency", inc.Urgency)
	set("incident_key", inc.IncidentKey)
	if inc.Number > 0 {
		set("incident_number", strconv.Itoa(inc.Number))
	}
	annotations := map[string]string{}
	if inc.Title != "" {
		annotations["summary"] = inc.Title
	}
	if inc.HTMLURL != "" {
		annotations["url"] = inc.HTMLURL
	}
	return incident.Alert{Fingerprint: inc.ID, Name: incident.Clip(pdTitle(inc), incident.MaxNameLen), Labels: labels,
		Annotations: annotations, Status: incident.AlertFiring, StartsAt: start}
}

func pdTitle(inc *pdIncident) string {
	if t := strings.TrimSpace(inc.Title); t != "" {
		return t
	}
	if inc.Number > 0 {
		return "PagerDuty incident #" + strconv.Itoa(inc.Number)
	}
	return "PagerDuty incident " + inc.ID
}

// pdSeverity takes the incident's priority (P1..P5) when it has one, its
// urgency otherwise: high urgency pages someone, like an error.
func pdSeverity(inc *pdIncident) incident.Severity {
	if inc.Priority != nil {
		switch p := strings.ToUpper(strings.TrimSpace(inc.Priority.Summary)); p {
		case "P1", "P2", "P3", "P4":
			return incident.Severity("SEV" + p[1:])
		case "P5":
			return incident.SEV4
		}
	}
	return SeverityFromLabel(inc.Urgency)
}

func pdOpen(inc *pdIncident, r Rules) *incident.Incident {
	sev := pdSeverity(inc)
	if !r.Opens(sev) {
		return nil
	}
	var svc []string
	if inc.Service != nil && strings.TrimSpace(inc.Service.Summary) != "" {
		svc = []string{incident.Clip(strings.TrimSpace(inc.Service.Summary), incident.MaxNameLen)}
	}
	return &incident.Incident{Title: incident.Clip(pdTitle(inc), incident.MaxTitleLen), Severity: sev, Services: svc}
}

func by(agent *pdRef) string {
	if agent == nil || strings.TrimSpace(agent.Summary) == "" {
		return ""
	}
	return " by " + strings.TrimSpace(agent.Summary)
}

// bodyDigest stands in for a delivery id when PagerDuty sends none: a
// re-delivery repeats the body byte for byte.
func bodyDigest(body []byte) string {
	sum := sha256.Sum256(body)
	return "sha256:" + hex.EncodeToString(sum[:16])
}
