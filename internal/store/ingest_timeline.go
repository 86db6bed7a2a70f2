package store

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"time"

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
	Status     string // the alerts', with "-again" for alerts that did it again (entryStatus)
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
	again      bool // the alert did the same within CollapseWindow before, as another occurrence
	wasFiring  bool // a resolution of an alert stored firing before
}

// entryStatus is the status of the entry m joins: alerts that fire (or
// resolve) again have entries of their own, joined by others that do, so
// that the timeline does not depend on which deliveries shared a
// transaction.
func (m alertMark) entryStatus() string {
	if m.again {
		return string(m.status) + "-again"
	}
	return string(m.status)
}

func compareMarks(a, b alertMark) int {
	return cmp.Or(cmp.Compare(a.incidentID, b.incidentID), cmp.Compare(a.alert.Name, b.alert.Name),
		cmp.Compare(a.entryStatus(), b.entryStatus()), a.at.Compare(b.at))
}

// writeAlertEntries adds the timeline entries for marks of the group:
// marks of one incident, name and entry status within CollapseWindow of each
// other make one entry, and join the entry earlier deliveries made for the
// same window. An entry counts instances: an alert that fires (or
// resolves) again within the window goes to an entry of alerts that did
// so, which other such alerts join, so that "firing on 2 instances" does
// not become 3 and the second firing shows at its time.
//
// No entry reaches across a moment of quiet, sorted, when all alerts of
// the incident had resolved (see quietAround): an alert that fires after
// one stands after its note. Joined to an entry before it, the timeline
// ended on "resolved" while the alert fired.
func (g *groupIngest) writeAlertEntries(marks []alertMark, quiet []time.Time) error {
	if err := g.markAgain(marks); err != nil {
		return err
	}
	slices.SortStableFunc(marks, compareMarks)
	for i := 0; i < len(marks); {
		first, j := marks[i], i+1
		for j < len(marks) && marks[j].incidentID == first.incidentID && marks[j].alert.Name == first.alert.Name &&
			marks[j].entryStatus() == first.entryStatus() && !marks[j].at.After(first.at.Add(CollapseWindow)) &&
			!quietBetween(quiet, first.at, marks[j].at) {
			j++
		}
		k, err := g.mergeAlertEntry(marks[i:j], quiet)
		if err != nil {
			return err
		}
		i += k
	}
	return nil
}

// quietBetween reports whether a moment of quiet lies from the earlier of
// a and b up to, not at, the later: the resolution that made a moment
// joins the entry of those before it, and so do alerts of the same time.
func quietBetween(quiet []time.Time, a, b time.Time) bool {
	if b.Before(a) {
		a, b = b, a
	}
	i, _ := slices.BinarySearchFunc(quiet, a, time.Time.Compare)
	return i < len(quiet) && quiet[i].Before(b)
}

// entryBounds narrows the window of entries that alerts at t may join,
// [t-CollapseWindow, t+CollapseWindow], to the moments of quiet around t:
// an entry joined must start after the last one before t, and by the
// first one from t on (see quietBetween).
func entryBounds(quiet []time.Time, t time.Time) (after, from, to time.Time) {
	from, to = t.Add(-CollapseWindow), t.Add(CollapseWindow)
	after = from.Add(-time.Nanosecond)
	i, _ := slices.BinarySearchFunc(quiet, t, time.Time.Compare)
	if i > 0 && quiet[i-1].After(after) {
		after = quiet[i-1]
	}
	if i < len(quiet) && quiet[i].Before(to) {
		to = quiet[i]
	}
	return after, from, to
}

// notesBetweenSQL finds the times of an incident's notes, in a span, that
// all its alerts had resolved: under a storm, none.
var notesBetweenSQL = "SELECT at FROM events WHERE incident_id = ? AND at >= ? AND at <= ? AND " + isAllResolvedNote + " ORDER BY at"

// quietAround returns the moments of quiet that the entries of marks must
// not reach across: those noted before, within CollapseWindow of a mark,
// and the moments this transaction notes after the entries, sorted.
func (g *groupIngest) quietAround(id int64, marks []alertMark, moments []time.Time) ([]time.Time, error) {
	if len(marks) == 0 {
		return moments, nil
	}
	from, to := marks[0].at, marks[0].at
	for _, m := range marks[1:] {
		if m.at.Before(from) {
			from = m.at
		}
		if m.at.After(to) {
			to = m.at
		}
	}
	var noted []time.Time
	if err := g.tx.Raw(notesBetweenSQL, id, from.Add(-CollapseWindow).UTC(), to.Add(CollapseWindow).UTC()).Scan(&noted).Error; err != nil {
		return nil, fmt.Errorf("find notes: %w", err)
	}
	quiet := append(noted, moments...)
	slices.SortFunc(quiet, time.Time.Compare)
	return quiet, nil
}

// resolvedOccurrencesSQL finds, through alerts_incident_resolved, the
// resolved occurrences of fingerprints in an incident. The status is
// written out, not bound, for PostgreSQL's generic plans.
const resolvedOccurrencesSQL = `SELECT id, fingerprint, starts_at, ends_at FROM alerts
	WHERE incident_id = ? AND status = 'resolved' AND fingerprint IN ?`

// anyResolvedSQL tells whether an incident has a resolved alert at all:
// under a storm of new alerts it has none, and one look at the index
// costs less than resolvedOccurrencesSQL, which gorm runs.
const anyResolvedSQL = "SELECT 1 FROM alerts WHERE incident_id = ? AND status = 'resolved' LIMIT 1"

// occurrence is an alert's occurrence as markAgain looks at it.
type occurrence struct {
	ID          int64
	Fingerprint string
	StartsAt    time.Time
	EndsAt      *time.Time
}

// markAgain sets again on the marks of alerts that fired, or resolved,
// within CollapseWindow before as another occurrence. Only a resolved
// occurrence can be one: an alert fires again after it resolved. Under a
// storm of new alerts the incident has few resolved ones, and the lookup
// finds none.
func (g *groupIngest) markAgain(marks []alertMark) error {
	byIncident := map[int64][]string{}
	for _, m := range marks {
		byIncident[m.incidentID] = append(byIncident[m.incidentID], m.alert.Fingerprint)
	}
	type alertOf struct {
		incidentID  int64
		fingerprint string
	}
	earlier := map[alertOf][]occurrence{}
	h := g.s.hot(g.tx)
	for id, fps := range byIncident {
		var one int
		if found, err := h.scanOne(anyResolvedSQL, []any{id}, &one); err != nil || !found {
			if err != nil {
				return fmt.Errorf("find resolved alerts: %w", err)
			}
			continue
		}
		for fps = unique(fps); len(fps) > 0; {
			var rows []occurrence
			var err error
			n := min(len(fps), chunkLen)
			if g.s.dialect == Postgres {
				n = min(len(fps), pgArrayChunk)
				rows, err = pgResolvedOccurrences(g.tx, id, fps[:n])
			} else {
				err = g.tx.Raw(resolvedOccurrencesSQL, id, fps[:n]).Scan(&rows).Error
			}
			if err != nil {
				return fmt.Errorf("find resolved alerts: %w", err)
			}
			for _, r := range rows {
				k := alertOf{id, r.Fingerprint}
				earlier[k] = append(earlier[k], r)
			}
			fps = fps[n:]
		}
	}
	for i := range marks {
		m := &marks[i]
		for _, o := range earlier[alertOf{m.incidentID, m.alert.Fingerprint}] {
			at := o.StartsAt
			if m.status == incident.AlertResolved {
				if o.EndsAt == nil {
					continue
				}
				at = *o.EndsAt
			}
			if o.ID != m.alert.ID && at.Before(m.at) && !at.Before(m.at.Add(-CollapseWindow)) {
				m.again = true
			}
		}
	}
	return nil
}

const (
	// joinAlertEntrySQL adds alerts to the entry of the window, if there
	// is one, and returns it.
	joinAlertEntrySQL = `UPDATE alert_entries SET alerts = alerts + ?
		WHERE event_id = (SELECT event_id FROM alert_entries
			WHERE incident_id = ? AND name = ? AND status = ? AND first_at > ? AND first_at >= ? AND first_at <= ?
			ORDER BY first_at DESC LIMIT 1)
		RETURNING event_id, first_at, alerts`
	// joinAlertEntrySQLite also returns, for the audit trail, the text of
	// the entry's event and whether the event is still at the entry's
	// first_at, which saves a statement in every transaction of a storm.
	// (Its time, read by a subquery, would come back as text, not a time.)
	// Not on PostgreSQL: a subquery of the statement reads the event as it
	// was when the statement began, before a transaction whose lock on the
	// entry the statement waited for changed it.
	joinAlertEntrySQLite = `UPDATE alert_entries SET alerts = alerts + ?
		WHERE event_id = (SELECT event_id FROM alert_entries
			WHERE incident_id = ? AND name = ? AND status = ? AND first_at > ? AND first_at >= ? AND first_at <= ?
			ORDER BY first_at DESC LIMIT 1)
		RETURNING event_id, first_at, alerts,
			COALESCE((SELECT text FROM events WHERE id = alert_entries.event_id), ''),
			COALESCE((SELECT at = alert_entries.first_at FROM events WHERE id = alert_entries.event_id), 0)`
	moveAlertEntrySQL   = "UPDATE alert_entries SET first_at = ? WHERE event_id = ?"
	countAlertEntrySQL  = "UPDATE alert_entries SET alerts = alerts + ? WHERE event_id = ?"
	addEntryAlertsSQL   = "INSERT INTO alert_entry_alerts (event_id, fingerprint) VALUES %s ON CONFLICT DO NOTHING"
	loadEntryEventSQL   = "SELECT text, at FROM events WHERE id = ?"
	loadEntryAtSQL      = "SELECT at FROM events WHERE id = ?"
	updateEntryEventSQL = "UPDATE events SET text = ?, at = ?, updated_at = ? WHERE id = ?"
)

// mergeAlertEntry writes the entry of marks, all of one kind (again or
// not) and sorted by time: it joins the entry of their kind in their
// window, if there is one, or makes a new one. It returns how many of the
// marks it wrote: of those that join an entry, only the ones within
// CollapseWindow of its start, as they would have one by one; the others
// are left for an entry of their own.
func (g *groupIngest) mergeAlertEntry(marks []alertMark, quiet []time.Time) (int, error) {
	tx, now, h := g.tx, g.now, g.s.hot(g.tx)
	m := marks[0]
	name, at := m.alert.Name, m.at.UTC()
	n := len(marks)
	if m.again {
		n = 0 // counted as its alerts join (see addEntryAlerts)
	}
	e, before, found, err := g.joinAlertEntry(h, n, m, at, quiet)
	if err != nil {
		return 0, err
	}
	if !found {
		var fps []string
		if m.again {
			fps = fingerprints(marks)
			n = len(fps)
		}
		sample := m.alert.toDomain()
		ev := incident.Event{IncidentID: m.incidentID, At: at, Kind: incident.KindAlert,
			Text: incident.AlertEntryText(name, m.status, n, &sample), Author: g.source,
			Source: incident.SourceWebhook, Highlight: false}
		if err := prepareEvent(&ev, now); err != nil {
			return 0, err
		}
		evs := []incident.Event{ev}
		if err := g.insertEvents(evs); err != nil {
			return 0, err
		}
		e = alertEntryRow{EventID: evs[0].ID, IncidentID: m.incidentID, Name: name, Status: m.entryStatus(),
			FirstAt: at, Alerts: n}
		if err := tx.Create(&e).Error; err != nil {
			return 0, fmt.Errorf("insert alert entry: %w", err)
		}
		_, err := g.addEntryAlerts(e.EventID, fps)
		return len(marks), err
	}
	// Rare: the marks span more than the entry has left of its window.
	start := e.FirstAt
	if at.Before(start) {
		start = at
	}
	if k := len(marks); marks[k-1].at.After(start.Add(CollapseWindow)) {
		for marks[k-1].at.After(start.Add(CollapseWindow)) {
			k--
		}
		if !m.again {
			if err := h.exec(countAlertEntrySQL, k-len(marks), e.EventID); err != nil {
				return 0, fmt.Errorf("update alert entry: %w", err)
			}
			e.Alerts -= len(marks) - k
		}
		marks = marks[:k]
	}
	text := before.Text
	if m.again {
		if n, err = g.addEntryAlerts(e.EventID, fingerprints(marks)); err != nil {
			return 0, err
		}
		if n > 0 {
			if err := h.exec(countAlertEntrySQL, n, e.EventID); err != nil {
				return 0, fmt.Errorf("update alert entry: %w", err)
			}
		}
		e.Alerts += n
	}
	if n > 0 {
		text = incident.AlertEntryText(name, m.status, e.Alerts, nil)
	}
	if at.Before(e.FirstAt) {
		// Rare: these alerts started before the first ones of the entry.
		e.FirstAt = at
		if err := h.exec(moveAlertEntrySQL, e.FirstAt, e.EventID); err != nil {
			return 0, fmt.Errorf("update alert entry: %w", err)
		}
	}
	after := entryChange{Text: text, At: e.FirstAt}
	if after.Text == before.Text && after.At.Equal(before.At) {
		return len(marks), nil // an alert that flaps, counted already
	}
	if err := h.exec(updateEntryEventSQL, after.Text, after.At, now, e.EventID); err != nil {
		return 0, fmt.Errorf("update alert entry: %w", err)
	}
	return len(marks), g.recordChanges(m.incidentID, "event", e.EventID, incident.ActionUpdate, before.changes(after))
}

// addEntryAlerts records that the entry of eventID stands for the alerts
// of fps, and returns how many it did not already.
func (g *groupIngest) addEntryAlerts(eventID int64, fps []string) (int, error) {
	added := 0
	for len(fps) > 0 {
		n := min(len(fps), chunkLen)
		args := make([]any, 0, 2*n)
		for _, fp := range fps[:n] {
			args = append(args, eventID, fp)
		}
		r := g.tx.Exec(fmt.Sprintf(addEntryAlertsSQL, placeholders(n, 2)), args...)
		if r.Error != nil {
			return 0, fmt.Errorf("add alerts to entry: %w", r.Error)
		}
		added += int(r.RowsAffected) // those inserted, not those already there
		fps = fps[n:]
	}
	return added, nil
}

// fingerprints are the alerts' of marks, each once.
func fingerprints(marks []alertMark) []string {
	fps := make([]string, len(marks))
	for i, m := range marks {
		fps[i] = m.alert.Fingerprint
	}
	return unique(fps)
}

// joinAlertEntry adds n alerts to the entry of m's window, if there is
// one, and returns it and its event as they were.
func (g *groupIngest) joinAlertEntry(h hotTx, n int, m alertMark, at time.Time, quiet []time.Time) (e alertEntryRow, before entryChange, found bool, err error) {
	after, from, to := entryBounds(quiet, at)
	args := []any{n, m.incidentID, m.alert.Name, m.entryStatus(), after, from, to}
	if g.s.dialect != SQLite {
		found, err = h.scanOne(joinAlertEntrySQL, args, &e.EventID, &e.FirstAt, &e.Alerts)
		if err == nil && found {
			_, err = h.scanOne(loadEntryEventSQL, []any{e.EventID}, &before.Text, &before.At)
		}
	} else {
		var atFirst bool
		found, err = h.scanOne(joinAlertEntrySQLite, args, &e.EventID, &e.FirstAt, &e.Alerts, &before.Text, &atFirst)
		before.At = e.FirstAt
		if err == nil && found && !atFirst { // someone moved the entry by hand
			_, err = h.scanOne(loadEntryAtSQL, []any{e.EventID}, &before.At)
		}
	}
	if err != nil {
		return e, before, false, fmt.Errorf("update alert entry: %w", err)
	}
	e.FirstAt, before.At = e.FirstAt.UTC(), before.At.UTC()
	return e, before, found, nil
}

// entryChange is what updating a collapsed entry changes of the event, for
// the audit trail: the same fields, by the same names, as a whole event.
type entryChange struct {
	Text string    `json:"text"`
	At   time.Time `json:"at"`
}

// changes is incident.Diff(&c, &after), without the two trips through
// JSON that Diff takes to compare any two values: every transaction of a
// storm updates one entry of each incident it feeds.
func (c entryChange) changes(after entryChange) map[string]incident.Change {
	out := map[string]incident.Change{}
	if c.Text != after.Text {
		out["text"] = incident.Change{Old: optional(c.Text), New: optional(after.Text)}
	}
	// Times, as Diff sees them: their JSON form, which keeps the offset.
	if old, new := c.At.Format(time.RFC3339Nano), after.At.Format(time.RFC3339Nano); old != new {
		out["at"] = incident.Change{Old: old, New: new}
	}
	return out
}

// optional is a value as Diff sees it: an empty string reads as absent.
func optional(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// Statements of quietMoments and noteResolved. The status is written out, not bound:
// PostgreSQL's generic plans use a partial index only for a condition
// they can see.
const (
	// firingBySQL finds a firing alert of the incident that had started by
	// a time, through alerts_incident_firing: under a storm, the first it
	// looks at.
	firingBySQL = "SELECT 1 FROM alerts WHERE incident_id = ? AND status = 'firing' AND starts_at <= ? LIMIT 1"
	// lastEndBySQL finds the latest end of the alerts of the incident that
	// had started by a time.
	lastEndBySQL = "SELECT ends_at FROM alerts WHERE incident_id = ? AND starts_at <= ? AND ends_at IS NOT NULL ORDER BY ends_at DESC LIMIT 1"
	// nextEndSQL finds the first end of the alerts of the incident that
	// started after a moment when none fired: the end of the next run of
	// overlapping alerts, or of one within it.
	nextEndSQL = "SELECT ends_at FROM alerts WHERE incident_id = ? AND starts_at > ? AND ends_at IS NOT NULL ORDER BY ends_at LIMIT 1"
	// startedBySQL counts the alerts of the incident that had started by a
	// time: each once, however often it fired (an alert that flaps is one
	// alert, as the entries count it).
	startedBySQL = `SELECT count(*) FROM (SELECT DISTINCT source, fingerprint FROM alerts
		WHERE incident_id = ? AND starts_at <= ?) AS started`
)

// isAllResolvedNote is the condition on events that they are entries of
// the webhook that say that all alerts of the incident have resolved
// (noteResolvedAt's), whatever the number of alerts. Its texts are
// written into the statements, not bound: SQLite prepares a statement
// anew whenever the pattern of its LIKE is bound, in case the pattern
// lets it use an index, and that cost more than the query (reviseNotes
// asks in every transaction of a storm).
var isAllResolvedNote = "kind = 'alert' AND source = 'webhook' AND (text = " + sqlString(incident.AllAlertsResolvedText(1)) +
	" OR text LIKE " + sqlString(strings.Replace(incident.AllAlertsResolvedText(2), "2", "%", 1)) + ")"

// sqlString is s as an SQL string literal.
func sqlString(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }

// notedAtSQL counts the entries at a time that say that all alerts have
// resolved. notedLaterAtSQL counts them reworded since as well: entries of
// kind alert of the webhook that are not entries of alerts. Only the runs
// after a late alert's need it: reviseNotes keeps a reworded note that
// the alert fired over, and another one there would be its twin. At the
// end of the run of an alert that just resolved, where a sender's entry of
// kind alert (PagerDuty's acknowledgement) may stand, the words tell.
var (
	notedAtSQL      = "SELECT count(*) FROM events WHERE incident_id = ? AND at = ? AND " + isAllResolvedNote
	notedLaterAtSQL = `SELECT count(*) FROM events WHERE incident_id = ? AND at = ? AND kind = 'alert' AND source = 'webhook'
		AND NOT EXISTS (SELECT 1 FROM alert_entries WHERE alert_entries.event_id = events.id)`
)

// quietMoments returns, sorted, the moments to note that all alerts of
// the incident have resolved (noteResolved): every moment when, alerts
// having just ended at ends, none of its alerts fired, at the end of the
// last alert of the run of overlapping alerts that each of them ended. A
// moment already noted is left out. The notes do not resolve the
// incident: alerts stop for many reasons, and only the commander knows
// whether the problem is gone.
//
// The moments are read from the alerts' times, not from what fires now,
// so that the timeline does not depend on how deliveries were batched or
// in which order they came: an alert that started firing after the others
// had all resolved, in the same transaction as the last resolution or in
// a later one, does not take the note away.
func (g *groupIngest) quietMoments(id int64, ends []time.Time, walkOn bool) ([]time.Time, error) {
	h := g.s.hot(g.tx)
	var moments []time.Time
	// at walks from t to the end of the run of overlapping alerts t is in,
	// the latest end of those that had started by then, until no later,
	// and notes it unless the statement noted counts a note there. It
	// reports false when an alert that fires had started by then: it
	// fires at every later moment too.
	at := func(t time.Time, noted string) (end time.Time, quiet bool, err error) {
		for {
			var one int
			if found, err := h.scanOne(firingBySQL, []any{id, t}, &one); err != nil || found {
				return t, false, wrapErr("find firing alert", err)
			}
			var last time.Time
			if _, err := h.scanOne(lastEndBySQL, []any{id, t}, &last); err != nil {
				return t, false, wrapErr("find last alert", err)
			}
			if last = last.UTC(); !last.After(t) {
				break
			}
			t = last
		}
		var n int64
		if _, err := h.scanOne(noted, []any{id, t}, &n); err != nil {
			return t, false, wrapErr("find note", err)
		}
		if n == 0 {
			moments = append(moments, t)
		}
		return t, true, nil
	}
	slices.SortFunc(ends, time.Time.Compare)
	var seen time.Time // the runs of alerts up to here are looked at
	for _, t := range ends {
		if !seen.IsZero() && !t.After(seen) {
			continue
		}
		var quiet bool
		var err error
		if seen, quiet, err = at(t.UTC(), notedAtSQL); err != nil || !quiet {
			return moments, err
		}
	}
	// The runs after, when an alert that fired has just resolved: one that
	// came late may have fired over their notes, which reviseNotes took
	// away. In order, the runs after the last end are none, which one look
	// at the index tells.
	for walkOn && !seen.IsZero() {
		var next time.Time
		if found, err := h.scanOne(nextEndSQL, []any{id, seen}, &next); err != nil || !found {
			return moments, wrapErr("find next alert", err)
		}
		var quiet bool
		var err error
		if seen, quiet, err = at(next.UTC(), notedLaterAtSQL); err != nil || !quiet {
			return moments, err
		}
	}
	return moments, nil
}

// noteResolved writes the entries saying that no alert of the incident
// fired at the moments (see quietMoments).
func (g *groupIngest) noteResolved(id int64, moments []time.Time) error {
	h := g.s.hot(g.tx)
	for _, t := range moments {
		if err := g.noteResolvedAt(h, id, t); err != nil {
			return err
		}
	}
	return nil
}

// noteResolvedAt writes the entry saying that no alert of the incident
// fired at t.
func (g *groupIngest) noteResolvedAt(h hotTx, id int64, t time.Time) error {
	var total int64
	if _, err := h.scanOne(startedBySQL, []any{id, t}, &total); err != nil {
		return wrapErr("count alerts", err)
	}
	ev := incident.Event{IncidentID: id, At: t, Kind: incident.KindAlert,
		Text: incident.AllAlertsResolvedText(int(total)), Author: g.source, Source: incident.SourceWebhook}
	if err := prepareEvent(&ev, g.now); err != nil {
		return err
	}
	return g.insertEvents([]incident.Event{ev})
}

// wrapErr says what failed, and is nil when err is.
func wrapErr(what string, err error) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("%s: %w", what, err)
}

// Statements of reviseNotes.
var (
	// notesFromWhere finds the entries of an incident, from a time on,
	// saying that all alerts have resolved, and noteFromSQL whether there
	// is one: under a storm, none.
	notesFromWhere = "incident_id = ? AND at >= ? AND " + isAllResolvedNote
	noteFromSQL    = "SELECT 1 FROM events WHERE " + notesFromWhere + " LIMIT 1"
)

const (
	// firingAtSQL finds an alert of the incident that fired at a time.
	firingAtSQL = "SELECT 1 FROM alerts WHERE incident_id = ? AND starts_at <= ? AND (ends_at IS NULL OR ends_at > ?) LIMIT 1"
	// dropNoteSQL and recountNoteSQL change a note only as ingest wrote
	// it, whatever someone did meanwhile: not once reworded or
	// highlighted; and one cited as evidence of a root cause is not
	// deleted, which would take the evidence with it.
	// On PostgreSQL the note's row is locked first (lockNoteSQL): the
	// delete's look at the evidence sees only what was committed when it
	// began, and a root cause citing the note meanwhile does not change
	// the note's row, which the delete would have waited for.
	dropNoteSQL = `DELETE FROM events WHERE id = ? AND text = ? AND NOT highlight
		AND NOT EXISTS (SELECT 1 FROM root_cause_evidence WHERE event_id = events.id)`
	lockNoteSQL    = "SELECT 1 FROM events WHERE id = ? FOR UPDATE"
	recountNoteSQL = "UPDATE events SET text = ?, updated_at = ? WHERE id = ? AND text = ? AND NOT highlight"
)

// reviseNotes corrects, once alerts that started at since have come, the
// entries from then on that say that all alerts of the incident had
// resolved. Senders do not deliver in the order alerts fire: Prometheus
// hands an alert to Alertmanager a little after it starts, and
// Alertmanager tells of it at the group's next interval, after it may
// have told that the others had resolved. An alert that fired at such a
// moment takes its entry away, to come back at the end of the alerts' run
// (see quietMoments); one that had ended by then changes the count.
// Entries someone reworded, highlighted or cited as evidence are left
// alone. On PostgreSQL it locks the incident, unless locked says the
// caller has, before it changes an entry. It reports whether it took an
// entry away.
func (g *groupIngest) reviseNotes(id int64, since time.Time, locked bool) (dropped bool, err error) {
	h := g.s.hot(g.tx)
	since = since.UTC()
	args := []any{id, since}
	var one int
	if found, err := h.scanOne(noteFromSQL, args, &one); err != nil || !found {
		return false, wrapErr("find note", err)
	}
	if g.s.dialect == Postgres && !locked {
		// As quietMoments's caller does: the notes are read, and
		// written, one transaction at a time.
		if err := g.tx.Exec(lockIncidentSQL, id).Error; err != nil {
			return false, fmt.Errorf("lock incident: %w", err)
		}
	}
	var notes []eventRow
	if err := g.tx.Where(notesFromWhere, args...).Order("at, id").Find(&notes).Error; err != nil {
		return false, fmt.Errorf("find notes: %w", err)
	}
	for _, n := range notes {
		if n.Highlight {
			continue
		}
		at := n.At.UTC()
		firing, err := h.scanOne(firingAtSQL, []any{id, at, at}, &one)
		if err != nil {
			return false, wrapErr("find firing alert", err)
		}
		if firing {
			gone, err := g.dropNote(id, n)
			if err != nil {
				return false, err
			}
			dropped = dropped || gone
		} else if err := g.recountNote(h, id, n); err != nil {
			return false, err
		}
	}
	return dropped, nil
}

// dropNote deletes the note n of the incident, unless someone kept it
// (see dropNoteSQL), and reports whether it did.
func (g *groupIngest) dropNote(id int64, n eventRow) (bool, error) {
	if g.s.dialect == Postgres {
		if err := g.tx.Exec(lockNoteSQL, n.ID).Error; err != nil {
			return false, fmt.Errorf("lock note: %w", err)
		}
	}
	r := g.tx.Exec(dropNoteSQL, n.ID, n.Text)
	if r.Error != nil {
		return false, fmt.Errorf("delete note: %w", r.Error)
	}
	if r.RowsAffected == 0 {
		return false, nil
	}
	old := n.toDomain()
	return true, g.record(id, "event", n.ID, incident.ActionDelete, &old, nil)
}

// recountNote makes the note n of the incident count the alerts that had
// started by its time, unless someone reworded or highlighted it.
func (g *groupIngest) recountNote(h hotTx, id int64, n eventRow) error {
	at := n.At.UTC()
	var total int64
	if _, err := h.scanOne(startedBySQL, []any{id, at}, &total); err != nil {
		return wrapErr("count alerts", err)
	}
	text := incident.AllAlertsResolvedText(int(total))
	if text == n.Text {
		return nil
	}
	r := g.tx.Exec(recountNoteSQL, text, g.now, n.ID, n.Text)
	if r.Error != nil || r.RowsAffected == 0 {
		return wrapErr("update note", r.Error)
	}
	before := entryChange{Text: n.Text, At: at}
	return g.recordChanges(id, "event", n.ID, incident.ActionUpdate, before.changes(entryChange{Text: text, At: at}))
}

// earliestStart is the earliest start of the alerts that marks show
// starting to fire, or nil when none do.
func earliestStart(marks []alertMark) *time.Time {
	var first *time.Time
	for _, m := range marks {
		if m.status == incident.AlertFiring && (first == nil || m.at.Before(*first)) {
			at := m.at
			first = &at
		}
	}
	return first
}
