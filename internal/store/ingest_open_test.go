package store_test

import (
	"strings"
	"testing"

	"hindsight/internal/alerts"
	"hindsight/internal/incident"
	"hindsight/internal/store"
	"hindsight/internal/store/storetest"
)

// amPayload is an Alertmanager notification of group "{}:{job=\"api\"}".
func amPayload(alerts string) []byte {
	return []byte(`{"version":"4","groupKey":"{}:{job=\"api\"}","status":"firing","receiver":"hindsight",
		"groupLabels":{"job":"api"},"commonLabels":{"job":"api"},"commonAnnotations":{},"alerts":[` + alerts + `]}`)
}

// parseAM parses amPayload(list).
func parseAM(t *testing.T, list string) *incident.AlertBatch {
	t.Helper()
	b, err := alerts.ParseAlertmanager(amPayload(list), alerts.Rules{})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

const (
	amCritical = `{"status":"firing","labels":{"alertname":"APIDown","job":"api","severity":"critical"},
		"annotations":{"summary":"API is down"},"startsAt":"2024-01-25T10:00:00Z","fingerprint":"c1"}`
	amWarning = `{"status":"firing","labels":{"alertname":"APIErrors","job":"api","severity":"warning"},
		"annotations":{"summary":"API errors above 1%"},"startsAt":"2024-01-25T10:50:00Z","fingerprint":"w1"}`
	amInfo = `{"status":"firing","labels":{"alertname":"APISlowStart","job":"api","severity":"info"},
		"annotations":{"summary":"API restarted slowly"},"startsAt":"2024-01-25T10:40:00Z","fingerprint":"i1"}`
)

// The commander resolved the incident while its critical alert still
// fired (Alertmanager keeps sending it until it clears). A new alert of
// the group below the open-at threshold (info is SEV4; the default
// threshold is SEV3) must be stored unattached and open nothing.
func TestBelowThresholdAlertOpensNothingAfterResolve(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		r := alerts.Rules{}
		b, err := alerts.ParseAlertmanager(amPayload(amCritical), r)
		if err != nil {
			t.Fatal(err)
		}
		if res := ingest(t, s, b); !res.Opened {
			t.Fatalf("result %+v", res)
		}
		inc := detail(t, s, "INC-1")
		v := inc.Version
		if _, err := s.UpdateIncident(ctx, "INC-1", &incident.Patch{Version: &v, Status: incident.Some(incident.StatusResolved)}); err != nil {
			t.Fatal(err)
		}
		b, err = alerts.ParseAlertmanager(amPayload(amCritical+","+amInfo), r)
		if err != nil {
			t.Fatal(err)
		}
		res := ingest(t, s, b)
		if res.Opened {
			d := detail(t, s, res.IncidentRef)
			t.Fatalf("an info alert opened %s (%s %q) with alerts %v", d.Ref, d.Severity, d.Title, d.Alerts)
		}

		// A new warning alert opens an incident of its own severity, not
		// of the critical alert the snapshot repeats.
		b, err = alerts.ParseAlertmanager(amPayload(amCritical+","+amInfo+","+amWarning), r)
		if err != nil {
			t.Fatal(err)
		}
		if res = ingest(t, s, b); !res.Opened {
			t.Fatalf("a new warning alert opened nothing: %+v", res)
		}
		// The info alert that waited joins it; the critical one, of the
		// incident resolved before, does not.
		d := detail(t, s, res.IncidentRef)
		if d.Severity != incident.SEV3 || len(d.Alerts) != 2 || d.Alerts[0].Fingerprint != "i1" || d.Alerts[1].Fingerprint != "w1" {
			t.Errorf("%s is %s with alerts %v, want SEV3 with the info alert i1 and the warning alert w1", d.Ref, d.Severity, d.Alerts)
		}
	})
}

// An alert that started before the group's last incident was detected
// came late: in order, it would have fed that incident. It opens no new
// one (TestIngestPagerDutyLateAfterCommanderResolved), and when a new
// alert of the group opens one, it neither joins it nor dates it, whether
// it came with that alert or waited from an earlier snapshot.
func TestLateAlertStaysOutOfTheNextIncident(t *testing.T) {
	const amLate = `{"status":"firing","labels":{"alertname":"APIDown","job":"api","severity":"critical","instance":"api-0"},
		"annotations":{"summary":"API is down"},"startsAt":"2024-01-25T09:00:00Z","fingerprint":"c0"}`
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		parse := func(payload string) *incident.AlertBatch { return parseAM(t, payload) }
		waited, together := s, another(t, s)
		for _, st := range []*store.Store{waited, together} {
			ingest(t, st, parse(amCritical))
			inc := detail(t, st, "INC-1")
			v := inc.Version
			if _, err := st.UpdateIncident(ctx, "INC-1", &incident.Patch{Version: &v, Status: incident.Some(incident.StatusResolved)}); err != nil {
				t.Fatal(err)
			}
		}
		if res := ingest(t, waited, parse(amCritical+","+amLate)); res.Opened {
			t.Fatalf("the late alert opened %s", res.IncidentRef)
		}
		for name, st := range map[string]*store.Store{"waited": waited, "together": together} {
			res := ingest(t, st, parse(amCritical+","+amLate+","+amWarning))
			if !res.Opened {
				t.Fatalf("%s: the warning alert opened nothing: %+v", name, res)
			}
			d := detail(t, st, res.IncidentRef)
			if !d.DetectedAt.Equal(clock("10:50:00")) || len(d.Alerts) != 1 || d.Alerts[0].Fingerprint != "w1" || d.Severity != incident.SEV3 {
				t.Errorf("%s: %s detected %v, %s, alerts %v; want detected 10:50, SEV3, with the warning alert w1 alone",
					name, d.Ref, d.DetectedAt, d.Severity, d.Alerts)
			}
			if got := timeline(d); len(got) != 1 || !strings.HasPrefix(got[0], "10:50:00 APIErrors firing") {
				t.Errorf("%s: timeline %q, want the warning alert's entry alone", name, got)
			}
		}
	})
}

// A late alert stays out of the group's next incident also when it comes
// after that incident opened: in a later delivery, or in a later one of
// the same transaction.
func TestLateAlertStaysOutOfTheOpenIncident(t *testing.T) {
	crit := firing("c1", "APIDown", "api-0", clock("10:00:00"))
	late := firing("c0", "APIDown", "api-9", clock("09:00:00"))
	next := firing("c2", "APIDown", "api-1", clock("10:50:00"))
	earlier := firing("c3", "APIDown", "api-2", clock("10:40:00")) // after INC-1 was detected: not late
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		apart, together := s, another(t, s)
		for _, st := range []*store.Store{apart, together} {
			ingest(t, st, group("g", crit))
			inc := detail(t, st, "INC-1")
			v := inc.Version
			if _, err := st.UpdateIncident(ctx, "INC-1", &incident.Patch{Version: &v, Status: incident.Some(incident.StatusResolved)}); err != nil {
				t.Fatal(err)
			}
		}
		deliveries := []*incident.AlertBatch{group("g", crit, next), group("g", crit, late, next), group("g", crit, late, next, earlier)}
		for _, d := range deliveries {
			ingest(t, apart, d)
		}
		if _, err := together.IngestTogether(ctx, deliveries...); err != nil {
			t.Fatal(err)
		}
		for name, st := range map[string]*store.Store{"apart": apart, "together": together} {
			d := detail(t, st, "INC-2")
			var fps []string
			for _, a := range d.Alerts {
				fps = append(fps, a.Fingerprint)
			}
			if !d.DetectedAt.Equal(clock("10:40:00")) || strings.Join(fps, ",") != "c3,c2" {
				t.Errorf("%s: INC-2 detected %v with alerts %v; want detected 10:40 with c3 and c2", name, d.DetectedAt, fps)
			}
		}
	})
}

// Whether an alert came late follows the detection of the group's earlier
// incident as it stands: its commander may move it once the next one is
// open.
func TestLateAlertFollowsTheEarlierIncidentsDetection(t *testing.T) {
	crit := firing("c1", "APIDown", "api-0", clock("10:00:00"))
	next := firing("c2", "APIDown", "api-1", clock("10:50:00"))
	mid := firing("c3", "APIDown", "api-2", clock("10:10:00"))
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ingest(t, s, group("g", crit))
		patch := func(p incident.Patch) {
			v := detail(t, s, "INC-1").Version
			p.Version = &v
			if _, err := s.UpdateIncident(ctx, "INC-1", &p); err != nil {
				t.Fatal(err)
			}
		}
		patch(incident.Patch{Status: incident.Some(incident.StatusResolved)})
		ingest(t, s, group("g", crit, next)) // opens INC-2
		patch(incident.Patch{DetectedAt: incident.Some(clock("10:20:00"))})
		ingest(t, s, group("g", crit, next, mid))
		if d := detail(t, s, "INC-2"); !d.DetectedAt.Equal(clock("10:50:00")) || len(d.Alerts) != 1 {
			t.Errorf("INC-2 detected %v with %d alerts; want 10:50 with c2 alone", d.DetectedAt, len(d.Alerts))
		}
	})
}

// A less severe alert that fires first waits unattached. When a severe one
// of its group opens an incident, it joins it and dates it, as it would
// have had both come in one snapshot: Alertmanager tells of the new alert
// at the group's next interval.
func TestWaitingAlertJoinsTheIncidentItsGroupOpens(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		parse := func(payload string) *incident.AlertBatch { return parseAM(t, payload) }
		together, apart := s, another(t, s)
		ingest(t, together, parse(amInfo+","+amWarning))
		if res := ingest(t, apart, parse(amInfo)); res.Opened {
			t.Fatalf("an info alert opened %s", res.IncidentRef)
		}
		ingest(t, apart, parse(amInfo+","+amWarning))
		want := timeline(detail(t, together, "INC-1"))
		for name, st := range map[string]*store.Store{"one snapshot": together, "two snapshots": apart} {
			d := detail(t, st, "INC-1")
			if !d.StartedAt.Equal(clock("10:40:00")) || !d.DetectedAt.Equal(clock("10:40:00")) {
				t.Errorf("%s: started %v, detected %v; want 10:40, when the info alert fired", name, d.StartedAt, d.DetectedAt)
			}
			if len(d.Alerts) != 2 {
				t.Errorf("%s: alerts %v, want the info and the warning alert", name, d.Alerts)
			}
			if got := timeline(d); len(got) != 2 || strings.Join(got, "\n") != strings.Join(want, "\n") {
				t.Errorf("%s: timeline %q, want %q, one entry each", name, got, want)
			}
		}
	})
}

// An alert of the group that started before the incident's first alerts
// arrives later (Alertmanager's max_alerts left it out of the first
// snapshot): the incident started and was detected when it started
// firing, not when the alerts of the first snapshot did.
func TestEarlierAlertMovesDetectionBack(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		late := firing("late", "APIHighLatency", "api-2:8080", clock("10:05:00"))
		b := group("g", late)
		b.Truncated = 1
		ingest(t, s, b)
		d := detail(t, s, "INC-1")
		if !d.DetectedAt.Equal(clock("10:05:00")) {
			t.Fatalf("detected %v, want 10:05:00", d.DetectedAt)
		}
		early := firing("early", "APIHighLatency", "api-1:8080", clock("10:00:00"))
		ingest(t, s, group("g", early, late))
		d = detail(t, s, "INC-1")
		if !d.DetectedAt.Equal(clock("10:00:00")) || !d.StartedAt.Equal(clock("10:00:00")) {
			t.Fatalf("started %v detected %v, want the earliest startsAt 10:00:00 (the timeline shows %q)", d.StartedAt, d.DetectedAt, timeline(d))
		}
		if d.Version != 2 {
			t.Errorf("version %d: the move is an update of the incident", d.Version)
		}
		// A later alert moves nothing.
		ingest(t, s, group("g", early, late, firing("later", "APIHighLatency", "api-3:8080", clock("10:10:00"))))
		if d = detail(t, s, "INC-1"); !d.DetectedAt.Equal(clock("10:00:00")) || d.Version != 2 {
			t.Errorf("detected %v, version %d after a later alert", d.DetectedAt, d.Version)
		}
	})
}

// The firing alerts that open an incident give its detection. An alert of
// the same snapshot that had already resolved leaves it, as it does when it
// comes in the next snapshot: the same alerts, the same milestones.
func TestResolvedAlertDoesNotMoveDetection(t *testing.T) {
	a := firing("fa", "APIHighLatency", "api-a", clock("10:11:00"))
	d := resolved(firing("fd", "APIErrors", "api-d", clock("10:01:00")), clock("10:07:00"))
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		together, apart := s, another(t, s)
		ingest(t, together, group("g", a, d))
		ingest(t, apart, group("g", a))
		ingest(t, apart, group("g", a, d))
		for name, st := range map[string]*store.Store{"one snapshot": together, "two snapshots": apart} {
			inc := detail(t, st, "INC-1")
			if !inc.DetectedAt.Equal(clock("10:11:00")) || !inc.StartedAt.Equal(clock("10:11:00")) {
				t.Errorf("%s: started %s, detected %s; want 10:11, when the alert that opened it fired (timeline %q)",
					name, inc.StartedAt.Format("15:04"), inc.DetectedAt.Format("15:04"), timeline(inc))
			}
		}
	})
}
