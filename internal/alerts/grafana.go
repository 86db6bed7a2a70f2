package alerts

import (
	"strconv"

	"hindsight/internal/incident"
)

// grafanaPayload is Grafana's webhook contact point payload: Alertmanager's
// format (Grafana alerting runs an Alertmanager inside) with extras, of
// which only the organisation matters here.
type grafanaPayload struct {
	groupPayload
	OrgID int `json:"orgId"`
}

// ParseGrafana reads a notification of Grafana's webhook contact point.
func ParseGrafana(body []byte, r Rules) (*incident.AlertBatch, error) {
	var p grafanaPayload
	if err := decodeJSON(body, &p); err != nil {
		return nil, err
	}
	b, err := groupBatch(SourceGrafana, &p.groupPayload, r)
	if err != nil {
		return nil, err
	}
	// Grafana's group key holds only labels: the same rule in two
	// organisations must not feed one incident.
	if p.OrgID > 1 {
		b.GroupKey = "org" + strconv.Itoa(p.OrgID) + ":" + b.GroupKey
	}
	return b, nil
}
