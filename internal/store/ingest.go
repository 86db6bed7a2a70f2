package store

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"gorm.io/gorm"

	"hindsight/internal/incident"
)

// IngestAlerts applies one webhook delivery in its own transaction: it
// stores the alerts it has not seen, marks resolved those that resolved,
// opens or feeds the group's incident and writes the timeline. A repeat of
// a delivery changes nothing. Under load use an AlertWriter, which puts
// many deliveries into one transaction.
func (s *Store) IngestAlerts(ctx context.Context, b *incident.AlertBatch) (*incident.IngestResult, error) {
	if err := prepareBatch(b, s.Now()); err != nil {
		return nil, err
	}
	var res *incident.IngestResult
	err := s.transact(ctx, func(tx *gorm.DB) error {
		var err error
		res, err = ingestBatch(tx, b, s.Now())
		return err
	})
	if err != nil {
		return nil, err
	}
	return res, nil
}

func prepareBatch(b *incident.AlertBatch, now time.Time) error {
	if b == nil {
		return incident.Errorf(incident.EINVALID, "no alerts")
	}
	b.Normalize(now)
	return b.Validate()
}

// ingestBatch does the work of IngestAlerts inside tx. Which alerts are new
// is decided by the unique key (source, fingerprint, starts_at) and ON
// CONFLICT, never by reading first, so concurrent deliveries of one
// snapshot store each alert once.
func ingestBatch(tx *gorm.DB, b *incident.AlertBatch, now time.Time) (*incident.IngestResult, error) {
	now = now.UTC().Truncate(time.Microsecond)
	res := &incident.IngestResult{Received: b.Size()}
	if b.Empty() {
		return res, nil
	}
	if b.DeliveryID != "" {
		fresh, err := recordDelivery(tx, b.Source, b.DeliveryID, now)
		if err != nil {
			return nil, err
		}
		if !fresh {
			res.Duplicates, res.Repeated = res.Received, true
			return res, nil
		}
	}
	groupIncident, err := lockGroup(tx, b.Source, b.GroupKey)
	if err != nil {
		return nil, err
	}
	open, err := openIncidentRow(tx, groupIncident)
	if err != nil {
		return nil, err
	}
	var openID *int64
	if open != nil {
		openID = &open.ID
	}

	added, err := insertAlerts(tx, b, openID, now)
	if err != nil {
		return nil, err
	}
	ended, err := resolveAlerts(tx, b, added)
	if err != nil {
		return nil, err
	}
	res.Added, res.Resolved = len(added), len(ended)
	res.Duplicates = res.Received - res.Added - res.Resolved

	if open == nil && b.Open != nil && anyFiring(added) {
		if open, err = openGroupIncident(tx, b, added, now); err != nil {
			return nil, err
		}
		res.Opened = true
	}

	var marks []alertMark
	if open != nil {
		for i := range added {
			a := &added[i]
			a.IncidentID = &open.ID
			marks = append(marks, alertMark{incidentID: open.ID, alert: a, status: incident.AlertFiring, at: a.StartsAt})
			if a.Status == string(incident.AlertResolved) {
				marks = append(marks, alertMark{incidentID: open.ID, alert: a, status: incident.AlertResolved, at: *a.EndsAt})
			}
		}
	}
	for i := range ended {
		if a := &ended[i]; a.IncidentID != nil {
			marks = append(marks, alertMark{incidentID: *a.IncidentID, alert: a, status: incident.AlertResolved, at: *a.EndsAt})
		}
	}
	if err := writeAlertEntries(tx, marks, b.Source, now); err != nil {
		return nil, err
	}
	if err := noteAllResolved(tx, marks, b.Source, now); err != nil {
		return nil, err
	}

	if open != nil {
		res.IncidentRef = open.Ref
		if err := acknowledge(tx, open.ID, b.AcknowledgedAt, now); err != nil {
			return nil, err
		}
		if err := addEntries(tx, open.ID, b.Entries, now); err != nil {
			return nil, err
		}
	}
	return res, nil
}

func recordDelivery(tx *gorm.DB, source, id string, now time.Time) (bool, error) {
	r := tx.Exec(`INSERT INTO webhook_deliveries (source, delivery_id, received_at) VALUES (?, ?, ?)
		ON CONFLICT (source, delivery_id) DO NOTHING`, source, id, now)
	if r.Error != nil {
		return false, fmt.Errorf("record delivery: %w", r.Error)
	}
	return r.RowsAffected == 1, nil
}

// lockGroup creates the group's row when it is new and returns the
// incident it last fed. The upsert takes the row lock on PostgreSQL, so a
// second delivery of the group waits here until the first has committed
// and then sees the incident the first one opened.
func lockGroup(tx *gorm.DB, source, key string) (*int64, error) {
	var id sql.NullInt64
	err := scanRow(tx.Raw(`INSERT INTO alert_groups (source, group_key) VALUES (?, ?)
		ON CONFLICT (source, group_key) DO UPDATE SET group_key = excluded.group_key
		RETURNING incident_id`, source, key), &id)
	if err != nil {
		return nil, fmt.Errorf("lock alert group: %w", err)
	}
	if !id.Valid {
		return nil, nil
	}
	return &id.Int64, nil
}

// openIncidentRow returns the incident with this id when it is still open.
func openIncidentRow(tx *gorm.DB, id *int64) (*incidentRow, error) {
	if id == nil {
		return nil, nil
	}
	var row incidentRow
	res := tx.Select("id", "ref", "status").Where("id = ?", *id).Limit(1).Find(&row)
	if res.Error != nil {
		return nil, fmt.Errorf("load group incident: %w", res.Error)
	}
	if res.RowsAffected == 0 || !incident.Status(row.Status).Open() {
		return nil, nil
	}
	return &row, nil
}

func anyFiring(rows []alertRow) bool {
	for i := range rows {
		if rows[i].Status == string(incident.AlertFiring) {
			return true
		}
	}
	return false
}

// openGroupIncident declares the incident b.Open describes, started and
// detected when the earliest new alert started firing, attaches the new
// alerts to it and makes it the group's incident.
func openGroupIncident(tx *gorm.DB, b *incident.AlertBatch, added []alertRow, now time.Time) (*incidentRow, error) {
	first := added[0].StartsAt
	ids := make([]int64, len(added))
	for i := range added {
		ids[i] = added[i].ID
		if added[i].StartsAt.Before(first) {
			first = added[i].StartsAt
		}
	}
	first = first.UTC()
	inc := incident.Incident{
		Title:     b.Open.Title,
		Severity:  b.Open.Severity,
		Services:  append([]string(nil), b.Open.Services...),
		StartedAt: &first,
	}
	detected := first
	inc.DetectedAt = &detected
	inc.PrepareNew(now)
	if err := inc.Validate(); err != nil {
		return nil, err
	}
	if err := insertIncident(tx, &inc); err != nil {
		return nil, err
	}
	if err := tx.Model(&alertRow{}).Where("id IN ?", ids).Update("incident_id", inc.ID).Error; err != nil {
		return nil, fmt.Errorf("attach alerts: %w", err)
	}
	if err := tx.Exec("UPDATE alert_groups SET incident_id = ? WHERE source = ? AND group_key = ?",
		inc.ID, b.Source, b.GroupKey).Error; err != nil {
		return nil, fmt.Errorf("set group incident: %w", err)
	}
	return &incidentRow{ID: inc.ID, Ref: inc.Ref, Status: string(inc.Status)}, nil
}

// acknowledge sets the incident's acknowledged_at when it is empty and the
// time keeps the milestones in order; an acknowledgement that would break
// the order (someone typed a later detection) is left to the commander.
func acknowledge(tx *gorm.DB, incidentID int64, at *time.Time, now time.Time) error {
	if at == nil {
		return nil
	}
	inc, err := loadIncident(tx, fmt.Sprint(incidentID))
	if err != nil {
		return err
	}
	if inc.AcknowledgedAt != nil {
		return nil
	}
	inc.AcknowledgedAt = at
	if inc.Validate() != nil {
		return nil
	}
	err = tx.Exec("UPDATE incidents SET acknowledged_at = ?, updated_at = ?, version = version + 1 WHERE id = ? AND acknowledged_at IS NULL",
		*at, now, incidentID).Error
	if err != nil {
		return fmt.Errorf("acknowledge incident: %w", err)
	}
	return nil
}

func addEntries(tx *gorm.DB, incidentID int64, entries []incident.Event, now time.Time) error {
	if len(entries) == 0 {
		return nil
	}
	evs := make([]incident.Event, len(entries))
	for i, e := range entries {
		e.IncidentID = incidentID
		e.Highlight = false
		if err := prepareEvent(&e, now); err != nil {
			return err
		}
		evs[i] = e
	}
	return insertEvents(tx, evs)
}

// placeholders returns "(?, ?, ?), (?, ?, ?)" for rows of n values.
func placeholders(rows, n int) string {
	one := "(" + strings.TrimSuffix(strings.Repeat("?, ", n), ", ") + ")"
	return strings.TrimSuffix(strings.Repeat(one+", ", rows), ", ")
}
