package store

import (
	"context"
	"fmt"
	"time"

	"gorm.io/gorm"

	"hindsight/internal/incident"
)

// openRiskRow is one line of the open-risks query.
type openRiskRow struct {
	ID            int64
	Description   string
	Category      string
	IsPrimary     bool
	CreatedAt     time.Time
	IncidentID    int64
	IncidentRef   string
	IncidentTitle string
	Severity      string
	OpenTasks     int
}

// OpenRisks returns the root causes that no done task addresses, the most
// severe incidents first, then the oldest root causes.
func (s *Store) OpenRisks(ctx context.Context) ([]incident.OpenRisk, error) {
	var rows []openRiskRow
	err := s.reading(ctx, func(db *gorm.DB) error {
		return db.Raw(`
		SELECT rc.id, rc.description, rc.category, rc.is_primary, rc.created_at,
		       i.id AS incident_id, i.ref AS incident_ref, i.title AS incident_title, i.severity,
		       (SELECT COUNT(*) FROM tasks t WHERE t.root_cause_id = rc.id AND t.status IN ?) AS open_tasks
		FROM root_causes rc
		JOIN incidents i ON i.id = rc.incident_id
		WHERE NOT EXISTS (SELECT 1 FROM tasks t WHERE t.root_cause_id = rc.id AND t.status = ?)
		ORDER BY i.severity, rc.id`,
			[]string{string(incident.TaskOpen), string(incident.TaskInProgress)}, string(incident.TaskDone)).
			Scan(&rows).Error
	})
	if err != nil {
		return nil, s.translate(fmt.Errorf("load open risks: %w", err))
	}
	out := make([]incident.OpenRisk, len(rows))
	for i, r := range rows {
		out[i] = incident.OpenRisk{RootCauseID: r.ID, Description: r.Description, Category: incident.Category(r.Category),
			Primary: r.IsPrimary, IncidentID: r.IncidentID, IncidentRef: r.IncidentRef, IncidentTitle: r.IncidentTitle,
			Severity: incident.Severity(r.Severity), OpenTasks: r.OpenTasks, CreatedAt: r.CreatedAt.UTC()}
	}
	return out, nil
}

// statsIncidents narrows q, a query on incidents, to those f selects.
func statsIncidents(q *gorm.DB, f incident.StatsFilter) *gorm.DB {
	q = q.Where("incidents.started_at < ?", f.To.UTC())
	if f.From != nil {
		q = q.Where("incidents.started_at >= ?", f.From.UTC())
	}
	if f.Severity != "" {
		q = q.Where("incidents.severity = ?", f.Severity)
	}
	if f.Service != "" {
		q = q.Where("EXISTS (SELECT 1 FROM incident_services s WHERE s.incident_id = incidents.id AND s.name = ?)", f.Service)
	}
	return q
}

// StatsData loads what the figures of the incidents f selects are computed
// from: the incidents, their tasks and their root causes, read in one
// transaction so that they agree.
func (s *Store) StatsData(ctx context.Context, f incident.StatsFilter) (*incident.StatsData, error) {
	d := &incident.StatsData{}
	err := s.reading(ctx, func(db *gorm.DB) error {
		return db.Transaction(func(tx *gorm.DB) error {
			var rows []incidentRow
			if err := statsIncidents(tx.Model(&incidentRow{}), f).Order("started_at, id").Find(&rows).Error; err != nil {
				return fmt.Errorf("load incidents: %w", err)
			}
			d.Incidents = make([]incident.Incident, len(rows))
			for i := range rows {
				d.Incidents[i] = rows[i].toDomain(nil)
			}
			// A subquery rather than a list of ids: a list of thousands would
			// run into the databases' limits on parameters.
			ids := func() *gorm.DB { return statsIncidents(tx.Model(&incidentRow{}).Select("incidents.id"), f) }
			var err error
			if d.Tasks, err = loadTasks(tx.Where("tasks.incident_id IN (?)", ids())); err != nil {
				return err
			}
			var rcs []rootCauseRow
			if err := tx.Where("incident_id IN (?)", ids()).Order("id").Find(&rcs).Error; err != nil {
				return fmt.Errorf("load root causes: %w", err)
			}
			d.RootCauses = make([]incident.RootCause, len(rcs))
			for i, r := range rcs {
				d.RootCauses[i] = incident.RootCause{ID: r.ID, IncidentID: r.IncidentID, Description: r.Description,
					Category: incident.Category(r.Category), Primary: r.IsPrimary, Evidence: []int64{}, CreatedAt: r.CreatedAt.UTC()}
			}
			return nil
		})
	})
	if err != nil {
		return nil, s.translate(err)
	}
	return d, nil
}
