package store

import (
	"fmt"
	"strconv"
	"time"

	"gorm.io/gorm"

	"hindsight/internal/incident"
)

// chunkLen bounds the rows of one statement, well below the parameter
// limits of SQLite (32766) and PostgreSQL (65535).
const chunkLen = 500

func occurrenceKey(fingerprint string, startsAt time.Time) string {
	return fingerprint + "\x00" + strconv.FormatInt(startsAt.UnixMicro(), 10)
}

// insertAlerts stores the occurrences of b not stored yet, attached to
// incidentID when the group has an open incident, and returns them.
func insertAlerts(tx *gorm.DB, b *incident.AlertBatch, incidentID *int64, now time.Time) ([]alertRow, error) {
	seen := make(map[string]bool, len(b.Alerts))
	var todo []*incident.Alert
	for i := range b.Alerts {
		a := &b.Alerts[i]
		k := occurrenceKey(a.Fingerprint, a.StartsAt)
		if !seen[k] {
			seen[k] = true
			todo = append(todo, a)
		}
	}
	if b.FireOnce {
		var err error
		if todo, err = dropFiring(tx, b.Source, todo); err != nil {
			return nil, err
		}
	}
	var added []alertRow
	for len(todo) > 0 {
		n := min(len(todo), chunkLen)
		rows, err := insertAlertChunk(tx, todo[:n], incidentID, now)
		if err != nil {
			return nil, err
		}
		added = append(added, rows...)
		todo = todo[n:]
	}
	return added, nil
}

// dropFiring leaves out firing alerts whose fingerprint already fires. It
// reads before it writes, which is safe because the caller holds the
// group's lock and these senders key their groups by fingerprint.
func dropFiring(tx *gorm.DB, source string, alerts []*incident.Alert) ([]*incident.Alert, error) {
	var fps []string
	for _, a := range alerts {
		if a.Status == incident.AlertFiring {
			fps = append(fps, a.Fingerprint)
		}
	}
	if len(fps) == 0 {
		return alerts, nil
	}
	var firing []string
	err := tx.Model(&alertRow{}).Where("source = ? AND fingerprint IN ? AND status = ?", source, fps, incident.AlertFiring).
		Pluck("fingerprint", &firing).Error
	if err != nil {
		return nil, fmt.Errorf("find firing alerts: %w", err)
	}
	if len(firing) == 0 {
		return alerts, nil
	}
	skip := make(map[string]bool, len(firing))
	for _, fp := range firing {
		skip[fp] = true
	}
	kept := alerts[:0:0]
	for _, a := range alerts {
		if a.Status != incident.AlertFiring || !skip[a.Fingerprint] {
			kept = append(kept, a)
		}
	}
	return kept, nil
}

func insertAlertChunk(tx *gorm.DB, alerts []*incident.Alert, incidentID *int64, now time.Time) ([]alertRow, error) {
	const cols = 11
	args := make([]any, 0, len(alerts)*cols)
	byKey := make(map[string]*incident.Alert, len(alerts))
	for _, a := range alerts {
		byKey[occurrenceKey(a.Fingerprint, a.StartsAt)] = a
		args = append(args, a.Source, a.Fingerprint, a.GroupKey, a.Name, encodeMap(a.Labels), encodeMap(a.Annotations),
			string(a.Status), a.StartsAt, a.EndsAt, incidentID, now)
	}
	var got []struct {
		ID          int64
		Fingerprint string
		StartsAt    time.Time
	}
	err := tx.Raw(`INSERT INTO alerts (source, fingerprint, group_key, name, labels, annotations, status,
			starts_at, ends_at, incident_id, received_at)
		VALUES `+placeholders(len(alerts), cols)+`
		ON CONFLICT (source, fingerprint, starts_at) DO NOTHING
		RETURNING id, fingerprint, starts_at`, args...).Scan(&got).Error
	if err != nil {
		return nil, fmt.Errorf("insert alerts: %w", err)
	}
	rows := make([]alertRow, 0, len(got))
	for _, g := range got {
		a := byKey[occurrenceKey(g.Fingerprint, g.StartsAt)]
		if a == nil {
			return nil, fmt.Errorf("insert alerts: returned %s at %s, which was not sent", g.Fingerprint, g.StartsAt)
		}
		rows = append(rows, alertRow{ID: g.ID, Source: a.Source, Fingerprint: a.Fingerprint, GroupKey: a.GroupKey,
			Name: a.Name, Labels: encodeMap(a.Labels), Annotations: encodeMap(a.Annotations), Status: string(a.Status),
			StartsAt: a.StartsAt, EndsAt: a.EndsAt, IncidentID: incidentID, ReceivedAt: now})
	}
	return rows, nil
}

// resolveAlerts marks resolved the firing occurrences that b reports as
// resolved (and did not just add) or ends by fingerprint, and returns them
// as they are now. The update repeats the status condition, so that of two
// writers only one resolves an alert and writes its timeline entry.
func resolveAlerts(tx *gorm.DB, b *incident.AlertBatch, added []alertRow) ([]alertRow, error) {
	justAdded := make(map[string]bool, len(added))
	for i := range added {
		justAdded[occurrenceKey(added[i].Fingerprint, added[i].StartsAt)] = true
	}
	endAt := map[string]time.Time{} // occurrence key -> end
	var fps []string
	for i := range b.Alerts {
		a := &b.Alerts[i]
		k := occurrenceKey(a.Fingerprint, a.StartsAt)
		if a.Status == incident.AlertResolved && !justAdded[k] {
			endAt[k] = *a.EndsAt
			fps = append(fps, a.Fingerprint)
		}
	}
	endAny := map[string]time.Time{} // fingerprint -> end of whatever fires
	for _, r := range b.Resolve {
		endAny[r.Fingerprint] = r.At
		fps = append(fps, r.Fingerprint)
	}
	if len(fps) == 0 {
		return nil, nil
	}
	firing, err := firingAlerts(tx, b.Source, unique(fps))
	if err != nil {
		return nil, err
	}
	var ended []alertRow
	for _, row := range firing {
		end, ok := endAt[occurrenceKey(row.Fingerprint, row.StartsAt)]
		if !ok {
			if end, ok = endAny[row.Fingerprint]; !ok {
				continue
			}
		}
		if end.Before(row.StartsAt) {
			end = row.StartsAt
		}
		end = end.UTC()
		r := tx.Exec("UPDATE alerts SET status = ?, ends_at = ? WHERE id = ? AND status = ?",
			incident.AlertResolved, end, row.ID, incident.AlertFiring)
		if r.Error != nil {
			return nil, fmt.Errorf("resolve alert: %w", r.Error)
		}
		if r.RowsAffected == 1 {
			row.Status, row.EndsAt = string(incident.AlertResolved), &end
			row.StartsAt = row.StartsAt.UTC()
			ended = append(ended, row)
		}
	}
	return ended, nil
}

func firingAlerts(tx *gorm.DB, source string, fps []string) ([]alertRow, error) {
	var out []alertRow
	for len(fps) > 0 {
		n := min(len(fps), chunkLen)
		var rows []alertRow
		err := tx.Where("source = ? AND fingerprint IN ? AND status = ?", source, fps[:n], incident.AlertFiring).
			Order("id").Find(&rows).Error
		if err != nil {
			return nil, fmt.Errorf("find firing alerts: %w", err)
		}
		out = append(out, rows...)
		fps = fps[n:]
	}
	return out, nil
}

func unique(ss []string) []string {
	seen := make(map[string]bool, len(ss))
	out := ss[:0:0]
	for _, s := range ss {
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	return out
}
