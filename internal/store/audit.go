package store

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"gorm.io/gorm"

	"hindsight/internal/incident"
)

type auditRow struct {
	ID         int64
	At         time.Time
	Actor      string
	IncidentID int64
	Entity     string
	EntityID   int64
	Action     string
	Changes    string
}

func (auditRow) TableName() string { return "audit_log" }

const insertAuditSQL = `INSERT INTO audit_log (at, actor, incident_id, entity, entity_id, action, changes)
	VALUES (?, ?, ?, ?, ?, ?, ?)`

// record adds an entry to the audit trail, in the caller's transaction, so
// that a change and its record are stored together or not at all. A change
// that changed nothing is not recorded.
func (s *Store) record(ctx context.Context, tx *gorm.DB, incidentID int64, entity string, entityID int64, action string, old, new any) error {
	return s.recordChanges(ctx, tx, incidentID, entity, entityID, action, incident.Diff(old, new))
}

// recordChanges is record for changes the caller worked out itself, as
// incident.Diff would have.
func (s *Store) recordChanges(ctx context.Context, tx *gorm.DB, incidentID int64, entity string, entityID int64, action string, changes map[string]incident.Change) error {
	if len(changes) == 0 && action == incident.ActionUpdate {
		return nil
	}
	b, err := json.Marshal(changes)
	if err != nil {
		return fmt.Errorf("audit: %w", err)
	}
	actor := incident.ActorFrom(ctx)
	if actor == "" {
		actor = "system"
	}
	err = s.hot(tx).exec(insertAuditSQL, s.Now().UTC().Truncate(time.Microsecond), actor, incidentID, entity, entityID, action, string(b))
	if err != nil {
		return fmt.Errorf("audit: %w", err)
	}
	return nil
}

// AuditLog returns the incident's audit trail, oldest first.
func (s *Store) AuditLog(ctx context.Context, refOrIDText string) ([]incident.AuditEntry, error) {
	var rows []auditRow
	err := s.reading(ctx, func(db *gorm.DB) error {
		inc, err := findIncidentRow(db, refOrIDText)
		if err != nil {
			return err
		}
		return db.Where("incident_id = ?", inc.ID).Order("id").Find(&rows).Error
	})
	if err != nil {
		return nil, s.translate(err)
	}
	out := make([]incident.AuditEntry, len(rows))
	for i, r := range rows {
		out[i] = incident.AuditEntry{ID: r.ID, At: r.At.UTC(), Actor: r.Actor, IncidentID: r.IncidentID,
			Entity: r.Entity, EntityID: r.EntityID, Action: r.Action, Changes: map[string]incident.Change{}}
		_ = json.Unmarshal([]byte(r.Changes), &out[i].Changes) // written by record
	}
	return out, nil
}
