package store

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"time"

	"gorm.io/gorm"

	"hindsight/internal/incident"
)

// incidentAlertsSQL and unattachedAlertsSQL read alerts_incident in its
// order, (incident_id, starts_at, id), without sorting.
const (
	incidentAlertsSQL   = `SELECT ` + alertColumns + ` FROM alerts WHERE incident_id = ? ORDER BY starts_at, id`
	unattachedAlertsSQL = `SELECT ` + alertColumns + ` FROM alerts WHERE incident_id IS NULL
		ORDER BY starts_at DESC, id DESC LIMIT ?`
)

func loadAlerts(db *gorm.DB, incidentID int64) ([]incident.Alert, error) {
	var rows []alertRow
	if err := db.Raw(incidentAlertsSQL, incidentID).Scan(&rows).Error; err != nil {
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
	err := s.reading(ctx, func(db *gorm.DB) error {
		return db.Raw(unattachedAlertsSQL, limit).Scan(&rows).Error
	})
	if err != nil {
		return nil, s.translate(err)
	}
	out := make([]incident.Alert, len(rows))
	for i := range rows {
		out[i] = rows[i].toDomain()
	}
	return out, nil
}

// MaxAttach is the most alerts one request attaches.
const MaxAttach = 500

// AttachAlerts attaches alerts that feed no incident (those below the
// open-at threshold) to an incident, by hand, and writes them onto its
// timeline at their own times, as if they had arrived while it was open:
// collapsed by name with the alerts already there. Alerts already attached
// to this incident are left as they are, so a repeat changes nothing; an
// alert of another incident is a conflict, and nothing is attached. It
// returns the incident and the ids of the alerts it attached.
func (s *Store) AttachAlerts(ctx context.Context, refOrIDText string, ids []int64) (*incident.Incident, []int64, error) {
	if len(ids) == 0 {
		return nil, nil, incident.FieldError(incident.EINVALID, "alert_ids", "alert_ids lists no alert")
	}
	if len(ids) > MaxAttach {
		return nil, nil, incident.FieldError(incident.EINVALID, "alert_ids", "alert_ids lists %d alerts; at most %d at a time", len(ids), MaxAttach)
	}
	ids = slices.Clone(ids)
	slices.Sort(ids)
	ids = slices.Compact(ids)
	var inc *incident.Incident
	var attached []int64
	err := s.transact(ctx, func(tx *gorm.DB) error {
		var err error
		if inc, err = loadIncident(tx, refOrIDText); err != nil {
			return err
		}
		var rows []alertRow
		if err := tx.Where("id IN ?", ids).Order("starts_at, id").Find(&rows).Error; err != nil {
			return fmt.Errorf("load alerts: %w", err)
		}
		if len(rows) != len(ids) {
			found := make(map[int64]bool, len(rows))
			for _, r := range rows {
				found[r.ID] = true
			}
			for _, id := range ids {
				if !found[id] {
					return incident.FieldError(incident.EINVALID, "alert_ids", "there is no alert %d", id)
				}
			}
		}
		now := s.Now().UTC().Truncate(time.Microsecond)
		bySource := map[string][]alertRow{}
		for _, r := range rows {
			switch {
			case r.IncidentID == nil:
				bySource[r.Source] = append(bySource[r.Source], r)
			case *r.IncidentID != inc.ID:
				return incident.FieldError(incident.ECONFLICT, "alert_ids", "alert %d feeds another incident", r.ID)
			}
		}
		if s.dialect == Postgres {
			// Ingest's order of locks (see ingestBatches): the rows of the
			// incident's groups, the alerts, then the incident before its
			// entries, so that entries written by hand and by ingest at the
			// same moment collapse into one.
			if err := tx.Exec(lockIncidentGroupsSQL, inc.ID).Error; err != nil {
				return fmt.Errorf("lock alert groups: %w", err)
			}
		}
		sources := slices.Sorted(maps.Keys(bySource))
		for _, src := range sources {
			rows := bySource[src]
			for i := range rows {
				// Only while unattached: of two people attaching one alert
				// at once, the second gets a conflict.
				r := tx.Exec("UPDATE alerts SET incident_id = ? WHERE id = ? AND incident_id IS NULL", inc.ID, rows[i].ID)
				if r.Error != nil {
					return fmt.Errorf("attach alert: %w", r.Error)
				}
				if r.RowsAffected == 0 {
					return incident.FieldError(incident.ECONFLICT, "alert_ids", "alert %d was attached meanwhile", rows[i].ID)
				}
				if err := s.record(ctx, tx, inc.ID, "alert", rows[i].ID, incident.ActionUpdate,
					&alertAttachment{}, &alertAttachment{Incident: inc.Ref}); err != nil {
					return err
				}
				attached = append(attached, rows[i].ID)
			}
		}
		if s.dialect == Postgres {
			if err := tx.Exec(lockIncidentSQL, inc.ID).Error; err != nil {
				return fmt.Errorf("lock incident: %w", err)
			}
		}
		for _, src := range sources {
			rows := bySource[src]
			g := &groupIngest{s: s, tx: tx, now: now, source: src, actor: incident.ActorFrom(ctx),
				open: &incidentRow{ID: inc.ID, Ref: inc.Ref, Status: string(inc.Status)}}
			// No "all alerts resolved" note: that is news when the last
			// alert resolves, not when someone files a resolved one. But
			// one that fired at such a moment takes its note away, which
			// then stands at the end of the alerts' run, as it would
			// have had the alert come by webhook.
			g.mark(rows, nil)
			var moments []time.Time
			if since := earliestStart(g.marks); since != nil {
				dropped, err := g.reviseNotes(inc.ID, *since, true)
				if err != nil {
					return err
				}
				if ends := endsOf(rows); dropped && len(ends) > 0 {
					if moments, err = g.quietMoments(inc.ID, ends, true); err != nil {
						return err
					}
				}
			}
			quiet, err := g.quietAround(inc.ID, g.marks, moments)
			if err != nil {
				return err
			}
			if err := g.writeAlertEntries(g.marks, quiet); err != nil {
				return err
			}
			if err := g.noteResolved(inc.ID, moments); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, nil, err
	}
	return inc, attached, nil
}

// endsOf returns when the resolved alerts of rows ended.
func endsOf(rows []alertRow) []time.Time {
	var ends []time.Time
	for _, r := range rows {
		if r.EndsAt != nil {
			ends = append(ends, *r.EndsAt)
		}
	}
	return ends
}

// lockIncidentGroupsSQL locks the rows of the groups that feed an
// incident, as ingest does, in ingest's order: byte order, whatever the
// database's collation.
const lockIncidentGroupsSQL = `SELECT 1 FROM alert_groups WHERE incident_id = ?
	ORDER BY source COLLATE "C", group_key COLLATE "C" FOR NO KEY UPDATE`

// alertAttachment is what attaching an alert changes, for the audit trail.
type alertAttachment struct {
	Incident string `json:"incident"`
}
