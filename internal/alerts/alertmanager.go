package alerts

import (
	"fmt"
	"sort"
	"strings"

	"hindsight/internal/incident"
)

// groupPayload is Alertmanager's webhook payload (version 4), which
// Grafana's contact point extends with orgId. Fields this package does not
// use (notification_reason, routeLabels, Grafana's values...) are ignored.
type groupPayload struct {
	Version           string            `json:"version"`
	GroupKey          string            `json:"groupKey"`
	TruncatedAlerts   int               `json:"truncatedAlerts"`
	Status            string            `json:"status"`
	Receiver          string            `json:"receiver"`
	GroupLabels       map[string]string `json:"groupLabels"`
	CommonLabels      map[string]string `json:"commonLabels"`
	CommonAnnotations map[string]string `json:"commonAnnotations"`
	ExternalURL       string            `json:"externalURL"`
	Alerts            []groupAlert      `json:"alerts"`
	OrgID             int               `json:"orgId"` // Grafana's
}

type groupAlert struct {
	Status       string            `json:"status"`
	Labels       map[string]string `json:"labels"`
	Annotations  map[string]string `json:"annotations"`
	StartsAt     string            `json:"startsAt"` // read by parseTime, to name the field
	EndsAt       string            `json:"endsAt"`
	GeneratorURL string            `json:"generatorURL"`
	Fingerprint  string            `json:"fingerprint"`
}

// ParseAlertmanager reads an Alertmanager webhook notification: a snapshot
// of one alert group, sent again and again while the group lives.
func ParseAlertmanager(body []byte, r Rules) (*incident.AlertBatch, error) {
	var p groupPayload
	if err := decodeJSON(body, &p); err != nil {
		return nil, err
	}
	return groupBatch(SourceAlertmanager, &p, r)
}

func groupBatch(source string, p *groupPayload, r Rules) (*incident.AlertBatch, error) {
	if len(p.Alerts) == 0 {
		return nil, incident.FieldError(incident.EINVALID, "alerts", "alerts is empty; a notification holds at least one alert")
	}
	b := &incident.AlertBatch{Source: source, GroupKey: p.GroupKey, Truncated: p.TruncatedAlerts}
	if b.GroupKey == "" {
		// Alertmanager always sends one; other senders of this format may
		// not, and the receiver with the group labels is what it is built from.
		b.GroupKey = p.Receiver + ":" + canonicalLabels(p.GroupLabels)
	}
	b.Alerts = make([]incident.Alert, 0, len(p.Alerts))
	for i, a := range p.Alerts {
		status, err := alertStatus(fmt.Sprintf("alerts[%d].status", i), a.Status, p.Status)
		if err != nil {
			return nil, err
		}
		startsAt, err := parseTime(fmt.Sprintf("alerts[%d].startsAt", i), a.StartsAt)
		if err != nil {
			return nil, err
		}
		if startsAt.IsZero() {
			return nil, incident.FieldError(incident.EINVALID, fmt.Sprintf("alerts[%d].startsAt", i), "startsAt is required")
		}
		endsAt, err := parseTime(fmt.Sprintf("alerts[%d].endsAt", i), a.EndsAt)
		if err != nil {
			return nil, err
		}
		labels := nonNil(a.Labels)
		fp := strings.TrimSpace(a.Fingerprint)
		if fp == "" {
			fp = LabelsFingerprint(labels)
		}
		al := incident.Alert{Fingerprint: fp, Name: firstNonEmpty(labels["alertname"], fp), Labels: labels,
			Annotations: nonNil(a.Annotations), Status: status, StartsAt: startsAt}
		// A firing alert's endsAt is only when the sender would give up
		// waiting for news of it; only a resolved alert has really ended.
		if status == incident.AlertResolved && !endsAt.IsZero() {
			al.EndsAt = &endsAt
		}
		b.Alerts = append(b.Alerts, al)
	}
	b.Open = r.incidentFor(b.Alerts, p.CommonLabels, p.CommonAnnotations)
	b.OpenFor = func(firing []incident.Alert) *incident.Incident {
		return r.incidentFor(firing, p.CommonLabels, p.CommonAnnotations)
	}
	b.PayloadField = groupField
	if p.GroupKey == "" {
		b.PayloadField = func(field string) string {
			if field == "group_key" {
				// Made of the receiver and the group labels, which are
				// what grows long.
				return "groupLabels"
			}
			return groupField(field)
		}
	}
	return b, nil
}

// groupField names a field of a batch as Alertmanager's payload does.
func groupField(field string) string {
	if field == "group_key" {
		return "groupKey"
	}
	alert, name, _ := strings.Cut(field, ".")
	if !strings.HasPrefix(alert, "alerts[") {
		return ""
	}
	switch name {
	case "starts_at":
		return alert + ".startsAt"
	case "ends_at":
		return alert + ".endsAt"
	case "name":
		return alert + ".labels.alertname"
	}
	return ""
}

// canonicalLabels writes labels the way Alertmanager writes group keys.
func canonicalLabels(labels map[string]string) string {
	keys := make([]string, 0, len(labels))
	for k := range labels {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = k + "=" + `"` + labels[k] + `"`
	}
	return "{" + strings.Join(parts, ",") + "}"
}
