package alerts

import (
	"strconv"

	"hindsight/internal/incident"
)

// ParseGrafana reads a notification of Grafana's webhook contact point.
func ParseGrafana(body []byte, r Rules) (*incident.AlertBatch, error) {
	// Grafana's webhook contact point sends Alertmanager's format (Grafana
	// alerting runs an Alertmanager inside) with extras, of which only the
	// organisation matters here.
	var p groupPayload
	if err := decodeJSON(body, &p); err != nil {
		return nil, err
	}
	b, err := groupBatch(SourceGrafana, &p, r)
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
