package alerts_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"hindsight/internal/alerts"
	"hindsight/internal/incident"
	"hindsight/internal/store"
	"hindsight/internal/store/storetest"
)

var ctx = context.Background()

// must(t)(alerts.ParseX(...)) fails the test when parsing fails.
func must(t *testing.T) func(*incident.AlertBatch, error) *incident.AlertBatch {
	return func(b *incident.AlertBatch, err error) *incident.AlertBatch {
		t.Helper()
		if err != nil {
			t.Fatalf("parse: %v", err)
		}
		return b
	}
}

func ingest(t *testing.T, w *store.AlertWriter, b *incident.AlertBatch) *incident.IngestResult {
	t.Helper()
	res, err := w.IngestAlerts(ctx, b)
	if err != nil {
		t.Fatalf("ingest: %v", err)
	}
	return res
}

func newWriter(t *testing.T, s *store.Store) *store.AlertWriter {
	t.Helper()
	w := store.NewAlertWriter(s, store.AlertWriterConfig{})
	t.Cleanup(func() {
		if err := w.Close(ctx); err != nil {
			t.Errorf("close writer: %v", err)
		}
	})
	return w
}

// wantTimeline compares the incident's webhook entries, as "15:04:05 text".
func wantTimeline(t *testing.T, s *store.Store, ref string, want ...string) *incident.Detail {
	t.Helper()
	d, err := s.IncidentDetail(ctx, ref)
	if err != nil {
		t.Fatalf("%s: %v", ref, err)
	}
	var got []string
	for _, e := range d.Events {
		if e.Source == incident.SourceWebhook {
			got = append(got, e.At.Format("15:04:05")+" "+e.Text)
			if e.Highlight {
				t.Errorf("webhook entry %q is highlighted", e.Text)
			}
		}
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("timeline of %s:\n%s\nwant:\n%s", ref, strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	return d
}

func TestIngestAlertmanager(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		w := newWriter(t, s)
		r := alerts.Rules{}
		firing := fixture(t, "alertmanager-firing.json")

		res := ingest(t, w, must(t)(alerts.ParseAlertmanager(firing, r)))
		if !res.Opened || res.IncidentRef != "INC-1" || res.Added != 2 {
			t.Fatalf("first notification: %+v", res)
		}
		d := wantTimeline(t, s, "INC-1", "10:00:00 APIHighLatency firing on 2 instances")
		if d.Severity != incident.SEV1 || d.Title != "API p99 latency above 2s" || !d.DetectedAt.Equal(ts("2024-01-25T10:00:00Z")) {
			t.Fatalf("incident %+v", d.Incident)
		}

		t.Run("Redelivered", func(t *testing.T) {
			res := ingest(t, w, must(t)(alerts.ParseAlertmanager(firing, r)))
			if res.Added != 0 || res.Duplicates != 2 || res.Opened {
				t.Fatalf("result %+v", res)
			}
			wantTimeline(t, s, "INC-1", "10:00:00 APIHighLatency firing on 2 instances")
		})

		t.Run("Truncated", func(t *testing.T) {
			// max_alerts left api-2 out: that does not resolve it.
			body := edit(t, firing, func(p map[string]any) {
				p["alerts"] = p["alerts"].([]any)[:1]
				p["truncatedAlerts"] = 1
			})
			res := ingest(t, w, must(t)(alerts.ParseAlertmanager(body, r)))
			if res.Added != 0 || res.Resolved != 0 {
				t.Fatalf("result %+v", res)
			}
			d := wantTimeline(t, s, "INC-1", "10:00:00 APIHighLatency firing on 2 instances")
			for _, a := range d.Alerts {
				if a.Status != incident.AlertFiring {
					t.Errorf("%s is %s", a.Fingerprint, a.Status)
				}
			}
		})

		resolvedBody := fixture(t, "alertmanager-resolved.json")
		t.Run("PartlyResolved", func(t *testing.T) {
			body := edit(t, resolvedBody, func(p map[string]any) {
				p["status"] = "firing"
				a := alertsOf(p)[1]
				a["status"], a["endsAt"] = "firing", "0001-01-01T00:00:00Z"
			})
			res := ingest(t, w, must(t)(alerts.ParseAlertmanager(body, r)))
			if res.Resolved != 1 {
				t.Fatalf("result %+v", res)
			}
			wantTimeline(t, s, "INC-1",
				"10:00:00 APIHighLatency firing on 2 instances",
				"13:58:00 APIHighLatency resolved on api-1:8080")
		})

		t.Run("Resolved", func(t *testing.T) {
			for range 2 { // the second time is a re-delivery
				ingest(t, w, must(t)(alerts.ParseAlertmanager(resolvedBody, r)))
			}
			d := wantTimeline(t, s, "INC-1",
				"10:00:00 APIHighLatency firing on 2 instances",
				"13:58:00 APIHighLatency resolved on 2 instances",
				"13:59:00 All 2 alerts of this incident have resolved")
			if d.Status != incident.StatusInvestigating {
				t.Errorf("status %s: the commander resolves the incident, not the webhook", d.Status)
			}
		})

		t.Run("FiresAgainAfterResolution", func(t *testing.T) {
			inc, _ := s.Incident(ctx, "INC-1")
			v := inc.Version
			if _, err := s.UpdateIncident(ctx, "INC-1", &incident.Patch{Version: &v, Status: incident.Some(incident.StatusResolved)}); err != nil {
				t.Fatal(err)
			}
			body := edit(t, firing, func(p map[string]any) {
				for _, a := range alertsOf(p) {
					a["startsAt"] = "2024-01-26T08:00:00Z"
				}
			})
			res := ingest(t, w, must(t)(alerts.ParseAlertmanager(body, r)))
			if !res.Opened || res.IncidentRef != "INC-2" {
				t.Fatalf("result %+v", res)
			}
			wantTimeline(t, s, "INC-2", "08:00:00 APIHighLatency firing on 2 instances")
		})
	})
}

func TestIngestPagerDuty(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		w := newWriter(t, s)
		r := alerts.Rules{}
		deliver := func(body []byte, webhookID string) *incident.IngestResult {
			t.Helper()
			return ingest(t, w, must(t)(alerts.ParsePagerDuty(body, webhookID, r)))
		}
		trig := fixture(t, "pagerduty-incident-triggered.json")
		if res := deliver(trig, "wh-1"); !res.Opened {
			t.Fatalf("triggered: %+v", res)
		}
		if res := deliver(trig, "wh-1"); !res.Repeated {
			t.Fatalf("re-delivery: %+v", res)
		}
		ack := pdEvent(t, "incident.acknowledged", "ev2", "2024-01-25T10:04:00Z", "Ana")
		deliver(ack, "wh-2")
		deliver(ack, "wh-2")
		// The same event, delivered to a second subscription under its own
		// X-Webhook-Id.
		if res := deliver(ack, "wh-2-second-subscription"); !res.Repeated {
			t.Fatalf("the event again, by another subscription: %+v", res)
		}
		deliver(pdEvent(t, "incident.annotated", "ev3", "2024-01-25T10:20:00Z", "Ana"), "wh-3")
		deliver(pdEvent(t, "incident.priority_updated", "ev4", "2024-01-25T10:21:00Z", "Ana"), "wh-4")
		if res := deliver(pdEvent(t, "incident.resolved", "ev5", "2024-01-25T10:50:00Z", ""), "wh-5"); res.Received != 1 || res.Resolved != 1 || res.Duplicates != 0 {
			t.Errorf("resolved: %+v, want the one alert received and resolved", res)
		}
		d := wantTimeline(t, s, "INC-1",
			"10:01:10 API p99 latency above 2s firing on API Server",
			"10:04:00 Acknowledged in PagerDuty by Ana",
			"10:20:00 Note in PagerDuty by Ana: Rolled back the cache deploy",
			"10:50:00 API p99 latency above 2s resolved on API Server",
			"10:50:00 The alert of this incident has resolved")
		if d.AcknowledgedAt == nil || !d.AcknowledgedAt.Equal(ts("2024-01-25T10:04:00Z")) || !d.DetectedAt.Equal(ts("2024-01-25T10:01:10Z")) {
			t.Fatalf("detected %v acknowledged %v", d.DetectedAt, d.AcknowledgedAt)
		}

		// Reopened while Hindsight's incident is still open: it feeds it.
		res := deliver(pdEvent(t, "incident.reopened", "ev6", "2024-01-25T11:00:00Z", ""), "wh-6")
		if res.IncidentRef != "INC-1" || res.Opened || res.Added != 1 {
			t.Fatalf("reopened: %+v", res)
		}
		deliver(pdEvent(t, "incident.resolved", "ev7", "2024-01-25T11:10:00Z", ""), "wh-7")
		if d, _ := s.IncidentDetail(ctx, "INC-1"); len(d.Alerts) != 2 {
			t.Fatalf("%d alert occurrences, want 2", len(d.Alerts))
		}
	})
}

func TestIngestGrafanaOpenAt(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		w := newWriter(t, s)
		body := fixture(t, "grafana-firing.json")
		res := ingest(t, w, must(t)(alerts.ParseGrafana(body, alerts.Rules{})))
		if res.Opened || res.IncidentRef != "" || res.Added != 1 {
			t.Fatalf("below the threshold: %+v", res)
		}
		un, err := s.UnattachedAlerts(ctx, 10)
		if err != nil || len(un) != 1 || un[0].Source != "grafana" {
			t.Fatalf("unattached %+v (%v)", un, err)
		}
		// The same alert under a lower threshold is a repeat, and a repeat
		// opens nothing; a new one opens an incident.
		low := alerts.Rules{OpenAt: incident.SEV4}
		if res := ingest(t, w, must(t)(alerts.ParseGrafana(body, low))); res.Opened {
			t.Fatalf("a repeat opened an incident: %+v", res)
		}
		body = edit(t, body, func(p map[string]any) {
			a := alertsOf(p)[0]
			a["fingerprint"], a["startsAt"] = "f00d", "2024-01-25T10:03:00Z"
		})
		if res := ingest(t, w, must(t)(alerts.ParseGrafana(body, low))); !res.Opened {
			t.Fatalf("result %+v", res)
		}
		wantTimeline(t, s, "INC-1", "10:03:00 CacheMemoryHigh firing on api-cache: Cache memory above 95% on api-cache")
	})
}

func TestIngestGeneric(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		w := newWriter(t, s)
		post := func(body string, now time.Time) *incident.IngestResult {
			t.Helper()
			return ingest(t, w, must(t)(alerts.ParseGeneric([]byte(body), now, alerts.Rules{})))
		}
		// A cron job reports every minute while the check fails.
		const fail = `{"title":"Backup failed","severity":"error","service":"backup","text":"exit 1"}`
		if res := post(fail, ts("2024-01-25T03:00:00Z")); !res.Opened {
			t.Fatalf("result %+v", res)
		}
		if res := post(fail, ts("2024-01-25T03:01:00Z")); res.Added != 0 {
			t.Fatalf("a repeat added an alert: %+v", res)
		}
		post(`{"title":"Backup failed","service":"backup","status":"resolved"}`, ts("2024-01-25T03:30:00Z"))
		post(`{"title":"Backup failed","service":"backup","status":"resolved"}`, ts("2024-01-25T03:31:00Z"))
		wantTimeline(t, s, "INC-1",
			"03:00:00 Backup failed firing on backup",
			"03:30:00 Backup failed resolved on backup",
			"03:30:00 The alert of this incident has resolved")
	})
}

// PagerDuty does not promise the order of its deliveries. A resolution
// that comes after the incident's reopening, having happened before it,
// ends the first firing, not the reopened one: that one still fires.
func TestIngestPagerDutyResolvedAfterReopened(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		w := newWriter(t, s)
		deliver := func(body []byte, webhookID string) {
			t.Helper()
			ingest(t, w, must(t)(alerts.ParsePagerDuty(body, webhookID, alerts.Rules{})))
		}
		deliver(fixture(t, "pagerduty-incident-triggered.json"), "wh-1")
		deliver(pdEvent(t, "incident.reopened", "ev3", "2024-01-25T11:00:00Z", ""), "wh-3")
		deliver(pdEvent(t, "incident.resolved", "ev2", "2024-01-25T10:50:00Z", ""), "wh-2")
		wantTimeline(t, s, "INC-1",
			"10:01:10 API p99 latency above 2s firing on API Server",
			"10:50:00 API p99 latency above 2s resolved on API Server",
			"10:50:00 The alert of this incident has resolved",
			"11:00:00 API p99 latency above 2s firing on API Server")

		// Its own resolution ends it.
		deliver(pdEvent(t, "incident.resolved", "ev4", "2024-01-25T11:10:00Z", ""), "wh-4")
		wantTimeline(t, s, "INC-1",
			"10:01:10 API p99 latency above 2s firing on API Server",
			"10:50:00 API p99 latency above 2s resolved on API Server",
			"10:50:00 The alert of this incident has resolved",
			"11:00:00 API p99 latency above 2s firing on API Server",
			"11:10:00 API p99 latency above 2s resolved on API Server",
			// One alert, which fired twice.
			"11:10:00 The alert of this incident has resolved")
	})
}

// pdDelivery is one PagerDuty event of the incident of the fixture.
type pdDelivery struct{ typ, at, agent string }

// A PagerDuty incident's events, delivered in any order, give the incident
// and timeline that delivery in order gives: PagerDuty does not promise
// the order of its deliveries.
func TestIngestPagerDutyAnyOrder(t *testing.T) {
	var (
		trig     = pdDelivery{"incident.triggered", "2024-01-25T10:01:10Z", ""}
		ack      = pdDelivery{"incident.acknowledged", "2024-01-25T10:04:00Z", "Ana"}
		note     = pdDelivery{"incident.annotated", "2024-01-25T10:20:00Z", "Ana"}
		resolved = pdDelivery{"incident.resolved", "2024-01-25T10:50:00Z", ""}
		reopened = pdDelivery{"incident.reopened", "2024-01-25T11:00:00Z", ""}
	)
	cases := []struct {
		name            string
		inOrder, orders [][]pdDelivery
	}{
		{"ResolvedFirst", [][]pdDelivery{{trig, ack, note, resolved}},
			[][]pdDelivery{{resolved, trig, ack, note}, {resolved, ack, note, trig}, {ack, resolved, note, trig},
				{note, trig, ack, resolved}, {note, resolved, ack, trig}}},
		{"ReopenedFirst", [][]pdDelivery{{trig, ack, resolved, reopened}},
			[][]pdDelivery{{reopened, trig, ack, resolved}, {reopened, resolved, ack, trig}}},
	}
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		fresh := func() *store.Store {
			if s.Dialect() == store.SQLite {
				return storetest.SQLite(t)
			}
			return storetest.Postgres(t)
		}
		// deliver returns the incident the events make, as milestones
		// and timeline.
		deliver := func(events []pdDelivery) string {
			st := fresh()
			w := newWriter(t, st)
			for i, e := range events {
				body := pdEvent(t, e.typ, fmt.Sprint("ev", i), e.at, e.agent)
				if e == trig {
					body = fixture(t, "pagerduty-incident-triggered.json")
				}
				ingest(t, w, must(t)(alerts.ParsePagerDuty(body, fmt.Sprint("wh-", e.typ, e.at), alerts.Rules{})))
			}
			d, err := st.IncidentDetail(ctx, "INC-1")
			if err != nil {
				return fmt.Sprintf("no incident: %v", err)
			}
			at := func(t *time.Time) string {
				if t == nil {
					return "never"
				}
				return t.Format("15:04:05")
			}
			out := fmt.Sprintf("%s %s started %s detected %s acknowledged %s", d.Ref, d.Severity,
				at(d.StartedAt), at(d.DetectedAt), at(d.AcknowledgedAt))
			for _, e := range d.Events {
				out += "\n" + e.At.Format("15:04:05") + " " + e.Text
			}
			return out
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				want := deliver(c.inOrder[0])
				for _, order := range c.orders {
					if got := deliver(order); got != want {
						t.Errorf("delivered in the order %v:\n%s\nin order:\n%s", order, got, want)
					}
				}
			})
		}
	})
}

// A note in PagerDuty after the commander resolved Hindsight's incident
// still goes to that incident: it is of the PagerDuty incident that
// opened it.
func TestIngestPagerDutyNoteAfterResolve(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		w := newWriter(t, s)
		deliver := func(body []byte, webhookID string) *incident.IngestResult {
			t.Helper()
			return ingest(t, w, must(t)(alerts.ParsePagerDuty(body, webhookID, alerts.Rules{})))
		}
		deliver(fixture(t, "pagerduty-incident-triggered.json"), "wh-1")
		d, err := s.IncidentDetail(ctx, "INC-1")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.UpdateIncident(ctx, "INC-1", &incident.Patch{Version: &d.Version, Status: incident.Some(incident.StatusResolved)}); err != nil {
			t.Fatal(err)
		}
		res := deliver(pdEvent(t, "incident.annotated", "ev3", "2024-01-25T10:30:00Z", "Ana"), "wh-3")
		if res.IncidentRef != "INC-1" {
			t.Errorf("the note went to %q", res.IncidentRef)
		}
		wantTimeline(t, s, "INC-1",
			"10:01:10 API p99 latency above 2s firing on API Server",
			"10:30:00 Note in PagerDuty by Ana: Rolled back the cache deploy")
	})
}

// The reopening of a PagerDuty incident came first and opened Hindsight's
// incident, which its commander resolved; then the incident's trigger, or
// the resolution of its first firing, comes late. Either is of the
// incident that is over, and opens no second one.
func TestIngestPagerDutyLateAfterCommanderResolved(t *testing.T) {
	for _, late := range []string{"incident.triggered", "incident.resolved"} {
		t.Run(late, func(t *testing.T) {
			storetest.Each(t, func(t *testing.T, s *store.Store) {
				w := newWriter(t, s)
				deliver := func(body []byte, webhookID string) *incident.IngestResult {
					t.Helper()
					return ingest(t, w, must(t)(alerts.ParsePagerDuty(body, webhookID, alerts.Rules{})))
				}
				if res := deliver(pdEvent(t, "incident.reopened", "ev1", "2024-01-25T11:00:00Z", ""), "wh-1"); !res.Opened {
					t.Fatalf("reopened: %+v", res)
				}
				d, err := s.IncidentDetail(ctx, "INC-1")
				if err != nil {
					t.Fatal(err)
				}
				if _, err := s.UpdateIncident(ctx, "INC-1", &incident.Patch{Version: &d.Version, Status: incident.Some(incident.StatusResolved)}); err != nil {
					t.Fatal(err)
				}
				body := fixture(t, "pagerduty-incident-triggered.json")
				if late == "incident.resolved" {
					body = pdEvent(t, late, "ev2", "2024-01-25T10:50:00Z", "")
				}
				if res := deliver(body, "wh-2"); res.Opened || res.Added != 1 {
					t.Errorf("%s, late: %+v; want its alert stored, and no incident opened", late, res)
				}
			})
		})
	}
}

// The same rule in two Grafana organisations fires the same alert, with
// the same fingerprint and start: each organisation's is its own, and
// opens its own incident.
func TestIngestGrafanaOrganisations(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		w := newWriter(t, s)
		low := alerts.Rules{OpenAt: incident.SEV4}
		for org := 1; org <= 2; org++ {
			body := edit(t, fixture(t, "grafana-firing.json"), func(p map[string]any) { p["orgId"] = org })
			if res := ingest(t, w, must(t)(alerts.ParseGrafana(body, low))); !res.Opened || res.Added != 1 {
				t.Fatalf("organisation %d: %+v", org, res)
			}
		}
		for _, ref := range []string{"INC-1", "INC-2"} {
			wantTimeline(t, s, ref, "10:02:00 CacheMemoryHigh firing on api-cache: Cache memory above 95% on api-cache")
		}
	})
}
