package store

import (
	"cmp"
	"fmt"
	"slices"
	"time"

	"gorm.io/gorm"

	"hindsight/internal/incident"
)

// CollapseWindow is how close in time alerts of one name must fire (or
// resolve) to share one timeline entry. Alertmanager groups and Prometheus
// evaluates every minute or so; a storm of one alert spreads over a few
// minutes.
const CollapseWindow = 5 * time.Minute

// alertEntryRow remembers which timeline entry stands for which alerts.
type alertEntryRow struct {
	EventID    int64 `gorm:"primaryKey;autoIncrement:false"`
	IncidentID int64
	Name       string
	Status     string
	FirstAt    time.Time
	Alerts     int
}

func (alertEntryRow) TableName() string { return "alert_entries" }

// alertMark is one thing the timeline must show: an alert that started
// firing or resolved at its own time, on an incident.
type alertMark struct {
	incidentID int64
	alert      *alertRow
	status     incident.AlertStatus
	at         time.Time
}

func compareMarks(a, b alertMark) int {
	return cmp.Or(cmp.Compare(a.incidentID, b.incidentID), cmp.Compare(a.alert.Name, b.alert.Name),
		cmp.Compare(a.status, b.status), a.at.Compare(b.at))
}

// writeAlertEntries adds the timeline entries for marks: marks of one
// incident, name and status within CollapseWindow of each other make one
// entry, and join the entry earlier deliveries made for the same window.
func writeAlertEntries(tx *gorm.DB, marks []alertMark, author string, now time.Time) error {
	slices.SortStableFunc(marks, compareMarks)
	for i := 0; i < len(marks); {
		first, j := marks[i], i+1
		for j < len(marks) && marks[j].incidentID == first.incidentID && marks[j].alert.Name == first.alert.Name &&
			marks[j].status == first.status && !marks[j].at.After(first.at.Add(CollapseWindow)) {
			j++
		}
		if err := mergeAlertEntry(tx, marks[i:j], author, now); err != nil {
			return err
		}
		i = j
	}
	return nil
}

func mergeAlertEntry(tx *gorm.DB, marks []alertMark, author string, now time.Time) error {
	m := marks[0]
	name, at := m.alert.Name, m.at.UTC()
	var e alertEntryRow
	res := tx.Where("incident_id = ? AND name = ? AND status = ? AND first_at >= ? AND first_at <= ?",
		m.incidentID, name, m.status, at.Add(-CollapseWindow), at.Add(CollapseWindow)).
		Order("first_at DESC").Limit(1).Find(&e)
	if res.Error != nil {
		return fmt.Errorf("find alert entry: %w", res.Error)
	}
	if res.RowsAffected == 0 {
		sample := m.alert.toDomain()
		ev := incident.Event{IncidentID: m.incidentID, At: at, Kind: incident.KindAlert,
			Text: incident.AlertEntryText(name, m.status, len(marks), &sample), Author: author,
			Source: incident.SourceWebhook, Highlight: false}
		if err := prepareEvent(&ev, now); err != nil {
			return err
		}
		evs := []incident.Event{ev}
		if err := insertEvents(tx, evs); err != nil {
			return err
		}
		e = alertEntryRow{EventID: evs[0].ID, IncidentID: m.incidentID, Name: name, Status: string(m.status),
			FirstAt: at, Alerts: len(marks)}
		if err := tx.Create(&e).Error; err != nil {
			return fmt.Errorf("insert alert entry: %w", err)
		}
		return nil
	}
	e.Alerts += len(marks)
	if e.FirstAt = e.FirstAt.UTC(); at.Before(e.FirstAt) {
		e.FirstAt = at
	}
	if err := tx.Exec("UPDATE alert_entries SET alerts = ?, first_at = ? WHERE event_id = ?",
		e.Alerts, e.FirstAt, e.EventID).Error; err != nil {
		return fmt.Errorf("update alert entry: %w", err)
	}
	text := incident.AlertEntryText(name, m.status, e.Alerts, nil)
	if err := tx.Exec("UPDATE events SET text = ?, at = ?, updated_at = ? WHERE id = ?",
		text, e.FirstAt, now, e.EventID).Error; err != nil {
		return fmt.Errorf("update alert entry: %w", err)
	}
	return nil
}

// noteAllResolved adds an entry to each incident among marks whose last
// firing alert has just resolved, at the time the last one ended. It does
// not resolve the incident: alerts stop for many reasons, and only the
// commander knows whether the problem is gone.
func noteAllResolved(tx *gorm.DB, marks []alertMark, author string, now time.Time) error {
	var ids []int64
	for _, m := range marks {
		if m.status == incident.AlertResolved && !slices.Contains(ids, m.incidentID) {
			ids = append(ids, m.incidentID)
		}
	}
	for _, id := range ids {
		var firing, total int64
		if err := tx.Model(&alertRow{}).Where("incident_id = ? AND status = ?", id, incident.AlertFiring).Count(&firing).Error; err != nil {
			return fmt.Errorf("count firing alerts: %w", err)
		}
		if firing > 0 {
			continue
		}
		if err := tx.Model(&alertRow{}).Where("incident_id = ?", id).Count(&total).Error; err != nil {
			return fmt.Errorf("count alerts: %w", err)
		}
		var last alertRow
		if err := tx.Where("incident_id = ? AND ends_at IS NOT NULL", id).Order("ends_at DESC").Limit(1).Find(&last).Error; err != nil {
			return fmt.Errorf("find last alert: %w", err)
		}
		if last.EndsAt == nil {
			continue
		}
		ev := incident.Event{IncidentID: id, At: last.EndsAt.UTC(), Kind: incident.KindAlert,
			Text: incident.AllAlertsResolvedText(int(total)), Author: author, Source: incident.SourceWebhook}
		if err := prepareEvent(&ev, now); err != nil {
			return err
		}
		if err := insertEvents(tx, []incident.Event{ev}); err != nil {
			return err
		}
	}
	return nil
}
