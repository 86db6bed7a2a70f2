package store_test

import (
	"slices"
	"strings"
	"testing"

	"hindsight/internal/incident"
	"hindsight/internal/store"
	"hindsight/internal/store/storetest"
)

// allResolvedNotes are the entries of the timeline saying that every
// alert had resolved.
func allResolvedNotes(t *testing.T, s *store.Store) []string {
	var out []string
	for _, e := range timeline(detail(t, s, "INC-1")) {
		if strings.HasSuffix(e, "of this incident has resolved") || strings.HasSuffix(e, "of this incident have resolved") {
			out = append(out, e)
		}
	}
	return out
}

// An alert that comes after the others were said to have resolved, and
// had started firing before, takes that entry away: Alertmanager tells of
// a new alert at the group's next interval, after it may have told that
// the others had resolved. The timeline then says what one delivery in
// order would have.
func TestLateAlertRevisesAllResolvedNote(t *testing.T) {
	a := firing("fp1", "APIHighLatency", "api-1:8080", clock("10:00:00"))
	late := firing("fp2", "APIHighLatency", "api-2:8080", clock("10:20:00"))
	early := firing("fp3", "CacheDown", "cache-1:6379", clock("10:05:00"))
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ingest(t, s, group("g", a))
		ingest(t, s, group("g", resolved(a, clock("10:30:00"))))
		if got, want := allResolvedNotes(t, s), []string{"10:30:00 The alert of this incident has resolved"}; !slices.Equal(got, want) {
			t.Fatalf("notes %q, want %q", got, want)
		}

		ingest(t, s, group("g", resolved(a, clock("10:30:00")), late))
		if got := allResolvedNotes(t, s); len(got) != 0 {
			t.Fatalf("an alert fired from 10:20 on, yet the timeline says:\n%s", strings.Join(got, "\n"))
		}
		ingest(t, s, group("g", resolved(a, clock("10:30:00")), resolved(late, clock("10:40:00"))))
		if got, want := allResolvedNotes(t, s), []string{"10:40:00 All 2 alerts of this incident have resolved"}; !slices.Equal(got, want) {
			t.Fatalf("after the late alert resolved: notes %q, want %q", got, want)
		}

		// One that had ended by then changes the count.
		ingest(t, s, group("g", resolved(early, clock("10:10:00"))))
		if got, want := allResolvedNotes(t, s), []string{"10:40:00 All 3 alerts of this incident have resolved"}; !slices.Equal(got, want) {
			t.Fatalf("after an alert that had ended came: notes %q, want %q", got, want)
		}

		// The same alerts, their ends all in one delivery, say the same.
		inOrder := another(t, s)
		ingest(t, inOrder, group("g", a))
		ingest(t, inOrder, group("g", resolved(a, clock("10:30:00")), resolved(late, clock("10:40:00")), resolved(early, clock("10:10:00"))))
		if got, want := allResolvedNotes(t, s), allResolvedNotes(t, inOrder); !slices.Equal(got, want) {
			t.Errorf("notes %q, in order %q", got, want)
		}

		// The trail tells who took the first note away.
		log, err := s.AuditLog(ctx, "INC-1")
		if err != nil {
			t.Fatal(err)
		}
		var deleted bool
		for _, e := range log {
			deleted = deleted || e.Action == incident.ActionDelete && e.Entity == "event" && e.Actor == "alertmanager"
		}
		if !deleted {
			t.Error("the audit trail does not record the note taken away")
		}
	})
}

// A late alert that fired over several notes takes them all away; once it
// resolves, each moment that is quiet again is noted again, the later ones
// too, as in order: the timeline ended with no note after its last
// resolution.
func TestLateAlertGivesBackLaterNotes(t *testing.T) {
	n1 := firing("fp1", "NoteBug", "n-1", clock("10:00:00"))
	n2 := firing("fp2", "NoteBug", "n-2", clock("10:20:00"))
	n3 := firing("fp3", "NoteBug", "n-3", clock("10:05:00"))
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ingest(t, s, group("g", n1))
		ingest(t, s, group("g", resolved(n1, clock("10:10:00"))))
		ingest(t, s, group("g", n2))
		ingest(t, s, group("g", resolved(n2, clock("10:30:00"))))
		ingest(t, s, group("g", n3))
		if got := allResolvedNotes(t, s); len(got) != 0 {
			t.Fatalf("an alert fired from 10:05 on, yet the timeline says:\n%s", strings.Join(got, "\n"))
		}
		ingest(t, s, group("g", resolved(n3, clock("10:15:00"))))
		want := []string{
			"10:15:00 All 2 alerts of this incident have resolved",
			"10:30:00 All 3 alerts of this incident have resolved",
		}
		if got := allResolvedNotes(t, s); !slices.Equal(got, want) {
			t.Fatalf("after the late alert resolved: notes %q, want %q", got, want)
		}

		inOrder := another(t, s)
		ingest(t, inOrder, group("g", n1, n3))
		ingest(t, inOrder, group("g", resolved(n1, clock("10:10:00")), resolved(n3, clock("10:15:00"))))
		ingest(t, inOrder, group("g", n2))
		ingest(t, inOrder, group("g", resolved(n2, clock("10:30:00"))))
		if got := allResolvedNotes(t, inOrder); !slices.Equal(got, want) {
			t.Errorf("in order: notes %q, want %q", got, want)
		}
	})
}

// Only notes a late alert took away come back when it resolves: one that
// comes resolved took none, and a later note the commander reworded, which
// one that fired did not take away, is left alone, not given a twin.
func TestLateResolutionLeavesLaterNotesAlone(t *testing.T) {
	n1 := firing("fp1", "NoteBug", "n-1", clock("10:00:00"))
	n2 := firing("fp2", "NoteBug", "n-2", clock("10:20:00"))
	n3 := firing("fp3", "NoteBug", "n-3", clock("10:02:00"))
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		t.Run("CameResolved", func(t *testing.T) { lateResolution(t, another(t, s), n1, n2, n3, false) })
		t.Run("FiredFirst", func(t *testing.T) { lateResolution(t, another(t, s), n1, n2, n3, true) })
	})
}

// A note of the sender at the moment all alerts resolve (PagerDuty's, of
// kind note, or its acknowledgement, of kind alert) is not the note that
// says so.
func TestSenderEntryAtQuietMomentLeavesTheNote(t *testing.T) {
	a := firing("fp1", "APIDown", "api-1", clock("10:00:00"))
	for _, kind := range []incident.EventKind{incident.KindNote, incident.KindAlert} {
		t.Run(string(kind), func(t *testing.T) {
			storetest.Each(t, func(t *testing.T, s *store.Store) {
				ingest(t, s, group("g", a))
				note := group("g", a)
				note.DeliveryID = "d-note"
				note.Entries = []incident.Event{{At: clock("10:30:00"), Kind: kind, Author: "pagerduty", Text: "Rolled back"}}
				ingest(t, s, note)
				ingest(t, s, group("g", resolved(a, clock("10:30:00"))))
				if got := timeline(detail(t, s, "INC-1")); !slices.Contains(got, "10:30:00 The alert of this incident has resolved") {
					t.Errorf("no note that all alerts resolved:\n%s", strings.Join(got, "\n"))
				}
			})
		})
	}
}

// lateResolution takes the alerts of TestLateResolutionLeavesLaterNotesAlone
// through it on s, the late one firing first or not.
func lateResolution(t *testing.T, s *store.Store, n1, n2, n3 incident.Alert, firedFirst bool) {
	ingest(t, s, group("g", n1))
	ingest(t, s, group("g", resolved(n1, clock("10:10:00"))))
	ingest(t, s, group("g", n2))
	ingest(t, s, group("g", resolved(n2, clock("10:30:00"))))
	var note int64
	for _, e := range detail(t, s, "INC-1").Events {
		if e.At.Equal(clock("10:30:00")) && strings.HasSuffix(e.Text, "have resolved") {
			note = e.ID
		}
	}
	if _, err := s.UpdateEvent(ctx, "INC-1", note, &incident.EventPatch{Text: incident.Some("Alerts stopped: cache back")}); err != nil {
		t.Fatal(err)
	}
	if firedFirst {
		ingest(t, s, group("g", n3))
	}
	ingest(t, s, group("g", resolved(n3, clock("10:05:00")))) // late, within the first run
	got := timeline(detail(t, s, "INC-1"))
	if !slices.Contains(got, "10:30:00 Alerts stopped: cache back") || slices.ContainsFunc(got, func(e string) bool {
		return strings.HasPrefix(e, "10:30:00 All")
	}) {
		t.Errorf("after the late alert resolved:\n%s", strings.Join(got, "\n"))
	}
}

// A batch that is not FireOnce adds its alert even when it shares a
// transaction with one that is: PagerDuty's reopening fires anew whatever
// fires still, as it does in a transaction of its own.
func TestReopenedFiresBesideFireOnceBatch(t *testing.T) {
	pd := func(id string, b incident.AlertBatch) *incident.AlertBatch {
		b.Source, b.GroupKey, b.DeliveryID = "pagerduty", "Q1", id
		return &b
	}
	trig := incident.Alert{Fingerprint: "Q1", Name: "API down", Status: incident.AlertFiring, StartsAt: clock("10:01:00")}
	reopened := trig
	reopened.StartsAt = clock("11:00:00")
	open := &incident.Incident{Title: "API down", Severity: incident.SEV1}
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ingest(t, s, pd("d1", incident.AlertBatch{Alerts: []incident.Alert{trig}, Open: open, FireOnce: true}))
		ack := pd("d2", incident.AlertBatch{Alerts: []incident.Alert{trig}, Open: open, FireOnce: true})
		re := pd("d3", incident.AlertBatch{Alerts: []incident.Alert{reopened}, Open: open})
		res, err := s.IngestTogether(ctx, ack, re)
		if err != nil {
			t.Fatal(err)
		}
		if res[1].Added != 1 {
			t.Fatalf("the reopening beside a FireOnce batch: %+v", res[1])
		}
	})
}

func resolvedNoteID(t *testing.T, s *store.Store) int64 {
	t.Helper()
	for _, e := range detail(t, s, "INC-1").Events {
		if strings.HasSuffix(e.Text, "of this incident has resolved") {
			return e.ID
		}
	}
	t.Fatal("no note")
	return 0
}

// What someone does to the note while a late alert's transaction is about
// to take it away, on PostgreSQL, holds once the transaction has waited
// for them: a note they highlighted or cited as evidence stays, and one
// they deleted is recorded as deleted once, by them.
func TestLateAlertWaitsForChangeToNote(t *testing.T) {
	a := firing("fp1", "APIHighLatency", "api-1:8080", clock("10:00:00"))
	late := firing("fp2", "APIHighLatency", "api-2:8080", clock("10:20:00"))
	for _, tc := range []struct {
		name   string
		change []string // statements of the other transaction, on the note ($1)
		check  func(t *testing.T, s *store.Store, note int64)
	}{{
		// What UpdateEvent does: lock the event, write it, commit later.
		name:   "Highlighted",
		change: []string{"SELECT 1 FROM events WHERE id = $1 FOR NO KEY UPDATE", "UPDATE events SET highlight = true WHERE id = $1"},
		check: func(t *testing.T, s *store.Store, _ int64) {
			if got := allResolvedNotes(t, s); len(got) != 1 {
				t.Errorf("the note the commander highlighted is gone: %q", got)
			}
		},
	}, {
		// What AddRootCause does: the evidence holds a key share of the
		// note's row, and does not change it.
		name: "CitedAsEvidence",
		change: []string{`INSERT INTO root_causes (incident_id, description, category, is_primary, created_at)
			SELECT incident_id, 'cache', 'dependency', false, now() FROM events WHERE id = $1`,
			`INSERT INTO root_cause_evidence (root_cause_id, event_id) SELECT max(id), $1 FROM root_causes`},
		check: func(t *testing.T, s *store.Store, _ int64) {
			if d := detail(t, s, "INC-1"); len(d.RootCauses) != 1 || len(d.RootCauses[0].Evidence) != 1 {
				t.Errorf("the evidence the commander cited is gone: %+v", d.RootCauses)
			}
		},
	}, {
		name:   "Deleted",
		change: []string{"DELETE FROM events WHERE id = $1"},
		check: func(t *testing.T, s *store.Store, note int64) {
			log, err := s.AuditLog(ctx, "INC-1")
			if err != nil {
				t.Fatal(err)
			}
			for _, e := range log {
				if e.Action == incident.ActionDelete && e.Entity == "event" && e.EntityID == note && e.Actor == "alertmanager" {
					t.Errorf("the trail says alertmanager deleted event %d, which the commander had", note)
				}
			}
		},
	}} {
		t.Run(tc.name, func(t *testing.T) {
			dsn := storetest.PostgresURL(t)
			s := storetest.Open(t, dsn)
			ingest(t, s, group("g", a))
			ingest(t, s, group("g", resolved(a, clock("10:30:00"))))
			note := resolvedNoteID(t, s)
			other, otx := otherTransaction(t, dsn)
			for _, q := range tc.change {
				if _, err := otx.Exec(ctx, q, note); err != nil {
					t.Fatal(err)
				}
			}
			done := make(chan error, 1)
			go func() {
				_, err := s.IngestAlerts(ctx, group("g", resolved(a, clock("10:30:00")), late))
				done <- err
			}()
			waitBlockedBy(t, other, "the late alert's ingest")
			if err := otx.Commit(ctx); err != nil {
				t.Fatal(err)
			}
			if err := <-done; err != nil {
				t.Fatal(err)
			}
			tc.check(t, s, note)
		})
	}
}

// A note someone kept stays when a late alert comes: one highlighted,
// reworded, or cited as evidence of a root cause (deleting it would take
// the evidence with it).
func TestLateAlertLeavesNoteSomeoneKept(t *testing.T) {
	a := firing("fp1", "APIHighLatency", "api-1:8080", clock("10:00:00"))
	late := firing("fp2", "APIHighLatency", "api-2:8080", clock("10:20:00"))
	for _, tc := range []struct {
		name string
		keep func(s *store.Store, note int64) error
	}{{
		name: "Highlighted",
		keep: func(s *store.Store, note int64) error {
			_, err := s.UpdateEvent(ctx, "INC-1", note, &incident.EventPatch{Highlight: incident.Some(true)})
			return err
		},
	}, {
		name: "Reworded",
		keep: func(s *store.Store, note int64) error {
			_, err := s.UpdateEvent(ctx, "INC-1", note, &incident.EventPatch{Text: incident.Some("Alerts stopped: cache back")})
			return err
		},
	}, {
		name: "CitedAsEvidence",
		keep: func(s *store.Store, note int64) error {
			return s.AddRootCause(ctx, "INC-1", &incident.RootCause{Description: "alerts stopped when the cache came back",
				Category: incident.CategoryDependency, Evidence: []int64{note}})
		},
	}} {
		t.Run(tc.name, func(t *testing.T) {
			storetest.Each(t, func(t *testing.T, s *store.Store) {
				ingest(t, s, group("g", a))
				ingest(t, s, group("g", resolved(a, clock("10:30:00"))))
				note := resolvedNoteID(t, s)
				if err := tc.keep(s, note); err != nil {
					t.Fatal(err)
				}
				before := detail(t, s, "INC-1")
				ingest(t, s, group("g", resolved(a, clock("10:30:00")), late))
				d := detail(t, s, "INC-1")
				if !slices.ContainsFunc(d.Events, func(e incident.Event) bool {
					return e.ID == note && slices.ContainsFunc(before.Events, func(b incident.Event) bool { return b.ID == note && b.Text == e.Text })
				}) {
					t.Errorf("the note is gone or changed:\n%s", strings.Join(timeline(d), "\n"))
				}
				if len(before.RootCauses) > 0 && (len(d.RootCauses) != 1 || len(d.RootCauses[0].Evidence) != 1) {
					t.Errorf("root cause evidence after the late alert: %+v", d.RootCauses)
				}
			})
		})
	}
}

// An alert attached by hand that fired at the note's moment takes the
// note away, as it would have coming by webhook. The note then stands at
// the end of the alerts' run: once the alert resolves, or at once when it
// had.
func TestAttachedAlertRevisesNote(t *testing.T) {
	a := firing("fp1", "APIHighLatency", "api-1:8080", clock("10:00:00"))
	x := firing("x1", "DiskFull", "db-1", clock("10:20:00"))
	for _, tc := range []struct {
		name     string
		attached incident.Alert // x as it is when attached
		later    []incident.Alert
		want     string
	}{
		{"Firing", x, []incident.Alert{resolved(x, clock("10:40:00"))}, "10:40:00 All 2 alerts of this incident have resolved"},
		{"Resolved", resolved(x, clock("10:35:00")), nil, "10:35:00 All 2 alerts of this incident have resolved"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			storetest.Each(t, func(t *testing.T, s *store.Store) {
				ingest(t, s, group("g", a))
				ingest(t, s, group("g", resolved(a, clock("10:30:00"))))
				ingest(t, s, &incident.AlertBatch{Source: "alertmanager", GroupKey: "db", Alerts: []incident.Alert{tc.attached}})
				var xID int64
				if err := s.QueryRow(ctx, "SELECT id FROM alerts WHERE fingerprint = 'x1'", &xID); err != nil {
					t.Fatal(err)
				}
				if _, _, err := s.AttachAlerts(ctx, "INC-1", []int64{xID}); err != nil {
					t.Fatal(err)
				}
				if tc.later != nil {
					ingest(t, s, &incident.AlertBatch{Source: "alertmanager", GroupKey: "db", Alerts: tc.later})
				}
				if got, want := allResolvedNotes(t, s), []string{tc.want}; !slices.Equal(got, want) {
					t.Errorf("notes %q, want %q", got, want)
				}
			})
		})
	}
}
