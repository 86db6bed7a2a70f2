package store

import (
	"context"
	"encoding/base64"
	"fmt"
	"strconv"
	"strings"
	"time"

	"gorm.io/gorm"

	"hindsight/internal/incident"
)

// CreateIncident declares an incident with whatever the detail already holds
// (timeline, root causes, tasks: an import brings all of them) in one
// transaction: either all of it is stored or nothing is. It fills d with the
// stored values, ids and ref included.
func (s *Store) CreateIncident(ctx context.Context, d *incident.Detail) error {
	now := s.Now()
	inc := &d.Incident
	inc.PrepareNew(now)
	if err := inc.Validate(); err != nil {
		return err
	}
	for i := range d.Events {
		if err := prepareEvent(&d.Events[i], now); err != nil {
			return prefixField(err, fmt.Sprintf("events[%d].", i))
		}
	}
	for i := range d.RootCauses {
		rc := &d.RootCauses[i]
		rc.Normalize()
		rc.Evidence = []int64{} // events have no ids yet to point at
		if err := rc.Validate(); err != nil {
			return prefixField(err, fmt.Sprintf("root_causes[%d].", i))
		}
	}
	for i := range d.Tasks {
		t := &d.Tasks[i]
		t.RootCauseID = nil
		if err := prepareTask(t, now); err != nil {
			return prefixField(err, fmt.Sprintf("tasks[%d].", i))
		}
		s.dueDefaults().ApplyDefaultDue(t, inc.Severity, now.In(s.TeamZone()))
	}
	return s.transact(ctx, func(tx *gorm.DB) error {
		if err := insertIncident(tx, inc); err != nil {
			return err
		}
		if err := s.record(ctx, tx, inc.ID, "incident", inc.ID, incident.ActionCreate, nil, inc); err != nil {
			return err
		}
		for i := range d.Events {
			d.Events[i].IncidentID = inc.ID
		}
		if err := insertEvents(tx, d.Events); err != nil {
			return err
		}
		for i := range d.RootCauses {
			rc := &d.RootCauses[i]
			rc.IncidentID, rc.CreatedAt = inc.ID, now.UTC()
			if err := insertRootCause(tx, rc); err != nil {
				return err
			}
		}
		for i := range d.Tasks {
			d.Tasks[i].IncidentID = inc.ID
			if err := insertTask(tx, &d.Tasks[i]); err != nil {
				return err
			}
		}
		return nil
	})
}

// insertIncident stores a prepared, valid incident with a new ref and its
// services, filling its id and ref.
func insertIncident(tx *gorm.DB, inc *incident.Incident) error {
	var n int64
	if err := scanRow(tx.Raw("UPDATE counters SET value = value + 1 WHERE name = 'incident_ref' RETURNING value"), &n); err != nil {
		return fmt.Errorf("allocate ref: %w", err)
	}
	inc.Ref = incident.Ref(n)
	row := toIncidentRow(inc)
	if err := tx.Create(row).Error; err != nil {
		return fmt.Errorf("insert incident: %w", err)
	}
	inc.ID = row.ID
	return writeServices(tx, inc.ID, inc.Services)
}

func prefixField(err error, prefix string) error {
	if e, ok := err.(*incident.Error); ok && e.Field != "" {
		c := *e
		c.Field = prefix + e.Field
		return &c
	}
	return err
}

func writeServices(tx *gorm.DB, incidentID int64, services []string) error {
	if err := tx.Where("incident_id = ?", incidentID).Delete(&serviceRow{}).Error; err != nil {
		return fmt.Errorf("replace services: %w", err)
	}
	if len(services) == 0 {
		return nil
	}
	rows := make([]serviceRow, len(services))
	for i, name := range services {
		rows[i] = serviceRow{IncidentID: incidentID, Name: name, Position: i}
	}
	if err := tx.Create(&rows).Error; err != nil {
		return fmt.Errorf("insert services: %w", err)
	}
	return nil
}

// refOrID parses "INC-12" or "12".
func refOrID(s string) (ref string, id int64) {
	s = strings.TrimSpace(s)
	if len(s) > 4 && strings.EqualFold(s[:4], "INC-") {
		if _, err := strconv.ParseInt(s[4:], 10, 64); err == nil {
			return "INC-" + s[4:], 0
		}
		return "", -1
	}
	id, err := strconv.ParseInt(s, 10, 64)
	if err != nil || id <= 0 {
		return "", -1
	}
	return "", id
}

func findIncidentRow(db *gorm.DB, refOrIDText string) (*incidentRow, error) {
	ref, id := refOrID(refOrIDText)
	if id < 0 {
		return nil, incident.Errorf(incident.ENOTFOUND, "incident %q not found", refOrIDText)
	}
	var row incidentRow
	q := db.Limit(1)
	if ref != "" {
		q = q.Where("ref = ?", ref)
	} else {
		q = q.Where("id = ?", id)
	}
	res := q.Find(&row)
	if res.Error != nil {
		return nil, res.Error
	}
	if res.RowsAffected == 0 {
		return nil, incident.Errorf(incident.ENOTFOUND, "incident %q not found", refOrIDText)
	}
	return &row, nil
}

func loadServices(db *gorm.DB, ids []int64) (map[int64][]string, error) {
	out := make(map[int64][]string, len(ids))
	if len(ids) == 0 {
		return out, nil
	}
	var rows []serviceRow
	if err := db.Where("incident_id IN ?", ids).Order("incident_id, position").Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("load services: %w", err)
	}
	for _, r := range rows {
		out[r.IncidentID] = append(out[r.IncidentID], r.Name)
	}
	return out, nil
}

func loadIncident(db *gorm.DB, refOrIDText string) (*incident.Incident, error) {
	row, err := findIncidentRow(db, refOrIDText)
	if err != nil {
		return nil, err
	}
	svc, err := loadServices(db, []int64{row.ID})
	if err != nil {
		return nil, err
	}
	inc := row.toDomain(svc[row.ID])
	return &inc, nil
}

// Incident returns the incident with the given ref ("INC-7") or id ("7").
func (s *Store) Incident(ctx context.Context, refOrIDText string) (*incident.Incident, error) {
	var inc *incident.Incident
	err := s.reading(ctx, func(db *gorm.DB) (err error) {
		inc, err = loadIncident(db, refOrIDText)
		return err
	})
	return inc, s.translate(err)
}

// IncidentDetail returns the incident with its timeline (oldest first),
// root causes, tasks and alerts.
func (s *Store) IncidentDetail(ctx context.Context, refOrIDText string) (*incident.Detail, error) {
	// One read transaction, so that the parts agree with each other.
	var d *incident.Detail
	err := s.reading(ctx, func(db *gorm.DB) error {
		return db.Transaction(func(tx *gorm.DB) error {
			inc, err := loadIncident(tx, refOrIDText)
			if err != nil {
				return err
			}
			d = &incident.Detail{Incident: *inc}
			if d.Events, err = loadEvents(tx, inc.ID); err != nil {
				return err
			}
			if d.RootCauses, err = loadRootCauses(tx, inc.ID); err != nil {
				return err
			}
			if d.Tasks, err = loadTasks(tx.Where("tasks.incident_id = ?", inc.ID)); err != nil {
				return err
			}
			d.Alerts, err = loadAlerts(tx, inc.ID)
			return err
		})
	})
	return d, s.translate(err)
}

// ListIncidents returns one page of incidents matching f, newest first, and
// the cursor of the next page ("" on the last).
func (s *Store) ListIncidents(ctx context.Context, f incident.Filter) ([]incident.Incident, string, error) {
	var out []incident.Incident
	next := ""
	err := s.reading(ctx, func(db *gorm.DB) (err error) {
		out, next, err = s.listIncidents(db, f)
		return err
	})
	return out, next, s.translate(err)
}

func (s *Store) listIncidents(db *gorm.DB, f incident.Filter) ([]incident.Incident, string, error) {
	limit := f.PageLimit()
	q := db.Model(&incidentRow{})
	switch f.Status {
	case "":
	case incident.StatusAnyOpen:
		q = q.Where("status IN ?", incident.OpenStatuses())
	default:
		q = q.Where("status = ?", f.Status)
	}
	if f.Severity != "" {
		q = q.Where("severity = ?", f.Severity)
	}
	if f.Service != "" {
		q = q.Where("EXISTS (SELECT 1 FROM incident_services s WHERE s.incident_id = incidents.id AND LOWER(s.name) = LOWER(?))", f.Service)
	}
	if f.Query != "" {
		like := "%" + escapeLike(f.Query) + "%"
		op := "LIKE" // case-insensitive for ASCII in SQLite
		if s.dialect == Postgres {
			op = "ILIKE"
		}
		ref, _ := refOrID(f.Query) // "" (matching none) unless the text is a ref
		q = q.Where(fmt.Sprintf(`(title %[1]s ? ESCAPE '\' OR impact %[1]s ? ESCAPE '\' OR ref = ?)`, op), like, like, ref)
	}
	if f.Cursor != "" {
		at, id, err := decodeCursor(f.Cursor)
		if err != nil {
			return nil, "", err
		}
		q = q.Where("(started_at < ? OR (started_at = ? AND id < ?))", at, at, id)
	}
	var rows []incidentRow
	if err := q.Order("started_at DESC, id DESC").Limit(limit + 1).Find(&rows).Error; err != nil {
		return nil, "", err
	}
	next := ""
	if len(rows) > limit {
		rows = rows[:limit]
		last := rows[limit-1]
		next = encodeCursor(*last.StartedAt, last.ID)
	}
	ids := make([]int64, len(rows))
	for i := range rows {
		ids[i] = rows[i].ID
	}
	svc, err := loadServices(db, ids)
	if err != nil {
		return nil, "", err
	}
	out := make([]incident.Incident, len(rows))
	for i := range rows {
		out[i] = rows[i].toDomain(svc[rows[i].ID])
	}
	return out, next, nil
}

func escapeLike(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s)
}

func encodeCursor(at time.Time, id int64) string {
	return base64.RawURLEncoding.EncodeToString(fmt.Appendf(nil, "%d:%d", at.UnixMicro(), id))
}

func decodeCursor(c string) (time.Time, int64, error) {
	bad := incident.FieldError(incident.EINVALID, "cursor", "cursor is not one this server gave out")
	b, err := base64.RawURLEncoding.DecodeString(c)
	if err != nil {
		return time.Time{}, 0, bad
	}
	a, i, ok := strings.Cut(string(b), ":")
	us, err1 := strconv.ParseInt(a, 10, 64)
	id, err2 := strconv.ParseInt(i, 10, 64)
	if !ok || err1 != nil || err2 != nil {
		return time.Time{}, 0, bad
	}
	return time.UnixMicro(us).UTC(), id, nil
}

// UpdateIncident applies patch to the incident, refusing it with ECONFLICT
// when patch.Version is not the stored version. A change of status adds its
// timeline event in the same transaction.
func (s *Store) UpdateIncident(ctx context.Context, refOrIDText string, patch *incident.Patch) (*incident.Incident, error) {
	var inc *incident.Incident
	err := s.transact(ctx, func(tx *gorm.DB) error {
		var err error
		if inc, err = loadIncident(tx, refOrIDText); err != nil {
			return err
		}
		before := *inc
		oldVersion := inc.Version
		oldServices := strings.Join(inc.Services, "\x00")
		now := s.Now()
		ev, err := patch.Apply(inc, now, incident.ActorFrom(ctx))
		if err != nil {
			return err
		}
		changes := incident.Diff(&before, inc)
		if len(changes) == 0 && ev == nil {
			// Nothing changed: the version stays, or whoever else holds
			// it would meet a conflict that no change made.
			*inc = before
			return nil
		}
		res := tx.Model(&incidentRow{}).Select(incidentColumns).
			Where("id = ? AND version = ?", inc.ID, oldVersion).Updates(toIncidentRow(inc))
		if res.Error != nil {
			return fmt.Errorf("update incident: %w", res.Error)
		}
		if res.RowsAffected == 0 {
			return incident.FieldError(incident.ECONFLICT, "version", "incident %s was changed by someone else: reload it and try again", inc.Ref)
		}
		if strings.Join(inc.Services, "\x00") != oldServices {
			if err := writeServices(tx, inc.ID, inc.Services); err != nil {
				return err
			}
		}
		if err := s.recordChanges(ctx, tx, inc.ID, "incident", inc.ID, incident.ActionUpdate, changes); err != nil {
			return err
		}
		if ev != nil {
			ev.IncidentID = inc.ID
			if err := prepareEvent(ev, now); err != nil {
				return err
			}
			return insertEvents(tx, []incident.Event{*ev})
		}
		return nil
	})
	if err != nil {
		return nil, s.translate(err)
	}
	return inc, nil
}
