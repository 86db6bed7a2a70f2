package store_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"hindsight/internal/incident"
	"hindsight/internal/store"
	"hindsight/internal/store/storetest"
)

// clock returns 2024-01-25 at hh:mm:ss UTC.
func clock(hhmmss string) time.Time {
	t, err := time.Parse(time.RFC3339, "2024-01-25T"+hhmmss+"Z")
	if err != nil {
		panic(err)
	}
	return t
}

func firing(fp, name, instance string, start time.Time) incident.Alert {
	return incident.Alert{Fingerprint: fp, Name: name, Status: incident.AlertFiring, StartsAt: start,
		Labels:      map[string]string{"alertname": name, "instance": instance, "severity": "critical"},
		Annotations: map[string]string{"summary": name + " is bad"}}
}

func resolved(a incident.Alert, end time.Time) incident.Alert {
	a.Status, a.EndsAt = incident.AlertResolved, &end
	return a
}

// group returns a batch of one Alertmanager group that opens a SEV1.
func group(key string, alerts ...incident.Alert) *incident.AlertBatch {
	// A copy, as each request decodes its own: ingest normalizes in place.
	return &incident.AlertBatch{Source: "alertmanager", GroupKey: key, Alerts: append([]incident.Alert(nil), alerts...),
		Open: &incident.Incident{Title: "API latency", Severity: incident.SEV1, Services: []string{"api"}}}
}

func ingest(t *testing.T, s *store.Store, b *incident.AlertBatch) *incident.IngestResult {
	t.Helper()
	res, err := s.IngestAlerts(ctx, b)
	if err != nil {
		t.Fatalf("ingest: %v", err)
	}
	return res
}

func detail(t *testing.T, s *store.Store, ref string) *incident.Detail {
	t.Helper()
	d, err := s.IncidentDetail(ctx, ref)
	if err != nil {
		t.Fatalf("detail %s: %v", ref, err)
	}
	return d
}

// timeline renders the alert entries as "15:04:05 text" lines.
func timeline(d *incident.Detail) []string {
	var out []string
	for _, e := range d.Events {
		if e.Kind == incident.KindAlert || e.Source == incident.SourceWebhook {
			out = append(out, e.At.Format("15:04:05")+" "+e.Text)
		}
	}
	return out
}

func wantTimeline(t *testing.T, d *incident.Detail, want ...string) {
	t.Helper()
	got := timeline(d)
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("timeline of %s:\n%s\nwant:\n%s", d.Ref, strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func countRows(t *testing.T, s *store.Store, query string, args ...any) int {
	t.Helper()
	var n int
	if err := s.QueryRow(ctx, query, &n, args...); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	return n
}

func TestIngestAlerts(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		a1 := firing("fp1", "APIHighLatency", "api-1:8080", clock("10:00:00"))
		a2 := firing("fp2", "APIHighLatency", "api-2:8080", clock("10:00:30"))

		t.Run("OpensIncident", func(t *testing.T) {
			res := ingest(t, s, group("g1", a1, a2))
			if !res.Opened || res.IncidentRef != "INC-1" || res.Added != 2 || res.Duplicates != 0 || res.Received != 2 {
				t.Fatalf("result %+v", res)
			}
			d := detail(t, s, "INC-1")
			if d.Title != "API latency" || d.Severity != incident.SEV1 || d.Status != incident.StatusInvestigating ||
				fmt.Sprint(d.Services) != "[api]" {
				t.Errorf("incident %+v", d.Incident)
			}
			if !d.StartedAt.Equal(clock("10:00:00")) || !d.DetectedAt.Equal(clock("10:00:00")) {
				t.Errorf("started %v detected %v, want the earliest startsAt", d.StartedAt, d.DetectedAt)
			}
			if len(d.Alerts) != 2 || d.Alerts[0].Fingerprint != "fp1" || d.Alerts[0].Labels["instance"] != "api-1:8080" {
				t.Fatalf("alerts %+v", d.Alerts)
			}
			wantTimeline(t, d, "10:00:00 APIHighLatency firing on 2 instances")
			e := d.Events[0]
			if e.Kind != incident.KindAlert || e.Source != incident.SourceWebhook || e.Highlight || e.Author != "alertmanager" {
				t.Errorf("entry %+v", e)
			}
		})

		t.Run("RepeatChangesNothing", func(t *testing.T) {
			before := detail(t, s, "INC-1")
			res := ingest(t, s, group("g1", a1, a2))
			if res.Opened || res.Added != 0 || res.Duplicates != 2 || res.IncidentRef != "INC-1" {
				t.Fatalf("result %+v", res)
			}
			after := detail(t, s, "INC-1")
			if len(after.Events) != len(before.Events) || len(after.Alerts) != 2 || after.Version != before.Version {
				t.Fatalf("repeat changed the incident: %d events, %d alerts", len(after.Events), len(after.Alerts))
			}
			if n := countRows(t, s, "SELECT COUNT(*) FROM incidents"); n != 1 {
				t.Fatalf("%d incidents", n)
			}
		})

		t.Run("LaterAlertsAttach", func(t *testing.T) {
			a3 := firing("fp3", "APIHighLatency", "api-3:8080", clock("10:20:00"))
			res := ingest(t, s, group("g1", a1, a2, a3))
			if res.Opened || res.Added != 1 || res.IncidentRef != "INC-1" {
				t.Fatalf("result %+v", res)
			}
			wantTimeline(t, detail(t, s, "INC-1"),
				"10:00:00 APIHighLatency firing on 2 instances",
				"10:20:00 APIHighLatency firing on api-3:8080: APIHighLatency is bad")
		})

		t.Run("PartlyResolved", func(t *testing.T) {
			a3 := firing("fp3", "APIHighLatency", "api-3:8080", clock("10:20:00"))
			res := ingest(t, s, group("g1", resolved(a1, clock("11:00:00")), a2, a3))
			if res.Resolved != 1 || res.Added != 0 || res.Duplicates != 2 {
				t.Fatalf("result %+v", res)
			}
			wantTimeline(t, detail(t, s, "INC-1"),
				"10:00:00 APIHighLatency firing on 2 instances",
				"10:20:00 APIHighLatency firing on api-3:8080: APIHighLatency is bad",
				"11:00:00 APIHighLatency resolved on api-1:8080")
		})

		t.Run("AllResolved", func(t *testing.T) {
			a3 := firing("fp3", "APIHighLatency", "api-3:8080", clock("10:20:00"))
			b := group("g1", resolved(a1, clock("11:00:00")), resolved(a2, clock("11:01:00")), resolved(a3, clock("11:02:00")))
			res := ingest(t, s, b)
			if res.Resolved != 2 || res.Duplicates != 1 {
				t.Fatalf("result %+v", res)
			}
			ingest(t, s, b) // a repeat adds nothing
			d := detail(t, s, "INC-1")
			wantTimeline(t, d,
				"10:00:00 APIHighLatency firing on 2 instances",
				"10:20:00 APIHighLatency firing on api-3:8080: APIHighLatency is bad",
				"11:00:00 APIHighLatency resolved on 3 instances",
				"11:02:00 All 3 alerts of this incident have resolved")
			if d.Status != incident.StatusInvestigating || d.ResolvedAt != nil {
				t.Errorf("the webhook resolved the incident: %s %v", d.Status, d.ResolvedAt)
			}
			for _, a := range d.Alerts {
				if a.Status != incident.AlertResolved || a.EndsAt == nil {
					t.Errorf("alert %s: %s %v", a.Fingerprint, a.Status, a.EndsAt)
				}
			}
		})

		t.Run("NewIncidentAfterResolution", func(t *testing.T) {
			v := 0
			inc := detail(t, s, "INC-1")
			v = inc.Version
			if _, err := s.UpdateIncident(ctx, "INC-1", &incident.Patch{Version: &v, Status: incident.Some(incident.StatusResolved)}); err != nil {
				t.Fatal(err)
			}
			// The old snapshot again: nothing new fires, so nothing opens.
			if res := ingest(t, s, group("g1", a1, a2)); res.Opened || res.IncidentRef != "" {
				t.Fatalf("a repeat opened an incident: %+v", res)
			}
			a4 := firing("fp1", "APIHighLatency", "api-1:8080", clock("12:00:00")) // fires again: a new occurrence
			res := ingest(t, s, group("g1", a4))
			if !res.Opened || res.IncidentRef != "INC-2" {
				t.Fatalf("result %+v", res)
			}
			d := detail(t, s, "INC-2")
			if len(d.Alerts) != 1 || !d.DetectedAt.Equal(clock("12:00:00")) {
				t.Fatalf("INC-2: %d alerts, detected %v", len(d.Alerts), d.DetectedAt)
			}
			if n := len(detail(t, s, "INC-1").Alerts); n != 3 {
				t.Errorf("INC-1 has %d alerts, want 3", n)
			}
		})
	})
}

// A payload that lists one alert twice, firing and resolved, stores it
// resolved at once: sent again, it changes nothing.
func TestIngestAlertListedTwice(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		a := firing("fp1", "APIHighLatency", "api-1:8080", clock("10:00:00"))
		b := firing("fp2", "APIHighLatency", "api-2:8080", clock("10:01:00"))
		twice := func() *incident.AlertBatch { return group("g", a, resolved(a, clock("10:30:00")), a, b) }
		if res := ingest(t, s, twice()); res.Received != 2 || res.Added != 2 {
			t.Fatalf("result %+v", res)
		}
		d := detail(t, s, "INC-1")
		if len(d.Alerts) != 2 || d.Alerts[0].Status != incident.AlertResolved {
			t.Fatalf("alerts %+v", d.Alerts)
		}
		want := timeline(d)
		if res := ingest(t, s, twice()); res.Added != 0 || res.Resolved != 0 || res.Duplicates != 2 {
			t.Fatalf("again: %+v", res)
		}
		wantTimeline(t, detail(t, s, "INC-1"), want...)
	})
}

func TestIngestAlertsOpenAt(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		w := firing("w1", "DiskFilling", "db-1", clock("09:00:00"))
		below := &incident.AlertBatch{Source: "alertmanager", GroupKey: "disk", Alerts: []incident.Alert{w}}
		res := ingest(t, s, below)
		if res.Opened || res.IncidentRef != "" || res.Added != 1 {
			t.Fatalf("result %+v", res)
		}
		if n := countRows(t, s, "SELECT COUNT(*) FROM incidents"); n != 0 {
			t.Fatalf("%d incidents opened below the threshold", n)
		}
		got, err := s.UnattachedAlerts(ctx, 10)
		if err != nil || len(got) != 1 || got[0].Fingerprint != "w1" || got[0].IncidentID != nil {
			t.Fatalf("unattached %+v %v", got, err)
		}

		c := firing("c1", "DiskFull", "db-1", clock("09:10:00"))
		res = ingest(t, s, group("disk", w, c))
		if !res.Opened || res.Added != 1 {
			t.Fatalf("result %+v", res)
		}
		// The alert that waited, still firing, joins the incident and
		// dates its detection, as it would have had both come at once.
		d := detail(t, s, res.IncidentRef)
		if len(d.Alerts) != 2 || d.Alerts[0].Fingerprint != "w1" || d.Alerts[1].Fingerprint != "c1" || !d.DetectedAt.Equal(clock("09:00:00")) {
			t.Fatalf("incident %+v with %+v", d.Incident, d.Alerts)
		}

		// While it is open, alerts below the threshold join it.
		w2 := firing("w2", "DiskFilling", "db-2", clock("09:20:00"))
		below.Alerts = []incident.Alert{w2}
		if res := ingest(t, s, below); res.IncidentRef != d.Ref || res.Opened {
			t.Fatalf("result %+v", res)
		}
	})
}

func TestIngestAlertsCollapse(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		var alerts []incident.Alert
		for i := range 240 {
			start := clock("10:00:00").Add(time.Duration(i) * time.Second)
			alerts = append(alerts, firing(fmt.Sprintf("fp%03d", i), "APIHighLatency", fmt.Sprintf("api-%d:8080", i), start))
		}
		// The storm arrives in growing snapshots, as Alertmanager sends it.
		for _, n := range []int{1, 40, 200, 240} {
			ingest(t, s, group("storm", alerts[:n]...))
		}
		late := firing("late", "APIHighLatency", "api-late:8080", clock("10:30:00"))
		other := firing("other", "APIErrors", "api-1:8080", clock("10:01:00"))
		ingest(t, s, group("storm", append(alerts, late, other)...))
		d := detail(t, s, "INC-1")
		wantTimeline(t, d,
			"10:00:00 APIHighLatency firing on 240 instances",
			"10:01:00 APIErrors firing on api-1:8080: APIErrors is bad",
			"10:30:00 APIHighLatency firing on api-late:8080: APIHighLatency is bad")
		if len(d.Alerts) != 242 {
			t.Fatalf("%d alerts", len(d.Alerts))
		}

		var ended []incident.Alert
		for i, a := range alerts {
			ended = append(ended, resolved(a, clock("11:00:00").Add(time.Duration(i)*time.Second)))
		}
		ingest(t, s, group("storm", ended[:100]...))
		ingest(t, s, group("storm", ended...))
		ingest(t, s, group("storm", resolved(late, clock("11:10:00")), resolved(other, clock("11:11:00"))))
		wantTimeline(t, detail(t, s, "INC-1"),
			"10:00:00 APIHighLatency firing on 240 instances",
			"10:01:00 APIErrors firing on api-1:8080: APIErrors is bad",
			"10:30:00 APIHighLatency firing on api-late:8080: APIHighLatency is bad",
			"11:00:00 APIHighLatency resolved on 240 instances",
			"11:10:00 APIHighLatency resolved on api-late:8080",
			"11:11:00 APIErrors resolved on api-1:8080",
			"11:11:00 All 242 alerts of this incident have resolved")
	})
}

// Alerts join an entry within CollapseWindow of its start whether they
// come one to a notification or several: an alert six minutes after the
// entry's first one starts an entry of its own, also when it comes
// together with one that joins.
func TestIngestAlertsCollapseDoesNotDependOnBatching(t *testing.T) {
	a := firing("a", "APIHighLatency", "api-a:8080", clock("10:00:00"))
	b := firing("b", "APIHighLatency", "api-b:8080", clock("10:04:59"))
	c := firing("c", "APIHighLatency", "api-c:8080", clock("10:06:00"))
	want := []string{
		"10:00:00 APIHighLatency firing on 2 instances",
		"10:06:00 APIHighLatency firing on api-c:8080: APIHighLatency is bad",
	}
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		oneByOne, together, inOneTransaction := s, another(t, s), another(t, s)
		for _, st := range []*store.Store{oneByOne, together, inOneTransaction} {
			ingest(t, st, group("g", a))
		}
		ingest(t, oneByOne, group("g", a, b))
		ingest(t, oneByOne, group("g", a, b, c))
		ingest(t, together, group("g", a, b, c))
		if _, err := inOneTransaction.IngestTogether(ctx, group("g", a, b), group("g", a, b, c)); err != nil {
			t.Fatal(err)
		}
		for name, st := range map[string]*store.Store{"one by one": oneByOne, "together": together, "in one transaction": inOneTransaction} {
			if got := timeline(detail(t, st, "INC-1")); strings.Join(got, "\n") != strings.Join(want, "\n") {
				t.Errorf("%s:\n%s\nwant:\n%s", name, strings.Join(got, "\n"), strings.Join(want, "\n"))
			}
		}
	})
}

// Alerts that started before an entry's first ones, within its window,
// join it and move it back to their start.
func TestIngestAlertsCollapseEarlier(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		a := firing("a", "APIHighLatency", "api-a:8080", clock("10:02:00"))
		b := firing("b", "APIHighLatency", "api-b:8080", clock("10:03:00"))
		ingest(t, s, group("late", a, b))
		wantTimeline(t, detail(t, s, "INC-1"), "10:02:00 APIHighLatency firing on 2 instances")

		early := firing("early", "APIHighLatency", "api-early:8080", clock("10:00:30"))
		ingest(t, s, group("late", a, b, early))
		wantTimeline(t, detail(t, s, "INC-1"), "10:00:30 APIHighLatency firing on 3 instances")

		// The window now starts from the earlier alert: 09:56 is within
		// CollapseWindow of 10:00:30, not of 10:02.
		earlier := firing("earlier", "APIHighLatency", "api-earlier:8080", clock("09:56:00"))
		ingest(t, s, group("late", a, b, early, earlier))
		wantTimeline(t, detail(t, s, "INC-1"), "09:56:00 APIHighLatency firing on 4 instances")
	})
}

func TestIngestAlertsDeliveries(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ack := clock("10:05:00")
		pd := func(id string, b incident.AlertBatch) *incident.AlertBatch {
			b.Source, b.GroupKey, b.DeliveryID, b.FireOnce = "pagerduty", "Q1", id, true
			return &b
		}
		trig := incident.Alert{Fingerprint: "Q1", Name: "API down", Status: incident.AlertFiring, StartsAt: clock("10:01:00")}
		open := &incident.Incident{Title: "API down", Severity: incident.SEV1}

		t.Run("Triggered", func(t *testing.T) {
			res := ingest(t, s, pd("d1", incident.AlertBatch{Alerts: []incident.Alert{trig}, Open: open}))
			if !res.Opened || res.IncidentRef != "INC-1" {
				t.Fatalf("result %+v", res)
			}
		})
		t.Run("RedeliveryIgnored", func(t *testing.T) {
			res := ingest(t, s, pd("d1", incident.AlertBatch{Alerts: []incident.Alert{trig}, Open: open}))
			if !res.Repeated || res.Duplicates != 1 || res.IncidentRef != "" {
				t.Fatalf("result %+v", res)
			}
		})
		t.Run("Acknowledged", func(t *testing.T) {
			b := pd("d2", incident.AlertBatch{Alerts: []incident.Alert{trig}, AcknowledgedAt: &ack,
				Entries: []incident.Event{{At: ack, Kind: incident.KindAlert, Text: "Acknowledged in PagerDuty by Ana", Author: "pagerduty"}}})
			if res := ingest(t, s, b); res.Added != 0 || res.IncidentRef != "INC-1" {
				t.Fatalf("result %+v", res)
			}
			d := detail(t, s, "INC-1")
			if d.AcknowledgedAt == nil || !d.AcknowledgedAt.Equal(ack) || d.Version != 2 {
				t.Fatalf("acknowledged_at %v version %d", d.AcknowledgedAt, d.Version)
			}
			later := clock("10:09:00")
			b = pd("d3", incident.AlertBatch{AcknowledgedAt: &later})
			ingest(t, s, b)
			if d := detail(t, s, "INC-1"); !d.AcknowledgedAt.Equal(ack) {
				t.Fatalf("a second acknowledgement moved acknowledged_at to %v", d.AcknowledgedAt)
			}
		})
		t.Run("FireOnce", func(t *testing.T) {
			again := trig
			again.StartsAt = clock("10:07:00")
			if res := ingest(t, s, pd("d4", incident.AlertBatch{Alerts: []incident.Alert{again}, Open: open})); res.Added != 0 {
				t.Fatalf("a firing alert that already fires was added: %+v", res)
			}
		})
		t.Run("ResolveByFingerprint", func(t *testing.T) {
			b := pd("d5", incident.AlertBatch{Resolve: []incident.AlertEnd{{Fingerprint: "Q1", At: clock("10:30:00")}}})
			if res := ingest(t, s, b); res.Resolved != 1 {
				t.Fatalf("result %+v", res)
			}
			wantTimeline(t, detail(t, s, "INC-1"),
				"10:01:00 API down firing",
				"10:05:00 Acknowledged in PagerDuty by Ana",
				"10:30:00 API down resolved",
				"10:30:00 The alert of this incident has resolved")
		})
		t.Run("Reopened", func(t *testing.T) {
			re := trig
			re.StartsAt = clock("10:40:00")
			res := ingest(t, s, pd("d6", incident.AlertBatch{Alerts: []incident.Alert{re}, Open: open}))
			if res.Added != 1 || res.IncidentRef != "INC-1" || res.Opened {
				t.Fatalf("result %+v", res)
			}
		})
		t.Run("ErrEntriesNeedDeliveryID", func(t *testing.T) {
			b := &incident.AlertBatch{Source: "pagerduty", GroupKey: "Q1",
				Entries: []incident.Event{{At: ack, Text: "note"}}}
			_, err := s.IngestAlerts(ctx, b)
			wantCode(t, err, incident.EINVALID, "delivery_id")
		})
	})
}

func TestIngestAlertsAudit(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		am := incident.WithActor(ctx, "token:alertmanager")
		a1 := firing("fp1", "APIHighLatency", "api-1:8080", clock("10:00:00"))
		a2 := firing("fp2", "APIHighLatency", "api-2:8080", clock("10:00:30"))
		if _, err := s.IngestAlerts(am, group("g", a1)); err != nil {
			t.Fatal(err)
		}
		w := store.NewAlertWriter(s, store.AlertWriterConfig{})
		defer closeWriter(t, w)
		if _, err := w.IngestAlerts(am, group("g", a1, a2)); err != nil {
			t.Fatal(err)
		}
		ack := clock("10:05:00")
		// The same group, acknowledged by a caller without a token name.
		acked := &incident.AlertBatch{Source: "alertmanager", GroupKey: "g", DeliveryID: "d1", AcknowledgedAt: &ack}
		if _, err := w.IngestAlerts(ctx, acked); err != nil {
			t.Fatal(err)
		}
		log, err := s.AuditLog(ctx, "INC-1")
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, e := range log {
			got = append(got, e.Actor+" "+e.Entity+" "+e.Action)
		}
		want := []string{
			"token:alertmanager incident create",
			"token:alertmanager event create",
			"token:alertmanager event update", // the entry now stands for 2 alerts
			"alertmanager incident update",    // acknowledged
		}
		if strings.Join(got, "\n") != strings.Join(want, "\n") {
			t.Fatalf("audit trail:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
		}
		if c := log[2].Changes["text"]; !strings.Contains(fmt.Sprint(c.New), "2 instances") {
			t.Errorf("entry update records %+v", log[2].Changes)
		}
		if _, ok := log[3].Changes["acknowledged_at"]; !ok {
			t.Errorf("acknowledgement records %+v", log[3].Changes)
		}
	})
}

// An entry whose time a commander changed by hand, and that more alerts
// then join, goes back to its alerts' start; its audit record says from
// where, and the record of an entry nobody moved says nothing of its time.
func TestIngestAlertsEntryMovedByHand(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		a := firing("fp1", "APIHighLatency", "api-1:8080", clock("10:00:00"))
		ingest(t, s, group("g", a))
		entry := detail(t, s, "INC-1").Events[0]
		if _, err := s.UpdateEvent(ctx, "INC-1", entry.ID, &incident.EventPatch{At: incident.Some(clock("10:20:00"))}); err != nil {
			t.Fatal(err)
		}
		ingest(t, s, group("g", a, firing("fp2", "APIHighLatency", "api-2:8080", clock("10:00:30"))))
		ingest(t, s, group("g", a, firing("fp3", "APIHighLatency", "api-3:8080", clock("10:00:40"))))
		wantTimeline(t, detail(t, s, "INC-1"), "10:00:00 APIHighLatency firing on 3 instances")

		log, err := s.AuditLog(ctx, "INC-1")
		if err != nil {
			t.Fatal(err)
		}
		var updates []incident.AuditEntry
		for _, e := range log {
			if e.Entity == "event" && e.Action == incident.ActionUpdate {
				updates = append(updates, e)
			}
		}
		if len(updates) != 3 {
			t.Fatalf("%d event updates in the audit trail, want 3 (by hand, then two joins)", len(updates))
		}
		moved := updates[1].Changes
		if at := moved["at"]; at.Old != "2024-01-25T10:20:00Z" || at.New != "2024-01-25T10:00:00Z" {
			t.Errorf("first join records the time %+v, want from 10:20 back to 10:00", at)
		}
		if text := moved["text"]; text.Old != "APIHighLatency firing on api-1:8080: APIHighLatency is bad" || text.New != "APIHighLatency firing on 2 instances" {
			t.Errorf("first join records the text %+v", text)
		}
		if _, ok := updates[2].Changes["at"]; ok || len(updates[2].Changes) != 1 {
			t.Errorf("second join records %+v, want the text alone", updates[2].Changes)
		}
	})
}

// The last two firing alerts of an incident, of two groups, resolve at the
// same moment: one of the two deliveries says on the timeline that every
// alert has resolved. (On PostgreSQL each ran in its own transaction and
// saw the other's alert still firing.)
func TestIngestAlertsAllResolvedAcrossGroups(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		for i := range 20 {
			latency := firing(fmt.Sprintf("lat%d", i), "APIHighLatency", "api-1", clock("10:00:00"))
			opened := ingest(t, s, group(fmt.Sprintf("api-%d", i), latency))
			// Below the open-at threshold, attached by hand.
			disk := firing(fmt.Sprintf("disk%d", i), "DiskFull", "db-1", clock("10:01:00"))
			ingest(t, s, &incident.AlertBatch{Source: "alertmanager", GroupKey: fmt.Sprintf("db-%d", i), Alerts: []incident.Alert{disk}})
			var diskID int64
			if err := s.QueryRow(ctx, "SELECT id FROM alerts WHERE fingerprint = ?", &diskID, disk.Fingerprint); err != nil {
				t.Fatal(err)
			}
			if _, _, err := s.AttachAlerts(ctx, opened.IncidentRef, []int64{diskID}); err != nil {
				t.Fatal(err)
			}

			ends := []*incident.AlertBatch{
				group(fmt.Sprintf("api-%d", i), resolved(latency, clock("10:30:00"))),
				{Source: "alertmanager", GroupKey: fmt.Sprintf("db-%d", i), Alerts: []incident.Alert{resolved(disk, clock("10:31:00"))}},
			}
			errs := make([]error, len(ends))
			var wg sync.WaitGroup
			for j, b := range ends {
				wg.Go(func() { _, errs[j] = s.IngestAlerts(ctx, b) })
			}
			wg.Wait()
			if err := errors.Join(errs...); err != nil {
				t.Fatalf("round %d: %v", i, err)
			}
			notes := 0
			for _, e := range detail(t, s, opened.IncidentRef).Events {
				if e.Text == incident.AllAlertsResolvedText(2) {
					notes++
				}
			}
			if notes != 1 {
				t.Fatalf("round %d: %d entries say that every alert has resolved, want 1", i, notes)
			}
		}
	})
}

// waitBlockedBy waits until a transaction waits for a lock that conn's
// transaction holds.
func waitBlockedBy(t *testing.T, conn *pgx.Conn, what string) {
	t.Helper()
	waitBlockedByN(t, conn, 1, what)
}

// waitBlockedByN waits until n transactions wait for locks that conn's
// transaction holds, or for one of those waiting for it (PostgreSQL
// queues the second waiter for a row behind the first).
func waitBlockedByN(t *testing.T, conn *pgx.Conn, n int, what string) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		if blockedBy(t, conn) >= n {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s never waited", what)
		}
	}
}

// blockedBy counts the transactions that wait for locks conn's transaction
// holds, or for one of those waiting for it.
func blockedBy(t *testing.T, conn *pgx.Conn) int {
	t.Helper()
	var waiting int
	if err := conn.QueryRow(ctx, `WITH first AS (SELECT pid FROM pg_stat_activity
			WHERE pg_backend_pid() = ANY (pg_blocking_pids(pid)))
		SELECT count(*) FROM pg_stat_activity
		WHERE pid IN (SELECT pid FROM first) OR pg_blocking_pids(pid) && ARRAY(SELECT pid FROM first)`).Scan(&waiting); err != nil {
		t.Fatal(err)
	}
	return waiting
}

// otherTransaction begins a transaction on a connection of its own, as
// another replica's or a commander's.
func otherTransaction(t *testing.T, dsn string) (*pgx.Conn, pgx.Tx) {
	t.Helper()
	other, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { other.Close(ctx) })
	otx, err := other.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { otx.Rollback(ctx) })
	return other, otx
}

// holdGroup begins a transaction on a connection of its own that holds the
// row of an alert group, as another replica's ingest does first.
func holdGroup(t *testing.T, dsn, key string) (*pgx.Conn, pgx.Tx) {
	t.Helper()
	other, otx := otherTransaction(t, dsn)
	if _, err := otx.Exec(ctx, `INSERT INTO alert_groups (source, group_key) VALUES ('alertmanager', $1)
		ON CONFLICT (source, group_key) DO UPDATE SET group_key = excluded.group_key`, key); err != nil {
		t.Fatal(err)
	}
	return other, otx
}

// A transaction of several groups takes the lock of an incident only after
// those of all its groups, as every other does: on PostgreSQL, one that
// held the incident while it waited for a group that another replica's
// transaction held, itself waiting for the incident, deadlocked.
func TestIngestLocksGroupsBeforeIncidents(t *testing.T) {
	dsn := storetest.PostgresURL(t)
	s := storetest.Open(t, dsn)
	opened := ingest(t, s, group("api", firing("lat", "APIHighLatency", "api-1", clock("10:00:00"))))
	disk := firing("disk", "DiskFull", "db-1", clock("10:01:00"))
	ingest(t, s, &incident.AlertBatch{Source: "alertmanager", GroupKey: "db", Alerts: []incident.Alert{disk}})
	var diskID int64
	if err := s.QueryRow(ctx, "SELECT id FROM alerts WHERE fingerprint = 'disk'", &diskID); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.AttachAlerts(ctx, opened.IncidentRef, []int64{diskID}); err != nil {
		t.Fatal(err)
	}

	// The other replica holds group zz...
	other, otx := holdGroup(t, dsn, "zz")
	// ...while this one ends the disk alert of group db, then waits for zz.
	done := make(chan error, 1)
	go func() {
		_, err := s.IngestTogether(ctx,
			&incident.AlertBatch{Source: "alertmanager", GroupKey: "db", Alerts: []incident.Alert{resolved(disk, clock("10:30:00"))}},
			group("zz", firing("zz1", "QueueBacklog", "mq-1", clock("10:02:00"))))
		done <- err
	}()
	waitBlockedBy(t, other, "the transaction of groups db and zz")
	// The other replica now locks the incident, as it would at its end.
	lctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if _, err := otx.Exec(lctx, "SELECT 1 FROM incidents WHERE id = $1 FOR NO KEY UPDATE", opened.IncidentID); err != nil {
		t.Fatalf("the other replica locks the incident: %v", err)
	}
	if err := otx.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Fatalf("the transaction of groups db and zz: %v", err)
	}
}

// A transaction that opens an incident for one group takes the counter of
// refs only after the rows of all its groups: on PostgreSQL, one that held
// the counter while it waited for a group that another replica's
// transaction held, itself opening an incident, deadlocked.
func TestIngestLocksGroupsBeforeCounter(t *testing.T) {
	dsn := storetest.PostgresURL(t)
	s := storetest.Open(t, dsn)
	other, otx := holdGroup(t, dsn, "zz")
	// This one opens an incident for the new group aa, then waits for zz.
	done := make(chan error, 1)
	go func() {
		_, err := s.IngestTogether(ctx,
			group("aa", firing("aa1", "APIHighLatency", "api-1", clock("10:00:00"))),
			group("zz", firing("zz1", "QueueBacklog", "mq-1", clock("10:02:00"))))
		done <- err
	}()
	waitBlockedBy(t, other, "the transaction of groups aa and zz")
	// The other replica now opens an incident of its own.
	lctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if _, err := otx.Exec(lctx, "UPDATE counters SET value = value + 1 WHERE name = 'incident_ref'"); err != nil {
		t.Fatalf("the other replica takes a ref: %v", err)
	}
	if err := otx.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Fatalf("the transaction of groups aa and zz: %v", err)
	}
	// The ref the other replica took is not handed out again.
	if d := detail(t, s, "INC-2"); len(d.Alerts) != 1 || d.Alerts[0].Fingerprint != "aa1" {
		t.Errorf("INC-2 holds %+v, want group aa's alert", d.Alerts)
	}
}

// An alert of a group that opens no incident, and a group that opens one:
// the transaction takes the counter of refs before it writes the alert.
// On PostgreSQL, one that wrote the alert first and then waited for the
// counter deadlocked with another replica's transaction that held the
// counter and came to write the same alert, routed to a group of its own.
// The group that opens one may do so with a firing alert, or with a
// resolved one: a PagerDuty resolution that comes before its trigger
// (OpenResolved).
func TestIngestLocksCounterBeforeAlerts(t *testing.T) {
	end := clock("10:30:00")
	resolvedFirst := &incident.AlertBatch{Source: "pagerduty", GroupKey: "Q1", DeliveryID: "wh-1",
		Alerts:  []incident.Alert{{Fingerprint: "Q1", Name: "PD", Status: incident.AlertResolved, StartsAt: clock("10:01:00"), EndsAt: &end}},
		Resolve: []incident.AlertEnd{{Fingerprint: "Q1", At: end, OnlyStarted: true}},
		Open:    &incident.Incident{Title: "PD", Severity: incident.SEV1}, OpenResolved: true}
	for name, opening := range map[string]*incident.AlertBatch{
		"Firing":   group("c", firing("c1", "QueueBacklog", "mq-1", clock("10:02:00"))),
		"Resolved": resolvedFirst,
	} {
		t.Run(name, func(t *testing.T) {
			dsn := storetest.PostgresURL(t)
			s := storetest.Open(t, dsn)
			// The other replica holds groups b and d, and opens an incident for b.
			other, otx := holdGroup(t, dsn, "b")
			if _, err := otx.Exec(ctx, `INSERT INTO alert_groups (source, group_key) VALUES ('alertmanager', 'd')`); err != nil {
				t.Fatal(err)
			}
			if _, err := otx.Exec(ctx, "UPDATE counters SET value = value + 1 WHERE name = 'incident_ref'"); err != nil {
				t.Fatal(err)
			}
			shared := firing("shared", "NodeDown", "node-1", clock("10:00:00"))
			done := make(chan error, 1)
			go func() {
				below := &incident.AlertBatch{Source: "alertmanager", GroupKey: "a", Alerts: []incident.Alert{shared}}
				_, err := s.IngestTogether(ctx, below, opening)
				done <- err
			}()
			waitBlockedBy(t, other, "the transaction of group a and the one that opens")
			// The other replica writes the same alert for group d.
			lctx, cancel := context.WithTimeout(ctx, 5*time.Second)
			defer cancel()
			if err := insertOtherAlert(lctx, otx, "d", "shared", shared.StartsAt); err != nil {
				t.Fatalf("the other replica writes the alert: %v", err)
			}
			if err := otx.Commit(ctx); err != nil {
				t.Fatal(err)
			}
			if err := <-done; err != nil {
				t.Fatalf("the transaction of group a and the one that opens: %v", err)
			}
		})
	}
}

// Alerts that waited unattached and join the incident their group opens
// are locked in key order with those the transaction ends: another
// transaction that ends both, in key order, does not deadlock with it.
func TestIngestLocksWaitingAlertsInKeyOrder(t *testing.T) {
	dsn := storetest.PostgresURL(t)
	s := storetest.Open(t, dsn)
	w := firing("w", "APIErrors", "api-1", clock("09:00:00"))
	v := firing("v", "APISlow", "api-2", clock("09:30:00"))
	ingest(t, s, &incident.AlertBatch{Source: "alertmanager", GroupKey: "g1", Alerts: []incident.Alert{w, v}})
	other, otx := otherTransaction(t, dsn)
	// The other transaction, a delivery that ends w and v, locks w first.
	if _, err := otx.Exec(ctx, "SELECT 1 FROM alerts WHERE fingerprint = 'w' FOR NO KEY UPDATE"); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() {
		// v ends, c opens an incident, and w, still firing, joins it.
		_, err := s.IngestTogether(ctx, group("g1", w, resolved(v, clock("10:01:00")), firing("c", "APIDown", "api-3", clock("10:00:00"))))
		done <- err
	}()
	waitBlockedBy(t, other, "the delivery of g1")
	lctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if _, err := otx.Exec(lctx, "SELECT 1 FROM alerts WHERE fingerprint = 'v' FOR NO KEY UPDATE"); err != nil {
		t.Fatalf("the other transaction locks v: %v", err)
	}
	if err := otx.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Fatalf("the delivery of g1: %v", err)
	}
	if d := detail(t, s, "INC-1"); len(d.Alerts) != 2 {
		t.Errorf("INC-1 has %d alerts, want w and c", len(d.Alerts))
	}
}

// On PostgreSQL, a delivery that joins an entry whose lock it waited for
// records the text the entry had when the lock came free, not before.
func TestIngestAlertsEntryTextAfterWait(t *testing.T) {
	dsn := storetest.PostgresURL(t)
	s := storetest.Open(t, dsn)
	a := firing("fp1", "APIHighLatency", "api-1:8080", clock("10:00:00"))
	ingest(t, s, group("g", a))
	entry := detail(t, s, "INC-1").Events[0]
	// Another transaction (another group's alerts of the same name, say)
	// joins the entry and holds it...
	other, otx := holdGroup(t, dsn, "zz")
	if _, err := otx.Exec(ctx, "UPDATE alert_entries SET alerts = alerts + 2 WHERE event_id = $1", entry.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := otx.Exec(ctx, "UPDATE events SET text = 'APIHighLatency firing on 3 instances' WHERE id = $1", entry.ID); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() {
		_, err := s.IngestAlerts(ctx, group("g", a, firing("fp2", "APIHighLatency", "api-2:8080", clock("10:00:30"))))
		done <- err
	}()
	// ...while this delivery waits for it.
	waitBlockedBy(t, other, "the delivery of group g")
	if err := otx.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	wantTimeline(t, detail(t, s, "INC-1"), "10:00:00 APIHighLatency firing on 4 instances")
	log, err := s.AuditLog(ctx, "INC-1")
	if err != nil {
		t.Fatal(err)
	}
	last := log[len(log)-1]
	if text := last.Changes["text"]; last.Entity != "event" || text.Old != "APIHighLatency firing on 3 instances" || text.New != "APIHighLatency firing on 4 instances" {
		t.Errorf("the join records %s %s %+v, want the text from 3 instances to 4", last.Entity, last.Action, last.Changes)
	}
}

// Two groups whose alerts of one name feed one incident (one group's alert
// was attached by hand) resolve at the same moment, in two transactions:
// one timeline entry stands for both. On PostgreSQL each transaction
// found no entry for its alert and added one.
func TestIngestAlertsEntriesOfOneIncidentAtOnce(t *testing.T) {
	dsn := storetest.PostgresURL(t)
	s := storetest.Open(t, dsn)
	a := firing("a1", "NodeDown", "node-a", clock("10:00:00"))
	b := firing("b1", "NodeDown", "node-b", clock("10:00:30"))
	ingest(t, s, group("a", a))
	below := func(alerts ...incident.Alert) *incident.AlertBatch {
		return &incident.AlertBatch{Source: "alertmanager", GroupKey: "b", Alerts: alerts}
	}
	ingest(t, s, below(b))
	var bID int64
	if err := s.QueryRow(ctx, "SELECT id FROM alerts WHERE fingerprint = 'b1'", &bID); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.AttachAlerts(ctx, "INC-1", []int64{bID}); err != nil {
		t.Fatal(err)
	}

	// A commander's edit holds the incident while both resolutions come.
	other, otx := otherTransaction(t, dsn)
	if _, err := otx.Exec(ctx, "SELECT 1 FROM incidents WHERE ref = 'INC-1' FOR NO KEY UPDATE"); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 2)
	go func() {
		_, err := s.IngestAlerts(ctx, group("a", resolved(a, clock("10:30:00"))))
		done <- err
	}()
	go func() {
		_, err := s.IngestAlerts(ctx, below(resolved(b, clock("10:30:10"))))
		done <- err
	}()
	waitBlockedByN(t, other, 2, "the resolutions of groups a and b")
	if err := otx.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	}
	wantTimeline(t, detail(t, s, "INC-1"),
		"10:00:00 NodeDown firing on 2 instances",
		"10:30:00 NodeDown resolved on 2 instances",
		"10:30:10 All 2 alerts of this incident have resolved")
}

// Alerts attached by hand and alerts their incident's group adds, of one
// name and window, at the same moment, make one timeline entry. On
// PostgreSQL the attach wrote its entry, then waited for another alert it
// attached, while ingest, seeing no entry, added its own.
func TestAttachAlertsWhileIngesting(t *testing.T) {
	dsn := storetest.PostgresURL(t)
	s := storetest.Open(t, dsn)
	ingest(t, s, group("a", firing("a1", "DiskFull", "node-a", clock("10:00:00"))))
	// Two alerts of other senders that opened nothing, to attach.
	ingest(t, s, &incident.AlertBatch{Source: "alertmanager", GroupKey: "b", Alerts: []incident.Alert{firing("b1", "DiskFull", "node-b", clock("10:20:00"))}})
	ingest(t, s, &incident.AlertBatch{Source: "grafana", GroupKey: "g", Alerts: []incident.Alert{firing("g1", "DiskFull", "node-g", clock("10:20:30"))}})
	var ids []int64
	for _, fp := range []string{"b1", "g1"} {
		var id int64
		if err := s.QueryRow(ctx, "SELECT id FROM alerts WHERE fingerprint = ?", &id, fp); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	// Another connection holds g1, so that the attach waits for it.
	other, otx := otherTransaction(t, dsn)
	if _, err := otx.Exec(ctx, "SELECT 1 FROM alerts WHERE fingerprint = 'g1' FOR UPDATE"); err != nil {
		t.Fatal(err)
	}
	attached := make(chan error, 1)
	go func() {
		_, _, err := s.AttachAlerts(ctx, "INC-1", ids)
		attached <- err
	}()
	waitBlockedBy(t, other, "the attach of b1 and g1")
	ingested := make(chan error, 1)
	go func() {
		_, err := s.IngestAlerts(ctx, group("a", firing("a2", "DiskFull", "node-c", clock("10:21:00"))))
		ingested <- err
	}()
	// The delivery waits for the attach (or, as it did, writes at once).
	for deadline := time.Now().Add(10 * time.Second); len(ingested) == 0 && blockedBy(t, other) < 2; time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the delivery of group a neither waited nor finished")
		}
	}
	if err := otx.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	for _, done := range []chan error{attached, ingested} {
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	}
	wantTimeline(t, detail(t, s, "INC-1"),
		"10:00:00 DiskFull firing on node-a: DiskFull is bad",
		"10:20:00 DiskFull firing on 3 instances")
}

// A commander deletes a collapsed entry while a storm keeps updating it:
// on PostgreSQL the delete took the event, then the entry by cascade, and
// deadlocked with the storm's next update, which takes them the other way
// round.
func TestDeleteAlertEntryDuringStorm(t *testing.T) {
	dsn := storetest.PostgresURL(t)
	s := storetest.Open(t, dsn)
	ingest(t, s, group("a", firing("a1", "APIHighLatency", "api-1", clock("10:00:00"))))
	entry := detail(t, s, "INC-1").Events[0]
	// The storm's transaction has updated the entry and goes on to its
	// event; it looks for deadlocks late, so that the delete would be the
	// one PostgreSQL ends.
	other, otx := otherTransaction(t, dsn)
	if _, err := otx.Exec(ctx, "SET LOCAL deadlock_timeout = '10s'"); err != nil {
		t.Fatal(err)
	}
	if _, err := otx.Exec(ctx, "UPDATE alert_entries SET alerts = alerts + 1 WHERE event_id = $1", entry.ID); err != nil {
		t.Fatal(err)
	}
	deleted := make(chan error, 1)
	go func() { deleted <- s.DeleteEvent(ctx, "INC-1", entry.ID) }()
	waitBlockedBy(t, other, "the delete of the entry")
	if _, err := otx.Exec(ctx, "UPDATE events SET text = 'APIHighLatency firing on 2 instances' WHERE id = $1", entry.ID); err != nil {
		t.Fatalf("the storm updates the entry's event: %v", err)
	}
	if err := otx.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	if err := <-deleted; err != nil {
		t.Fatalf("delete the entry: %v", err)
	}
	if d := detail(t, s, "INC-1"); len(d.Events) != 0 {
		t.Errorf("%d events left, want none", len(d.Events))
	}
}

// Every transaction inserts its alerts in the order of their key, whatever
// the order of the payload: another replica that wrote x, the same alert
// routed to a group of its own, and would write y next, writes it while
// this delivery waits for x, where a delivery that wrote y first made a
// deadlock that PostgreSQL broke a second later.
func TestIngestInsertsAlertsInKeyOrder(t *testing.T) {
	dsn := storetest.PostgresURL(t)
	s := storetest.Open(t, dsn)
	at := clock("10:00:00")
	inKeyOrder(t, dsn, "the delivery of y and x", insertBy(at), func() error {
		_, err := s.IngestAlerts(ctx, group("a", firing("y", "NodeDown", "node-y", at), firing("x", "NodeDown", "node-x", at)))
		return err
	})
	if n := countRows(t, s, "SELECT COUNT(*) FROM alerts"); n != 2 {
		t.Errorf("%d alerts stored, want x and y once each", n)
	}
}

// The same across groups: a transaction of two groups inserts their new
// alerts in the order of their key, not group by group. Inserting y for
// group a, then x for group b, it deadlocked with another replica's
// transaction that wrote x, then y, both routed to a group of its own.
func TestIngestInsertsAlertsOfAllGroupsInKeyOrder(t *testing.T) {
	dsn := storetest.PostgresURL(t)
	s := storetest.Open(t, dsn)
	at := clock("10:00:00")
	inKeyOrder(t, dsn, "the transaction of groups a and b", insertBy(at), func() error {
		_, err := s.IngestTogether(ctx, group("a", firing("y", "NodeDown", "node-y", at)),
			group("b", firing("x", "NodeDown", "node-x", at)))
		return err
	})
	if n := countRows(t, s, "SELECT COUNT(*) FROM alerts"); n != 2 {
		t.Errorf("%d alerts stored, want x and y once each", n)
	}
}

// And the alerts a transaction ends: ending y for group a, then x for
// group b, it deadlocked with another replica's transaction that ended x,
// then y, each reported resolved by a group of its own.
func TestIngestEndsAlertsOfAllGroupsInKeyOrder(t *testing.T) {
	dsn := storetest.PostgresURL(t)
	s := storetest.Open(t, dsn)
	at := clock("10:00:00")
	x, y := firing("x", "NodeDown", "node-x", at), firing("y", "NodeDown", "node-y", at)
	ingest(t, s, group("a", y))
	ingest(t, s, group("b", x))
	inKeyOrder(t, dsn, "the transaction of groups a and b", endBy(clock("10:30:00")), func() error {
		_, err := s.IngestTogether(ctx, group("a", resolved(y, clock("10:31:00"))), group("b", resolved(x, clock("10:31:00"))))
		return err
	})
	// The other replica ended both first: its ends stand.
	if n := countRows(t, s, "SELECT COUNT(*) FROM alerts WHERE status = 'resolved' AND ends_at = ?", clock("10:30:00")); n != 2 {
		t.Errorf("%d alerts ended at 10:30, want x and y, as the other replica ended them", n)
	}
}

// inKeyOrder has another replica's transaction do op to alert x, then
// runs write, which must come to wait for it; then has the other do op to
// y. A write that took y before x would hold it, and the two would
// deadlock: the other's lock_timeout, shorter than deadlock_timeout (1 s),
// makes that its error.
func inKeyOrder(t *testing.T, dsn, what string, op func(otx pgx.Tx, fp string) error, write func() error) {
	t.Helper()
	other, otx := otherTransaction(t, dsn)
	if _, err := otx.Exec(ctx, "SET LOCAL lock_timeout = '500ms'"); err != nil {
		t.Fatal(err)
	}
	if err := op(otx, "x"); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- write() }()
	waitBlockedBy(t, other, what)
	if err := op(otx, "y"); err != nil {
		t.Fatalf("the other replica does to y what it did to x, while %s waits for x: %v", what, err)
	}
	if err := otx.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

// insertBy writes the alert, as another replica routing it to a group of
// its own would.
func insertBy(at time.Time) func(pgx.Tx, string) error {
	return func(otx pgx.Tx, fp string) error { return insertOtherAlert(ctx, otx, "other", fp, at) }
}

// endBy ends the alert at end, as another replica would.
func endBy(end time.Time) func(pgx.Tx, string) error {
	return func(otx pgx.Tx, fp string) error {
		_, err := otx.Exec(ctx, "UPDATE alerts SET status = 'resolved', ends_at = $2 WHERE fingerprint = $1", fp, end)
		return err
	}
}

// Two transactions can also both pass their inserts before either ends
// an alert. Each then locks the alerts it ends, in the order of their key,
// before it ends the first: ending y for group a, then x for group b, the
// transaction deadlocked with another replica's that ended x, then y.
func TestIngestLocksEndedAlertsInKeyOrder(t *testing.T) {
	dsn := storetest.PostgresURL(t)
	s := storetest.Open(t, dsn)
	at := clock("10:00:00")
	x, y := firing("x", "NodeDown", "node-x", at), firing("y", "NodeDown", "node-y", at)
	ingest(t, s, group("a", y))
	ingest(t, s, group("b", x))
	// A gate, held here, that the transaction waits for once it has
	// ended y: a trigger takes it.
	gate, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer gate.Close(ctx)
	for _, q := range []string{
		`CREATE FUNCTION wait_at_gate() RETURNS trigger LANGUAGE plpgsql AS $$
			BEGIN PERFORM pg_advisory_lock(4242); PERFORM pg_advisory_unlock(4242); RETURN NULL; END $$`,
		`CREATE TRIGGER wait_at_gate AFTER UPDATE ON alerts FOR EACH ROW
			WHEN (NEW.fingerprint = 'y' AND NEW.status = 'resolved') EXECUTE FUNCTION wait_at_gate()`,
		`SELECT pg_advisory_lock(4242)`,
	} {
		if _, err := gate.Exec(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	done := make(chan error, 1)
	go func() {
		_, err := s.IngestTogether(ctx, group("a", resolved(y, clock("10:31:00"))), group("b", resolved(x, clock("10:31:00"))))
		done <- err
	}()
	waitBlockedBy(t, gate, "the transaction of groups a and b")
	// The other replica ends x, then y, as this one waits at the gate.
	other, otx := otherTransaction(t, dsn)
	otherDone := make(chan error, 1)
	go func() {
		end := endBy(clock("10:30:00"))
		for _, fp := range []string{"x", "y"} {
			if err := end(otx, fp); err != nil {
				otherDone <- err
				return
			}
		}
		otherDone <- otx.Commit(ctx)
	}()
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		var waiting bool
		if err := gate.QueryRow(ctx, "SELECT COALESCE(wait_event_type = 'Lock', false) FROM pg_stat_activity WHERE pid = $1",
			other.PgConn().PID()).Scan(&waiting); err != nil {
			t.Fatal(err)
		}
		if waiting {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the other replica never waited for the transaction")
		}
	}
	if _, err := gate.Exec(ctx, "SELECT pg_advisory_unlock(4242)"); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Errorf("the transaction of groups a and b: %v", err)
	}
	if err := <-otherDone; err != nil {
		t.Errorf("the other replica: %v", err)
	}
}

// SQLite writes one transaction at a time and needs no order of its own:
// alerts that start together keep the payload's order there, and the
// incident lists them so.
func TestIngestKeepsPayloadOrderOnSQLite(t *testing.T) {
	s := storetest.SQLite(t)
	at := clock("10:00:00")
	res := ingest(t, s, group("a", firing("f3a1", "NodeDown", "node-1", at), firing("0b9c", "NodeDown", "node-2", at)))
	var got []string
	for _, a := range detail(t, s, res.IncidentRef).Alerts {
		got = append(got, a.Fingerprint)
	}
	if strings.Join(got, " ") != "f3a1 0b9c" {
		t.Errorf("alerts listed as %v, want the payload's order f3a1 0b9c", got)
	}
}

// insertOtherAlert writes alert fp of group groupKey in otx, as another
// replica's transaction would.
func insertOtherAlert(ctx context.Context, otx pgx.Tx, groupKey, fp string, at time.Time) error {
	_, err := otx.Exec(ctx, `INSERT INTO alerts (source, fingerprint, group_key, name, labels, annotations, status, starts_at, received_at)
		VALUES ('alertmanager', $1, $2, 'NodeDown', '{}', '{}', 'firing', $3, now())`, fp, groupKey, at)
	return err
}
