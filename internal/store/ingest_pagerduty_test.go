package store_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"hindsight/internal/alerts"
	"hindsight/internal/incident"
	"hindsight/internal/store"
	"hindsight/internal/store/storetest"
)

// PagerDuty does not promise the order of deliveries, and retries a failed
// one (a 503 from a full queue) later: "resolved" can arrive before
// "triggered". Once both are in, the PagerDuty incident's alert has
// resolved; it must not stay firing for ever.
func TestPagerDutyResolvedBeforeTriggered(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		trig, err := os.ReadFile(filepath.Join("..", "..", "..", "shared", "fixtures", "webhooks", "pagerduty-incident-triggered.json"))
		if err != nil {
			t.Fatal(err)
		}
		res := strings.Replace(string(trig), `"event_type":"incident.triggered"`, `"event_type":"incident.resolved"`, 1)
		res = strings.Replace(res, `"occurred_at":"2024-01-25T10:01:10.000Z"`, `"occurred_at":"2024-01-25T10:30:00.000Z"`, 1)
		res = strings.Replace(res, `"id":"01EXAMPLEEVENT0000000000001"`, `"id":"01EXAMPLEEVENT0000000000002"`, 1)
		if res == string(trig) || !strings.Contains(res, "incident.resolved") || !strings.Contains(res, "10:30:00") || !strings.Contains(res, "EVENT0000000000002") {
			t.Fatal("could not edit the fixture")
		}
		for _, d := range []struct{ body, id string }{{res, "wh-resolved"}, {string(trig), "wh-triggered"}} {
			b, err := alerts.ParsePagerDuty([]byte(d.body), d.id, alerts.Rules{})
			if err != nil {
				t.Fatal(err)
			}
			ingest(t, s, b)
		}
		all, err := s.AllAlerts(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, a := range all {
			if a.Status == incident.AlertFiring {
				t.Fatalf("alert %s (started %s) fires, though PagerDuty resolved its incident at 10:30", a.Fingerprint, a.StartsAt.Format("15:04:05"))
			}
		}
	})
}
