package store

import (
	"cmp"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
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

// storedMaps are an alert's labels and annotations as the alerts table
// holds them.
type storedMaps struct{ labels, annotations string }

// encodeAlertMaps encodes the maps of b's alerts, in order. The alert
// writer's callers do it before they queue, each on its own goroutine:
// it is half of what inserting an alert costs the writer, which is one.
func encodeAlertMaps(b *incident.AlertBatch) []storedMaps {
	out := make([]storedMaps, len(b.Alerts))
	for i := range b.Alerts {
		out[i] = storedMaps{encodeMap(b.Alerts[i].Labels), encodeMap(b.Alerts[i].Annotations)}
	}
	return out
}

// candidate is an alert to insert, with its maps encoded and the index of
// the delivery that reported it first: that delivery is the one that
// added it.
type candidate struct {
	alert *incident.Alert
	maps  *storedMaps
	owner int
}

// compareOccurrences orders candidates by the unique key of alerts, the
// same way in every transaction.
func compareOccurrences(a, b candidate) int {
	return cmp.Or(strings.Compare(a.alert.Source, b.alert.Source), a.alert.StartsAt.Compare(b.alert.StartsAt),
		strings.Compare(a.alert.Fingerprint, b.alert.Fingerprint))
}

// values are the candidate's columns of an alerts insert, in the order
// of insertAlertsHead.
func (c candidate) values(incidentID *int64, now time.Time) []any {
	a := c.alert
	return []any{a.Source, a.Fingerprint, a.GroupKey, a.Name, c.maps.labels, c.maps.annotations,
		string(a.Status), a.StartsAt, a.EndsAt, incidentID, now}
}

// row is the candidate as stored with id.
func (c candidate) row(id int64, incidentID *int64, now time.Time) alertRow {
	a := c.alert
	return alertRow{ID: id, Source: a.Source, Fingerprint: a.Fingerprint, GroupKey: a.GroupKey, Name: a.Name,
		Labels: c.maps.labels, Annotations: c.maps.annotations, Status: string(a.Status),
		StartsAt: a.StartsAt, EndsAt: a.EndsAt, IncidentID: incidentID, ReceivedAt: now}
}

// occurrences lists the alerts of deliveries[idx...], each occurrence once.
func occurrences(deliveries []delivery, idx []int) []candidate {
	seen := map[string]bool{}
	var out []candidate
	for _, i := range idx {
		d := deliveries[i]
		for j := range d.batch.Alerts {
			a := &d.batch.Alerts[j]
			if k := occurrenceKey(a.Fingerprint, a.StartsAt); !seen[k] {
				seen[k] = true
				out = append(out, candidate{alert: a, maps: &d.maps[j], owner: i})
			}
		}
	}
	return out
}

// firingInGroupSQL finds the firing occurrences of fingerprints in one
// group through alerts_group_firing. The status is written out, not bound:
// PostgreSQL's generic plans use a partial index only for a condition they
// can see.
const firingInGroupSQL = `SELECT ` + alertColumns + ` FROM alerts
	WHERE source = ? AND group_key = ? AND fingerprint IN ? AND status = 'firing'
	ORDER BY id`

// alertColumns are the columns of alertRow, in its order.
const alertColumns = `id, source, fingerprint, group_key, name, labels, annotations, status,
	starts_at, ends_at, incident_id, received_at`

// scanTargets are the fields of r for a row of alertColumns.
func (r *alertRow) scanTargets() []any {
	return []any{&r.ID, &r.Source, &r.Fingerprint, &r.GroupKey, &r.Name, &r.Labels, &r.Annotations,
		&r.Status, &r.StartsAt, &r.EndsAt, &r.IncidentID, &r.ReceivedAt}
}

// insertSnapshots inserts the new alerts of the locked groups before any
// of them is applied, and gives each group what its batches added. Which
// alerts are new is decided by the unique key (source, starts_at,
// fingerprint) and ON CONFLICT, never by reading first, so concurrent
// deliveries of one snapshot store each alert once. FireOnce groups are
// left to apply.
//
// On PostgreSQL the alerts go in the order of their key across all the
// groups, whatever the order of the payloads and of the groups:
// Alertmanager routes an alert to every group that matches it, and two
// transactions that insert the same alerts then wait for each other, where
// in opposite orders they deadlocked until PostgreSQL ended one. The sort
// is stable: of an alert in two groups, the first group stores it, as it
// would applied alone first. SQLite writes one transaction at a time, and
// keeps the payloads' order for alerts that start together.
func (s *Store) insertSnapshots(tx *gorm.DB, locked []*groupIngest, deliveries []delivery) error {
	type owned struct {
		g *groupIngest
		c candidate
	}
	var all []owned
	for _, g := range locked {
		g.added = map[int][]alertRow{}
		if g.fireOnce(deliveries) {
			continue
		}
		for _, c := range occurrences(deliveries, g.live) {
			all = append(all, owned{g, c})
		}
	}
	if s.dialect == Postgres {
		slices.SortStableFunc(all, func(a, b owned) int { return compareOccurrences(a.c, b.c) })
	}
	h := s.hot(tx)
	for len(all) > 0 {
		g, n := all[0].g, 1 // a run of one group's alerts goes in one statement
		for n < len(all) && all[n].g == g {
			n++
		}
		cands := make([]candidate, n)
		for i := range cands {
			cands[i] = all[i].c
		}
		added, err := insertAlerts(h, cands, g.openID(), g.now)
		if err != nil {
			return err
		}
		for i, rows := range added {
			g.added[i] = append(g.added[i], rows...)
		}
		all = all[n:]
	}
	return nil
}

// lockEnding locks, on PostgreSQL, the stored alerts that the live
// batches of the locked groups report resolved, and those they report
// firing where they may open an incident, which unattached ones join (see
// waitingAlerts), in the order of their key (compareOccurrences: byte
// order for text, whatever the database's collation), before any group
// ends or attaches them in apply. Group by group, two transactions that
// change the same alerts, reported by groups of their own, could take them
// in opposite orders and deadlock.
func lockEnding(tx *gorm.DB, locked []*groupIngest, deliveries []delivery) error {
	var ending []candidate
	for _, g := range locked {
		for _, i := range g.live {
			b := deliveries[i].batch
			// Only a batch that added alerts may open the incident that
			// waiting ones join: a snapshot repeated after the commander
			// resolved the group's incident locks nothing it does not end.
			mayAttach := g.open == nil && b.Open != nil && len(g.added[i]) > 0
			for j := range b.Alerts {
				if a := &b.Alerts[j]; a.Status == incident.AlertResolved || mayAttach {
					ending = append(ending, candidate{alert: a})
				}
			}
		}
	}
	slices.SortFunc(ending, compareOccurrences)
	ending = slices.CompactFunc(ending, func(a, b candidate) bool { return compareOccurrences(a, b) == 0 })
	for len(ending) > 0 {
		n := min(len(ending), pgArrayChunk)
		var k occurrenceKeys
		for _, c := range ending[:n] {
			k.add(c.alert.Source, c.alert.StartsAt, c.alert.Fingerprint)
		}
		rows, err := pgQuery(tx, pgLockEndingSQL, k.sources, k.starts, k.fingerprints)
		if err == nil {
			for rows.Next() {
			}
			err = errors.Join(rows.Err(), rows.Close())
		}
		if err != nil {
			return fmt.Errorf("lock resolved alerts: %w", err)
		}
		ending = ending[n:]
	}
	return nil
}

// dropFiring leaves out firing alerts whose fingerprint already fires in
// the group. It reads before it writes, which is safe because the caller
// holds the group's lock; and FireOnce senders key their groups by
// fingerprint, so the group holds every occurrence of it.
func dropFiring(tx *gorm.DB, source, groupKey string, cands []candidate) ([]candidate, error) {
	var fps []string
	for _, c := range cands {
		if c.alert.Status == incident.AlertFiring {
			fps = append(fps, c.alert.Fingerprint)
		}
	}
	if len(fps) == 0 {
		return cands, nil
	}
	firing, err := firingInGroup(tx, source, groupKey, unique(fps))
	if err != nil {
		return nil, err
	}
	skip := make(map[string]bool, len(firing))
	for _, row := range firing {
		skip[row.Fingerprint] = true
	}
	kept := cands[:0:0]
	for _, c := range cands {
		if c.alert.Status != incident.AlertFiring || !skip[c.alert.Fingerprint] {
			kept = append(kept, c)
			// A second firing alert of the fingerprint repeats this one.
			skip[c.alert.Fingerprint] = c.alert.Status == incident.AlertFiring
		}
	}
	return kept, nil
}

// insertAlerts stores the candidates not stored yet, attached to
// incidentID when the group has an open incident, and returns the rows it
// added by the batch that owns them.
func insertAlerts(h hotTx, cands []candidate, incidentID *int64, now time.Time) (map[int][]alertRow, error) {
	added := map[int][]alertRow{}
	if h.sql != nil {
		if err := insertAlertRows(h, cands, incidentID, now, added); err != nil {
			return nil, err
		}
		return added, nil
	}
	for len(cands) > 0 {
		n := min(len(cands), chunkLen)
		if err := insertAlertChunk(h.gorm, cands[:n], incidentID, now, added); err != nil {
			return nil, err
		}
		cands = cands[n:]
	}
	return added, nil
}

type insertedAlert struct {
	ID          int64
	Fingerprint string
	StartsAt    time.Time
}

func insertAlertChunk(tx *gorm.DB, cands []candidate, incidentID *int64, now time.Time, added map[int][]alertRow) error {
	const cols = 11
	args := make([]any, 0, len(cands)*cols)
	byKey := make(map[string]candidate, len(cands))
	for _, c := range cands {
		byKey[occurrenceKey(c.alert.Fingerprint, c.alert.StartsAt)] = c
		args = append(args, c.values(incidentID, now)...)
	}
	// Rows, not Scan: gorm's Scan formats the statement with its values
	// for a logger nobody reads, which costs more than the insert.
	rows, err := tx.Raw(insertAlertsHead+placeholders(len(cands), cols)+insertAlertsTail+
		" RETURNING id, fingerprint, starts_at", args...).Rows()
	if err != nil {
		return fmt.Errorf("insert alerts: %w", err)
	}
	got := make([]insertedAlert, 0, len(cands))
	for rows.Next() {
		var g insertedAlert
		if err := rows.Scan(&g.ID, &g.Fingerprint, &g.StartsAt); err != nil {
			rows.Close()
			return fmt.Errorf("insert alerts: %w", err)
		}
		got = append(got, g)
	}
	if err := errors.Join(rows.Err(), rows.Close()); err != nil {
		return fmt.Errorf("insert alerts: %w", err)
	}
	// RETURNING promises no order: match the rows by their key, and keep
	// the order of insertion for the timeline.
	slices.SortFunc(got, func(x, y insertedAlert) int { return cmp.Compare(x.ID, y.ID) })
	for _, g := range got {
		c, ok := byKey[occurrenceKey(g.Fingerprint, g.StartsAt)]
		if !ok {
			return fmt.Errorf("insert alerts: returned %s at %s, which was not sent", g.Fingerprint, g.StartsAt)
		}
		added[c.owner] = append(added[c.owner], c.row(g.ID, incidentID, now))
	}
	return nil
}

// resolveAlerts marks resolved the firing occurrences that b reports as
// resolved (and did not just add) or ends by fingerprint, and returns them
// as they are now, in the order they were inserted. Every update repeats
// the status condition, so that of two writers only one resolves an alert
// and writes its timeline entry.
func resolveAlerts(h hotTx, b *incident.AlertBatch, added []alertRow) ([]alertRow, error) {
	ended, err := resolveOccurrences(h, b, added)
	if err != nil {
		return nil, err
	}
	byFingerprint, err := resolveByFingerprint(h.gorm, b)
	if err != nil {
		return nil, err
	}
	ended = append(ended, byFingerprint...)
	slices.SortFunc(ended, func(x, y alertRow) int { return cmp.Compare(x.ID, y.ID) })
	return ended, nil
}

// resolveOccurrenceSQL ends one occurrence by its unique key, on SQLite,
// where a statement costs no trip to a server (PostgreSQL's is
// pgResolveManySQL). An alert is firing or resolved; "status = 'firing'"
// would say the same, and would let a planner search the group's firing
// alerts instead (alerts_group_firing), which PostgreSQL did while a
// storm's alerts were too new for its statistics: it read the 5,000 still
// firing to end each of 5,000.
const resolveOccurrenceSQL = `UPDATE alerts SET status = 'resolved', ends_at = ?
	WHERE source = ? AND starts_at = ? AND fingerprint = ? AND status <> 'resolved'
	RETURNING ` + alertColumns

// resolveOccurrences ends the occurrences b reports resolved, each by its
// key, which the sender gave with its start.
func resolveOccurrences(h hotTx, b *incident.AlertBatch, added []alertRow) ([]alertRow, error) {
	justAdded := make(map[string]bool, len(added))
	for i := range added {
		justAdded[occurrenceKey(added[i].Fingerprint, added[i].StartsAt)] = true
	}
	endAt := map[string]time.Time{} // occurrence key -> end; the last report wins
	var order []*incident.Alert
	for i := range b.Alerts {
		a := &b.Alerts[i]
		k := occurrenceKey(a.Fingerprint, a.StartsAt)
		if a.Status != incident.AlertResolved || justAdded[k] {
			continue
		}
		if _, seen := endAt[k]; !seen {
			order = append(order, a)
		}
		endAt[k] = *a.EndsAt
	}
	// In key order, whatever order the sender listed them in: two writers
	// ending the same alerts lock their rows in the same order and cannot
	// deadlock on PostgreSQL.
	slices.SortFunc(order, func(x, y *incident.Alert) int {
		return cmp.Or(x.StartsAt.Compare(y.StartsAt), cmp.Compare(x.Fingerprint, y.Fingerprint))
	})
	endOf := func(a *incident.Alert) time.Time {
		end := endAt[occurrenceKey(a.Fingerprint, a.StartsAt)]
		if end.Before(a.StartsAt) {
			end = a.StartsAt
		}
		return end.UTC()
	}
	if h.sql == nil { // PostgreSQL
		return resolveOccurrencesPostgres(h.gorm, b.Source, order, endOf)
	}
	var ended []alertRow
	for _, a := range order {
		end := endOf(a)
		var row alertRow
		found, err := h.scanOne(resolveOccurrenceSQL, []any{end, b.Source, a.StartsAt, a.Fingerprint}, row.scanTargets()...)
		if err != nil {
			return nil, fmt.Errorf("resolve alert: %w", err)
		}
		if found {
			row.StartsAt, row.EndsAt = row.StartsAt.UTC(), &end
			ended = append(ended, row)
		}
	}
	return ended, nil
}

// resolveOccurrencesPostgres is resolveOccurrences on PostgreSQL, many
// alerts a statement (pgResolveManySQL). The rows are locked already, in
// key order (see lockEnding).
func resolveOccurrencesPostgres(tx *gorm.DB, source string, order []*incident.Alert, endOf func(*incident.Alert) time.Time) ([]alertRow, error) {
	var ended []alertRow
	for len(order) > 0 {
		n := min(len(order), pgArrayChunk)
		var k occurrenceKeys
		ends := make([]time.Time, 0, n)
		for _, a := range order[:n] {
			k.add(source, a.StartsAt, a.Fingerprint)
			ends = append(ends, endOf(a))
		}
		rows, err := pgQuery(tx, pgResolveManySQL, k.sources, k.starts, k.fingerprints, ends)
		if err != nil {
			return nil, fmt.Errorf("resolve alerts: %w", err)
		}
		for rows.Next() {
			var r alertRow
			if err := rows.Scan(r.scanTargets()...); err != nil {
				rows.Close()
				return nil, fmt.Errorf("resolve alerts: %w", err)
			}
			r.StartsAt, r.EndsAt = r.StartsAt.UTC(), utcPtr(r.EndsAt)
			ended = append(ended, r)
		}
		if err := errors.Join(rows.Err(), rows.Close()); err != nil {
			return nil, fmt.Errorf("resolve alerts: %w", err)
		}
		order = order[n:]
	}
	return ended, nil
}

// resolveByFingerprint ends every firing occurrence of the fingerprints b
// ends without a start. Their senders key the group by the fingerprint, so
// the group's firing alerts are the ones to look at.
func resolveByFingerprint(tx *gorm.DB, b *incident.AlertBatch) ([]alertRow, error) {
	if len(b.Resolve) == 0 {
		return nil, nil
	}
	endOf := make(map[string]incident.AlertEnd, len(b.Resolve)) // by fingerprint
	fps := make([]string, 0, len(b.Resolve))
	for _, r := range b.Resolve {
		endOf[r.Fingerprint] = r
		fps = append(fps, r.Fingerprint)
	}
	firing, err := firingInGroup(tx, b.Source, b.GroupKey, unique(fps))
	if err != nil {
		return nil, err
	}
	var ended []alertRow
	for _, row := range firing {
		e := endOf[row.Fingerprint]
		end := e.At
		if end.Before(row.StartsAt) {
			if e.OnlyStarted {
				continue
			}
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

// firingInGroup returns the group's firing occurrences of fps.
func firingInGroup(tx *gorm.DB, source, groupKey string, fps []string) ([]alertRow, error) {
	var out []alertRow
	for len(fps) > 0 {
		n := min(len(fps), chunkLen)
		var rows []alertRow
		if err := tx.Raw(firingInGroupSQL, source, groupKey, fps[:n]).Scan(&rows).Error; err != nil {
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

// An insert of alerts is insertAlertsHead, rows of candidate.values,
// and insertAlertsTail: an occurrence stored before is left as it is.
const (
	insertAlertsHead = `INSERT INTO alerts (source, fingerprint, group_key, name, labels, annotations, status,
		starts_at, ends_at, incident_id, received_at) VALUES `
	insertAlertsTail = ` ON CONFLICT (source, fingerprint, starts_at) DO NOTHING`
	insertAlertSQL   = insertAlertsHead + `(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)` + insertAlertsTail
)

// insertAlertRows is insertAlertChunk for SQLite: one row per statement
// through the statement cache, which costs SQLite less than preparing a
// statement of many rows, and tells which rows it inserted without
// RETURNING.
func insertAlertRows(h hotTx, cands []candidate, incidentID *int64, now time.Time, added map[int][]alertRow) error {
	// Bound to the transaction once for all rows, not once a row.
	stmt, err := h.cache.in(h.ctx, h.sql, insertAlertSQL)
	if err != nil {
		return fmt.Errorf("insert alerts: %w", err)
	}
	for _, c := range cands {
		res, err := stmt.ExecContext(h.ctx, c.values(incidentID, now)...)
		if err != nil {
			return fmt.Errorf("insert alerts: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			continue // stored before: a repeat
		}
		id, _ := res.LastInsertId()
		added[c.owner] = append(added[c.owner], c.row(id, incidentID, now))
	}
	return nil
}
