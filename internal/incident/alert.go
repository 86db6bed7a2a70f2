package incident

import "time"

// AlertStatus is the state an alerting system reported last.
type AlertStatus string

const (
	AlertFiring   AlertStatus = "firing"
	AlertResolved AlertStatus = "resolved"
)

// Alert is one occurrence of an alert from an alerting system: the same
// (source, fingerprint, starts_at) is the same occurrence however often it
// is sent.
type Alert struct {
	ID          int64             `json:"id"`
	Source      string            `json:"source"`
	Fingerprint string            `json:"fingerprint"`
	GroupKey    string            `json:"group_key"`
	Name        string            `json:"name"`
	Labels      map[string]string `json:"labels"`
	Annotations map[string]string `json:"annotations"`
	Status      AlertStatus       `json:"status"`
	StartsAt    time.Time         `json:"starts_at"`
	EndsAt      *time.Time        `json:"ends_at"`
	IncidentID  *int64            `json:"incident_id"`
	ReceivedAt  time.Time         `json:"received_at"`
}
