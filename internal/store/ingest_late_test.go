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

// A note the commander highlighted stays, as does one they reworded.
func TestLateAlertLeavesHighlightedNote(t *testing.T) {
	a := firing("fp1", "APIHighLatency", "api-1:8080", clock("10:00:00"))
	late := firing("fp2", "APIHighLatency", "api-2:8080", clock("10:20:00"))
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ingest(t, s, group("g", a))
		ingest(t, s, group("g", resolved(a, clock("10:30:00"))))
		for _, e := range detail(t, s, "INC-1").Events {
			if strings.HasSuffix(e.Text, "of this incident has resolved") {
				if _, err := s.UpdateEvent(ctx, "INC-1", e.ID, &incident.EventPatch{Highlight: incident.Some(true)}); err != nil {
					t.Fatal(err)
				}
			}
		}
		ingest(t, s, group("g", resolved(a, clock("10:30:00")), late))
		if got, want := allResolvedNotes(t, s), []string{"10:30:00 The alert of this incident has resolved"}; !slices.Equal(got, want) {
			t.Errorf("notes %q, want the highlighted %q", got, want)
		}
	})
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
