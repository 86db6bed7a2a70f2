package store

import (
	"fmt"

	"gorm.io/gorm"

	"hindsight/internal/incident"
)

func loadAlerts(db *gorm.DB, incidentID int64) ([]incident.Alert, error) {
	var rows []alertRow
	if err := db.Where("incident_id = ?", incidentID).Order("starts_at, id").Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("load alerts: %w", err)
	}
	out := make([]incident.Alert, len(rows))
	for i := range rows {
		out[i] = rows[i].toDomain()
	}
	return out, nil
}
