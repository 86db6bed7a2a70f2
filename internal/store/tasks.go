package store

import (
	"context"
	"fmt"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"hindsight/internal/incident"
)

func prepareTask(t *incident.Task, now time.Time) error {
	t.Normalize()
	if t.Status == incident.TaskDone && t.CompletedAt == nil {
		t.SetStatus(incident.TaskDone, now)
	}
	if t.Status != incident.TaskDone {
		t.CompletedAt = nil
	}
	if err := t.Validate(); err != nil {
		return err
	}
	now = now.UTC().Truncate(time.Microsecond)
	t.CreatedAt, t.UpdatedAt = now, now
	return nil
}

func insertTask(tx *gorm.DB, t *incident.Task) error {
	row := toTaskRow(t)
	if err := tx.Create(row).Error; err != nil {
		return fmt.Errorf("insert task: %w", err)
	}
	t.ID = row.ID
	return nil
}

// loadTasks runs q (already narrowed by the caller) with the incident ref of
// each task.
func loadTasks(q *gorm.DB) ([]incident.Task, error) {
	var rows []taskRow
	err := q.Select("tasks.*, incidents.ref AS incident_ref").
		Joins("JOIN incidents ON incidents.id = tasks.incident_id").
		Order("tasks.id").Find(&rows).Error
	if err != nil {
		return nil, fmt.Errorf("load tasks: %w", err)
	}
	out := make([]incident.Task, len(rows))
	for i := range rows {
		out[i] = rows[i].toDomain()
	}
	return out, nil
}

// checkRootCause makes sure a task points at a root cause of its own incident.
func checkRootCause(tx *gorm.DB, t *incident.Task) error {
	if t.RootCauseID == nil {
		return nil
	}
	var n int64
	if err := tx.Model(&rootCauseRow{}).Where("id = ? AND incident_id = ?", *t.RootCauseID, t.IncidentID).Count(&n).Error; err != nil {
		return err
	}
	if n == 0 {
		return incident.FieldError(incident.EINVALID, "root_cause_id", "root cause %d is not one of this incident's", *t.RootCauseID)
	}
	return nil
}

// AddTask adds a corrective or preventive task to the incident.
func (s *Store) AddTask(ctx context.Context, refOrIDText string, t *incident.Task) error {
	if err := prepareTask(t, s.Now()); err != nil {
		return err
	}
	return s.transact(ctx, func(tx *gorm.DB) error {
		inc, err := findIncidentRow(tx, refOrIDText)
		if err != nil {
			return err
		}
		t.IncidentID, t.IncidentRef = inc.ID, inc.Ref
		s.dueDefaults().ApplyDefaultDue(t, incident.Severity(inc.Severity), s.Now().In(s.TeamZone()))
		if err := checkRootCause(tx, t); err != nil {
			return err
		}
		if err := insertTask(tx, t); err != nil {
			return err
		}
		return s.record(ctx, tx, t.IncidentID, "task", t.ID, incident.ActionCreate, nil, t)
	})
}

// Task returns one task.
func (s *Store) Task(ctx context.Context, id int64) (*incident.Task, error) {
	var ts []incident.Task
	err := s.reading(ctx, func(db *gorm.DB) (err error) {
		ts, err = loadTasks(db.Where("tasks.id = ?", id))
		return err
	})
	if err != nil {
		return nil, s.translate(err)
	}
	if len(ts) == 0 {
		return nil, incident.Errorf(incident.ENOTFOUND, "task %d not found", id)
	}
	return &ts[0], nil
}

// UpdateTask changes a task.
func (s *Store) UpdateTask(ctx context.Context, id int64, patch *incident.TaskPatch) (*incident.Task, error) {
	var t incident.Task
	err := s.transact(ctx, func(tx *gorm.DB) error {
		q := tx.Where("tasks.id = ?", id)
		if s.dialect == Postgres {
			// Locked, as in UpdateEvent: patches write back the whole task.
			q = q.Clauses(clause.Locking{Strength: "NO KEY UPDATE", Table: clause.Table{Name: "tasks"}})
		}
		ts, err := loadTasks(q)
		if err != nil {
			return err
		}
		if len(ts) == 0 {
			return incident.Errorf(incident.ENOTFOUND, "task %d not found", id)
		}
		t = ts[0]
		before := t
		if err := patch.Apply(&t, s.Now()); err != nil {
			return err
		}
		if before.Status.Finished() && !t.Status.Finished() && t.DueAt == nil && !patch.DueAt.Set {
			// Reopened: a task created done got no due date, and would
			// never be overdue or reminded.
			var sev string
			if err := tx.Raw("SELECT severity FROM incidents WHERE id = ?", t.IncidentID).Scan(&sev).Error; err != nil {
				return err
			}
			s.dueDefaults().ApplyDefaultDue(&t, incident.Severity(sev), s.Now().In(s.TeamZone()))
		}
		if err := checkRootCause(tx, &t); err != nil {
			return err
		}
		if err := tx.Model(&taskRow{}).Select(taskColumns).Where("id = ?", t.ID).Updates(toTaskRow(&t)).Error; err != nil {
			return err
		}
		return s.record(ctx, tx, t.IncidentID, "task", t.ID, incident.ActionUpdate, &before, &t)
	})
	if err != nil {
		return nil, s.translate(err)
	}
	return &t, nil
}

// ListTasks returns the tasks matching f across incidents, oldest first.
func (s *Store) ListTasks(ctx context.Context, f incident.TaskFilter) ([]incident.Task, error) {
	var ts []incident.Task
	err := s.reading(ctx, func(db *gorm.DB) (err error) {
		ts, err = s.listTasks(db, f)
		return err
	})
	return ts, s.translate(err)
}

func (s *Store) listTasks(q *gorm.DB, f incident.TaskFilter) ([]incident.Task, error) {
	if f.Status != "" {
		q = q.Where("tasks.status = ?", f.Status)
	}
	if f.Owner != "" {
		q = q.Where("tasks.owner = ?", f.Owner)
	}
	if f.IncidentID != 0 {
		q = q.Where("tasks.incident_id = ?", f.IncidentID)
	}
	if f.Severity != "" {
		q = q.Where("incidents.severity = ?", f.Severity)
	}
	unfinished := []string{string(incident.TaskOpen), string(incident.TaskInProgress)}
	if f.Overdue {
		now := f.Now
		if now.IsZero() {
			now = s.Now()
		}
		q = q.Where("tasks.status IN ? AND tasks.due_at IS NOT NULL AND tasks.due_at < ?", unfinished, now.UTC())
	}
	if f.Unfinished {
		q = q.Where("tasks.status IN ?", unfinished)
	}
	if f.HasDue {
		q = q.Where("tasks.due_at IS NOT NULL")
	}
	if !f.DueBefore.IsZero() {
		q = q.Where("tasks.due_at IS NOT NULL AND tasks.due_at < ?", f.DueBefore.UTC())
	}
	return loadTasks(q)
}

// TeamZone is the team's zone (DueZone, UTC when unset): default due dates
// end with its days, and the calendar feed shows them.
func (s *Store) TeamZone() *time.Location {
	if s.DueZone == nil {
		return time.UTC
	}
	return s.DueZone
}

// dueDefaults returns the policy for tasks created without a due date.
func (s *Store) dueDefaults() incident.DuePolicy {
	if s.TaskDue == nil {
		return incident.DefaultDuePolicy()
	}
	return s.TaskDue
}
