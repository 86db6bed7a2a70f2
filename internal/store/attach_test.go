package store_test

import (
	"slices"
	"testing"

	"hindsight/internal/incident"
	"hindsight/internal/store"
	"hindsight/internal/store/storetest"
)

// Alerts below the open-at threshold wait unattached; someone attaches
// them to an incident, where they land on the timeline at their own times,
// collapsed like alerts that arrived while it was open.
func TestAttachAlerts(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		below := func(alerts ...incident.Alert) {
			t.Helper()
			ingest(t, s, &incident.AlertBatch{Source: "alertmanager", GroupKey: "disk", Alerts: alerts})
		}
		below(firing("w1", "DiskFilling", "db-1", clock("09:00:00")), firing("w2", "DiskFilling", "db-2", clock("09:01:00")))
		below(resolved(firing("w3", "SlowQueries", "db-1", clock("09:02:00")), clock("09:04:00")))
		un, err := s.UnattachedAlerts(ctx, 10)
		if err != nil || len(un) != 3 {
			t.Fatalf("unattached %+v %v", un, err)
		}
		ids := make([]int64, len(un))
		for i, a := range un {
			ids[i] = a.ID
		}
		inc := declare(t, s, "Database slow")
		other := declare(t, s, "Other")

		// Refusals change nothing.
		_, _, err = s.AttachAlerts(ctx, inc.Ref, nil)
		wantCode(t, err, incident.EINVALID, "alert_ids")
		_, _, err = s.AttachAlerts(ctx, inc.Ref, []int64{ids[0], 999999})
		wantCode(t, err, incident.EINVALID, "alert_ids")
		_, _, err = s.AttachAlerts(ctx, "INC-404", ids)
		wantCode(t, err, incident.ENOTFOUND, "")
		if d := detail(t, s, inc.Ref); len(d.Alerts) != 0 || len(d.Events) != len(detail(t, s, other.Ref).Events) {
			t.Fatalf("a refused attach changed the incident: %d alerts, %d events", len(d.Alerts), len(d.Events))
		}

		before := len(detail(t, s, inc.Ref).Events)
		got, attached, err := s.AttachAlerts(ctx, inc.Ref, append(ids, ids[0]))
		if err != nil || got.Ref != inc.Ref || len(attached) != 3 {
			t.Fatalf("attach: %+v %v %v", got, attached, err)
		}
		d := detail(t, s, inc.Ref)
		if len(d.Alerts) != 3 {
			t.Fatalf("%d alerts attached, want 3", len(d.Alerts))
		}
		var texts []string
		for _, e := range d.Events[before:] {
			if e.Kind != incident.KindAlert {
				t.Errorf("entry %q of kind %s", e.Text, e.Kind)
			}
			texts = append(texts, e.At.Format("15:04")+" "+e.Text)
		}
		want := []string{"09:00 DiskFilling firing on 2 instances", "09:02 SlowQueries firing on db-1: SlowQueries is bad", "09:04 SlowQueries resolved on db-1"}
		for _, w := range want {
			if !slices.Contains(texts, w) {
				t.Errorf("timeline %q lacks %q", texts, w)
			}
		}
		if un, _ := s.UnattachedAlerts(ctx, 10); len(un) != 0 {
			t.Errorf("still unattached: %+v", un)
		}
		audit, err := s.AuditLog(ctx, inc.Ref)
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for _, a := range audit {
			if a.Entity == "alert" && a.Changes["incident"].New == inc.Ref {
				n++
			}
		}
		if n != 3 {
			t.Errorf("%d attachments in the audit trail, want 3", n)
		}

		// Again: nothing changes. To another incident: a conflict.
		events := len(d.Events)
		if _, attached, err := s.AttachAlerts(ctx, inc.Ref, ids); err != nil || len(attached) != 0 {
			t.Fatalf("repeat: %v %v", attached, err)
		}
		if n := len(detail(t, s, inc.Ref).Events); n != events {
			t.Errorf("a repeated attach added %d entries", n-events)
		}
		_, _, err = s.AttachAlerts(ctx, other.Ref, ids[:1])
		wantCode(t, err, incident.ECONFLICT, "alert_ids")
		if d := detail(t, s, other.Ref); len(d.Alerts) != 0 {
			t.Errorf("the conflicting attach moved %d alerts", len(d.Alerts))
		}
	})
}
