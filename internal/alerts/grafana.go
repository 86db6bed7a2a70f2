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
	// Grafana's group key and fingerprints hold only labels: the same rule
	// in two organisations must not feed one incident, nor its alert in
	// one be a repeat of the other's. Those of the first organisation are
	// kept as Grafana makes them, as they were stored before there were
	// others (migration 0012 prefixed the others' stored fingerprints).
	if p.OrgID > 1 {
		org := "org" + strconv.Itoa(p.OrgID) + ":"
		b.GroupKey = org + b.GroupKey
		for i := range b.Alerts {
			b.Alerts[i].Fingerprint = org + b.Alerts[i].Fingerprint
		}
	}
	return b, nil
}
