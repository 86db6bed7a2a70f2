package store

import (
	"context"
	"fmt"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"hindsight/internal/incident"
)

func prepareEvent(e *incident.Event, now time.Time) error {
	e.Normalize()
	if err := e.Validate(); err != nil {
		return err
	}
	now = now.UTC().Truncate(time.Microsecond)
	if e.CreatedAt.IsZero() {
		e.CreatedAt = now
	}
	e.UpdatedAt = now
	return nil
}

// insertEvents writes events in batches, filling their ids.
func insertEvents(tx *gorm.DB, events []incident.Event) error {
	if len(events) == 0 {
		return nil
	}
	rows := make([]*eventRow, len(events))
	for i := range events {
		rows[i] = toEventRow(&events[i])
	}
	if err := tx.CreateInBatches(rows, 500).Error; err != nil {
		return fmt.Errorf("insert events: %w", err)
	}
	for i := range events {
		events[i].ID = rows[i].ID
	}
	return nil
}

func loadEvents(db *gorm.DB, incidentID int64) ([]incident.Event, error) {
	var rows []eventRow
	if err := db.Where("incident_id = ?", incidentID).Order("at, id").Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("load events: %w", err)
	}
	out := make([]incident.Event, len(rows))
	for i := range rows {
		out[i] = rows[i].toDomain()
	}
	return out, nil
}

// AddEvent adds an entry to the incident's timeline.
func (s *Store) AddEvent(ctx context.Context, refOrIDText string, e *incident.Event) error {
	now := s.Now()
	if err := prepareEvent(e, now); err != nil {
		return err
	}
	return s.transact(ctx, func(tx *gorm.DB) error {
		row, err := findIncidentRow(tx, refOrIDText)
		if err != nil {
			return err
		}
		e.IncidentID = row.ID
		evs := []incident.Event{*e}
		if err := insertEvents(tx, evs); err != nil {
			return err
		}
		e.ID = evs[0].ID
		return s.record(ctx, tx, row.ID, "event", e.ID, incident.ActionCreate, nil, e)
	})
}

// findEvent reads an event of the incident; with lock, on PostgreSQL, it
// also locks the event until tx ends, as the update that follows would.
func (s *Store) findEvent(tx *gorm.DB, refOrIDText string, eventID int64, lock bool) (*eventRow, error) {
	inc, err := findIncidentRow(tx, refOrIDText)
	if err != nil {
		return nil, err
	}
	q := tx.Where("id = ? AND incident_id = ?", eventID, inc.ID)
	if lock && s.dialect == Postgres {
		q = q.Clauses(clause.Locking{Strength: "NO KEY UPDATE"})
	}
	var row eventRow
	res := q.Limit(1).Find(&row)
	if res.Error != nil {
		return nil, res.Error
	}
	if res.RowsAffected == 0 {
		return nil, incident.Errorf(incident.ENOTFOUND, "event %d not found in incident %s", eventID, inc.Ref)
	}
	return &row, nil
}

// UpdateEvent changes a timeline entry of the incident.
func (s *Store) UpdateEvent(ctx context.Context, refOrIDText string, eventID int64, patch *incident.EventPatch) (*incident.Event, error) {
	var ev incident.Event
	err := s.transact(ctx, func(tx *gorm.DB) error {
		// Locked: two patches that both read it before either wrote would
		// each write back the whole event, and the last lose the first's
		// change. (SQLite writes one transaction at a time.)
		row, err := s.findEvent(tx, refOrIDText, eventID, true)
		if err != nil {
			return err
		}
		ev = row.toDomain()
		before := ev
		if err := patch.Apply(&ev, s.Now()); err != nil {
			return err
		}
		if err := tx.Model(&eventRow{}).Select(eventColumns).Where("id = ?", ev.ID).Updates(toEventRow(&ev)).Error; err != nil {
			return err
		}
		return s.record(ctx, tx, ev.IncidentID, "event", ev.ID, incident.ActionUpdate, &before, &ev)
	})
	if err != nil {
		return nil, s.translate(err)
	}
	return &ev, nil
}

// lockAlertEntrySQL locks the collapsed entry an event stands for, if any.
const lockAlertEntrySQL = "SELECT 1 FROM alert_entries WHERE event_id = ? FOR UPDATE"

// DeleteEvent removes a timeline entry of the incident.
func (s *Store) DeleteEvent(ctx context.Context, refOrIDText string, eventID int64) error {
	return s.transact(ctx, func(tx *gorm.DB) error {
		row, err := s.findEvent(tx, refOrIDText, eventID, false)
		if err != nil {
			return err
		}
		if s.dialect == Postgres {
			// Ingest updates a collapsed entry's row, then its event (see
			// mergeAlertEntry); the delete would lock the event, then the
			// entry's row by cascade, and deadlock with a storm that keeps
			// updating the entry. So the entry first, as ingest does.
			if err := tx.Exec(lockAlertEntrySQL, row.ID).Error; err != nil {
				return fmt.Errorf("lock alert entry: %w", err)
			}
		}
		if err := tx.Delete(&eventRow{}, row.ID).Error; err != nil {
			return err
		}
		old := row.toDomain()
		return s.record(ctx, tx, row.IncidentID, "event", row.ID, incident.ActionDelete, &old, nil)
	})
}
