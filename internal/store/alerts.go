package store

import (
	"context"
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

// UnattachedAlerts returns the newest alerts that feed no incident (those
// below the open-at threshold), for someone to look at and attach by hand.
func (s *Store) UnattachedAlerts(ctx context.Context, limit int) ([]incident.Alert, error) {
	if limit <= 0 || limit > incident.MaxPageLen {
		limit = incident.DefaultPageLen
	}
	var rows []alertRow
	err := s.reader(ctx).Where("incident_id IS NULL").Order("starts_at DESC, id DESC").Limit(limit).Find(&rows).Error
	if err != nil {
		return nil, s.translate(err)
	}
	out := make([]incident.Alert, len(rows))
	for i := range rows {
		out[i] = rows[i].toDomain()
	}
	return out, nil
}
