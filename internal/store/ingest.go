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
		res, err = s.ingestBatches(tx, []delivery{newDelivery(ctx, b)}, s.Now())
		return err
	})
	if err != nil {
		return nil, err
	}
	return res[0], nil
}

// delivery is a prepared batch, who delivered it, for the audit trail,
// and its alerts' maps as stored.
type delivery struct {
	batch *incident.AlertBatch
	actor string
	maps  []storedMaps // of batch.Alerts, in order
}

func newDelivery(ctx context.Context, b *incident.AlertBatch) delivery {
	return delivery{batch: b, actor: actorOf(ctx, b), maps: encodeAlertMaps(b)}
}

// actorOf names who delivers b: the token the request authenticated with,
// or else the sending system.
func actorOf(ctx context.Context, b *incident.AlertBatch) string {
	if a := incident.ActorFrom(ctx); a != "" {
		return a
	}
	return b.Source
}

func prepareBatch(b *incident.AlertBatch, now time.Time) error {
	if b == nil {
		return incident.Errorf(incident.EINVALID, "no alerts")
	}
	b.Normalize(now)
	if err := cmp.Or(b.Validate(), b.CheckClock(now)); err != nil {
		return err
	}
	// After Validate, whose errors name the alerts by their index in the
	// payload.
	b.MergeRepeats()
	return nil
}

// ingestBatches applies prepared batches inside tx with the same outcome
// as applying them one after the other, and returns what each changed.
// Batches of one group are applied together, so that the group is locked,
// its alerts inserted and its timeline updated once for all of them.
// On PostgreSQL writers take their locks in one order: first every
// group's row, in (source, group key) order; then the counter of refs,
// when the transaction may open an incident; then the rows it writes for
// its groups, starting with the new alerts of all of them and then the
// alerts they end or may attach, each in the order of their key (see
// insertSnapshots and lockEnding); last what changes the incidents
// themselves, in the order of their ids, with their timeline entries (see
// settleIncidents).
func (s *Store) ingestBatches(tx *gorm.DB, deliveries []delivery, now time.Time) ([]*incident.IngestResult, error) {
	now = now.UTC().Truncate(time.Microsecond)
	results := make([]*incident.IngestResult, len(deliveries))
	batches := make([]*incident.AlertBatch, len(deliveries))
	groups := map[[2]string][]int{}
	for i, d := range deliveries {
		b := d.batch
		batches[i] = b
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
	locked := make([]*groupIngest, 0, len(keys))
	for _, k := range keys {
		g := &groupIngest{s: s, tx: tx, now: now, source: k[0], key: k[1]}
		if err := g.lock(batches, groups[k], results); err != nil {
			return nil, err
		}
		if len(g.live) > 0 {
			locked = append(locked, g)
		}
	}
	if s.dialect == Postgres && mayOpen(locked, batches) {
		if err := tx.Exec(lockCounterSQL).Error; err != nil {
			return nil, fmt.Errorf("lock counter of refs: %w", err)
		}
	}
	if err := s.insertSnapshots(tx, locked, deliveries); err != nil {
		return nil, err
	}
	if s.dialect == Postgres {
		if err := lockEnding(tx, locked, deliveries); err != nil {
			return nil, err
		}
	}
	var steps []incidentStep
	for _, g := range locked {
		if err := g.apply(deliveries, batches, results); err != nil {
			return nil, err
		}
		steps = append(steps, g.steps...)
	}
	if err := s.settleIncidents(tx, steps); err != nil {
		return nil, err
	}
	return results, nil
}

// lockCounterSQL takes the lock that giving out a ref takes (see
// insertIncident).
const lockCounterSQL = "SELECT 1 FROM counters WHERE name = 'incident_ref' FOR NO KEY UPDATE"

// mayOpen reports whether applying the locked groups may open an
// incident: a group without one has a live batch that opens incidents,
// with a firing alert, or any alert when it is OpenResolved.
func mayOpen(locked []*groupIngest, batches []*incident.AlertBatch) bool {
	for _, g := range locked {
		if g.open != nil {
			continue
		}
		for _, i := range g.live {
			if b := batches[i]; b.Open != nil && (b.OpenResolved && len(b.Alerts) > 0 || slices.ContainsFunc(b.Alerts, func(a incident.Alert) bool {
				return a.Status == incident.AlertFiring
			})) {
				return true
			}
		}
	}
	return false
}

// incidentStep is a change to an incident that a group's batches call
// for: the timeline entries of their alerts, an acknowledgement, or a
// look at whether all its alerts have resolved.
type incidentStep struct {
	incidentID int64
	g          *groupIngest
	actor      string      // who signs it: the batch's, or the group's last batch's for entries and ended
	marks      []alertMark // write these entries
	ackAt      *time.Time  // acknowledge at this time
	detectedAt *time.Time  // detected this early, by an alert
	endedAt    *time.Time  // an alert of the incident resolved, at this time
	wasFiring  bool        // it was stored firing before (see quietMoments)
}

// settleIncidents takes the steps incident by incident, in the order of
// their ids: the timeline entries of every group, the acknowledgements,
// then the notes that all alerts have resolved, which the entries do not
// reach across (see quietAround). On PostgreSQL, before an
// acknowledgement or a resolution, it locks the incident as an update
// would. Deliveries of two groups can end the last alerts of one incident
// at once, each in a transaction that counts the other's alert as firing,
// so that neither would say that all have resolved; and each would find
// no entry for its resolved alerts and add one, where one should stand for
// both. The lock makes the second wait for the first to commit, and read
// after it. Entries of alerts that
// start firing need no lock: only the group of the incident adds those,
// and its row keeps its transactions apart (AttachAlerts, which adds them
// by hand, takes that row too).
func (s *Store) settleIncidents(tx *gorm.DB, steps []incidentStep) error {
	entriesFirst := func(st incidentStep) int {
		if len(st.marks) > 0 {
			return 0
		}
		return 1
	}
	slices.SortStableFunc(steps, func(a, b incidentStep) int {
		return cmp.Or(cmp.Compare(a.incidentID, b.incidentID), cmp.Compare(entriesFirst(a), entriesFirst(b)))
	})
	for len(steps) > 0 {
		n := 1
		for n < len(steps) && steps[n].incidentID == steps[0].incidentID {
			n++
		}
		id := steps[0].incidentID
		entriesOnly := !slices.ContainsFunc(steps[:n], func(st incidentStep) bool {
			return st.ackAt != nil || st.detectedAt != nil || st.endedAt != nil
		})
		if s.dialect == Postgres && !entriesOnly {
			if err := tx.Exec(lockIncidentSQL, id).Error; err != nil {
				return fmt.Errorf("lock incident: %w", err)
			}
		}
		// The notes first: an incident that has one to revise is locked
		// before its entries are written, in the order ingestBatches
		// gives; and the moments to note are known before the entries.
		var ended *incidentStep // the last that ended alerts
		var ends []time.Time    // when the alerts ended
		walkOn := false         // one of them was stored firing before
		for i := range steps[:n] {
			st := &steps[i]
			st.g.actor = st.actor
			if since := earliestStart(st.marks); since != nil {
				if _, err := st.g.reviseNotes(id, *since, !entriesOnly); err != nil {
					return err
				}
			}
			if st.endedAt != nil {
				ended, ends, walkOn = st, append(ends, *st.endedAt), walkOn || st.wasFiring
			}
		}
		var moments []time.Time // when all alerts had resolved, not noted yet
		if ended != nil {
			var err error
			if moments, err = ended.g.quietMoments(id, ends, walkOn); err != nil {
				return err
			}
		}
		for i := range steps[:n] {
			st := &steps[i]
			st.g.actor = st.actor
			if len(st.marks) > 0 {
				quiet, err := st.g.quietAround(id, st.marks, moments)
				if err != nil {
					return err
				}
				if err := st.g.writeAlertEntries(st.marks, quiet); err != nil {
					return err
				}
			}
			if st.detectedAt != nil {
				if err := st.g.detectEarlier(id, *st.detectedAt); err != nil {
					return err
				}
			}
			if st.ackAt != nil {
				if err := st.g.acknowledge(id, *st.ackAt); err != nil {
					return err
				}
			}
		}
		// After the entries, so that a note stands after the resolutions
		// of its moment.
		if len(moments) > 0 {
			ended.g.actor = ended.actor
			if err := ended.g.noteResolved(id, moments); err != nil {
				return err
			}
		}
		steps = steps[n:]
	}
	return nil
}

// lockIncidentSQL takes the lock an update of the incident would, leaving
// timeline entries free to be added to it.
const lockIncidentSQL = "SELECT 1 FROM incidents WHERE id = ? FOR NO KEY UPDATE"

// groupIngest applies the batches of one alert group.
type groupIngest struct {
	s           *Store
	tx          *gorm.DB
	now         time.Time
	source, key string
	actor       string             // who delivered the batch being applied
	live        []int              // the batches to apply, once locked
	added       map[int][]alertRow // by insertSnapshots: the alerts each batch added
	open        *incidentRow       // the group's open incident, once known
	last        *incidentRow       // the incident the group last fed, open or over
	lateBefore  *time.Time         // alerts that started before came late (see late)
	lateKnown   bool               // lateBefore is read (see leaveLate)
	marks       []alertMark        // timeline entries to write at the end
	steps       []incidentStep     // for settleIncidents
}

// record adds to the audit trail, as the current batch's actor.
func (g *groupIngest) record(incidentID int64, entity string, entityID int64, action string, old, new any) error {
	return g.recordChanges(incidentID, entity, entityID, action, incident.Diff(old, new))
}

func (g *groupIngest) recordChanges(incidentID int64, entity string, entityID int64, action string, changes map[string]incident.Change) error {
	return g.s.recordChanges(incident.WithActor(context.Background(), g.actor), g.tx, incidentID, entity, entityID, action, changes)
}

func (g *groupIngest) openID() *int64 {
	if g.open == nil {
		return nil
	}
	return &g.open.ID
}

// fireOnce reports whether a live batch of the group is FireOnce: one
// whose alerts fire only when the group does not fire them already.
func (g *groupIngest) fireOnce(deliveries []delivery) bool {
	return slices.ContainsFunc(g.live, func(i int) bool { return deliveries[i].batch.FireOnce })
}

// lock records the deliveries idx of the group that carry an id, leaving
// out those seen before, keeps the others, in order, as live, and locks
// the group when any is left.
func (g *groupIngest) lock(batches []*incident.AlertBatch, idx []int, results []*incident.IngestResult) error {
	for _, i := range idx {
		fresh, err := recordDelivery(g.tx, batches[i], g.now)
		if err != nil {
			return err
		}
		if !fresh {
			results[i].Duplicates, results[i].Repeated = results[i].Received, true
			continue
		}
		g.live = append(g.live, i)
	}
	if len(g.live) == 0 {
		return nil
	}
	last, err := g.lockGroup()
	g.last = last
	if last != nil && incident.Status(last.Status).Open() {
		g.open = last
	} else {
		g.lateKnown = true
		if last != nil {
			g.lateBefore = last.DetectedAt
		}
	}
	return err
}

// apply applies the live deliveries of the locked group (batches[i] is
// deliveries[i].batch), in order, filling their results. The alerts of
// snapshots are in by then (see insertSnapshots); a FireOnce group's go in
// here, batch by batch.
func (g *groupIngest) apply(deliveries []delivery, batches []*incident.AlertBatch, results []*incident.IngestResult) error {
	live, addedBy, fireOnce := g.live, g.added, g.fireOnce(deliveries)
	for n, i := range live {
		b, res := batches[i], results[i]
		g.actor = deliveries[i].actor
		added := addedBy[i]
		if fireOnce {
			// A FireOnce batch depends on what fires after the batch
			// before it: its alerts go in one batch at a time.
			cands := occurrences(deliveries, []int{i})
			if b.FireOnce {
				var err error
				if cands, err = dropFiring(g.tx, g.source, g.key, cands); err != nil {
					return err
				}
			}
			rows, err := insertAlerts(g.s.hot(g.tx), cands, g.openID(), g.now)
			if err != nil {
				return err
			}
			added = rows[i]
		}
		ended, err := resolveAlerts(g.s.hot(g.tx), b, added)
		if err != nil {
			return err
		}
		res.Added, res.Resolved = len(added), len(ended)
		// A resolution that ends a reopened occurrence as well as the first
		// one resolves more occurrences than the alerts it reports on.
		res.Duplicates = max(0, res.Received-res.Added-res.Resolved)

		if g.open == nil && b.Open != nil && g.opens(b, added) {
			// Late alerts stay unattached, as they would have had they come
			// alone: they neither join the incident nor date it.
			joining := slices.DeleteFunc(slices.Clone(added), g.late)
			if inc := b.Opening(domainAlerts(joining)); inc != nil {
				waiting, err := g.waitingAlerts(b, joining)
				if err != nil {
					return err
				}
				added = joining
				attach := append(ids(added), ids(waiting)...)
				for _, j := range live[n+1:] {
					// Inserted with the others, before this opened.
					attach = append(attach, ids(slices.DeleteFunc(slices.Clone(addedBy[j]), g.late))...)
				}
				if g.open, err = g.openIncident(b, inc, append(slices.Clip(added), waiting...), attach); err != nil {
					return err
				}
				g.last, res.Opened = g.open, true
				g.mark(waiting, nil)
				// Only senders that identify their deliveries or events
				// report entries (Validate): no other group has any kept.
				if b.DeliveryID != "" || b.EventID != "" {
					if err := g.takePending(g.open.ID); err != nil {
						return err
					}
				}
			}
		}
		if g.open != nil && !res.Opened {
			if added, err = g.leaveLate(added); err != nil {
				return err
			}
		}
		g.mark(added, ended)
		if g.open != nil {
			res.IncidentRef, res.IncidentID = g.open.Ref, g.open.ID
			// An alert the first snapshots left out (Alertmanager's
			// max_alerts) started before the ones that opened it. One that
			// comes resolved moves it only for OpenResolved senders, whose
			// resolution of the first occurrence can come after a reopening.
			if at := earliestOfRows(added, b.OpenResolved); at != nil && (g.open.DetectedAt == nil || at.Before(*g.open.DetectedAt)) {
				g.open.DetectedAt = at
				g.steps = append(g.steps, incidentStep{incidentID: g.open.ID, g: g, actor: g.actor, detectedAt: at})
			}
		}
		// What the sender tells of its incident beyond alerts (PagerDuty's
		// acknowledgements and notes) is of the incident the group fed
		// last, even once its commander resolved it.
		if fed := cmp.Or(g.open, g.last); fed != nil && (b.AcknowledgedAt != nil || len(b.Entries) > 0) {
			res.IncidentRef, res.IncidentID = fed.Ref, fed.ID
			if b.AcknowledgedAt != nil {
				g.steps = append(g.steps, incidentStep{incidentID: fed.ID, g: g, actor: g.actor, ackAt: b.AcknowledgedAt})
			}
			if err := g.addEntries(fed.ID, b.Entries); err != nil {
				return err
			}
		} else if fed == nil && len(b.Entries) > 0 {
			if err := g.keepPending(b.Entries); err != nil {
				return err
			}
		}
	}
	// The entries stand for alerts of all the batches; the last one's
	// actor signs them. They are written with the incident's other steps.
	slices.SortStableFunc(g.marks, compareMarks)
	for marks := g.marks; len(marks) > 0; {
		n := 1
		for n < len(marks) && marks[n].incidentID == marks[0].incidentID {
			n++
		}
		g.steps = append(g.steps, incidentStep{incidentID: marks[0].incidentID, g: g, actor: g.actor, marks: marks[:n]})
		marks = marks[n:]
	}
	for _, m := range g.marks {
		if m.status == incident.AlertResolved {
			g.steps = append(g.steps, incidentStep{incidentID: m.incidentID, g: g, actor: g.actor, endedAt: &m.at, wasFiring: m.wasFiring})
		}
	}
	return nil
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
			g.marks = append(g.marks, alertMark{incidentID: *a.IncidentID, alert: a, status: incident.AlertResolved,
				at: *a.EndsAt, wasFiring: true})
		}
	}
}

// opens reports whether the alerts b just added to the group, which has no
// open incident, open one: those that fire, or, for an OpenResolved sender
// when none does, all of them. Alerts that all started before the
// incident the group fed last was detected came late: in order, they would
// have fed that one, and they open no other.
func (g *groupIngest) opens(b *incident.AlertBatch, added []alertRow) bool {
	var opening []alertRow
	for _, a := range added {
		if a.Status == string(incident.AlertFiring) {
			opening = append(opening, a)
		}
	}
	if len(opening) == 0 && b.OpenResolved {
		opening = added
	}
	return slices.ContainsFunc(opening, func(a alertRow) bool { return !g.late(a) })
}

// late reports whether alert a of the group came late: it started before
// the incident the group fed before its open one (or, with none open, the
// one it fed last) was detected, and in order would have fed that one.
func (g *groupIngest) late(a alertRow) bool {
	return g.lateBefore != nil && a.StartsAt.Before(*g.lateBefore)
}

// leaveLate returns added without its late alerts, which are left
// unattached, as they are when they come with no incident open: they
// neither join the open incident nor date it. Alerts stored while it was
// open joined it as they were inserted, and are detached.
//
// Only an alert that started before the open incident was detected can be
// late; the group's row tells which incident it fed before, for those.
func (g *groupIngest) leaveLate(added []alertRow) ([]alertRow, error) {
	if !g.lateKnown {
		if g.open.DetectedAt == nil || !slices.ContainsFunc(added, func(a alertRow) bool { return a.StartsAt.Before(*g.open.DetectedAt) }) {
			return added, nil
		}
		var lateBefore sql.NullTime
		if _, err := g.s.hot(g.tx).scanOne(lateBeforeSQL, []any{g.source, g.key}, &lateBefore); err != nil {
			return nil, fmt.Errorf("load alert group: %w", err)
		}
		g.lateBefore, g.lateKnown = timeOrNil(lateBefore), true
	}
	if !slices.ContainsFunc(added, g.late) {
		return added, nil
	}
	var kept []alertRow
	var detach []int64
	for _, a := range added {
		switch {
		case !g.late(a):
			kept = append(kept, a)
		case a.IncidentID != nil:
			detach = append(detach, a.ID)
		}
	}
	for len(detach) > 0 {
		n := min(len(detach), chunkLen)
		if err := g.tx.Model(&alertRow{}).Where("id IN ?", detach[:n]).Update("incident_id", nil).Error; err != nil {
			return nil, fmt.Errorf("leave late alerts unattached: %w", err)
		}
		detach = detach[n:]
	}
	return kept, nil
}

// waitingAlerts returns the alerts of b's snapshot that fire unattached
// from an earlier delivery, less severe than the ones added now, which
// open the group's incident: they join it, and the earliest dates it, as
// they would have had all come in one delivery (Alertmanager tells of a
// warning, then at the group's next interval of the critical alert).
// Late ones (see late) wait on.
func (g *groupIngest) waitingAlerts(b *incident.AlertBatch, added []alertRow) ([]alertRow, error) {
	isAdded := make(map[int64]bool, len(added))
	for i := range added {
		isAdded[added[i].ID] = true
	}
	firing := map[string]bool{} // occurrence keys
	var fps []string
	for i := range b.Alerts {
		if a := &b.Alerts[i]; a.Status == incident.AlertFiring {
			firing[occurrenceKey(a.Fingerprint, a.StartsAt)] = true
			fps = append(fps, a.Fingerprint)
		}
	}
	rows, err := firingInGroup(g.tx, g.source, g.key, unique(fps))
	if err != nil {
		return nil, err
	}
	waiting := rows[:0]
	for _, r := range rows {
		if r.IncidentID == nil && !isAdded[r.ID] && firing[occurrenceKey(r.Fingerprint, r.StartsAt)] && !g.late(r) {
			r.StartsAt = r.StartsAt.UTC()
			waiting = append(waiting, r)
		}
	}
	return waiting, nil
}

// recordDelivery remembers the ids of b's delivery and of the event it
// carries, and reports whether neither was seen before.
func recordDelivery(tx *gorm.DB, b *incident.AlertBatch, now time.Time) (fresh bool, err error) {
	fresh = true
	// Both ids are remembered, whichever was seen: the next delivery may
	// repeat either.
	for _, id := range []string{b.DeliveryID, eventKey(b.EventID)} {
		if id == "" {
			continue
		}
		r := tx.Exec(`INSERT INTO webhook_deliveries (source, delivery_id, received_at) VALUES (?, ?, ?)
			ON CONFLICT (source, delivery_id) DO NOTHING`, b.Source, id, now)
		if r.Error != nil {
			return false, fmt.Errorf("record delivery: %w", r.Error)
		}
		fresh = fresh && r.RowsAffected == 1
	}
	return fresh, nil
}

// eventKey is how an event's id is remembered among the deliveries' ids,
// which are of another kind and could be equal to it.
func eventKey(id string) string {
	if id == "" {
		return ""
	}
	return "event:" + id
}

const (
	// findGroupSQL reads the group's row and the incident it last fed.
	findGroupSQL = `SELECT g.incident_id, i.ref, i.status, i.detected_at FROM alert_groups g
		LEFT JOIN incidents i ON i.id = g.incident_id
		WHERE g.source = ? AND g.group_key = ?`
	insertGroupSQL = "INSERT INTO alert_groups (source, group_key) VALUES (?, ?)"
	// lockGroupPostgresSQL creates the group's row when it is new, locks
	// it, and returns the incident it last fed.
	lockGroupPostgresSQL = `INSERT INTO alert_groups (source, group_key) VALUES (?, ?)
		ON CONFLICT (source, group_key) DO UPDATE SET group_key = excluded.group_key
		RETURNING incident_id`
	groupIncidentSQL = "SELECT id, ref, status, detected_at FROM incidents WHERE id = ?"
	// lateBeforeSQL reads, for the group's open incident, when the one it
	// fed before was detected (see late), as it stands now: its commander
	// may have moved it. setPreviousSQL keeps which one that was.
	lateBeforeSQL = `SELECT i.detected_at FROM alert_groups g JOIN incidents i ON i.id = g.previous_incident_id
		WHERE g.source = ? AND g.group_key = ?`
	setPreviousSQL = "UPDATE alert_groups SET previous_incident_id = ? WHERE source = ? AND group_key = ?"
)

// lockGroup creates the group's row when it is new and returns the
// incident it last fed, if any, open or over.
//
// On PostgreSQL the upsert takes the row lock, so a second delivery of the
// group waits there until the first has committed. The incident is read by
// a statement of its own, after the wait: one statement reads the database
// as it was when it began, before the incident the first delivery opened,
// or a commander's resolve that committed meanwhile.
//
// SQLite has one writer at a time already, and its transaction reads the
// database as it is once it writes: one statement reads both. A read also
// leaves the page clean when the group exists, as it does through a storm.
func (g *groupIngest) lockGroup() (*incidentRow, error) {
	h := g.s.hot(g.tx)
	var id sql.NullInt64
	if g.s.dialect == Postgres {
		if _, err := h.scanOne(lockGroupPostgresSQL, []any{g.source, g.key}, &id); err != nil {
			return nil, fmt.Errorf("lock alert group: %w", err)
		}
		if !id.Valid {
			return nil, nil
		}
		return g.incidentRow(id.Int64)
	}
	var ref, status sql.NullString
	var detected sql.NullTime
	found, err := h.scanOne(findGroupSQL, []any{g.source, g.key}, &id, &ref, &status, &detected)
	if err == nil && !found {
		err = h.exec(insertGroupSQL, g.source, g.key)
	}
	if err != nil {
		return nil, fmt.Errorf("lock alert group: %w", err)
	}
	if !id.Valid || !ref.Valid {
		return nil, nil // no incident yet, or it was deleted
	}
	return &incidentRow{ID: id.Int64, Ref: ref.String, Status: status.String, DetectedAt: timeOrNil(detected)}, nil
}

func timeOrNil(t sql.NullTime) *time.Time {
	if !t.Valid {
		return nil
	}
	u := t.Time.UTC()
	return &u
}

// incidentRow returns the incident with this id, if it was not deleted.
func (g *groupIngest) incidentRow(id int64) (*incidentRow, error) {
	var row incidentRow
	var detected sql.NullTime
	found, err := g.s.hot(g.tx).scanOne(groupIncidentSQL, []any{id},
		&row.ID, &row.Ref, &row.Status, &detected)
	row.DetectedAt = timeOrNil(detected)
	if err != nil {
		return nil, fmt.Errorf("load group incident: %w", err)
	}
	if !found {
		return nil, nil
	}
	return &row, nil
}

func ids(rows []alertRow) []int64 {
	out := make([]int64, len(rows))
	for i := range rows {
		out[i] = rows[i].ID
	}
	return out
}

// domainAlerts returns rows as the alerts they store.
func domainAlerts(rows []alertRow) []incident.Alert {
	out := make([]incident.Alert, len(rows))
	for i := range rows {
		out[i] = rows[i].toDomain()
	}
	return out
}

// openIncident declares incident open of b's group, started and detected
// when the earliest of the alerts that open it started firing, attaches
// the alerts with ids attach and makes it the group's incident.
func (g *groupIngest) openIncident(b *incident.AlertBatch, open *incident.Incident, opening []alertRow, attach []int64) (*incidentRow, error) {
	tx := g.tx
	// The firing alerts open it, and only theirs is the detection: an
	// alert of the snapshot that had already resolved does not move it
	// back, as it does not when it comes in a later snapshot. Resolved
	// alerts alone open one only for OpenResolved senders; the earliest
	// start is theirs then.
	first := earliestFiring(opening)
	if first == nil {
		first = earliestOfRows(opening, true)
	}
	detected := *first
	inc := incident.Incident{
		Title:      open.Title,
		Severity:   open.Severity,
		Services:   append([]string(nil), open.Services...),
		StartedAt:  first,
		DetectedAt: &detected,
	}
	inc.PrepareNew(g.now)
	if err := inc.Validate(); err != nil {
		return nil, err
	}
	if err := insertIncident(tx, &inc); err != nil {
		return nil, err
	}
	if err := g.record(inc.ID, "incident", inc.ID, incident.ActionCreate, nil, &inc); err != nil {
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
	// Only a group that fed an incident before has alerts that come late.
	if g.last != nil {
		if err := tx.Exec(setPreviousSQL, g.last.ID, b.Source, b.GroupKey).Error; err != nil {
			return nil, fmt.Errorf("set group incident: %w", err)
		}
	}
	return &incidentRow{ID: inc.ID, Ref: inc.Ref, Status: string(inc.Status), DetectedAt: &detected}, nil
}

// earliestFiring returns the earliest start of the firing alerts of rows.
func earliestFiring(rows []alertRow) *time.Time { return earliestOfRows(rows, false) }

// earliestOfRows returns the earliest start of the alerts of rows, of the
// firing ones only unless resolved too.
func earliestOfRows(rows []alertRow, resolved bool) *time.Time {
	var first *time.Time
	for i := range rows {
		if a := &rows[i]; (resolved || a.Status == string(incident.AlertFiring)) && (first == nil || a.StartsAt.Before(*first)) {
			at := a.StartsAt.UTC()
			first = &at
		}
	}
	return first
}

// detectEarlier moves the incident's detected_at back to at, and its
// started_at when it is later: detection is when its earliest alert
// started firing. A change that would break the order of the milestones
// (someone typed an earlier acknowledgement) is left to the commander.
func (g *groupIngest) detectEarlier(incidentID int64, at time.Time) error {
	inc, err := loadIncident(g.tx, fmt.Sprint(incidentID))
	if err != nil {
		return err
	}
	if inc.DetectedAt != nil && !at.Before(*inc.DetectedAt) {
		return nil
	}
	before := *inc
	inc.DetectedAt, inc.UpdatedAt, inc.Version = &at, g.now, inc.Version+1
	if inc.StartedAt == nil || at.Before(*inc.StartedAt) {
		inc.StartedAt = &at
	}
	if inc.Validate() != nil {
		return nil
	}
	res := g.tx.Exec("UPDATE incidents SET detected_at = ?, started_at = ?, updated_at = ?, version = version + 1 WHERE id = ? AND version = ?",
		at, *inc.StartedAt, g.now, inc.ID, before.Version)
	if res.Error != nil {
		return fmt.Errorf("move detection: %w", res.Error)
	}
	if res.RowsAffected == 0 {
		return nil
	}
	return g.record(inc.ID, "incident", inc.ID, incident.ActionUpdate, &before, inc)
}

// acknowledge sets the incident's acknowledged_at when it is empty and the
// time keeps the milestones in order; an acknowledgement that would break
// the order (someone typed a later detection) is left to the commander.
func (g *groupIngest) acknowledge(incidentID int64, at time.Time) error {
	inc, err := loadIncident(g.tx, fmt.Sprint(incidentID))
	if err != nil {
		return err
	}
	if inc.AcknowledgedAt != nil {
		return nil
	}
	before := *inc
	inc.AcknowledgedAt, inc.UpdatedAt, inc.Version = &at, g.now, inc.Version+1
	if inc.Validate() != nil {
		return nil
	}
	// Only this column, and only while it is empty: a commander editing
	// the incident at the same moment keeps their change, and the version
	// bump makes their next edit reload.
	res := g.tx.Exec("UPDATE incidents SET acknowledged_at = ?, updated_at = ?, version = version + 1 WHERE id = ? AND acknowledged_at IS NULL",
		at, g.now, inc.ID)
	if res.Error != nil {
		return fmt.Errorf("acknowledge incident: %w", res.Error)
	}
	if res.RowsAffected == 0 {
		return nil
	}
	return g.record(inc.ID, "incident", inc.ID, incident.ActionUpdate, &before, inc)
}

// addEntries adds the timeline entries the sender reports to the incident.
func (g *groupIngest) addEntries(incidentID int64, entries []incident.Event) error {
	if len(entries) == 0 {
		return nil
	}
	evs := make([]incident.Event, len(entries))
	for i, e := range entries {
		e.IncidentID = incidentID
		e.Highlight = false
		if err := prepareEvent(&e, g.now); err != nil {
			return err
		}
		evs[i] = e
	}
	return g.insertEvents(evs)
}

// keepPending keeps the entries the sender reports for the group, which
// has fed no incident yet, for the incident it opens (takePending).
func (g *groupIngest) keepPending(entries []incident.Event) error {
	for _, e := range entries {
		if err := prepareEvent(&e, g.now); err != nil {
			return err
		}
		if err := g.tx.Exec(keepPendingSQL, g.source, g.key, e.At, e.Kind, e.Text, e.Author, g.now).Error; err != nil {
			return fmt.Errorf("keep entry: %w", err)
		}
	}
	return nil
}

// takePending adds to the incident the group just opened the entries kept
// for it, and forgets them.
func (g *groupIngest) takePending(incidentID int64) error {
	var kept []struct {
		ID     int64
		At     time.Time
		Kind   incident.EventKind
		Text   string
		Author string
	}
	if err := g.tx.Raw(pendingSQL, g.source, g.key).Scan(&kept).Error; err != nil {
		return fmt.Errorf("find kept entries: %w", err)
	}
	if len(kept) == 0 {
		return nil
	}
	entries, ids := make([]incident.Event, len(kept)), make([]int64, len(kept))
	for i, k := range kept {
		entries[i] = incident.Event{At: k.At.UTC(), Kind: k.Kind, Text: k.Text, Author: k.Author, Source: incident.SourceWebhook}
		ids[i] = k.ID
	}
	if err := g.addEntries(incidentID, entries); err != nil {
		return err
	}
	if err := g.tx.Exec("DELETE FROM pending_entries WHERE id IN ?", ids).Error; err != nil {
		return fmt.Errorf("forget kept entries: %w", err)
	}
	return nil
}

const (
	keepPendingSQL = `INSERT INTO pending_entries (source, group_key, at, kind, text, author, received_at)
		VALUES (?, ?, ?, ?, ?, ?, ?)`
	pendingSQL = "SELECT id, at, kind, text, author FROM pending_entries WHERE source = ? AND group_key = ? ORDER BY id"
)

// insertEvents adds timeline entries and records them.
func (g *groupIngest) insertEvents(evs []incident.Event) error {
	if err := insertEvents(g.tx, evs); err != nil {
		return err
	}
	for i := range evs {
		if err := g.record(evs[i].IncidentID, "event", evs[i].ID, incident.ActionCreate, nil, &evs[i]); err != nil {
			return err
		}
	}
	return nil
}

// placeholders returns "(?, ?, ?), (?, ?, ?)" for rows of n values.
func placeholders(rows, n int) string {
	one := "(" + strings.TrimSuffix(strings.Repeat("?, ", n), ", ") + ")"
	return strings.TrimSuffix(strings.Repeat(one+", ", rows), ", ")
}
