package store

import (
	"context"
	"fmt"
	"slices"

	"gorm.io/gorm"

	"hindsight/internal/incident"
)

func insertRootCause(tx *gorm.DB, rc *incident.RootCause) error {
	row := &rootCauseRow{IncidentID: rc.IncidentID, Description: rc.Description, Category: string(rc.Category),
		IsPrimary: rc.Primary, CreatedAt: rc.CreatedAt}
	if err := tx.Create(row).Error; err != nil {
		return fmt.Errorf("insert root cause: %w", err)
	}
	rc.ID = row.ID
	if len(rc.Evidence) == 0 {
		return nil
	}
	ev := make([]evidenceRow, len(rc.Evidence))
	for i, id := range rc.Evidence {
		ev[i] = evidenceRow{RootCauseID: rc.ID, EventID: id}
	}
	if err := tx.Create(&ev).Error; err != nil {
		return fmt.Errorf("insert evidence: %w", err)
	}
	return nil
}

func loadRootCauses(db *gorm.DB, incidentID int64) ([]incident.RootCause, error) {
	var rows []rootCauseRow
	if err := db.Where("incident_id = ?", incidentID).Order("id").Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("load root causes: %w", err)
	}
	out := make([]incident.RootCause, len(rows))
	index := make(map[int64]int, len(rows))
	ids := make([]int64, len(rows))
	for i, r := range rows {
		out[i] = incident.RootCause{ID: r.ID, IncidentID: r.IncidentID, Description: r.Description,
			Category: incident.Category(r.Category), Primary: r.IsPrimary, Evidence: []int64{}, CreatedAt: r.CreatedAt.UTC()}
		index[r.ID] = i
		ids[i] = r.ID
	}
	if len(ids) == 0 {
		return out, nil
	}
	var ev []evidenceRow
	if err := db.Where("root_cause_id IN ?", ids).Order("event_id").Find(&ev).Error; err != nil {
		return nil, fmt.Errorf("load evidence: %w", err)
	}
	for _, e := range ev {
		rc := &out[index[e.RootCauseID]]
		rc.Evidence = append(rc.Evidence, e.EventID)
	}
	return out, nil
}

// AddRootCause records a root cause or contributing factor of the incident.
// Its evidence must be events of the same incident.
func (s *Store) AddRootCause(ctx context.Context, refOrIDText string, rc *incident.RootCause) error {
	rc.Normalize()
	if err := rc.Validate(); err != nil {
		return err
	}
	slices.Sort(rc.Evidence)
	rc.Evidence = slices.Compact(rc.Evidence)
	return s.transact(ctx, func(tx *gorm.DB) error {
		inc, err := findIncidentRow(tx, refOrIDText)
		if err != nil {
			return err
		}
		if len(rc.Evidence) > 0 {
			var n int64
			if err := tx.Model(&eventRow{}).Where("incident_id = ? AND id IN ?", inc.ID, rc.Evidence).Count(&n).Error; err != nil {
				return err
			}
			if int(n) != len(rc.Evidence) {
				return incident.FieldError(incident.EINVALID, "evidence", "evidence must be ids of events of incident %s", inc.Ref)
			}
		}
		rc.IncidentID = inc.ID
		rc.CreatedAt = s.Now().UTC()
		if err := insertRootCause(tx, rc); err != nil {
			return err
		}
		return s.record(ctx, tx, inc.ID, "root_cause", rc.ID, incident.ActionCreate, nil, rc)
	})
}
