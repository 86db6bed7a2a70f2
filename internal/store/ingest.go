package store

import (
	"cmp"
	"context"
	"database/sql"
	"fmt"
	"slices"
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
	var res []*incident.IngestResult
	err := s.transact(ctx, func(tx *gorm.DB) error {
		var err error
		res, err = ingestBatches(tx, []*incident.AlertBatch{b}, s.Now())
		return err
	})
	if err != nil {
		return nil, err
	}
	return res[0], nil
}

func prepareBatch(b *incident.AlertBatch, now time.Time) error {
	if b == nil {
		return incident.Errorf(incident.EINVALID, "no alerts")
	}
	b.Normalize(now)
	return b.Validate()
}

// ingestBatches applies prepared batches inside tx with the same outcome
// as applying them one after the other, and returns what each changed.
// Batches of one group are applied together, so that the group is locked,
// its alerts inserted and its timeline updated once for all of them.
// Groups go in (source, group key) order: two writers lock their groups'
// rows in the same order and cannot deadlock on PostgreSQL.
func ingestBatches(tx *gorm.DB, batches []*incident.AlertBatch, now time.Time) ([]*incident.IngestResult, error) {
	now = now.UTC().Truncate(time.Microsecond)
	results := make([]*incident.IngestResult, len(batches))
	groups := map[[2]string][]int{}
	for i, b := range batches {
		results[i] = &incident.IngestResult{Received: b.Size()}
		if !b.Empty() {
			k := [2]string{b.Source, b.GroupKey}
			groups[k] = append(groups[k], i)
		}
	}
	keys := make([][2]string, 0, len(groups))
	for k := range groups {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b [2]string) int { return cmp.Or(cmp.Compare(a[0], b[0]), cmp.Compare(a[1], b[1])) })
	for _, k := range keys {
		g := &groupIngest{tx: tx, now: now, source: k[0], key: k[1]}
		if err := g.apply(batches, groups[k], results); err != nil {
			return nil, err
		}
	}
	return results, nil
}

// groupIngest applies the batches of one alert group.
type groupIngest struct {
	tx          *gorm.DB
	now         time.Time
	source, key string
	open        *incidentRow // the group's open incident, once known
	marks       []alertMark  // timeline entries to write at the end
}

func (g *groupIngest) openID() *int64 {
	if g.open == nil {
		return nil
	}
	return &g.open.ID
}

// apply applies batches[idx...], in order, filling their results. Which
// alerts are new is decided by the unique key (source, fingerprint,
// starts_at) and ON CONFLICT, never by reading first, so concurrent
// deliveries of one snapshot store each alert once.
func (g *groupIngest) apply(batches []*incident.AlertBatch, idx []int, results []*incident.IngestResult) error {
	var live []int
	fireOnce := false
	for _, i := range idx {
		b := batches[i]
		if b.DeliveryID != "" {
			fresh, err := recordDelivery(g.tx, b.Source, b.DeliveryID, g.now)
			if err != nil {
				return err
			}
			if !fresh {
				results[i].Duplicates, results[i].Repeated = results[i].Received, true
				continue
			}
		}
		live = append(live, i)
		fireOnce = fireOnce || b.FireOnce
	}
	if len(live) == 0 {
		return nil
	}
	incidentID, err := lockGroup(g.tx, g.source, g.key)
	if err != nil {
		return err
	}
	if g.open, err = openIncidentRow(g.tx, incidentID); err != nil {
		return err
	}

	// Snapshots insert all their alerts in one statement. A FireOnce
	// batch depends on what fires after the batch before it, so those go
	// one by one.
	var addedBy map[int][]alertRow
	if !fireOnce {
		if addedBy, err = insertAlerts(g.tx, occurrences(batches, live), g.openID(), g.now); err != nil {
			return err
		}
	}
	for n, i := range live {
		b, res := batches[i], results[i]
		added := addedBy[i]
		if fireOnce {
			cands, err := dropFiring(g.tx, g.source, occurrences(batches, []int{i}))
			if err != nil {
				return err
			}
			rows, err := insertAlerts(g.tx, cands, g.openID(), g.now)
			if err != nil {
				return err
			}
			added = rows[i]
		}
		ended, err := resolveAlerts(g.tx, b, added)
		if err != nil {
			return err
		}
		res.Added, res.Resolved = len(added), len(ended)
		res.Duplicates = res.Received - res.Added - res.Resolved

		if g.open == nil && b.Open != nil && anyFiring(added) {
			attach := ids(added)
			for _, j := range live[n+1:] {
				attach = append(attach, ids(addedBy[j])...) // inserted with the others, before this opened
			}
			if g.open, err = openGroupIncident(g.tx, b, added, attach, g.now); err != nil {
				return err
			}
			res.Opened = true
		}
		g.mark(added, ended)
		if g.open != nil {
			res.IncidentRef = g.open.Ref
			if err := acknowledge(g.tx, g.open.ID, b.AcknowledgedAt, g.now); err != nil {
				return err
			}
			if err := addEntries(g.tx, g.open.ID, b.Entries, g.now); err != nil {
				return err
			}
		}
	}
	if err := writeAlertEntries(g.tx, g.marks, g.source, g.now); err != nil {
		return err
	}
	return noteAllResolved(g.tx, g.marks, g.source, g.now)
}

// mark records what the timeline must show of alerts just added to the
// group's open incident and of alerts that just resolved.
func (g *groupIngest) mark(added, ended []alertRow) {
	if g.open != nil {
		for i := range added {
			a := &added[i]
			a.IncidentID = &g.open.ID
			g.marks = append(g.marks, alertMark{incidentID: g.open.ID, alert: a, status: incident.AlertFiring, at: a.StartsAt})
			if a.Status == string(incident.AlertResolved) {
				g.marks = append(g.marks, alertMark{incidentID: g.open.ID, alert: a, status: incident.AlertResolved, at: *a.EndsAt})
			}
		}
	}
	for i := range ended {
		if a := &ended[i]; a.IncidentID != nil {
			g.marks = append(g.marks, alertMark{incidentID: *a.IncidentID, alert: a, status: incident.AlertResolved, at: *a.EndsAt})
		}
	}
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

func ids(rows []alertRow) []int64 {
	out := make([]int64, len(rows))
	for i := range rows {
		out[i] = rows[i].ID
	}
	return out
}

// openGroupIncident declares the incident b.Open describes, started and
// detected when the earliest of the alerts that open it started firing,
// attaches the alerts with ids attach and makes it the group's incident.
func openGroupIncident(tx *gorm.DB, b *incident.AlertBatch, opening []alertRow, attach []int64, now time.Time) (*incidentRow, error) {
	first := opening[0].StartsAt
	for i := range opening {
		if opening[i].StartsAt.Before(first) {
			first = opening[i].StartsAt
		}
	}
	first = first.UTC()
	detected := first
	inc := incident.Incident{
		Title:      b.Open.Title,
		Severity:   b.Open.Severity,
		Services:   append([]string(nil), b.Open.Services...),
		StartedAt:  &first,
		DetectedAt: &detected,
	}
	inc.PrepareNew(now)
	if err := inc.Validate(); err != nil {
		return nil, err
	}
	if err := insertIncident(tx, &inc); err != nil {
		return nil, err
	}
	for len(attach) > 0 {
		n := min(len(attach), chunkLen)
		if err := tx.Model(&alertRow{}).Where("id IN ?", attach[:n]).Update("incident_id", inc.ID).Error; err != nil {
			return nil, fmt.Errorf("attach alerts: %w", err)
		}
		attach = attach[n:]
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
