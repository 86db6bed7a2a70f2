package store_test

import (
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"hindsight/internal/alerts"
	"hindsight/internal/incident"
	"hindsight/internal/store"
	"hindsight/internal/store/storetest"
)

func allAlerts(t *testing.T, s *store.Store) []incident.Alert {
	t.Helper()
	alerts, err := s.AllAlerts(ctx)
	if err != nil {
		t.Fatalf("alerts: %v", err)
	}
	return alerts
}

// TestMigrateAlertKeyOrder migrates a database that holds alerts from
// version 7 to 8, which orders the alerts' unique key (source, starts_at,
// fingerprint) and, on SQLite, copies the table to do so.
func TestMigrateAlertKeyOrder(t *testing.T) {
	storetest.EachDSN(t, func(t *testing.T, dsn string) {
		a1 := firing("fp1", "APIHighLatency", "api-1:8080", clock("10:00:00"))
		a2 := firing("fp2", "APIHighLatency", "api-2:8080", clock("10:00:30"))
		before, top := alertsAtVersion7(t, dsn, a1, a2)
		s := storetest.Open(t, dsn)

		t.Run("AlertsKept", func(t *testing.T) {
			if after := allAlerts(t, s); !reflect.DeepEqual(after, before) {
				t.Fatalf("alerts after the migration:\n%+v\nbefore:\n%+v", after, before)
			}
		})
		t.Run("NewIDAboveAllUsed", func(t *testing.T) {
			// Before any repeat: on SQLite a repeat's insert uses up an id.
			ingest(t, s, group("am", firing("fp4", "APIHighLatency", "api-4:8080", clock("10:07:00"))))
			alerts := allAlerts(t, s)
			if last := alerts[len(alerts)-1]; last.Fingerprint != "fp4" || last.ID <= top {
				t.Fatalf("new alert %s has id %d; the highest id used before is %d", last.Fingerprint, last.ID, top)
			}
		})
		t.Run("RepeatDeduplicated", func(t *testing.T) {
			res := ingest(t, s, group("am", a2))
			if res.Added != 0 || res.Duplicates != 1 || len(allAlerts(t, s)) != len(before)+1 {
				t.Fatalf("result %+v", res)
			}
		})
		t.Run("ResolvedByKey", func(t *testing.T) {
			if res := ingest(t, s, group("am", resolved(a2, clock("10:06:00")))); res.Resolved != 1 {
				t.Fatalf("result %+v", res)
			}
		})
		// Ends by fingerprint alone look in the group, which the senders
		// that send them key by the fingerprint.
		end := func(key string) *incident.AlertBatch {
			return &incident.AlertBatch{Source: "generic", GroupKey: key, FireOnce: true,
				Resolve: []incident.AlertEnd{{Fingerprint: "chk-1", At: clock("10:08:00")}}}
		}
		t.Run("EndInAnotherGroupIgnored", func(t *testing.T) {
			if res := ingest(t, s, end("elsewhere")); res.Resolved != 0 {
				t.Fatalf("result %+v", res)
			}
		})
		t.Run("EndedByFingerprint", func(t *testing.T) {
			if res := ingest(t, s, end("chk-1")); res.Resolved != 1 {
				t.Fatalf("result %+v", res)
			}
		})
	})
}

// TestMigrateAlertKeyOrderDanglingIncident: an alert whose incident was
// deleted while foreign keys were off (by hand, in the sqlite3 shell) loses
// the reference in the copy, rather than keep the server from starting.
func TestMigrateAlertKeyOrderDanglingIncident(t *testing.T) {
	dsn := filepath.Join(t.TempDir(), "hindsight.db")
	old, err := store.OpenAtVersion(ctx, dsn, 7)
	if err != nil {
		t.Fatalf("open at version 7: %v", err)
	}
	ingest(t, old, group("am", firing("fp1", "APIHighLatency", "api-1:8080", clock("10:00:00"))))
	for _, q := range []string{"PRAGMA foreign_keys = OFF", "UPDATE alerts SET incident_id = 999", "PRAGMA foreign_keys = ON"} {
		if err := old.Exec(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	old.Close()
	s, err := store.Open(ctx, dsn)
	if err != nil {
		t.Fatalf("migrate: %v", err)
	}
	defer s.Close()
	if alerts := allAlerts(t, s); len(alerts) != 1 || alerts[0].IncidentID != nil {
		t.Fatalf("alerts after the migration: %+v", alerts)
	}
}

// alertsAtVersion7 fills a database at version 7 with alerts of every
// kind (attached, resolved, unattached), deletes the newest, and returns
// the alerts left and the highest id ever used.
func alertsAtVersion7(t *testing.T, dsn string, a1, a2 incident.Alert) ([]incident.Alert, int64) {
	t.Helper()
	old, err := store.OpenAtVersion(ctx, dsn, 7)
	if err != nil {
		t.Fatalf("open at version 7: %v", err)
	}
	defer old.Close()
	ingest(t, old, group("am", a1, a2))
	ingest(t, old, group("am", resolved(a1, clock("10:05:00")), a2))
	ingest(t, old, &incident.AlertBatch{Source: "generic", GroupKey: "chk-1", FireOnce: true,
		Alerts: []incident.Alert{firing("chk-1", "Disk full", "db-1", clock("10:02:00"))}})
	ingest(t, old, &incident.AlertBatch{Source: "generic", GroupKey: "chk-2", FireOnce: true,
		Alerts: []incident.Alert{firing("chk-2", "Disk full", "db-2", clock("10:03:00"))}})
	var top int64
	if err := old.QueryRow(ctx, "SELECT MAX(id) FROM alerts", &top); err != nil {
		t.Fatal(err)
	}
	if err := old.Exec(ctx, "DELETE FROM alerts WHERE id = ?", top); err != nil {
		t.Fatal(err)
	}
	return allAlerts(t, old), top
}

// grafana is a notification of a Grafana group.
func grafana(key string, alerts ...incident.Alert) *incident.AlertBatch {
	b := group(key, alerts...)
	b.Source = "grafana"
	return b
}

// atVersion opens the database of dsn migrated up to version.
func atVersion(t *testing.T, dsn string, version int) *store.Store {
	t.Helper()
	s, err := store.OpenAtVersion(ctx, dsn, version)
	if err != nil {
		t.Fatalf("open at version %d: %v", version, err)
	}
	return s
}

// TestMigrateGrafanaOrgFingerprints migrates Grafana alerts of a second
// organisation, stored with Grafana's fingerprints, to the fingerprints
// the adapter now gives them: their next notification repeats them, and
// an alert that flapped still counts once.
func TestMigrateGrafanaOrgFingerprints(t *testing.T) {
	const fp = "e3b1f0a94c2d7781"
	storetest.EachDSN(t, func(t *testing.T, dsn string) {
		old := atVersion(t, dsn, 11)
		org2 := `org2:{}:{alertname="CacheMemoryHigh"}`
		a := firing(fp, "CacheMemoryHigh", "api-cache", clock("10:02:00"))
		again := firing(fp, "CacheMemoryHigh", "api-cache", clock("10:04:00"))
		ingest(t, old, grafana(org2, a))
		ingest(t, old, grafana(org2, resolved(a, clock("10:03:00"))))
		ingest(t, old, grafana(org2, again)) // fires again: an entry that counts it once
		// The first organisation's, keyed by Grafana or, without a key,
		// by a receiver whose name starts with "org".
		ingest(t, old, grafana(`{}:{alertname="CacheMemoryHigh"}`, firing(fp, "CacheMemoryHigh", "api-cache", clock("10:05:00"))))
		ingest(t, old, grafana(`org-oncall:{alertname="CacheMemoryHigh"}`, firing(fp, "CacheMemoryHigh", "api-cache", clock("10:06:00"))))
		old.Close()

		s := storetest.Open(t, dsn)
		var fps []string
		for _, al := range allAlerts(t, s) {
			fps = append(fps, al.GroupKey[:4]+" "+al.Fingerprint)
		}
		if want := []string{"org2 org2:" + fp, "org2 org2:" + fp, "{}:{ " + fp, "org- " + fp}; !reflect.DeepEqual(fps, want) {
			t.Errorf("fingerprints %q, want %q", fps, want)
		}
		var n int
		if err := s.QueryRow(ctx, "SELECT COUNT(*) FROM alert_entry_alerts WHERE fingerprint = ?", &n, "org2:"+fp); err != nil || n != 1 {
			t.Errorf("the entry of the alert that fired again stands for it under its new fingerprint %d times (%v), want once", n, err)
		}

		// Its next notification, from the adapter, repeats it.
		body := []byte(`{"receiver":"hindsight","status":"firing","orgId":2,"groupKey":"{}:{alertname=\"CacheMemoryHigh\"}",
			"alerts":[{"status":"firing","labels":{"alertname":"CacheMemoryHigh","service":"api-cache","severity":"critical"},
			"startsAt":"2024-01-25T10:04:00Z","fingerprint":"` + fp + `"}]}`)
		b, err := alerts.ParseGrafana(body, alerts.Rules{})
		if err != nil {
			t.Fatal(err)
		}
		if res := ingest(t, s, b); res.Added != 0 || res.Duplicates != 1 {
			t.Errorf("the next notification: %+v, want a repeat", res)
		}
	})
}

// An entry of an alert of the first organisation that fired again keeps
// counting it once after the migration, when an alert of a second
// organisation with the same fingerprint shares its incident.
func TestMigrateGrafanaOrgFingerprintsSharedEntry(t *testing.T) {
	const fp = "e3b1f0a94c2d7781"
	storetest.EachDSN(t, func(t *testing.T, dsn string) {
		old := atVersion(t, dsn, 11)
		key := `{}:{alertname="CacheMemoryHigh"}`
		a := firing(fp, "CacheMemoryHigh", "api-cache", clock("10:00:00"))
		again := firing(fp, "CacheMemoryHigh", "api-cache", clock("10:02:00"))
		ingest(t, old, grafana(key, a))
		ingest(t, old, grafana(key, resolved(a, clock("10:01:00"))))
		ingest(t, old, grafana(key, again))
		other := grafana("org2:"+key, firing(fp, "CacheMemoryHigh", "api-cache", clock("10:30:00")))
		other.Open = nil
		ingest(t, old, other)
		var id int64
		if err := old.QueryRow(ctx, "SELECT id FROM alerts WHERE group_key LIKE 'org2:%'", &id); err != nil {
			t.Fatal(err)
		}
		if _, _, err := old.AttachAlerts(ctx, "INC-1", []int64{id}); err != nil {
			t.Fatal(err)
		}
		old.Close()

		s := storetest.Open(t, dsn)
		ingest(t, s, grafana(key, resolved(again, clock("10:03:00"))))
		ingest(t, s, grafana(key, firing(fp, "CacheMemoryHigh", "api-cache", clock("10:04:00"))))
		for _, line := range timeline(detail(t, s, "INC-1")) {
			if strings.Contains(line, "2 instances") {
				t.Errorf("the alert that flaps counts twice: %q", line)
			}
		}
	})
}
